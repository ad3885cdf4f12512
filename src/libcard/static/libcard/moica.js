// Signing our nonce with the Citizen Digital Certificate through the local HiPKI service.
//
// HiPKI Local Server listens on http://localhost:61161. Browsers other than old IE
// talk to it the way the government's own sample pages do: open its /popupForm in
// a small window; the window posts {"func":"getTbs"} to us; we answer with the
// signing request (the PIN included, so only to HiPKI's origin); the window posts
// {"func":"sign","ret_code":0,"signature":"<base64 PKCS#7>"} back and closes.
// We put the signature into the form and submit it; the server verifies it.
//
// The PIN field has no name, so the form never sends it to the library.
// Messages come from data-msg-* attributes (translated by the page); no inline script.
(function () {
  "use strict";

  // HiPKI's window says "getTbs" at once when the service runs; silence means it does not.
  var HANDSHAKE_MS = 5000;

  function setup(form) {
    var origin = form.getAttribute("data-hipki-origin") || "http://localhost:61161";
    var nonceField = form.querySelector("[data-moica-nonce]");
    var signatureField = form.querySelector("[data-moica-signature]");
    var pinField = form.querySelector("[data-moica-pin]");
    var status = form.querySelector("[data-moica-status]");
    var button = form.querySelector("[data-moica-sign]");
    var popup = null;
    var timer = null;
    var busy = false;

    function message(name, code) {
      var text = form.getAttribute("data-msg-" + name) || name;
      return code === undefined ? text : text.replace("%s", code);
    }

    function say(name, text, isError) {
      if (!status) { return; }
      status.setAttribute("data-state", name);
      status.textContent = text;
      status.className = isError ? "error" : "help";
      status.setAttribute("role", isError ? "alert" : "status");
    }

    function finish() {
      busy = false;
      if (button) { button.disabled = false; }
      if (timer) { window.clearTimeout(timer); timer = null; }
      if (popup && !popup.closed) { try { popup.close(); } catch (e) { /* already gone */ } }
      popup = null;
    }

    function signingRequest() {
      var request = {
        tbs: nonceField.value,
        tbsEncoding: "NONE",
        hashAlgorithm: "SHA256",
        withCardSN: "false",
        pin: encodeURIComponent(pinField.value),
        nonce: "",
        func: "MakeSignature",
        signatureType: "PKCS7"
      };
      // HiPKI decodes the body like a form field: a literal "+" must travel as %2B.
      return JSON.stringify(request).replace(/\+/g, "%2B");
    }

    function hex(code) {
      var number = Number(code);
      return isFinite(number) ? "0x" + (number >>> 0).toString(16) : String(code);
    }

    window.addEventListener("message", function (event) {
      if (event.origin !== origin || !busy) { return; }
      var answer;
      try {
        answer = typeof event.data === "string" ? JSON.parse(event.data) : event.data;
      } catch (e) {
        return; // not HiPKI's JSON: ignore
      }
      if (!answer || !answer.func) { return; }
      if (answer.func === "getTbs") {
        if (timer) { window.clearTimeout(timer); timer = null; }
        if (popup) { popup.postMessage(signingRequest(), origin); }
        return;
      }
      if (answer.func === "sign") {
        pinField.value = "";
        var code = Number(answer.ret_code);
        if (code === 0 && answer.signature) {
          signatureField.value = answer.signature;
          finish();
          say("signed", message("signed"), false);
          form.submit();
        } else {
          finish();
          say("failed", message("failed", hex(answer.ret_code)), true);
        }
      }
    });

    form.addEventListener("submit", function (event) {
      if (signatureField.value) { return; } // signed already: let it go to the server
      event.preventDefault();
      if (busy) { return; }
      if (!pinField.value) {
        say("no-pin", message("no-pin"), true);
        pinField.focus();
        return;
      }
      busy = true;
      if (button) { button.disabled = true; }
      say("signing", message("signing"), false);
      popup = window.open(origin + "/popupForm", "hipki-sign", "height=200,width=200,left=100,top=20");
      if (!popup) {
        finish();
        say("popup-blocked", message("popup-blocked"), true);
        return;
      }
      timer = window.setTimeout(function () {
        finish();
        say("no-service", message("no-service"), true);
      }, Number(form.getAttribute("data-handshake-ms")) || HANDSHAKE_MS);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-moica]").forEach(setup);
  });
})();
