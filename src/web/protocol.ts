// Messages between the demo page (src/web/app.ts) and its Worker (src/web/worker.ts).
// Requests carry an id; the Worker answers each with one "reply" or "error" of the same id,
// and streams "episode" messages while a training request runs.
import type { EpisodeMetrics, HistoryItem, ListenerSpec, ScoredTrack } from "../index.js";
import type { ListenerReferences } from "./references.js";

/** Files are sent as URLs (the Worker fetches them) or as bytes (files the user picked). */
export type FileRef = string | ArrayBuffer;

export type Request =
  | { id: number; type: "init"; wasm: string; model: FileRef; embeddings: FileRef; listener: ListenerSpec | null }
  | { id: number; type: "recommend"; history: HistoryItem[]; source: "model" | "trained" }
  | { id: number; type: "train"; episodes: number; seed: number; batch: number }
  /** Random's and popular's mean episode reward on the listener (the curve's reference lines). */
  | { id: number; type: "references"; steps: number; episodes: number }
  | { id: number; type: "stop" };

export type Reply =
  | { id: number; type: "reply"; result: unknown }
  | { id: number; type: "error"; message: string }
  | { id: number; type: "episode"; metrics: EpisodeMetrics; episodes: number; ms: number };

export interface InitResult {
  N: number;
  K: number;
  catalogSize: number;
}

export type RecommendResult = ScoredTrack[];

export type ReferencesResult = ListenerReferences;

export interface TrainResult {
  episodes: number;
  stopped: boolean;
  /** The trained model file (transferred). */
  model: ArrayBuffer;
}
