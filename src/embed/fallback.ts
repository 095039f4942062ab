// Fallback vectors for tracks item2vec could not learn (fewer than minCount plays, or never
// played in the training sessions): their audio features mapped into the item2vec space, and
// failing that a shared "unknown" vector.
//
// The map is ridge regression from the standardised derived features z (P, src/embed/features.ts)
// to the item2vec vectors e (d), fitted on the tracks that have both:
//   minimise  Σ_i ‖(z_i − z̄) W + ē − e_i‖²  +  λ·n·‖W‖²_F ,   W (P, d)
//   W = (Zcᵀ Zc + λ n I)⁻¹ Zcᵀ Ec          (centred Zc, Ec; the bias ē is not penalised)
// solved by Cholesky in f64. The penalty is scaled by the number of fitted tracks n, so λ is
// per track and in the units of the standardised features (unit variance): λ = 0.1 shrinks a
// coefficient of an isolated unit-variance feature by 1/(1 + 0.1). Why a linear map rather
// than nearest-feature-neighbour lookup: it uses every warm track, is cheap to apply to 3.7M
// cold tracks, and with shrinkage it degrades gracefully to ē (the mean) when features say
// little about co-occurrence — which is then also what the unknown vector is.
// The unknown vector is the mean of the learned item2vec rows (unweighted): in dot products it
// scores tracks by their alignment with the catalogue's average direction, the closest thing
// to "popular" the space knows.
//
// No `node:` imports.

import { choleskySolve } from "./linalg.js";
import type { Standardized } from "./features.js";

export interface RidgeMap {
  P: number;
  d: number;
  /** The penalty per track λ. */
  lambda: number;
  /** Tracks fitted. */
  n: number;
  xMean: Float64Array;
  yMean: Float64Array;
  /** (P, d) row-major. */
  W: Float64Array;
  /** Coefficient of determination on the fitted tracks, 1 − SS_res/SS_tot over all d outputs. */
  r2: number;
}

/** Fits the ridge map X (n, P) → Y (n, d) (see the file header). Needs n ≥ 1 and λ > 0 (or n > P). */
export function fitRidgeMap(X: Float64Array, Y: Float64Array, n: number, P: number, d: number, lambda: number): RidgeMap {
  if (X.length !== n * P || Y.length !== n * d) throw new Error(`ridge: X has ${X.length} values (expected ${n}×${P}), Y ${Y.length} (expected ${n}×${d})`);
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new Error(`ridge: lambda must be a finite number ≥ 0, got ${lambda}`);
  if (n < 1) throw new Error("ridge: no tracks to fit");
  const xMean = new Float64Array(P), yMean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < P; a++) xMean[a] += X[i * P + a];
    for (let j = 0; j < d; j++) yMean[j] += Y[i * d + j];
  }
  for (let a = 0; a < P; a++) xMean[a] /= n;
  for (let j = 0; j < d; j++) yMean[j] /= n;
  const A = new Float64Array(P * P), B = new Float64Array(P * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < P; a++) {
      const xa = X[i * P + a] - xMean[a];
      if (xa === 0) continue;
      for (let b = a; b < P; b++) A[a * P + b] += xa * (X[i * P + b] - xMean[b]);
      for (let j = 0; j < d; j++) B[a * d + j] += xa * (Y[i * d + j] - yMean[j]);
    }
  }
  // A constant column (all xa = 0) has a zero row and column: the penalty keeps A definite; with
  // λ = 0 it would be singular, so it gets a unit pivot (its coefficient is 0 either way, B is 0).
  for (let a = 0; a < P; a++) {
    for (let b = 0; b < a; b++) A[a * P + b] = A[b * P + a];
    A[a * P + a] += lambda * n;
    if (A[a * P + a] === 0) A[a * P + a] = 1;
  }
  const W = choleskySolve(A, P, B, d);
  const map: RidgeMap = { P, d, lambda, n, xMean, yMean, W, r2: 0 };
  let ssRes = 0, ssTot = 0;
  const y = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    predictRidge(map, X, i * P, y, 0);
    for (let j = 0; j < d; j++) {
      const res = Y[i * d + j] - y[j], tot = Y[i * d + j] - yMean[j];
      ssRes += res * res;
      ssTot += tot * tot;
    }
  }
  map.r2 = ssTot > 0 ? 1 - ssRes / ssTot : 0;
  return map;
}

/** out[oi .. oi + d) = (x − x̄) W + ē for the row x = X[xi .. xi + P). */
export function predictRidge(map: RidgeMap, X: ArrayLike<number>, xi: number, out: Float32Array | Float64Array, oi: number): void {
  const { P, d, W, xMean, yMean } = map;
  for (let j = 0; j < d; j++) out[oi + j] = yMean[j];
  for (let a = 0; a < P; a++) {
    const xa = X[xi + a] - xMean[a];
    if (xa === 0) continue;
    for (let j = 0; j < d; j++) out[oi + j] += xa * W[a * d + j];
  }
}

export interface FallbackOptions {
  /** Ridge penalty per track λ. Default 0.1. */
  ridge?: number;
  /** Fewest tracks with both a learned vector and features to fit the map; below it, cold tracks take the unknown vector. Default 2. */
  minFit?: number;
}

export interface FallbackCounts {
  /** Tracks keeping their learned vector. */
  item2vec: number;
  /** Tracks given their features mapped into the space. */
  features: number;
  /** Tracks given the unknown vector. */
  unknown: number;
}

export interface FallbackResult {
  counts: FallbackCounts;
  /** Per track: 0 learned, 1 features, 2 unknown. */
  path: Uint8Array;
  /** The unknown vector (d): the mean of the learned rows. */
  unknown: Float32Array;
  /** The fitted map, or null when too few tracks had both (see `note`). */
  ridge: RidgeMap | null;
  note?: string;
}

export const PATH_ITEM2VEC = 0, PATH_FEATURES = 1, PATH_UNKNOWN = 2;

/**
 * Fills the rows of E (V, d) whose `learned[t]` is 0, in place: with the ridge map of the
 * track's standardised features when it has some (`st`, null when there is no feature table)
 * and the map could be fitted, else with the unknown vector. Learned rows are left untouched.
 * Throws when no row is learned (there is no space to map into).
 */
export function applyFallback(E: Float32Array, d: number, learned: Uint8Array, st: Standardized | null, options: FallbackOptions = {}): FallbackResult {
  const V = learned.length;
  if (E.length !== V * d) throw new Error(`fallback: E has ${E.length} values, expected V × d = ${V} × ${d}`);
  const lambda = options.ridge ?? 0.1, minFit = options.minFit ?? 2;
  if (!Number.isInteger(minFit) || minFit < 1) throw new Error(`fallback: minFit must be a positive integer, got ${minFit}`);
  const mean = new Float64Array(d);
  let nLearned = 0;
  for (let t = 0; t < V; t++) {
    if (!learned[t]) continue;
    nLearned++;
    for (let j = 0; j < d; j++) mean[j] += E[t * d + j];
  }
  if (nLearned === 0) throw new Error("fallback: no track has a learned vector (lower minCount or give more sessions)");
  const unknown = new Float32Array(d);
  for (let j = 0; j < d; j++) unknown[j] = mean[j] / nLearned;

  let ridge: RidgeMap | null = null, note: string | undefined;
  const P = st?.P ?? 0;
  if (st) {
    let n = 0;
    for (const t of st.tracks) if (learned[t]) n++;
    if (n >= minFit) {
      const X = new Float64Array(n * P), Y = new Float64Array(n * d);
      let k = 0;
      st.tracks.forEach((t, i) => {
        if (!learned[t]) return;
        X.set(st.Z.subarray(i * P, i * P + P), k * P);
        for (let j = 0; j < d; j++) Y[k * d + j] = E[t * d + j];
        k++;
      });
      ridge = fitRidgeMap(X, Y, n, P, d, lambda);
    } else note = `only ${n} tracks have both a learned vector and features (minFit ${minFit}): cold tracks take the unknown vector`;
  } else note = "no feature table: cold tracks take the unknown vector";

  const path = new Uint8Array(V).fill(PATH_UNKNOWN);
  const counts: FallbackCounts = { item2vec: 0, features: 0, unknown: 0 };
  for (let t = 0; t < V; t++) if (learned[t]) path[t] = PATH_ITEM2VEC;
  if (ridge && st) {
    st.tracks.forEach((t, i) => {
      if (learned[t]) return;
      predictRidge(ridge!, st.Z, i * P, E, t * d);
      path[t] = PATH_FEATURES;
    });
  }
  for (let t = 0; t < V; t++) {
    if (path[t] === PATH_UNKNOWN) E.set(unknown, t * d);
    counts[path[t] === PATH_ITEM2VEC ? "item2vec" : path[t] === PATH_FEATURES ? "features" : "unknown"]++;
  }
  return { counts, path, unknown, ridge, note };
}
