// The table designer: tables (create, rename, reorder, trash, restore, sections) and
// fields (add, edit with a dialog that adapts to the type, reorder, trash, restore).
// Every change goes through the REST API; a retype is first tried with dry_run.

import { api, ApiError, apiUrl, el, notify, notifyAfterReload, readConfig, t } from "./app.js";

function fail(err, box) {
  const message = err instanceof ApiError ? err.message : t("error");
  if (box) { box.textContent = message; box.hidden = false; } else notify(message, "error");
}

/** Up/down buttons on a list of rows; ``save(names)`` stores the new order. */
function setupReorder(list, save) {
  list?.addEventListener("click", async (event) => {
    const button = event.target.closest(".move-up, .move-down");
    if (!button) return;
    const row = button.closest(".row");
    const up = button.classList.contains("move-up");
    const sibling = up ? row.previousElementSibling : row.nextElementSibling;
    if (!sibling) return;
    if (up) sibling.before(row); else sibling.after(row);
    button.focus();
    if (save) {
      try { await save([...list.querySelectorAll(".row")].map((r) => r.dataset.name)); } catch (err) { fail(err); }
    }
  });
}

// --- tables home ---------------------------------------------------------------------------
function setupHome() {
  const dialog = document.getElementById("table-dialog");
  if (!dialog) return;
  const label = document.getElementById("table-label");
  const section = document.getElementById("table-section");
  const error = document.getElementById("table-error");
  let renaming = null;
  const open = (row) => {
    renaming = row;
    document.getElementById("table-dialog-title").textContent = row ? t("rename") : t("new_table");
    label.value = row ? row.dataset.label : "";
    section.value = row ? row.dataset.section : "";
    error.hidden = true;
    dialog.showModal();
    label.focus();
  };
  document.getElementById("new-table").addEventListener("click", () => open(null));
  document.getElementById("table-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { label: label.value.trim(), section: section.value.trim() || null };
    try {
      if (renaming) {
        await api("PATCH", apiUrl(`/tables/${renaming.dataset.name}`), body);
        notifyAfterReload(t("saved"));
        window.location.reload();
      } else {
        const table = await api("POST", apiUrl("/tables"), body);
        notifyAfterReload(t("created"));
        window.location.assign(`/design/t/${table.api_name}`);
      }
    } catch (err) { fail(err, error); }
  });
  const rows = document.getElementById("table-rows");
  rows?.addEventListener("click", async (event) => {
    const row = event.target.closest(".row");
    if (event.target.closest(".rename-table")) open(row);
    if (event.target.closest(".delete-table")) {
      if (!window.confirm(t("confirm_delete_table"))) return;
      try { await api("DELETE", apiUrl(`/tables/${row.dataset.name}`)); notifyAfterReload(t("deleted")); window.location.reload(); } catch (err) { fail(err); }
    }
  });
  setupReorder(rows, async (names) => {
    for (const [i, name] of names.entries()) await api("PATCH", apiUrl(`/tables/${name}`), { position: i });
    notify(t("saved"), "success");
  });
  setupReorder(document.getElementById("section-rows"), null);
  document.getElementById("save-sections")?.addEventListener("click", async () => {
    const sections = [...document.querySelectorAll("#section-rows .row")].map((r) => ({
      name: r.dataset.name, hidden: r.querySelector(".section-hidden").checked }));
    try { await api("PUT", apiUrl("/sections"), { sections }); notifyAfterReload(t("saved")); window.location.reload(); } catch (err) { fail(err); }
  });
  document.addEventListener("click", async (event) => {
    const button = event.target.closest(".restore-table");
    if (!button) return;
    try { await api("POST", apiUrl(`/tables/${button.closest(".row").dataset.name}/restore`)); notifyAfterReload(t("restored")); window.location.reload(); } catch (err) { fail(err); }
  });
}

// --- fields ----------------------------------------------------------------------------------
const LINE_TYPES = ["text", "integer", "decimal", "money", "percent", "date", "boolean", "choice", "formula"];

function setupFields() {
  const config = readConfig("design-config");
  if (!config) return;
  const dialog = document.getElementById("field-dialog");
  const typeSelect = document.getElementById("field-type");
  const error = document.getElementById("field-error");
  const report = document.getElementById("retype-report");
  const force = document.getElementById("field-force");
  const choiceRows = document.getElementById("choice-rows");
  const lineRows = document.getElementById("line-rows");
  let editing = null;

  // --- the type's options, drawn from its JSON Schema (config.types[].specs) ---------------
  const typeOptions = document.getElementById("type-options");
  let values = {};  // what the dialog holds for each generated option, kept across type changes
  const optionInput = (name) => typeOptions.querySelector(`[data-option="${CSS.escape(name)}"]`);
  const remember = () => {
    for (const node of typeOptions.querySelectorAll("[data-option]")) {
      values[node.dataset.option] = node.type === "checkbox" ? node.checked : node.value;
    }
  };
  const valueControl = (spec, type, id) => {
    if (type.key === "boolean") {
      return el("select", { id, "data-option": spec.name }, el("option", { value: "", text: "—" }),
        el("option", { value: "true", text: t("yes") }), el("option", { value: "false", text: t("no") }));
    }
    if (type.key === "choice" || type.key === "multi_choice") {
      const choices = [...choiceRows.rows].map((row, i) => {
        const text = row.querySelector(".choice-label").value.trim();
        return { value: (editing?.options.choices || [])[i]?.value || text, label: text };
      }).filter((c) => c.label);
      return el("select", { id, "data-option": spec.name }, el("option", { value: "", text: "—" }),
        choices.map((c) => el("option", { value: c.value, text: c.label })));
    }
    return el("input", { id, "data-option": spec.name, spellcheck: "false",
      placeholder: { date: "2026-12-31", integer: "0", decimal: "0.00", percent: "0", money: "0.00" }[type.key] || "" });
  };
  const expressionExample = (name, key) => {
    if (name === "visible_if") return '[Status] == "active"';
    return { date: "[Date] + 14", datetime: "now()", money: "[Product].[Price]", decimal: "[Quantity] * 2",
      integer: "count([Line items])", percent: "[Client].[Discount]", boolean: "[Total] > 1000", user: "me",
      choice: '"new"' }[key] || "[Client].[Name]";
  };
  const drawOptions = (type) => {
    typeOptions.replaceChildren();
    for (const spec of type.specs) {
      const id = `opt-${spec.name}`;
      const help = spec.help ? el("p", { class: "help small muted", id: `${id}-help`, text: spec.help }) : null;
      let control;
      if (spec.kind === "bool") {
        control = el("label", { class: "check" }, el("input", { type: "checkbox", id, "data-option": spec.name,
          "aria-describedby": help ? `${id}-help` : null }), ` ${spec.label}`);
        typeOptions.append(el("div", { class: "opt", "data-opt": spec.name }, control, help));
        continue;
      }
      if (spec.kind === "value") control = valueControl(spec, type, id);
      else if (spec.kind === "integer") control = el("input", { type: "number", id, "data-option": spec.name, step: "1",
        min: spec.minimum ?? null, max: spec.maximum ?? null });
      else control = el("input", { id, "data-option": spec.name, spellcheck: "false", maxlength: spec.maxLength ?? null,
        placeholder: spec.kind === "date" ? "2026-12-31" : spec.name === "currency" ? "EUR" : spec.kind === "expression" ? expressionExample(spec.name, type.key) : spec.name === "places" ? "2" : null });
      control.setAttribute("aria-describedby", [help ? `${id}-help` : "", spec.kind === "expression" ? `${id}-status` : ""].join(" ").trim() || null);
      if (spec.kind === "expression") {
        control.classList.add("expression-input");
        control.addEventListener("input", () => { clearTimeout(control.timer); control.timer = setTimeout(() => checkExpression(control, `${id}-status`), 300); });
        control.addEventListener("focus", () => { lastExpression = control; });
      }
      typeOptions.append(el("div", { class: "opt", "data-opt": spec.name }, el("label", { for: id, text: spec.label }), control,
        spec.kind === "expression" ? el("p", { class: "small", id: `${id}-status`, "aria-live": "polite" }) : null, help));
    }
    for (const [name, value] of Object.entries(values)) {
      const node = optionInput(name);
      if (!node) continue;
      if (node.type === "checkbox") node.checked = Boolean(value); else node.value = value ?? "";
    }
  };

  const adapt = () => {
    const type = config.types.find((x) => x.key === typeSelect.value);
    remember();
    for (const box of dialog.querySelectorAll(".opt[data-opt]")) {
      if (typeOptions.contains(box)) continue;
      const name = box.dataset.opt;
      box.hidden = !(type.options.includes(name) || (name === "target" && type.key === "link"));
    }
    drawOptions(type);
    // a type's options are fixed once the field exists, except through a retype
    dialog.querySelector('[data-opt="target"]').querySelector("select").disabled = Boolean(editing) && editing.type === "link";
    dialog.querySelector('[data-opt="fields"]').hidden = type.key !== "lines" || Boolean(editing);
  };

  const choiceRow = (c = {}) => el("tr", {},
    el("td", {}, el("input", { class: "choice-label", value: c.label || c.value || "", "aria-label": t("choice_label"), required: true })),
    el("td", {}, el("input", { type: "color", class: "choice-color", value: c.color || "#94a3b8", "aria-label": t("choice_color") })),
    el("td", {}, el("button", { type: "button", class: "icon remove-row", "aria-label": t("remove"), text: "✕" })));
  const lineRow = (f = {}) => el("tr", {},
    el("td", {}, el("input", { class: "line-label", value: f.label || "", "aria-label": t("field_label") })),
    el("td", {}, el("select", { class: "line-type", "aria-label": t("field_type") },
      config.types.filter((x) => LINE_TYPES.includes(x.key)).map((x) => el("option", { value: x.key, text: x.label, selected: x.key === f.type })))),
    el("td", {}, el("button", { type: "button", class: "icon remove-row", "aria-label": t("remove"), text: "✕" })));
  dialog.addEventListener("click", (event) => {
    if (event.target.closest(".remove-row")) event.target.closest("tr").remove();
  });
  document.getElementById("add-choice").addEventListener("click", () => { choiceRows.append(choiceRow()); choiceRows.lastElementChild.querySelector("input").focus(); });
  document.getElementById("add-line-field").addEventListener("click", () => { lineRows.append(lineRow()); lineRows.lastElementChild.querySelector("input").focus(); });

  const open = (field) => {
    editing = field;
    const o = field ? field.options : {};
    document.getElementById("field-dialog-title").textContent = field ? field.label : t("new_field");
    document.getElementById("field-label").value = field ? field.label : "";
    typeSelect.value = field ? field.type : "text";
    const shown = field?.shown || {};  // expressions with labels: [End date] - [Start date]
    values = {};
    for (const [name, value] of Object.entries(o)) {
      if (value === null || value === undefined || typeof value === "object") continue;
      values[name] = shown[name] ?? (typeof value === "boolean" && !["required", "unique", "indexed"].includes(name) ? String(value) : value);
    }
    document.getElementById("opt-target").value = o.target ?? config.tables[0]?.api_name ?? "";
    document.getElementById("opt-expression").value = shown.expression ?? o.expression ?? "";
    choiceRows.replaceChildren(...(o.choices || []).map(choiceRow));
    lineRows.replaceChildren();
    typeOptions.replaceChildren();
    error.hidden = true; report.hidden = true; force.hidden = true;
    adapt();
    checkFormula();
    dialog.showModal();
    document.getElementById("field-label").focus();
  };

  const collect = () => {
    const type = typeSelect.value;
    const allowed = config.types.find((x) => x.key === type).options;
    const options = {};
    const had = (name) => editing && editing.type === type && editing.options[name] !== undefined && editing.options[name] !== null;
    const put = (name, value) => {
      if (!allowed.includes(name)) return;
      if (value !== "" && value !== null && value !== false) options[name] = value;
      else if (had(name)) options[name] = null;  // emptied: the option is removed
    };
    const spec = config.types.find((x) => x.key === type);
    for (const option of spec.specs) {
      const node = optionInput(option.name);
      if (!node) continue;
      if (option.kind === "bool") { put(option.name, node.checked); continue; }
      let value = node.value.trim();
      if (value === "") { put(option.name, ""); continue; }
      if (option.kind === "integer") value = Number(value);
      else if (option.name === "currency") value = value.toUpperCase();
      else if (option.kind === "value" && type === "boolean") value = value === "true";
      else if (option.kind === "value" && type === "integer" && /^-?\d+$/.test(value)) value = Number(value);
      else if (option.kind === "number") value = Number(value.replace(",", "."));
      put(option.name, value);
    }
    put("expression", document.getElementById("opt-expression").value.trim());
    if (type === "link" && !editing) options.target = document.getElementById("opt-target").value;
    if (allowed.includes("choices")) {
      options.choices = [...choiceRows.rows].map((row, i) => {
        const text = row.querySelector(".choice-label").value.trim();
        const value = (editing?.options.choices || [])[i]?.value || text;
        return { value, label: text, color: row.querySelector(".choice-color").value };
      }).filter((c) => c.label);
    }
    if (type === "lines" && !editing) {
      options.fields = [...lineRows.rows].map((row) => ({
        label: row.querySelector(".line-label").value.trim(), type: row.querySelector(".line-type").value,
      })).filter((f) => f.label);
    }
    return { label: document.getElementById("field-label").value.trim(), type, options };
  };

  const showReport = (conversion) => {
    report.replaceChildren();
    if (conversion && conversion.lost) {
      report.className = "alert alert-error";
      report.append(el("p", { text: `${t("retype_losses")} ${conversion.lost}` }),
        el("ul", {}, conversion.losses.map((l) => el("li", {}, el("a", { href: `/t/${config.table}/${l.id}`, target: "_blank", text: `#${l.id}` }), ` ${l.value ?? ""} — ${l.reason}`))));
      force.hidden = false;
    } else {
      report.className = "alert";
      report.append(el("p", { text: t("retype_none") }));
    }
    report.hidden = false;
  };

  const submit = async (forced) => {
    error.hidden = true;
    const body = collect();
    try {
      if (!editing) {
        await api("POST", apiUrl(`/tables/${config.table}/fields`), body);
      } else {
        const changes = { label: body.label, options: body.options };
        const retype = body.type !== editing.type;
        if (retype) {
          changes.type = body.type;
          if (!forced) {
            const plan = await api("PATCH", apiUrl(`/tables/${config.table}/fields/${editing.api_name}?dry_run=true`), changes);
            if (plan.conversion && plan.conversion.lost) { showReport(plan.conversion); return; }
          }
        }
        await api("PATCH", apiUrl(`/tables/${config.table}/fields/${editing.api_name}${forced ? "?force=true" : ""}`), changes);
      }
      notifyAfterReload(t("saved"));
      window.location.reload();
    } catch (err) {
      if (err instanceof ApiError && err.code === "RETYPE_WOULD_LOSE_VALUES") showReport({ lost: err.details.lost ?? (err.details.losses || []).length, losses: err.details.losses || [] });
      else fail(err, error);
    }
  };
  document.getElementById("field-form").addEventListener("submit", (event) => { event.preventDefault(); submit(false); });
  force.addEventListener("click", () => submit(true));
  typeSelect.addEventListener("change", () => { adapt(); report.hidden = true; force.hidden = true; });
  document.getElementById("new-field").addEventListener("click", () => open(null));

  // formula editor: checks as you type, underlines the error position
  const expression = document.getElementById("opt-expression");
  const mirror = document.getElementById("formula-mirror");
  const status = document.getElementById("formula-status");
  let timer = null;
  let controller = null;
  let lastExpression = null;
  function paint(text, position) {
    if (!position) { mirror.replaceChildren(text); return; }
    const start = Math.max(0, Math.min(text.length, position.start ?? 0));
    const end = Math.max(start + 1, Math.min(text.length, position.end ?? start + 1));
    mirror.replaceChildren(text.slice(0, start), el("mark", { class: "formula-error", text: text.slice(start, end) || " " }), text.slice(end));
  }
  async function checkExpression(input, statusId) {
    const box = document.getElementById(statusId);
    const text = input.value;
    if (!text.trim()) { box.textContent = ""; input.removeAttribute("aria-invalid"); return; }
    try {
      const result = await api("POST", apiUrl(`/tables/${config.table}/formula/check`), { expression: text, field: editing ? editing.api_name : null });
      if (result.ok) {
        box.textContent = result.expression && result.expression !== text.trim() ? `${t("formula_ok")} ${t("stored_as")} ${result.expression}` : t("formula_ok");
        box.className = "small ok";
        input.removeAttribute("aria-invalid");
      } else {
        const first = result.errors[0];
        box.textContent = `${result.errors.map((e) => e.message).join(" · ")}${first.position ? ` (${t("column_n", { n: first.position.column })})` : ""}`;
        box.className = "small field-error";
        input.setAttribute("aria-invalid", "true");
      }
    } catch (err) {
      box.textContent = err.message; box.className = "small field-error";
    }
  }

  async function checkFormula() {
    const text = expression.value;
    paint(text, null);
    if (!text.trim() || dialog.querySelector('[data-opt="expression"]').hidden) { status.textContent = ""; return; }
    controller?.abort();
    controller = new AbortController();
    status.textContent = t("checking");
    status.className = "small muted";
    try {
      const result = await api("POST", apiUrl(`/tables/${config.table}/formula/check`),
        { expression: text, field: editing ? editing.api_name : null }, { signal: controller.signal });
      if (result.ok) {
        status.textContent = `${t("formula_ok")} ${result.type?.kind ?? ""}`;
        if (result.expression && result.expression !== text.trim()) status.textContent += ` · ${t("stored_as")} ${result.expression}`;
        status.className = "small ok";
      } else {
        const first = result.errors[0];
        status.textContent = result.errors.map((e) => e.message).join(" · ");
        status.className = "small field-error";
        paint(text, first.position);
      }
    } catch (err) {
      if (err.name !== "AbortError") { status.textContent = err.message; status.className = "small field-error"; }
    }
  }
  expression.addEventListener("input", () => { paint(expression.value, null); clearTimeout(timer); timer = setTimeout(checkFormula, 250); });
  expression.addEventListener("focus", () => { lastExpression = expression; });

  // the fields a formula can use: click inserts [Label] where the cursor was
  const namesBox = document.getElementById("formula-names");
  const namesFilter = document.getElementById("formula-names-filter");
  const drawNames = () => {
    const wanted = namesFilter.value.trim().toLowerCase();
    namesBox.replaceChildren(...(config.names || []).map((group) => {
      const items = group.items.filter((i) => !wanted || i.label.toLowerCase().includes(wanted) || i.name.toLowerCase().includes(wanted));
      if (!items.length) return null;
      return el("div", { class: "name-group" }, el("p", { class: "small name-group-title" }, el("strong", { text: group.title }), group.hint ? ` — ${group.hint}` : ""),
        el("ul", { class: "name-list" }, items.map((i) => el("li", {}, el("button", { type: "button", class: "insert-name", "data-insert": i.insert,
          title: t("insert_name", { name: i.insert }) }, el("span", { class: "name-label", text: i.label }), " ", el("code", { class: "name-api", text: i.name }))))));
    }).filter(Boolean));
  };
  namesFilter.addEventListener("input", drawNames);
  namesBox.addEventListener("mousedown", (event) => { if (event.target.closest(".insert-name")) event.preventDefault(); });
  namesBox.addEventListener("click", (event) => {
    const button = event.target.closest(".insert-name");
    if (!button) return;
    const target = lastExpression && !lastExpression.closest("[hidden]") ? lastExpression : expression;
    const start = target.selectionStart ?? target.value.length;
    const end = target.selectionEnd ?? start;
    target.value = target.value.slice(0, start) + button.dataset.insert + target.value.slice(end);
    target.focus();
    target.setSelectionRange(start + button.dataset.insert.length, start + button.dataset.insert.length);
    target.dispatchEvent(new Event("input", { bubbles: true }));
  });
  drawNames();
  expression.addEventListener("scroll", () => { mirror.scrollTop = expression.scrollTop; });

  const rows = document.getElementById("field-rows");
  rows?.addEventListener("click", async (event) => {
    const row = event.target.closest(".row");
    const field = row && config.fields.find((f) => f.api_name === row.dataset.name);
    if (event.target.closest(".edit-field")) open(field);
    if (event.target.closest(".delete-field")) {
      if (!window.confirm(t("confirm_delete_field"))) return;
      try { await api("DELETE", apiUrl(`/tables/${config.table}/fields/${field.api_name}`)); notifyAfterReload(t("deleted")); window.location.reload(); } catch (err) { fail(err); }
    }
  });
  setupReorder(rows, async (names) => {
    for (const [i, name] of names.entries()) await api("PATCH", apiUrl(`/tables/${config.table}/fields/${name}`), { position: i });
    notify(t("saved"), "success");
  });
  document.addEventListener("click", async (event) => {
    const button = event.target.closest(".restore-field");
    if (!button) return;
    try { await api("POST", apiUrl(`/tables/${config.table}/fields/${button.closest(".row").dataset.name}/restore`)); notifyAfterReload(t("restored")); window.location.reload(); } catch (err) { fail(err); }
  });
}

setupHome();
setupFields();
document.body.dataset.ready = "1";
