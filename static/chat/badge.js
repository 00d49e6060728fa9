/* The unread badge of the "Chat" link in the Manager's side menu.

   Loaded on every Manager page, so the count costs those pages no query:
   it is fetched here, refreshed every 30 seconds, and updated at once by
   inbox.js ("chat:unread" events) on chat pages. */
(function () {
  "use strict";

  var el = document.querySelector("[data-chat-unread-url]");
  if (!el) return;

  function show(n) {
    n = Number(n) || 0;
    el.textContent = n > 99 ? "99+" : String(n);
    el.hidden = n === 0;
  }

  function load() {
    fetch(el.dataset.chatUnreadUrl, {
      headers: { "X-Requested-With": "fetch", Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) show(data.unread); })
      .catch(function () { /* the next refresh tries again */ });
  }

  document.addEventListener("chat:unread", function (e) { show(e.detail); });
  load();
  setInterval(load, 30000);
})();
