// The one Environment interface every simulator implements (the LIRD offline simulator, the
// online listener simulator), and the helpers they share: advancing a state window by the
// tracks that were kept, and checking a recommended list against the contract.
//
// Dimensions: N = state length (most recent track indices of a session, oldest first),
// K = list length (recommended track indices per step).
//
// Hot-loop contract: reset() and step() allocate nothing. They return views into buffers
// the environment owns and reuses, so a caller that needs to keep a state beyond the next
// step must copy it (the replay buffer copies on push).
//
// This file imports nothing from Node.

import type { Rng } from "../rng.js";

/** What one step returns. The object and its arrays are owned by the environment and reused by every step. */
export interface StepResult {
  /** Per-slot rewards (K): flags 1 = "not skipped", 0 = skipped, or graded values in [0, 1]. */
  rewards: Float32Array;
  /** The scalar list reward the agent learns from (for LIRD: the similarity-weighted discounted list reward). */
  reward: number;
  /** The next state (N track indices, oldest first). */
  next: Int32Array;
  /** True when this step ended the episode; call reset() before stepping again. */
  done: boolean;
}

/**
 * An environment over sessions of track indices.
 *
 * - `reset(rng)` starts a new episode and returns its first state: a view of N track indices,
 *   oldest first. All randomness of the start comes from `rng`.
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
  reset(rng: Rng): Int32Array;
  step(list: Int32Array): StepResult;
}

/**
 * Advance a state window: `out` ← the last N entries of (state ++ the tracks of `list` whose
 * `kept[k] > 0`, in list order). Skipped tracks are not appended; when nothing is kept the
 * state is unchanged. When more than N tracks are kept only the last N survive.
 *
 * state (N), list (K), kept (K), out (N). `out` may be the same array as `state` (in place).
 * Allocates nothing. Returns the number of tracks appended.
 */
export function advanceState(state: Int32Array, list: Int32Array, kept: ArrayLike<number>, out: Int32Array): number {
  const N = state.length, K = list.length;
  if (out.length !== N) throw new Error(`advanceState: out has length ${out.length}, state has ${N}`);
  if (kept.length !== K) throw new Error(`advanceState: kept has length ${kept.length}, list has ${K}`);
  let m = 0;
  for (let k = 0; k < K; k++) if (kept[k] > 0) m++;
  if (m >= N) {
    // Only the last N kept tracks fit.
    let skip = m - N, j = 0;
    for (let k = 0; k < K; k++) {
      if (!(kept[k] > 0)) continue;
      if (skip > 0) { skip--; continue; }
      out[j++] = list[k];
    }
    return m;
  }
  // Shift left by m (ascending copy is safe when out === state), then append.
  for (let n = 0; n < N - m; n++) out[n] = state[n + m];
  let j = N - m;
  for (let k = 0; k < K; k++) if (kept[k] > 0) out[j++] = list[k];
  return m;
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
