// A print run on the server: poll its progress until the file is ready (or it failed).
import { readConfig } from "/static/js/app.js";

const config = readConfig("run-config");
const bar = document.getElementById("run-progress");
const text = document.getElementById("run-text");
const error = document.getElementById("run-error");
const ready = document.getElementById("run-ready");
const fill = (template, values) => Object.entries(values).reduce((s, [k, v]) => s.replace(`{${k}}`, v), template);

async function poll() {
  let state;
  try {
    const response = await fetch(config.status, { credentials: "same-origin", headers: { Accept: "application/json" } });
    state = await response.json();
  } catch {
    setTimeout(poll, 2000);
    return;
  }
  if (state.error || state.state === "failed") {
    error.textContent = state.error || "";
    error.hidden = false;
    return;
  }
  bar.max = state.total || 1;
  bar.value = state.done || 0;
  text.textContent = fill(config.strings.progress, { done: state.done || 0, total: state.total || 0 });
  if (state.state === "done") {
    text.textContent = fill(config.strings.done, { count: state.total });
    document.getElementById("run-file").textContent = state.filename || "";
    ready.hidden = false;
    return;
  }
  setTimeout(poll, 700);
}

if (document.querySelector(".print-run").dataset.state === "running") poll();
