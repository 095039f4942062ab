// The offline protocols over test sessions that come in chunks: the shards of a dataset too
// large to hold (src/data/shards.ts), one in memory at a time. Each protocol is a run
// (NextTracksRun, OriginalRun in ./protocols/) that evaluates one chunk's test sessions with
// every policy under every seed, appends their per-session sums, and bootstraps at the end;
// the figures are those of evaluate() over the same sessions in one piece, bit for bit.
//
// Passes: the protocols run in the order given, each over every chunk; "next-tracks" reads
// the chunks once, "original" once per round (its states of round r are drawn after every
// state of round r − 1, as the original's loop over rounds does).
//
// Held in memory besides the chunk being read, for each test session evaluated: per policy,
// next-tracks' 8 sums of 16 bytes (128 bytes); per policy and seed, original's 6 numbers
// (48 bytes), and for catalog coverage the session's offset (4 bytes) and its distinct
// recommended tracks (4 bytes each, at most K a position); once, 36 bytes (the logged
// reference and the eligible list). Up to twice that while the arrays grow. A session of m
// rows under P policies and S seeds thus costs at most about
// 36 + P·(128 + S·(52 + 4·K·max(0, m − N − K + 1))) bytes; --max-sessions bounds the sessions.
//
// This file imports nothing from Node.
import type { ProtocolResult } from "./types.js";
import { hashUnit } from "../data/split.js";
import { cachedPolicies, common, type EvalCatalog, type EvalSessions, type PolicySource, type ProtocolOptions, type WorkSpan } from "./protocols/common.js";
import { NextTracksRun, type NextTracksOptions } from "./protocols/next-tracks.js";
import { OriginalRun, type OriginalOptions } from "./protocols/original.js";

/** One chunk's test sessions: `test` lists indices into `data`, ascending; `span` is the share of one pass over the chunks it is (for progress). */
export interface TestChunk {
  data: EvalSessions;
  test: ArrayLike<number>;
  span?: WorkSpan;
}

export type StreamProtocolId = "original" | "next-tracks";

export interface StreamEvaluateOptions extends Omit<ProtocolOptions, "progress"> {
  protocols: StreamProtocolId[];
  policies: PolicySource;
  /** Catalog size and audio features (the diversity space). */
  catalog: EvalCatalog;
  /** The test chunks in dataset order, afresh on each call: called once per pass. */
  chunks: () => Iterable<TestChunk>;
  /** Training play counts per track (next-tracks' novelty). */
  playCount: Int32Array;
  original?: Omit<OriginalOptions, keyof ProtocolOptions>;
  nextTracks?: Omit<NextTracksOptions, keyof ProtocolOptions | "playCount">;
  /** Progress of each protocol in turn: `done` of `total` policy runs of `protocol`. */
  onProgress?: (protocol: StreamProtocolId, done: number, total: number) => void;
}

/**
 * Runs the chosen offline protocols over test chunks, in the order given. The policy factory
 * is called once per seed and its policies are shared by the protocols (as evaluate()).
 */
export function evaluateStream(o: StreamEvaluateOptions): ProtocolResult[] {
  const c = common(o);
  const policies = cachedPolicies(o.policies);
  const base = (p: StreamProtocolId): ProtocolOptions => ({
    seeds: c.seeds, N: c.N, K: c.K, batch: c.batch, bootstrap: c.bootstrap, agent: c.agent,
    progress: o.onProgress ? (done, total) => o.onProgress!(p, done, total) : undefined,
  });
  return o.protocols.map((p) => {
    if (p === "next-tracks") {
      const run = new NextTracksRun(o.catalog, policies, { ...o.nextTracks, ...base(p), playCount: o.playCount });
      for (const ch of o.chunks()) run.add(ch.data, ch.test, ch.span);
      return run.result();
    }
    if (p === "original") {
      const run = new OriginalRun(o.catalog, policies, { ...o.original, ...base(p) });
      const R = run.rounds;
      for (let r = 0; r < R; r++) {
        for (const ch of o.chunks()) {
          const s = ch.span ?? { from: 0, to: 1 };
          run.add(r, ch.data, ch.test, { from: (r + s.from) / R, to: (r + s.to) / R });
        }
      }
      return run.result();
    }
    throw new Error(`evaluateStream: protocol "${String(p)}" does not run over chunks of sessions (only original and next-tracks do)`);
  });
}

/**
 * The --max-sessions subsample of a per-session hash split's test part, decided per session
 * without a count up front: test session s (its dataset index) is evaluated when
 * hashUnit(seed, s) < trainFraction + max / sessionCount. A test session's hashUnit is
 * uniform on [trainFraction, 1), so each is kept with probability max / (sessionCount ·
 * (1 − trainFraction)): about `max` sessions in all (a binomial count, not exactly max), the
 * same ones for the same seed, and all of them when max reaches the part's expected size.
 */
export function inHashSubsample(index: number, seed: number, trainFraction: number, max: number, sessionCount: number): boolean {
  if (max <= 0 || sessionCount <= 0) return true;
  return hashUnit(seed, index) < trainFraction + max / sessionCount;
}
