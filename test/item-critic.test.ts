// The item critic (src/agent/networks.ts, ItemCritic) end to end: q̄(s, t) = u(s) · z_t with u
// from the skip-aware pool encoder and a head, over P candidate rows per state. Its backward
// pass (rowdot backward → head → pool encoder) is checked against central finite differences of
// L = Σ_{b,p} c_bp · q̄_bp, for every parameter and every candidate-row entry, with a linear head
// (the CLI's: hidden []) and a nonlinear one (hidden [5], tanh). The kernels inside are each
// checked against f64 references in their own tests; this checks how the critic wires them.
//
// Tolerance: the network runs in f32, so a central difference of L (B·P ≈ 20 terms of order 1)
// carries about 1e-6 / (2h) of rounding error; with h = 1e-2: |analytic − numeric| ≤ 2e-3 +
// 1e-2 · |analytic|. Sizes are odd on purpose: N = 5, d = 7 (A = 8 with the bias column),
// F = 3 features, P = 5 candidates, B = 3 states.
import { describe, it, expect } from "vitest";
import { MemoryPlan } from "../src/engine/plan.js";
import { ItemCritic, type NetworkSpec } from "../src/agent/networks.js";
import { Rng } from "../src/rng.js";
import { loadEngine } from "./util/engine.js";

const N = 5, K = 3, d = 7, A = d + 1, F = 3, P = 5, B = 3, H = 1e-2;

async function setup(spec: NetworkSpec) {
  const plan = new MemoryPlan();
  const group = plan.paramGroup("critic");
  const input = { x: plan.f32("state", "io", B * N * d), kept: plan.region("kept", "io", B * N) };
  const critic = new ItemCritic(plan, group, { N, K, d, A, maxBatch: B }, spec, input, F, P, 0.9);
  await loadEngine(plan);
  const rng = new Rng(5);
  critic.initialize(rng);
  // larger random weights than the initialisation's, so every path carries signal
  const value = group.arenaView("value");
  for (let i = 0; i < value.length; i++) value[i] += 0.3 * rng.normal();
  const x = input.x.f32(), kept = input.kept.u8(), cand = critic.cand.f32();
  for (let i = 0; i < B * N * d; i++) x[i] = rng.normal();
  for (let i = 0; i < B * N; i++) kept[i] = rng.int(2);
  for (let i = 0; i < B * P * critic.Z; i++) cand[i] = rng.normal();
  const c = Array.from({ length: B * P }, () => rng.normal());
  const loss = () => {
    critic.forward(B);
    critic.score(B, P);
    const q = critic.qbar.f32();
    let l = 0;
    for (let i = 0; i < B * P; i++) l += c[i] * q[i];
    return l;
  };
  return { plan, group, critic, c, loss };
}

/** (L(a_i + h) − L(a_i − h)) / 2h, a_i restored. */
function centralDifference(a: Float32Array, i: number, loss: () => number): number {
  const v = a[i];
  a[i] = v + H;
  const up = loss();
  a[i] = v - H;
  const down = loss();
  a[i] = v;
  return (up - down) / (2 * H);
}

const SPECS: [string, NetworkSpec][] = [
  ["pool encoder, linear head (the CLI's critic)", { kind: "item", encoder: { kind: "pool", channels: 3 }, hidden: [] }],
  ["pool encoder, hidden [5] tanh", { kind: "item", encoder: { kind: "pool", channels: 3 }, hidden: [5], activation: "tanh" }],
];

describe.each(SPECS)("ItemCritic backward, %s", (_name, spec) => {
  it("parameter gradients and ∂L/∂z of every candidate row match central finite differences", async () => {
    const { group, critic, c, loss } = await setup(spec);
    loss();
    group.arenaView("grad").fill(0);
    critic.dqbar.f32().set(c);
    critic.backwardRows(B);
    const grad = Float64Array.from(group.arenaView("grad"));
    const dcand = Float64Array.from(critic.dcand.f32().subarray(0, B * P * critic.Z));
    const tol = (an: number) => 2e-3 + 1e-2 * Math.abs(an);
    const value = group.arenaView("value");
    let checked = 0, nonzero = 0;
    for (const t of group.tensors) {
      for (let j = 0; j < t.length; j++) {
        const i = t.offset + j, fd = centralDifference(value, i, loss);
        if (!(Math.abs(grad[i] - fd) <= tol(grad[i]))) expect.fail(`${t.name}[${j}]: backward ${grad[i]}, finite difference ${fd}`);
        checked++;
        if (Math.abs(fd) > 1e-3) nonzero++;
      }
    }
    const cand = critic.cand.f32();
    for (let i = 0; i < B * P * critic.Z; i++) {
      const fd = centralDifference(cand, i, loss);
      if (!(Math.abs(dcand[i] - fd) <= tol(dcand[i]))) expect.fail(`dcand[${i}]: backward ${dcand[i]}, finite difference ${fd}`);
    }
    // the check saw real gradients, not a wall of zeros
    expect(checked).toBe(group.tensors.reduce((s, t) => s + t.length, 0));
    expect(nonzero).toBeGreaterThan(checked / 2);
  });
});
