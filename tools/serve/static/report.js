// capa serve - the report page's charts (Chart.js from Debian's libjs-chart.js, served by capa):
// the Pareto of defects (cases by defect code, bars, with the cumulative percent as a line) and
// the 12-period trend (opened and closed). The figures come from the page itself, in the
// data-json attribute of #report-data: no inline script, no request of its own. The same
// figures are in the tables beside the charts.
'use strict';
(function () {
  var el = document.getElementById('report-data');
  if (!el || typeof Chart === 'undefined') return;
  var d;
  try { d = JSON.parse(el.getAttribute('data-json')); } catch (e) { return; }
  var blue = '#0d6efd', orange = '#d9480f', grey = '#6c757d';
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  var pareto = document.getElementById('chart-pareto');
  if (pareto && d.pareto && d.pareto.labels.length) {
    new Chart(pareto, {
      data: {
        labels: d.pareto.labels,
        datasets: [
          { type: 'bar', label: d.l.count, data: d.pareto.counts, backgroundColor: blue, yAxisID: 'y', order: 2 },
          { type: 'line', label: d.l.cumulative, data: d.pareto.cumulative, borderColor: orange,
            backgroundColor: orange, yAxisID: 'y1', order: 1 }
        ]
      },
      options: {
        scales: {
          // whole cases only: no 0.5 ticks
          y: { beginAtZero: true, ticks: { precision: 0, stepSize: 1 }, title: { display: true, text: d.l.count } },
          y1: { position: 'right', min: 0, max: 100, grid: { drawOnChartArea: false },
                ticks: { callback: function (v) { return v + ' %'; } } },
          // the whole code under each bar, turned when they do not fit
          x: { ticks: { autoSkip: false, maxRotation: 60, minRotation: 0 } }
        }
      }
    });
  }
  var trend = document.getElementById('chart-trend');
  if (trend && d.trend) {
    new Chart(trend, {
      type: 'line',
      data: {
        labels: d.trend.labels,
        datasets: [
          { label: d.l.opened, data: d.trend.opened, borderColor: blue, backgroundColor: blue },
          { label: d.l.closed, data: d.trend.closed, borderColor: grey, backgroundColor: grey }
        ]
      },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }
})();
