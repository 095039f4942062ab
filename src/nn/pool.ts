// A feedback-weighted pooling layer over the wasm kernels pool_feedback_forward_f32 /
// pool_feedback_backward_f32 (assembly/pool.ts): the skip-aware state encoder's first layer.
//
//   out (B, C, D)[b, c, :] = Σ_n alpha[c, n, kept(b, n)] · x[b, n, :]
//
// x (B, N, D) f32 are the history's track embeddings, kept (B, N) u8 the listener's feedback
// per item (1 kept, 0 skipped; any non-zero byte counts as kept), alpha (C, N, 2) the learned
// weights, one per channel, history position and feedback. alpha lives in a ParamGroup, so
// Adam, zero_grad, clipping, target copies and checkpoints cover it like any weight; the
// output and its gradient live in activation regions sized for the largest batch.
//
// Initialisation (initialize): a good start is the summaries a listener model would want:
//   channel 0  the kept items:    alpha[0, n, 1] = 1/N, alpha[0, n, 0] = 0
//              (the sum of the kept items over N: their mean scaled by the share kept)
//   channel 1  the skipped items: alpha[1, n, 0] = 1/N, alpha[1, n, 1] = 0
//              (a taste to move away from: the listener skipped these)
//   channel 2  recency, all items: alpha[2, n, ·] ∝ 0.7^(N−1−n), summing to 1 over n
//              (tastes drift within a session; the last items say most about the next)
//   channel ≥3 small seeded random values, U(±0.1/N), so extra channels start distinct but quiet.
// Training reshapes all of them.
//
// No `node:` imports: this runs in browsers and edge runtimes too.

import type { MemoryPlan, ParamGroup, ParamTensor, Region } from "../engine/plan.js";
import type { Rng } from "../rng.js";
import { pow } from "../dmath.js";
import { checkDim } from "./dense.js";

export interface FeedbackPoolSpec {
  /** History items per state (N). */
  items: number;
  /** Output channels (C). */
  channels: number;
  /** Embedding width (D). */
  dim: number;
}

/** Recency decay per step back in the history, for channel 2's initial weights. */
export const RECENCY_DECAY = 0.7;

export class FeedbackPool {
  readonly N: number;
  readonly C: number;
  readonly D: number;
  /** alpha (C, N, 2): [c, n, 0] weighs a skipped item, [c, n, 1] a kept one. */
  readonly alpha: ParamTensor;
  /** out (maxBatch, C, D): the pooled channels after forward, row b at [b·C·D, (b+1)·C·D). */
  readonly out: Region;
  /** dout (maxBatch, C, D): write ∂loss/∂out here before backward. */
  readonly dout: Region;

  constructor(readonly plan: MemoryPlan, group: ParamGroup, readonly name: string, spec: FeedbackPoolSpec, readonly maxBatch: number) {
    checkDim(`${name}: items`, spec.items);
    checkDim(`${name}: channels`, spec.channels);
    checkDim(`${name}: dim`, spec.dim);
    checkDim(`${name}: batch`, maxBatch);
    this.N = spec.items;
    this.C = spec.channels;
    this.D = spec.dim;
    this.alpha = group.add(`${name}.alpha`, [this.C, this.N, 2]);
    this.out = plan.f32(`${name}.out`, "activation", maxBatch * this.C * this.D);
    this.dout = plan.f32(`${name}.dout`, "activation", maxBatch * this.C * this.D);
  }

  /** The initial weights described in the header (channels ≥ 3 drawn from rng). */
  initialize(rng: Rng): void {
    const { N, C } = this;
    const a = this.alpha.view();
    a.fill(0);
    const at = (c: number, n: number, kept: number): number => (c * N + n) * 2 + kept;
    for (let n = 0; n < N; n++) a[at(0, n, 1)] = 1 / N;
    if (C > 1) for (let n = 0; n < N; n++) a[at(1, n, 0)] = 1 / N;
    if (C > 2) {
      let total = 0;
      // dmath's pow, not **: the same initial weights in every engine
      for (let n = 0; n < N; n++) total += pow(RECENCY_DECAY, N - 1 - n);
      for (let n = 0; n < N; n++) a[at(2, n, 0)] = a[at(2, n, 1)] = pow(RECENCY_DECAY, N - 1 - n) / total;
    }
    for (let c = 3; c < C; c++) {
      for (let n = 0; n < N; n++) for (let k = 0; k < 2; k++) a[at(c, n, k)] = (rng.float() * 2 - 1) * 0.1 / N;
    }
  }

  /**
   * out = the C pooled channels of the first B rows: x (B, N, D) f32 at byte pointer xPtr, kept
   * (B, N) u8 at keptPtr, with the online ("value") or the target weights.
   */
  forward(B: number, xPtr: number, keptPtr: number, params: "value" | "target" = "value"): void {
    this.checkBatch(B);
    const e = this.plan.engine, { N, C, D } = this;
    e.checkRange(`${this.name}.forward: x (${B} x ${N} x ${D} f32)`, xPtr, B * N * D * 4);
    e.checkRange(`${this.name}.forward: kept (${B} x ${N} u8)`, keptPtr, B * N, 1);
    e.x.pool_feedback_forward_f32(B, N, C, D, xPtr, keptPtr, this.alpha.ptr(params), this.out.ptr);
  }

  /**
   * From dout (B, C, D): accumulate ∂loss/∂alpha into the group's grad arena and, when dxPtr is
   * a pointer (0 skips it), add ∂loss/∂x into the (B, N, D) f32 there (a trainable embedding's
   * gradient). x and kept must be what forward saw.
   */
  backward(B: number, xPtr: number, keptPtr: number, dxPtr = 0): void {
    this.checkBatch(B);
    const e = this.plan.engine, { N, C, D } = this;
    e.checkRange(`${this.name}.backward: x (${B} x ${N} x ${D} f32)`, xPtr, B * N * D * 4);
    e.checkRange(`${this.name}.backward: kept (${B} x ${N} u8)`, keptPtr, B * N, 1);
    if (dxPtr !== 0) {
      e.checkRange(`${this.name}.backward: dx (${B} x ${N} x ${D} f32)`, dxPtr, B * N * D * 4);
      if (dxPtr < xPtr + B * N * D * 4 && xPtr < dxPtr + B * N * D * 4) throw new Error(`${this.name}.backward: dx overlaps x`);
    }
    e.x.pool_feedback_backward_f32(B, N, C, D, xPtr, keptPtr, this.alpha.ptr("value"), this.dout.ptr, this.alpha.ptr("grad"), dxPtr);
  }

  private checkBatch(B: number): void {
    if (!Number.isInteger(B) || B < 1 || B > this.maxBatch) {
      throw new Error(`${this.name}: batch ${B} outside 1..${this.maxBatch} (the layer was planned for at most ${this.maxBatch} rows)`);
    }
  }
}
