// f64 references for assembly/rowwise.ts, written for clarity. Arrays are row-major.

/** out (B, D) = mean over n of x (B, N, D). */
export function meanPool(x: ArrayLike<number>, B: number, N: number, D: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < D; j++) {
      let s = 0;
      for (let n = 0; n < N; n++) s += x[(b * N + n) * D + j];
      out.push(s / N);
    }
  }
  return out;
}

/** y (R, D) = radius · x_r / ‖x_r‖ (zero rows stay zero), and the norms. */
export function l2normForward(x: ArrayLike<number>, R: number, D: number, radius: number): { y: number[]; norm: number[] } {
  const y: number[] = [], norm: number[] = [];
  for (let r = 0; r < R; r++) {
    let ss = 0;
    for (let j = 0; j < D; j++) ss += x[r * D + j] ** 2;
    const n = Math.sqrt(ss);
    norm.push(n);
    for (let j = 0; j < D; j++) y.push(n > 0 ? (radius * x[r * D + j]) / n : 0);
  }
  return { y, norm };
}

/** dx = Jᵀ dy with J = (radius/‖x‖)(I − u uᵀ), u = x/‖x‖, computed from x directly. */
export function l2normBackward(x: ArrayLike<number>, dy: ArrayLike<number>, R: number, D: number, radius: number): number[] {
  const dx: number[] = [];
  for (let r = 0; r < R; r++) {
    let ss = 0;
    for (let j = 0; j < D; j++) ss += x[r * D + j] ** 2;
    const n = Math.sqrt(ss);
    let udy = 0;
    for (let j = 0; j < D; j++) udy += (x[r * D + j] / n) * dy[r * D + j];
    for (let j = 0; j < D; j++) dx.push(n > 0 ? (radius / n) * (dy[r * D + j] - (x[r * D + j] / n) * udy) : 0);
  }
  return dx;
}

/** out (B, K·D): out[b, k·D + j] = m[b, j] · a[b, k·D + j]. */
export function interactForward(m: ArrayLike<number>, a: ArrayLike<number>, B: number, K: number, D: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) for (let j = 0; j < D; j++) out.push(m[b * D + j] * a[(b * K + k) * D + j]);
  return out;
}

/** ∂/∂a of Σ dout ⊙ out: da[b, k·D + j] = m[b, j] · dout[b, k·D + j]. */
export function interactBackward(m: ArrayLike<number>, dout: ArrayLike<number>, B: number, K: number, D: number): number[] {
  const da: number[] = [];
  for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) for (let j = 0; j < D; j++) da.push(m[b * D + j] * dout[(b * K + k) * D + j]);
  return da;
}
