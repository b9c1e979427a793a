/* The deputy's ballot: count the "for" marks as the deputy marks (a hint only, the
   server decides). The message comes translated in data-for-count-template. */
(function () {
  "use strict";
  var form = document.querySelector("[data-ballot]");
  var out = document.querySelector("[data-for-count]");
  if (!form || !out) { return; }
  var places = parseInt(form.getAttribute("data-places"), 10);
  var template = form.getAttribute("data-for-count-template") || "";
  function update() {
    var count = form.querySelectorAll('input[type="radio"][value="for"]:checked').length;
    out.hidden = false;
    out.textContent = template.replace("__count__", count).replace("__places__", places);
    out.classList.toggle("is-over", count > places);
  }
  form.addEventListener("change", update);
  update();
})();
