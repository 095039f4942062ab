// Why the scores of a recommended list are not in decreasing order, and how to read them.
// A list-wise actor gives each of its K slots its own weight vector w_k; slot k scores every
// track as w_k · e_i and takes its best track not already heard and not taken by slots
// 1..k−1. So the list is in slot order, and slot 2's score is on slot 2's scale, not slot 1's:
// 0.0143, 0.0066, 0.0130 is a normal list. This module puts each score on its own slot's
// scale: the range of that slot's scores over the eligible catalog (tracks not in the
// history) and the pick's rank among them (1 unless an earlier slot took a track this slot
// liked better).
//
// The scores are recomputed here in f64 from the weight vectors and the embeddings; when the
// recomputed score of a pick does not match the one the engine returned (the model scores
// with more than w · e, e.g. a per-track bias), slotScales returns null rather than a scale
// for a different score. Imports nothing.

/** One slot of a list on its own scale. */
export interface SlotScale {
  /** 1-based slot (the list position). */
  slot: number;
  /** The pick's score under this slot's weight vector. */
  score: number;
  /** The pick's rank among the eligible tracks under this slot's vector (1 = its best). */
  rank: number;
  /** Tracks eligible for the list (the catalog minus the history). */
  eligible: number;
  /** Lowest and highest score this slot gives an eligible track. */
  min: number;
  max: number;
}

/**
 * Each slot's scale (see the file header). w: the K weight vectors (K·d); E: the catalog (V·d);
 * exclude: the history's track indices; picks and scores: the list as recommended (K each).
 * Null when a pick's recomputed score differs from `scores` beyond f32 rounding.
 */
export function slotScales(w: ArrayLike<number>, K: number, d: number, E: ArrayLike<number>, V: number, exclude: ArrayLike<number>, picks: ArrayLike<number>, scores: ArrayLike<number>): SlotScale[] | null {
  if (w.length < K * d) throw new Error(`slotScales: ${w.length} weights, need K·d = ${K * d}`);
  if (E.length < V * d) throw new Error(`slotScales: ${E.length} embedding values, need V·d = ${V * d}`);
  const excluded = new Uint8Array(V);
  for (let i = 0; i < exclude.length; i++) if (exclude[i] >= 0 && exclude[i] < V) excluded[exclude[i]] = 1;
  let eligible = 0;
  for (let t = 0; t < V; t++) if (!excluded[t]) eligible++;
  const out: SlotScale[] = [];
  for (let k = 0; k < K; k++) {
    const pick = picks[k];
    if (!(pick >= 0 && pick < V)) throw new Error(`slotScales: slot ${k + 1} holds ${pick}, not a track in 0..${V - 1}`);
    // the pick's score in f64, and the size of its terms (for the f32 rounding bound)
    let own = 0, mag = 0;
    for (let j = 0; j < d; j++) {
      const x = w[k * d + j] * E[pick * d + j];
      own += x;
      mag += Math.abs(x);
    }
    // an f32 dot product of d terms is within about d·2^-24 of the sum of |terms| of the exact one
    if (!(Math.abs(own - scores[k]) <= 4 * d * 2 ** -24 * mag + 1e-30)) return null;
    let min = Infinity, max = -Infinity, above = 0;
    for (let t = 0; t < V; t++) {
      if (excluded[t]) continue;
      let s = 0;
      for (let j = 0; j < d; j++) s += w[k * d + j] * E[t * d + j];
      if (s < min) min = s;
      if (s > max) max = s;
      if (s > own) above++;
    }
    out.push({ slot: k + 1, score: scores[k], rank: above + 1, eligible, min, max });
  }
  return out;
}

/** The one-sentence explanation the CLI and the demo page show above a list's scores. */
/** What the scores of a re-ranked list mean (the listwise networks' lists). */
export const RERANK_EXPLANATION =
  "The critic chose this list among the tracks the actor's weight vectors and the candidate sources proposed: each score is the critic's value " +
  "of that track for this listener (its expected share of the list's reward, close to the chance it is kept), so the list runs from the highest score down.";

export const SCORE_EXPLANATION =
  "Each slot scores the catalog with its own weight vector (score = w_k · e) and takes its best track not yet heard or taken by an earlier slot, " +
  "so the list is in slot order and scores of different slots are on different scales; rank is the track's place under its own slot's vector.";
