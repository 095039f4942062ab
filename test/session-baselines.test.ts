// Session baselines (eval/session-baselines.ts): Markov transitions, SKNN and V-SKNN on tiny
// hand-built sessions whose scores are computed by hand below, the feedback options, sampling
// (the merge of the inverted lists), and the Policy contract for every source-backed policy.
import { describe, expect, it } from "vitest";
import { LOG_FLAG } from "../src/data/log-parser.js";
import { SourcePolicy, type CandidateSource } from "../src/core/candidates.js";
import type { Policy } from "../src/core/policy.js";
import { keptStates, type States } from "../src/core/state.js";
import { ItemKnnPolicy, ItemKnnSource, PopularPolicy, PopularSource, type TrainingSessions } from "../src/eval/baselines.js";
import { fitMarkov, fitSknn, fitVsknn, MarkovSource, SessionKnnSource, SKNN_DEFAULTS, VSKNN_DEFAULTS } from "../src/eval/session-baselines.js";
import { Rng } from "../src/rng.js";

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

function state(tracks: number[], kept?: number[]): States {
  return { tracks: Int32Array.from(tracks), kept: Uint8Array.from(kept ?? tracks.map(() => 1)) };
}

/** Scores of tracks 0..V−1 after begin() on a one-row state. */
function scores(src: CandidateSource, st: States, V: number): number[] {
  src.begin(st, st.tracks.length, 0);
  return Array.from({ length: V }, (_, t) => src.score(t));
}

function topOf(src: CandidateSource, M: number): number[] {
  const out = new Int32Array(M);
  return Array.from(out.subarray(0, src.top(M, out, 0)));
}

function expectClose(got: number[], want: number[]): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(g, `track ${i}`).toBeCloseTo(want[i], 12));
}

describe("markov", () => {
  // transitions: 0→1 ×2, 0→2, 1→2 ×2, 1→3, 2→4
  const list = [[0, 1, 2], [0, 1, 3], [0, 2], [1, 2, 4]];
  it("P(b | a) from consecutive plays, newest track's successors first, older ones decayed", () => {
    const src = MarkovSource.fit(sessions(8, list), { decay: 0.5 });
    // successors most probable first
    const succ = (a: number) => Array.from(src.next.subarray(src.start[a], src.start[a + 1]));
    expect([succ(0), succ(1), succ(2), succ(4)]).toEqual([[1, 2], [2, 3], [4], []]);
    // state [1, 0] (0 newest): 2 = 1·P(2|0) + 0.5·P(2|1) = 1/3 + 1/3; 3 = 0.5·P(3|1) = 1/6; 1 is in the state
    expectClose(scores(src, state([1, 0]), 8), [0, 0, 2 / 3, 1 / 6, 0, 0, 0, 0]);
    expect(topOf(src, 5)).toEqual([2, 3]);
    // the policy fills from popularity (plays 0:3 1:3 2:3 3:1 4:1): after 2, 3 comes 4
    const out = new Int32Array(3);
    fitMarkov(sessions(8, list), { decay: 0.5 }).recommend(state([1, 0]), 1, 3, out, new Rng(0));
    expect(Array.from(out)).toEqual([2, 3, 4]);
  });

  it("a small decay is a back-off: the newest track's successors lead", () => {
    // state [0, 2]: newest 2 → 4 (P 1); older 0 → 1 (2/3)
    const src = MarkovSource.fit(sessions(8, list), { decay: 0.1 });
    expectClose(scores(src, state([0, 2]), 8), [0, 0.1 * 2 / 3, 0, 0, 1, 0, 0, 0]);
    expect(topOf(src, 3)).toEqual([4, 1]);
  });

  it("feedback: skipped transitions and skipped state tracks", () => {
    // row 1 of session 0 (track 1) and row 2 of session 3 (track 4) skipped
    const skips = [[false, true, false], [], [], [false, false, true]];
    const tr = sessions(8, list, skips);
    // skippedNextWeight 0: 0→1 counts only in session 1 → P(1|0) = P(2|0) = 1/2; 2→4 only skipped → 2 has no successor
    const w0 = MarkovSource.fit(tr, { skippedNextWeight: 0, decay: 0.5 });
    expectClose(scores(w0, state([3, 0]), 8), [0, 0.5, 0.5, 0, 0, 0, 0, 0]);
    expectClose(scores(w0, state([2]), 8), [0, 0, 0, 0, 0, 0, 0, 0]);
    // skippedNextWeight 0.5: c(0→1) = 1.5, c(0→2) = 1 → 0.6, 0.4
    expectClose(scores(MarkovSource.fit(tr, { skippedNextWeight: 0.5 }), state([0]), 8), [0, 0.6, 0.4, 0, 0, 0, 0, 0]);
    // skipped "ignore": session 0 becomes [0, 2], session 3 [1, 2] → 0→1 ×1 (session 1), 0→2 ×2
    expectClose(scores(MarkovSource.fit(tr, { skipped: "ignore" }), state([0]), 8), [0, 1 / 3, 2 / 3, 0, 0, 0, 0, 0]);
    // skippedStateWeight: state [1, 0] with 0 skipped: 0's successors weigh 0.25
    const sw = MarkovSource.fit(tr, { decay: 0.5, skippedStateWeight: 0.25 });
    expectClose(scores(sw, state([1, 0], [1, 0]), 8), [0, 0, 0.25 / 3 + 0.5 * 2 / 3, 0.5 / 3, 0, 0, 0, 0]);
    expect(() => MarkovSource.fit(tr, { decay: 0 })).toThrow(/markov: decay must be in \(0, 1\], got 0/);
    expect(() => MarkovSource.fit(tr, { skippedStateWeight: 2 })).toThrow(/skippedStateWeight must be in \[0, 1\], got 2/);
  });

  it("repeated state tracks count at each position; only training sessions count", () => {
    const src = MarkovSource.fit({ ...sessions(8, list), sessions: [2, 3] }, { decay: 0.5 }); // 0→2, 1→2, 2→4
    expectClose(scores(src, state([0, 1, 0]), 8), [0, 0, 1 + 0.5 + 0.25, 0, 0, 0, 0, 0]);
  });
});

describe("session-kNN", () => {
  //        u0: {0, 1, 2}   u1: {0, 3}   u2: {1, 2, 4, 5}   u3: {6, 7}
  const list = [[0, 1, 2], [0, 3, 3], [1, 2, 4, 5], [6, 7]];
  const V = 10;
  const c0 = 2 / (Math.SQRT2 * Math.sqrt(3)), c1 = 1 / (Math.SQRT2 * Math.SQRT2), c2 = 1 / (Math.SQRT2 * 2);

  it("SKNN: cosine of binary sets, the k most similar sessions vote their similarity", () => {
    const tr = sessions(V, list);
    // state {0, 1}: sim u0 = 2/(√2·√3), u1 = 1/(√2·√2), u2 = 1/(√2·√4), u3 none
    const k2 = SessionKnnSource.fit(tr, { ...SKNN_DEFAULTS, k: 2 });
    expectClose(scores(k2, state([0, 1]), V), [0, 0, c0, c1, 0, 0, 0, 0, 0, 0]);
    expect(topOf(k2, 10)).toEqual([2, 3]);
    const k3 = SessionKnnSource.fit(tr, { ...SKNN_DEFAULTS, k: 3 });
    expectClose(scores(k3, state([0, 1]), V), [0, 0, c0 + c2, c1, c2, c2, 0, 0, 0, 0]);
    expect(topOf(k3, 10)).toEqual([2, 3, 4, 5]);
    // the order of the state and repeats do not matter to SKNN
    expectClose(scores(k3, state([1, 0, 1, 1]), V), [0, 0, c0 + c2, c1, c2, c2, 0, 0, 0, 0]);
    // a state sharing nothing with training: no evidence
    expectClose(scores(k3, state([8, 9]), V), new Array(V).fill(0));
  });

  it("sampling keeps the m most recent candidate sessions (a merge of the inverted lists)", () => {
    const tr = sessions(V, list);
    // candidates of {0, 1}: u0, u1, u2; the 2 most recent (highest index) are u2, u1
    const m2 = SessionKnnSource.fit(tr, { ...SKNN_DEFAULTS, k: 3, sample: 2 });
    expectClose(scores(m2, state([0, 1]), V), [0, 0, c2, c1, c2, c2, 0, 0, 0, 0]);
    expect(topOf(m2, 10)).toEqual([3, 2, 4, 5]);
    // sample 3 < the 4 postings of {0, 1}: the merge runs and takes all three candidates, as no sampling does
    const m3 = SessionKnnSource.fit(tr, { ...SKNN_DEFAULTS, k: 3, sample: 3 });
    const all = SessionKnnSource.fit(tr, { ...SKNN_DEFAULTS, k: 3, sample: 0 });
    expect(scores(m3, state([0, 1]), V)).toEqual(scores(all, state([0, 1]), V));
    // sample 1: only u2 (shares 1 only)
    const m1 = SessionKnnSource.fit(tr, { ...SKNN_DEFAULTS, k: 3, sample: 1 });
    expectClose(scores(m1, state([0, 1]), V), [0, 0, c2, 0, c2, c2, 0, 0, 0, 0]);
  });

  it("V-SKNN: linear position weights, votes divided by the step of the newest shared track", () => {
    const tr = sessions(V, list);
    const src = SessionKnnSource.fit(tr, { ...VSKNN_DEFAULTS, k: 3 });
    // state [0, 1]: w(0) = 1/2 (oldest), w(1) = 1 (newest); |w| = √1.25
    const n = Math.sqrt(1.25);
    const s0 = 1.5 / (n * Math.sqrt(3)), s1 = 0.5 / (n * Math.SQRT2), s2 = 1 / (n * 2);
    // u0 and u2 share the newest track (step 1); u1 only the older 0 (step 2)
    expectClose(scores(src, state([0, 1]), V), [0, 0, s0 + s2, s1 / 2, s2, s2, 0, 0, 0, 0]);
    // a repeated track takes its newest position: state [0, 1, 0] → w(0) = 1, w(1) = 2/3
    const m = Math.sqrt(1 + 4 / 9);
    const r0 = (1 + 2 / 3) / (m * Math.sqrt(3)), r1 = 1 / (m * Math.SQRT2), r2 = (2 / 3) / (m * 2);
    expectClose(scores(src, state([0, 1, 0]), V), [0, 0, r0 + r2 / 2, r1, r2 / 2, r2 / 2, 0, 0, 0, 0]);
    // quadratic variants: w = ((n + 1)/N)², votes / step²
    const q = SessionKnnSource.fit(tr, { ...VSKNN_DEFAULTS, k: 3, positionWeight: "quadratic", matchDecay: "quadratic" });
    const nq = Math.sqrt(1 / 16 + 1);
    const q0 = 1.25 / (nq * Math.sqrt(3)), q1 = 0.25 / (nq * Math.SQRT2), q2 = 1 / (nq * 2);
    expectClose(scores(q, state([0, 1]), V), [0, 0, q0 + q2, q1 / 4, q2, q2, 0, 0, 0, 0]);
  });

  it("feedback: skipped state tracks and skipped neighbour plays weigh less", () => {
    // in u2, track 4 is skipped; in u1, one of the two plays of 3 is skipped (3 still kept there)
    const tr = sessions(V, list, [[], [false, true, false], [false, false, true, false], []]);
    // skippedStateWeight 0, state [0, 1] with 0 skipped: the state is {1}, |w| = 1; u1 is no candidate
    const s0 = SessionKnnSource.fit(tr, { ...SKNN_DEFAULTS, k: 3, skippedStateWeight: 0 });
    expectClose(scores(s0, state([0, 1], [0, 1]), V), [0, 0, 1 / Math.sqrt(3) + 0.5, 0, 0.5, 0.5, 0, 0, 0, 0]);
    // skippedStateWeight 0.5: w(0) = 0.5, |w| = √1.25
    const sh = SessionKnnSource.fit(tr, { ...SKNN_DEFAULTS, k: 3, skippedStateWeight: 0.5 });
    const n = Math.sqrt(1.25);
    expectClose(scores(sh, state([0, 1], [0, 1]), V), [0, 0, 1.5 / (n * Math.sqrt(3)) + 1 / (n * 2), 0.5 / (n * Math.SQRT2), 1 / (n * 2), 1 / (n * 2), 0, 0, 0, 0]);
    // skippedVoteWeight 0.5: u2's vote for 4 halves; 3 was kept once in u1, so its vote stands
    const sv = SessionKnnSource.fit(tr, { ...SKNN_DEFAULTS, k: 3, skippedVoteWeight: 0.5 });
    expectClose(scores(sv, state([0, 1]), V), [0, 0, c0 + c2, c1, c2 / 2, c2, 0, 0, 0, 0]);
    // skipped "ignore": u2 becomes {1, 2, 5} (|u2| = 3)
    const ig = SessionKnnSource.fit(tr, { ...SKNN_DEFAULTS, k: 3, skipped: "ignore" });
    const c2i = 1 / (Math.SQRT2 * Math.sqrt(3));
    expectClose(scores(ig, state([0, 1]), V), [0, 0, c0 + c2i, c1, 0, c2i, 0, 0, 0, 0]);
  });

  it("checks its options", () => {
    const tr = sessions(V, list);
    expect(() => SessionKnnSource.fit(tr, { k: 0 })).toThrow(/sknn: k must be a positive integer, got 0/);
    expect(() => SessionKnnSource.fit(tr, { sample: -1 })).toThrow(/sample must be a non-negative integer/);
    expect(() => SessionKnnSource.fit(tr, { name: "vsknn", positionWeight: "cubic" as "linear" })).toThrow(/vsknn: positionWeight must be "same", "linear" or "quadratic", got cubic/);
    expect(() => SessionKnnSource.fit({ ...tr, flags: undefined }, { skippedVoteWeight: 0.5 })).toThrow(/skippedVoteWeight needs the sessions' kept flags/);
  });

  it("its stamps survive their wrap-around", () => {
    const src = SessionKnnSource.fit(sessions(V, list), { ...SKNN_DEFAULTS, k: 3 });
    const want = scores(src, state([0, 1]), V);
    scores(src, state([6]), V);
    const priv = src as unknown as { sStamp: number; tStamp: number };
    priv.sStamp = 0x3fffffff;
    priv.tStamp = 0x3fffffff;
    expect(scores(src, state([0, 1]), V)).toEqual(want);
    expect(scores(src, state([0, 1]), V)).toEqual(want);
  });
});

describe("the Policy contract, for every source-backed policy", () => {
  it("K distinct tracks, none in the state or the exclusions, lists always full; top() agrees with score()", () => {
    const V = 70, rng = new Rng(3), list: number[][] = [], skips: boolean[][] = [];
    for (let s = 0; s < 250; s++) {
      const len = 3 + rng.int(12), base = rng.int(V), sess: number[] = [], sk: boolean[] = [];
      for (let i = 0; i < len; i++) {
        sess.push(rng.float() < 0.7 ? (base + i) % 60 : rng.int(60)); // tracks 60..69 never played
        sk.push(rng.float() < 0.5);
      }
      list.push(sess);
      skips.push(sk);
    }
    const tr = { ...sessions(V, list, skips), sessions: Int32Array.from({ length: 200 }, (_, i) => i) };
    const order = PopularPolicy.fit(tr).order;
    const sources: CandidateSource[] = [
      PopularSource.fit(tr), new ItemKnnSource(ItemKnnPolicy.fit(tr)),
      MarkovSource.fit(tr), MarkovSource.fit(tr, { name: "markov-fb", skippedNextWeight: 0.3, skippedStateWeight: 0.5 }),
      SessionKnnSource.fit(tr, SKNN_DEFAULTS), SessionKnnSource.fit(tr, { ...VSKNN_DEFAULTS, sample: 5, skippedStateWeight: 0.4, skippedVoteWeight: 0.2 }),
    ];
    const policies: Policy[] = [...sources.map((s) => new SourcePolicy(s, order)), fitMarkov(tr), fitSknn(tr), fitVsknn(tr)];
    expect(policies.slice(-3).map((p) => p.name)).toEqual(["markov", "sknn", "vsknn"]);
    const B = 40, N = 10, K = 5, X = 4;
    const st = { tracks: new Int32Array(B * N), kept: new Uint8Array(B * N) }, ex = { ids: new Int32Array(B * X), X };
    for (let b = 0; b < B; b++) {
      const a = rng.int(250); // states from sessions, some held out, some of unplayed tracks
      for (let n = 0; n < N; n++) {
        st.tracks[b * N + n] = b % 7 === 0 ? 60 + rng.int(10) : list[a][n % list[a].length];
        st.kept[b * N + n] = rng.int(2);
      }
      for (let x = 0; x < X; x++) ex.ids[b * X + x] = rng.float() < 0.25 ? -1 : rng.int(V);
    }
    const out = new Int32Array(B * K);
    for (const p of policies) {
      p.recommend(st, B, K, out, rng, ex);
      for (let b = 0; b < B; b++) {
        const row = Array.from(out.subarray(b * K, (b + 1) * K));
        const banned = [...st.tracks.subarray(b * N, (b + 1) * N), ...ex.ids.subarray(b * X, (b + 1) * X)];
        expect(new Set(row).size, `${p.name} row ${b}`).toBe(K);
        for (const t of row) {
          expect(t >= 0 && t < V).toBe(true);
          expect(banned, `${p.name} row ${b}`).not.toContain(t);
        }
      }
    }
    const top = new Int32Array(V);
    for (const src of sources) {
      let evidence = 0;
      for (let b = 0; b < B; b++) {
        src.begin(st, N, b, ex);
        const want: number[] = [];
        for (let t = 0; t < V; t++) if (src.score(t) !== 0) want.push(t);
        want.sort((u, v) => src.score(v) - src.score(u) || u - v);
        const m = src.top(V, top, 0);
        expect(Array.from(top.subarray(0, m)), `${src.name} row ${b}`).toEqual(want);
        const banned = [...st.tracks.subarray(b * N, (b + 1) * N), ...ex.ids.subarray(b * X, (b + 1) * X)];
        for (const t of banned) if (t >= 0) expect(src.score(t)).toBe(0);
        for (const t of want) expect(src.score(t)).toBeGreaterThan(0);
        if (m > 0) evidence++;
        // a shorter top() is a prefix of the longer one
        const m3 = src.top(3, top, 0);
        expect(Array.from(top.subarray(0, m3))).toEqual(want.slice(0, 3));
      }
      expect(evidence, src.name).toBeGreaterThan(B / 2);
    }
    // too few tracks left in the whole catalog
    const tiny = sessions(4, [[0, 1, 2, 3]]);
    expect(() => fitVsknn(tiny).recommend(keptStates(Int32Array.from([0, 1])), 1, 3, new Int32Array(3), rng)).toThrow(/vsknn: only 2 tracks left for state 0, need K = 3/);
  });
});
