// GEMM in its three forms at the shapes encore runs (the W1 actor's first layer at batch 64:
// C[64x256] = A[64x320]·B[320x256]) and at 512³; baseline: a plain-JS triple loop on the
// same Float32Arrays.
import type { BenchCase } from "./harness.js";
import { loadEngine, maxRelErr, randomFill } from "./common.js";
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
  const plan = new MemoryPlan();
  const maxMK = 512 * 512, maxKN = 512 * 512, maxMN = 512 * 512;
  const A = plan.f32("bench.gemm.a", "io", maxMK);
  const B = plan.f32("bench.gemm.b", "io", maxKN);
  const C = plan.f32("bench.gemm.c", "io", maxMN);
  const engine = await loadEngine(plan);
  const rng = new Rng(1);
  randomFill(A.f32(), rng);
  randomFill(B.f32(), rng);
  const out: BenchCase[] = [];
  const cJs = new Float32Array(maxMN);
  for (const [M, N, K] of shapes) {
    for (const form of ["nn", "nt", "tn"] as Form[]) {
      const kernel = engine.x[`gemm_f32_${form}`];
      const lda = form === "tn" ? M : K;
      const ldb = form === "nt" ? K : N;
      const a = A.f32().subarray(0, M * K), b = B.f32().subarray(0, K * N);
      const run = () => kernel(M, N, K, A.ptr, lda, B.ptr, ldb, C.ptr, N, 0, engine.gemmWorkspace);
      out.push({
        name: `gemm_${form} ${M}x${N}x${K}`,
        subject: { label: "wasm simd", fn: run },
        baseline: { label: "plain JS loop", fn: () => jsGemm(form, M, N, K, a, b, cJs) },
        flops: 2 * M * N * K,
        validate: () => {
          run();
          jsGemm(form, M, N, K, a, b, cJs);
          const err = maxRelErr(C.f32().subarray(0, M * N), cJs.subarray(0, M * N));
          if (!(err < 1e-4 * Math.sqrt(K))) throw new Error(`max relative error ${err}`);
        },
      });
    }
  }
  return out;
}
