// The live card: while the user edits, the server computes what a save would compute from
// the unsaved values (defaults, formula fields, line items and their totals, "show only
// when", problems and the table's rules) and this module shows its answer. Nothing is
// computed here: one debounced request to the card's preview URL after each pause.
//
// A field the user has not touched follows its default (a due date that is the invoice
// date plus 14 days moves with the invoice date); once touched it keeps what was typed.

import { api, ApiError, el, t } from "./app.js";
import { readValue } from "./widgets.js";

const DELAY = 300;

export function setupLive(form, { isNew, changedValues }) {
  const url = form.dataset.preview;
  if (!url) return () => {};
  const touched = new Set();           // top-level fields the user changed
  const rowTouched = new WeakMap();    // line row -> Set of its touched cells
  const defaulted = new Set();         // top-level fields showing a default
  let timer = null;
  let controller = null;
  let sequence = 0;

  const fieldOf = (name) => form.querySelector(`.field[data-field="${CSS.escape(name)}"]`);
  const widgetOf = (field) => field.querySelector("[data-col]");
  const topFields = () => [...form.querySelectorAll(".field[data-field]")];

  if (isNew) {  // values the page came with (a related list's "add new") count as given
    for (const field of topFields()) {
      if (field.dataset.type === "lines" || field.dataset.default === "1") continue;
      const value = readValue(widgetOf(field), field.dataset.type);
      if (value !== undefined && value !== null && value !== "" && !(Array.isArray(value) && !value.length)) touched.add(field.dataset.field);
    }
    for (const field of topFields()) if (field.dataset.default === "1") defaulted.add(field.dataset.field);
  }

  const markTouched = (target) => {
    const cell = target.closest?.("td[data-cell]");
    if (cell) {
      const row = cell.closest("tr");
      if (!rowTouched.has(row)) rowTouched.set(row, new Set());
      rowTouched.get(row).add(cell.dataset.cell);
      return;
    }
    const field = target.closest?.(".field[data-field]");
    if (field && field.dataset.type !== "lines") {
      touched.add(field.dataset.field);
      defaulted.delete(field.dataset.field);
    }
  };

  const linesOf = (container) => [...container.querySelectorAll(":scope > table > tbody > tr")].map((row) => {
    const line = {};
    const cells = rowTouched.get(row) || new Set();
    if (row.dataset.lineId) line.id = Number(row.dataset.lineId);
    for (const cell of row.querySelectorAll("td[data-cell]")) {
      if (!row.dataset.lineId && !cells.has(cell.dataset.cell)) continue;  // a new line's defaults
      const value = readValue(cell.querySelector("[data-col]"), cell.dataset.type);
      if (value !== undefined) line[cell.dataset.cell] = value;
    }
    return line;
  });

  const payload = () => {
    const values = {};
    if (isNew) {
      for (const field of topFields()) {
        const name = field.dataset.field;
        if (field.dataset.type === "lines" || !touched.has(name)) continue;
        const value = readValue(widgetOf(field), field.dataset.type);
        if (value !== undefined) values[name] = value;
      }
    } else {
      Object.assign(values, changedValues());
    }
    for (const container of form.querySelectorAll(".lines[data-col]")) values[container.dataset.col] = linesOf(container);
    return { values };
  };

  const run = async () => {
    controller?.abort();
    controller = new AbortController();
    const mine = ++sequence;
    form.classList.add("computing");
    try {
      const answer = await api("POST", url, payload(), { signal: controller.signal });
      if (mine === sequence) show(answer);
    } catch (err) {
      if (err.name === "AbortError") return;
      if (!(err instanceof ApiError)) throw err;  // no right to save: the card stays as it is
    } finally {
      if (mine === sequence) form.classList.remove("computing");
    }
  };

  const schedule = () => { clearTimeout(timer); timer = setTimeout(run, DELAY); };

  // --- showing the answer ------------------------------------------------------------------
  function setWidget(node, type, value, text) {
    if (node.tagName === "OUTPUT") { node.value = text ?? ""; return; }
    if (type === "boolean") { node.checked = Boolean(value); return; }
    if (type === "link") {
      node.dataset.value = value && typeof value === "object" ? String(value.id) : value ? String(value) : "";
      const input = node.querySelector("input");
      if (input) input.value = value && typeof value === "object" ? value.display ?? "" : value ? `#${value}` : "";
      return;
    }
    if (type === "multi_choice") {
      for (const box of node.querySelectorAll("input")) box.checked = Array.isArray(value) && value.includes(box.value);
      return;
    }
    if (node.classList.contains("locale-input")) {
      node.dataset.value = value === null || value === undefined ? "" : String(typeof value === "object" ? value.amount : value);
    }
    node.value = text ?? (value ?? "");
  }

  function problem(container, messages) {
    let box = container.querySelector(":scope > .live-problem");
    if (!messages || !messages.length) { if (box) box.remove(); return; }
    if (!box) { box = el("span", { class: "live-problem small", role: "status" }); container.append(box); }
    box.textContent = messages.join("; ");
  }

  function showLines(container, lines, errors, totals) {
    const name = container.dataset.col;
    const rows = [...container.querySelectorAll(":scope > table > tbody > tr")];
    rows.forEach((row, i) => {
      const line = lines?.[i];
      if (!line) return;
      const cells = rowTouched.get(row) || new Set();
      for (const cell of row.querySelectorAll("td[data-cell]")) {
        const col = cell.dataset.cell;
        const node = cell.querySelector("[data-col]");
        if (node.tagName === "OUTPUT") node.value = line._display?.[col] ?? "";
        else if (!row.dataset.lineId && !cells.has(col) && col in (line._edit || {})) {
          setWidget(node, cell.dataset.type, line[col], line._edit[col]);
        }
        problem(cell, cells.has(col) ? errors[`${name}[${i}].${col}`] : null);
      }
    });
    for (const total of container.querySelectorAll("tfoot td[data-total]")) {
      total.textContent = totals?.[total.dataset.total] ?? "";
    }
  }

  function show(answer) {
    const values = answer.values || {};
    const display = values._display || {};
    const edit = values._edit || {};
    const defaults = new Set(answer.defaults || []);
    for (const field of topFields()) {
      const name = field.dataset.field;
      const type = field.dataset.type;
      if (name in (answer.visible || {})) field.hidden = !answer.visible[name];
      if (type === "lines") {
        const container = field.querySelector(".lines[data-col]");
        if (container) showLines(container, values[name], answer.errors || {}, values._totals?.[name]);
        continue;
      }
      const node = widgetOf(field);
      if (node.tagName === "OUTPUT") {
        if (name in display) node.value = display[name];
      } else if (!touched.has(name) && defaults.has(name)) {
        setWidget(node, type, values[name], edit[name]);
        defaulted.add(name);
        field.dataset.default = "1";
      } else if (!touched.has(name) && defaulted.has(name)) {  // its default went away
        setWidget(node, type, null, "");
        defaulted.delete(name);
        delete field.dataset.default;
      }
      problem(field, touched.has(name) ? answer.errors?.[name] : null);
    }
    let rules = document.getElementById("live-rules");
    if (!rules) {
      rules = el("p", { id: "live-rules", class: "alert alert-warning", role: "status", hidden: true });
      document.getElementById("form-error").after(rules);
    }
    const messages = (answer.rules || []).map((r) => r.message);
    rules.textContent = messages.length ? `${t("rules_broken")} ${messages.join(" · ")}` : "";
    rules.hidden = !messages.length;
    form.dispatchEvent(new CustomEvent("cf-preview", { detail: answer }));
  }

  form.addEventListener("input", (event) => { markTouched(event.target); schedule(); });
  form.addEventListener("change", (event) => { markTouched(event.target); schedule(); });
  form.addEventListener("cf-value", schedule);
  return { schedule, run };
}
