// f64 reference of the feedback-weighted pooling (assembly/pool.ts), written for clarity.
//
//   out (B, C, D)[b, c, :] = Σ_n alpha[c, n, kept(b, n)] · x[b, n, :]
//   dalpha[c, n, kept(b, n)] += Σ_b Σ_j dout[b, c, j] · x[b, n, j]
//   dx[b, n, :] += Σ_c alpha[c, n, kept(b, n)] · dout[b, c, :]
// kept (B, N): any non-zero value counts as kept; alpha (C, N, 2) with [.., 0] skipped, [.., 1] kept.
type Arr = ArrayLike<number>;

export interface PoolDims { B: number; N: number; C: number; D: number }

const flag = (kept: Arr, i: number): number => (kept[i] !== 0 ? 1 : 0);

export function poolForwardRef(d: PoolDims, x: Arr, kept: Arr, alpha: Arr): Float64Array {
  const { B, N, C, D } = d;
  const out = new Float64Array(B * C * D);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      for (let n = 0; n < N; n++) {
        const a = alpha[(c * N + n) * 2 + flag(kept, b * N + n)];
        for (let j = 0; j < D; j++) out[(b * C + c) * D + j] += a * x[(b * N + n) * D + j];
      }
    }
  }
  return out;
}

/** Gradients of L = Σ dout ⊙ out (returned fresh, not accumulated). */
export function poolBackwardRef(d: PoolDims, x: Arr, kept: Arr, alpha: Arr, dout: Arr): { dalpha: Float64Array; dx: Float64Array } {
  const { B, N, C, D } = d;
  const dalpha = new Float64Array(C * N * 2), dx = new Float64Array(B * N * D);
  for (let b = 0; b < B; b++) {
    for (let n = 0; n < N; n++) {
      const f = flag(kept, b * N + n);
      for (let c = 0; c < C; c++) {
        const ai = (c * N + n) * 2 + f;
        for (let j = 0; j < D; j++) {
          dalpha[ai] += dout[(b * C + c) * D + j] * x[(b * N + n) * D + j];
          dx[(b * N + n) * D + j] += alpha[ai] * dout[(b * C + c) * D + j];
        }
      }
    }
  }
  return { dalpha, dx };
}
