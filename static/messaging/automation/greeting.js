/* The greeting editor: live preview and placeholder buttons. */
(function () {
  var preview = document.querySelector("[data-testid=greeting-preview]");
  var last = null;
  function render() {
    document.querySelectorAll("[data-bubble]").forEach(function (area) {
      var bubble = preview.querySelector('[data-preview="' + area.dataset.bubble + '"]');
      var text = area.value.split("{Nickname}").join(preview.dataset.nickname)
        .split("{AccountName}").join(preview.dataset.account);
      bubble.textContent = text;
      bubble.hidden = !area.value.trim();
    });
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
