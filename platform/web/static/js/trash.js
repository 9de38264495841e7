// The trash of a table: restore a record, delete one for good, or empty the whole trash
// (the last two only for users with the purge permission), through the API.

import { api, notify, notifyAfterReload, t } from "./app.js";

async function act(button, method, url, done) {
  button.disabled = true;
  try {
    await api(method, url);
    notifyAfterReload(done);
    window.location.reload();
  } catch (err) {
    button.disabled = false;
    notify(err.message, "error");
  }
}

const table = document.querySelector("table[data-api]");
table?.addEventListener("click", async (event) => {
  const restore = event.target.closest("button.restore");
  if (restore) {
    await act(restore, "POST", `${table.dataset.api}/${restore.dataset.id}/restore`, t("restored"));
    return;
  }
  const purge = event.target.closest("button.purge");
  if (purge && window.confirm(purge.dataset.confirm)) {
    await act(purge, "DELETE", `${table.dataset.purge}/${purge.dataset.id}`, purge.dataset.done);
  }
});

const empty = document.querySelector("button.empty-trash");
empty?.addEventListener("click", async () => {
  if (window.confirm(empty.dataset.confirm)) await act(empty, "DELETE", empty.dataset.url, empty.dataset.done);
});
document.body.dataset.ready = "1";
