// Protocols on hand-built sessions (figures worked out from the definitions), a planted-
// signal dataset where item-kNN must beat random clearly, the online runner on a toy
// environment (single and lockstep-batched environments agree), and evaluate().
import { describe, expect, it } from "vitest";
import { evaluate, runNextTracks, runOnline, runOriginal, recommendAll, subsampleSessions, type EvalSessions } from "../src/eval/protocols.js";
import { ItemKnnPolicy, PopularPolicy, RandomPolicy } from "../src/eval/baselines.js";
import { DIVERSITY_COLUMNS } from "../src/eval/metrics.js";
import { NFEAT } from "../src/data/tf-parser.js";
import { LOG_FLAG } from "../src/data/log-parser.js";
import { splitSessions } from "../src/data/split.js";
import { Rng } from "../src/rng.js";
import type { Policy } from "../src/core/policy.js";
import { allocStates, keptStates, type States } from "../src/core/state.js";
import type { Environment, StepResult } from "../src/rl/env.js";
import type { ProtocolResult } from "../src/eval/types.js";

/** Sessions from track lists and skip_2 flags; features (8 diversity values) for some tracks. */
function data(V: number, list: number[][], skips: boolean[][], feats: Record<number, number[]> = {}): EvalSessions {
  const off = [0], tr: number[] = [], fl: number[] = [];
  list.forEach((s, i) => {
    s.forEach((t, j) => {
      tr.push(t);
      fl.push(skips[i]?.[j] ? LOG_FLAG.skip_2 : 0);
    });
    off.push(tr.length);
  });
  const featureRow = new Int32Array(V).fill(-1);
  const ids = Object.keys(feats).map(Number);
  const features = new Float32Array(ids.length * NFEAT);
  ids.forEach((t, r) => {
    featureRow[t] = r;
    feats[t].forEach((x, j) => (features[r * NFEAT + DIVERSITY_COLUMNS[j]] = x));
  });
  return { trackCount: V, sessionOffsets: Int32Array.from(off), tracks: Int32Array.from(tr), flags: Uint16Array.from(fl), featureRow, features };
}

/** A policy from a function of one state (N tracks) to K tracks. */
function fnPolicy(name: string, f: (state: number[]) => number[]): Policy {
  return {
    name,
    recommend(st, B, K, out) {
      const states = st.tracks, N = states.length / B;
      for (let b = 0; b < B; b++) out.set(f(Array.from(states.subarray(b * N, (b + 1) * N))).slice(0, K), b * K);
    },
  };
}

const get = (r: ProtocolResult, m: string) => {
  const x = r.metrics.find((q) => q.metric === m);
  if (!x) throw new Error(`no metric ${m}`);
  return x;
};

describe("original protocol", () => {
  // session 0: tracks 1..4, every row skipped; session 1: tracks 5..8, none skipped
  const e0 = [1, 0, 0, 0, 0, 0, 0, 0], e1 = [0, 1, 0, 0, 0, 0, 0, 0], e01 = [1, 1, 0, 0, 0, 0, 0, 0];
  const ds = data(100, [[1, 2, 3, 4], [5, 6, 7, 8]], [[true, true, true, true], [false, false, false, false]], { 1: e0, 2: e1, 3: e01, 4: e0, 5: e0, 6: e0, 7: e0, 8: e1 });
  const others = (state: number[]) => {
    const base = state[0] <= 4 ? [1, 2, 3, 4] : [5, 6, 7, 8];
    return base.filter((t) => !state.includes(t));
  };

  it("pools skip rate over known recommendations and reports the unknown share", () => {
    // N = 1, K = 3. "mixed": in session 0 two known + one unknown, in session 1 one known + two unknown
    const mixed = fnPolicy("mixed", (s) => (s[0] <= 4 ? [...others(s).slice(0, 2), 99] : [others(s)[0], 98, 99]));
    const unknownOnly = fnPolicy("unknown-only", () => [97, 98, 99]);
    const r = runOriginal(ds, { test: [0, 1] }, [mixed, unknownOnly], { N: 1, K: 3, seeds: [0, 1], rounds: 2, bootstrap: { B: 200 } });
    expect(r.protocol).toBe("original");
    const skip = get(r, "skip_rate").values, unk = get(r, "unknown").values;
    // pooled: 2 skipped of 2 known per list in session 0, 0 of 1 in session 1 -> 2/3 (a per-session mean would say 1/2)
    expect(skip.mixed.mean).toBeCloseTo(2 / 3, 12);
    expect(skip.mixed.n).toBe(4); // 2 seeds × 2 sessions
    expect(unk.mixed.mean).toBeCloseTo(3 / 6, 12);
    expect(unk["unknown-only"].mean).toBe(1);
    expect(skip["unknown-only"].n).toBe(0);
    expect(Number.isNaN(skip["unknown-only"].mean)).toBe(true);
    // logged: 4 of 8 rows skipped
    expect(skip.logged.mean).toBeCloseTo(0.5, 12);
    expect(skip.logged.n).toBe(2);
    // the unknown share describes, it does not rank
    expect(get(r, "unknown").direction).toBe("neutral");
    expect(get(r, "skip_rate").direction).toBe("lower");
    expect(r.headline).toEqual(["skip_rate"]);
  });

  it("paired skip-rate differences of the agent, against every policy and the logged sessions, on the sessions both judge", () => {
    // ddpg recommends the session's other tracks: all skipped in session 0, all kept in session 1;
    // "kept-only" recommends in session 1 only (session 0's are unknown)
    const ddpg = fnPolicy("ddpg", (s) => others(s));
    const keptOnly = fnPolicy("kept-only", (s) => (s[0] <= 4 ? [97, 98, 99] : others(s)));
    const r = runOriginal(ds, { test: [0, 1] }, [ddpg, keptOnly], { N: 1, K: 3, seeds: [0], rounds: 2, bootstrap: { B: 200 } });
    expect(r.paired.map((d) => d.baseline)).toEqual(["kept-only", "logged"]);
    const vsKept = r.paired[0], vsLogged = r.paired[1];
    // only session 1 has known recommendations for both: both skip 0 of them
    expect(vsKept.difference.n).toBe(1);
    expect(vsKept.difference.mean).toBe(0);
    expect(vsKept.verdict).toBe("no different");
    // ddpg 0.5 (pooled over both sessions) against logged 0.5; per session identical: 1 − 1 and 0 − 0
    expect(vsLogged.difference.n).toBe(2);
    expect(vsLogged.difference.mean).toBeCloseTo(0, 12);
    expect(vsLogged.difference.lo).toBeCloseTo(0, 12);
    expect(vsLogged.difference.hi).toBeCloseTo(0, 12);
  });

  it("diversity over the 8 audio features of lists whose tracks all have them; logged over consecutive lists", () => {
    const inSession = fnPolicy("in-session", (s) => others(s));
    const states: number[][] = [];
    const recording: Policy = {
      name: "in-session",
      recommend(st, B, K, out, rng) {
        for (let b = 0; b < B; b++) states.push([st.tracks[b]]);
        inSession.recommend(st, B, K, out, rng);
      },
    };
    const r = runOriginal(ds, { test: [0, 1] }, [recording], { N: 1, K: 3, seeds: [3], rounds: 3, bootstrap: { B: 100 } });
    const vec: Record<number, number[]> = { 1: e0, 2: e1, 3: e01, 4: e0, 5: e0, 6: e0, 7: e0, 8: e1 };
    const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0) / Math.sqrt(a.reduce((s, x) => s + x * x, 0) * b.reduce((s, x) => s + x * x, 0));
    const div = (l: number[]) => 1 - (cos(vec[l[0]], vec[l[1]]) + cos(vec[l[0]], vec[l[2]]) + cos(vec[l[1]], vec[l[2]])) / 3;
    expect(states.length).toBe(6);
    const want = states.reduce((s, st) => s + div(others(st)), 0) / states.length;
    const d = get(r, "diversity");
    expect(d.values["in-session"].mean).toBeCloseTo(want, 6);
    // logged lists: rows 0..2 of each session: [1, 2, 3] and [5, 6, 7]
    expect(d.values.logged.mean).toBeCloseTo((div([1, 2, 3]) + div([5, 6, 7])) / 2, 6);
    expect(d.note).toMatch(/in-session 100\.0%/);
    // every list of "in-session" is known: the skip rate is the share of skipped rows it recommends
    expect(get(r, "skip_rate").values["in-session"].mean).toBeCloseTo(0.5, 12);
  });

  it("draws the states from the session at random, the same for every policy under a seed", () => {
    const seen: string[][] = [[], []];
    const rec = (i: number): Policy => ({
      name: `p${i}`,
      recommend(st, B, K, out) {
        for (let b = 0; b < B; b++) seen[i].push(Array.from(st.tracks.subarray(b * 2, b * 2 + 2)).join(","));
        for (let b = 0; b < B; b++) out.set([90, 91, 92].slice(0, K), b * K);
      },
    });
    runOriginal(ds, { test: [0, 1] }, [rec(0), rec(1)], { N: 2, K: 3, seeds: [5], rounds: 40, bootstrap: { B: 10 } });
    expect(seen[0]).toEqual(seen[1]);
    // 40 rounds over session 0: many different ordered pairs of its 4 tracks, never a repeat within a state
    const s0 = seen[0].filter((x) => Number(x.split(",")[0]) <= 4);
    expect(new Set(s0).size).toBeGreaterThan(6);
    for (const x of s0) expect(new Set(x.split(",")).size).toBe(2);
  });
});

describe("next-tracks protocol", () => {
  it("hit rate, precision, NDCG, skip among hits, coverage and novelty on a hand-built session", () => {
    // test session 0: 1 2 3 4 5, row of track 4 skipped; training session 1: 3 3 4
    const ds = data(20, [[1, 2, 3, 4, 5], [3, 3, 4]], [[false, false, false, true, false], []]);
    const next = fnPolicy("next", (s) => [s[s.length - 1] + 1, s[s.length - 1] + 2]);
    const off = fnPolicy("off", (s) => [s[s.length - 1] + 2, s[s.length - 1] + 10]);
    const r = runNextTracks(ds, { train: [1], test: [0] }, [next, off], { N: 2, K: 2, bootstrap: { B: 50 } });
    // positions: state [1,2] truth [3,4]; state [2,3] truth [4,5]
    const v = (m: string) => get(r, m).values;
    expect(v("hit_rate@2").next.mean).toBe(1);
    expect(v("precision@2").next.mean).toBe(1);
    expect(v("ndcg@2").next.mean).toBeCloseTo(1, 12);
    expect(v("hit_rate@2").off.mean).toBe(1);
    expect(v("precision@2").off.mean).toBe(0.5);
    const idcg = 1 + 1 / Math.log2(3);
    expect(v("ndcg@2").off.mean).toBeCloseTo(1 / idcg, 12);
    // hits of "next": 3 4 | 4 5 -> skipped 4, 4: 2 of 4; of "off": 4 | 5 -> 1 of 2
    expect(v("skip_rate_hits").next.mean).toBeCloseTo(0.5, 12);
    expect(v("skip_rate_hits").off.mean).toBeCloseTo(0.5, 12);
    // coverage: {3, 4, 5} and {4, 12, 5, 13} of 20
    expect(v("coverage").next.mean).toBeCloseTo(3 / 20, 12);
    expect(v("coverage").off.mean).toBeCloseTo(4 / 20, 12);
    // novelty under training plays 3:2, 4:1 (total 3, V = 20): p = (c + 1) / 23
    const si = (c: number) => -Math.log2((c + 1) / 23);
    expect(v("novelty").next.mean).toBeCloseTo(((si(2) + si(1)) / 2 + (si(1) + si(0)) / 2) / 2, 12);
    expect(v("hit_rate@2").next.n).toBe(1);
    // kept: truth [3, 4] has 4 skipped, [4, 5] has 4 skipped. "next" [3,4] keeps 3 at rank 0, [4,5] keeps 5 at rank 1;
    // "off" [4,12] hits only the skipped 4, [5,13] keeps 5 at rank 0
    expect(v("kept_hit_rate@2").next.mean).toBe(1);
    expect(v("kept_ndcg@2").next.mean).toBeCloseTo((1 + 1 / Math.log2(3)) / 2, 12);
    expect(v("kept_hit_rate@2").off.mean).toBe(0.5);
    expect(v("kept_ndcg@2").off.mean).toBeCloseTo(0.5, 12);
    expect(get(r, "kept_hit_rate@2").note).toMatch(/0\.0% of positions have no kept track among the next 2/);
    expect(r.headline).toEqual(["hit_rate@2", "kept_hit_rate@2", "kept_ndcg@2"]);
    expect(r.unit).toBe("session");
    expect(r.paired).toEqual([]); // no policy is the agent
  });

  it("paired differences of the agent against each other policy on the headline metrics", () => {
    const ds = data(20, [[1, 2, 3, 4, 5], [3, 3, 4]], [[false, false, false, true, false], []]);
    const ddpg = fnPolicy("ddpg", (s) => [s[s.length - 1] + 1, s[s.length - 1] + 2]);
    const off = fnPolicy("off", (s) => [s[s.length - 1] + 2, s[s.length - 1] + 10]);
    const r = runNextTracks(ds, { train: [1], test: [0] }, [ddpg, off], { N: 2, K: 2, seeds: [0, 1], bootstrap: { B: 50 } });
    const pd = (m: string) => r.paired.find((d) => d.metric === m && d.baseline === "off")!;
    expect(r.paired.map((d) => d.metric)).toEqual(["hit_rate@2", "kept_hit_rate@2", "kept_ndcg@2"]);
    expect(pd("hit_rate@2").difference.mean).toBe(0);
    expect(pd("hit_rate@2").verdict).toBe("no different");
    expect(pd("kept_hit_rate@2").difference.mean).toBeCloseTo(0.5, 12);
    expect(pd("kept_hit_rate@2").difference.n).toBe(1); // one session
    expect(pd("kept_hit_rate@2").verdict).toBe("better"); // one cluster: every resample gives the same difference
    expect(pd("kept_ndcg@2").difference.mean).toBeCloseTo((1 + 1 / Math.log2(3)) / 2 - 0.5, 12);
  });

  it("item-kNN beats random clearly on a planted-signal dataset, popular sits near random", () => {
    // 30 groups of 10 tracks; a session plays 16 tracks of one group (with repeats) and 4 random tracks
    const V = 300, rng = new Rng(21);
    const list: number[][] = [];
    for (let s = 0; s < 600; s++) {
      const g = rng.int(30), sess: number[] = [];
      for (let i = 0; i < 20; i++) sess.push(rng.float() < 0.8 ? g * 10 + rng.int(10) : rng.int(V));
      list.push(sess);
    }
    const ds = data(V, list, list.map((s) => s.map(() => rng.float() < 0.5)));
    const split = splitSessions(list.length, { trainFraction: 0.7, seed: 1 });
    const train = { V, sessionOffsets: ds.sessionOffsets, tracks: ds.tracks, flags: ds.flags, sessions: split.train };
    const policies = [new RandomPolicy(V), PopularPolicy.fit(train), ItemKnnPolicy.fit(train)];
    const r = runNextTracks(ds, split, policies, { N: 5, K: 3, seeds: [0, 1], bootstrap: { B: 300 } });
    const hit = get(r, "hit_rate@3").values;
    expect(hit["item-knn"].mean).toBeGreaterThan(hit.random.mean + 0.3);
    expect(hit["item-knn"].lo).toBeGreaterThan(hit.random.hi);
    expect(hit["item-knn"].lo).toBeGreaterThan(hit.popular.hi);
    expect(hit.random.mean).toBeLessThan(0.1);
    expect(hit.random.n).toBe(2 * split.test.length);
    // random covers more of the catalog than popular; diversity: no features at all here
    const cov = get(r, "coverage").values;
    expect(cov.random.mean).toBeGreaterThan(cov.popular.mean);
    expect(cov.popular.mean).toBeLessThan(0.1);
    expect(cov.random.lo).toBeLessThanOrEqual(cov.random.mean);
    expect(cov.random.hi).toBeGreaterThanOrEqual(cov.random.mean);
    expect(get(r, "novelty").values.random.mean).toBeGreaterThan(get(r, "novelty").values.popular.mean);
  });

  it("diversity uses embeddings when audio features do not cover the catalog, and says so", () => {
    const ds = data(6, [[0, 1, 2, 3], [0, 1, 2, 3]], [[], []], { 0: [1, 0, 0, 0, 0, 0, 0, 0] });
    const E = Float32Array.from([1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1]); // d = 2
    const p = fnPolicy("fixed", () => [4, 5]);
    const r = runNextTracks(ds, { train: [1], test: [0] }, [p], { N: 2, K: 2, embeddings: { E, d: 2 }, bootstrap: { B: 20 } });
    const d = get(r, "diversity");
    // tracks 4 (0,1) and 5 (1,1): 1 − cos = 1 − 1/√2
    expect(d.values.fixed.mean).toBeCloseTo(1 - Math.SQRT1_2, 6);
    expect(d.note).toMatch(/embeddings/);
    expect(d.label).toMatch(/embedding/);
  });

  it("rejects a policy that breaks the contract", () => {
    const ds = data(10, [[1, 2, 3, 4]], [[]]);
    const bad = fnPolicy("bad", (s) => [s[0], 7]);
    expect(() => runNextTracks(ds, { train: [0], test: [0] }, [bad], { N: 2, K: 2, bootstrap: { B: 10 } })).toThrow(/bad: state 0 slot 0 recommends track 1, already in the state/);
    const dup = fnPolicy("dup", () => [7, 7]);
    expect(() => recommendAll(dup, keptStates(Int32Array.from([1, 2])), 1, 2, 2, new Int32Array(2), new Rng(0), 8, 10)).toThrow(/repeats/);
  });
});

/** Toy environment: start state drawn from rng, even tracks are "not skipped", L steps per episode. */
class ToyEnv implements Environment {
  readonly N = 2;
  readonly K = 2;
  private st: States[] = [allocStates(1, 2), allocStates(1, 2)];
  private cur = 0;
  private steps = 0;
  private res: StepResult = { rewards: new Float32Array(2), reward: 0, next: this.st[1], done: false };
  constructor(readonly L: number) {}
  reset(rng: Rng): States {
    this.steps = 0;
    this.cur = 0;
    this.st[0].tracks[0] = 10 + rng.int(10);
    this.st[0].tracks[1] = 20 + rng.int(10);
    return this.st[0];
  }
  step(list: Int32Array): StepResult {
    const nx = this.st[1 - this.cur];
    let r = 0;
    for (let k = 0; k < 2; k++) {
      this.res.rewards[k] = list[k] % 2 === 0 ? 1 : 0;
      r += this.res.rewards[k];
    }
    nx.tracks.set([list[0], list[1]]);
    nx.kept.set(this.res.rewards);
    this.cur = 1 - this.cur;
    this.steps++;
    this.res.reward = r;
    this.res.next = nx;
    this.res.done = this.steps >= this.L;
    return this.res;
  }
}

describe("online protocol", () => {
  const even = fnPolicy("even", (s) => [40, 42].filter((t) => !s.includes(t)).concat([44, 46]).slice(0, 2));
  const half = fnPolicy("half", (s) => (s.includes(40) ? [50, 51] : [40, 41]));

  it("per-episode total reward and per-step flag mean; batched environments agree with one", () => {
    const one = runOnline(new ToyEnv(4), [even, half], { seeds: [0, 1], episodes: 7, bootstrap: { B: 50 } });
    const many = runOnline(() => [new ToyEnv(4), new ToyEnv(4), new ToyEnv(4)], [even, half], { seeds: [0, 1], episodes: 7, bootstrap: { B: 50 } });
    const rw = get(one, "episode_reward").values, fl = get(one, "reward_flags").values;
    expect(rw.even.mean).toBe(8); // 4 steps × 2 kept
    expect(fl.even.mean).toBe(1);
    expect(rw.half.mean).toBe(4);
    expect(fl.half.mean).toBe(0.5);
    expect(rw.even.n).toBe(14);
    expect(get(one, "episode_steps").values.half.mean).toBe(4);
    expect(get(one, "episode_steps").direction).toBe("neutral");
    expect(many.metrics).toEqual(one.metrics);
    expect(one.unit).toBe("episode");
    expect(one.headline).toEqual(["episode_reward", "reward_flags"]);
  });

  it("paired differences over the same seeded episodes: known answers with toy policies", () => {
    // the agent plays "even" (8 per episode); "half" earns 4 in every episode, "same" is the agent's twin
    const ddpg = fnPolicy("ddpg", (s) => [40, 42].filter((t) => !s.includes(t)).concat([44, 46]).slice(0, 2));
    const same = fnPolicy("same", (s) => [40, 42].filter((t) => !s.includes(t)).concat([44, 46]).slice(0, 2));
    const r = runOnline(new ToyEnv(4), [half, ddpg, same, new RandomPolicy(100)], { seeds: [0, 1], episodes: 30, bootstrap: { B: 300 } });
    const pd = (m: string, b: string) => r.paired.find((d) => d.metric === m && d.baseline === b)!;
    expect(r.paired.map((d) => `${d.metric}:${d.baseline}`)).toEqual([
      "episode_reward:half", "episode_reward:same", "episode_reward:random",
      "reward_flags:half", "reward_flags:same", "reward_flags:random",
    ]);
    expect(pd("episode_reward", "half").difference).toEqual({ mean: 4, lo: 4, hi: 4, n: 60 });
    expect(pd("episode_reward", "half").verdict).toBe("better");
    expect(pd("reward_flags", "half").difference.mean).toBe(0.5);
    expect(pd("episode_reward", "same").difference).toEqual({ mean: 0, lo: 0, hi: 0, n: 60 });
    expect(pd("episode_reward", "same").verdict).toBe("no different");
    // random keeps about half of its tracks: the agent is 4 ahead on average, with an interval around it
    const vr = pd("episode_reward", "random").difference;
    expect(vr.lo).toBeGreaterThan(2.5);
    expect(vr.hi).toBeLessThan(5.5);
    expect(vr.hi - vr.lo).toBeGreaterThan(0.1);
    expect(pd("episode_reward", "random").verdict).toBe("better");
    // an agent that is worse: "half" named ddpg against "even"
    const worse = runOnline(new ToyEnv(4), [fnPolicy("ddpg", (s) => (s.includes(40) ? [50, 51] : [40, 41])), even], { seeds: [0], episodes: 10, bootstrap: { B: 100 } });
    expect(worse.paired[0].verdict).toBe("worse");
    expect(worse.paired[0].difference.mean).toBe(-4);
  });

  it("random policy in the toy environment earns about half", () => {
    const r = runOnline(new ToyEnv(5), [new RandomPolicy(100)], { seeds: [0, 1, 2], episodes: 100, bootstrap: { B: 300 } });
    const fl = get(r, "reward_flags").values.random;
    expect(fl.lo).toBeLessThan(0.5);
    expect(fl.hi).toBeGreaterThan(0.5);
    expect(fl.hi - fl.lo).toBeLessThan(0.1);
  });
});

describe("evaluate", () => {
  it("runs the chosen protocols in order, calling the policy factory once per seed", () => {
    const ds = data(30, [[1, 2, 3, 4, 5, 6], [2, 3, 4, 5, 6, 7], [1, 3, 5, 7, 9, 11]], [[], [true], []]);
    let made = 0;
    const res = evaluate({
      protocols: ["next-tracks", "online", "original"],
      policies: (seed) => {
        made++;
        return [new RandomPolicy(30, "random"), fnPolicy(`fixed`, () => [20 + (seed % 2), 22, 24])];
      },
      seeds: [0, 1],
      N: 2,
      K: 3,
      data: ds,
      split: { train: [2], test: [0, 1] },
      env: new ToyEnv(3),
      online: { episodes: 5 },
      bootstrap: { B: 20 },
    });
    expect(res.map((r) => r.protocol)).toEqual(["next-tracks", "online", "original"]);
    expect(made).toBe(2);
    for (const r of res) {
      expect(r.seeds).toEqual([0, 1]);
      for (const m of r.metrics) for (const e of Object.values(m.values)) if (e.n > 0) expect(e.lo).toBeLessThanOrEqual(e.hi);
    }
    expect(Object.keys(get(res[2], "skip_rate").values).sort()).toEqual(["fixed", "logged", "random"]);
    expect(() => evaluate({ protocols: ["online"], policies: [], seeds: [0] })).toThrow(/needs env/);
  });

  it("reports progress per protocol: policy runs done of seeds × policies, never going back, ending at the total", () => {
    const ds = data(30, [[1, 2, 3, 4, 5, 6], [2, 3, 4, 5, 6, 7], [1, 3, 5, 7, 9, 11]], [[], [true], []]);
    const calls: [string, number, number][] = [];
    evaluate({
      protocols: ["original", "next-tracks", "online"],
      policies: [new RandomPolicy(30, "random"), fnPolicy("fixed", () => [20, 22, 24])],
      seeds: [0, 1, 2], N: 2, K: 3, batch: 1, data: ds, split: { train: [2], test: [0, 1] }, env: new ToyEnv(3), online: { episodes: 4 }, bootstrap: { B: 20 },
      onProgress: (p, done, total) => calls.push([p, done, total]),
    });
    for (const p of ["original", "next-tracks", "online"]) {
      const mine = calls.filter((c) => c[0] === p);
      expect(mine.length, p).toBeGreaterThan(6); // fractions within runs too (batch 1)
      for (const [, , total] of mine) expect(total).toBe(6); // 3 seeds × 2 policies
      for (let i = 1; i < mine.length; i++) expect(mine[i][1]).toBeGreaterThanOrEqual(mine[i - 1][1]);
      expect(mine[mine.length - 1][1]).toBe(6);
    }
    expect([...new Set(calls.map((c) => c[0]))]).toEqual(["original", "next-tracks", "online"]);
  });

  it("subsamples sessions with a seed", () => {
    const a = subsampleSessions([5, 6, 7, 8, 9, 10], 3, 1);
    expect(a.length).toBe(3);
    expect(a).toEqual(subsampleSessions([5, 6, 7, 8, 9, 10], 3, 1));
    expect(Array.from(a)).toEqual([...a].sort((x, y) => x - y));
  });
});
