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
