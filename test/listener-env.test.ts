// The online environment over the ground-truth listener, and the end-to-end check that DDPG
// learns: a trained policy beats the random policy on fresh listeners.
import { describe, it, expect } from "vitest";
import { ListenerModel } from "../src/data/synth.js";
import { ListenerEnv } from "../src/rl/listener-env.js";
import type { Policy } from "../src/core/policy.js";
import { Rng } from "../src/rng.js";
import { MemoryPlan } from "../src/engine/plan.js";
import { DdpgAgent, LISTWISE_NETWORKS, type DdpgConfig } from "../src/agent/ddpg.js";
import { DdpgPolicy } from "../src/agent/policy.js";
import { Trainer } from "../src/agent/train.js";
import { loadEngine } from "./util/engine.js";
import { runOnline } from "../src/eval/protocols/online.js";
import { allocStates } from "../src/core/state.js";

const N = 10, K = 3;

/** Mean episode reward of a policy over `episodes` fresh listeners (seeded). */
function meanReward(env: ListenerEnv, policy: Policy, episodes: number, seed: number): number {
  const rng = new Rng(seed), prng = new Rng(seed + 1);
  const list = new Int32Array(K);
  let total = 0;
  for (let e = 0; e < episodes; e++) {
    let s = env.reset(rng);
    for (;;) {
      policy.recommend(s, 1, K, list, prng);
      const r = env.step(list);
      total += r.reward;
      if (r.done) break;
      s = r.next;
    }
  }
  return total / episodes;
}

const random: Policy = {
  name: "random",
  recommend(states, B, K2, out, rng) {
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < K2; k++) {
        let t: number;
        do t = rng.int(400); while (states.tracks.subarray(b * N, b * N + N).includes(t) || out.subarray(b * K2, b * K2 + k).includes(t));
        out[b * K2 + k] = t;
      }
    }
  },
};

describe("ListenerEnv", () => {
  const model = new ListenerModel({ numTracks: 400, numGenres: 8, seed: 3 });

  it("resets to a fresh history of N distinct tracks, deterministic under the seed", () => {
    const env = new ListenerEnv(model);
    const a = Array.from(env.reset(new Rng(1)).tracks);
    const b = Array.from(env.reset(new Rng(2)).tracks);
    const a2 = Array.from(env.reset(new Rng(1)).tracks);
    expect(new Set(a).size).toBe(N);
    expect(a).toEqual(a2);
    expect(a).not.toEqual(b);
    expect(env.t).toBe(0);
    expect(env.listener!.position).toBe(N);
  });

  it("a reset history carries the feedback the listener gave each of its plays", () => {
    // Replay the history's tracks to a listener drawn from the same stream: its skips are the flags.
    const env = new ListenerEnv(model);
    let skipped = 0;
    for (let seed = 0; seed < 20; seed++) {
      const s = env.reset(new Rng(seed));
      const probe = new Rng(seed), listener = model.newListener(probe);
      for (let n = 0; n < N; n++) {
        const was = model.play(listener, s.tracks[n]);
        expect(s.kept[n]).toBe(was ? 0 : 1);
        if (was) skipped++;
      }
    }
    // Both kinds of feedback occur (about half the plays are skipped).
    expect(skipped).toBeGreaterThan(40);
    expect(skipped).toBeLessThan(160);
  });

  it("plays lists: flags follow the listener, the state advances with every played track and its flag, episodes end", () => {
    const env = new ListenerEnv(model, { steps: 3 });
    const st0 = env.reset(new Rng(5));
    const s0 = Array.from(st0.tracks), k0 = Array.from(st0.kept);
    const list = new Int32Array([100, 101, 102].map((t) => (s0.includes(t) ? t + 200 : t)));
    const r = env.step(list);
    expect(Array.from(r.next.tracks)).toEqual([...s0, ...list].slice(-N));
    expect(Array.from(r.next.kept)).toEqual([...k0, ...Array.from(r.rewards)].slice(-N));
    expect(r.reward).toBeCloseTo(r.rewards[0] + 0.9 * r.rewards[1] + 0.81 * r.rewards[2], 6);
    expect(env.listener!.position).toBe(N + K);
    expect(r.done).toBe(false);
    env.step(new Int32Array([200, 201, 202].filter((t) => !r.next.tracks.includes(t)).concat([300, 301, 302]).slice(0, 3)));
    const last = env.step(new Int32Array([310, 311, 312]));
    expect(last.done).toBe(true);
    expect(() => env.step(new Int32Array([320, 321, 322]))).toThrow(/reset/);
    env.reset(new Rng(5));
    expect(() => env.step(new Int32Array([s0[0], 1, 2]))).toThrow(/already in the state/);
  });

  it("works in any catalog order: a permuted catalog plays the same model tracks", () => {
    const V = model.numTracks;
    const perm = Int32Array.from({ length: V }, (_, i) => i);
    new Rng(4).shuffle(perm);
    const plain = new ListenerEnv(model), mapped = new ListenerEnv(model, { catalog: perm });
    const inv = new Int32Array(V);
    perm.forEach((m, c) => (inv[m] = c));
    const a = plain.reset(new Rng(8)).tracks, b = mapped.reset(new Rng(8)).tracks;
    expect(Array.from(b, (c) => perm[c])).toEqual(Array.from(a));
    const list = new Int32Array([0, 1, 2].map((k) => 50 + k).filter((t) => !a.includes(t)).slice(0, 3));
    expect(list.length).toBe(3);
    const ra = Array.from(plain.step(list).rewards);
    const rb = Array.from(mapped.step(Int32Array.from(list, (m) => inv[m])).rewards);
    expect(rb).toEqual(ra);
    expect(() => new ListenerEnv(model, { catalog: new Int32Array([1, 1, 2]) })).toThrow(/appears twice/);
  });

  it("the oracle recommends the least-skipped unheard tracks and beats random", () => {
    const env = new ListenerEnv(model);
    const oracle = env.oracle();
    const s = env.reset(new Rng(9));
    const out = new Int32Array(K);
    oracle.recommend(s, 1, K, out, new Rng(0));
    const probs = new Float64Array(model.numTracks);
    model.skipProbabilities(env.listener!, probs);
    const ranked = Array.from(probs.keys()).filter((i) => !s.tracks.includes(i)).sort((x, y) => probs[x] - probs[y] || x - y);
    expect(Array.from(out)).toEqual(ranked.slice(0, K));
    expect(meanReward(env, oracle, 200, 11)).toBeGreaterThan(meanReward(env, random, 200, 11) + 0.5);
  });
});

describe("the oracle of environments run in lockstep", () => {
  it("each row gets its own listener's best tracks: the online figures of 6 lockstep environments equal one environment's", () => {
    const model = new ListenerModel({ numTracks: 400, numGenres: 8, seed: 3 });
    const one = new ListenerEnv(model, { steps: 3 });
    const envs = Array.from({ length: 6 }, () => new ListenerEnv(model, { steps: 3 }));
    const single = runOnline(one, [one.oracle()], { seeds: [4], episodes: 20, bootstrap: { B: 20 } });
    const lockstep = runOnline(envs, [ListenerEnv.oracleOf(envs)], { seeds: [4], episodes: 20, bootstrap: { B: 20 } });
    const mean = (r: typeof single, m: string) => r.metrics.find((x) => x.metric === m)!.values.oracle.mean;
    expect(mean(lockstep, "episode_reward")).toBe(mean(single, "episode_reward"));
    expect(mean(lockstep, "reward_flags")).toBe(mean(single, "reward_flags"));
    expect(mean(single, "episode_reward")).toBeGreaterThan(0);
    // outside the protocol, without the rows' environments, it refuses a batch
    const oracle = ListenerEnv.oracleOf(envs), s = allocStates(2, 10);
    expect(() => oracle.recommend(s, 2, 3, new Int32Array(6), new Rng(0))).toThrow(/rows' environments were given for -1/);
    expect(() => ListenerEnv.oracleOf([one, new ListenerEnv(new ListenerModel({ numTracks: 50, seed: 1 }))])).toThrow(/share one listener model/);
  });
});

/** Standardised audio features (zero mean, unit variance per column) as track embeddings (V, F). */
function standardisedFeatures(m: ListenerModel): { E: Float32Array; d: number } {
  const V = m.numTracks, F = m.features.length / V;
  const E = new Float32Array(V * F);
  for (let f = 0; f < F; f++) {
    let s = 0, s2 = 0;
    for (let i = 0; i < V; i++) s += m.features[i * F + f];
    const mean = s / V;
    for (let i = 0; i < V; i++) s2 += (m.features[i * F + f] - mean) ** 2;
    const sd = Math.sqrt(s2 / V) || 1;
    for (let i = 0; i < V; i++) E[i * F + f] = (m.features[i * F + f] - mean) / sd;
  }
  return { E, d: F };
}

/** Content baseline: the K unheard tracks closest (dot product) to the history's mean embedding. */
function contentPolicy(E: Float32Array, V: number, d: number): Policy {
  const mean = new Float64Array(d), score = new Float64Array(V);
  return {
    name: "content",
    recommend(st, _B, K2, out) {
      const states = st.tracks;
      mean.fill(0);
      for (let n = 0; n < N; n++) for (let j = 0; j < d; j++) mean[j] += E[states[n] * d + j];
      for (let i = 0; i < V; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += mean[j] * E[i * d + j];
        score[i] = states.subarray(0, N).includes(i) ? -Infinity : s;
      }
      for (let k = 0; k < K2; k++) {
        let best = -1;
        for (let i = 0; i < V; i++) if (score[i] > -Infinity && (best < 0 || score[i] > score[best])) best = i;
        out[k] = best;
        score[best] = -Infinity;
      }
    },
  };
}

/**
 * The listener of the training tests (400 tracks, 8 genres) and an agent on it: the default
 * networks without candidate sources, the tracks' standardised audio features as embeddings,
 * the CLI's learning rates; `config` adds to that.
 */
async function listenerAgent(config: Partial<DdpgConfig>) {
  const model = new ListenerModel({ numTracks: 400, numGenres: 8, seed: 3 });
  const env = new ListenerEnv(model);
  const V = model.numTracks;
  const { E, d } = standardisedFeatures(model);
  const plan = new MemoryPlan();
  const catalog = plan.f32("catalog", "data", V * d);
  const agent = new DdpgAgent(plan, { region: catalog, V, d }, { ...LISTWISE_NETWORKS, sources: [], batch: 32, actorLr: 1e-3, criticLr: 3e-4, tau: 0.01, ...config });
  await loadEngine(plan);
  catalog.f32().set(E);
  agent.initialize(new Rng(3));
  return { env, agent, policy: new DdpgPolicy(agent), E, V, d };
}

describe("DDPG on the ground-truth listener", () => {
  // 400 tracks in 8 genres; the embeddings are the tracks' 29 standardised audio features, which
  // carry the listener model's latent taste only partly (the content baseline shows how much).
  // The agent: the default (listwise) networks without candidate sources: skip-aware pools of the
  // history, an L2-normalised actor with a per-track bias, the item critic re-ranking the actor's
  // 10 candidates per slot, starting from "similar to what the listener kept"; γ = 0, so the
  // critic learns each track's keep flag. Exploration: Gaussian noise 0.5 per component of the
  // weight vectors, Gumbel temperature 0.1 on the critic's choice.
  // Measured (mean list reward per 4-list episode, 300 fresh listeners; random 3.18, content
  // 4.99, untrained 4.46, oracle 6.63): trained 5.09 / 5.24 / 5.04 with trainer seeds 3 / 4 / 5
  // after 1,500 episodes.
  it("training improves on the untrained agent, random and the content baseline on fresh listeners", async () => {
    const { env, agent, policy, E, V, d } = await listenerAgent({ gamma: 0 });
    const EVAL = 300, EVAL_SEED = 77;
    const untrained = meanReward(env, policy, EVAL, EVAL_SEED);
    const trainer = new Trainer(agent, env, { seed: 3, noise: { kind: "gaussian", sigma: 0.5, sigmaMin: 0.5, decay: 1 }, temperature: 0.1 });
    const metrics = trainer.run(1500);
    const trained = meanReward(env, policy, EVAL, EVAL_SEED);
    const rand = meanReward(env, random, EVAL, EVAL_SEED);
    const content = meanReward(env, contentPolicy(E, V, d), EVAL, EVAL_SEED);
    const oracle = meanReward(env, env.oracle(), EVAL, EVAL_SEED);
    const last = metrics.slice(-50);
    const loss = last.reduce((a, m) => a + m.criticLoss, 0) / last.length;
    console.log(`mean list reward per episode over ${EVAL} fresh listeners: random ${rand.toFixed(3)}, untrained DDPG ${untrained.toFixed(3)}, ` +
      `trained DDPG ${trained.toFixed(3)} (1,500 episodes, critic loss ${loss.toFixed(3)} over the last 50), content ${content.toFixed(3)}, oracle ${oracle.toFixed(3)}`);
    expect(Number.isFinite(loss)).toBe(true);
    expect(trained).toBeGreaterThan(rand + 1.5);
    expect(trained).toBeGreaterThan(untrained + 0.3);
    expect(trained).toBeGreaterThan(content);
  }, 60_000);

  // γ = 0.9 with the CLI's preset for γ > 0 (TD3: twin critics, policy delay 2, target smoothing
  // 0.05). The original's critic over-estimated Q 3–7× at γ = 0.9, growing, and its reward fell
  // toward random. Here the critic's prediction on greedy episodes must stay within 2.5× of the
  // discounted return measured on them and must not grow between 600 and 1,200 episodes, and the
  // policy must improve on the untrained one. Some over-estimation remains, for two reasons
  // stated in the README: the 4-list episode's end is not in the state (the critic averages the
  // return-to-go over the steps, and bootstraps from that average), and the list is the argmax
  // of estimated item values. Measured: ratio 2.39 at 600 and 2.08 at 1,200 episodes, stable
  // near 1.8 to 3,000.
  it("γ = 0.9 with TD3 does not diverge: predicted Q stays near the measured discounted return and does not grow", async () => {
    const { env, agent, policy } = await listenerAgent({ gamma: 0.9, twin: true, policyDelay: 2, targetNoise: 0.05 });
    const EVAL = 300, EVAL_SEED = 77;
    const untrained = meanReward(env, policy, EVAL, EVAL_SEED);
    const trainer = new Trainer(agent, env, { seed: 3, noise: { kind: "gaussian", sigma: 0.5, sigmaMin: 0.5, decay: 1 }, temperature: 0.1 });
    const ratios: number[] = [];
    for (const round of [1, 2]) {
      const metrics = trainer.run(600);
      for (const m of metrics) if (m.updates > 0) expect(Number.isFinite(m.criticLoss) && Number.isFinite(m.meanQ)).toBe(true);
      const c = trainer.evaluate(50);
      ratios.push(c.predictedQ / c.measuredReturn);
      console.log(`γ = 0.9, ${round * 600} episodes: predicted Q ${c.predictedQ.toFixed(3)}, measured discounted return ${c.measuredReturn.toFixed(3)} (ratio ${ratios[round - 1].toFixed(2)})`);
    }
    const trained = meanReward(env, policy, EVAL, EVAL_SEED);
    console.log(`γ = 0.9: mean list reward per episode untrained ${untrained.toFixed(3)}, trained ${trained.toFixed(3)} (1,200 episodes)`);
    expect(ratios[1]).toBeGreaterThan(0.5);
    expect(ratios[1]).toBeLessThan(2.5);
    expect(ratios[1]).toBeLessThan(ratios[0] * 1.1);
    expect(trained).toBeGreaterThan(untrained);
  }, 120_000);
});
