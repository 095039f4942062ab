// The list-wise DDPG agent (Zhao et al. 2018, LIRD, arXiv 1801.00209; DDPG: Lillicrap et al.
// 2015, arXiv 1509.02971; TD3: Fujimoto et al. 2018, arXiv 1802.09477). Everything numeric runs
// in the wasm engine; this file orchestrates kernel calls over regions planned once, and
// allocates nothing per step.
//
// Acting (recommend):
//   1. the actor maps each state to K weight vectors w_k (A floats each: d, or d + 1 with the
//      per-track bias b, scoring w·e_t + β·b_t);
//   2. without re-ranking, slot k takes the best-scoring track not taken by an earlier slot and
//      not in the state (top-k with exclusions and joint distinctness): the paper's policy;
//   3. with re-ranking (config.rerank = M > 0, the item critic), each slot's vector proposes its M
//      best tracks, the candidate sources (item-kNN, Markov, …, src/core/candidates.ts) add
//      theirs, and the critic picks the best distinct list among them (Wolpertinger,
//      Dulac-Arnold et al. 2015): with the item critic this is exact, the K candidates of highest
//      item value in slot order (src/agent/networks.ts).
//
// One update on a batch of B transitions (s, a, r, s', done), a = K track indices:
//   1. target   y = r + γ (1 − done) · min_i Q'_i(s', a')     (γ = 0: y = r, no target networks)
//               a' = the list the target policy chooses at s' (its vectors smoothed by clipped
//               Gaussian noise with TD3), ranked by the smaller of the target critics; one critic
//               without `twin`.
//   2. critics  minimise mean (y − Q_i(s, a))², Adam; the per-track bias b steps with them
//               (row-sparse lazy Adam on the tracks in the batch).
//   3. actor    every `policyDelay` updates: ascend mean Q_1(s, π(s)): backpropagate −(1/B)·∂Q/∂a
//               through the actor (the original project descended Q here; a test checks that one
//               actor step raises Q under a fixed critic), Adam.
//   4. targets  with the actor step: θ' ← τθ + (1 − τ)θ' for the actor, critics and bias.
// With twin = false, policyDelay = 1, targetNoise = 0 this is DDPG; with twin, policyDelay 2 and
// targetNoise > 0 it is TD3: clipped double-Q, target policy smoothing and delayed updates.
//
// Learning from logged sessions (updateOffline, `encore train --env logged`): no simulator; the
// batch is what listeners did (state, the K tracks played next, their keep flags). The critic
// scores the logged tracks (targets: their keep flags) beside the candidates the agent would
// have proposed (targets 0, weighted by negWeight: not played next), and the actor minimises
// bcWeight · CE − Q(s, π(s)) / mean|Q| (TD3+BC, Fujimoto & Gu 2021), CE being a softmax of each
// slot's scores over the state's candidates toward the logged track when it was kept.

import type { MemoryPlan, ParamGroup, Region } from "../engine/plan.js";
import { TopK } from "../engine/topk.js";
import type { States } from "../core/state.js";
import type { CandidateSource, SourceSessions } from "../core/candidates.js";
import { Adam, hardUpdate, softUpdate } from "../nn/adam.js";
import { SparseRows } from "../nn/sparse.js";
import type { Rng } from "../rng.js";
import { log, log1p } from "../dmath.js"; // not Math.log/log1p: training gives the same bits in every engine
import { Actor, Critic, ItemCritic, type NetworkSpec, type StateInput } from "./networks.js";

export interface DdpgConfig {
  /** History length N (state size). Default 10. */
  N: number;
  /** List size K. Default 3. */
  K: number;
  /** Discount γ of the TD target. Default 0.99. */
  gamma: number;
  /** Actor learning rate. Default 5e-5 (the original's). */
  actorLr: number;
  /** Critic learning rate (also the per-track bias's). Default 1e-3. */
  criticLr: number;
  /** Soft target update rate τ. Default 0.001. */
  tau: number;
  /** Batch size of an update. Default 64. */
  batch: number;
  /** Clip each network's gradients to this global norm (0: off). Default 0. */
  clipNorm: number;
  /**
   * The action the original critic's TD target evaluates at s'. "selected" (default): the tracks
   * the target actor's weight vectors select, as embeddings — the critic is only ever fitted on
   * track embeddings, like the actions it learns from (Dulac-Arnold et al. 2015, Wolpertinger).
   * "proto": the target actor's raw weight vectors, as the LIRD paper's Algorithm 2 writes it;
   * the critic then bootstraps from inputs it was never fitted on, which can diverge. The item
   * critic always bootstraps on the list the target policy chooses.
   */
  targetAction: "selected" | "proto";
  /**
   * Norm of the actor's weight vectors when its output is "l2". 0 (default): the catalog's RMS
   * embedding norm, measured once on first use, so the critic sees proto-actions at the scale
   * of the track embeddings it is fitted on.
   */
  actionRadius: number;
  /** Actor network. Default: the original's GRU(32) over the N plays → K·d, tanh (ORIGINAL_NETWORKS). */
  actor: NetworkSpec;
  /** Critic network. Default: the original's GRU(10) → concat action → 32 → 16 → 1 (ORIGINAL_NETWORKS). */
  critic: NetworkSpec;
  /** A learned per-track score bias b (initialised by setTrackBias): tracks are [e | b]. Needs the item critic. Default false. */
  trackBias: boolean;
  /** Per-slot list discount Γ of the item critic's Q = Σ_k Γ^k q̄ (the environments' list reward discount). Default 0.9. */
  listGamma: number;
  /** Re-ranking: candidates per slot from the actor's vectors (0: no re-ranking, the paper's slot-wise selection). Needs the item critic. Default 0. */
  rerank: number;
  /** Candidates per candidate source when re-ranking. Default 10. */
  sourceCandidates: number;
  /**
   * Names of the candidate sources the re-ranking pools (src/eval/sources.ts: "popular",
   * "item-knn", "markov", "sknn", "vsknn"), fitted on the training sessions by whoever builds
   * the agent and passed as options.sources in this order. Default none.
   */
  sources: readonly string[];
  /** Twin critics with the clipped double-Q target (TD3). Needs the item critic. Default false. */
  twin: boolean;
  /** Critic updates per actor and target update (TD3: 2). Default 1. */
  policyDelay: number;
  /** Target policy smoothing: σ of the Gaussian noise on the target actor's vectors, per component (TD3; 0: off). Default 0. */
  targetNoise: number;
  /** Clip of that noise, per component. Default 0.5. */
  targetNoiseClip: number;
  /**
   * Fine-tune the track embeddings with the critic: the catalog becomes a row-sparse parameter
   * table, initialised from the embeddings file, that the item critic's loss updates on the
   * tracks of each batch (lazy Adam). The model file then carries the tuned catalog. Needs the
   * item critic. Default false.
   */
  trainEmbeddings: boolean;
  /** Learning rate of the tuned embeddings. Default 1e-4. */
  embeddingLr: number;
  /**
   * Learning from logged sessions (updateOffline): weight α of the actor's supervised list-wise
   * head, a softmax over each state's candidates toward the track the listener actually played
   * next and kept, beside the DDPG term normalised as in TD3+BC (Fujimoto & Gu 2021): the actor
   * minimises α·CE − Q(s, π(s)) / mean|Q|. Default 1.
   */
  bcWeight: number;
  /**
   * Learning from logged sessions: the reward of a candidate the listener did not play next
   * (implicit feedback: it was not kept) is 0, its squared error weighted by negWeight, so the
   * critic ranks the tracks played next and kept above the others. Default 1.
   */
  negWeight: number;
}

/**
 * encore's networks, the CLI's default: skip-aware pooled history, an L2-normalised actor
 * with a per-track bias column, and the item critic re-ranking the actor's and the candidate
 * sources' tracks (src/agent/networks.ts says why each). The critic is linear in the pooled
 * history (hidden []) and starts at "similar to what the listener kept" (tasteInit 4): measured
 * on the ground-truth listener, a hidden layer or a random start learned a worse direction
 * of taste than that start from the same data.
 */
export const LISTWISE_NETWORKS: Pick<DdpgConfig, "actor" | "critic" | "trackBias" | "rerank" | "sources"> = {
  actor: { encoder: { kind: "pool", channels: 3 }, hidden: [64, 64], output: "l2" },
  critic: { kind: "item", encoder: { kind: "pool", channels: 3 }, hidden: [], tasteInit: 4 },
  trackBias: true,
  rerank: 10,
  sources: ["popular", "item-knn", "markov", "sknn", "vsknn"],
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
  trackBias: false,
  listGamma: 0.9,
  rerank: 0,
  sourceCandidates: 10,
  sources: [],
  twin: false,
  policyDelay: 1,
  targetNoise: 0,
  targetNoiseClip: 0.5,
  trainEmbeddings: false,
  embeddingLr: 1e-4,
  bcWeight: 1,
  negWeight: 1,
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
  /**
   * (B, K) per-slot rewards, when known (the replay buffer has them). The item critic then fits
   * each track's value to its own reward: q̄(s, a_k) → r_k + γ (1 − done) Q'(s', a') / Σ_j Γ^j,
   * which sums (Σ_k Γ^k ·) to the list's TD target but gives K targets per transition, not one.
   */
  rewards?: Float32Array;
  /**
   * (B, K·F) the candidate sources' features of the listed tracks in their states, as recommend()
   * saw them (lastFeatures; the replay buffer keeps them): spares the update re-scoring every
   * state with every source. Absent: computed afresh.
   */
  features?: Float32Array;
  /** (B, N) next states and their flags. */
  nexts: Int32Array;
  nextKept: Uint8Array;
  /** (B) 1 where the episode ended. */
  dones: Uint8Array | Float32Array;
}

export interface UpdateMetrics {
  /** Mean squared TD error of the critic(s) before their step. */
  criticLoss: number;
  /** Mean Q(s, π(s)) before the actor's step: the actor objective it ascends (NaN when the actor did not step). */
  actorObjective: number;
  /** Mean TD target y. */
  meanTarget: number;
  /** Mean Q(s, a) of the (first) critic on the batch, before its step. */
  meanQ: number;
}

export interface Catalog {
  /** Track embeddings (V, d) f32 in the engine's memory. */
  region: Region;
  V: number;
  d: number;
}

/** Features per candidate source in a critic row: log(1 + score) and the reciprocal rank among its top candidates. */
export const FEATURES_PER_SOURCE = 2;

export interface AgentOptions {
  /** Most states per recommend() call (default: the batch size). */
  maxActBatch?: number;
  /** Most extra excluded tracks per state (default 0). */
  maxExtraExclusions?: number;
  /** Candidate sources of the re-ranking (default none); their names are recorded in the model. */
  sources?: readonly CandidateSource[];
  /** The sessions the sources were fitted on: model files carry them, so the sources can be fitted again on load. */
  sourceSessions?: SourceSessions;
}

/** How recommend() explores while training: clipped Gaussian noise on the vectors, Gumbel noise on the critic's choice. */
export interface Exploration {
  rng: Rng;
  /** Noise added to the weight vectors in place before scoring (e.g. the trainer's Gaussian or OU noise). */
  perturb?: (weights: Float32Array) => void;
  /** Re-ranking: sample the list without replacement from softmax(q̄ / temperature) (Gumbel-top-K); 0 = greedy. */
  temperature?: number;
}

export class DdpgAgent {
  readonly config: DdpgConfig;
  readonly actor: Actor;
  /** The original's concat critic, or the item critic (config.critic.kind). */
  readonly critic: Critic | ItemCritic;
  /** The second item critic of TD3 (config.twin), or null. */
  readonly critic2: ItemCritic | null;
  readonly actorOpt: Adam;
  readonly criticOpt: Adam;
  readonly critic2Opt: Adam | null;
  /** The learned per-track bias (V, 1) with its Adam moments and target copy, or null. */
  readonly bias: SparseRows | null;
  /** The tuned catalog (V, d) when config.trainEmbeddings, initialised from the catalog region on first use; else null. */
  readonly embeddings: SparseRows | null;
  /** Whether the tuned catalog holds its values (copied from the catalog or loaded from a model). */
  embeddingsReady = false;
  readonly topk: TopK;
  readonly sources: readonly CandidateSource[];
  readonly sourceSessions: SourceSessions | null;
  /** Largest batch of states recommend() takes at once. */
  readonly maxActBatch: number;
  /** Extra exclusions per state recommend() accepts beyond the state itself. */
  readonly maxExtraExclusions: number;
  /** Action width per slot: d, or d + 1 with the per-track bias. */
  readonly A: number;
  /** The state input every network reads: embeddings (maxB, N·d) and feedback (maxB, N) u8. */
  readonly input: StateInput;
  /** Scores of the last recommend()'s lists (B·K): the critic's item values when re-ranking, else each slot's top-k score. */
  readonly lastScores: Float32Array;
  /** Candidate-source features per listed track (F = sources × FEATURES_PER_SOURCE). */
  readonly featureWidth: number;
  /** The sources' features of the last recommend()'s listed tracks, (B, K, F): what the replay buffer stores beside each list. */
  readonly lastFeatures: Float32Array;
  /** Critic updates made (the TD3 policy delay counts them). */
  criticSteps = 0;
  /**
   * Which tracks re-ranking may recommend (V, 1 = yes): tracks with no usable signal (never
   * played in the training sessions, no audio features: their vector is the shared unknown one)
   * are left out, so a list never spends a slot on a track nothing is known about. All by default.
   */
  readonly recommendable: Uint8Array;

  private readonly stateIdx: Region;
  private readonly actionIdx: Region;
  private readonly rewards: Region;
  private readonly done: Region;
  private readonly y: Region;
  private readonly K: number;
  private readonly N: number;
  private readonly maxB: number;
  /** Radius of L2-normalised weight vectors (0 until measured on first use). */
  private radius = 0;
  // Re-ranking: candidate indices (maxB, maxP), gather scratch, per-state counts, stamps.
  private readonly maxP: number;
  private readonly candIdx: Region | null;
  private readonly gatherE: Region | null;
  private readonly gatherB: Region | null;
  private readonly biasStage: Region | null;
  private readonly bcCand: Region | null;
  private readonly bcDcand: Region | null;
  private readonly bcLogits: Region | null;
  private readonly bcDlogits: Region | null;
  private readonly bcTargets: Region | null;
  private readonly bcIdx: Region | null;
  private readonly bcStage: Region | null;
  private readonly rowStage: Region | null;
  private readonly embStage: Region | null;
  private readonly candCount: Int32Array;
  private readonly stamp: Int32Array;
  private stampNow = 0;
  private readonly rank: Int32Array[];
  private readonly srcTop: Int32Array;
  /** Source features of the candidates being scored (maxB, maxP, F). */
  private readonly feat: Float32Array;
  private readonly qScratch: Float64Array;
  private readonly qMin: Float32Array;
  private readonly chosen: Int32Array;
  /** Pool position of each chosen track (B, K), for its features. */
  private readonly chosenPos: Int32Array;
  private readonly qHost: Float64Array;
  private readonly q2Host: Float64Array;
  private readonly yHost: Float64Array;
  private readonly dqHost: Float64Array;
  private readonly ySlot: Float64Array;
  private readonly ySlotOff: Float64Array;
  private readonly wSlotOff: Float64Array;

  constructor(readonly plan: MemoryPlan, readonly catalog: Catalog, config: Partial<DdpgConfig> = {}, options: AgentOptions = {}) {
    const c: DdpgConfig = { ...DDPG_DEFAULTS, ...config };
    this.config = c;
    const { N, K, batch } = c;
    const d = catalog.d;
    const item = c.critic.kind === "item";
    if (!Number.isInteger(N) || N < 1) throw new Error(`DDPG: N must be a positive integer, got ${N}`);
    if (!Number.isInteger(K) || K < 1) throw new Error(`DDPG: K must be a positive integer, got ${K}`);
    if (catalog.V < N + K) throw new Error(`DDPG: the catalog has ${catalog.V} tracks, fewer than N + K = ${N + K}`);
    if (!(c.gamma >= 0 && c.gamma <= 1)) throw new Error(`DDPG: gamma must be in [0, 1], got ${c.gamma}`);
    if (!(c.tau > 0 && c.tau <= 1)) throw new Error(`DDPG: tau must be in (0, 1], got ${c.tau}`);
    if (!(c.actionRadius >= 0 && Number.isFinite(c.actionRadius))) throw new Error(`DDPG: actionRadius must be ≥ 0 (0: the catalog's RMS norm), got ${c.actionRadius}`);
    if (!(c.listGamma > 0 && c.listGamma <= 1)) throw new Error(`DDPG: listGamma must be in (0, 1], got ${c.listGamma}`);
    if (!(Number.isInteger(c.rerank) && c.rerank >= 0)) throw new Error(`DDPG: rerank must be an integer ≥ 0, got ${c.rerank}`);
    if (!(Number.isInteger(c.sourceCandidates) && c.sourceCandidates >= 1)) throw new Error(`DDPG: sourceCandidates must be a positive integer, got ${c.sourceCandidates}`);
    if (!(Number.isInteger(c.policyDelay) && c.policyDelay >= 1)) throw new Error(`DDPG: policyDelay must be a positive integer, got ${c.policyDelay}`);
    if (!(c.targetNoise >= 0 && c.targetNoiseClip >= 0)) throw new Error(`DDPG: targetNoise and targetNoiseClip must be ≥ 0`);
    if (!item && (c.trackBias || c.rerank > 0 || c.twin || c.trainEmbeddings)) throw new Error("DDPG: trackBias, rerank, twin and trainEmbeddings need the item critic (critic.kind \"item\")");
    if (c.critic.link === "logistic" && c.gamma !== 0) throw new Error(`DDPG: the logistic item critic predicts keep probabilities (γ = 0); use link "identity" for γ = ${c.gamma}`);
    const sources = options.sources ?? [];
    if (sources.length > 0 && c.rerank === 0) throw new Error("DDPG: candidate sources need re-ranking (rerank > 0)");
    if (sources.map((s) => s.name).join(",") !== c.sources.join(",")) {
      throw new Error(`DDPG: the model re-ranks with the candidate sources [${c.sources.join(", ")}], given [${sources.map((s) => s.name).join(", ")}] (fit them on the training sessions, src/eval/sources.ts)`);
    }
    this.sources = sources;
    this.sourceSessions = options.sourceSessions ?? null;
    if (sources.length > 0 && !this.sourceSessions) throw new Error("DDPG: candidate sources need the sessions they were fitted on (options.sourceSessions), for model files");
    this.N = N;
    this.K = K;
    this.A = c.trackBias ? d + 1 : d;
    this.maxActBatch = options.maxActBatch ?? batch;
    this.maxExtraExclusions = options.maxExtraExclusions ?? 0;
    const maxB = (this.maxB = Math.max(batch, this.maxActBatch));
    const dims = { N, K, d, A: this.A, maxBatch: maxB };
    this.input = { x: plan.f32("ddpg.state", "io", maxB * N * d), kept: plan.region("ddpg.kept", "io", maxB * N) };
    const actorGroup = plan.paramGroup("actor", { target: true });
    const criticGroup = plan.paramGroup("critic", { target: true });
    this.actor = new Actor(plan, actorGroup, dims, c.actor, this.input);
    const F = sources.length * FEATURES_PER_SOURCE;
    this.maxP = c.rerank > 0 ? K * c.rerank + sources.length * c.sourceCandidates : K;
    // offline updates score the K logged tracks beside the pool: K more rows per state
    const rowsP = c.rerank > 0 ? this.maxP + K : this.maxP;
    this.critic = item ? new ItemCritic(plan, criticGroup, dims, c.critic, this.input, F, rowsP, c.listGamma) : new Critic(plan, criticGroup, dims, c.critic, this.input);
    const critic2Group = c.twin ? plan.paramGroup("critic2", { target: true }) : null;
    this.critic2 = critic2Group ? new ItemCritic(plan, critic2Group, dims, c.critic, this.input, F, rowsP, c.listGamma, "critic2") : null;
    this.actorOpt = new Adam(actorGroup, { lr: c.actorLr, clipNorm: c.clipNorm });
    this.criticOpt = new Adam(criticGroup, { lr: c.criticLr, clipNorm: c.clipNorm });
    this.critic2Opt = critic2Group ? new Adam(critic2Group, { lr: c.criticLr, clipNorm: c.clipNorm }) : null;
    this.bias = c.trackBias ? new SparseRows(plan, "bias", catalog.V, 1, { maxRows: maxB * (this.maxP + K), target: true }) : null;
    this.embeddings = c.trainEmbeddings ? new SparseRows(plan, "embeddings", catalog.V, d, { maxRows: maxB * K }) : null;
    this.embStage = c.trainEmbeddings ? plan.f32("ddpg.embGrad", "scratch", maxB * K * d) : null;
    this.stateIdx = plan.i32("ddpg.stateIdx", "io", maxB * N);
    this.actionIdx = plan.i32("ddpg.actionIdx", "io", batch * K);
    this.rewards = plan.f32("ddpg.rewards", "io", batch);
    this.done = plan.f32("ddpg.done", "io", batch);
    this.y = plan.f32("ddpg.y", "activation", batch);
    this.topk = new TopK(plan, { maxQ: maxB * K, maxG: maxB, maxK: Math.max(1, c.rerank), maxD: d, maxX: N + this.maxExtraExclusions, maxDistinctGroup: K }, "ddpg.topk");
    const rows = maxB * rowsP;
    this.candIdx = item ? plan.i32("ddpg.candIdx", "io", rows) : null;
    // the actor's supervised head (offline): each slot's vector against every row of its state
    const bcRows = c.rerank > 0 ? batch * K * rowsP : 0;
    this.bcCand = bcRows ? plan.f32("ddpg.bcCand", "scratch", bcRows * this.A) : null;
    this.bcDcand = bcRows ? plan.f32("ddpg.bcDcand", "scratch", bcRows * this.A) : null;
    this.bcLogits = bcRows ? plan.f32("ddpg.bcLogits", "scratch", bcRows) : null;
    this.bcDlogits = bcRows ? plan.f32("ddpg.bcDlogits", "scratch", bcRows) : null;
    this.bcTargets = bcRows ? plan.f32("ddpg.bcTargets", "scratch", bcRows) : null;
    this.bcIdx = bcRows ? plan.i32("ddpg.bcIdx", "scratch", bcRows) : null;
    this.bcStage = bcRows ? plan.f32("ddpg.bcStage", "scratch", bcRows) : null;
    this.rowStage = c.rerank > 0 ? plan.f32("ddpg.rowStage", "scratch", batch * rowsP * Math.max(1, d)) : null;
    this.gatherE = item ? plan.f32("ddpg.gatherE", "scratch", rows * d) : null;
    this.gatherB = c.trackBias ? plan.f32("ddpg.gatherB", "scratch", rows) : null;
    this.biasStage = c.trackBias ? plan.f32("ddpg.biasGrad", "scratch", maxB * K) : null;
    this.candCount = new Int32Array(maxB);
    this.recommendable = new Uint8Array(catalog.V).fill(1);
    this.stamp = new Int32Array(item ? catalog.V : 0);
    this.rank = sources.map(() => new Int32Array(catalog.V));
    this.srcTop = new Int32Array(c.sourceCandidates);
    this.feat = new Float32Array(rows * F);
    if (c.sourceCandidates >= 64) throw new Error(`DDPG: sourceCandidates must be below 64, got ${c.sourceCandidates}`);
    this.qScratch = new Float64Array(this.maxP);
    this.qMin = new Float32Array(rows);
    this.chosen = new Int32Array(maxB * K);
    this.lastScores = new Float32Array(maxB * K);
    this.featureWidth = F;
    this.lastFeatures = new Float32Array(maxB * K * F);
    this.chosenPos = new Int32Array(maxB * K);
    this.qHost = new Float64Array(maxB);
    this.q2Host = new Float64Array(maxB);
    this.yHost = new Float64Array(batch);
    this.dqHost = new Float64Array(batch);
    this.ySlot = new Float64Array(batch * K);
    this.ySlotOff = new Float64Array(c.rerank > 0 ? batch * rowsP : 0);
    this.wSlotOff = new Float64Array(c.rerank > 0 ? batch * rowsP : 0);
  }

  /** The parameter groups (actor, critic, critic2): what Adam, targets and model files cover. */
  get groups(): ParamGroup[] {
    return [this.actor.group, this.critic.group, ...(this.critic2 ? [this.critic2.group] : [])];
  }

  /** Initialise the networks from the rng and copy them into their targets; the bias starts at 0 (see setTrackBias). */
  initialize(rng: Rng): void {
    this.actor.initialize(rng);
    const r = this.catalogRmsNorm();
    const norm = r > 0 && Number.isFinite(r) ? r : 1;
    if (this.critic instanceof ItemCritic) this.critic.initialize(rng, norm);
    else this.critic.initialize(rng);
    this.critic2?.initialize(rng, norm);
    for (const g of this.groups) hardUpdate(g);
    if (this.bias) {
      this.bias.view("value").fill(0);
      this.bias.hardUpdate();
    }
  }

  /** Set which tracks re-ranking may recommend (V flags, non-zero = yes); returns how many may not. */
  setRecommendable(mask: ArrayLike<number>): number {
    if (mask.length !== this.catalog.V) throw new Error(`DDPG: ${mask.length} recommendable flags for ${this.catalog.V} tracks`);
    let excluded = 0;
    for (let t = 0; t < mask.length; t++) {
      this.recommendable[t] = mask[t] ? 1 : 0;
      if (!mask[t]) excluded++;
    }
    return excluded;
  }

  /** Set the per-track bias (V values, e.g. standardised log training play counts) and its target. */
  setTrackBias(values: ArrayLike<number>): void {
    if (!this.bias) throw new Error("DDPG: this agent has no per-track bias (config.trackBias)");
    if (values.length !== this.catalog.V) throw new Error(`DDPG: ${values.length} bias values for ${this.catalog.V} tracks`);
    const v = this.bias.view("value");
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(values[i])) throw new Error(`DDPG: bias value ${values[i]} of track ${i} is not finite`);
      v[i] = values[i];
    }
    this.bias.hardUpdate();
  }

  /** Byte address of the catalog every gather and scan reads: the tuned one when training embeddings. */
  get catalogPtr(): number {
    if (!this.embeddings) return this.catalog.region.ptr;
    if (!this.embeddingsReady) {
      this.embeddings.view("value").set(this.catalog.region.f32().subarray(0, this.catalog.V * this.catalog.d));
      this.embeddingsReady = true;
    }
    return this.embeddings.value.ptr;
  }

  /** The catalog's RMS embedding norm (the default radius of L2-normalised weight vectors). */
  catalogRmsNorm(): number {
    const e = this.catalog.region.f32(), n = this.catalog.V * this.catalog.d;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += e[i] * e[i];
    return Math.sqrt(ss / this.catalog.V);
  }

  /** Gather the embeddings of B states into the state input, and their feedback flags. */
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
    const kept = this.input.kept.u8();
    for (let i = 0; i < B * N; i++) kept[i] = states.kept[i] ? 1 : 0;
    x.gather_rows_f32(B * N, this.stateIdx.ptr, this.catalogPtr, this.catalog.d, this.input.x.ptr);
  }

  /**
   * The actor's K weight vectors for B states: a (B, K·A) view valid until the next call.
   * `params` selects the online or the target actor.
   */
  weights(states: States, B: number, params: "value" | "target" = "value"): Float32Array {
    this.checkActBatch(B);
    this.loadStates(states, B);
    this.actor.forward(B, params);
    return this.actor.output.f32().subarray(0, B * this.K * this.A);
  }

  /**
   * Recommend K distinct tracks for each of B states, none already in its state (nor in its
   * row of `extra`, (B, X) track indices with -1 padding, X ≤ maxExtraExclusions): writes
   * (B, K) track indices into `out`, and their scores into lastScores. `explore` adds the
   * training-time noise (see Exploration).
   */
  recommend(states: States, B: number, out: Int32Array, explore?: Exploration, extra?: { ids: Int32Array; X: number }): void {
    const { K } = this;
    const X = extra ? extra.X : 0;
    if (X > this.maxExtraExclusions) throw new Error(`DDPG: ${X} extra exclusions per state, above maxExtraExclusions ${this.maxExtraExclusions}`);
    const w = this.weights(states, B);
    if (explore?.perturb) explore.perturb(w);
    if (this.config.rerank === 0) {
      this.select(states, B, w, 1, extra);
      out.set(this.topk.indices.subarray(0, B * K));
      this.lastScores.set(this.topk.scores.subarray(0, B * K));
      return;
    }
    this.select(states, B, w, this.config.rerank, extra);
    this.pool(states, B, extra);
    this.sourceFeatures(states, B, this.maxP, extra);
    const critic = this.critic as ItemCritic;
    this.fillCandidates(critic, B, "value", this.maxP);
    critic.forward(B, "value");
    critic.score(B, this.maxP);
    this.choose(B, this.maxP, critic.qbar.f32(), explore && explore.temperature ? explore : undefined);
    out.set(this.chosen.subarray(0, B * K));
    if (critic.logistic) for (let i = 0; i < B * K; i++) this.lastScores[i] = critic.value(this.lastScores[i]);
    const F = this.featureWidth;
    for (let i = 0; i < B * K; i++) {
      const src = (Math.floor(i / K) * this.maxP + this.chosenPos[i]) * F;
      for (let f = 0; f < F; f++) this.lastFeatures[i * F + f] = this.feat[src + f];
    }
  }

  /**
   * Top-k retrieval: for each of B states, the K weight vectors in `w` (B, K·A) each take their
   * `k` best tracks not taken by an earlier slot and not in the state or its extra exclusions.
   * Results land in topk.indices (B·K, k; -1 where nothing is left).
   */
  private select(states: States, B: number, w: Float32Array, k: number, extra?: { ids: Int32Array; X: number }, bias: "value" | "target" = "value"): void {
    const { K, N, A } = this;
    const X = extra ? extra.X : 0;
    const tk = this.boundTopk(), d = this.catalog.d, W = N + X;
    const q = tk.queries;
    if (A === d) q.set(w.subarray(0, B * K * d));
    else {
      const qb = tk.queryBias;
      for (let r = 0; r < B * K; r++) {
        for (let j = 0; j < d; j++) q[r * d + j] = w[r * A + j];
        qb[r] = w[r * A + d];
      }
    }
    const ex = tk.exclusions;
    for (let b = 0; b < B; b++) {
      ex.set(states.tracks.subarray(b * N, b * N + N), b * W);
      if (extra) ex.set(extra.ids.subarray(b * X, b * X + X), b * W + N);
    }
    const biasPtr = this.bias ? (bias === "value" ? this.bias.value.ptr : this.bias.target!.ptr) : 0;
    tk.run(this.catalogPtr, this.catalog.V, d, B * K, B, k, W, true, biasPtr);
    if (k === 1) {
      const idx = tk.indices;
      for (let i = 0; i < B * K; i++) {
        if (idx[i] < 0) throw new Error(`DDPG: no track left for slot ${i % K} of state ${Math.floor(i / K)} (every score NaN or excluded: were the weights or embeddings corrupted, e.g. by a learning rate too high?)`);
      }
    }
  }

  /**
   * The candidate pools of B states after select(): each state's retrieved tracks, then each
   * source's top candidates, deduplicated and without the state's tracks or exclusions, into
   * candIdx (B, maxP); short pools are padded with their first candidate (never chosen: choose()
   * reads only the first candCount[b]).
   */
  private pool(states: States, B: number, extra?: { ids: Int32Array; X: number }): void {
    const { K, N, maxP } = this, M = this.config.rerank, Ms = this.config.sourceCandidates;
    const idx = this.topk.indices, cand = this.candIdx!.i32(), stamp = this.stamp, X = extra ? extra.X : 0;
    for (let b = 0; b < B; b++) {
      const s = this.nextStamp();
      for (let n = 0; n < N; n++) stamp[states.tracks[b * N + n]] = s;
      for (let x = 0; x < X; x++) {
        const t = extra!.ids[b * X + x];
        if (t >= 0) stamp[t] = s;
      }
      let p = 0;
      const o = b * maxP;
      const ok = this.recommendable;
      for (let r = 0; r < K * M; r++) {
        const t = idx[b * K * M + r];
        if (t < 0 || stamp[t] === s || !ok[t]) continue;
        stamp[t] = s;
        cand[o + p++] = t;
      }
      for (const src of this.sources) {
        src.begin(states, N, b, extra);
        const n = src.top(Ms, this.srcTop, 0);
        for (let r = 0; r < n; r++) {
          const t = this.srcTop[r];
          if (stamp[t] === s || !ok[t]) continue;
          stamp[t] = s;
          cand[o + p++] = t;
        }
      }
      if (p < K) throw new Error(`DDPG: only ${p} candidates for state ${b}, need K = ${K} (the catalog minus the state is too small?)`);
      this.candCount[b] = p;
      for (let q = p; q < maxP; q++) cand[o + q] = cand[o];
    }
  }

  /**
   * The candidate sources' features of B states × P candidates (candIdx, row-major (B, P)) into
   * `feat` (B, P, F): per source, log(1 + score) and the reciprocal of the track's rank among the
   * source's top candidates for that state (0 beyond them).
   */
  private sourceFeatures(states: States, B: number, P: number, extra?: { ids: Int32Array; X: number }): void {
    const S = this.sources.length;
    if (S === 0) return;
    const cand = this.candIdx!.i32(), feat = this.feat, F = S * FEATURES_PER_SOURCE, N = this.N;
    const Ms = this.config.sourceCandidates;
    for (let b = 0; b < B; b++) {
      for (let si = 0; si < S; si++) {
        const src = this.sources[si], rank = this.rank[si];
        src.begin(states, N, b, extra);
        const s = this.nextStamp(), n = src.top(Ms, this.srcTop, 0);
        for (let r = 0; r < n; r++) rank[this.srcTop[r]] = s * 64 + r + 1; // rank r + 1 under this stamp (Ms < 64)
        for (let p = 0; p < P; p++) {
          const t = cand[b * P + p], o = (b * P + p) * F + si * FEATURES_PER_SOURCE;
          const sc = src.score(t);
          feat[o] = log1p(sc > 0 ? sc : 0);
          feat[o + 1] = Math.floor(rank[t] / 64) === s ? 1 / (rank[t] % 64) : 0;
        }
      }
    }
  }

  /**
   * The candidate pool of row b of the last re-ranked recommend(): its tracks and the critic's
   * score u · z of each (views into live buffers, valid until the next call).
   */
  lastPool(b: number): { tracks: Int32Array; scores: Float32Array } {
    if (this.config.rerank === 0) throw new Error("DDPG: no candidate pool without re-ranking (rerank = 0)");
    const n = this.candCount[b], o = b * this.maxP;
    return { tracks: this.candIdx!.i32().subarray(o, o + n), scores: (this.critic as ItemCritic).qbar.f32().subarray(o, o + n) };
  }

  private nextStamp(): number {
    if (this.stampNow >= 0x1fffff) {
      this.stamp.fill(0);
      for (const r of this.rank) r.fill(0);
      this.stampNow = 0;
    }
    return ++this.stampNow;
  }

  /**
   * The critic's candidate rows z = [e_t | b_t | f_t(s) | 1] of B states × P candidates (track
   * indices in candIdx, row-major (B, P); features in `feat` from sourceFeatures), with the
   * online or the target bias.
   */
  private fillCandidates(critic: ItemCritic, B: number, bias: "value" | "target", P: number): void {
    const x = this.plan.engine.x, d = this.catalog.d, Z = critic.Z, R = B * P;
    x.gather_rows_f32(R, this.candIdx!.ptr, this.catalogPtr, d, this.gatherE!.ptr);
    x.copy_2d_f32(R, d, this.gatherE!.ptr, d, critic.cand.ptr, Z);
    if (this.bias) {
      x.gather_rows_f32(R, this.candIdx!.ptr, bias === "value" ? this.bias.value.ptr : this.bias.target!.ptr, 1, this.gatherB!.ptr);
      x.copy_2d_f32(R, 1, this.gatherB!.ptr, 1, critic.cand.ptr + d * 4, Z);
    }
    const z = critic.cand.f32(), A = this.A, F = this.sources.length * FEATURES_PER_SOURCE, feat = this.feat;
    for (let r = 0; r < R; r++) {
      for (let f = 0; f < F; f++) z[r * Z + A + f] = feat[r * F + f];
      z[r * Z + Z - 1] = 1;
    }
  }

  /**
   * Per state, the K valid candidates of highest q̄ (plus Gumbel noise when exploring), best
   * first, into `chosen` (B, K) and lastScores. The critic's exact argmax over the pool's lists.
   */
  private choose(B: number, P: number, qbar: Float32Array, explore?: Exploration): void {
    const K = this.K, maxP = P, cand = this.candIdx!.i32(), q = this.qScratch, T = explore?.temperature ?? 0;
    for (let b = 0; b < B; b++) {
      const n = this.candCount[b];
      for (let p = 0; p < n; p++) {
        let v = qbar[b * maxP + p];
        if (!(v === v)) v = -Infinity; // NaN never wins
        if (T > 0) v += T * gumbel(explore!.rng);
        q[p] = v;
      }
      for (let k = 0; k < K; k++) {
        let best = -1;
        for (let p = 0; p < n; p++) if (q[p] > -Infinity && (best < 0 || q[p] > q[best])) best = p;
        if (best < 0) throw new Error(`DDPG: every candidate of state ${b} scores NaN (were the weights corrupted, e.g. by a learning rate too high?)`);
        this.chosen[b * K + k] = cand[b * maxP + best];
        this.chosenPos[b * K + k] = best;
        this.lastScores[b * K + k] = qbar[b * maxP + best];
        q[best] = -Infinity;
      }
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

  /** One update on a batch (critic step, actor step and soft target updates as the policy delay says); returns its metrics. */
  update(batch: TransitionBatch, rng?: Rng): UpdateMetrics {
    const { criticLoss, meanTarget, meanQ } = this.updateCritic(batch, rng);
    if (this.criticSteps % this.config.policyDelay !== 0) return { criticLoss, actorObjective: NaN, meanTarget, meanQ };
    const actorObjective = this.updateActor({ tracks: batch.states, kept: batch.kept }, batch.B);
    for (const g of this.groups) softUpdate(g, this.config.tau);
    this.bias?.softUpdate(this.config.tau);
    return { criticLoss, actorObjective, meanTarget, meanQ };
  }

  /** Critic step: minimise mean (y − Q(s, a))² with y = r + γ (1 − done) Q'(s', a'). `rng` draws the target smoothing noise. */
  updateCritic(batch: TransitionBatch, rng?: Rng): { criticLoss: number; meanTarget: number; meanQ: number } {
    const { B } = batch;
    this.checkUpdateBatch(B);
    this.criticSteps++;
    if (this.critic instanceof ItemCritic) return this.updateItemCritics(batch, rng);
    const c = this.config, x = this.plan.engine.x;
    const rw = this.rewards.f32(), dn = this.done.f32();
    for (let i = 0; i < B; i++) {
      rw[i] = batch.reward[i];
      dn[i] = batch.dones[i] ? 1 : 0;
    }
    const critic = this.critic;
    // y = r + γ (1 − done) Q'(s', a'), a' = π'(s') (or the tracks it selects); with γ = 0 the
    // target is the reward itself and the target networks are not needed
    if (c.gamma === 0) x.copy_f32(B, this.rewards.ptr, this.y.ptr);
    else {
      const nexts = { tracks: batch.nexts, kept: batch.nextKept };
      this.loadStates(nexts, B);
      this.actor.forward(B, "target");
      let targetAction = this.actor.output.ptr;
      if (c.targetAction === "selected") {
        this.select(nexts, B, this.actor.output.f32().subarray(0, B * this.K * this.A), 1);
        x.gather_rows_f32(B * this.K, this.topk.indexRegion.ptr, this.catalogPtr, this.catalog.d, critic.action.ptr);
        targetAction = critic.action.ptr;
      }
      critic.forward(B, "target", targetAction);
      x.td_target_f32(B, this.rewards.ptr, this.done.ptr, critic.q.ptr, c.gamma, this.y.ptr);
    }
    const meanTarget = x.sum_f32(B, this.y.ptr) / B;
    this.q({ tracks: batch.states, kept: batch.kept }, batch.actions, B);
    const meanQ = x.sum_f32(B, critic.q.ptr) / B;
    this.criticOpt.zeroGrad();
    const criticLoss = x.mse_forward(B, critic.q.ptr, this.y.ptr);
    x.mse_backward(B, critic.q.ptr, this.y.ptr, critic.dq.ptr);
    critic.backward(B);
    this.criticOpt.step();
    return { criticLoss, meanTarget, meanQ };
  }

  /** The item critics' step (TD3 when twin): targets from the target policy's lists at s', then MSE for each critic and the bias. */
  private updateItemCritics(batch: TransitionBatch, rng?: Rng): { criticLoss: number; meanTarget: number; meanQ: number } {
    const { B } = batch, c = this.config, y = this.yHost, K = this.K, slots = batch.rewards;
    // y_b: the list's TD target; the future part alone (γ (1 − done) Q'(s', a')) in yFuture
    const yFuture = this.dqHost;
    if (c.gamma === 0) yFuture.fill(0, 0, B);
    else {
      this.listTargets({ tracks: batch.nexts, kept: batch.nextKept }, B, rng);
      for (let b = 0; b < B; b++) yFuture[b] = batch.dones[b] ? 0 : c.gamma * this.qHost[b];
    }
    let meanTarget = 0, G = 0;
    for (let k = 0, g = 1; k < K; k++, g *= c.listGamma) G += g;
    const ySlot = this.ySlot;
    for (let b = 0; b < B; b++) {
      if (slots) {
        y[b] = yFuture[b];
        for (let k = 0, g = 1; k < K; k++, g *= c.listGamma) {
          ySlot[b * K + k] = slots[b * K + k] + yFuture[b] / G;
          y[b] += g * slots[b * K + k];
        }
      } else y[b] = batch.reward[b] + yFuture[b];
      meanTarget += y[b];
    }
    meanTarget /= B;
    // both critics read the same states and listed tracks
    const states = { tracks: batch.states, kept: batch.kept };
    this.loadStates(states, B);
    const cand = this.candIdx!.i32();
    checkIndices(batch.actions, B * this.K, this.catalog.V, "action");
    cand.set(batch.actions.subarray(0, B * this.K));
    this.bias?.zeroGrad();
    let loss = 0, meanQ = 0;
    const F = this.featureWidth;
    if (batch.features && F > 0) {
      if (batch.features.length < B * K * F) throw new Error(`DDPG: batch features hold ${batch.features.length} values, need B·K·F = ${B * K * F}`);
      this.feat.set(batch.features.subarray(0, B * K * F));
    } else this.sourceFeatures(states, B, this.K);
    for (const [critic, opt] of this.itemCritics()) {
      this.fillCandidates(critic, B, "value", this.K);
      critic.forward(B, "value");
      critic.score(B, this.K);
      critic.listValues(B, this.qHost);
      let l = 0, mq = 0;
      for (let b = 0; b < B; b++) mq += this.qHost[b];
      opt.zeroGrad();
      if (slots && critic.logistic) {
        // per-slot cross-entropy of σ(u · z) against the keep flag, mean over the B·K tracks
        const q = critic.qbar.f32(), dq = critic.dqbar.f32();
        for (let i = 0; i < B * K; i++) {
          const p = critic.value(q[i]), r = slots[i];
          l -= r * log(Math.max(p, 1e-12)) + (1 - r) * log(Math.max(1 - p, 1e-12));
          dq[i] = (p - r) / (B * K);
        }
        l /= K;
        critic.backwardSlots(B);
      } else if (slots) {
        // per-slot squared errors, mean over the B·K tracks
        const q = critic.qbar.f32(), dq = critic.dqbar.f32();
        for (let i = 0; i < B * K; i++) {
          const e = q[i] - ySlot[i];
          l += e * e;
          dq[i] = (2 * e) / (B * K);
        }
        l /= K;
        critic.backwardSlots(B);
      } else {
        if (critic.logistic) throw new Error("DDPG: the logistic item critic needs per-slot rewards (batch.rewards)");
        for (let b = 0; b < B; b++) {
          const e = this.qHost[b] - y[b];
          l += e * e;
          this.dqHost[b] = (2 * e) / B;
        }
        critic.backwardList(B, this.dqHost);
      }
      if (critic === this.critic) meanQ = mq / B;
      loss += l / B;
      opt.step();
      if (this.bias) {
        // ∂loss/∂b of the listed tracks: the bias column of ∂loss/∂z
        this.plan.engine.x.copy_2d_f32(B * this.K, 1, critic.dcand.ptr + this.catalog.d * 4, critic.Z, this.biasStage!.ptr, 1);
        this.bias.accumulate(B * this.K, this.candIdx!.ptr, this.biasStage!.ptr);
      }
      if (this.embeddings) {
        // ∂loss/∂e of the listed tracks: the embedding columns of ∂loss/∂z
        this.plan.engine.x.copy_2d_f32(B * this.K, this.catalog.d, critic.dcand.ptr, critic.Z, this.embStage!.ptr, this.catalog.d);
        this.embeddings.accumulate(B * this.K, this.candIdx!.ptr, this.embStage!.ptr);
      }
    }
    this.bias?.step(this.criticOpt.t, { lr: c.criticLr });
    this.embeddings?.step(this.criticOpt.t, { lr: c.embeddingLr });
    return { criticLoss: loss / (this.critic2 ? 2 : 1), meanTarget, meanQ };
  }

  private *itemCritics(): Generator<[ItemCritic, Adam]> {
    yield [this.critic as ItemCritic, this.criticOpt];
    if (this.critic2) yield [this.critic2, this.critic2Opt!];
  }

  /**
   * qHost[b] ← min_i Q'_i(s'_b, a'_b) for B next states: a' is the list the target policy
   * chooses at s' (the target actor's vectors, smoothed by clipped Gaussian noise when
   * targetNoise > 0, retrieve candidates; the smaller target critic ranks them).
   */
  private listTargets(nexts: States, B: number, rng?: Rng): void {
    const c = this.config, K = this.K;
    this.loadStates(nexts, B);
    this.actor.forward(B, "target");
    const w = this.actor.output.f32().subarray(0, B * K * this.A);
    if (c.targetNoise > 0) {
      if (!rng) throw new Error("DDPG: target policy smoothing needs an rng (pass one to update())");
      for (let i = 0; i < w.length; i++) {
        const e = c.targetNoise * rng.normal();
        w[i] += e > c.targetNoiseClip ? c.targetNoiseClip : e < -c.targetNoiseClip ? -c.targetNoiseClip : e;
      }
    }
    const P = c.rerank > 0 ? this.maxP : K;
    if (c.rerank > 0) {
      this.select(nexts, B, w, c.rerank, undefined, "target");
      this.pool(nexts, B);
    } else {
      this.select(nexts, B, w, 1, undefined, "target");
      this.candIdx!.i32().set(this.topk.indices.subarray(0, B * K));
      this.candCount.fill(K, 0, B);
    }
    this.sourceFeatures(nexts, B, P);
    const qMin = this.qMin;
    let first = true;
    for (const [critic] of this.itemCritics()) {
      this.fillCandidates(critic, B, "target", P);
      critic.forward(B, "target");
      critic.score(B, P);
      const qb = critic.qbar.f32();
      for (let i = 0; i < B * P; i++) qMin[i] = first || qb[i] < qMin[i] ? qb[i] : qMin[i];
      first = false;
    }
    // the list: by the smaller critic's item values (the clipped double-Q choice)
    this.choose(B, P, qMin);
    this.candIdx!.i32().set(this.chosen.subarray(0, B * K));
    this.sourceFeatures(nexts, B, K);
    let firstCritic = true;
    for (const [critic] of this.itemCritics()) {
      this.fillCandidates(critic, B, "target", K);
      critic.forward(B, "target");
      critic.score(B, K);
      critic.listValues(B, firstCritic ? this.qHost : this.q2Host);
      firstCritic = false;
    }
    if (this.critic2) for (let b = 0; b < B; b++) this.qHost[b] = Math.min(this.qHost[b], this.q2Host[b]);
  }

  /**
   * One update from B logged transitions (s, the K tracks played next, their keep flags):
   * learning from what listeners did (`encore train --env logged`). Needs the item critic with
   * re-ranking.
   *   critic  each state's candidates (the actor's and the sources', as when recommending) and
   *           the K logged tracks are scored; the logged tracks' targets are their keep flags (γ
   *           = 0: the list's own reward), the other candidates' 0 (implicit feedback: not played
   *           next, so not kept; weighted by negWeight). Squared error, Adam, the bias with it.
   *   actor   (every policyDelay updates) α·CE − Q(s, π(s)) / mean|Q| (TD3+BC): CE is the
   *           supervised list-wise head, a softmax of slot k's scores w_k · ẽ over the state's
   *           rows toward the logged track of slot k when it was kept (sampled softmax: the
   *           candidates are the negatives), with gradients into the weight vectors and the bias.
   */
  updateOffline(batch: TransitionBatch, rng?: Rng): UpdateMetrics & { bcLoss: number } {
    const { B } = batch, c = this.config, K = this.K;
    if (!(this.critic instanceof ItemCritic) || c.rerank === 0) throw new Error("DDPG: learning from logged sessions needs the item critic with re-ranking (rerank > 0)");
    if (c.gamma !== 0) throw new Error(`DDPG: learning from logged sessions fits each list's own reward (γ = 0), got γ = ${c.gamma}`);
    if (!batch.rewards) throw new Error("DDPG: logged transitions need their per-slot keep flags (batch.rewards)");
    this.checkUpdateBatch(B);
    this.criticSteps++;
    const states = { tracks: batch.states, kept: batch.kept };
    checkIndices(batch.actions, B * K, this.catalog.V, "action");
    // candidates as when recommending (no exploration), then rows = the K logged tracks + the pool
    const w = this.weights(states, B);
    this.select(states, B, w, c.rerank);
    this.pool(states, B);
    const P = this.maxP + K, cand = this.candIdx!.i32();
    const y = this.ySlotOff, wt = this.wSlotOff;
    for (let b = B - 1; b >= 0; b--) {
      // move pool row b (stride maxP) to the end of row b in stride P, after the logged tracks
      const n = this.candCount[b], src = b * this.maxP, dst = b * P + K;
      for (let p = n - 1; p >= 0; p--) cand[dst + p] = cand[src + p];
    }
    let meanTarget = 0;
    for (let b = 0; b < B; b++) {
      const o = b * P, n = this.candCount[b];
      for (let k = 0; k < K; k++) {
        cand[o + k] = batch.actions[b * K + k];
        y[o + k] = batch.rewards[b * K + k];
        wt[o + k] = 1;
        meanTarget += batch.rewards[b * K + k] * c.listGamma ** k;
      }
      // a pool track the listener played next is that row's duplicate: weight 0 (it is scored as logged)
      for (let p = 0; p < n; p++) {
        const t = cand[o + K + p];
        let logged = false;
        for (let k = 0; k < K; k++) if (batch.actions[b * K + k] === t) logged = true;
        y[o + K + p] = 0;
        wt[o + K + p] = logged ? 0 : c.negWeight;
      }
      for (let p = n; p < this.maxP; p++) {
        cand[o + K + p] = cand[o];
        y[o + K + p] = 0;
        wt[o + K + p] = 0; // padding
      }
    }
    meanTarget /= B;
    this.sourceFeatures(states, B, P);
    this.loadStates(states, B);
    this.bias?.zeroGrad();
    let loss = 0, meanQ = 0, wsum = 0;
    for (let i = 0; i < B * P; i++) wsum += wt[i];
    for (const [critic, opt] of this.itemCritics()) {
      this.fillCandidates(critic, B, "value", P);
      critic.forward(B, "value");
      critic.score(B, P);
      const q = critic.qbar.f32(), dq = critic.dqbar.f32();
      let l = 0;
      for (let i = 0; i < B * P; i++) {
        const v = critic.value(q[i]), e = v - y[i];
        l += wt[i] * e * e;
        dq[i] = (wt[i] * (critic.logistic ? e : 2 * e)) / wsum;
      }
      if (critic === this.critic) for (let b = 0; b < B; b++) for (let k = 0, g = 1; k < K; k++, g *= c.listGamma) meanQ += g * critic.value(q[b * P + k]);
      loss += l / wsum;
      opt.zeroGrad();
      critic.backwardRows(B);
      opt.step();
      this.accumulateRowGradients(critic, B * P);
    }
    this.bias?.step(this.criticOpt.t, { lr: c.criticLr });
    this.embeddings?.step(this.criticOpt.t, { lr: c.embeddingLr });
    const criticLoss = loss / (this.critic2 ? 2 : 1);
    meanQ /= B;
    if (this.criticSteps % c.policyDelay !== 0) return { criticLoss, actorObjective: NaN, meanTarget, meanQ, bcLoss: NaN };
    const { objective, bcLoss } = this.updateActorOffline(states, batch, B, P);
    for (const g of this.groups) softUpdate(g, c.tau);
    this.bias?.softUpdate(c.tau);
    void rng; // the offline update draws nothing: the batch was drawn by the caller
    return { criticLoss, actorObjective: objective, meanTarget, meanQ, bcLoss };
  }

  /** ∂loss/∂z of R scored rows (critic.dcand) into the bias and tuned-embedding gradients of their tracks (candIdx). */
  private accumulateRowGradients(critic: ItemCritic, R: number): void {
    const x = this.plan.engine.x, d = this.catalog.d;
    if (this.bias) {
      x.copy_2d_f32(R, 1, critic.dcand.ptr + d * 4, critic.Z, this.rowStage!.ptr, 1);
      this.bias.accumulate(R, this.candIdx!.ptr, this.rowStage!.ptr);
    }
    if (this.embeddings) {
      // in chunks that fit the table's staging (maxRows = maxB·K rows per accumulate)
      for (let r0 = 0; r0 < R; r0 += this.embeddings.maxRows) {
        const n = Math.min(this.embeddings.maxRows, R - r0);
        x.copy_2d_f32(n, d, critic.dcand.ptr + r0 * critic.Z * 4, critic.Z, this.rowStage!.ptr, d);
        this.embeddings.accumulate(n, this.candIdx!.ptr + r0 * 4, this.rowStage!.ptr);
      }
    }
  }

  /** The actor's offline step (see updateOffline): TD3+BC with the supervised list-wise head. */
  private updateActorOffline(states: States, batch: TransitionBatch, B: number, P: number): { objective: number; bcLoss: number } {
    const c = this.config, K = this.K, A = this.A, x = this.plan.engine.x, d = this.catalog.d;
    const critic = this.critic as ItemCritic, Z = critic.Z;
    this.loadStates(states, B);
    this.actor.forward(B);
    critic.forward(B, "value");
    const u = critic.u.f32(), w = this.actor.output.f32();
    // DDPG term, normalised by mean |Q| as TD3+BC does so α weighs the same whatever Q's scale
    let objective = 0, absQ = 0;
    for (let b = 0; b < B; b++) {
      for (let k = 0, g = 1; k < K; k++, g *= c.listGamma) {
        let dot = u[b * Z + Z - 1];
        for (let j = 0; j < A; j++) dot += u[b * Z + j] * w[(b * K + k) * A + j];
        const v = critic.value(dot);
        objective += g * v;
        absQ += Math.abs(g * v);
      }
    }
    objective /= B;
    const lambda = 1 / Math.max(absQ / B, 1e-6);
    // supervised head: slot k's scores w_k · [e | b] over the state's P rows (critic.cand's first A columns)
    const cand = critic.cand, R = B * K * P;
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < K; k++) x.copy_2d_f32(P, A, cand.ptr + b * P * Z * 4, Z, this.bcCand!.ptr + (b * K + k) * P * A * 4, A);
    }
    x.rowdot_forward_f32(B * K, P, A, this.actor.output.ptr, this.bcCand!.ptr, this.bcLogits!.ptr);
    const t = this.bcTargets!.f32(), logits = this.bcLogits!.f32(), rowsIdx = this.candIdx!.i32(), idx = this.bcIdx!.i32();
    t.fill(0, 0, R);
    let kept = 0;
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < K; k++) {
        const o = (b * K + k) * P;
        for (let p = 0; p < P; p++) {
          idx[o + p] = rowsIdx[b * P + p];
          // padding rows and duplicates of the logged tracks never count as candidates
          if (p >= K && (this.wSlotOff[b * P + p] === 0)) logits[o + p] = -Infinity;
        }
        // other slots' logged tracks are not this slot's negatives
        for (let j = 0; j < K; j++) if (j !== k) logits[o + j] = -Infinity;
        if (batch.rewards![b * K + k] > 0) {
          t[o + k] = 1;
          kept++;
        }
      }
    }
    const dlogits = this.bcDlogits!;
    const bcLoss = kept > 0 ? x.softmax_xent_backward_f32(B * K, P, this.bcLogits!.ptr, this.bcTargets!.ptr, c.bcWeight / Math.max(kept, 1), dlogits.ptr) / Math.max(kept, 1) : 0;
    // masked logits have zero gradient; dW (B·K, A) = Σ_p dz · cand, into the actor's dout
    this.actorOpt.zeroGrad();
    const dw = this.actor.dout.f32();
    x.fill_f32(B * K * A, this.actor.dout.ptr, 0);
    x.rowdot_backward_f32(B * K, P, A, this.actor.output.ptr, this.bcCand!.ptr, dlogits.ptr, this.actor.dout.ptr, this.bcDcand!.ptr);
    for (let b = 0; b < B; b++) {
      for (let k = 0, g = 1; k < K; k++, g *= c.listGamma) {
        let dot = u[b * Z + Z - 1];
        for (let j = 0; j < A; j++) dot += u[b * Z + j] * w[(b * K + k) * A + j];
        const v = critic.value(dot), slope = critic.logistic ? v * (1 - v) : 1;
        for (let j = 0; j < A; j++) dw[(b * K + k) * A + j] -= (lambda * g * slope * u[b * Z + j]) / B;
      }
    }
    this.actor.backward(B);
    this.actorOpt.step();
    if (this.bias && kept > 0) {
      // the supervised head's gradient into the bias column of its rows
      x.copy_2d_f32(R, 1, this.bcDcand!.ptr + d * 4, A, this.bcStage!.ptr, 1);
      for (let r0 = 0; r0 < R; r0 += this.bias.maxRows) {
        const n = Math.min(this.bias.maxRows, R - r0);
        this.bias.accumulate(n, this.bcIdx!.ptr + r0 * 4, this.bcStage!.ptr + r0 * 4);
      }
      this.bias.step(this.criticOpt.t, { lr: c.criticLr });
    }
    return { objective, bcLoss };
  }

  /**
   * Actor step: ascend mean Q(s, π(s)) under the current (first) critic. The gradient of −mean Q
   * flows back into the action, then through the actor. Returns mean Q(s, π(s)) before the step.
   */
  updateActor(states: States, B: number): number {
    const x = this.plan.engine.x, { K, A } = this;
    this.checkUpdateBatch(B);
    this.loadStates(states, B);
    this.actor.forward(B);
    this.actorOpt.zeroGrad();
    let objective: number;
    if (this.critic instanceof ItemCritic) {
      // Q(s, W) = Σ_k Γ^k (u[0..A) · w_k + u[Z−1]) at a proto-action (no source features):
      // ∂Q/∂w_k = Γ^k u[0..A), so the actor's gradient needs no backward through the critic
      const critic = this.critic, Z = critic.Z;
      critic.forward(B, "value");
      const u = critic.u.f32(), w = this.actor.output.f32(), dw = this.actor.dout.f32();
      let total = 0;
      for (let b = 0; b < B; b++) {
        for (let k = 0, g = 1; k < K; k++, g *= this.config.listGamma) {
          let dot = u[b * Z + Z - 1];
          for (let j = 0; j < A; j++) dot += u[b * Z + j] * w[(b * K + k) * A + j];
          const v = critic.value(dot), slope = critic.logistic ? v * (1 - v) : 1; // ∂q̄/∂(u · z)
          for (let j = 0; j < A; j++) dw[(b * K + k) * A + j] = (-g * slope * u[b * Z + j]) / B;
          total += g * v;
        }
      }
      objective = total / B;
    } else {
      const critic = this.critic;
      critic.forward(B, "value", this.actor.output.ptr);
      objective = x.sum_f32(B, critic.q.ptr) / B;
      x.fill_f32(B, critic.dq.ptr, -1 / B);
      critic.backward(B, { actionOnly: true });
      x.copy_f32(B * K * A, critic.daction.ptr, this.actor.dout.ptr);
    }
    this.actor.backward(B);
    this.actorOpt.step();
    return objective;
  }

  /** Mean Q(s, π(s)) of the online networks for B states (no update). */
  policyValue(states: States, B: number): number {
    const x = this.plan.engine.x, { K, A } = this;
    this.checkUpdateBatch(B);
    this.loadStates(states, B);
    this.actor.forward(B);
    if (this.critic instanceof ItemCritic) {
      const critic = this.critic, Z = critic.Z;
      critic.forward(B, "value");
      const u = critic.u.f32(), w = this.actor.output.f32();
      let total = 0;
      for (let b = 0; b < B; b++) {
        for (let k = 0, g = 1; k < K; k++, g *= this.config.listGamma) {
          let dot = u[b * Z + Z - 1];
          for (let j = 0; j < A; j++) dot += u[b * Z + j] * w[(b * K + k) * A + j];
          total += g * critic.value(dot);
        }
      }
      return total / B;
    }
    this.critic.forward(B, "value", this.actor.output.ptr);
    return x.sum_f32(B, this.critic.q.ptr) / B;
  }

  private checkUpdateBatch(B: number): void {
    if (!Number.isInteger(B) || B < 1 || B > this.config.batch) throw new Error(`DDPG: batch of ${B} rows outside 1..${this.config.batch}`);
  }

  /** Q(s, a) of the online (first) critic for B ≤ batch (state, list) pairs: a (B) view valid until the next call. */
  q(states: States, actions: Int32Array, B: number): Float32Array {
    const x = this.plan.engine.x, K = this.K;
    this.checkUpdateBatch(B);
    this.loadStates(states, B);
    checkIndices(actions, B * K, this.catalog.V, "action");
    if (this.critic instanceof ItemCritic) {
      this.candIdx!.i32().set(actions.subarray(0, B * K));
      this.sourceFeatures(states, B, K);
      this.fillCandidates(this.critic, B, "value", K);
      this.critic.forward(B, "value");
      this.critic.score(B, K);
      const out = this.qMin.subarray(0, B);
      this.critic.listValues(B, out);
      return out;
    }
    this.actionIdx.i32().set(actions.subarray(0, B * K));
    x.gather_rows_f32(B * K, this.actionIdx.ptr, this.catalogPtr, this.catalog.d, this.critic.action.ptr);
    this.critic.forward(B);
    return this.critic.q.f32().subarray(0, B);
  }

  private checkActBatch(B: number): void {
    if (!Number.isInteger(B) || B < 1 || B > this.maxB) throw new Error(`DDPG: ${B} states outside 1..${this.maxB}`);
  }
}

/**
 * The per-track bias's starting point: standardised log play counts, (log(1 + c_t) − mean) / sd
 * over the catalog (0 everywhere when every count is equal). Popular tracks start ahead, as the
 * listener model and real skip rates say they should; training moves each from there.
 */
export function biasFromPlays(counts: ArrayLike<number>): Float32Array {
  const V = counts.length, out = new Float32Array(V);
  let mean = 0, sq = 0;
  for (let t = 0; t < V; t++) mean += log1p(counts[t]);
  mean /= V;
  for (let t = 0; t < V; t++) {
    const e = log1p(counts[t]) - mean;
    sq += e * e;
  }
  const sd = Math.sqrt(sq / V);
  if (sd > 0) for (let t = 0; t < V; t++) out[t] = (log1p(counts[t]) - mean) / sd;
  return out;
}

/** A standard Gumbel draw −log(−log u), u uniform in (0, 1). */
function gumbel(rng: Rng): number {
  let u = rng.float();
  while (u <= 0) u = rng.float();
  return -log(-log(u));
}

function checkIndices(a: Int32Array, n: number, V: number, what: string): void {
  if (a.length < n) throw new Error(`DDPG: ${what} indices: need ${n}, got ${a.length}`);
  for (let i = 0; i < n; i++) {
    const t = a[i];
    if (!(t >= 0 && t < V)) throw new Error(`DDPG: ${what} index ${t} at position ${i} is not a track in [0, ${V})`);
  }
}
