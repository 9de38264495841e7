// Import pages: the key field only when records are updated, buttons that say they are
// working, the progress of a long check or import, and a confirmation before a revert.

import { t } from "./app.js";

function setupMapping() {
  const mode = document.getElementById("import-mode");
  const key = document.querySelector(".key-choice");
  if (mode && key) {
    const toggle = () => { key.hidden = mode.value === "create"; };
    mode.addEventListener("change", toggle);
    toggle();
  }
  for (const form of document.querySelectorAll("form.import-map, form.import-upload")) {
    form.addEventListener("submit", (event) => {
      const button = event.submitter;
      if (!button) return;
      // the pressed button's name and value still go with the form
      setTimeout(() => { for (const b of form.querySelectorAll("button[type=submit]")) b.disabled = true; }, 0);
      button.dataset.label = button.textContent;
      button.textContent = t("working");
    });
  }
}

function setupProgress() {
  const box = document.getElementById("import-progress");
  if (!box) return;
  const bar = document.getElementById("progress-bar");
  const text = document.getElementById("progress-text");
  const poll = async () => {
    try {
      const response = await fetch(box.dataset.status, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      const status = await response.json();
      if (status.state !== "running") { window.location.reload(); return; }
      if (status.total) { bar.max = status.total; bar.value = status.done; }
      text.textContent = t("rows_done", { done: status.done.toLocaleString(document.documentElement.lang || undefined) });
    } catch {
      // the next poll tries again
    }
    setTimeout(poll, 700);
  };
  setTimeout(poll, 500);
}

function setupRevert() {
  for (const form of document.querySelectorAll("form.revert-form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
}

setupMapping();
setupProgress();
setupRevert();
document.body.dataset.ready = "1";
