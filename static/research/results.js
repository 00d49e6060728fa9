// Draws one bar chart per survey question from the JSON the results page
// carries (the table under each chart has the same counts).
(function () {
  const dataEl = document.getElementById("result-data");
  if (!window.Chart || !dataEl) return;
  const data = JSON.parse(dataEl.textContent);
  document.querySelectorAll("canvas[data-result]").forEach(function (canvas) {
    const rows = data[canvas.dataset.result] || [];
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: rows.map(function (r) { return r[0]; }),
        datasets: [{ data: rows.map(function (r) { return r[1]; }), backgroundColor: "#06c755" }],
      },
      options: {
        indexAxis: "y", animation: false, responsive: true, maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  });
})();
