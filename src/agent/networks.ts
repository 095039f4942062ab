// The DDPG actor and critic of list-wise recommendation (Zhao et al. 2018, LIRD,
// arXiv 1801.00209), built from the engine's layers.
//
//   state s: the N most recent tracks' embeddings, (B, N, d)   (oldest first)
//   actor  π(s) = head(enc(s))            → K weight vectors, (B, K·d), tanh
//   critic Q(s, a) = head([enc(s) | a])   → (B, 1)
//
// The state encoder is either "flat" (no parameters: the N embeddings concatenated, as an MLP
// over the flattened state) or a GRU over the N steps. The critic's action a is K·d floats:
// the embeddings of the K recommended tracks when learning from the replay buffer, and the
// actor's weight vectors when the actor ascends Q (the gradient ∂Q/∂a flows back through
// the actor).

import type { MemoryPlan, ParamGroup, Region } from "../engine/plan.js";
import type { Rng } from "../rng.js";
import type { Activation } from "../nn/activation.js";
import { Mlp } from "../nn/mlp.js";
import { Gru } from "../nn/gru.js";

export type EncoderSpec =
  | { kind: "flat" }
  | { kind: "gru"; hidden: number; activation?: "tanh" | "relu" };

export interface NetworkSpec {
  encoder: EncoderSpec;
  /** Hidden layer widths of the head after the encoder. */
  hidden: readonly number[];
  /** Activation of the hidden layers. Default relu. */
  activation?: Activation;
}

export interface Dims {
  /** History length (state size). */
  N: number;
  /** List size (weight vectors per state). */
  K: number;
  /** Embedding width. */
  d: number;
  /** Largest batch the networks will see. */
  maxBatch: number;
}

/** A state encoder: reads (B, N·d) state embeddings, writes (B, outputs). */
interface StateEncoder {
  readonly outputs: number;
  /** Whether the encoder has parameters (and so needs the gradient of its output). */
  readonly trainable: boolean;
  /** Byte pointer of the encoding (B, outputs) after forward. */
  outputPtr(): number;
  /** Byte pointer where the gradient w.r.t. the encoding is written before backward (trainable encoders only). */
  doutPtr(): number;
  initialize(rng: Rng): void;
  forward(B: number, params: "value" | "target"): void;
  backward(B: number): void;
}

class FlatEncoder implements StateEncoder {
  readonly outputs: number;
  readonly trainable = false;
  constructor(private readonly input: Region, dims: Dims) {
    this.outputs = dims.N * dims.d;
  }
  outputPtr(): number {
    return this.input.ptr;
  }
  doutPtr(): number {
    throw new Error("the flat state encoder has no parameters and takes no gradient");
  }
  initialize(): void {}
  forward(): void {}
  backward(): void {}
}

class GruEncoder implements StateEncoder {
  readonly outputs: number;
  readonly trainable = true;
  readonly gru: Gru;
  constructor(plan: MemoryPlan, group: ParamGroup, name: string, private readonly input: Region, dims: Dims, spec: { hidden: number; activation?: "tanh" | "relu" }) {
    this.gru = new Gru(plan, group, name, { inputs: dims.d, hidden: spec.hidden, steps: dims.N, activation: spec.activation ?? "tanh" }, dims.maxBatch);
    this.outputs = spec.hidden;
  }
  outputPtr(): number {
    return this.gru.lastPtr();
  }
  doutPtr(): number {
    return this.gru.dlast.ptr;
  }
  initialize(rng: Rng): void {
    this.gru.initialize(rng);
  }
  forward(B: number, params: "value" | "target"): void {
    this.gru.forward(B, this.input.ptr, params);
  }
  backward(B: number): void {
    this.gru.backwardFromLast(B, this.input.ptr);
  }
}

function makeEncoder(plan: MemoryPlan, group: ParamGroup, name: string, input: Region, dims: Dims, spec: EncoderSpec): StateEncoder {
  return spec.kind === "flat" ? new FlatEncoder(input, dims) : new GruEncoder(plan, group, `${name}.gru`, input, dims, spec);
}

export class Actor {
  /** (maxBatch, N·d) state embeddings: the input. */
  readonly state: Region;
  readonly encoder: StateEncoder;
  readonly head: Mlp;

  /** `state` (maxBatch, N·d) may be shared with the critic: both read the same states. */
  constructor(plan: MemoryPlan, readonly group: ParamGroup, readonly dims: Dims, spec: NetworkSpec, state?: Region) {
    const { N, K, d, maxBatch } = dims;
    this.state = state ?? plan.f32("actor.state", "io", maxBatch * N * d);
    this.encoder = makeEncoder(plan, group, "actor", this.state, dims, spec.encoder);
    const act = spec.activation ?? "relu";
    this.head = new Mlp(plan, group, "actor.head", {
      sizes: [this.encoder.outputs, ...spec.hidden, K * d],
      activations: [...spec.hidden.map(() => act), "tanh"],
    }, maxBatch);
  }

  /** (maxBatch, K·d) weight vectors after forward. */
  get output(): Region {
    return this.head.output;
  }

  /** Write ∂objective/∂weights (B, K·d) here before backward. */
  get dout(): Region {
    return this.head.dout;
  }

  initialize(rng: Rng): void {
    this.encoder.initialize(rng);
    this.head.initialize(rng);
  }

  forward(B: number, params: "value" | "target" = "value"): void {
    this.encoder.forward(B, params);
    this.head.forward(B, this.encoder.outputPtr(), params);
  }

  backward(B: number): void {
    // the head's input gradient goes straight to the trainable encoder (none for a flat one)
    this.head.backward(B, this.encoder.outputPtr(), { input: this.encoder.trainable ? { ptr: this.encoder.doutPtr() } : null });
    if (this.encoder.trainable) this.encoder.backward(B);
  }
}

export class Critic {
  /** (maxBatch, N·d) state embeddings. */
  readonly state: Region;
  /** (maxBatch, K·d) action: embeddings of the recommended tracks, or the actor's weights. */
  readonly action: Region;
  /** (maxBatch, K·d) ∂(head output)/∂action after backward({ actionOnly: true }). */
  readonly daction: Region;
  readonly encoder: StateEncoder;
  readonly head: Mlp;
  private readonly A: number;

  /** `state` (maxBatch, N·d) may be shared with the actor: both read the same states. */
  constructor(plan: MemoryPlan, readonly group: ParamGroup, readonly dims: Dims, spec: NetworkSpec, state?: Region) {
    const { N, K, d, maxBatch } = dims;
    this.A = K * d;
    this.state = state ?? plan.f32("critic.state", "io", maxBatch * N * d);
    this.action = plan.f32("critic.action", "io", maxBatch * this.A);
    this.daction = plan.f32("critic.daction", "activation", maxBatch * this.A);
    this.encoder = makeEncoder(plan, group, "critic", this.state, dims, spec.encoder);
    const act = spec.activation ?? "relu";
    this.head = new Mlp(plan, group, "critic.head", {
      sizes: [this.encoder.outputs + this.A, ...spec.hidden, 1],
      activations: [...spec.hidden.map(() => act), "identity"],
      lastInit: { uniform: 3e-3 },
    }, maxBatch);
  }

  /** (maxBatch, 1) Q values after forward. */
  get q(): Region {
    return this.head.output;
  }

  /** Write ∂objective/∂Q (B, 1) here before backward. */
  get dq(): Region {
    return this.head.dout;
  }

  initialize(rng: Rng): void {
    this.encoder.initialize(rng);
    this.head.initialize(rng);
  }

  /** Q(s, a) for B rows; `action` is a byte pointer to (B, K·d) (default: the `action` region). */
  forward(B: number, params: "value" | "target" = "value", action: number = this.action.ptr): void {
    const x = this.group.plan.engine.x;
    const E = this.encoder.outputs, W = E + this.A;
    this.encoder.forward(B, params);
    x.copy_2d_f32(B, E, this.encoder.outputPtr(), E, this.head.input.ptr, W);
    x.copy_2d_f32(B, this.A, action, this.A, this.head.input.ptr + E * 4, W);
    this.head.forward(B, this.head.input.ptr, params);
  }

  /**
   * Backward from dq. By default: parameter gradients accumulate (head and a trainable
   * encoder) and ∂/∂action is not computed. With actionOnly: only ∂Q/∂action, written to
   * `daction`; no parameter gradient is touched and the state encoder is not backpropagated
   * (the actor update needs only ∂Q/∂a). Only the products each case needs are computed:
   * the first layer's input gradient is restricted to the columns that are wanted.
   */
  backward(B: number, options: { actionOnly?: boolean } = {}): void {
    const E = this.encoder.outputs;
    if (options.actionOnly) {
      this.head.backward(B, this.head.input.ptr, { params: false, input: { ptr: this.daction.ptr, from: E, count: this.A } });
      return;
    }
    const trainable = this.encoder.trainable;
    this.head.backward(B, this.head.input.ptr, { input: trainable ? { ptr: this.encoder.doutPtr(), from: 0, count: E } : null });
    if (trainable) this.encoder.backward(B);
  }
}
