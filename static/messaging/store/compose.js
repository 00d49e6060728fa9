/* Broadcast composer: bubble editor, phone preview, audience builder and the
   live recipient count. Vanilla JS; every editor writes its JSON into a form
   field, so the server validates exactly what the page shows. Without
   JavaScript the JSON fields stay usable. */
(function () {
  "use strict";

  var dataNode = document.getElementById("compose-data");
  var DATA = dataNode ? JSON.parse(dataNode.textContent) : {};
  var T = DATA.i18n || {};
  var MAX_BUBBLES = 3, MAX_AREAS = 6, MAX_CARDS = 10, MAX_BUTTONS = 3;
  var BASE = 1040;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (key === "text") node.textContent = value;
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
      else if (value === true) node.setAttribute(key, "");
      else if (value !== false && value !== null && value !== undefined) node.setAttribute(key, value);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function parse(text, fallback) {
    try { return text ? JSON.parse(text) : fallback; } catch (e) { return fallback; }
  }

  function csrfToken() {
    var input = document.querySelector("[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  /* ---- Rich message layouts (areas in the 1040-wide base) --------------- */

  function layoutAreas(code, height) {
    var h = height, w = BASE, half = Math.round(w / 2), third = Math.round(w / 3);
    var hh = Math.round(h / 2);
    var map = {
      "1": [[0, 0, w, h]],
      "2v": [[0, 0, half, h], [half, 0, w - half, h]],
      "2h": [[0, 0, w, hh], [0, hh, w, h - hh]],
      "3": [[0, 0, w, hh], [0, hh, half, h - hh], [half, hh, w - half, h - hh]],
      "4": [[0, 0, half, hh], [half, 0, w - half, hh], [0, hh, half, h - hh], [half, hh, w - half, h - hh]],
      "6": [[0, 0, third, hh], [third, 0, third, hh], [2 * third, 0, w - 2 * third, hh],
            [0, hh, third, h - hh], [third, hh, third, h - hh], [2 * third, hh, w - 2 * third, h - hh]]
    };
    return (map[code] || map["1"]).map(function (a) {
      return {x: a[0], y: a[1], width: a[2], height: a[3]};
    });
  }

  function detectLayout(msg) {
    var height = (msg.baseSize || {}).height || BASE;
    var areas = (msg.actions || []).map(function (a) { return JSON.stringify(a.area); });
    var found = "1";
    Object.keys(T.layouts || {}).forEach(function (code) {
      var want = layoutAreas(code, height).map(function (a) { return JSON.stringify(a); });
      if (want.join() === areas.join()) found = code;
    });
    return found;
  }

  function defaults(type) {
    if (type === "sticker") {
      var s = (DATA.stickers || [])[0] || {packageId: "446", stickerId: "1988"};
      return {type: "sticker", packageId: s.packageId, stickerId: s.stickerId};
    }
    if (type === "image") return {type: "image", originalContentUrl: "", previewImageUrl: ""};
    if (type === "video") return {type: "video", originalContentUrl: "", previewImageUrl: ""};
    if (type === "audio") return {type: "audio", originalContentUrl: "", duration: 0};
    if (type === "imagemap") {
      return {type: "imagemap", baseUrl: "", altText: T.imagemap || "Rich message",
              baseSize: {width: BASE, height: BASE},
              actions: [{type: "uri", linkUri: "https://", area: layoutAreas("1", BASE)[0]}]};
    }
    if (type === "coupon") {
      var c = (DATA.coupons || [])[0];
      return {type: "coupon", couponId: c ? c.couponId : ""};
    }
    if (type === "template") {
      return {type: "template", altText: T.template || "Cards",
              template: {type: "carousel", columns: [newCard()]}};
    }
    return {type: "text", text: ""};
  }

  function newCard() {
    return {title: "", text: "", actions: [{type: "uri", label: "", uri: "https://"}]};
  }

  /* ---- Bubble editor ------------------------------------------------------ */

  function BubbleEditor(root, field, preview, onChange) {
    this.root = root;
    this.field = field;
    this.preview = preview;
    this.onChange = onChange || function () {};
    this.bubbles = parse(field.value, []);
    if (!Array.isArray(this.bubbles) || !this.bubbles.length) this.bubbles = [defaults("text")];
    this.render();
  }

  BubbleEditor.prototype.sync = function () {
    this.field.value = JSON.stringify(this.bubbles);
    renderPreview(this.preview, this.bubbles);
    this.onChange(this.bubbles);
  };

  BubbleEditor.prototype.render = function () {
    var self = this;
    this.root.textContent = "";
    this.bubbles.forEach(function (bubble, index) {
      self.root.appendChild(self.bubbleCard(bubble, index));
    });
    this.root.appendChild(el("button", {
      type: "button", "class": "bc-add", "data-testid": "add-bubble",
      disabled: this.bubbles.length >= MAX_BUBBLES,
      onclick: function () { self.bubbles.push(defaults("text")); self.render(); },
      text: "+ " + T.addBubble
    }));
    this.sync();
  };

  BubbleEditor.prototype.bubbleCard = function (bubble, index) {
    var self = this;
    var select = el("select", {"aria-label": T.text, "data-testid": "bubble-type-" + index,
      onchange: function () { self.bubbles[index] = defaults(select.value); self.render(); }},
      ["text", "sticker", "image", "video", "audio", "imagemap", "template", "coupon"].map(function (type) {
        return el("option", {value: type, selected: bubble.type === type, text: T[type]});
      }));
    var head = el("div", {"class": "bc-bubble-head"}, [
      el("strong", {text: "#" + (index + 1)}), select,
      index > 0 ? el("button", {type: "button", "class": "link", text: T.moveUp, onclick: function () {
        var moved = self.bubbles.splice(index, 1)[0];
        self.bubbles.splice(index - 1, 0, moved);
        self.render();
      }}) : null,
      this.bubbles.length > 1 ? el("button", {type: "button", "class": "link danger", text: T.remove, onclick: function () {
        self.bubbles.splice(index, 1);
        self.render();
      }}) : null
    ]);
    var body = el("div", {"class": "bc-bubble-body"});
    var editors = {text: this.textEditor, sticker: this.stickerEditor, image: this.imageEditor,
                   video: this.videoEditor, audio: this.audioEditor,
                   imagemap: this.imagemapEditor, template: this.cardsEditor,
                   coupon: this.couponEditor};
    (editors[bubble.type] || this.textEditor).call(this, bubble, body, index);
    return el("div", {"class": "bc-bubble", "data-testid": "bubble"}, [head, body]);
  };

  BubbleEditor.prototype.textEditor = function (bubble, body, index) {
    var self = this;
    var counter = el("small", {"class": "help"});
    var area = el("textarea", {rows: 4, maxlength: 5000, "data-testid": "bubble-text-" + index,
      "aria-label": T.text});
    area.value = bubble.text || "";
    function update() {
      bubble.text = area.value;
      counter.textContent = area.value.length + " / 5000 " + T.characters;
      self.sync();
    }
    function insert(value) {
      var start = area.selectionStart || area.value.length, end = area.selectionEnd || start;
      area.value = area.value.slice(0, start) + value + area.value.slice(end);
      area.focus();
      area.selectionStart = area.selectionEnd = start + value.length;
      update();
    }
    area.addEventListener("input", update);
    var tools = el("div", {"class": "bc-tools"}, [
      el("button", {type: "button", "class": "chip", text: "{Nickname}", title: T.insertNickname,
        onclick: function () { insert("{Nickname}"); }})
    ].concat((DATA.emoji || []).map(function (emoji) {
      return el("button", {type: "button", "class": "bc-emoji", text: emoji, "aria-label": emoji,
        onclick: function () { insert(emoji); }});
    })));
    body.appendChild(area);
    body.appendChild(tools);
    body.appendChild(counter);
    counter.textContent = area.value.length + " / 5000 " + T.characters;
  };

  BubbleEditor.prototype.couponEditor = function (bubble, body, index) {
    var self = this;
    var coupons = DATA.coupons || [];
    if (!coupons.length) {
      body.appendChild(el("p", {"class": "help", text: T.noCoupons}));
      return;
    }
    var select = el("select", {"aria-label": T.coupon, "data-testid": "bubble-coupon-" + index,
      onchange: function () { bubble.couponId = select.value; self.sync(); }},
      coupons.map(function (c) {
        return el("option", {value: c.couponId, selected: bubble.couponId === c.couponId, text: c.title});
      }));
    body.appendChild(select);
  };

  BubbleEditor.prototype.stickerEditor = function (bubble, body) {
    var self = this;
    var grid = el("div", {"class": "bc-stickers", role: "radiogroup"});
    (DATA.stickers || []).forEach(function (s) {
      var chosen = s.stickerId === bubble.stickerId && s.packageId === bubble.packageId;
      grid.appendChild(el("button", {type: "button", "class": "bc-sticker" + (chosen ? " chosen" : ""),
        "aria-pressed": chosen ? "true" : "false", title: s.label,
        onclick: function () { bubble.packageId = s.packageId; bubble.stickerId = s.stickerId; self.render(); }},
        [el("img", {src: s.url, alt: s.label, width: 56, height: 56, loading: "lazy"})]));
    });
    body.appendChild(grid);
  };

  BubbleEditor.prototype.uploadInput = function (kind, done, accept, label) {
    var status = el("small", {"class": "help"});
    var input = el("input", {type: "file", accept: accept || "image/jpeg,image/png",
                             "aria-label": label || T.upload, "data-testid": "upload-" + kind});
    input.addEventListener("change", function () {
      if (!input.files.length) return;
      var form = new FormData();
      form.append("image", input.files[0]);
      form.append("kind", kind);
      status.textContent = T.uploading;
      status.className = "help";
      fetch(DATA.uploadUrl, {method: "POST", body: form, credentials: "same-origin",
                             headers: {"X-CSRFToken": csrfToken()}})
        .then(function (r) { return r.json().then(function (body) { return {ok: r.ok, body: body}; }); })
        .then(function (res) {
          if (!res.ok) { status.textContent = res.body.error; status.className = "error"; return; }
          status.textContent = "";
          done(res.body);
        })
        .catch(function () { status.textContent = T.uploadFailed; status.className = "error"; });
    });
    return el("div", {"class": "bc-upload"}, [el("label", {text: label || T.upload}), input, status]);
  };

  BubbleEditor.prototype.imageEditor = function (bubble, body) {
    var self = this;
    if (bubble.previewImageUrl) body.appendChild(el("img", {"class": "bc-thumb", src: bubble.previewImageUrl, alt: ""}));
    body.appendChild(this.uploadInput("image", function (asset) {
      bubble.originalContentUrl = asset.originalContentUrl;
      bubble.previewImageUrl = asset.previewImageUrl;
      self.render();
    }));
  };

  BubbleEditor.prototype.videoEditor = function (bubble, body) {
    var self = this;
    if (bubble.originalContentUrl) body.appendChild(el("p", {"class": "help bc-file", text: bubble.originalContentUrl}));
    body.appendChild(this.uploadInput("video", function (asset) {
      bubble.originalContentUrl = asset.originalContentUrl;
      self.render();
    }, "video/mp4,.mp4", T.uploadVideo));
    if (bubble.previewImageUrl) body.appendChild(el("img", {"class": "bc-thumb", src: bubble.previewImageUrl, alt: ""}));
    body.appendChild(this.uploadInput("image", function (asset) {
      bubble.previewImageUrl = asset.previewImageUrl;
      self.render();
    }, null, T.poster));
  };

  /* An M4A's duration comes from the server; an MP3's from the browser. */
  BubbleEditor.prototype.audioEditor = function (bubble, body) {
    var self = this;
    if (bubble.originalContentUrl) body.appendChild(el("p", {"class": "help bc-file", text: bubble.originalContentUrl}));
    body.appendChild(this.uploadInput("audio", function (asset) {
      bubble.originalContentUrl = asset.originalContentUrl;
      bubble.duration = asset.duration || 0;
      if (asset.duration) { self.render(); return; }
      var probe = new Audio();
      probe.preload = "metadata";
      probe.addEventListener("loadedmetadata", function () {
        if (isFinite(probe.duration)) bubble.duration = Math.round(probe.duration * 1000);
        self.render();
      });
      probe.addEventListener("error", function () { self.render(); });
      probe.src = asset.originalContentUrl;
    }, "audio/mp4,audio/x-m4a,audio/mpeg,.m4a,.mp3", T.uploadAudio));
  };

  BubbleEditor.prototype.imagemapEditor = function (bubble, body) {
    var self = this;
    var height = (bubble.baseSize || {}).height || BASE;
    var layout = detectLayout(bubble);
    body.appendChild(this.uploadInput("imagemap", function (asset) {
      bubble.baseUrl = asset.baseUrl;
      bubble.baseSize = {width: BASE, height: Math.round(asset.height * BASE / asset.width)};
      var areas = layoutAreas(layout, bubble.baseSize.height);
      bubble.actions = areas.map(function (area, i) {
        var old = bubble.actions[i] || {type: "uri", linkUri: "https://"};
        return Object.assign({}, old, {area: area});
      });
      self.render();
    }));
    var select = el("select", {"aria-label": T.layout, onchange: function () {
      var areas = layoutAreas(select.value, height);
      bubble.actions = areas.map(function (area, i) {
        var old = bubble.actions[i] || {type: "uri", linkUri: "https://"};
        return Object.assign({}, old, {area: area});
      });
      self.render();
    }}, Object.keys(T.layouts).map(function (code) {
      return el("option", {value: code, selected: code === layout, text: T.layouts[code]});
    }));
    body.appendChild(el("label", {"class": "bc-inline"}, [T.layout + " ", select]));
    var alt = el("input", {type: "text", maxlength: 400, value: bubble.altText || "", "aria-label": T.altText,
      oninput: function () { bubble.altText = alt.value; self.sync(); }});
    body.appendChild(el("label", {"class": "bc-inline"}, [T.altText + " ", alt]));
    (bubble.actions || []).slice(0, MAX_AREAS).forEach(function (action, i) {
      body.appendChild(self.actionRow(action, T.area + " " + String.fromCharCode(65 + i), {
        uri: "linkUri", message: "text"}));
    });
  };

  /* One tappable action: a link or a text the customer sends. */
  BubbleEditor.prototype.actionRow = function (action, name, keys, withLabel) {
    var self = this;
    var kind = el("select", {"aria-label": name, onchange: function () {
      var value = input.value;
      delete action[keys.uri];
      delete action[keys.message];
      action.type = kind.value;
      action[keys[kind.value]] = value;
      self.sync();
    }}, [el("option", {value: "uri", selected: action.type === "uri", text: T.link}),
         el("option", {value: "message", selected: action.type === "message", text: T.sendText})]);
    var input = el("input", {type: "text", maxlength: 1000, value: action[keys[action.type]] || "",
      "aria-label": name, oninput: function () { action[keys[action.type]] = input.value; self.sync(); }});
    var parts = [el("span", {text: name}), kind];
    if (withLabel) {
      var label = el("input", {type: "text", maxlength: 20, value: action.label || "", placeholder: T.label,
        "aria-label": T.label, oninput: function () { action.label = label.value; self.sync(); }});
      parts.push(label);
    }
    parts.push(input);
    return el("div", {"class": "bc-action"}, parts);
  };

  BubbleEditor.prototype.cardsEditor = function (bubble, body) {
    var self = this;
    var columns = bubble.template.columns;
    var alt = el("input", {type: "text", maxlength: 400, value: bubble.altText || "", "aria-label": T.altText,
      oninput: function () { bubble.altText = alt.value; self.sync(); }});
    body.appendChild(el("label", {"class": "bc-inline"}, [T.altText + " ", alt]));
    body.appendChild(el("p", {"class": "help", text: T.sameButtons}));
    columns.forEach(function (column, ci) {
      var card = el("fieldset", {"class": "bc-card"}, [el("legend", {text: T.card + " " + (ci + 1)})]);
      if (column.thumbnailImageUrl) card.appendChild(el("img", {"class": "bc-thumb", src: column.thumbnailImageUrl, alt: ""}));
      card.appendChild(self.uploadInput("card", function (asset) {
        column.thumbnailImageUrl = asset.originalContentUrl;
        self.render();
      }));
      var title = el("input", {type: "text", maxlength: 40, value: column.title || "", placeholder: T.title,
        "aria-label": T.title, oninput: function () { setOrDrop(column, "title", title.value); self.sync(); }});
      var text = el("textarea", {rows: 2, maxlength: 120, "aria-label": T.text,
        oninput: function () { column.text = text.value; self.sync(); }});
      text.value = column.text || "";
      card.appendChild(title);
      card.appendChild(text);
      column.actions.forEach(function (action, ai) {
        card.appendChild(self.actionRow(action, T.button + " " + (ai + 1), {uri: "uri", message: "text"}, true));
      });
      var tools = el("div", {"class": "bc-tools"});
      if (column.actions.length < MAX_BUTTONS) {
        tools.appendChild(el("button", {type: "button", "class": "link", text: "+ " + T.addButton, onclick: function () {
          column.actions.push({type: "uri", label: "", uri: "https://"}); self.render();
        }}));
      }
      if (column.actions.length > 1) {
        tools.appendChild(el("button", {type: "button", "class": "link", text: T.remove + " " + T.button, onclick: function () {
          column.actions.pop(); self.render();
        }}));
      }
      if (columns.length > 1) {
        tools.appendChild(el("button", {type: "button", "class": "link danger", text: T.remove + " " + T.card, onclick: function () {
          columns.splice(ci, 1); self.render();
        }}));
      }
      card.appendChild(tools);
      body.appendChild(card);
    });
    if (columns.length < MAX_CARDS) {
      body.appendChild(el("button", {type: "button", "class": "bc-add", text: "+ " + T.addCard, onclick: function () {
        columns.push(newCard()); self.render();
      }}));
    }
  };

  function setOrDrop(obj, key, value) {
    if (value) obj[key] = value; else delete obj[key];
  }

  /* ---- Phone preview ------------------------------------------------------
     The server draws the bubbles with the talk app's own renderer
     (messaging/store/rendering.py): what staff preview is what the customer
     gets. Drafts are posted at most every 250 ms; an older answer never
     replaces a newer one. */

  var previewSeq = 0;
  var previewTimers = [];

  function renderPreview(target, bubbles) {
    if (!target || !DATA.previewUrl) return;
    var seq = ++previewSeq;
    previewTimers.forEach(window.clearTimeout);
    previewTimers = [window.setTimeout(function () {
      fetch(DATA.previewUrl, {
        method: "POST",
        body: JSON.stringify({messages: bubbles || []}),
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken(),
                  "X-Requested-With": "fetch"},
        credentials: "same-origin"
      })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (seq !== previewSeq) return;
          if (typeof data.html === "string") target.innerHTML = data.html;
          target.dataset.previewSeq = String(seq);
        })
        .catch(function () { /* the next change asks again */ });
    }, 250)];
  }

  /* ---- Audience builder --------------------------------------------------- */

  var CATALOGUE = {};
  (DATA.catalogue || []).forEach(function (c) { CATALOGUE[c.key] = c; });
  var FIELD_OPS = {text: ["eq", "contains", "set", "unset"], number: ["eq", "gt", "lt", "set", "unset"],
                   date: ["eq", "before", "after", "set", "unset"], choice: ["eq", "set", "unset"]};

  function newCondition(type) {
    var kind = CATALOGUE[type] || (DATA.catalogue || [])[0];
    if (!kind) return null;
    if (kind.widget === "days") return {type: kind.key, min_days: 7, max_days: null};
    if (kind.widget === "field") {
      var f = kind.options[0];
      return {type: kind.key, field: f ? f[0] : null, op: "set", value: null};
    }
    if (kind.widget === "broadcast") return {type: kind.key, broadcast: kind.options[0] ? kind.options[0][0] : null};
    if (kind.widget === "number") return {type: kind.key, min: 1};
    return {type: kind.key, values: []};
  }

  function AudienceBuilder(root, field, onChange) {
    this.root = root;
    this.field = field;
    this.onChange = onChange || function () {};
    this.state = parse(field.value, null) || {match: "all", conditions: []};
    if (!this.state.conditions.length) this.state.conditions.push(newCondition("tag"));
    this.render();
  }

  AudienceBuilder.prototype.sync = function () {
    this.field.value = JSON.stringify(this.state);
    this.onChange(this.state);
  };

  AudienceBuilder.prototype.render = function () {
    this.root.textContent = "";
    this.root.appendChild(this.group(this.state, true));
    this.sync();
  };

  AudienceBuilder.prototype.group = function (group, top) {
    var self = this;
    var match = el("select", {"aria-label": T.all, "data-testid": top ? "audience-match" : null,
      onchange: function () { group.match = match.value; self.sync(); }}, [
      el("option", {value: "all", selected: group.match === "all", text: T.all}),
      el("option", {value: "any", selected: group.match === "any", text: T.any})]);
    var box = el("div", {"class": "bc-group" + (top ? "" : " nested")}, [match]);
    group.conditions.forEach(function (cond, index) {
      box.appendChild(self.conditionRow(group, cond, index));
    });
    var tools = el("div", {"class": "bc-tools"}, [
      el("button", {type: "button", "class": "link", "data-testid": top ? "add-condition" : null,
        text: "+ " + T.addCondition, onclick: function () { group.conditions.push(newCondition("tag")); self.render(); }})
    ]);
    if (top) {
      tools.appendChild(el("button", {type: "button", "class": "link", text: "+ " + T.addGroup, onclick: function () {
        group.conditions.push({type: "group", match: "any", conditions: [newCondition("gender")]});
        self.render();
      }}));
    }
    box.appendChild(tools);
    return box;
  };

  AudienceBuilder.prototype.conditionRow = function (group, cond, index) {
    var self = this;
    var row = el("div", {"class": "bc-cond", "data-testid": "condition"});
    var negate = el("label", {"class": "bc-not"}, [el("input", {type: "checkbox", checked: !!cond.negate,
      onchange: function (e) { if (e.target.checked) cond.negate = true; else delete cond.negate; self.sync(); }}), " " + T.not]);
    var remove = el("button", {type: "button", "class": "link danger", text: "×", "aria-label": T.remove,
      onclick: function () { group.conditions.splice(index, 1); self.render(); }});
    if (cond.type === "group") {
      row.appendChild(self.group(cond, false));
      row.appendChild(negate);
      row.appendChild(remove);
      return row;
    }
    var type = el("select", {"aria-label": T.field, "data-testid": "condition-type",
      onchange: function () { group.conditions[index] = newCondition(type.value); self.render(); }},
      (DATA.catalogue || []).map(function (c) {
        return el("option", {value: c.key, selected: c.key === cond.type, text: c.label});
      }));
    row.appendChild(type);
    row.appendChild(negate);
    var kind = CATALOGUE[cond.type] || {widget: "multi", options: []};
    row.appendChild(this.widget(kind, cond));
    row.appendChild(remove);
    return row;
  };

  AudienceBuilder.prototype.widget = function (kind, cond) {
    var self = this;
    if (kind.widget === "days") {
      var lo = el("input", {type: "number", min: 0, value: cond.min_days === null ? "" : cond.min_days, "aria-label": T.minDays,
        oninput: function () { cond.min_days = lo.value === "" ? null : Number(lo.value); self.sync(); }});
      var hi = el("input", {type: "number", min: 0, value: cond.max_days === null ? "" : cond.max_days, "aria-label": T.maxDays,
        oninput: function () { cond.max_days = hi.value === "" ? null : Number(hi.value); self.sync(); }});
      return el("div", {"class": "bc-days"}, [el("label", {}, [T.minDays + " ", lo]), el("label", {}, [T.maxDays + " ", hi])]);
    }
    if (kind.widget === "number") {
      var least = el("input", {type: "number", min: 0, value: cond.min === null ? "" : cond.min, "aria-label": kind.label,
        "data-testid": "condition-number",
        oninput: function () { cond.min = least.value === "" ? null : Number(least.value); self.sync(); }});
      return least;
    }
    if (kind.widget === "broadcast") {
      var pick = el("select", {onchange: function () { cond.broadcast = Number(pick.value); self.sync(); }},
        kind.options.map(function (o) { return el("option", {value: o[0], selected: o[0] === cond.broadcast, text: o[1]}); }));
      return pick;
    }
    if (kind.widget === "field") {
      var fields = {};
      kind.options.forEach(function (o) { fields[o[0]] = o; });
      var current = fields[cond.field] || kind.options[0] || [null, "", "text", []];
      var fieldSelect = el("select", {"aria-label": T.field, onchange: function () {
        cond.field = Number(fieldSelect.value); cond.op = "set"; cond.value = null; self.render();
      }}, kind.options.map(function (o) { return el("option", {value: o[0], selected: o[0] === cond.field, text: o[1]}); }));
      var op = el("select", {onchange: function () { cond.op = op.value; self.render(); }},
        (FIELD_OPS[current[2]] || []).map(function (code) {
          return el("option", {value: code, selected: code === cond.op, text: (T.ops || {})[code] || code});
        }));
      var parts = [fieldSelect, op];
      if (cond.op !== "set" && cond.op !== "unset") {
        var input;
        if (current[2] === "choice") {
          input = el("select", {}, (current[3] || []).map(function (c) { return el("option", {value: c, selected: c === cond.value, text: c}); }));
          if (!cond.value && current[3] && current[3].length) cond.value = current[3][0];
        } else {
          input = el("input", {type: current[2] === "number" ? "number" : current[2] === "date" ? "date" : "text",
            value: cond.value || "", "aria-label": T.value});
        }
        input.addEventListener("input", function () { cond.value = input.value; self.sync(); });
        input.addEventListener("change", function () { cond.value = input.value; self.sync(); });
        parts.push(input);
      }
      return el("div", {"class": "bc-field"}, parts);
    }
    var values = cond.values || (cond.values = []);
    if (!kind.options.length) return el("span", {"class": "muted", text: T.noOptions});
    // One widget everywhere (the friends filter renders the same): checkboxes,
    // in LINE's region groups when the catalogue gives groups, in a scrolling
    // box when there are many.
    function box(o) {
      var input = el("input", {type: "checkbox", checked: values.indexOf(o[0]) >= 0, onchange: function () {
        var at = cond.values.indexOf(o[0]);
        if (input.checked && at < 0) cond.values.push(o[0]);
        if (!input.checked && at >= 0) cond.values.splice(at, 1);
        if (input.onpick) input.onpick();
        self.sync();
      }});
      return input;
    }
    if (kind.groups && kind.groups.length) {
      var names = {};
      kind.options.forEach(function (o) { names[o[0]] = o[1]; });
      return el("div", {"class": "grouped-checks", "data-testid": "grouped-" + kind.key}, kind.groups.map(function (g) {
        var inputs = g[1].map(function (code) { return box([code, names[code]]); });
        var all = el("input", {type: "checkbox", "aria-label": g[0]});
        function syncAll() {
          var on = inputs.filter(function (i) { return i.checked; }).length;
          all.checked = on === inputs.length;
          all.indeterminate = on > 0 && on < inputs.length;
        }
        all.addEventListener("change", function () {
          g[1].forEach(function (code, i) {
            var at = cond.values.indexOf(code);
            inputs[i].checked = all.checked;
            if (all.checked && at < 0) cond.values.push(code);
            if (!all.checked && at >= 0) cond.values.splice(at, 1);
          });
          syncAll();
          self.sync();
        });
        inputs.forEach(function (i) { i.onpick = syncAll; });
        syncAll();
        return el("div", {}, [el("label", {}, [all, " " + g[0]]),
          el("div", {}, inputs.map(function (input, i) { return el("label", {}, [input, " " + names[g[1][i]]]); }))]);
      }));
    }
    return el("div", {"class": kind.options.length > 10 ? "bc-checks scroll-checks" : "bc-checks"}, kind.options.map(function (o) {
      return el("label", {}, [box(o), " " + o[1]]);
    }));
  };

  /* ---- Live estimate ------------------------------------------------------ */

  // Whether an audience definition can be counted: every condition has its
  // value(s), every group at least one condition (the server says the same).
  function complete(group) {
    if (!group || !group.conditions || !group.conditions.length) return false;
    return group.conditions.every(function (cond) {
      if (cond.type === "group") return complete(cond);
      if (cond.values) return cond.values.length > 0;
      if ("min_days" in cond) return cond.min_days !== null || cond.max_days !== null;
      if ("broadcast" in cond) return cond.broadcast !== null && cond.broadcast !== undefined;
      if ("min" in cond) return cond.min !== null && cond.min !== undefined;
      if ("field" in cond) {
        return cond.field !== null && (cond.op === "set" || cond.op === "unset" ||
          (cond.value !== null && cond.value !== ""));
      }
      return true;
    });
  }

  function Estimator(box, payload) {
    var timer = null, seq = 0;
    function show(key, value) {
      var node = box.querySelector('[data-est="' + key + '"]');
      if (node) node.textContent = value;
    }
    return function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var mine = ++seq;
        var body = payload();
        var warning = box.querySelector('[data-est="warning"]');
        if (body.mode === "segment" && !complete(body.audience)) {
          // Nothing to count yet: ask once every condition has its value.
          // (Clear the cost too: an earlier count must not linger.)
          show("recipients", "—");
          show("cost", "—");
          if (warning) { warning.textContent = T.incomplete; warning.hidden = false; }
          return;
        }
        show("recipients", T.counting);
        fetch(DATA.estimateUrl, {method: "POST", credentials: "same-origin",
          headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken()},
          body: JSON.stringify(body)})
          .then(function (r) { return r.json(); })
          .then(function (res) {
            if (mine !== seq) return;
            if (res.error) {
              show("recipients", "—");
              show("cost", "—");
              if (warning) { warning.textContent = res.error; warning.hidden = false; }
              return;
            }
            show("recipients", res.recipients.toLocaleString());
            show("cost", res.cost.toLocaleString());
            show("remaining", res.remaining.toLocaleString());
            var extra = Number(res.additional_cost_yen || 0);
            show("extra", extra.toLocaleString());
            var extraBox = box.querySelector('[data-est="extra-box"]');
            if (extraBox) extraBox.hidden = !(extra > 0);
            if (warning) { warning.textContent = T.notCovered; warning.hidden = res.covered; }
          })
          .catch(function () { /* the next change asks again */ });
      }, 300);
    };
  }

  /* ---- Pages -------------------------------------------------------------- */

  function hideFallbacks(scope) {
    scope.querySelectorAll(".json-fallback").forEach(function (d) { d.hidden = true; });
  }

  function initCompose(form) {
    var preview = document.querySelector("[data-preview]");
    new BubbleEditor(form.querySelector("[data-bubbles]"), form.querySelector("[name=messages]"), preview);
    var modes = form.querySelectorAll("[name=audience_mode]");
    var builderRoot = form.querySelector("[data-audience-builder]");
    var saved = form.querySelector("[data-saved-segment]");
    var audienceField = form.querySelector("[name=audience]");
    var estimateBox = form.querySelector("[data-estimate]");
    function mode() {
      var checked = form.querySelector("[name=audience_mode]:checked");
      return checked ? checked.value : "all";
    }
    var estimate = Estimator(estimateBox, function () {
      return {mode: mode(), audience: parse(audienceField.value, null),
              segment: form.querySelector("[name=segment]").value,
              max_recipients: form.querySelector("[name=max_recipients]").value,
              scheduled_at: form.querySelector("[name=scheduled_at]").value};
    });
    var builder = null;
    function showMode() {
      var m = mode();
      builderRoot.hidden = m !== "segment";
      saved.hidden = m !== "saved";
      if (m === "segment" && !builder) builder = new AudienceBuilder(builderRoot, audienceField, estimate);
      if (m !== "segment") audienceField.disabled = true; else audienceField.disabled = false;
      estimate();
    }
    modes.forEach(function (r) { r.addEventListener("change", showMode); });
    ["segment", "max_recipients", "scheduled_at"].forEach(function (name) {
      form.querySelector("[name=" + name + "]").addEventListener("change", estimate);
    });
    form.querySelector("[name=max_recipients]").addEventListener("input", estimate);
    form.addEventListener("submit", function (e) {
      audienceField.disabled = false;
      if (mode() !== "segment") audienceField.value = "";
      var button = e.submitter;
      if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) e.preventDefault();
    });
    hideFallbacks(form);
    showMode();
  }

  function initSegmentForm(form) {
    var field = form.querySelector("[data-audience-field]");
    var box = form.querySelector("[data-estimate]");
    var estimate = Estimator(box, function () { return {mode: "segment", audience: parse(field.value, null)}; });
    new AudienceBuilder(form.querySelector("[data-audience-builder]"), field, estimate);
    hideFallbacks(form);
  }

  function initSteps(form) {
    var field = form.querySelector("[data-steps-field]");
    var root = form.querySelector("[data-steps]");
    var preview = document.querySelector("[data-preview]");
    var units = root.dataset.units.split(";").map(function (pair) { return pair.split("="); });
    var steps = parse(field.value, []);
    function sync() { field.value = JSON.stringify(steps); }
    function render() {
      root.textContent = "";
      steps.forEach(function (step, i) {
        var card = el("section", {"class": "card bc-step", "data-testid": "step"}, [el("h2", {text: "#" + (i + 1)})]);
        var value = el("input", {type: "number", min: 0, value: step.delay_value, "aria-label": T.delay,
          oninput: function () { step.delay_value = Number(value.value); sync(); }});
        var unit = el("select", {onchange: function () { step.delay_unit = unit.value; sync(); }},
          units.map(function (u) { return el("option", {value: u[0], selected: u[0] === step.delay_unit, text: u[1]}); }));
        card.appendChild(el("div", {"class": "bc-inline"}, [value, unit]));
        var bubbleField = el("textarea", {hidden: true});
        bubbleField.value = JSON.stringify(step.messages || []);
        var bubbles = el("div");
        card.appendChild(bubbles);
        new BubbleEditor(bubbles, bubbleField, preview, function (list) { step.messages = list; sync(); });
        var condField = el("textarea", {hidden: true});
        var condRoot = el("div");
        var useCond = el("input", {type: "checkbox", checked: !!step.condition, onchange: function () {
          if (useCond.checked) {
            condField.value = "";
            new AudienceBuilder(condRoot, condField, function (state) { step.condition = state; sync(); });
          } else { step.condition = null; condRoot.textContent = ""; sync(); }
        }});
        card.appendChild(el("label", {}, [useCond, " " + T.condition]));
        card.appendChild(condRoot);
        if (step.condition) {
          condField.value = JSON.stringify(step.condition);
          new AudienceBuilder(condRoot, condField, function (state) { step.condition = state; sync(); });
        }
        if (steps.length > 1) {
          card.appendChild(el("button", {type: "button", "class": "link danger", text: T.remove,
            onclick: function () { steps.splice(i, 1); render(); }}));
        }
        root.appendChild(card);
      });
      root.appendChild(el("button", {type: "button", "class": "bc-add", text: "+ " + T.addStep, onclick: function () {
        steps.push({delay_value: 1, delay_unit: "days", messages: [defaults("text")], condition: null});
        render();
      }}));
      sync();
    }
    render();
    hideFallbacks(form);
  }

  function initSimple(form) {
    new BubbleEditor(form.querySelector("[data-bubbles]"), form.querySelector("[name=messages]"),
                     document.querySelector("[data-preview]"));
    hideFallbacks(form);
  }

  document.querySelectorAll("[data-compose]").forEach(function (form) {
    // A failed Schedule / Send on a new broadcast saved it once as a draft:
    // the address becomes that draft's, so reloading edits it, not a copy.
    var editUrl = form.dataset.editUrl;
    if (editUrl && window.location.pathname !== editUrl && window.history.replaceState) {
      window.history.replaceState(null, "", editUrl);
    }
    initCompose(form);
  });
  document.querySelectorAll("[data-segment-form]").forEach(initSegmentForm);
  document.querySelectorAll("[data-steps-form]").forEach(initSteps);
  document.querySelectorAll("[data-compose-simple]").forEach(initSimple);
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      if (!window.confirm(form.dataset.confirm)) e.preventDefault();
    });
  });
})();
