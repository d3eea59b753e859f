// Submits the language switcher as soon as a language is chosen. A file, not an onchange="" attribute: the
// Content-Security-Policy (script-src 'self') does not run inline handlers.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  const select = document.getElementById("language-switcher-select");
  if (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  }
});
