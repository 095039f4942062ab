// Session baselines as candidate sources (core/candidates.ts) and policies: first-order Markov
// transitions ("markov"), session-kNN ("sknn") and vector-multiplication session-kNN
// ("vsknn", Ludewig & Jannach 2018, "Evaluation of session-based recommendation algorithms";
// Jannach & Ludewig 2017, "When recurrent neural networks meet the neighborhood for
// session-based recommendation"). Fitted on training sessions only (baselines.ts's
// TrainingSessions); every policy is a SourcePolicy: the source's top K, filled from training
// popularity when the source has fewer candidates, so lists are always full. Markov also fits
// streaming over chunks of sessions in bounded memory (MarkovSource.fitStream, pair-runs.ts).
//
// Dimensions: V = catalog size, S = training sessions, N = state length, k = neighbour
// sessions, m = sampled candidate sessions.
//
// The defaults were chosen on validation cuts carved out of the TRAINING sessions of the real
// MSSD slice (never its test sessions: 2 split seeds × 3 cuts, `npm run tune:baselines`), and
// checked on the synthetic default data; where the real slice could not tell settings apart,
// the synthetic data decided. The figures are in the README ("Session baselines"). In short
// (validation hit rate@3 on the real slice, changing one setting from the defaults):
//   - Skipped plays count as plays in every fit: dropping skipped rows, or down-weighting
//     transitions into / votes for skipped tracks, lowers both the hit rate and the kept hit
//     rate (Markov 0.169 → 0.147 with skipped rows dropped; kept 0.085 → 0.079). MSSD
//     sessions follow playlists and albums: a skipped track is still followed by its successor.
//   - The state's feedback: Markov's back-off weight of a skipped state track (0.2) changes
//     nothing on the real slice (0.169 for 1, 0.5, 0.2, 0.1; 0.107 for 0) and helps on the
//     synthetic data (0.070 → 0.073); for SKNN and V-SKNN, any down-weighting of skipped state
//     tracks lowers the real-slice figures (V-SKNN 0.179 → 0.177 at 0.5), so they ignore it.
//   - Markov's decay 0.1 (0.169; 0.01–0.5 all within 0.002; 1, no back-off: 0.130).
//   - k = 20 neighbours: the real slice prefers fewer (SKNN 0.158 at k = 5, V-SKNN 0.181 at
//     k = 10, vs 0.155 and 0.179 at 20) but the synthetic data many more (SKNN 0.146 at k = 5,
//     0.185 at 20, 0.193 at 50); 20 costs the real slice 0.003.
//   - V-SKNN keeps the published weighting (linear positions, votes / step); quadratic
//     variants gain ≤ 0.003 on the real slice (at k = 20) and lose 0.013–0.024 on the
//     synthetic data.
//   - sample = 1000 candidate sessions bounds the cost on large data: on the real slice it
//     equals no sampling; on the synthetic data it costs 0.0015.
//
// This file imports nothing from Node.
import { LOG_FLAG } from "../data/log-parser.js";
import { selectTop, SourcePolicy, SparseScores, type CandidateSource, type Exclusion } from "../core/candidates.js";
import type { States } from "../core/state.js";
import { checkChunk, popularityOrder, rowUsed, sessionList, trainingPlayCounts, type FitOptions, type TrainingSessions } from "./baselines.js";
import { PairCounts, type PairCountOptions } from "./pair-runs.js";

function checkWeight(who: string, what: string, x: number): void {
  if (!(x >= 0 && x <= 1)) throw new Error(`${who}: ${what} must be in [0, 1], got ${x}`);
}

// ---------------------------------------------------------------------------------------
// Markov

export interface MarkovOptions extends FitOptions {
  /**
   * Weight of a transition a → b whose b was skipped (1: every transition counts; 0: only
   * transitions into kept plays). Default 1.
   */
  skippedNextWeight?: number;
  /** Back-off: the state's track at age a (0 = newest) weighs decay^a. Default 0.1. */
  decay?: number;
  /** A skipped state track's weight is multiplied by this. Default 0.2. */
  skippedStateWeight?: number;
  name?: string;
}

/**
 * First-order Markov transitions.
 *
 * Fit: in every training session, each play a followed by play b adds w to c(a → b) (w = 1,
 * or skippedNextWeight when b was skipped; with skipped "ignore", skipped rows are removed
 * first, so the kept plays around them become adjacent). P(b | a) = c(a → b) / Σ_u c(a → u).
 * The transitions are counted as integers, kept and skipped apart, and weighed once:
 * c(a → b) = kept + skipped · w, Σ_u c(a → u) = Σ kept + Σ skipped · w. (Before the fit
 * streamed, the weights were summed one transition at a time in log order: the same numbers
 * whenever every partial sum is exact, as for w = 1, 0 or 0.5, and within rounding otherwise.)
 *
 * Score (state s_0 .. s_{N−1}, oldest first): score(t) = Σ_n w_n · P(t | s_n) with
 * w_n = decay^(N−1−n), times skippedStateWeight when s_n was skipped. A small decay makes this
 * a back-off: the newest track's successors first (each probability counts at most 1, so an
 * older track's successor outranks them only through evidence from several positions), then
 * the older tracks' successors; the policy then fills from popularity.
 */
export class MarkovSource implements CandidateSource {
  readonly name: string;
  readonly decay: number;
  readonly skippedStateWeight: number;
  private readonly board: SparseScores;

  /** next[q], prob[q] for q in [start[a], start[a+1]): a's successors, most probable first (ties by lower index). */
  constructor(readonly start: Int32Array, readonly next: Int32Array, readonly prob: Float64Array, opts: { decay?: number; skippedStateWeight?: number; name?: string } = {}) {
    this.name = opts.name ?? "markov";
    this.decay = opts.decay ?? 0.1;
    this.skippedStateWeight = opts.skippedStateWeight ?? 0.2;
    if (!(this.decay > 0 && this.decay <= 1)) throw new Error(`${this.name}: decay must be in (0, 1], got ${this.decay}`);
    checkWeight(this.name, "skippedStateWeight", this.skippedStateWeight);
    const V = start.length - 1;
    if (!(V >= 1) || start[0] !== 0 || start[V] !== next.length || prob.length !== next.length) throw new Error(`${this.name}: inconsistent transition CSR`);
    for (let q = 0; q < next.length; q++) if (!(next[q] >= 0 && next[q] < V)) throw new Error(`${this.name}: transition ${q} leads to ${next[q]}, not a track in 0..${V - 1}`);
    this.board = new SparseScores(V);
  }

  static fit(tr: TrainingSessions, opts: MarkovOptions = {}): MarkovSource {
    return MarkovSource.fitStream([tr], tr.V, opts);
  }

  /**
   * The fit over the training sessions of every chunk (shards of one dataset, tracks global in
   * 0..V−1), iterated once, in bounded memory (pair-runs.ts): each transition is an occurrence
   * (a, b·2 + skipped), 16 bytes while buffered and 16 bytes a distinct transition in a run,
   * within `memoryBudget` (default 512 MiB) plus what `spill` stores on disk. Besides, the
   * final passes' scratch (12 bytes a track) and the output, sized exactly by a first pass
   * over the merged counts: 12 bytes a distinct transition. The counts are exact integers, so the result is the same
   * for any split of the same sessions into chunks.
   */
  static fitStream(chunks: Iterable<TrainingSessions>, V: number, opts: MarkovOptions & PairCountOptions = {}): MarkovSource {
    const who = opts.name ?? "markov", skipped = opts.skipped ?? "count", wSkip = opts.skippedNextWeight ?? 1;
    checkWeight(who, "skippedNextWeight", wSkip);
    const pairs = new PairCounts(who, V, true, opts);
    try {
      let c = 0;
      for (const tr of chunks) {
        checkChunk(who, tr, V, c++);
        if (wSkip !== 1 && !tr.flags) throw new Error(`${who}: skippedNextWeight needs per-row flags`);
        const ss = sessionList(tr), flags = wSkip !== 1 ? tr.flags : undefined;
        for (let i = 0; i < ss.length; i++) {
          const s = ss[i];
          let prev = -1;
          for (let r = tr.sessionOffsets[s]; r < tr.sessionOffsets[s + 1]; r++) {
            if (!rowUsed(tr, r, skipped)) continue;
            const t = tr.tracks[r];
            if (prev >= 0) pairs.add(prev, 2 * t + (flags && flags[r] & LOG_FLAG.skip_2 ? 1 : 0));
            prev = t;
          }
        }
      }
      // Per a (the merged transitions come grouped by a): c(a → b) = kept + skipped · weight,
      // normalise, most probable first. A first pass over the merge sizes the output (the
      // transitions of positive weight), the second fills it.
      pairs.finish();
      const start = new Int32Array(V + 1);
      let cur = pairs.cursor(), more = cur.next();
      for (let a = 0; a < V; a++) {
        let n = 0;
        for (; more && cur.a === a; more = cur.next()) if ((cur.c1 === 0 ? cur.c0 : cur.c0 + cur.c1 * wSkip) > 0) n++;
        start[a + 1] = start[a] + n;
      }
      const acc = new Float64Array(V), list = new Int32Array(V);
      const next = new Int32Array(start[V]), prob = new Float64Array(start[V]);
      cur = pairs.cursor();
      more = cur.next();
      for (let a = 0; a < V; a++) {
        let n = 0, kept = 0, skippedN = 0;
        for (; more && cur.a === a; more = cur.next()) {
          const b = cur.b;
          kept += cur.c0;
          skippedN += cur.c1;
          acc[b] = cur.c1 === 0 ? cur.c0 : cur.c0 + cur.c1 * wSkip;
          // only zero-weight transitions (skippedNextWeight 0): no evidence
          if (acc[b] > 0) list[n++] = b;
        }
        const total = skippedN === 0 ? kept : kept + skippedN * wSkip;
        selectTop(list, n, n, acc);
        for (let q = 0, e = start[a]; q < n; q++, e++) {
          next[e] = list[q];
          prob[e] = acc[list[q]] / total;
        }
      }
      return new MarkovSource(start, next, prob, { decay: opts.decay, skippedStateWeight: opts.skippedStateWeight, name: opts.name });
    } finally {
      pairs.dispose();
    }
  }

  begin(states: States, N: number, b: number, exclude?: Exclusion): void {
    const board = this.board, { start, next, prob } = this, tracks = states.tracks, kept = states.kept;
    board.begin(this.name, states, N, b, exclude);
    let w = 1;
    for (let n = N - 1; n >= 0; n--, w *= this.decay) {
      const a = tracks[b * N + n];
      const wn = kept[b * N + n] ? w : w * this.skippedStateWeight;
      if (wn === 0) continue;
      for (let q = start[a]; q < start[a + 1]; q++) board.add(next[q], wn * prob[q]);
    }
  }

  score(t: number): number {
    return this.board.get(t);
  }

  top(M: number, out: Int32Array, o: number): number {
    return this.board.top(this.name, M, out, o);
  }
}

// ---------------------------------------------------------------------------------------
// Session-kNN

export interface SessionKnnOptions extends FitOptions {
  /** Neighbour sessions k. Default 20 (both variants). */
  k?: number;
  /**
   * Candidate neighbours: the m most recent training sessions sharing a track with the state
   * (0: all of them). Recency is the order of the training sessions (the log's order: the
   * dataset keeps no dates). Default 1000.
   */
  sample?: number;
  /**
   * Weight of state position n (0 = oldest): "same" (1), "linear" ((n + 1) / N, the newest 1:
   * V-SKNN) or "quadratic" (((n + 1) / N)²). A track repeated in the state takes its newest
   * position's weight.
   */
  positionWeight?: "same" | "linear" | "quadratic";
  /**
   * V-SKNN: a neighbour's votes are multiplied by d(step), step = 1 + the age of the newest
   * state track it shares (1 for the newest): "none" (1), "div" (1 / step) or "quadratic"
   * (1 / step²).
   */
  matchDecay?: "none" | "div" | "quadratic";
  /** A skipped state track's weight is multiplied by this. Default 1 (feedback ignored). */
  skippedStateWeight?: number;
  /** A neighbour's vote for a track it only skipped is multiplied by this. Default 1 (feedback ignored). */
  skippedVoteWeight?: number;
  name?: string;
}

/** The two variants' defaults: SKNN (binary cosine) and V-SKNN (published weighting); k and sample tuned (file header). */
export const SKNN_DEFAULTS: Required<Omit<SessionKnnOptions, "name" | "skipped">> & { name: string } = {
  k: 20, sample: 1000, positionWeight: "same", matchDecay: "none", skippedStateWeight: 1, skippedVoteWeight: 1, name: "sknn",
};
export const VSKNN_DEFAULTS: Required<Omit<SessionKnnOptions, "name" | "skipped">> & { name: string } = {
  k: 20, sample: 1000, positionWeight: "linear", matchDecay: "div", skippedStateWeight: 1, skippedVoteWeight: 1, name: "vsknn",
};

/**
 * Session-kNN over binary track sets.
 *
 * Fit: each training session becomes the set of its distinct tracks (with skipped "ignore",
 * of its kept plays), and an inverted index track → sessions (CSR), most recent first.
 *
 * Score (state s_0 .. s_{N−1}): each distinct state track t gets a weight w(t) (positionWeight
 * of its newest position, times skippedStateWeight when that play was skipped). The candidate
 * neighbours are the training sessions sharing a track with the state (the m most recent when
 * sampling: a merge of the inverted lists, which are sorted by recency, stops after m
 * sessions). Each candidate session u has the cosine similarity
 *   sim(u) = Σ_{t ∈ state ∩ u} w(t) / (sqrt(Σ_{t ∈ state} w(t)²) · sqrt(|u|)),
 * the k most similar are the neighbours (ties by lower index), and
 *   score(t) = Σ_{neighbours u ∋ t} sim(u) · d(u),
 * d(u) = 1, or with matchDecay a decreasing function of 1 + the age of the newest state track
 * u shares (V-SKNN: 1 / that).
 */
export class SessionKnnSource implements CandidateSource {
  readonly name: string;
  readonly k: number;
  readonly sample: number;
  readonly positionWeight: "same" | "linear" | "quadratic";
  readonly matchDecay: "none" | "div" | "quadratic";
  readonly skippedStateWeight: number;
  readonly skippedVoteWeight: number;
  private readonly board: SparseScores;
  /** Sessions 0..S−1 in the fit's order (recency). */
  readonly S: number;
  // per-call scratch over sessions (stamps) and over the state's distinct tracks
  private readonly sTag: Int32Array;
  private readonly sOverlap: Float64Array;
  private readonly sNewest: Int32Array;
  private readonly sSim: Float64Array;
  private readonly sTouched: Int32Array;
  private sStamp = 0;
  /** Candidate sessions of the current state: sTouched[0, C). */
  private C = 0;
  private readonly tTag: Int32Array;
  private tStamp = 0;
  private stTrack = new Int32Array(16);
  private stWeight = new Float64Array(16);
  private stPos = new Int32Array(16);
  private ptr = new Int32Array(16);

  /**
   * sessionStart/sessionTracks: the distinct tracks of each training session (CSR over S);
   * postStart/post: the sessions of each track (CSR over V), most recent (highest index) first;
   * sessionKept (parallel to sessionTracks): 1 when the session kept at least one play of the track.
   */
  constructor(
    readonly sessionStart: Int32Array, readonly sessionTracks: Int32Array,
    readonly postStart: Int32Array, readonly post: Int32Array,
    opts: SessionKnnOptions = {},
    readonly sessionKept?: Uint8Array,
  ) {
    const base = SKNN_DEFAULTS; // fitVsknn passes VSKNN_DEFAULTS
    this.name = opts.name ?? base.name;
    this.k = opts.k ?? base.k;
    this.sample = opts.sample ?? base.sample;
    this.positionWeight = opts.positionWeight ?? base.positionWeight;
    this.matchDecay = opts.matchDecay ?? base.matchDecay;
    this.skippedStateWeight = opts.skippedStateWeight ?? base.skippedStateWeight;
    this.skippedVoteWeight = opts.skippedVoteWeight ?? base.skippedVoteWeight;
    const who = this.name;
    if (!(Number.isInteger(this.k) && this.k >= 1)) throw new Error(`${who}: k must be a positive integer, got ${this.k}`);
    if (!(Number.isInteger(this.sample) && this.sample >= 0)) throw new Error(`${who}: sample must be a non-negative integer (0: all), got ${this.sample}`);
    if (!["same", "linear", "quadratic"].includes(this.positionWeight)) throw new Error(`${who}: positionWeight must be "same", "linear" or "quadratic", got ${String(this.positionWeight)}`);
    if (!["none", "div", "quadratic"].includes(this.matchDecay)) throw new Error(`${who}: matchDecay must be "none", "div" or "quadratic", got ${String(this.matchDecay)}`);
    checkWeight(who, "skippedStateWeight", this.skippedStateWeight);
    checkWeight(who, "skippedVoteWeight", this.skippedVoteWeight);
    if (sessionKept && sessionKept.length !== sessionTracks.length) throw new Error(`${who}: ${sessionKept.length} kept flags for ${sessionTracks.length} session tracks`);
    if (this.skippedVoteWeight !== 1 && !sessionKept) throw new Error(`${who}: skippedVoteWeight needs the sessions' kept flags`);
    const S = sessionStart.length - 1, V = postStart.length - 1;
    if (!(S >= 0 && V >= 1) || sessionStart[0] !== 0 || sessionStart[S] !== sessionTracks.length || postStart[0] !== 0 || postStart[V] !== post.length) throw new Error(`${who}: inconsistent session or inverted-index CSR`);
    for (let q = 0; q < sessionTracks.length; q++) if (!(sessionTracks[q] >= 0 && sessionTracks[q] < V)) throw new Error(`${who}: session track ${q} is ${sessionTracks[q]}, not a track in 0..${V - 1}`);
    for (let q = 0; q < post.length; q++) if (!(post[q] >= 0 && post[q] < S)) throw new Error(`${who}: inverted-index entry ${q} is ${post[q]}, not a session in 0..${S - 1}`);
    this.S = S;
    this.board = new SparseScores(V);
    this.sTag = new Int32Array(S);
    this.sOverlap = new Float64Array(S);
    this.sNewest = new Int32Array(S);
    this.sSim = new Float64Array(S);
    this.sTouched = new Int32Array(S);
    this.tTag = new Int32Array(V);
  }

  static fit(tr: TrainingSessions, opts: SessionKnnOptions = {}): SessionKnnSource {
    const skipped = opts.skipped ?? "count", V = tr.V, ss = sessionList(tr), S = ss.length;
    // distinct tracks per session
    const sessionStart = new Int32Array(S + 1), last = new Int32Array(V).fill(-1), slot = new Int32Array(V);
    let buf = new Int32Array(1024), keptBuf = new Uint8Array(1024), E = 0;
    for (let i = 0; i < S; i++) {
      const s = ss[i];
      for (let r = tr.sessionOffsets[s]; r < tr.sessionOffsets[s + 1]; r++) {
        if (!rowUsed(tr, r, skipped)) continue;
        const t = tr.tracks[r], kept = tr.flags && tr.flags[r] & LOG_FLAG.skip_2 ? 0 : 1;
        if (last[t] === i) {
          keptBuf[slot[t]] |= kept;
          continue;
        }
        last[t] = i;
        if (E === buf.length) {
          const nb = new Int32Array(2 * E), nk = new Uint8Array(2 * E);
          nb.set(buf);
          nk.set(keptBuf);
          buf = nb;
          keptBuf = nk;
        }
        slot[t] = E;
        keptBuf[E] = kept;
        buf[E++] = t;
      }
      sessionStart[i + 1] = E;
    }
    const sessionTracks = buf.slice(0, E);
    // inverted index, most recent session first: fill sessions from the last one
    const postStart = new Int32Array(V + 1);
    for (let q = 0; q < E; q++) postStart[sessionTracks[q] + 1]++;
    for (let t = 0; t < V; t++) postStart[t + 1] += postStart[t];
    const at = postStart.slice(0, V), post = new Int32Array(E);
    for (let i = S - 1; i >= 0; i--) for (let q = sessionStart[i]; q < sessionStart[i + 1]; q++) post[at[sessionTracks[q]]++] = i;
    return new SessionKnnSource(sessionStart, sessionTracks, postStart, post, opts, tr.flags ? keptBuf.slice(0, E) : undefined);
  }

  begin(states: States, N: number, b: number, exclude?: Exclusion): void {
    const board = this.board, tracks = states.tracks, kept = states.kept;
    board.begin(this.name, states, N, b, exclude);
    if (N > this.stTrack.length) {
      this.stTrack = new Int32Array(N);
      this.stWeight = new Float64Array(N);
      this.stPos = new Int32Array(N);
      this.ptr = new Int32Array(N);
    }
    const { stTrack, stWeight, stPos, ptr, tTag, sTag, sOverlap, sNewest, sSim, sTouched, postStart, post, sessionStart, sessionTracks } = this;
    // The state's distinct tracks, newest occurrence first, with their weights.
    if (this.tStamp >= 0x3fffffff) {
      tTag.fill(0);
      this.tStamp = 0;
    }
    const ts = ++this.tStamp;
    let D = 0, norm2 = 0, postings = 0;
    for (let n = N - 1; n >= 0; n--) {
      const t = tracks[b * N + n];
      if (tTag[t] === ts) continue;
      tTag[t] = ts;
      const lin = (n + 1) / N;
      let w = this.positionWeight === "same" ? 1 : this.positionWeight === "linear" ? lin : lin * lin;
      if (!kept[b * N + n]) w *= this.skippedStateWeight;
      norm2 += w * w;
      if (w === 0) continue;
      stTrack[D] = t;
      stWeight[D] = w;
      stPos[D++] = n;
      postings += postStart[t + 1] - postStart[t];
    }
    if (D === 0) return;
    // Candidate sessions: overlap (Σ shared weights) and the newest shared position.
    if (this.sStamp >= 0x3fffffff) {
      sTag.fill(0);
      this.sStamp = 0;
    }
    ++this.sStamp;
    this.C = 0;
    if (this.sample === 0 || postings <= this.sample) {
      // every candidate (when the lists hold at most m entries, they hold at most m sessions)
      for (let j = 0; j < D; j++) {
        const t = stTrack[j];
        for (let q = postStart[t]; q < postStart[t + 1]; q++) this.touch(post[q], j);
      }
    } else {
      // merge the inverted lists (each most recent first) until m distinct sessions are taken;
      // a session's entries in every list come out together, so its overlap is complete
      for (let j = 0; j < D; j++) ptr[j] = postStart[stTrack[j]];
      let cur = -1;
      for (;;) {
        let best = -1, bestU = -1;
        for (let j = 0; j < D; j++) {
          const q = ptr[j];
          if (q < postStart[stTrack[j] + 1] && post[q] > bestU) {
            bestU = post[q];
            best = j;
          }
        }
        if (best < 0) break;
        if (bestU !== cur) {
          if (this.C === this.sample) break;
          cur = bestU;
        }
        this.touch(bestU, best);
        ptr[best]++;
      }
    }
    // Similarities, the k nearest, their votes.
    const normS = Math.sqrt(norm2), C = this.C;
    for (let c = 0; c < C; c++) {
      const u = sTouched[c];
      sSim[u] = sOverlap[u] / (normS * Math.sqrt(sessionStart[u + 1] - sessionStart[u]));
    }
    const kn = selectTop(sTouched, C, this.k, sSim);
    for (let c = 0; c < kn; c++) {
      const u = sTouched[c];
      const step = N - sNewest[u];
      const vote = this.matchDecay === "none" ? sSim[u] : this.matchDecay === "div" ? sSim[u] / step : sSim[u] / (step * step);
      if (this.skippedVoteWeight === 1) for (let q = sessionStart[u]; q < sessionStart[u + 1]; q++) board.add(sessionTracks[q], vote);
      else for (let q = sessionStart[u]; q < sessionStart[u + 1]; q++) board.add(sessionTracks[q], this.sessionKept![q] ? vote : vote * this.skippedVoteWeight);
    }
  }

  /** Candidate session u shares the state's distinct track j (a method, not a closure: begin() allocates nothing). */
  private touch(u: number, j: number): void {
    const { sTag, sOverlap, sNewest, stPos } = this, ss = this.sStamp;
    if (sTag[u] !== ss) {
      sTag[u] = ss;
      sOverlap[u] = 0;
      sNewest[u] = -1;
      this.sTouched[this.C++] = u;
    }
    sOverlap[u] += this.stWeight[j];
    if (stPos[j] > sNewest[u]) sNewest[u] = stPos[j];
  }

  score(t: number): number {
    return this.board.get(t);
  }

  top(M: number, out: Int32Array, o: number): number {
    return this.board.top(this.name, M, out, o);
  }
}

// ---------------------------------------------------------------------------------------
// Policies

/** The source's top K, filled from training popularity (counted with the same `skipped` rule). */
function policyOver(source: CandidateSource, tr: TrainingSessions, opts: FitOptions): SourcePolicy {
  return new SourcePolicy(source, popularityOrder(trainingPlayCounts(tr, opts)));
}

/** The Markov policy ("markov"). */
export function fitMarkov(tr: TrainingSessions, opts: MarkovOptions = {}): SourcePolicy {
  return policyOver(MarkovSource.fit(tr, opts), tr, opts);
}

/** The SKNN policy ("sknn"): SKNN_DEFAULTS overridden by opts. */
export function fitSknn(tr: TrainingSessions, opts: SessionKnnOptions = {}): SourcePolicy {
  return policyOver(SessionKnnSource.fit(tr, { ...SKNN_DEFAULTS, ...opts }), tr, opts);
}

/** The V-SKNN policy ("vsknn"): VSKNN_DEFAULTS overridden by opts. */
export function fitVsknn(tr: TrainingSessions, opts: SessionKnnOptions = {}): SourcePolicy {
  return policyOver(SessionKnnSource.fit(tr, { ...VSKNN_DEFAULTS, ...opts }), tr, opts);
}
