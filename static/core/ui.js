/* Small behaviours every page may use, declared in markup so that pages
   need no inline scripts or handlers (Content-Security-Policy: script-src
   'self').
   data-select-on-click   select the field's text when clicked
   data-submit-on-change  submit the form when the control changes
   data-ask="text"        a form (or one submit button) asks before it submits
   (chat, talk and the composer have their own data-autosubmit and
   data-confirm handlers; these names do not collide with them)
   data-width="37.5"      an element's width in percent (bars)
   data-copy="field-id"   a button copying that field; data-copied is the
                          label it shows afterwards */
(function () {
  "use strict";
  function each(selector, fn) {
    document.querySelectorAll(selector).forEach(fn);
  }
  function ready() {
    each("[data-select-on-click]", function (field) {
      field.addEventListener("click", function () { field.select(); });
    });
    each("[data-submit-on-change]", function (control) {
      control.addEventListener("change", function () { control.form.submit(); });
    });
    each("form[data-ask]", function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.ask)) { event.preventDefault(); }
      });
    });
    // the same on one submit button of a form (the form's other buttons go)
    each("button[data-ask]", function (button) {
      button.addEventListener("click", function (event) {
        if (!window.confirm(button.dataset.ask)) { event.preventDefault(); }
      });
    });
    each("[data-width]", function (el) {
      el.style.width = parseFloat(el.dataset.width) + "%";
    });
    each("[data-copy]", function (button) {
      button.addEventListener("click", function () {
        var field = document.getElementById(button.dataset.copy);
        field.select();
        var done = function () {
          button.textContent = button.dataset.copied || button.textContent;
        };
        if (navigator.clipboard) {
          navigator.clipboard.writeText(field.value).then(done, function () {
            document.execCommand("copy");
            done();
          });
        } else {
          document.execCommand("copy");
          done();
        }
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
