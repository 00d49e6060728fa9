// Draws the analytics dashboard's charts with the vendored Chart.js from the
// JSON the page carries (the table below each chart has the same figures).
(function () {
  const palette = ["#06c755", "#0b63c5", "#f59e0b", "#d93025", "#7c3aed",
    "#0891b2", "#65a30d", "#db2777", "#475569", "#ea580c", "#4f46e5"];
  const dataEl = document.getElementById("chart-data");
  const canvas = document.getElementById("analytics-chart");
  if (window.Chart && dataEl && canvas) {
    const spec = JSON.parse(dataEl.textContent);
    new window.Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (s, i) {
          return {
            label: s.label, data: s.data, spanGaps: true, tension: 0.2,
            borderColor: palette[i % palette.length],
            backgroundColor: palette[i % palette.length],
          };
        }),
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: { x: { stacked: !!spec.stacked }, y: { stacked: !!spec.stacked, beginAtZero: true } },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }
  const sharesEl = document.getElementById("shares-data");
  if (window.Chart && sharesEl) {
    const shares = JSON.parse(sharesEl.textContent);
    document.querySelectorAll("canvas[data-shares]").forEach(function (c) {
      const rows = shares[c.dataset.shares] || [];
      new window.Chart(c, {
        type: "bar",
        data: {
          labels: rows.map(function (r) { return r[0]; }),
          datasets: [{ data: rows.map(function (r) { return r[2]; }), backgroundColor: "#06c755" }],
        },
        options: {
          indexAxis: "y", animation: false, responsive: true, maintainAspectRatio: false,
          plugins: { legend: { display: false } },
          scales: { x: { beginAtZero: true, max: 100, ticks: { callback: function (v) { return v + "%"; } } } },
        },
      });
    });
  }
})();
