// The reminder-rule designer: the condition is checked as it is typed (the formula check
// API, like every formula), the "when" part follows the kind, and a field name is put
// into the message by clicking it.
const form = document.getElementById("rule-form");
const csrf = document.querySelector('meta[name="csrf-token"]').content;

if (form) {
  const condition = form.querySelector("#rule-condition");
  const state = document.getElementById("condition-state");
  let timer = null;

  async function check() {
    const expression = condition.value.trim();
    if (!expression) { state.textContent = ""; state.className = "help"; return; }
    const response = await fetch(form.dataset.checkUrl, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify({expression}),
    });
    const answer = await response.json();
    if (answer.ok && answer.type && answer.type.kind === "BOOL") {
      state.textContent = "✓"; state.className = "help ok";
    } else if (answer.ok) {
      state.textContent = `The condition must give yes or no, not ${answer.type.kind}.`;
      state.className = "help field-error";
    } else {
      const first = answer.errors ? answer.errors[0] : (answer.error || {});
      const where = first.position ? ` (column ${first.position.column})` : "";
      state.textContent = (first.message || "The condition does not check.") + where;
      state.className = "help field-error";
    }
  }
  condition.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(check, 300); });
  check();

  const when = form.querySelector(".when-reminder");
  const follow = () => { when.hidden = form.querySelector('input[name="kind"]:checked').value === "digest"; };
  form.querySelectorAll('input[name="kind"]').forEach((r) => r.addEventListener("change", follow));
  follow();

  const message = form.querySelector("#rule-message");
  form.querySelectorAll(".insert-name").forEach((code) => code.addEventListener("click", () => {
    const text = `{${code.dataset.name}}`;
    const at = message.selectionStart ?? message.value.length;
    message.value = message.value.slice(0, at) + text + message.value.slice(message.selectionEnd ?? at);
    message.focus();
  }));
}
