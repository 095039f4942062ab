// The DDPG agent on the release engine: the original project's bugs proven absent
// (actor ascends Q, all N history items read, lists distinct and unheard), learning sanity,
// determinism.
import { describe, it, expect } from "vitest";
import { MemoryPlan } from "../src/engine/plan.js";
import { DdpgAgent, LISTWISE_NETWORKS, W1_NETWORKS, type DdpgConfig, type TransitionBatch } from "../src/agent/ddpg.js";
import { DdpgPolicy } from "../src/agent/policy.js";
import { Rng } from "../src/rng.js";
import { loadEngine } from "./util/engine.js";
import { expectClose } from "./util/close.js";
import { ddpgUpdateRef, refTwin } from "./reference/ddpg.js";
import { softUpdate } from "../src/nn/adam.js";
import { fitSources } from "../src/eval/sources.js";
import type { States } from "../src/core/state.js";

const V = 300, d = 8, N = 10, K = 3;

async function makeAgent(seed: number, config: Partial<DdpgConfig> = {}) {
  const plan = new MemoryPlan();
  const E = plan.f32("catalog", "data", V * d);
  const agent = new DdpgAgent(plan, { region: E, V, d }, { batch: 16, ...config }, { maxActBatch: 32 });
  await loadEngine(plan);
  const rng = new Rng(seed);
  const e = E.f32();
  for (let i = 0; i < e.length; i++) e[i] = rng.normal() / Math.sqrt(d);
  agent.initialize(rng);
  return { agent, rng, plan };
}

/** B random states of N distinct tracks each, with random feedback flags. */
function randomStates(rng: Rng, B: number): States {
  const s = new Int32Array(B * N), kept = new Uint8Array(B * N);
  for (let i = 0; i < B * N; i++) kept[i] = rng.int(2);
  for (let b = 0; b < B; b++) {
    const seen = new Set<number>();
    for (let n = 0; n < N; n++) {
      let t: number;
      do t = rng.int(V); while (seen.has(t));
      seen.add(t);
      s[b * N + n] = t;
    }
  }
  return { tracks: s, kept };
}

function randomBatch(rng: Rng, B: number): TransitionBatch {
  const states = randomStates(rng, B), next = randomStates(rng, B);
  const actions = new Int32Array(B * K), reward = new Float32Array(B), dones = new Uint8Array(B);
  for (let i = 0; i < B * K; i++) actions[i] = rng.int(V);
  for (let i = 0; i < B; i++) {
    reward[i] = rng.int(K + 1);
    dones[i] = rng.float() < 0.1 ? 1 : 0;
  }
  return { B, states: states.tracks, kept: states.kept, actions, reward, nexts: next.tracks, nextKept: next.kept, dones };
}

// The W1 shapes (flat encoder, 256-wide MLPs) are benchmarked; tests use the same structure narrower.
const FLAT: Partial<DdpgConfig> = {
  actor: { ...W1_NETWORKS.actor, hidden: [32, 24] },
  critic: { ...W1_NETWORKS.critic, hidden: [32, 24] },
};
const REFERENCED: [string, Partial<DdpgConfig>][] = [
  ["GRU over [embedding | kept] (the original's networks, the defaults)", {}],
  ["flat [embedding | kept] state, MLP (W1's structure)", FLAT],
];
const ENCODERS: [string, Partial<DdpgConfig>][] = [
  ["pooled feedback, biased L2 actor, item critic re-ranking (LISTWISE_NETWORKS, no candidate sources)", { ...LISTWISE_NETWORKS, sources: [] }],
  ["the same with TD3 (twin critics, delay 2, target smoothing), γ = 0.9", { ...LISTWISE_NETWORKS, sources: [], twin: true, policyDelay: 2, targetNoise: 0.2, gamma: 0.9 }],
  ...REFERENCED,
];

describe.each(ENCODERS)("DDPG agent, %s", (_name, nets) => {
  it("one actor update raises Q under a fixed critic (the actor ascends Q)", async () => {
    for (const seed of [1, 2, 3]) {
      const { agent, rng } = await makeAgent(seed, { ...nets, actorLr: 1e-3 });
      // give the critic some shape first so ∂Q/∂a is informative
      for (let i = 0; i < 5; i++) agent.updateCritic(randomBatch(rng, 16), rng);
      const states = randomStates(rng, 16);
      const before = agent.policyValue(states, 16);
      const objective = agent.updateActor(states, 16);
      const after = agent.policyValue(states, 16);
      expect(objective).toBeCloseTo(before, 6);
      expect(after).toBeGreaterThan(before);
    }
  });

  it("changing the oldest history item changes the actor's output", async () => {
    const { agent, rng } = await makeAgent(4, nets);
    const states = randomStates(rng, 1);
    const w0 = Float32Array.from(agent.weights(states, 1));
    for (let n = 0; n < N; n++) {
      const changed = { tracks: states.tracks.slice(), kept: states.kept.slice() };
      let t: number;
      do t = rng.int(V); while (changed.tracks.includes(t));
      changed.tracks[n] = t;
      const w1 = agent.weights(changed, 1);
      let diff = 0;
      for (let i = 0; i < w0.length; i++) diff = Math.max(diff, Math.abs(w1[i] - w0[i]));
      expect(diff, `history position ${n} (0 = oldest)`).toBeGreaterThan(1e-6);
    }
  });

  it("flipping one play's feedback (kept ↔ skipped) changes the actor's output: the state is skip-aware", async () => {
    const { agent, rng } = await makeAgent(14, nets);
    const states = randomStates(rng, 1);
    const w0 = Float32Array.from(agent.weights(states, 1));
    for (let n = 0; n < N; n++) {
      const flipped = { tracks: states.tracks.slice(), kept: states.kept.slice() };
      flipped.kept[n] = 1 - flipped.kept[n];
      const w1 = agent.weights(flipped, 1);
      let diff = 0;
      for (let i = 0; i < w0.length; i++) diff = Math.max(diff, Math.abs(w1[i] - w0[i]));
      expect(diff, `feedback of history position ${n}`).toBeGreaterThan(1e-6);
    }
  });

  it("every list holds K distinct tracks, none already in the state, with and without exploration noise", async () => {
    const { agent, rng } = await makeAgent(5, nets);
    const B = 32;
    const out = new Int32Array(B * K);
    for (let round = 0; round < 10; round++) {
      const states = randomStates(rng, B);
      const noisy = round % 2 === 1;
      agent.recommend(states, B, out, noisy ? { rng, perturb: (w) => { for (let i = 0; i < w.length; i++) w[i] += rng.normal(); }, temperature: 0.5 } : undefined);
      for (let b = 0; b < B; b++) {
        const list = Array.from(out.subarray(b * K, b * K + K));
        const state = Array.from(states.tracks.subarray(b * N, b * N + N));
        expect(new Set(list).size).toBe(K);
        for (const t of list) {
          expect(t).toBeGreaterThanOrEqual(0);
          expect(t).toBeLessThan(V);
          expect(state).not.toContain(t);
        }
      }
    }
  });

  it("the critic fits a fixed batch: its TD loss falls", async () => {
    const { agent, rng } = await makeAgent(6, { ...nets, gamma: 0 });
    const batch = randomBatch(rng, 16);
    const first = agent.updateCritic(batch, rng).criticLoss;
    let last = first;
    // the default critic is linear in its features: Adam at lr 1e-3 from a 3e-3 init needs more steps
    for (let i = 0; i < 1000; i++) last = agent.updateCritic(batch, rng).criticLoss;
    expect(last).toBeLessThan(first / 4);
  });

  it("is deterministic: the same seed gives the same parameters after updates", async () => {
    const run = async () => {
      const { agent, rng } = await makeAgent(7, nets);
      for (let i = 0; i < 5; i++) agent.update(randomBatch(rng, 16), rng);
      return [Float32Array.from(agent.actor.group.arenaView("value")), Float32Array.from(agent.critic.group.arenaView("target"))];
    };
    const [a, b] = [await run(), await run()];
    expect(Buffer.from(a[0].buffer).equals(Buffer.from(b[0].buffer))).toBe(true);
    expect(Buffer.from(a[1].buffer).equals(Buffer.from(b[1].buffer))).toBe(true);
  });
});

describe("critic re-ranking (Wolpertinger)", () => {
  it("the chosen list is the critic's argmax among every distinct list of the candidates, which the actor and the sources proposed", async () => {
    const sessions = Array.from({ length: 120 }, (_, s) => Array.from({ length: 12 }, (_, r) => (s * 7 + r * 13 + (r % 3) * 41) % V));
    const offsets = new Int32Array(sessions.length + 1);
    sessions.forEach((x, s) => (offsets[s + 1] = offsets[s] + x.length));
    const tracks = Int32Array.from(sessions.flat()), flags = Uint16Array.from(tracks, (t) => (t % 3 === 0 ? 2 : 0));
    const sourceSessions = { V, sessionOffsets: offsets, tracks, flags };
    const sources = fitSources(["popular", "item-knn", "sknn"], sourceSessions);
    const plan = new MemoryPlan();
    const E = plan.f32("catalog", "data", V * d);
    const agent = new DdpgAgent(plan, { region: E, V, d }, { ...LISTWISE_NETWORKS, sources: ["popular", "item-knn", "sknn"], batch: 16, gamma: 0 }, { maxActBatch: 8, sources, sourceSessions });
    await loadEngine(plan);
    const rng = new Rng(21);
    for (let i = 0; i < V * d; i++) E.f32()[i] = rng.normal() / Math.sqrt(d);
    agent.initialize(rng);
    for (let i = 0; i < 30; i++) agent.update({ ...randomBatch(rng, 16), rewards: Float32Array.from({ length: 16 * K }, () => rng.int(2)) }, rng);
    const B = 8, states = randomStates(rng, B), out = new Int32Array(B * K);
    agent.recommend(states, B, out);
    const w = Float32Array.from(agent.weights(states, B)); // the actor's vectors, to check the pool holds their top tracks
    agent.recommend(states, B, out);
    const G = [1, 0.9, 0.81];
    for (let b = 0; b < B; b++) {
      const pool = agent.lastPool(b), P = pool.tracks.length, tracks = Array.from(pool.tracks), scores = Array.from(pool.scores);
      expect(new Set(tracks).size).toBe(P);
      const st = Array.from(states.tracks.subarray(b * N, b * N + N));
      for (const t of tracks) expect(st).not.toContain(t);
      // brute force over every ordered list of K distinct candidates
      let best = -Infinity, arg: number[] = [];
      for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) for (let k = 0; k < P; k++) {
        if (i === j || i === k || j === k) continue;
        const q = G[0] * scores[i] + G[1] * scores[j] + G[2] * scores[k];
        if (q > best) { best = q; arg = [tracks[i], tracks[j], tracks[k]]; }
      }
      expect(Array.from(out.subarray(b * K, b * K + K))).toEqual(arg);
      // the critic's own Q of the chosen list (scored afresh as a list) is that maximum
      const qChosen = agent.q({ tracks: states.tracks.subarray(b * N, b * N + N), kept: states.kept.subarray(b * N, b * N + N) }, out.subarray(b * K, b * K + K), 1)[0];
      expect(Math.abs(qChosen - best)).toBeLessThan(1e-4 * (1 + Math.abs(best)));
      // each slot's own best track under its weight vector is a candidate (the actor proposes)
      const A = agent.A;
      for (let k = 0; k < K; k++) {
        let top = -1, topScore = -Infinity;
        for (let t = 0; t < V; t++) {
          if (st.includes(t)) continue;
          let sc = w[(b * K + k) * A + d] * agent.bias!.view("value")[t];
          for (let j = 0; j < d; j++) sc += w[(b * K + k) * A + j] * E.f32()[t * d + j];
          if (sc > topScore) { topScore = sc; top = t; }
        }
        if (k === 0) expect(tracks).toContain(top);
      }
    }
  });
});

describe("DDPG as a Policy", () => {
  it("batches any number of states and honours extra exclusions", async () => {
    const plan = new MemoryPlan();
    const E = plan.f32("catalog", "data", V * d);
    const agent = new DdpgAgent(plan, { region: E, V, d }, { batch: 16 }, { maxActBatch: 8, maxExtraExclusions: 4 });
    await loadEngine(plan);
    const rng = new Rng(9);
    for (let i = 0; i < V * d; i++) E.f32()[i] = rng.normal();
    agent.initialize(rng);
    const policy = new DdpgPolicy(agent);
    const B = 21, states = randomStates(rng, B);
    const plain = new Int32Array(B * K);
    policy.recommend(states, B, K, plain, rng);
    // exclude each row's own first two recommendations: they must be replaced
    const ids = new Int32Array(B * 4).fill(-1);
    for (let b = 0; b < B; b++) ids.set(plain.subarray(b * K, b * K + 2), b * 4);
    const out = new Int32Array(B * K);
    policy.recommend(states, B, K, out, rng, { ids, X: 4 });
    for (let b = 0; b < B; b++) {
      const row = Array.from(out.subarray(b * K, b * K + K));
      expect(new Set(row).size).toBe(K);
      for (const t of row) {
        expect(Array.from(ids.subarray(b * 4, b * 4 + 2))).not.toContain(t);
        expect(Array.from(states.tracks.subarray(b * N, b * N + N))).not.toContain(t);
      }
    }
    expect(() => policy.recommend(states, B, 2, out, rng)).toThrow(/lists of K = 3/);
  });
});

describe("DDPG agent checks", () => {
  it("rejects bad indices and batch sizes with clear messages", async () => {
    const { agent, rng } = await makeAgent(8);
    const bad = randomBatch(rng, 4);
    bad.actions[5] = V + 3;
    expect(() => agent.update(bad)).toThrow(/action index 303 at position 5 is not a track in \[0, 300\)/);
    expect(() => agent.update(randomBatch(rng, 17))).toThrow(/batch of 17 rows outside 1\.\.16/);
    const states = randomStates(rng, 1);
    states.tracks[0] = -1;
    expect(() => agent.weights(states, 1)).toThrow(/state index -1/);
  });
});

describe.each(REFERENCED)("DDPG update vs the f64 reference (test/reference/ddpg.ts), %s", (_name, nets) => {
  it.each(["selected", "proto"] as const)("TD target on the %s action: same targets, critic loss and gradients, actor objective and gradients, and parameters after one update", async (targetAction) => {
    const { agent, rng } = await makeAgent(9, { ...nets, actorLr: 1e-3, targetAction });
    for (let i = 0; i < 2; i++) agent.update(randomBatch(rng, 16), rng);
    const cfg = agent.config, catalog = agent.catalog.region.f32();
    const ra = refTwin(agent, "actor"), rc = refTwin(agent, "critic");
    const batch = randomBatch(rng, 16);
    const ref = ddpgUpdateRef(ra, rc, catalog, { N, K, d, gamma: cfg.gamma, tau: cfg.tau, actorLr: cfg.actorLr, criticLr: cfg.criticLr, targetAction }, batch);
    const c = agent.updateCritic(batch);
    expect(c.meanTarget).toBeCloseTo(ref.meanTarget, 5);
    expect(Math.abs(c.criticLoss - ref.criticLoss)).toBeLessThan(1e-5 * (1 + ref.criticLoss));
    const scale = (a: ArrayLike<number>) => Math.max(...Array.from(a, Math.abs));
    expectClose(agent.critic.group.arenaView("grad"), ref.criticGrad, { atol: 1e-5 * scale(ref.criticGrad), rtol: 1e-4 }, "critic gradients");
    const objective = agent.updateActor({ tracks: batch.states, kept: batch.kept }, 16);
    expect(Math.abs(objective - ref.actorObjective)).toBeLessThan(1e-5 * (1 + Math.abs(ref.actorObjective)));
    expectClose(agent.actor.group.arenaView("grad"), ref.actorGrad, { atol: 1e-4 * scale(ref.actorGrad), rtol: 1e-3 }, "actor gradients");
    softUpdate(agent.actor.group, cfg.tau);
    softUpdate(agent.critic.group, cfg.tau);
    // Adam moves every parameter by about lr; a gradient near 0 may round to another
    // direction in f32, so parameters compare to a fraction of lr, with rare exceptions
    for (const [net, r, lr] of [[agent.actor, ra, cfg.actorLr], [agent.critic, rc, cfg.criticLr]] as const) {
      const v = net.group.arenaView("value");
      let bad = 0;
      for (let i = 0; i < v.length; i++) if (!(Math.abs(v[i] - r.value[i]) <= 0.05 * lr + 1e-6 * Math.abs(r.value[i]))) bad++;
      expect(bad).toBeLessThanOrEqual(Math.ceil(2e-3 * v.length));
      expectClose(net.group.arenaView("target"), r.target, { atol: 1e-6, rtol: 1e-5 }, "target parameters");
    }
  });
});
