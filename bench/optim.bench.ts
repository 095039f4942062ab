// One Adam step over 250k parameters (about the actor + critic of encore's default size);
// baseline: the same f32 update as a plain-JS loop on Float32Arrays.
import type { BenchCase } from "./harness.js";
import type { SimdBuild } from "../src/engine/engine.js";
import { loadEngine, maxRelErr, randomFill, perSimd, type CaseBody } from "./common.js";
import { MemoryPlan } from "../src/engine/plan.js";
import { Rng } from "../src/rng.js";

function jsAdam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, lr: number, b1: number, b2: number, eps: number, wd: number, t: number): void {
  const ic1 = 1 / (1 - b1 ** t), ic2 = 1 / (1 - b2 ** t);
  for (let i = 0; i < p.length; i++) {
    const gi = g[i];
    const mi = (m[i] = b1 * m[i] + (1 - b1) * gi);
    const vi = (v[i] = b2 * v[i] + (1 - b2) * gi * gi);
    p[i] -= lr * ((mi * ic1) / (Math.sqrt(vi * ic2) + eps) + wd * p[i]);
  }
}

async function casesOn(simd: SimdBuild): Promise<CaseBody[]> {
  const n = 250_000;
  const plan = new MemoryPlan();
  const [P, G, M, V] = ["p", "g", "m", "v"].map((s) => plan.f32(`bench.adam.${s}`, "io", n));
  const engine = await loadEngine(plan, { simd });
  const rng = new Rng(1);
  randomFill(P.f32(), rng);
  randomFill(G.f32(), rng);
  const pJs = P.f32().slice(), gJs = G.f32().slice(), mJs = new Float32Array(n), vJs = new Float32Array(n);
  const run = () => engine.x.adam_step(n, P.ptr, G.ptr, M.ptr, V.ptr, 1e-3, 0.9, 0.999, 1e-8, 0, 1);
  return [{
    name: `adam_step ${n}`,
    subject: { label: "wasm simd", fn: run },
    baseline: { label: "plain JS loop", fn: () => jsAdam(pJs, gJs, mJs, vJs, 1e-3, 0.9, 0.999, 1e-8, 0, 1) },
    bytes: 4 * 4 * n + 3 * 4 * n,
    validate: () => {
      run();
      jsAdam(pJs, gJs, mJs, vJs, 1e-3, 0.9, 0.999, 1e-8, 0, 1);
      const err = maxRelErr(P.f32(), pJs);
      if (!(err < 1e-5)) throw new Error(`max relative error ${err}`);
    },
  }];
}

export function cases(): Promise<BenchCase[]> {
  return perSimd(casesOn);
}
