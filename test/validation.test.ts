// Tuning on validation cuts (eval/validation.ts): the validation split partitions the training sessions,
// and hit rate@K / kept hit rate@K are the per-session means of hand-checked hits.
import { describe, expect, it } from "vitest";
import { LOG_FLAG } from "../src/data/log-parser.js";
import type { Policy } from "../src/core/policy.js";
import type { States } from "../src/core/state.js";
import { nextTrackHitRates, validationSplit } from "../src/eval/validation.js";

/** Always the first K tracks of `list` not in the state. */
class FixedPolicy implements Policy {
  constructor(readonly name: string, private readonly list: number[]) {}
  recommend(s: States, B: number, K: number, out: Int32Array): void {
    const N = s.tracks.length / B;
    for (let b = 0; b < B; b++) {
      const st = Array.from(s.tracks.subarray(b * N, (b + 1) * N));
      this.list.filter((t) => !st.includes(t)).slice(0, K).forEach((t, k) => (out[b * K + k] = t));
    }
  }
}

describe("validationSplit", () => {
  it("partitions the training sessions 70/30, ascending, seeded", () => {
    const train = Int32Array.from({ length: 101 }, (_, i) => 3 * i + 1);
    const a = validationSplit(train, { seed: 0 }), b = validationSplit(train, { seed: 0 }), c = validationSplit(train, { seed: 1 });
    expect(a.fit.length).toBe(71);
    expect(a.validation.length).toBe(30);
    expect([...a.fit, ...a.validation].sort((x, y) => x - y)).toEqual(Array.from(train));
    for (const part of [a.fit, a.validation]) for (let i = 1; i < part.length; i++) expect(part[i]).toBeGreaterThan(part[i - 1]);
    expect(b).toEqual(a);
    expect(Array.from(c.validation)).not.toEqual(Array.from(a.validation));
  });
});

describe("nextTrackHitRates", () => {
  it("hit and kept hit per position, averaged per session then over sessions", () => {
    // A = [0, 1, 2, 3] (3 skipped); B = [4, 5, 6, 7, 8]; C = [9, 10, 3, 3] (first 3 skipped, second kept)
    const rows = [[0, 1, 2, 3], [4, 5, 6, 7, 8], [9, 10, 3, 3]];
    const skipped = [[0, 0, 0, 1], [0, 0, 0, 0, 0], [0, 0, 1, 0]];
    const off = [0];
    for (const r of rows) off.push(off[off.length - 1] + r.length);
    const data = {
      trackCount: 11, sessionOffsets: Int32Array.from(off), tracks: Int32Array.from(rows.flat()),
      flags: Uint16Array.from(skipped.flat().map((s) => (s ? LOG_FLAG.skip_2 : 0))),
    };
    // N = 2, K = 2; the policy lists [3, 8] (never in these states)
    //   A p=2: truth [2, 3], 3 skipped → hit 1, kept 0
    //   B p=2: truth [6, 7] → 0, 0;  p=3: truth [7, 8] → 1, 1   → B: 0.5, 0.5
    //   C p=2: truth [3, 3], one kept → 1, 1
    const r = nextTrackHitRates(data, [0, 1, 2], [new FixedPolicy("fixed", [3, 8])], { N: 2, K: 2 }).get("fixed")!;
    expect(r.sessions).toBe(3);
    expect(r.states).toBe(4);
    expect(r.hit).toBeCloseTo((1 + 0.5 + 1) / 3, 15);
    expect(r.keptHit).toBeCloseTo((0 + 0.5 + 1) / 3, 15);
    // a session too short for any position does not count
    const r2 = nextTrackHitRates(data, [0], [new FixedPolicy("fixed", [3, 8])], { N: 3, K: 2 }).get("fixed")!;
    expect([r2.sessions, r2.states]).toEqual([0, 0]);
    expect(r2.hit).toBeNaN();
  });
});
