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
const OPTION_WIDGETS = ["required", "places", "currency", "target", "pattern", "choices", "fields", "expression", "visible_if", "help_text"];
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

  const adapt = () => {
    const type = config.types.find((x) => x.key === typeSelect.value);
    for (const box of dialog.querySelectorAll(".opt")) {
      const name = box.dataset.opt;
      box.hidden = !(type.options.includes(name) || (name === "target" && type.key === "link"));
    }
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
    document.getElementById("opt-required").checked = Boolean(o.required);
    document.getElementById("opt-places").value = o.places ?? "";
    document.getElementById("opt-currency").value = o.currency ?? "";
    document.getElementById("opt-target").value = o.target ?? config.tables[0]?.api_name ?? "";
    document.getElementById("opt-pattern").value = o.pattern ?? "";
    document.getElementById("opt-expression").value = o.expression ?? "";
    document.getElementById("opt-visible").value = o.visible_if ?? "";
    document.getElementById("opt-help").value = o.help_text ?? "";
    choiceRows.replaceChildren(...(o.choices || []).map(choiceRow));
    lineRows.replaceChildren();
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
    const put = (name, value) => { if (allowed.includes(name) && value !== "" && value !== null) options[name] = value; };
    put("required", document.getElementById("opt-required").checked || (editing && editing.options.required ? false : ""));
    const places = document.getElementById("opt-places").value;
    put("places", places === "" ? "" : Number(places));
    put("currency", document.getElementById("opt-currency").value.trim().toUpperCase());
    put("pattern", document.getElementById("opt-pattern").value.trim());
    put("expression", document.getElementById("opt-expression").value.trim());
    put("visible_if", document.getElementById("opt-visible").value.trim());
    put("help_text", document.getElementById("opt-help").value.trim());
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
  function paint(text, position) {
    if (!position) { mirror.replaceChildren(text); return; }
    const start = Math.max(0, Math.min(text.length, position.start ?? 0));
    const end = Math.max(start + 1, Math.min(text.length, position.end ?? start + 1));
    mirror.replaceChildren(text.slice(0, start), el("mark", { class: "formula-error", text: text.slice(start, end) || " " }), text.slice(end));
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
