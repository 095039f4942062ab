import { describe, it, expect } from "vitest";
import { Rng } from "../src/rng.js";
import { advanceState, checkList } from "../src/rl/env.js";
import { keptStates } from "../src/core/state.js";
import { LirdSimulator, LIRD_MIN_SPREAD, lirdRewardSpread, type LirdOptions, type LirdSamples, type EmbeddingTable } from "../src/rl/lird.js";
import { advanceKeptReference, advanceReference, lirdReference, listReward, rows, type RefOptions, type RefSample } from "./reference/lird.js";

// Tolerance of the simulator's f64 arithmetic (over f32 embeddings) against the f64 reference:
// the same numbers summed in a different order, so differences are a few ulps of the sums.
const TOL = 1e-12;

function toSamples(N: number, K: number, xs: RefSample[]): LirdSamples {
  return {
    N, K,
    states: Int32Array.from(xs.flatMap((x) => x.state)),
    actions: Int32Array.from(xs.flatMap((x) => x.action)),
    rewards: Uint8Array.from(xs.flatMap((x) => x.flags)),
  };
}

function table(vectors: number[][]): EmbeddingTable {
  return { V: vectors.length, d: vectors[0].length, E: Float32Array.from(vectors.flat()) };
}

function refOptions(o: LirdOptions = {}): RefOptions {
  return { alpha: o.alpha ?? 0.2, gamma: o.gamma ?? 0.9, mode: o.mode ?? "groups", weighting: o.weighting ?? "affine", temperature: o.temperature ?? 0.1 };
}

/** A simulator whose single start state is `start`, already reset. */
function startedAt(samples: LirdSamples, emb: EmbeddingTable, start: number[], o: LirdOptions = {}): LirdSimulator {
  const sim = new LirdSimulator(samples, emb, { ...o, startStates: keptStates(Int32Array.from(start)) });
  sim.reset(new Rng(0));
  return sim;
}

function randomSet(rng: Rng, S: number, N: number, K: number, V: number, d: number): { xs: RefSample[]; emb: EmbeddingTable } {
  const E = new Float32Array(V * d);
  for (let i = 0; i < E.length; i++) E[i] = rng.normal();
  const xs: RefSample[] = [];
  for (let i = 0; i < S; i++) {
    const state = Array.from({ length: N }, () => rng.int(V));
    const action = Array.from({ length: K }, () => rng.int(V));
    // Rewards correlated with the first embedding coordinate, so groups differ.
    const flags = action.map((t) => (E[t * d] + 0.5 * rng.normal() > 0 ? 1 : 0));
    xs.push({ state, action, flags });
  }
  return { xs, emb: { V, d, E } };
}

/** K distinct tracks in [0, V) not in state. */
function randomList(rng: Rng, state: ArrayLike<number>, K: number, V: number): number[] {
  const out: number[] = [];
  while (out.length < K) {
    const t = rng.int(V);
    if (!out.includes(t) && !Array.prototype.includes.call(state, t)) out.push(t);
  }
  return out;
}

describe("advanceState", () => {
  const st = (t: number[], k: number[]) => ({ tracks: Int32Array.from(t), kept: Uint8Array.from(k) });
  it("appends every listed track with its feedback and drops the oldest", () => {
    const out = st([0, 0, 0, 0, 0], [0, 0, 0, 0, 0]);
    advanceState(st([1, 2, 3, 4, 5], [1, 0, 1, 1, 0]), Int32Array.of(7, 8, 9), [1, 0, 1], out);
    expect(Array.from(out.tracks)).toEqual([4, 5, 7, 8, 9]);
    expect(Array.from(out.kept)).toEqual([1, 0, 1, 0, 1]);
    advanceState(st([1, 2, 3, 4, 5], [1, 1, 1, 1, 1]), Int32Array.of(7, 8, 9), [0, 0, 0], out);
    expect(Array.from(out.tracks)).toEqual([4, 5, 7, 8, 9]);
    expect(Array.from(out.kept)).toEqual([1, 1, 0, 0, 0]);
  });

  it("works in place and keeps only the last N when the list is longer than the state", () => {
    const s = st([1, 2, 3], [0, 1, 0]);
    advanceState(s, Int32Array.of(5, 6), [1, 1], s);
    expect(Array.from(s.tracks)).toEqual([3, 5, 6]);
    expect(Array.from(s.kept)).toEqual([0, 1, 1]);
    const t = st([1, 2], [1, 1]);
    advanceState(t, Int32Array.of(5, 6, 7, 8), [1, 0.5, 0, 1], t);
    expect(Array.from(t.tracks)).toEqual([7, 8]);
    expect(Array.from(t.kept)).toEqual([0, 1]);
  });

  it("matches the reference on random windows", () => {
    const rng = new Rng(3);
    for (let trial = 0; trial < 200; trial++) {
      const N = 1 + rng.int(6), K = 1 + rng.int(6);
      const state = Array.from({ length: N }, () => rng.int(100));
      const kept = Array.from({ length: N }, () => rng.int(2));
      const list = Array.from({ length: K }, () => rng.int(100));
      const rewards = Array.from({ length: K }, () => rng.int(2));
      const out = st(new Array(N).fill(0), new Array(N).fill(0));
      advanceState(st(state, kept), Int32Array.from(list), rewards, out);
      expect(Array.from(out.tracks)).toEqual(advanceReference(state, list, rewards));
      expect(Array.from(out.kept)).toEqual(advanceKeptReference(kept, rewards));
    }
  });
});

describe("checkList", () => {
  const state = Int32Array.of(0, 1, 2);
  it("accepts K distinct in-range tracks outside the state", () => {
    expect(() => checkList(Int32Array.of(3, 4), state, 2, 5, "t")).not.toThrow();
  });
  it("rejects wrong length, out of range, repeats and tracks already in the state", () => {
    expect(() => checkList(Int32Array.of(3), state, 2, 5, "t")).toThrow(/list has 1 tracks, expected K = 2/);
    expect(() => checkList(Int32Array.of(3, 5), state, 2, 5, "t")).toThrow(/list\[1\] = 5 is not a track index in \[0, 5\)/);
    expect(() => checkList(Int32Array.of(-1, 3), state, 2, 5, "t")).toThrow(/list\[0\] = -1/);
    expect(() => checkList(Int32Array.of(3, 3), state, 2, 5, "t")).toThrow(/list\[1\] = 3 repeats list\[0\]/);
    expect(() => checkList(Int32Array.of(3, 1), state, 2, 5, "t")).toThrow(/list\[1\] = 1 is already in the state \(position 1\)/);
  });
});

describe("LirdSimulator scoring", () => {
  // d = 2, N = 2, K = 2; tracks 0..3 point "east" (liked), 4..7 "west" (skipped), 8..11 mixed.
  const vectors = [
    [1, 0], [0.9, 0.2], [1, -0.1], [0.8, 0.3],
    [-1, 0], [-0.9, 0.1], [-1, -0.3], [-0.7, 0.2],
    [0, 1], [0.2, 1], [-0.1, 1], [0.3, -1],
  ];
  const xs: RefSample[] = [
    { state: [0, 1], action: [2, 3], flags: [1, 1] },
    { state: [1, 2], action: [0, 3], flags: [1, 1] },
    { state: [4, 5], action: [6, 7], flags: [0, 0] },
    { state: [5, 6], action: [4, 7], flags: [0, 0] },
    { state: [0, 8], action: [2, 6], flags: [1, 0] },
    { state: [9, 1], action: [10, 11], flags: [0, 1] },
  ];
  const samples = toSamples(2, 2, xs), emb = table(vectors), E = rows(emb.E, emb.V, emb.d);

  it("groups samples by reward pattern", () => {
    const sim = new LirdSimulator(samples, emb);
    expect(Array.from(sim.groupPatterns)).toEqual([0, 1, 2, 3]); // 00, 10 (slot 0 kept), 01, 11
    expect(Array.from(sim.groupSizes)).toEqual([2, 1, 1, 2]);
    expect(sim.P).toBe(4);
  });

  it("a query equal to a single-member group's sample matches that group with similarity 1", () => {
    // Sample 4 is the only member of pattern [1, 0]; its normalised vectors are the group means.
    const sim = startedAt(samples, emb, [0, 8]);
    const r = sim.step(Int32Array.of(2, 6));
    expect(sim.similarities[sim.lastMatch]).toBeCloseTo(1, 12);
    expect(sim.groupPatterns[sim.lastMatch]).toBe(1);
    expect(Array.from(r.rewards)).toEqual([1, 0]);
    // Both listed tracks are played: the window becomes the list, slot 0 kept, slot 1 skipped.
    expect(Array.from(r.next.tracks)).toEqual([2, 6]);
    expect(Array.from(r.next.kept)).toEqual([1, 0]);
  });

  it("pattern choice, rewards, weights and reward match the f64 reference on hand-built queries", () => {
    const queries: [number[], number[]][] = [
      [[0, 1], [2, 3]], [[4, 5], [6, 7]], [[0, 8], [2, 6]], [[9, 1], [10, 11]],
      [[3, 2], [0, 1]], [[7, 6], [5, 4]], [[8, 9], [0, 4]], [[11, 10], [6, 1]],
    ];
    for (const o of [{}, { alpha: 0.5, gamma: 0.7 }, { weighting: "softmax" as const, temperature: 0.25 }]) {
      for (const [state, list] of queries) {
        const sim = startedAt(samples, emb, state, o);
        const ref = lirdReference(xs, E, state, list, refOptions(o));
        expect(ref.margin).toBeGreaterThan(1e-6); // no near tie: the choice is well defined
        const r = sim.step(Int32Array.from(list));
        expect(sim.lastMatch).toBe(ref.best);
        expect(Array.from(r.rewards)).toEqual(ref.rewards);
        for (let p = 0; p < ref.sims.length; p++) {
          expect(sim.similarities[p]).toBeCloseTo(ref.sims[p], 12);
          expect(sim.weights[p]).toBeCloseTo(ref.weights[p], 12);
        }
        expect(Math.abs(r.reward - ref.reward)).toBeLessThan(TOL);
        expect(Array.from(r.next.tracks)).toEqual(advanceReference(state, list, ref.rewards));
      }
    }
  });

  it("stays a convex combination of list rewards when similarities are negative (where the paper's ratio breaks)", () => {
    // Query east-pointing tracks: the all-skipped (west) group is anti-similar.
    const state = [0, 3], list = [1, 2];
    const o = refOptions();
    const ref = lirdReference(xs, E, state, list, o);
    const negatives = ref.sims.filter((s) => s < 0).length;
    expect(negatives).toBeGreaterThan(0);
    const Rs = ref.protoFlags.map((f) => listReward(f, o.gamma));
    const lo = Math.min(...Rs), hi = Math.max(...Rs);
    // The paper's sim / Σ sim on the same query leaves [min R, max R]: not an expectation.
    const ratio = lirdReference(xs, E, state, list, { ...o, weighting: "ratio" });
    expect(ratio.reward < lo - 1e-9 || ratio.reward > hi + 1e-9 || ratio.weights.some((w) => w < 0)).toBe(true);

    for (const weighting of ["affine", "softmax"] as const) {
      const sim = startedAt(samples, emb, state, { weighting });
      const r = sim.step(Int32Array.from(list));
      const want = lirdReference(xs, E, state, list, { ...o, weighting });
      expect(Math.abs(r.reward - want.reward)).toBeLessThan(TOL);
      expect(r.reward).toBeGreaterThanOrEqual(lo);
      expect(r.reward).toBeLessThanOrEqual(hi);
      let total = 0;
      for (const w of sim.weights) { expect(w).toBeGreaterThanOrEqual(0); expect(w).toBeLessThanOrEqual(1); total += w; }
      expect(total).toBeCloseTo(1, 12);
      // More similar never weighs less.
      for (let p = 0; p < sim.P; p++) for (let q = 0; q < sim.P; q++) {
        if (sim.similarities[p] > sim.similarities[q]) expect(sim.weights[p]).toBeGreaterThanOrEqual(sim.weights[q]);
      }
    }
  });

  it("all-negative similarities: affine weights stay sound", () => {
    // Only a west group and a query pointing east: every similarity is negative.
    const west: RefSample[] = [
      { state: [4, 5], action: [6, 7], flags: [0, 1] },
      { state: [5, 6], action: [4, 7], flags: [1, 1] },
    ];
    const state = [0, 1], list = [2, 3];
    const o = refOptions({ mode: "samples" });
    const ref = lirdReference(west, E, state, list, o);
    expect(Math.max(...ref.sims)).toBeLessThan(0);
    const sim = startedAt(toSamples(2, 2, west), emb, state, { mode: "samples" });
    const r = sim.step(Int32Array.from(list));
    expect(sim.lastMatch).toBe(ref.best);
    expect(Math.abs(r.reward - ref.reward)).toBeLessThan(TOL);
    expect(r.reward).toBeGreaterThanOrEqual(listReward([0, 1], 0.9));
    expect(r.reward).toBeLessThanOrEqual(listReward([1, 1], 0.9));
  });

  it("breaks exact ties by the lowest group pattern / sample index", () => {
    // Identical (state, action) with different flags: identical prototypes, identical similarities.
    const twins: RefSample[] = [
      { state: [4, 5], action: [6, 7], flags: [0, 1] },
      { state: [4, 5], action: [6, 7], flags: [1, 0] },
      { state: [0, 1], action: [2, 3], flags: [1, 1] },
    ];
    for (const mode of ["groups", "samples"] as const) {
      const sim = startedAt(toSamples(2, 2, twins), emb, [5, 4], { mode });
      const r = sim.step(Int32Array.of(7, 6));
      expect(sim.similarities[0]).toBe(sim.similarities[1]);
      // groups: pattern 1 = [1, 0] sorts before pattern 2 = [0, 1]; samples: sample 0 = [0, 1].
      expect(Array.from(r.rewards)).toEqual(mode === "groups" ? [1, 0] : [0, 1]);
    }
  });

  it("per-sample mode matches the reference (prototypes are the samples themselves)", () => {
    for (const [state, list] of [[[0, 1], [2, 3]], [[9, 1], [10, 11]], [[4, 8], [0, 7]], [[0, 3], [1, 2]]] as [number[], number[]][]) {
      const sim = startedAt(samples, emb, state, { mode: "samples" });
      expect(sim.P).toBe(xs.length);
      const ref = lirdReference(xs, E, state, list, refOptions({ mode: "samples" }));
      expect(ref.margin).toBeGreaterThan(1e-6);
      const r = sim.step(Int32Array.from(list));
      expect(sim.lastMatch).toBe(ref.best);
      expect(Array.from(r.rewards)).toEqual(ref.rewards);
      expect(Math.abs(r.reward - ref.reward)).toBeLessThan(TOL);
      expect(Array.from(r.next.tracks)).toEqual(advanceReference(state, list, ref.rewards));
    }
  });

  it("matches the reference on random data at N = 10, K = 3 in both modes and both weightings", () => {
    const rng = new Rng(11);
    const N = 10, K = 3, V = 60, d = 8;
    const { xs: rx, emb: remb } = randomSet(rng, 150, N, K, V, d);
    const RE = rows(remb.E, V, d);
    const rs = toSamples(N, K, rx);
    let compared = 0;
    for (const mode of ["groups", "samples"] as const) {
      for (const weighting of ["affine", "softmax"] as const) {
        const o: LirdOptions = { mode, weighting, episodeLength: 1000 };
        const sim = new LirdSimulator(rs, remb, o);
        let state = Array.from(sim.reset(new Rng(5)).tracks);
        for (let q = 0; q < 25; q++) {
          const list = randomList(rng, state, K, V);
          const ref = lirdReference(rx, RE, state, list, refOptions(o));
          const r = sim.step(Int32Array.from(list));
          expect(Math.abs(r.reward - ref.reward)).toBeLessThan(TOL);
          if (ref.margin > 1e-9) {
            expect(sim.lastMatch).toBe(ref.best);
            expect(Array.from(r.rewards)).toEqual(ref.rewards);
            compared++;
          }
          // Follow the simulator's own choice so the walk continues identically either way.
          state = advanceReference(state, list, Array.from(r.rewards));
          expect(Array.from(r.next.tracks)).toEqual(state);
        }
      }
    }
    expect(compared).toBeGreaterThan(90); // near ties are rare
  });
});

describe("LirdSimulator episodes", () => {
  const rng = new Rng(21);
  const N = 4, K = 2, V = 40, d = 3;
  const { xs, emb } = randomSet(rng, 30, N, K, V, d);
  const samples = toSamples(N, K, xs);
  const E = rows(emb.E, V, d);

  it("reset draws start states from the training states, deterministically under a seed", () => {
    const sim = new LirdSimulator(samples, emb);
    const seen = new Set<string>();
    const a = new Rng(9), b = new Rng(9);
    const other = new LirdSimulator(samples, emb);
    for (let i = 0; i < 200; i++) {
      const s = Array.from(sim.reset(a).tracks);
      expect(Array.from(other.reset(b).tracks)).toEqual(s);
      expect(xs.some((x) => x.state.join() === s.join())).toBe(true);
      seen.add(s.join());
    }
    expect(seen.size).toBeGreaterThan(20); // 30 states, 200 uniform draws
  });

  it("a step after reset starts from the new state, not the old episode's", () => {
    const starts = [[0, 1, 2, 3], [10, 11, 12, 13]];
    const sim = new LirdSimulator(samples, emb, { startStates: { tracks: Int32Array.from(starts.flat()), kept: Uint8Array.from([1, 0, 1, 1, 0, 0, 1, 0]) }, episodeLength: 50 });
    // A seed whose first two draws of int(2) pick start 0, then start 1 (reset draws exactly one int).
    let seed = 0;
    for (;; seed++) {
      const probe = new Rng(seed);
      if (probe.int(2) === 0 && probe.int(2) === 1) break;
    }
    const r0 = new Rng(seed);
    expect(Array.from(sim.reset(r0).tracks)).toEqual(starts[0]);
    sim.step(Int32Array.of(20, 21));
    sim.step(Int32Array.of(22, 23));
    expect(Array.from(sim.reset(r0).tracks)).toEqual(starts[1]);
    expect(sim.t).toBe(0);
    expect(Array.from(sim.state.tracks)).toEqual(starts[1]);
    expect(Array.from(sim.state.kept)).toEqual([0, 0, 1, 0]); // the start's own flags
    const list = [30, 31];
    const r = sim.step(Int32Array.from(list));
    const ref = lirdReference(xs, E, starts[1], list, refOptions());
    expect(Math.abs(r.reward - ref.reward)).toBeLessThan(TOL);
    expect(Array.from(r.next.tracks)).toEqual(advanceReference(starts[1], list, ref.rewards));
    expect(Array.from(r.next.tracks).some((t) => t >= 20 && t <= 23)).toBe(false);
    expect(Array.from(r.next.kept)).toEqual(advanceKeptReference([0, 0, 1, 0], ref.rewards));
  });

  it("is done after episodeLength steps and refuses to step until reset", () => {
    const sim = new LirdSimulator(samples, emb, { episodeLength: 3 });
    expect(() => sim.step(Int32Array.of(0, 1))).toThrow(/call reset\(\) first/);
    const r = new Rng(4);
    for (let ep = 0; ep < 3; ep++) {
      let state = sim.reset(r);
      for (let t = 1; t <= 3; t++) {
        const res = sim.step(Int32Array.from(randomList(r, state.tracks, K, V)));
        expect(res.done).toBe(t === 3);
        state = res.next;
      }
      expect(() => sim.step(Int32Array.from(randomList(r, state.tracks, K, V)))).toThrow(/episode ended after 3 steps; call reset\(\)/);
    }
  });

  it("keeps the starting state intact across a step and reuses its result object and arrays", () => {
    const sim = new LirdSimulator(samples, emb, { episodeLength: 100 });
    const r = new Rng(6);
    let state = sim.reset(r);
    let prevResult = null as null | object, prevRewards = null as null | Float32Array;
    for (let t = 0; t < 20; t++) {
      const before = Array.from(state.tracks), beforeKept = Array.from(state.kept);
      const list = randomList(r, state.tracks, K, V);
      const res = sim.step(Int32Array.from(list));
      expect(Array.from(state.tracks)).toEqual(before); // the state the step started from is untouched
      expect(Array.from(state.kept)).toEqual(beforeKept);
      expect(Array.from(res.next.kept)).toEqual(advanceKeptReference(beforeKept, Array.from(res.rewards)));
      expect(Array.from(res.next.tracks)).toEqual(advanceReference(before, list, Array.from(res.rewards)));
      expect(res.next).not.toBe(state);
      if (prevResult) { expect(res).toBe(prevResult); expect(res.rewards).toBe(prevRewards); }
      prevResult = res; prevRewards = res.rewards;
      state = res.next;
    }
  });

  it("rejects an invalid list, naming the slot", () => {
    const sim = new LirdSimulator(samples, emb);
    const s = sim.reset(new Rng(2)).tracks;
    expect(() => sim.step(Int32Array.of(s[0], (s[0] + 1) % V))).toThrow(/LirdSimulator.step: list\[0\] = \d+ is already in the state/);
    expect(() => sim.step(Int32Array.of(V, 0))).toThrow(/list\[0\] = 40 is not a track index/);
  });

  it("rejects malformed samples with clear errors", () => {
    expect(() => new LirdSimulator({ ...samples, rewards: Uint8Array.from(samples.rewards, (v, i) => (i === 5 ? 2 : v)) }, emb))
      .toThrow(/rewards\[sample 2, slot 1\] = 2, expected a flag 0 or 1/);
    expect(() => new LirdSimulator({ ...samples, states: Int32Array.from(samples.states, (v, i) => (i === 6 ? V : v)) }, emb))
      .toThrow(/states\[row 1, position 2\] = 40 is not a track index/);
    expect(() => new LirdSimulator({ ...samples, actions: samples.actions.subarray(1) }, emb)).toThrow(/actions has 59 entries, expected S·K = 30·2 = 60/);
    expect(() => new LirdSimulator(samples, { ...emb, d: 4 })).toThrow(/embedding matrix has 120 floats, expected V·d/);
    expect(() => new LirdSimulator(samples, emb, { alpha: 1.5 })).toThrow(/alpha must be in \[0, 1\]/);
    expect(() => new LirdSimulator(samples, emb, { episodeLength: 0 })).toThrow(/episodeLength/);
  });
});

describe("lirdRewardSpread (the warning of `encore train --env lird`)", () => {
  // Real item2vec vectors share a common direction, and MSSD's reward-pattern groups hold
  // thousands of samples: every group's mean state and action point the same way, so the
  // simulator pays nearly the same reward for any list. Embeddings that are a common offset plus
  // small noise reproduce that; centred embeddings with rewards tied to them do not.
  it("is below LIRD_MIN_SPREAD when the groups' means coincide, above it when they differ", () => {
    const rng = new Rng(11);
    const { xs, emb } = randomSet(rng, 4000, 10, 3, 300, 8);
    const offset = new Float32Array(emb.E.length);
    for (let i = 0; i < offset.length; i++) offset[i] = 1 + 0.02 * emb.E[i];
    const flat = lirdRewardSpread(new LirdSimulator(toSamples(10, 3, xs), { ...emb, E: offset }), new Rng(1));
    const varied = lirdRewardSpread(new LirdSimulator(toSamples(10, 3, xs), emb), new Rng(1));
    console.log(`LIRD reward over random lists: common-direction embeddings sd ${flat.sd.toExponential(2)} (${flat.min.toFixed(4)}..${flat.max.toFixed(4)}), centred ${varied.sd.toExponential(2)} (${varied.min.toFixed(4)}..${varied.max.toFixed(4)})`);
    expect(flat.lists).toBe(1000);
    expect(flat.sd).toBeLessThan(LIRD_MIN_SPREAD);
    expect(varied.sd).toBeGreaterThan(LIRD_MIN_SPREAD);
    expect(flat.min).toBeLessThanOrEqual(flat.max);
  });
});
