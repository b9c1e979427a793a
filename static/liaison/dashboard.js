/* Draws the admin dashboard's charts with Chart.js (static/vendor/chartjs) from the
 * json_script payload "dashboard-data". Each chart's table stays in the page as its
 * accessible fallback; once the chart is drawn the table folds away (one click opens it).
 */
(function () {
  "use strict";

  var PALETTE = ["#417690", "#79aec8", "#e0a35c", "#ba2121", "#5b8c5a", "#8a6bb1", "#c6a55c", "#999999"];

  function ready(fn) {
    if (document.readyState !== "loading") {
      fn();
    } else {
      document.addEventListener("DOMContentLoaded", fn);
    }
  }

  function bar(labels, series, horizontal) {
    return {
      type: "bar",
      data: {
        labels: labels,
        datasets: series.map(function (s, i) {
          return { label: s.label, data: s.data, backgroundColor: s.color || PALETTE[i] };
        })
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        scales: {
          x: { beginAtZero: true, ticks: { precision: 0, autoSkip: horizontal } },
          y: { beginAtZero: true, ticks: { precision: 0, autoSkip: !horizontal } }
        }
      },
      // Rows of a horizontal chart need room: its box grows with the number of labels.
      height: horizontal ? Math.max(260, labels.length * (series.length * 9 + 8) + 60) : null
    };
  }

  function doughnut(labels, counts) {
    return {
      type: "doughnut",
      data: { labels: labels, datasets: [{ data: counts, backgroundColor: PALETTE.slice(0, counts.length) }] },
      options: { plugins: { legend: { position: "right" } } }
    };
  }

  function charts(data) {
    var s = data.series;
    return {
      months: function () {
        return {
          type: "line",
          data: {
            labels: data.months.labels,
            datasets: [
              { label: s.received, data: data.months.received, borderColor: PALETTE[0], backgroundColor: PALETTE[0], tension: 0.2 },
              { label: s.closed, data: data.months.closed, borderColor: PALETTE[2], backgroundColor: PALETTE[2], tension: 0.2 }
            ]
          },
          options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
        };
      },
      categories: function () {
        return bar(data.categories.labels, [
          { label: s.received, data: data.categories.received },
          { label: s.closed, data: data.categories.closed, color: PALETTE[2] }
        ], true);
      },
      regions: function () {
        return bar(data.regions.labels, [
          { label: s.received, data: data.regions.received },
          { label: s.closed, data: data.regions.closed, color: PALETTE[2] },
          { label: s.overdue, data: data.regions.overdue, color: PALETTE[3] }
        ], false);
      },
      stations: function () {
        return bar(data.stations.labels, [{ label: s.receptions, data: data.stations.receptions, color: PALETTE[4] }], true);
      },
      phases: function () {
        return doughnut(data.phases.labels, data.phases.counts);
      },
      projects: function () {
        return doughnut(data.projects.labels, data.projects.counts);
      }
    };
  }

  ready(function () {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof window.Chart === "undefined") {
      return; // the tables stay open
    }
    var data = JSON.parse(source.textContent);
    var makers = charts(data);
    var Chart = window.Chart;
    Chart.defaults.animation = false; // drawn at once: calmer, and printable at once
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    var fg = getComputedStyle(document.body).getPropertyValue("--body-quiet-color");
    if (fg) {
      Chart.defaults.color = fg.trim();
    }
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var make = makers[canvas.getAttribute("data-chart")];
      if (!make) {
        return;
      }
      var config = make();
      if (config.height) {
        canvas.parentNode.style.height = config.height + "px";
      }
      delete config.height;
      try {
        new Chart(canvas, config);
      } catch (error) {
        return; // keep the table open
      }
      var figure = canvas.closest("figure");
      var table = figure && figure.querySelector("details.dash-table");
      if (table) {
        table.open = false;
      }
    });
  });
})();
