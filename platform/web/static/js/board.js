// Calendar and kanban pages: drag an item to another day, hour or column; the move is a
// record update through the API with the version the page was drawn with, so someone
// else's change in between is a conflict (shown, nothing saved), never overwritten.
// Also: colours from data-color, the settings selects, the view menu, "Save view", "More".

import { api, ApiError, apiUrl, notify, notifyAfterReload, readConfig } from "./app.js";

const config = readConfig("board-config");
const strings = config.strings;
const HEX = /^#[0-9a-fA-F]{6}$/;

function paint(root = document) {
  for (const node of root.querySelectorAll("[data-color]")) {
    if (HEX.test(node.dataset.color)) node.style.setProperty("--item-color", node.dataset.color);
  }
}

function setupSettings() {
  for (const select of document.querySelectorAll("select[data-auto]")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
  const views = document.getElementById("view-select");
  views.addEventListener("change", () => {
    const target = new URL(views.dataset.list, window.location.origin);
    target.searchParams.set("view", views.value);
    window.location.assign(target.toString());
  });
  document.getElementById("save-view").addEventListener("click", async () => {
    const own = config.view && config.view.kind === "personal";
    const name = window.prompt(strings.view_name, own ? config.view.name : "");
    if (!name || !name.trim()) return;
    const base = (config.view && config.view.definition) || {};
    const settings = clean({ ...config.settings, mode: config.mode });
    const definition = { ...base, display: config.display, [config.display]: settings };
    if (config.display === "calendar" && settings.person) {  // the chosen employee stays chosen
      definition.filters = (base.filters || []).filter(([name, op]) => !(name === settings.person && op === "eq"));
      if (config.person) definition.filters.push([settings.person, "eq", String(config.person)]);
    }
    try {
      const view = own && config.view.name === name.trim()
        ? await api("PATCH", apiUrl(`/tables/${config.table}/views/${config.view.id}`), { definition })
        : await api("POST", apiUrl(`/tables/${config.table}/views`), { name: name.trim(), definition });
      notifyAfterReload(strings.view_saved);
      const target = new URL(window.location.pathname, window.location.origin);
      target.searchParams.set("view", view.id);
      window.location.assign(target.toString());
    } catch (err) {
      notify(err instanceof ApiError ? err.message : strings.error, "error");
    }
  });
}

function clean(settings) {
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== null && v !== undefined && v !== ""));
}

// --- dragging ----------------------------------------------------------------------------
let dragged = null;

function target(event) {
  return event.target.closest?.(".drop");
}

function setupDrag(root = document) {
  for (const item of root.querySelectorAll("[draggable=true]")) {
    item.addEventListener("dragstart", (event) => {
      dragged = item;
      item.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.dataset.id);
    });
    item.addEventListener("dragend", () => { item.classList.remove("dragging"); dragged = null; });
  }
}

function setupDrops() {
  document.addEventListener("dragover", (event) => {
    const zone = target(event);
    if (!zone || !dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    for (const z of document.querySelectorAll(".drop.over")) if (z !== zone) z.classList.remove("over");
    zone.classList.add("over");
  });
  document.addEventListener("dragleave", (event) => {
    const zone = target(event);
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("over");
  });
  document.addEventListener("drop", async (event) => {
    const zone = target(event);
    if (!zone || !dragged) return;
    event.preventDefault();
    zone.classList.remove("over");
    const item = dragged;
    await move(item, zone);
  });
}

async function move(item, zone) {
  const body = { id: Number(item.dataset.id), version: Number(item.dataset.version) };
  if (config.view) body.view = config.view.id;
  const from = item.parentElement;
  let place = zone;
  if (config.display === "calendar") {
    if (!config.view) body.date = config.settings.date;
    body.day = zone.dataset.day;
    if (zone.dataset.hour !== undefined) {
      const minutes = (item.dataset.time || "00:00").slice(3, 5);
      body.time = `${String(zone.dataset.hour).padStart(2, "0")}:${minutes}`;
    }
    if (body.day === item.closest(".drop")?.dataset.day && (!body.time || body.time === item.dataset.time)) return;
  } else {
    if (!config.view) body.field = config.settings.field;
    body.value = zone.dataset.value || null;
    place = zone.querySelector(".kanban-cards");
    if (zone === item.closest(".kanban-col")) return;
  }
  item.classList.add("saving");
  try {
    const record = await api("POST", config.move, body);
    item.dataset.version = record.version;
    if (body.time) {
      item.dataset.time = body.time;
      const shown = item.querySelector(".cal-time");
      if (shown) shown.textContent = body.time;
    }
    place.prepend(item);
    if (config.display === "kanban") recount(from.closest(".kanban-col"), -1), recount(zone, +1);
    item.classList.remove("conflict");
    notify(strings.moved, "success");
  } catch (err) {
    if (err instanceof ApiError && err.code === "STALE_VERSION") {
      item.classList.add("conflict");
      notify(strings.conflict, "error");
    } else if (err instanceof ApiError) {
      notify(err.message || strings.denied, "error");
    } else {
      notify(strings.error, "error");
    }
  } finally {
    item.classList.remove("saving");
  }
}

function recount(column, delta) {
  const count = column?.querySelector(".count");
  if (!count) return;
  count.dataset.count = String(Number(count.dataset.count) + delta);
  count.textContent = count.dataset.count;
}

// --- kanban: more cards ------------------------------------------------------------------
function setupMore() {
  const base = document.getElementById("more-url")?.dataset.url;
  if (!base) return;
  document.addEventListener("click", async (event) => {
    const button = event.target.closest(".kanban-more");
    if (!button) return;
    const url = new URL(base, window.location.origin);
    url.searchParams.set("column", button.dataset.column);
    url.searchParams.set("page", button.dataset.page);
    button.disabled = true;
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      const holder = document.createElement("div");
      holder.innerHTML = await response.text();  // our own server-rendered, escaped cards
      setupDrag(holder);
      button.replaceWith(...holder.children);
    } catch {
      button.disabled = false;
      notify(strings.error, "error");
    }
  });
}

function scrollToMorning() {
  // the hours list opens at 8:00, or at the first item when it is earlier
  const hours = document.querySelector(".cal-hours");
  if (!hours) return;
  const first = hours.querySelector(".cal-item")?.closest("[data-hour-row]");
  const eight = hours.querySelector('[data-hour-row="8"]');
  const row = first && Number(first.dataset.hourRow) < 8 ? first : eight;
  hours.scrollTop += row.getBoundingClientRect().top - hours.getBoundingClientRect().top;
}

paint();
setupSettings();
setupDrag();
setupDrops();
setupMore();
scrollToMorning();
document.body.dataset.ready = "1";
