// Replay buffer for DDPG (Lillicrap et al. 2015, arXiv 1509.02971): a preallocated ring of
// transitions (s, a, r, s', done), stored as track indices, not embeddings (10,000
// transitions at N = 10, K = 3 take about 1 MB).
//
// Dimensions: C capacity, N state length, K list length, B batch size.
// Columns (row i = one transition):
//   states  Int32Array (C×N)   the state the action was taken in (its plays' tracks)
//   kept    Uint8Array (C×N)   the state's feedback flags (1 kept, 0 skipped)
//   actions Int32Array (C×K)   the recommended list
//   rewards Float32Array (C×K) per-slot rewards
//   reward  Float32Array (C)   the scalar list reward the critic learns from (kept because a
//                              simulator's scalar reward need not be a function of the per-slot
//                              ones: LIRD's is similarity-weighted over reward patterns)
//   nexts   Int32Array (C×N)   the next state
//   nextKept Uint8Array (C×N)  its feedback flags
//   dones   Uint8Array (C)     1 when the transition ended an episode
//   features Float32Array (C×K·F)  per listed track, the candidate sources' features the agent
//                              scored it with (F = 0 when it re-ranks with no source)
//
// push() overwrites the oldest transition once full. sample() draws B rows uniformly WITH
// replacement (the usual DDPG choice; B may exceed size) using the caller's seeded Rng.
// Neither allocates (sample() allocates its reusable batch only when B changes).
//
// This file imports nothing from Node.

import type { Rng } from "../rng.js";
import type { StepResult } from "./env.js";
import type { States } from "../core/state.js";

export const REPLAY_DEFAULT_CAPACITY = 10_000;

/** B sampled transitions, row-major like the buffer's columns, plus the row each came from. */
/** The buffer's columns: states and their flags (·, N), actions (·, K), per-slot rewards (·, K), list reward, next states and flags (·, N), done flags. */
export interface ReplayColumns {
  states: Int32Array;
  kept: Uint8Array;
  actions: Int32Array;
  rewards: Float32Array;
  reward: Float32Array;
  nexts: Int32Array;
  nextKept: Uint8Array;
  dones: Uint8Array;
  features: Float32Array;
}

export interface ReplayBatch extends ReplayColumns {
  B: number;
  /** Buffer row of each sampled transition. */
  indices: Int32Array;
}

/** Checkpoint form: scalars plus the first `size` rows of every column (views, not copies). */
export interface ReplayState extends ReplayColumns {
  N: number;
  K: number;
  capacity: number;
  size: number;
  /** The row the next push writes. */
  head: number;
}

export class ReplayBuffer {
  readonly states: Int32Array;
  readonly kept: Uint8Array;
  readonly actions: Int32Array;
  readonly rewards: Float32Array;
  readonly reward: Float32Array;
  readonly nexts: Int32Array;
  readonly nextKept: Uint8Array;
  readonly dones: Uint8Array;
  readonly features: Float32Array;
  private _size = 0;
  private _head = 0;
  private batch: ReplayBatch | null = null;

  /** F: features per listed track (0: none). */
  constructor(readonly N: number, readonly K: number, readonly capacity: number = REPLAY_DEFAULT_CAPACITY, readonly F = 0) {
    for (const [name, v] of [["N", N], ["K", K], ["capacity", capacity]] as const) {
      if (!(Number.isInteger(v) && v >= 1)) throw new Error(`ReplayBuffer: ${name} must be a positive integer, got ${v}`);
    }
    if (!(Number.isInteger(F) && F >= 0)) throw new Error(`ReplayBuffer: F must be an integer ≥ 0, got ${F}`);
    this.features = new Float32Array(capacity * K * F);
    this.states = new Int32Array(capacity * N);
    this.kept = new Uint8Array(capacity * N);
    this.actions = new Int32Array(capacity * K);
    this.rewards = new Float32Array(capacity * K);
    this.reward = new Float32Array(capacity);
    this.nexts = new Int32Array(capacity * N);
    this.nextKept = new Uint8Array(capacity * N);
    this.dones = new Uint8Array(capacity);
  }

  /** Transitions stored (≤ capacity). */
  get size(): number {
    return this._size;
  }

  /** True once the ring has wrapped: every push now replaces the oldest transition. */
  get full(): boolean {
    return this._size === this.capacity;
  }

  /** The row the next push writes. */
  get head(): number {
    return this._head;
  }

  /** Store one transition (copied). state (N plays), action (K), rewards (K), next (N plays). */
  push(state: States, action: ArrayLike<number>, rewards: ArrayLike<number>, reward: number, next: States, done: boolean, features?: ArrayLike<number>): void {
    const N = this.N, K = this.K;
    if (state.tracks.length !== N || next.tracks.length !== N || state.kept.length !== N || next.kept.length !== N) {
      throw new Error(`ReplayBuffer.push: state and next must hold N = ${N} tracks and flags, got ${state.tracks.length}/${state.kept.length} and ${next.tracks.length}/${next.kept.length}`);
    }
    if (action.length !== K || rewards.length !== K) throw new Error(`ReplayBuffer.push: action and rewards must have K = ${K} entries, got ${action.length} and ${rewards.length}`);
    const i = this._head;
    for (let n = 0; n < N; n++) {
      this.states[i * N + n] = state.tracks[n];
      this.kept[i * N + n] = state.kept[n];
      this.nexts[i * N + n] = next.tracks[n];
      this.nextKept[i * N + n] = next.kept[n];
    }
    for (let k = 0; k < K; k++) { this.actions[i * K + k] = action[k]; this.rewards[i * K + k] = rewards[k]; }
    this.reward[i] = reward;
    this.dones[i] = done ? 1 : 0;
    const KF = K * this.F;
    if (KF > 0) {
      if (!features || features.length < KF) throw new Error(`ReplayBuffer.push: features must hold K·F = ${KF} values`);
      for (let j = 0; j < KF; j++) this.features[i * KF + j] = features[j];
    }
    this._head = i + 1 === this.capacity ? 0 : i + 1;
    if (this._size < this.capacity) this._size++;
  }

  /** push() from an environment step: (state, list, r.rewards, r.reward, r.next, r.done). */
  pushStep(state: States, list: ArrayLike<number>, r: StepResult, features?: ArrayLike<number>): void {
    this.push(state, list, r.rewards, r.reward, r.next, r.done, features);
  }

  /** Arrays for B transitions (allocates; make one per batch size and reuse it). */
  createBatch(B: number): ReplayBatch {
    if (!(Number.isInteger(B) && B >= 1)) throw new Error(`ReplayBuffer.createBatch: B must be a positive integer, got ${B}`);
    const N = this.N, K = this.K;
    return {
      B,
      states: new Int32Array(B * N), kept: new Uint8Array(B * N), actions: new Int32Array(B * K), rewards: new Float32Array(B * K),
      reward: new Float32Array(B), nexts: new Int32Array(B * N), nextKept: new Uint8Array(B * N), dones: new Uint8Array(B), indices: new Int32Array(B),
      features: new Float32Array(B * K * this.F),
    };
  }

  /** Fill `batch` (batch.B rows) with transitions drawn uniformly with replacement. */
  sampleInto(rng: Rng, batch: ReplayBatch): ReplayBatch {
    if (this._size === 0) throw new Error("ReplayBuffer.sample: the buffer is empty");
    const N = this.N, K = this.K, B = batch.B;
    if (batch.states.length !== B * N || batch.actions.length !== B * K) throw new Error(`ReplayBuffer.sample: batch arrays do not match B = ${B}, N = ${N}, K = ${K} (make batches with createBatch)`);
    for (let b = 0; b < B; b++) {
      const i = rng.int(this._size);
      batch.indices[b] = i;
      for (let n = 0; n < N; n++) {
        batch.states[b * N + n] = this.states[i * N + n];
        batch.kept[b * N + n] = this.kept[i * N + n];
        batch.nexts[b * N + n] = this.nexts[i * N + n];
        batch.nextKept[b * N + n] = this.nextKept[i * N + n];
      }
      for (let k = 0; k < K; k++) { batch.actions[b * K + k] = this.actions[i * K + k]; batch.rewards[b * K + k] = this.rewards[i * K + k]; }
      batch.reward[b] = this.reward[i];
      batch.dones[b] = this.dones[i];
      const KF = K * this.F;
      for (let j = 0; j < KF; j++) batch.features[b * KF + j] = this.features[i * KF + j];
    }
    return batch;
  }

  /** Sample B transitions into a batch the buffer owns and reuses (valid until the next sample()). */
  sample(rng: Rng, B: number): ReplayBatch {
    if (this.batch === null || this.batch.B !== B) this.batch = this.createBatch(B);
    return this.sampleInto(rng, this.batch);
  }

  /** Forget every transition (storage is kept). */
  clear(): void {
    this._size = 0;
    this._head = 0;
  }

  /** The buffer's contents for a checkpoint. Column arrays are views of live storage: serialise before the next push. */
  getState(): ReplayState {
    const s = this._size, N = this.N, K = this.K;
    return {
      N, K, capacity: this.capacity, size: s, head: this._head,
      states: this.states.subarray(0, s * N), kept: this.kept.subarray(0, s * N), actions: this.actions.subarray(0, s * K), rewards: this.rewards.subarray(0, s * K),
      reward: this.reward.subarray(0, s), nexts: this.nexts.subarray(0, s * N), nextKept: this.nextKept.subarray(0, s * N), dones: this.dones.subarray(0, s),
      features: this.features.subarray(0, s * K * this.F),
    };
  }

  /** Restore from getState() output (copied in). N, K and capacity must match this buffer. */
  setState(st: ReplayState): void {
    const who = "ReplayBuffer.setState";
    if (st.N !== this.N || st.K !== this.K || st.capacity !== this.capacity) {
      throw new Error(`${who}: saved buffer has N = ${st.N}, K = ${st.K}, capacity = ${st.capacity}; this one has N = ${this.N}, K = ${this.K}, capacity = ${this.capacity}`);
    }
    const s = st.size, N = this.N, K = this.K;
    if (!(Number.isInteger(s) && s >= 0 && s <= this.capacity)) throw new Error(`${who}: size ${s} is not in [0, ${this.capacity}]`);
    // Rows fill 0, 1, 2, ... until the ring wraps, so head = size until full.
    const headOk = s < this.capacity ? st.head === s : Number.isInteger(st.head) && st.head >= 0 && st.head < this.capacity;
    if (!headOk) throw new Error(`${who}: head ${st.head} is inconsistent with size ${s} and capacity ${this.capacity}`);
    const cols: [string, ArrayLike<number>, number][] = [
      ["states", st.states, s * N], ["kept", st.kept, s * N], ["actions", st.actions, s * K], ["rewards", st.rewards, s * K],
      ["reward", st.reward, s], ["nexts", st.nexts, s * N], ["nextKept", st.nextKept, s * N], ["dones", st.dones, s], ["features", st.features, s * K * this.F],
    ];
    for (const [name, a, len] of cols) if (a.length !== len) throw new Error(`${who}: column ${name} has ${a.length} entries, expected ${len} for size ${s}`);
    this.states.set(st.states);
    this.kept.set(st.kept);
    this.actions.set(st.actions);
    this.rewards.set(st.rewards);
    this.reward.set(st.reward);
    this.nexts.set(st.nexts);
    this.nextKept.set(st.nextKept);
    this.features.set(st.features);
    this.dones.set(st.dones);
    this._size = s;
    this._head = st.head;
  }
}
