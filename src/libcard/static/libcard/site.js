// Progressive enhancement only; every page works without this file.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // The language selector submits itself; the button stays for keyboards without JS.
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    // Large data: URLs are slow to click through; hand the browser a blob instead.
    document.querySelectorAll("a[download][href^='data:']").forEach(function (link) {
      try {
        var parts = link.getAttribute("href").split(",");
        var type = parts[0].slice(5).split(";")[0];
        var bytes = atob(parts[1]);
        var buffer = new Uint8Array(bytes.length);
        for (var i = 0; i < bytes.length; i++) { buffer[i] = bytes.charCodeAt(i); }
        link.href = URL.createObjectURL(new Blob([buffer], { type: type }));
      } catch (e) { /* keep the data: URL */ }
    });
    // Confirmation for dangerous buttons (data-confirm="…").
    document.querySelectorAll("[data-confirm]").forEach(function (el) {
      el.addEventListener("click", function (event) {
        if (!window.confirm(el.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  });
})();
