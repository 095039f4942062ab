// Tolerance checks for wasm f32 results against f64 references.
//
// Per element: |got - ref| <= atol + rtol * |ref|. For a result that sums `reduction`
// products, f32 rounding error grows roughly with sqrt(n) for random data and n in the
// worst case; tolerances passed here are per-term and widened by sqrt(reduction), which
// is what a correct kernel meets with a wide margin and a wrong index never does.
import { expect } from "vitest";

export interface Tol {
  atol: number;
  rtol: number;
}

export function widen(tol: Tol, reduction: number): Tol {
  const f = Math.sqrt(Math.max(1, reduction));
  return { atol: tol.atol * f, rtol: tol.rtol * f };
}

/** Index and size of the worst violation, or null when every element is within tolerance. */
export function worst(got: ArrayLike<number>, ref: ArrayLike<number>, tol: Tol): { i: number; got: number; ref: number; excess: number } | null {
  if (got.length !== ref.length) throw new Error(`length mismatch: got ${got.length}, reference ${ref.length}`);
  let bad: { i: number; got: number; ref: number; excess: number } | null = null;
  for (let i = 0; i < got.length; i++) {
    const g = got[i], r = ref[i];
    if (Number.isNaN(r) && Number.isNaN(g)) continue;
    if (r === g) continue; // covers matching infinities
    const err = Math.abs(g - r);
    const lim = tol.atol + tol.rtol * Math.abs(r);
    const excess = Number.isNaN(err) ? Infinity : err / lim;
    if (!(err <= lim) && (bad === null || excess > bad.excess)) bad = { i, got: g, ref: r, excess };
  }
  return bad;
}

export function expectClose(got: ArrayLike<number>, ref: ArrayLike<number>, tol: Tol, what = "result"): void {
  const w = worst(got, ref, tol);
  if (w !== null) {
    expect.fail(`${what}: element ${w.i} is ${w.got}, reference ${w.ref} (|err| = ${Math.abs(w.got - w.ref).toExponential(3)} > atol ${tol.atol.toExponential(2)} + rtol ${tol.rtol.toExponential(2)}·|ref|, ${w.excess.toFixed(1)}× the limit)`);
  }
}

/** The sizes every SIMD kernel is swept over: not multiples of 4 or of any tile, and some that are. */
export const SIZES = [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33, 64, 65] as const;
