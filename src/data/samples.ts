// List-wise training samples (Zhao et al. 2018, LIRD): state = the N plays before, each with its
// feedback (kept: skip_2 false), action = the next K tracks, rewards = K flags "not skipped". Stored flat in typed
// arrays, sample i at [i·N, (i+1)·N) of states and [i·K, (i+1)·K) of actions and rewards.
//
// chronological (default): slide over each session of m rows; for t = N .. m − K the state
//   is rows t−N .. t−1 and the action rows t .. t+K−1 (m − N − K + 1 samples per session).
// random (the original project's sampling): per session, cut at sep = floor(stateFraction·m);
//   the state is N distinct rows drawn from [0, sep), the action K distinct rows drawn from
//   [sep, m), both kept in position order; samplesPerSession draws per session. Sessions
//   with sep < N or m − sep < K give no sample.
import { Rng } from "../rng.js";
import { LOG_FLAG } from "./log-parser.js";

export interface SampleOptions {
  /** State length. Default 10. */
  N?: number;
  /** Action (list) length. Default 3. */
  K?: number;
  /** Default "chronological". */
  mode?: "chronological" | "random";
  /** random mode: seed. Default 0. */
  seed?: number;
  /** random mode: draws per session. Default 1. */
  samplesPerSession?: number;
  /** random mode: share of a session the state is drawn from. Default 0.8. */
  stateFraction?: number;
}

export interface Samples {
  count: number;
  N: number;
  K: number;
  /** count x N track indices, oldest first. */
  states: Int32Array;
  /** count x N feedback of the state's plays: 1 kept (skip_2 false), 0 skipped. */
  stateKept: Uint8Array;
  /** count x K track indices, in position order. */
  actions: Int32Array;
  /** count x K: 1 when the action's track was not skipped (skip_2 false). */
  rewards: Uint8Array;
  /** The session each sample came from. */
  session: Int32Array;
}

/** The session arrays samples are cut from (an MssdDataset or hand-built parts). */
export interface SessionRows {
  sessionOffsets: Int32Array;
  tracks: Int32Array;
  flags: Uint16Array;
}

export function buildSamples(ds: SessionRows, sessions: ArrayLike<number>, opts: SampleOptions = {}): Samples {
  const N = opts.N ?? 10, K = opts.K ?? 3, mode = opts.mode ?? "chronological";
  if (!(Number.isInteger(N) && N >= 1 && Number.isInteger(K) && K >= 1)) throw new Error(`buildSamples: N and K must be positive integers, got N=${N} K=${K}`);
  const off = ds.sessionOffsets, tracks = ds.tracks, flags = ds.flags;
  const S = off.length - 1;
  for (let i = 0; i < sessions.length; i++) {
    const s = sessions[i];
    if (!(Number.isInteger(s) && s >= 0 && s < S)) throw new Error(`buildSamples: session index ${s} outside 0..${S - 1}`);
  }
  const SKIP = LOG_FLAG.skip_2;
  if (mode === "chronological") {
    let count = 0;
    for (let i = 0; i < sessions.length; i++) {
      const m = off[sessions[i] + 1] - off[sessions[i]];
      if (m >= N + K) count += m - N - K + 1;
    }
    const out = alloc(count, N, K);
    let j = 0;
    for (let i = 0; i < sessions.length; i++) {
      const s = sessions[i], a = off[s], m = off[s + 1] - a;
      for (let t = N; t + K <= m; t++, j++) {
        out.states.set(tracks.subarray(a + t - N, a + t), j * N);
        for (let n = 0; n < N; n++) out.stateKept[j * N + n] = flags[a + t - N + n] & SKIP ? 0 : 1;
        for (let k = 0; k < K; k++) {
          out.actions[j * K + k] = tracks[a + t + k];
          out.rewards[j * K + k] = flags[a + t + k] & SKIP ? 0 : 1;
        }
        out.session[j] = s;
      }
    }
    return out;
  }
  if (mode !== "random") throw new Error(`buildSamples: unknown mode ${String(mode)}`);
  const per = opts.samplesPerSession ?? 1, frac = opts.stateFraction ?? 0.8;
  if (!(Number.isInteger(per) && per >= 1)) throw new Error(`buildSamples: samplesPerSession must be a positive integer, got ${per}`);
  if (!(frac > 0 && frac < 1)) throw new Error(`buildSamples: stateFraction must be in (0, 1), got ${frac}`);
  let count = 0;
  for (let i = 0; i < sessions.length; i++) {
    const m = off[sessions[i] + 1] - off[sessions[i]], sep = Math.floor(frac * m);
    if (sep >= N && m - sep >= K) count += per;
  }
  const out = alloc(count, N, K);
  const rng = new Rng(opts.seed ?? 0);
  let scratch = new Int32Array(64);
  const pick = new Int32Array(Math.max(N, K));
  let j = 0;
  for (let i = 0; i < sessions.length; i++) {
    const s = sessions[i], a = off[s], m = off[s + 1] - a, sep = Math.floor(frac * m);
    if (!(sep >= N && m - sep >= K)) continue;
    if (m > scratch.length) scratch = new Int32Array(m * 2);
    for (let d = 0; d < per; d++, j++) {
      draw(rng, scratch, 0, sep, N, pick);
      for (let n = 0; n < N; n++) {
        out.states[j * N + n] = tracks[a + pick[n]];
        out.stateKept[j * N + n] = flags[a + pick[n]] & SKIP ? 0 : 1;
      }
      draw(rng, scratch, sep, m, K, pick);
      for (let k = 0; k < K; k++) {
        out.actions[j * K + k] = tracks[a + pick[k]];
        out.rewards[j * K + k] = flags[a + pick[k]] & SKIP ? 0 : 1;
      }
      out.session[j] = s;
    }
  }
  return out;
}

function alloc(count: number, N: number, K: number): Samples {
  return { count, N, K, states: new Int32Array(count * N), stateKept: new Uint8Array(count * N), actions: new Int32Array(count * K), rewards: new Uint8Array(count * K), session: new Int32Array(count) };
}

/** n distinct positions from [lo, hi) into pick[0, n), ascending (partial Fisher–Yates). */
function draw(rng: Rng, scratch: Int32Array, lo: number, hi: number, n: number, pick: Int32Array): void {
  const w = hi - lo;
  for (let i = 0; i < w; i++) scratch[i] = lo + i;
  for (let i = 0; i < n; i++) {
    const k = i + rng.int(w - i);
    const t = scratch[i];
    scratch[i] = scratch[k];
    scratch[k] = t;
  }
  for (let i = 0; i < n; i++) {
    // insertion sort: n is small (N or K)
    const v = scratch[i];
    let q = i;
    while (q > 0 && pick[q - 1] > v) {
      pick[q] = pick[q - 1];
      q--;
    }
    pick[q] = v;
  }
}
