// The dashboard's Chart.js charts (window.Chart, the vendored UMD build): built once, then
// updated in place with chart.update() when new data comes in.

export const STATUS_COLORS = {
  idea: "#8b5cf6", planned: "#3b82f6", in_progress: "#f59e0b", done: "#10b981", dropped: "#9ca3af",
};
const TEAM = "#2563eb";
const VOC = "#db2777";

const Chart = window.Chart;
Chart.defaults.animation = false; // numbers change in place; print and tests see final frames
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;

const n = (value) => `n = ${value}`;

function emotionData(data) {
  return {
    labels: data.phases.map((p) => [p.name, `n = ${p.voc_n}`]),
    datasets: [
      { label: "Team estimate", data: data.phases.map((p) => p.team_emotion), borderColor: TEAM, backgroundColor: TEAM, cubicInterpolationMode: "monotone", spanGaps: true },
      { label: "Customers (VoC)", data: data.phases.map((p) => p.voc_emotion), borderColor: VOC, backgroundColor: VOC, borderDash: [6, 4], cubicInterpolationMode: "monotone", spanGaps: true },
    ],
  };
}

function phaseData(data) {
  return {
    labels: data.phases.map((p) => [p.name, `n = ${p.metrics.nps_count}`]),
    datasets: [
      { label: "NPS", data: data.phases.map((p) => p.metrics.nps), backgroundColor: "#6366f1" },
      { label: "CSAT %", data: data.phases.map((p) => p.metrics.csat), backgroundColor: "#14b8a6" },
    ],
  };
}

function touchpointData(data) {
  const rows = data.touchpoints;
  return {
    labels: rows.map((t) => `${t.is_moment_that_matters ? "★ " : ""}${t.name} (n = ${t.metrics.nps_count})`),
    datasets: [{
      label: "NPS",
      data: rows.map((t) => t.metrics.nps),
      backgroundColor: rows.map((t) => (t.below_target ? "#dc2626" : t.metrics.nps !== null && t.metrics.nps >= 0 ? "#10b981" : "#f59e0b")),
    }],
  };
}

function matrixData(data) {
  // Points on the same cell are spread a little so each stays clickable.
  const seen = new Map();
  const statuses = Object.keys(STATUS_COLORS);
  return {
    datasets: statuses.map((status) => ({
      label: status.replace("_", " "),
      backgroundColor: `${STATUS_COLORS[status]}cc`,
      borderColor: STATUS_COLORS[status],
      data: data.opportunities.filter((o) => o.status === status).map((o) => {
        const key = `${o.effort},${o.impact}`;
        const k = seen.get(key) || 0;
        seen.set(key, k + 1);
        const angle = k * 2.4;
        const spread = k ? 0.18 : 0;
        return { x: o.effort + spread * Math.cos(angle), y: o.impact + spread * Math.sin(angle), r: 5 + o.priority / 2.5, opportunity: o };
      }),
    })),
  };
}

const BUILDERS = { emotion: emotionData, phases: phaseData, touchpoints: touchpointData, matrix: matrixData };

function options(kind, { onOpportunity }) {
  if (kind === "emotion") {
    return {
      scales: { y: { min: -3, max: 3, ticks: { stepSize: 1 }, title: { display: true, text: "emotion (−3…+3)" } } },
      plugins: { tooltip: { callbacks: { afterLabel: (item) => (item.datasetIndex === 1 ? n(item.chart.$data.phases[item.dataIndex].voc_n) : item.chart.$data.phases[item.dataIndex].team_label) } } },
    };
  }
  if (kind === "phases") {
    return {
      scales: { y: { min: -100, max: 100, title: { display: true, text: "NPS / CSAT %" } } },
      plugins: { tooltip: { callbacks: { afterLabel: (item) => {
        const m = item.chart.$data.phases[item.dataIndex].metrics;
        return item.datasetIndex === 0
          ? `± ${m.nps_margin ?? "—"} (95%), n = ${m.nps_count}`
          : `± ${m.csat_margin ?? "—"} (95%), n = ${m.csat_count}`;
      } } } },
    };
  }
  if (kind === "touchpoints") {
    return {
      indexAxis: "y",
      scales: { x: { min: -100, max: 100, title: { display: true, text: "NPS" } } },
      plugins: { legend: { display: false }, tooltip: { callbacks: { afterLabel: (item) => {
        const t = item.chart.$data.touchpoints[item.dataIndex];
        return `± ${t.metrics.nps_margin ?? "—"} (95%), n = ${t.metrics.nps_count}${t.below_target ? " · below target" : ""}`;
      } } } },
    };
  }
  return {
    scales: {
      x: { min: 0.5, max: 5.5, ticks: { stepSize: 1 }, title: { display: true, text: "effort (1 low … 5 high) →" } },
      y: { min: 0.5, max: 5.5, ticks: { stepSize: 1 }, title: { display: true, text: "impact →" } },
    },
    onClick: (event, elements, chart) => {
      const hit = elements[0];
      if (hit) onOpportunity(chart.data.datasets[hit.datasetIndex].data[hit.index].opportunity);
    },
    onHover: (event, elements) => { event.native.target.style.cursor = elements.length ? "pointer" : "default"; },
    plugins: { tooltip: { callbacks: {
      label: (item) => {
        const o = item.raw.opportunity;
        return `${o.title}: impact ${o.impact}, effort ${o.effort}, priority ${o.priority}/25 (${o.status_label})`;
      },
    } } },
  };
}

export class Charts {
  constructor(root, { onOpportunity }) {
    this.charts = {};
    for (const canvas of root.querySelectorAll("canvas[data-chart]")) {
      const kind = canvas.dataset.chart;
      const type = kind === "emotion" ? "line" : kind === "matrix" ? "bubble" : "bar";
      this.charts[kind] = new Chart(canvas, { type, data: { labels: [], datasets: [] }, options: options(kind, { onOpportunity }) });
    }
  }

  update(data) {
    for (const [kind, chart] of Object.entries(this.charts)) {
      chart.$data = data;
      const next = BUILDERS[kind](data);
      chart.data.labels = next.labels;
      // Same datasets, new values: Chart.js keeps the chart and redraws it in place.
      next.datasets.forEach((dataset, i) => {
        if (chart.data.datasets[i]) Object.assign(chart.data.datasets[i], dataset);
        else chart.data.datasets.push(dataset);
      });
      chart.data.datasets.length = next.datasets.length;
      chart.update();
      chart.canvas.dataset.points = JSON.stringify(next.datasets.map((d) => d.data.map((v) => (typeof v === "object" && v !== null ? v.opportunity.id : v))));
    }
  }

  resize() {
    for (const chart of Object.values(this.charts)) chart.resize();
  }
}
