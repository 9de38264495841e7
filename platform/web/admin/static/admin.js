// Administration: the condition input of a permission shows when "a condition" is chosen.
for (const select of document.querySelectorAll("select[data-rows]")) {
  const box = select.closest("td").querySelector("[data-condition]");
  if (!box) continue;
  const sync = () => {
    box.hidden = select.value !== "condition";
    if (!box.hidden && document.activeElement === select) box.querySelector("input").focus();
  };
  select.addEventListener("change", sync);
}
