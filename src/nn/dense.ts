// A dense (fully connected) layer over the wasm kernels dense_forward / dense_backward.
//
//   out (B,O) = act( inp (B,I) · w (I,O) + b (O) )
//
// Parameters live in a ParamGroup (value / grad / Adam moments / target share one layout);
// the layer's output and output-gradient buffers live in the activation region, sized for
// the largest batch the layer will see. Backward accumulates into the parameter gradients
// (clear them with the optimiser's zeroGrad) and overwrites `dout` with the gradient of the
// pre-activation (it is not needed afterwards, and this saves a buffer per layer).

import type { MemoryPlan, ParamGroup, ParamTensor, Region } from "../engine/plan.js";
import type { Rng } from "../rng.js";
import { ACTIVATION_CODES, activationCode, type Activation } from "./activation.js";

export type InitScheme =
  /** Glorot/Xavier uniform: U(±sqrt(6/(I+O))); suits tanh, sigmoid, identity. */
  | "glorot"
  /** He/Kaiming uniform: U(±sqrt(6/I)); suits relu. */
  | "he"
  /** U(±a), e.g. DDPG's final layers at 3e-3 (Lillicrap et al. 2015, §7). */
  | { uniform: number };

export interface DenseSpec {
  inputs: number;
  outputs: number;
  /** Default "identity". */
  activation?: Activation;
  /** Default true. */
  bias?: boolean;
  /** Default "he" for relu, "glorot" otherwise. */
  init?: InitScheme;
}

export interface DenseBackwardOptions {
  /** Accumulate dw and db (default true); false computes only the input gradient. */
  params?: boolean;
  /** Input gradient of input columns [from, from + count) only, as a (B, count) matrix. */
  inputRows?: readonly [number, number];
}

export class Dense {
  readonly inputs: number;
  readonly outputs: number;
  readonly activation: Activation;
  readonly init: InitScheme;
  readonly w: ParamTensor;
  readonly b: ParamTensor | null;
  /** out (maxBatch, O): the layer's output after forward. */
  readonly out: Region;
  /** dout (maxBatch, O): write the gradient of the loss w.r.t. out here before backward. */
  readonly dout: Region;
  private readonly act: number;

  constructor(
    readonly plan: MemoryPlan,
    group: ParamGroup,
    readonly name: string,
    spec: DenseSpec,
    readonly maxBatch: number,
  ) {
    checkDim(`${name}: inputs`, spec.inputs);
    checkDim(`${name}: outputs`, spec.outputs);
    checkDim(`${name}: batch`, maxBatch);
    this.inputs = spec.inputs;
    this.outputs = spec.outputs;
    this.activation = spec.activation ?? "identity";
    this.act = activationCode(this.activation);
    this.init = spec.init ?? (this.activation === "relu" ? "he" : "glorot");
    this.w = group.add(`${name}.w`, [spec.inputs, spec.outputs]);
    this.b = spec.bias === false ? null : group.add(`${name}.b`, [spec.outputs]);
    this.out = plan.f32(`${name}.out`, "activation", maxBatch * spec.outputs);
    this.dout = plan.f32(`${name}.dout`, "activation", maxBatch * spec.outputs);
  }

  /** Draw the weights from the init scheme; biases to zero. Deterministic under the rng. */
  initialize(rng: Rng): void {
    const I = this.inputs, O = this.outputs;
    const a = typeof this.init === "object" ? this.init.uniform
      : this.init === "he" ? Math.sqrt(6 / I) : Math.sqrt(6 / (I + O));
    const w = this.w.view();
    for (let i = 0; i < w.length; i++) w[i] = (rng.float() * 2 - 1) * a;
    this.b?.view().fill(0);
  }

  /**
   * out = act(inp · w + b) for the first B rows; `inp` is a byte pointer to (B, I) f32.
   * `params` selects the online ("value") or the target weights. Large layers run on every thread
   * (Engine.denseForward: row panels, bit-identical to one thread).
   */
  forward(inp: number, B: number, params: "value" | "target" = "value"): void {
    this.checkBatch(B);
    const e = this.plan.engine;
    e.denseForward(B, this.inputs, this.outputs, inp, this.w.ptr(params), this.b ? this.b.ptr(params) : 0, this.out.ptr, this.act);
  }

  /**
   * From dout (B,O): accumulate dw, db; write (or with accumulate, add) dinp (B,I) when
   * `dinp` is a pointer (0 skips it). `inp` must be the input forward saw.
   * Options: `params: false` skips dw and db (only the input gradient is wanted; `inp` is
   * then not read); `inputRows: [from, count]` computes the input gradient of input columns
   * from..from+count only, written as a (B, count) matrix at `dinp` (the product with the
   * other rows of w is skipped).
   */
  backward(inp: number, dinp: number, B: number, accumulateDinp = false, options: DenseBackwardOptions = {}): void {
    this.checkBatch(B);
    const e = this.plan.engine;
    const params = options.params ?? true;
    const acc = accumulateDinp ? 1 : 0;
    const rows = options.inputRows;
    if (rows === undefined || dinp === 0) {
      e.x.dense_backward(B, this.inputs, this.outputs, inp, this.w.ptr("value"), this.out.ptr,
        this.dout.ptr, this.dout.ptr, dinp, params ? this.w.ptr("grad") : 0, params && this.b ? this.b.ptr("grad") : 0,
        this.act, acc, e.gemmWorkspace);
      return;
    }
    const [from, count] = rows;
    if (!(Number.isInteger(from) && Number.isInteger(count) && from >= 0 && count >= 1 && from + count <= this.inputs)) {
      throw new Error(`${this.name}: inputRows [${from}, ${count}] outside the ${this.inputs} inputs`);
    }
    // dpre = dout ⊙ act'(out) in place, with the parameter gradients when wanted
    e.x.dense_backward(B, this.inputs, this.outputs, inp, this.w.ptr("value"), this.out.ptr,
      this.dout.ptr, this.dout.ptr, 0, params ? this.w.ptr("grad") : 0, params && this.b ? this.b.ptr("grad") : 0,
      this.act, 0, e.gemmWorkspace);
    // dinp (B, count) = dpre · w[from:from+count, :]ᵀ; identity: dpre is already in dout
    e.x.dense_backward(B, count, this.outputs, 0, this.w.ptr("value") + from * this.outputs * 4, this.out.ptr,
      this.dout.ptr, this.dout.ptr, dinp, 0, 0, ACTIVATION_CODES.identity, acc, e.gemmWorkspace);
  }

  private checkBatch(B: number): void {
    if (!Number.isInteger(B) || B < 1 || B > this.maxBatch) {
      throw new Error(`${this.name}: batch ${B} outside 1..${this.maxBatch} (the layer was planned for at most ${this.maxBatch} rows)`);
    }
  }
}

export function checkDim(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a positive integer, got ${n}`);
}
