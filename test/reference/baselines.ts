// The baseline fits as they were before they streamed (item-kNN's co-occurrence neighbours,
// Markov's transition probabilities, training play counts): one in-memory pass over a
// TrainingSessions, kept plainly as the reference the streaming fits (src/eval/baselines.ts,
// src/eval/session-baselines.ts) must equal bit for bit.
import { LOG_FLAG } from "../../src/data/log-parser.js";
import { rowUsed, sessionList, type FitOptions, type ItemKnnOptions, type TrainingSessions } from "../../src/eval/baselines.js";
import type { MarkovOptions } from "../../src/eval/session-baselines.js";

export function playCountsReference(tr: TrainingSessions, opts: FitOptions = {}): Int32Array {
  const skipped = opts.skipped ?? "count";
  const c = new Int32Array(tr.V);
  const ss = sessionList(tr);
  for (let i = 0; i < ss.length; i++) {
    const s = ss[i];
    for (let r = tr.sessionOffsets[s]; r < tr.sessionOffsets[s + 1]; r++) if (rowUsed(tr, r, skipped)) c[tr.tracks[r]]++;
  }
  return c;
}

export function itemKnnFitReference(tr: TrainingSessions, opts: ItemKnnOptions = {}): { nbrStart: Int32Array; nbr: Int32Array; sim: Float32Array; popularCounts: Int32Array } {
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
  return { nbrStart, nbr, sim, popularCounts: playCountsReference(tr, { skipped }) };
}

export function markovFitReference(tr: TrainingSessions, opts: MarkovOptions = {}): { start: Int32Array; next: Int32Array; prob: Float64Array } {
  const who = opts.name ?? "markov", skipped = opts.skipped ?? "count", wSkip = opts.skippedNextWeight ?? 1;
      if (wSkip !== 1 && !tr.flags) throw new Error(`${who}: skippedNextWeight needs per-row flags`);
  const V = tr.V, ss = sessionList(tr);
  // Transitions (a, b, w), counted per a, then placed by a counting sort.
  const outCount = new Int32Array(V + 1);
  const visit = (fn: (a: number, b: number, w: number) => void): void => {
    for (let i = 0; i < ss.length; i++) {
      const s = ss[i];
      let prev = -1;
      for (let r = tr.sessionOffsets[s]; r < tr.sessionOffsets[s + 1]; r++) {
        if (!rowUsed(tr, r, skipped)) continue;
        const t = tr.tracks[r];
        if (prev >= 0) fn(prev, t, tr.flags && tr.flags[r] & LOG_FLAG.skip_2 ? wSkip : 1);
        prev = t;
      }
    }
  };
  visit((a) => outCount[a + 1]++);
  for (let a = 0; a < V; a++) outCount[a + 1] += outCount[a];
  const at = outCount.slice(0, V), rawNext = new Int32Array(outCount[V]), rawW = new Float64Array(outCount[V]);
  visit((a, b, w) => {
    rawNext[at[a]] = b;
    rawW[at[a]++] = w;
  });
  // Per a: merge repeated successors, normalise, most probable first.
  const acc = new Float64Array(V), seen = new Int32Array(V).fill(-1), list: number[] = [];
  const start = new Int32Array(V + 1);
  const next = new Int32Array(rawNext.length), prob = new Float64Array(rawNext.length);
  let E = 0;
  for (let a = 0; a < V; a++) {
    list.length = 0;
    let total = 0;
    for (let q = outCount[a]; q < outCount[a + 1]; q++) {
      const b = rawNext[q];
      if (seen[b] !== a) {
        seen[b] = a;
        acc[b] = 0;
        list.push(b);
      }
      acc[b] += rawW[q];
      total += rawW[q];
    }
    list.sort((u, v) => acc[v] - acc[u] || u - v);
    for (const b of list) {
      if (!(acc[b] > 0)) continue; // only zero-weight transitions (skippedNextWeight 0): no evidence
      next[E] = b;
      prob[E++] = acc[b] / total;
    }
    start[a + 1] = E;
  }
  return { start, next: next.slice(0, E), prob: prob.slice(0, E) };
}
