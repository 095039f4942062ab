// Baselines: random is uniform over the allowed tracks and never repeats or returns an
// excluded track; popular returns the most played unheard tracks; item-kNN has the exact
// cosine of hand-built sessions, recovers planted co-occurrence, weights recent tracks more
// and falls back to popularity.
import { describe, expect, it } from "vitest";
import { ItemKnnPolicy, PopularPolicy, RandomPolicy, trainingPlayCounts, type TrainingSessions } from "../src/eval/baselines.js";
import { LOG_FLAG } from "../src/data/log-parser.js";
import { Rng } from "../src/rng.js";
import type { Policy } from "../src/core/policy.js";
import { keptStates } from "../src/core/state.js";

/** Training sessions from track lists; `skips` marks rows with skip_2. */
function sessions(V: number, list: number[][], skips?: boolean[][]): TrainingSessions {
  const off = [0], tr: number[] = [], fl: number[] = [];
  list.forEach((s, i) => {
    s.forEach((t, j) => {
      tr.push(t);
      fl.push(skips?.[i]?.[j] ? LOG_FLAG.skip_2 : 0);
    });
    off.push(tr.length);
  });
  return { V, sessionOffsets: Int32Array.from(off), tracks: Int32Array.from(tr), flags: Uint16Array.from(fl) };
}

/** Every row: K distinct tracks in range, none in the state nor in the exclusions. */
function checkRows(p: Policy, states: Int32Array, B: number, N: number, K: number, out: Int32Array, V: number, ex?: { ids: Int32Array; X: number }): void {
  const bad: string[] = [];
  for (let b = 0; b < B; b++) {
    const row = Array.from(out.subarray(b * K, (b + 1) * K));
    const st = Array.from(states.subarray(b * N, (b + 1) * N)), xs = ex ? Array.from(ex.ids.subarray(b * ex.X, (b + 1) * ex.X)) : [];
    if (new Set(row).size !== K) bad.push(`row ${b} repeats: ${row}`);
    for (const t of row) {
      if (!(t >= 0 && t < V)) bad.push(`row ${b}: ${t} out of range`);
      if (st.includes(t)) bad.push(`row ${b}: ${t} in the state`);
      if (xs.includes(t)) bad.push(`row ${b}: ${t} excluded`);
    }
  }
  expect(bad, p.name).toEqual([]);
}

describe("random", () => {
  it("is uniform over the tracks not in the state or exclusions, and never repeats", () => {
    const V = 20, N = 5, K = 4, X = 3, B = 50, calls = 200;
    const pol = new RandomPolicy(V);
    const states = new Int32Array(B * N), ex = { ids: new Int32Array(B * X), X };
    for (let b = 0; b < B; b++) {
      states.set([0, 1, 2, 3, 3], b * N); // a repeated state track
      ex.ids.set([4, 5, b % 2 ? -1 : 6], b * X); // −1 padding on odd rows
    }
    const out = new Int32Array(B * K), rng = new Rng(1);
    const count = new Float64Array(V);
    for (let c = 0; c < calls; c++) {
      pol.recommend(keptStates(states), B, K, out, rng, ex);
      checkRows(pol, states, B, N, K, out, V, ex);
      for (let i = 0; i < B * K; i++) count[out[i]]++;
    }
    // even rows allow 13 tracks (7..19 and... 20 − {0,1,2,3,4,5,6}), odd rows 14 (6 allowed)
    for (let t = 0; t <= 5; t++) expect(count[t]).toBe(0);
    const rows = calls * B;
    const expected = (t: number): number => (t === 6 ? (rows / 2) * (K / 14) : (rows / 2) * (K / 13) + (rows / 2) * (K / 14));
    let chi2 = 0;
    for (let t = 6; t < V; t++) chi2 += (count[t] - expected(t)) ** 2 / expected(t);
    // 14 cells, 13 degrees of freedom: the 99.9% point of χ²(13) is 34.5
    expect(chi2).toBeLessThan(34.5);
  });

  it("is deterministic given the rng, and refuses when fewer than K tracks are allowed", () => {
    const pol = new RandomPolicy(30);
    const st = Int32Array.from([1, 2, 3]);
    const a = new Int32Array(5), b = new Int32Array(5);
    pol.recommend(keptStates(st), 1, 5, a, new Rng(4));
    pol.recommend(keptStates(st), 1, 5, b, new Rng(4));
    expect(a).toEqual(b);
    expect(() => new RandomPolicy(5).recommend(keptStates(st), 1, 3, new Int32Array(3), new Rng(0))).toThrow(/only 2 tracks left/);
  });
});

describe("popular", () => {
  const tr = sessions(8, [[0, 1, 1, 2], [1, 2, 3], [2, 5, 5, 5], [7]], [[false, true, true, false], [], [false, true, true, false], []]);
  it("returns the most played tracks of training not in the state, ties by lower index", () => {
    // plays: 0:1 1:3 2:3 3:1 5:3 7:1 -> order 1, 2, 5, 0, 3, 7, 4, 6
    expect(Array.from(trainingPlayCounts(tr))).toEqual([1, 3, 3, 1, 0, 3, 0, 1]);
    const pol = PopularPolicy.fit(tr);
    expect(Array.from(pol.order)).toEqual([1, 2, 5, 0, 3, 7, 4, 6]);
    const out = new Int32Array(6);
    pol.recommend(keptStates(Int32Array.from([2, 9 - 9, 6, 6])), 2, 3, out, new Rng(0)); // rows: [2, 0], [6, 6]
    expect(Array.from(out)).toEqual([1, 5, 3, 1, 2, 5]);
    // with exclusions (−1 padded)
    pol.recommend(keptStates(Int32Array.from([2, 0])), 1, 3, out, new Rng(0), { ids: Int32Array.from([1, -1]), X: 2 });
    expect(Array.from(out.subarray(0, 3))).toEqual([5, 3, 7]);
  });

  it("can count only unskipped plays; fitting respects the training subset", () => {
    const pol = PopularPolicy.fit(tr, { skipped: "ignore" });
    // unskipped plays: 0:1 1:1 (both plays in session 0 skipped) 2:3 3:1 5:1 7:1
    expect(Array.from(pol.counts)).toEqual([1, 1, 3, 1, 0, 1, 0, 1]);
    const sub = PopularPolicy.fit({ ...tr, sessions: [2, 3] });
    expect(Array.from(sub.counts)).toEqual([0, 0, 1, 0, 0, 3, 0, 1]);
  });
});

describe("item-kNN", () => {
  it("similarity is the cosine of session incidence vectors", () => {
    // n: 0→2, 1→2, 2→3, 3→1; C(0,1) = 2, C(0,2) = 1, C(1,2) = 1, C(2,3) = 1
    const tr = sessions(5, [[0, 1, 2], [1, 0, 0], [2, 3], [2]]);
    const knn = ItemKnnPolicy.fit(tr);
    const nb = (a: number) => {
      const r: [number, number][] = [];
      for (let q = knn.nbrStart[a]; q < knn.nbrStart[a + 1]; q++) r.push([knn.nbr[q], knn.sim[q]]);
      return r;
    };
    const close = (got: [number, number][], want: [number, number][]) => {
      expect(got.map((x) => x[0])).toEqual(want.map((x) => x[0]));
      got.forEach((g, i) => expect(g[1]).toBeCloseTo(want[i][1], 6));
    };
    close(nb(0), [[1, 2 / Math.sqrt(2 * 2)], [2, 1 / Math.sqrt(2 * 3)]]);
    close(nb(2), [[3, 1 / Math.sqrt(3 * 1)], [0, 1 / Math.sqrt(6)], [1, 1 / Math.sqrt(6)]]);
    close(nb(4), []);
    // a window of 1 keeps only adjacent pairs: (0,1), (1,2), (1,0), (2,3) -> 0 and 2 never adjacent
    const w1 = ItemKnnPolicy.fit(tr, { window: 1 });
    const n0: number[] = [];
    for (let q = w1.nbrStart[0]; q < w1.nbrStart[1]; q++) n0.push(w1.nbr[q]);
    expect(n0).toEqual([1]);
  });

  it("recovers planted co-occurrence, weights recent state tracks more, falls back to popularity", () => {
    // V = 60; tracks 2i and 2i+1 (i < 10) are partners: they share sessions; other tracks fill at random
    const V = 60, rng = new Rng(7);
    const list: number[][] = [];
    for (let s = 0; s < 400; s++) {
      const i = rng.int(10);
      const sess = [2 * i, 2 * i + 1];
      for (let f = 0; f < 4; f++) sess.push(20 + rng.int(40));
      rng.shuffle(sess);
      list.push(sess);
    }
    const knn = ItemKnnPolicy.fit(sessions(V, list));
    const N = 2, K = 3, out = new Int32Array(10 * K);
    // state [filler, 2i]: the partner 2i+1 comes first
    const states = new Int32Array(10 * N);
    for (let i = 0; i < 10; i++) states.set([20 + i, 2 * i], i * N);
    knn.recommend(keptStates(states), 10, K, out, rng);
    checkRows(knn, states, 10, N, K, out, V);
    for (let i = 0; i < 10; i++) expect(out[i * K], `state ${i}`).toBe(2 * i + 1);
    // recency: state [0, 2] (2 newest) -> 3 (partner of the newest) before 1
    knn.recommend(keptStates(Int32Array.from([0, 2])), 1, K, out, rng);
    expect(out[0]).toBe(3);
    expect(out[1]).toBe(1);
    knn.recommend(keptStates(Int32Array.from([2, 0])), 1, K, out, rng);
    expect(out[0]).toBe(1);
    expect(out[1]).toBe(3);
    // a state of tracks never seen in training has no candidates: the list is training popularity
    const a = new Int32Array(K), b = new Int32Array(K);
    const unseenV = 70;
    const knn2 = ItemKnnPolicy.fit(sessions(unseenV, list));
    const pop2 = PopularPolicy.fit(sessions(unseenV, list));
    knn2.recommend(keptStates(Int32Array.from([65, 66])), 1, K, a, rng);
    pop2.recommend(keptStates(Int32Array.from([65, 66])), 1, K, b, rng);
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it("fills a short candidate list from popularity, respecting exclusions", () => {
    // 0's only neighbour is 1; popularity: 4 (3 plays) > 5 (2) > ...
    const tr = sessions(7, [[0, 1], [4, 5], [4, 5], [4, 6]]);
    const knn = ItemKnnPolicy.fit(tr);
    const out = new Int32Array(3);
    knn.recommend(keptStates(Int32Array.from([0])), 1, 3, out, new Rng(0));
    expect(Array.from(out)).toEqual([1, 4, 5]);
    knn.recommend(keptStates(Int32Array.from([0])), 1, 3, out, new Rng(0), { ids: Int32Array.from([4, -1]), X: 2 });
    // 4 excluded: after 5 (2 plays) the one-play tracks 0, 1, 6 tie; 0 is the state, 1 taken
    expect(Array.from(out)).toEqual([1, 5, 6]);
  });
});
