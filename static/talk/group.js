// Group rooms (docs/groups.md): fetch the room every 3 s and swap in its
// message log when it changed, so members see each other and the bot.
(function () {
  "use strict";
  var log = document.getElementById("talk-log");
  if (!log || !log.hasAttribute("data-group-poll")) return;
  var url = log.getAttribute("data-group-poll");
  function tick() {
    if (document.hidden) return;
    fetch(url, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("talk-log");
        if (fresh && fresh.innerHTML !== log.innerHTML) {
          log.innerHTML = fresh.innerHTML;
          log.scrollTop = log.scrollHeight;
        }
      })
      .catch(function () {});
  }
  log.scrollTop = log.scrollHeight;
  setInterval(tick, 3000);
})();
