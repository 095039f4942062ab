// The result in a few lines, for the top of the HTML report and of the CLI's output: per
// protocol and headline metric, the agent against the best baseline (its own figure, the
// baseline's, their paired difference and its verdict), with every figure resting on fewer
// than SMALL_N units flagged, and the caveats a reader needs. Pure: no I/O, no charts.
//
// "Best baseline": among the policies of a metric other than the agent and the references
// (the oracle, a ceiling that knows the listener; "logged", the sessions' own plays), the one
// with the best mean in the metric's direction.

import { AGENT_POLICY, REFERENCE_POLICIES, SMALL_N, type Direction, type EpisodeMetrics, type Estimate, type EvaluationReport, type MetricResult, type PairedDifference, type ProtocolResult, type TrainingReferences, type Verdict } from "../eval/types.js";
import { decimalsFor, formatFigure, formatNumber, formatPercent } from "./format.js";

export interface SummaryRow {
  protocol: string;
  /** What n counts and the pairs are: "session" or "episode". */
  unit: string;
  metric: string;
  label: string;
  direction: Direction;
  /** The agent's figure (absent when the agent was not evaluated). */
  agent?: Estimate;
  /** The best baseline and its figure (absent when there is none; see bestBaseline). */
  best?: { name: string; value: Estimate };
  /** agent − best baseline, paired. */
  paired?: PairedDifference;
  verdict: Verdict;
  /** Decimals that show this metric's figures to about 3 significant digits. */
  decimals: number;
  /** Some figure of the row rests on fewer than SMALL_N units. */
  smallN: boolean;
}

export interface Summary {
  agent: string;
  rows: SummaryRow[];
  /** The short paragraph: counts of verdicts, then which figures are better and which worse. */
  paragraph: string;
  /** What a reader must keep in mind (small n, unjudged recommendations, the ceiling, …). */
  caveats: string[];
  /** The last periodic greedy evaluation of training, when there was one. */
  calibration?: { episode: number; predictedQ: number; measuredReturn: number };
}

/** n below SMALL_N (and a count at all). */
export function isSmallN(n: number | undefined): boolean {
  return typeof n === "number" && Number.isFinite(n) && n < SMALL_N;
}

/** Policies of a metric other than the agent and the references, in order. */
export function baselinesOf(m: MetricResult, agent = AGENT_POLICY): string[] {
  return Object.keys(m.values).filter((k) => k !== agent && !REFERENCE_POLICIES.includes(k));
}

/**
 * The baseline with the best finite mean in the metric's direction (none for a neutral
 * metric). Figures on fewer than SMALL_N units compete only when no baseline has more: a
 * skip rate of 0 on one session is not the best baseline.
 */
export function bestBaseline(m: MetricResult, agent = AGENT_POLICY): { name: string; value: Estimate } | undefined {
  if (m.direction === "neutral") return undefined;
  const pick = (enough: boolean) => {
    let best: { name: string; value: Estimate } | undefined;
    for (const name of baselinesOf(m, agent)) {
      const e = m.values[name];
      if (!e || !Number.isFinite(e.mean) || (enough && isSmallN(e.n))) continue;
      if (!best || (m.direction === "higher" ? e.mean > best.value.mean : e.mean < best.value.mean)) best = { name, value: e };
    }
    return best;
  };
  return pick(true) ?? pick(false);
}

const UNIT_PLURAL: Record<string, string> = { session: "sessions", episode: "episodes" };
export const unitPlural = (unit: string, n = 2): string => (n === 1 ? unit : UNIT_PLURAL[unit] ?? `${unit}s`);

/** The summary of a report (see the file header). */
export function summarize(r: EvaluationReport, agent = AGENT_POLICY): Summary {
  const rows: SummaryRow[] = [];
  for (const p of r.protocols) {
    for (const id of p.headline ?? []) {
      const m = p.metrics.find((x) => x.metric === id);
      if (!m || m.direction === "neutral") continue;
      const mine = m.values[agent];
      const best = bestBaseline(m, agent);
      const paired = best ? (p.paired ?? []).find((d) => d.metric === id && d.policy === agent && d.baseline === best.name) : undefined;
      const decimals = decimalsFor(Object.values(m.values).flatMap((e) => [e.mean, e.lo, e.hi]));
      rows.push({
        protocol: p.protocol, unit: p.unit ?? "unit", metric: id, label: m.label, direction: m.direction,
        agent: mine, best, paired, verdict: paired?.verdict ?? "not measured", decimals,
        smallN: isSmallN(mine?.n) || isSmallN(best?.value.n) || isSmallN(paired?.difference.n),
      });
    }
  }
  const count = (v: Verdict) => rows.filter((x) => x.verdict === v).length;
  const parts: string[] = [];
  if (rows.length === 0) parts.push("No headline figures were evaluated.");
  else if (rows.every((x) => !x.agent)) parts.push(`No policy named ${agent} was evaluated: there is nothing to compare.`);
  else {
    const tally = [`better on ${count("better")}`, `no different on ${count("no different")}`, `worse on ${count("worse")}`];
    if (count("not measured") > 0) tally.push(`not measured on ${count("not measured")}`);
    parts.push(
      `${agent} against the best baseline of each protocol, judged by the paired difference on the same units and its 95% interval ` +
        `(better or worse only when the interval excludes 0): ${tally.join(", ")} of ${rows.length} headline figures.`,
    );
    const named = (v: Verdict) => rows.filter((x) => x.verdict === v).map((x) => `${x.protocol} ${x.metric}${x.best ? ` (vs ${x.best.name})` : ""}${x.smallN ? ", small n" : ""}`);
    for (const v of ["better", "worse"] as const) if (named(v).length > 0) parts.push(`${v[0].toUpperCase()}${v.slice(1)}: ${named(v).join("; ")}.`);
  }
  const calibration = lastCalibration(r.training);
  return { agent, rows, paragraph: parts.join(" "), caveats: caveats(r, rows, agent), ...(calibration ? { calibration } : {}) };
}

function caveats(r: EvaluationReport, rows: SummaryRow[], agent: string): string[] {
  const out: string[] = [];
  const small = rows.filter((x) => x.smallN);
  if (small.length > 0) {
    const which = small.map((x) => {
      const ns = [x.agent?.n, x.best?.value.n, x.paired?.difference.n].filter((n): n is number => isSmallN(n) && (n as number) > 0);
      return `${x.protocol} ${x.metric} (${ns.length ? `n = ${Math.min(...ns)}` : "nothing to pair"})`;
    });
    out.push(`${small.length === 1 ? "One figure rests" : `${small.length} figures rest`} on fewer than ${SMALL_N} units and ${small.length === 1 ? "is" : "are"} marked small n: ${which.join(", ")}. ${small.length === 1 ? "Its interval is" : "Their intervals are"} unreliable.`);
  }
  const original = r.protocols.find((p) => p.protocol === "original");
  const unknown = original?.metrics.find((m) => m.metric === "unknown")?.values[agent];
  const skip = original?.metrics.find((m) => m.metric === "skip_rate")?.values[agent];
  if (unknown && Number.isFinite(unknown.mean) && unknown.mean >= 0.5) {
    out.push(
      `In the original protocol ${unknown.mean > 0.999 && unknown.mean < 1 ? `${(100 * unknown.mean).toFixed(2)}%` : formatPercent(unknown.mean)} of ${agent}'s recommendations never appear in the session, so its skip rate judges only the rest` +
        (skip ? `: it rests on n = ${formatFigure(skip.n)} ${unitPlural(original!.unit ?? "unit", skip.n)}.` : "."),
    );
  }
  for (const p of r.protocols) {
    for (const id of p.headline ?? []) {
      const m = p.metrics.find((x) => x.metric === id);
      const oracle = m?.values.oracle;
      if (m && oracle && Number.isFinite(oracle.mean)) {
        const d = decimalsFor(Object.values(m.values).flatMap((e) => [e.mean, e.lo, e.hi]));
        out.push(`${p.protocol}, ${m.label.toLowerCase()}: the oracle, which knows the listener's true skip probabilities, reaches ${formatNumber(oracle.mean, d)}, the ceiling.`);
        break;
      }
    }
  }
  return out;
}

/** The last episode with the trainer's periodic evaluation (predicted Q and measured return), if any. */
export function lastCalibration(training: EpisodeMetrics[]): Summary["calibration"] {
  for (let i = training.length - 1; i >= 0; i--) {
    const e = training[i];
    if (Number.isFinite(e.evalPredictedQ) && Number.isFinite(e.evalReturn)) return { episode: e.episode, predictedQ: e.evalPredictedQ!, measuredReturn: e.evalReturn! };
  }
  return undefined;
}

/**
 * Reference lines for the training reward curve from the online protocol's episode reward:
 * only meaningful when training ran in that same environment with the same episode length,
 * which the caller knows (the report cannot). Undefined without an online protocol.
 */
export function trainingReferencesFrom(protocols: ProtocolResult[], policies: readonly string[] = ["random", "popular", "oracle"]): TrainingReferences | undefined {
  const online = protocols.find((p) => p.protocol === "online");
  const m = online?.metrics.find((x) => x.metric === "episode_reward");
  if (!m) return undefined;
  const values: Record<string, number> = {};
  for (const name of policies) if (m.values[name] && Number.isFinite(m.values[name].mean)) values[name] = m.values[name].mean;
  if (Object.keys(values).length === 0) return undefined;
  const n = Object.values(m.values)[0]?.n ?? 0;
  return { series: "reward", values, source: `mean episode reward of each policy in the online protocol (greedy, ${n} episodes, same environment and episode length)` };
}

/**
 * A model's training metadata as configuration: everything but per-episode records (the
 * `training` array, which the report keeps in report.json and draws as curves).
 */
export function configOfTraining(meta: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(meta ?? {})) if (k !== "training") out[k] = v;
  return out;
}
