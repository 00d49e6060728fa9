/* The rich menu editor's live preview: the same markup as the talk app
   (templates/richmenu/_menu.html), redrawn from the form as it changes —
   the template's areas, the chat-bar text, open/closed and the chosen
   image. */
(function () {
  "use strict";
  var form = document.querySelector("[data-testid=richmenu-form]");
  var box = document.getElementById("richmenu-preview");
  if (!form || !box) return;
  var layouts = JSON.parse(form.dataset.layouts);
  var imageUrl = "";

  function pct(v, whole) { return (100 * v / whole).toFixed(4).replace(/\.?0+$/, "") + "%"; }

  function draw() {
    var layout = layouts[form.elements.layout.value];
    if (!layout) return;
    var w = layout.size[0], h = layout.size[1];
    var menu = box.querySelector(".richmenu");
    var panel = box.querySelector(".richmenu-panel");
    menu.classList.add("open"); // the editor always shows the panel
    box.querySelector("[data-richmenu-toggle]").firstChild.textContent =
      (form.elements.chat_bar_text.value || "…") + " ";
    panel.style.aspectRatio = w + " / " + h;
    panel.querySelectorAll(".richmenu-tap").forEach(function (el) { el.remove(); });
    var img = panel.querySelector("img");
    if (imageUrl) {
      if (!img) { img = document.createElement("img"); panel.prepend(img); }
      img.src = imageUrl;
      var none = panel.querySelector(".richmenu-noimage");
      if (none) none.remove();
    }
    layout.bounds.forEach(function (b, i) {
      var area = document.createElement("div");
      area.className = "richmenu-tap";
      area.dataset.area = i;
      // Without an uploaded image, what the image maker will draw.
      var colour = form.elements["area" + i + "_colour"];
      var label = form.elements["area" + i + "_label"];
      area.textContent = imageUrl ? "ABCDEF"[i] : (label && label.value) || "ABCDEF"[i];
      area.style.cssText = "left:" + pct(b.x, w) + ";top:" + pct(b.y, h) +
        ";width:" + pct(b.width, w) + ";height:" + pct(b.height, h) +
        ";outline:1px dashed rgba(255,255,255,.8);display:flex;align-items:center;justify-content:center;" +
        (imageUrl ? "color:rgba(0,0,0,.5)" : "color:#fff;font-weight:600;background:" + ((colour && colour.value) || "#06c755"));
      panel.appendChild(area);
    });
  }

  form.addEventListener("change", function (e) {
    if (e.target.name === "image" && e.target.files && e.target.files[0]) {
      if (imageUrl) URL.revokeObjectURL(imageUrl);
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
