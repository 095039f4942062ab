// f64 references for assembly/optim.ts.
//
// Adam (Kingma & Ba 2015, Algorithm 1) with decoupled weight decay (Loshchilov & Hutter 2019):
//   m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²;  m̂ = m/(1 − β1^t);  v̂ = v/(1 − β2^t)
//   param ← param − lr (m̂/(√v̂ + ε) + wd·param)
type Arr = ArrayLike<number>;

export interface AdamHyper { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number }

/** One Adam step at step number t ≥ 1, updating param, m and v in place. */
export function adamStep(param: number[], grad: Arr, m: number[], v: number[], h: AdamHyper, t: number): void {
  const bc1 = 1 - h.beta1 ** t, bc2 = 1 - h.beta2 ** t;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i];
    m[i] = h.beta1 * m[i] + (1 - h.beta1) * g;
    v[i] = h.beta2 * v[i] + (1 - h.beta2) * g * g;
    const mhat = m[i] / bc1, vhat = v[i] / bc2;
    param[i] -= h.lr * (mhat / (Math.sqrt(vhat) + h.eps) + h.weightDecay * param[i]);
  }
}

export function sumsq(x: Arr): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}

/** target = τ·src + (1 − τ)·target. */
export function softUpdate(target: Arr, src: Arr, tau: number): number[] {
  return Array.from(target, (t, i) => tau * src[i] + (1 - tau) * t);
}

/** Clip by global norm: g · min(1, maxNorm / ‖g‖). */
export function clipByNorm(g: Arr, maxNorm: number): number[] {
  const norm = Math.sqrt(sumsq(g));
  const s = norm > maxNorm ? maxNorm / norm : 1;
  return Array.from(g, (v) => v * s);
}
