// The self-contained HTML evaluation report: one file with inline CSS and inline SVG charts,
// no scripts and no external requests (a Content-Security-Policy in the page forbids both),
// readable with JavaScript off and printable. Pure: no I/O (writing is in ./write.ts).
//
// Sections, result first: the summary (the agent against the best baseline of each protocol,
// with paired differences, verdicts and small-n flags, then the caveats); training curves
// (moving averages over the faint raw series, reference lines for fixed policies where known,
// the exploration-noise schedule, the critic's calibration; constant series are stated, not
// charted); per evaluation protocol a table of every metric × policy (mean, 95% CI, n, small n
// marked), the agent's paired differences, and a dot-and-whisker chart per metric that varies;
// the original project's published figures beside ours; and last the run (command, dataset,
// configuration). Per-episode records stay in report.json: nothing in the page grows with the
// number of episodes (charts downsample), so the page keeps one modest height.
//
// Deterministic: the same report gives the same HTML byte for byte (chart ids come from the
// order of the charts; the only date shown is the report's own `created`). All text from the
// report is escaped.

import { AGENT_POLICY, SMALL_N, type Direction, type Estimate, type EpisodeMetrics, type EvaluationReport, type MetricResult, type PairedDifference, type ProtocolResult, type ReferenceFigure } from "../eval/types.js";
import { curveChart, dotWhiskerChart, type CurveSeries, type DotRow, type ReferenceLine } from "./charts.js";
import { constantValue, downsampleMinMax, movingAverage, smoothingWindow, thin } from "./curves.js";
import { decimalsFor, directionText, escapeHtml, formatDifference, formatField, formatFigure, formatInterval, formatNumber, formatPercent, formatValue } from "./format.js";
import { isSmallN, lastCalibration, summarize, unitPlural, type Summary } from "./summary.js";

/** The policy drawn in the highlight colour and marked in tables: the agent under test. */
export const HIGHLIGHT_POLICY = AGENT_POLICY;
/** The protocol whose figures are set beside the original project's. */
export const ORIGINAL_PROTOCOL = "original";

const isHighlight = (policy: string) => policy.toLowerCase() === HIGHLIGHT_POLICY;
const esc = escapeHtml;

/** The mark beside any figure resting on fewer than SMALL_N units. */
export const SMALL_N_MARK = `<span class="smalln" title="fewer than ${SMALL_N} units: the interval is unreliable">⚠ small n</span>`;

/** Render the whole report as one HTML document (see the file header). Throws on a malformed report, naming the field. */
export function renderReport(input: EvaluationReport): string {
  const report = validateReport(input);
  const charts = { next: 0 };
  const chartId = () => `c${++charts.next}`;
  const protocolIds = report.protocols.map((p, i) => `protocol-${i + 1}-${slug(p.protocol)}`);
  const summary = summarize(report);

  const body = [
    `<header>`,
    `<h1>${esc(report.title)}</h1>`,
    `<p class="meta">Created <time datetime="${esc(report.created)}">${esc(report.created)}</time></p>`,
    `<nav aria-label="Contents"><ol>`,
    `<li><a href="#summary">Summary</a></li>`,
    `<li><a href="#training">Training</a></li>`,
    ...report.protocols.map((p, i) => `<li><a href="#${protocolIds[i]}">Protocol: ${esc(p.protocol)}</a></li>`),
    `<li><a href="#reference">Original project's figures beside ours</a></li>`,
    `<li><a href="#run">Run</a></li>`,
    `</ol></nav>`,
    `</header>`,
    `<main>`,
    summarySection(summary, report.protocols, protocolIds),
    trainingSection(report, chartId),
    ...report.protocols.map((p, i) => protocolSection(p, protocolIds[i], chartId)),
    referenceSection(report, chartId),
    runSection(report),
    `</main>`,
    `<footer><p>Made by encore. Intervals are bootstrap 95% confidence intervals; ⚠ small n marks figures resting on fewer than ${SMALL_N} units. ` +
      `Every figure, and every training episode, is in <a href="report.json">report.json</a> beside this page.</p></footer>`,
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
// Small pieces

function nCell(n: number | undefined, unit?: string): string {
  if (typeof n !== "number" || !Number.isFinite(n)) return "–";
  const text = `${esc(formatFigure(n))}${unit ? ` ${esc(unitPlural(unit, n))}` : ""}`;
  return isSmallN(n) ? `${text} ${SMALL_N_MARK}` : text;
}

function estimateCell(e: Estimate | undefined, d: number, unit?: string): string {
  if (!e) return `<span class="empty">not evaluated</span>`;
  return `${formatNumber(e.mean, d)} ${formatInterval(e, d)}<br><span class="n">n = ${nCell(e.n, unit)}</span>`;
}

const verdictClass = (v: string) => `verdict v-${slug(v)}`;

function metricDecimals(m: MetricResult): number {
  return decimalsFor(estimateNumbers(Object.values(m.values)));
}

function estimateNumbers(es: Estimate[]): number[] {
  return es.flatMap((e) => [e.mean, e.lo, e.hi]);
}

/** The value of a metric every policy shares exactly (no spread at all), else null: stated, not charted. */
function constantMetric(m: MetricResult): number | null {
  const es = Object.values(m.values);
  if (es.length === 0) return null;
  const v = constantValue(estimateNumbers(es));
  return v !== null && es.every((e) => Number.isFinite(e.mean) && Number.isFinite(e.lo) && Number.isFinite(e.hi)) ? v : null;
}

// ---------------------------------------------------------------------------------------------
// Summary

function summarySection(s: Summary, protocols: ProtocolResult[], ids: string[]): string {
  const head = [`<section id="summary" aria-labelledby="summary-h">`, `<h2 id="summary-h">Summary</h2>`, `<p class="lead">${esc(s.paragraph)}</p>`];
  const idOf = (protocol: string) => ids[protocols.findIndex((p) => p.protocol === protocol)];
  const table = s.rows.length === 0 ? [] : [
    `<div class="scroll">`,
    `<table class="summary">`,
    `<caption>Per protocol and headline metric: ${esc(s.agent)} against the best baseline (the oracle and the logged sessions are references, not baselines); the difference is paired over the same units, with its 95% interval</caption>`,
    `<thead><tr><th scope="col">Protocol · metric</th><th scope="col">${esc(s.agent)}</th><th scope="col">Best baseline</th><th scope="col">${esc(s.agent)} − baseline (paired)</th><th scope="col">Verdict</th></tr></thead>`,
    `<tbody>`,
    ...s.rows.map((r) => {
      const d = r.decimals;
      const best = r.best ? `<strong>${esc(r.best.name)}</strong><br>${estimateCell(r.best.value, d)}` : `<span class="empty">none</span>`;
      const diff = r.paired
        ? `${esc(formatDifference(r.paired.difference, d))}<br><span class="n">over ${nCell(r.paired.difference.n, r.unit)}</span>`
        : `<span class="empty">not measured</span>`;
      return (
        `<tr><th scope="row"><a href="#${idOf(r.protocol)}">${esc(r.protocol)}</a> · ${esc(r.label)}<br><code>${esc(r.metric)}</code> <span class="dir">${esc(directionText(r.direction))}</span></th>` +
        `<td class="num hl-cell">${estimateCell(r.agent, d)}</td><td class="num">${best}</td><td class="num">${diff}</td>` +
        `<td class="${verdictClass(r.verdict)}">${esc(r.verdict)}</td></tr>`
      );
    }),
    `</tbody>`,
    `</table>`,
    `</div>`,
  ];
  const notes = [...s.caveats];
  if (s.calibration) {
    const c = s.calibration;
    const gap = c.measuredReturn !== 0 ? ` (${c.predictedQ >= c.measuredReturn ? "over" : "under"}-estimates by ${formatPercent(Math.abs(c.predictedQ - c.measuredReturn) / Math.abs(c.measuredReturn))})` : "";
    notes.push(`Critic at the last periodic greedy evaluation (episode ${formatFigure(c.episode)}): predicted Q ${formatFigure(c.predictedQ)}, measured discounted return ${formatFigure(c.measuredReturn)}${gap}.`);
  }
  const caveats = notes.length ? [`<ul class="caveats">`, ...notes.map((c) => `<li>${esc(c)}</li>`), `</ul>`] : [];
  return [...head, ...table, ...caveats, `</section>`].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Training

interface SeriesSpec {
  key: keyof EpisodeMetrics;
  title: string;
  what: string;
  /** Smooth with a moving average over a faint raw line (false: draw the values as they are). */
  smooth: boolean;
}

const TRAINING_SERIES: SeriesSpec[] = [
  { key: "reward", title: "Reward", what: "list rewards summed per episode", smooth: true },
  { key: "criticLoss", title: "Critic loss", what: "mean TD loss of the episode's updates", smooth: true },
  { key: "meanQ", title: "Mean Q", what: "critic's mean Q(s, a) on replayed batches", smooth: true },
  { key: "noise", title: "Exploration noise σ", what: "σ at the episode's end: the schedule", smooth: false },
  { key: "steps", title: "Steps per episode", what: "lists recommended per episode", smooth: false },
];

function trainingSection(report: EvaluationReport, chartId: () => string): string {
  const training = report.training;
  const head = [`<section id="training" aria-labelledby="training-h">`, `<h2 id="training-h">Training</h2>`];
  if (training.length === 0) return [...head, `<p class="empty">No training episodes recorded.</p>`, `</section>`].join("\n");

  const xs = training.map((e) => e.episode);
  const total = (k: "steps" | "updates") => training.reduce((s, e) => s + (Number.isFinite(e[k]) ? e[k] : 0), 0);
  const w = smoothingWindow(training.length);
  const figures: string[] = [];
  const constants: string[] = [];
  for (const spec of TRAINING_SERIES) {
    const ys = training.map((e) => e[spec.key] as number);
    const c = constantValue(ys);
    if (c !== null) {
      constants.push(spec.key === "noise" ? `${spec.title}: ${formatFigure(c)} in every episode (the noise never decays)` : `${spec.title}: ${formatFigure(c)} in every episode`);
      continue;
    }
    if (!ys.some(Number.isFinite)) continue;
    const series: CurveSeries[] = spec.smooth
      ? [
          { name: "every episode", kind: "raw", points: downsampleMinMax(xs, ys) },
          { name: `moving average (${w})`, kind: "average", points: thin(xs, movingAverage(ys, w)) },
        ]
      : [{ name: spec.title.toLowerCase(), kind: "average", points: downsampleMinMax(xs, ys) }];
    const refs: ReferenceLine[] = [];
    const tr = report.trainingReferences;
    if (spec.key === "reward" && tr && tr.series === "reward") {
      const d = decimalsFor(Object.values(tr.values));
      for (const [name, v] of Object.entries(tr.values)) if (Number.isFinite(v)) refs.push({ name, value: v, label: `${name} ${formatNumber(v, d)}` });
    }
    const description = seriesDescription(spec.title, xs, ys, spec.smooth ? movingAverage(ys, w) : null, w);
    // a positive series spanning more than two decades (a loss falling from its first updates) reads on a log scale
    const finiteYs = ys.filter(Number.isFinite);
    const logY = refs.length === 0 && finiteYs.every((y) => y > 0) && Math.max(...finiteYs) > 100 * Math.min(...finiteYs);
    const subtitle = logY ? `${spec.what}; log scale` : spec.what;
    const svg = curveChart({ id: chartId(), title: spec.title, subtitle, description }, series, refs, { xName: "episode", logY });
    const refNote = refs.length ? ` Dashed lines: ${refs.map((r) => r.label).join(", ")}, the ${esc(tr!.source)}.` : "";
    figures.push(`<figure class="chart">${svg}<figcaption>${esc(description)}${refNote}</figcaption></figure>`);
  }
  // the trainer's periodic greedy evaluation: predicted Q against the return measured on the same pairs
  const evals = training.filter((e) => Number.isFinite(e.evalPredictedQ) && Number.isFinite(e.evalReturn));
  if (evals.length >= 2) {
    const ex = evals.map((e) => e.episode);
    const q = evals.map((e) => e.evalPredictedQ!), ret = evals.map((e) => e.evalReturn!);
    const last = evals[evals.length - 1];
    const description = `Periodic greedy evaluation at ${evals.length} episodes: predicted Q ${formatFigure(last.evalPredictedQ)} and measured return ${formatFigure(last.evalReturn)} at episode ${last.episode}.`;
    const svg = curveChart(
      { id: chartId(), title: "Critic calibration", subtitle: "greedy evaluations: predicted Q, measured return", description },
      [
        { name: "predicted Q", kind: "line", points: thin(ex, q) },
        { name: "measured return", kind: "line", points: thin(ex, ret) },
      ],
      [],
      { xName: "episode" },
    );
    figures.push(`<figure class="chart">${svg}<figcaption>${esc(description)} A gap shows over- or under-estimation.</figcaption></figure>`);
  }
  const calibration = lastCalibration(training);
  const lines = [
    `<p>${esc(formatFigure(training.length))} episodes, ${esc(formatFigure(total("steps")))} steps, ${esc(formatFigure(total("updates")))} updates. ` +
      `The faint line is every episode (drawn at up to 600 points, each stretch's lowest and highest value), the bold line its moving average over ${w} episodes. ` +
      `The per-episode figures are in <a href="report.json">report.json</a> (<code>training</code>), not in this page.</p>`,
  ];
  const schedule = noiseSchedule(report.config);
  if (schedule) lines.push(`<p>Exploration noise schedule: ${esc(schedule)}.</p>`);
  if (constants.length) lines.push(`<p>Constant throughout, so not charted: ${esc(constants.join("; "))}.</p>`);
  if (calibration && evals.length < 2) lines.push(`<p>Periodic greedy evaluation (episode ${calibration.episode}): predicted Q ${esc(formatFigure(calibration.predictedQ))}, measured return ${esc(formatFigure(calibration.measuredReturn))}.</p>`);
  return [...head, ...lines, `<div class="multiples">`, ...figures, `</div>`, `</section>`].join("\n");
}

function seriesDescription(title: string, xs: number[], ys: number[], avg: number[] | null, w: number): string {
  const pts = xs.map((x, i) => [x, ys[i]] as const).filter(([, y]) => typeof y === "number" && Number.isFinite(y));
  if (pts.length === 0) return `${title}: no finite values.`;
  const values = pts.map(([, y]) => y);
  const [x0, y0] = pts[0];
  const [x1, y1] = pts[pts.length - 1];
  let min = Infinity, max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const f = formatFigure;
  const end = avg && Number.isFinite(avg[avg.length - 1]) ? `; moving average over the last ${w}: ${f(avg[avg.length - 1])}` : "";
  return `${title}: ${f(y0)} at episode ${x0}, ${f(y1)} at episode ${x1}; range ${f(min)} to ${f(max)}${end}.`;
}

/** The exploration-noise settings in the configuration ({sigma, sigmaMin, decay, kind}), described; null when absent. */
export function noiseSchedule(config: Record<string, unknown>): string | null {
  const found = findObject(config, (o) => typeof o.sigma === "number" && typeof o.decay === "number", 4);
  if (!found) return null;
  const sigma = found.sigma as number, decay = found.decay as number, min = typeof found.sigmaMin === "number" ? found.sigmaMin : 0;
  const kind = typeof found.kind === "string" ? `${found.kind}, ` : "";
  const constant = decay === 1 || min >= sigma;
  return `${kind}σ_t = max(σ_min, σ_0 · decay^t) per draw with σ_0 = ${formatFigure(sigma)}, σ_min = ${formatFigure(min)}, decay = ${formatFigure(decay)}: ` +
    (constant ? `constant at ${formatFigure(sigma)} (it never decays)` : `from ${formatFigure(sigma)} down to ${formatFigure(min)}`);
}

function findObject(x: unknown, test: (o: Record<string, unknown>) => boolean, depth: number): Record<string, unknown> | null {
  if (x === null || typeof x !== "object" || Array.isArray(x) || depth < 0) return null;
  const o = x as Record<string, unknown>;
  if (test(o)) return o;
  for (const v of Object.values(o)) {
    const f = findObject(v, test, depth - 1);
    if (f) return f;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Protocols

/** Policies in the order first seen across the protocol's metrics. */
function policiesOf(p: ProtocolResult): string[] {
  const seen = new Set<string>();
  for (const m of p.metrics) for (const name of Object.keys(m.values)) seen.add(name);
  return [...seen];
}

function protocolSection(p: ProtocolResult, id: string, chartId: () => string): string {
  const policies = policiesOf(p);
  const meta = [p.seeds.length ? `Figures pooled over seeds ${p.seeds.join(", ")}` : "", `n counts ${unitPlural(p.unit)} (× seeds); intervals resample ${unitPlural(p.unit)}`].filter(Boolean).join(". ") + ".";
  const head = [
    `<section id="${id}" class="protocol" aria-labelledby="${id}-h">`,
    `<h2 id="${id}-h">Protocol: ${esc(p.protocol)}</h2>`,
    `<p>${esc(p.description)}</p>`,
    `<p class="meta">${esc(meta)}</p>`,
  ];
  if (p.metrics.length === 0) return [...head, `<p class="empty">No metrics recorded.</p>`, `</section>`].join("\n");

  const table = [
    `<div class="scroll">`,
    `<table class="results">`,
    `<caption>Protocol ${esc(p.protocol)}: every metric for every policy, mean, bootstrap 95% confidence interval and n</caption>`,
    `<thead><tr><th scope="col">Metric</th><th scope="col">Policy</th><th scope="col">Mean</th><th scope="col">95% CI</th><th scope="col">n</th></tr></thead>`,
    ...p.metrics.map((m) => metricRows(m, policies)),
    `</table>`,
    `</div>`,
  ];
  const paired = pairedTable(p);
  const constants: string[] = [];
  const figures: string[] = [];
  for (const m of p.metrics) {
    const c = constantMetric(m);
    if (c !== null) {
      constants.push(`${m.label} (${m.metric}) is ${formatFigure(c)} for every policy`);
      continue;
    }
    const d = metricDecimals(m);
    const rows: DotRow[] = policies
      .filter((name) => m.values[name] !== undefined)
      .map((name) => ({ label: name, ...m.values[name], highlight: isHighlight(name) }));
    const subtitle = directionText(m.direction);
    const description =
      `${m.label} (${m.metric}), ${subtitle}: ` +
      policies
        .filter((name) => m.values[name] !== undefined)
        .map((name) => `${name} ${formatNumber(m.values[name].mean, d)} ${formatInterval(m.values[name], d)}`)
        .join("; ") +
      ".";
    const svg = dotWhiskerChart({ id: chartId(), title: m.label, subtitle, description }, rows);
    const note = m.note ? ` <span class="note">Note: ${esc(m.note)}</span>` : "";
    figures.push(`<figure class="chart">${svg}<figcaption><strong>${esc(m.metric)}</strong>: dot at the mean, whiskers the 95% CI; ${esc(subtitle)}.${note}</figcaption></figure>`);
  }
  const constantText = constants.length ? [`<p class="meta">Not charted, the same for every policy: ${esc(constants.join("; "))}.</p>`] : [];
  return [...head, ...table, ...paired, ...constantText, `<div class="charts">`, ...figures, `</div>`, `</section>`].join("\n");
}

function metricRows(m: MetricResult, policies: string[]): string {
  const present = policies.filter((name) => m.values[name] !== undefined);
  const d = metricDecimals(m);
  const header =
    `<th scope="rowgroup" rowspan="${Math.max(1, present.length)}">` +
    `${esc(m.label)}<br><code>${esc(m.metric)}</code><br><span class="dir">${esc(directionText(m.direction))}</span>` +
    (m.note ? `<br><span class="note">${esc(m.note)}</span>` : "") +
    `</th>`;
  if (present.length === 0) return `<tbody><tr>${header}<td colspan="4" class="empty">No values.</td></tr></tbody>`;
  const rows = present.map((name, i) => {
    const e = m.values[name];
    const cls = isHighlight(name) ? ` class="hl"` : "";
    return (
      `<tr${cls}>${i === 0 ? header : ""}<th scope="row">${esc(name)}</th>` +
      `<td class="num">${formatNumber(e.mean, d)}</td><td class="num">${formatInterval(e, d)}</td><td class="num">${nCell(e.n)}</td></tr>`
    );
  });
  return `<tbody>\n${rows.join("\n")}\n</tbody>`;
}

function pairedTable(p: ProtocolResult): string[] {
  if (!p.paired || p.paired.length === 0) return [];
  const agent = p.paired[0].policy;
  const byMetric = new Map<string, PairedDifference[]>();
  for (const d of p.paired) byMetric.set(d.metric, [...(byMetric.get(d.metric) ?? []), d]);
  const bodies = [...byMetric].map(([id, ds]) => {
    const m = p.metrics.find((x) => x.metric === id);
    const d = m ? metricDecimals(m) : decimalsFor(ds.flatMap((x) => [x.difference.mean, x.difference.lo, x.difference.hi]));
    const dir: Direction = m?.direction ?? "neutral";
    const header = `<th scope="rowgroup" rowspan="${ds.length}">${esc(m?.label ?? id)}<br><code>${esc(id)}</code><br><span class="dir">${esc(directionText(dir))}</span></th>`;
    const rows = ds.map((x, i) =>
      `<tr>${i === 0 ? header : ""}<th scope="row">${esc(x.baseline)}</th><td class="num">${esc(formatDifference(x.difference, d))}</td>` +
      `<td class="num">${nCell(x.difference.n)}</td><td class="${verdictClass(x.verdict)}">${esc(x.verdict)}</td></tr>`);
    return `<tbody>\n${rows.join("\n")}\n</tbody>`;
  });
  return [
    `<div class="scroll">`,
    `<table class="paired">`,
    `<caption>${esc(agent)} − each other policy, paired over the same ${esc(unitPlural(p.unit))}: mean difference and 95% interval; better or worse only when the interval excludes 0</caption>`,
    `<thead><tr><th scope="col">Metric</th><th scope="col">${esc(agent)} − </th><th scope="col">Difference [95% CI]</th><th scope="col">n (${esc(unitPlural(p.unit))})</th><th scope="col">Verdict</th></tr></thead>`,
    ...bodies,
    `</table>`,
    `</div>`,
  ];
}

// ---------------------------------------------------------------------------------------------
// The original project's figures

function referenceSection(report: EvaluationReport, chartId: () => string): string {
  const head = [
    `<section id="reference" aria-labelledby="reference-h">`,
    `<h2 id="reference-h">Original project's figures beside ours</h2>`,
  ];
  if (report.reference.length === 0) return [...head, `<p class="empty">No reference figures given.</p>`, `</section>`].join("\n");
  const original = report.protocols.find((p) => p.protocol === ORIGINAL_PROTOCOL);
  const intro = original
    ? `Ours are from the <code>${esc(ORIGINAL_PROTOCOL)}</code> protocol (mean, bootstrap 95% CI and n); the original project's are point figures as published, without intervals or n.`
    : `This run has no <code>${esc(ORIGINAL_PROTOCOL)}</code> protocol, so only the original project's figures are shown.`;

  const items = report.reference.map((ref) => {
    const metric = original?.metrics.find((m) => m.metric === ref.metric);
    const oursDdpg = metric ? findPolicy(metric, HIGHLIGHT_POLICY) : undefined;
    const oursBase = metric ? findPolicy(metric, ref.baselineLabel) : undefined;
    const paired = original?.paired?.find((d) => d.metric === ref.metric && d.policy === HIGHLIGHT_POLICY && d.baseline === ref.baselineLabel);
    return { ref, metric, oursDdpg, oursBase, paired };
  });

  const table = [
    `<div class="scroll">`,
    `<table class="reference">`,
    `<caption>The original project's published figures and ours for the same metrics</caption>`,
    `<thead><tr><th scope="col">Metric</th><th scope="col">Figures</th><th scope="col">DDPG</th><th scope="col">Comparison</th><th scope="col">Source</th></tr></thead>`,
    ...items.map(({ ref, metric, oursDdpg, oursBase, paired }) => {
      const fmt = referenceFormatter(ref, oursDdpg, oursBase);
      const dir = metric ? directionText(metric.direction) : "";
      const header =
        `<th scope="rowgroup" rowspan="2">${esc(ref.label)}<br><code>${esc(ref.metric)}</code>` +
        (dir ? `<br><span class="dir">${esc(dir)}</span>` : "") +
        `</th>`;
      const oursCell = (e: Estimate | undefined) => (e ? `${fmt.point(e.mean)} ${fmt.interval(e)}<br><span class="n">n = ${nCell(e.n)}</span>` : `<span class="empty">not measured</span>`);
      const pairedText = paired
        ? `; paired ${esc(HIGHLIGHT_POLICY)} − ${esc(ref.baselineLabel)} on the same sessions: ${esc(formatDifference(paired.difference, fmt.decimals))} over ${nCell(paired.difference.n, original?.unit)}, ${esc(paired.verdict)}`
        : "";
      return [
        `<tbody>`,
        `<tr>${header}<th scope="row">original</th><td class="num">${fmt.point(ref.ddpg)}</td><td class="num">${fmt.point(ref.baseline)} (${esc(ref.baselineLabel)})</td><td>${esc(ref.source)}</td></tr>`,
        `<tr class="hl"><th scope="row">ours</th><td class="num">${oursCell(oursDdpg)}</td><td class="num">${oursCell(oursBase)} (${esc(ref.baselineLabel)})</td><td>this run, protocol ${esc(ORIGINAL_PROTOCOL)}${pairedText}</td></tr>`,
        `</tbody>`,
      ].join("\n");
    }),
    `</table>`,
    `</div>`,
  ];
  const small = items.filter(({ oursDdpg }) => oursDdpg && isSmallN(oursDdpg.n));
  const caveat = small.length
    ? [`<p class="caveat">${SMALL_N_MARK} ${small.map(({ ref, oursDdpg }) => `Our ${esc(HIGHLIGHT_POLICY)} ${esc(ref.label.toLowerCase())} rests on n = ${formatFigure(oursDdpg!.n)} ${esc(unitPlural(original?.unit ?? "unit", oursDdpg!.n))}`).join("; ")}: too few to set beside the original's figure with any confidence.</p>`]
    : [];

  const figures = items.map(({ ref, metric, oursDdpg, oursBase }) => {
    const rows: DotRow[] = [
      { label: `original · ${HIGHLIGHT_POLICY}`, mean: ref.ddpg, highlight: true, reference: true },
      { label: `original · ${ref.baselineLabel}`, mean: ref.baseline, highlight: false, reference: true },
    ];
    if (oursDdpg) rows.push({ label: `ours · ${HIGHLIGHT_POLICY}`, ...oursDdpg, highlight: true });
    if (oursBase) rows.push({ label: `ours · ${ref.baselineLabel}`, ...oursBase, highlight: false });
    const dir = metric ? directionText(metric.direction) : "";
    const subtitle = ["original ◇ vs ours ●", dir].filter(Boolean).join(", ");
    const fmt = referenceFormatter(ref, oursDdpg, oursBase);
    const description =
      `${ref.label}: original ${HIGHLIGHT_POLICY} ${fmt.text(ref.ddpg)}, original ${ref.baselineLabel} ${fmt.text(ref.baseline)}` +
      (oursDdpg ? `; ours ${HIGHLIGHT_POLICY} ${fmt.text(oursDdpg.mean)} (n = ${oursDdpg.n})` : "; ours not measured") +
      (oursBase ? `, ours ${ref.baselineLabel} ${fmt.text(oursBase.mean)} (n = ${oursBase.n})` : "") +
      ".";
    const svg = dotWhiskerChart({ id: chartId(), title: ref.label, subtitle, description }, rows, { percent: fmt.percent });
    return `<figure class="chart">${svg}<figcaption>${esc(description)}</figcaption></figure>`;
  });

  return [...head, `<p>${intro}</p>`, ...table, ...caveat, `<div class="charts">`, ...figures, `</div>`, `</section>`].join("\n");
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
    decimals: d,
    text,
    point: (x: number) => esc(text(x)),
    interval: (e: Estimate) => esc(`[${text(e.lo)}, ${text(e.hi)}]`),
  };
}

// ---------------------------------------------------------------------------------------------
// The run

/** Most configuration rows shown; the rest are counted (everything is in report.json). */
const MAX_CONFIG_ROWS = 80;
/** Longest value shown in a configuration cell; longer ones are cut with a pointer to report.json. */
const MAX_VALUE_CHARS = 240;

function runSection(report: EvaluationReport): string {
  const dataset = Object.entries(report.dataset).map(([k, v]) => [k, formatField(k, v)] as [string, string]);
  const config = flattenConfig(report.config);
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

/**
 * Configuration as rows: nested objects flattened to dotted keys (four levels), values as
 * compact text, long ones cut (they are whole in report.json); at most MAX_CONFIG_ROWS rows.
 */
export function flattenConfig(config: Record<string, unknown>): [string, string][] {
  const rows: [string, string][] = [];
  const walk = (prefix: string, v: unknown, depth: number): void => {
    if (v !== null && typeof v === "object" && !Array.isArray(v) && depth < 4 && Object.keys(v).length > 0) {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(prefix ? `${prefix}.${k}` : k, x, depth + 1);
      return;
    }
    let text = typeof v === "number" ? formatField(prefix, v) : formatValue(v);
    if (text.length > MAX_VALUE_CHARS) text = `${text.slice(0, MAX_VALUE_CHARS)}… (${formatFigure(text.length)} characters; whole in report.json)`;
    rows.push([prefix, text]);
  };
  walk("", config, 0);
  if (rows.length > MAX_CONFIG_ROWS) {
    const more = rows.length - MAX_CONFIG_ROWS;
    return [...rows.slice(0, MAX_CONFIG_ROWS), ["…", `${more} more fields in report.json`]];
  }
  return rows;
}

function keyValueTable(caption: string, rows: [string, string][]): string {
  if (rows.length === 0) return `<div><h3>${esc(caption)}</h3><p class="empty">None recorded.</p></div>`;
  return [
    `<div>`,
    `<h3>${esc(caption)}</h3>`,
    `<table class="kv">`,
    `<thead><tr><th scope="col">Field</th><th scope="col">Value</th></tr></thead>`,
    `<tbody>`,
    ...rows.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(v)}</td></tr>`),
    `</tbody>`,
    `</table>`,
    `</div>`,
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Input checks: a report read back from JSON may be malformed; name the field that is. Reports
// written before metrics had a direction (lowerIsBetter) and protocols a unit, headline and
// paired differences are read with those filled in.

function validateReport(r: EvaluationReport): EvaluationReport {
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
  if (r.trainingReferences !== undefined && (r.trainingReferences === null || typeof r.trainingReferences.values !== "object" || r.trainingReferences.values === null)) {
    fail("trainingReferences.values", "an object");
  }
  if (!Array.isArray(r.protocols)) fail("protocols", "an array");
  const protocols = r.protocols.map((p, i) => {
    if (p === null || typeof p !== "object") fail(`protocols[${i}]`, "an object");
    if (typeof p.protocol !== "string") fail(`protocols[${i}].protocol`, "a string");
    if (typeof p.description !== "string") fail(`protocols[${i}].description`, "a string");
    if (!Array.isArray(p.seeds)) fail(`protocols[${i}].seeds`, "an array");
    if (!Array.isArray(p.metrics)) fail(`protocols[${i}].metrics`, "an array");
    if (p.paired !== undefined && !Array.isArray(p.paired)) fail(`protocols[${i}].paired`, "an array");
    if (p.headline !== undefined && !Array.isArray(p.headline)) fail(`protocols[${i}].headline`, "an array");
    const metrics = p.metrics.map((m, j) => {
      const at = `protocols[${i}].metrics[${j}]`;
      if (m === null || typeof m !== "object") fail(at, "an object");
      if (typeof m.metric !== "string") fail(`${at}.metric`, "a string");
      if (typeof m.label !== "string") fail(`${at}.label`, "a string");
      if (m.values === null || typeof m.values !== "object") fail(`${at}.values`, "an object");
      for (const [name, e] of Object.entries(m.values)) {
        if (e === null || typeof e !== "object") fail(`${at}.values[${JSON.stringify(name)}]`, "an estimate {mean, lo, hi, n}");
      }
      const legacy = (m as unknown as { lowerIsBetter?: unknown }).lowerIsBetter;
      let direction = m.direction;
      if (direction === undefined && typeof legacy === "boolean") direction = legacy ? "lower" : "higher";
      if (direction !== "higher" && direction !== "lower" && direction !== "neutral") fail(`${at}.direction`, `"higher", "lower" or "neutral"`);
      return { ...m, direction };
    });
    (p.paired ?? []).forEach((d, j) => {
      const at = `protocols[${i}].paired[${j}]`;
      if (d === null || typeof d !== "object" || typeof d.metric !== "string" || typeof d.baseline !== "string") fail(at, "{ metric, policy, baseline, difference, verdict }");
      if (d.difference === null || typeof d.difference !== "object") fail(`${at}.difference`, "an estimate {mean, lo, hi, n}");
    });
    return { ...p, unit: typeof p.unit === "string" ? p.unit : "unit", headline: p.headline ?? [], paired: p.paired ?? [], metrics };
  });
  if (!Array.isArray(r.reference)) fail("reference", "an array");
  return { ...r, protocols };
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "x";
}

// ---------------------------------------------------------------------------------------------

const CSS = `
:root { --hl: #c2185b; --hl-bg: #fcecf2; --fg: #1f2328; --muted: #57606a; --line: #d0d7de; --zebra: #f6f8fa; --good: #1a7f37; --bad: #b42318; --warn: #9a6700; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1180px; padding: 24px 28px 48px; color: var(--fg); background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 1.8rem; margin: 0 0 4px; }
h2 { font-size: 1.35rem; margin: 40px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.05rem; margin: 16px 0 6px; }
code { font: 0.9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--zebra); padding: 1px 4px; border-radius: 4px; overflow-wrap: anywhere; }
.meta, .empty, figcaption, .note, .n { color: var(--muted); }
.lead { font-size: 1.05rem; max-width: 90ch; }
nav ol { display: flex; flex-wrap: wrap; gap: 4px 18px; padding: 0; margin: 8px 0 0; list-style: none; }
nav a, th a { color: var(--hl); }
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
td.hl-cell { background: var(--hl-bg) !important; font-weight: 600; }
.dir, th .note, .n { font-weight: 400; font-size: 0.85em; }
th[scope="row"] { font-weight: 500; }
table.results, table.reference, table.summary, table.paired { min-width: 640px; }
table.summary th[scope="row"] { max-width: 340px; }
.dir { color: var(--muted); }
.verdict { font-weight: 600; white-space: nowrap; }
.v-better { color: var(--good); }
.v-worse { color: var(--bad); }
.v-no-different, .v-not-measured { color: var(--muted); }
.smalln { color: var(--warn); font-weight: 600; font-size: 0.85em; white-space: nowrap; }
ul.caveats { margin: 4px 0 0; padding-left: 1.2em; max-width: 100ch; }
.caveat { max-width: 100ch; }
.multiples { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 12px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 12px; }
figure.chart { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 6px; break-inside: avoid; }
figure.chart svg { display: block; width: 100%; height: auto; }
figcaption { font-size: 0.85rem; padding: 2px 6px 4px; }
footer { margin-top: 40px; font-size: 0.85rem; color: var(--muted); }
@media print { body { max-width: none; } h2 { break-after: avoid; } }
`;
