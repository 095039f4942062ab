// The candidate sources an agent can re-rank with, by name, fitted on training sessions: the
// same models the baselines are, as src/core/candidates.ts sources. A model records the names
// (DdpgConfig.sources); whoever loads it fits them again on the same training split.
//
// This file imports nothing from Node.
import type { CandidateSource, SourceSessions } from "../core/candidates.js";
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

/** The listed training sessions as a compact CSR (rows copied in order): what a model file carries for its sources. */
export function compactSessions(tr: TrainingSessions): SourceSessions {
  const S = tr.sessionOffsets.length - 1;
  const ids = tr.sessions ?? Int32Array.from({ length: S }, (_, s) => s);
  let rows = 0;
  for (let i = 0; i < ids.length; i++) rows += tr.sessionOffsets[ids[i] + 1] - tr.sessionOffsets[ids[i]];
  const offsets = new Int32Array(ids.length + 1), tracks = new Int32Array(rows), flags = new Uint16Array(rows);
  if (!tr.flags) throw new Error("candidate sources: the training sessions need their per-row flags");
  for (let i = 0, r = 0; i < ids.length; i++) {
    const a = tr.sessionOffsets[ids[i]], b = tr.sessionOffsets[ids[i] + 1];
    tracks.set(tr.tracks.subarray(a, b), r);
    flags.set(tr.flags.subarray(a, b), r);
    r += b - a;
    offsets[i + 1] = r;
  }
  return { V: tr.V, sessionOffsets: offsets, tracks, flags };
}
