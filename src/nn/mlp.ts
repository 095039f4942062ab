// A multi-layer perceptron: Dense layers in sequence with explicit forward and backward.
//
//   input (B, sizes[0]) → Dense → … → output (B, sizes[L])
//
// Usage: write the batch into `input`, forward(B), read `output`; write ∂loss/∂output into
// `dout`, backward(B): parameter gradients accumulate in the group's grad arena, and
// ∂loss/∂input lands in `dinput` when the MLP was built with { inputGrad: true } (the DDPG
// critic needs ∂Q/∂action for the actor update).

import type { MemoryPlan, ParamGroup, Region } from "../engine/plan.js";
import type { Rng } from "../rng.js";
import type { Activation } from "./activation.js";
import { Dense, checkDim, type InitScheme } from "./dense.js";

export interface MlpSpec {
  /** Layer widths, input first: [I, H1, …, O]. At least two entries. */
  sizes: readonly number[];
  /** One activation per layer (sizes.length − 1 entries). */
  activations: readonly Activation[];
  /** Biases on every layer. Default true. */
  bias?: boolean;
  /** Init for the last layer (others use the activation's default). Default: its activation's default. */
  lastInit?: InitScheme;
  /** Keep ∂loss/∂input in `dinput` after backward. Default false. */
  inputGrad?: boolean;
}

export class Mlp {
  readonly layers: Dense[];
  /** input (maxBatch, sizes[0]). */
  readonly input: Region;
  /** dinput (maxBatch, sizes[0]), only with { inputGrad: true }. */
  readonly dinput: Region | null;

  constructor(readonly plan: MemoryPlan, readonly group: ParamGroup, readonly name: string, spec: MlpSpec, readonly maxBatch: number) {
    const { sizes, activations } = spec;
    if (sizes.length < 2) throw new Error(`${name}: an MLP needs at least two sizes (input and output), got [${sizes.join(", ")}]`);
    if (activations.length !== sizes.length - 1) {
      throw new Error(`${name}: ${sizes.length - 1} layers need ${sizes.length - 1} activations, got ${activations.length}`);
    }
    sizes.forEach((s, i) => checkDim(`${name}: sizes[${i}]`, s));
    this.input = plan.f32(`${name}.input`, "io", maxBatch * sizes[0]);
    this.dinput = spec.inputGrad ? plan.f32(`${name}.dinput`, "activation", maxBatch * sizes[0]) : null;
    this.layers = [];
    for (let l = 0; l < sizes.length - 1; l++) {
      const last = l === sizes.length - 2;
      this.layers.push(new Dense(plan, group, `${name}.${l}`, {
        inputs: sizes[l],
        outputs: sizes[l + 1],
        activation: activations[l],
        bias: spec.bias,
        init: last ? spec.lastInit : undefined,
      }, maxBatch));
    }
  }

  get inputs(): number {
    return this.layers[0].inputs;
  }

  get outputs(): number {
    return this.layers[this.layers.length - 1].outputs;
  }

  /** output (maxBatch, O), valid after forward. */
  get output(): Region {
    return this.layers[this.layers.length - 1].out;
  }

  /** Write ∂loss/∂output (B, O) here before backward. */
  get dout(): Region {
    return this.layers[this.layers.length - 1].dout;
  }

  initialize(rng: Rng): void {
    for (const l of this.layers) l.initialize(rng);
  }

  /**
   * Forward the first B rows of `input` (or of another (B, I) buffer at byte pointer `inp`),
   * with the online ("value") or the target parameters.
   */
  forward(B: number, inp: number = this.input.ptr, params: "value" | "target" = "value"): void {
    let x = inp;
    for (const l of this.layers) {
      l.forward(x, B, params);
      x = l.out.ptr;
    }
  }

  /**
   * Backward from `dout`; `inp` must be the pointer forward was given. By default parameter
   * gradients accumulate and ∂loss/∂input lands in `dinput` (when built with inputGrad).
   * Options: `params: false` skips every parameter gradient (only an input gradient is
   * wanted); `input` redirects the input gradient: null skips it, { ptr } writes the whole
   * (B, I) there, { ptr, from, count } writes only columns from..from+count as (B, count).
   */
  backward(B: number, inp: number = this.input.ptr, options: MlpBackwardOptions = {}): void {
    const params = options.params ?? true;
    const input = options.input === undefined ? (this.dinput ? { ptr: this.dinput.ptr } : null) : options.input;
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const layer = this.layers[l];
      if (l > 0) {
        layer.backward(this.layers[l - 1].out.ptr, this.layers[l - 1].dout.ptr, B, false, { params });
      } else if (input === null) {
        if (params) layer.backward(inp, 0, B); // else the first layer has nothing to compute
      } else {
        const rows = input.count !== undefined ? ([input.from ?? 0, input.count] as const) : undefined;
        layer.backward(inp, input.ptr, B, false, { params, inputRows: rows });
      }
    }
  }
}

export interface MlpBackwardOptions {
  /** Accumulate the parameter gradients (default true). */
  params?: boolean;
  /** Where the input gradient goes (default: `dinput` when built with inputGrad, else nowhere). */
  input?: { ptr: number; from?: number; count?: number } | null;
}
