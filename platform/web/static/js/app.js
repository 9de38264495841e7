// Shared helpers for every page: translated strings, API calls with the CSRF token,
// notices, the user menu and dialogs. Page modules import what they need from here.

const stringsNode = document.getElementById("cf-strings");
const STRINGS = stringsNode ? JSON.parse(stringsNode.textContent) : {};

export function t(key, params = {}) {
  let text = STRINGS[key] ?? key;
  for (const [name, value] of Object.entries(params)) text = text.replace(`{${name}}`, value);
  return text;
}

export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? "";
}

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || t("error"));
    this.status = status;
    this.code = error.code || "ERROR";
    this.details = error.details || {};
  }
}

/** Call the REST API with the session cookie and CSRF token; JSON in, JSON out. */
export async function api(method, url, body, options = {}) {
  const headers = { Accept: "application/json", "X-CSRF-Token": csrfToken() };
  let payload = body;
  if (body !== undefined && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, { method, headers, body: payload, credentials: "same-origin", signal: options.signal });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, { error: { message: t("network"), code: "NETWORK" } });
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export function apiUrl(path) {
  return "/api/v1" + path;
}

/** A short notice in the page's live region (the same place server flashes appear). */
export function notify(message, kind = "info") {
  const box = document.getElementById("flashes");
  if (!box) return;
  const p = document.createElement("p");
  p.className = `flash flash-${kind}`;
  p.textContent = message;
  box.replaceChildren(p);
  if (kind !== "error") setTimeout(() => p.remove(), 6000);
}

/** Remember a notice across a page load (after a redirect made by a script). */
export function notifyAfterReload(message) {
  sessionStorage.setItem("cf-notice", message);
}

export function readConfig(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function setupMenus() {
  for (const menu of document.querySelectorAll("[data-menu]")) {
    const button = menu.querySelector(".menu-button");
    const panel = menu.querySelector(".menu-panel");
    const close = () => { panel.hidden = true; button.setAttribute("aria-expanded", "false"); };
    button.addEventListener("click", () => {
      const open = panel.hidden;
      panel.hidden = !open;
      button.setAttribute("aria-expanded", String(open));
      if (open) panel.querySelector("button, a")?.focus();
    });
    document.addEventListener("click", (e) => { if (!menu.contains(e.target)) close(); });
    menu.addEventListener("keydown", (e) => { if (e.key === "Escape") { close(); button.focus(); } });
  }
}

function setupDialogs() {
  for (const button of document.querySelectorAll("dialog .dialog-cancel")) {
    button.addEventListener("click", () => button.closest("dialog").close());
  }
}

function showPendingNotice() {
  const message = sessionStorage.getItem("cf-notice");
  if (message) {
    sessionStorage.removeItem("cf-notice");
    notify(message, "success");
  }
}

setupMenus();
setupDialogs();
showPendingNotice();
