// Baseline recommenders, each a Policy (policy.ts) so the protocols treat them exactly like
// DDPG: random, most popular, and session item-kNN. They are fitted on training sessions
// only (a CSR of sessions: offsets + track per row, with per-row LOG_FLAG bits). Popular and
// item-kNN are also candidate sources (core/candidates.ts: PopularSource, ItemKnnSource);
// the session baselines (Markov, SKNN, V-SKNN) are in session-baselines.ts.
//
// Popularity and item-kNN also fit streaming (trainingPlayCountsStream, ItemKnnPolicy.fitStream):
// over chunks of sessions iterated once, in memory bounded by a budget, spilling sorted runs of
// pair counts to a store beyond it (pair-runs.ts; the memory is stated at fitStream). fit(tr)
// is fitStream([tr]): one code path, whatever the size.
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
import { selectTop, SparseScores, type CandidateSource, type Exclusion } from "../core/candidates.js";
import { PairCounts, type PairCountOptions } from "./pair-runs.js";

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
  return trainingPlayCountsStream([tr], tr.V, opts);
}

/**
 * trainingPlayCounts over the training sessions of every chunk (shards of one dataset, tracks
 * global in 0..V−1), iterated once: 4 bytes a track.
 */
export function trainingPlayCountsStream(chunks: Iterable<TrainingSessions>, V: number, opts: FitOptions = {}): Int32Array {
  const skipped = opts.skipped ?? "count";
  const c = new Int32Array(V);
  let i = 0;
  for (const tr of chunks) {
    checkChunk("trainingPlayCounts", tr, V, i++);
    const ss = sessionList(tr);
    for (let k = 0; k < ss.length; k++) {
      const s = ss[k];
      for (let r = tr.sessionOffsets[s]; r < tr.sessionOffsets[s + 1]; r++) if (rowUsed(tr, r, skipped)) c[tr.tracks[r]]++;
    }
  }
  return c;
}

/** A chunk of a streaming fit is over the fit's catalog. */
export function checkChunk(who: string, tr: TrainingSessions, V: number, i: number): void {
  if (tr.V !== V) throw new Error(`${who}: chunk ${i} has a catalog of ${tr.V} tracks, the fit ${V}`);
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

/** Sorts keys[0, n) ascending: insertion sort for a short session, the native sort beyond. */
function sortKeys(keys: Float64Array, n: number): void {
  if (n > 32) {
    keys.subarray(0, n).sort();
    return;
  }
  for (let i = 1; i < n; i++) {
    const x = keys[i];
    let j = i - 1;
    while (j >= 0 && keys[j] > x) {
      keys[j + 1] = keys[j];
      j--;
    }
    keys[j + 1] = x;
  }
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
    return ItemKnnPolicy.fitStream([tr], tr.V, opts);
  }

  /**
   * The fit over the training sessions of every chunk (shards of one dataset, tracks global in
   * 0..V−1), iterated once, in bounded memory (pair-runs.ts): each session's distinct pairs
   * are counted in both directions, 32 bytes a pair occurrence while buffered (two occurrences)
   * and 16 bytes a distinct directed pair in a run, within `memoryBudget` (default
   * 512 MiB) plus what `spill` stores on disk. Besides, 12 bytes a track (session and play
   * counts, session stamps), the per-track scratch of the final passes (16 bytes a track) and
   * the output, sized exactly by a first pass over the merged counts: 8 bytes a kept
   * neighbour, at most V·neighbours.
   * The result is the same for any split of the same sessions into chunks.
   */
  static fitStream(chunks: Iterable<TrainingSessions>, V: number, opts: ItemKnnOptions & PairCountOptions = {}): ItemKnnPolicy {
    const who = "ItemKnnPolicy";
    const window = opts.window ?? 5, M = opts.neighbours ?? 200, skipped = opts.skipped ?? "count";
    if (!(window >= 1)) throw new Error(`${who}: window must be >= 1, got ${window}`);
    if (!(Number.isInteger(M) && M >= 1)) throw new Error(`${who}: neighbours must be a positive integer, got ${M}`);
    const pairs = new PairCounts(who, V, false, opts);
    try {
      const nSess = new Int32Array(V), plays = new Int32Array(V), lastSeen = new Int32Array(V).fill(-1);
      let pos = new Int32Array(64), trk = new Int32Array(64), und = new Float64Array(256);
      let g = 0, c = 0; // sessions so far (the stamp of lastSeen), chunks so far
      for (const tr of chunks) {
        checkChunk(who, tr, V, c++);
        const ss = sessionList(tr);
        for (let i = 0; i < ss.length; i++, g++) {
          const s = ss[i], a0 = tr.sessionOffsets[s], a1 = tr.sessionOffsets[s + 1];
          if (a1 - a0 > pos.length) {
            pos = new Int32Array(2 * (a1 - a0));
            trk = new Int32Array(2 * (a1 - a0));
          }
          let m = 0;
          for (let r = a0; r < a1; r++) {
            if (!rowUsed(tr, r, skipped)) continue;
            pos[m] = r - a0;
            trk[m++] = tr.tracks[r];
          }
          let distinct = 0;
          for (let x = 0; x < m; x++) {
            const t = trk[x];
            plays[t]++;
            if (lastSeen[t] !== g) {
              nSess[t]++;
              distinct++;
            }
            lastSeen[t] = g;
          }
          if (distinct === m) {
            // no track repeats: every pair of positions is a distinct pair of tracks
            for (let x = 0; x < m; x++) {
              for (let y = x + 1; y < m && pos[y] - pos[x] <= window; y++) {
                const a = trk[x], b = trk[y];
                pairs.add(a, b);
                pairs.add(b, a);
              }
            }
            continue;
          }
          // repeats: the session's pairs (a < b) sorted, each counted once
          let n = 0;
          for (let x = 0; x < m; x++) {
            for (let y = x + 1; y < m && pos[y] - pos[x] <= window; y++) {
              const a = trk[x], b = trk[y];
              if (a === b) continue;
              if (n === und.length) {
                const u = new Float64Array(2 * n);
                u.set(und);
                und = u;
              }
              und[n++] = a < b ? a * V + b : b * V + a;
            }
          }
          sortKeys(und, n);
          for (let k = 0; k < n; k++) {
            if (k > 0 && und[k] === und[k - 1]) continue;
            const a = Math.floor(und[k] / V), b = und[k] - a * V;
            pairs.add(a, b);
            pairs.add(b, a);
          }
        }
      }
      // Per track a (the merged pairs come grouped by a): cosine, the M best. A first pass over
      // the merge sizes the lists (min(M, partners of a)), the second fills them.
      pairs.finish();
      const nbrStart = new Int32Array(V + 1);
      let cur = pairs.cursor(), more = cur.next();
      for (let a = 0; a < V; a++) {
        let nc = 0;
        for (; more && cur.a === a; more = cur.next()) nc++;
        nbrStart[a + 1] = nbrStart[a] + Math.min(M, nc);
      }
      const cs = new Float64Array(V), cand = new Int32Array(V);
      const nbr = new Int32Array(nbrStart[V]), sim = new Float32Array(nbrStart[V]);
      cur = pairs.cursor();
      more = cur.next();
      for (let a = 0; a < V; a++) {
        let nc = 0;
        for (; more && cur.a === a; more = cur.next()) {
          const b = cur.b;
          cs[b] = cur.c0 / Math.sqrt(nSess[a] * nSess[b]);
          cand[nc++] = b;
        }
        const keep = selectTop(cand, nc, M, cs);
        for (let q = 0, e = nbrStart[a]; q < keep; q++, e++) {
          nbr[e] = cand[q];
          sim[e] = cs[cand[q]];
        }
      }
      return new ItemKnnPolicy({ nbrStart, nbr, sim, popularCounts: plays }, { decay: opts.decay, name: opts.name });
    } finally {
      pairs.dispose();
    }
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
