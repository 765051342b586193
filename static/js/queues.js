// The queue's select-all checkbox: ticks or clears every row of the page.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.classList.contains("select-all")) return;
  const form = box.closest("form");
  if (!form) return;
  for (const row of form.querySelectorAll("input[type=checkbox][name=ids]")) row.checked = box.checked;
});
