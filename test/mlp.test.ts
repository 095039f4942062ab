// The host network API (src/nn: Dense, Mlp, Adam) end to end on the release engine:
// training against the f64 reference, memory stability, shape errors.
import { describe, it, expect } from "vitest";
import { MemoryPlan } from "../src/engine/plan.js";
import { Mlp } from "../src/nn/mlp.js";
import { Adam, softUpdate, hardUpdate } from "../src/nn/adam.js";
import { ACTIVATION_CODES, type Activation } from "../src/nn/activation.js";
import { Rng } from "../src/rng.js";
import { loadEngine } from "./util/engine.js";
import { expectClose } from "./util/close.js";
import { RefMlp } from "./reference/mlp.js";
import { mseForward } from "./reference/loss.js";
import { denseBackward } from "./reference/dense.js";

const SIZES = [6, 17, 9, 3];
const ACTS: Activation[] = ["tanh", "relu", "identity"];
const B = 13;
const HYPER = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

async function setup(seed: number) {
  const plan = new MemoryPlan();
  const group = plan.paramGroup("net", { target: true });
  const mlp = new Mlp(plan, group, "net", { sizes: SIZES, activations: ACTS }, B);
  const target = plan.f32("target", "io", B * SIZES[SIZES.length - 1]);
  const engine = await loadEngine(plan);
  const rng = new Rng(seed);
  mlp.initialize(rng);
  // data: inputs N(0,1); targets from a random "teacher" MLP of the same shape, so a
  // 100-fold loss reduction is reachable
  const x = mlp.input.f32().subarray(0, B * SIZES[0]);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const teacher = new RefMlp(SIZES.slice(1).map((O, l) => {
    const I = SIZES[l];
    return { I, O, act: ACTIVATION_CODES[ACTS[l]], w: Array.from({ length: I * O }, () => rng.normal() / Math.sqrt(I)), b: Array.from({ length: O }, () => rng.normal() * 0.1) };
  }));
  const outs = teacher.forward(B, x);
  target.f32().set(outs[outs.length - 1]);
  return { plan, group, mlp, target, engine };
}

/** One wasm training step: forward, MSE, backward, Adam. Returns the loss before the step. */
function wasmStep(s: Awaited<ReturnType<typeof setup>>, adam: Adam): number {
  const { mlp, target, engine } = s;
  const n = B * mlp.outputs;
  adam.zeroGrad();
  mlp.forward(B);
  const loss = engine.x.mse_forward(n, mlp.output.ptr, target.ptr);
  engine.x.mse_backward(n, mlp.output.ptr, target.ptr, mlp.dout.ptr);
  mlp.backward(B);
  adam.step();
  return loss;
}

function refFromWasm(mlp: Mlp): RefMlp {
  return new RefMlp(mlp.layers.map((l) => ({
    I: l.inputs, O: l.outputs, act: ACTIVATION_CODES[l.activation],
    w: Array.from(l.w.view()), b: Array.from(l.b!.view()),
  })));
}

describe("Mlp + Adam on the wasm engine", () => {
  it("host activation codes match the engine's exported constants", async () => {
    const engine = await loadEngine();
    expect(ACTIVATION_CODES).toEqual({
      identity: engine.x.ACT_IDENTITY.value, relu: engine.x.ACT_RELU.value,
      tanh: engine.x.ACT_TANH.value, sigmoid: engine.x.ACT_SIGMOID.value,
    });
  });

  it("forward equals the f64 reference", async () => {
    const s = await setup(1);
    s.mlp.forward(B);
    const ref = refFromWasm(s.mlp).forward(B, s.mlp.input.f32().subarray(0, B * SIZES[0]));
    expectClose(s.mlp.output.f32().subarray(0, B * 3), ref[ref.length - 1], { atol: 1e-5, rtol: 1e-4 }, "mlp output");
  });

  it("trains 200 steps with the same losses as the f64 reference, and the loss falls at least 100-fold", async () => {
    const s = await setup(2);
    const ref = refFromWasm(s.mlp);
    const adam = new Adam(s.group, HYPER);
    const x = Float64Array.from(s.mlp.input.f32().subarray(0, B * SIZES[0]));
    const y = Float64Array.from(s.target.f32());
    const wl: number[] = [], rl: number[] = [];
    for (let step = 0; step < 200; step++) {
      wl.push(wasmStep(s, adam));
      rl.push(ref.trainStep(B, x, y, HYPER));
    }
    // f32 vs f64 rounding differences compound through 200 Adam steps; the trajectories
    // stay within 1% of each other (a wrong gradient or update diverges by orders of magnitude)
    expectClose(wl, rl, { atol: 1e-6, rtol: 1e-2 }, "loss trajectory");
    expect(wl[199]).toBeLessThan(wl[0] / 100);
    // the final parameters agree too
    expectClose(s.mlp.layers[0].w.view(), ref.layers[0].w, { atol: 1e-3, rtol: 1e-2 }, "first-layer weights after 200 steps");
  });

  it("clips by global norm like the reference", async () => {
    const s = await setup(3);
    const ref = refFromWasm(s.mlp);
    const adam = new Adam(s.group, { ...HYPER, clipNorm: 0.05 });
    const x = Float64Array.from(s.mlp.input.f32().subarray(0, B * SIZES[0]));
    const y = Float64Array.from(s.target.f32());
    for (let step = 0; step < 20; step++) {
      const lw = wasmStep(s, adam);
      const lr = ref.trainStep(B, x, y, HYPER, 0.05);
      expect(Math.abs(lw - lr)).toBeLessThanOrEqual(1e-6 + 1e-3 * lr);
    }
    expectClose(s.mlp.layers[2].w.view(), ref.layers[2].w, { atol: 1e-5, rtol: 1e-3 }, "weights after clipped steps");
  });

  it("a batched backward equals the sum of per-sample backwards", async () => {
    const s = await setup(4);
    const adam = new Adam(s.group, HYPER);
    const { mlp, engine, group } = s;
    const O = mlp.outputs, I = mlp.inputs;
    const dy = new Rng(5);
    const douts = Array.from({ length: B * O }, () => dy.normal());
    adam.zeroGrad();
    mlp.forward(B);
    mlp.dout.f32().set(douts);
    mlp.backward(B);
    const batched = Float64Array.from(group.arenaView("grad"));
    adam.zeroGrad();
    const row = engine.plan.regions.find((r) => r.name === "net.input")!;
    const saved = Float32Array.from(row.f32());
    for (let b = 0; b < B; b++) {
      mlp.input.f32().set(saved.subarray(b * I, (b + 1) * I));
      mlp.forward(1);
      mlp.dout.f32().set(douts.slice(b * O, (b + 1) * O));
      mlp.backward(1);
    }
    expectClose(group.arenaView("grad"), batched, { atol: 1e-5, rtol: 1e-4 }, "summed per-sample gradients");
  });

  it("keeps the memory size and buffer across 100 training steps", async () => {
    const s = await setup(6);
    const adam = new Adam(s.group, HYPER);
    const buffer = s.engine.memory.buffer;
    const bytes = buffer.byteLength;
    for (let i = 0; i < 100; i++) wasmStep(s, adam);
    expect(s.engine.memory.buffer.byteLength).toBe(bytes);
    expect(s.engine.memory.buffer).toBe(buffer); // never grown, so never detached
    softUpdate(s.group, 0.01);
    expect(s.engine.memory.buffer).toBe(buffer);
  });

  it("soft and hard target updates follow θ' ← τθ + (1 − τ)θ'", async () => {
    const s = await setup(7);
    hardUpdate(s.group);
    expect(Array.from(s.group.arenaView("target"))).toEqual(Array.from(s.group.arenaView("value")));
    const before = Float64Array.from(s.group.arenaView("target"));
    const w = s.group.arenaView("value");
    for (let i = 0; i < w.length; i++) w[i] += 1;
    softUpdate(s.group, 0.25);
    const expected = Array.from(before, (t, i) => 0.25 * w[i] + 0.75 * t);
    expectClose(s.group.arenaView("target"), expected, { atol: 1e-6, rtol: 1e-6 }, "soft update");
  });

  it("reports shape and option errors on the host with clear messages", async () => {
    const plan = new MemoryPlan();
    const g = plan.paramGroup("g");
    expect(() => new Mlp(plan, g, "bad", { sizes: [4], activations: [] }, 2)).toThrow(/at least two sizes/);
    expect(() => new Mlp(plan, g, "bad", { sizes: [4, 3], activations: ["relu", "tanh"] }, 2)).toThrow(/1 layers need 1 activations/);
    expect(() => new Mlp(plan, g, "bad", { sizes: [4, 0], activations: ["relu"] }, 2)).toThrow(/sizes\[1\] must be a positive integer/);
    expect(() => new Mlp(plan, g, "bad", { sizes: [4, 3], activations: ["swish" as Activation] }, 2)).toThrow(/unknown activation 'swish'/);
    const ok = new Mlp(plan, g, "ok", { sizes: [4, 3], activations: ["relu"] }, 2);
    expect(() => ok.forward(1)).toThrow(/not laid out yet: create the Engine/);
    await loadEngine(plan);
    expect(() => ok.forward(3)).toThrow(/batch 3 outside 1\.\.2/);
    expect(() => new Adam(g, { lr: -1 })).toThrow(/lr must be > 0/);
    expect(() => softUpdate(g, 2)).toThrow(/tau must be in \[0, 1\]/);
  });
});

describe("Mlp.backward options (only the gradients a caller needs)", () => {
  it("params: false leaves parameter gradients alone; input columns [from, from+count) match the full input gradient and the f64 reference", async () => {
    const sizes = [11, 7, 5], acts: Activation[] = ["tanh", "relu"], Bq = 6;
    const plan = new MemoryPlan();
    const group = plan.paramGroup("q");
    const mlp = new Mlp(plan, group, "q", { sizes, activations: acts, inputGrad: true }, Bq);
    const part = plan.f32("part", "io", Bq * 4);
    await loadEngine(plan);
    const rng = new Rng(3);
    mlp.initialize(rng);
    const x = mlp.input.f32().subarray(0, Bq * 11);
    for (let i = 0; i < x.length; i++) x[i] = rng.normal();
    const dy = Float32Array.from({ length: Bq * 5 }, () => rng.normal());
    mlp.forward(Bq);
    // the f64 reference's input gradient
    const ref = refFromWasm(mlp);
    const outs = ref.forward(Bq, x);
    let g: ArrayLike<number> = dy;
    for (let l = 1; l >= 0; l--) {
      const L = ref.layers[l];
      g = denseBackward(Bq, L.I, L.O, l === 0 ? x : outs[0], L.w, outs[l], g, L.act).dinp;
    }
    const grads = group.arenaView("grad");
    grads.fill(0);
    mlp.dout.f32().set(dy);
    mlp.backward(Bq);
    expectClose(mlp.dinput!.f32().subarray(0, Bq * 11), g, { atol: 1e-6, rtol: 1e-5 }, "full input gradient");
    const full = Float32Array.from(mlp.dinput!.f32().subarray(0, Bq * 11));
    const paramGrads = Float32Array.from(grads);
    expect(paramGrads.some((v) => v !== 0)).toBe(true);
    // input gradient of columns 3..6 only, no parameter gradients
    grads.fill(0);
    mlp.dout.f32().set(dy);
    mlp.backward(Bq, mlp.input.ptr, { params: false, input: { ptr: part.ptr, from: 3, count: 4 } });
    expect(grads.every((v) => v === 0)).toBe(true);
    const want = Array.from({ length: Bq * 4 }, (_, i) => full[Math.floor(i / 4) * 11 + 3 + (i % 4)]);
    expectClose(part.f32(), want, { atol: 1e-6, rtol: 1e-6 }, "input columns 3..6");
    // parameter gradients without any input gradient
    mlp.dinput!.f32().fill(-7);
    mlp.dout.f32().set(dy);
    mlp.backward(Bq, mlp.input.ptr, { input: null });
    expectClose(grads, paramGrads, { atol: 1e-7, rtol: 1e-6 }, "parameter gradients");
    expect(mlp.dinput!.f32().every((v) => v === -7)).toBe(true);
    // out-of-range columns are refused by name
    expect(() => mlp.backward(Bq, mlp.input.ptr, { input: { ptr: part.ptr, from: 9, count: 4 } })).toThrow(/q\.0: inputRows \[9, 4\] outside the 11 inputs/);
  });
});
