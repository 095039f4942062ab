// One DDPG update (critic step, actor step, soft target updates) at batch 64, d = 32, N = 10,
// K = 3, over a catalog of 35,000 random track embeddings in wasm memory, on a seeded
// replay-like batch of random transitions:
//   W1: flat state encoders, actor 320 → 256 → 256 → 96 (relu, relu, tanh),
//       critic 416 → 256 → 256 → 1 (relu, relu, identity)          (W1_NETWORKS)
//   W2: GRU(32) actor over the 10 steps → 96 (tanh); GRU(10) critic → concat action → 32 → 16 → 1
//                                                                     (ORIGINAL_NETWORKS)
// Baseline: the same update in plain JS f64 (test/reference/ddpg.ts, built from the dense, GRU
// and Adam references, the project's usual scalar-reference baseline), from the same weights.
// Validation before timing: one update in wasm and in the reference from identical weights
// gives the same critic loss, TD target mean, actor objective, critic and actor gradients and
// updated parameters within f32 tolerances. GFLOP/s count the multiply-adds the update must
// do (see updateFlops), not what an implementation happens to compute.
import type { BenchCase } from "./harness.js";
import type { SimdBuild } from "../src/engine/engine.js";
import { loadEngine, randomFill, perSimd, type CaseBody } from "./common.js";
import { MemoryPlan } from "../src/engine/plan.js";
import { DdpgAgent, ORIGINAL_NETWORKS, W1_NETWORKS, type DdpgConfig, type TransitionBatch } from "../src/agent/ddpg.js";
import { softUpdate } from "../src/nn/adam.js";
import { Rng } from "../src/rng.js";
import { ddpgUpdateRef, refTwin, type RefDdpgHyper } from "../test/reference/ddpg.js";

const V = 35_000, d = 32, N = 10, K = 3, B = 64;

function randomBatch(rng: Rng): TransitionBatch {
  const states = new Int32Array(B * N), nexts = new Int32Array(B * N), actions = new Int32Array(B * K);
  const reward = new Float32Array(B), dones = new Uint8Array(B);
  for (let i = 0; i < B * N; i++) { states[i] = rng.int(V); nexts[i] = rng.int(V); }
  for (let i = 0; i < B * K; i++) actions[i] = rng.int(V);
  for (let b = 0; b < B; b++) { reward[b] = rng.int(K + 1); dones[b] = rng.float() < 0.05 ? 1 : 0; }
  const kept = new Uint8Array(B * N), nextKept = new Uint8Array(B * N);
  for (let i = 0; i < B * N; i++) { kept[i] = rng.int(2); nextKept[i] = rng.int(2); }
  return { B, states, kept, actions, reward, nexts, nextKept, dones };
}

/** The reference twin of a network, from the agent's current parameters and Adam state. */

/**
 * Floating-point operations of one update: 2 per multiply-add of every product the update
 * needs. Forward passes: target actor and critic on s', critic on (s, a), actor and critic
 * on s. Critic step backward: dw of every layer, dinput of every layer but the first (and of
 * the first only for the encoding columns when the encoder is a GRU). Actor step: critic
 * backward for ∂Q/∂a only (dinput of every layer, first layer action columns), actor backward
 * (dw of every layer, dinput above the first, into the GRU when there is one). A GRU over T
 * steps costs T·B·(I + H)·3H multiply-adds forward, twice that backward (dw and dinput /
 * dh), minus the input gradient dx, which no one needs.
 */
function updateFlops(cfg: DdpgConfig): number {
  const fwd = (sizes: number[]) => sizes.slice(1).reduce((s, o, l) => s + sizes[l] * o, 0);
  const E = (spec: DdpgConfig["actor"]) => (spec.encoder.kind === "gru" ? spec.encoder.hidden : N * d);
  const aSizes = [E(cfg.actor), ...cfg.actor.hidden, K * d];
  const cSizes = [E(cfg.critic) + K * d, ...cfg.critic.hidden, 1];
  const gruF = (spec: DdpgConfig["actor"]) => (spec.encoder.kind === "gru" ? N * (d + spec.encoder.hidden) * 3 * spec.encoder.hidden : 0);
  const gruB = (spec: DdpgConfig["actor"]) => (spec.encoder.kind === "gru" ? N * (d + 2 * spec.encoder.hidden) * 3 * spec.encoder.hidden : 0);
  const aF = fwd(aSizes) + gruF(cfg.actor), cF = fwd(cSizes) + gruF(cfg.critic);
  const cUpper = fwd(cSizes) - cSizes[0] * cSizes[1];            // layers above the first
  const aUpper = fwd(aSizes) - aSizes[0] * aSizes[1];
  const cEncIn = cfg.critic.encoder.kind === "gru" ? E(cfg.critic) * cSizes[1] : 0;
  const criticStepBwd = fwd(cSizes) + cUpper + cEncIn + gruB(cfg.critic);
  const actorStepCriticBwd = cUpper + K * d * cSizes[1];
  const aEncIn = cfg.actor.encoder.kind === "gru" ? aSizes[0] * aSizes[1] : 0;
  const actorBwd = fwd(aSizes) + aUpper + aEncIn + gruB(cfg.actor);
  // "selected" TD targets score the B·K target weight vectors against the whole catalog
  const selection = cfg.targetAction === "selected" ? K * V * d : 0;
  const macs = 2 * aF + 3 * cF + criticStepBwd + actorStepCriticBwd + actorBwd + selection;
  return 2 * B * macs;
}

function rel(a: number, b: number): number {
  return Math.abs(a - b) / (1e-3 + Math.abs(b));
}

/** max |got − ref| / (atol + rtol·max|ref|) over an arena: ≤ 1 passes. */
function arenaErr(got: ArrayLike<number>, ref: ArrayLike<number>, rtol: number): number {
  let scale = 0;
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]));
  let m = 0;
  for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(got[i] - ref[i]) / (1e-7 + rtol * scale));
  return m;
}

async function makeCase(simd: SimdBuild, label: string, nets: Pick<DdpgConfig, "actor" | "critic">, seed: number, targetAction: DdpgConfig["targetAction"] = "proto"): Promise<CaseBody> {
  const plan = new MemoryPlan();
  const E = plan.f32("catalog", "data", V * d);
  const agent = new DdpgAgent(plan, { region: E, V, d }, { N, K, batch: B, ...nets, targetAction });
  await loadEngine(plan, { simd });
  const rng = new Rng(seed);
  randomFill(E.f32(), rng, Math.sqrt(3 / d));
  agent.initialize(rng);
  const batch = randomBatch(rng);
  const cfg = agent.config;
  const hyper: RefDdpgHyper = { N, K, d, gamma: cfg.gamma, tau: cfg.tau, actorLr: cfg.actorLr, criticLr: cfg.criticLr, targetAction: cfg.targetAction };
  const catalog = E.f32();
  // the baseline's own networks, advanced by the baseline's own updates
  const baseActor = refTwin(agent, "actor"), baseCritic = refTwin(agent, "critic");
  let checked = false;
  return {
    name: `ddpg_update ${label} B=${B}`,
    subject: { label: "wasm simd", fn: () => void agent.update(batch) },
    baseline: { label: "plain JS f64 reference", fn: () => void ddpgUpdateRef(baseActor, baseCritic, catalog, hyper, batch) },
    flops: updateFlops(cfg),
    extra: (ms) => ({ updates_per_s: Math.round(1000 / ms) }),
    validate: () => {
      if (checked) return;
      checked = true;
      // warm the networks up a little so Adam's moments are not trivial, then compare one update
      for (let i = 0; i < 3; i++) agent.update(randomBatch(rng));
      const ra = refTwin(agent, "actor"), rc = refTwin(agent, "critic");
      const check = (what: string, err: number, lim: number) => {
        if (!(err <= lim)) throw new Error(`${what}: error ${err.toExponential(3)} over ${lim}`);
      };
      const ref = ddpgUpdateRef(ra, rc, catalog, hyper, batch);
      const c = agent.updateCritic(batch);
      check("critic loss", rel(c.criticLoss, ref.criticLoss), 1e-4);
      check("mean TD target", rel(c.meanTarget, ref.meanTarget), 1e-4);
      check("critic gradients", arenaErr(agent.critic.group.arenaView("grad"), ref.criticGrad, 1e-4), 1);
      const objective = agent.updateActor({ tracks: batch.states, kept: batch.kept }, B);
      check("actor objective", rel(objective, ref.actorObjective), 1e-3);
      check("actor gradients", arenaErr(agent.actor.group.arenaView("grad"), ref.actorGrad, 1e-3), 1);
      softUpdate(agent.actor.group, cfg.tau); // the rest of update()
      softUpdate(agent.critic.group, cfg.tau);
      // parameters after the step: each moves by about lr (Adam), so compare the moves
      for (const [what, net, r, lr] of [["actor", agent.actor, ra, cfg.actorLr], ["critic", agent.critic, rc, cfg.criticLr]] as const) {
        const v = net.group.arenaView("value"), tg = net.group.arenaView("target");
        let bad = 0, maxTarget = 0;
        for (let i = 0; i < v.length; i++) {
          if (!(Math.abs(v[i] - r.value[i]) <= 0.05 * lr + 1e-6 * Math.abs(r.value[i]))) bad++;
          maxTarget = Math.max(maxTarget, Math.abs(tg[i] - r.target[i]) / (1e-6 + 1e-5 * Math.abs(r.target[i])));
        }
        // a parameter whose f32 gradient is ~0 may round to a different Adam direction: allow 0.1%
        if (bad > 1e-3 * v.length) throw new Error(`${what} parameters: ${bad} of ${v.length} differ from the reference by > 5% of lr`);
        check(`${what} target parameters`, maxTarget, 1);
      }
      for (let i = 0; i < 3; i++) {
        const m = agent.update(batch);
        if (!Number.isFinite(m.criticLoss) || !Number.isFinite(m.actorObjective)) throw new Error("non-finite update metrics");
      }
    },
  };
}

async function casesOn(simd: SimdBuild): Promise<CaseBody[]> {
  return [
    // W1 and W2 time the paper's update (the TD target on the target actor's weight vectors),
    // the form the PyTorch and TensorFlow.js figures of the targets measure
    await makeCase(simd, "W1", W1_NETWORKS, 21),
    await makeCase(simd, "W2", ORIGINAL_NETWORKS, 22),
    // encore's default TD target scores the target actor's B·K weight vectors against the whole
    // catalog (here 35,000 tracks) to pick the tracks it would play: its cost, shown separately
    await makeCase(simd, "W2 selected", ORIGINAL_NETWORKS, 23, "selected"),
  ];
}

export function cases(): Promise<BenchCase[]> {
  return perSimd(casesOn);
}
