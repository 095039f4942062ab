// The one Environment interface every simulator implements (the LIRD offline simulator, the
// online listener simulator), and the helpers they share: advancing a state window by the
// tracks that were kept, and checking a recommended list against the contract.
//
// Dimensions: N = state length (the most recent plays of a session, oldest first, each a track
// index and its feedback: src/core/state.ts), K = list length (recommended tracks per step).
//
// Hot-loop contract: reset() and step() allocate nothing. They return views into buffers
// the environment owns and reuses, so a caller that needs to keep a state beyond the next
// step must copy it (the replay buffer copies on push).
//
// This file imports nothing from Node.

import type { Rng } from "../rng.js";
import type { States } from "../core/state.js";

/** What one step returns. The object and its arrays are owned by the environment and reused by every step. */
export interface StepResult {
  /** Per-slot rewards (K): flags 1 = "not skipped", 0 = skipped, or graded values in [0, 1]. */
  rewards: Float32Array;
  /** The scalar list reward the agent learns from (for LIRD: the similarity-weighted discounted list reward). */
  reward: number;
  /** The next state (N plays, oldest first): the last N of the current state and the K listed tracks, with their feedback. */
  next: States;
  /** True when this step ended the episode; call reset() before stepping again. */
  done: boolean;
}

/**
 * An environment over sessions of track indices.
 *
 * - `reset(rng)` starts a new episode and returns its first state: views of N track indices and
 *   their N feedback flags, oldest first. All randomness of the start comes from `rng`.
 * - `step(list)` plays the recommended list from the current state.
 *   `list` must hold exactly K distinct track indices, each in [0, V) and none of them in the
 *   current state (the list-wise action excludes what was just heard). Environments check
 *   this and throw an Error naming the offending slot.
 *   The caller keeps ownership of `list`; the environment does not retain it.
 *
 * View lifetime (double buffering): step() never writes into the state it starts from, so
 * right after `const r = env.step(list)` both that state (from reset() or the previous
 * step's `r.next`) and the new `r.next` are intact and can be read together, e.g. to push
 * a transition. Any later reset() or step() may overwrite either of them.
 *
 * step() before the first reset(), or after a step that returned done, throws.
 */
export interface Environment {
  readonly N: number;
  readonly K: number;
  reset(rng: Rng): States;
  step(list: Int32Array): StepResult;
}

/**
 * Advance a state window by one list: `out` ← the last N plays of (state ++ list), where the
 * list's track k carries feedback kept = rewards[k] > 0. Every listed track is played (kept or
 * skipped), so it enters the state either way, with its flag.
 *
 * state (N), list (K), rewards (K), out (N). `out` may be the same storage as `state` (in
 * place). Allocates nothing.
 */
export function advanceState(state: States, list: Int32Array, rewards: ArrayLike<number>, out: States): void {
  const N = state.tracks.length, K = list.length;
  if (out.tracks.length !== N || state.kept.length !== N || out.kept.length !== N) throw new Error(`advanceState: state and out must hold N = ${N} tracks and flags`);
  if (rewards.length !== K) throw new Error(`advanceState: rewards has length ${rewards.length}, list has ${K}`);
  if (K >= N) {
    for (let n = 0; n < N; n++) {
      out.tracks[n] = list[K - N + n];
      out.kept[n] = rewards[K - N + n] > 0 ? 1 : 0;
    }
    return;
  }
  // Shift left by K (ascending copy is safe when out === state), then append.
  for (let n = 0; n < N - K; n++) {
    out.tracks[n] = state.tracks[n + K];
    out.kept[n] = state.kept[n + K];
  }
  for (let k = 0; k < K; k++) {
    out.tracks[N - K + k] = list[k];
    out.kept[N - K + k] = rewards[k] > 0 ? 1 : 0;
  }
}

/**
 * Check a recommended list against the Environment contract: length K, integer indices in
 * [0, V), pairwise distinct, none in `state`. Throws an Error naming `who` and the slot.
 * O(K² + K·N) comparisons, no allocation on success.
 */
export function checkList(list: Int32Array, state: Int32Array, K: number, V: number, who: string): void {
  if (list.length !== K) throw new Error(`${who}: list has ${list.length} tracks, expected K = ${K}`);
  for (let k = 0; k < K; k++) {
    const t = list[k];
    if (t < 0 || t >= V) throw new Error(`${who}: list[${k}] = ${t} is not a track index in [0, ${V})`);
    for (let j = 0; j < k; j++) if (list[j] === t) throw new Error(`${who}: list[${k}] = ${t} repeats list[${j}]`);
    for (let n = 0; n < state.length; n++) if (state[n] === t) throw new Error(`${who}: list[${k}] = ${t} is already in the state (position ${n})`);
  }
}
