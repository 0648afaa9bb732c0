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

  // A link in a step's error summary puts focus on its field, with the
  // field's label in view; a fragment link alone would only scroll, and add
  // an entry to the history.
  document.addEventListener("click", function (event) {
    var link = event.target.closest(".error-summary a[href^='#']");
    var field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (field) {
      event.preventDefault();
      var label = document.querySelector("label[for='" + field.id + "']");
      (label || field).scrollIntoView({block: "nearest"});
      field.focus({preventScroll: true});
    }
  });

  // The dialog shares the document with the page under it, and that page may
  // be a step page with the very same ids ("email", "step-title"): labels and
  // descriptions in the dialog would point at the page's fields. So everything
  // in the dialog gets ids of its own, and the references follow.
  var ID_PREFIX = "dialog-";
  var ID_REFERENCES = ["aria-labelledby", "aria-describedby", "aria-controls", "aria-errormessage"];

  function keepIdsApart(container) {
    var renamed = {};
    container.querySelectorAll("[id]").forEach(function (element) {
      if (element.id.indexOf(ID_PREFIX) !== 0) {
        renamed[element.id] = ID_PREFIX + element.id;
        element.id = renamed[element.id];
      }
    });
    container.querySelectorAll("label[for]").forEach(function (label) {
      label.htmlFor = renamed[label.htmlFor] || label.htmlFor;
    });
    container.querySelectorAll("a[href^='#']").forEach(function (link) {
      var id = link.getAttribute("href").slice(1);
      link.setAttribute("href", "#" + (renamed[id] || id));
    });
    ID_REFERENCES.forEach(function (name) {
      container.querySelectorAll("[" + name + "]").forEach(function (element) {
        var ids = element.getAttribute(name).split(/\s+/).map(function (id) {
          return renamed[id] || id;
        });
        element.setAttribute(name, ids.join(" "));
      });
    });
  }

  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target === dialogBody) {
      keepIdsApart(dialogBody);
      if (!dialog.open) {
        dialog.showModal();
      }
      focusFirst(dialogBody);
    } else if (target && target.matches && target.matches("[data-step-host]")) {
      focusFirst(target);
    }
  });

  // New search results are announced by their count ("3 videos found"),
  // politely and once, rather than by reading out every card.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var status = document.getElementById("results-status");
    var results = event.detail.target;  // none when Back restores a page
    var count = results && results.id === "results" && results.querySelector(".result-count");
    if (status && count) {
      status.textContent = count.textContent;
    }
  });

  // "Next page" or "Previous page" replaced the link that had focus: reading
  // (and Tab) starts again at the top of the new results, not at the page's top.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var results = event.detail.target;
    var trigger = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (results && results.id === "results" && trigger && trigger.closest && trigger.closest(".pagination")) {
      results.querySelector(".result-count").focus();
    }
  });

  // A fresh header replaced the control that had focus: keep focus in the header.
  document.body.addEventListener("htmx:afterSettle", function (event) {
    var header = document.getElementById("site-header");
    if (header && event.detail.elt === header && document.activeElement === document.body && !dialog.open) {
      focusFirst(header.querySelector("nav"));
    }
  });

  // A step that failed on the server or on the way says so, instead of
  // leaving the person with a button that seemingly does nothing. (4xx answers
  // are steps with their own messages; these events come for 5xx and network
  // errors.)
  // Every sentence this file shows comes from the page (`data-text-*` on
  // <body>), so it is in the page's language.
  function text(name) {
    return document.body.getAttribute("data-text-" + name);
  }

  var REQUEST_ERRORS = {
    "htmx:responseError": "response-error",
    "htmx:sendError": "unreachable",
    "htmx:timeout": "unreachable"
  };

  function showRequestError(host, text) {
    var step = host.querySelector(".step");
    if (!step) {
      // Nothing to add the message to (the step itself did not load): show it as a step.
      step = document.createElement("section");
      step.className = "step";
      var title = document.createElement("h2");
      title.id = (host === dialogBody ? ID_PREFIX : "") + "step-title";
      title.tabIndex = -1;
      title.textContent = text("something-wrong");
      step.appendChild(title);
      host.replaceChildren(step);
    }
    var note = step.querySelector(".request-error");
    if (!note) {
      note = document.createElement("p");
      note.className = "request-error";
      note.setAttribute("role", "alert");
      var heading = step.querySelector("h2");
      step.insertBefore(note, heading ? heading.nextSibling : step.firstChild);
    }
    note.textContent = text;
    if (host === dialogBody && !dialog.open) {
      dialog.showModal();
      focusFirst(dialogBody);
    }
  }

  Object.keys(REQUEST_ERRORS).forEach(function (name) {
    document.body.addEventListener(name, function (event) {
      var host = event.detail.target;
      if (host && host.matches && host.matches("[data-step-host]")) {
        showRequestError(host, text(REQUEST_ERRORS[name]));
      }
    });
  });

  // A request that shows the address already shown (Enter right after the
  // results came as one typed) replaces its history entry instead of adding
  // a second one for the same page, so one Back goes back a step.
  document.body.addEventListener("htmx:beforeHistoryUpdate", function (event) {
    var update = event.detail.history;
    if (update.type === "push" && new URL(update.path, location.href).href === location.href) {
      update.type = "replace";
    }
  });

  // "Copy link" beside a personal download link.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) {
      return;
    }
    var source = document.getElementById(button.getAttribute("data-copy"));
    source.select();
    if (navigator.clipboard) {
      navigator.clipboard.writeText(source.value).then(function () {
        button.textContent = text("copied");
      });
    }
  });

  // "Copy the codes" beside recovery codes: it needs the clipboard, so it is
  // shown only where this file runs (without it, the text file's link remains).
  function offerCopies(container) {
    container.querySelectorAll("[data-copy-text][hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }

  document.addEventListener("htmx:load", function (event) {
    offerCopies(event.target);
  });
  offerCopies(document);

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-text]");
    if (button && navigator.clipboard) {
      navigator.clipboard.writeText(button.getAttribute("data-copy-text")).then(function () {
        button.textContent = text("copied");
      });
    }
  });

  // "You can ask for a new code in 42 seconds": the server says how long; the
  // button waits that long, the sentence counts down, and the status line
  // says once when the button works. (Without JavaScript the button is never
  // disabled: the sentence gives the time, and the server checks it.)
  function inWords(seconds) {
    if (seconds < 120) {
      return text(seconds === 1 ? "second" : "seconds").replace("{n}", seconds);
    }
    if (seconds < 120 * 60) {
      return text("minutes").replace("{n}", Math.ceil(seconds / 60));
    }
    return text("hours").replace("{n}", Math.ceil(seconds / 3600));
  }

  function startCountdown(note) {
    var form = note.closest("form");
    var button = form.querySelector("[data-countdown-button]");
    var sentence = note.querySelector("[data-countdown-text]");
    var status = form.querySelector("[role=status]");
    var endsAt = Date.now() + parseInt(note.getAttribute("data-countdown"), 10) * 1000;
    note.removeAttribute("data-countdown");
    button.disabled = true;
    var timer = window.setInterval(function () {
      var left = Math.ceil((endsAt - Date.now()) / 1000);
      if (!document.contains(note)) {
        window.clearInterval(timer);
      } else if (left > 0) {
        sentence.textContent = sentence.getAttribute("data-countdown-text").replace("{wait}", inWords(left));
      } else {
        window.clearInterval(timer);
        status.textContent = note.getAttribute("data-countdown-done");
        note.remove();
        button.disabled = false;
      }
    }, 1000);
  }

  function startCountdowns(container) {
    container.querySelectorAll("[data-countdown]").forEach(startCountdown);
  }

  document.addEventListener("htmx:load", function (event) {
    startCountdowns(event.target);
  });
  startCountdowns(document);

  // The server ends a dialog with HX-Trigger: close-dialog.
  document.body.addEventListener("close-dialog", function () {
    if (dialog.open) {
      dialog.close();
    }
  });

  // The server names a file to fetch once the step is done (HX-Trigger: download-file): "Export my data"
  // after the confirmation step it asked for.
  document.body.addEventListener("download-file", function (event) {
    window.location.assign(event.detail.value);
  });

  // Escape (or any other way of closing) empties the dialog and returns focus.
  // When that control is gone (the header changed after logging in), focus
  // goes to the header's first control rather than to the page's <body>.
  dialog.addEventListener("close", function () {
    dialogBody.replaceChildren();
    if (opener && document.contains(opener)) {
      opener.focus();
    } else {
      focusFirst(document.querySelector("#site-header nav"));
    }
    opener = null;
  });

  // Tab from the dialog's last control goes to its first, Shift+Tab from the
  // first to the last: a modal dialog alone lets focus leave for the
  // browser's own controls, and a keyboard user must then find the way back.
  var TABBABLE = "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), " +
    "select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex='-1'])";

  dialog.addEventListener("keydown", function (event) {
    if (event.key !== "Tab") {
      return;
    }
    var controls = Array.prototype.filter.call(dialog.querySelectorAll(TABBABLE), function (element) {
      return element.getClientRects().length > 0;
    });
    var first = controls[0];
    var last = controls[controls.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
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
