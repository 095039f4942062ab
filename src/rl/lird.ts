// The LIRD offline simulator (Zhao et al. 2018, "Deep Reinforcement Learning for List-wise
// Recommendations", arXiv 1801.00209, section 3.1 "Online User-Agent Interaction Environment
// Simulator"): it answers a recommended list with the reward pattern of the most similar
// logged (state, action) pairs.
//
// Dimensions: S samples, N state length, K list length, V tracks, d embedding size,
// P prototypes (G reward-pattern groups, or the S samples themselves), G ≤ min(S, 2^K).
//
// Vectors: a state vector is the N embeddings of its tracks concatenated (N·d); an action
// vector the K embeddings of the list concatenated (K·d). E is row-major V×d.
//
// Prototypes, two modes:
//   "groups"  (default; the paper's reduced simulator): samples are grouped by reward pattern
//             p = Σ_k r_k·2^k, and each group g is represented by the means of its members'
//             L2-normalised state and action vectors, s̄_g = mean_i s_i/‖s_i‖, ā_g likewise.
//   "samples" (the paper's full simulator): every training sample is its own prototype.
//             Costs O(S·(N+K)·d) per step.
// Similarity (paper eq. 1, with cosine):
//   sim_p = α·cos(s, s̄_p) + (1 − α)·cos(a, ā_p)        α = 0.2 by default, sim_p ∈ [−1, 1]
//   with cos(x, y) = 0 when either vector is zero.
// Rewards: the K flags of the most similar prototype (ties → lowest group pattern / sample index).
// Scalar list reward (paper eq. 3, Γ = 0.9 by default, slot k = 0..K−1):
//   reward = Σ_p w_p·R_p,  R_p = Σ_k Γ^k·r_{p,k},  Σ_p w_p = 1, w_p ≥ 0.
// Weights. The paper uses w_p = sim_p / Σ_q sim_q, which is only a probability when every
// similarity is positive: with cosines, some are negative, and then weights leave [0, 1] and
// the denominator can pass through 0, so the "expected" reward can leave [min R, max R] or
// blow up. Two sound choices:
//   "affine"  (default): w_p ∝ (1 + sim_p)/2 ∈ [0, 1]. The same "weight proportional to
//             similarity" rule as the paper's, applied to a shifted similarity that is never
//             negative: monotone in sim (more similar never weighs less), bounded, and the
//             reward is a convex combination of the R_p. If every sim_p = −1, weights are uniform.
//   "softmax": w_p ∝ exp(sim_p / T), temperature T = 0.1 by default (sim differences of 0.1
//             change weights by a factor e; T → 0 approaches the argmax pattern's R).
// Next state: the window advances by the K listed tracks, each with the feedback the most
// similar prototype gives it (src/rl/env.ts advanceState). Similarities read track embeddings
// only, as in the paper; the feedback flags ride along in the state for the agent.
// Episodes: reset(rng) copies a uniformly drawn start state with its flags (the training states,
// or given start states); an episode is done after `episodeLength` steps.
//
// step() allocates nothing: prototype means, norms and returns are precomputed in the
// constructor; similarity and weight scratch are preallocated. This file imports nothing from Node.

import type { Rng } from "../rng.js";
import { exp } from "../dmath.js";
import { allocStates, type States } from "../core/state.js";
import { advanceState, checkList, type Environment, type StepResult } from "./env.js";

/** Logged training samples: S rows of (state N indices, action K indices, reward K flags 0/1). */
export interface LirdSamples {
  N: number;
  K: number;
  /** S×N track indices, each row oldest first. */
  states: Int32Array;
  /** S×N feedback of the state's plays (1 kept, 0 skipped); absent: all kept. */
  stateKept?: Uint8Array;
  /** S×K recommended (or played) track indices. */
  actions: Int32Array;
  /** S×K flags, 1 = not skipped, 0 = skipped. */
  rewards: Uint8Array;
}

/** A row-major embedding matrix, V rows of d floats. */
export interface EmbeddingTable {
  V: number;
  d: number;
  E: Float32Array;
}

export type LirdMode = "groups" | "samples";
export type LirdWeighting = "affine" | "softmax";

export interface LirdOptions {
  /** Weight of the state cosine in the similarity (the action's is 1 − α). Default 0.2 (paper). */
  alpha?: number;
  /** Per-slot discount Γ of the list reward Σ_k Γ^k r_k. Default 0.9 (paper). */
  gamma?: number;
  /** Steps per episode; the step that reaches it returns done. Default 10. */
  episodeLength?: number;
  /** "groups" (reward-pattern group means, default) or "samples" (every training sample). */
  mode?: LirdMode;
  /** How similarities become weights of the scalar reward. Default "affine". */
  weighting?: LirdWeighting;
  /** Softmax temperature T (only for weighting "softmax"). Default 0.1. */
  temperature?: number;
  /** M start states (M×N tracks and flags) for reset(); default the training states. */
  startStates?: States;
}

export const LIRD_DEFAULTS = {
  alpha: 0.2,
  gamma: 0.9,
  episodeLength: 10,
  mode: "groups" as LirdMode,
  weighting: "affine" as LirdWeighting,
  temperature: 0.1,
};

export class LirdSimulator implements Environment {
  readonly N: number;
  readonly K: number;
  readonly V: number;
  readonly d: number;
  /** Number of training samples. */
  readonly S: number;
  readonly options: Readonly<typeof LIRD_DEFAULTS>;
  /** Number of prototypes: non-empty groups ("groups") or S ("samples"). */
  readonly P: number;
  /** Mode "groups": reward pattern of each group (Σ_k r_k·2^k), ascending; its member count. Empty in mode "samples". */
  readonly groupPatterns: Int32Array;
  readonly groupSizes: Int32Array;
  /** Diagnostics of the last step()/evaluate(): similarity and weight per prototype (P), and the index of the most similar. */
  readonly similarities: Float64Array;
  readonly weights: Float64Array;
  lastMatch = -1;
  /** Steps taken in the current episode. */
  t = 0;

  private readonly E: Float32Array;
  private readonly samples: LirdSamples;
  private readonly starts: States;
  /** Reward flags (P×K) and discounted list reward R_p (P) of each prototype. */
  private readonly protoFlags: Uint8Array;
  private readonly protoReturn: Float64Array;
  /** "groups": mean normalised state (G×N·d) and action (G×K·d) vectors and their norms. */
  private readonly sMean: Float64Array;
  private readonly aMean: Float64Array;
  private readonly sMeanNorm: Float64Array;
  private readonly aMeanNorm: Float64Array;
  /** "samples": norms of every sample's state and action vectors (S). */
  private readonly sNorm: Float64Array;
  private readonly aNorm: Float64Array;
  private readonly bufA: States;
  private readonly bufB: States;
  private cur: States;
  private active = false;
  private readonly result: StepResult;

  constructor(samples: LirdSamples, emb: EmbeddingTable, options: LirdOptions = {}) {
    const { N, K, states, actions, rewards } = samples;
    const { V, d, E } = emb;
    const who = "LirdSimulator";
    if (!(Number.isInteger(N) && N >= 1)) throw new Error(`${who}: N must be a positive integer, got ${N}`);
    if (!(Number.isInteger(K) && K >= 1 && K <= 30)) throw new Error(`${who}: K must be an integer in 1..30, got ${K}`);
    if (!(Number.isInteger(V) && V >= 1) || !(Number.isInteger(d) && d >= 1)) throw new Error(`${who}: embedding V and d must be positive integers, got V = ${V}, d = ${d}`);
    if (E.length !== V * d) throw new Error(`${who}: embedding matrix has ${E.length} floats, expected V·d = ${V}·${d} = ${V * d}`);
    if (states.length % N !== 0 || states.length === 0) throw new Error(`${who}: states has ${states.length} entries, expected a positive multiple of N = ${N}`);
    const S = states.length / N;
    if (actions.length !== S * K) throw new Error(`${who}: actions has ${actions.length} entries, expected S·K = ${S}·${K} = ${S * K}`);
    if (rewards.length !== S * K) throw new Error(`${who}: rewards has ${rewards.length} entries, expected S·K = ${S}·${K} = ${S * K}`);
    checkIndices(states, N, V, `${who}: states`);
    checkIndices(actions, K, V, `${who}: actions`);
    for (let i = 0; i < S * K; i++) {
      if (rewards[i] > 1) throw new Error(`${who}: rewards[sample ${Math.floor(i / K)}, slot ${i % K}] = ${rewards[i]}, expected a flag 0 or 1`);
    }
    const o = {
      alpha: options.alpha ?? LIRD_DEFAULTS.alpha,
      gamma: options.gamma ?? LIRD_DEFAULTS.gamma,
      episodeLength: options.episodeLength ?? LIRD_DEFAULTS.episodeLength,
      mode: options.mode ?? LIRD_DEFAULTS.mode,
      weighting: options.weighting ?? LIRD_DEFAULTS.weighting,
      temperature: options.temperature ?? LIRD_DEFAULTS.temperature,
    };
    if (!(o.alpha >= 0 && o.alpha <= 1)) throw new Error(`${who}: alpha must be in [0, 1], got ${o.alpha}`);
    if (!(o.gamma >= 0 && o.gamma <= 1)) throw new Error(`${who}: gamma must be in [0, 1], got ${o.gamma}`);
    if (!(Number.isInteger(o.episodeLength) && o.episodeLength >= 1)) throw new Error(`${who}: episodeLength must be a positive integer, got ${o.episodeLength}`);
    if (o.mode !== "groups" && o.mode !== "samples") throw new Error(`${who}: mode must be "groups" or "samples", got ${String(o.mode)}`);
    if (o.weighting !== "affine" && o.weighting !== "softmax") throw new Error(`${who}: weighting must be "affine" or "softmax", got ${String(o.weighting)}`);
    if (!(o.temperature > 0 && Number.isFinite(o.temperature))) throw new Error(`${who}: temperature must be > 0, got ${o.temperature}`);
    if (samples.stateKept && samples.stateKept.length !== S * N) throw new Error(`${who}: stateKept has ${samples.stateKept.length} entries, expected S·N = ${S * N}`);
    const starts = options.startStates ?? { tracks: states, kept: samples.stateKept ?? new Uint8Array(S * N).fill(1) };
    if (starts.tracks.length % N !== 0 || starts.tracks.length === 0 || starts.kept.length !== starts.tracks.length) throw new Error(`${who}: startStates has ${starts.tracks.length} tracks and ${starts.kept.length} flags, expected the same positive multiple of N = ${N}`);
    if (starts.tracks !== states) checkIndices(starts.tracks, N, V, `${who}: startStates`);

    this.N = N; this.K = K; this.V = V; this.d = d; this.S = S;
    this.options = o;
    this.E = E;
    this.samples = samples;
    this.starts = starts;

    // Per-sample norms (both modes need them: "groups" to normalise before averaging).
    const sNorm = new Float64Array(S), aNorm = new Float64Array(S);
    for (let i = 0; i < S; i++) {
      sNorm[i] = Math.sqrt(sumSquares(E, d, states, i * N, N));
      aNorm[i] = Math.sqrt(sumSquares(E, d, actions, i * K, K));
    }
    const pattern = (i: number): number => {
      let p = 0;
      for (let k = 0; k < K; k++) if (rewards[i * K + k]) p |= 1 << k;
      return p;
    };

    if (o.mode === "groups") {
      const counts = new Map<number, number>();
      for (let i = 0; i < S; i++) {
        const p = pattern(i);
        counts.set(p, (counts.get(p) ?? 0) + 1);
      }
      const pats = [...counts.keys()].sort((a, b) => a - b);
      const G = pats.length;
      const gIndex = new Map(pats.map((p, g) => [p, g] as const));
      this.groupPatterns = Int32Array.from(pats);
      this.groupSizes = Int32Array.from(pats, (p) => counts.get(p)!);
      const Nd = N * d, Kd = K * d;
      const sMean = new Float64Array(G * Nd), aMean = new Float64Array(G * Kd);
      for (let i = 0; i < S; i++) {
        const g = gIndex.get(pattern(i))!;
        // A zero vector normalises to zero (it has no direction).
        if (sNorm[i] > 0) accumulateRows(sMean, g * Nd, E, d, states, i * N, N, 1 / sNorm[i]);
        if (aNorm[i] > 0) accumulateRows(aMean, g * Kd, E, d, actions, i * K, K, 1 / aNorm[i]);
      }
      const sMeanNorm = new Float64Array(G), aMeanNorm = new Float64Array(G);
      for (let g = 0; g < G; g++) {
        const inv = 1 / this.groupSizes[g];
        let ss = 0, aa = 0;
        for (let j = g * Nd; j < (g + 1) * Nd; j++) { sMean[j] *= inv; ss += sMean[j] * sMean[j]; }
        for (let j = g * Kd; j < (g + 1) * Kd; j++) { aMean[j] *= inv; aa += aMean[j] * aMean[j]; }
        sMeanNorm[g] = Math.sqrt(ss);
        aMeanNorm[g] = Math.sqrt(aa);
      }
      this.sMean = sMean; this.aMean = aMean; this.sMeanNorm = sMeanNorm; this.aMeanNorm = aMeanNorm;
      this.sNorm = new Float64Array(0); this.aNorm = new Float64Array(0);
      this.P = G;
      this.protoFlags = new Uint8Array(G * K);
      for (let g = 0; g < G; g++) for (let k = 0; k < K; k++) this.protoFlags[g * K + k] = (pats[g] >> k) & 1;
    } else {
      this.groupPatterns = new Int32Array(0);
      this.groupSizes = new Int32Array(0);
      this.sMean = new Float64Array(0); this.aMean = new Float64Array(0);
      this.sMeanNorm = new Float64Array(0); this.aMeanNorm = new Float64Array(0);
      this.sNorm = sNorm; this.aNorm = aNorm;
      this.P = S;
      this.protoFlags = rewards;
    }
    this.protoReturn = new Float64Array(this.P);
    for (let p = 0; p < this.P; p++) {
      let R = 0, g = 1;
      for (let k = 0; k < K; k++) { R += g * this.protoFlags[p * K + k]; g *= o.gamma; }
      this.protoReturn[p] = R;
    }
    this.similarities = new Float64Array(this.P);
    this.weights = new Float64Array(this.P);
    this.bufA = allocStates(1, N);
    this.bufB = allocStates(1, N);
    this.cur = this.bufA;
    this.result = { rewards: new Float32Array(K), reward: 0, next: this.bufB, done: false };
  }

  /** Start an episode from a uniformly drawn start state (a copy; the returned view belongs to the simulator). */
  reset(rng: Rng): States {
    const N = this.N;
    const i = rng.int(this.starts.tracks.length / N);
    const dst = this.cur;
    for (let n = 0; n < N; n++) {
      dst.tracks[n] = this.starts.tracks[i * N + n];
      dst.kept[n] = this.starts.kept[i * N + n];
    }
    this.t = 0;
    this.active = true;
    return dst;
  }

  /** The current state (N), a view. */
  get state(): States {
    return this.cur;
  }

  step(list: Int32Array): StepResult {
    if (!this.active) throw new Error(this.t === 0 ? "LirdSimulator.step: call reset() first" : `LirdSimulator.step: the episode ended after ${this.t} steps; call reset()`);
    checkList(list, this.cur.tracks, this.K, this.V, "LirdSimulator.step");
    const r = this.result, K = this.K;
    r.reward = this.evaluate(this.cur.tracks, list);
    const best = this.lastMatch;
    for (let k = 0; k < K; k++) r.rewards[k] = this.protoFlags[best * K + k];
    const next = this.cur === this.bufA ? this.bufB : this.bufA;
    advanceState(this.cur, list, r.rewards, next);
    this.cur = next;
    r.next = next;
    this.t++;
    r.done = this.t >= this.options.episodeLength;
    if (r.done) this.active = false;
    return r;
  }

  /**
   * Score a (state N, list K) pair without touching the episode: fills `similarities` and
   * `weights`, sets `lastMatch` (the most similar prototype) and returns the scalar list
   * reward. Indices are not checked here (step() checks them). Allocates nothing.
   */
  evaluate(state: Int32Array, list: Int32Array): number {
    const N = this.N, K = this.K, d = this.d, E = this.E, P = this.P, alpha = this.options.alpha;
    const sim = this.similarities;
    const qs = Math.sqrt(sumSquares(E, d, state, 0, N));
    const qa = Math.sqrt(sumSquares(E, d, list, 0, K));
    if (this.options.mode === "groups") {
      const Nd = N * d, Kd = K * d;
      for (let g = 0; g < P; g++) {
        const cs = cosine(dotRowsDense(E, d, state, 0, N, this.sMean, g * Nd), qs, this.sMeanNorm[g]);
        const ca = cosine(dotRowsDense(E, d, list, 0, K, this.aMean, g * Kd), qa, this.aMeanNorm[g]);
        sim[g] = alpha * cs + (1 - alpha) * ca;
      }
    } else {
      const states = this.samples.states, actions = this.samples.actions;
      for (let i = 0; i < P; i++) {
        const cs = cosine(dotRowsRows(E, d, state, 0, states, i * N, N), qs, this.sNorm[i]);
        const ca = cosine(dotRowsRows(E, d, list, 0, actions, i * K, K), qa, this.aNorm[i]);
        sim[i] = alpha * cs + (1 - alpha) * ca;
      }
    }
    let best = 0;
    for (let p = 1; p < P; p++) if (sim[p] > sim[best]) best = p;
    this.lastMatch = best;

    const w = this.weights;
    let total = 0;
    if (this.options.weighting === "affine") {
      for (let p = 0; p < P; p++) { w[p] = (1 + sim[p]) / 2; total += w[p]; }
    } else {
      const invT = 1 / this.options.temperature, top = sim[best];
      // Subtract the maximum so exp never overflows (dmath's exp: the same weights in every engine); the best weight is exp(0) = 1, so total ≥ 1.
      for (let p = 0; p < P; p++) { w[p] = exp((sim[p] - top) * invT); total += w[p]; }
    }
    if (!(total > 0)) {
      // Only when every similarity is exactly −1 (affine): no prototype is preferred.
      for (let p = 0; p < P; p++) w[p] = 1;
      total = P;
    }
    let reward = 0;
    const inv = 1 / total;
    for (let p = 0; p < P; p++) { w[p] *= inv; reward += w[p] * this.protoReturn[p]; }
    return reward;
  }
}

function checkIndices(a: Int32Array, width: number, V: number, what: string): void {
  for (let i = 0; i < a.length; i++) {
    if (a[i] < 0 || a[i] >= V) throw new Error(`${what}[row ${Math.floor(i / width)}, position ${i % width}] = ${a[i]} is not a track index in [0, ${V})`);
  }
}

/** Σ over the `count` tracks idx[off..off+count) of ‖E[t]‖² (the squared norm of their concatenation). */
function sumSquares(E: Float32Array, d: number, idx: Int32Array, off: number, count: number): number {
  let s = 0;
  for (let n = 0; n < count; n++) {
    const e = idx[off + n] * d;
    for (let j = 0; j < d; j++) s += E[e + j] * E[e + j];
  }
  return s;
}

/** dst[dOff + n·d + j] += scale·E[idx[off + n]·d + j] for n < count. */
function accumulateRows(dst: Float64Array, dOff: number, E: Float32Array, d: number, idx: Int32Array, off: number, count: number, scale: number): void {
  for (let n = 0; n < count; n++) {
    const e = idx[off + n] * d, o = dOff + n * d;
    for (let j = 0; j < d; j++) dst[o + j] += scale * E[e + j];
  }
}

/** ⟨concat_n E[idx[off+n]], v[vOff .. vOff + count·d)⟩. */
function dotRowsDense(E: Float32Array, d: number, idx: Int32Array, off: number, count: number, v: Float64Array, vOff: number): number {
  let s = 0;
  for (let n = 0; n < count; n++) {
    const e = idx[off + n] * d, o = vOff + n * d;
    for (let j = 0; j < d; j++) s += E[e + j] * v[o + j];
  }
  return s;
}

/** ⟨concat_n E[a[aOff+n]], concat_n E[b[bOff+n]]⟩. */
function dotRowsRows(E: Float32Array, d: number, a: Int32Array, aOff: number, b: Int32Array, bOff: number, count: number): number {
  let s = 0;
  for (let n = 0; n < count; n++) {
    const x = a[aOff + n] * d, y = b[bOff + n] * d;
    for (let j = 0; j < d; j++) s += E[x + j] * E[y + j];
  }
  return s;
}

/** Cosine from a dot product and norms; 0 when either vector is zero; clamped to [−1, 1] against rounding. */
function cosine(dot: number, normA: number, normB: number): number {
  if (!(normA > 0 && normB > 0)) return 0;
  const c = dot / (normA * normB);
  return c > 1 ? 1 : c < -1 ? -1 : c;
}

/**
 * Standard deviation of the list reward below which the simulator is said to barely tell lists
 * apart. A list reward lies in [0, Σ_k Γ^k] (2.71 for K = 3, Γ = 0.9); 0.01 is 0.4% of that, far
 * below the differences between good and bad lists that a learner must see. On the real slice
 * the reward-pattern groups are so large that their means nearly coincide: 2,000 random lists
 * for one state span 1.3547..1.3553.
 */
export const LIRD_MIN_SPREAD = 0.01;

/**
 * How much the simulator's reward varies over random lists: `starts` random start states ×
 * `lists` random K-lists each (distinct, outside the state), scored without stepping.
 */
export function lirdRewardSpread(sim: LirdSimulator, rng: Rng, starts = 20, lists = 50): { sd: number; min: number; max: number; lists: number } {
  const K = sim.K, V = sim.V, list = new Int32Array(K);
  let n = 0, mean = 0, m2 = 0, min = Infinity, max = -Infinity;
  for (let s = 0; s < starts; s++) {
    const state = sim.reset(rng).tracks;
    for (let l = 0; l < lists; l++) {
      for (let k = 0; k < K; k++) {
        let t: number;
        do t = rng.int(V); while (state.includes(t) || list.subarray(0, k).includes(t));
        list[k] = t;
      }
      const r = sim.evaluate(state, list);
      n++;
      const delta = r - mean;
      mean += delta / n;
      m2 += delta * (r - mean);
      if (r < min) min = r;
      if (r > max) max = r;
    }
  }
  return { sd: Math.sqrt(m2 / n), min, max, lists: n };
}
