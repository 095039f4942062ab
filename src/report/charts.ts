// SVG charts for the HTML report, drawn on the server side (Node, no DOM, no browser).
//
// Why Apache ECharts: it renders SVG strings synchronously in Node through its server-side
// rendering mode (`init(null, null, { renderer: "svg", ssr: true })` + `renderToSVGString()`),
// so `renderReport` stays a plain synchronous string function; it is one well-kept package
// (plus its own zrender) rather than vega's tree of some thirty packages, it escapes the text
// it draws, and its custom series draws confidence-interval whiskers in a few lines. Only the
// pieces used are registered (line, scatter, custom; grid, title, legend, mark lines; the SVG
// renderer).
//
// Determinism: zrender names the CSS classes in the SVG from process-wide counters
// ("zr7-cls-312"); we rename them from the chart's own id in order of appearance ("c3-0"),
// so the same input gives the same SVG however many charts the process drew before, and the
// classes of two charts in one page never collide. Animation is off.
//
// Every chart gets role="img", an aria-label and an SVG <title> (and <desc> where given).

import * as echarts from "echarts/core";
import { CustomChart, LineChart, ScatterChart } from "echarts/charts";
import { GridComponent, LegendComponent, MarkLineComponent, TitleComponent } from "echarts/components";
import { SVGRenderer } from "echarts/renderers";
import { escapeHtml } from "./format.js";

echarts.use([CustomChart, LineChart, ScatterChart, GridComponent, LegendComponent, MarkLineComponent, TitleComponent, SVGRenderer]);

/** Colours: the DDPG policy stands out, everything else is a quiet slate. */
export const COLORS = {
  highlight: "#c2185b",
  other: "#5b6b82",
  reference: "#9aa5b5",
  axis: "#54555a",
  grid: "#e3e6ea",
  text: "#1f2328",
  /** Further lines of one chart (e.g. measured return beside predicted Q). */
  second: "#1f6feb",
} as const;

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";

/** One row of a dot-and-whisker chart. */
export interface DotRow {
  /** Axis label (a policy name, or e.g. "original · ddpg"). */
  label: string;
  mean: number;
  /** Interval ends; omit (or NaN) for a point figure without an interval. */
  lo?: number;
  hi?: number;
  /** Drawn in the highlight colour with a bold label. */
  highlight: boolean;
  /** A figure quoted from elsewhere (drawn as a hollow diamond). */
  reference?: boolean;
}

export interface ChartText {
  /** Stable id of the chart within the page (letters, digits, '-'); prefixes its CSS classes. */
  id: string;
  title: string;
  subtitle?: string;
  /** Longer text description for assistive technology (SVG <desc>). */
  description?: string;
}

const finite = (x: number | undefined): x is number => typeof x === "number" && Number.isFinite(x);

/**
 * Horizontal dot-and-whisker chart: one row per entry, the dot at the mean, a whisker from
 * lo to hi with end caps. Rows run top to bottom in the given order.
 */
export function dotWhiskerChart(text: ChartText, rows: DotRow[], opts: { width?: number; percent?: boolean } = {}): string {
  const width = opts.width ?? 560;
  const rowHeight = 30;
  const top = text.subtitle ? 62 : 44;
  const bottom = 34;
  const height = top + bottom + Math.max(1, rows.length) * rowHeight;
  const labels = rows.map((r) => r.label);
  const labelWidth = Math.min(190, 14 + 7.2 * Math.max(4, ...labels.map((l) => l.length)));

  const points = rows.map((r, i) => ({
    value: [finite(r.mean) ? r.mean : null, i],
    symbol: r.reference ? "diamond" : "circle",
    symbolSize: r.reference ? 12 : 10,
    itemStyle: r.reference
      ? { color: "#fff", borderColor: r.highlight ? COLORS.highlight : COLORS.other, borderWidth: 2 }
      : { color: r.highlight ? COLORS.highlight : COLORS.other },
  }));
  const whiskers = rows
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => finite(r.lo) && finite(r.hi))
    .map(({ r, i }) => ({ value: [r.lo as number, r.hi as number, i], highlight: r.highlight }));
  const highlightOf = whiskers.map((w) => w.highlight);

  const option = {
    animation: false,
    textStyle: { fontFamily: FONT, color: COLORS.text },
    title: titleOption(text),
    grid: { left: labelWidth, right: 24, top, bottom },
    xAxis: {
      type: "value",
      scale: true,
      axisLine: { show: true, lineStyle: { color: COLORS.axis } },
      splitLine: { lineStyle: { color: COLORS.grid } },
      axisLabel: {
        color: COLORS.axis,
        fontSize: 11,
        ...(opts.percent ? { formatter: (v: number) => `${Math.round(v * 1000) / 10}%` } : {}),
      },
    },
    yAxis: {
      type: "category",
      inverse: true,
      data: rows.map((r) => ({
        value: r.label,
        textStyle: r.highlight ? { fontWeight: "bold", color: COLORS.highlight } : { color: COLORS.text },
      })),
      axisTick: { show: false },
      axisLine: { lineStyle: { color: COLORS.axis } },
      axisLabel: { fontSize: 12 },
    },
    series: [
      {
        type: "custom",
        silent: true,
        encode: { x: [0, 1], y: 2 },
        data: whiskers.map((w) => w.value),
        renderItem: (params: { dataIndex: number }, api: CustomApi) => {
          const lo = api.coord([api.value(0), api.value(2)]);
          const hi = api.coord([api.value(1), api.value(2)]);
          const cap = 7;
          const stroke = highlightOf[params.dataIndex] ? COLORS.highlight : COLORS.other;
          const style = { stroke, lineWidth: 2, fill: "none" };
          return {
            type: "group",
            children: [
              { type: "line", shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style },
              { type: "line", shape: { x1: lo[0], y1: lo[1] - cap, x2: lo[0], y2: lo[1] + cap }, style },
              { type: "line", shape: { x1: hi[0], y1: hi[1] - cap, x2: hi[0], y2: hi[1] + cap }, style },
            ],
          };
        },
        z: 1,
      },
      { type: "scatter", silent: true, data: points, z: 2 },
    ],
  };
  return render(text, option, width, height);
}

/** One line chart of a per-episode series; non-finite values leave gaps. */
export function lineChart(
  text: ChartText,
  xs: number[],
  ys: number[],
  opts: { width?: number; height?: number; xName?: string } = {},
): string {
  const width = opts.width ?? 360;
  const height = opts.height ?? 220;
  const top = text.subtitle ? 62 : 44;
  const option = {
    animation: false,
    textStyle: { fontFamily: FONT, color: COLORS.text },
    title: titleOption(text),
    // ECharts 6 spelling of "containLabel": the axis labels fit inside the grid box.
    grid: { left: 12, right: 16, top, bottom: 36, outerBoundsMode: "same", outerBoundsContain: "axisLabel" },
    xAxis: {
      type: "value",
      name: opts.xName ?? "",
      nameLocation: "middle",
      nameGap: 24,
      nameTextStyle: { color: COLORS.axis, fontSize: 11 },
      min: "dataMin",
      max: "dataMax",
      minInterval: 1,
      axisLine: { lineStyle: { color: COLORS.axis } },
      splitLine: { show: false },
      axisLabel: { color: COLORS.axis, fontSize: 11 },
    },
    yAxis: {
      type: "value",
      scale: true,
      splitLine: { lineStyle: { color: COLORS.grid } },
      axisLabel: { color: COLORS.axis, fontSize: 11 },
    },
    series: [
      {
        type: "line",
        silent: true,
        showSymbol: xs.length <= 40,
        symbolSize: 4,
        connectNulls: false,
        lineStyle: { color: COLORS.highlight, width: 2 },
        itemStyle: { color: COLORS.highlight },
        data: xs.map((x, i) => [x, finite(ys[i]) ? ys[i] : null]),
      },
    ],
  };
  return render(text, option, width, height);
}

/** One series of a curve chart: points [x, y] (null y: a gap). */
export interface CurveSeries {
  name: string;
  points: [number, number | null][];
  /** "raw": faint thin line; "average": the bold line read first; "line": a plain line with its markers. */
  kind: "raw" | "average" | "line";
  color?: string;
}

/** A horizontal reference line across a curve chart, labelled with its name and value. */
export interface ReferenceLine {
  name: string;
  value: number;
  /** Its label, e.g. "random 2.54". */
  label: string;
}

/**
 * A learning curve: series over episodes (a faint raw series under its bold moving average,
 * or plain lines), dashed horizontal reference lines with their labels, and a legend.
 */
export function curveChart(
  text: ChartText,
  series: CurveSeries[],
  references: ReferenceLine[] = [],
  opts: { width?: number; height?: number; xName?: string; logY?: boolean } = {},
): string {
  const width = opts.width ?? 420;
  const height = opts.height ?? 270;
  const top = text.subtitle ? 66 : 46;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const x0 = xs.length ? Math.min(...xs) : 0;
  const refs = references.filter((r) => finite(r.value));
  const option = {
    animation: false,
    textStyle: { fontFamily: FONT, color: COLORS.text },
    title: titleOption(text),
    legend: {
      bottom: 2,
      left: "center",
      itemWidth: 18,
      itemHeight: 8,
      textStyle: { fontSize: 12, color: COLORS.axis },
      data: series.map((s) => s.name),
    },
    grid: { left: 12, right: 20, top, bottom: 58, outerBoundsMode: "same", outerBoundsContain: "axisLabel" },
    xAxis: {
      type: "value",
      name: opts.xName ?? "",
      nameLocation: "middle",
      nameGap: 24,
      nameTextStyle: { color: COLORS.axis, fontSize: 12 },
      min: "dataMin",
      max: "dataMax",
      minInterval: 1,
      axisLine: { lineStyle: { color: COLORS.axis } },
      splitLine: { show: false },
      axisLabel: { color: COLORS.axis, fontSize: 12, hideOverlap: true },
    },
    yAxis: {
      ...(opts.logY ? { type: "log", logBase: 10 } : { type: "value", scale: true }),
      splitLine: { lineStyle: { color: COLORS.grid } },
      // log ticks are powers of ten computed in floating point (0.000099999…): print them rounded
      axisLabel: { color: COLORS.axis, fontSize: 12, ...(opts.logY ? { formatter: (v: number) => (v >= 0.001 ? String(Number(v.toPrecision(2))) : v.toExponential(0)) } : {}) },
    },
    series: [
      ...series.map((s, i) => {
        const color = s.color ?? (s.kind === "line" && i > 0 ? COLORS.second : COLORS.highlight);
        const raw = s.kind === "raw";
        return {
          type: "line",
          name: s.name,
          silent: true,
          showSymbol: s.kind === "line" && s.points.length <= 60,
          symbolSize: 5,
          connectNulls: false,
          lineStyle: { color, width: raw ? 1 : s.kind === "average" ? 2.5 : 2, opacity: raw ? 0.22 : 1 },
          itemStyle: { color, opacity: raw ? 0.22 : 1 },
          data: s.points,
          z: raw ? 1 : 3,
          ...(i === 0 && refs.length > 0
            ? {
                markLine: {
                  silent: true,
                  symbol: "none",
                  lineStyle: { color: COLORS.axis, type: "dashed", width: 1.2 },
                  label: { position: "insideEndTop", color: COLORS.axis, fontSize: 12, formatter: (p: { name: string }) => p.name },
                  data: refs.map((r) => ({ name: r.label, yAxis: r.value })),
                },
              }
            : {}),
        };
      }),
      // invisible points at the reference values, so the y axis's range and ticks include them
      ...(refs.length > 0 ? [{ type: "scatter", silent: true, symbolSize: 0, data: refs.map((r) => [x0, r.value]), itemStyle: { opacity: 0 } }] : []),
    ],
  };
  return render(text, option, width, height);
}

/** The slice of ECharts' custom-series API that renderItem uses. */
interface CustomApi {
  value(dim: number): number;
  coord(point: number[]): number[];
}

function render(text: ChartText, option: echarts.EChartsCoreOption, width: number, height: number): string {
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(text.id)) throw new Error(`chart id ${JSON.stringify(text.id)}: letters, digits and '-' only`);
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width, height });
  let svg: string;
  try {
    chart.setOption(option);
    svg = chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
  // Deterministic, page-unique class names and ids (see the file header): zrender's names
  // ("zr<painter>-cls-<n>", with process-wide counters) are renumbered in order of appearance.
  const names = new Map<string, string>();
  svg = svg.replace(/\bzr\d+-[A-Za-z0-9_-]+/g, (name) => {
    let mapped = names.get(name);
    if (mapped === undefined) names.set(name, (mapped = `${text.id}-${names.size}`));
    return mapped;
  });
  // ECharts' private metadata attributes are not SVG; drop them.
  svg = svg.replace(/ ecmeta_[a-z_]+="[^"]*"/g, "");
  const label = text.subtitle ? `${text.title} (${text.subtitle})` : text.title;
  const open = svg.indexOf("<svg ");
  const close = svg.indexOf(">", open);
  if (open < 0 || close < 0) throw new Error(`chart ${text.id}: the renderer returned no <svg> element`);
  const a11y =
    `<title>${escapeHtml(label)}</title>` + (text.description ? `<desc>${escapeHtml(text.description)}</desc>` : "");
  return (
    svg.slice(0, open) +
    `<svg role="img" aria-label="${escapeHtml(label)}" class="chart" ` +
    svg.slice(open + 5, close + 1) +
    a11y +
    svg.slice(close + 1)
  );
}

/** The chart title block every chart shares. */
function titleOption(text: { title: string; subtitle?: string }) {
  return {
    text: text.title,
    subtext: text.subtitle ?? "",
    left: 8,
    top: 6,
    textStyle: { fontSize: 14, fontWeight: "bold", color: COLORS.text, fontFamily: FONT },
    subtextStyle: { fontSize: 12, color: COLORS.axis, fontFamily: FONT },
  };
}
