// The back office's script on every admin page. A file, not inline code: the Content-Security-Policy
// (script-src 'self') runs no inline script or on*="" handler.
"use strict";

// Queues are wide (deadlines, breaches, filters): the model list on the left starts folded away, so a 1440 px
// screen shows every column. Staff open it with the « toggle, and the admin remembers their choice.
try {
  if (window.localStorage.getItem("django.admin.navSidebarIsOpen") === null) {
    window.localStorage.setItem("django.admin.navSidebarIsOpen", "false");
  }
} catch (error) {
  // storage disabled: the admin's default (open) stands
}

// The language switcher submits as soon as a language is chosen.
document.addEventListener("DOMContentLoaded", function () {
  const select = document.getElementById("language-switcher-select");
  if (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  }
});
