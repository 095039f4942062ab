// The actor and critics of list-wise recommendation (Zhao et al. 2018, LIRD, arXiv 1801.00209),
// built from the engine's layers.
//
//   state s: the N most recent plays, oldest first: their track embeddings x (B, N, d) and their
//            feedback kept (B, N) (1 kept, 0 skipped): src/core/state.ts
//   actor  π(s) = l2(head(enc(s)))                        → K weight vectors of A floats each
//   critic "concat" (the original's): Q(s, a) = head([enc(s) | a])  → (B, 1)
//   critic "item" (encore's):         Q(s, a) = Σ_k Γ^k q̄(s, a_k),  q̄(s, t) = u(s) · z_t
//
// Every encoder reads the feedback, so the agent knows what the listener kept and skipped:
//   "flat"  the N plays as [x_n | kept_n], concatenated (N·(d+1)), for an MLP;
//   "gru"   a GRU over the N steps with input [x_n | kept_n] (d + 1);
//   "pool"  C learned feedback-weighted pools Σ_n α[c, n, kept_n] x_n (src/nn/pool.ts): the mean of
//           the kept tracks, the mean of the skipped ones and a recency-weighted mean to start with.
//
// The action width A per slot is d, or d + 1 when the agent has a per-track bias b: then a track
// is ẽ_t = [e_t | b_t], a weight vector w_k = [w | β] scores it as w·e_t + β·b_t, and the top-k
// scan takes the bias column (score_i = w_k · e_i + b_i with β as the bias weight; unit-norm
// embeddings alone cannot express popularity).
//
// The actor's output is "tanh" (the original's) or "l2": each weight vector normalised to a fixed
// radius. Selection by dot product is invariant to each vector's scale, so nothing is lost; the
// critic is asked about proto-actions at the scale of the tracks it was fitted on, instead of tanh
// corners it never saw. The backward pass keeps only the gradient's part tangent to the sphere.
//
// The item critic ("item") decomposes a list's value over its tracks, as SlateQ does (Ie et al.
// 2019, "SlateQ: A tractable decomposition for reinforcement learning with recommendation
// sets"): Q(s, A) = Σ_k Γ^k q̄(s, a_k) with the list discount Γ of the reward. Its item value is
// bilinear in the track: q̄(s, t) = u(s) · z_t, where z_t = [e_t | b_t | f_t(s) | 1] holds the
// track's embedding, its bias, the candidate sources' features of t for this state (item-kNN,
// Markov, … scores: src/core/candidates.ts) and a constant (so u's last entry is a per-state
// offset), and u(s) = head(enc(s)) is a nonlinear function of the state. Two things follow:
//   - the best list among any set of candidates is exact and cheap: sort them by q̄ (Γ^k is
//     decreasing, so the highest q̄ goes to slot 0, and so on), which makes critic re-ranking
//     (Wolpertinger, Dulac-Arnold et al. 2015) an argmax, not a search;
//   - ∂Q/∂w_k at a proto-action is Γ^k u(s)[0 .. A): the actor ascends Q along the critic's own
//     direction (DDPG's actor gradient, with no backward through the critic).
// Measured on the ground-truth listener, the original's MLP critics over concatenated inputs
// memorise a few thousand transitions and rank lists no better than chance on held-out listeners;
// a critic linear in the track generalises across tracks through their embeddings.

import type { MemoryPlan, ParamGroup, Region } from "../engine/plan.js";
import type { Rng } from "../rng.js";
import { logistic } from "../dmath.js";
import type { Activation } from "../nn/activation.js";
import { Mlp } from "../nn/mlp.js";
import { Gru } from "../nn/gru.js";
import { FeedbackPool } from "../nn/pool.js";

export type EncoderSpec =
  | { kind: "flat" }
  | { kind: "pool"; channels: number; normalize?: boolean }
  | { kind: "gru"; hidden: number; activation?: "tanh" | "relu" };

export interface NetworkSpec {
  encoder: EncoderSpec;
  /** Hidden layer widths of the head after the encoder. */
  hidden: readonly number[];
  /** Activation of the hidden layers. Default relu. */
  activation?: Activation;
  /** Actor only: the output of the weight vectors, "tanh" (default) or "l2" (normalised to the actor's radius). */
  output?: "tanh" | "l2";
  /** Critic only: "concat" (default, the original's MLP over [enc(s) | a]) or "item" (the item-decomposed bilinear critic). */
  kind?: "concat" | "item";
  /**
   * Item critic with a pool encoder and a linear head (hidden []): start u(s) at
   * tasteInit · (the kept-tracks pool) on the embedding part, so the untrained critic already
   * values a track by its similarity to what the listener kept (and the bias weight at
   * tasteInit / 20). 0 (default): the usual small random start.
   */
  tasteInit?: number;
  /**
   * Item critic: "identity" (default) q̄ = u · z, fitted by squared error to TD targets (any γ);
   * "logistic" q̄ = σ(u · z), the probability that the track is kept, fitted by cross-entropy to
   * each slot's keep flag (γ = 0 only: the value of a list is then its expected discounted keeps).
   * The listener model's skip probability is logistic in the track, so the logistic critic is
   * the correctly specified one there; ranking by u · z is the same either way.
   */
  link?: "identity" | "logistic";
}

export interface Dims {
  /** History length (state size). */
  N: number;
  /** List size (weight vectors per state). */
  K: number;
  /** Embedding width. */
  d: number;
  /** Action width per slot: d, or d + 1 with a per-track bias column. */
  A: number;
  /** Largest batch the networks will see. */
  maxBatch: number;
}

/** The state as the networks read it: embeddings (maxBatch, N·d) f32 and feedback (maxBatch, N) u8. */
export interface StateInput {
  x: Region;
  kept: Region;
}

/** A state encoder: reads the state input, writes (B, outputs). */
interface StateEncoder {
  readonly outputs: number;
  /** Byte pointer of the encoding (B, outputs) after forward. */
  outputPtr(): number;
  /** Byte pointer where ∂loss/∂encoding goes before backward (null: nothing to train below it). */
  doutPtr(): number | null;
  initialize(rng: Rng): void;
  forward(B: number, params: "value" | "target"): void;
  backward(B: number): void;
}

/**
 * Write [x_n | kept_n] for n < N of B states into `dst` (row stride `ld` floats, step stride d + 1):
 * the embeddings by one strided copy in wasm, the N flags per row from the u8 feedback.
 */
function withFlags(input: StateInput, dims: Dims, B: number, dst: Region, ld: number): void {
  const { N, d } = dims, x = dst.plan.engine.x;
  if (ld === N * (d + 1)) x.copy_2d_f32(B * N, d, input.x.ptr, d, dst.ptr, d + 1);
  else for (let b = 0; b < B; b++) x.copy_2d_f32(N, d, input.x.ptr + b * N * d * 4, d, dst.ptr + b * ld * 4, d + 1);
  const out = dst.f32(), kept = input.kept.u8();
  for (let b = 0; b < B; b++) for (let n = 0; n < N; n++) out[b * ld + n * (d + 1) + d] = kept[b * N + n] ? 1 : 0;
}

class FlatEncoder implements StateEncoder {
  readonly outputs: number;
  private readonly buf: Region;
  constructor(plan: MemoryPlan, name: string, private readonly input: StateInput, private readonly dims: Dims) {
    this.outputs = dims.N * (dims.d + 1);
    this.buf = plan.f32(`${name}.flat`, "activation", dims.maxBatch * this.outputs);
  }
  outputPtr(): number {
    return this.buf.ptr;
  }
  doutPtr(): null {
    return null;
  }
  initialize(): void {}
  forward(B: number): void {
    withFlags(this.input, this.dims, B, this.buf, this.outputs);
  }
  backward(): void {}
}

class GruEncoder implements StateEncoder {
  readonly outputs: number;
  readonly gru: Gru;
  private readonly buf: Region;
  constructor(plan: MemoryPlan, group: ParamGroup, name: string, private readonly input: StateInput, private readonly dims: Dims, spec: { hidden: number; activation?: "tanh" | "relu" }) {
    this.gru = new Gru(plan, group, `${name}.gru`, { inputs: dims.d + 1, hidden: spec.hidden, steps: dims.N, activation: spec.activation ?? "tanh" }, dims.maxBatch);
    this.buf = plan.f32(`${name}.gruInput`, "activation", dims.maxBatch * dims.N * (dims.d + 1));
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
    withFlags(this.input, this.dims, B, this.buf, this.dims.N * (this.dims.d + 1));
    this.gru.forward(B, this.buf.ptr, params);
  }
  backward(B: number): void {
    this.gru.backwardFromLast(B, this.buf.ptr);
  }
}

/**
 * C feedback-weighted pools of the history; with `normalize`, each channel scaled to unit norm
 * (a direction of taste, whatever the number of plays kept or skipped: a channel with no weight
 * at all stays zero).
 */
class PoolEncoder implements StateEncoder {
  readonly outputs: number;
  readonly pool: FeedbackPool;
  private readonly normed: Region | null;
  private readonly norms: Region | null;
  private readonly dnormed: Region | null;
  constructor(plan: MemoryPlan, group: ParamGroup, name: string, private readonly input: StateInput, private readonly dims: Dims, channels: number, normalize: boolean) {
    this.pool = new FeedbackPool(plan, group, `${name}.pool`, { items: dims.N, channels, dim: dims.d }, dims.maxBatch);
    this.outputs = channels * dims.d;
    this.normed = normalize ? plan.f32(`${name}.poolNormed`, "activation", dims.maxBatch * this.outputs) : null;
    this.dnormed = normalize ? plan.f32(`${name}.poolDnormed`, "activation", dims.maxBatch * this.outputs) : null;
    this.norms = normalize ? plan.f32(`${name}.poolNorms`, "activation", dims.maxBatch * channels) : null;
  }
  outputPtr(): number {
    return (this.normed ?? this.pool.out).ptr;
  }
  doutPtr(): number {
    return (this.dnormed ?? this.pool.dout).ptr;
  }
  initialize(rng: Rng): void {
    this.pool.initialize(rng);
  }
  forward(B: number, params: "value" | "target"): void {
    this.pool.forward(B, this.input.x.ptr, this.input.kept.ptr, params);
    if (this.normed) this.pool.plan.engine.x.l2norm_forward(B * this.pool.C, this.dims.d, this.pool.out.ptr, this.normed.ptr, this.norms!.ptr, 1);
  }
  backward(B: number): void {
    if (this.normed) this.pool.plan.engine.x.l2norm_backward(B * this.pool.C, this.dims.d, this.normed.ptr, this.norms!.ptr, this.dnormed!.ptr, this.pool.dout.ptr, 1);
    this.pool.backward(B, this.input.x.ptr, this.input.kept.ptr);
  }
}

function makeEncoder(plan: MemoryPlan, group: ParamGroup, name: string, input: StateInput, dims: Dims, spec: EncoderSpec): StateEncoder {
  switch (spec.kind) {
    case "flat": return new FlatEncoder(plan, name, input, dims);
    case "gru": return new GruEncoder(plan, group, name, input, dims, spec);
    case "pool": return new PoolEncoder(plan, group, name, input, dims, spec.channels, spec.normalize ?? false);
    default: throw new Error(`${name}: unknown encoder kind ${JSON.stringify((spec as { kind: unknown }).kind)} (flat, pool or gru)`);
  }
}

export class Actor {
  readonly encoder: StateEncoder;
  readonly head: Mlp;
  /** How the weight vectors leave the head: tanh (in the head's last layer) or L2-normalised. */
  readonly outputKind: "tanh" | "l2";
  /** Norm of every weight vector with output "l2" (set by the owner before use). Default 1. */
  radius = 1;
  private readonly normed: Region | null;
  private readonly dnormed: Region | null;
  private readonly norms: Region | null;

  constructor(plan: MemoryPlan, readonly group: ParamGroup, readonly dims: Dims, spec: NetworkSpec, input: StateInput) {
    const { K, A, maxBatch } = dims;
    if (spec.kind !== undefined) throw new Error("actor: the critic kind is a critic option");
    this.outputKind = spec.output ?? "tanh";
    this.encoder = makeEncoder(plan, group, "actor", input, dims, spec.encoder);
    const act = spec.activation ?? "relu";
    const l2 = this.outputKind === "l2";
    this.head = new Mlp(plan, group, "actor.head", {
      sizes: [this.encoder.outputs, ...spec.hidden, K * A],
      activations: [...spec.hidden.map(() => act), l2 ? "identity" : "tanh"],
    }, maxBatch);
    this.normed = l2 ? plan.f32("actor.normed", "activation", maxBatch * K * A) : null;
    this.dnormed = l2 ? plan.f32("actor.dnormed", "activation", maxBatch * K * A) : null;
    this.norms = l2 ? plan.f32("actor.norms", "activation", maxBatch * K) : null;
  }

  /** (maxBatch, K·A) weight vectors after forward. */
  get output(): Region {
    return this.normed ?? this.head.output;
  }

  /** Write ∂objective/∂weights (B, K·A) here before backward. */
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
      const { K, A } = this.dims;
      this.group.plan.engine.x.l2norm_forward(B * K, A, this.head.output.ptr, this.normed.ptr, this.norms!.ptr, this.radius);
    }
  }

  backward(B: number): void {
    if (this.normed) {
      const { K, A } = this.dims;
      this.group.plan.engine.x.l2norm_backward(B * K, A, this.normed.ptr, this.norms!.ptr, this.dnormed!.ptr, this.head.dout.ptr, this.radius);
    }
    const din = this.encoder.doutPtr();
    this.head.backward(B, this.encoder.outputPtr(), { input: din === null ? null : { ptr: din } });
    if (din !== null) this.encoder.backward(B);
  }
}

/** The original's critic: an MLP over [enc(s) | a], a = the K actions' A-vectors concatenated. */
export class Critic {
  /** (maxBatch, K·A) action: the recommended tracks' vectors, or the actor's weights. */
  readonly action: Region;
  /** (maxBatch, K·A) ∂(head output)/∂action after backward({ actionOnly: true }). */
  readonly daction: Region;
  readonly encoder: StateEncoder;
  readonly head: Mlp;
  private readonly KA: number;

  constructor(plan: MemoryPlan, readonly group: ParamGroup, readonly dims: Dims, spec: NetworkSpec, input: StateInput, name = "critic") {
    const { K, A, maxBatch } = dims;
    if (spec.output) throw new Error("critic: the output kind is an actor option (the critic's output is Q)");
    this.KA = K * A;
    this.action = plan.f32(`${name}.action`, "io", maxBatch * this.KA);
    this.daction = plan.f32(`${name}.daction`, "activation", maxBatch * this.KA);
    this.encoder = makeEncoder(plan, group, name, input, dims, spec.encoder);
    const act = spec.activation ?? "relu";
    this.head = new Mlp(plan, group, `${name}.head`, {
      sizes: [this.encoder.outputs + this.KA, ...spec.hidden, 1],
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

  /** Q(s, a) for B rows; `action` is a byte pointer to (B, K·A) (default: the `action` region). */
  forward(B: number, params: "value" | "target" = "value", action: number = this.action.ptr): void {
    const x = this.group.plan.engine.x;
    const E = this.encoder.outputs, W = this.head.inputs;
    this.encoder.forward(B, params);
    x.copy_2d_f32(B, E, this.encoder.outputPtr(), E, this.head.input.ptr, W);
    x.copy_2d_f32(B, this.KA, action, this.KA, this.head.input.ptr + E * 4, W);
    this.head.forward(B, this.head.input.ptr, params);
  }

  /**
   * Backward from dq. By default: parameter gradients accumulate (head and a trainable
   * encoder) and ∂/∂action is not computed. With actionOnly: only ∂Q/∂action, written to
   * `daction`; no parameter gradient is touched and the state encoder is not backpropagated
   * (the actor update needs only ∂Q/∂a). Only the products each case needs are computed.
   */
  backward(B: number, options: { actionOnly?: boolean } = {}): void {
    const E = this.encoder.outputs;
    if (options.actionOnly) {
      this.head.backward(B, this.head.input.ptr, { params: false, input: { ptr: this.daction.ptr, from: E, count: this.KA } });
      return;
    }
    const din = this.encoder.doutPtr();
    this.head.backward(B, this.head.input.ptr, { input: din === null ? null : { ptr: din, from: 0, count: E } });
    if (din !== null) this.encoder.backward(B);
  }
}

/**
 * The item-decomposed critic (see the file header): q̄(s, t) = u(s) · z_t over P candidates per
 * state, and the list value Q(s, A) = Σ_k Γ^k q̄(s, a_k).
 *
 * Use: write the candidates' rows z (B, P, Z) into `cand` (Z = A + F + 1: the track vector, F
 * source features, a constant 1), forward(B) for u, score(B, P) for q̄ in `qbar`. To fit Q of
 * lists: fill `cand` with the K listed tracks' rows (P = K), forward, score, then backwardList
 * from ∂loss/∂Q per row: parameter gradients accumulate, and ∂loss/∂z of the K rows lands in
 * `dcand` (the bias column's gradient is the per-track bias's).
 */
export class ItemCritic {
  readonly encoder: StateEncoder;
  readonly head: Mlp;
  /** Row width Z of a candidate: A + F + 1. */
  readonly Z: number;
  /** Candidate rows (maxBatch, maxP, Z). */
  readonly cand: Region;
  /** Item values (maxBatch, maxP) after score(). */
  readonly qbar: Region;
  /** ∂loss/∂q̄ (maxBatch, K) and ∂loss/∂z (maxBatch, K, Z) of backwardList. */
  readonly dqbar: Region;
  readonly dcand: Region;
  private P = 0;

  constructor(plan: MemoryPlan, readonly group: ParamGroup, readonly dims: Dims, private readonly spec: NetworkSpec, input: StateInput,
              readonly features: number, readonly maxP: number, readonly listGamma: number, name = "critic") {
    const { K, A, maxBatch } = dims;
    if (spec.output) throw new Error(`${name}: the output kind is an actor option`);
    if (!(Number.isInteger(features) && features >= 0)) throw new Error(`${name}: features must be an integer ≥ 0, got ${features}`);
    if (!(Number.isInteger(maxP) && maxP >= K)) throw new Error(`${name}: at most ${maxP} candidates per state, fewer than K = ${K}`);
    if (spec.link !== undefined && spec.link !== "identity" && spec.link !== "logistic") throw new Error(`${name}: link must be "identity" or "logistic", got ${JSON.stringify(spec.link)}`);
    this.Z = A + features + 1;
    this.encoder = makeEncoder(plan, group, name, input, dims, spec.encoder);
    const act = spec.activation ?? "relu";
    this.head = new Mlp(plan, group, `${name}.head`, {
      sizes: [this.encoder.outputs, ...spec.hidden, this.Z],
      activations: [...spec.hidden.map(() => act), "identity"],
      lastInit: { uniform: 3e-3 },
    }, maxBatch);
    this.cand = plan.f32(`${name}.cand`, "io", maxBatch * maxP * this.Z);
    this.qbar = plan.f32(`${name}.qbar`, "activation", maxBatch * maxP);
    this.dqbar = plan.f32(`${name}.dqbar`, "activation", maxBatch * maxP);
    this.dcand = plan.f32(`${name}.dcand`, "activation", maxBatch * maxP * this.Z);
  }

  /** u(s) (maxBatch, Z) after forward. */
  get u(): Region {
    return this.head.output;
  }

  /** `embeddingNorm`: the catalog's RMS embedding norm r (tasteInit's start is scaled by 1/r², so u · e does not depend on the embeddings' scale). */
  initialize(rng: Rng, embeddingNorm = 1): void {
    this.encoder.initialize(rng);
    this.head.initialize(rng);
    const s = (this.spec.tasteInit ?? 0) / (embeddingNorm * embeddingNorm);
    if (s > 0) {
      if (!(this.encoder instanceof PoolEncoder) || this.head.layers.length !== 1) throw new Error("critic: tasteInit needs the pool encoder and a linear head (hidden [])");
      // w (E, Z): input j of channel 0 (the kept pool) → output j (the embedding part of u)
      const layer = this.head.layers[0], w = layer.w.view(), b = layer.b!.view(), Z = this.Z, d = this.dims.d;
      for (let j = 0; j < d; j++) w[j * Z + j] += s;
      if (this.dims.A > d) b[d] += (this.spec.tasteInit ?? 0) / 20;
    }
  }

  /** u(s) for B states, with the online or the target parameters. */
  forward(B: number, params: "value" | "target" = "value"): void {
    this.encoder.forward(B, params);
    this.head.forward(B, this.encoder.outputPtr(), params);
  }

  /** q̄ (B, P) = u(s_b) · z_bp for the P candidate rows per state in `cand` (after forward). */
  score(B: number, P: number): void {
    if (!(Number.isInteger(P) && P >= 1 && P <= this.maxP)) throw new Error(`critic: ${P} candidates per state outside 1..${this.maxP}`);
    this.P = P;
    this.group.plan.engine.x.rowdot_forward_f32(B, P, this.Z, this.head.output.ptr, this.cand.ptr, this.qbar.ptr);
  }

  /** The link from u · z to an item value: identity, or σ for the logistic critic. */
  get logistic(): boolean {
    return this.spec.link === "logistic";
  }

  /** An item's value from its score u · z (σ(score) for the logistic critic). */
  value(score: number): number {
    return this.spec.link === "logistic" ? logistic(score) : score; // dmath: the same bits in every engine
  }

  /** Q of B lists scored with P = K: Σ_k Γ^k q̄[b, k], into `out` (B). */
  listValues(B: number, out: Float32Array | Float64Array): void {
    const K = this.dims.K, q = this.qbar.f32();
    if (this.P !== K) throw new Error(`critic: listValues needs the K = ${K} listed tracks scored, not ${this.P} candidates`);
    for (let b = 0; b < B; b++) {
      let s = 0, g = 1;
      for (let k = 0; k < K; k++, g *= this.listGamma) s += g * this.value(q[b * K + k]);
      out[b] = s;
    }
  }

  /**
   * From ∂loss/∂Q (B) of the lists last scored (P = K): accumulate the parameter gradients
   * (head and encoder) and write ∂loss/∂z (B, K, Z) into `dcand`.
   */
  backwardList(B: number, dq: ArrayLike<number>): void {
    const K = this.dims.K, dqb = this.dqbar.f32();
    for (let b = 0; b < B; b++) for (let k = 0, g = 1; k < K; k++, g *= this.listGamma) dqb[b * K + k] = g * dq[b];
    this.backwardSlots(B);
  }

  /** The same from ∂loss/∂q̄ (B, K) of each listed track, written into `dqbar` first. */
  backwardSlots(B: number): void {
    const K = this.dims.K;
    if (this.P !== K) throw new Error(`critic: backward needs the K = ${K} listed tracks scored, not ${this.P} candidates`);
    this.backwardRows(B);
  }

  /**
   * From ∂loss/∂q̄ (B, P) of the P candidate rows last scored, written into `dqbar` first:
   * accumulate the parameter gradients and write ∂loss/∂z (B, P, Z) into `dcand`.
   */
  backwardRows(B: number): void {
    const x = this.group.plan.engine.x;
    x.fill_f32(B * this.Z, this.head.dout.ptr, 0);
    x.rowdot_backward_f32(B, this.P, this.Z, this.head.output.ptr, this.cand.ptr, this.dqbar.ptr, this.head.dout.ptr, this.dcand.ptr);
    const din = this.encoder.doutPtr();
    this.head.backward(B, this.encoder.outputPtr(), { input: din === null ? null : { ptr: din } });
    if (din !== null) this.encoder.backward(B);
  }
}
