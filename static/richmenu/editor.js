/* The rich menu editor: a live preview in the talk app's markup
   (templates/richmenu/_menu.html), redrawn from the form as it changes —
   the template's areas, the chat-bar text, open/closed and the chosen
   image — and, with a "draw the areas yourself" template, rectangles
   dragged on the preview (mouse, pen or touch) that fill in the next free
   area's left/top/width/height fields. Those numeric fields stay the
   accessible way to place areas; the server checks every area (inside the
   image, no overlap, at most 20) whatever was drawn here. */
(function () {
  "use strict";
  var form = document.querySelector("[data-testid=richmenu-form]");
  var box = document.getElementById("richmenu-preview");
  if (!form || !box) return;
  var layouts = JSON.parse(form.dataset.layouts);
  var imageUrl = form.dataset.image || "";
  var LETTERS = "ABCDEFGHIJKLMNOPQRST";
  var MAX = 20;
  var KEYS = ["x", "y", "width", "height"];

  function pct(v, whole) { return (100 * v / whole).toFixed(4).replace(/\.?0+$/, "") + "%"; }
  function el(name) { return form.elements[name]; }
  function isFree() { return /^free-/.test(el("layout").value); }
  function num(name) {
    var f = el(name);
    if (!f || f.value === "") return null;
    var v = parseInt(f.value, 10);
    return isNaN(v) ? null : v;
  }

  /* The drawn areas: [{i, b}] for every area whose four fields are set. */
  function drawn() {
    var out = [];
    for (var i = 0; i < MAX; i++) {
      var b = {};
      var complete = KEYS.every(function (k) {
        b[k] = num("area" + i + "_" + k);
        return b[k] !== null;
      });
      if (complete && b.width > 0 && b.height > 0) out.push({ i: i, b: b });
    }
    return out;
  }

  function slots(layout) {
    if (isFree()) return drawn();
    return layout.bounds.map(function (b, i) { return { i: i, b: b }; });
  }

  function overlaps(a, b) {
    return a.x < b.x + b.width && b.x < a.x + a.width &&
      a.y < b.y + b.height && b.y < a.y + a.height;
  }

  function fieldBox(name) {
    var f = el(name);
    return f ? f.closest(".field") : null;
  }

  /* Show what the layout and each area's action use; hide the rest. */
  function showFields(layout, used) {
    var free = isFree();
    var firstEmpty = -1;
    for (var i = 0; i < MAX; i++) {
      var group = form.querySelector("[data-area-group='" + i + "']");
      if (!group) continue;
      var inUse = free ? used.indexOf(i) >= 0 : i < layout.bounds.length;
      if (free && !inUse && firstEmpty < 0) { firstEmpty = i; inUse = true; }
      group.hidden = !inUse;
      KEYS.forEach(function (k) {
        var f = fieldBox("area" + i + "_" + k);
        if (f) f.hidden = !free;
      });
      var kind = el("area" + i + "_type").value;
      ["mode", "initial", "min", "max"].forEach(function (k) {
        var f = fieldBox("area" + i + "_" + k);
        if (f) f.hidden = kind !== "datetimepicker";
      });
      var d = fieldBox("area" + i + "_display_text");
      if (d) d.hidden = kind !== "postback";
      var c = fieldBox("area" + i + "_coupon");
      if (c) c.hidden = kind !== "coupon";
      var v = fieldBox("area" + i + "_value");
      if (v) v.hidden = kind === "coupon" || kind === "shopcard";
    }
    var help = form.querySelector("[data-free-help]");
    if (help) help.hidden = !free;
  }

  function draw() {
    var layout = layouts[el("layout").value];
    if (!layout) return;
    var w = layout.size[0], h = layout.size[1];
    var menu = box.querySelector(".richmenu");
    var panel = box.querySelector(".richmenu-panel");
    menu.classList.add("open"); // the editor always shows the panel
    box.querySelector("[data-richmenu-toggle]").firstChild.textContent =
      (el("chat_bar_text").value || "…") + " ";
    panel.style.aspectRatio = w + " / " + h;
    panel.classList.toggle("richmenu-drawing", isFree());
    panel.querySelectorAll(".richmenu-tap").forEach(function (a) { a.remove(); });
    var img = panel.querySelector("img");
    if (imageUrl) {
      if (!img) { img = document.createElement("img"); panel.prepend(img); }
      img.src = imageUrl;
      var none = panel.querySelector(".richmenu-noimage");
      if (none) none.remove();
    }
    var list = slots(layout);
    list.forEach(function (s) {
      var b = s.b, i = s.i;
      var area = document.createElement("div");
      area.className = "richmenu-tap";
      area.dataset.area = i;
      // Without an uploaded image, what the image maker will draw.
      var colour = el("area" + i + "_colour");
      var label = el("area" + i + "_label");
      area.textContent = imageUrl ? LETTERS[i] : (label && label.value) || LETTERS[i];
      area.style.cssText = "left:" + pct(b.x, w) + ";top:" + pct(b.y, h) +
        ";width:" + pct(b.width, w) + ";height:" + pct(b.height, h) +
        ";outline:1px dashed rgba(255,255,255,.8);display:flex;align-items:center;justify-content:center;" +
        (imageUrl ? "color:rgba(0,0,0,.5)" : "color:#fff;font-weight:600;background:" + ((colour && colour.value) || "#06c755"));
      panel.appendChild(area);
    });
    showFields(layout, list.map(function (s) { return s.i; }));
  }

  /* ---- drawing rectangles on the preview ---------------------------------- */
  var panel = box.querySelector(".richmenu-panel");
  var message = document.getElementById("richmenu-draw-message");
  var start = null, ghost = null;

  /* A rectangle that cannot become an area: flash the preview and say why
     (the message stays until the next rectangle is added). */
  function refuse(text) {
    panel.classList.add("richmenu-refused");
    window.setTimeout(function () { panel.classList.remove("richmenu-refused"); }, 600);
    message.textContent = text;
    message.hidden = false;
  }

  function point(e) {
    var layout = layouts[el("layout").value];
    var rect = panel.getBoundingClientRect();
    var fx = Math.min(Math.max((e.clientX - rect.left) / rect.width, 0), 1);
    var fy = Math.min(Math.max((e.clientY - rect.top) / rect.height, 0), 1);
    return { x: Math.round(fx * layout.size[0]), y: Math.round(fy * layout.size[1]) };
  }

  function rectOf(a, b) {
    return {
      x: Math.min(a.x, b.x), y: Math.min(a.y, b.y),
      width: Math.abs(a.x - b.x), height: Math.abs(a.y - b.y),
    };
  }

  function placeGhost(r) {
    var layout = layouts[el("layout").value];
    ghost.style.cssText = "left:" + pct(r.x, layout.size[0]) + ";top:" + pct(r.y, layout.size[1]) +
      ";width:" + pct(r.width, layout.size[0]) + ";height:" + pct(r.height, layout.size[1]);
  }

  panel.addEventListener("pointerdown", function (e) {
    if (!isFree() || e.button > 0) return;
    e.preventDefault();
    start = point(e);
    ghost = document.createElement("div");
    ghost.className = "richmenu-ghost";
    panel.appendChild(ghost);
    placeGhost(rectOf(start, start));
    panel.setPointerCapture(e.pointerId);
  });
  panel.addEventListener("pointermove", function (e) {
    if (start) placeGhost(rectOf(start, point(e)));
  });
  function finish(e) {
    if (!start) return;
    var r = rectOf(start, point(e));
    start = null;
    ghost.remove();
    ghost = null;
    if (r.width < 10 || r.height < 10) return; // a click, not a drag
    var taken = drawn();
    var hit = taken.filter(function (s) { return overlaps(s.b, r); })[0];
    if (hit) {
      refuse(message.dataset.overlap.replace("{letter}", LETTERS[hit.i]));
      return;
    }
    if (taken.length >= MAX) {
      refuse(message.dataset.full);
      return;
    }
    message.hidden = true;
    var used = taken.map(function (s) { return s.i; });
    for (var i = 0; i < MAX; i++) {
      if (used.indexOf(i) < 0) {
        KEYS.forEach(function (k) { el("area" + i + "_" + k).value = r[k]; });
        var group = form.querySelector("[data-area-group='" + i + "']");
        if (group) group.open = true;
        break;
      }
    }
    draw();
  }
  panel.addEventListener("pointerup", finish);
  panel.addEventListener("pointercancel", function () {
    start = null;
    if (ghost) { ghost.remove(); ghost = null; }
  });

  form.addEventListener("change", function (e) {
    if (e.target.name === "image" && e.target.files && e.target.files[0]) {
      if (imageUrl && imageUrl.indexOf("blob:") === 0) URL.revokeObjectURL(imageUrl);
      imageUrl = URL.createObjectURL(e.target.files[0]);
    }
    draw();
  });
  form.addEventListener("input", draw);
  box.addEventListener("click", function (e) {
    var toggle = e.target.closest("[data-richmenu-toggle]");
    if (toggle) toggle.closest(".richmenu").classList.toggle("open");
  });
  draw();
})();
