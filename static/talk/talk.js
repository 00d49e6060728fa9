/* Talk app: live updates over a WebSocket, polling when it is down, and
   sending without a page reload. Plain JavaScript, no build step.

   The server renders every bubble (templates/talk/_message.html); this file
   only fetches new bubbles after the last one it has ("?after=<id>") and
   inserts them. A socket event just says "something new": so a dropped
   socket or a missed event only makes the page late, never wrong.

   Showing the account's messages "opens" them (what broadcast reports
   count): once they are on a visible screen this file posts the newest
   shown one's id to data-opened-url. Loading the page writes nothing. */
(function () {
  "use strict";

  var body = document.body;
  // Without a shared channel layer (``make run``'s embedded setup) the
  // socket never hears of messages written by Celery workers or the API
  // process: the page then keeps polling beside its socket, often enough
  // that every message shows within 2 s (docs/api.md, "Live delivery").
  var keepPolling = "keepPolling" in body.dataset;
  var POLL_MS = keepPolling ? 1000 : 3000;
  var LIST_POLL_MS = keepPolling ? 1500 : 6000;
  var screen = document.getElementById("screen");
  var log = document.getElementById("talk-log");
  var errorBox = document.getElementById("talk-error");
  var statusBox = document.getElementById("live-status");
  var roomId = body.dataset.room ? Number(body.dataset.room) : null;
  var pollUrl = body.dataset.pollUrl || null;
  var lastId = Number(body.dataset.lastId || 0);
  var roomList = document.getElementById("room-list");
  var openedUrl = body.dataset.openedUrl || null;
  var sendUrl = body.dataset.sendUrl || null;
  var watchedUrl = body.dataset.watchedUrl || null;
  var quickBox = document.getElementById("talk-quick");
  var loadingTimer = null;

  var socket = null;
  var retries = 0;
  var pollTimer = null;
  var statusTimer = null;
  var fetching = false;
  var fetchAgain = false;
  var opening = false;
  var openAgain = false;

  /* ---- talk room: inserting bubbles and read marks -------------------- */

  function nearBottom() {
    return screen.scrollHeight - screen.scrollTop - screen.clientHeight < 120;
  }

  function scrollToBottom() {
    screen.scrollTop = screen.scrollHeight;
  }

  function lastDay() {
    var marked = log.querySelectorAll("[data-day]");
    return marked.length ? marked[marked.length - 1].dataset.day : null;
  }

  function fromHtml(html) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html.trim();
    return tpl.content.firstElementChild;
  }

  function appendMessages(items) {
    var stick = nearBottom();
    var empty = log.querySelector(".log-empty");
    items.forEach(function (item) {
      lastId = Math.max(lastId, item.id);
      if (document.getElementById("m-" + item.id)) return;
      var bubble = fromHtml(item.html);
      if (empty) { empty.remove(); empty = null; }
      if (bubble.dataset.day !== lastDay()) log.appendChild(fromHtml(item.day));
      if (item.direction === "out") hideLoading(); // the bot answered
      log.appendChild(bubble);
      watchRichVideos(bubble);
      if (item.direction === "in") stick = true; // one's own message
    });
    if (items.length && stick) scrollToBottom();
  }

  function markRead(upTo) {
    if (!log || !upTo) return;
    log.querySelectorAll(".msg.mine").forEach(function (el) {
      if (Number(el.dataset.id) > upTo || el.querySelector(".read")) return;
      var mark = document.createElement("span");
      mark.className = "read";
      mark.textContent = body.dataset.readLabel;
      el.querySelector(".meta").prepend(mark);
    });
  }

  /* The account's bubbles not yet opened carry data-unopened (server
     rendered); post the newest shown one's id, then drop the markers. */
  function markOpened() {
    if (!openedUrl || !log || document.visibilityState !== "visible") return;
    var shown = log.querySelectorAll(".msg[data-unopened]");
    if (!shown.length) return;
    if (opening) { openAgain = true; return; }
    opening = true;
    var upTo = 0;
    shown.forEach(function (el) { upTo = Math.max(upTo, Number(el.dataset.id)); });
    var data = new FormData();
    data.append("up_to_id", String(upTo));
    fetch(openedUrl, {
      method: "POST",
      body: data,
      headers: { "X-Requested-With": "fetch", "X-CSRFToken": body.dataset.csrfToken },
      credentials: "same-origin",
      keepalive: true, // still counts if the customer leaves the room at once
    })
      .then(function (r) {
        if (!r.ok) return;
        shown.forEach(function (el) { el.removeAttribute("data-unopened"); });
      })
      .catch(function () { /* the next message or poll tries again */ })
      .finally(function () {
        opening = false;
        if (openAgain) { openAgain = false; markOpened(); }
      });
  }

  function catchUp() {
    if (!pollUrl) return;
    if (fetching) { fetchAgain = true; return; }
    fetching = true;
    fetch(pollUrl + "?after=" + lastId, {
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) {
        appendMessages(data.messages);
        if (typeof data.quick_reply === "string") setQuickReply(data.quick_reply);
        markRead(data.read_up_to);
        markOpened();
        if (data.more) fetchAgain = true;
      })
      .catch(function () { /* the next poll or event tries again */ })
      .finally(function () {
        fetching = false;
        if (fetchAgain) { fetchAgain = false; catchUp(); }
      });
  }

  /* ---- quick replies and the loading indicator ---------------------------
     Quick-reply chips belong to the newest message: each poll that brings
     new messages says which chips show (none once anything newer came). */

  function setQuickReply(html) {
    if (!quickBox) return;
    // The chip bar takes room from the log: keep the newest bubble in view
    // above it when the reader was at the bottom (as LINE does).
    var stick = screen ? nearBottom() : false;
    quickBox.innerHTML = html;
    if (stick) scrollToBottom();
  }

  /* The bot's "…" (POST /v2/bot/chat/loading/start): shown for
     loadingSeconds or until the account's next message arrives. */
  function showLoading(seconds) {
    if (!log) return;
    hideLoading();
    var row = document.createElement("div");
    row.className = "msg theirs loading";
    row.id = "talk-loading";
    row.dataset.testid = "loading";
    row.setAttribute("aria-label", body.dataset.loadingLabel || "");
    var content = document.createElement("div");
    content.className = "content";
    var bubble = document.createElement("div");
    bubble.className = "lb";
    var dots = document.createElement("div");
    dots.className = "bubble";
    dots.textContent = "…";
    bubble.appendChild(dots);
    content.appendChild(bubble);
    row.appendChild(content);
    log.appendChild(row);
    if (nearBottom()) scrollToBottom();
    loadingTimer = window.setTimeout(hideLoading, (Number(seconds) || 20) * 1000);
  }

  function hideLoading() {
    window.clearTimeout(loadingTimer);
    var row = document.getElementById("talk-loading");
    if (row) row.remove();
  }

  /* ---- friends list ------------------------------------------------------ */

  function refreshList() {
    if (!roomList) return;
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("room-list");
        if (fresh) roomList.innerHTML = fresh.innerHTML;
      })
      .catch(function () {});
  }

  function updateRow(message) {
    var row = roomList.querySelector('[data-friend-id="' + message.friend_id + '"]');
    if (!row) { refreshList(); return; }
    var last = row.querySelector('[data-role="last"]');
    if (last) {
      var labels = JSON.parse(roomList.dataset.typeLabels || "{}");
      last.textContent = labels[message.type] || message.text;
    }
    var when = row.querySelector('[data-role="when"]');
    if (when) {
      when.textContent = new Date(message.created_at).toLocaleTimeString([], {
        hour: "2-digit", minute: "2-digit", hourCycle: "h23",
      });
    }
    if (message.direction === "out") {
      var badge = row.querySelector('[data-role="unread"]');
      if (!badge) {
        badge = document.createElement("span");
        badge.className = "unread";
        badge.dataset.role = "unread";
        badge.textContent = "0";
        row.querySelector(".room-side").appendChild(badge);
      }
      badge.textContent = String(Number(badge.textContent) + 1);
    }
    roomList.prepend(row);
  }

  /* ---- live connection: socket first, polling as the fallback ----------- */

  function poll() {
    if (roomId) catchUp(); else refreshList();
  }

  function startPolling() {
    if (pollTimer || (!roomId && !roomList)) return;
    pollTimer = window.setInterval(poll, roomId ? POLL_MS : LIST_POLL_MS);
  }

  function stopPolling() {
    if (pollTimer) window.clearInterval(pollTimer);
    pollTimer = null;
  }

  function showOffline(offline) {
    if (!statusBox) return;
    window.clearTimeout(statusTimer);
    if (!offline) { statusBox.hidden = true; return; }
    // Don't flash the notice for a reconnect that takes a moment.
    statusTimer = window.setTimeout(function () {
      statusBox.textContent = body.dataset.offlineLabel;
      statusBox.hidden = false;
    }, 4000);
  }

  function onEvent(event) {
    if (event.type === "message.created") {
      if (roomId && event.message.friend_id === roomId) catchUp();
      else if (roomList) updateRow(event.message);
    } else if (event.type === "message.read") {
      if (roomId && event.friend_id === roomId) markRead(event.up_to_id);
    } else if (event.type === "loading.start") {
      if (roomId && event.friend_id === roomId) showLoading(event.seconds);
    }
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    try {
      socket = new WebSocket(scheme + window.location.host + body.dataset.wsPath);
    } catch (e) {
      startPolling();
      return;
    }
    socket.addEventListener("open", function () {
      body.dataset.live = "socket";
      retries = 0;
      if (!keepPolling) stopPolling();
      showOffline(false);
      poll(); // whatever arrived while we were not listening
    });
    socket.addEventListener("message", function (e) {
      try { onEvent(JSON.parse(e.data)); } catch (err) { /* not ours */ }
    });
    socket.addEventListener("close", function () {
      body.dataset.live = "polling";
      socket = null;
      startPolling();
      showOffline(true);
      var delay = Math.min(30000, 1000 * Math.pow(2, retries)) + Math.random() * 500;
      retries += 1;
      window.setTimeout(connect, delay);
    });
  }

  if (body.dataset.wsPath && (roomId || roomList)) {
    startPolling(); // until the socket opens; stopped when it does
    if ("WebSocket" in window) connect();
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") { markOpened(); poll(); }
    });
  }

  /* ---- sending ------------------------------------------------------------ */

  function showError(text) {
    if (!errorBox) return;
    errorBox.textContent = text || "";
    errorBox.hidden = !text;
  }

  function send(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    var controls = form.querySelectorAll("button, textarea, input[type=file]");
    controls.forEach(function (c) { c.disabled = true; });
    fetch(form.action, {
      method: "POST",
      body: data,
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    })
      .then(function (r) {
        return r.json().then(
          function (d) { return { ok: r.ok, data: d }; },
          function () { return { ok: false, data: {} }; }
        );
      })
      .then(function (res) {
        if (!res.ok) {
          showError(res.data.error || body.dataset.sendErrorLabel);
          return;
        }
        showError("");
        form.reset();
        var picker = document.getElementById("sticker-picker");
        if (picker) picker.open = false;
        var dialog = form.closest("dialog");
        if (dialog) dialog.close();
        catchUp();
      })
      .catch(function () { showError(body.dataset.sendErrorLabel); })
      .finally(function () {
        controls.forEach(function (c) { c.disabled = false; });
        var text = form.querySelector("textarea");
        if (text) { text.style.height = ""; text.focus(); }
      });
  }

  document.querySelectorAll("form[data-send]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      send(form, e.submitter);
    });
  });

  // Blocking asks first, as LINE does.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      if (!window.confirm(form.dataset.confirm)) e.preventDefault();
    });
  });

  document.querySelectorAll("input[data-autosubmit]").forEach(function (input) {
    input.addEventListener("change", function () {
      if (input.files.length) input.form.requestSubmit();
    });
  });

  var textarea = document.querySelector(".text-form textarea");
  if (textarea) {
    var touch = window.matchMedia("(pointer: coarse)").matches;
    textarea.addEventListener("keydown", function (e) {
      // Enter sends on a keyboard; on a phone Enter is a new line, as in LINE.
      if (e.key !== "Enter" || e.shiftKey || e.isComposing || e.keyCode === 229 || touch) return;
      e.preventDefault();
      textarea.form.requestSubmit();
    });
    textarea.addEventListener("input", function () {
      textarea.style.height = "";
      textarea.style.height = Math.min(textarea.scrollHeight, 120) + "px";
    });
  }

  /* ---- taps on bubbles and chips ------------------------------------------
     The server draws every tappable part with data-action (the action
     object's JSON); links are plain <a href>. A tap acts as the customer:
     message → a text message, postback → a postback event (displayText
     shown as the customer's message), datetimepicker → a picker, then a
     postback with params, clipboard → copy, camera/cameraRoll → the photo
     upload, location → the location form. */

  function postFields(fields) {
    var data = new FormData();
    Object.keys(fields).forEach(function (k) { data.append(k, fields[k]); });
    return fetch(sendUrl, {
      method: "POST",
      body: data,
      headers: { "X-Requested-With": "fetch", "X-CSRFToken": body.dataset.csrfToken },
      credentials: "same-origin",
    })
      .then(function (r) {
        return r.json().then(
          function (d) { return { ok: r.ok, data: d }; },
          function () { return { ok: false, data: {} }; }
        );
      })
      .then(function (res) {
        if (!res.ok) { showError(res.data.error || body.dataset.sendErrorLabel); return; }
        showError("");
        catchUp();
      })
      .catch(function () { showError(body.dataset.sendErrorLabel); });
  }

  function toast(text) {
    var box = document.createElement("div");
    box.className = "talk-toast";
    box.setAttribute("role", "status");
    box.textContent = text;
    document.querySelector(".phone").appendChild(box);
    window.setTimeout(function () { box.remove(); }, 1500);
  }

  function copy(text) {
    var done = function () { toast(body.dataset.copiedLabel); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () {});
      return;
    }
    var area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); done(); } catch (e) { /* nothing to do */ }
    area.remove();
  }

  function openDialog(id) {
    var dialog = document.getElementById(id);
    if (dialog && !dialog.open) dialog.showModal();
    return dialog;
  }

  function openPicker(action) {
    var dialog = openDialog("picker-dialog");
    if (!dialog) return;
    var form = dialog.querySelector("form");
    var input = form.elements.value;
    var mode = action.mode || "date";
    input.type = { date: "date", time: "time", datetime: "datetime-local" }[mode] || "date";
    form.elements.data.value = action.data || "";
    form.elements.mode.value = mode;
    input.min = action.min || "";
    input.max = action.max || "";
    input.value = action.initial || "";
    input.focus();
  }

  function runAction(action) {
    var text = document.querySelector(".text-form textarea");
    switch (action.type) {
      case "message":
        postFields({ text: action.text || "" });
        break;
      case "postback":
        postFields({
          kind: "postback",
          data: action.data || "",
          display_text: action.displayText || action.text || "",
        });
        if (action.inputOption === "openKeyboard" && text) {
          if (action.fillInText) text.value = action.fillInText;
          text.focus();
        }
        break;
      case "datetimepicker":
        openPicker(action);
        break;
      case "clipboard":
        copy(action.clipboardText || "");
        break;
      case "camera":
      case "cameraRoll":
        var file = document.querySelector(".photo-form input[type=file]");
        if (file) file.click();
        break;
      case "location":
        openDialog("location-dialog");
        break;
      case "richmenuswitch":
        switchMenu(action);
        break;
    }
  }

  /* ---- rich menu ----------------------------------------------------------
     The friend's menu (templates/richmenu/_menu.html) under the composer:
     the chat-bar text opens and closes it; a shown menu counts one
     impression, a tapped area one tap; a richmenuswitch area asks the
     server for the alias's menu (the bot gets LINE's postback event with
     newRichMenuAliasId and status) and swaps it in. */

  var menuBox = document.getElementById("talk-richmenu");

  function postTo(url, fields) {
    var data = new FormData();
    Object.keys(fields).forEach(function (k) { data.append(k, fields[k]); });
    return fetch(url, {
      method: "POST",
      body: data,
      headers: { "X-Requested-With": "fetch", "X-CSRFToken": body.dataset.csrfToken },
      credentials: "same-origin",
    }).then(function (r) { return r.json().then(function (d) { return { ok: r.ok, data: d }; }); });
  }

  function menuSeen(area) {
    var menu = menuBox && menuBox.querySelector("[data-richmenu]");
    if (!menu) return;
    postTo(menuBox.dataset.seenUrl, { menu: menu.dataset.richmenu, area: area })
      .catch(function () { /* statistics only */ });
  }

  function switchMenu(action) {
    if (!menuBox) return;
    postTo(menuBox.dataset.switchUrl, { alias: action.richMenuAliasId || "", data: action.data || "" })
      .then(function (res) {
        if (!res.ok) { showError(res.data.error || body.dataset.sendErrorLabel); return; }
        if (res.data.html) {
          menuBox.innerHTML = res.data.html;
          menuSeen(-1);
        }
        catchUp();
      })
      .catch(function () { showError(body.dataset.sendErrorLabel); });
  }

  if (menuBox) {
    if (menuBox.querySelector("[data-richmenu]")) menuSeen(-1);
    menuBox.addEventListener("click", function (e) {
      var toggle = e.target.closest("[data-richmenu-toggle]");
      if (toggle) {
        var menu = toggle.closest(".richmenu");
        var open = menu.classList.toggle("open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
        return;
      }
      var tap = e.target.closest("[data-area]");
      if (tap) menuSeen(tap.dataset.area);
    }, true);
  }

  if (roomId && sendUrl) {
    document.addEventListener("click", function (e) {
      // A photo opens full size in the room, as on LINE.
      var photo = e.target.closest("a.lb-photo");
      var viewer = document.getElementById("photo-viewer");
      if (photo && viewer) {
        e.preventDefault();
        viewer.querySelector("img").src = photo.href;
        viewer.showModal();
        return;
      }
      var chip = e.target.closest("[data-chip]");
      var el = e.target.closest("[data-action]");
      if (chip && quickBox) quickBox.innerHTML = ""; // chips go once used
      if (!el) return;
      e.preventDefault();
      var action;
      try { action = JSON.parse(el.dataset.action); } catch (err) { return; }
      runAction(action);
    });
    document.addEventListener("keydown", function (e) {
      var el = e.target.closest && e.target.closest("div[data-action], p[data-action]");
      if (el && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); el.click(); }
    });
    document.querySelectorAll("[data-open-location]").forEach(function (button) {
      button.addEventListener("click", function () { openDialog("location-dialog"); });
    });
    document.querySelectorAll(".talk-dialog [data-close]").forEach(function (button) {
      button.addEventListener("click", function () { button.closest("dialog").close(); });
    });
  }

  /* ---- videos -------------------------------------------------------------
     A rich message's video (imagemap video) plays muted while it is on
     screen, and shows its link once played, as on LINE. A video message
     with a trackingId, played to the end, tells the bot
     (videoPlayComplete). */

  var videoObserver = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      var video = entry.target;
      if (entry.isIntersecting) { video.muted = true; video.play().catch(function () {}); }
      else video.pause();
    });
  }, { threshold: 0.6 }) : null;

  function watchRichVideos(scope) {
    if (!videoObserver || !scope) return;
    scope.querySelectorAll(".lb-area-video video").forEach(function (v) { videoObserver.observe(v); });
  }

  if (log) {
    watchRichVideos(log);
    document.addEventListener("ended", function (e) {
      var video = e.target;
      if (!video || video.tagName !== "VIDEO") return;
      var area = video.closest(".lb-area-video");
      if (area) area.classList.add("played");
      var row = video.closest(".msg.theirs");
      if (!row || !("tracked" in video.dataset) || !watchedUrl) return;
      var data = new FormData();
      data.append("message_id", row.dataset.id);
      fetch(watchedUrl, {
        method: "POST",
        body: data,
        headers: { "X-Requested-With": "fetch", "X-CSRFToken": body.dataset.csrfToken },
        credentials: "same-origin",
      }).catch(function () {});
    }, true);
  }

  if (log && !/[?&]before=/.test(window.location.search)) scrollToBottom();
  markOpened();
})();
