// The greeting page: live preview drawn by the server with the talk app's
// own renderer (docs/rendering.md), and the {Nickname}/{AccountName} buttons.
(function () {
  /* The bubbles are drawn by the server with the talk app's own renderer
     (docs/rendering.md), so the preview is what a new friend gets. */
  var preview = document.querySelector("[data-testid=greeting-preview]");
  var token = document.querySelector("[name=csrfmiddlewaretoken]");
  var last = null, timer = null, seq = 0;
  function render() {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      var areas = Array.prototype.slice.call(document.querySelectorAll("[data-bubble]"));
      var mine = ++seq;
      fetch(preview.dataset.previewUrl, {
        method: "POST",
        body: JSON.stringify({messages: areas.map(function (a) { return {type: "text", text: a.value}; })}),
        headers: {"Content-Type": "application/json", "X-CSRFToken": token ? token.value : ""},
        credentials: "same-origin"
      })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (mine !== seq || typeof data.html !== "string") return;
          var rows = new DOMParser().parseFromString(data.html, "text/html")
            .querySelectorAll("[data-testid=preview-bubble]");
          areas.forEach(function (area, i) {
            var slot = preview.querySelector('[data-preview="' + area.dataset.bubble + '"]');
            slot.innerHTML = rows[i] ? rows[i].innerHTML : "";
            slot.hidden = !area.value.trim();
          });
        })
        .catch(function () { /* the next change asks again */ });
    }, 200);
  }
  document.querySelectorAll("[data-bubble]").forEach(function (area) {
    area.addEventListener("input", render);
    area.addEventListener("focus", function () { last = area; });
  });
  document.querySelectorAll("[data-insert]").forEach(function (button) {
    button.addEventListener("click", function () {
      var area = last || document.querySelector("[data-bubble]");
      if (area.disabled) { return; }
      var start = area.selectionStart, end = area.selectionEnd;
      area.value = area.value.slice(0, start) + button.dataset.insert + area.value.slice(end);
      area.focus();
      area.selectionStart = area.selectionEnd = start + button.dataset.insert.length;
      render();
    });
  });
  render();
})();
