// The editable list: a list's cells edited in place, like a spreadsheet.
//
// "Edit in the list" (remembered per table) switches it on; until then a click opens the
// card. Click a cell to select it; arrows, Tab and Shift+Tab move; Enter, F2, a double click or
// typing starts editing (Escape cancels, Enter and Tab save and move on). A block copied
// from Excel or a table is pasted from the selected cell down and to the right. Each
// change is saved through the record service with the row's version (POST …/<id>/cell):
// the row then shows what the server stored, computed columns included; a conflict or a
// value that cannot be saved is shown in that cell, with what was typed, and nothing else
// is lost. Ctrl+Z undoes the last change by saving the previous values back, with the
// version that change produced (someone else's change since is a conflict, not lost).
// Columns that cannot be edited here (links, computed fields…) open the card instead.

import { api, ApiError, el, notify, readConfig, t } from "./app.js";

const config = readConfig("list-config");
const table = document.getElementById("records");

if (table && config?.grid?.some((c) => c.editable)) setupGrid();

function setupGrid() {
  const meta = Object.fromEntries(config.grid.map((c) => [c.name, c]));
  const columnNames = config.grid.map((c) => c.name);
  const rows = () => [...table.tBodies[0].rows];
  const cellsOf = (row) => [...row.querySelectorAll("td[data-field]")];
  const undo = [];        // [{label, cells: [{id, field, before, after}]}]: one entry per action
  const queues = new Map(); // record id -> the promise of its last save (saves of a row in order)
  let current = null;     // the selected td
  let editing = null;     // {td, input, before}

  // the list opens cards on a click until "Edit in the list" is switched on (remembered per table)
  const key = `cf-grid:${config.table}`;
  let active = false;
  const toggle = el("button", { type: "button", id: "toggle-grid", "aria-pressed": "false", text: t("grid_toggle") });
  document.getElementById("toggle-columns")?.after(toggle);
  const hint = el("p", { class: "muted small grid-hint", id: "grid-hint", hidden: true, text: t("grid_hint") });
  document.getElementById("record-count")?.after(hint);
  const activate = (on) => {
    active = on;
    toggle.setAttribute("aria-pressed", String(on));
    hint.hidden = !on;
    table.classList.toggle("editable-grid", on);
    table.setAttribute("role", on ? "grid" : "table");
    for (const row of rows()) {
      for (const td of cellsOf(row)) {
        if (on) { td.tabIndex = -1; td.setAttribute("role", "gridcell"); } else { td.removeAttribute("tabindex"); td.removeAttribute("role"); }
        td.classList.toggle("can-edit", on && Boolean(meta[td.dataset.field]?.editable));
      }
    }
    if (!on) { if (editing) stopEdit(true); if (current) current.classList.remove("selected-cell"); current = null; }
    try { localStorage.setItem(key, on ? "1" : ""); } catch { /* private mode */ }
  };
  toggle.addEventListener("click", () => {
    activate(!active);
    if (active) select(cellsOf(rows()[0])[0]);
  });

  // --- selection ------------------------------------------------------------------------
  function select(td, focus = true) {
    if (!td) return;
    if (current) { current.classList.remove("selected-cell"); current.tabIndex = -1; }
    current = td;
    td.classList.add("selected-cell");
    td.tabIndex = 0;
    if (focus) td.focus();
  }
  function move(td, dRow, dCol) {
    const row = td.closest("tr");
    const cells = cellsOf(row);
    let col = cells.indexOf(td) + dCol;
    let r = rows().indexOf(row) + dRow;
    if (col >= cells.length) { col = 0; r += 1; }
    if (col < 0) { col = cells.length - 1; r -= 1; }
    const target = rows()[Math.max(0, Math.min(rows().length - 1, r))];
    return cellsOf(target)[Math.max(0, Math.min(cells.length - 1, col))];
  }

  // --- editing ----------------------------------------------------------------------------
  function editorFor(column, text) {
    if (column.type === "choice") {
      return el("select", { class: "cell-editor", "aria-label": column.label },
        el("option", { value: "", text: "—" }),
        column.choices.map((c) => el("option", { value: c.value, text: c.label, selected: c.value === text })));
    }
    if (column.type === "boolean") {
      return el("select", { class: "cell-editor", "aria-label": column.label },
        el("option", { value: "", text: "—" }), el("option", { value: "true", text: t("yes"), selected: text === "true" }),
        el("option", { value: "false", text: t("no"), selected: text === "false" }));
    }
    const input = el("input", { type: "text", class: "cell-editor", "aria-label": column.label, autocomplete: "off", spellcheck: "false" });
    input.value = text;
    return input;
  }

  function startEdit(td, typed = null) {
    const column = meta[td.dataset.field];
    if (!column?.editable) { openCard(td); return; }
    if (editing) return;
    const before = td.dataset.edit ?? "";
    const input = editorFor(column, typed ?? (td.dataset.typed ?? before));
    clearProblem(td);
    td.classList.add("editing");
    td.dataset.shown = td.textContent;
    td.replaceChildren(input);
    editing = { td, input, before };
    input.focus();
    if (input.tagName === "INPUT") input.setSelectionRange(input.value.length, input.value.length);
  }

  function stopEdit(save) {
    if (!editing) return null;
    const { td, input, before } = editing;
    editing = null;
    const text = input.value.trim();
    td.classList.remove("editing");
    td.textContent = td.dataset.shown ?? "";
    if (!save) { forgetTyped(td); return null; }
    if (text === before && td.dataset.typed === undefined) return null;
    return saveCells([{ td, text, previous: previousOf(td) }], t("grid_edit"));
  }

  function openCard(td) {
    const row = td.closest("tr");
    if (row?.dataset.href) window.location.assign(row.dataset.href);
  }

  // --- saving -----------------------------------------------------------------------------
  /** Save ``changes`` ([{td, text, previous}] or, for an undo, [{td, value, exact}]) row by
   * row, each row's saves one after the other; an undo is not itself put on the undo list. */
  function saveCells(changes, label, isUndo = false) {
    const byRow = new Map();
    for (const change of changes) {
      const row = change.td.closest("tr");
      if (!byRow.has(row)) byRow.set(row, []);
      byRow.get(row).push(change);
    }
    const entry = { label, cells: [] };
    const done = [];
    for (const [row, list] of byRow) {
      const id = row.dataset.id;
      const previous = queues.get(id) || Promise.resolve();
      const next = previous.then(() => saveRow(row, list, entry));
      queues.set(id, next.catch(() => {}));
      done.push(next);
    }
    return Promise.allSettled(done).then(() => {
      if (!isUndo && entry.cells.length) undo.push(entry);
      return entry;
    });
  }

  async function saveRow(row, list, entry) {
    const exact = list.some((c) => c.exact);
    const values = {};
    for (const change of list) values[change.td.dataset.field] = exact ? change.value : change.text;
    for (const change of list) { change.td.classList.add("saving"); clearProblem(change.td); }
    const version = Number(row.dataset.version);  // the last this page saw: someone else's save since is a conflict
    try {
      const answer = await api("POST", `${config.card_base}/${row.dataset.id}/cell`,
        { values, version, columns: columnNames, exact: exact || undefined });
      row.dataset.version = String(answer.version);
      for (const td of cellsOf(row)) {
        const name = td.dataset.field;
        if (!(name in answer.cells)) continue;
        const changed = td.textContent !== answer.cells[name];
        td.dataset.value = JSON.stringify(answer.values[name] ?? null);
        td.dataset.edit = answer.edit[name] ?? "";
        delete td.dataset.typed;
        delete td.dataset.now;
        if (!td.classList.contains("editing")) td.textContent = answer.cells[name];
        if (changed) flash(td);
      }
      for (const change of list) {
        entry.cells.push({ id: row.dataset.id, field: change.td.dataset.field, before: change.previous });
      }
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      for (const change of list) showProblem(change.td, err, exact ? null : change.text);
      if (err.code === "STALE_VERSION") await refreshRow(row, list.map((c) => c.td));
    } finally {
      for (const change of list) change.td.classList.remove("saving");
    }
  }

  /** After a conflict: the row as it is now (someone else's values, the new version); the
   * cells in ``keep`` go on showing what was typed, which Enter saves over the new version. */
  async function refreshRow(row, keep) {
    try {
      const answer = await api("GET", `${config.card_base}/${row.dataset.id}/row?cols=${encodeURIComponent(columnNames.join(","))}`);
      row.dataset.version = String(answer.version);
      for (const td of cellsOf(row)) {
        const name = td.dataset.field;
        if (!(name in answer.cells)) continue;
        td.dataset.value = JSON.stringify(answer.values[name] ?? null);
        td.dataset.edit = answer.edit[name] ?? "";
        if (keep.includes(td)) {
          td.dataset.now = answer.cells[name];
          td.querySelector(".cell-problem")?.append(` ${t("grid_reapply", { value: answer.cells[name] || "—" })}`);
        } else if (td.textContent !== answer.cells[name]) {
          td.textContent = answer.cells[name];
          flash(td);
        }
      }
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
    }
  }

  function flash(td) {
    td.classList.add("just-saved");
    setTimeout(() => td.classList.remove("just-saved"), 900);
  }

  function showProblem(td, err, typed) {
    const name = td.dataset.field;
    let message = err.message;
    if (err.code === "VALIDATION_FAILED") {
      const fields = err.details.fields || {};
      message = (fields[name] || Object.values(fields).flat()).join("; ") || err.message;
    }
    td.classList.add(err.code === "STALE_VERSION" ? "cell-conflict" : "cell-invalid");
    if (typed !== null && typed !== undefined) {
      if (td.dataset.now === undefined) td.dataset.now = td.textContent;
      td.dataset.typed = typed;
      td.textContent = typed;  // what was typed stays in the cell
    }
    td.append(el("span", { class: "cell-problem", role: "alert", text: err.code === "STALE_VERSION"
      ? `${t("grid_conflict")} ${message}` : message }));
    td.title = message;
  }

  /** Give up what was typed in a refused cell: it shows the stored value again. */
  function forgetTyped(td) {
    if (td.dataset.typed === undefined) return;
    td.textContent = td.dataset.now ?? td.textContent;
    delete td.dataset.typed;
    delete td.dataset.now;
    clearProblem(td);
  }

  function clearProblem(td) {
    td.classList.remove("cell-conflict", "cell-invalid");
    td.querySelector(".cell-problem")?.remove();
    td.removeAttribute("title");
  }

  // --- paste a block ----------------------------------------------------------------------
  function pasteBlock(text) {
    if (!current) return;
    const lines = text.replace(/\r\n?/g, "\n").replace(/\n$/, "").split("\n").map((line) => line.split("\t"));
    const startRow = rows().indexOf(current.closest("tr"));
    const startCol = cellsOf(current.closest("tr")).indexOf(current);
    const changes = [];
    let skipped = 0;
    lines.forEach((cells, i) => {
      const row = rows()[startRow + i];
      if (!row) { skipped += cells.length; return; }
      cells.forEach((value, j) => {
        const td = cellsOf(row)[startCol + j];
        if (!td || !meta[td.dataset.field]?.editable) { skipped += 1; return; }
        if (value.trim() === (td.dataset.edit ?? "")) return;
        changes.push({ td, text: value.trim(), previous: previousOf(td) });
      });
    });
    if (skipped) notify(t("grid_skipped", { n: skipped }), "info");
    if (changes.length) saveCells(changes, t("grid_paste"));
  }

  function previousOf(td) {
    try { return JSON.parse(td.dataset.value ?? "null"); } catch { return null; }
  }

  // --- undo -------------------------------------------------------------------------------
  async function undoLast() {
    const entry = undo.pop();
    if (!entry) { notify(t("grid_nothing_to_undo"), "info"); return; }
    const changes = [];
    for (const cell of entry.cells) {
      const row = table.querySelector(`tbody tr[data-id="${CSS.escape(cell.id)}"]`);
      const td = row?.querySelector(`td[data-field="${CSS.escape(cell.field)}"]`);
      if (!td) continue;
      changes.push({ td, value: cell.before, exact: true });
    }
    const result = await saveCells(changes, entry.label, true);
    if (result.cells.length) notify(t("grid_undone"), "success");
  }

  // --- events -----------------------------------------------------------------------------
  table.addEventListener("click", (event) => {
    const td = event.target.closest("td[data-field]");
    if (!active || !td || event.target.closest(".cell-editor")) return;
    event.stopPropagation();  // a click selects the cell (the # link opens the card)
    if (editing && editing.td !== td) stopEdit(true);
    select(td);
  }, true);
  table.addEventListener("dblclick", (event) => {
    const td = event.target.closest("td[data-field]");
    if (active && td && !editing) startEdit(td);
  });
  table.addEventListener("keydown", (event) => {
    if (!active) return;
    if (editing) {
      const { td } = editing;
      if (event.key === "Escape") { event.preventDefault(); stopEdit(false); select(td); }
      else if (event.key === "Enter") { event.preventDefault(); stopEdit(true); select(move(td, event.shiftKey ? -1 : 1, 0)); }
      else if (event.key === "Tab") { event.preventDefault(); stopEdit(true); select(move(td, 0, event.shiftKey ? -1 : 1)); }
      return;
    }
    if (!current || !event.target.closest("td[data-field]")) return;
    const moves = { ArrowDown: [1, 0], ArrowUp: [-1, 0], ArrowRight: [0, 1], ArrowLeft: [0, -1] };
    if (moves[event.key]) { event.preventDefault(); select(move(current, ...moves[event.key])); }
    else if (event.key === "Tab") { event.preventDefault(); select(move(current, 0, event.shiftKey ? -1 : 1)); }
    else if (event.key === "Enter" || event.key === "F2") { event.preventDefault(); startEdit(current); }
    else if (event.key === "Escape") forgetTyped(current);
    else if ((event.key === "z" || event.key === "Z") && (event.ctrlKey || event.metaKey)) { event.preventDefault(); undoLast(); }
    else if ((event.key === "Delete" || event.key === "Backspace") && meta[current.dataset.field]?.editable) {
      event.preventDefault();
      saveCells([{ td: current, text: "", previous: previousOf(current) }], t("grid_edit"));
    } else if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey
               && meta[current.dataset.field]?.editable && !["choice", "boolean"].includes(meta[current.dataset.field].type)) {
      event.preventDefault();
      startEdit(current, event.key);
    }
  });
  table.addEventListener("focusout", (event) => {
    if (editing && event.target === editing.input && !table.contains(event.relatedTarget)) stopEdit(true);
  });
  document.addEventListener("keydown", (event) => {  // Ctrl+Z anywhere on the list but in an input
    if (active && (event.key === "z" || event.key === "Z") && (event.ctrlKey || event.metaKey) && !editing
        && !event.target.closest("input, textarea, select, td[data-field]")) {
      event.preventDefault();
      undoLast();
    }
  });
  table.addEventListener("paste", (event) => {
    if (!active || editing || !current) return;
    const text = event.clipboardData?.getData("text/plain");
    if (!text) return;
    event.preventDefault();
    pasteBlock(text);
  });
  let stored = "";
  try { stored = localStorage.getItem(key) || ""; } catch { /* private mode */ }
  if (stored) activate(true);
}
