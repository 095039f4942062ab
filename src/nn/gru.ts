// A GRU layer over the wasm kernels gru_forward / gru_backward (assembly/gru.ts, which
// states the reset_after formula). Used as the DDPG state encoder: it reads all N history
// embeddings (B, T=N, I=d) and its last hidden state h_T (B, H) is the state encoding.
//
// Parameters, in one ParamGroup: wx (I, 3H), wh (H, 3H), bx (3H), bh (3H), gates fused
// column-wise as z | r | n. Activations: every step's hidden state hs (B, T, H) and the gate
// values backward needs, planned for the largest batch.

import type { MemoryPlan, ParamGroup, ParamTensor, Region } from "../engine/plan.js";
import type { Rng } from "../rng.js";
import { ACTIVATION_CODES } from "./activation.js";
import { checkDim } from "./dense.js";

export interface GruSpec {
  /** Input features per step (I). */
  inputs: number;
  /** Hidden units (H). */
  hidden: number;
  /** Steps per sequence (T). */
  steps: number;
  /** Candidate activation: "tanh" (default, the standard GRU) or "relu" (the original project's). */
  activation?: "tanh" | "relu";
}

export class Gru {
  readonly I: number;
  readonly H: number;
  readonly T: number;
  readonly activation: "tanh" | "relu";
  readonly wx: ParamTensor;
  readonly wh: ParamTensor;
  readonly bx: ParamTensor;
  readonly bh: ParamTensor;
  /** hs (maxBatch, T, H): every step's hidden state after forward. */
  readonly hs: Region;
  /** last (maxBatch, H): h_T, contiguous, after forward. */
  readonly last: Region;
  /** dlast (maxBatch, H): write ∂loss/∂h_T here before backwardFromLast. */
  readonly dlast: Region;
  private readonly saved: Region;
  private readonly dhs: Region;
  private readonly ws: Region;
  private readonly act: number;

  constructor(readonly plan: MemoryPlan, group: ParamGroup, readonly name: string, spec: GruSpec, readonly maxBatch: number) {
    checkDim(`${name}: inputs`, spec.inputs);
    checkDim(`${name}: hidden`, spec.hidden);
    checkDim(`${name}: steps`, spec.steps);
    checkDim(`${name}: batch`, maxBatch);
    this.I = spec.inputs;
    this.H = spec.hidden;
    this.T = spec.steps;
    this.activation = spec.activation ?? "tanh";
    if (this.activation !== "tanh" && this.activation !== "relu") throw new Error(`${name}: GRU candidate activation must be tanh or relu, got '${String(this.activation)}'`);
    this.act = ACTIVATION_CODES[this.activation];
    const { I, H, T } = this;
    this.wx = group.add(`${name}.wx`, [I, 3 * H]);
    this.wh = group.add(`${name}.wh`, [H, 3 * H]);
    this.bx = group.add(`${name}.bx`, [3 * H]);
    this.bh = group.add(`${name}.bh`, [3 * H]);
    this.hs = plan.f32(`${name}.hs`, "activation", maxBatch * T * H);
    this.last = plan.f32(`${name}.last`, "activation", maxBatch * H);
    this.dlast = plan.f32(`${name}.dlast`, "activation", maxBatch * H);
    this.dhs = plan.f32(`${name}.dhs`, "activation", maxBatch * T * H);
    this.saved = plan.region(`${name}.saved`, "activation", (x) => 4 * x.gru_activation_floats(maxBatch, T, H));
    this.ws = plan.region(`${name}.workspace`, "scratch", (x) => x.gru_workspace_bytes(maxBatch, T, I, H));
  }

  /** Glorot-uniform input and recurrent weights per gate block; zero biases. */
  initialize(rng: Rng): void {
    const { I, H } = this;
    const fill = (view: Float32Array, fanIn: number): void => {
      const a = Math.sqrt(6 / (fanIn + H));
      for (let i = 0; i < view.length; i++) view[i] = (rng.float() * 2 - 1) * a;
    };
    fill(this.wx.view(), I);
    fill(this.wh.view(), H);
    this.bx.view().fill(0);
    this.bh.view().fill(0);
  }

  /** Byte pointer of h_T (B, H), contiguous, after forward. */
  lastPtr(): number {
    return this.last.ptr;
  }

  /** Run the GRU over x (B, T, I) at byte pointer `x`, from a zero initial state. */
  forward(B: number, x: number, params: "value" | "target" = "value"): void {
    this.checkBatch(B);
    const e = this.plan.engine;
    const { I, H, T } = this;
    e.x.gru_forward(B, T, I, H, x, this.wx.ptr(params), this.wh.ptr(params), this.bx.ptr(params), this.bh.ptr(params),
      0, this.hs.ptr, this.saved.ptr, this.act, this.ws.ptr);
    e.x.copy_2d_f32(B, H, this.hs.ptr + (T - 1) * H * 4, T * H, this.last.ptr, H);
  }

  /**
   * Backward through time from ∂loss/∂h_T in `dlast` (the other steps' hidden states feed
   * nothing else). Accumulates parameter gradients; the input gradient is not computed (the
   * state embeddings are inputs, not parameters). `x` must be what forward was given.
   */
  backwardFromLast(B: number, x: number): void {
    this.checkBatch(B);
    const e = this.plan.engine;
    const { I, H, T } = this;
    e.x.fill_f32(B * T * H, this.dhs.ptr, 0);
    e.x.copy_2d_f32(B, H, this.dlast.ptr, H, this.dhs.ptr + (T - 1) * H * 4, T * H);
    e.x.gru_backward(B, T, I, H, x, this.wx.ptr("value"), this.wh.ptr("value"), 0, this.hs.ptr, this.saved.ptr,
      this.dhs.ptr, 0, this.wx.ptr("grad"), this.wh.ptr("grad"), this.bx.ptr("grad"), this.bh.ptr("grad"), 0, this.act, this.ws.ptr);
  }

  private checkBatch(B: number): void {
    if (!Number.isInteger(B) || B < 1 || B > this.maxBatch) {
      throw new Error(`${this.name}: batch ${B} outside 1..${this.maxBatch} (the layer was planned for at most ${this.maxBatch} rows)`);
    }
  }
}
