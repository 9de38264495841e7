// The trash of a table: restore a record through the API.

import { api, notify, notifyAfterReload, t } from "./app.js";

const table = document.querySelector("table[data-api]");
table?.addEventListener("click", async (event) => {
  const button = event.target.closest("button.restore");
  if (!button) return;
  button.disabled = true;
  try {
    await api("POST", `${table.dataset.api}/${button.dataset.id}/restore`);
    notifyAfterReload(t("restored"));
    window.location.reload();
  } catch (err) {
    button.disabled = false;
    notify(err.message, "error");
  }
});
document.body.dataset.ready = "1";
