// The learning-curve functions of the report and the demo page (src/report/curves.ts): moving
// average, min/max downsampling, thinning and constant detection, on series worked out by hand.
import { describe, expect, it } from "vitest";
import { constantValue, downsampleMinMax, movingAverage, smoothingWindow, thin } from "../src/report/curves.js";

describe("learning-curve functions", () => {
  it("trailing moving average over the finite values of the window", () => {
    expect(movingAverage([1, 2, 3, 4, 5], 2)).toEqual([1, 1.5, 2.5, 3.5, 4.5]);
    expect(movingAverage([1, 2, 3, 4, 5], 10)).toEqual([1, 1.5, 2, 2.5, 3]);
    // NaN (before the first update) is skipped, not counted as 0
    const m = movingAverage([NaN, NaN, 2, 4, 6], 3);
    expect(Number.isNaN(m[0]) && Number.isNaN(m[1])).toBe(true);
    expect(m.slice(2)).toEqual([2, 3, 4]);
    expect(() => movingAverage([1], 0)).toThrow(/positive integer/);
  });

  it("the window is about a fiftieth of the run, at least 5, at most the run", () => {
    expect(smoothingWindow(3)).toBe(3);
    expect(smoothingWindow(100)).toBe(5);
    expect(smoothingWindow(1000)).toBe(20);
    expect(smoothingWindow(8000)).toBe(160);
  });

  it("min/max downsampling keeps each stretch's extremes in order, and every spike", () => {
    const n = 10_000, xs = Array.from({ length: n }, (_, i) => i + 1), ys = xs.map((x) => Math.sin(x / 300));
    ys[5000] = 50; // one spike
    const pts = downsampleMinMax(xs, ys, 100);
    expect(pts.length).toBeLessThanOrEqual(200);
    expect(pts.length).toBeGreaterThan(100);
    expect(pts.some(([x, y]) => x === 5001 && y === 50)).toBe(true);
    for (let i = 1; i < pts.length; i++) expect(pts[i][0]).toBeGreaterThan(pts[i - 1][0]);
    // a bin's lowest and highest values, in the order they occur
    expect(downsampleMinMax([1, 2, 3, 4, 5, 6], [5, 1, 9, 2, 8, 3], 3)).toEqual([[1, 5], [2, 1], [3, 9], [4, 2], [5, 8], [6, 3]]); // short: whole
    expect(downsampleMinMax([1, 2, 3, 4, 5, 6, 7], [5, 1, 9, 2, 8, 3, 4], 1)).toEqual([[2, 1], [3, 9]]);
    // non-finite values: gaps
    expect(downsampleMinMax([1, 2], [NaN, 1], 5)).toEqual([[1, null], [2, 1]]);
  });

  it("thinning keeps the first, every step-th and the last point", () => {
    expect(thin([1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, 5, 6, 7], 3)).toEqual([[1, 1], [4, 4], [7, 7]]);
    expect(thin([1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, NaN], 3)).toEqual([[1, 1], [3, 3], [5, 5], [6, null]]);
  });

  it("constant series: every finite value equal", () => {
    expect(constantValue([4, 4, NaN, 4])).toBe(4);
    expect(constantValue([2, 2, 2.0000001])).toBeNull();
    expect(constantValue([NaN, NaN])).toBeNull();
    expect(constantValue([])).toBeNull();
  });
});
