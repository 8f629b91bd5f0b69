// Draws the dashboard's charts with ECharts from the specs in data-chart attributes
// (kind "pie": data [{name, value}]; kind "bar": categories, series [{name, data}], links).
// No inline script: the CSP forbids it.
(function () {
  "use strict";

  function isEmpty(spec) {
    if (spec.kind === "pie") {
      return !(spec.data || []).some(function (d) { return d.value > 0; });
    }
    return !(spec.categories || []).length;
  }

  function option(spec) {
    if (spec.kind === "pie") {
      return {
        tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
        legend: { bottom: 0, type: "scroll" },
        series: [{ type: "pie", radius: ["35%", "62%"], center: ["50%", "45%"],
          data: spec.data, label: { formatter: "{b}\n{c}" } }]
      };
    }
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { bottom: 0 },
      grid: { left: 8, right: 24, top: 8, bottom: 32, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: spec.categories, inverse: true,
        axisLabel: { width: 150, overflow: "truncate" } },
      series: (spec.series || []).map(function (s) {
        return { type: "bar", name: s.name, data: s.data };
      })
    };
  }

  function draw(element) {
    var spec;
    try { spec = JSON.parse(element.dataset.chart); } catch (error) { return; }
    if (isEmpty(spec)) {
      element.classList.add("chart-empty");
      element.textContent = "暂无数据";
      return;
    }
    if (typeof window.echarts === "undefined") {
      element.textContent = "图表组件未加载";
      return;
    }
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(option(spec));
    if (spec.links) {
      chart.on("click", function (params) {
        var target = spec.links[params.dataIndex];
        if (target && target.charAt(0) === "/") { window.location.assign(target); }
      });
    }
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-chart]").forEach(draw);
  });
})();
