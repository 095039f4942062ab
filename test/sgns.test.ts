import { describe, it, expect } from "vitest";
import { MemoryPlan } from "../src/engine/plan.js";
import { Rng } from "../src/rng.js";
import { Item2Vec, UnigramSampler, trainItem2Vec, type Sessions } from "../src/embed/item2vec.js";
import { loadEngine, releaseModule } from "./util/engine.js";
import { SIZES, expectClose, widen } from "./util/close.js";
import { sgnsPairGradRef, sgnsPairLossRef, sgnsStepRef } from "./reference/sgns.js";
import { clusteredSessions, topNeighbours } from "./util/sessions.js";

describe("sgns_step_f32 against the f64 reference", { timeout: 30_000 }, async () => {
  const plan = new MemoryPlan();
  const V = 9, maxD = 300, maxP = 24, maxK = 6;
  const Vin = plan.f32("Vin", "data", V * maxD);
  const Uout = plan.f32("Uout", "data", V * maxD);
  const cen = plan.i32("centers", "io", maxP);
  const ctx = plan.i32("contexts", "io", maxP);
  const neg = plan.i32("negs", "io", maxP * maxK);
  const ws = plan.region("ws", "scratch", (x) => x.sgns_workspace_bytes(maxD));
  const engine = await loadEngine(plan);
  const x = engine.x;
  const rng = new Rng(11);

  /** Random parameters (f32-representable) with logits of order `scale`, copied into wasm and returned as f64. */
  function setParams(D: number, scale: number): { v: Float64Array; u: Float64Array } {
    const v = new Float64Array(V * D), u = new Float64Array(V * D);
    const a = scale / Math.sqrt(D);
    for (let i = 0; i < V * D; i++) {
      v[i] = Math.fround(rng.normal() * Math.sqrt(a));
      u[i] = Math.fround(rng.normal() * Math.sqrt(a));
    }
    Vin.f32().set(v);
    Uout.f32().set(u);
    return { v, u };
  }

  /** A batch over only `vocab` tracks so that centers, contexts and negatives repeat, with some negatives forced equal to the context. */
  function setBatch(P: number, K: number, vocab: number): { c: Int32Array; o: Int32Array; n: Int32Array } {
    const c = new Int32Array(P), o = new Int32Array(P), n = new Int32Array(P * K);
    for (let p = 0; p < P; p++) {
      c[p] = rng.int(vocab);
      o[p] = rng.int(vocab);
      for (let k = 0; k < K; k++) n[p * K + k] = rng.int(4) === 0 ? o[p] : rng.int(vocab);
    }
    cen.i32().set(c);
    ctx.i32().set(o);
    neg.i32().set(n);
    return { c, o, n };
  }

  const step = (P: number, K: number, D: number, lr: number) => x.sgns_step_f32(P, cen.ptr, ctx.ptr, neg.ptr, K, Vin.ptr, Uout.ptr, D, lr, ws.ptr);

  it("matches the sequential word2vec-order reference for every D in the sweep and 300, with repeated tracks in the batch", () => {
    const bytes = engine.byteLength;
    for (const D of [...SIZES, 300]) for (const [P, K] of [[1, 1], [7, 3], [24, 5], [5, 0]] as const) {
      const { v, u } = setParams(D, 2);
      const { c, o, n } = setBatch(P, K, 5); // 5 of the 9 tracks: rows 5..8 must stay untouched
      const lr = 0.2;
      const loss = step(P, K, D, lr);
      const lossRef = sgnsStepRef(P, c, o, n, K, v, u, D, lr);
      // f32 rounding in dots of length D, compounded over up to 24 sequential steps on 5 rows
      const tol = widen({ atol: 2e-6, rtol: 2e-5 }, D * P);
      expectClose([loss], [lossRef], tol, `loss D=${D} P=${P} K=${K}`);
      expectClose(Vin.f32().subarray(0, V * D), v, tol, `v D=${D} P=${P} K=${K}`);
      expectClose(Uout.f32().subarray(0, V * D), u, tol, `u D=${D} P=${P} K=${K}`);
      for (let i = 5 * D; i < V * D; i++) {
        expect(Vin.f32()[i]).toBe(v[i]);
        expect(Uout.f32()[i]).toBe(u[i]);
      }
    }
    expect(engine.byteLength).toBe(bytes);
  });

  it("is sequential per pair: a simultaneous (summed-gradient) batch update differs, the sequential reference does not", () => {
    const D = 17, P = 6, K = 2, lr = 0.5;
    const { v, u } = setParams(D, 2);
    const v0 = Float64Array.from(v), u0 = Float64Array.from(u);
    // Every pair has the same center, context and negatives.
    const c = new Int32Array(P).fill(1), o = new Int32Array(P).fill(2), n = new Int32Array(P * K).fill(3);
    cen.i32().set(c); ctx.i32().set(o); neg.i32().set(n);
    step(P, K, D, lr);
    sgnsStepRef(P, c, o, n, K, v, u, D, lr);
    const tol = widen({ atol: 2e-6, rtol: 2e-5 }, D * P);
    expectClose(Vin.f32().subarray(0, V * D), v, tol, "v");
    expectClose(Uout.f32().subarray(0, V * D), u, tol, "u");
    // The simultaneous alternative: θ − lr·Σ_p ∇ℓ_p(θ0).
    const vs = Float64Array.from(v0);
    for (let p = 0; p < P; p++) {
      const g = sgnsPairGradRef(1, 2, n.subarray(p * K, p * K + K), v0, u0, D, V);
      for (let j = 0; j < D; j++) vs[D + j] -= lr * g.dvc[j];
    }
    let diff = 0;
    for (let j = 0; j < D; j++) diff = Math.max(diff, Math.abs(vs[D + j] - Vin.f32()[D + j]));
    expect(diff).toBeGreaterThan(1e-3);
  });

  it("skips negatives equal to the context (word2vec) and returns 0 for an empty batch", () => {
    const D = 5, K = 4, lr = 0.1;
    const { v, u } = setParams(D, 1);
    cen.i32().set([0]); ctx.i32().set([3]); neg.i32().set([3, 3, 3, 3]);
    let xo = 0;
    for (let j = 0; j < D; j++) xo += v[j] * u[3 * D + j];
    const loss = step(1, K, D, lr);
    // only the positive term: −log σ(x_o)
    expect(loss).toBeCloseTo(Math.log1p(Math.exp(-xo)), 5);
    const sig = 1 / (1 + Math.exp(-xo));
    for (let j = 0; j < D; j++) expect(Uout.f32()[3 * D + j]).toBeCloseTo(u[3 * D + j] + lr * (1 - sig) * v[j], 6);
    const before = Vin.f32().slice();
    expect(step(0, K, D, lr)).toBe(0);
    expect(Vin.f32()).toEqual(before);
  });

  it("stays exact for large logits (no clamping: the loss keeps growing past |x| = 6)", () => {
    const D = 8, lr = 1e-3;
    for (const target of [-40, -8, 8, 40]) {
      const v = new Float64Array(V * D), u = new Float64Array(V * D);
      for (let j = 0; j < D; j++) { v[j] = 1; u[D + j] = target / D; u[2 * D + j] = -target / D; }
      Vin.f32().set(v); Uout.f32().set(u);
      cen.i32().set([0]); ctx.i32().set([1]); neg.i32().set([2]);
      const loss = step(1, 1, D, lr);
      const lossRef = sgnsStepRef(1, [0], [1], [2], 1, v, u, D, lr);
      expectClose([loss], [lossRef], { atol: 1e-6, rtol: 1e-5 }, `loss at x=${target}`);
      expectClose(Vin.f32().subarray(0, V * D), v, { atol: 1e-7, rtol: 1e-5 }, `v at x=${target}`);
      expectClose(Uout.f32().subarray(0, V * D), u, { atol: 1e-7, rtol: 1e-5 }, `u at x=${target}`);
    }
  });

  it("reference gradient: f64 central differences of the pair loss w.r.t. v_c and the u rows (repeated negative included)", () => {
    const D = 7, Vr = 6;
    const v = new Float64Array(Vr * D), u = new Float64Array(Vr * D);
    for (let i = 0; i < v.length; i++) { v[i] = rng.normal() * 0.7; u[i] = rng.normal() * 0.7; }
    const c = 1, o = 2, negs = [3, 4, 3, 2, 1]; // 3 repeated, 2 = o (skipped), 1 = c (a u row, not v_c)
    const { dvc, dU } = sgnsPairGradRef(c, o, negs, v, u, D, Vr);
    const h = 1e-6;
    const fdv = new Float64Array(D);
    for (let j = 0; j < D; j++) {
      const s = v[c * D + j];
      v[c * D + j] = s + h; const lp = sgnsPairLossRef(c, o, negs, v, u, D);
      v[c * D + j] = s - h; const lm = sgnsPairLossRef(c, o, negs, v, u, D);
      v[c * D + j] = s;
      fdv[j] = (lp - lm) / (2 * h);
    }
    expectClose(dvc, fdv, { atol: 1e-8, rtol: 1e-6 }, "dv_c");
    const fdu = new Float64Array(Vr * D);
    for (let i = 0; i < Vr * D; i++) {
      const s = u[i];
      u[i] = s + h; const lp = sgnsPairLossRef(c, o, negs, v, u, D);
      u[i] = s - h; const lm = sgnsPairLossRef(c, o, negs, v, u, D);
      u[i] = s;
      fdu[i] = (lp - lm) / (2 * h);
    }
    expectClose(dU, fdu, { atol: 1e-8, rtol: 1e-6 }, "dU");
    expect(dU.subarray(3 * D, 4 * D).some((g) => g !== 0)).toBe(true);
  });

  it("wasm gradients: for one pair with distinct targets the step is θ − lr·∇ℓ, matching the reference gradient for every D", () => {
    const lr = 1e-2;
    for (const D of SIZES) {
      const { v, u } = setParams(D, 2);
      cen.i32().set([4]); ctx.i32().set([0]); neg.i32().set([1, 4, 6]);
      const g = sgnsPairGradRef(4, 0, [1, 4, 6], v, u, D, V);
      step(1, 3, D, lr);
      const dvc = new Float64Array(D), dU = new Float64Array(V * D);
      for (let j = 0; j < D; j++) dvc[j] = (Vin.f32()[4 * D + j] - v[4 * D + j]) / -lr;
      for (let i = 0; i < V * D; i++) dU[i] = (Uout.f32()[i] - u[i]) / -lr;
      // the difference of f32 values near |θ| ~ 1 loses ~1e-7/lr absolute
      const tol = widen({ atol: 2e-5, rtol: 1e-4 }, D);
      expectClose(dvc, g.dvc, tol, `dv_c D=${D}`);
      expectClose(dU, g.dU, tol, `dU D=${D}`);
    }
  });
});

describe("unigram^0.75 negative sampler", () => {
  it("draws each track with frequency ∝ count^0.75 (within 5σ), never a zero-count track, deterministically", () => {
    const counts = Array.from({ length: 40 }, (_, i) => (i % 7 === 3 ? 0 : Math.floor(1000 / (i + 1)) + 1));
    const s = new UnigramSampler(counts);
    const N = 400_000, rng = new Rng(5);
    const hits = new Float64Array(counts.length);
    for (let i = 0; i < N; i++) hits[s.draw(rng)]++;
    const w = counts.map((c) => Math.pow(c, 0.75));
    const W = w.reduce((a, b) => a + b, 0);
    for (let i = 0; i < counts.length; i++) {
      const p = w[i] / W;
      if (p === 0) expect(hits[i]).toBe(0);
      else expect(Math.abs(hits[i] / N - p)).toBeLessThanOrEqual(5 * Math.sqrt((p * (1 - p)) / N));
    }
    const a = new Rng(9), b = new Rng(9);
    for (let i = 0; i < 100; i++) expect(s.draw(a)).toBe(s.draw(b));
  });
});

/**
 * Planted structure: C disjoint clusters of M tracks; a session picks one cluster and plays
 * 10–20 tracks from it (Zipf popularity inside the cluster), each replaced with probability
 * `noise` by a uniformly random track. Plus `rare` tracks played once each (below minCount).
 */
// generous per-test timeout: the machine running CI may be shared; the whole file takes a few seconds
describe("item2vec trainer", { timeout: 30_000 }, async () => {
  const C = 8, M = 40, rare = 12;
  const train = clusteredSessions(1, 3000, C, M, 0.1, rare);
  const test = clusteredSessions(2, 500, C, M, 0.1);
  const V = train.V;
  const plan = new MemoryPlan();
  const model = new Item2Vec(plan, V, { d: 32, negatives: 5, batchPairs: 1024 });
  const engine = await loadEngine(plan);

  it("decreases the loss every epoch, reports pairs/s, and excludes tracks below minCount", () => {
    // lr0 = 0.005 so that six epochs are still far from the data's noise floor (at the default
    // 0.025 this easy planted set converges in two epochs and then only fluctuates: next test)
    const reports: { loss: number; pairs: number; pairsPerSecond: number }[] = [];
    const bytes = engine.byteLength;
    const r = model.train(train.sessions, { epochs: 6, seed: 3, minCount: 5, lr0: 0.005, onEpoch: (e) => reports.push(e) });
    expect(engine.byteLength).toBe(bytes);
    expect(reports.length).toBe(6);
    for (let e = 1; e < 6; e++) expect(reports[e].loss).toBeLessThan(reports[e - 1].loss);
    expect(reports[5].loss).toBeLessThan(0.85 * reports[0].loss);
    for (const e of reports) {
      expect(e.pairs).toBeGreaterThan(50_000);
      expect(e.pairsPerSecond).toBeGreaterThan(0);
    }
    expect(r.losses).toEqual(reports.map((e) => e.loss));
    // the rare tracks (one play each) and nothing else
    expect(Array.from(r.excluded)).toEqual(Array.from({ length: rare }, (_, i) => C * M + i));
    const v = model.embeddings(), u = model.outputVectors();
    for (const t of r.excluded) {
      expect(v.subarray(t * 32, t * 32 + 32).every((x) => x === 0)).toBe(true);
      expect(u.subarray(t * 32, t * 32 + 32).every((x) => x === 0)).toBe(true);
    }
    expect(v.every(Number.isFinite)).toBe(true);
  });

  it("recovers the planted clusters and beats most-popular on next-track hit rate@10", () => {
    const r = model.train(train.sessions, { epochs: 5, seed: 4 });
    const first = r.losses[0], last = r.losses[4];
    expect(last).toBeLessThan(0.8 * first);
    expect(last).toBeLessThanOrEqual(1.01 * Math.min(...r.losses));
    const E = model.embeddings();
    const valid = new Uint8Array(V).fill(1);
    for (const t of r.excluded) valid[t] = 0;
    let within = 0, total = 0;
    const nn: number[][] = [];
    for (let t = 0; t < V; t++) {
      nn.push(valid[t] ? topNeighbours(E, 32, V, t, 10, valid) : []);
      if (!valid[t]) continue;
      for (const i of nn[t]) { total++; if (train.cluster[i] === train.cluster[t]) within++; }
    }
    const purity = within / total;
    expect(purity).toBeGreaterThanOrEqual(0.9);

    const popular = Array.from({ length: V }, (_, i) => i).sort((a, b) => r.counts[b] - r.counts[a] || a - b).slice(0, 10);
    let hitKnn = 0, hitPop = 0, n = 0;
    const { offsets, tracks } = test.sessions;
    for (let s = 0; s + 1 < offsets.length; s++) {
      for (let j = offsets[s]; j + 1 < offsets[s + 1]; j++) {
        const last = tracks[j], next = tracks[j + 1];
        n++;
        if (nn[last].includes(next)) hitKnn++;
        if (popular.includes(next)) hitPop++;
      }
    }
    console.log(`planted clusters: neighbour purity ${(100 * purity).toFixed(1)}%, hit@10 item2vec-kNN ${(hitKnn / n).toFixed(3)} vs most-popular ${(hitPop / n).toFixed(3)} over ${n} transitions`);
    expect(hitKnn / n).toBeGreaterThan(1.5 * (hitPop / n));
  });

  it("is deterministic: the same seed gives identical bytes, another seed different ones", async () => {
    const small = clusteredSessions(7, 300, 4, 20, 0.1);
    const opts = { epochs: 2, d: 17, negatives: 3, seed: 21 };
    const a = await trainItem2Vec(releaseModule(), small.sessions, small.V, opts);
    const b = await trainItem2Vec(releaseModule(), small.sessions, small.V, opts);
    const c = await trainItem2Vec(releaseModule(), small.sessions, small.V, { ...opts, seed: 22 });
    expect(a.embeddings.length).toBe(small.V * 17);
    expect(new Uint8Array(a.embeddings.buffer)).toEqual(new Uint8Array(b.embeddings.buffer));
    expect(a.losses).toEqual(b.losses);
    let differ = 0;
    for (let i = 0; i < a.embeddings.length; i++) if (a.embeddings[i] !== c.embeddings[i]) differ++;
    expect(differ).toBeGreaterThan(a.embeddings.length / 2);
  });

  it("emits exactly the word2vec window pairs (fixed window, no subsampling), after the minCount cut", () => {
    for (const [w, minCount] of [[1, 1], [3, 5], [5, 150]] as const) {
      const { offsets, tracks } = train.sessions;
      const r = model.train(train.sessions, { epochs: 1, window: w, shrinkWindow: false, subsample: 0, minCount });
      let expected = 0;
      for (let s = 0; s + 1 < offsets.length; s++) {
        let L = 0;
        for (let j = offsets[s]; j < offsets[s + 1]; j++) if (r.counts[tracks[j]] >= minCount) L++;
        for (let i = 0; i < L; i++) expected += Math.min(L - 1, i + w) - Math.max(0, i - w);
      }
      expect(r.pairs).toBe(expected);
      expect(r.excluded.length).toBe(r.counts.filter((c) => c < minCount).length);
      if (minCount === 150) expect(r.excluded.length).toBeGreaterThan(rare + 20); // cuts into the clusters too
    }
    // the shrinking window and subsampling each emit fewer pairs
    const full = model.train(train.sessions, { epochs: 1, shrinkWindow: false, subsample: 0, minCount: 1 }).pairs;
    expect(model.train(train.sessions, { epochs: 1, shrinkWindow: true, subsample: 0, minCount: 1 }).pairs).toBeLessThan(0.8 * full);
    expect(model.train(train.sessions, { epochs: 1, shrinkWindow: false, subsample: 1e-3, minCount: 1 }).pairs).toBeLessThan(full);
  });

  it("rejects bad sessions and options with a message naming the field", () => {
    const ok = { offsets: Int32Array.from([0, 2, 3]), tracks: Int32Array.from([0, 1, 2]) };
    expect(() => model.train({ offsets: Int32Array.from([0, 2, 3]), tracks: Int32Array.from([0, V, 2]) })).toThrow(/sessions\.tracks\[1\]/);
    expect(() => model.train({ offsets: Int32Array.from([0, 3, 2]), tracks: Int32Array.from([0, 1, 2]) })).toThrow(/sessions\.offsets\[2\]/);
    expect(() => model.train({ offsets: Int32Array.from([0, 2]), tracks: Int32Array.from([0, 1, 2]) })).toThrow(/offsets\[1\] = 2 but tracks has 3/);
    expect(() => model.train(ok, { window: 0 })).toThrow(/window/);
    expect(() => model.train(ok, { window: undefined, minCount: 5 })).toThrow(/minCount = 5/); // undefined means the default
    expect(() => model.train(ok, { minCount: 5 })).toThrow(/minCount = 5/);
    expect(() => new Item2Vec(new MemoryPlan(), 10, { negatives: 1001 })).toThrow(/negatives/);
  });
});
