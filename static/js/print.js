/* A button with data-print prints the page (instead of an inline onclick, which the
   Content-Security-Policy refuses). */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
