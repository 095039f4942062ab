// f64 reference for assembly/sgns.ts: skip-gram with negative sampling (Mikolov et al. 2013),
// written for clarity. The loss of one (center c, context o) pair with negatives n_1..n_K is
//
//   ℓ = −log σ(u_o·v_c) − Σ_k log σ(−u_{n_k}·v_c) = softplus(−u_o·v_c) + Σ_k softplus(u_{n_k}·v_c)
//
// where negatives equal to o are skipped (word2vec). The step processes pairs in order and,
// within a pair, targets in order with word2vec's update order (see assembly/sgns.ts).

/** softplus(s) = log(1 + e^s), stable for every s. */
export function softplus(s: number): number {
  return Math.max(s, 0) + Math.log1p(Math.exp(-Math.abs(s)));
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function dotRows(a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number, D: number): number {
  let s = 0;
  for (let j = 0; j < D; j++) s += a[ai * D + j] * b[bi * D + j];
  return s;
}

/** The targets of one pair in processing order with their labels: the context, then the negatives not equal to it. */
export function pairTargets(o: number, negs: ArrayLike<number>): { t: number; label: number }[] {
  const out = [{ t: o, label: 1 }];
  for (let k = 0; k < negs.length; k++) if (negs[k] !== o) out.push({ t: negs[k], label: 0 });
  return out;
}

/** ℓ of one pair at the current parameters (no update). */
export function sgnsPairLossRef(c: number, o: number, negs: ArrayLike<number>, Vin: ArrayLike<number>, Uout: ArrayLike<number>, D: number): number {
  let loss = 0;
  for (const { t, label } of pairTargets(o, negs)) {
    const x = dotRows(Vin, c, Uout, t, D);
    loss += softplus(label === 1 ? -x : x);
  }
  return loss;
}

/**
 * Analytic gradient of one pair's ℓ: dvc (D) w.r.t. v_c and dU (V, D) w.r.t. every u row
 * (rows of repeated negatives accumulate). dℓ/dx = σ(x) − label for x = u_t·v_c.
 */
export function sgnsPairGradRef(c: number, o: number, negs: ArrayLike<number>, Vin: ArrayLike<number>, Uout: ArrayLike<number>, D: number, V: number): { dvc: Float64Array; dU: Float64Array } {
  const dvc = new Float64Array(D);
  const dU = new Float64Array(V * D);
  for (const { t, label } of pairTargets(o, negs)) {
    const dx = sigmoid(dotRows(Vin, c, Uout, t, D)) - label;
    for (let j = 0; j < D; j++) {
      dvc[j] += dx * Uout[t * D + j];
      dU[t * D + j] += dx * Vin[c * D + j];
    }
  }
  return { dvc, dU };
}

/**
 * One SGD pass over P pairs in place, word2vec's order; returns the mean over pairs of each
 * pair's ℓ measured just before its own update (0 for P = 0). Works on Float64Array (the f64
 * reference) and on Float32Array (each stored value rounded to f32: a plain-JS f32 variant).
 *   centers (P), contexts (P), negs (P, K), Vin (V, D), Uout (V, D)
 */
export function sgnsStepRef(P: number, centers: ArrayLike<number>, contexts: ArrayLike<number>, negs: ArrayLike<number>, K: number,
                            Vin: { [i: number]: number; length: number }, Uout: { [i: number]: number; length: number }, D: number, lr: number): number {
  let total = 0;
  const neu1e = new Float64Array(D);
  for (let p = 0; p < P; p++) {
    const c = centers[p], o = contexts[p];
    neu1e.fill(0);
    for (let k = -1; k < K; k++) {
      const t = k < 0 ? o : negs[p * K + k];
      if (k >= 0 && t === o) continue;
      const label = k < 0 ? 1 : 0;
      const x = dotRows(Vin, c, Uout, t, D);
      total += softplus(label === 1 ? -x : x);
      const g = lr * (label - sigmoid(x));
      for (let j = 0; j < D; j++) {
        neu1e[j] += g * Uout[t * D + j];
        Uout[t * D + j] += g * Vin[c * D + j];
      }
    }
    for (let j = 0; j < D; j++) Vin[c * D + j] += neu1e[j];
  }
  return P > 0 ? total / P : 0;
}
