/* The dialog host for the account steps that htmx loads in place.
   No inline script anywhere (strict CSP): all behaviour lives here. */
(function () {
  "use strict";

  var dialog = document.getElementById("dialog");
  var dialogBody = document.getElementById("dialog-body");
  var opener = null;

  function focusFirst(container) {
    var target = container.querySelector("[autofocus]") ||
      container.querySelector("input, button, a[href], h2");
    if (target) {
      target.focus();
    }
  }

  // Remember which control opened the dialog, to give focus back on close.
  document.addEventListener("click", function (event) {
    var control = event.target.closest("[data-dialog-opener]");
    if (control && !dialog.contains(control)) {
      opener = control;
    }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer && dialog.open && dialog.contains(closer)) {
      event.preventDefault();
      dialog.close();
    }
  });

  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target === dialogBody) {
      if (!dialog.open) {
        dialog.showModal();
      }
      focusFirst(dialogBody);
    } else if (target.matches && target.matches("[data-step-host]")) {
      focusFirst(target);
    }
  });

  // A fresh header replaced the control that had focus: keep focus in the header.
  document.body.addEventListener("htmx:afterSettle", function (event) {
    var header = document.getElementById("site-header");
    if (header && event.detail.elt === header && document.activeElement === document.body && !dialog.open) {
      focusFirst(header.querySelector("nav"));
    }
  });

  // The server ends a dialog with HX-Trigger: close-dialog.
  document.body.addEventListener("close-dialog", function () {
    if (dialog.open) {
      dialog.close();
    }
  });

  // Escape (or any other way of closing) empties the dialog and returns focus.
  dialog.addEventListener("close", function () {
    dialogBody.replaceChildren();
    if (opener && document.contains(opener)) {
      opener.focus();
    }
    opener = null;
  });

  // A click on the backdrop (outside the dialog's box) closes it too.
  dialog.addEventListener("click", function (event) {
    if (event.target === dialog) {
      var box = dialog.getBoundingClientRect();
      var inside = event.clientX >= box.left && event.clientX <= box.right &&
        event.clientY >= box.top && event.clientY <= box.bottom;
      if (!inside) {
        dialog.close();
      }
    }
  });
})();
