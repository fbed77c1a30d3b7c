// Trial charts drawn with uPlot (static/vendor/uplot): values on hover (the
// legend follows the cursor), drag across to zoom into a run, double-click to
// zoom out, and a point of the trials chart opens its trial. The server's SVG
// stays underneath for pages without script and for the evidence PDF.
// When a live event re-reads a fragment (trials/fragments.js), the charts already on the
// page are kept and given the new numbers, so a zoomed view stays zoomed.
const COLOURS = {
  target: "#2e7d32",
  cl: "#6b7785",
  ucl: "#c62828",
  lcl: "#c62828",
  spec: "#e69100",
};
const HEIGHT = 200;

function fmt(v) {
  if (v === null || v === undefined) return "—";
  return String(Number(Number(v).toPrecision(4)));
}

function columns(plot) {
  const n = plot.points.length;
  const xs = Array.from({ length: n }, (_, i) => i);
  const values = plot.points.map((p) =>
    p.value === null || p.value === undefined ? null : p.value,
  );
  // Points breaking a control-chart rule, drawn again on top in red.
  const signals = plot.points.map((p) => (p.signal ? p.value : null));
  const lines = plot.lines.map((ln) => xs.map(() => ln.value));
  return [xs, values, signals, ...lines];
}

// Labels and signals are read from the chart's current numbers (u.__plot),
// which a live update replaces without rebuilding the chart.
function options(plot, width) {
  const point = (u, i) => (u.__plot || plot).points[i];
  const label = (u, i) => (point(u, i) && point(u, i).label) || String(i + 1);
  return {
    width,
    height: HEIGHT,
    scales: { x: { time: false } },
    cursor: { drag: { x: true, y: false }, points: { size: 8 } },
    legend: { live: true },
    axes: [
      { values: (u, ticks) => ticks.map((t) => (Number.isInteger(t) ? label(u, t) : "")) },
      { values: (_u, ticks) => ticks.map(fmt) },
    ],
    series: [
      { label: "#", value: (u, i) => (i === null || i === undefined ? "" : label(u, i)) },
      {
        label: plot.title,
        stroke: "#0b6bcb",
        width: 2,
        spanGaps: true,
        points: { show: true, size: 6, fill: "#0b6bcb" },
        value: (_u, v) => fmt(v),
      },
      {
        label: "⚠",
        stroke: "#c62828",
        paths: () => null,
        points: { show: true, size: 9, fill: "#c62828" },
        value: (u, _v, _s, i) => (i !== null && point(u, i) && point(u, i).signal) || "",
      },
      ...plot.lines.map((ln) => ({
        label: ln.label || ln.kind,
        stroke: COLOURS[ln.kind] || "#6b7785",
        dash: [5, 4],
        width: 1,
        points: { show: false },
        value: () => fmt(ln.value),
      })),
    ],
  };
}

function mount(box, kept) {
  const plot = JSON.parse(box.dataset.chart);
  const data = columns(plot);
  const svg = box.querySelector("svg.chart");
  const width = Math.max(240, box.clientWidth || 420);
  let u = kept && kept.series.length === data.length ? kept : null;
  if (u) {
    box.appendChild(u.root);
    u.__plot = plot;
    u.setData(data, false); // keep the reader's zoom
  } else {
    if (kept) kept.destroy();
    u = new window.uPlot(options(plot, width), data, box);
    u.__plot = plot;
    u.over.addEventListener("click", () => {
      const i = u.cursor.idx;
      const p = i === null || i === undefined ? null : u.__plot.points[i];
      if (p && p.trial && u.__plot.href) location.href = u.__plot.href + p.trial;
    });
  }
  box.__plot = u;
  box.dataset.plotted = "1";
  if (svg) svg.setAttribute("hidden", ""); // an SVG element has no `hidden` property
}

export function detachCharts(root) {
  const kept = {};
  (root || document).querySelectorAll(".chart-box[data-plotted]").forEach((box) => {
    if (box.__plot && box.dataset.key) kept[box.dataset.key] = box.__plot;
  });
  return kept;
}

// Pages without uPlot (the workspace page's trials panel) keep the server's SVG.
export function mountCharts(root, kept) {
  if (!window.uPlot) return;
  (root || document).querySelectorAll(".chart-box[data-chart]").forEach((box) => {
    mount(box, kept && box.dataset.key ? kept[box.dataset.key] : null);
  });
}

// uPlot (static/vendor/uplot) is a classic script, loaded before the page's module.
export function startCharts() {
  if (!window.uPlot) return;
  window.addEventListener("resize", () => {
    document.querySelectorAll(".chart-box[data-plotted]").forEach((box) => {
      if (box.__plot) box.__plot.setSize({ width: Math.max(240, box.clientWidth), height: HEIGHT });
    });
  });
  mountCharts(document);
}
