// Reference top-k for tests: every score in f64, one full sort per query, written for clarity.
//
// Query q of Q (groups of Kg = Q/G consecutive vectors, q in group g = ⌊q/Kg⌋) returns the k
// tracks with the highest score dot(w_q, e_i) (+ qb[q]·b[i] with a per-track bias), best first, ties by lower index; never a track listed in
// its group's exclusions, never a track whose score is NaN; with `distinct`, never a track an
// earlier query of its group returned. Missing slots are index -1, score NaN.

export interface TopKResult {
  indices: number[];
  scores: number[];
}

/** An optional per-track bias b (N) and its per-query weights qb (Q). */
export interface TopKBias {
  b: ArrayLike<number>;
  qb: ArrayLike<number>;
}

/** The reference score of track i for query q: the f64 dot product, plus qb[q]·b[i] with a bias. */
export function scoreF64(E: ArrayLike<number>, i: number, W: ArrayLike<number>, q: number, D: number, bias?: TopKBias): number {
  const s = dotF64(E, i, W, q, D);
  return bias ? s + bias.qb[q] * bias.b[i] : s;
}

export function dotF64(E: ArrayLike<number>, i: number, W: ArrayLike<number>, q: number, D: number): number {
  let s = 0;
  for (let d = 0; d < D; d++) s += E[i * D + d] * W[q * D + d];
  return s;
}

export function topkRef(
  E: ArrayLike<number>, N: number, D: number, W: ArrayLike<number>, Q: number, G: number, k: number,
  excl: ArrayLike<number>, X: number, distinct: boolean, bias?: TopKBias,
): TopKResult {
  const indices: number[] = [];
  const scores: number[] = [];
  const Kg = Q / G;
  let taken = new Set<number>();
  for (let q = 0; q < Q; q++) {
    const g = Math.floor(q / Kg);
    if (q % Kg === 0) taken = new Set<number>();
    const banned = new Set<number>();
    for (let x = 0; x < X; x++) banned.add(excl[g * X + x]);
    const cands: { i: number; s: number }[] = [];
    for (let i = 0; i < N; i++) {
      const s = scoreF64(E, i, W, q, D, bias);
      if (Number.isNaN(s) || banned.has(i) || (distinct && taken.has(i))) continue;
      cands.push({ i, s });
    }
    cands.sort((a, b) => (a.s > b.s ? -1 : a.s < b.s ? 1 : a.i - b.i));
    for (let j = 0; j < k; j++) {
      if (j < cands.length) {
        indices.push(cands[j].i);
        scores.push(cands[j].s);
        taken.add(cands[j].i);
      } else {
        indices.push(-1);
        scores.push(NaN);
      }
    }
  }
  return { indices, scores };
}
