// The shape of evaluation results, shared by the evaluator (which computes them), the CLI
// (which prints them and writes them as JSON) and the HTML report (which draws them).
import type { EpisodeMetrics } from "../core/episode.js";

export type { EpisodeMetrics };

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

export interface MetricResult {
  /** Stable id, e.g. "skip_rate", "hit_rate@3", "diversity". */
  metric: string;
  /** Human label, e.g. "Skip rate of recommended tracks (known)". */
  label: string;
  /** True when smaller is better (skip rate). */
  lowerIsBetter: boolean;
  /** Per policy name (ddpg, random, popular, item-knn, logged, oracle, …). */
  values: Record<string, Estimate>;
  /** Free-form notes shown beside the figure (e.g. "diversity over audio features of 188 tracks"). */
  note?: string;
}

export interface ProtocolResult {
  /** Stable id: "original", "next-tracks", "online". */
  protocol: string;
  /** What it measures and how, in a sentence or two (labelled as the original's where it is). */
  description: string;
  metrics: MetricResult[];
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

export interface EvaluationReport {
  title: string;
  /** ISO date-time the report was made. */
  created: string;
  /** The command that produced it. */
  command: string;
  /** Dataset description: name, sessions, tracks, split, where features exist, … */
  dataset: Record<string, string | number>;
  /** Hyperparameters and options of the run. */
  config: Record<string, unknown>;
  training: EpisodeMetrics[];
  protocols: ProtocolResult[];
  reference: ReferenceFigure[];
}

/** The original project's published figures on the MSSD mini sample. */
export const ORIGINAL_FIGURES: ReferenceFigure[] = [
  { metric: "skip_rate", label: "Skip rate of recommended tracks", ddpg: 0.49, baseline: 0.54, baselineLabel: "logged", source: "original DDPG project, MSSD mini sample" },
  { metric: "diversity", label: "Intra-list diversity (8 audio features)", ddpg: 0.093, baseline: 0.076, baselineLabel: "logged", source: "original DDPG project, MSSD mini sample" },
];
