// The multiply-add ceiling kernel (assembly/peak.ts) against its f64 reference: the benchmark's
// peak rows time it, so it must compute what it claims (12 chains, n rounds each).
import { describe, expect, it } from "vitest";
import { peakMaddRef } from "./reference/peak.js";
import { SIZES } from "./util/close.js";
import { loadEngine } from "./util/engine.js";

describe("peak_madd_f32", async () => {
  const engine = await loadEngine();
  const x = engine.x;

  it("integer chains are exact in f32 (fused or not): Σ_j (c + j + n) for a = b = 1", () => {
    for (const n of [0, ...SIZES, 1001, 4097]) expect(x.peak_madd_f32(n, 1, 1, 3)).toBe(12 * (3 + n) + 66);
  });

  it("contracting chains match the f64 reference within the rounding bound", () => {
    // v ← 0.75·v + 0.5 from v_0 ≤ 12.25: each step rounds (once fused, twice not) by at most
    // 2u·(0.75·12.25 + 0.5) ≤ 2^-23·9.7, and the contraction sums those to ≤ 4·2^-23·9.7 ≈ 4.7e-6
    // a chain; twelve chains and the final f32 sum of values ≤ 12.25 add at most 12·4.7e-6 +
    // 12·2^-24·150 ≈ 1.7e-4. The tolerance is that bound.
    for (const n of [0, ...SIZES, 1001]) {
      const got = x.peak_madd_f32(n, 0.75, 0.5, 1.25), want = peakMaddRef(n, 0.75, 0.5, 1.25);
      expect(Math.abs(got - want), `n = ${n}: ${got} vs ${want}`).toBeLessThanOrEqual(1.7e-4);
    }
  });

  it("refuses a negative round count", () => {
    expect(() => x.peak_madd_f32(-1, 1, 1, 0)).toThrow(/peak_madd_f32: n must be >= 0/);
  });
});
