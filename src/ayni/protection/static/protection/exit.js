// Salida rápida: the page is replaced by a neutral one (location.replace leaves no entry for it
// in the back button), the session is ended by a beacon, and a protection page shown again from
// the browser's memory reloads — the server then asks for the password, never shows the case.
(function () {
  "use strict";
  var form = document.getElementById("quick-exit");
  if (!form) { return; }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    try { navigator.sendBeacon(form.action, new FormData(form)); } catch (e) { /* the page still leaves */ }
    document.title = "";
    document.body.textContent = "";
    window.location.replace(form.getAttribute("data-to"));
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { window.location.reload(); }
  });
})();
