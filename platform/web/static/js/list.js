// The generic list: filter builder, expression box, column chooser and widths, row click,
// selection with bulk delete, and saved views. The list's state lives in the URL.

import { api, ApiError, apiUrl, el, notify, notifyAfterReload, readConfig, t } from "./app.js";
import { setupLinkPicker } from "./widgets.js";

const config = readConfig("list-config");

function go(params) {
  const next = new URL(window.location.href);
  for (const [key, value] of Object.entries(params)) {
    next.searchParams.delete(key);
    if (Array.isArray(value)) value.forEach((v) => next.searchParams.append(key, v));
    else if (value !== null && value !== undefined && value !== "") next.searchParams.set(key, value);
  }
  next.searchParams.delete("page");
  window.location.assign(next.toString());
}

/** The URL parameters that reproduce the current state (so the URL wins over the view). */
function stateParams(overrides = {}) {
  return {
    cols: config.columns.join(","),
    sort: config.sort.join(","),
    filter: config.filters.map(([f, o, v]) => `${f}:${o}:${v ?? ""}`),
    q: config.search, where: config.where, ...overrides,
  };
}

// --- filter builder ---------------------------------------------------------------------
function setupFilterBuilder() {
  const fieldSelect = document.getElementById("filter-field");
  const opSelect = document.getElementById("filter-op");
  fieldSelect.replaceChildren(...config.fields.map((f) => el("option", { value: f.name, text: f.label })));
  const valueControl = () => document.getElementById("filter-value");
  const refresh = () => {
    const field = config.fields.find((f) => f.name === fieldSelect.value);
    if (!field) return;
    opSelect.replaceChildren(...field.operators.map((op) => el("option", { value: op, text: config.operators[op] || op })));
    let control;
    const current = valueControl();
    if (field.choices.length && !["is_empty", "is_not_empty"].includes(opSelect.value)) {
      control = el("select", { id: "filter-value", "aria-label": t("value") },
        field.choices.map((c) => el("option", { value: c.value, text: c.label })));
    } else if (field.type === "boolean") {
      control = el("select", { id: "filter-value", "aria-label": t("value") },
        el("option", { value: "true", text: "✓" }), el("option", { value: "false", text: "✗" }));
    } else if (field.type === "link" && field.target) {
      // pick the linked record by its name; the filter keeps its id, the chip shows the name
      control = el("span", { id: "filter-value", class: "link-picker filter-picker", "data-target": field.target.table,
        "data-display-field": field.target.display_field, "data-value": "" },
        el("input", { type: "search", id: "filter-value-text", role: "combobox", "aria-autocomplete": "list",
          "aria-expanded": "false", autocomplete: "off", "aria-label": t("value"),
          placeholder: t("search_in", { table: field.target.label }) }),
        el("ul", { class: "picker-list", role: "listbox", hidden: true }),
        el("a", { class: "open-link small", hidden: true, "data-base": "" }));
      current.replaceWith(control);
      setupLinkPicker(control, () => {});
      toggleValue();
      return;
    } else {
      // numbers and dates as people write them: the server reads them in their locale
      const numeric = ["integer", "decimal", "money", "percent"].includes(field.type);
      control = el("input", { id: "filter-value", type: "text", inputmode: numeric ? "decimal" : null,
        "aria-label": t("value"), placeholder: field.type === "date" ? config.date_placeholder : t("value") });
    }
    current.replaceWith(control);
    toggleValue();
  };
  const toggleValue = () => {
    valueControl().hidden = ["is_empty", "is_not_empty"].includes(opSelect.value);
  };
  const filterValue = () => {
    const control = valueControl();
    if (control.classList.contains("link-picker")) {  // the chosen record, or the name as typed
      return control.dataset.value || control.querySelector("input").value.trim();
    }
    return control.value;
  };
  fieldSelect.addEventListener("change", refresh);
  opSelect.addEventListener("change", toggleValue);
  refresh();
  document.getElementById("filter-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const op = opSelect.value;
    const value = ["is_empty", "is_not_empty"].includes(op) ? "" : filterValue();
    const filters = stateParams().filter;
    filters.push(`${fieldSelect.value}:${op}:${value}`);
    go(stateParams({ filter: filters }));
  });
  document.getElementById("where-form").addEventListener("submit", (event) => {
    event.preventDefault();
    go(stateParams({ where: document.getElementById("where-input").value.trim() }));
  });
  document.getElementById("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    go(stateParams({ q: document.getElementById("quick-search").value.trim() }));
  });
}

// --- columns: chooser and widths ----------------------------------------------------------
const widthKey = `cf-widths:${config.table}`;
function storedWidths() {
  try { return { ...config.widths, ...JSON.parse(localStorage.getItem(widthKey) || "{}") }; } catch { return { ...config.widths }; }
}

function setupColumns() {
  const chooser = document.getElementById("column-chooser");
  const toggle = document.getElementById("toggle-columns");
  toggle.addEventListener("click", () => {
    chooser.hidden = !chooser.hidden;
    toggle.setAttribute("aria-expanded", String(!chooser.hidden));
  });
  document.getElementById("apply-columns").addEventListener("click", () => {
    const chosen = [...chooser.querySelectorAll("input:checked")].map((i) => i.value);
    const ordered = [...config.columns.filter((c) => chosen.includes(c)), ...chosen.filter((c) => !config.columns.includes(c))];
    go(stateParams({ cols: ordered.join(",") }));
  });
  const widths = storedWidths();
  for (const th of document.querySelectorAll("th.resizable")) {
    const name = th.dataset.field;
    if (widths[name]) th.style.width = `${widths[name]}px`;
    const grip = th.querySelector(".grip");
    grip.addEventListener("pointerdown", (event) => {
      event.preventDefault();
      const startX = event.clientX;
      const startWidth = th.getBoundingClientRect().width;
      grip.setPointerCapture(event.pointerId);
      const move = (e) => { th.style.width = `${Math.max(60, Math.round(startWidth + e.clientX - startX))}px`; };
      const up = () => {
        grip.removeEventListener("pointermove", move);
        grip.removeEventListener("pointerup", up);
        const all = storedWidths();
        all[name] = Math.round(th.getBoundingClientRect().width);
        localStorage.setItem(widthKey, JSON.stringify(all));
      };
      grip.addEventListener("pointermove", move);
      grip.addEventListener("pointerup", up);
    });
  }
}

// --- rows: open, select, bulk delete -------------------------------------------------------
function setupRows() {
  const table = document.getElementById("records");
  if (!table) return;
  const bar = document.getElementById("bulkbar");
  const count = document.getElementById("selected-count");
  const boxes = () => [...table.querySelectorAll(".row-select")];
  const update = () => {
    const chosen = boxes().filter((b) => b.checked);
    bar.hidden = chosen.length === 0;
    count.textContent = `${chosen.length} ${t("selected")}`;
    for (const b of boxes()) b.closest("tr").classList.toggle("selected", b.checked);
  };
  table.addEventListener("click", (event) => {
    if (event.target.closest("input, a, button, .grip")) return;
    const row = event.target.closest("tbody tr[data-href]");
    if (row) window.location.assign(row.dataset.href);
  });
  table.addEventListener("change", update);
  document.getElementById("select-all").addEventListener("change", (event) => {
    for (const b of boxes()) b.checked = event.target.checked;
    update();
  });
  document.getElementById("bulk-delete")?.addEventListener("click", async () => {
    const ids = boxes().filter((b) => b.checked).map((b) => b.value);
    if (!ids.length || !window.confirm(t("confirm_delete"))) return;
    try {
      for (const id of ids) await api("DELETE", `${config.api}/${id}`);
      notifyAfterReload(t("deleted"));
      window.location.reload();
    } catch (err) {
      notify(err.message, "error");
    }
  });
}

// --- saved views -----------------------------------------------------------------------
function setupViews() {
  const select = document.getElementById("view-select");
  select.addEventListener("change", () => {
    const target = new URL(window.location.pathname, window.location.origin);
    target.searchParams.set("view", select.value);
    window.location.assign(target.toString());
  });
  document.getElementById("save-view").addEventListener("click", async () => {
    const name = window.prompt(t("view_name"), config.view?.kind === "personal" ? config.view.name : "");
    if (!name || !name.trim()) return;
    const widths = storedWidths();
    const definition = {
      columns: config.columns, sort: config.sort,
      filters: config.filters.map(([f, o, v]) => [f, o, v ?? ""]),
      search: config.search, where: config.where,
      widths: Object.fromEntries(Object.entries(widths).filter(([k]) => config.columns.includes(k))),
    };
    try {
      const own = config.view && config.view.kind === "personal" && config.view.name === name.trim();
      const view = own
        ? await api("PATCH", apiUrl(`/tables/${config.table}/views/${config.view.id}`), { definition })
        : await api("POST", apiUrl(`/tables/${config.table}/views`), { name: name.trim(), definition });
      notifyAfterReload(t("view_saved"));
      const target = new URL(window.location.pathname, window.location.origin);
      target.searchParams.set("view", view.id);
      window.location.assign(target.toString());
    } catch (err) {
      notify(err instanceof ApiError ? err.message : t("error"), "error");
    }
  });
}

setupFilterBuilder();
setupColumns();
setupRows();
setupViews();
document.body.dataset.ready = "1";
