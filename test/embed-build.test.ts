// buildEmbeddings on planted data where audio features determine co-occurrence: the fallback
// paths and their counts, the quality of the feature → item2vec map for cold tracks, the
// hybrid's construction, the features kind, engine handling and errors.
import { describe, expect, it } from "vitest";
import { NFEAT, FEATURE_COLUMNS } from "../src/data/tf-parser.js";
import { TrackVocab } from "../src/data/vocab.js";
import { MemoryPlan } from "../src/engine/plan.js";
import { Engine } from "../src/engine/engine.js";
import { Rng } from "../src/rng.js";
import { buildEmbeddings, selectSessions, type EmbeddingInput } from "../src/embed/build.js";
import { applyFallback, PATH_FEATURES, PATH_ITEM2VEC, PATH_UNKNOWN } from "../src/embed/fallback.js";
import { featureEmbeddings, standardizeFeatures } from "../src/embed/features.js";
import { Item2Vec } from "../src/embed/item2vec.js";
import { vocabHash } from "../src/embed/hash.js";
import { releaseModule } from "./util/engine.js";

const C = 6, M = 30; // clusters, warm tracks per cluster
const COLD_FEAT = 4, COLD_NOFEAT = 2, NEVER = 1; // per cluster
const WARM = C * M;

/**
 * Tracks 0..WARM-1 are warm (cluster t % C); then per cluster COLD_FEAT tracks played once or
 * twice with features, COLD_NOFEAT played once without, NEVER never played but with features.
 * Features: a per-cluster centre plus small noise, so features say which tracks co-occur.
 */
function planted(seed: number): EmbeddingInput & { cluster: Int32Array; kind: Uint8Array } {
  const rng = new Rng(seed);
  const V = WARM + C * (COLD_FEAT + COLD_NOFEAT + NEVER);
  const cluster = new Int32Array(V), kind = new Uint8Array(V); // 0 warm, 1 cold+features, 2 cold no features, 3 never played
  for (let t = 0; t < WARM; t++) cluster[t] = t % C;
  let t = WARM;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < COLD_FEAT; i++, t++) { cluster[t] = c; kind[t] = 1; }
    for (let i = 0; i < COLD_NOFEAT; i++, t++) { cluster[t] = c; kind[t] = 2; }
    for (let i = 0; i < NEVER; i++, t++) { cluster[t] = c; kind[t] = 3; }
  }
  const centre = Array.from({ length: C }, () => Array.from({ length: NFEAT }, () => rng.normal()));
  const featureRow = new Int32Array(V).fill(-1);
  const rows: number[] = [];
  let F = 0;
  for (let v = 0; v < V; v++) {
    if (kind[v] === 2) continue;
    featureRow[v] = F++;
    for (let j = 0; j < NFEAT; j++) rows.push(centre[cluster[v]][j] + 0.3 * rng.normal());
    rows[rows.length - NFEAT + FEATURE_COLUMNS.indexOf("key")] = rng.int(12);
    rows[rows.length - NFEAT + FEATURE_COLUMNS.indexOf("mode")] = rng.int(2);
    rows[rows.length - NFEAT + FEATURE_COLUMNS.indexOf("time_signature")] = 4;
  }
  const members = Array.from({ length: C }, (_, c) => Array.from({ length: M }, (_, i) => i * C + c));
  const S = 2000, L = 10;
  const tracks: number[] = [], offsets = [0];
  for (let s = 0; s < S; s++) {
    const c = rng.int(C);
    for (let p = 0; p < L; p++) tracks.push(rng.float() < 0.9 ? members[c][rng.int(M)] : rng.int(WARM));
    offsets.push(tracks.length);
  }
  // cold tracks: 1–2 plays each (kind 1) or 1 (kind 2), replacing a position of a session of their cluster
  const sessionsOf = Array.from({ length: C }, () => [] as number[]);
  for (let s = 0; s < S; s++) sessionsOf[cluster[tracks[offsets[s]]]].push(s); // roughly: first track's cluster
  for (let v = WARM; v < V; v++) {
    const plays = kind[v] === 1 ? 1 + rng.int(2) : kind[v] === 2 ? 1 : 0;
    for (let k = 0; k < plays; k++) {
      const s = sessionsOf[cluster[v]][rng.int(sessionsOf[cluster[v]].length)];
      tracks[offsets[s] + 1 + rng.int(L - 1)] = v;
    }
  }
  const vocab = new TrackVocab();
  for (let v = 0; v < V; v++) vocab.intern(`t_${v}`);
  return {
    sessionOffsets: Int32Array.from(offsets), tracks: Int32Array.from(tracks), featureRow, features: Float32Array.from(rows), vocab, cluster, kind,
  };
}

function cosine(E: Float32Array, d: number, a: number, b: Float32Array | number): number {
  let ab = 0, aa = 0, bb = 0;
  for (let j = 0; j < d; j++) {
    const x = E[a * d + j], y = typeof b === "number" ? E[b * d + j] : b[j];
    ab += x * y; aa += x * x; bb += y * y;
  }
  return ab / Math.sqrt(aa * bb);
}

/** The k warm tracks most cosine-similar to row q (excluding q). */
function nearestWarm(E: Float32Array, d: number, q: number, k: number, warm: (t: number) => boolean, V: number): number[] {
  const cand: [number, number][] = [];
  for (let t = 0; t < V; t++) if (t !== q && warm(t)) cand.push([cosine(E, d, q, t), t]);
  return cand.sort((x, y) => y[0] - x[0] || x[1] - y[1]).slice(0, k).map((x) => x[1]);
}

const item2vec = { epochs: 5, minCount: 5, negatives: 5, batchPairs: 1024 };

describe("buildEmbeddings on planted data", { timeout: 60_000 }, () => {
  const data = planted(1);
  const V = data.featureRow.length;
  const wasm = releaseModule();

  it("item2vec kind: counts per path, cold tracks with features land in their cluster, cold ones without share the unknown vector", async () => {
    const r = await buildEmbeddings(data, { kind: "item2vec", d: 16, seed: 2, wasm, item2vec });
    expect(r.d).toBe(16);
    expect(r.V).toBe(V);
    expect(r.counts).toEqual({ item2vec: WARM, features: C * (COLD_FEAT + NEVER), unknown: C * COLD_NOFEAT });
    expect(r.vocabHash).toBe(vocabHash(data.vocab!));
    for (let t = 0; t < V; t++) {
      expect(r.path[t]).toBe(data.kind[t] === 0 ? PATH_ITEM2VEC : data.kind[t] === 2 ? PATH_UNKNOWN : PATH_FEATURES);
      expect(Math.abs(Math.hypot(...r.E.subarray(t * 16, t * 16 + 16)) - 1)).toBeLessThan(1e-5);
    }
    expect(r.report.ridge!.n).toBe(WARM);
    expect(r.report.item2vec!.excluded).toBe(V - WARM);
    const unknownRows = Array.from({ length: V }, (_, t) => t).filter((t) => data.kind[t] === 2);
    for (const t of unknownRows) expect(Array.from(r.E.subarray(t * 16, t * 16 + 16))).toEqual(Array.from(r.E.subarray(unknownRows[0] * 16, unknownRows[0] * 16 + 16)));
    let within = 0, total = 0;
    for (let t = 0; t < V; t++) {
      if (r.path[t] !== PATH_FEATURES) continue;
      for (const n of nearestWarm(r.E, 16, t, 10, (u) => u < WARM, V)) { total++; if (data.cluster[n] === data.cluster[t]) within++; }
    }
    console.log(`planted: cold tracks via features: ${(100 * within / total).toFixed(1)}% of their 10 nearest warm tracks in their own cluster; ridge R² ${r.report.ridge!.r2.toFixed(3)}`);
    expect(within / total).toBeGreaterThanOrEqual(0.9);
  });

  it("the feature map predicts held-out tracks' true item2vec vectors (cosine), far better than the unknown vector", async () => {
    const r = await buildEmbeddings(data, { kind: "item2vec", d: 16, seed: 2, wasm, item2vec, normalize: false });
    const st = standardizeFeatures(data);
    // hide every fifth warm track: its learned vector is the truth the map must recover
    const learned = new Uint8Array(V);
    for (let t = 0; t < WARM; t++) learned[t] = t % 5 === 0 ? 0 : 1;
    const E = r.E.slice();
    const fb = applyFallback(E, 16, learned, st);
    expect(fb.counts).toEqual({ item2vec: WARM - WARM / 5, features: WARM / 5 + C * (COLD_FEAT + NEVER), unknown: C * COLD_NOFEAT });
    let cosMap = 0, cosUnknown = 0, n = 0, rightCluster = 0, errMap = 0, errUnknown = 0;
    for (let t = 0; t < WARM; t += 5) {
      for (let j = 0; j < 16; j++) {
        errMap += (E[t * 16 + j] - r.E[t * 16 + j]) ** 2;
        errUnknown += (fb.unknown[j] - r.E[t * 16 + j]) ** 2;
      }
      cosMap += cosine(E, 16, t, r.E.subarray(t * 16, t * 16 + 16));
      cosUnknown += cosine(fb.unknown, 16, 0, r.E.subarray(t * 16, t * 16 + 16));
      n++;
      // the nearest learned track of the prediction is in the right cluster
      const nn = nearestWarm(E, 16, t, 1, (u) => learned[u] === 1, V)[0];
      if (data.cluster[nn] === data.cluster[t]) rightCluster++;
    }
    cosMap /= n; cosUnknown /= n;
    console.log(`planted: held-out warm tracks, cos(feature-mapped, true item2vec) ${cosMap.toFixed(3)} vs cos(unknown, true) ${cosUnknown.toFixed(3)}; `
      + `squared error of the map / of the unknown vector ${(errMap / errUnknown).toFixed(3)}; nearest learned track in own cluster ${rightCluster}/${n}`);
    // SGNS vectors share a common direction, so even the mean is at cos ≈ 0.7; the map removes most of what remains
    expect(cosMap).toBeGreaterThan(0.9);
    expect(cosMap).toBeGreaterThan(cosUnknown + 0.15);
    expect(errMap / errUnknown).toBeLessThan(0.25);
    expect(rightCluster / n).toBeGreaterThanOrEqual(0.95);
    // learned rows untouched
    for (let t = 0; t < WARM; t++) if (learned[t]) expect(Array.from(E.subarray(t * 16, t * 16 + 16))).toEqual(Array.from(r.E.subarray(t * 16, t * 16 + 16)));
  });

  it("hybrid = [√(1−w)·unit item2vec part, √w·unit feature part], [item2vec part, 0] without features", async () => {
    const w = 0.3, d = 20, dF = 6;
    const h = await buildEmbeddings(data, { kind: "hybrid", d, seed: 5, wasm, item2vec, hybrid: { featureDims: dF, featureWeight: w } });
    const cf = await buildEmbeddings(data, { kind: "item2vec", d: d - dF, seed: 5, wasm, item2vec });
    const fe = featureEmbeddings(data, { d: dF });
    expect(h.counts).toEqual(cf.counts);
    expect(h.method).toContain("hybrid");
    for (let t = 0; t < V; t++) {
      const row = h.E.subarray(t * d, t * d + d);
      const a = fe.has[t] ? Math.sqrt(1 - w) : 1;
      for (let j = 0; j < d - dF; j++) expect(Math.abs(row[j] - a * cf.E[t * (d - dF) + j])).toBeLessThan(1e-6);
      for (let j = 0; j < dF; j++) expect(Math.abs(row[d - dF + j] - (fe.has[t] ? Math.sqrt(w) * fe.E[t * dF + j] : 0))).toBeLessThan(1e-6);
      expect(Math.abs(Math.hypot(...row) - 1)).toBeLessThan(1e-5);
    }
    // dot product of two tracks with features = (1 − w)·cos_cf + w·cos_feat
    const s = 0, u = 6; // same cluster
    let dot = 0;
    for (let j = 0; j < d; j++) dot += h.E[s * d + j] * h.E[u * d + j];
    expect(Math.abs(dot - ((1 - w) * cosine(cf.E, d - dF, s, u) + w * cosine(fe.E, dF, s, u)))).toBeLessThan(1e-5);
  });

  it("features kind needs no engine; a given trainer gives the same bytes as a wasm source", async () => {
    const f = await buildEmbeddings(data, { kind: "features", d: 8 });
    const F = data.features.length / NFEAT;
    expect(f.counts).toEqual({ item2vec: 0, features: F, unknown: V - F });
    expect(f.method).toBe("features-pca");
    expect(f.report.features!.eigenvalues!.length).toBe(8);
    const plan = new MemoryPlan();
    const trainer = new Item2Vec(plan, V, { d: 16, negatives: 5, batchPairs: 1024 });
    await Engine.load(wasm, plan);
    const a = await buildEmbeddings(data, { kind: "item2vec", d: 16, seed: 9, trainer, item2vec });
    const b = await buildEmbeddings(data, { kind: "item2vec", d: 16, seed: 9, wasm, item2vec });
    expect(Buffer.from(a.E.buffer).equals(Buffer.from(b.E.buffer))).toBe(true);
    const c = await buildEmbeddings(data, { kind: "item2vec", d: 16, seed: 10, trainer, item2vec });
    expect(Buffer.from(a.E.buffer).equals(Buffer.from(c.E.buffer))).toBe(false);
    // training on a subset of sessions
    const half = Int32Array.from({ length: 1000 }, (_, i) => 2 * i);
    const sub = selectSessions(data, half);
    expect(sub.offsets.length).toBe(1001);
    expect(Array.from(sub.tracks.subarray(0, 20))).toEqual([...data.tracks.subarray(0, 10), ...data.tracks.subarray(20, 30)]);
    const e = await buildEmbeddings(data, { kind: "item2vec", d: 16, seed: 9, trainer, item2vec, trainSessions: half });
    expect(e.options.trainSessions).toBe(1000);
    expect(e.options.trainSessionsHash).not.toBe(a.options.trainSessionsHash);
  });

  it("rejects what it cannot do, naming the problem", async () => {
    await expect(buildEmbeddings(data, { kind: "item2vec" })).rejects.toThrow(/pass the wasm engine \(options.wasm\) or a loaded Item2Vec/);
    await expect(buildEmbeddings(data, { kind: "bogus" as "item2vec" })).rejects.toThrow(/kind must be one of item2vec, features, hybrid/);
    const noFeat = { ...data, featureRow: new Int32Array(V).fill(-1), features: new Float32Array(0) };
    await expect(buildEmbeddings(noFeat, { kind: "hybrid", wasm, item2vec })).rejects.toThrow(/"hybrid" needs audio features/);
    await expect(buildEmbeddings(noFeat, { kind: "features" })).rejects.toThrow(/no track has audio features/);
    // item2vec without features: every cold track takes the unknown vector
    const r = await buildEmbeddings(noFeat, { kind: "item2vec", d: 8, wasm, item2vec });
    expect(r.counts).toEqual({ item2vec: WARM, features: 0, unknown: V - WARM });
    expect(r.report.notes.join(" ")).toMatch(/no feature table/);
    await expect(buildEmbeddings(data, { kind: "hybrid", d: 8, wasm, hybrid: { featureDims: 8 } })).rejects.toThrow(/featureDims must be an integer in 1\.\.7/);
    await expect(buildEmbeddings(data, { kind: "item2vec", wasm, trainSessions: [0, 2000] })).rejects.toThrow(/trainSessions\[1\] = 2000/);
    const plan = new MemoryPlan();
    const small = new Item2Vec(plan, V, { d: 8 });
    await Engine.load(wasm, plan);
    await expect(buildEmbeddings(data, { kind: "item2vec", d: 16, trainer: small })).rejects.toThrow(/trainer is for V = \d+, d = 8; this call needs V = \d+, d = 16/);
  });
});
