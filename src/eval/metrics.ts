// Per-list metrics of the evaluation protocols. Each function scores ONE recommended list
// against one ground truth; the protocols average them per unit (session, episode) and
// bootstrap over units (bootstrap.ts).
//
// Dimensions: K = list length, T = ground-truth length (the tracks actually played next),
// D = vector size of the diversity space.
//
// Definitions (binary relevance: a recommended track is relevant when it is among the truth):
//   hit@K        = 1 if any of the K recommended tracks is in the truth, else 0
//   precision@K  = |{k < K : rec_k ∈ truth}| / K
//   NDCG@K       = DCG / IDCG,  DCG = Σ_{k<K} rel_k / log2(k + 2)  (rank k = 0 is the best slot),
//                  IDCG = Σ_{k < min(K, distinct truth tracks)} 1 / log2(k + 2)
//                  (Järvelin & Kekäläinen 2002, with the common 1/log2(rank + 1) discount)
//   kept_hit@K   = 1 if any of the K recommended tracks is a KEPT truth track, else 0: a truth
//                  track is kept when one of its rows among the truth was played and not
//                  skipped (skip_2 false); a hit on a track the listener skipped does not count
//   kept_NDCG@K  = NDCG@K with relevance 1 only for kept truth tracks: DCG over the kept truth,
//                  IDCG = Σ_{k < min(K, distinct kept truth tracks)} 1 / log2(k + 2); a truth
//                  with no kept track has IDCG = 0 and scores 0 (for every policy alike: such
//                  rows lower every policy's mean equally and cannot reorder policies)
//   intra-list diversity = 1 − mean over the K(K−1)/2 pairs of cos(v_i, v_j) (Ziegler et al.
//                  2005; the original project's formula, sklearn cosine_similarity with a zero
//                  vector's cosine taken as 0)
//   novelty      = mean over the list of −log2 p(t), p(t) = (plays_t + 1) / (Σ plays + V), the
//                  add-one smoothed share of training plays (Zhou et al. 2010's self-information;
//                  smoothing keeps tracks never played in training finite)
//
// Lists and truths are read at offsets of flat arrays so the protocols' loops allocate nothing.
// This file imports nothing from Node.
import { DIVERSITY_FEATURES } from "../data/schema.js";
import { FEATURE_COLUMNS, NFEAT } from "../data/tf-parser.js";

/** rec[ro .. ro+K) contains t? */
function inList(a: ArrayLike<number>, o: number, n: number, t: number): boolean {
  for (let i = 0; i < n; i++) if (a[o + i] === t) return true;
  return false;
}

/** hit@K: 1 when any of rec[ro .. ro+K) is in truth[to .. to+T), else 0. */
export function hitAtK(rec: ArrayLike<number>, ro: number, K: number, truth: ArrayLike<number>, to: number, T: number): number {
  for (let k = 0; k < K; k++) if (inList(truth, to, T, rec[ro + k])) return 1;
  return 0;
}

/** precision@K: share of the K recommended tracks that are in the truth. */
export function precisionAtK(rec: ArrayLike<number>, ro: number, K: number, truth: ArrayLike<number>, to: number, T: number): number {
  let h = 0;
  for (let k = 0; k < K; k++) if (inList(truth, to, T, rec[ro + k])) h++;
  return h / K;
}

/** NDCG@K with binary relevance (see the file header); 0 when the truth is empty. */
export function ndcgAtK(rec: ArrayLike<number>, ro: number, K: number, truth: ArrayLike<number>, to: number, T: number): number {
  let dcg = 0;
  for (let k = 0; k < K; k++) if (inList(truth, to, T, rec[ro + k])) dcg += 1 / Math.log2(k + 2);
  let distinct = 0;
  for (let i = 0; i < T; i++) if (!inList(truth, to, i, truth[to + i])) distinct++;
  let idcg = 0;
  for (let k = 0; k < Math.min(K, distinct); k++) idcg += 1 / Math.log2(k + 2);
  return idcg > 0 ? dcg / idcg : 0;
}

/** truth[to+i] is kept: one of its rows in truth[to .. to+T) has kept ≠ 0. */
function keptInTruth(truth: ArrayLike<number>, kept: ArrayLike<number>, to: number, T: number, t: number): boolean {
  for (let i = 0; i < T; i++) if (truth[to + i] === t && kept[to + i]) return true;
  return false;
}

/**
 * kept_hit@K: 1 when any of rec[ro .. ro+K) is a kept truth track (see the file header);
 * kept[to .. to+T) holds 1 for a truth row played and not skipped, 0 for a skipped one.
 */
export function keptHitAtK(rec: ArrayLike<number>, ro: number, K: number, truth: ArrayLike<number>, kept: ArrayLike<number>, to: number, T: number): number {
  for (let k = 0; k < K; k++) if (keptInTruth(truth, kept, to, T, rec[ro + k])) return 1;
  return 0;
}

/** kept_NDCG@K: NDCG with relevance 1 for kept truth tracks only; 0 when no truth track was kept. */
export function keptNdcgAtK(rec: ArrayLike<number>, ro: number, K: number, truth: ArrayLike<number>, kept: ArrayLike<number>, to: number, T: number): number {
  let dcg = 0;
  for (let k = 0; k < K; k++) if (keptInTruth(truth, kept, to, T, rec[ro + k])) dcg += 1 / Math.log2(k + 2);
  let distinct = 0;
  for (let i = 0; i < T; i++) {
    const t = truth[to + i];
    if (!kept[to + i]) continue;
    // count t once: at its first kept row
    let first = true;
    for (let j = 0; j < i; j++) if (truth[to + j] === t && kept[to + j]) first = false;
    if (first) distinct++;
  }
  let idcg = 0;
  for (let k = 0; k < Math.min(K, distinct); k++) idcg += 1 / Math.log2(k + 2);
  return idcg > 0 ? dcg / idcg : 0;
}

/** cos(a[ao .. ao+D), b[bo .. bo+D)); 0 when either vector is zero. */
export function cosine(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, D: number): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < D; i++) {
    const x = a[ao + i], y = b[bo + i];
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/**
 * Intra-list diversity of K vectors at rows[ro .. ro+K) of the row-major matrix `vectors`
 * (rows of D): 1 − mean pairwise cosine. NaN when K < 2 (no pair).
 */
export function intraListDiversity(vectors: ArrayLike<number>, D: number, rows: ArrayLike<number>, ro: number, K: number): number {
  if (K < 2) return NaN;
  let s = 0;
  for (let i = 0; i < K; i++) for (let j = i + 1; j < K; j++) s += cosine(vectors, rows[ro + i] * D, vectors, rows[ro + j] * D, D);
  return 1 - s / ((K * (K - 1)) / 2);
}

/** Self-information −log2 p(t) of track t under add-one smoothed training plays (see the header). */
export function selfInformation(playCount: ArrayLike<number>, totalPlays: number, t: number): number {
  return -Math.log2((playCount[t] + 1) / (totalPlays + playCount.length));
}

/** Novelty of rec[ro .. ro+K): mean self-information of its tracks. */
export function novelty(rec: ArrayLike<number>, ro: number, K: number, playCount: ArrayLike<number>, totalPlays: number): number {
  let s = 0;
  for (let k = 0; k < K; k++) s += selfInformation(playCount, totalPlays, rec[ro + k]);
  return s / K;
}

/** Column indices of the 8 diversity audio features in the dataset's feature matrix. */
export const DIVERSITY_COLUMNS: readonly number[] = DIVERSITY_FEATURES.map((c) => {
  const j = FEATURE_COLUMNS.indexOf(c);
  if (j < 0) throw new Error(`metrics: diversity feature ${c} is not a feature column`);
  return j;
});

/**
 * Vectors that intra-list diversity is measured in, per track: rowOf[t] is track t's row in
 * `vectors` (rows of D), or −1 when the track has none.
 */
export class DiversitySpace {
  private readonly rows: Int32Array;

  constructor(
    /** "audio" (the 8 audio features) or "embedding" (learned track vectors). */
    readonly kind: "audio" | "embedding",
    readonly vectors: Float32Array | Float64Array,
    readonly D: number,
    readonly rowOf: Int32Array,
    maxK = 64,
  ) {
    if (vectors.length % D !== 0) throw new Error(`DiversitySpace: ${vectors.length} values are not rows of ${D}`);
    this.rows = new Int32Array(maxK);
  }

  /** The 8 audio features of the tracks that have features (featureRow[t] < 0: none). */
  static audio(featureRow: Int32Array, features: Float32Array): DiversitySpace {
    if (features.length % NFEAT !== 0) throw new Error(`DiversitySpace.audio: feature matrix of ${features.length} values is not rows of ${NFEAT}`);
    const F = features.length / NFEAT, D = DIVERSITY_COLUMNS.length;
    const v = new Float32Array(F * D);
    for (let r = 0; r < F; r++) for (let j = 0; j < D; j++) v[r * D + j] = features[r * NFEAT + DIVERSITY_COLUMNS[j]];
    for (let t = 0; t < featureRow.length; t++) {
      if (featureRow[t] >= F) throw new Error(`DiversitySpace.audio: track ${t} points at feature row ${featureRow[t]}, only ${F} rows`);
    }
    return new DiversitySpace("audio", v, D, featureRow);
  }

  /** Track embeddings, V rows of d (every track has a vector). */
  static embedding(E: Float32Array, V: number, d: number): DiversitySpace {
    if (E.length < V * d) throw new Error(`DiversitySpace.embedding: ${E.length} values, need V·d = ${V * d}`);
    const rowOf = new Int32Array(V);
    for (let t = 0; t < V; t++) rowOf[t] = t;
    return new DiversitySpace("embedding", E.subarray(0, V * d), d, rowOf);
  }

  /** Tracks that have a vector. */
  countCovered(): number {
    let c = 0;
    for (let t = 0; t < this.rowOf.length; t++) if (this.rowOf[t] >= 0) c++;
    return c;
  }

  /** Diversity of the list tracks[o .. o+K), or NaN when a track has no vector or K < 2. */
  listDiversity(tracks: ArrayLike<number>, o: number, K: number): number {
    if (K > this.rows.length) throw new Error(`DiversitySpace: list of ${K} longer than maxK ${this.rows.length}`);
    for (let k = 0; k < K; k++) {
      const t = tracks[o + k];
      const r = t >= 0 && t < this.rowOf.length ? this.rowOf[t] : -1;
      if (r < 0) return NaN;
      this.rows[k] = r;
    }
    return intraListDiversity(this.vectors, this.D, this.rows, 0, K);
  }
}
