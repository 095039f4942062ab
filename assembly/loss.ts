// Losses. n elements; pred, target, dpred are f32 arrays (byte pointers, 4-byte aligned).
//
// Mean squared error, the DDPG critic's loss (mean over the batch of (y − Q(s,a))²).
// The forward sum is accumulated in f64 (two f64x2 accumulators over promoted lanes), so
// long sums keep ~1e-15 relative accuracy instead of f32's √n·6e-8.

// loss = (1/n) Σ_i (pred_i − target_i)²; n ≤ 0 returns 0 (an empty batch adds nothing).
export function mse_forward(n: i32, pred: usize, target: usize): f64 {
  if (n <= 0) return 0;
  return sumsq_diff(n, pred, target) / <f64>n;
}

// dpred(n) = 2 (pred − target) / n; dpred may equal pred or target.
export function mse_backward(n: i32, pred: usize, target: usize, dpred: usize): void {
  if (n <= 0) return;
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
