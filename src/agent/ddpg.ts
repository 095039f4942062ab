// The list-wise DDPG agent (Zhao et al. 2018, LIRD, arXiv 1801.00209; DDPG: Lillicrap et
// al. 2015, arXiv 1509.02971). Everything numeric runs in the wasm engine; this file only
// orchestrates kernel calls over regions planned once, and allocates nothing per step.
//
// One update on a batch of B transitions (s, a, r, s', done), a = K track indices:
//   1. target   y  = r + γ (1 − done) Q'(s', π'(s'))                    (target networks)
//   2. critic   minimise mean (y − Q(s, e(a)))²,  e(a) = the K tracks' embeddings, Adam
//   3. actor    ascend mean Q(s, π(s)): backpropagate ∂(−mean Q)/∂π(s) = −(1/B)·∂Q/∂a
//               through the actor, Adam. (The original project descended Q here; the sign
//               is checked by a test: one actor step raises Q under a fixed critic.)
//   4. targets  θ' ← τθ + (1 − τ)θ' for actor and critic
// Recommendation: the actor's K weight vectors (plus exploration noise when training) are
// scored against every track embedding; slot k takes the best track not chosen by an earlier
// slot and not in the state (top-k with exclusions and joint distinctness).

import type { MemoryPlan, Region } from "../engine/plan.js";
import { TopK } from "../engine/topk.js";
import type { States } from "../core/state.js";
import { Adam, hardUpdate, softUpdate } from "../nn/adam.js";
import type { Rng } from "../rng.js";
import { Actor, Critic, type NetworkSpec } from "./networks.js";

export interface DdpgConfig {
  /** History length N (state size). Default 10. */
  N: number;
  /** List size K. Default 3. */
  K: number;
  /** Discount γ of the TD target. Default 0.99. */
  gamma: number;
  /** Actor learning rate. Default 5e-5 (the original's). */
  actorLr: number;
  /** Critic learning rate. Default 1e-3. */
  criticLr: number;
  /** Soft target update rate τ. Default 0.001. */
  tau: number;
  /** Batch size of an update. Default 64. */
  batch: number;
  /** Clip each network's gradients to this global norm (0: off). Default 0. */
  clipNorm: number;
  /**
   * The action the TD target evaluates at s'. "selected" (default): the tracks the target
   * actor's weight vectors select, as embeddings — the critic is only ever fitted on track
   * embeddings, like the actions it learns from (Dulac-Arnold et al. 2015, Wolpertinger).
   * "proto": the target actor's raw weight vectors, as the LIRD paper's Algorithm 2 writes it;
   * the critic then bootstraps from inputs it was never fitted on, which can diverge.
   */
  targetAction: "selected" | "proto";
  /**
   * Norm of the actor's weight vectors when its output is "l2". 0 (default): the catalog's RMS
   * embedding norm, measured once on first use, so the critic sees proto-actions at the scale
   * of the track embeddings it is fitted on.
   */
  actionRadius: number;
  /**
   * Actor network. Default: the original's GRU(32) over the N history embeddings → K·d, tanh
   * (ORIGINAL_NETWORKS). LISTWISE_NETWORKS is what learns on the ground-truth listener (see
   * src/agent/networks.ts for the measurements); the CLI uses it by default.
   */
  actor: NetworkSpec;
  /** Critic network. Default: the original's GRU(10) → concat action → 32 → 16 → 1 (ORIGINAL_NETWORKS). */
  critic: NetworkSpec;
}

/**
 * The networks that learn. Measured on the ground-truth listener (400 tracks, standardised audio
 * features, d = 29): the original's GRU networks and flat MLP critics memorise the few thousand
 * transitions (critic loss far below the reward noise) and rank lists no better than chance on
 * held-out listeners, and their tanh actors saturate; these networks learn (test/listener-env.test.ts).
 */
export const LISTWISE_NETWORKS: Pick<DdpgConfig, "actor" | "critic"> = {
  actor: { encoder: { kind: "mean" }, hidden: [64, 64], output: "l2" },
  critic: { encoder: { kind: "mean" }, hidden: [], interaction: true },
};

/** The original project's networks: GRU(32) actor → K·d (tanh); GRU(10) critic → concat action → 32 → 16 → 1. */
export const ORIGINAL_NETWORKS: Pick<DdpgConfig, "actor" | "critic"> = {
  actor: { encoder: { kind: "gru", hidden: 32 }, hidden: [] },
  critic: { encoder: { kind: "gru", hidden: 10 }, hidden: [32, 16] },
};

export const DDPG_DEFAULTS: DdpgConfig = {
  N: 10,
  K: 3,
  gamma: 0.99,
  actorLr: 5e-5,
  criticLr: 1e-3,
  tau: 0.001,
  batch: 64,
  clipNorm: 0,
  targetAction: "selected",
  actionRadius: 0,
  ...ORIGINAL_NETWORKS,
};

/** The W1 networks (MLP over the flattened state), for larger-capacity runs and benchmarks. */
export const W1_NETWORKS: Pick<DdpgConfig, "actor" | "critic"> = {
  actor: { encoder: { kind: "flat" }, hidden: [256, 256] },
  critic: { encoder: { kind: "flat" }, hidden: [256, 256] },
};

/** A batch of transitions, track indices only (the replay buffer stores no embeddings); a ReplayBatch is one. */
export interface TransitionBatch {
  /** Rows in the batch (≤ config.batch). */
  B: number;
  /** (B, N) states: tracks and their feedback flags. */
  states: Int32Array;
  kept: Uint8Array;
  /** (B, K) recommended tracks. */
  actions: Int32Array;
  /** (B) scalar rewards (the environment's list reward). */
  reward: Float32Array;
  /** (B, N) next states and their flags. */
  nexts: Int32Array;
  nextKept: Uint8Array;
  /** (B) 1 where the episode ended. */
  dones: Uint8Array | Float32Array;
}

export interface UpdateMetrics {
  /** Mean squared TD error of the critic before its step. */
  criticLoss: number;
  /** Mean Q(s, π(s)) before the actor's step: the actor objective it ascends. */
  actorObjective: number;
  /** Mean TD target y. */
  meanTarget: number;
  /** Mean Q(s, e(a)) of the critic on the batch, before its step. */
  meanQ: number;
}

export interface Catalog {
  /** Track embeddings (V, d) f32 in the engine's memory. */
  region: Region;
  V: number;
  d: number;
}

export class DdpgAgent {
  readonly config: DdpgConfig;
  readonly actor: Actor;
  readonly critic: Critic;
  readonly actorOpt: Adam;
  readonly criticOpt: Adam;
  readonly topk: TopK;
  /** Largest batch of states recommend() takes at once. */
  readonly maxActBatch: number;
  private readonly stateIdx: Region;
  /** (maxB, N) f32 feedback flags of the loaded states (1 kept, 0 skipped), beside their embeddings. */
  readonly stateKept: Region;
  private readonly actionIdx: Region;
  private readonly rewards: Region;
  private readonly done: Region;
  private readonly y: Region;
  private readonly K: number;
  private readonly N: number;
  /** Radius of L2-normalised weight vectors (0 until measured on first use). */
  private radius = 0;

  /** Extra exclusions per state recommend() accepts beyond the state itself. */
  readonly maxExtraExclusions: number;

  /**
   * options.maxActBatch: most states per recommend() call (default: the batch size);
   * options.maxExtraExclusions: most extra excluded tracks per state (default 0).
   */
  constructor(readonly plan: MemoryPlan, readonly catalog: Catalog, config: Partial<DdpgConfig> = {}, options: { maxActBatch?: number; maxExtraExclusions?: number } = {}) {
    const c: DdpgConfig = { ...DDPG_DEFAULTS, ...config };
    this.config = c;
    const { N, K, batch } = c;
    const d = catalog.d;
    if (!Number.isInteger(N) || N < 1) throw new Error(`DDPG: N must be a positive integer, got ${N}`);
    if (!Number.isInteger(K) || K < 1) throw new Error(`DDPG: K must be a positive integer, got ${K}`);
    if (catalog.V < N + K) throw new Error(`DDPG: the catalog has ${catalog.V} tracks, fewer than N + K = ${N + K}`);
    if (!(c.gamma >= 0 && c.gamma <= 1)) throw new Error(`DDPG: gamma must be in [0, 1], got ${c.gamma}`);
    if (!(c.tau > 0 && c.tau <= 1)) throw new Error(`DDPG: tau must be in (0, 1], got ${c.tau}`);
    if (!(c.actionRadius >= 0 && Number.isFinite(c.actionRadius))) throw new Error(`DDPG: actionRadius must be ≥ 0 (0: the catalog's RMS norm), got ${c.actionRadius}`);
    this.N = N;
    this.K = K;
    this.maxActBatch = options.maxActBatch ?? batch;
    this.maxExtraExclusions = options.maxExtraExclusions ?? 0;
    const maxB = Math.max(batch, this.maxActBatch);
    const dims = { N, K, d, maxBatch: maxB };
    const state = plan.f32("ddpg.state", "io", maxB * N * d);
    const actorGroup = plan.paramGroup("actor", { target: true });
    const criticGroup = plan.paramGroup("critic", { target: true });
    this.actor = new Actor(plan, actorGroup, dims, c.actor, state);
    this.critic = new Critic(plan, criticGroup, dims, c.critic, state);
    this.actorOpt = new Adam(actorGroup, { lr: c.actorLr, clipNorm: c.clipNorm });
    this.criticOpt = new Adam(criticGroup, { lr: c.criticLr, clipNorm: c.clipNorm });
    this.stateIdx = plan.i32("ddpg.stateIdx", "io", maxB * N);
    this.stateKept = plan.f32("ddpg.stateKept", "io", maxB * N);
    this.actionIdx = plan.i32("ddpg.actionIdx", "io", batch * K);
    this.rewards = plan.f32("ddpg.rewards", "io", batch);
    this.done = plan.f32("ddpg.done", "io", batch);
    this.y = plan.f32("ddpg.y", "activation", batch);
    this.topk = new TopK(plan, { maxQ: maxB * K, maxG: maxB, maxK: 1, maxD: d, maxX: N + this.maxExtraExclusions, maxDistinctGroup: K }, "ddpg.topk");
  }

  /** Initialise both networks from the rng and copy them into their targets. */
  initialize(rng: Rng): void {
    this.actor.initialize(rng);
    this.critic.initialize(rng);
    hardUpdate(this.actor.group);
    hardUpdate(this.critic.group);
  }

  /** The catalog's RMS embedding norm (the default radius of L2-normalised weight vectors). */
  catalogRmsNorm(): number {
    const e = this.catalog.region.f32(), n = this.catalog.V * this.catalog.d;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += e[i] * e[i];
    return Math.sqrt(ss / this.catalog.V);
  }

  /** Gather the embeddings of `B` states (B, N) into the shared state input, and their flags into stateKept. */
  private loadStates(states: States, B: number): void {
    const x = this.plan.engine.x, { N } = this;
    if (this.radius === 0) {
      this.radius = this.config.actionRadius || this.catalogRmsNorm();
      if (!(this.radius > 0 && Number.isFinite(this.radius))) throw new Error(`DDPG: the catalog's RMS embedding norm is ${this.radius}; set actionRadius or load the catalog before use`);
      this.actor.radius = this.radius;
    }
    checkIndices(states.tracks, B * N, this.catalog.V, "state");
    if (states.kept.length < B * N) throw new Error(`DDPG: state flags: need ${B * N}, got ${states.kept.length}`);
    this.stateIdx.i32().set(states.tracks.subarray(0, B * N));
    const kept = this.stateKept.f32();
    for (let i = 0; i < B * N; i++) kept[i] = states.kept[i] ? 1 : 0;
    x.gather_rows_f32(B * N, this.stateIdx.ptr, this.catalog.region.ptr, this.catalog.d, this.actor.state.ptr);
  }

  /**
   * The actor's K weight vectors for B states: a (B, K·d) view valid until the next call.
   * `params` selects the online or the target actor.
   */
  weights(states: States, B: number, params: "value" | "target" = "value"): Float32Array {
    this.checkActBatch(B);
    this.loadStates(states, B);
    this.actor.forward(B, params);
    return this.actor.output.f32().subarray(0, B * this.K * this.catalog.d);
  }

  /**
   * Recommend K distinct tracks for each of B states, none already in its state (nor in its
   * row of `extra`, (B, X) track indices with -1 padding, X ≤ maxExtraExclusions): writes
   * (B, K) track indices into `out`. `perturb`, when given, changes the weight vectors in
   * place before scoring (exploration noise).
   */
  recommend(states: States, B: number, out: Int32Array, perturb?: (weights: Float32Array) => void, extra?: { ids: Int32Array; X: number }): void {
    const { K } = this;
    const X = extra ? extra.X : 0;
    if (X > this.maxExtraExclusions) throw new Error(`DDPG: ${X} extra exclusions per state, above maxExtraExclusions ${this.maxExtraExclusions}`);
    const w = this.weights(states, B);
    if (perturb) perturb(w);
    this.select(states, B, w, extra);
    out.set(this.topk.indices.subarray(0, B * K));
  }

  /**
   * Top-k selection: for each of B states, the K weight vectors in `w` (B, K·d) each take the
   * best track not taken by an earlier slot and not in the state or its extra exclusions.
   * Results land in topk.indices (B·K, -1 where nothing is left).
   */
  private select(states: States, B: number, w: Float32Array, extra?: { ids: Int32Array; X: number }): void {
    const { K, N } = this;
    const X = extra ? extra.X : 0;
    const tk = this.boundTopk(), d = this.catalog.d, W = N + X;
    tk.queries.set(w.subarray(0, B * K * d));
    const ex = tk.exclusions;
    for (let b = 0; b < B; b++) {
      ex.set(states.tracks.subarray(b * N, b * N + N), b * W);
      if (extra) ex.set(extra.ids.subarray(b * X, b * X + X), b * W + N);
    }
    tk.run(this.catalog.region.ptr, this.catalog.V, d, B * K, B, 1, W, true);
    const idx = tk.indices;
    for (let i = 0; i < B * K; i++) {
      if (idx[i] < 0) throw new Error(`DDPG: no track left for slot ${i % K} of state ${Math.floor(i / K)} (every score NaN or excluded)`);
    }
  }

  private topkBound = false;

  /** The top-k wrapper, bound to the engine on first use (the engine exists only after Engine.load). */
  private boundTopk(): TopK {
    if (!this.topkBound) {
      this.topk.bind(this.plan.engine);
      this.topkBound = true;
    }
    return this.topk;
  }

  /** One DDPG update on a batch (critic step, actor step, soft target updates); returns its metrics. */
  update(batch: TransitionBatch): UpdateMetrics {
    const { criticLoss, meanTarget, meanQ } = this.updateCritic(batch);
    const actorObjective = this.updateActor({ tracks: batch.states, kept: batch.kept }, batch.B);
    softUpdate(this.actor.group, this.config.tau);
    softUpdate(this.critic.group, this.config.tau);
    return { criticLoss, actorObjective, meanTarget, meanQ };
  }

  /** Critic step: minimise mean (y − Q(s, e(a)))² with y = r + γ (1 − done) Q'(s', π'(s')). */
  updateCritic(batch: TransitionBatch): { criticLoss: number; meanTarget: number; meanQ: number } {
    const { B } = batch;
    const c = this.config, x = this.plan.engine.x;
    this.checkUpdateBatch(B);
    const rw = this.rewards.f32(), dn = this.done.f32();
    for (let i = 0; i < B; i++) {
      rw[i] = batch.reward[i];
      dn[i] = batch.dones[i] ? 1 : 0;
    }
    // y = r + γ (1 − done) Q'(s', a'), a' = π'(s') (or the tracks it selects); with γ = 0 the
    // target is the reward itself and the target networks are not needed
    if (c.gamma === 0) {
      x.copy_f32(B, this.rewards.ptr, this.y.ptr);
      const meanTarget = x.sum_f32(B, this.y.ptr) / B;
      return this.fitCritic(batch, meanTarget);
    }
    const nexts = { tracks: batch.nexts, kept: batch.nextKept };
    this.loadStates(nexts, B);
    this.actor.forward(B, "target");
    let targetAction = this.actor.output.ptr;
    if (c.targetAction === "selected") {
      this.select(nexts, B, this.actor.output.f32().subarray(0, B * this.K * this.catalog.d));
      x.gather_rows_f32(B * this.K, this.topk.indexRegion.ptr, this.catalog.region.ptr, this.catalog.d, this.critic.action.ptr);
      targetAction = this.critic.action.ptr;
    }
    this.critic.forward(B, "target", targetAction);
    x.td_target_f32(B, this.rewards.ptr, this.done.ptr, this.critic.q.ptr, c.gamma, this.y.ptr);
    const meanTarget = x.sum_f32(B, this.y.ptr) / B;
    return this.fitCritic(batch, meanTarget);
  }

  /** Q(s, e(a)), MSE against y, backward, Adam. */
  private fitCritic(batch: TransitionBatch, meanTarget: number): { criticLoss: number; meanTarget: number; meanQ: number } {
    const { B } = batch;
    const x = this.plan.engine.x;
    this.q({ tracks: batch.states, kept: batch.kept }, batch.actions, B);
    const meanQ = x.sum_f32(B, this.critic.q.ptr) / B;
    this.criticOpt.zeroGrad();
    const criticLoss = x.mse_forward(B, this.critic.q.ptr, this.y.ptr);
    x.mse_backward(B, this.critic.q.ptr, this.y.ptr, this.critic.dq.ptr);
    this.critic.backward(B);
    this.criticOpt.step();
    return { criticLoss, meanTarget, meanQ };
  }

  /**
   * Actor step: ascend mean Q(s, π(s)) under the current critic. The gradient of −mean Q
   * flows back through the critic into the action, then through the actor. This pass
   * computes no critic parameter gradient and does not backpropagate the critic's state
   * encoder. Returns mean Q(s, π(s)) before the step.
   */
  updateActor(states: States, B: number): number {
    const x = this.plan.engine.x, d = this.catalog.d;
    this.checkUpdateBatch(B);
    this.loadStates(states, B);
    this.actor.forward(B);
    this.critic.forward(B, "value", this.actor.output.ptr);
    const objective = x.sum_f32(B, this.critic.q.ptr) / B;
    x.fill_f32(B, this.critic.dq.ptr, -1 / B);
    this.critic.backward(B, { actionOnly: true });
    this.actorOpt.zeroGrad();
    x.copy_f32(B * this.K * d, this.critic.daction.ptr, this.actor.dout.ptr);
    this.actor.backward(B);
    this.actorOpt.step();
    return objective;
  }

  /** Mean Q(s, π(s)) of the online networks for B states (no update). */
  policyValue(states: States, B: number): number {
    const x = this.plan.engine.x;
    this.checkUpdateBatch(B);
    this.loadStates(states, B);
    this.actor.forward(B);
    this.critic.forward(B, "value", this.actor.output.ptr);
    return x.sum_f32(B, this.critic.q.ptr) / B;
  }

  private checkUpdateBatch(B: number): void {
    if (!Number.isInteger(B) || B < 1 || B > this.config.batch) throw new Error(`DDPG: batch of ${B} rows outside 1..${this.config.batch}`);
  }

  /** Q(s, e(a)) of the online critic for B ≤ batch (state, list) pairs: a (B) view valid until the next call. */
  q(states: States, actions: Int32Array, B: number): Float32Array {
    const x = this.plan.engine.x, K = this.K;
    this.checkUpdateBatch(B);
    this.loadStates(states, B);
    checkIndices(actions, B * K, this.catalog.V, "action");
    this.actionIdx.i32().set(actions.subarray(0, B * K));
    x.gather_rows_f32(B * K, this.actionIdx.ptr, this.catalog.region.ptr, this.catalog.d, this.critic.action.ptr);
    this.critic.forward(B);
    return this.critic.q.f32().subarray(0, B);
  }

  private checkActBatch(B: number): void {
    const max = Math.max(this.config.batch, this.maxActBatch);
    if (!Number.isInteger(B) || B < 1 || B > max) throw new Error(`DDPG: ${B} states outside 1..${max}`);
  }
}

function checkIndices(a: Int32Array, n: number, V: number, what: string): void {
  if (a.length < n) throw new Error(`DDPG: ${what} indices: need ${n}, got ${a.length}`);
  for (let i = 0; i < n; i++) {
    const t = a[i];
    if (!(t >= 0 && t < V)) throw new Error(`DDPG: ${what} index ${t} at position ${i} is not a track in [0, ${V})`);
  }
}
