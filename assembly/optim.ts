// Optimiser kernels over flat parameter arenas (see src/engine/plan.ts: value | grad | m | v
// | target share one layout, so each step is one loop over n floats).
// Pointers are byte addresses of f32 arrays (4-byte aligned suffices); n ≤ 0 does nothing.

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
  if (n <= 0) return;
  // bias corrections once, in f64 (β^t for large t underflows gracefully to 0 → 1)
  const ic1 = <f32>(1.0 / (1.0 - Math.pow(<f64>beta1, <f64>t)));
  const ic2 = <f32>(1.0 / (1.0 - Math.pow(<f64>beta2, <f64>t)));
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

// Σ_i x_i² accumulated in f64 (lanes promoted first): the host takes √ for the global
// gradient norm and calls scale_f32(n, grad, maxNorm / norm) when it exceeds maxNorm.
export function sumsq_f32(n: i32, x: usize): f64 {
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
