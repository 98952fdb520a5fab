/* Draws the charts of the dashboard and the account page with the vendored ECharts.
 *
 * Each chart is an element `<div class="kam-chart" data-chart="NAME">`; its data is the
 * JSON of `<script id="dashboard-data">` (the panel NAME's part of it), or of the script
 * named by `data-source`. Translated words come from `<script id="chart-labels">`.
 * The numbers behind every chart are in a table next to it, so nothing here is the only
 * way to read them. */
(function () {
  "use strict";

  if (typeof echarts === "undefined") { return; }

  function read(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  var L = read("chart-labels") || {};
  var dashboard = read("dashboard-data") || {};
  var lang = (document.documentElement.lang || "en").toLowerCase();
  var locale = lang.indexOf("zh") === 0 ? "ZH" : "EN";
  var COLOURS = {
    A: "#0d6efd", B: "#6f42c1", C: "#6c757d", none: "#adb5bd",
    red: "#dc3545", amber: "#f0ad00", green: "#198754", grey: "#adb5bd",
    blue: "#0d6efd", purple: "#6f42c1", teal: "#20c997", orange: "#fd7e14"
  };
  var GRID = { left: 12, right: 24, top: 36, bottom: 8, containLabel: true };
  // Charts with a legend: the legend below, the axis names above.
  var GRID_LEGEND = { left: 12, right: 24, top: 30, bottom: 30, containLabel: true };
  var LEGEND = { bottom: 0 };
  // The page's language decides the separators, not the browser's settings (kam/formats).
  var number = new Intl.NumberFormat(lang.indexOf("zh") === 0 ? "zh-CN" : "en-GB",
                                     { maximumFractionDigits: 1 });

  // Dates in the product's one style per language (kam/formats): "4 Dec" in English,
  // "12-04" in 简体中文 (the axis drops the year the table beside it shows).
  var dayMonth = locale === "ZH" ? null
    : new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
  function day(iso) {
    if (!iso) { return ""; }
    if (!dayMonth) { return iso.slice(5); }
    var parts = iso.split("-");
    return dayMonth.format(new Date(Date.UTC(+parts[0], +parts[1] - 1, +parts[2])));
  }

  function label(key) { return L[key] || key; }
  function fmt(value) { return value === null || value === undefined ? "—" : number.format(value); }
  function short(text, size) {
    text = String(text || "");
    return text.length > size ? text.slice(0, size - 1) + "…" : text;
  }

  var builders = {
    tiers: function (d) {
      if (!d || !d.customers) { return null; }
      var names = d.tiers.map(function (t) { return t.tier === "none" ? label("no_tier") : t.tier; });
      return {
        legend: LEGEND, grid: GRID_LEGEND, tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: names },
        yAxis: [{ type: "value", name: label("customers"), minInterval: 1 },
                { type: "value", name: "%", max: 100, splitLine: { show: false } }],
        series: [
          { name: label("customers"), type: "bar", data: d.tiers.map(function (t) {
            return { value: t.customers, itemStyle: { color: COLOURS[t.tier] } }; }),
            label: { show: true, position: "top" } },
          { name: label("revenue_share"), type: "bar", yAxisIndex: 1, barGap: "10%",
            itemStyle: { color: COLOURS.teal },
            data: d.tiers.map(function (t) { return t.revenue_share; }),
            label: { show: true, position: "top", formatter: function (p) { return fmt(p.value) + " %"; } } }
        ]
      };
    },

    pareto: function (d) {
      if (!d || !d.pareto.points.length) { return null; }
      var lines = d.pareto.cutoffs.map(function (c) {
        var line = { name: label("cutoff").replace("%(tier)s", c.tier),
                     label: { formatter: c.tier + " " + fmt(c.value) + " %" },
                     lineStyle: { color: COLOURS[c.tier], type: "dashed" } };
        line[c.axis === "x" ? "xAxis" : "yAxis"] = c.value;
        return line;
      });
      return {
        grid: { left: 12, right: 24, top: 36, bottom: 28, containLabel: true },
        tooltip: { trigger: "axis", valueFormatter: function (v) { return fmt(v) + " %"; } },
        xAxis: { type: "value", min: 0, max: 100, name: label("customers_pct"), nameLocation: "middle", nameGap: 24 },
        yAxis: { type: "value", min: 0, max: 100, name: label("revenue_pct") },
        series: [{ type: "line", name: label("cumulative_revenue"), showSymbol: false,
                   data: d.pareto.points, areaStyle: { opacity: 0.12 }, lineStyle: { width: 2 },
                   itemStyle: { color: COLOURS.blue },
                   markLine: { symbol: "none", data: lines } }]
      };
    },

    concentration: function (d) {
      if (!d || !d.top1) { return null; }
      return {
        grid: GRID, tooltip: { trigger: "axis", valueFormatter: function (v) { return fmt(v) + " %"; } },
        xAxis: { type: "category", data: [label("top1"), label("top20")], axisLabel: { interval: 0 } },
        yAxis: { type: "value", max: 100, name: label("share") },
        series: [{ type: "bar", barWidth: "45%", data: [
          { value: d.top1.share, itemStyle: { color: d.top1.flagged ? COLOURS.red : COLOURS.blue } },
          { value: d.top20_share, itemStyle: { color: COLOURS.purple } }],
          label: { show: true, position: "top", formatter: function (p) { return fmt(p.value) + " %"; } },
          markLine: { symbol: "none", data: [{ yAxis: d.threshold, name: label("threshold"),
            label: { formatter: label("threshold") + " " + fmt(d.threshold) + " %", position: "insideEndTop" },
            lineStyle: { color: COLOURS.red, type: "dashed" } }] } }]
      };
    },

    hhi: function (d) {
      if (!d || !d.trend.length || !d.trend.some(function (r) { return r.hhi !== null; })) { return null; }
      return {
        legend: LEGEND, grid: GRID_LEGEND, tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: d.trend.map(function (r) { return r.period; }) },
        yAxis: [{ type: "value", name: label("hhi") },
                { type: "value", name: label("top1_pct"), splitLine: { show: false } }],
        series: [
          { type: "line", name: label("hhi"), data: d.trend.map(function (r) { return r.hhi; }),
            itemStyle: { color: COLOURS.blue }, connectNulls: true },
          { type: "line", name: label("top1_pct"), yAxisIndex: 1,
            data: d.trend.map(function (r) { return r.top1_share; }),
            itemStyle: { color: COLOURS.orange }, lineStyle: { type: "dashed" }, connectNulls: true }
        ]
      };
    },

    heatmap: function (d) {
      if (!d || !d.rows.length) { return null; }
      var rows = d.rows.slice().reverse();
      var cells = [];
      rows.forEach(function (row, y) {
        row.cells.forEach(function (value, x) { cells.push([x, y, value === null ? "-" : value]); });
      });
      return {
        grid: { left: 12, right: 16, top: 8, bottom: 48, containLabel: true },
        tooltip: { position: "top" },
        xAxis: { type: "category", data: d.departments.map(function (dep) { return dep.label; }),
                 splitArea: { show: true }, axisLabel: { interval: 0 } },
        yAxis: { type: "category", data: rows.map(function (row) { return short(row.customer.name, 22); }),
                 splitArea: { show: true } },
        // The bands of satisfaction.index, as the report pages colour their cells.
        visualMap: { type: "piecewise", orient: "horizontal", left: "center", bottom: 0,
                     pieces: d.colour_bands, itemGap: 6,
                     formatter: function (low, high) { return fmt(low) + "–" + fmt(high); } },
        series: [{ type: "heatmap", name: label("index"), data: cells,
                   label: { show: true, formatter: function (p) { return p.value[2] === "-" ? "" : fmt(p.value[2]); } } }]
      };
    },

    movers: function (d) {
      if (!d) { return null; }
      var rows = d.movers_up.concat(d.movers_down.slice().reverse());
      if (!rows.length) { return null; }
      rows = rows.slice().reverse();
      return {
        grid: { left: 12, right: 48, top: 16, bottom: 8, containLabel: true },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        xAxis: { type: "value" },
        yAxis: { type: "category", data: rows.map(function (r) { return short(r.customer.name, 20); }) },
        series: [{ type: "bar", name: label("change"), data: rows.map(function (r) {
          return { value: r.trend, itemStyle: { color: r.trend >= 0 ? COLOURS.green : COLOURS.red } }; }),
          label: { show: true, position: "right", formatter: function (p) { return (p.value > 0 ? "+" : "") + fmt(p.value); } } }]
      };
    },

    opl_owners: function (d) {
      if (!d || !d.by_owner.length) { return null; }
      var rows = d.by_owner.slice(0, 12).reverse();
      var names = rows.map(function (r) { return r.owner ? short(r.owner.name, 20) : label("unassigned"); });
      function series(key, colour) {
        return { type: "bar", name: label(key), itemStyle: { color: colour },
                 data: rows.map(function (r) { return r[key]; }) };
      }
      return {
        legend: LEGEND, grid: GRID_LEGEND, tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        xAxis: { type: "value", minInterval: 1 }, yAxis: { type: "category", data: names },
        series: [series("open", COLOURS.blue), series("overdue", COLOURS.red), series("stale", COLOURS.amber)]
      };
    },

    ageing: function (d) {
      if (!d || !d.totals.open) { return null; }
      return {
        grid: GRID, tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: d.ageing.map(function (r) { return r.label; }),
                 axisLabel: { interval: 0, width: 56, overflow: "break", fontSize: 11 } },
        yAxis: { type: "value", minInterval: 1, name: label("items") },
        series: [{ type: "bar", name: label("items"), data: d.ageing.map(function (r, i) {
          return { value: r.count, itemStyle: { color: [COLOURS.green, COLOURS.amber, COLOURS.orange, COLOURS.red][i] } }; }),
          label: { show: true, position: "top" } }]
      };
    },

    burndown: function (d) {
      if (!d || !d.burndown.some(function (w) { return w.open || w.opened || w.closed; })) { return null; }
      return {
        legend: LEGEND, grid: GRID_LEGEND, tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: d.burndown.map(function (w) { return day(w.week_ending); }) },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { type: "line", name: label("open"), data: d.burndown.map(function (w) { return w.open; }),
            itemStyle: { color: COLOURS.blue }, lineStyle: { width: 3 } },
          { type: "bar", name: label("opened"), data: d.burndown.map(function (w) { return w.opened; }),
            itemStyle: { color: COLOURS.orange } },
          { type: "bar", name: label("closed"), data: d.burndown.map(function (w) { return w.closed; }),
            itemStyle: { color: COLOURS.green } }
        ]
      };
    },

    rag: function (d) {
      if (!d || !d.rag) { return null; }
      var keys = ["red", "amber", "green", "none"];
      var total = keys.reduce(function (sum, k) { return sum + d.rag[k]; }, 0);
      if (!total) { return null; }
      return {
        legend: { bottom: 0 }, tooltip: { trigger: "item" },
        series: [{ type: "pie", radius: ["45%", "72%"], center: ["50%", "45%"],
                   label: { formatter: "{c}" },
                   data: keys.map(function (k) { return { name: label(k), value: d.rag[k], itemStyle: { color: COLOURS[k === "none" ? "grey" : k] } }; }) }]
      };
    },

    cadence: function (d) {
      if (!d || !d.by_tier.some(function (r) { return r.standards; })) { return null; }
      return {
        legend: LEGEND, grid: GRID_LEGEND, tooltip: { trigger: "axis", valueFormatter: function (v) { return fmt(v) + " %"; } },
        xAxis: { type: "category", data: d.by_tier.map(function (r) { return r.tier; }) },
        yAxis: { type: "value", max: 100, name: "%" },
        series: [
          { type: "bar", name: label("compliance"), data: d.by_tier.map(function (r) {
            return { value: r.compliance, itemStyle: { color: COLOURS[r.tier] } }; }),
            label: { show: true, position: "top", formatter: function (p) { return fmt(p.value); } } },
          { type: "bar", name: label("compliant_share"), data: d.by_tier.map(function (r) { return r.compliant_share; }),
            itemStyle: { color: COLOURS.teal } }
        ]
      };
    },

    health: function (d) {
      if (!d || !d.lowest.length) { return null; }
      var rows = d.lowest.slice().reverse();
      var colour = { good: COLOURS.green, watch: COLOURS.amber, at_risk: COLOURS.red };
      return {
        grid: { left: 12, right: 32, top: 16, bottom: 8, containLabel: true },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        xAxis: { type: "value", min: 0, max: 100 },
        yAxis: { type: "category", data: rows.map(function (r) { return short(r.customer.name, 22); }) },
        series: [{ type: "bar", name: label("health"), data: rows.map(function (r) {
          return { value: r.health, itemStyle: { color: colour[r.band] } }; }),
          label: { show: true, position: "right" },
          markLine: { symbol: "none", silent: true, data: [{ xAxis: 50 }, { xAxis: 75 }],
                      lineStyle: { type: "dotted", color: COLOURS.grey }, label: { show: false } } }]
      };
    },

    health_trend: function (d) {
      if (!d || !d.length) { return null; }
      var colour = { good: COLOURS.green, watch: COLOURS.amber, at_risk: COLOURS.red };
      return {
        grid: { left: 12, right: 24, top: 16, bottom: 8, containLabel: true },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: d.map(function (r) { return day(r.week); }) },
        yAxis: { type: "value", min: 0, max: 100 },
        series: [{ type: "line", name: label("health"), connectNulls: false,
          itemStyle: { color: COLOURS.blue },
          data: d.map(function (r) {
            return { value: r.value, itemStyle: { color: colour[r.band] || COLOURS.grey } }; }),
          markLine: { symbol: "none", silent: true, data: [{ yAxis: 50 }, { yAxis: 75 }],
                      lineStyle: { type: "dotted", color: COLOURS.grey }, label: { show: false } } }]
      };
    },

    figures: function (d) {
      if (!d || !d.length) { return null; }
      return {
        legend: LEGEND, grid: GRID_LEGEND, tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: d.map(function (r) { return r.period; }) },
        yAxis: [{ type: "value", name: label("revenue") },
                { type: "value", name: "%", max: 100, splitLine: { show: false } }],
        series: [
          { type: "bar", name: label("revenue"), data: d.map(function (r) { return r.revenue; }),
            itemStyle: { color: COLOURS.blue } },
          { type: "line", name: label("margin"), yAxisIndex: 1, connectNulls: true,
            data: d.map(function (r) { return r.gross_margin; }), itemStyle: { color: COLOURS.orange } },
          { type: "line", name: label("on_time"), yAxisIndex: 1, connectNulls: true,
            data: d.map(function (r) { return r.on_time_delivery; }), itemStyle: { color: COLOURS.green } }
        ]
      };
    }
  };

  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var name = element.getAttribute("data-chart");
    var source = element.getAttribute("data-source");
    var data = source ? read(source) : dashboard[element.getAttribute("data-panel") || panelOf(name)];
    var option = builders[name] ? builders[name](data) : null;
    if (!option) {
      element.classList.add("kam-chart-empty");
      element.textContent = label("no_data");
      return;
    }
    option.animation = false;
    var chart = echarts.init(element, null, { renderer: "canvas", locale: locale });
    chart.setOption(option);
    element.setAttribute("data-drawn", "true");
    charts.push(chart);
  });

  function panelOf(name) {
    return { pareto: "tiers", hhi: "concentration", heatmap: "satisfaction", movers: "satisfaction",
             opl_owners: "opl", ageing: "opl", burndown: "opl", rag: "programmes" }[name] || name;
  }

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  window.kamCharts = charts;
})();
