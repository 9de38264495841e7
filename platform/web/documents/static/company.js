// The company's details: texts and the logo and stamp images, saved through the API.
import { api, notify, readConfig } from "/static/js/app.js";

const config = readConfig("company-config");
const form = document.getElementById("company-form");
const error = document.getElementById("company-error");
const images = {};

for (const input of form.querySelectorAll("[data-image]")) {
  input.addEventListener("change", async () => {
    const file = input.files[0];
    if (!file) return;
    const data = new FormData();
    data.append("file", file);
    try {
      images[input.dataset.image] = await api("POST", config.upload, data);
      form.querySelector(`[data-image-name="${input.dataset.image}"]`).textContent = file.name;
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    }
  });
}
for (const button of form.querySelectorAll("[data-image-clear]")) {
  button.addEventListener("click", () => {
    images[button.dataset.imageClear] = null;
    form.querySelector(`[data-image-name="${button.dataset.imageClear}"]`).textContent = "—";
  });
}
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const body = {};
  for (const input of form.querySelectorAll("input[name]")) body[input.name] = input.value;
  Object.assign(body, images);
  try {
    await api("PUT", config.api, body);
    notify(config.strings.saved, "success");
  } catch (err) {
    error.textContent = err.message;
    error.hidden = false;
  }
});
