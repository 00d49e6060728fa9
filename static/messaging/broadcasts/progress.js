/* Live progress of a broadcast: polls the JSON endpoint while it runs.
   The page renders the current state on load, so a reload shows the same
   figures; when the broadcast reaches a final state the page reloads once
   to show the report. */
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box) return;
  var FINAL = ["sent", "cancelled", "failed"];
  var startStatus = box.dataset.status;
  var POLL_MS = 1500;

  function set(field, value) {
    document.querySelectorAll('[data-progress-field="' + field + '"]').forEach(function (node) {
      node.textContent = value;
    });
  }

  function eta(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    var sec = box.dataset.seconds, min = box.dataset.minutes;
    if (seconds < 60) return seconds + " " + sec;
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + " " + min + " " + s + " " + sec;
  }

  function apply(p) {
    var bar = box.querySelector(".bc-progress-bar");
    bar.style.width = p.percent + "%";
    box.querySelector("[role=progressbar]").setAttribute("aria-valuenow", p.percent);
    set("sent", p.sent.toLocaleString());
    set("total", p.total.toLocaleString());
    set("blocked", p.blocked.toLocaleString());
    set("rate", p.rate.toLocaleString());
    set("eta", eta(p.eta_seconds));
    set("status_label", p.status_label);
    box.dataset.status = p.status;
  }

  function poll() {
    fetch(box.dataset.progressUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (p) {
        apply(p);
        if (p.status !== startStatus && (p.final || p.status === "paused" || startStatus === "scheduled")) {
          window.location.reload();
          return;
        }
        if (!p.final) window.setTimeout(poll, POLL_MS);
      })
      .catch(function () { window.setTimeout(poll, POLL_MS * 2); });
  }

  if (FINAL.indexOf(startStatus) < 0) window.setTimeout(poll, 300);
})();
