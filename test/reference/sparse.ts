// f64 references for the row-sparse kernels: scatter_add_rows_f32 (assembly/gather.ts) and
// adam_rows_f32 (assembly/optim.ts), written for clarity.
import { adamStep, type AdamHyper } from "./optim.js";

type Arr = ArrayLike<number>;

/** dst[idx[r], :] += src[r, :] for r < R, in order; dst is (V, W) row-major, updated in place. */
export function scatterAddRef(R: number, W: number, idx: Arr, src: Arr, dst: Float64Array): void {
  for (let r = 0; r < R; r++) for (let j = 0; j < W; j++) dst[idx[r] * W + j] += src[r * W + j];
}

/**
 * Lazy Adam (TensorFlow's LazyAdam): the dense Adam step (test/reference/optim.ts) applied to the
 * listed rows only, with the global step t, then their gradients zeroed; other rows untouched.
 */
export function lazyAdamRef(rows: Arr, W: number, param: Float64Array, grad: Float64Array, m: Float64Array, v: Float64Array,
                            h: AdamHyper, t: number): void {
  for (let i = 0; i < rows.length; i++) {
    const o = rows[i] * W;
    const p = Array.from(param.subarray(o, o + W)), mm = Array.from(m.subarray(o, o + W)), vv = Array.from(v.subarray(o, o + W));
    adamStep(p, grad.subarray(o, o + W), mm, vv, h, t);
    param.set(p, o); m.set(mm, o); v.set(vv, o);
    grad.fill(0, o, o + W);
  }
}
