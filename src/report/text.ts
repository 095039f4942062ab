// The evaluation results as plain text for the terminal (what `encore evaluate` and `encore
// demo` print): the summary first (the agent against the best baseline of each protocol, with
// its paired difference and verdict), then per protocol a table of every metric × policy
// (mean [95% CI]) with n, then the agent's paired differences. Figures on fewer than SMALL_N
// units carry a "*". Numbers follow the report's formatting (format.ts). Pure: no I/O.

import { SMALL_N, type EvaluationReport, type MetricResult, type ProtocolResult } from "../eval/types.js";
import { decimalsFor, directionArrow, formatDifference, formatFigure, formatInterval, formatNumber } from "./format.js";
import { isSmallN, summarize, unitPlural } from "./summary.js";

/** "12" or "12*" (small n). */
function nText(n: number | undefined): string {
  if (typeof n !== "number" || !Number.isFinite(n)) return "–";
  return `${formatFigure(n)}${isSmallN(n) ? "*" : ""}`;
}

/** Rows of cells as aligned text: the first column left-aligned, the others right-aligned. */
export function alignRows(rows: string[][], indent = "  "): string[] {
  const w = rows[0].map((_, j) => Math.max(...rows.map((row) => (row[j] ?? "").length)));
  return rows.map((row) => indent + row.map((c, j) => (j === 0 ? c.padEnd(w[j]) : c.padStart(w[j]))).join("  ").trimEnd());
}

function decimalsOf(m: MetricResult): number {
  return decimalsFor(Object.values(m.values).flatMap((e) => [e.mean, e.lo, e.hi]));
}

/** One protocol: metric rows × policy columns, n in its own column when every policy shares it, else beside each figure. */
export function formatProtocol(p: ProtocolResult): string[] {
  const policies = [...new Set(p.metrics.flatMap((m) => Object.keys(m.values)))];
  const rows = [["metric", "n", ...policies]];
  for (const m of p.metrics) {
    const d = decimalsOf(m);
    const ns = [...new Set(Object.values(m.values).map((e) => e.n))];
    const shared = ns.length === 1;
    rows.push([
      `${m.metric}${directionArrow(m.direction)}`,
      shared ? nText(ns[0]) : "varies",
      ...policies.map((q) => {
        const e = m.values[q];
        if (!e || !Number.isFinite(e.mean)) return e ? `– (n=${nText(e.n)})` : "";
        return `${formatNumber(e.mean, d)} ${formatInterval(e, d)}${shared ? "" : ` n=${nText(e.n)}`}`;
      }),
    ]);
  }
  const out = [`${p.protocol} (seeds ${p.seeds.join(",")}; n counts ${unitPlural(p.unit ?? "unit")} × seeds)`, ...alignRows(rows)];
  if ((p.paired ?? []).length > 0) {
    const agent = p.paired[0].policy;
    const baselines = [...new Set(p.paired.map((d) => d.baseline))];
    const prow = [[`${agent} − other, paired over ${unitPlural(p.unit ?? "unit")}`, ...baselines]];
    for (const id of [...new Set(p.paired.map((d) => d.metric))]) {
      const m = p.metrics.find((x) => x.metric === id);
      const d = m ? decimalsOf(m) : 3;
      prow.push([
        `${id}${m ? directionArrow(m.direction) : ""}`,
        ...baselines.map((b) => {
          const x = p.paired.find((y) => y.metric === id && y.baseline === b);
          return x ? `${formatDifference(x.difference, d)} n=${nText(x.difference.n)} ${x.verdict}` : "";
        }),
      ]);
    }
    out.push(...alignRows(prow));
  }
  return out;
}

/** The whole report as text (see the file header). */
export function formatReport(r: EvaluationReport): string {
  const s = summarize(r);
  const out: string[] = ["summary", ...wrap(s.paragraph, 100).map((l) => "  " + l)];
  if (s.rows.length > 0) {
    const rows = [["protocol · metric", s.agent, "best baseline", `${s.agent} − baseline (paired)`, "verdict"]];
    for (const x of s.rows) {
      const d = x.decimals;
      rows.push([
        `${x.protocol} · ${x.metric}${directionArrow(x.direction)}`,
        x.agent ? `${formatNumber(x.agent.mean, d)} ${formatInterval(x.agent, d)} n=${nText(x.agent.n)}` : "–",
        x.best ? `${x.best.name} ${formatNumber(x.best.value.mean, d)} ${formatInterval(x.best.value, d)} n=${nText(x.best.value.n)}` : "–",
        x.paired ? `${formatDifference(x.paired.difference, d)} n=${nText(x.paired.difference.n)}` : "–",
        x.verdict,
      ]);
    }
    out.push(...alignRows(rows));
  }
  for (const c of s.caveats) out.push(...wrap(c, 100).map((l, i) => (i === 0 ? "  - " : "    ") + l));
  if (s.calibration) out.push(`  critic at the last greedy evaluation (episode ${s.calibration.episode}): predicted Q ${formatFigure(s.calibration.predictedQ)}, measured return ${formatFigure(s.calibration.measuredReturn)}`);
  for (const p of r.protocols) out.push("", ...formatProtocol(p));
  out.push("", `↑ higher is better, ↓ lower is better, no arrow: neutral. * n < ${SMALL_N}: the interval is unreliable.`);
  return out.join("\n");
}

/** Words of `text` in lines of at most `width` characters. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
