// Audio-feature embeddings: derived columns, standardisation and PCA against plain f64
// references, the Jacobi eigen-decomposition, the random projection, the ridge map.
import { describe, expect, it } from "vitest";
import { FEATURE_COLUMNS, NFEAT } from "../src/data/tf-parser.js";
import { Rng } from "../src/rng.js";
import {
  DERIVED_FEATURE_COLUMNS, P_DERIVED, deriveFeatureRow, featureEmbeddings, fitPca, projectRow, randomProjection, standardizeFeatures,
} from "../src/embed/features.js";
import { choleskySolve, symmetricEigen } from "../src/embed/linalg.js";
import { fitRidgeMap, predictRidge } from "../src/embed/fallback.js";
import { expectClose } from "./util/close.js";

const col = (name: string) => FEATURE_COLUMNS.indexOf(name);
const dcol = (name: string) => DERIVED_FEATURE_COLUMNS.indexOf(name);

/** A raw feature table of F rows (f32) for V tracks, every other track without features. */
function randomTable(seed: number, V: number): { featureRow: Int32Array; features: Float32Array; F: number } {
  const rng = new Rng(seed);
  const featureRow = new Int32Array(V).fill(-1);
  let F = 0;
  for (let t = 0; t < V; t++) if (t % 2 === 0 || t % 7 === 0) featureRow[t] = F++;
  const features = new Float32Array(F * NFEAT);
  for (let r = 0; r < F; r++) {
    for (let j = 0; j < NFEAT; j++) features[r * NFEAT + j] = rng.normal() * (1 + j) + 10 * j;
    features[r * NFEAT + col("key")] = rng.int(12);
    features[r * NFEAT + col("mode")] = rng.int(2);
    features[r * NFEAT + col("time_signature")] = rng.float() < 0.8 ? 4 : 3;
    features[r * NFEAT + col("liveness")] = 0.25; // constant
  }
  features[3 * NFEAT + col("duration")] = 1e6; // one huge outlier, clipped
  return { featureRow, features, F };
}

/** Plain f64 reference: derived rows of tracks with features, mean, population std, z clipped. */
function standardizeRef(featureRow: Int32Array, features: Float32Array, clip: number) {
  const rows: number[][] = [];
  for (let t = 0; t < featureRow.length; t++) {
    const r = featureRow[t];
    if (r < 0) continue;
    const raw = Array.from(features.subarray(r * NFEAT, (r + 1) * NFEAT));
    const out: number[] = [];
    FEATURE_COLUMNS.forEach((c, j) => { if (c !== "key" && c !== "time_signature") out.push(raw[j]); });
    out.push(Math.cos((2 * Math.PI * raw[col("key")]) / 12), Math.sin((2 * Math.PI * raw[col("key")]) / 12), raw[col("time_signature")] === 4 ? 1 : 0);
    rows.push(out);
  }
  const P = rows[0].length, F = rows.length;
  const mean = Array.from({ length: P }, (_, j) => rows.reduce((s, r) => s + r[j], 0) / F);
  const std = Array.from({ length: P }, (_, j) => Math.sqrt(rows.reduce((s, r) => s + (r[j] - mean[j]) ** 2, 0) / F));
  const z = rows.map((r) => r.map((x, j) => (std[j] > 1e-9 * Math.max(1, Math.abs(mean[j])) ? Math.max(-clip, Math.min(clip, (x - mean[j]) / std[j])) : 0)));
  return { mean, std, z };
}

describe("derived feature columns", () => {
  it("keeps the numeric columns, mode as 0/1, key on the circle, time signature as is-4", () => {
    expect(P_DERIVED).toBe(30);
    expect(DERIVED_FEATURE_COLUMNS).not.toContain("key");
    expect(DERIVED_FEATURE_COLUMNS).not.toContain("time_signature");
    const raw = new Float32Array(NFEAT).map((_, j) => j + 0.5);
    raw[col("key")] = 11;
    raw[col("mode")] = 1;
    raw[col("time_signature")] = 4;
    const out = new Float64Array(P_DERIVED);
    deriveFeatureRow(raw, 0, out, 0);
    expect(out[dcol("duration")]).toBe(raw[col("duration")]);
    expect(out[dcol("acoustic_vector_7")]).toBe(raw[col("acoustic_vector_7")]);
    expect(out[dcol("mode")]).toBe(1);
    expect(out[dcol("ts_is_4")]).toBe(1);
    // key 11 (B) and key 0 (C) are neighbours on the circle: distance 2 sin(π/12), as for 0 and 1
    const k0 = new Float64Array(P_DERIVED), k1 = new Float64Array(P_DERIVED);
    raw[col("key")] = 0; deriveFeatureRow(raw, 0, k0, 0);
    raw[col("key")] = 1; deriveFeatureRow(raw, 0, k1, 0);
    const dist = (a: Float64Array, b: Float64Array) => Math.hypot(a[dcol("key_cos")] - b[dcol("key_cos")], a[dcol("key_sin")] - b[dcol("key_sin")]);
    expect(dist(out, k0)).toBeCloseTo(2 * Math.sin(Math.PI / 12), 12);
    expect(dist(k1, k0)).toBeCloseTo(2 * Math.sin(Math.PI / 12), 12);
    raw[col("time_signature")] = 3;
    deriveFeatureRow(raw, 0, out, 0);
    expect(out[dcol("ts_is_4")]).toBe(0);
  });
});

describe("standardisation", () => {
  it("matches the f64 reference: mean/std over tracks with features, constant column 0, outliers clipped", () => {
    const V = 101;
    const { featureRow, features, F } = randomTable(5, V);
    const st = standardizeFeatures({ featureRow, features }, 5);
    const ref = standardizeRef(featureRow, features, 5);
    expect(st.tracks.length).toBe(F);
    expect(Array.from(st.tracks)).toEqual(Array.from({ length: V }, (_, t) => t).filter((t) => featureRow[t] >= 0));
    expectClose(st.mean, ref.mean, { atol: 1e-9, rtol: 1e-12 }, "mean");
    expectClose(st.std, ref.std, { atol: 1e-9, rtol: 1e-12 }, "std");
    expectClose(st.Z, ref.z.flat(), { atol: 1e-12, rtol: 1e-12 }, "z");
    expect(st.constant).toEqual(["liveness"]);
    const live = dcol("liveness");
    for (let i = 0; i < F; i++) expect(st.Z[i * P_DERIVED + live]).toBe(0);
    // the 1e6 duration (row 3 = track 6) is clipped at +5
    const dur = dcol("duration");
    expect(st.Z[3 * P_DERIVED + dur]).toBe(5);
    // unclipped columns have mean 0, variance 1
    const dance = dcol("danceability");
    let m = 0, v = 0;
    for (let i = 0; i < F; i++) m += st.Z[i * P_DERIVED + dance];
    for (let i = 0; i < F; i++) v += st.Z[i * P_DERIVED + dance] ** 2;
    expect(Math.abs(m / F)).toBeLessThan(1e-12);
    expect(v / F).toBeCloseTo(1, 10);
  });

  it("rejects non-finite values and bad feature rows, naming the track and column", () => {
    const { featureRow, features } = randomTable(6, 10);
    const bad = features.slice();
    bad[1 * NFEAT + col("tempo")] = NaN;
    expect(() => standardizeFeatures({ featureRow, features: bad })).toThrow(/track 2 \(row 1\): tempo is NaN/);
    const rows = featureRow.slice();
    rows[1] = 999;
    expect(() => standardizeFeatures({ featureRow: rows, features })).toThrow(/featureRow\[1\] = 999/);
    expect(() => featureEmbeddings({ featureRow: new Int32Array(4).fill(-1), features: new Float32Array(0) })).toThrow(/no track has audio features/);
  });
});

describe("Jacobi eigen-decomposition", () => {
  it("gives A v = λ v, orthonormal vectors, descending values, for random and repeated-eigenvalue matrices", () => {
    const rng = new Rng(1);
    for (const n of [1, 3, 5, 17, 30]) {
      for (const repeated of [false, true]) {
        // A = Q diag(λ) Qᵀ with Q from Gram–Schmidt of a random matrix
        const Q = orthonormal(rng, n);
        const lam = Array.from({ length: n }, (_, i) => (repeated && i < n / 2 ? 2 : rng.normal() * 3));
        const A = new Float64Array(n * n);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
          let s = 0;
          for (let k = 0; k < n; k++) s += Q[i * n + k] * lam[k] * Q[j * n + k];
          A[i * n + j] = s;
        }
        const { values, vectors } = symmetricEigen(A, n);
        expectClose(values, [...lam].sort((a, b) => b - a), { atol: 1e-11, rtol: 1e-11 }, `eigenvalues n=${n}`);
        for (let j = 0; j < n; j++) {
          for (let i = 0; i < n; i++) {
            let av = 0;
            for (let k = 0; k < n; k++) av += A[i * n + k] * vectors[k * n + j];
            expect(Math.abs(av - values[j] * vectors[i * n + j])).toBeLessThan(1e-10);
          }
          for (let k = 0; k < n; k++) {
            let dot = 0;
            for (let i = 0; i < n; i++) dot += vectors[i * n + j] * vectors[i * n + k];
            expect(Math.abs(dot - (j === k ? 1 : 0))).toBeLessThan(1e-12);
          }
        }
      }
    }
  });

  it("Cholesky solve matches A X = B", () => {
    const rng = new Rng(2);
    const n = 7, m = 3;
    const M = Float64Array.from({ length: n * n }, () => rng.normal());
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = i === j ? 0.5 : 0;
      for (let k = 0; k < n; k++) s += M[i * n + k] * M[j * n + k];
      A[i * n + j] = s;
    }
    const B = Float64Array.from({ length: n * m }, () => rng.normal());
    const X = choleskySolve(A, n, B, m);
    for (let i = 0; i < n; i++) for (let c = 0; c < m; c++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += A[i * n + k] * X[k * m + c];
      expect(Math.abs(s - B[i * m + c])).toBeLessThan(1e-10);
    }
    expect(() => choleskySolve(new Float64Array([1, 2, 2, 1]), 2, new Float64Array(2), 1)).toThrow(/not positive definite/);
  });
});

function orthonormal(rng: Rng, n: number): Float64Array {
  const Q = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) Q[i * n + j] = rng.normal();
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += Q[i * n + j] * Q[i * n + k];
      for (let i = 0; i < n; i++) Q[i * n + j] -= dot * Q[i * n + k];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += Q[i * n + j] ** 2;
    for (let i = 0; i < n; i++) Q[i * n + j] /= Math.sqrt(norm);
  }
  return Q;
}

describe("PCA", () => {
  // Planted data: rank-3 signal with variances 9, 4, 1 along random orthonormal directions, plus
  // isotropic noise of variance 1e-6, in P = 30 dimensions.
  const rng = new Rng(3);
  const P = 30, F = 400, R = 3;
  const Q = orthonormal(rng, P);
  const sd = [3, 2, 1];
  const Z = new Float64Array(F * P);
  for (let i = 0; i < F; i++) {
    const c = sd.map((s) => s * rng.normal());
    for (let a = 0; a < P; a++) {
      let x = 1e-3 * rng.normal();
      for (let r = 0; r < R; r++) x += c[r] * Q[a * P + r];
      Z[i * P + a] = x;
    }
  }

  it("covariance eigenvalues match an f64 reference; components orthonormal; projected variances descend and equal the eigenvalues", () => {
    const d = 5;
    const pca = fitPca(Z, F, P, d);
    // reference covariance, eigenvalues via the trace identities on the reference matrix
    const mean = Array.from({ length: P }, (_, a) => { let s = 0; for (let i = 0; i < F; i++) s += Z[i * P + a]; return s / F; });
    const C = new Float64Array(P * P);
    for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) {
      let s = 0;
      for (let i = 0; i < F; i++) s += (Z[i * P + a] - mean[a]) * (Z[i * P + b] - mean[b]);
      C[a * P + b] = s / F;
    }
    let trace = 0;
    for (let a = 0; a < P; a++) trace += C[a * P + a];
    const sum = pca.eigenvalues!.reduce((s, x) => s + x, 0);
    expect(Math.abs(sum - trace)).toBeLessThan(1e-9 * trace);
    expectClose(pca.center, mean, { atol: 1e-12, rtol: 1e-12 }, "center");
    // each component w_j satisfies C w_j = λ_j w_j against the reference covariance
    for (let j = 0; j < d; j++) {
      for (let a = 0; a < P; a++) {
        let cw = 0;
        for (let b = 0; b < P; b++) cw += C[a * P + b] * pca.W[b * d + j];
        expect(Math.abs(cw - pca.eigenvalues![j] * pca.W[a * d + j])).toBeLessThan(1e-9);
      }
    }
    // planted variances ≈ 9, 4, 1 (sample noise of a 400-row estimate), the rest ≈ noise 1e-6
    expect(pca.eigenvalues![0]).toBeGreaterThan(pca.eigenvalues![1]);
    expect(pca.eigenvalues![1]).toBeGreaterThan(pca.eigenvalues![2]);
    expect(pca.eigenvalues![2]).toBeGreaterThan(0.5);
    expect(pca.eigenvalues![3]).toBeLessThan(1e-5);
    expect(pca.explained!).toBeGreaterThan(0.99999); // 25 noise directions of variance 1e-6 out of ≈ 14 are left out
    for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) {
      let dot = 0;
      for (let a = 0; a < P; a++) dot += pca.W[a * d + j] * pca.W[a * d + k];
      expect(Math.abs(dot - (j === k ? 1 : 0))).toBeLessThan(1e-12);
    }
    const Y = new Float64Array(F * d);
    for (let i = 0; i < F; i++) projectRow(pca, Z, i, Y, i * d);
    const variances = Array.from({ length: d }, (_, j) => { let s = 0; for (let i = 0; i < F; i++) s += Y[i * d + j] ** 2; return s / F; });
    for (let j = 0; j + 1 < d; j++) expect(variances[j]).toBeGreaterThanOrEqual(variances[j + 1]);
    expectClose(variances, Array.from(pca.eigenvalues!.subarray(0, d)), { atol: 1e-12, rtol: 1e-9 }, "projected variances");
  });

  it("reconstructs planted rank-3 data from 3 components (error at the noise level), not from 2", () => {
    for (const d of [3, 2]) {
      const pca = fitPca(Z, F, P, d);
      const y = new Float64Array(d);
      let err = 0, total = 0;
      for (let i = 0; i < F; i++) {
        projectRow(pca, Z, i, y, 0);
        for (let a = 0; a < P; a++) {
          let x = pca.center[a];
          for (let j = 0; j < d; j++) x += y[j] * pca.W[a * d + j];
          err += (x - Z[i * P + a]) ** 2;
          total += (Z[i * P + a] - pca.center[a]) ** 2;
        }
      }
      if (d === 3) expect(err / total).toBeLessThan(1e-5);
      else expect(err / total).toBeGreaterThan(0.05); // the variance-1 direction is lost
    }
  });

  it("pads with zero components when d > P; is deterministic", () => {
    const pca = fitPca(Z, F, P, 33);
    for (let a = 0; a < P; a++) for (let j = P; j < 33; j++) expect(pca.W[a * 33 + j]).toBe(0);
    expect(Array.from(fitPca(Z, F, P, 4).W)).toEqual(Array.from(fitPca(Z, F, P, 4).W));
  });
});

describe("feature embeddings", () => {
  it("PCA rows of tracks with features are unit (normalize), tracks without are 0, counts add up", () => {
    const V = 60;
    const { featureRow, features, F } = randomTable(7, V);
    const fe = featureEmbeddings({ featureRow, features }, { d: 8 });
    expect(fe.d).toBe(8);
    expect(fe.counts).toEqual({ features: F, unknown: V - F });
    for (let t = 0; t < V; t++) {
      const n = Math.hypot(...fe.E.subarray(t * 8, t * 8 + 8));
      if (featureRow[t] >= 0) expect(Math.abs(n - 1)).toBeLessThan(1e-6);
      else expect(n).toBe(0);
    }
    // without normalisation the rows are the PCA scores of the standardised rows
    const raw = featureEmbeddings({ featureRow, features }, { d: 8, normalize: false });
    const y = new Float64Array(8);
    for (let i = 0; i < F; i++) {
      projectRow(raw.projection, raw.standardized.Z, i, y, 0);
      const t = raw.standardized.tracks[i];
      expectClose(raw.E.subarray(t * 8, t * 8 + 8), y, { atol: 1e-6, rtol: 1e-6 }, `track ${t}`);
    }
    expect(featureEmbeddings({ featureRow, features }, { projection: "none" }).d).toBe(P_DERIVED);
  });

  it("random projection: seeded (same seed same bytes, other seed different), distances kept on average", () => {
    const V = 200;
    const { featureRow, features } = randomTable(8, V);
    const a = featureEmbeddings({ featureRow, features }, { d: 64, projection: "random", seed: 1, normalize: false });
    const b = featureEmbeddings({ featureRow, features }, { d: 64, projection: "random", seed: 1, normalize: false });
    const c = featureEmbeddings({ featureRow, features }, { d: 64, projection: "random", seed: 2, normalize: false });
    expect(Buffer.from(a.E.buffer).equals(Buffer.from(b.E.buffer))).toBe(true);
    expect(Buffer.from(a.E.buffer).equals(Buffer.from(c.E.buffer))).toBe(false);
    // E‖Rᵀx‖² = ‖x‖² for entries N(0, 1/d): the ratio over many pairs averages ≈ 1
    const st = a.standardized, P = st.P, d = 64;
    let ratio = 0, pairs = 0;
    for (let i = 0; i + 1 < st.tracks.length; i += 2) {
      let dz = 0, dy = 0;
      for (let k = 0; k < P; k++) dz += (st.Z[i * P + k] - st.Z[(i + 1) * P + k]) ** 2;
      const s = st.tracks[i], t = st.tracks[i + 1];
      for (let k = 0; k < d; k++) dy += (a.E[s * d + k] - a.E[t * d + k]) ** 2;
      ratio += dy / dz;
      pairs++;
    }
    expect(Math.abs(ratio / pairs - 1)).toBeLessThan(0.1);
    expect(randomProjection(st.Z, st.tracks.length, P, 4, 9).W.length).toBe(P * 4);
  });
});

describe("ridge map", () => {
  it("recovers an exact linear map with a tiny penalty; shrinks to the mean with a huge one; R² reported", () => {
    const rng = new Rng(4);
    const n = 200, P = 6, d = 3;
    const Wt = Float64Array.from({ length: P * d }, () => rng.normal());
    const bias = [1, -2, 0.5];
    const X = Float64Array.from({ length: n * P }, () => rng.normal());
    const Y = new Float64Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) {
      let s = bias[j];
      for (let a = 0; a < P; a++) s += X[i * P + a] * Wt[a * d + j];
      Y[i * d + j] = s;
    }
    const m = fitRidgeMap(X, Y, n, P, d, 1e-12);
    expectClose(m.W, Wt, { atol: 1e-8, rtol: 1e-8 }, "W");
    expect(m.r2).toBeGreaterThan(1 - 1e-12);
    const out = new Float64Array(d);
    predictRidge(m, new Float64Array(P), 0, out, 0);
    for (let j = 0; j < d; j++) expect(Math.abs(out[j] - bias[j])).toBeLessThan(1e-8); // the intercept
    const big = fitRidgeMap(X, Y, n, P, d, 1e9);
    for (const w of big.W) expect(Math.abs(w)).toBeLessThan(1e-6);
    expect(big.r2).toBeLessThan(1e-3);
  });
});
