// Tuning baselines without touching the test sessions: a validation split carved out of the
// training sessions, and a quick next-track measurement on it (hit rate@K and kept hit
// rate@K, averaged per session then over sessions, as the next-tracks protocol averages).
//
//   hit@K       1 when any of the K recommended tracks is among the K tracks played next
//   kept hit@K  1 when any of them is among those of the K next plays that were NOT skipped
//               (skip_2 false): the listener heard it through
//
// No bootstrap: this is for comparing settings on the same states (paired), not for reporting
// intervals; the protocols (protocols.ts) report the final figures.
//
// This file imports nothing from Node.
import { buildSamples, type SessionRows } from "../data/samples.js";
import { splitSessions } from "../data/split.js";
import type { Policy } from "../core/policy.js";
import { Rng } from "../rng.js";
import { recommendAll } from "./protocols.js";

/** Fit and validation sessions carved out of `train` (dataset session indices), both ascending. */
export function validationSplit(train: ArrayLike<number>, opts: { fitFraction?: number; seed?: number } = {}): { fit: Int32Array; validation: Int32Array } {
  const cut = splitSessions(train.length, { trainFraction: opts.fitFraction ?? 0.7, seed: opts.seed ?? 0 });
  const pick = (ix: Int32Array): Int32Array => Int32Array.from(ix, (i) => train[i]).sort();
  return { fit: pick(cut.train), validation: pick(cut.test) };
}

export interface HitRates {
  /** Mean over sessions of the per-session mean hit@K. */
  hit: number;
  /** The same for kept hit@K. */
  keptHit: number;
  /** Sessions with at least one position, and positions (states) evaluated. */
  sessions: number;
  states: number;
}

/**
 * Hit rate@K and kept hit rate@K of each policy on the chronological next-track samples of
 * `sessions` (every position p >= N with K rows left, as the next-tracks protocol).
 */
export function nextTrackHitRates(data: SessionRows & { readonly trackCount: number }, sessions: ArrayLike<number>, policies: readonly Policy[], opts: { N?: number; K?: number; seed?: number; batch?: number } = {}): Map<string, HitRates> {
  const N = opts.N ?? 10, K = opts.K ?? 3, batch = opts.batch ?? 128;
  const smp = buildSamples(data, sessions, { N, K, mode: "chronological" });
  const U = smp.count, out = new Int32Array(U * K);
  const result = new Map<string, HitRates>();
  for (const policy of policies) {
    recommendAll(policy, { tracks: smp.states, kept: smp.stateKept }, U, N, K, out, new Rng(opts.seed ?? 0), batch, data.trackCount);
    let sumHit = 0, sumKept = 0, nSess = 0, i = 0;
    while (i < U) {
      const s = smp.session[i];
      let h = 0, kh = 0, n = 0;
      for (; i < U && smp.session[i] === s; i++, n++) {
        let hit = 0, kept = 0;
        for (let k = 0; k < K; k++) {
          const t = out[i * K + k];
          for (let j = 0; j < K; j++) {
            if (smp.actions[i * K + j] !== t) continue;
            hit = 1;
            if (smp.rewards[i * K + j]) kept = 1;
          }
        }
        h += hit;
        kh += kept;
      }
      sumHit += h / n;
      sumKept += kh / n;
      nSess++;
    }
    result.set(policy.name, { hit: nSess ? sumHit / nSess : NaN, keptHit: nSess ? sumKept / nSess : NaN, sessions: nSess, states: U });
  }
  return result;
}
