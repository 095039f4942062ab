// f64 reference for assembly/loss.ts.
type Arr = ArrayLike<number>;

/** (1/n) Σ (pred − target)²; 0 for n = 0. */
export function mseForward(pred: Arr, target: Arr): number {
  const n = pred.length;
  if (n === 0) return 0;
  let s = 0;
  for (let i = 0; i < n; i++) s += (pred[i] - target[i]) ** 2;
  return s / n;
}

/** dL/dpred = 2 (pred − target) / n. */
export function mseBackward(pred: Arr, target: Arr): number[] {
  const n = pred.length;
  return Array.from(pred, (p, i) => (2 * (p - target[i])) / n);
}

/**
 * Weighted softmax cross-entropy over candidate logits, in f64, written for clarity:
 *   loss = Σ_b [T_b > 0] · (−Σ_m (t_bm/T_b) · log softmax(z_b)_m),   T_b = Σ_m t_bm
 *   dz_bm = scale · [T_b > 0] · (softmax(z_b)_m − t_bm/T_b), and 0 at masked (−Infinity) logits.
 * A term with t = 0 adds 0; a positive target on a masked logit makes the loss +Infinity; a row
 * with every logit masked and T > 0 adds +Infinity and has dz = 0.
 */
export function softmaxXentRef(B: number, M: number, z: Arr, t: Arr, scale: number): { loss: number; dz: Float64Array } {
  const dz = new Float64Array(B * M);
  let loss = 0;
  for (let b = 0; b < B; b++) {
    const o = b * M;
    let T = 0, mx = -Infinity;
    for (let m = 0; m < M; m++) { T += t[o + m]; mx = Math.max(mx, z[o + m]); }
    if (T === 0) continue;
    if (mx === -Infinity) { loss += Infinity; continue; }
    let S = 0;
    for (let m = 0; m < M; m++) if (z[o + m] !== -Infinity) S += Math.exp(z[o + m] - mx);
    const lse = mx + Math.log(S);
    for (let m = 0; m < M; m++) {
      if (t[o + m] > 0) loss += (t[o + m] / T) * (lse - z[o + m]);
      if (z[o + m] !== -Infinity) dz[o + m] = scale * (Math.exp(z[o + m] - lse) - t[o + m] / T);
    }
  }
  return { loss, dz };
}
