// The vector multiply-add ceiling of this CPU as an engine build sees it: twelve independent
// chains of madd (assembly/simd.ts) and nothing else — no loads, no stores, no reductions until
// the end. In the SIMD128 build each step is f32x4.mul then f32x4.add (2 instructions); in the
// relaxed build it is f32x4.relaxed_madd, one fused instruction where the CPU has FMA. So one
// `npm run bench -- --filter peak` run shows how much any kernel can gain from the relaxed build
// on this machine: where the CPU issues a multiply and an add as fast as a fused multiply-add
// (separate add ports), the two ceilings are close and so are the builds' GEMMs.
//
// Twelve chains: enough in flight to hide a 6-cycle mul + add latency at 2 madds a cycle (and a
// 4-cycle FMA), few enough to stay in the 16 vector registers of x64 with the two constants.

import { madd } from "./simd";
import { need } from "./check";

/**
 * n rounds of acc_j ← madd(acc_j, a, b) (acc_j·a + b per lane) for 12 chains of 4 lanes, acc_j
 * starting at c + j in every lane: 96·n floating-point operations. Returns Σ_j acc_j (lane 0 of
 * each chain; the lanes are equal), so no chain can be dropped.
 */
export function peak_madd_f32(n: i32, a: f32, b: f32, c: f32): f32 {
  need(n >= 0, "peak_madd_f32: n must be >= 0");
  const va = f32x4.splat(a), vb = f32x4.splat(b);
  let x0 = f32x4.splat(c), x1 = f32x4.splat(c + 1), x2 = f32x4.splat(c + 2), x3 = f32x4.splat(c + 3);
  let x4 = f32x4.splat(c + 4), x5 = f32x4.splat(c + 5), x6 = f32x4.splat(c + 6), x7 = f32x4.splat(c + 7);
  let x8 = f32x4.splat(c + 8), x9 = f32x4.splat(c + 9), x10 = f32x4.splat(c + 10), x11 = f32x4.splat(c + 11);
  for (let i = 0; i < n; i++) {
    x0 = madd(x0, va, vb); x1 = madd(x1, va, vb); x2 = madd(x2, va, vb); x3 = madd(x3, va, vb);
    x4 = madd(x4, va, vb); x5 = madd(x5, va, vb); x6 = madd(x6, va, vb); x7 = madd(x7, va, vb);
    x8 = madd(x8, va, vb); x9 = madd(x9, va, vb); x10 = madd(x10, va, vb); x11 = madd(x11, va, vb);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(x0, x1), f32x4.add(x2, x3)), f32x4.add(f32x4.add(x4, x5), f32x4.add(x6, x7)));
  return f32x4.extract_lane(f32x4.add(s, f32x4.add(f32x4.add(x8, x9), f32x4.add(x10, x11))), 0);
}
