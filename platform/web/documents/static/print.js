// The Print menus: "Send by email" on a card (a dialog filled from the template's email
// settings, sent through the API), and a list's "Selected" / "All matching" printing, which
// posts the selected ids or the list's filters and opens the run's progress page.
import { api, el, notify, readConfig } from "/static/js/app.js";

const strings = readConfig("print-strings") || {};
const say = (key, params = {}) => {
  let text = strings[key] || key;
  for (const [name, value] of Object.entries(params)) text = text.replace(`{${name}}`, value);
  return text;
};

function setupEmail() {
  const dialog = document.getElementById("email-dialog");
  if (!dialog) return;
  document.body.append(dialog); // out of the card's form: Enter in a field sends nothing else
  const field = (id) => document.getElementById(id);
  const error = field("email-error");
  const send = field("email-send");
  let target = null;
  const showError = (message) => { error.textContent = message; error.hidden = !message; };

  for (const button of document.querySelectorAll("[data-email-draft]")) {
    button.addEventListener("click", async () => {
      target = button.dataset.emailSend;
      showError("");
      field("email-template").textContent = button.dataset.templateName;
      for (const id of ["email-to", "email-subject", "email-message"]) field(id).value = "";
      field("email-to").placeholder = say("loading");
      send.disabled = true;
      dialog.showModal();
      try {
        const draft = await api("GET", button.dataset.emailDraft);
        field("email-to").value = draft.to;
        field("email-subject").value = draft.subject;
        field("email-message").value = draft.message;
        field("email-format").replaceChildren(...draft.formats.map((f) => el("option", { value: f, text: f.toUpperCase(), selected: f === draft.format })));
        send.disabled = false;
        field("email-to").focus();
      } catch (err) {
        showError(err.message);
      }
    });
  }
  send.addEventListener("click", async () => {
    showError("");
    send.disabled = true;
    const label = send.textContent;
    send.textContent = say("sending");
    try {
      const sent = await api("POST", target, {
        to: field("email-to").value, subject: field("email-subject").value,
        message: field("email-message").value, format: field("email-format").value,
      });
      dialog.close();
      notify(say("sent", { to: sent.to.join(", ") }), "success");
    } catch (err) {
      showError(err.message);
    } finally {
      send.disabled = false;
      send.textContent = label;
    }
  });
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.tagName === "INPUT") event.preventDefault();
  });
}

function setupListPrint() {
  const forms = [...document.querySelectorAll("form[data-list-print]")];
  if (!forms.length) return;
  const selected = () => [...document.querySelectorAll(".row-select:checked")].map((box) => box.value);
  const sync = () => {
    const ids = selected();
    for (const form of forms) {
      form.querySelector('input[name="ids"]').value = ids.join(",");
      const button = form.querySelector("[data-needs-selection]");
      button.disabled = ids.length === 0;
      button.textContent = button.textContent.replace(/\s*\(\d+\)$/, "") + (ids.length ? ` (${ids.length})` : "");
    }
  };
  document.addEventListener("change", (event) => {
    if (event.target.matches(".row-select, #select-all")) setTimeout(sync, 0);
  });
  sync();
}

setupEmail();
setupListPrint();
