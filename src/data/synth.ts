// Synthetic MSSD, part 1: the ground-truth listener model and its track catalog.
//
// encore's built-in data. A seeded catalog of tracks with latent taste vectors grouped in genres,
// audio features derived from those latents (so features carry real signal), Zipf popularity,
// and a listener whose skip probability follows from the match between its (drifting) taste and
// a track, plus a position effect. The same model is the simulation platform for the online
// environment and the oracle policy: start a listener, ask p(skip) for any candidate, sample a
// skip, advance the listener.
//
// Pure TypeScript, no `node:` imports (runs in browsers). The CSV text lives in synth-log.ts, the
// file writing in synth-write.ts. Exponentials, logs and powers come from src/dmath.ts, so every
// JavaScript engine draws the same catalog, listeners and skips.
//
// Skip model (logistic, all terms documented in SynthModelOptions):
//   logit p(skip) = intercept + context[c] + shuffle·[is_shuffle] + bias + mood
//                   − positionEffect · positionDecay^(pos − 1)
//                   − matchWeight · (taste · latent_i)            (both unit vectors: a cosine)
//                   − popularityWeight · z(log popularity_i)
// Taste drift after a play (state.taste is renormalised to unit length each step):
//   listened: u ← u + driftRate · (v_i − u);  skipped: u ← u − skipRepulsion · v_i;  then
//   u ← u + driftNoise · ε/√D, ε uniform with unit variance per component;  mood ← φ·mood + √(1 − φ²)·moodSd·N(0, 1).

import { Rng, type RngState } from "../rng.js";
import { exp, log, logistic, pow, tanh } from "../dmath.js";
import { CONTEXT_TYPES } from "./schema.js";

export type ContextType = (typeof CONTEXT_TYPES)[number];

/**
 * Context-type proportions of the real slice (row shares of log_mini, in CONTEXT_TYPES order:
 * user_collection, catalog, editorial_playlist, radio, personalized_playlist, charts).
 */
export const CONTEXT_PROPORTIONS: readonly number[] = [0.405, 0.227, 0.208, 0.127, 0.019, 0.015];

/**
 * Per-context logit offsets, logit(real skip_2 rate of the context) − logit(0.517), measured on the
 * real slice: user_collection 54.1%, catalog 45.8%, editorial 51.4%, radio 55.6%, personalized 45.8%,
 * charts 57.6%.
 */
const CONTEXT_OFFSETS: readonly number[] = [0.095, -0.235, -0.012, 0.156, -0.235, 0.24];

export interface SynthModelOptions {
  /** Seed of the catalog (latents, features, popularity, ids). Default 0. */
  seed: number;
  /**
   * Catalog size. Default 10,000: with the default 10,000 sessions (~160,000 plays) and Zipf 0.8
   * popularity, most tracks are played several times (enough for item embeddings and item-kNN to be
   * learnable), the head is clearly popular, and a V×32 f32 embedding table stays at 1.3 MB.
   */
  numTracks: number;
  /** Genres (clusters of latent taste vectors). Default 24. */
  numGenres: number;
  /** Latent taste dimension D. Default 16. */
  latentDim: number;
  /** Zipf exponent s: the track of popularity rank r (0-based) has weight (r + 1)^−s. Default 0.8. */
  zipfExponent: number;
  /** Genre sizes ∝ (g + 1)^−genreSizeExponent. Default 0.6. */
  genreSizeExponent: number;
  /** Track latent = normalize(centroid + genreSpread · ε/√D); cos to centroid ≈ 1/√(1+s²). Default 0.75. */
  genreSpread: number;
  /** Listener taste at the start = normalize(home centroid + listenerSpread · ε/√D). Default 0.6. */
  listenerSpread: number;
  /** Share of each audio feature's (pre-transform) variance that comes from the latent. Default 0.7. */
  featureSignal: number;
  /**
   * Skip-model intercept. Calibrated with positionEffect by bisection on simulated default logs
   * (10,000 sessions, catalog seeds 0..7): overall skip_2 51.9% (51.4..52.9), position 1 37.9%.
   */
  intercept: number;
  /** Weight of the taste·track cosine. Default 3.5. */
  matchWeight: number;
  /** Weight of the standardised log popularity (popular tracks are skipped a little less). Default 0.25. */
  popularityWeight: number;
  /** Logit reduction at position 1 (calibrated with the intercept: position-1 skip_2 ≈ 38%). */
  positionEffect: number;
  /** Geometric decay of the position effect per position. Default 0.4 (real: 38, 47, 51, 53%, flat). */
  positionDecay: number;
  /** Extra logit when the listener is in shuffle mode (real: 55.6% vs 50.0%). Default 0.2. */
  shuffleEffect: number;
  /** Standard deviation of a listener's personal skip propensity (logit). Default 2.0 (real per-session skip rates spread almost uniformly over 0..1). */
  listenerBiasSd: number;
  /** Stationary standard deviation of the AR(1) mood term (logit). Default 0.6. */
  moodSd: number;
  /** Mood persistence φ per track. Default 0.8. */
  moodPersistence: number;
  /** Taste pull towards a track listened to. Default 0.12. */
  driftRate: number;
  /** Taste push away from a skipped track. Default 0.04. */
  skipRepulsion: number;
  /** Random-walk noise of the taste per track. Default 0.08. */
  driftNoise: number;
  /** Probability that a new listener is in shuffle mode (real: 30.5% of sessions). */
  shuffleRate: number;
  /** Probability that a new listener is premium (real: 80.2% of sessions). */
  premiumRate: number;
}

export const DEFAULT_SYNTH_MODEL_OPTIONS: Readonly<SynthModelOptions> = Object.freeze({
  seed: 0,
  numTracks: 10_000,
  numGenres: 24,
  latentDim: 16,
  zipfExponent: 0.8,
  genreSizeExponent: 0.6,
  genreSpread: 0.75,
  listenerSpread: 0.6,
  featureSignal: 0.7,
  intercept: 2.05,
  matchWeight: 3.5,
  popularityWeight: 0.25,
  positionEffect: 1.11,
  positionDecay: 0.4,
  shuffleEffect: 0.2,
  listenerBiasSd: 2.0,
  moodSd: 0.6,
  moodPersistence: 0.8,
  driftRate: 0.12,
  skipRepulsion: 0.04,
  driftNoise: 0.08,
  shuffleRate: 0.305,
  premiumRate: 0.802,
});

/** One listener's session state. Mutable: ListenerModel.observe advances it in place. */
export interface ListenerState {
  /** Current taste, unit length (D). */
  taste: Float64Array;
  /** Personal skip propensity (logit, fixed for the session). */
  bias: number;
  /** AR(1) mood term (logit, changes every track). */
  mood: number;
  /** Index into CONTEXT_TYPES; may be changed by the caller (a context switch). */
  context: number;
  shuffle: boolean;
  premium: boolean;
  /** The genre the listener's taste started from. */
  homeGenre: number;
  /** Tracks played so far; the next track is at session position `position + 1`. */
  position: number;
  /** The listener's own stream: sampleSkip and observe draw from it (nothing else does). */
  rng: Rng;
}

export interface NewListenerOptions {
  context?: number | ContextType;
  shuffle?: boolean;
  premium?: boolean;
  homeGenre?: number;
}

/** Audio-feature columns of the tf file held numerically (TF_COLUMNS without track_id; mode: 1 major, 0 minor). */
export const TF_NUMERIC_COLUMNS = [
  "duration", "release_year", "us_popularity_estimate", "acousticness", "beat_strength", "bounciness",
  "danceability", "dyn_range_mean", "energy", "flatness", "instrumentalness", "key", "liveness", "loudness",
  "mechanism", "mode", "organism", "speechiness", "tempo", "time_signature", "valence",
  "acoustic_vector_0", "acoustic_vector_1", "acoustic_vector_2", "acoustic_vector_3",
  "acoustic_vector_4", "acoustic_vector_5", "acoustic_vector_6", "acoustic_vector_7",
] as const;
/** Number of numeric feature columns per track (29). */
export const F = TF_NUMERIC_COLUMNS.length;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** A version-4-UUID-shaped string (8-4-4-4-12 hex) from the RNG, optionally with its first 32 bits given. */
export function uuidFrom(rng: Rng, first32?: number): string {
  const a = first32 === undefined ? rng.u32() : first32 >>> 0;
  const b = rng.u32(), c = rng.u32(), d = rng.u32();
  const g3 = (b & 0x0fff) | 0x4000; // version nibble 4
  const g4 = ((c >>> 16) & 0x3fff) | 0x8000; // variant 10xx
  return (
    HEX[a >>> 24] + HEX[(a >>> 16) & 0xff] + HEX[(a >>> 8) & 0xff] + HEX[a & 0xff] + "-" +
    HEX[b >>> 24] + HEX[(b >>> 16) & 0xff] + "-" + HEX[g3 >>> 8] + HEX[g3 & 0xff] + "-" +
    HEX[g4 >>> 8] + HEX[g4 & 0xff] + "-" + HEX[(c >>> 8) & 0xff] + HEX[c & 0xff] +
    HEX[d >>> 24] + HEX[(d >>> 16) & 0xff] + HEX[(d >>> 8) & 0xff] + HEX[d & 0xff]
  );
}

/**
 * Inverse-CDF sampling: the index j in [lo, hi) of the first cumulative weight cum[j] > u·cum[hi − 1],
 * where cum[lo .. hi) is a non-decreasing running sum that starts afresh at lo. u in [0, 1).
 */
export function sampleCumulative(cum: Float64Array, u: number, lo = 0, hi = cum.length): number {
  const x = u * cum[hi - 1];
  let a = lo, b = hi - 1;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (cum[m] > x) b = m;
    else a = m + 1;
  }
  return a;
}

/** A 32-bit mix of two integers (for deriving independent seeds). */
export function mixSeed(a: number, b: number): number {
  let h = Math.imul((a >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul((b >>> 0) + 0x7f4a7c15, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function square(x: number): number {
  return x * x;
}

function sigmoid(x: number): number {
  return logistic(x);
}

function normalizeInPlace(v: Float64Array, off: number, n: number): void {
  let s = 0;
  for (let k = 0; k < n; k++) s += v[off + k] * v[off + k];
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let k = 0; k < n; k++) v[off + k] *= inv;
}

/**
 * The ground-truth listener model: a seeded catalog (latents, genres, popularity, audio features,
 * ids) and the skip / drift dynamics. All randomness comes from the seed (catalog) or from the Rng a
 * listener is created with.
 */
export class ListenerModel {
  readonly options: Readonly<SynthModelOptions>;
  /** Number of tracks T, genres G, latent dimension D. */
  readonly numTracks: number;
  readonly numGenres: number;
  readonly latentDim: number;
  /** Track latents, unit rows (T, D). */
  readonly latents: Float64Array;
  /** Genre centroids, unit rows (G, D). */
  readonly centroids: Float64Array;
  /** Genre of each track (T). */
  readonly genres: Int32Array;
  /** Popularity: probability of each track under popularity-biased sampling (T, sums to 1). */
  readonly popularity: Float64Array;
  /** Popularity rank of each track (0 = most popular) (T). */
  readonly popularityRank: Int32Array;
  /**
   * Numeric audio features, row per track in TF_NUMERIC_COLUMNS order (T, F), built on first use:
   * the online protocol's listener never reads them, and at MSSD's 3.7M tracks they are 0.9 GB
   * (plus 0.5 GB while building). Built from the random stream where the constructor left it, so
   * the values are the same whenever they are first asked for.
   */
  get features(): Float64Array {
    if (this.featureTable === null) {
      const rng = new Rng(0);
      rng.setState(this.featureRng);
      this.featureTable = buildFeatures(this, rng, this.options.featureSignal);
    }
    return this.featureTable;
  }
  private featureTable: Float64Array | null = null;
  private readonly featureRng: RngState;
  /** Track ids `t_<uuid>` (T). */
  readonly trackIds: readonly string[];
  /** Play share of each genre (G, sums to 1). */
  readonly genreWeights: Float64Array;

  private readonly popZ: Float64Array;
  private readonly globalCum: Float64Array;
  /** Tracks grouped by genre: genreTracks[genreStart[g] .. genreStart[g+1]) with cumulative popularity genreCum. */
  private readonly genreTracks: Int32Array;
  private readonly genreStart: Int32Array;
  private readonly genreCum: Float64Array;
  private readonly genreWeightCum: Float64Array;
  private readonly contextCum: Float64Array;
  private idIndex: Map<string, number> | null = null;

  constructor(options: Partial<SynthModelOptions> = {}) {
    const o: SynthModelOptions = { ...DEFAULT_SYNTH_MODEL_OPTIONS, ...options };
    for (const [k, v] of Object.entries(o)) {
      if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`ListenerModel: option ${k} must be a finite number, got ${v}`);
    }
    for (const k of ["numTracks", "numGenres", "latentDim"] as const) {
      if (!Number.isInteger(o[k]) || o[k] < 1) throw new Error(`ListenerModel: option ${k} must be a positive integer, got ${o[k]}`);
    }
    if (o.numGenres > o.numTracks) throw new Error(`ListenerModel: numGenres (${o.numGenres}) exceeds numTracks (${o.numTracks})`);
    if (!(o.featureSignal >= 0 && o.featureSignal <= 1)) throw new Error(`ListenerModel: featureSignal must be in [0,1], got ${o.featureSignal}`);
    if (!(o.moodPersistence >= 0 && o.moodPersistence < 1)) throw new Error(`ListenerModel: moodPersistence must be in [0,1), got ${o.moodPersistence}`);
    this.options = Object.freeze(o);
    const T = (this.numTracks = o.numTracks);
    const G = (this.numGenres = o.numGenres);
    const D = (this.latentDim = o.latentDim);
    const rng = new Rng(mixSeed(o.seed, 0x5eed_ca7a));
    const sqrtD = Math.sqrt(D);

    // Genre centroids: random unit vectors.
    const centroids = (this.centroids = new Float64Array(G * D));
    for (let i = 0; i < G * D; i++) centroids[i] = rng.normal();
    for (let g = 0; g < G; g++) normalizeInPlace(centroids, g * D, D);

    // Genre assignment: sizes ∝ (g+1)^-a, every genre gets at least one track.
    const sizeCum = new Float64Array(G);
    for (let g = 0, s = 0; g < G; g++) sizeCum[g] = s += pow(g + 1, -o.genreSizeExponent);
    const genres = (this.genres = new Int32Array(T));
    for (let i = 0; i < T; i++) genres[i] = i < G ? i : sampleCumulative(sizeCum, rng.float());
    rng.shuffle(genres);

    // Latents around the centroids.
    const latents = (this.latents = new Float64Array(T * D));
    for (let i = 0; i < T; i++) {
      const g = genres[i];
      for (let k = 0; k < D; k++) latents[i * D + k] = centroids[g * D + k] + (o.genreSpread * rng.normal()) / sqrtD;
      normalizeInPlace(latents, i * D, D);
    }

    // Zipf popularity over a random ranking.
    const order = new Int32Array(T);
    for (let i = 0; i < T; i++) order[i] = i;
    rng.shuffle(order);
    const rank = (this.popularityRank = new Int32Array(T));
    const pop = (this.popularity = new Float64Array(T));
    let total = 0;
    for (let r = 0; r < T; r++) {
      rank[order[r]] = r;
      total += pop[order[r]] = pow(r + 1, -o.zipfExponent);
    }
    let meanLog = 0;
    for (let i = 0; i < T; i++) meanLog += log((pop[i] /= total));
    meanLog /= T;
    let varLog = 0;
    for (let i = 0; i < T; i++) varLog += square(log(pop[i]) - meanLog);
    const sdLog = Math.sqrt(varLog / T) || 1;
    this.popZ = new Float64Array(T);
    for (let i = 0; i < T; i++) this.popZ[i] = (log(pop[i]) - meanLog) / sdLog;
    this.globalCum = new Float64Array(T);
    for (let i = 0, s = 0; i < T; i++) this.globalCum[i] = s += pop[i];

    // Per-genre sampling tables.
    this.genreStart = new Int32Array(G + 1);
    for (let i = 0; i < T; i++) this.genreStart[genres[i] + 1]++;
    for (let g = 0; g < G; g++) this.genreStart[g + 1] += this.genreStart[g];
    this.genreTracks = new Int32Array(T);
    const fill = this.genreStart.slice(0, G);
    for (let i = 0; i < T; i++) this.genreTracks[fill[genres[i]]++] = i;
    this.genreCum = new Float64Array(T);
    this.genreWeights = new Float64Array(G);
    for (let g = 0; g < G; g++) {
      let s = 0;
      for (let j = this.genreStart[g]; j < this.genreStart[g + 1]; j++) this.genreCum[j] = s += pop[this.genreTracks[j]];
      this.genreWeights[g] = s;
    }
    this.genreWeightCum = new Float64Array(G);
    for (let g = 0, s = 0; g < G; g++) this.genreWeightCum[g] = s += this.genreWeights[g];
    this.contextCum = new Float64Array(CONTEXT_PROPORTIONS.length);
    for (let c = 0, s = 0; c < CONTEXT_PROPORTIONS.length; c++) this.contextCum[c] = s += CONTEXT_PROPORTIONS[c];

    // Ids: uuid-shaped, unique.
    const ids: string[] = new Array(T);
    const seen = new Set<string>();
    for (let i = 0; i < T; i++) {
      let id = "t_" + uuidFrom(rng);
      while (seen.has(id)) id = "t_" + uuidFrom(rng);
      seen.add(id);
      ids[i] = id;
    }
    this.trackIds = ids;

    this.featureRng = rng.getState();
  }

  /** The latent taste vector of track i (a view of length D into `latents`; do not mutate). */
  trackLatent(i: number): Float64Array {
    this.checkTrack(i);
    return this.latents.subarray(i * this.latentDim, (i + 1) * this.latentDim);
  }

  trackGenre(i: number): number {
    this.checkTrack(i);
    return this.genres[i];
  }

  trackId(i: number): string {
    this.checkTrack(i);
    return this.trackIds[i];
  }

  /** Catalog index of a track id, or -1 when unknown. */
  trackIndex(id: string): number {
    if (this.idIndex === null) {
      this.idIndex = new Map();
      for (let i = 0; i < this.numTracks; i++) this.idIndex.set(this.trackIds[i], i);
    }
    return this.idIndex.get(id) ?? -1;
  }

  /** The numeric audio features of track i (a view of length F in TF_NUMERIC_COLUMNS order; do not mutate). */
  trackFeatures(i: number): Float64Array {
    this.checkTrack(i);
    return this.features.subarray(i * F, (i + 1) * F);
  }

  /** A track drawn with popularity bias, from the whole catalog or (genre ≥ 0) from one genre. */
  sampleTrack(rng: Rng, genre = -1): number {
    if (genre < 0) return sampleCumulative(this.globalCum, rng.float());
    if (!(genre < this.numGenres)) throw new Error(`ListenerModel.sampleTrack: genre ${genre} out of range 0..${this.numGenres - 1}`);
    const lo = this.genreStart[genre], hi = this.genreStart[genre + 1];
    return this.genreTracks[sampleCumulative(this.genreCum, rng.float(), lo, hi)];
  }

  /** A genre drawn by play share. */
  sampleGenre(rng: Rng): number {
    return sampleCumulative(this.genreWeightCum, rng.float());
  }

  /** A context type index drawn from the real proportions. */
  sampleContext(rng: Rng): number {
    return sampleCumulative(this.contextCum, rng.float());
  }

  /**
   * A new listener at the start of a session. Consumes exactly one u32 of `rng` (it forks a stream that
   * the state keeps for its own skips and drift), so equal seeds give equal listeners.
   */
  newListener(rng: Rng, opts: NewListenerOptions = {}): ListenerState {
    const o = this.options;
    const r = rng.fork();
    const D = this.latentDim;
    const home = opts.homeGenre ?? this.sampleGenre(r);
    if (!(Number.isInteger(home) && home >= 0 && home < this.numGenres)) throw new Error(`newListener: homeGenre ${home} out of range 0..${this.numGenres - 1}`);
    const taste = new Float64Array(D);
    for (let k = 0; k < D; k++) taste[k] = this.centroids[home * D + k] + (o.listenerSpread * r.normal()) / Math.sqrt(D);
    normalizeInPlace(taste, 0, D);
    const bias = o.listenerBiasSd * r.normal();
    const mood = o.moodSd * r.normal();
    let context = this.sampleContext(r);
    if (opts.context !== undefined) {
      context = typeof opts.context === "number" ? opts.context : CONTEXT_TYPES.indexOf(opts.context);
      if (!(Number.isInteger(context) && context >= 0 && context < CONTEXT_TYPES.length)) throw new Error(`newListener: unknown context ${String(opts.context)}`);
    }
    const shuffleDraw = r.float() < o.shuffleRate;
    const premiumDraw = r.float() < o.premiumRate;
    return {
      taste, bias, mood, context,
      shuffle: opts.shuffle ?? shuffleDraw,
      premium: opts.premium ?? premiumDraw,
      homeGenre: home, position: 0, rng: r,
    };
  }

  /** A deep copy (taste, rng stream and all): for look-ahead without disturbing the original. */
  cloneState(s: ListenerState): ListenerState {
    const rng = new Rng(0);
    rng.setState(s.rng.getState());
    return { ...s, taste: s.taste.slice(), rng };
  }

  /** Cosine between the listener's taste and track i, in [−1, 1]. */
  tasteMatch(s: ListenerState, track: number): number {
    this.checkTrack(track);
    const D = this.latentDim, off = track * D, v = this.latents, u = s.taste;
    let dot = 0;
    for (let k = 0; k < D; k++) dot += u[k] * v[off + k];
    return dot;
  }

  /** The skip logit of track i at session position `position` (1-based; default: the next position). */
  skipLogit(s: ListenerState, track: number, position = s.position + 1): number {
    const o = this.options;
    if (!(position >= 1)) throw new Error(`skipProbability: position must be ≥ 1, got ${position}`);
    return (
      o.intercept + CONTEXT_OFFSETS[s.context] + (s.shuffle ? o.shuffleEffect : 0) + s.bias + s.mood -
      o.positionEffect * pow(o.positionDecay, position - 1) -
      o.matchWeight * this.tasteMatch(s, track) - o.popularityWeight * this.popZ[track]
    );
  }

  /** p(skip_2) of track i for this listener at session position `position` (default: the next one). In (0, 1). */
  skipProbability(s: ListenerState, track: number, position = s.position + 1): number {
    return sigmoid(this.skipLogit(s, track, position));
  }

  /**
   * p(skip_2) of every catalog track at `position` (default: the next one), written to `out` (length ≥ T):
   * the oracle's view of the whole catalog, without allocation.
   */
  skipProbabilities(s: ListenerState, out: Float64Array, position = s.position + 1): Float64Array {
    const T = this.numTracks, D = this.latentDim, o = this.options, u = s.taste, v = this.latents;
    if (out.length < T) throw new Error(`skipProbabilities: out has length ${out.length}, needs ${T}`);
    if (!(position >= 1)) throw new Error(`skipProbabilities: position must be ≥ 1, got ${position}`);
    const base =
      o.intercept + CONTEXT_OFFSETS[s.context] + (s.shuffle ? o.shuffleEffect : 0) + s.bias + s.mood -
      o.positionEffect * pow(o.positionDecay, position - 1);
    for (let i = 0; i < T; i++) {
      let dot = 0;
      for (let k = 0; k < D; k++) dot += u[k] * v[i * D + k];
      out[i] = sigmoid(base - o.matchWeight * dot - o.popularityWeight * this.popZ[i]);
    }
    return out;
  }

  /** Draws a skip of track i at the next position from the listener's stream (does not advance the state). */
  sampleSkip(s: ListenerState, track: number): boolean {
    return s.rng.float() < this.skipProbability(s, track);
  }

  /** Advances the listener after track i was played (and skipped or not): taste drift, mood, position. */
  observe(s: ListenerState, track: number, skipped: boolean): void {
    this.checkTrack(track);
    const o = this.options, D = this.latentDim, u = s.taste, v = this.latents, off = track * D;
    // Noise: uniform with the variance of driftNoise²/D per component (one u32 a component; a
    // normal would cost a log, a sqrt and a sin per pair, and nothing here needs Gaussian tails).
    const noise = (o.driftNoise * Math.sqrt(12 / D)) / 4294967296;
    for (let k = 0; k < D; k++) {
      const step = skipped ? -o.skipRepulsion * v[off + k] : o.driftRate * (v[off + k] - u[k]);
      u[k] += step + noise * (s.rng.u32() - 2147483648);
    }
    normalizeInPlace(u, 0, D);
    const phi = o.moodPersistence;
    s.mood = phi * s.mood + Math.sqrt(1 - phi * phi) * o.moodSd * s.rng.normal();
    s.position++;
  }

  /** Plays track i: samples a skip, advances the state, returns whether it was skipped. */
  play(s: ListenerState, track: number): boolean {
    const skipped = this.sampleSkip(s, track);
    this.observe(s, track, skipped);
    return skipped;
  }

  private checkTrack(i: number): void {
    if (!(Number.isInteger(i) && i >= 0 && i < this.numTracks)) throw new Error(`ListenerModel: track index ${i} out of range 0..${this.numTracks - 1}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Audio features. Eight latent "factors" (energy, rhythm, organic, mood, speech, instrumental,
// tempo, era) and eight acoustic-vector directions are fixed random projections of the latent,
// standardised over the catalog; each feature mixes its factor (share `featureSignal` of the
// variance) with noise and goes through a transform matching the real marginals (medians and
// 10/90% quantiles of tf_real_subset), so correlated features in the real data (beat_strength,
// bounciness, danceability, dyn_range_mean; energy, loudness; organism vs mechanism) are here too.

const FACTORS = 16; // 8 named factors + acoustic_vector_0..7

function buildFeatures(m: ListenerModel, rng: Rng, signal: number): Float64Array {
  const T = m.numTracks, D = m.latentDim;
  const P = new Float64Array(FACTORS * D);
  for (let i = 0; i < P.length; i++) P[i] = rng.normal();
  // z (T, FACTORS) = latents (T, D) · Pᵀ, then standardised per column.
  const z = new Float64Array(T * FACTORS);
  for (let i = 0; i < T; i++) {
    for (let f = 0; f < FACTORS; f++) {
      let s = 0;
      for (let k = 0; k < D; k++) s += m.latents[i * D + k] * P[f * D + k];
      z[i * FACTORS + f] = s;
    }
  }
  for (let f = 0; f < FACTORS; f++) {
    let mu = 0, sd = 0;
    for (let i = 0; i < T; i++) mu += z[i * FACTORS + f];
    mu /= T;
    for (let i = 0; i < T; i++) sd += square(z[i * FACTORS + f] - mu);
    sd = Math.sqrt(sd / T) || 1;
    for (let i = 0; i < T; i++) z[i * FACTORS + f] = (z[i * FACTORS + f] - mu) / sd;
  }
  const a = Math.sqrt(signal), b = Math.sqrt(1 - signal);
  const out = new Float64Array(T * F);
  const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);
  const avMean = [-0.41, 0.23, 0.22, -0.015, -0.02, 0.06, -0.2, -0.006];
  const avSd = [0.39, 0.3, 0.17, 0.29, 0.35, 0.13, 0.33, 0.3];
  const [ENERGY, RHYTHM, ORGANIC, MOOD, SPEECH, INSTR, TEMPO, ERA] = [0, 1, 2, 3, 4, 5, 6, 7];
  for (let i = 0; i < T; i++) {
    const zi = i * FACTORS;
    // x(factor, sign): a standard-normal feature score carrying `signal` of its variance from the latent.
    const x = (f: number, sign = 1): number => a * sign * z[zi + f] + b * rng.normal();
    const row = out.subarray(i * F, (i + 1) * F);
    let c = 0;
    row[c++] = clamp(exp(5.37 + 0.2 * rng.normal() + 0.08 * square(rng.normal())), 30, 900); // duration (s)
    row[c++] = 2018 - clamp(Math.round(exp(0.7 + 2.1 * x(ERA)) - 1), 0, 68); // release_year (median age 1, 10% older than 30 years)
    row[c++] = clamp(100 - 9 * pow(m.popularityRank[i] / T, 1.5) + 0.05 * rng.normal(), 90, 100); // us_popularity_estimate
    row[c++] = sigmoid(-2.2 + 2.2 * (0.6 * x(ORGANIC) - 0.4 * x(ENERGY))); // acousticness
    const rhythm = x(RHYTHM);
    const tight = (w: number): number => Math.sqrt(w) * rhythm + Math.sqrt(1 - w) * rng.normal();
    row[c++] = sigmoid(0.08 + 0.66 * tight(0.9)); // beat_strength
    row[c++] = sigmoid(0.2 + 0.74 * tight(0.9)); // bounciness
    row[c++] = sigmoid(0.67 + 0.69 * tight(0.75)); // danceability
    row[c++] = clamp(8.4 + 2.2 * tight(0.85), 3, 16); // dyn_range_mean
    const energy = x(ENERGY);
    row[c++] = sigmoid(0.8 + 0.89 * energy); // energy
    row[c++] = clamp(1.0 - 0.037 * (0.6 * energy + 0.8 * rng.normal()), 0.85, 1.1); // flatness
    row[c++] = sigmoid(-13.8 + 7.6 * x(INSTR)); // instrumentalness
    row[c++] = rng.int(12); // key
    row[c++] = sigmoid(-1.9 + 0.75 * (0.5 * x(SPEECH) + 0.87 * rng.normal())); // liveness
    row[c++] = -exp(1.8 - 0.41 * (0.8 * energy + 0.6 * rng.normal())); // loudness (dB)
    const organic = x(ORGANIC);
    row[c++] = sigmoid(0.5 - 1.1 * (0.9 * organic + 0.44 * rng.normal())); // mechanism
    row[c++] = x(MOOD) + 0.18 > 0 ? 1 : 0; // mode (1 major; real 57%)
    row[c++] = sigmoid(-0.8 + 0.9 * organic); // organism
    row[c++] = sigmoid(-2.7 + 0.9 * x(SPEECH)); // speechiness
    row[c++] = clamp(122 + 27 * x(TEMPO), 60, 210); // tempo (bpm)
    const ts = rng.float();
    row[c++] = ts < 0.93 ? 4 : ts < 0.965 ? 3 : 5; // time_signature
    row[c++] = sigmoid(0.2 + 1.17 * x(MOOD)); // valence
    for (let j = 0; j < 8; j++) row[c++] = tanh(avMean[j] + avSd[j] * x(8 + j)); // acoustic_vector_j
  }
  return out;
}
