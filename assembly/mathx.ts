// Vectorised (v128, 4 × f32) and scalar exp, sigmoid and tanh for the engine's pointwise
// kernels (elementwise.ts, dense.ts) and the GRU gates. Not exported from the wasm: these
// are @inline helpers. Each scalar function performs exactly the same f32 operations in the
// same order as its v128 twin, so a value gives bit-identical results whether it lands in a
// SIMD lane or in a loop's scalar tail.
//
// exp: Cephes expf / XNNPACK style. Range reduction x = n·ln2 + r with n = nearest(x·log2e),
// |r| ≤ ln2/2, ln2 split in two (C1 has 9 significant bits so n·C1 is exact for |n| ≤ 150);
// exp(r) by the Cephes degree-7 polynomial; the result is scaled by 2^n as 2^n1 · 2^n2
// (n1 = floor(n/2), n2 = n − n1) so both factors stay normal over the whole range and the
// product overflows to +Inf or underflows gradually (denormals) exactly where exp does.
// Inputs are clamped to [−104, 89] first (f32 exp is 0 below −103.98 and +Inf above 88.73),
// which also maps ±Inf to 0 / +Inf; wasm's f32 min/max propagate NaN, so NaN → NaN.
// Measured vs f64 Math.exp of the same f32 input (test/elementwise.test.ts, 262144-point grid
// over [−87.3, 88.72]): max relative error 7.8e-8 (< 1 ulp); denormal results (x in
// [−103.9, −87.4]) within 1.05e-45 absolute (< 1 denormal ulp).
//
// sigmoid(x) = 1 / (1 + e) for x ≥ 0 and e / (1 + e) for x < 0, with e = exp(−|x|) ≤ 1:
// never overflows, keeps relative accuracy for very negative x (sigmoid(−100) ≈ 3.7e-44,
// a denormal, not 0/0), sigmoid(±Inf) = 1 / 0.
//
// tanh: Cephes tanhf. For |x| < 0.625 the odd polynomial |x| + |x|³·P(x²) (no cancellation
// near 0); otherwise (1 − e) / (1 + e) with e = exp(−2|x|) ≤ 0.29 (no cancellation either).
// The sign is copied from x last, so tanh is exactly odd, tanh(±0) = ±0, and for
// |x| ≥ 9.1 e < ulp(1)/2 and the result is exactly ±1 (tanh(±50) = ±1, tanh(±Inf) = ±1).
// Measured max relative error vs f64 (grids over [−20, 20] and ±[1e-12, 20]): tanh 1.4e-7,
// sigmoid 2.0e-7 (also over [−87, 0]); max absolute error 8.9e-8 for both.

// Cephes expf constants.
const LOG2E: f32 = 1.44269504088896341;
const C1: f32 = 0.693359375; // ln2 high part, 9 significant bits: n·C1 is exact
const C2: f32 = -2.12194440e-4; // ln2 − C1
const P0: f32 = 1.9875691500e-4;
const P1: f32 = 1.3981999507e-3;
const P2: f32 = 8.3334519073e-3;
const P3: f32 = 4.1665795894e-2;
const P4: f32 = 1.6666665459e-1;
const P5: f32 = 5.0000001201e-1;
const EXP_LO: f32 = -104.0; // exp(x) rounds to +0 in f32 below −103.97
const EXP_HI: f32 = 89.0; // exp(x) overflows to +Inf in f32 above 88.73
// 2^23 + 127: adding it to an integer-valued f32 k in [−127, 128] leaves k + 127 in the
// low mantissa bits, so (bits << 23) is the f32 bit pattern of 2^k (no float→int convert).
const EXP_BIAS: f32 = 8388735.0;

// Cephes tanhf polynomial for |x| < 0.625.
const T0: f32 = -5.70498872745e-3;
const T1: f32 = 2.06390887954e-2;
const T2: f32 = -5.37397155531e-2;
const T3: f32 = 1.33314422036e-1;
const T4: f32 = -3.33332819422e-1;
const TANH_SMALL: f32 = 0.625;

const SIGN: i32 = 0x80000000;

// ---- exp ----

/** exp(x) for 4 lanes. */
// @ts-ignore: decorator
@inline export function exp_v128(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(EXP_LO)), f32x4.splat(EXP_HI));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(C1)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(C2)));
  const r2 = f32x4.mul(r, r);
  let p = f32x4.add(f32x4.mul(f32x4.splat(P0), r), f32x4.splat(P1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P4));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P5));
  p = f32x4.add(f32x4.add(f32x4.mul(p, r2), r), f32x4.splat(1.0));
  const n1 = f32x4.floor(f32x4.mul(n, f32x4.splat(0.5)));
  const n2 = f32x4.sub(n, n1);
  const s1 = i32x4.shl(f32x4.add(n1, f32x4.splat(EXP_BIAS)), 23);
  const s2 = i32x4.shl(f32x4.add(n2, f32x4.splat(EXP_BIAS)), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

/** exp(x), scalar twin of exp_v128 (bit-identical per lane). */
// @ts-ignore: decorator
@inline export function exp_f32s(x: f32): f32 {
  x = min<f32>(max<f32>(x, EXP_LO), EXP_HI);
  const n = nearest<f32>(x * LOG2E);
  let r = x - n * C1;
  r = r - n * C2;
  const r2 = r * r;
  let p = P0 * r + P1;
  p = p * r + P2;
  p = p * r + P3;
  p = p * r + P4;
  p = p * r + P5;
  p = (p * r2 + r) + <f32>1.0;
  const n1 = floor<f32>(n * <f32>0.5);
  const n2 = n - n1;
  const s1 = reinterpret<f32>(reinterpret<i32>(n1 + EXP_BIAS) << 23);
  const s2 = reinterpret<f32>(reinterpret<i32>(n2 + EXP_BIAS) << 23);
  return (p * s1) * s2;
}

// ---- sigmoid ----

/** 1 / (1 + exp(−x)) for 4 lanes. */
// @ts-ignore: decorator
@inline export function sigmoid_v128(x: v128): v128 {
  const e = exp_v128(f32x4.neg(f32x4.abs(x)));
  const s = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), e));
  // x < 0: e/(1+e) = e·s; NaN compares false and takes s, which is NaN anyway
  return v128.bitselect(f32x4.mul(e, s), s, f32x4.lt(x, f32x4.splat(0.0)));
}

/** Scalar twin of sigmoid_v128. */
// @ts-ignore: decorator
@inline export function sigmoid_f32s(x: f32): f32 {
  const e = exp_f32s(-abs<f32>(x));
  const s = <f32>1.0 / (<f32>1.0 + e);
  return x < 0 ? e * s : s;
}

// ---- tanh ----

/** tanh(x) for 4 lanes. */
// @ts-ignore: decorator
@inline export function tanh_v128(x: v128): v128 {
  const ax = f32x4.abs(x);
  // small |x|: |x| + |x|·x²·P(x²)
  const z = f32x4.mul(ax, ax);
  let p = f32x4.add(f32x4.mul(f32x4.splat(T0), z), f32x4.splat(T1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(T2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(T3));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(T4));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), ax), ax);
  // large |x|: (1 − e)/(1 + e), e = exp(−2|x|)
  const e = exp_v128(f32x4.mul(ax, f32x4.splat(-2.0)));
  const large = f32x4.div(f32x4.sub(f32x4.splat(1.0), e), f32x4.add(f32x4.splat(1.0), e));
  const t = v128.bitselect(small, large, f32x4.lt(ax, f32x4.splat(TANH_SMALL)));
  return v128.or(t, v128.and(x, i32x4.splat(SIGN)));
}

/** Scalar twin of tanh_v128. */
// @ts-ignore: decorator
@inline export function tanh_f32s(x: f32): f32 {
  const ax = abs<f32>(x);
  const z = ax * ax;
  let p = T0 * z + T1;
  p = p * z + T2;
  p = p * z + T3;
  p = p * z + T4;
  const small = (p * z) * ax + ax;
  const e = exp_f32s(ax * <f32>-2.0);
  const large = (<f32>1.0 - e) / (<f32>1.0 + e);
  const t = ax < TANH_SMALL ? small : large;
  return reinterpret<f32>(reinterpret<i32>(t) | (reinterpret<i32>(x) & SIGN));
}

// dst[0:n] += src[0:n], 4 lanes then a scalar tail: the row accumulation that bias_add_f32
// (rows += bias) and dense_backward (dbias += rows) share.
@inline export function add_into_f32(n: i32, dst: usize, src: usize): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}
