// The candidate sources an agent can re-rank with, by name, fitted on training sessions: the
// same models the baselines are, as src/core/candidates.ts sources. A model records the names
// (DdpgConfig.sources); whoever loads it fits them again on the same training split.
//
// This file imports nothing from Node.
import type { CandidateSource } from "../core/candidates.js";
import { ItemKnnPolicy, ItemKnnSource, PopularSource, type TrainingSessions } from "./baselines.js";
import { MarkovSource, SessionKnnSource, SKNN_DEFAULTS, VSKNN_DEFAULTS } from "./session-baselines.js";

export const SOURCE_NAMES = ["popular", "item-knn", "markov", "sknn", "vsknn"] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

/** Fit the named sources on the training sessions, in the order given. */
export function fitSources(names: readonly string[], tr: TrainingSessions): CandidateSource[] {
  return names.map((n) => {
    switch (n as SourceName) {
      case "popular": return PopularSource.fit(tr);
      case "item-knn": return new ItemKnnSource(ItemKnnPolicy.fit(tr));
      case "markov": return MarkovSource.fit(tr);
      case "sknn": return SessionKnnSource.fit(tr, SKNN_DEFAULTS);
      case "vsknn": return SessionKnnSource.fit(tr, VSKNN_DEFAULTS);
      default: throw new Error(`unknown candidate source '${n}' (known: ${SOURCE_NAMES.join(", ")})`);
    }
  });
}
