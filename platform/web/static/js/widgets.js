// Card widgets: reading a field's value as the API expects it, link pickers, line items
// grids and file uploads. card.js wires them into the form.

import { api, ApiError, apiUrl, el, t } from "./app.js";


function pad(n) { return String(n).padStart(2, "0"); }

/** ISO UTC -> the value of a datetime-local input in the browser's time zone. */
export function isoToLocal(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The value of one widget (the element carrying data-col), as the card sends it: numbers,
 * money and dates as the text typed (the server reads them in the user's locale). */
export function readValue(node, type) {
  if (node.tagName === "OUTPUT") return undefined; // read-only: never sent
  switch (type) {
    case "boolean": return node.checked;
    case "integer": case "decimal": case "percent": case "date":
      return node.value.trim() === "" ? null : node.value.trim();
    case "money":
      return node.value.trim() === "" ? null : { amount: node.value.trim(), currency: node.dataset.currency };
    case "datetime":
      return node.value === "" ? null : new Date(node.value).toISOString().replace(".000Z", "Z");
    case "multi_choice":
      return [...node.querySelectorAll("input:checked")].map((i) => i.value);
    case "link":
      return node.dataset.value ? Number(node.dataset.value) : null;
    case "file": case "image":
      return node.dataset.value ? JSON.parse(node.dataset.value) : null;
    case "lines":
      return readLines(node);
    default:
      return node.value === "" ? null : node.value;
  }
}

function readLines(container) {
  return [...container.querySelectorAll("tbody > tr")].map((row) => {
    const line = {};
    if (row.dataset.lineId) line.id = Number(row.dataset.lineId);
    for (const cell of row.querySelectorAll("td[data-cell]")) {
      const node = cell.querySelector("[data-col]");
      const value = readValue(node, cell.dataset.type);
      if (value !== undefined) line[cell.dataset.cell] = value;
    }
    return line;
  });
}

// --- line items --------------------------------------------------------------------------
/** Add, remove and reorder lines; ``onChange`` after each. The server computes the lines'
 * formulas and totals (card.js asks it for a preview and shows the answer). */
export function setupLines(container, onChange) {
  const tbody = container.querySelector("tbody");
  const template = container.querySelector("template.line-template");
  const renumber = () => {
    [...tbody.rows].forEach((row, i) => { row.querySelector(".line-no").textContent = String(i + 1); });
    onChange();
  };
  container.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const row = button.closest("tr");
    if (button.classList.contains("add-line")) {
      tbody.append(template.content.firstElementChild.cloneNode(true));
      const added = tbody.lastElementChild;
      setupWidgetsIn(added, onChange);
      renumber();
      added.querySelector("input, select, textarea")?.focus();
    } else if (button.classList.contains("line-remove")) {
      row.remove(); renumber();
      container.querySelector(".add-line").focus();
    } else if (button.classList.contains("line-up") && row.previousElementSibling) {
      row.previousElementSibling.before(row); renumber(); button.focus();
    } else if (button.classList.contains("line-down") && row.nextElementSibling) {
      row.nextElementSibling.after(row); renumber(); button.focus();
    }
  });
}

// --- link picker -------------------------------------------------------------------------
export function setupLinkPicker(picker, onChange) {
  const input = picker.querySelector("input");
  const list = picker.querySelector(".picker-list");
  const open = picker.querySelector(".open-link");
  if (!input.id) input.id = `lp-${Math.random().toString(36).slice(2)}`;
  list.id = `${input.id}-list`;
  input.setAttribute("aria-controls", list.id);
  let controller = null;
  let timer = null;
  let active = -1;
  const close = () => { list.hidden = true; input.setAttribute("aria-expanded", "false"); active = -1; };
  const choose = (id, text) => {
    picker.dataset.value = id ? String(id) : "";
    input.value = text;
    open.hidden = !id;
    if (id) open.href = `${open.dataset.base}/${id}`;
    close();
    onChange();
  };
  const search = async () => {
    controller?.abort();
    controller = new AbortController();
    const params = new URLSearchParams({ per_page: "8" });
    if (input.value.trim()) params.set("search", input.value.trim());
    if (picker.dataset.displayField) params.set("sort", picker.dataset.displayField);
    list.replaceChildren(el("li", { class: "muted", role: "presentation", text: t("searching") }));
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    try {
      const data = await api("GET", apiUrl(`/tables/${picker.dataset.target}/records?${params}`), undefined, { signal: controller.signal });
      const field = picker.dataset.displayField;
      const items = data.records.map((rec, i) => {
        let text = field && rec[field] != null ? rec[field] : `#${rec.id}`;
        if (typeof text === "object") text = text.display ?? text.amount ?? JSON.stringify(text);
        return el("li", { role: "option", id: `${list.id}-${i}`, "data-id": rec.id, "aria-selected": "false",
          onmousedown: (e) => { e.preventDefault(); choose(rec.id, String(text)); } }, String(text), el("span", { class: "muted small" }, ` #${rec.id}`));
      });
      list.replaceChildren(...(items.length ? items : [el("li", { class: "muted", role: "presentation", text: t("no_results") })]));
      active = -1;
    } catch (err) {
      if (err.name !== "AbortError") list.replaceChildren(el("li", { class: "muted", role: "presentation", text: err.message }));
    }
  };
  input.addEventListener("input", () => {
    if (!input.value.trim() && picker.dataset.value) { picker.dataset.value = ""; open.hidden = true; onChange(); }
    clearTimeout(timer);
    timer = setTimeout(search, 180);
  });
  input.addEventListener("focus", () => { if (!picker.dataset.value) search(); });
  input.addEventListener("blur", () => setTimeout(close, 120));
  input.addEventListener("keydown", (e) => {
    const options = [...list.querySelectorAll('[role="option"]')];
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (list.hidden) { search(); return; }
      active = Math.max(0, Math.min(options.length - 1, active + (e.key === "ArrowDown" ? 1 : -1)));
      options.forEach((o, i) => o.setAttribute("aria-selected", String(i === active)));
      if (options[active]) input.setAttribute("aria-activedescendant", options[active].id);
    } else if (e.key === "Enter" && !list.hidden && options[active]) {
      e.preventDefault();
      options[active].dispatchEvent(new MouseEvent("mousedown"));
    } else if (e.key === "Escape") {
      close();
    }
  });
}

// --- files -------------------------------------------------------------------------------
export function setupFileInput(box, onChange) {
  const input = box.querySelector('input[type="file"]');
  const preview = box.querySelector(".file-preview");
  const clear = box.querySelector(".file-clear");
  input.addEventListener("change", async () => {
    const file = input.files[0];
    if (!file) return;
    preview.replaceChildren(el("span", { class: "muted small", text: t("uploading") }));
    const form = new FormData();
    form.append("file", file);
    try {
      const value = await api("POST", apiUrl("/files"), form);
      box.dataset.value = JSON.stringify(value);
      const items = [];
      if (box.dataset.kind === "image") items.push(el("img", { src: URL.createObjectURL(file), alt: value.name }));
      items.push(el("a", { href: apiUrl(`/files/${value.sha256}?name=${encodeURIComponent(value.name)}`), text: value.name }));
      preview.replaceChildren(...items);
      clear.hidden = false;
      onChange();
    } catch (err) {
      preview.replaceChildren(el("span", { class: "field-error", text: `${t("upload_failed")} ${err.message}` }));
    }
  });
  clear.addEventListener("click", () => {
    box.dataset.value = "";
    preview.replaceChildren();
    input.value = "";
    clear.hidden = true;
    onChange();
  });
}

function paintSwatch(select) {
  const swatch = select.parentElement.querySelector(".swatch");
  const color = select.selectedOptions[0]?.dataset.color;
  if (swatch) { swatch.style.background = color || "transparent"; swatch.hidden = !color; }
}

// --- numbers, money and dates typed in the user's locale ---------------------------------
/** The name the server knows an input by: "price", or "lines.price" for a grid cell. */
function inputName(node) {
  const lines = node.closest(".lines[data-col]");
  return lines ? `${lines.dataset.col}.${node.dataset.col}` : node.dataset.col;
}

/** Show (or clear, with an empty message) a problem on one input: in its field's error line,
 * or, in a grid, under the cell. */
export function markInput(node, message) {
  const cell = node.closest("td[data-cell]");
  const field = cell ? null : node.closest(".field[data-field]");
  let box = field ? field.querySelector(":scope > .field-error") : cell?.querySelector(".cell-error");
  if (!box && cell && message) {
    box = el("span", { class: "cell-error", id: `ce-${Math.random().toString(36).slice(2)}`, role: "alert" });
    cell.append(box);
  }
  if (message) {
    node.setAttribute("aria-invalid", "true");
    if (box) { box.textContent = message; box.hidden = false; node.setAttribute("aria-describedby", box.id); }
    field?.classList.add("invalid");
    cell?.classList.add("invalid");
  } else {
    node.removeAttribute("aria-invalid");
    if (box) { box.textContent = ""; box.hidden = true; }
    field?.classList.remove("invalid");
    cell?.classList.remove("invalid");
    const form = node.closest("form");
    const banner = document.getElementById("form-error");
    if (form && banner && !form.querySelector('[aria-invalid="true"]')) banner.hidden = true;  // all fixed
  }
}

/** The server reads what is typed: while typing (after a pause) only the value that
 * formulas see is updated; on leaving the input, it shows what was understood (12,5 ->
 * 12,50) or keeps the text with a message saying what is wrong. A "cf-value" event tells
 * the card and the grid that the value changed. */
export function setupLocaleInput(node, onChange) {
  const form = node.closest("form[data-read-input]");
  if (!form) return;
  let asked = null;
  let timer = null;
  let controller = null;
  const settle = (value) => {
    const next = value === null || value === undefined ? "" : String(typeof value === "object" ? value.amount : value);
    if (next === node.dataset.value) return;
    node.dataset.value = next;
    node.dispatchEvent(new Event("cf-value", { bubbles: true }));
  };
  const read = async (final) => {
    clearTimeout(timer);
    const text = node.value.trim();
    if (final && text === asked) return;
    if (!text) { asked = text; settle(null); markInput(node, ""); return; }
    controller?.abort();
    controller = new AbortController();
    try {
      const answer = await api("POST", form.dataset.readInput,
        { field: inputName(node), text, currency: node.dataset.currency }, { signal: controller.signal });
      if (node.value.trim() !== text) return;  // typed on meanwhile: the next event asks again
      settle(answer.value);
      if (final) { node.value = answer.text; asked = answer.text; markInput(node, ""); }
    } catch (err) {
      if (err.name === "AbortError") return;
      if (!(err instanceof ApiError)) throw err;
      settle(null);
      if (final) {
        asked = text;
        const messages = Object.values(err.details.fields || {}).flat();
        markInput(node, messages[0] || err.message);
      }
    }
  };
  node.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => read(false), 250); });
  node.addEventListener("change", () => read(true));
  const picker = node.parentElement.querySelector(".date-picker");
  const button = node.parentElement.querySelector(".pick-date");
  if (picker && button) {
    button.addEventListener("click", () => {
      picker.value = /^\d{4}-\d{2}-\d{2}$/.test(node.dataset.value || "") ? node.dataset.value : "";
      try { picker.showPicker(); } catch { picker.focus(); }
    });
    picker.addEventListener("change", () => {
      if (!picker.value) return;
      node.value = picker.value;  // ISO: the server answers with the date in the user's format
      read(true);
      node.focus();
    });
  }
  return onChange;
}

/** Wire every widget inside ``root`` (a card, or a new line of a grid). */
export function setupWidgetsIn(root, onChange) {
  for (const node of root.querySelectorAll("input.locale-input")) setupLocaleInput(node, onChange);
  for (const node of root.querySelectorAll('input[type="datetime-local"][data-iso]')) node.value = isoToLocal(node.dataset.iso);
  for (const picker of root.querySelectorAll(".link-picker")) setupLinkPicker(picker, onChange);
  for (const box of root.querySelectorAll(".file-input")) setupFileInput(box, onChange);
  for (const select of root.querySelectorAll(".choice-input select")) {
    paintSwatch(select);
    select.addEventListener("change", () => paintSwatch(select));
  }
  for (const tag of root.querySelectorAll(".tag[data-color]")) tag.style.borderColor = tag.dataset.color;
}
