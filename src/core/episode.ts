// What one training episode reports: the JSON lines `encore train --json` prints, the training
// curves of the report, and the demo page's live curve. Below agent/, eval/ and report/.

/** One training episode's metrics. */
export interface EpisodeMetrics {
  episode: number;
  steps: number;
  /** Sum of the environment's list rewards over the episode. */
  reward: number;
  /** Mean Q(s, a) of the critic on the replayed batches of the episode's updates (NaN before the first update). */
  meanQ: number;
  /** Mean critic TD loss over the episode's updates. */
  criticLoss: number;
  /** Mean actor objective (mean Q under the current critic) over the updates. */
  actorObjective: number;
  /** Updates made in the episode. */
  updates: number;
  /** Exploration noise σ at the episode's end. */
  noise: number;
  /**
   * On episodes after which the trainer ran its periodic evaluation (greedy episodes, no
   * exploration): the mean Q the critic predicted for the (state, list) pairs it acted on, and
   * the mean discounted return Σ_t γ^t r_t actually measured from those same pairs on. Their gap
   * shows over- or under-estimation (absent on other episodes).
   */
  evalPredictedQ?: number;
  evalReturn?: number;
}
