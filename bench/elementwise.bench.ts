// Activations forward (tanh, sigmoid, relu) over a batch of the actor's hidden layer
// (64 × 256 = 16384 floats); baseline: a plain-JS loop (Math.tanh / Math.exp) on the same
// Float32Arrays.
import type { BenchCase } from "./harness.js";
import type { SimdBuild } from "../src/engine/engine.js";
import { loadEngine, maxRelErr, randomFill, perSimd, type CaseBody } from "./common.js";
import { MemoryPlan } from "../src/engine/plan.js";
import { Rng } from "../src/rng.js";

const ACTS = { relu: 1, tanh: 2, sigmoid: 3 } as const;

function jsAct(act: number, x: Float32Array, y: Float32Array): void {
  const n = x.length;
  if (act === ACTS.relu) for (let i = 0; i < n; i++) y[i] = x[i] < 0 ? 0 : x[i];
  else if (act === ACTS.tanh) for (let i = 0; i < n; i++) y[i] = Math.tanh(x[i]);
  else for (let i = 0; i < n; i++) y[i] = 1 / (1 + Math.exp(-x[i]));
}

async function casesOn(simd: SimdBuild): Promise<CaseBody[]> {
  const n = 64 * 256;
  const plan = new MemoryPlan();
  const X = plan.f32("bench.act.x", "io", n);
  const Y = plan.f32("bench.act.y", "io", n);
  const engine = await loadEngine(plan, { simd });
  randomFill(X.f32(), new Rng(1), 4);
  const xJs = X.f32().slice(), yJs = new Float32Array(n);
  const out: CaseBody[] = [];
  for (const [name, act] of Object.entries(ACTS)) {
    const run = () => engine.x.act_forward_f32(n, X.ptr, Y.ptr, act);
    out.push({
      name: `act_forward_${name} ${n}`,
      subject: { label: "wasm simd", fn: run },
      baseline: { label: "plain JS loop", fn: () => jsAct(act, xJs, yJs) },
      bytes: 8 * n,
      validate: () => {
        run();
        jsAct(act, xJs, yJs);
        const err = maxRelErr(Y.f32(), yJs);
        if (!(err < 1e-6)) throw new Error(`max relative error ${err}`);
      },
    });
  }
  return out;
}

export function cases(): Promise<BenchCase[]> {
  return perSimd(casesOn);
}
