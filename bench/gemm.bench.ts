// GEMM in its three forms at the shapes encore runs (the W1 actor's first layer at batch 64:
// C[64x256] = A[64x320]·B[320x256]) and at 512³, on each engine build (SIMD128, relaxed SIMD),
// and at 512³ on BENCH_THREADS threads (Engine.gemm's panels); baseline: a plain-JS triple loop
// on the same Float32Arrays; peer: TensorFlow.js-wasm's matMul with the same transposes.
// speedup_vs_simd128 (relaxed rows) and speedup_vs_1_thread (thread rows) are paired ratios
// (harness.pairedRatio) against the same product on the other engine.
import { pairedRatio, type BenchCase } from "./harness.js";
import { BENCH_THREADS, bestSimd, loadEngine, maxRelErr, randomFill, simdBuilds } from "./common.js";
import { PEER_LABEL, tfPeer } from "./peer.js";
import type { Engine, SimdBuild } from "../src/engine/engine.js";
import { MemoryPlan } from "../src/engine/plan.js";
import { Rng } from "../src/rng.js";

type Form = "nn" | "nt" | "tn";

/** Plain-JS baseline: C(M,N) = op(A)·op(B), i-k-j loop order for the nn form (its best). */
export function jsGemm(form: Form, M: number, N: number, K: number, a: Float32Array, b: Float32Array, c: Float32Array): void {
  if (form === "nn") {
    c.fill(0, 0, M * N);
    for (let i = 0; i < M; i++) for (let p = 0; p < K; p++) {
      const av = a[i * K + p];
      for (let j = 0; j < N; j++) c[i * N + j] += av * b[p * N + j];
    }
  } else if (form === "nt") {
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
      let s = 0;
      for (let p = 0; p < K; p++) s += a[i * K + p] * b[j * K + p];
      c[i * N + j] = s;
    }
  } else {
    c.fill(0, 0, M * N);
    for (let p = 0; p < K; p++) for (let i = 0; i < M; i++) {
      const av = a[p * M + i];
      for (let j = 0; j < N; j++) c[i * N + j] += av * b[p * N + j];
    }
  }
}

export async function cases(): Promise<BenchCase[]> {
  const shapes: [number, number, number][] = [[64, 256, 320], [512, 512, 512]];
  const maxMK = 512 * 512, maxKN = 512 * 512, maxMN = 512 * 512;
  const rng = new Rng(1);
  const aData = randomFill(new Float32Array(maxMK), rng), bData = randomFill(new Float32Array(maxKN), rng);
  // one engine per variant, each with the same operands
  const variants: { simd: SimdBuild; threads: number }[] = [...simdBuilds().map((simd) => ({ simd, threads: 1 })), { simd: bestSimd(), threads: BENCH_THREADS }];
  const engines = new Map<string, { engine: Engine; A: number; B: number; C: number; c: () => Float32Array }>();
  for (const v of variants) {
    const plan = new MemoryPlan();
    const A = plan.f32("bench.gemm.a", "io", maxMK), B = plan.f32("bench.gemm.b", "io", maxKN), C = plan.f32("bench.gemm.c", "io", maxMN);
    const engine = await loadEngine(plan, v);
    A.f32().set(aData);
    B.f32().set(bData);
    engines.set(`${v.simd}/${v.threads}`, { engine, A: A.ptr, B: B.ptr, C: C.ptr, c: () => C.f32() });
  }
  const tf = await tfPeer();
  const out: BenchCase[] = [];
  const cJs = new Float32Array(maxMN);
  for (const [M, N, K] of shapes) {
    for (const form of ["nn", "nt", "tn"] as Form[]) {
      const lda = form === "tn" ? M : K;
      const ldb = form === "nt" ? K : N;
      const a = aData.subarray(0, M * K), b = bData.subarray(0, K * N);
      const runOn = (key: string): (() => void) => {
        const e = engines.get(key)!;
        if (e.engine.threads > 1) return () => e.engine.gemm(form, M, N, K, e.A, lda, e.B, ldb, e.C, N);
        const kernel = e.engine.x[`gemm_f32_${form}`];
        return () => kernel(M, N, K, e.A, lda, e.B, ldb, e.C, N, 0, e.engine.gemmWorkspace);
      };
      // the peer: the same operands as tensors of their stored shapes, transposes as matMul flags
      let peer: BenchCase["peer"];
      let checkPeer = (): void => {};
      if (tf) {
        const ta = tf.tensor2d(a, form === "tn" ? [K, M] : [M, K]), tb = tf.tensor2d(b, form === "nt" ? [N, K] : [K, N]);
        const mm = () => tf.matMul(ta, tb, form === "tn", form === "nt");
        peer = { label: PEER_LABEL, key: `gemm ${form} ${M}x${N}x${K} tfjs`, fn: () => mm().dispose() };
        checkPeer = () => {
          const t = mm();
          const err = maxRelErr(t.dataSync(), cJs.subarray(0, M * N));
          t.dispose();
          if (!(err < 1e-4 * Math.sqrt(K))) throw new Error(`TensorFlow.js result: max relative error ${err}`);
        };
      }
      for (const v of variants) {
        if (v.threads > 1 && M < 512) continue; // the thread rows: 512³ (the 64-row batch shape is a fifth of a millisecond)
        const key = `${v.simd}/${v.threads}`;
        const run = runOn(key);
        const extra: BenchCase["extra"] = v.threads > 1
          ? () => ({ speedup_vs_1_thread: pairedRatio(runOn(`${v.simd}/1`), run, 21) })
          : v.simd === "relaxed" ? () => ({ speedup_vs_simd128: pairedRatio(runOn("simd128/1"), run, M < 512 ? 201 : 21) }) : undefined;
        out.push({
          name: `gemm_${form} ${M}x${N}x${K}`,
          simd: v.simd,
          threads: v.threads,
          subject: { label: v.threads > 1 ? `wasm ${v.simd}, ${v.threads} threads (panels)` : `wasm ${v.simd}`, fn: run },
          baseline: { label: "plain JS loop", key: `gemm ${form} ${M}x${N}x${K} js`, fn: () => jsGemm(form, M, N, K, a, b, cJs) },
          peer,
          flops: 2 * M * N * K,
          extra,
          validate: () => {
            run();
            jsGemm(form, M, N, K, a, b, cJs);
            const err = maxRelErr(engines.get(key)!.c().subarray(0, M * N), cJs.subarray(0, M * N));
            if (!(err < 1e-4 * Math.sqrt(K))) throw new Error(`max relative error ${err}`);
            checkPeer();
          },
        });
      }
    }
  }
  return out;
}
