/* Chat inbox: live updates over the staff WebSocket, polling while it is
   down, and every action without a page reload. Plain JavaScript.

   The server renders every row and bubble (templates/chat/_rows.html,
   _message.html); this file only asks for fresh HTML and inserts it. A
   socket event just says "something changed": a dropped socket or a
   missed event only makes the page late, never wrong.

   Reading: loading a conversation writes nothing. Once its messages are
   on a visible screen (on load, and whenever new ones arrive or the tab
   comes back) this file posts the newest shown id to data-read-url; the
   customer's messages become 既読 and the unread badges clear.

   Socket: chat/routing.py, ws/manager/<account_slug>/ (group account.<id>).
   Events used: conversation.updated (chat), message.created, message.read,
   friend.followed, friend.blocked (messaging). */
(function () {
  "use strict";

  var RETRY_MAX_MS = 30000;

  var app = document.getElementById("chat-app");
  if (!app) return;
  // No shared channel layer (``make run``'s embedded setup): events from
  // Celery workers and the API process never reach the socket, so the page
  // keeps polling beside it, every 1.5 s.
  var keepPolling = "keepPolling" in app.dataset;
  var POLL_MS = keepPolling ? 1500 : 4000;

  var listEl = document.getElementById("conv-list");
  var listUrl = app.dataset.listUrl || null;
  var messagesUrl = app.dataset.messagesUrl || null;
  var readUrl = app.dataset.readUrl || null;
  var conversationId = app.dataset.conversationId ? Number(app.dataset.conversationId) : null;
  var friendId = app.dataset.friendId ? Number(app.dataset.friendId) : null;
  var lastId = Number(app.dataset.lastId || 0);
  var version = app.dataset.version || "";
  var log = document.getElementById("chat-log");
  var statusBox = document.getElementById("live-status");
  var errorBox = document.getElementById("chat-error");
  var textarea = document.getElementById("reply-text");
  var pop = document.getElementById("canned-pop");
  var cannedData = document.getElementById("canned-data");
  var canned = cannedData ? JSON.parse(cannedData.textContent || "[]") : [];

  var socket = null;
  var socketOpen = false;
  var retries = 0;
  var pollTimer = null;
  var listTimer = null;
  var paneTimer = null;
  var listBusy = false;
  var listAgain = false;
  var paneBusy = false;
  var paneAgain = false;
  var readPosted = false; // once per page, even with nothing unread shown
  var readBusy = false;
  var readAgain = false;

  /* ---- helpers --------------------------------------------------------- */

  function getJson(url) {
    return fetch(url, {
      headers: { "X-Requested-With": "fetch", Accept: "application/json" },
      credentials: "same-origin",
    }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  }

  function fromHtml(html) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html.trim();
    return tpl.content.firstElementChild;
  }

  function showError(text) {
    if (!errorBox) return;
    errorBox.textContent = text || "";
    errorBox.hidden = !text;
  }

  function setLive(live) {
    if (!statusBox) return;
    statusBox.textContent = live ? app.dataset.liveLabel : app.dataset.offlineLabel;
    statusBox.classList.toggle("offline", !live);
    statusBox.dataset.live = live ? "1" : "0";
  }

  /* ---- the list -------------------------------------------------------- */

  function updateCounts(counts) {
    document.querySelectorAll("[data-count]").forEach(function (el) {
      var key = el.dataset.count;
      if (Object.prototype.hasOwnProperty.call(counts, key)) el.textContent = counts[key];
    });
    document.dispatchEvent(new CustomEvent("chat:unread", { detail: counts.unread }));
  }

  function refreshList() {
    if (!listEl || !listUrl) return;
    if (listBusy) { listAgain = true; return; }
    listBusy = true;
    getJson(listUrl)
      .then(function (data) {
        listEl.innerHTML = data.html;
        updateCounts(data.counts);
      })
      .catch(function () { /* polling or the next event retries */ })
      .finally(function () {
        listBusy = false;
        if (listAgain) { listAgain = false; refreshList(); }
      });
  }

  function scheduleList() {
    clearTimeout(listTimer);
    listTimer = setTimeout(refreshList, 300);
  }

  /* ---- the conversation pane -------------------------------------------- */

  function nearBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 120;
  }

  function scrollToBottom() {
    log.scrollTop = log.scrollHeight;
  }

  function replaceInner(id, html) {
    var box = document.getElementById(id);
    if (!box || html == null) return;
    // Never clobber what someone is typing or choosing.
    if (box.contains(document.activeElement) && document.activeElement !== document.body) return;
    box.innerHTML = html;
  }

  function markSeen(upTo) {
    if (!upTo) return;
    log.querySelectorAll(".cmsg.out").forEach(function (el) {
      if (Number(el.dataset.id) > upTo || el.querySelector(".read")) return;
      var mark = document.createElement("span");
      mark.className = "read";
      mark.setAttribute("data-testid", "read-mark");
      mark.textContent = log.dataset.seenLabel || "Seen";
      el.querySelector(".cmeta").appendChild(mark);
    });
  }

  function unreadShown() {
    return Array.prototype.some.call(log.querySelectorAll(".cmsg.in"), function (el) {
      return !el.querySelector(".read");
    });
  }

  function showRead(upTo) {
    log.querySelectorAll(".cmsg.in").forEach(function (el) {
      if (Number(el.dataset.id) > upTo || el.querySelector(".read")) return;
      var mark = document.createElement("span");
      mark.className = "read";
      mark.setAttribute("data-testid", "read-mark");
      mark.textContent = log.dataset.readLabel || "Read";
      el.querySelector(".cmeta").appendChild(mark);
    });
  }

  /* Staff have seen everything up to lastId: mark it read. */
  function postRead() {
    if (!readUrl || !log || document.visibilityState !== "visible") return;
    if (readPosted && !unreadShown()) return;
    if (readBusy) { readAgain = true; return; }
    readBusy = true;
    var upTo = lastId;
    var data = new FormData();
    data.append("up_to_id", String(upTo));
    fetch(readUrl, {
      method: "POST",
      body: data,
      headers: {
        "X-Requested-With": "fetch",
        "X-CSRFToken": app.dataset.csrfToken,
        Accept: "application/json",
      },
      credentials: "same-origin",
      keepalive: true,
    })
      .then(function (r) {
        if (!r.ok) return;
        readPosted = true;
        showRead(upTo);
        refreshList(); // this conversation's unread badge and the counts
      })
      .catch(function () { /* the next refresh tries again */ })
      .finally(function () {
        readBusy = false;
        if (readAgain) { readAgain = false; postRead(); }
      });
  }

  function setComposer(open, reason) {
    var composer = document.getElementById("composer");
    var closed = document.getElementById("composer-closed");
    if (!composer || !closed) return;
    composer.hidden = !open;
    closed.hidden = open;
    if (!open) closed.textContent = reason || "";
  }

  function refreshPane() {
    if (!messagesUrl || !log) return;
    if (paneBusy) { paneAgain = true; return; }
    paneBusy = true;
    getJson(messagesUrl + "?after=" + lastId)
      .then(function (data) {
        var stick = nearBottom();
        var empty = log.querySelector(".log-empty");
        data.messages.forEach(function (item) {
          lastId = Math.max(lastId, item.id);
          var el = fromHtml(item.html);
          var existing = document.getElementById("cm-" + item.id);
          if (existing) { existing.replaceWith(el); return; }
          if (empty) { empty.remove(); empty = null; }
          log.appendChild(el);
          if (el.classList.contains("out")) stick = true;
        });
        if (data.messages.length && stick) scrollToBottom();
        markSeen(data.seen_up_to);
        if (data.version !== version) {
          version = data.version;
          replaceInner("chat-state", data.state_html);
          replaceInner("chat-side-body", data.side_html);
        }
        setComposer(data.composer_open, data.composer_reason);
        if (data.more) paneAgain = true;
        else postRead();
      })
      .catch(function () { /* polling or the next event retries */ })
      .finally(function () {
        paneBusy = false;
        if (paneAgain) { paneAgain = false; refreshPane(); }
      });
  }

  function schedulePane() {
    clearTimeout(paneTimer);
    paneTimer = setTimeout(refreshPane, 100);
  }

  function loadEarlier(link) {
    var before = link.dataset.earlier;
    getJson(messagesUrl + "?before=" + encodeURIComponent(before)).then(function (data) {
      var height = log.scrollHeight;
      var anchor = link.nextElementSibling;
      data.messages.forEach(function (item) {
        if (document.getElementById("cm-" + item.id)) return;
        log.insertBefore(fromHtml(item.html), anchor);
      });
      if (data.earlier_cursor) {
        link.dataset.earlier = data.earlier_cursor;
        log.insertBefore(link, log.firstElementChild);
      } else {
        link.remove();
      }
      log.scrollTop += log.scrollHeight - height;
    }).catch(function () { window.location.href = link.href; });
  }

  /* ---- real time: socket first, polling while it is down ---------------- */

  function refreshAll() {
    refreshList();
    refreshPane();
  }

  function startPolling() {
    if (pollTimer) return;
    pollTimer = setInterval(refreshAll, POLL_MS);
  }

  function stopPolling() {
    clearInterval(pollTimer);
    pollTimer = null;
  }

  function friendOf(event) {
    if (event.type === "message.created") return event.message && event.message.friend_id;
    if (event.type === "conversation.updated") return event.conversation && event.conversation.friend_id;
    return event.friend_id;
  }

  function onEvent(event) {
    var type = event && event.type;
    if (!type) return;
    if (type === "conversation.updated" || type === "message.created" ||
        type === "message.read" || type.indexOf("friend.") === 0) {
      scheduleList();
    }
    if (friendId !== null && friendOf(event) === friendId) schedulePane();
  }

  function connect() {
    var proto = window.location.protocol === "https:" ? "wss://" : "ws://";
    try {
      socket = new WebSocket(proto + window.location.host + app.dataset.wsUrl);
    } catch (e) {
      reconnectLater();
      return;
    }
    socket.onopen = function () {
      socketOpen = true;
      retries = 0;
      setLive(true);
      if (keepPolling) startPolling(); else stopPolling();
      refreshAll(); // whatever happened while the socket was down
    };
    socket.onmessage = function (msg) {
      try { onEvent(JSON.parse(msg.data)); } catch (e) { /* not for us */ }
    };
    socket.onclose = function () {
      var was = socketOpen;
      socketOpen = false;
      setLive(false);
      startPolling();
      if (was) refreshAll();
      reconnectLater();
    };
  }

  function reconnectLater() {
    retries += 1;
    var delay = Math.min(RETRY_MAX_MS, 1000 * Math.pow(2, Math.min(retries, 5)));
    setTimeout(connect, delay);
  }

  /* ---- forms: send, status, assignee, snooze, notes, tags ---------------- */

  function post(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    return fetch(form.action, {
      method: "POST",
      body: data,
      headers: { "X-Requested-With": "fetch", Accept: "application/json" },
      credentials: "same-origin",
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (!r.ok) throw new Error(body.error || ("HTTP " + r.status));
        return body;
      });
    });
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    var isSend = form.hasAttribute("data-send");
    if (!isSend && !form.hasAttribute("data-action")) return;
    e.preventDefault();
    var submitter = e.submitter || null;
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    showError("");
    post(form, submitter)
      .then(function () {
        if (isSend) {
          var text = form.querySelector("textarea[name=text]");
          if (text) { text.value = ""; hidePop(); }
          var file = form.querySelector("input[type=file]");
          if (file) file.value = "";
          var picker = form.closest("details");
          if (picker) picker.open = false;
        } else {
          form.reset();
          var details = form.closest("details.snooze");
          if (details) details.open = false;
        }
        version = ""; // re-render the state bar and side panel
        refreshPane();
        refreshList();
      })
      .catch(function (err) { showError(err.message); })
      .finally(function () { buttons.forEach(function (b) { b.disabled = false; }); });
  });

  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) {
      if (el.type === "file" && !el.files.length) return;
      el.form.requestSubmit();
    }
  });

  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a.earlier[data-earlier]");
    if (link && messagesUrl) {
      e.preventDefault();
      loadEarlier(link);
    }
    var pick = e.target.closest && e.target.closest("[data-canned]");
    if (pick) {
      e.preventDefault();
      insertCanned(Number(pick.dataset.canned));
      var details = pick.closest("details");
      if (details) details.open = false;
    }
  });

  /* ---- canned replies: "/" + shortcut in the reply box ------------------ */

  var popItems = [];
  var popIndex = 0;

  function hidePop() {
    if (!pop) return;
    pop.hidden = true;
    popItems = [];
  }

  function renderPop() {
    pop.innerHTML = "";
    popItems.forEach(function (i, n) {
      var opt = document.createElement("div");
      opt.setAttribute("role", "option");
      opt.setAttribute("aria-selected", n === popIndex ? "true" : "false");
      opt.dataset.canned = i;
      opt.textContent = canned[i].title + (canned[i].shortcut ? "  /" + canned[i].shortcut : "");
      pop.appendChild(opt);
    });
    var hint = document.createElement("div");
    hint.className = "hint";
    hint.textContent = "↑↓ Enter · Esc";
    pop.appendChild(hint);
    pop.hidden = popItems.length === 0;
  }

  function filterPop() {
    if (!textarea || !pop) return;
    var m = /^\/(\S*)$/.exec(textarea.value);
    if (!m) { hidePop(); return; }
    var q = m[1].toLowerCase();
    popItems = [];
    canned.forEach(function (r, i) {
      if (!q || (r.shortcut && r.shortcut.indexOf(q) === 0) ||
          r.title.toLowerCase().indexOf(q) !== -1) popItems.push(i);
    });
    popIndex = 0;
    renderPop();
  }

  function insertCanned(i) {
    if (!textarea || !canned[i]) return;
    var text = canned[i].text;
    if (/^\/\S*$/.test(textarea.value) || !textarea.value) {
      textarea.value = text;
    } else {
      var start = textarea.selectionStart, end = textarea.selectionEnd;
      textarea.value = textarea.value.slice(0, start) + text + textarea.value.slice(end);
    }
    hidePop();
    textarea.focus();
    textarea.setSelectionRange(textarea.value.length, textarea.value.length);
  }

  if (textarea) {
    textarea.addEventListener("input", filterPop);
    textarea.addEventListener("keydown", function (e) {
      if (pop && !pop.hidden && popItems.length) {
        if (e.key === "ArrowDown" || e.key === "ArrowUp") {
          e.preventDefault();
          var step = e.key === "ArrowDown" ? 1 : -1;
          popIndex = (popIndex + step + popItems.length) % popItems.length;
          renderPop();
          return;
        }
        if (e.key === "Enter" || e.key === "Tab") {
          e.preventDefault();
          insertCanned(popItems[popIndex]);
          return;
        }
        if (e.key === "Escape") { e.preventDefault(); hidePop(); return; }
      }
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        textarea.form.requestSubmit();
      }
    });
    if (pop) {
      pop.addEventListener("mousedown", function (e) { e.preventDefault(); });
    }
  }

  // Ctrl+/ (⌘/ on a Mac) anywhere: jump to the reply box with the picker open.
  document.addEventListener("keydown", function (e) {
    if (textarea && e.key === "/" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      if (!textarea.value) textarea.value = "/";
      textarea.focus();
      filterPop();
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") schedulePane();
  });

  /* ---- start ----------------------------------------------------------- */

  if (log) scrollToBottom();
  postRead();
  startPolling(); // until the socket is up
  connect();
})();
