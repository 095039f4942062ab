// Exact top-k over the int8 copy of the catalog (TopK.runI8, assembly/topk_i8.ts) against the f32
// scan (TopK.run) on the same engine, in the same process: 1,000,000 × 32 at q = 3 (one listener,
// a distinct group of 3) and q = 192 (64 listeners), and 3,700,000 × 32 (MSSD's track count) at
// q = 3; k = 10. Each case is validated first: the int8 result must equal the f32 result bit for
// bit. `speedup` is f32 median ÷ int8 median; `speedup_paired` the median of back-to-back pairs
// (steadier under load). The `read` rows time a bare read of the catalog bytes (assembly/memread.ts,
// four streams like the scans): the memory floor. `share_of_floor` = floor ÷ scan time, for the
// f32 scan against reading the f32 catalog and for the int8 scan against reading the int8 codes
// (1 = reading the bytes once and nothing else). `vs_1m` (3.7M row) = its median ÷ the 1M int8
// median timed in the same run. The `i8 dots` rows time the int8 scan's integer dot products alone
// (topk_i8_dots: the same loop and tiles, no bound, threshold or selection) against the same f32
// scan: their speedup is the ceiling of any int8 top-k with this arithmetic on this machine.
// The relaxed build scans with i16 dot products like SIMD128; its relaxed dot is opt-in
// (CatalogI8.preferRelaxedDot: Node 20's baseline compiler computes it wrongly). Started as
// `node --no-liftoff build/js/bench/run.js --filter topk-i8`, where the probe passes, the relaxed
// build adds `relaxed-dot` rows scanning with it.
import { pairedRatio, type BenchCase } from "./harness.js";
import { bestSimd, loadEngine, randomFill, simdBuilds } from "./common.js";
import type { SimdBuild } from "../src/engine/engine.js";
import type { EngineExports } from "../src/engine/kernels.js";
import { MemoryPlan } from "../src/engine/plan.js";
import { CatalogI8, TopK } from "../src/engine/topk.js";
import { Rng } from "../src/rng.js";

const D = 32, K = 3, k = 10;
const N1 = 1_000_000, N37 = 3_700_000;

interface Side {
  x: EngineExports;
  topk: TopK;
  cat: number;
  /** int8 copies of the first 1M rows and (best build only) of all 3.7M rows. */
  copy1: CatalogI8;
  copy37: CatalogI8 | null;
  /** The 1M copy scanned with the relaxed dot, where the engine computes it exactly (see below). */
  copyDot: CatalogI8 | null;
  /** Query codes (maxQ, D) i8 and the workspace of topk_i8_dots. */
  qcodes: number;
  dotsWs: number;
  memory: WebAssembly.Memory;
}

/** Median ms of `reps` calls (after one warm-up). */
function median(fn: () => void, reps: number): number {
  fn();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now(); fn(); t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[reps >> 1];
}

export async function cases(): Promise<BenchCase[]> {
  const maxQ = K * 64;
  const rng = new Rng(7);
  const W = randomFill(new Float32Array(maxQ * D), rng);
  const best = bestSimd();
  let E: Float32Array | null = null;
  const sides = new Map<SimdBuild, Side>();
  for (const simd of simdBuilds()) {
    const big = simd === best;
    const N = big ? N37 : N1;
    const plan = new MemoryPlan();
    const topk = new TopK(plan, { maxQ, maxG: 64, maxK: k, maxD: D, maxX: 0, maxDistinctGroup: K, int8: true });
    const copy1 = new CatalogI8(plan, { maxN: N1, maxD: D }, "bench.i8.1m");
    const copy37 = big ? new CatalogI8(plan, { maxN: N37, maxD: D }, "bench.i8.3m7") : null;
    const copyDot = simd === "relaxed" ? new CatalogI8(plan, { maxN: N1, maxD: D }, "bench.i8.dot") : null;
    const cat = plan.f32("bench.i8.catalog", "data", N * D);
    const qcodes = plan.i32("bench.i8.qcodes", "io", (maxQ * D) / 4);
    const dotsWs = plan.f32("bench.i8.dotsWs", "scratch", ((D / 4) * maxQ + 4) * 4);
    const engine = await loadEngine(plan, { simd });
    topk.bind(engine);
    copy1.bind(engine);
    copy37?.bind(engine);
    copyDot?.bind(engine);
    if (E === null || E.length < N * D) {
      E = randomFill(cat.f32(), rng);
    } else cat.f32().set(E.subarray(0, N * D));
    copy1.build(cat.ptr, N1, D);
    copy37?.build(cat.ptr, N37, D);
    if (copyDot?.relaxedDot) { copyDot.preferRelaxedDot = true; copyDot.build(cat.ptr, N1, D); }
    topk.queries.set(W);
    const qc = new Int8Array(engine.memory.buffer, qcodes.ptr, maxQ * D), qrng = new Rng(11);
    for (let i = 0; i < qc.length; i++) qc[i] = qrng.int(255) - 127;
    sides.set(simd, { x: engine.x, topk, cat: cat.ptr, copy1, copy37, copyDot: copyDot?.relaxedDot ? copyDot : null, qcodes: qcodes.ptr, dotsWs: dotsWs.ptr, memory: engine.memory });
  }

  const f32 = (s: Side, N: number, Q: number) => () => s.topk.run(s.cat, N, D, Q, Q / K, k, 0, true);
  const i8 = (s: Side, N: number, Q: number, dot = false) => () => s.topk.runI8(dot ? s.copyDot! : N === N1 ? s.copy1 : s.copy37!, s.cat, N, D, Q, Q / K, k, 0, true);
  const read = (s: Side, bytes: number) => () => { s.x.read_u8(s.cat, bytes); };
  const dots = (s: Side, copy: CatalogI8, N: number, Q: number) => () => { s.x.topk_i8_dots(copy.codeRegion.ptr, N, D, s.qcodes, Q, s.dotsWs); };
  // topk_i8_dots over the copy's first 4,096 rows against the same sum in plain JS (same groups)
  const checkDots = (s: Side, copy: CatalogI8, Q: number): void => {
    const n = 4096, codes = new Int8Array(s.memory.buffer, copy.codeRegion.ptr, n * D), q = new Int8Array(s.memory.buffer, s.qcodes, Q * D);
    let want = 0;
    for (let r = 0; r < n; r++) for (let j = 0; j < Q; j++) for (let d = 0; d < D; d++) want += codes[(r >> 2) * 4 * D + (d >> 2) * 16 + (r & 3) * 4 + (d & 3)] * q[j * D + d];
    const got = s.x.topk_i8_dots(copy.codeRegion.ptr, n, D, s.qcodes, Q, s.dotsWs);
    if (got !== (want | 0)) throw new Error(`topk_i8_dots gave ${got}, plain JS ${want | 0}`);
  };
  const dotsCase = (simd: SimdBuild, s: Side, copy: CatalogI8, N: number, Q: number): BenchCase => ({
    name: `i8 dots ${N}x${D} q=${Q} (the int8 scan's arithmetic floor)`, simd, threads: 1,
    subject: { label: `wasm ${simd}, integer dot products only`, fn: dots(s, copy, N, Q) },
    baseline: { label: `wasm ${simd}, f32 scan`, fn: f32(s, N, Q) },
    flops: 2 * N * D * Q, bytes: N * D,
    validate: () => checkDots(s, copy, Q),
  });
  const codeRead = (s: Side, copy: CatalogI8, bytes: number) => () => { s.x.read_u8(copy.codeRegion.ptr, bytes); };
  const same = (s: Side, N: number, Q: number, dot = false): void => {
    f32(s, N, Q)();
    const idx = s.topk.indices.slice(0, Q * k), sc = new Uint32Array(s.topk.scores.slice(0, Q * k).buffer);
    i8(s, N, Q, dot)();
    const idx2 = s.topk.indices, sc2 = new Uint32Array(s.topk.scores.buffer, s.topk.scores.byteOffset, Q * k);
    for (let i = 0; i < Q * k; i++) {
      if (idx[i] !== idx2[i] || sc[i] !== sc2[i]) throw new Error(`topk-i8 ${N}x${D} q=${Q}: slot ${i} differs from the f32 scan (${idx[i]} vs ${idx2[i]})`);
    }
  };

  const out: BenchCase[] = [];
  for (const [simd, s] of sides) {
    const f32Bytes = N1 * D * 4, i8Bytes = N1 * D;
    out.push({
      name: `read ${N1}x${D} f32 (catalog, ${f32Bytes / 2 ** 20} MiB)`, simd, threads: 1,
      subject: { label: "bare read, four streams", fn: read(s, f32Bytes) }, bytes: f32Bytes, validate: () => read(s, f32Bytes)(),
    });
    out.push({
      name: `read ${N1}x${D} i8 (codes, ${i8Bytes / 2 ** 20} MiB)`, simd, threads: 1,
      subject: { label: "bare read, four streams", fn: codeRead(s, s.copy1, i8Bytes) }, bytes: i8Bytes, validate: () => codeRead(s, s.copy1, i8Bytes)(),
    });
    for (const Q of simd === best ? [K, K * 64] : [K]) {
      const pairs = Q > 8 ? 7 : 31;
      out.push({
        name: `topk-i8 ${N1}x${D} q=${Q} k=${k}`, simd, threads: 1,
        subject: { label: `wasm ${simd}, int8 copy + exact re-rank`, fn: i8(s, N1, Q) },
        baseline: { label: `wasm ${simd}, f32 scan`, fn: f32(s, N1, Q) },
        flops: 2 * N1 * D * Q, bytes: i8Bytes,
        validate: () => same(s, N1, Q),
        extra: (ms) => {
          const floorF32 = median(read(s, f32Bytes), 15), floorI8 = median(codeRead(s, s.copy1, i8Bytes), 15);
          const f32ms = median(f32(s, N1, Q), Q > 8 ? 5 : 15);
          return {
            speedup_paired: pairedRatio(f32(s, N1, Q), i8(s, N1, Q), pairs),
            f32_share_of_floor: Number((floorF32 / f32ms).toFixed(3)),
            i8_share_of_floor: Number((floorI8 / ms).toFixed(3)),
            floor_f32_ms: Number(floorF32.toFixed(3)),
            floor_i8_ms: Number(floorI8.toFixed(3)),
          };
        },
      });
    }
    for (const Q of simd === best ? [K, K * 64] : [K]) out.push(dotsCase(simd, s, s.copy1, N1, Q));
    for (const Q of s.copyDot ? [K, K * 64] : []) {
      out.push({
        name: `topk-i8 ${N1}x${D} q=${Q} k=${k} relaxed-dot`, simd, threads: 1,
        subject: { label: `wasm ${simd}, int8 copy, relaxed dot + exact re-rank`, fn: i8(s, N1, Q, true) },
        baseline: { label: `wasm ${simd}, f32 scan`, fn: f32(s, N1, Q) },
        flops: 2 * N1 * D * Q, bytes: N1 * D,
        validate: () => same(s, N1, Q, true),
        extra: () => ({
          speedup_paired: pairedRatio(f32(s, N1, Q), i8(s, N1, Q, true), Q > 8 ? 7 : 31),
          vs_i16_paired: pairedRatio(i8(s, N1, Q), i8(s, N1, Q, true), Q > 8 ? 7 : 31),
        }),
      });
    }
    if (s.copy37) {
      const c37 = s.copy37, f32Bytes37 = N37 * D * 4, i8Bytes37 = N37 * D;
      out.push({
        name: `read ${N37}x${D} i8 (codes, ${(i8Bytes37 / 2 ** 20).toFixed(1)} MiB)`, simd, threads: 1,
        subject: { label: "bare read, four streams", fn: codeRead(s, c37, i8Bytes37) }, bytes: i8Bytes37, validate: () => codeRead(s, c37, i8Bytes37)(),
      });
      out.push({
        name: `topk-i8 ${N37}x${D} q=${K} k=${k}`, simd, threads: 1,
        subject: { label: `wasm ${simd}, int8 copy + exact re-rank`, fn: i8(s, N37, K) },
        baseline: { label: `wasm ${simd}, f32 scan`, fn: f32(s, N37, K) },
        flops: 2 * N37 * D * K, bytes: i8Bytes37,
        validate: () => same(s, N37, K),
        extra: (ms) => {
          const floorF32 = median(read(s, f32Bytes37), 9), floorI8 = median(codeRead(s, c37, i8Bytes37), 9);
          const f32ms = median(f32(s, N37, K), 9);
          return {
            speedup_paired: pairedRatio(f32(s, N37, K), i8(s, N37, K), 15),
            vs_1m: Number((pairedRatio(i8(s, N37, K), i8(s, N1, K), 15)).toFixed(3)),
            f32_share_of_floor: Number((floorF32 / f32ms).toFixed(3)),
            i8_share_of_floor: Number((floorI8 / ms).toFixed(3)),
            floor_f32_ms: Number(floorF32.toFixed(3)),
            floor_i8_ms: Number(floorI8.toFixed(3)),
          };
        },
      });
      out.push(dotsCase(simd, s, c37, N37, K));
    }
  }
  return out;
}
