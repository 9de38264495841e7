// The list-view designer: the table's default columns, their order and the sort, saved as
// the table's default view (POST /tables/{t}/views with kind "default").

import { api, ApiError, apiUrl, el, notify, notifyAfterReload, readConfig, t } from "./app.js";

const config = readConfig("listdesign-config");
const list = document.getElementById("column-rows");
const chosen = config.default ? config.default.definition.columns : config.fields.slice(0, 8).map((f) => f.name);
const ordered = [...chosen.map((n) => config.fields.find((f) => f.name === n)).filter(Boolean),
  ...config.fields.filter((f) => !chosen.includes(f.name))];

list.replaceChildren(...ordered.map((f) => el("li", { class: "row", "data-name": f.name },
  el("label", { class: "check row-main" }, el("input", { type: "checkbox", checked: chosen.includes(f.name) }), ` ${f.label}`),
  el("span", { class: "row-actions" },
    el("button", { type: "button", class: "icon move-up", "aria-label": `${t("move_up")}: ${f.label}`, text: "↑" }),
    el("button", { type: "button", class: "icon move-down", "aria-label": `${t("move_down")}: ${f.label}`, text: "↓" })))));

list.addEventListener("click", (event) => {
  const button = event.target.closest(".move-up, .move-down");
  if (!button) return;
  const row = button.closest(".row");
  const sibling = button.classList.contains("move-up") ? row.previousElementSibling : row.nextElementSibling;
  if (!sibling) return;
  if (button.classList.contains("move-up")) sibling.before(row); else sibling.after(row);
  button.focus();
});

const sort = config.default?.definition.sort?.[0] || "";
document.getElementById("sort-field").value = sort.replace(/^-/, "");
document.getElementById("sort-dir").value = sort.startsWith("-") ? "desc" : "asc";

document.getElementById("save-list").addEventListener("click", async () => {
  const columns = [...list.querySelectorAll(".row")].filter((r) => r.querySelector("input").checked).map((r) => r.dataset.name);
  const field = document.getElementById("sort-field").value;
  const definition = { columns, sort: field ? [(document.getElementById("sort-dir").value === "desc" ? "-" : "") + field] : [] };
  try {
    await api("POST", apiUrl(`/tables/${config.table}/views`), { name: "Default", kind: "default", definition });
    notifyAfterReload(t("saved"));
    window.location.reload();
  } catch (err) {
    notify(err instanceof ApiError ? err.message : t("error"), "error");
  }
});
document.body.dataset.ready = "1";
