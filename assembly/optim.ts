// Optimiser kernels over flat parameter arenas (see src/engine/plan.ts: value | grad | m | v
// | target share one layout, so each step is one loop over n floats).
// Pointers are byte addresses of f32 arrays (4-byte aligned suffices); n = 0 does nothing,
// a negative n traps (assembly/check.ts).

import { need, inside, disjoint, f32s } from "./check";

// Adam (Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", Algorithm 1, with
// bias correction) and decoupled weight decay (Loshchilov & Hutter 2019, "Decoupled Weight
// Decay Regularization", AdamW, with the schedule multiplier folded into lr):
//   m ← β1 m + (1 − β1) g
//   v ← β2 v + (1 − β2) g²
//   m̂ = m / (1 − β1^t),  v̂ = v / (1 − β2^t)
//   param ← param − lr · (m̂ / (√v̂ + ε) + wd · param)     (wd on the pre-update param)
// t ≥ 1 is the step number after incrementing (t = 1 on the first step).
// param(n), grad(n), m(n), v(n) must not overlap each other.
export function adam_step(n: i32, param: usize, grad: usize, m: usize, v: usize, lr: f32,
                          beta1: f32, beta2: f32, eps: f32, weight_decay: f32, t: i32): void {
  need(n >= 0 && t >= 1, "adam_step: need n >= 0 and step t >= 1");
  assert(inside(param, f32s(n)), "adam_step: param out of bounds");
  assert(inside(grad, f32s(n)), "adam_step: grad out of bounds");
  assert(inside(m, f32s(n)), "adam_step: m out of bounds");
  assert(inside(v, f32s(n)), "adam_step: v out of bounds");
  assert(disjoint(param, f32s(n), grad, f32s(n)), "adam_step: param overlaps grad");
  assert(disjoint(m, f32s(n), v, f32s(n)), "adam_step: m overlaps v");
  if (n == 0) return;
  adamSpan(n, param, grad, m, v, lr, beta1, beta2, eps, weight_decay, biasCorrection(beta1, t), biasCorrection(beta2, t));
}

// 1 / (1 − β^t), once per step in f64 (β^t for large t underflows gracefully to 0 → 1).
@inline function biasCorrection(beta: f32, t: i32): f32 {
  return <f32>(1.0 / (1.0 - Math.pow(<f64>beta, <f64>t)));
}

// The Adam update of n consecutive floats, v128 body and scalar tail doing the same f32
// operations in the same order (so an element's result does not depend on its lane position:
// adam_rows_f32 on every row gives adam_step's bits).
@inline function adamSpan(n: i32, param: usize, grad: usize, m: usize, v: usize, lr: f32,
                          beta1: f32, beta2: f32, eps: f32, weight_decay: f32, ic1: f32, ic2: f32): void {
  const a1 = <f32>1 - beta1;
  const a2 = <f32>1 - beta2;
  const vb1 = f32x4.splat(beta1), va1 = f32x4.splat(a1);
  const vb2 = f32x4.splat(beta2), va2 = f32x4.splat(a2);
  const vic1 = f32x4.splat(ic1), vic2 = f32x4.splat(ic2);
  const veps = f32x4.splat(eps), vlr = f32x4.splat(lr), vwd = f32x4.splat(weight_decay);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const g = v128.load(grad + o);
    const p = v128.load(param + o);
    const mm = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(va1, g));
    const vv = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(va2, f32x4.mul(g, g)));
    v128.store(m + o, mm);
    v128.store(v + o, vv);
    const mhat = f32x4.mul(mm, vic1);
    const vhat = f32x4.mul(vv, vic2);
    const u = f32x4.add(f32x4.div(mhat, f32x4.add(f32x4.sqrt(vhat), veps)), f32x4.mul(vwd, p));
    v128.store(param + o, f32x4.sub(p, f32x4.mul(vlr, u)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(grad + o);
    const p = load<f32>(param + o);
    const mm = beta1 * load<f32>(m + o) + a1 * g;
    const vv = beta2 * load<f32>(v + o) + a2 * (g * g);
    store<f32>(m + o, mm);
    store<f32>(v + o, vv);
    const mhat = mm * ic1;
    const vhat = vv * ic2;
    const u = mhat / (sqrt<f32>(vhat) + eps) + weight_decay * p;
    store<f32>(param + o, p - lr * u);
  }
}

// Lazy Adam on listed rows of row-major (V, W) tables (TensorFlow Addons' LazyAdam semantics):
// for each row r = idx[i], i < R, the update above on param[r, :], grad[r, :], m[r, :], v[r, :]
// with the bias correction of the GLOBAL step t (not a per-row count) and the same decoupled
// weight decay as adam_step, then grad[r, :] = 0. Rows not listed are untouched: their moments
// do not decay and weight decay does not reach them (a row's parameters only move when a batch
// touches it, which is the point: a step costs O(R·W), not O(V·W)). idx (R) i32 must list
// distinct rows in [0, V) (the host's SparseRows guarantees it; a repeated row would take two
// steps). Every element gets adam_step's exact f32 operations.
export function adam_rows_f32(R: i32, W: i32, idx: usize, param: usize, grad: usize, m: usize, v: usize,
                              lr: f32, beta1: f32, beta2: f32, eps: f32, t: i32, weightDecay: f32): void {
  need(R >= 0 && W >= 0 && t >= 1, "adam_rows_f32: need R, W >= 0 and step t >= 1");
  assert(inside(idx, f32s(R)), "adam_rows_f32: idx out of bounds");
  if (R == 0 || W == 0) return;
  const ic1 = biasCorrection(beta1, t), ic2 = biasCorrection(beta2, t);
  const rowB = <usize>W << 2;
  for (let i = 0; i < R; i++) {
    const r = load<i32>(idx + (<usize>i << 2));
    assert(r >= 0, "adam_rows_f32: negative row index");
    const o = <usize>r * rowB;
    assert(inside(param + o, rowB), "adam_rows_f32: param row out of bounds");
    assert(inside(grad + o, rowB), "adam_rows_f32: grad row out of bounds");
    assert(inside(m + o, rowB), "adam_rows_f32: m row out of bounds");
    assert(inside(v + o, rowB), "adam_rows_f32: v row out of bounds");
    adamSpan(W, param + o, grad + o, m + o, v + o, lr, beta1, beta2, eps, weightDecay, ic1, ic2);
    memory.fill(grad + o, 0, rowB);
  }
}

// Σ_i x_i² accumulated in f64 (lanes promoted first): the host takes √ for the global
// gradient norm and calls scale_f32(n, grad, maxNorm / norm) when it exceeds maxNorm.
export function sumsq_f32(n: i32, x: usize): f64 {
  need(n >= 0, "sumsq_f32: negative size");
  assert(inside(x, f32s(n)), "sumsq_f32: x out of bounds");
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3));
    s0 = f64x2.add(s0, f64x2.mul(lo, lo));
    s1 = f64x2.add(s1, f64x2.mul(hi, hi));
  }
  const s = f64x2.add(s0, s1);
  let t = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < n; i++) {
    const d = <f64>load<f32>(x + (<usize>i << 2));
    t += d * d;
  }
  return t;
}

// target(n) = τ·src(n) + (1 − τ)·target(n): the DDPG soft target update
// (Lillicrap et al. 2015, θ' ← τθ + (1 − τ)θ'). target and src must not overlap.
export function soft_update_f32(n: i32, target: usize, src: usize, tau: f32): void {
  need(n >= 0, "soft_update_f32: negative size");
  assert(inside(target, f32s(n)), "soft_update_f32: target out of bounds");
  assert(inside(src, f32s(n)), "soft_update_f32: src out of bounds");
  assert(disjoint(target, f32s(n), src, f32s(n)), "soft_update_f32: target overlaps src");
  const c = <f32>1 - tau;
  const vt = f32x4.splat(tau), vc = f32x4.splat(c);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(target + o, f32x4.add(f32x4.mul(vt, v128.load(src + o)), f32x4.mul(vc, v128.load(target + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(target + o, tau * load<f32>(src + o) + c * load<f32>(target + o));
  }
}
