// The multiply-add ceiling of each engine build on this CPU (assembly/peak.ts: 12 independent
// madd chains, no memory traffic), beside a plain-JS loop of the same recurrence. The relaxed row's
// speedup_vs_simd128 (a paired ratio against the SIMD128 build's same call) is the most any kernel
// can gain from the relaxed build here: relaxed_madd is one fused instruction, SIMD128's madd a
// multiply and an add, and whether that matters depends on the CPU's ports (on a CPU that issues
// two multiplies and two adds a cycle beside its two FMA pipes, it hardly does). The GEMM rows'
// speedup_vs_simd128 (bench/gemm.bench.ts) should be read against it.
import { pairedRatio, type BenchCase } from "./harness.js";
import { loadEngine, simdBuilds } from "./common.js";
import { MemoryPlan } from "../src/engine/plan.js";
import type { SimdBuild } from "../src/engine/engine.js";
import type { EngineExports } from "../src/engine/kernels.js";

const ROUNDS = 1_000_000, CHAINS = 12, LANES = 4;
// a = b = 1 from integer starts: every chain stays an exact integer, so the result is known
const A = 1, B = 1, C = 3;
const EXPECTED = CHAINS * (C + ROUNDS) + (CHAINS * (CHAINS - 1)) / 2;

/**
 * Plain JS: the same 12 chains as scalars (f64), n rounds; a and b come in as arguments (read from
 * an array at the call) so the JIT cannot fold the multiply by 1 away.
 */
function jsPeak(n: number, a: number, b: number): number {
  let x0 = C, x1 = C + 1, x2 = C + 2, x3 = C + 3, x4 = C + 4, x5 = C + 5;
  let x6 = C + 6, x7 = C + 7, x8 = C + 8, x9 = C + 9, x10 = C + 10, x11 = C + 11;
  for (let i = 0; i < n; i++) {
    x0 = x0 * a + b; x1 = x1 * a + b; x2 = x2 * a + b; x3 = x3 * a + b; x4 = x4 * a + b; x5 = x5 * a + b;
    x6 = x6 * a + b; x7 = x7 * a + b; x8 = x8 * a + b; x9 = x9 * a + b; x10 = x10 * a + b; x11 = x11 * a + b;
  }
  return x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10 + x11;
}

export async function cases(): Promise<BenchCase[]> {
  const ab = new Float64Array([A, B]);
  // the baseline does the same flops: 4 times the rounds, one lane a chain
  const js = (): number => jsPeak(ROUNDS * LANES, ab[0], ab[1]);
  const engines = new Map<SimdBuild, EngineExports>();
  for (const simd of simdBuilds()) engines.set(simd, (await loadEngine(new MemoryPlan(), { simd })).x);
  const run = (simd: SimdBuild) => { const x = engines.get(simd)!; return () => { x.peak_madd_f32(ROUNDS, A, B, C); }; };
  return [...engines.keys()].map((simd): BenchCase => ({
    name: `peak madd ${CHAINS} chains x ${LANES} lanes`,
    simd,
    threads: 1,
    subject: { label: `wasm ${simd}, ${simd === "relaxed" ? "relaxed_madd" : "mul + add"}`, fn: run(simd) },
    baseline: { label: "plain JS, scalar chains", key: "peak madd js", fn: () => { js(); } },
    flops: 2 * CHAINS * LANES * ROUNDS,
    extra: simd === "relaxed" ? () => ({ speedup_vs_simd128: pairedRatio(run("simd128"), run("relaxed"), 31) }) : undefined,
    validate: () => {
      const got = engines.get(simd)!.peak_madd_f32(ROUNDS, A, B, C);
      if (got !== EXPECTED) throw new Error(`peak_madd_f32 gave ${got}, expected ${EXPECTED}`);
      if (js() !== CHAINS * (C + ROUNDS * LANES) + (CHAINS * (CHAINS - 1)) / 2) throw new Error("plain-JS peak loop miscounted");
    },
  }));
}
