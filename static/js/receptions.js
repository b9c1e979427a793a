/* The deputy's reception form (/deputy/receptions/new/), progressively enhanced:
   - "Add a matter" adds a row on the page instead of sending the form back;
   - only the deputies placed at the chosen station are offered;
   - the answer box shows only for a matter answered on the spot.
   Without this script the form works the same, with a round trip per added row. */
(function () {
  "use strict";

  var form = document.querySelector("[data-reception-form]");
  if (!form) {
    return;
  }

  // --- Matters: one more row from the <template>, numbered like the others.
  var rows = form.querySelector("[data-matter-rows]");
  var template = form.querySelector("template[data-matter-template]");
  var addButton = form.querySelector("[data-add-matter]");
  var total = form.querySelector("input[name$='-TOTAL_FORMS']");

  function showAnswer(fieldset) {
    var spot = fieldset.querySelector("input[type='radio'][value='answered_on_spot']");
    var answer = fieldset.querySelector("textarea[name$='-answer']");
    if (!answer) {
      return;
    }
    var field = answer.closest(".field");
    // A typed answer stays visible whatever is chosen, so nothing is hidden unread.
    field.hidden = !((spot && spot.checked) || answer.value.trim());
  }

  if (rows && template && addButton && total) {
    var max = parseInt(addButton.getAttribute("data-max"), 10) || 50;
    var refresh = function () {
      addButton.disabled = parseInt(total.value, 10) >= max;
    };
    addButton.addEventListener("click", function (event) {
      event.preventDefault();
      var index = parseInt(total.value, 10);
      if (isNaN(index) || index >= max) {
        return;
      }
      var html = template.innerHTML
        .replace(/__prefix__/g, String(index))
        .replace(/__number__/g, String(index + 1));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      refresh();
      var added = rows.lastElementChild;
      showAnswer(added);
      var first = added.querySelector("textarea, input:not([type='hidden']), select");
      if (first) {
        first.focus();
      }
    });
    rows.addEventListener("change", function (event) {
      var fieldset = event.target.closest("[data-matter]");
      if (fieldset && /-handling$/.test(event.target.name || "")) {
        showAnswer(fieldset);
      }
    });
    Array.prototype.forEach.call(rows.querySelectorAll("[data-matter]"), showAnswer);
    refresh();
  }

  // --- Deputies present: those placed at the chosen station.
  var station = form.querySelector("select[name='station']");
  var boxes = form.querySelectorAll("input[name='deputies'][data-stations]");
  if (station && boxes.length) {
    var filter = function () {
      Array.prototype.forEach.call(boxes, function (box) {
        var here = box.getAttribute("data-stations").split(" ").indexOf(station.value) !== -1;
        var label = box.closest("label") || box;
        label.hidden = !here;
        if (!here) {
          box.checked = false;
        }
      });
    };
    station.addEventListener("change", filter);
    filter();
  }
})();
