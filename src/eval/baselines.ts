// Baseline recommenders, each a Policy (policy.ts) so the protocols treat them exactly like
// DDPG: random, most popular, and session item-kNN. They are fitted on training sessions
// only (a CSR of sessions: offsets + track per row, with per-row LOG_FLAG bits). Popular and
// item-kNN are also candidate sources (core/candidates.ts: PopularSource, ItemKnnSource);
// the session baselines (Markov, SKNN, V-SKNN) are in session-baselines.ts.
//
// Dimensions: V = catalog size, B = states per call, N = state length, K = list length,
// X = extra exclusions per state (−1 padded).
//
// Every recommend() call writes K distinct tracks per state, none in that state nor in its
// exclusions, and allocates nothing: exclusions are marked in a per-policy stamp array
// (mark[t] == stamp ⇔ excluded for the current state), so a call costs O(N + X + work)
// per state, never O(V). A policy instance is therefore not re-entrant (one call at a time).
//
// This file imports nothing from Node.
import type { Rng } from "../rng.js";
import { LOG_FLAG } from "../data/log-parser.js";
import type { Policy } from "../core/policy.js";
import type { States } from "../core/state.js";
import { SparseScores, type CandidateSource, type Exclusion } from "../core/candidates.js";

/** Training sessions as a CSR over rows. */
export interface TrainingSessions {
  /** Catalog size: tracks are 0..V−1. */
  V: number;
  /** Session s has rows [sessionOffsets[s], sessionOffsets[s+1]). */
  sessionOffsets: Int32Array;
  /** Track per row. */
  tracks: Int32Array;
  /** LOG_FLAG bits per row (needed only for skipped: "ignore"). */
  flags?: Uint16Array;
  /** The sessions to fit on (the training split). Default: every session. */
  sessions?: ArrayLike<number>;
}

export interface FitOptions {
  /** "count" (default): every played row counts; "ignore": rows with skip_2 are left out. */
  skipped?: "count" | "ignore";
}

/** The training sessions a fit uses (checked), in the order given. */
export function sessionList(tr: TrainingSessions): ArrayLike<number> {
  const S = tr.sessionOffsets.length - 1;
  if (tr.sessions) {
    for (let i = 0; i < tr.sessions.length; i++) {
      const s = tr.sessions[i];
      if (!(Number.isInteger(s) && s >= 0 && s < S)) throw new Error(`baselines: training session index ${s} outside 0..${S - 1}`);
    }
    return tr.sessions;
  }
  const all = new Int32Array(S);
  for (let s = 0; s < S; s++) all[s] = s;
  return all;
}

/** Row r is used by the fit? Also checks the track index. */
export function rowUsed(tr: TrainingSessions, r: number, skipped: "count" | "ignore"): boolean {
  const t = tr.tracks[r];
  if (!(t >= 0 && t < tr.V)) throw new Error(`baselines: row ${r} has track ${t} outside the catalog 0..${tr.V - 1}`);
  if (skipped === "count") return true;
  if (!tr.flags) throw new Error('baselines: skipped "ignore" needs per-row flags');
  return (tr.flags[r] & LOG_FLAG.skip_2) === 0;
}

/** Plays per track over the training sessions (rows, or unskipped rows with skipped "ignore"). */
export function trainingPlayCounts(tr: TrainingSessions, opts: FitOptions = {}): Int32Array {
  const skipped = opts.skipped ?? "count";
  const c = new Int32Array(tr.V);
  const ss = sessionList(tr);
  for (let i = 0; i < ss.length; i++) {
    const s = ss[i];
    for (let r = tr.sessionOffsets[s]; r < tr.sessionOffsets[s + 1]; r++) if (rowUsed(tr, r, skipped)) c[tr.tracks[r]]++;
  }
  return c;
}

/** Tracks by count descending, ties by lower index. */
export function popularityOrder(counts: ArrayLike<number>): Int32Array {
  const order = new Int32Array(counts.length);
  for (let t = 0; t < order.length; t++) order[t] = t;
  order.sort((a, b) => counts[b] - counts[a] || a - b);
  return order;
}

/** The per-state exclusion marks shared by the baselines. */
class Exclusions {
  readonly mark: Int32Array;
  stamp = 0;

  constructor(readonly V: number) {
    this.mark = new Int32Array(V);
  }

  /** Starts state b: marks its N state tracks and X exclusions (−1 and other negatives skipped). Returns how many distinct tracks are excluded. */
  begin(who: string, states: Int32Array, N: number, b: number, exclude?: { ids: Int32Array; X: number }): number {
    if (this.stamp >= 0x3fffffff) {
      this.mark.fill(0);
      this.stamp = 0;
    }
    const s = ++this.stamp, V = this.V;
    let n = 0;
    for (let i = 0; i < N; i++) {
      const t = states[b * N + i];
      if (!(t >= 0 && t < V)) throw new Error(`${who}: state ${b} position ${i} holds ${t}, not a track in 0..${V - 1}`);
      if (this.mark[t] !== s) n++;
      this.mark[t] = s;
    }
    if (exclude) {
      const X = exclude.X;
      for (let i = 0; i < X; i++) {
        const t = exclude.ids[b * X + i];
        if (t < 0) continue;
        if (t >= V) throw new Error(`${who}: exclusion ${i} of state ${b} is ${t}, not a track in 0..${V - 1}`);
        if (this.mark[t] !== s) n++;
        this.mark[t] = s;
      }
    }
    return n;
  }

  has(t: number): boolean {
    return this.mark[t] === this.stamp;
  }

  add(t: number): void {
    this.mark[t] = this.stamp;
  }
}

function checkCall(who: string, states: Int32Array, B: number, K: number, out: Int32Array, exclude?: { ids: Int32Array; X: number }): number {
  if (!(Number.isInteger(B) && B >= 0)) throw new Error(`${who}: B must be a non-negative integer, got ${B}`);
  if (!(Number.isInteger(K) && K >= 1)) throw new Error(`${who}: K must be a positive integer, got ${K}`);
  if (out.length < B * K) throw new Error(`${who}: out holds ${out.length} values, need B·K = ${B * K}`);
  if (B === 0) return 0;
  if (states.length % B !== 0) throw new Error(`${who}: ${states.length} state values are not B = ${B} rows`);
  if (exclude && exclude.ids.length < B * exclude.X) throw new Error(`${who}: exclusions hold ${exclude.ids.length} values, need B·X = ${B * exclude.X}`);
  return states.length / B;
}

/**
 * Uniform random tracks: each slot is uniform over the catalog minus the state, the
 * exclusions and the slots before it (rejection sampling, so sampling without replacement
 * from the allowed set). Throws when fewer than K tracks are allowed.
 */
export class RandomPolicy implements Policy {
  readonly name: string;
  private readonly ex: Exclusions;

  constructor(readonly V: number, name = "random") {
    if (!(Number.isInteger(V) && V >= 1)) throw new Error(`RandomPolicy: bad catalog size ${V}`);
    this.name = name;
    this.ex = new Exclusions(V);
  }

  recommend(s: States, B: number, K: number, out: Int32Array, rng: Rng, exclude?: { ids: Int32Array; X: number }): void {
    const states = s.tracks;
    const N = checkCall(this.name, states, B, K, out, exclude);
    const V = this.V, ex = this.ex;
    for (let b = 0; b < B; b++) {
      const excluded = ex.begin(this.name, states, N, b, exclude);
      if (V - excluded < K) throw new Error(`${this.name}: only ${V - excluded} tracks left for state ${b}, need K = ${K}`);
      for (let k = 0; k < K; k++) {
        let t = rng.int(V);
        while (ex.has(t)) t = rng.int(V);
        ex.add(t);
        out[b * K + k] = t;
      }
    }
  }
}

/** The most played training tracks not excluded, best first (ties by lower index). */
export class PopularPolicy implements Policy {
  readonly name: string;
  readonly order: Int32Array;
  private readonly ex: Exclusions;

  constructor(readonly counts: Int32Array, name = "popular") {
    this.name = name;
    this.order = popularityOrder(counts);
    this.ex = new Exclusions(counts.length);
  }

  static fit(tr: TrainingSessions, opts: FitOptions & { name?: string } = {}): PopularPolicy {
    return new PopularPolicy(trainingPlayCounts(tr, opts), opts.name);
  }

  recommend(s: States, B: number, K: number, out: Int32Array, _rng: Rng, exclude?: { ids: Int32Array; X: number }): void {
    const states = s.tracks;
    const N = checkCall(this.name, states, B, K, out, exclude);
    for (let b = 0; b < B; b++) {
      this.ex.begin(this.name, states, N, b, exclude);
      fillByOrder(this.name, this.order, this.ex, out, b * K, 0, K, b);
    }
  }
}

/** Fills out[o + k0 .. o + K) with the first tracks of `order` not marked, marking them. */
function fillByOrder(who: string, order: Int32Array, ex: Exclusions, out: Int32Array, o: number, k0: number, K: number, b: number): void {
  let k = k0;
  for (let i = 0; i < order.length && k < K; i++) {
    const t = order[i];
    if (ex.has(t)) continue;
    ex.add(t);
    out[o + k++] = t;
  }
  if (k < K) throw new Error(`${who}: only ${k} tracks left for state ${b}, need K = ${K}`);
}

export interface ItemKnnOptions extends FitOptions {
  /** Co-occurrence window in positions: tracks at most `window` rows apart co-occur (Infinity: the whole session). Default 5. */
  window?: number;
  /** Neighbours kept per track (the most similar). Default 200. */
  neighbours?: number;
  /** Recency weight: the state's track at age a (0 = newest) weighs decay^a. Default 0.6. */
  decay?: number;
  name?: string;
}

/**
 * Session item-kNN.
 *
 * Fit: for every training session, each unordered pair of distinct tracks played at most
 * `window` positions apart counts once (per session, however often it recurs in it):
 * C(a, b) = sessions where a and b co-occur. n(a) = sessions containing a. Similarity
 *   sim(a, b) = C(a, b) / sqrt(n(a) · n(b)),
 * the cosine of the tracks' session-incidence vectors (exact for the whole-session window).
 * Each track keeps its `neighbours` most similar tracks (ties by lower index).
 * Defaults (window 5, decay 0.6) were chosen on a validation split carved out of the training
 * sessions of the real MSSD slice (never the test sessions): next-track hit rate@3 0.183 vs
 * 0.165 for the whole session with decay 0.8, and 0.147 with no recency weighting.
 *
 * Recommend (state s_0 .. s_{N−1}, oldest first): score(j) = Σ_n decay^(N−1−n) · sim(s_n, j),
 * an exponential recency weighting so the newest track counts most (a state track repeated
 * counts at each position). The K best scored tracks not excluded are returned, ties by lower
 * index; when fewer than K tracks score, the rest comes from training popularity (the
 * PopularPolicy order), so the list is always full.
 */
export class ItemKnnPolicy implements Policy {
  readonly name: string;
  /** Neighbour CSR: track a's neighbours at [nbrStart[a], nbrStart[a+1]), most similar first. */
  readonly nbrStart: Int32Array;
  readonly nbr: Int32Array;
  readonly sim: Float32Array;
  readonly decay: number;
  readonly popular: Int32Array;
  private readonly ex: Exclusions;
  private readonly score: Float64Array;
  private readonly seen: Int32Array;
  private readonly touched: Int32Array;
  private bestT = new Int32Array(16);
  private bestS = new Float64Array(16);

  constructor(parts: { nbrStart: Int32Array; nbr: Int32Array; sim: Float32Array; popularCounts: Int32Array }, opts: { decay?: number; name?: string } = {}) {
    const V = parts.popularCounts.length;
    if (parts.nbrStart.length !== V + 1) throw new Error(`ItemKnnPolicy: nbrStart has ${parts.nbrStart.length} entries, need V + 1 = ${V + 1}`);
    this.name = opts.name ?? "item-knn";
    this.decay = opts.decay ?? 0.6;
    if (!(this.decay > 0 && this.decay <= 1)) throw new Error(`ItemKnnPolicy: decay must be in (0, 1], got ${this.decay}`);
    this.nbrStart = parts.nbrStart;
    this.nbr = parts.nbr;
    this.sim = parts.sim;
    this.popular = popularityOrder(parts.popularCounts);
    this.ex = new Exclusions(V);
    this.score = new Float64Array(V);
    this.seen = new Int32Array(V);
    this.touched = new Int32Array(V);
  }

  static fit(tr: TrainingSessions, opts: ItemKnnOptions = {}): ItemKnnPolicy {
    const window = opts.window ?? 5, M = opts.neighbours ?? 200, skipped = opts.skipped ?? "count";
    if (!(window >= 1)) throw new Error(`ItemKnnPolicy: window must be >= 1, got ${window}`);
    if (!(Number.isInteger(M) && M >= 1)) throw new Error(`ItemKnnPolicy: neighbours must be a positive integer, got ${M}`);
    const V = tr.V;
    const ss = sessionList(tr);
    const nSess = new Int32Array(V);
    // Pairs (a < b) per session, deduplicated, appended to one growing list.
    let pa = new Int32Array(1 << 16), pb = new Int32Array(1 << 16), P = 0;
    let pos = new Int32Array(64), trk = new Int32Array(64), keys: number[] = [];
    const lastSeen = new Int32Array(V).fill(-1);
    for (let i = 0; i < ss.length; i++) {
      const s = ss[i], a0 = tr.sessionOffsets[s], a1 = tr.sessionOffsets[s + 1];
      let m = 0;
      if (a1 - a0 > pos.length) {
        pos = new Int32Array(2 * (a1 - a0));
        trk = new Int32Array(2 * (a1 - a0));
      }
      for (let r = a0; r < a1; r++) {
        if (!rowUsed(tr, r, skipped)) continue;
        pos[m] = r - a0;
        trk[m++] = tr.tracks[r];
      }
      for (let x = 0; x < m; x++) {
        if (lastSeen[trk[x]] !== i) nSess[trk[x]]++;
        lastSeen[trk[x]] = i;
      }
      keys = [];
      for (let x = 0; x < m; x++) {
        for (let y = x + 1; y < m && pos[y] - pos[x] <= window; y++) {
          const a = trk[x], b = trk[y];
          if (a === b) continue;
          keys.push(a < b ? a * V + b : b * V + a);
        }
      }
      keys.sort((u, v) => u - v);
      for (let k = 0; k < keys.length; k++) {
        if (k > 0 && keys[k] === keys[k - 1]) continue;
        if (P + 2 > pa.length) {
          const na = new Int32Array(pa.length * 2), nb = new Int32Array(pb.length * 2);
          na.set(pa);
          nb.set(pb);
          pa = na;
          pb = nb;
        }
        const a = Math.floor(keys[k] / V), b = keys[k] - a * V;
        pa[P] = a;
        pb[P++] = b;
        pa[P] = b;
        pb[P++] = a;
      }
    }
    // Counting sort of the directed pairs by their first track.
    const start = new Int32Array(V + 1);
    for (let p = 0; p < P; p++) start[pa[p] + 1]++;
    for (let a = 0; a < V; a++) start[a + 1] += start[a];
    const fillAt = start.slice(0, V), col = new Int32Array(P);
    for (let p = 0; p < P; p++) col[fillAt[pa[p]]++] = pb[p];
    // Per track: co-occurrence counts, cosine, keep the M best.
    const cnt = new Int32Array(V), touched = new Int32Array(V);
    const nbrStart = new Int32Array(V + 1);
    let nbr = new Int32Array(Math.min(P, V * M) || 1), sim = new Float32Array(nbr.length), E = 0;
    const cand: number[] = [];
    const cs = new Float64Array(V);
    for (let a = 0; a < V; a++) {
      let nt = 0;
      for (let q = start[a]; q < start[a + 1]; q++) {
        const b = col[q];
        if (cnt[b] === 0) touched[nt++] = b;
        cnt[b]++;
      }
      cand.length = 0;
      for (let q = 0; q < nt; q++) {
        const b = touched[q];
        cs[b] = cnt[b] / Math.sqrt(nSess[a] * nSess[b]);
        cnt[b] = 0;
        cand.push(b);
      }
      cand.sort((u, v) => cs[v] - cs[u] || u - v);
      const keep = Math.min(M, cand.length);
      for (let q = 0; q < keep; q++) {
        nbr[E] = cand[q];
        sim[E++] = cs[cand[q]];
      }
      nbrStart[a + 1] = E;
    }
    nbr = nbr.slice(0, E);
    sim = sim.slice(0, E);
    return new ItemKnnPolicy({ nbrStart, nbr, sim, popularCounts: trainingPlayCounts(tr, { skipped }) }, { decay: opts.decay, name: opts.name });
  }

  recommend(s: States, B: number, K: number, out: Int32Array, _rng: Rng, exclude?: { ids: Int32Array; X: number }): void {
    const states = s.tracks;
    const N = checkCall(this.name, states, B, K, out, exclude);
    if (K > this.bestT.length) {
      this.bestT = new Int32Array(K);
      this.bestS = new Float64Array(K);
    }
    const { ex, score, seen, touched, nbrStart, nbr, sim, bestT, bestS } = this;
    for (let b = 0; b < B; b++) {
      ex.begin(this.name, states, N, b, exclude);
      const stamp = ex.stamp;
      if (stamp === 1) seen.fill(0); // first call, or the stamps wrapped around
      // Accumulate recency-weighted similarities, newest state track first.
      let nt = 0, w = 1;
      for (let n = N - 1; n >= 0; n--, w *= this.decay) {
        const a = states[b * N + n];
        for (let q = nbrStart[a]; q < nbrStart[a + 1]; q++) {
          const j = nbr[q];
          if (seen[j] !== stamp) {
            seen[j] = stamp;
            score[j] = 0;
            touched[nt++] = j;
          }
          score[j] += w * sim[q];
        }
      }
      // Top K of the touched, not excluded (insertion into a sorted list of at most K).
      let h = 0;
      for (let q = 0; q < nt; q++) {
        const j = touched[q];
        if (ex.has(j)) continue;
        const sj = score[j];
        if (h === K && !(sj > bestS[K - 1] || (sj === bestS[K - 1] && j < bestT[K - 1]))) continue;
        let p = h < K ? h++ : K - 1;
        while (p > 0 && (bestS[p - 1] < sj || (bestS[p - 1] === sj && bestT[p - 1] > j))) {
          bestS[p] = bestS[p - 1];
          bestT[p] = bestT[p - 1];
          p--;
        }
        bestS[p] = sj;
        bestT[p] = j;
      }
      for (let k = 0; k < h; k++) {
        out[b * K + k] = bestT[k];
        ex.add(bestT[k]);
      }
      if (h < K) fillByOrder(this.name, this.popular, ex, out, b * K, h, K, b);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Candidate sources (core/candidates.ts)

/**
 * Popularity as a candidate source: score(t) = training plays of t / the most plays of any
 * track (in (0, 1]; 0 for tracks never played in training, the state's and the excluded);
 * top(M) lists the most played allowed tracks, ties by lower index, never an unplayed one.
 */
export class PopularSource implements CandidateSource {
  readonly name: string;
  readonly order: Int32Array;
  private readonly scale: number;
  private readonly board: SparseScores;
  private played = 0;

  constructor(readonly counts: Int32Array, name = "popular") {
    this.name = name;
    this.order = popularityOrder(counts);
    let max = 0;
    for (let t = 0; t < counts.length; t++) {
      if (!(counts[t] >= 0)) throw new Error(`${name}: negative play count ${counts[t]} for track ${t}`);
      if (counts[t] > 0) this.played++;
      max = Math.max(max, counts[t]);
    }
    this.scale = max > 0 ? 1 / max : 0;
    this.board = new SparseScores(counts.length);
  }

  static fit(tr: TrainingSessions, opts: FitOptions & { name?: string } = {}): PopularSource {
    return new PopularSource(trainingPlayCounts(tr, opts), opts.name);
  }

  begin(states: States, N: number, b: number, exclude?: Exclusion): void {
    this.board.begin(this.name, states, N, b, exclude);
  }

  score(t: number): number {
    return t >= 0 && t < this.counts.length && !this.board.excluded(t) ? this.counts[t] * this.scale : 0;
  }

  top(M: number, out: Int32Array, o: number): number {
    if (!(Number.isInteger(M) && M >= 0)) throw new Error(`${this.name}: M must be a non-negative integer, got ${M}`);
    let m = 0;
    for (let i = 0; i < this.played && m < M; i++) {
      const t = this.order[i];
      if (this.board.excluded(t)) continue;
      if (o + m >= out.length) throw new Error(`${this.name}: out holds ${out.length} values, too few from offset ${o}`);
      out[o + m++] = t;
    }
    return m;
  }
}

/**
 * Item-kNN as a candidate source, over a fitted ItemKnnPolicy's neighbour lists (its fit is
 * unchanged): score(j) = Σ_n decay^(N−1−n) · sim(s_n, j), the same sums in the same order as
 * ItemKnnPolicy.recommend, so top(K) is that policy's list before its popularity fill.
 */
export class ItemKnnSource implements CandidateSource {
  readonly name: string;
  private readonly board: SparseScores;

  constructor(readonly knn: ItemKnnPolicy, name = knn.name) {
    this.name = name;
    this.board = new SparseScores(knn.nbrStart.length - 1);
  }

  begin(states: States, N: number, b: number, exclude?: Exclusion): void {
    const board = this.board, { nbrStart, nbr, sim, decay } = this.knn, tracks = states.tracks;
    board.begin(this.name, states, N, b, exclude);
    let w = 1;
    for (let n = N - 1; n >= 0; n--, w *= decay) {
      const a = tracks[b * N + n];
      for (let q = nbrStart[a]; q < nbrStart[a + 1]; q++) board.add(nbr[q], w * sim[q]);
    }
  }

  score(t: number): number {
    return this.board.get(t);
  }

  top(M: number, out: Int32Array, o: number): number {
    return this.board.top(this.name, M, out, o);
  }
}
