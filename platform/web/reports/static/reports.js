// The report designer: fields are dragged (or added with buttons) to rows, columns and
// values; every change runs a live preview through POST /api/v1/reports/preview. A cell
// click asks POST /api/v1/reports/drill for the records filter and opens the list view
// with it. The chart is SVG drawn here. Saving uses POST or PATCH /api/v1/reports.
import { api, apiUrl, el, notify, readConfig } from "/static/js/app.js";

const config = readConfig("report-config");
const S = readConfig("report-strings");
const SVG = "http://www.w3.org/2000/svg";
const AGGS = ["count", "sum", "avg", "min", "max", "count_distinct"];
const DATES = ["", "day", "week", "month", "quarter", "year"];

const report = config.report;
const def = report.definition;
const state = {
  table: report.table,
  rows: def.rows || [],
  columns: def.columns || [],
  values: def.values && def.values.length ? def.values : [{ agg: "count" }],
  where: def.where || "",
  subtotals: Boolean(def.subtotals),
  chart: (def.chart && def.chart.type) || "column",
};
let lastResult = null;
let timer = null;
let controller = null;

const $ = (id) => document.getElementById(id);

function tableInfo() {
  return config.tables.find((t) => t.api_name === state.table) || { fields: [] };
}

function fieldInfo(path) {
  return tableInfo().fields.find((f) => f.path === path) || { path, label: path, type: "text" };
}

function definition() {
  const d = { rows: state.rows, columns: state.columns, values: state.values, totals: true,
              subtotals: state.subtotals, chart: { type: state.chart === "none" ? "none" : state.chart, value: 0 } };
  if (state.where.trim()) d.where = state.where.trim();
  return d;
}

// --- palette --------------------------------------------------------------------------
function renderTables() {
  const select = $("report-table");
  select.replaceChildren(...config.tables.map((t) => el("option", { value: t.api_name, text: t.label })));
  select.value = state.table;
  select.addEventListener("change", () => {
    state.table = select.value;
    state.rows = []; state.columns = []; state.values = [{ agg: "count" }];
    renderPalette(); renderZones(); schedule();
  });
}

function renderPalette() {
  const query = $("field-search").value.trim().toLowerCase();
  const list = $("field-list");
  list.replaceChildren();
  for (const f of tableInfo().fields) {
    if (query && !f.label.toLowerCase().includes(query)) continue;
    const add = (zone, text, mark) => el("button", {
      type: "button", class: "mini", title: text, "aria-label": `${text}: ${f.label}`,
      onclick: () => addTo(zone, f.path),
    }, mark);
    list.append(el("li", { class: "field-chip", draggable: "true", "data-path": f.path,
                           ondragstart: (e) => e.dataTransfer.setData("text/plain", f.path) },
      el("span", { class: "field-label", text: f.label }),
      el("span", { class: "field-add" }, add("rows", S.to_rows, "R"), add("columns", S.to_columns, "C"),
         add("values", S.to_values, "Σ"))));
  }
}

function addTo(zone, path) {
  const f = fieldInfo(path);
  if (zone === "values") {
    if (state.values.length === 1 && !state.values[0].field) state.values = [];
    state.values.push({ field: path, agg: f.numeric ? "sum" : "count" });
  } else {
    const other = zone === "rows" ? state.columns : state.rows;
    const list = zone === "rows" ? state.rows : state.columns;
    if (list.concat(other).some((g) => g.field === path)) return;
    list.push(f.date ? { field: path, date: "month" } : { field: path });
  }
  renderZones();
  schedule();
}

// --- zones ----------------------------------------------------------------------------
function renderZones() {
  for (const zone of document.querySelectorAll(".zone")) {
    const name = zone.dataset.zone;
    const items = state[name];
    const ul = zone.querySelector("ul");
    ul.replaceChildren();
    if (!items.length) ul.append(el("li", { class: "zone-empty", text: S.drop }));
    items.forEach((item, i) => ul.append(zoneItem(name, item, i)));
  }
}

function zoneItem(zone, item, index) {
  const f = item.field ? fieldInfo(item.field) : { label: S.records };
  const remove = el("button", { type: "button", class: "mini", "aria-label": `${S.remove}: ${f.label}`,
    onclick: () => { state[zone].splice(index, 1); if (zone === "values" && !state.values.length) state.values.push({ agg: "count" }); renderZones(); schedule(); } }, "×");
  const li = el("li", { class: "zone-item" }, el("span", { text: f.label }));
  if (zone === "values") {
    const allowed = f.numeric ? AGGS : item.field ? ["count", "count_distinct", "min", "max"] : ["count"];
    const select = el("select", { "aria-label": `${S.values}: ${f.label}` },
      ...allowed.map((a) => el("option", { value: a, text: S[a], selected: a === item.agg })));
    select.addEventListener("change", () => { item.agg = select.value; schedule(); });
    li.append(select);
  } else if (f.date) {
    const select = el("select", { "aria-label": `${f.label}` },
      ...DATES.map((d) => el("option", { value: d, text: d ? S[d] : S.no_date, selected: (item.date || "") === d })));
    select.addEventListener("change", () => { if (select.value) item.date = select.value; else delete item.date; schedule(); });
    li.append(select);
  }
  li.append(remove);
  return li;
}

function setupDrops() {
  for (const zone of document.querySelectorAll(".zone")) {
    zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (e) => {
      e.preventDefault();
      zone.classList.remove("over");
      const path = e.dataTransfer.getData("text/plain");
      if (path) addTo(zone.dataset.zone, path);
    });
  }
}

// --- preview --------------------------------------------------------------------------
function schedule() {
  clearTimeout(timer);
  timer = setTimeout(preview, 250);
}

async function preview() {
  if (controller) controller.abort();
  controller = new AbortController();
  const box = $("report-error");
  try {
    const data = await api("POST", apiUrl("/reports/preview"), { table: state.table, definition: definition() },
                           { signal: controller.signal });
    box.hidden = true;
    lastResult = data.result;
    renderResult(lastResult);
  } catch (err) {
    if (err.name === "AbortError") return;
    box.textContent = err.message;
    box.hidden = false;
  }
}

function format(value, info) {
  if (value === null || value === undefined) return "";
  const number = Number(value);
  if (Number.isNaN(number)) return String(value);
  const places = info && (info.type === "money" || info.type === "decimal") ? 2 : 0;
  return number.toLocaleString(document.documentElement.lang || undefined,
                               { minimumFractionDigits: places, maximumFractionDigits: Math.max(places, 2) });
}

function renderResult(result) {
  const wrap = $("report-preview");
  const body = result.rows.filter((r) => r.kind !== "total");
  if (!body.length) {  // nothing grouped yet is a first step, not an empty result
    const grouped = state.rows.length || state.columns.length;
    wrap.replaceChildren(el("p", { class: "muted", id: "report-hint", text: grouped ? S.empty : S.start }));
    $("report-chart-box").replaceChildren();
    return;
  }
  const head = el("tr", {}, el("th", { scope: "col", text: result.row_fields.map((f) => f.label).join(" / ") }));
  for (const c of result.columns) {
    const label = [...c.labels, result.values[c.value].label].filter(Boolean).join(" · ");
    head.append(el("th", { scope: "col", class: c.total ? "total" : null, text: label }));
  }
  const rows = result.rows.map((r) => {
    const tr = el("tr", { class: `kind-${r.kind}` },
      el("th", { scope: "row", style: null, class: `level-${r.level}`, text: r.labels.length ? r.labels[r.labels.length - 1] : S.total }));
    r.cells.forEach((cell, i) => {
      const column = result.columns[i];
      const button = el("button", { type: "button", class: "drill", title: S.drill,
        onclick: () => drill(r.keys, column.keys) }, format(cell, result.values[column.value]));
      tr.append(el("td", { class: column.total ? "total" : null }, cell === null ? "" : button));
    });
    return tr;
  });
  wrap.replaceChildren(el("table", { class: "pivot" }, el("thead", {}, head), el("tbody", {}, ...rows)));
  renderChart(result);
}

async function drill(rowKeys, columnKeys) {
  try {
    const answer = await api("POST", apiUrl("/reports/drill"), {
      table: state.table, definition: definition(), row_keys: rowKeys, column_keys: columnKeys });
    const url = new URL(config.list_url.replace("__table__", encodeURIComponent(answer.table)), location.origin);
    for (const f of answer.filter) url.searchParams.append("filter", f);
    if (!answer.filter.length) url.searchParams.set("q", "");
    location.assign(url.toString());
  } catch (err) {
    notify(err.message, "error");
  }
}

// --- chart ----------------------------------------------------------------------------
function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function renderChart(result) {
  const box = $("report-chart-box");
  box.replaceChildren();
  if (state.chart === "none") return;
  const top = result.rows.filter((r) => r.kind === "row" && r.level === 0 || r.kind === "subtotal" && r.level === 0);
  const outer = top.length ? top : result.rows.filter((r) => r.kind === "row");
  let column = result.columns.findIndex((c) => c.value === 0 && c.total);
  if (column < 0) column = result.columns.findIndex((c) => c.value === 0);
  const points = outer.filter((r) => r.kind === "row" || r.level === 0).slice(0, 40)
    .map((r) => ({ label: r.labels.join(" / "), value: Number(r.cells[column]) || 0 }));
  if (!points.length) return;
  const width = 720, height = 260, left = 56, bottom = 70, plotH = height - bottom - 10;
  const max = Math.max(...points.map((p) => p.value), 0) || 1;
  const min = Math.min(...points.map((p) => p.value), 0);
  const span = max - min || 1;
  const y = (v) => 10 + plotH * (max - v) / span;
  const step = (width - left - 10) / points.length;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart",
                             "aria-label": `${S.chart}: ${result.values[0].label}` });
  chart.append(svg("line", { x1: left, x2: width - 10, y1: y(0), y2: y(0), class: "axis" }));
  chart.append(svg("text", { x: left - 6, y: y(max) + 4, class: "tick", "text-anchor": "end" }, format(max)));
  if (state.chart === "line") {
    const path = points.map((p, i) => `${i ? "L" : "M"}${left + step * (i + 0.5)},${y(p.value)}`).join(" ");
    chart.append(svg("path", { d: path, class: "series-line" }));
  }
  points.forEach((p, i) => {
    const x = left + step * i;
    if (state.chart === "line") {
      chart.append(svg("circle", { cx: x + step / 2, cy: y(p.value), r: 3, class: "series-dot" }));
    } else {
      chart.append(svg("rect", { x: x + step * 0.15, width: step * 0.7, y: Math.min(y(p.value), y(0)),
                                 height: Math.abs(y(0) - y(p.value)), class: "series-bar" },
                       undefined));
    }
    const label = p.label.length > 14 ? p.label.slice(0, 13) + "…" : p.label;
    chart.append(svg("text", { x: x + step / 2, y: height - bottom + 14, class: "tick",
                               transform: `rotate(35 ${x + step / 2} ${height - bottom + 14})` }, label));
  });
  box.append(chart);
}

// --- save and export ------------------------------------------------------------------
function renderExports() {
  const box = $("report-exports");
  box.replaceChildren();
  if (!report.id) return;
  for (const fmt of config.formats) {
    box.append(el("a", { class: "button", href: apiUrl(`/reports/${report.id}/export?format=${fmt}`),
                         download: "" }, fmt.toUpperCase()));
  }
}

async function save() {
  const name = $("report-name").value.trim();
  if (!name) { notify(S.need_name, "error"); $("report-name").focus(); return; }
  const body = { name, table: state.table, definition: definition(), shared: $("report-shared").checked };
  try {
    const saved = report.id
      ? await api("PATCH", apiUrl(`/reports/${report.id}`), body)
      : await api("POST", apiUrl("/reports"), body);
    Object.assign(report, saved);
    history.replaceState(null, "", `${location.pathname.replace(/\/(new|\d+)$/, "")}/${saved.id}`);
    document.querySelector(".report-head h1").textContent = saved.name;
    renderExports();
    notify(S.saved, "success");
  } catch (err) {
    notify(err.message, "error");
  }
}

function start() {
  renderTables();
  renderPalette();
  renderZones();
  setupDrops();
  $("field-search").addEventListener("input", renderPalette);
  $("report-where").value = state.where;
  $("report-where").addEventListener("input", () => { state.where = $("report-where").value; schedule(); });
  $("report-subtotals").checked = state.subtotals;
  $("report-subtotals").addEventListener("change", () => { state.subtotals = $("report-subtotals").checked; schedule(); });
  $("report-chart").value = state.chart === "bar" ? "column" : state.chart;
  $("report-chart").addEventListener("change", () => { state.chart = $("report-chart").value; if (lastResult) renderChart(lastResult); });
  $("report-name").value = report.name || "";
  $("report-shared").checked = Boolean(report.shared);
  $("report-save-button").addEventListener("click", save);
  renderExports();
  preview();
}

start();
