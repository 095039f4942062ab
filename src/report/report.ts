// The self-contained HTML evaluation report: one file with inline CSS and inline SVG charts,
// no scripts and no external requests (a Content-Security-Policy in the page forbids both),
// readable with JavaScript off and printable. Pure: no I/O (writing is in ./write.ts).
//
// Sections: the run (command, created, dataset, config); training curves (reward, mean Q and
// critic loss per episode as small multiples); per evaluation protocol a table of every
// metric × policy (mean, 95% CI, n) and a dot-and-whisker chart per metric; the original
// project's published figures beside ours from the "original" protocol.
//
// Deterministic: the same report gives the same HTML byte for byte (chart ids come from the
// order of the charts; the only date shown is the report's own `created`). All text from the
// report is escaped.

import type { Estimate, EpisodeMetrics, EvaluationReport, MetricResult, ProtocolResult, ReferenceFigure } from "../eval/types.js";
import { dotWhiskerChart, lineChart, type DotRow } from "./charts.js";
import { decimalsFor, escapeHtml, formatInterval, formatNumber, formatPercent, formatValue } from "./format.js";

/** The policy drawn in the highlight colour and marked in tables. */
export const HIGHLIGHT_POLICY = "ddpg";
/** The protocol whose figures are set beside the original project's. */
export const ORIGINAL_PROTOCOL = "original";

const isHighlight = (policy: string) => policy.toLowerCase() === HIGHLIGHT_POLICY;
const esc = escapeHtml;

/** Render the whole report as one HTML document (see the file header). Throws on a malformed report, naming the field. */
export function renderReport(report: EvaluationReport): string {
  validateReport(report);
  const charts = { next: 0 };
  const chartId = () => `c${++charts.next}`;
  const protocolIds = report.protocols.map((p, i) => `protocol-${i + 1}-${slug(p.protocol)}`);

  const body = [
    `<header>`,
    `<h1>${esc(report.title)}</h1>`,
    `<p class="meta">Created <time datetime="${esc(report.created)}">${esc(report.created)}</time></p>`,
    `<nav aria-label="Contents"><ol>`,
    `<li><a href="#run">Run</a></li>`,
    `<li><a href="#training">Training</a></li>`,
    ...report.protocols.map((p, i) => `<li><a href="#${protocolIds[i]}">Protocol: ${esc(p.protocol)}</a></li>`),
    `<li><a href="#reference">Original project's figures beside ours</a></li>`,
    `</ol></nav>`,
    `</header>`,
    `<main>`,
    runSection(report),
    trainingSection(report.training, chartId),
    ...report.protocols.map((p, i) => protocolSection(p, protocolIds[i], chartId)),
    referenceSection(report, chartId),
    `</main>`,
    `<footer><p>Made by encore from <code>report.json</code>. Intervals are bootstrap 95% confidence intervals.</p></footer>`,
  ];

  return [
    `<!DOCTYPE html>`,
    `<html lang="en">`,
    `<head>`,
    `<meta charset="utf-8">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>${esc(report.title)}</title>`,
    `<style>${CSS}</style>`,
    `</head>`,
    `<body>`,
    ...body,
    `</body>`,
    `</html>`,
    ``,
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Sections

function runSection(report: EvaluationReport): string {
  const dataset = Object.entries(report.dataset);
  const config = Object.entries(report.config);
  return [
    `<section id="run" aria-labelledby="run-h">`,
    `<h2 id="run-h">Run</h2>`,
    `<dl class="run">`,
    `<dt>Command</dt><dd><code>${esc(report.command)}</code></dd>`,
    `<dt>Created</dt><dd>${esc(report.created)}</dd>`,
    `</dl>`,
    `<div class="two">`,
    keyValueTable("Dataset", dataset),
    keyValueTable("Configuration", config),
    `</div>`,
    `</section>`,
  ].join("\n");
}

function keyValueTable(caption: string, rows: [string, unknown][]): string {
  if (rows.length === 0) return `<div><h3>${esc(caption)}</h3><p class="empty">None recorded.</p></div>`;
  return [
    `<div>`,
    `<h3>${esc(caption)}</h3>`,
    `<table class="kv">`,
    `<thead><tr><th scope="col">Field</th><th scope="col">Value</th></tr></thead>`,
    `<tbody>`,
    ...rows.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(formatValue(v))}</td></tr>`),
    `</tbody>`,
    `</table>`,
    `</div>`,
  ].join("\n");
}

function trainingSection(training: EpisodeMetrics[], chartId: () => string): string {
  const head = [`<section id="training" aria-labelledby="training-h">`, `<h2 id="training-h">Training</h2>`];
  if (training.length === 0) return [...head, `<p class="empty">No training episodes recorded.</p>`, `</section>`].join("\n");

  const xs = training.map((e) => e.episode);
  const last = training[training.length - 1];
  const steps = training.reduce((s, e) => s + (Number.isFinite(e.steps) ? e.steps : 0), 0);
  const updates = training.reduce((s, e) => s + (Number.isFinite(e.updates) ? e.updates : 0), 0);
  const series: { key: "reward" | "meanQ" | "criticLoss"; title: string; subtitle: string }[] = [
    { key: "reward", title: "Reward", subtitle: "sum of list rewards per episode" },
    { key: "meanQ", title: "Mean Q", subtitle: "mean Q(s, π(s)) over the updates" },
    { key: "criticLoss", title: "Critic loss", subtitle: "mean TD loss over the updates" },
  ];
  const figures = series.map(({ key, title, subtitle }) => {
    const ys = training.map((e) => e[key]);
    const description = seriesDescription(title, xs, ys);
    const svg = lineChart({ id: chartId(), title, subtitle, description }, xs, ys, { xName: "episode" });
    return `<figure class="chart">${svg}<figcaption>${esc(description)}</figcaption></figure>`;
  });
  return [
    ...head,
    `<p>${training.length} episodes, ${steps} steps, ${updates} updates; exploration noise σ at the end ${esc(formatNumber(last.noise, 3))}.</p>`,
    `<div class="multiples">`,
    ...figures,
    `</div>`,
    `</section>`,
  ].join("\n");
}

function seriesDescription(title: string, xs: number[], ys: number[]): string {
  const pts = xs.map((x, i) => [x, ys[i]] as const).filter(([, y]) => typeof y === "number" && Number.isFinite(y));
  if (pts.length === 0) return `${title}: no finite values.`;
  const values = pts.map(([, y]) => y);
  const d = decimalsFor(values);
  const [x0, y0] = pts[0];
  const [x1, y1] = pts[pts.length - 1];
  return (
    `${title}: ${formatNumber(y0, d)} at episode ${x0}, ${formatNumber(y1, d)} at episode ${x1}; ` +
    `range ${formatNumber(Math.min(...values), d)} to ${formatNumber(Math.max(...values), d)}.`
  );
}

/** Policies in the order first seen across the protocol's metrics. */
function policiesOf(p: ProtocolResult): string[] {
  const seen = new Set<string>();
  for (const m of p.metrics) for (const name of Object.keys(m.values)) seen.add(name);
  return [...seen];
}

function protocolSection(p: ProtocolResult, id: string, chartId: () => string): string {
  const policies = policiesOf(p);
  const seeds = p.seeds.length ? `Figures pooled over seeds ${p.seeds.join(", ")}.` : "";
  const head = [
    `<section id="${id}" class="protocol" aria-labelledby="${id}-h">`,
    `<h2 id="${id}-h">Protocol: ${esc(p.protocol)}</h2>`,
    `<p>${esc(p.description)}</p>`,
    seeds ? `<p class="meta">${esc(seeds)}</p>` : "",
  ];
  if (p.metrics.length === 0) return [...head, `<p class="empty">No metrics recorded.</p>`, `</section>`].join("\n");

  const table = [
    `<div class="scroll">`,
    `<table class="results">`,
    `<caption>Protocol ${esc(p.protocol)}: every metric for every policy, mean and bootstrap 95% confidence interval</caption>`,
    `<thead><tr><th scope="col">Metric</th><th scope="col">Policy</th><th scope="col">Mean</th><th scope="col">95% CI</th><th scope="col">n</th></tr></thead>`,
    ...p.metrics.map((m) => metricRows(m, policies)),
    `</table>`,
    `</div>`,
  ];
  const figures = p.metrics.map((m) => {
    const d = decimalsFor(estimateNumbers(Object.values(m.values)));
    const rows: DotRow[] = policies
      .filter((name) => m.values[name] !== undefined)
      .map((name) => ({ label: name, ...m.values[name], highlight: isHighlight(name) }));
    const subtitle = m.lowerIsBetter ? "lower is better" : "higher is better";
    const description =
      `${m.label} (${m.metric}), ${subtitle}: ` +
      policies
        .filter((name) => m.values[name] !== undefined)
        .map((name) => `${name} ${formatNumber(m.values[name].mean, d)} ${formatInterval(m.values[name], d)}`)
        .join("; ") +
      ".";
    const svg = dotWhiskerChart({ id: chartId(), title: m.label, subtitle, description }, rows);
    const note = m.note ? ` <span class="note">Note: ${esc(m.note)}</span>` : "";
    return `<figure class="chart">${svg}<figcaption><strong>${esc(m.metric)}</strong>: dot at the mean, whiskers the 95% CI; ${esc(subtitle)}.${note}</figcaption></figure>`;
  });
  return [...head, ...table, `<div class="charts">`, ...figures, `</div>`, `</section>`].join("\n");
}

function metricRows(m: MetricResult, policies: string[]): string {
  const present = policies.filter((name) => m.values[name] !== undefined);
  const d = decimalsFor(estimateNumbers(Object.values(m.values)));
  const direction = m.lowerIsBetter ? "lower is better" : "higher is better";
  const header =
    `<th scope="rowgroup" rowspan="${Math.max(1, present.length)}">` +
    `${esc(m.label)}<br><code>${esc(m.metric)}</code><br><span class="dir">${esc(direction)}</span>` +
    (m.note ? `<br><span class="note">${esc(m.note)}</span>` : "") +
    `</th>`;
  if (present.length === 0) return `<tbody><tr>${header}<td colspan="4" class="empty">No values.</td></tr></tbody>`;
  const rows = present.map((name, i) => {
    const e = m.values[name];
    const cls = isHighlight(name) ? ` class="hl"` : "";
    return (
      `<tr${cls}>${i === 0 ? header : ""}<th scope="row">${esc(name)}</th>` +
      `<td class="num">${formatNumber(e.mean, d)}</td><td class="num">${formatInterval(e, d)}</td><td class="num">${esc(formatValue(e.n))}</td></tr>`
    );
  });
  return `<tbody>\n${rows.join("\n")}\n</tbody>`;
}

function estimateNumbers(es: Estimate[]): number[] {
  return es.flatMap((e) => [e.mean, e.lo, e.hi]);
}

function referenceSection(report: EvaluationReport, chartId: () => string): string {
  const head = [
    `<section id="reference" aria-labelledby="reference-h">`,
    `<h2 id="reference-h">Original project's figures beside ours</h2>`,
  ];
  if (report.reference.length === 0) return [...head, `<p class="empty">No reference figures given.</p>`, `</section>`].join("\n");
  const original = report.protocols.find((p) => p.protocol === ORIGINAL_PROTOCOL);
  const intro = original
    ? `Ours are from the <code>${esc(ORIGINAL_PROTOCOL)}</code> protocol (mean and bootstrap 95% CI); the original project's are point figures as published.`
    : `This run has no <code>${esc(ORIGINAL_PROTOCOL)}</code> protocol, so only the original project's figures are shown.`;

  const items = report.reference.map((ref) => {
    const metric = original?.metrics.find((m) => m.metric === ref.metric);
    const oursDdpg = metric ? findPolicy(metric, HIGHLIGHT_POLICY) : undefined;
    const oursBase = metric ? findPolicy(metric, ref.baselineLabel) : undefined;
    return { ref, metric, oursDdpg, oursBase };
  });

  const table = [
    `<div class="scroll">`,
    `<table class="reference">`,
    `<caption>The original project's published figures and ours for the same metrics</caption>`,
    `<thead><tr><th scope="col">Metric</th><th scope="col">Figures</th><th scope="col">DDPG</th><th scope="col">Comparison</th><th scope="col">Source</th></tr></thead>`,
    ...items.map(({ ref, metric, oursDdpg, oursBase }) => {
      const fmt = referenceFormatter(ref, oursDdpg, oursBase);
      const dir = metric ? (metric.lowerIsBetter ? "lower is better" : "higher is better") : "";
      const header =
        `<th scope="rowgroup" rowspan="2">${esc(ref.label)}<br><code>${esc(ref.metric)}</code>` +
        (dir ? `<br><span class="dir">${esc(dir)}</span>` : "") +
        `</th>`;
      const oursCell = (e: Estimate | undefined) => (e ? `${fmt.point(e.mean)} ${fmt.interval(e)}` : `<span class="empty">not measured</span>`);
      return [
        `<tbody>`,
        `<tr>${header}<th scope="row">original</th><td class="num">${fmt.point(ref.ddpg)}</td><td class="num">${fmt.point(ref.baseline)} (${esc(ref.baselineLabel)})</td><td>${esc(ref.source)}</td></tr>`,
        `<tr class="hl"><th scope="row">ours</th><td class="num">${oursCell(oursDdpg)}</td><td class="num">${oursCell(oursBase)} (${esc(ref.baselineLabel)})</td><td>this run, protocol ${esc(ORIGINAL_PROTOCOL)}${oursDdpg ? `, n = ${esc(formatValue(oursDdpg.n))}` : ""}</td></tr>`,
        `</tbody>`,
      ].join("\n");
    }),
    `</table>`,
    `</div>`,
  ];

  const figures = items.map(({ ref, metric, oursDdpg, oursBase }) => {
    const rows: DotRow[] = [
      { label: `original · ${HIGHLIGHT_POLICY}`, mean: ref.ddpg, highlight: true, reference: true },
      { label: `original · ${ref.baselineLabel}`, mean: ref.baseline, highlight: false, reference: true },
    ];
    if (oursDdpg) rows.push({ label: `ours · ${HIGHLIGHT_POLICY}`, ...oursDdpg, highlight: true });
    if (oursBase) rows.push({ label: `ours · ${ref.baselineLabel}`, ...oursBase, highlight: false });
    const dir = metric ? (metric.lowerIsBetter ? "lower is better" : "higher is better") : "";
    const subtitle = ["original ◇ vs ours ●", dir].filter(Boolean).join(", ");
    const fmt = referenceFormatter(ref, oursDdpg, oursBase);
    const description =
      `${ref.label}: original ${HIGHLIGHT_POLICY} ${fmt.text(ref.ddpg)}, original ${ref.baselineLabel} ${fmt.text(ref.baseline)}` +
      (oursDdpg ? `; ours ${HIGHLIGHT_POLICY} ${fmt.text(oursDdpg.mean)}` : "; ours not measured") +
      (oursBase ? `, ours ${ref.baselineLabel} ${fmt.text(oursBase.mean)}` : "") +
      ".";
    const svg = dotWhiskerChart({ id: chartId(), title: ref.label, subtitle, description }, rows, { percent: fmt.percent });
    return `<figure class="chart">${svg}<figcaption>${esc(description)}</figcaption></figure>`;
  });

  return [...head, `<p>${intro}</p>`, ...table, `<div class="charts">`, ...figures, `</div>`, `</section>`].join("\n");
}

function findPolicy(m: MetricResult, policy: string): Estimate | undefined {
  const key = Object.keys(m.values).find((k) => k.toLowerCase() === policy.toLowerCase());
  return key === undefined ? undefined : m.values[key];
}

/** Percentages when every figure in the comparison is a fraction in [0, 1] (as the original published them), else plain numbers. */
function referenceFormatter(ref: ReferenceFigure, ...ours: (Estimate | undefined)[]) {
  const values = [ref.ddpg, ref.baseline, ...ours.flatMap((e) => (e ? [e.mean, e.lo, e.hi] : []))];
  const fractions = values.every((v) => typeof v !== "number" || !Number.isFinite(v) || (v >= 0 && v <= 1));
  const d = decimalsFor(values);
  const text = (x: number) => (fractions ? formatPercent(x) : formatNumber(x, d));
  return {
    percent: fractions,
    text,
    point: (x: number) => esc(text(x)),
    interval: (e: Estimate) => esc(`[${text(e.lo)}, ${text(e.hi)}]`),
  };
}

// ---------------------------------------------------------------------------------------------
// Input checks: a report read back from JSON may be malformed; name the field that is.

function validateReport(r: EvaluationReport): void {
  const fail = (field: string, want: string): never => {
    throw new Error(`report.${field}: expected ${want}`);
  };
  if (r === null || typeof r !== "object") throw new Error("report: expected an object");
  for (const f of ["title", "created", "command"] as const) if (typeof r[f] !== "string") fail(f, "a string");
  if (r.dataset === null || typeof r.dataset !== "object") fail("dataset", "an object");
  if (r.config === null || typeof r.config !== "object") fail("config", "an object");
  if (!Array.isArray(r.training)) fail("training", "an array");
  r.training.forEach((e, i) => {
    if (e === null || typeof e !== "object") fail(`training[${i}]`, "an object");
    if (typeof e.episode !== "number") fail(`training[${i}].episode`, "a number");
  });
  if (!Array.isArray(r.protocols)) fail("protocols", "an array");
  r.protocols.forEach((p, i) => {
    if (p === null || typeof p !== "object") fail(`protocols[${i}]`, "an object");
    if (typeof p.protocol !== "string") fail(`protocols[${i}].protocol`, "a string");
    if (typeof p.description !== "string") fail(`protocols[${i}].description`, "a string");
    if (!Array.isArray(p.seeds)) fail(`protocols[${i}].seeds`, "an array");
    if (!Array.isArray(p.metrics)) fail(`protocols[${i}].metrics`, "an array");
    p.metrics.forEach((m, j) => {
      const at = `protocols[${i}].metrics[${j}]`;
      if (m === null || typeof m !== "object") fail(at, "an object");
      if (typeof m.metric !== "string") fail(`${at}.metric`, "a string");
      if (typeof m.label !== "string") fail(`${at}.label`, "a string");
      if (m.values === null || typeof m.values !== "object") fail(`${at}.values`, "an object");
      for (const [name, e] of Object.entries(m.values)) {
        if (e === null || typeof e !== "object") fail(`${at}.values[${JSON.stringify(name)}]`, "an estimate {mean, lo, hi, n}");
      }
    });
  });
  if (!Array.isArray(r.reference)) fail("reference", "an array");
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "x";
}

// ---------------------------------------------------------------------------------------------

const CSS = `
:root { --hl: #c2185b; --hl-bg: #fcecf2; --fg: #1f2328; --muted: #57606a; --line: #d0d7de; --zebra: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1180px; padding: 24px 28px 48px; color: var(--fg); background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 1.8rem; margin: 0 0 4px; }
h2 { font-size: 1.35rem; margin: 40px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.05rem; margin: 16px 0 6px; }
code { font: 0.9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--zebra); padding: 1px 4px; border-radius: 4px; overflow-wrap: anywhere; }
.meta, .empty, figcaption, .note { color: var(--muted); }
nav ol { display: flex; flex-wrap: wrap; gap: 4px 18px; padding: 0; margin: 8px 0 0; list-style: none; }
nav a { color: var(--hl); }
dl.run { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 8px 0; }
dl.run dt { font-weight: 600; }
dl.run dd { margin: 0; }
.two { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 8px 32px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0 16px; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: var(--muted); padding: 4px 0; caption-side: top; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid var(--fg); }
table.kv td { overflow-wrap: anywhere; }
td.num { text-align: right; white-space: nowrap; }
th[scope="rowgroup"] { background: #fff; min-width: 200px; max-width: 320px; font-weight: 600; }
tbody tr:nth-child(even) td, tbody tr:nth-child(even) th[scope="row"] { background: var(--zebra); }
tr.hl td, tr.hl th[scope="row"] { background: var(--hl-bg) !important; font-weight: 600; }
tr.hl th[scope="row"] { color: var(--hl); }
.dir, th .note { font-weight: 400; font-size: 0.85em; }
th[scope="row"] { font-weight: 500; }
table.results, table.reference { min-width: 640px; }
.dir { font-weight: 400; font-size: 0.85em; color: var(--muted); }
.multiples { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 12px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 12px; }
figure.chart { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 6px; break-inside: avoid; }
figure.chart svg { display: block; width: 100%; height: auto; }
figcaption { font-size: 0.85rem; padding: 2px 6px 4px; }
footer { margin-top: 40px; font-size: 0.85rem; color: var(--muted); }
@media print { body { max-width: none; } h2 { break-after: avoid; } }
`;
