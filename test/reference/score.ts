// f64 reference of the candidate-scoring kernels (assembly/score.ts), written for clarity.

/** out[b][p] = Σ_j u[b][j] · x[b][p][j]; u (B, W), x (B, P, W) flat row-major. */
export function rowdotForward(B: number, P: number, W: number, u: ArrayLike<number>, x: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let p = 0; p < P; p++) {
      let s = 0;
      for (let j = 0; j < W; j++) s += u[b * W + j] * x[(b * P + p) * W + j];
      out.push(s);
    }
  }
  return out;
}

/** du (B, W) = Σ_p dout[b][p] · x[b][p]; dx (B, P, W) = dout[b][p] · u[b]. */
export function rowdotBackward(B: number, P: number, W: number, u: ArrayLike<number>, x: ArrayLike<number>, dout: ArrayLike<number>): { du: number[]; dx: number[] } {
  const du = new Array<number>(B * W).fill(0), dx = new Array<number>(B * P * W).fill(0);
  for (let b = 0; b < B; b++) {
    for (let p = 0; p < P; p++) {
      const g = dout[b * P + p];
      for (let j = 0; j < W; j++) {
        du[b * W + j] += g * x[(b * P + p) * W + j];
        dx[(b * P + p) * W + j] = g * u[b * W + j];
      }
    }
  }
  return { du, dx };
}
