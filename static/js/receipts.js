/* The public results page: filter the receipt codes as the deputy types, so one can
   find one's own code; nothing leaves the phone. */
(function () {
  "use strict";
  var input = document.querySelector("[data-receipt-filter]");
  var empty = document.querySelector("[data-filter-empty]");
  if (!input) { return; }
  var items = document.querySelectorAll("[data-receipts] li");
  input.addEventListener("input", function () {
    var wanted = input.value.replace(/[\s-]/g, "").toUpperCase();
    var shown = 0;
    items.forEach(function (item) {
      var match = !wanted || item.textContent.indexOf(wanted) === 0;
      item.hidden = !match;
      if (match) { shown += 1; }
    });
    if (empty) { empty.hidden = shown > 0 || !wanted; }
  });
})();
