// The DDPG actor and critic of list-wise recommendation (Zhao et al. 2018, LIRD,
// arXiv 1801.00209), built from the engine's layers.
//
//   state s: the N most recent tracks' embeddings, (B, N, d)   (oldest first)
//   actor  π(s) = out(head(enc(s)))                  → K weight vectors, (B, K·d)
//   critic Q(s, a) = head([enc(s) | a | m(s) ⊙ a_k])  → (B, 1)   (the interaction term optional)
//
// The state encoder is "flat" (no parameters: the N embeddings concatenated, as an MLP over the
// flattened state), "mean" (no parameters: the mean of the N embeddings, the DRR-ave state
// representation of Liu et al. 2018, arXiv 1810.12027) or a GRU over the N steps. The critic's
// action a is K·d floats: the embeddings of the K recommended tracks when learning from the
// replay buffer, and the actor's weight vectors when the actor ascends Q (the gradient ∂Q/∂a
// flows back through the actor).
//
// The actor's output is either tanh (the original's) or "l2": each weight vector normalised to
// a fixed radius (the catalog's RMS embedding norm by default). Selection by dot product is
// invariant to each vector's scale, so nothing is lost; what is gained is that the critic is
// asked about proto-actions at the scale of the embeddings it was fitted on, instead of tanh
// corners it never saw (which the actor otherwise exploits until tanh saturates and its
// gradient vanishes). The backward pass keeps only the gradient's part tangent to the sphere.
//
// The critic's interaction term m(s) ⊙ a_k (m = mean history embedding, one product per slot
// k) lets a linear layer express the affinity m·diag(w)·e(a_k) between the listener's recent
// history and each recommended track (a factorisation-machine-style bilinear term, Rendle 2010;
// explicit user–item interaction as in DRR, Liu et al. 2018). Without it an MLP must build
// products from ReLUs, which it does not manage from a few thousand noisy transitions: it
// memorises states instead (training loss far below the reward noise, no action ranking on
// held-out states).

import type { MemoryPlan, ParamGroup, Region } from "../engine/plan.js";
import type { Rng } from "../rng.js";
import type { Activation } from "../nn/activation.js";
import { Mlp } from "../nn/mlp.js";
import { Gru } from "../nn/gru.js";

export type EncoderSpec =
  | { kind: "flat" }
  | { kind: "mean" }
  | { kind: "gru"; hidden: number; activation?: "tanh" | "relu" };

export interface NetworkSpec {
  encoder: EncoderSpec;
  /** Hidden layer widths of the head after the encoder. */
  hidden: readonly number[];
  /** Activation of the hidden layers. Default relu. */
  activation?: Activation;
  /** Actor only: the output of the weight vectors, "tanh" (default) or "l2" (normalised to the actor's radius). */
  output?: "tanh" | "l2";
  /** Critic only: append the interaction m(s) ⊙ a_k of the mean history embedding with each slot's action. Default false. */
  interaction?: boolean;
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

/** The mean of the N history embeddings (parameter-free): out (B, d). */
class MeanEncoder implements StateEncoder {
  readonly outputs: number;
  readonly trainable = false;
  readonly out: Region;
  constructor(plan: MemoryPlan, name: string, private readonly input: Region, private readonly dims: Dims) {
    this.outputs = dims.d;
    this.out = plan.f32(`${name}.mean`, "activation", dims.maxBatch * dims.d);
  }
  outputPtr(): number {
    return this.out.ptr;
  }
  doutPtr(): number {
    throw new Error("the mean state encoder has no parameters and takes no gradient");
  }
  initialize(): void {}
  forward(B: number): void {
    const { N, d } = this.dims;
    this.out.plan.engine.x.mean_pool_f32(B, N, d, this.input.ptr, this.out.ptr);
  }
  backward(): void {}
}

function makeEncoder(plan: MemoryPlan, group: ParamGroup, name: string, input: Region, dims: Dims, spec: EncoderSpec): StateEncoder {
  if (spec.kind === "mean") return new MeanEncoder(plan, name, input, dims);
  return spec.kind === "flat" ? new FlatEncoder(input, dims) : new GruEncoder(plan, group, `${name}.gru`, input, dims, spec);
}

export class Actor {
  /** (maxBatch, N·d) state embeddings: the input. */
  readonly state: Region;
  readonly encoder: StateEncoder;
  readonly head: Mlp;
  /** How the weight vectors leave the head: tanh (in the head's last layer) or L2-normalised. */
  readonly outputKind: "tanh" | "l2";
  /** Norm of every weight vector with output "l2" (set by the owner before use). Default 1. */
  radius = 1;
  private readonly normed: Region | null;
  private readonly dnormed: Region | null;
  private readonly norms: Region | null;

  /** `state` (maxBatch, N·d) may be shared with the critic: both read the same states. */
  constructor(plan: MemoryPlan, readonly group: ParamGroup, readonly dims: Dims, spec: NetworkSpec, state?: Region) {
    const { N, K, d, maxBatch } = dims;
    if (spec.interaction) throw new Error("actor: the interaction term is a critic option");
    this.outputKind = spec.output ?? "tanh";
    this.state = state ?? plan.f32("actor.state", "io", maxBatch * N * d);
    this.encoder = makeEncoder(plan, group, "actor", this.state, dims, spec.encoder);
    const act = spec.activation ?? "relu";
    const l2 = this.outputKind === "l2";
    this.head = new Mlp(plan, group, "actor.head", {
      sizes: [this.encoder.outputs, ...spec.hidden, K * d],
      activations: [...spec.hidden.map(() => act), l2 ? "identity" : "tanh"],
    }, maxBatch);
    this.normed = l2 ? plan.f32("actor.normed", "activation", maxBatch * K * d) : null;
    this.dnormed = l2 ? plan.f32("actor.dnormed", "activation", maxBatch * K * d) : null;
    this.norms = l2 ? plan.f32("actor.norms", "activation", maxBatch * K) : null;
  }

  /** (maxBatch, K·d) weight vectors after forward. */
  get output(): Region {
    return this.normed ?? this.head.output;
  }

  /** Write ∂objective/∂weights (B, K·d) here before backward. */
  get dout(): Region {
    return this.dnormed ?? this.head.dout;
  }

  initialize(rng: Rng): void {
    this.encoder.initialize(rng);
    this.head.initialize(rng);
  }

  forward(B: number, params: "value" | "target" = "value"): void {
    this.encoder.forward(B, params);
    this.head.forward(B, this.encoder.outputPtr(), params);
    if (this.normed) {
      const { K, d } = this.dims;
      this.group.plan.engine.x.l2norm_forward(B * K, d, this.head.output.ptr, this.normed.ptr, this.norms!.ptr, this.radius);
    }
  }

  backward(B: number): void {
    if (this.normed) {
      const { K, d } = this.dims;
      this.group.plan.engine.x.l2norm_backward(B * K, d, this.normed.ptr, this.norms!.ptr, this.dnormed!.ptr, this.head.dout.ptr, this.radius);
    }
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
  /** Whether the head input carries the interaction m(s) ⊙ a_k. */
  readonly interaction: boolean;
  private readonly A: number;
  /** (maxBatch, d) mean history embedding for the interaction (the encoder's own output when it is "mean"). */
  private readonly pooled: Region | null;
  /** (maxBatch, 2·K·d) ∂Q/∂(action and interaction columns of the head input), with interaction. */
  private readonly dhead: Region | null;

  /** `state` (maxBatch, N·d) may be shared with the actor: both read the same states. */
  constructor(plan: MemoryPlan, readonly group: ParamGroup, readonly dims: Dims, spec: NetworkSpec, state?: Region) {
    const { N, K, d, maxBatch } = dims;
    if (spec.output) throw new Error("critic: the output kind is an actor option (the critic's output is Q)");
    this.A = K * d;
    this.interaction = spec.interaction ?? false;
    this.state = state ?? plan.f32("critic.state", "io", maxBatch * N * d);
    this.action = plan.f32("critic.action", "io", maxBatch * this.A);
    this.daction = plan.f32("critic.daction", "activation", maxBatch * this.A);
    this.encoder = makeEncoder(plan, group, "critic", this.state, dims, spec.encoder);
    this.pooled = !this.interaction ? null : this.encoder instanceof MeanEncoder ? this.encoder.out : plan.f32("critic.pooled", "activation", maxBatch * d);
    this.dhead = this.interaction ? plan.f32("critic.dhead", "activation", maxBatch * 2 * this.A) : null;
    const act = spec.activation ?? "relu";
    this.head = new Mlp(plan, group, "critic.head", {
      sizes: [this.encoder.outputs + this.A * (this.interaction ? 2 : 1), ...spec.hidden, 1],
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
    const E = this.encoder.outputs, W = this.head.inputs;
    this.encoder.forward(B, params);
    x.copy_2d_f32(B, E, this.encoder.outputPtr(), E, this.head.input.ptr, W);
    x.copy_2d_f32(B, this.A, action, this.A, this.head.input.ptr + E * 4, W);
    if (this.pooled) {
      const { N, K, d } = this.dims;
      if (!(this.encoder instanceof MeanEncoder)) x.mean_pool_f32(B, N, d, this.state.ptr, this.pooled.ptr);
      x.interact_forward(B, K, d, this.pooled.ptr, action, this.head.input.ptr + (E + this.A) * 4, W);
    }
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
      const A = this.A;
      if (this.dhead) {
        // ∂Q/∂a_k = ∂Q/∂(a columns) + m(s) ⊙ ∂Q/∂(m ⊙ a_k columns); the state embeddings (and so
        // m) are data, not parameters: nothing flows into them
        const x = this.group.plan.engine.x;
        this.head.backward(B, this.head.input.ptr, { params: false, input: { ptr: this.dhead.ptr, from: E, count: 2 * A } });
        x.copy_2d_f32(B, A, this.dhead.ptr, 2 * A, this.daction.ptr, A);
        x.interact_backward(B, this.dims.K, this.dims.d, this.pooled!.ptr, this.dhead.ptr + A * 4, 2 * A, this.daction.ptr);
      } else {
        this.head.backward(B, this.head.input.ptr, { params: false, input: { ptr: this.daction.ptr, from: E, count: A } });
      }
      return;
    }
    const trainable = this.encoder.trainable;
    this.head.backward(B, this.head.input.ptr, { input: trainable ? { ptr: this.encoder.doutPtr(), from: 0, count: E } : null });
    if (trainable) this.encoder.backward(B);
  }
}
