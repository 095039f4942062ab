// One entry point for track embeddings, called by `encore embed`: item2vec with feature-mapped
// fallback, audio features alone, or the hybrid of both.
//
//   kind "item2vec":  item2vec (src/embed/item2vec.ts) on the training sessions; tracks it could
//                     not learn get their features mapped into its space by ridge regression,
//                     else the unknown (mean) vector (src/embed/fallback.ts).
//   kind "features":  standardised, PCA-projected audio features (src/embed/features.ts); tracks
//                     without features get the zero vector.
//   kind "hybrid":    row = [ √(1−w) · ê_cf , √w · ê_feat ], where ê_cf is the unit item2vec
//                     vector (width d − d_f, with the same fallback as "item2vec") and ê_feat the
//                     unit PCA feature vector (width d_f). Why concatenation of unit parts:
//                     every row has norm 1 and the dot product of two rows is exactly
//                     (1 − w)·cos_cf + w·cos_feat, so w is the share the audio similarity has in
//                     every score, a knob one can read. A track without features has no feature
//                     part: its row is [ê_cf, 0] (still unit; its similarity is co-occurrence
//                     only). Hybrid rows are always unit (the `normalize` option does not apply).
//
// The sessions: an in-memory input (EmbeddingInput: a dataset's CSR, `trainSessions` picking the
// training split) or a streamed one (StreamedEmbeddingInput: a SessionSource, e.g. the training
// part of a sharded dataset read one shard at a time, src/embed/shard-source.ts). Both train the
// same item2vec (a source is read once for the counts and once an epoch) and record the same
// `trainSessions` and `trainSessionsHash`; on a source the hash costs two more reads (the offsets
// come before the tracks in the hashed bytes). The feature paths need only the per-track arrays.
//
// The engine: item2vec needs its matrices in a wasm memory laid out before the engine loads, so
// give either `wasm` (bytes, a compiled Module, a Response or URL: a plan and engine are built
// here for this call) or `trainer` (an Item2Vec whose plan is already loaded, V and width
// matching; e.g. to reuse one engine across calls). "features" needs neither.
//
// No `node:` imports.

import { Engine, type WasmSource } from "../engine/engine.js";
import { MemoryPlan } from "../engine/plan.js";
import type { TrackVocab } from "../data/vocab.js";
import { Item2Vec, type Item2VecOptions, type Item2VecResult, type Item2VecShape, type Sessions, type SessionSource } from "./item2vec.js";
import { featureEmbeddings, normalizeRow, standardizeFeatures, type ProjectionMethod } from "./features.js";
import { applyFallback, type FallbackCounts, type FallbackOptions } from "./fallback.js";
import { Fnv1a64, vocabHash } from "./hash.js";
import type { SavedEmbeddings } from "./format.js";

import { EMBEDDING_KINDS, type EmbeddingKind } from "./kinds.js";
export { EMBEDDING_KINDS, type EmbeddingKind };

/** What buildEmbeddings reads from a dataset (an MssdDataset has all of it). V = featureRow.length. */
export interface EmbeddingInput {
  sessionOffsets: Int32Array;
  tracks: Int32Array;
  featureRow: Int32Array;
  features: Float32Array;
  /** When given, its hash goes into the result (and V must equal its size). */
  vocab?: TrackVocab;
}

/** Training sessions streamed in chunks instead of held (see the file header); V = featureRow.length. */
export interface StreamedEmbeddingInput {
  /** The training sessions, chunk by chunk (each chunk's `sessions` picks them). */
  source: SessionSource;
  featureRow: Int32Array;
  features: Float32Array;
  vocab?: TrackVocab;
}

export interface BuildEmbeddingsOptions {
  kind: EmbeddingKind;
  /** Output width. Default 32. */
  d?: number;
  /** Seeds item2vec (unless item2vec.seed is given) and the random projection. Default 0. */
  seed?: number;
  /** Session indices to train item2vec on (e.g. the training split). Default: every session. In-memory input only. */
  trainSessions?: ArrayLike<number>;
  /** The wasm engine to build a plan and engine from (item2vec, hybrid). */
  wasm?: WasmSource;
  /** Or an Item2Vec on an already loaded engine (V = featureRow.length, d = the item2vec width). */
  trainer?: Item2Vec;
  /** item2vec options (src/embed/item2vec.ts defaults); negatives and batchPairs shape a trainer built here. */
  item2vec?: Item2VecOptions & Pick<Item2VecShape, "negatives" | "batchPairs">;
  features?: { projection?: ProjectionMethod; clip?: number };
  /** Unit L2 rows for "item2vec" and "features". Default true. */
  normalize?: boolean;
  fallback?: FallbackOptions;
  hybrid?: {
    /** Width of the feature part d_f. Default max(1, round(d/4)); the item2vec part is d − d_f ≥ 1. */
    featureDims?: number;
    /** Share w of the feature part in every dot product, in [0, 1]. Default 0.25. */
    featureWeight?: number;
  };
}

export interface EmbeddingReport {
  seconds: number;
  item2vec?: { d: number; losses: number[]; pairs: number; seconds: number; excluded: number; trainSessions: number };
  features?: { P: number; tracks: number; constant: string[]; projection: ProjectionMethod; d: number; explained?: number; eigenvalues?: number[] };
  ridge?: { n: number; lambda: number; r2: number } | null;
  notes: string[];
}

/** What the build makes: what a file holds (src/embed/format.ts), plus how each track got its vector. */
export interface BuiltEmbeddings extends SavedEmbeddings {
  /** Per track: 0 item2vec, 1 features, 2 unknown. */
  path: Uint8Array;
  vocabHash?: string;
  report: EmbeddingReport;
}

/** The CSR sessions of the given session indices (all when undefined). */
export function selectSessions(input: Pick<EmbeddingInput, "sessionOffsets" | "tracks">, ids?: ArrayLike<number>): Sessions {
  const { sessionOffsets: off, tracks } = input;
  const S = off.length - 1;
  if (ids === undefined) return { offsets: off, tracks };
  let rows = 0;
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (!Number.isInteger(s) || s < 0 || s >= S) throw new Error(`trainSessions[${i}] = ${s} is not a session index in [0, ${S})`);
    rows += off[s + 1] - off[s];
  }
  const offsets = new Int32Array(ids.length + 1), out = new Int32Array(rows);
  for (let i = 0, r = 0; i < ids.length; i++) {
    const s = ids[i];
    out.set(tracks.subarray(off[s], off[s + 1]), r);
    r += off[s + 1] - off[s];
    offsets[i + 1] = r;
  }
  return { offsets, tracks: out };
}

function now(): number {
  return typeof performance !== "undefined" ? performance.now() : Date.now();
}

/**
 * FNV-1a 64 of the CSR a source trains on, the same bytes as the hash of selectSessions'
 * result on an in-memory input: the compacted offsets (i32, from 0), then the tracks (i32).
 * Two reads of the source: the offsets come first.
 */
export function sourceSessionsHash(source: SessionSource): string {
  const h = new Fnv1a64();
  const scratch = new Int32Array(4096), bytes = new Uint8Array(scratch.buffer);
  let n = 0;
  const put = (x: number): void => {
    scratch[n++] = x;
    if (n === scratch.length) {
      h.update(bytes);
      n = 0;
    }
  };
  put(0);
  let rows = 0;
  for (const pass of ["offsets", "tracks"] as const) {
    for (let k = 0; k < source.chunkCount; k++) {
      const { sessionOffsets: off, tracks, sessions: list } = source.chunk(k);
      const S = list === undefined ? off.length - 1 : list.length;
      for (let i = 0; i < S; i++) {
        const s = list === undefined ? i : list[i];
        if (pass === "offsets") put((rows += off[s + 1] - off[s]));
        else for (let j = off[s]; j < off[s + 1]; j++) put(tracks[j]);
      }
    }
  }
  h.update(bytes, 0, 4 * n);
  return h.digest();
}

/** Builds the embeddings (see the file header). */
export async function buildEmbeddings(input: EmbeddingInput | StreamedEmbeddingInput, options: BuildEmbeddingsOptions): Promise<BuiltEmbeddings> {
  const t0 = now();
  const kind = options.kind;
  if (!EMBEDDING_KINDS.includes(kind)) throw new Error(`embeddings: kind must be one of ${EMBEDDING_KINDS.join(", ")}, got ${JSON.stringify(kind)}`);
  const d = options.d ?? 32, seed = options.seed ?? 0, normalize = options.normalize ?? true;
  if (!Number.isInteger(d) || d < 1) throw new Error(`embeddings: d must be a positive integer, got ${d}`);
  const V = input.featureRow.length;
  if (V < 1) throw new Error("embeddings: the dataset has no tracks");
  const streamed = "source" in input;
  if (streamed && options.trainSessions !== undefined) throw new Error("embeddings: trainSessions picks sessions of an in-memory input; a streamed input's source picks its own");
  if (input.vocab && input.vocab.size !== V) throw new Error(`embeddings: the vocabulary has ${input.vocab.size} tracks but featureRow has ${V}`);
  const projection = options.features?.projection ?? "pca", clip = options.features?.clip ?? 5;
  const notes: string[] = [];
  const report: EmbeddingReport = { seconds: 0, notes };
  const resolved: Record<string, unknown> = { kind, d, seed, normalize: kind === "hybrid" ? true : normalize };

  let E: Float32Array, path: Uint8Array, counts: FallbackCounts, method: string;
  let outD = d;

  if (kind === "features") {
    const fe = featureEmbeddings(input, { d, projection, normalize, clip, seed });
    E = fe.E;
    outD = fe.d;
    if (outD !== d) notes.push(`projection "none" gives the ${outD} standardised derived columns, not d = ${d}`);
    path = new Uint8Array(V);
    for (let t = 0; t < V; t++) path[t] = fe.has[t] ? 1 : 2;
    counts = { item2vec: 0, features: fe.counts.features, unknown: fe.counts.unknown };
    report.features = featureReport(fe.standardized.P, fe.standardized.tracks.length, fe.standardized.constant, fe.projection);
    if (fe.projection.method === "pca" && d > fe.standardized.P) notes.push(`d = ${d} exceeds the ${fe.standardized.P} derived feature columns: components ${fe.standardized.P}..${d - 1} are 0`);
    method = `features-${projection}`;
    resolved.features = { projection, clip };
  } else {
    let dFeat = 0, w = 0;
    if (kind === "hybrid") {
      dFeat = options.hybrid?.featureDims ?? Math.max(1, Math.round(d / 4));
      w = options.hybrid?.featureWeight ?? 0.25;
      if (!Number.isInteger(dFeat) || dFeat < 1 || dFeat >= d) throw new Error(`embeddings: hybrid featureDims must be an integer in 1..${d - 1} (d = ${d}), got ${dFeat}`);
      if (!(w >= 0 && w <= 1)) throw new Error(`embeddings: hybrid featureWeight must be in [0, 1], got ${w}`);
      resolved.hybrid = { featureDims: dFeat, featureWeight: w };
      resolved.features = { projection, clip };
    }
    const dCf = d - dFeat;
    const sessions = streamed ? null : selectSessions(input, options.trainSessions);
    const i2vOpts = { ...options.item2vec, seed: options.item2vec?.seed ?? seed };
    const { E: cf, result } = await trainItem2VecHere(options, V, dCf, sessions ?? (input as StreamedEmbeddingInput).source, i2vOpts);
    const learned = new Uint8Array(V).fill(1);
    for (const t of result.excluded) learned[t] = 0;
    let hasFeatures = false;
    for (let t = 0; t < V && !hasFeatures; t++) hasFeatures = input.featureRow[t] >= 0;
    const st = hasFeatures ? standardizeFeatures(input, clip) : null;
    const fb = applyFallback(cf, dCf, learned, st, options.fallback);
    if (fb.note) notes.push(fb.note);
    path = fb.path;
    counts = fb.counts;
    const { onEpoch: _drop, ...i2vJson } = i2vOpts;
    resolved.item2vec = i2vJson;
    if (kind === "item2vec") resolved.features = { clip };
    resolved.fallback = { ridge: options.fallback?.ridge ?? 0.1, minFit: options.fallback?.minFit ?? 2 };
    resolved.trainSessions = result.sessions;
    resolved.trainSessionsHash = sessions
      ? new Fnv1a64().update(new Uint8Array(sessions.offsets.buffer, sessions.offsets.byteOffset, sessions.offsets.byteLength))
        .update(new Uint8Array(sessions.tracks.buffer, sessions.tracks.byteOffset, sessions.tracks.byteLength)).digest()
      : sourceSessionsHash((input as StreamedEmbeddingInput).source);
    report.item2vec = { d: dCf, losses: result.losses, pairs: result.pairs, seconds: result.seconds, excluded: result.excluded.length, trainSessions: result.sessions };
    report.ridge = fb.ridge ? { n: fb.ridge.n, lambda: fb.ridge.lambda, r2: fb.ridge.r2 } : null;
    if (kind === "item2vec") {
      if (normalize) for (let t = 0; t < V; t++) normalizeRow(cf, t * d, d);
      E = cf;
      method = "item2vec-sgns+ridge-fallback";
    } else {
      if (!st) throw new Error("embeddings: kind \"hybrid\" needs audio features, and no track has any (give the dataset a tf_* file)");
      const fe = featureEmbeddings(input, { d: dFeat, projection, normalize: true, clip, seed });
      report.features = featureReport(st.P, st.tracks.length, st.constant, fe.projection);
      E = new Float32Array(V * d);
      const a = Math.sqrt(1 - w), b = Math.sqrt(w);
      for (let t = 0; t < V; t++) {
        normalizeRow(cf, t * dCf, dCf);
        const withFeat = fe.has[t] === 1;
        const sa = withFeat ? a : 1;
        for (let j = 0; j < dCf; j++) E[t * d + j] = sa * cf[t * dCf + j];
        if (withFeat) for (let j = 0; j < dFeat; j++) E[t * d + dCf + j] = b * fe.E[t * dFeat + j];
      }
      method = `hybrid(item2vec-sgns+ridge-fallback ${dCf} | features-${projection} ${dFeat}, w=${w})`;
    }
  }
  report.seconds = (now() - t0) / 1000;
  return {
    E, d: outD, V, kind, method, options: resolved, counts, path,
    vocabHash: input.vocab ? vocabHash(input.vocab) : undefined, report,
  };
}

function featureReport(P: number, tracks: number, constant: string[], proj: { method: ProjectionMethod; d: number; explained?: number; eigenvalues?: Float64Array }): NonNullable<EmbeddingReport["features"]> {
  return {
    P, tracks, constant, projection: proj.method, d: proj.d, explained: proj.explained,
    eigenvalues: proj.eigenvalues ? Array.from(proj.eigenvalues.subarray(0, Math.min(proj.d, proj.eigenvalues.length))) : undefined,
  };
}

async function trainItem2VecHere(options: BuildEmbeddingsOptions, V: number, d: number, sessions: Sessions | SessionSource,
                                 o: Item2VecOptions & Pick<Item2VecShape, "negatives" | "batchPairs">): Promise<{ E: Float32Array; result: Item2VecResult }> {
  let trainer = options.trainer;
  if (trainer) {
    if (trainer.V !== V || trainer.d !== d) throw new Error(`embeddings: the given trainer is for V = ${trainer.V}, d = ${trainer.d}; this call needs V = ${V}, d = ${d}`);
    if (!trainer.plan.isBound) throw new Error("embeddings: the given trainer's plan has no engine yet (Engine.load it first)");
  } else {
    if (options.wasm === undefined) throw new Error(`embeddings: kind "${options.kind}" trains item2vec: pass the wasm engine (options.wasm) or a loaded Item2Vec (options.trainer)`);
    const plan = new MemoryPlan();
    trainer = new Item2Vec(plan, V, { d, negatives: o.negatives, batchPairs: o.batchPairs });
    await Engine.load(options.wasm, plan);
  }
  const result = "chunk" in sessions ? trainer.trainStream(sessions, o) : trainer.train(sessions, o);
  return { E: trainer.embeddings().slice(), result };
}
