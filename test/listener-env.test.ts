// The online environment over the ground-truth listener, and the end-to-end check that DDPG
// learns: a trained policy beats the random policy on fresh listeners.
import { describe, it, expect } from "vitest";
import { ListenerModel } from "../src/data/synth.js";
import { ListenerEnv } from "../src/rl/listener-env.js";
import type { Policy } from "../src/eval/policy.js";
import { Rng } from "../src/rng.js";

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
        do t = rng.int(400); while (states.subarray(b * N, b * N + N).includes(t) || out.subarray(b * K2, b * K2 + k).includes(t));
        out[b * K2 + k] = t;
      }
    }
  },
};

describe("ListenerEnv", () => {
  const model = new ListenerModel({ numTracks: 400, numGenres: 8, seed: 3 });

  it("resets to a fresh history of N distinct tracks, deterministic under the seed", () => {
    const env = new ListenerEnv(model);
    const a = Array.from(env.reset(new Rng(1)));
    const b = Array.from(env.reset(new Rng(2)));
    const a2 = Array.from(env.reset(new Rng(1)));
    expect(new Set(a).size).toBe(N);
    expect(a).toEqual(a2);
    expect(a).not.toEqual(b);
    expect(env.t).toBe(0);
    expect(env.listener!.position).toBe(N);
  });

  it("plays lists: flags follow the listener, the state advances with kept tracks, episodes end", () => {
    const env = new ListenerEnv(model, { steps: 3 });
    const s0 = Array.from(env.reset(new Rng(5)));
    const list = new Int32Array([100, 101, 102].map((t) => (s0.includes(t) ? t + 200 : t)));
    const r = env.step(list);
    const kept = Array.from(list).filter((_, k) => r.rewards[k] === 1);
    expect(Array.from(r.next)).toEqual([...s0, ...kept].slice(-N));
    expect(r.reward).toBeCloseTo(r.rewards[0] + 0.9 * r.rewards[1] + 0.81 * r.rewards[2], 6);
    expect(env.listener!.position).toBe(N + K);
    expect(r.done).toBe(false);
    env.step(new Int32Array([200, 201, 202].filter((t) => !r.next.includes(t)).concat([300, 301, 302]).slice(0, 3)));
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
    const a = plain.reset(new Rng(8)), b = mapped.reset(new Rng(8));
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
    const ranked = Array.from(probs.keys()).filter((i) => !s.includes(i)).sort((x, y) => probs[x] - probs[y] || x - y);
    expect(Array.from(out)).toEqual(ranked.slice(0, K));
    expect(meanReward(env, oracle, 200, 11)).toBeGreaterThan(meanReward(env, random, 200, 11) + 0.5);
  });
});
