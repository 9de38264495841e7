// The print template editor: the HTML text with line numbers, a syntax and names check with
// line and column, a live preview against a record the owner picks (rendered on the server
// in the same sandbox as printing, shown in a sandboxed frame), the variables panel, the
// settings, Word file upload with the unknown-placeholder check, versions.
import { api, el, notify, readConfig } from "/static/js/app.js";

const config = readConfig("editor-config");
const S = config.strings;
const fill = (text, values) => Object.entries(values).reduce((s, [k, v]) => s.replace(`{${k}}`, v), text);
const $ = (id) => document.getElementById(id);
let template = config.template;
const kind = template.kind;
const body = $("tpl-body");
const gutter = $("tpl-gutter");
const problems = $("tpl-problems");
const state = $("tpl-state");
let dirty = false;

// --- the text ------------------------------------------------------------------------------
function numberLines() {
  if (!body) return;
  const count = body.value.split("\n").length;
  gutter.textContent = Array.from({ length: count }, (_, i) => i + 1).join("\n");
  gutter.scrollTop = body.scrollTop;
}

function selectPlace(line, column) {
  const lines = body.value.split("\n");
  let start = 0;
  for (let i = 0; i < Math.min(line - 1, lines.length); i++) start += lines[i].length + 1;
  start += Math.max(0, (column || 1) - 1);
  body.focus();
  body.setSelectionRange(start, start + 1);
  const lineHeight = parseFloat(getComputedStyle(body).lineHeight) || 18;
  body.scrollTop = Math.max(0, (line - 4) * lineHeight);
}

function insertAtCursor(text) {
  const start = body.selectionStart;
  const end = body.selectionEnd;
  body.setRangeText(text, start, end, "end");
  body.focus();
  changed();
}

function showProblems(errors = [], unknown = [], note = "") {
  problems.replaceChildren();
  if (note) problems.append(el("p", { class: "ok", text: note }));
  if (errors.length) {
    const list = el("ul", { class: "errors" });
    for (const e of errors) {
      const where = e.line ? `${S.line} ${e.line}${e.column ? `, ${S.column} ${e.column}` : ""}` : "";
      const item = el("li", {}, where ? el("button", { type: "button", class: "linkish", text: where, onclick: () => selectPlace(e.line, e.column) }) : "",
        where ? ": " : "", e.message);
      list.append(item);
    }
    problems.append(list);
  }
  if (unknown.length) {
    problems.append(el("p", { class: "warn", text: S.unknown }));
    const list = el("ul", { class: "unknown" });
    for (const u of unknown) {
      const name = typeof u === "string" ? u : u.name;
      list.append(el("li", {}, u.line && body ? el("button", { type: "button", class: "linkish", text: `${S.line} ${u.line}`, onclick: () => selectPlace(u.line, 1) }) : "",
        u.line && body ? ": " : "", el("code", { text: name })));
    }
    problems.append(list);
  }
}

function errorOf(err) {
  const d = err.details || {};
  return { line: d.line, column: d.column, message: err.message };
}

// --- settings --------------------------------------------------------------------------------
function value(id) {
  const node = $(id);
  return node ? node.value : undefined;
}

function settings() {
  const out = { language: value("set-language"), filename: value("set-filename") };
  if (kind === "html") {
    const margins = {};
    for (const side of ["top", "right", "bottom", "left"]) margins[side] = Number(value(`set-margin-${side}`) || 0);
    out.paper = { size: value("set-paper"), orientation: value("set-orientation"), margins };
    out.layout = value("set-layout");
    out.keep_copy = $("set-keep").checked;
  }
  out.groups = [...document.querySelectorAll("#set-groups input:checked")].map((box) => box.value);
  const email = { to: value("set-email-to"), subject: value("set-email-subject"), body: value("set-email-body"),
                  format: value("set-email-format") };
  out.email = Object.fromEntries(Object.entries(email).filter(([, v]) => v));
  return out;
}

function changed() {
  dirty = true;
  state.textContent = "";
  numberLines();
  schedulePreview();
}

// --- check, save, delete ---------------------------------------------------------------------
async function check() {
  state.textContent = S.checking;
  try {
    const result = await api("POST", config.api.check, { table: config.table, body: body.value });
    showProblems(result.errors, result.unknown, result.ok ? S.syntax_ok : "");
    state.textContent = "";
    if (result.errors.length) selectPlace(result.errors[0].line, result.errors[0].column);
    return result.errors.length === 0;
  } catch (err) {
    showProblems([errorOf(err)]);
    return false;
  }
}

async function save() {
  state.textContent = S.saving;
  const changes = { name: value("set-name"), description: value("set-description") || null, settings: settings(),
                    version: template.version };
  if (kind === "html") changes.body = body.value;
  try {
    template = await api("PATCH", config.api.template, changes);
    dirty = false;
    state.textContent = S.saved;
    $("tpl-title").textContent = template.name;
    showProblems();
    loadVersions();
  } catch (err) {
    state.textContent = "";
    showProblems([{ ...errorOf(err), message: err.code === "STALE_VERSION" ? `${S.stale} ${err.message}` : err.message }]);
    if (err.details && err.details.line && body) selectPlace(err.details.line, err.details.column);
  }
}

async function remove() {
  if (!confirm(S.confirm_delete)) return;
  try {
    await api("DELETE", config.api.template);
    sessionStorage.setItem("cf-notice", S.deleted);
    dirty = false;
    location.href = config.list_url;
  } catch (err) {
    showProblems([errorOf(err)]);
  }
}

// --- preview -----------------------------------------------------------------------------------
let previewTimer = null;
let previewRun = 0;

function schedulePreview() {
  if (kind !== "html") return;
  clearTimeout(previewTimer);
  previewTimer = setTimeout(preview, 700);
}

async function preview() {
  const run = ++previewRun;
  const record = value("preview-record");
  try {
    const result = await api("POST", config.api.preview, {
      table: config.table, body: body.value, record: record ? Number(record) : null, settings: settings(), frame: true });
    if (run !== previewRun) return;
    $("tpl-preview").src = result.frame;
    const hidden = $("preview-hidden");
    hidden.hidden = !result.hidden.length;
    hidden.textContent = result.hidden.length ? `${S.hidden} ${result.hidden.join(", ")}` : "";
    if (!problems.querySelector(".errors")) showProblems();
  } catch (err) {
    if (run === previewRun) showProblems([errorOf(err)]);
  }
}

async function loadRecords(search = "") {
  const select = $("preview-record");
  const url = new URL(config.api.records, location.origin);
  url.searchParams.set("per_page", "25");
  url.searchParams.set("sort", "-id");
  if (search) url.searchParams.set("search", search);
  try {
    const result = await api("GET", url.pathname + url.search);
    const chosen = select.value;
    select.replaceChildren(...result.records.map((r) => {
      const shown = config.display && r[config.display] ? r[config.display] : "";
      const text = typeof shown === "object" && shown !== null ? (shown.display ?? shown.amount ?? "") : shown;
      return el("option", { value: r.id, text: `#${r.id} ${text}`.trim(), selected: String(r.id) === chosen });
    }));
    if (!result.records.length) select.append(el("option", { value: "", text: S.no_records }));
  } catch (err) {
    showProblems([errorOf(err)]);
  }
}

// the page is drawn at its paper size; the frame shows it scaled to its width
function fitPreview() {
  const frame = $("tpl-preview");
  try {
    const doc = frame.contentDocument;
    if (!doc || !doc.body) return;
    doc.body.style.zoom = "";
    const wide = doc.documentElement.scrollWidth;
    if (wide > frame.clientWidth) doc.body.style.zoom = String((frame.clientWidth - 4) / wide);
  } catch {
    // a frame we may not reach keeps its size
  }
}

// --- variables ---------------------------------------------------------------------------------
async function loadVariables() {
  const box = $("variables");
  try {
    const result = await api("GET", config.api.variables);
    box.replaceChildren(...result.groups.map((group) => el("details", { open: group === result.groups[0] },
      el("summary", { text: group.title }),
      el("ul", {}, group.items.map((item) => el("li", {},
        el("button", { type: "button", class: "var", title: item.snippet, onclick: () => useSnippet(item.snippet) },
          el("code", { text: item.name })), " ", el("span", { class: "muted small", text: item.label })))))));
  } catch (err) {
    box.textContent = err.message;
  }
}

async function useSnippet(snippet) {
  if (body) {
    insertAtCursor(snippet);
    return;
  }
  try {
    await navigator.clipboard.writeText(snippet);
    notify(snippet, "info");
  } catch {
    notify(snippet, "info");
  }
}

// --- Word file ---------------------------------------------------------------------------------
async function upload(input) {
  const file = input.files[0];
  if (!file) return;
  const data = new FormData();
  data.append("file", file);
  try {
    const result = await api("PUT", config.api.docx, data);
    template = result;
    $("docx-current").replaceChildren(el("span", { text: `${result.docx.name} · ` }),
      el("a", { href: config.api.docx, download: "", text: "DOCX" }));
    showProblems([], result.unknown.map((name) => ({ name })), S.uploaded);
    if (result.unknown.length) problems.querySelector(".warn").textContent = S.unknown_placeholders;
    loadVersions();
  } catch (err) {
    showProblems([errorOf(err)]);
  } finally {
    input.value = "";
  }
}

// --- versions ------------------------------------------------------------------------------------
async function loadVersions() {
  const list = $("versions-list");
  try {
    const result = await api("GET", config.api.versions);
    list.replaceChildren(...result.versions.map((v) => el("li", { value: v.version },
      `${v.action} · ${(v.at || "").slice(0, 16).replace("T", " ")} `,
      v.version === template.version ? "" : el("button", { type: "button", class: "linkish", text: "↺", title: fill(S.reverted, { version: v.version }),
        onclick: async () => {
          try {
            template = await api("POST", config.api.revert, { version: v.version });
            notify(fill(S.reverted, { version: v.version }), "success");
            location.reload();
          } catch (err) { showProblems([errorOf(err)]); }
        } }))));
  } catch {
    list.replaceChildren();
  }
}

// --- wiring ------------------------------------------------------------------------------------
if (body) {
  $("tpl-preview").addEventListener("load", fitPreview);
  window.addEventListener("resize", fitPreview);
  body.addEventListener("input", changed);
  body.addEventListener("scroll", () => { gutter.scrollTop = body.scrollTop; });
  body.addEventListener("keydown", (event) => {
    if (event.key === "Tab" && !event.shiftKey) { event.preventDefault(); insertAtCursor("  "); }
    if ((event.ctrlKey || event.metaKey) && event.key === "s") { event.preventDefault(); save(); }
  });
  $("tpl-check").addEventListener("click", check);
  $("preview-refresh").addEventListener("click", preview);
  $("preview-record").addEventListener("change", preview);
  let searchTimer = null;
  $("preview-search").addEventListener("input", (event) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => loadRecords(event.target.value), 300);
  });
  numberLines();
  loadRecords().then(preview);
}
const docx = $("docx-file");
if (docx) docx.addEventListener("change", () => upload(docx));
for (const node of document.querySelectorAll(".tpl-settings input, .tpl-settings select, .tpl-settings textarea")) {
  node.addEventListener("change", () => { dirty = true; schedulePreview(); });
}
$("tpl-save").addEventListener("click", save);
$("tpl-delete").addEventListener("click", remove);
window.addEventListener("beforeunload", (event) => { if (dirty) event.preventDefault(); });
loadVariables();
loadVersions();
