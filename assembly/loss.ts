// Losses. n elements; pred, target, dpred are f32 arrays (byte pointers, 4-byte aligned).
//
// Mean squared error, the DDPG critic's loss (mean over the batch of (y − Q(s,a))²).
// The forward sum is accumulated in f64 (two f64x2 accumulators over promoted lanes), so
// long sums keep ~1e-15 relative accuracy instead of f32's √n·6e-8.

import { exp_v128, exp_f32s } from "./mathx";
import { need, inside, disjoint, f32s } from "./check";

// loss = (1/n) Σ_i (pred_i − target_i)²; n = 0 returns 0 (an empty batch adds nothing).
export function mse_forward(n: i32, pred: usize, target: usize): f64 {
  need(n >= 0, "mse_forward: negative size");
  assert(inside(pred, f32s(n)), "mse_forward: pred out of bounds");
  assert(inside(target, f32s(n)), "mse_forward: target out of bounds");
  if (n == 0) return 0;
  return sumsq_diff(n, pred, target) / <f64>n;
}

// dpred(n) = 2 (pred − target) / n; dpred may equal pred or target.
export function mse_backward(n: i32, pred: usize, target: usize, dpred: usize): void {
  need(n >= 0, "mse_backward: negative size");
  assert(inside(pred, f32s(n)), "mse_backward: pred out of bounds");
  assert(inside(target, f32s(n)), "mse_backward: target out of bounds");
  assert(inside(dpred, f32s(n)), "mse_backward: dpred out of bounds");
  if (n == 0) return;
  const s = <f32>(2.0 / <f64>n);
  const vs = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dpred + o, f32x4.mul(f32x4.sub(v128.load(pred + o), v128.load(target + o)), vs));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dpred + o, (load<f32>(pred + o) - load<f32>(target + o)) * s);
  }
}

// Σ_i (a_i − b_i)² in f64: each f32 is promoted first, so the difference is exact
// (or nearly: two f32 with exponents up to 29 apart differ exactly in f64).
function sumsq_diff(n: i32, a: usize, b: usize): f64 {
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const va = v128.load(a + o);
    const vb = v128.load(b + o);
    const dlo = f64x2.sub(f64x2.promote_low_f32x4(va), f64x2.promote_low_f32x4(vb));
    // lanes 2,3 moved down to 0,1 to promote the high half
    const dhi = f64x2.sub(f64x2.promote_low_f32x4(i32x4.shuffle(va, va, 2, 3, 2, 3)),
                          f64x2.promote_low_f32x4(i32x4.shuffle(vb, vb, 2, 3, 2, 3)));
    s0 = f64x2.add(s0, f64x2.mul(dlo, dlo));
    s1 = f64x2.add(s1, f64x2.mul(dhi, dhi));
  }
  const s = f64x2.add(s0, s1);
  let t = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const d = <f64>load<f32>(a + o) - <f64>load<f32>(b + o);
    t += d * d;
  }
  return t;
}

// ---------------------------------------------------------------------------------------
// Weighted softmax cross-entropy over candidate logits: the list-wise / sampled-softmax head.
//
//   logits z (B, M) f32, targets t (B, M) f32 ≥ 0, row total T_b = Σ_m t_bm
//   loss  = Σ_b [T_b > 0] · ( −Σ_m (t_bm / T_b) · log softmax(z_b)_m )        (a sum over rows, f64)
//   dz_bm = scale · [T_b > 0] · (softmax(z_b)_m − t_bm / T_b)                   (written, not added)
//
// A row with T_b = 0 adds nothing and gets dz = 0 (a row without positives teaches nothing). A
// logit of −Infinity is a masked candidate: probability 0 and gradient 0. A target weight on a
// masked candidate makes that row's loss +Infinity (the target is impossible), its gradient
// still 0 there; a term with t = 0 adds 0 even where p = 0. NaN logits or targets give NaN (a
// NaN target through T). Targets must be ≥ 0 (not checked here).
//
// Numerics: the row max is subtracted before exp (vectorised, assembly/mathx.ts), so no exp
// overflows; log Σ exp is taken in f64. The loss adds (t_m/T)·((max − z_m) + log S) in f64
// (S = Σ exp(z − max)), never cancelling two large numbers; T is summed in f64. The gradient is
// f32: p_m = e_m · (1/S), dz = scale · (p_m − t_m · (1/T)).
// Pointers are byte addresses of f32 arrays (4-byte aligned); dz must not overlap z or t.

/** Σ_b of the rows' weighted cross-entropies (the loss above); z and t are read only. */
export function softmax_xent_forward_f32(B: i32, M: i32, z: usize, t: usize): f64 {
  need(B >= 0 && M >= 0, "softmax_xent_forward_f32: negative size");
  assert(inside(z, f32s(B * M)), "softmax_xent_forward_f32: z out of bounds");
  assert(inside(t, f32s(B * M)), "softmax_xent_forward_f32: t out of bounds");
  return xentRows(B, M, z, t, 0, 0);
}

/**
 * Writes dz (B, M) = scale · [T_b > 0] · (softmax(z_b) − t_b / T_b) (0 at masked candidates and
 * in rows with T_b = 0) and returns the same loss as softmax_xent_forward_f32.
 */
export function softmax_xent_backward_f32(B: i32, M: i32, z: usize, t: usize, scale: f32, dz: usize): f64 {
  need(B >= 0 && M >= 0, "softmax_xent_backward_f32: negative size");
  need(dz != 0, "softmax_xent_backward_f32: dz = 0");
  assert(inside(z, f32s(B * M)), "softmax_xent_backward_f32: z out of bounds");
  assert(inside(t, f32s(B * M)), "softmax_xent_backward_f32: t out of bounds");
  assert(inside(dz, f32s(B * M)), "softmax_xent_backward_f32: dz out of bounds");
  assert(disjoint(dz, f32s(B * M), z, f32s(B * M)), "softmax_xent_backward_f32: dz overlaps z");
  assert(disjoint(dz, f32s(B * M), t, f32s(B * M)), "softmax_xent_backward_f32: dz overlaps t");
  return xentRows(B, M, z, t, scale, dz);
}

// The shared pass: loss of every row, and with dz != 0 the gradient.
function xentRows(B: i32, M: i32, z: usize, t: usize, scale: f32, dz: usize): f64 {
  const ninf = f32x4.splat(-Infinity), zero4 = f32x4.splat(0);
  const M4 = M & ~3;
  let total: f64 = 0;
  for (let b = 0; b < B; b++) {
    const zr = z + (<usize>(b * M) << 2), tr = t + (<usize>(b * M) << 2);
    const gr = dz != 0 ? dz + (<usize>(b * M) << 2) : 0;
    // max and T
    let vm = ninf;
    let t0 = f64x2.splat(0), t1 = f64x2.splat(0);
    let m = 0;
    for (; m < M4; m += 4) {
      const o = <usize>m << 2;
      vm = f32x4.max(vm, v128.load(zr + o));
      const tv = v128.load(tr + o);
      t0 = f64x2.add(t0, f64x2.promote_low_f32x4(tv));
      t1 = f64x2.add(t1, f64x2.promote_low_f32x4(i32x4.shuffle(tv, tv, 2, 3, 2, 3)));
    }
    let mx = max(max(f32x4.extract_lane(vm, 0), f32x4.extract_lane(vm, 1)), max(f32x4.extract_lane(vm, 2), f32x4.extract_lane(vm, 3)));
    const ts = f64x2.add(t0, t1);
    let T = f64x2.extract_lane(ts, 0) + f64x2.extract_lane(ts, 1);
    for (; m < M; m++) {
      const o = <usize>m << 2;
      mx = max(mx, load<f32>(zr + o));
      T += <f64>load<f32>(tr + o);
    }
    if (T == 0) {
      if (gr != 0) for (let i = 0; i < M; i++) store<f32>(gr + (<usize>i << 2), 0);
      continue;
    }
    if (mx == -Infinity) {
      // every candidate masked while some target is positive: impossible, and nothing to move
      total += Infinity;
      if (gr != 0) for (let i = 0; i < M; i++) store<f32>(gr + (<usize>i << 2), 0);
      continue;
    }
    // e = exp(z − max) (0 at masked candidates), S = Σ e; e parked in dz when there is one
    const vmx = f32x4.splat(mx);
    let vs = zero4;
    m = 0;
    for (; m < M4; m += 4) {
      const o = <usize>m << 2;
      const zv = v128.load(zr + o);
      const e = v128.andnot(exp_v128(f32x4.sub(zv, vmx)), f32x4.eq(zv, ninf));
      vs = f32x4.add(vs, e);
      if (gr != 0) v128.store(gr + o, e);
    }
    let S = (f32x4.extract_lane(vs, 0) + f32x4.extract_lane(vs, 2)) + (f32x4.extract_lane(vs, 1) + f32x4.extract_lane(vs, 3));
    for (; m < M; m++) {
      const o = <usize>m << 2;
      const zv = load<f32>(zr + o);
      const e: f32 = zv == -Infinity ? 0 : exp_f32s(zv - mx);
      S += e;
      if (gr != 0) store<f32>(gr + o, e);
    }
    // loss: (1/T) Σ_{t > 0} t · ((max − z) + log S), in f64
    const logS = Math.log(<f64>S);
    const dmx = f64x2.splat(<f64>mx), dlog = f64x2.splat(logS), dzero = f64x2.splat(0);
    let l0 = dzero, l1 = dzero;
    m = 0;
    for (; m < M4; m += 4) {
      const o = <usize>m << 2;
      const zv = v128.load(zr + o), tv = v128.load(tr + o);
      const zh = i32x4.shuffle(zv, zv, 2, 3, 2, 3), th = i32x4.shuffle(tv, tv, 2, 3, 2, 3);
      const ta = f64x2.promote_low_f32x4(tv), tb = f64x2.promote_low_f32x4(th);
      const ua = f64x2.mul(ta, f64x2.add(f64x2.sub(dmx, f64x2.promote_low_f32x4(zv)), dlog));
      const ub = f64x2.mul(tb, f64x2.add(f64x2.sub(dmx, f64x2.promote_low_f32x4(zh)), dlog));
      // t = 0 adds 0, even where z = −Inf (0·Inf would be NaN)
      l0 = f64x2.add(l0, v128.and(ua, f64x2.gt(ta, dzero)));
      l1 = f64x2.add(l1, v128.and(ub, f64x2.gt(tb, dzero)));
    }
    const ls = f64x2.add(l0, l1);
    let L = f64x2.extract_lane(ls, 0) + f64x2.extract_lane(ls, 1);
    for (; m < M; m++) {
      const o = <usize>m << 2;
      const tv = <f64>load<f32>(tr + o);
      if (tv > 0) L += tv * ((<f64>mx - <f64>load<f32>(zr + o)) + logS);
    }
    total += L / T;
    if (gr == 0) continue;
    // dz = scale · (e/S − t/T), 0 at masked candidates
    const invS = <f32>1 / S, invT = <f32>(1.0 / T);
    const vis = f32x4.splat(invS), vit = f32x4.splat(invT), vsc = f32x4.splat(scale);
    m = 0;
    for (; m < M4; m += 4) {
      const o = <usize>m << 2;
      const g = f32x4.mul(vsc, f32x4.sub(f32x4.mul(v128.load(gr + o), vis), f32x4.mul(v128.load(tr + o), vit)));
      v128.store(gr + o, v128.andnot(g, f32x4.eq(v128.load(zr + o), ninf)));
    }
    for (; m < M; m++) {
      const o = <usize>m << 2;
      const g = scale * (load<f32>(gr + o) * invS - load<f32>(tr + o) * invT);
      store<f32>(gr + o, load<f32>(zr + o) == -Infinity ? <f32>0 : g);
    }
  }
  return total;
}
