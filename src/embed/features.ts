// Audio-feature track embeddings from the MSSD track-feature table (tf_*.csv, 29 columns,
// src/data/tf-parser.ts): derive → standardise → project to d → (optionally) L2-normalise.
//
// Derived columns (DERIVED_FEATURE_COLUMNS, P = 30), and why:
//   - the 26 numeric columns as they are, and `mode` as its 0/1 indicator (major = 1);
//   - `key` (pitch class 0..11) is circular: 11 (B) is next to 0 (C), so it becomes the point
//     (cos 2πk/12, sin 2πk/12) on the unit circle instead of a number whose distance |11 − 0|
//     would call them far apart;
//   - `time_signature` (estimated beats per bar, overwhelmingly 4) becomes one indicator "is 4"
//     (ts_is_4): the other values (0, 1, 3, 5) are rare and partly estimation failures, and a
//     one-hot of rare categories would, after standardising, give each rare value a z-score of
//     tens that dominates every distance.
// Standardisation: per derived column, mean and population standard deviation over the tracks
// that have features (f64). A constant column (std ≤ 1e-9·max(1, |mean|)) carries no
// information and maps to 0 for every track (listed in `constant`). z-scores are then clipped
// to ±clip (default 5) so that a handful of outliers (durations of an hour, release_year 0)
// cannot take over a principal component.
// Projection to d:
//   - "pca" (default): the top d principal components of the standardised rows, from the
//     Jacobi eigen-decomposition of their P×P covariance in f64 (src/embed/linalg.ts):
//     deterministic, no seed needed, and the d directions keep the most variance possible.
//     Scores are not whitened, so component j keeps its variance λ_j and dot products weigh
//     the main directions most. With d > P the extra columns are 0 (reported).
//   - "random": a seeded Gaussian random projection, entries N(0, 1/d) (Johnson–Lindenstrauss):
//     preserves distances in expectation for any d, but it is noisier than PCA for d < P.
//   - "none": the standardised rows themselves, width P (d is then P whatever was asked).
// Normalisation (default on): rows scaled to unit L2 norm, so a dot product (how DDPG scores a
// track, LIRD: score = w · e) is the cosine and no track wins on norm alone. Tracks without
// features get the unknown vector, which here is the zero vector: the mean of the centred
// projection, neutral (score 0) in every dot product; it is not normalised.
//
// No `node:` imports.

import { FEATURE_COLUMNS, NFEAT } from "../data/tf-parser.js";
import { Rng } from "../rng.js";
import { cosTurns, sinTurns } from "../dmath.js";
import { symmetricEigen } from "./linalg.js";

const KEY = FEATURE_COLUMNS.indexOf("key");
const TIME_SIGNATURE = FEATURE_COLUMNS.indexOf("time_signature");

/** The derived columns, in order: the numeric columns (mode as 0/1), then key_cos, key_sin, ts_is_4. */
export const DERIVED_FEATURE_COLUMNS: readonly string[] = [
  ...FEATURE_COLUMNS.filter((_, j) => j !== KEY && j !== TIME_SIGNATURE),
  "key_cos", "key_sin", "ts_is_4",
];
export const P_DERIVED = DERIVED_FEATURE_COLUMNS.length;

/** Writes the P_DERIVED derived values of one raw feature row (NFEAT values at raw[ri..]) to out[oi..]. */
export function deriveFeatureRow(raw: ArrayLike<number>, ri: number, out: Float64Array, oi: number): void {
  let o = oi;
  for (let j = 0; j < NFEAT; j++) if (j !== KEY && j !== TIME_SIGNATURE) out[o++] = raw[ri + j];
  const turns = raw[ri + KEY] / 12; // the key's angle on the circle of fifths' 12 steps, in turns
  out[o++] = cosTurns(turns); // dmath: the same bits in every engine
  out[o++] = sinTurns(turns);
  out[o++] = raw[ri + TIME_SIGNATURE] === 4 ? 1 : 0;
}

/** The feature table of a dataset: featureRow[t] = row of track t in features (NFEAT columns), or −1. */
export interface FeatureInput {
  featureRow: Int32Array;
  features: Float32Array;
}

export interface Standardized {
  /** Derived width P_DERIVED. */
  P: number;
  /** Tracks with features, ascending: row i of Z is track tracks[i]. */
  tracks: Int32Array;
  /** (tracks.length, P) standardised, clipped derived features. */
  Z: Float64Array;
  /** Per derived column, over the tracks with features. */
  mean: Float64Array;
  std: Float64Array;
  /** Multiplier per column: 1/std, or 0 for a constant column. */
  scale: Float64Array;
  /** Derived columns that were constant (scale 0). */
  constant: string[];
  clip: number;
}

/** Derive, standardise and clip the features of every track that has them (see the file header). */
export function standardizeFeatures(input: FeatureInput, clip = 5): Standardized {
  const { featureRow, features } = input;
  if (features.length % NFEAT !== 0) throw new Error(`features: ${features.length} values is not a multiple of the ${NFEAT} feature columns`);
  if (!(clip > 0)) throw new Error(`features: clip must be > 0 (Infinity disables it), got ${clip}`);
  const rows = features.length / NFEAT;
  const V = featureRow.length;
  let F = 0;
  for (let t = 0; t < V; t++) {
    const r = featureRow[t];
    if (r >= rows || (r < 0 && r !== -1) || !Number.isInteger(r)) throw new Error(`featureRow[${t}] = ${r} is neither −1 nor a row of the ${rows}-row feature table`);
    if (r >= 0) F++;
  }
  const P = P_DERIVED;
  const tracks = new Int32Array(F);
  const Z = new Float64Array(F * P);
  for (let t = 0, i = 0; t < V; t++) {
    const r = featureRow[t];
    if (r < 0) continue;
    tracks[i] = t;
    deriveFeatureRow(features, r * NFEAT, Z, i * P);
    for (let j = 0; j < P; j++) {
      const x = Z[i * P + j];
      if (!Number.isFinite(x)) throw new Error(`features of track ${t} (row ${r}): ${DERIVED_FEATURE_COLUMNS[j]} is ${x}, expected a finite number`);
    }
    i++;
  }
  const mean = new Float64Array(P), std = new Float64Array(P), scale = new Float64Array(P);
  const constant: string[] = [];
  for (let j = 0; j < P; j++) {
    let s = 0;
    for (let i = 0; i < F; i++) s += Z[i * P + j];
    const m = F > 0 ? s / F : 0;
    let q = 0;
    for (let i = 0; i < F; i++) {
      const e = Z[i * P + j] - m;
      q += e * e;
    }
    const sd = F > 0 ? Math.sqrt(q / F) : 0;
    mean[j] = m;
    std[j] = sd;
    if (sd <= 1e-9 * Math.max(1, Math.abs(m))) {
      scale[j] = 0;
      constant.push(DERIVED_FEATURE_COLUMNS[j]);
    } else scale[j] = 1 / sd;
  }
  for (let i = 0; i < F; i++) for (let j = 0; j < P; j++) {
    const z = (Z[i * P + j] - mean[j]) * scale[j];
    Z[i * P + j] = z > clip ? clip : z < -clip ? -clip : z;
  }
  return { P, tracks, Z, mean, std, scale, constant, clip };
}

export type ProjectionMethod = "pca" | "random" | "none";

/** A linear map from standardised rows z (P) to y = (z − center) · W, W (P, d) row-major. */
export interface Projection {
  method: ProjectionMethod;
  P: number;
  d: number;
  center: Float64Array;
  W: Float64Array;
  /** PCA: every eigenvalue of the covariance, descending (length P). */
  eigenvalues?: Float64Array;
  /** PCA: share of the total variance kept by the d components (0 when the total is 0). */
  explained?: number;
}

function columnMean(Z: Float64Array, F: number, P: number): Float64Array {
  const c = new Float64Array(P);
  for (let i = 0; i < F; i++) for (let j = 0; j < P; j++) c[j] += Z[i * P + j];
  if (F > 0) for (let j = 0; j < P; j++) c[j] /= F;
  return c;
}

/** The top-d principal components of Z (F, P): covariance (population, f64) → Jacobi → first d eigenvectors. */
export function fitPca(Z: Float64Array, F: number, P: number, d: number): Projection {
  if (!Number.isInteger(d) || d < 1) throw new Error(`pca: d must be a positive integer, got ${d}`);
  if (Z.length !== F * P) throw new Error(`pca: Z has ${Z.length} values, expected ${F}×${P}`);
  const center = columnMean(Z, F, P); // ≈ 0 after standardising; not exactly once clipped
  const C = new Float64Array(P * P);
  for (let i = 0; i < F; i++) {
    for (let a = 0; a < P; a++) {
      const za = Z[i * P + a] - center[a];
      if (za === 0) continue;
      for (let b = a; b < P; b++) C[a * P + b] += za * (Z[i * P + b] - center[b]);
    }
  }
  for (let a = 0; a < P; a++) for (let b = a; b < P; b++) {
    C[a * P + b] /= Math.max(1, F);
    C[b * P + a] = C[a * P + b];
  }
  const { values, vectors } = symmetricEigen(C, P);
  const W = new Float64Array(P * d);
  const k = Math.min(d, P);
  for (let a = 0; a < P; a++) for (let j = 0; j < k; j++) W[a * d + j] = vectors[a * P + j];
  let total = 0, kept = 0;
  for (let j = 0; j < P; j++) {
    const l = Math.max(0, values[j]);
    total += l;
    if (j < k) kept += l;
  }
  return { method: "pca", P, d, center, W, eigenvalues: values, explained: total > 0 ? kept / total : 0 };
}

/** A seeded Gaussian random projection P → d, entries N(0, 1/d), centred on Z's column means. */
export function randomProjection(Z: Float64Array, F: number, P: number, d: number, seed: number): Projection {
  if (!Number.isInteger(d) || d < 1) throw new Error(`random projection: d must be a positive integer, got ${d}`);
  const rng = new Rng(seed);
  const W = new Float64Array(P * d);
  const s = 1 / Math.sqrt(d);
  for (let i = 0; i < P * d; i++) W[i] = rng.normal() * s;
  return { method: "random", P, d, center: columnMean(Z, F, P), W };
}

/** The identity on the standardised rows (width P). */
export function identityProjection(Z: Float64Array, F: number, P: number): Projection {
  const W = new Float64Array(P * P);
  for (let j = 0; j < P; j++) W[j * P + j] = 1;
  return { method: "none", P, d: P, center: columnMean(Z, F, P), W };
}

let acc = new Float64Array(64); // f64 accumulator reused across calls (grown for wide d)

/** y (d) = (z − center) · W for the row z = Z[i·P ..], accumulated in f64; writes out[oi .. oi + d). */
export function projectRow(proj: Projection, Z: Float64Array, i: number, out: Float32Array | Float64Array, oi: number): void {
  const { P, d, W, center } = proj;
  if (acc.length < d) acc = new Float64Array(d);
  acc.fill(0, 0, d);
  for (let a = 0; a < P; a++) {
    const za = Z[i * P + a] - center[a];
    if (za === 0) continue;
    for (let j = 0; j < d; j++) acc[j] += za * W[a * d + j];
  }
  for (let j = 0; j < d; j++) out[oi + j] = acc[j];
}

/** Scales row [o, o + d) of E to unit L2 norm (computed in f64); a zero row stays zero. */
export function normalizeRow(E: Float32Array | Float64Array, o: number, d: number): void {
  let s = 0;
  for (let j = 0; j < d; j++) s += E[o + j] * E[o + j];
  if (!(s > 0)) return;
  const inv = 1 / Math.sqrt(s);
  for (let j = 0; j < d; j++) E[o + j] *= inv;
}

export interface FeatureEmbeddingOptions {
  /** Output width (PCA / random projection). Default 32. Ignored by projection "none" (width P_DERIVED). */
  d?: number;
  /** Default "pca". */
  projection?: ProjectionMethod;
  /** Scale rows with features to unit L2 norm. Default true. */
  normalize?: boolean;
  /** Clip standardised values to ±clip. Default 5; Infinity disables. */
  clip?: number;
  /** Seed of the random projection. Default 0. */
  seed?: number;
}

export interface FeatureEmbeddings {
  /** (V, d) row-major; tracks without features are 0 (the unknown vector). */
  E: Float32Array;
  d: number;
  /** 1 where the track has features. */
  has: Uint8Array;
  standardized: Standardized;
  projection: Projection;
  counts: { features: number; unknown: number };
}

/** Audio-feature embeddings for every track of the table (see the file header). */
export function featureEmbeddings(input: FeatureInput, options: FeatureEmbeddingOptions = {}): FeatureEmbeddings {
  const d0 = options.d ?? 32, method = options.projection ?? "pca", normalize = options.normalize ?? true;
  if (!Number.isInteger(d0) || d0 < 1) throw new Error(`features: d must be a positive integer, got ${d0}`);
  const st = standardizeFeatures(input, options.clip ?? 5);
  const F = st.tracks.length, P = st.P;
  if (F === 0) throw new Error("features: no track has audio features (give the dataset a tf_* file)");
  const proj = method === "pca" ? fitPca(st.Z, F, P, d0)
    : method === "random" ? randomProjection(st.Z, F, P, d0, options.seed ?? 0)
    : method === "none" ? identityProjection(st.Z, F, P)
    : (() => { throw new Error(`features: projection must be "pca", "random" or "none", got ${JSON.stringify(method)}`); })();
  const d = proj.d, V = input.featureRow.length;
  const E = new Float32Array(V * d);
  const has = new Uint8Array(V);
  const row = new Float64Array(d);
  for (let i = 0; i < F; i++) {
    const t = st.tracks[i];
    has[t] = 1;
    projectRow(proj, st.Z, i, row, 0);
    if (normalize) normalizeRow(row, 0, d);
    for (let j = 0; j < d; j++) E[t * d + j] = row[j];
  }
  return { E, d, has, standardized: st, projection: proj, counts: { features: F, unknown: V - F } };
}
