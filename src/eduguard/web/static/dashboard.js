// Draws the dashboard's charts with ECharts from the specs in data-chart attributes
// (kind "pie": data [{name, value}]; kind "bar": categories, series [{name, data}], links).
// No inline script: the CSP forbids it.
(function () {
  "use strict";

  // Colours by meaning, not by position: high severity and sensitive data red, pending amber,
  // done green; the levels from dark red (core) to grey-blue (general 1).
  var RED = "#d92d20", AMBER = "#f79009", GREEN = "#12b76a", BLUE = "#2e90fa", GREY = "#98a2b3";
  var MEANING = {
    "高": RED, "中": AMBER, "低": BLUE,
    "已审核": GREEN, "待审核": AMBER, "待复核": RED,
    "已设定": GREEN, "未设定": AMBER,
    "敏感个人信息": RED, "未成年人个人信息": AMBER, "合规发现": RED,
    "核心数据": "#7a271a", "重要数据": RED, "一般数据（4级）": "#f04438",
    "一般数据（3级）": AMBER, "一般数据（2级）": "#fdb022", "一般数据（1级）": GREY
  };

  function coloured(item) {
    var colour = MEANING[item.name];
    return colour ? Object.assign({ itemStyle: { color: colour } }, item) : item;
  }

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
          data: (spec.data || []).map(coloured), label: { formatter: "{b}\n{c}" } }]
      };
    }
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { bottom: 0 },
      grid: { left: 8, right: 24, top: 8, bottom: 32, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: spec.categories, inverse: true,
        axisLabel: { width: 180, overflow: "truncate" } },
      series: (spec.series || []).map(function (s) {
        var colour = MEANING[s.name];
        return { type: "bar", name: s.name, data: s.data, itemStyle: colour ? { color: colour } : undefined };
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
