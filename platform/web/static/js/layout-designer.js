// The card-layout designer: tabs -> sections -> columns -> fields, arranged by drag and
// drop (or the arrow keys on a focused field), saved through PUT /tables/{t}/layout.

import { api, ApiError, apiUrl, el, notify, notifyAfterReload, readConfig, t } from "./app.js";

const config = readConfig("layout-config");
const root = document.getElementById("layout-designer");
const labels = Object.fromEntries(config.fields.map((f) => [f.name, f.label]));
let dragged = null;

function chip(name) {
  const node = el("li", { class: "chip-field", draggable: "true", tabindex: "0", "data-name": name,
    "aria-label": labels[name] || name },
  el("span", { class: "handle", "aria-hidden": "true", text: "⠿" }), labels[name] || name);
  node.addEventListener("dragstart", (e) => { dragged = node; node.classList.add("dragging"); e.dataTransfer.setData("text/plain", name); e.dataTransfer.effectAllowed = "move"; });
  node.addEventListener("dragend", () => { node.classList.remove("dragging"); dragged = null; });
  node.addEventListener("keydown", (e) => moveByKey(node, e));
  return node;
}

function dropZone(names) {
  const zone = el("ul", { class: "drop-zone", "data-empty": t("drop_here") }, names.map(chip));
  zone.addEventListener("dragover", (e) => {
    if (!dragged) return;
    e.preventDefault();
    zone.classList.add("over");
    const after = [...zone.querySelectorAll(".chip-field:not(.dragging)")].find((c) => {
      const box = c.getBoundingClientRect();
      return e.clientY < box.top + box.height / 2;
    });
    if (after) after.before(dragged); else zone.append(dragged);
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => { e.preventDefault(); zone.classList.remove("over"); });
  return zone;
}

function allZones() { return [...root.querySelectorAll(".drop-zone")]; }

function moveByKey(node, e) {
  const zone = node.parentElement;
  if (e.key === "ArrowUp" && node.previousElementSibling) node.previousElementSibling.before(node);
  else if (e.key === "ArrowDown" && node.nextElementSibling) node.nextElementSibling.after(node);
  else if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
    const zones = allZones();
    const next = zones[zones.indexOf(zone) + (e.key === "ArrowRight" ? 1 : -1)];
    if (!next) return;
    next.append(node);
  } else return;
  e.preventDefault();
  node.focus();
}

function sectionNode(section) {
  const columns = el("div", { class: "designer-columns" });
  const count = el("select", { class: "column-count", "aria-label": t("columns") },
    [1, 2, 3, 4].map((n) => el("option", { value: n, text: `${n}`, selected: n === section.columns })));
  const fill = (n, lists) => {
    const current = lists || [...columns.querySelectorAll(".drop-zone")].map((z) => [...z.children].map((c) => c.dataset.name));
    while (current.length < n) current.push([]);
    const kept = current.slice(0, n);
    for (const extra of current.slice(n)) kept[n - 1].push(...extra);
    columns.replaceChildren(...kept.map(dropZone));
    columns.dataset.count = String(n);
  };
  fill(section.columns, section.fields.map((c) => [...c]));
  count.addEventListener("change", () => fill(Number(count.value)));
  const title = el("input", { class: "section-title", value: section.title || "", placeholder: t("section_title"), "aria-label": t("section_title") });
  const node = el("fieldset", { class: "designer-section" },
    el("div", { class: "designer-bar" }, title, el("label", { class: "small" }, `${t("columns")} `, count),
      el("button", { type: "button", class: "icon", "aria-label": t("remove_section"), text: "✕",
        onclick: () => { const rest = node.querySelectorAll(".chip-field"); const target = otherZone(node); rest.forEach((c) => target?.append(c)); if (target) node.remove(); } })),
    columns);
  return node;
}

function otherZone(except) {
  return allZones().find((z) => !except.contains(z));
}

function tabNode(tab) {
  const sections = el("div", { class: "designer-sections" }, tab.sections.map(sectionNode));
  const title = el("input", { class: "tab-title", value: tab.title, "aria-label": t("tab_title"), required: true });
  const node = el("section", { class: "designer-tab" },
    el("div", { class: "designer-bar tab-bar" }, title,
      el("button", { type: "button", text: `+ ${t("new_section")}`,
        onclick: () => sections.append(sectionNode({ title: "", columns: 2, fields: [[], []] })) }),
      el("button", { type: "button", class: "icon", "aria-label": t("remove_tab"), text: "✕",
        onclick: () => {
          if (root.querySelectorAll(".designer-tab").length < 2) { notify(t("last_tab"), "error"); return; }
          const target = otherZone(node);
          node.querySelectorAll(".chip-field").forEach((c) => target.append(c));
          node.remove();
        } })),
    sections);
  return node;
}

function serialize() {
  return {
    tabs: [...root.querySelectorAll(".designer-tab")].map((tab) => ({
      title: tab.querySelector(".tab-title").value.trim() || t("new_tab"),
      sections: [...tab.querySelectorAll(".designer-section")].map((s) => ({
        title: s.querySelector(".section-title").value.trim(),
        columns: Number(s.querySelector(".column-count").value),
        fields: [...s.querySelectorAll(".drop-zone")].map((z) => [...z.children].map((c) => c.dataset.name)),
      })),
    })),
  };
}

root.replaceChildren(...config.layout.tabs.map(tabNode));
document.getElementById("add-tab").addEventListener("click", () => {
  const tab = tabNode({ title: t("new_tab"), sections: [{ title: "", columns: 2, fields: [[], []] }] });
  root.append(tab);
  tab.querySelector(".tab-title").select();
  tab.querySelector(".tab-title").focus();
});
document.getElementById("save-layout").addEventListener("click", async () => {
  try {
    await api("PUT", apiUrl(`/tables/${config.table}/layout`), { layout: serialize() });
    notifyAfterReload(t("layout_saved"));
    window.location.reload();
  } catch (err) {
    notify(err instanceof ApiError ? err.message : t("error"), "error");
  }
});
document.getElementById("reset-layout")?.addEventListener("click", async () => {
  try {
    await api("DELETE", apiUrl(`/tables/${config.table}/layout`));
    notifyAfterReload(t("layout_reset"));
    window.location.reload();
  } catch (err) {
    notify(err.message, "error");
  }
});
document.body.dataset.ready = "1";
