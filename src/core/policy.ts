// The one Policy interface every recommender implements (the RL agent, every baseline, the
// oracle), so every evaluation protocol and environment treats them identically. It sits below
// rl/, agent/ and eval/, which all import it.

import type { Rng } from "../rng.js";
import type { States } from "./state.js";

export interface Policy {
  /** Short stable name used in reports ("ddpg", "random", "popular", "item-knn", "oracle", …). */
  readonly name: string;
  /**
   * Recommend K tracks for each of B states: writes (B, K) track indices into `out`, best
   * first. Each row's K tracks are distinct, and none is in that row's state (B, N) nor in its
   * extra exclusions when given ((B, X) with -1 padding). `rng` serves policies that randomise
   * (random, tie-breaking, exploration); deterministic policies ignore it. Policies that do not
   * read feedback ignore `states.kept`.
   */
  recommend(states: States, B: number, K: number, out: Int32Array, rng: Rng, exclude?: { ids: Int32Array; X: number }): void;
  /**
   * Optional, for policies that read the environment itself (the listener's oracle): the online
   * protocol calls it before each recommend() with, for rows 0..count-1 of that call, the index of
   * the environment (in the list it runs in lockstep) the row's state comes from.
   */
  onlineRows?(envOfRow: Int32Array, count: number): void;
}
