// Bubbles (messaging/store/rendering.py) carry their computed layout in
// data-style and their broken-image fallbacks in data-missing, so pages keep
// a strict Content-Security-Policy (no inline style= or on…= attributes):
// styles set through the CSSOM are allowed, attributes are not. Applies to
// the bubbles on the page and to every bubble added later (live updates,
// the composer's preview).
(function () {
  function apply(root) {
    if (!root.querySelectorAll) return;
    if (root.dataset && root.dataset.style !== undefined) root.style.cssText = root.dataset.style;
    root.querySelectorAll("[data-style]").forEach(function (el) {
      el.style.cssText = el.dataset.style;
    });
    // Links in text bubbles open beside the talk app, as LINE's in-app
    // browser does, instead of replacing it.
    root.querySelectorAll(".lb-textbox a[href^='http']").forEach(function (a) {
      a.target = "_blank";
      a.rel = "noopener noreferrer";
    });
  }
  document.addEventListener("error", function (event) {
    const el = event.target;
    if (!el || !el.dataset || !el.dataset.missing) return;
    if (el.dataset.missing === "broken") el.parentNode.classList.add("lb-broken");
    else (el.dataset.missing === "parent" ? el.parentNode : el).classList.add("lb-missing");
  }, true);
  apply(document);
  new MutationObserver(function (records) {
    records.forEach(function (record) {
      record.addedNodes.forEach(function (node) { if (node.nodeType === 1) apply(node); });
    });
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
