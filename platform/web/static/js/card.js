// The generic card: tabs, widgets, the live preview (live.js: formulas, defaults, visibility
// and rules computed by the server while the user types), save through the web layer with
// optimistic locking, validation errors next to fields, and the version-conflict dialog.

import { api, ApiError, el, notify, notifyAfterReload, readConfig, t } from "./app.js";
import { setupLive } from "./live.js";
import { markInput, readValue, setupLines, setupWidgetsIn } from "./widgets.js";

const form = document.getElementById("card-form");
const record = readConfig("card-record");
const fields = [...form.querySelectorAll(".field[data-field]")];
const state = document.getElementById("save-state");

function widgetOf(field) {
  return field.querySelector("[data-col]");  // the first in document order: the widget's root
}

function currentValues() {
  const values = {};
  for (const field of fields) {
    const value = readValue(widgetOf(field), field.dataset.type);
    if (value !== undefined) values[field.dataset.field] = value;
  }
  return values;
}

// --- tabs ---------------------------------------------------------------------------------
function setupTabs() {
  const tabs = [...form.querySelectorAll('[role="tab"]')];
  const select = (tab, focus) => {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
    }
    if (focus) tab.focus();
  };
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => select(tab, false));
    tab.addEventListener("keydown", (e) => {
      if (e.key === "ArrowRight") select(tabs[(i + 1) % tabs.length], true);
      if (e.key === "ArrowLeft") select(tabs[(i - 1 + tabs.length) % tabs.length], true);
    });
  });
  return (panelId) => { const tab = tabs.find((x) => x.getAttribute("aria-controls") === panelId); if (tab) select(tab, false); };
}
const showTab = setupTabs();

// --- changes ------------------------------------------------------------------------------
let initial = {};
function changedValues() {
  const now = currentValues();
  const changed = {};
  for (const [name, value] of Object.entries(now)) {
    if (JSON.stringify(value) !== JSON.stringify(initial[name])) changed[name] = value;
  }
  return changed;
}

let live = null;
function markDirty() {
  live?.schedule();
  const dirty = Object.keys(changedValues()).length > 0;
  state.textContent = dirty ? t("unsaved") : "";
  form.classList.toggle("dirty", dirty);
}

// --- errors -------------------------------------------------------------------------------
function clearErrors() {
  for (const p of form.querySelectorAll(".field-error")) { p.hidden = true; p.textContent = ""; }
  for (const p of form.querySelectorAll(".cell-error")) { p.hidden = true; p.textContent = ""; }
  for (const c of form.querySelectorAll("td.invalid")) c.classList.remove("invalid");
  for (const f of form.querySelectorAll(".field.invalid")) f.classList.remove("invalid");
  for (const n of form.querySelectorAll("[aria-invalid]")) n.removeAttribute("aria-invalid");
  document.getElementById("form-error").hidden = true;
}

function showErrors(errors) {
  let first = null;
  const other = [];
  for (const [key, messages] of Object.entries(errors)) {
    const name = key.split(/[[.]/)[0];
    const field = form.querySelector(`.field[data-field="${CSS.escape(name)}"]`);
    const text = (Array.isArray(messages) ? messages : [messages]).join("; ");
    if (!field) { other.push(key === "_record" ? text : `${key}: ${text}`); continue; }  // a record rule: its message alone
    const box = field.querySelector(`#err-${CSS.escape(name)}`);
    let suffix = key !== name ? ` (${key.slice(name.length).replace(/^\./, "")})` : "";
    const line = key.match(/^[^[]+\[(\d+)\]\.(.+)$/);
    if (line) {  // a line item's cell: marked in the grid, named in the field's message
      const row = field.querySelectorAll(".lines tbody > tr")[Number(line[1])];
      const cell = row?.querySelector(`td[data-cell="${CSS.escape(line[2])}"]`);
      const input = cell?.querySelector("input, select, textarea");
      if (input) markInput(input, text);
      const column = field.querySelector(`.lines thead th:nth-child(${cell ? cell.cellIndex + 1 : 0})`)?.textContent.trim();
      suffix = ` (${t("line_n", { n: Number(line[1]) + 1 })}${column ? `, ${column}` : ""})`;
    }
    box.textContent = box.textContent ? `${box.textContent}; ${text}${suffix}` : `${text}${suffix}`;
    box.hidden = false;
    field.classList.add("invalid");
    const input = field.querySelector("input, select, textarea");
    if (input) { input.setAttribute("aria-invalid", "true"); input.setAttribute("aria-describedby", box.id); }
    first = first || field;
  }
  const banner = document.getElementById("form-error");
  banner.textContent = !other.length ? t("fix_errors") : first ? `${t("fix_errors")} ${other.join(" · ")}` : other.join(" · ");
  banner.hidden = false;
  if (first) {
    const panel = first.closest('[role="tabpanel"]');
    if (panel) showTab(panel.id);
    first.querySelector("input, select, textarea, button")?.focus();
  }
}

// --- saving -------------------------------------------------------------------------------
async function save(changes, version) {
  clearErrors();
  const button = document.getElementById("save-record");
  button.disabled = true;
  try {
    if (!record) {
      const created = await api("POST", form.dataset.save, currentValues());
      notifyAfterReload(t("created"));
      window.location.assign(`${form.dataset.cardBase}/${created.id}`);
      return;
    }
    if (!Object.keys(changes).length) { notify(t("saved"), "success"); return; }
    await api("POST", form.dataset.save, { ...changes, version: Number(version) });
    notifyAfterReload(t("saved"));
    window.location.reload();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.code === "VALIDATION_FAILED" && err.details.fields) showErrors(err.details.fields);
    else if (err.code === "STALE_VERSION") showConflict(err, changes);
    else notify(err.message, "error");
  } finally {
    button.disabled = false;
  }
}

function describeValue(value) {
  if (value === null || value === undefined || value === "") return "—";
  if (Array.isArray(value)) return value.join(", ");
  if (typeof value === "object") return value.display ?? (value.amount !== undefined ? `${value.amount} ${value.currency}` : value.name ?? JSON.stringify(value));
  return String(value);
}

function labelOf(name) {
  const field = form.querySelector(`.field[data-field="${CSS.escape(name)}"]`);
  return field?.querySelector("label, .label")?.textContent.replace("*", "").trim() || name;
}

function showConflict(err, changes) {
  const dialog = document.getElementById("conflict-dialog");
  document.getElementById("conflict-title").textContent = t("conflict_title");
  document.getElementById("conflict-body").textContent = err.message || t("conflict_body");
  const list = document.getElementById("conflict-changes");
  list.replaceChildren();
  for (const entry of err.details.changes || []) {
    const who = entry.user?.display || t("someone");
    const when = new Date(entry.at).toLocaleString(document.documentElement.lang || undefined);
    for (const [name, pair] of Object.entries(entry.changes || {})) {
      list.append(el("li", {}, el("strong", { text: `${who}` }), ` · ${when} · ${labelOf(name)}: `,
        el("span", { class: "old", text: describeValue(pair[0]) }), " → ", el("span", { class: "new", text: describeValue(pair[1]) })));
    }
  }
  document.getElementById("conflict-reload").onclick = () => window.location.reload();
  document.getElementById("conflict-reapply").onclick = () => {
    dialog.close();
    save(changes, err.details.current_version);
  };
  dialog.showModal();
}

async function remove() {
  if (!window.confirm(t("confirm_delete_one"))) return;
  try {
    await api("DELETE", `${form.dataset.api}/${record.id}?version=${record.version}`);
    notifyAfterReload(t("deleted"));
    window.location.assign(form.dataset.cardBase);
  } catch (err) {
    if (err instanceof ApiError && err.code === "STALE_VERSION") showConflict(err, {});
    else notify(err.message, "error");
  }
}

// --- start --------------------------------------------------------------------------------
setupWidgetsIn(form, markDirty);
for (const lines of form.querySelectorAll(".lines[data-col]")) setupLines(lines, markDirty);
initial = record ? currentValues() : {};
if (!record) {  // prefilled values of a new card count as changes
  for (const key of Object.keys(currentValues())) initial[key] = undefined;
}
live = setupLive(form, { isNew: !record, changedValues });
form.addEventListener("input", markDirty);
form.addEventListener("change", markDirty);
form.addEventListener("cf-value", markDirty);  // a typed number or date was read by the server
form.addEventListener("submit", (event) => {
  event.preventDefault();
  save(changedValues(), form.dataset.version);
});
document.getElementById("delete-record")?.addEventListener("click", remove);
document.body.dataset.ready = "1";
