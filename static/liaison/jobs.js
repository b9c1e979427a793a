/* Keeps a background job's page current: polls the job's progress view (the URL in
 * data-job-progress-url), moves the progress bar and, when the job has ended, reloads
 * the page so it shows the download link or the reason the job failed. Without this
 * script the page refreshes itself (a <noscript> meta refresh).
 */
(function () {
  "use strict";

  var INTERVAL = 1500;
  var MAX_FAILURES = 5;

  function ready(fn) {
    if (document.readyState !== "loading") {
      fn();
    } else {
      document.addEventListener("DOMContentLoaded", fn);
    }
  }

  function setText(root, field, text) {
    var node = root.querySelector('[data-job-field="' + field + '"]');
    if (node) {
      node.textContent = text;
    }
  }

  function show(root, data) {
    var bar = root.querySelector("progress.job-progress");
    if (bar) {
      if (data.total) {
        bar.max = data.total;
        bar.value = data.done;
        bar.textContent = data.percent + "%";
      } else {
        bar.removeAttribute("value");
      }
    }
    setText(root, "status_display", data.status_display);
    setText(root, "stage", data.stage);
    var count = data.total ? data.done + " / " + data.total : (data.done ? String(data.done) : "");
    setText(root, "count", count);
  }

  ready(function () {
    var root = document.querySelector("[data-job-progress-url]");
    if (!root || root.getAttribute("data-job-finished") === "true") {
      return;
    }
    var url = root.getAttribute("data-job-progress-url");
    var failures = 0;

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(response.status);
          }
          return response.json();
        })
        .then(function (data) {
          failures = 0;
          show(root, data);
          if (data.finished) {
            window.location.reload();
          } else {
            window.setTimeout(poll, INTERVAL);
          }
        })
        .catch(function () {
          // The reload link on the page still works; stop asking a server that fails.
          failures += 1;
          if (failures < MAX_FAILURES) {
            window.setTimeout(poll, INTERVAL * failures);
          }
        });
    }

    window.setTimeout(poll, INTERVAL);
  });
})();
