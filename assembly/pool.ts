// Feedback-weighted pooling of a listening history: the skip-aware state encoder's first layer.
// Every history item carries its feedback, kept (1) or skipped (0), and each of C output
// channels pools the N items with a learned weight per (channel, position, feedback):
//
//   out (B, C, D)[b, c, :] = Σ_n alpha[c, n, kept(b, n)] · x[b, n, :]
//
// so one channel can average the kept items, another the skipped ones, another weight recent
// items more (src/nn/pool.ts initialises them so), and training reshapes them.
//
// Dimensions: B batch rows, N history items, C channels, D embedding width.
// Layouts, row-major: x (B, N, D) f32, kept (B, N) u8 (any non-zero byte counts as kept),
// alpha (C, N, 2) f32 with [c, n, 0] the weight of a skipped item, [c, n, 1] of a kept one,
// out and dout (B, C, D) f32. Pointers are byte addresses (f32 arrays 4-byte aligned).
//
// Summation order: every out element sums its N terms in increasing n, in f32, starting from
// +0, whether it lands in a v128 lane or in the scalar tail (D & 3), so equal inputs give equal
// bits everywhere. Backward follows the same rule (dx over c in increasing c; each dalpha term
// is a dot product over D in 4 lane classes combined as (l0 + l2) + (l1 + l3), then the tail).
//
// Backward ADDS into dalpha and dx, like every backward pass here (clear them with zero_grad).
// No output may overlap an input; dx is skipped when its pointer is 0.

import { need, inside, disjoint, f32s } from "./check";

// The weight alpha[c, n, kept(b, n)] (byte address of the f32).
@inline function weightAt(alpha: usize, kept: usize, N: i32, b: i32, c: i32, n: i32): usize {
  const f: i32 = load<u8>(kept + <usize>(b * N + n)) != 0 ? 1 : 0;
  return alpha + (<usize>((c * N + n) * 2 + f) << 2);
}

/** out (B, C, D) = Σ_n alpha[c, n, kept(b, n)] · x (B, N, D)[b, n, :] */
export function pool_feedback_forward_f32(B: i32, N: i32, C: i32, D: i32, x: usize, kept: usize,
                                          alpha: usize, out: usize): void {
  need(B >= 0 && N >= 0 && C >= 0 && D >= 0, "pool_feedback_forward_f32: negative size");
  assert(inside(x, f32s(B * N * D)), "pool_feedback_forward_f32: x out of bounds");
  assert(inside(kept, <usize>max(B * N, 0)), "pool_feedback_forward_f32: kept out of bounds");
  assert(inside(alpha, f32s(C * N * 2)), "pool_feedback_forward_f32: alpha out of bounds");
  assert(inside(out, f32s(B * C * D)), "pool_feedback_forward_f32: out out of bounds");
  assert(disjoint(out, f32s(B * C * D), x, f32s(B * N * D)), "pool_feedback_forward_f32: out overlaps x");
  assert(disjoint(out, f32s(B * C * D), alpha, f32s(C * N * 2)), "pool_feedback_forward_f32: out overlaps alpha");
  const rowB = <usize>D << 2;
  const D16 = D & ~15, D4 = D & ~3;
  for (let b = 0; b < B; b++) {
    const xb = x + <usize>(b * N) * rowB;
    for (let c = 0; c < C; c++) {
      const o = out + <usize>(b * C + c) * rowB;
      let j = 0;
      // 16 columns at a time: one weight splat feeds 4 accumulators
      for (; j < D16; j += 16) {
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
        let p = xb + (<usize>j << 2);
        for (let n = 0; n < N; n++) {
          const w = v128.load32_splat(weightAt(alpha, kept, N, b, c, n));
          a0 = f32x4.add(a0, f32x4.mul(w, v128.load(p)));
          a1 = f32x4.add(a1, f32x4.mul(w, v128.load(p, 16)));
          a2 = f32x4.add(a2, f32x4.mul(w, v128.load(p, 32)));
          a3 = f32x4.add(a3, f32x4.mul(w, v128.load(p, 48)));
          p += rowB;
        }
        const q = o + (<usize>j << 2);
        v128.store(q, a0); v128.store(q, a1, 16); v128.store(q, a2, 32); v128.store(q, a3, 48);
      }
      for (; j < D4; j += 4) {
        let a0 = f32x4.splat(0);
        let p = xb + (<usize>j << 2);
        for (let n = 0; n < N; n++) {
          a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(weightAt(alpha, kept, N, b, c, n)), v128.load(p)));
          p += rowB;
        }
        v128.store(o + (<usize>j << 2), a0);
      }
      for (; j < D; j++) {
        let s: f32 = 0;
        let p = xb + (<usize>j << 2);
        for (let n = 0; n < N; n++) {
          s = s + load<f32>(weightAt(alpha, kept, N, b, c, n)) * load<f32>(p);
          p += rowB;
        }
        store<f32>(o + (<usize>j << 2), s);
      }
    }
  }
}

// Σ_j u[j]·v[j] over D: 4 lane classes (j mod 4, increasing j), (l0 + l2) + (l1 + l3), then the tail.
@inline function dot(D: i32, u: usize, v: usize): f32 {
  let a = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= D; j += 4) {
    const o = <usize>j << 2;
    a = f32x4.add(a, f32x4.mul(v128.load(u + o), v128.load(v + o)));
  }
  let s = (f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 2)) + (f32x4.extract_lane(a, 1) + f32x4.extract_lane(a, 3));
  for (; j < D; j++) s += load<f32>(u + (<usize>j << 2)) * load<f32>(v + (<usize>j << 2));
  return s;
}

/**
 * Backward of pool_feedback_forward_f32, given dout (B, C, D) = ∂L/∂out:
 *   dalpha (C, N, 2)[c, n, kept(b, n)] += Σ_b Σ_j dout[b, c, j] · x[b, n, j]
 *   dx (B, N, D)[b, n, :] += Σ_c alpha[c, n, kept(b, n)] · dout[b, c, :]      (skipped when dx = 0)
 * dalpha's terms are added batch row by batch row, in increasing b.
 */
export function pool_feedback_backward_f32(B: i32, N: i32, C: i32, D: i32, x: usize, kept: usize,
                                           alpha: usize, dout: usize, dalpha: usize, dx: usize): void {
  need(B >= 0 && N >= 0 && C >= 0 && D >= 0, "pool_feedback_backward_f32: negative size");
  assert(inside(x, f32s(B * N * D)), "pool_feedback_backward_f32: x out of bounds");
  assert(inside(kept, <usize>max(B * N, 0)), "pool_feedback_backward_f32: kept out of bounds");
  assert(inside(alpha, f32s(C * N * 2)), "pool_feedback_backward_f32: alpha out of bounds");
  assert(inside(dout, f32s(B * C * D)), "pool_feedback_backward_f32: dout out of bounds");
  assert(inside(dalpha, f32s(C * N * 2)), "pool_feedback_backward_f32: dalpha out of bounds");
  assert(disjoint(dalpha, f32s(C * N * 2), alpha, f32s(C * N * 2)), "pool_feedback_backward_f32: dalpha overlaps alpha");
  assert(disjoint(dalpha, f32s(C * N * 2), dout, f32s(B * C * D)), "pool_feedback_backward_f32: dalpha overlaps dout");
  if (dx != 0) {
    assert(inside(dx, f32s(B * N * D)), "pool_feedback_backward_f32: dx out of bounds");
    assert(disjoint(dx, f32s(B * N * D), x, f32s(B * N * D)), "pool_feedback_backward_f32: dx overlaps x");
    assert(disjoint(dx, f32s(B * N * D), dout, f32s(B * C * D)), "pool_feedback_backward_f32: dx overlaps dout");
    assert(disjoint(dx, f32s(B * N * D), dalpha, f32s(C * N * 2)), "pool_feedback_backward_f32: dx overlaps dalpha");
  }
  const rowB = <usize>D << 2;
  const D4 = D & ~3;
  for (let b = 0; b < B; b++) {
    const db = dout + <usize>(b * C) * rowB;
    for (let n = 0; n < N; n++) {
      const xr = x + <usize>(b * N + n) * rowB;
      for (let c = 0; c < C; c++) {
        const g = weightAt(dalpha, kept, N, b, c, n);
        store<f32>(g, load<f32>(g) + dot(D, db + <usize>c * rowB, xr));
      }
      if (dx == 0) continue;
      const dr = dx + <usize>(b * N + n) * rowB;
      let j = 0;
      for (; j < D4; j += 4) {
        const o = <usize>j << 2;
        let a = v128.load(dr + o);
        for (let c = 0; c < C; c++) {
          a = f32x4.add(a, f32x4.mul(v128.load32_splat(weightAt(alpha, kept, N, b, c, n)), v128.load(db + <usize>c * rowB + o)));
        }
        v128.store(dr + o, a);
      }
      for (; j < D; j++) {
        const o = <usize>j << 2;
        let s = load<f32>(dr + o);
        for (let c = 0; c < C; c++) s = s + load<f32>(weightAt(alpha, kept, N, b, c, n)) * load<f32>(db + <usize>c * rowB + o);
        store<f32>(dr + o, s);
      }
    }
  }
}
