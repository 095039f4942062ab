// item2vec SGNS training throughput, in pairs/s, at the real slice's shape: 6,000 sessions of
// 10–20 plays over 35,000 tracks (long-tailed popularity, sessions leaning on one of 200
// "genres"), d = 32, K = 5 negatives, window 5 (word2vec's shrinking window).
//
//   "item2vec sgns d=32 neg=5":        the kernel alone over 100k pre-built pairs (4096 per call),
//                                      baseline: the same update in plain JS on Float32Arrays.
//   "item2vec train epoch d=32 neg=5": a whole trainer epoch (subsampling, windows, negative
//                                      draws in JS, then the kernel), baseline: the same trainer
//                                      with the plain-JS update in place of the kernel.
// Both validate that wasm and JS give the same embeddings (same pairs, same negatives) first.
// Each runs on every engine build; the epoch also on BENCH_THREADS threads (the trainer's pipeline:
// this thread draws the next batch while a worker applies the last, src/embed/item2vec.ts), with
// speedup_vs_1_thread, the paired ratio against the one-thread epoch.
import { pairedRatio, type BenchCase } from "./harness.js";
import { BENCH_THREADS, bestSimd, loadEngine, maxRelErr, perSimd, type CaseBody } from "./common.js";
import type { SimdBuild } from "../src/engine/engine.js";
import { MemoryPlan } from "../src/engine/plan.js";
import { Rng } from "../src/rng.js";
import { Item2Vec, UnigramSampler, type Sessions } from "../src/embed/item2vec.js";

/**
 * Plain-JS SGNS step over pairs [first, first + P) of the arrays, word2vec's update order
 * (the same arithmetic as assembly/sgns.ts: exact sigmoid, one log per pair for the loss).
 */
export function jsSgnsStep(P: number, first: number, cen: Int32Array, ctx: Int32Array, neg: Int32Array, K: number,
                           vin: Float32Array, uout: Float32Array, d: number, lr: number, neu1e: Float32Array): number {
  let total = 0;
  for (let p = first; p < first + P; p++) {
    const vc = cen[p] * d, o = ctx[p];
    neu1e.fill(0);
    let lin = 0, prod = 1;
    for (let k = -1; k < K; k++) {
      const t = k < 0 ? o : neg[p * K + k];
      if (k >= 0 && t === o) continue;
      const label = k < 0 ? 1 : 0;
      const ut = t * d;
      let x = 0;
      for (let j = 0; j < d; j++) x += vin[vc + j] * uout[ut + j];
      const e = Math.exp(-Math.abs(x));
      const sig = x >= 0 ? 1 / (1 + e) : e / (1 + e);
      const g = lr * (label - sig);
      const s = label ? -x : x;
      if (s > 0) lin += s;
      prod *= 1 + e;
      for (let j = 0; j < d; j++) {
        const u = uout[ut + j];
        neu1e[j] += g * u;
        uout[ut + j] = u + g * vin[vc + j];
      }
    }
    for (let j = 0; j < d; j++) vin[vc + j] += neu1e[j];
    total += lin + Math.log(prod);
  }
  return P > 0 ? total / P : 0;
}

/** The trainer with the plain-JS update in place of the wasm kernel (everything else identical). */
class JsItem2Vec extends Item2Vec {
  private neu1e: Float32Array | null = null;
  protected override stepBatch(n: number, lr: number): number {
    this.neu1e ??= new Float32Array(this.d);
    return jsSgnsStep(n, 0, this.centers.i32(), this.contexts.i32(), this.negs.i32(), this.negatives,
                      this.embeddings(), this.outputVectors(), this.d, lr, this.neu1e);
  }
}

/** Synthetic sessions of the real slice's shape; seeded. */
export function realisticSessions(seed: number, S = 6000, V = 35_000, genres = 200): Sessions {
  const rng = new Rng(seed);
  // Zipf(1) popularity over a random permutation of the tracks, sampled by binary search.
  const perm = new Int32Array(V);
  for (let i = 0; i < V; i++) perm[i] = i;
  rng.shuffle(perm);
  const cum = new Float64Array(V);
  for (let r = 0, acc = 0; r < V; r++) cum[r] = acc += 1 / (r + 1);
  /** r in [0, hi) with probability ∝ 1/(r + 1). */
  const zipf = (hi: number): number => {
    const x = rng.float() * cum[hi - 1];
    let a = 0, b = hi - 1;
    while (a < b) { const m = (a + b) >> 1; if (cum[m] <= x) a = m + 1; else b = m; }
    return a;
  };
  const per = Math.floor(V / genres);
  const offsets = new Int32Array(S + 1);
  const tracks: number[] = [];
  for (let s = 0; s < S; s++) {
    const g = rng.int(genres), L = 10 + rng.int(11);
    for (let i = 0; i < L; i++) {
      // 70% from the session's genre (a contiguous popularity-ordered block), 30% from everything
      const r = rng.float() < 0.7 ? g * per + zipf(per) : zipf(V);
      tracks.push(perm[r]);
    }
    offsets[s + 1] = tracks.length;
  }
  return { offsets, tracks: Int32Array.from(tracks) };
}

async function casesOn(simd: SimdBuild, threads: number): Promise<CaseBody[]> {
  const V = 35_000, d = 32, K = 5, window = 5, P = 100_000, B = 4096;
  const sessions = realisticSessions(1);
  const rng = new Rng(2);

  // Pairs of one pass (shrinking window, no subsampling: it only thins the head) and negatives from unigram^0.75.
  const counts = new Float64Array(V);
  for (const t of sessions.tracks) counts[t]++;
  const sampler = new UnigramSampler(counts);
  const cenJ = new Int32Array(P), ctxJ = new Int32Array(P), negJ = new Int32Array(P * K);
  let n = 0;
  for (let s = 0; n < P; s = (s + 1) % (sessions.offsets.length - 1)) {
    const a = sessions.offsets[s], L = sessions.offsets[s + 1] - a;
    for (let i = 0; i < L && n < P; i++) {
      const w = window - rng.int(window);
      for (let j = Math.max(0, i - w); j <= Math.min(L - 1, i + w) && n < P; j++) {
        if (j === i) continue;
        cenJ[n] = sessions.tracks[a + i];
        ctxJ[n] = sessions.tracks[a + j];
        for (let k = 0; k < K; k++) negJ[n * K + k] = sampler.draw(rng);
        n++;
      }
    }
  }

  const plan = new MemoryPlan();
  const Vin = plan.f32("bench.sgns.in", "data", V * d + 12);
  const Uout = plan.f32("bench.sgns.out", "data", V * d + 12);
  const cen = plan.i32("bench.sgns.centers", "io", P);
  const ctx = plan.i32("bench.sgns.contexts", "io", P);
  const neg = plan.i32("bench.sgns.negs", "io", P * K);
  const ws = plan.region("bench.sgns.ws", "scratch", (x) => x.sgns_workspace_bytes(d));
  const wasmTrainer = new Item2Vec(plan, V, { d, negatives: K, batchPairs: B }, "bench.item2vec.wasm");
  const jsTrainer = new JsItem2Vec(plan, V, { d, negatives: K, batchPairs: B }, "bench.item2vec.js");
  const engine = await loadEngine(plan, { simd, threads });
  cen.i32().set(cenJ);
  ctx.i32().set(ctxJ);
  neg.i32().set(negJ);
  // matrices on 64-byte cache lines, as the trainer lays them out
  const pv = Math.ceil(Vin.ptr / 64) * 64, pu = Math.ceil(Uout.ptr / 64) * 64;
  const vView = Vin.f32().subarray((pv - Vin.ptr) / 4, (pv - Vin.ptr) / 4 + V * d);
  const uView = Uout.f32().subarray((pu - Uout.ptr) / 4, (pu - Uout.ptr) / 4 + V * d);

  const vinJ = new Float32Array(V * d), uoutJ = new Float32Array(V * d), neu1e = new Float32Array(d);
  const init = (): void => {
    const r = new Rng(3);
    const v = vView, u = uView;
    // v ~ U(±0.5/d) as in training; u small rather than 0 so the first pass exercises every term
    for (let i = 0; i < V * d; i++) { v[i] = (r.float() * 2 - 1) * (0.5 / d); u[i] = (r.float() * 2 - 1) * 0.1; }
    vinJ.set(v);
    uoutJ.set(u);
  };
  const lr = 0.0125;
  const x = engine.x;
  const wasmPass = (): void => {
    for (let p = 0; p < P; p += B) {
      const m = Math.min(B, P - p);
      x.sgns_step_f32(m, cen.ptr + 4 * p, ctx.ptr + 4 * p, neg.ptr + 4 * p * K, K, pv, pu, d, lr, ws.ptr);
    }
  };
  const jsPass = (): void => {
    for (let p = 0; p < P; p += B) jsSgnsStep(Math.min(B, P - p), p, cenJ, ctxJ, negJ, K, vinJ, uoutJ, d, lr, neu1e);
  };

  const epochOpts = { epochs: 1, seed: 5, minCount: 1 };
  let wasmEpochRate = 0, jsEpochRate = 0, epochPairs = 0;
  const kernelCase: CaseBody = {
    name: `item2vec sgns d=${d} neg=${K}`,
    subject: { label: "wasm simd kernel", fn: wasmPass },
    baseline: { label: "plain JS (f32 arrays)", fn: jsPass },
    flops: P * (1 + K) * 6 * d, // dot 2d, neu1e += g·u 2d, u += g·v 2d per target
    validate: () => {
      init();
      let lossW = 0, lossJ = 0;
      for (let p = 0; p < P; p += B) {
        const m = Math.min(B, P - p);
        lossW += x.sgns_step_f32(m, cen.ptr + 4 * p, ctx.ptr + 4 * p, neg.ptr + 4 * p * K, K, pv, pu, d, lr, ws.ptr) * m;
        lossJ += jsSgnsStep(m, p, cenJ, ctxJ, negJ, K, vinJ, uoutJ, d, lr, neu1e) * m;
      }
      const ev = maxRelErr(vView, vinJ), eu = maxRelErr(uView, uoutJ);
      if (!(ev < 1e-5 && eu < 1e-5)) throw new Error(`wasm and JS embeddings differ: v ${ev}, u ${eu}`);
      if (!(Math.abs(lossW - lossJ) / P < 1e-5)) throw new Error(`losses differ: wasm ${lossW / P}, JS ${lossJ / P}`);
    },
    extra: (ms) => ({ pairs_per_s: Math.round(P / (ms / 1000)) }),
  };
  const epochCase: CaseBody = {
    name: `item2vec train epoch d=${d} neg=${K}`,
    subject: { label: "trainer + wasm kernel", fn: () => { wasmTrainer.train(sessions, { ...epochOpts, onEpoch: (e) => { wasmEpochRate = Math.max(wasmEpochRate, e.pairsPerSecond); epochPairs = e.pairs; } }); } },
    baseline: { label: "trainer + plain JS update", fn: () => { jsTrainer.train(sessions, { ...epochOpts, onEpoch: (e) => { jsEpochRate = Math.max(jsEpochRate, e.pairsPerSecond); } }); } },
    validate: () => {
      wasmTrainer.train(sessions, epochOpts);
      jsTrainer.train(sessions, epochOpts);
      const e = maxRelErr(wasmTrainer.embeddings(), jsTrainer.embeddings());
      if (!(e < 1e-5)) throw new Error(`wasm and JS trainers' embeddings differ by ${e}`);
    },
    // best epoch rate seen (the timed call also re-initialises V·d parameters, which this excludes)
    extra: () => ({ pairs_per_epoch: epochPairs, epoch_pairs_per_s: Math.round(wasmEpochRate), baseline_epoch_pairs_per_s: Math.round(jsEpochRate) }),
  };
  if (threads > 1) return [{ ...epochCase, threads, subject: { ...epochCase.subject, label: `trainer pipeline, ${threads} threads + wasm kernel` } }];
  return [kernelCase, epochCase];
}

export async function cases(): Promise<BenchCase[]> {
  const rows = await perSimd((simd) => casesOn(simd, 1), 9);
  const one = rows.find((r) => r.name.startsWith("item2vec train epoch") && r.simd === bestSimd())!;
  const multi = (await casesOn(bestSimd(), BENCH_THREADS)).map((c): BenchCase => ({
    ...c, simd: bestSimd(), threads: BENCH_THREADS,
    baseline: c.baseline && { ...c.baseline, key: `${c.name} baseline` },
    extra: (ms) => ({ ...(c.extra ? c.extra(ms) : {}), speedup_vs_1_thread: pairedRatio(one.subject.fn, c.subject.fn, 9) }),
  }));
  return [...rows, ...multi];
}
