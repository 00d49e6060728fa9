// Small enhancements on every Manager page (no framework needed):
// The Manager's side menu becomes a menu button on phones (≤ 760 px).
// Without JavaScript the menu simply stays open (the button stays hidden).
(function () {
  const button = document.querySelector("[data-testid=nav-toggle]");
  const nav = document.getElementById("sidenav");
  if (!button || !nav) return;
  button.hidden = false;
  nav.classList.add("collapsible");
  button.addEventListener("click", function () {
    const open = nav.classList.toggle("open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && nav.classList.contains("open")) {
      nav.classList.remove("open");
      button.setAttribute("aria-expanded", "false");
      button.focus();
    }
  });
})();

// Phone tables are card rows: give each cell its column's heading.
document.querySelectorAll("table.table").forEach(function (table) {
  const headings = Array.from(table.querySelectorAll("thead th")).map(function (th) {
    return th.textContent.trim();
  });
  table.querySelectorAll("tbody tr").forEach(function (row) {
    Array.from(row.children).forEach(function (cell, index) {
      if (headings[index] && !cell.hasAttribute("data-label")) {
        cell.setAttribute("data-label", headings[index]);
      }
    });
  });
});

// Grouped checkboxes (regions as LINE groups them): a box on each group's
// heading ticks or clears the whole group.
document.querySelectorAll(".grouped-checks > div").forEach(function (group) {
  const heading = group.querySelector(":scope > label");
  const boxes = Array.from(group.querySelectorAll("input[type=checkbox]"));
  if (!heading || !boxes.length) return;
  const all = document.createElement("input");
  all.type = "checkbox";
  all.setAttribute("aria-label", heading.textContent.trim());
  const sync = function () {
    const on = boxes.filter(function (b) { return b.checked; }).length;
    all.checked = on === boxes.length;
    all.indeterminate = on > 0 && on < boxes.length;
  };
  all.addEventListener("change", function () {
    boxes.forEach(function (b) { b.checked = all.checked; });
    sync();
  });
  boxes.forEach(function (b) { b.addEventListener("change", sync); });
  heading.prepend(all, " ");
  sync();
});
