/* Passkeys: "Add a passkey" on My account and "Sign in with a passkey" in the log-in dialog.
   The server hands out WebAuthn options as JSON (binary fields in base64url) and checks
   the browser's answer; this file only carries them between the server and the browser.
   Without WebAuthn (or without JavaScript) nothing of this shows: the elements stay hidden. */
(function () {
  "use strict";

  function text(name) {
    return document.body.getAttribute("data-text-" + name);
  }

  function toBytes(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    var binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    return Uint8Array.from(binary, function (character) {
      return character.charCodeAt(0);
    });
  }

  function toBase64url(buffer) {
    var binary = String.fromCharCode.apply(null, new Uint8Array(buffer));
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withBytes(descriptors) {
    return (descriptors || []).map(function (descriptor) {
      return Object.assign({}, descriptor, {id: toBytes(descriptor.id)});
    });
  }

  function creationOptions(options) {
    return Object.assign({}, options, {
      challenge: toBytes(options.challenge),
      user: Object.assign({}, options.user, {id: toBytes(options.user.id)}),
      excludeCredentials: withBytes(options.excludeCredentials)
    });
  }

  function requestOptions(options) {
    return Object.assign({}, options, {
      challenge: toBytes(options.challenge),
      allowCredentials: withBytes(options.allowCredentials)
    });
  }

  function credentialJSON(credential) {
    var response = credential.response;
    var answer = {clientDataJSON: toBase64url(response.clientDataJSON)};
    if (response.attestationObject) {
      answer.attestationObject = toBase64url(response.attestationObject);
      answer.transports = response.getTransports ? response.getTransports() : [];
    } else {
      answer.authenticatorData = toBase64url(response.authenticatorData);
      answer.signature = toBase64url(response.signature);
      answer.userHandle = response.userHandle ? toBase64url(response.userHandle) : null;
    }
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: answer,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults()
    };
  }

  // A POST of JSON with the page's CSRF token; the answer's JSON, whatever its status.
  function post(url, button, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": button.getAttribute("data-csrf")},
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () {
        return {error: text("response-error")};
      });
    }, function () {
      throw new Error(text("unreachable"));
    });
  }

  function say(button, message) {
    button.closest(".passkeys, .passkey-sign-in").querySelector("[data-passkey-error]").textContent = message;
  }

  // Passkeys work only where the page's host is the relying party the server names (its public
  // host): opened under another name (an IP address, say), the browser would refuse every request.
  function passkeysWork() {
    return Boolean(window.PublicKeyCredential) &&
      document.body.getAttribute("data-passkey-host") === window.location.hostname;
  }

  // The request the log-in dialog starts for the browser's autofill, while it waits.
  var autofill = null;

  // End the waiting autofill request (the browser allows one request at a time); resolves once
  // its options have come back, so their challenge can't replace a newer one in the session.
  function stopAutofill() {
    var stopped = autofill;
    autofill = null;
    if (!stopped) {
      return Promise.resolve();
    }
    stopped.controller.abort();
    return stopped.optionsFetched.catch(function () {});
  }

  // The address field offers passkeys among its suggestions (`autocomplete="username webauthn"`):
  // a request with conditional mediation waits for the person to pick one there.
  function startAutofill(container) {
    var button = container.querySelector("[data-passkey-autofill]");
    if (!button || !passkeysWork() || !PublicKeyCredential.isConditionalMediationAvailable) {
      return;
    }
    PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
      if (!available || !document.contains(button)) {
        return;
      }
      return stopAutofill().then(function () {
        var controller = new AbortController();
        var optionsFetched = post(button.getAttribute("data-options-url"), button);
        autofill = {controller: controller, optionsFetched: optionsFetched};
        return optionsFetched.then(function (options) {
          return navigator.credentials.get({
            publicKey: requestOptions(options), mediation: "conditional", signal: controller.signal
          });
        }).then(function (credential) {
          autofill = null;
          return post(button.getAttribute("data-url"), button, credentialJSON(credential));
        }).then(function (answer) {
          if (answer.location) {
            window.location.assign(answer.location);
          } else {
            say(button, answer.error || text("response-error"));
          }
        });
      });
    }).catch(function () {
      // Aborted, or the browser declined: the password and the button still work.
    });
  }

  // One ceremony: options from the server, the browser's dialog, the answer to the server.
  function ceremony(button, ask) {
    say(button, "");
    button.disabled = true;
    stopAutofill().then(function () {
      return post(button.getAttribute("data-options-url"), button);
    }).then(function (options) {
      if (options.confirm) {
        // The sign-in is not recent: the password first, in place of this step.
        window.htmx.ajax("GET", options.confirm, {target: button.closest("[data-step-host]")});
        throw new Error("");
      }
      if (options.error) {
        throw new Error(options.error);
      }
      return ask(options).catch(function () {
        throw new Error(text("passkey-cancelled"));
      });
    }).then(function (credential) {
      return post(button.getAttribute("data-url"), button, credentialJSON(credential));
    }).then(function (answer) {
      if (answer.location) {
        window.location.assign(answer.location);
      } else {
        throw new Error(answer.error || text("response-error"));
      }
    }).catch(function (error) {
      button.disabled = false;
      if (document.contains(button)) {
        say(button, error.message);
      }
    });
  }

  function addPasskey(button) {
    ceremony(button, function (options) {
      return navigator.credentials.create({publicKey: creationOptions(options)});
    });
  }

  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-passkey-add]");
    var signIn = event.target.closest("[data-passkey-sign-in]");
    if (add) {
      addPasskey(add);
    } else if (signIn) {
      ceremony(signIn, function (options) {
        return navigator.credentials.get({publicKey: requestOptions(options)});
      });
    }
  });

  function offerPasskeys(container) {
    if (!passkeysWork()) {
      return;
    }
    container.querySelectorAll("[data-passkey-script-only][hidden]").forEach(function (element) {
      element.hidden = false;
    });
    // Back from the confirmation step that "Add a passkey" asked for: carry on with it.
    var asked = container.querySelector("[data-passkey-start]");
    if (asked) {
      addPasskey(asked);
    }
    startAutofill(container);
  }

  document.addEventListener("htmx:load", function (event) {
    offerPasskeys(event.target);
  });
  offerPasskeys(document);
  document.getElementById("dialog").addEventListener("close", stopAutofill);
})();
