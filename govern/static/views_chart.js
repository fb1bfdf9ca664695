// The auditor's chart of one account's views per hour beside its group's usual
// (govern/templates/investigations/chart.html): the data come from a JSON block, since the
// Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  var block = document.getElementById("views-data");
  var target = document.getElementById("views-chart");
  if (!block || !target || !window.echarts) { return; }
  var data = JSON.parse(block.textContent);
  var chinese = document.documentElement.lang.indexOf("zh") === 0;
  var chart = window.echarts.init(target, null, { locale: chinese ? "ZH" : "EN", renderer: "canvas" });
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis", renderMode: "richText" },  // no HTML: CSP forbids inline styles
    legend: { top: 0, data: [data.labels.views, data.labels.usual] },
    grid: { left: 48, right: 24, top: 40, bottom: 64 },
    xAxis: { type: "category", data: data.hours, axisLabel: { hideOverlap: true } },
    yAxis: { type: "value", minInterval: 1 },
    dataZoom: [{ type: "inside" }, { type: "slider" }],
    series: [
      { name: data.labels.views, type: "bar", data: data.views },
      { name: data.labels.usual, type: "line", step: "middle", showSymbol: false, data: data.usual }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
}());
