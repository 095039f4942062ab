// The shape of evaluation results, shared by the evaluator (which computes them), the CLI
// (which prints them and writes them as JSON) and the HTML report (which draws them). The
// report reads each protocol only through ProtocolResult.
import type { EpisodeMetrics } from "../core/episode.js";

export type { EpisodeMetrics };

/** The policy under test: every protocol pairs it with each other policy (paired differences). */
export const AGENT_POLICY = "ddpg";

/**
 * Figures quoted beside the baselines but not baselines themselves: the oracle knows the
 * listener's true skip probabilities (a ceiling), "logged" is the sessions' own plays.
 * The report's "best baseline" is never one of these.
 */
export const REFERENCE_POLICIES: readonly string[] = ["oracle", "logged"];

/** Figures resting on fewer units than this are flagged as small-n everywhere. */
export const SMALL_N = 30;

/** A figure with its bootstrap 95% confidence interval. */
export interface Estimate {
  mean: number;
  /** 2.5th percentile of the bootstrap distribution. */
  lo: number;
  /** 97.5th percentile. */
  hi: number;
  /** How many units (sessions, episodes) the figure averages over. */
  n: number;
}

/** Which way a metric is good: "neutral" metrics describe, they do not rank. */
export type Direction = "higher" | "lower" | "neutral";

export interface MetricResult {
  /** Stable id, e.g. "skip_rate", "hit_rate@3", "diversity". */
  metric: string;
  /** Human label, e.g. "Skip rate of recommended tracks (known)". */
  label: string;
  /** Whether higher or lower is better, or neither ("unknown": the share not in the session). */
  direction: Direction;
  /** Per policy name (ddpg, random, popular, item-knn, logged, oracle, …). */
  values: Record<string, Estimate>;
  /** Free-form notes shown beside the figure (e.g. "diversity over audio features of 188 tracks"). */
  note?: string;
}

/** What the paired interval says about the agent against one other policy. */
export type Verdict = "better" | "no different" | "worse" | "not measured";

/**
 * The agent's figure minus another policy's on the same units: the same seeded episode starts
 * (online) or the same held-out sessions (offline protocols), averaged over the clusters where
 * both have a figure, with a cluster-bootstrap 95% interval.
 */
export interface PairedDifference {
  metric: string;
  /** The agent (AGENT_POLICY). */
  policy: string;
  /** The policy (or reference, e.g. "logged") it is compared with. */
  baseline: string;
  /** policy − baseline; n counts the clusters (sessions or episodes) both have a figure on. */
  difference: Estimate;
  /** "better" / "worse" when the interval excludes 0 (in the metric's direction), else "no different". */
  verdict: Verdict;
}

export interface ProtocolResult {
  /** Stable id: "original", "next-tracks", "online". */
  protocol: string;
  /** What it measures and how, in a sentence or two (labelled as the original's where it is). */
  description: string;
  /** What the bootstrap resamples and n counts: "session" or "episode". */
  unit: string;
  metrics: MetricResult[];
  /** Ids of the metrics the summary reports, most important first. */
  headline: string[];
  /** The agent against every other policy on the headline metrics (empty when no policy is the agent). */
  paired: PairedDifference[];
  /** Seeds the figures pool over. */
  seeds: number[];
}

/** A reference figure from the original project, shown beside ours. */
export interface ReferenceFigure {
  metric: string;
  label: string;
  /** The original's DDPG figure and its comparison (logged) figure. */
  ddpg: number;
  baseline: number;
  baselineLabel: string;
  source: string;
}

/**
 * Horizontal reference lines for the training reward curve: the mean episode reward of fixed
 * policies measured in the training environment with the same episode length (from the online
 * protocol), so the curve can be read against them.
 */
export interface TrainingReferences {
  /** Which training series they belong to ("reward"). */
  series: "reward";
  /** Policy → mean episode reward. */
  values: Record<string, number>;
  /** Where the figures come from, shown beside the chart. */
  source: string;
}

export interface EvaluationReport {
  title: string;
  /** ISO date-time the report was made. */
  created: string;
  /** The command that produced it. */
  command: string;
  /** Dataset description: name, sessions, tracks, split, where features exist, … */
  dataset: Record<string, string | number>;
  /** Hyperparameters and options of the run (configuration only: per-episode data is in `training`). */
  config: Record<string, unknown>;
  /** Every training episode's metrics (in report.json; the page draws curves from them). */
  training: EpisodeMetrics[];
  /** Reference lines for the training curves, when the training environment was evaluated online. */
  trainingReferences?: TrainingReferences;
  protocols: ProtocolResult[];
  reference: ReferenceFigure[];
}

/** The original project's published figures on the MSSD mini sample. */
export const ORIGINAL_FIGURES: ReferenceFigure[] = [
  { metric: "skip_rate", label: "Skip rate of recommended tracks", ddpg: 0.49, baseline: 0.54, baselineLabel: "logged", source: "original DDPG project, MSSD mini sample" },
  { metric: "diversity", label: "Intra-list diversity (8 audio features)", ddpg: 0.093, baseline: 0.076, baselineLabel: "logged", source: "original DDPG project, MSSD mini sample" },
];
