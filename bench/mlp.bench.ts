// One training step (forward + backward + Adam) of the W1 networks at batch 64:
//   actor  320 → 256 → 256 → 96   (relu, relu, tanh)
//   critic 416 → 256 → 256 → 1    (relu, relu, identity)
// Baseline: the plain-JS f64 reference MLP (test/reference/mlp.ts) doing the same step.
import type { BenchCase } from "./harness.js";
import { loadEngine, randomFill } from "./common.js";
import { MemoryPlan } from "../src/engine/plan.js";
import { Mlp } from "../src/nn/mlp.js";
import { Adam } from "../src/nn/adam.js";
import { ACTIVATION_CODES, type Activation } from "../src/nn/activation.js";
import { Rng } from "../src/rng.js";
import { RefMlp } from "../test/reference/mlp.js";

const B = 64;
const NETS: { name: string; sizes: number[]; acts: Activation[] }[] = [
  { name: "actor", sizes: [320, 256, 256, 96], acts: ["relu", "relu", "tanh"] },
  { name: "critic", sizes: [416, 256, 256, 1], acts: ["relu", "relu", "identity"] },
];
const HYPER = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

/** Multiply-adds of forward (1×) and backward (2×: dinp and dw) over all layers, 2 flops each. */
function stepFlops(sizes: number[]): number {
  let macs = 0;
  for (let l = 0; l + 1 < sizes.length; l++) macs += B * sizes[l] * sizes[l + 1];
  return 2 * 3 * macs;
}

export async function cases(): Promise<BenchCase[]> {
  const plan = new MemoryPlan();
  const built = NETS.map((n) => {
    const group = plan.paramGroup(n.name);
    const mlp = new Mlp(plan, group, n.name, { sizes: n.sizes, activations: n.acts }, B);
    const target = plan.f32(`${n.name}.target`, "io", B * n.sizes[n.sizes.length - 1]);
    return { ...n, group, mlp, target };
  });
  const engine = await loadEngine(plan);
  const rng = new Rng(11);
  return built.map(({ name, sizes, acts, group, mlp, target }) => {
    mlp.initialize(rng);
    randomFill(mlp.input.f32(), rng);
    randomFill(target.f32(), rng, 0.5);
    const adam = new Adam(group, HYPER);
    const nOut = B * mlp.outputs;
    const step = (): number => {
      adam.zeroGrad();
      mlp.forward(B);
      const loss = engine.x.mse_forward(nOut, mlp.output.ptr, target.ptr);
      engine.x.mse_backward(nOut, mlp.output.ptr, target.ptr, mlp.dout.ptr);
      mlp.backward(B);
      adam.step();
      return loss;
    };
    const x = Float64Array.from(mlp.input.f32());
    const y = Float64Array.from(target.f32());
    const ref = new RefMlp(mlp.layers.map((l, i) => ({
      I: l.inputs, O: l.outputs, act: ACTIVATION_CODES[acts[i]], w: Array.from(l.w.view()), b: Array.from(l.b!.view()),
    })));
    return {
      name: `mlp_step W1 ${name} ${sizes.join("-")} B=${B}`,
      subject: { label: "wasm simd", fn: step },
      baseline: { label: "plain JS reference", fn: () => ref.trainStep(B, x, y, HYPER) },
      flops: stepFlops(sizes),
      validate: () => {
        // wasm and the reference start from the same weights: their first losses agree
        const fresh = new RefMlp(ref.layers.map((l) => ({ ...l, w: [...l.w], b: [...l.b] })));
        const lr = fresh.trainStep(B, x, y, HYPER);
        const lw = step();
        if (!(Math.abs(lw - lr) <= 1e-4 * (1 + lr))) throw new Error(`loss ${lw} vs reference ${lr}`);
      },
    };
  });
}
