// Candidate sources (core/candidates.ts): selectTop against a full sort, SparseScores' stamps
// (including their wrap-around), SourcePolicy's popularity fill, and the popular and item-kNN
// adapters (item-kNN's source gives exactly ItemKnnPolicy's lists).
import { describe, expect, it } from "vitest";
import { selectTop, SourcePolicy, SparseScores, type CandidateSource } from "../src/core/candidates.js";
import { keptStates, type States } from "../src/core/state.js";
import { ItemKnnPolicy, ItemKnnSource, PopularPolicy, PopularSource, popularityOrder, type TrainingSessions } from "../src/eval/baselines.js";
import { Rng } from "../src/rng.js";

function sessions(V: number, list: number[][]): TrainingSessions {
  const off = [0], tr: number[] = [];
  for (const s of list) {
    tr.push(...s);
    off.push(tr.length);
  }
  return { V, sessionOffsets: Int32Array.from(off), tracks: Int32Array.from(tr), flags: new Uint16Array(tr.length) };
}

/** The reference ranking: every t with a non-zero score, by score descending, ties by lower index. */
function ranked(src: CandidateSource, V: number): number[] {
  const ts: number[] = [];
  for (let t = 0; t < V; t++) if (src.score(t) !== 0) ts.push(t);
  return ts.sort((a, b) => src.score(b) - src.score(a) || a - b);
}

describe("selectTop", () => {
  it("equals a full sort (score descending, ties by lower index) for odd sizes and heavy ties", () => {
    const rng = new Rng(5);
    const key = new Float64Array(200);
    for (const n of [0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33, 64, 65, 199]) {
      for (const M of [0, 1, 2, 3, 5, 16, 17, 64, 300]) {
        for (let i = 0; i < key.length; i++) key[i] = rng.int(7) / 2; // many ties
        const ids = new Int32Array(n);
        for (let i = 0; i < n; i++) ids[i] = i * 3 % 200;
        rng.shuffle(ids);
        const want = Array.from(ids).sort((a, b) => key[b] - key[a] || a - b).slice(0, M);
        const m = selectTop(ids, n, M, key);
        expect(m).toBe(Math.min(M, n));
        expect(Array.from(ids.subarray(0, m)), `n=${n} M=${M}`).toEqual(want);
        // the rest is still the other ids (a permutation, nothing lost)
        expect(Array.from(ids).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i * 3 % 200).sort((a, b) => a - b));
      }
    }
  });
});

describe("SparseScores", () => {
  it("accumulates, excludes the state and the exclusions, and starts clean on every state", () => {
    const sc = new SparseScores(10);
    const st: States = { tracks: Int32Array.from([1, 2, 3, 4]), kept: new Uint8Array(4).fill(1) };
    sc.begin("t", st, 2, 0, { ids: Int32Array.from([5, -1, 6, 7]), X: 2 }); // row 0: state 1, 2; excluded 5
    sc.add(3, 0.5);
    sc.add(1, 9); // a state track: ignored
    sc.add(5, 9); // excluded: ignored
    sc.add(3, 0.25);
    sc.add(8, 0.75);
    expect([sc.get(3), sc.get(8), sc.get(1), sc.get(5), sc.get(0)]).toEqual([0.75, 0.75, 0, 0, 0]);
    const out = new Int32Array(5).fill(-9);
    expect(sc.top("t", 5, out, 1)).toBe(2);
    expect(Array.from(out)).toEqual([-9, 3, 8, -9, -9]); // tie 0.75: lower index first
    sc.begin("t", st, 2, 1, { ids: Int32Array.from([5, -1, 6, 7]), X: 2 }); // row 1: state 3, 4; excluded 6, 7
    expect(sc.get(3)).toBe(0);
    sc.add(8, 1);
    sc.add(1, 2);
    expect(sc.top("t", 1, out, 0)).toBe(1);
    expect(out[0]).toBe(1);
    expect(() => sc.begin("t", st, 2, 2)).toThrow(/state row 2 of 2 plays is outside the 4 state values/);
    expect(() => sc.begin("t", { tracks: Int32Array.from([1, 12]), kept: new Uint8Array(2) }, 2, 0)).toThrow(/t: state 0 position 1 holds 12/);
    expect(() => sc.begin("t", st, 2, 0, { ids: Int32Array.from([10, 0]), X: 2 })).toThrow(/exclusion 0 of state 0 is 10/);
    sc.begin("t", st, 2, 0);
    sc.add(7, 1);
    sc.add(8, 1);
    expect(() => sc.top("t", 3, new Int32Array(1), 0)).toThrow(/out holds 1 values, need 2 from offset 0/);
  });

  it("survives the stamp wrap-around", () => {
    const sc = new SparseScores(6);
    const st = keptStates(Int32Array.from([0]));
    sc.begin("t", st, 1, 0);
    sc.add(4, 1);
    (sc as unknown as { stamp: number }).stamp = 0x3fffffff; // the next begin() wraps
    sc.begin("t", st, 1, 0);
    expect(sc.get(4)).toBe(0);
    sc.add(2, 3);
    expect([sc.get(2), sc.get(4)]).toEqual([3, 0]);
    expect(sc.excluded(0)).toBe(true);
    expect(sc.excluded(4)).toBe(false);
  });
});

describe("popular source", () => {
  it("scores plays / the most plays, lists the most played allowed tracks, never unplayed ones", () => {
    const tr = sessions(7, [[0, 1, 1, 2], [1, 2, 3], [2, 5, 5, 5]]);
    // plays 0:1 1:3 2:3 3:1 5:3 (4 and 6 never)
    const src = PopularSource.fit(tr);
    const st = keptStates(Int32Array.from([2, 6]));
    src.begin(st, 2, 0);
    expect([0, 1, 2, 3, 4, 5, 6].map((t) => src.score(t))).toEqual([1 / 3, 1, 0, 1 / 3, 0, 1, 0]);
    const out = new Int32Array(10);
    expect(src.top(10, out, 0)).toBe(4);
    expect(Array.from(out.subarray(0, 4))).toEqual([1, 5, 0, 3]);
    expect(ranked(src, 7)).toEqual([1, 5, 0, 3]);
    src.begin(st, 1, 1, { ids: Int32Array.from([9, 1]), X: 1 }); // row 1: state [6], excluded 1
    expect(src.top(2, out, 3)).toBe(2);
    expect(Array.from(out.subarray(3, 5))).toEqual([2, 5]);
  });
});

describe("SourcePolicy", () => {
  it("takes the source's top K and fills from the order, skipping the state, the exclusions and the listed", () => {
    // a source with evidence for 3 only
    const tr = sessions(6, [[0, 3], [4, 4, 4, 5, 5, 1]]);
    const knn = ItemKnnPolicy.fit(tr);
    const pol = new SourcePolicy(new ItemKnnSource(knn), popularityOrder(new Int32Array([1, 1, 0, 1, 3, 2])));
    // order: 4 (3), 5 (2), 0, 1, 3 (1 each), 2 (0)
    const out = new Int32Array(8);
    pol.recommend(keptStates(Int32Array.from([0, 5])), 2, 4, out, new Rng(0), { ids: Int32Array.from([4, -1]), X: 1 });
    // row 0: state [0], excluded 4: knn gives 3; fill 5, 1, 2
    // row 1: state [5], nothing excluded: knn gives 1, 4 (equal cosines 1: lower index first); fill 0, 3
    expect(Array.from(out)).toEqual([3, 5, 1, 2, 1, 4, 0, 3]);
    expect(pol.name).toBe("item-knn");
    expect(() => pol.recommend(keptStates(Int32Array.from([0, 1, 2])), 1, 4, out, new Rng(0))).toThrow(/item-knn: only 3 tracks left for state 0, need K = 4/);
    expect(() => new SourcePolicy(new ItemKnnSource(knn), Int32Array.from([0, 1, 1, 2, 3, 4]))).toThrow(/not a permutation of 0\.\.5 \(position 2 holds 1\)/);
  });
});

describe("item-kNN source", () => {
  it("gives exactly ItemKnnPolicy's lists, and its scores rank like top()", () => {
    const V = 80, rng = new Rng(11), list: number[][] = [];
    for (let s = 0; s < 300; s++) {
      const len = 2 + rng.int(8), sess: number[] = [];
      const base = rng.int(V);
      for (let i = 0; i < len; i++) sess.push(rng.float() < 0.6 ? (base + rng.int(6)) % V : rng.int(V));
      list.push(sess);
    }
    const tr = sessions(V, list);
    const knn = ItemKnnPolicy.fit(tr);
    const src = new ItemKnnSource(knn);
    const pol = new SourcePolicy(src, PopularPolicy.fit(tr).order);
    const B = 60, N = 5, K = 7, X = 3;
    const states = new Int32Array(B * N), ex = { ids: new Int32Array(B * X), X };
    for (let i = 0; i < B * N; i++) states[i] = rng.int(V);
    for (let i = 0; i < B * X; i++) ex.ids[i] = rng.float() < 0.3 ? -1 : rng.int(V);
    const a = new Int32Array(B * K), b = new Int32Array(B * K);
    knn.recommend(keptStates(states), B, K, a, rng, ex);
    pol.recommend(keptStates(states), B, K, b, rng, ex);
    expect(Array.from(b)).toEqual(Array.from(a));
    const top = new Int32Array(V);
    for (let r = 0; r < B; r++) {
      src.begin(keptStates(states), N, r, ex);
      const m = src.top(V, top, 0);
      expect(Array.from(top.subarray(0, m))).toEqual(ranked(src, V));
      for (let n = 0; n < N; n++) expect(src.score(states[r * N + n])).toBe(0);
    }
  });
});
