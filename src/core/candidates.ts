// Candidate generation: one small interface for every scorer that can propose tracks for a
// listening state (popularity, item-kNN, Markov transitions, session-kNN, …), so a policy can
// be a thin wrapper over one source, and a learner can pool the candidates of several sources
// and read every source's score of every candidate as features.
//
// A source scores SPARSELY: begin() touches only the tracks it has evidence for (the
// successors of the state's tracks, the tracks of neighbour sessions, …); score(t) is 0 for
// every other track, and for the state's own tracks and the exclusions, which a source never
// proposes. Sources keep their scores in stamp arrays (SparseScores below): a new state costs
// O(N + X + evidence), never O(V), and nothing is allocated after construction (buffers sized
// by N grow only when a longer state than ever before arrives). A source is therefore not
// re-entrant: one state at a time, and begin() invalidates the previous state's scores.
//
// Dimensions: V = catalog size, N = state length, X = extra exclusions per state (−1 padded),
// M = candidates asked for, K = list length.
//
// This file imports nothing from Node.
import type { Rng } from "../rng.js";
import type { Policy } from "./policy.js";
import type { States } from "./state.js";

/**
 * The sessions candidate sources are fitted on, as a compact CSR (every session listed is used):
 * what a model file carries so that its sources can be fitted again wherever it is loaded, with
 * the same result (fitting is deterministic). src/eval/sources.ts fits sources from it.
 */
export interface SourceSessions {
  /** Catalog size. */
  V: number;
  /** Session s has rows [sessionOffsets[s], sessionOffsets[s+1]). */
  sessionOffsets: Int32Array;
  /** Track per row. */
  tracks: Int32Array;
  /** LOG_FLAG bits per row (src/data/log-parser.ts). */
  flags: Uint16Array;
}

/** Extra exclusions per state: (B, X) track indices, −1 (any negative) for padding. */
export interface Exclusion {
  ids: Int32Array;
  X: number;
}

export interface CandidateSource {
  /** Short stable name ("popular", "item-knn", "markov", "sknn", "vsknn"). */
  readonly name: string;
  /**
   * Score the catalog for row b of `states` (rows of N plays, oldest first), sparsely: only
   * tracks with evidence, never the state's tracks nor row b of `exclude`.
   */
  begin(states: States, N: number, b: number, exclude?: Exclusion): void;
  /** The score of track t for the state of the last begin() (0 when it has no evidence, or is excluded). */
  score(t: number): number;
  /** Writes up to M best candidates (best first, ties by lower index) into out[o..]; returns how many. */
  top(M: number, out: Int32Array, o: number): number;
}

/** a ranks before b: higher key, ties by lower index. */
function better(key: Float64Array, a: number, b: number): boolean {
  const ka = key[a], kb = key[b];
  return ka > kb || (ka === kb && a < b);
}

/** Sift ids[i] down the heap ids[0..n) whose root is the WORST element. */
function siftWorst(ids: Int32Array, n: number, i: number, key: Float64Array): void {
  const x = ids[i];
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    let c = l;
    if (l + 1 < n && better(key, ids[c], ids[l + 1])) c = l + 1; // the worse child
    if (!better(key, x, ids[c])) break;
    ids[i] = ids[c];
    i = c;
  }
  ids[i] = x;
}

/**
 * Moves the m best of ids[0..n) (by key[id] descending, ties by lower id) to ids[0..m), best
 * first, in place; returns m = min(M, n). Heap selection: O(n log m), no allocation.
 */
export function selectTop(ids: Int32Array, n: number, M: number, key: Float64Array): number {
  const m = Math.min(M, n);
  if (m <= 0) return 0;
  // a heap of the best m seen so far, its worst at the root
  for (let i = (m >> 1) - 1; i >= 0; i--) siftWorst(ids, m, i, key);
  for (let j = m; j < n; j++) {
    const t = ids[j];
    if (better(key, t, ids[0])) {
      ids[j] = ids[0];
      ids[0] = t;
      siftWorst(ids, m, 0, key);
    }
  }
  // heap sort: the worst goes to the end each time, so ids[0..m) ends best first
  for (let end = m - 1; end > 0; end--) {
    const t = ids[0];
    ids[0] = ids[end];
    ids[end] = t;
    siftWorst(ids, end, 0, key);
  }
  return m;
}

/**
 * Sparse per-state scores over a catalog of V tracks, for implementing sources: begin() marks
 * the state's tracks and exclusions, add() accumulates evidence on the others, top() selects.
 * Stamps instead of clearing: mark[t] == stamp ⇔ excluded, seen[t] == stamp ⇔ scored.
 */
export class SparseScores {
  private readonly mark: Int32Array;
  private readonly seen: Int32Array;
  private readonly value: Float64Array;
  /** The scored tracks of this state, [0, count). */
  readonly touched: Int32Array;
  count = 0;
  private stamp = 0;

  constructor(readonly V: number) {
    if (!(Number.isInteger(V) && V >= 1)) throw new Error(`SparseScores: bad catalog size ${V}`);
    this.mark = new Int32Array(V);
    this.seen = new Int32Array(V);
    this.value = new Float64Array(V);
    this.touched = new Int32Array(V);
  }

  /** Starts row b: checks and marks its N state tracks and its exclusions. `who` names the caller in errors. */
  begin(who: string, states: States, N: number, b: number, exclude?: Exclusion): void {
    const tracks = states.tracks, V = this.V;
    if (!(Number.isInteger(N) && N >= 1)) throw new Error(`${who}: N must be a positive integer, got ${N}`);
    if (!(Number.isInteger(b) && b >= 0 && (b + 1) * N <= tracks.length)) throw new Error(`${who}: state row ${b} of ${N} plays is outside the ${tracks.length} state values`);
    if (states.kept.length < (b + 1) * N) throw new Error(`${who}: ${states.kept.length} feedback values, need ${(b + 1) * N} for row ${b}`);
    if (exclude && !(Number.isInteger(exclude.X) && exclude.X >= 0 && exclude.ids.length >= (b + 1) * exclude.X)) {
      throw new Error(`${who}: exclusions hold ${exclude.ids.length} values, too few for row ${b} of X = ${exclude.X}`);
    }
    if (this.stamp >= 0x3fffffff) {
      this.mark.fill(0);
      this.seen.fill(0);
      this.stamp = 0;
    }
    const s = ++this.stamp;
    this.count = 0;
    for (let i = 0; i < N; i++) {
      const t = tracks[b * N + i];
      if (!(t >= 0 && t < V)) throw new Error(`${who}: state ${b} position ${i} holds ${t}, not a track in 0..${V - 1}`);
      this.mark[t] = s;
    }
    if (exclude) {
      const X = exclude.X;
      for (let i = 0; i < X; i++) {
        const t = exclude.ids[b * X + i];
        if (t < 0) continue;
        if (!(t < V) || !Number.isInteger(t)) throw new Error(`${who}: exclusion ${i} of state ${b} is ${t}, not a track in 0..${V - 1}`);
        this.mark[t] = s;
      }
    }
  }

  /** Track t is the state's or excluded. */
  excluded(t: number): boolean {
    return this.mark[t] === this.stamp;
  }

  /** score(t) += v, unless t is excluded. */
  add(t: number, v: number): void {
    const s = this.stamp;
    if (this.mark[t] === s) return;
    if (this.seen[t] !== s) {
      this.seen[t] = s;
      this.value[t] = v;
      this.touched[this.count++] = t;
    } else this.value[t] += v;
  }

  /** The accumulated score of t (0 when untouched or excluded). */
  get(t: number): number {
    return t >= 0 && t < this.V && this.seen[t] === this.stamp ? this.value[t] : 0;
  }

  /** Up to M best scored tracks into out[o..], best first, ties by lower index; returns how many. */
  top(who: string, M: number, out: Int32Array, o: number): number {
    if (!(Number.isInteger(M) && M >= 0)) throw new Error(`${who}: M must be a non-negative integer, got ${M}`);
    const m = selectTop(this.touched, this.count, M, this.value);
    if (!(Number.isInteger(o) && o >= 0 && o + m <= out.length)) throw new Error(`${who}: out holds ${out.length} values, need ${m} from offset ${o}`);
    for (let i = 0; i < m; i++) out[o + i] = this.touched[i];
    return m;
  }
}

/**
 * A Policy over a candidate source: each row's list is the source's top K, filled (when the
 * source has fewer than K candidates) from `fill`, a fixed order of the whole catalog
 * (training popularity), skipping the state, the exclusions and the tracks already listed.
 * Lists are always full; a row with fewer than K allowed tracks in the whole catalog throws.
 */
export class SourcePolicy implements Policy {
  readonly name: string;
  private readonly mark: Int32Array;
  private stamp = 0;

  constructor(readonly source: CandidateSource, readonly fill: Int32Array, name?: string) {
    this.name = name ?? source.name;
    const V = fill.length;
    this.mark = new Int32Array(V);
    // the fill order must be a permutation of the catalog, or a list could come out short or repeat
    for (let i = 0; i < V; i++) {
      const t = fill[i];
      if (!(t >= 0 && t < V) || this.mark[t] === 1) throw new Error(`${this.name}: the fill order is not a permutation of 0..${V - 1} (position ${i} holds ${t})`);
      this.mark[t] = 1;
    }
    this.mark.fill(0);
  }

  recommend(s: States, B: number, K: number, out: Int32Array, _rng: Rng, exclude?: Exclusion): void {
    const who = this.name, V = this.fill.length;
    if (!(Number.isInteger(B) && B >= 0)) throw new Error(`${who}: B must be a non-negative integer, got ${B}`);
    if (!(Number.isInteger(K) && K >= 1)) throw new Error(`${who}: K must be a positive integer, got ${K}`);
    if (out.length < B * K) throw new Error(`${who}: out holds ${out.length} values, need B·K = ${B * K}`);
    if (B === 0) return;
    if (s.tracks.length % B !== 0) throw new Error(`${who}: ${s.tracks.length} state values are not B = ${B} rows`);
    const N = s.tracks.length / B, mark = this.mark;
    for (let b = 0; b < B; b++) {
      this.source.begin(s, N, b, exclude); // checks the row's tracks and exclusions
      let k = this.source.top(K, out, b * K);
      if (k === K) continue;
      if (this.stamp >= 0x3fffffff) {
        mark.fill(0);
        this.stamp = 0;
      }
      const st = ++this.stamp;
      for (let i = 0; i < N; i++) mark[s.tracks[b * N + i]] = st;
      if (exclude) for (let i = 0; i < exclude.X; i++) if (exclude.ids[b * exclude.X + i] >= 0) mark[exclude.ids[b * exclude.X + i]] = st;
      for (let i = 0; i < k; i++) mark[out[b * K + i]] = st;
      for (let i = 0; i < V && k < K; i++) {
        const t = this.fill[i];
        if (mark[t] === st) continue;
        mark[t] = st;
        out[b * K + k++] = t;
      }
      if (k < K) throw new Error(`${who}: only ${k} tracks left for state ${b}, need K = ${K}`);
    }
  }
}
