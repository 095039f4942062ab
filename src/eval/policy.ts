// The one Policy interface every recommender implements — DDPG and every baseline — so that
// each evaluation protocol treats them identically.

import type { Rng } from "../rng.js";

export interface Policy {
  /** Short stable name used in reports ("ddpg", "random", "popular", "item-knn", "oracle", …). */
  readonly name: string;
  /**
   * Recommend K tracks for each of B states: writes (B, K) track indices into `out`, best
   * first. Each row's K tracks are distinct, and none is in that row's state (B, N) nor in its
   * extra exclusions when given ((B, X) with -1 padding). `rng` serves policies that randomise
   * (random, tie-breaking, exploration); deterministic policies ignore it.
   */
  recommend(states: Int32Array, B: number, K: number, out: Int32Array, rng: Rng, exclude?: { ids: Int32Array; X: number }): void;
}
