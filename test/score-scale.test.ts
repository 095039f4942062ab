// Each score of a list on its own slot's scale (src/core/score-scale.ts), on a hand-built
// catalog where every score, range and rank is worked out by hand; and the refusal when the
// scores given are not w · e.
import { describe, expect, it } from "vitest";
import { slotScales } from "../src/core/score-scale.js";

describe("slot scales", () => {
  // d = 2, V = 5 tracks: e0 (1,0), e1 (0,1), e2 (1,1), e3 (-1,0), e4 (0.5,0)
  const E = Float32Array.from([1, 0, 0, 1, 1, 1, -1, 0, 0.5, 0]);
  // slot 1: w = (1, 0) scores 1, 0, 1, -1, 0.5; slot 2: w = (0, 2) scores 0, 2, 2, 0, 0
  const w = Float32Array.from([1, 0, 0, 2]);

  it("ranges and ranks under each slot's own vector, the history excluded", () => {
    // history holds track 0; slot 1 takes its best left, track 2 (1); slot 2's best is 1 or 2 (2),
    // track 2 is taken, so it takes track 1 (2): its rank is 1 (track 2 ties, not above)
    const s = slotScales(w, 2, 2, E, 5, [0], [2, 1], Float32Array.from([1, 2]))!;
    expect(s).toEqual([
      { slot: 1, score: 1, rank: 1, eligible: 4, min: -1, max: 1 },
      { slot: 2, score: 2, rank: 1, eligible: 4, min: 0, max: 2 },
    ]);
    // a slot whose favourite an earlier slot took: slot 2 given track 4 (score 0) ranks behind 1 and 2
    const t = slotScales(w, 2, 2, E, 5, [0], [2, 4], Float32Array.from([1, 0]))!;
    expect(t[1].rank).toBe(3);
  });

  it("refuses scores that are not w · e (a model with a bias), and bad picks", () => {
    expect(slotScales(w, 2, 2, E, 5, [0], [2, 1], Float32Array.from([1.25, 2]))).toBeNull();
    expect(() => slotScales(w, 2, 2, E, 5, [0], [2, 9], Float32Array.from([1, 2]))).toThrow(/slot 2 holds 9/);
    expect(() => slotScales(w, 3, 2, E, 5, [0], [2, 1, 0], Float32Array.from([1, 2, 0]))).toThrow(/need K·d = 6/);
  });
});
