// GOV.UK Frontend's components (error summary focus, service navigation menu, …), and
// "select all shown" on long lists of checkboxes. Everything works without this file.
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();

for (const box of document.querySelectorAll("[data-select-all]")) {
  const group = document.getElementById(box.dataset.selectAll);
  if (!group) continue;
  const items = () => group.querySelectorAll('input[type="checkbox"]');
  const sync = () => {
    const all = [...items()];
    box.checked = all.length > 0 && all.every((i) => i.checked);
  };
  box.closest("[hidden]")?.removeAttribute("hidden");
  box.addEventListener("change", () => {
    for (const item of items()) item.checked = box.checked;
  });
  group.addEventListener("change", sync);
  sync();
}
