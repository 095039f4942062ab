// Train/test split by session, seeded: the same seed and session count give the same split.
import { Rng } from "../rng.js";
import { fmix32 } from "./bytes.js";

export interface SplitOptions {
  /** Fraction of sessions in the training set. Default 0.7. */
  trainFraction?: number;
  /** Seed of the shuffle. Default 0. */
  seed?: number;
}

export interface SessionSplit {
  /** Session indices, ascending. round(trainFraction · S) of them. */
  train: Int32Array;
  /** The other sessions, ascending. */
  test: Int32Array;
}

/** Shuffles 0..S-1 with a seeded Rng and cuts it at round(trainFraction · S). */
export function splitSessions(sessionCount: number, opts: SplitOptions = {}): SessionSplit {
  const frac = opts.trainFraction ?? 0.7;
  if (!(frac >= 0 && frac <= 1)) throw new Error(`splitSessions: trainFraction must be in [0, 1], got ${frac}`);
  if (!(Number.isInteger(sessionCount) && sessionCount >= 0)) throw new Error(`splitSessions: bad session count ${sessionCount}`);
  const order = new Int32Array(sessionCount);
  for (let i = 0; i < sessionCount; i++) order[i] = i;
  new Rng(opts.seed ?? 0).shuffle(order);
  const nTrain = Math.round(frac * sessionCount);
  return { train: order.slice(0, nTrain).sort(), test: order.slice(nTrain).sort() };
}

// A split decided per session, for datasets too large to hold (the sharded dataset,
// src/data/shards.ts): session s (its index in the dataset, 0-based) goes to training when
// hashUnit(seed, s) < trainFraction. The hash mixes the seed and the index (murmur3's 32-bit
// finaliser over each word), so membership needs neither the session count nor the other
// sessions, and the same seed gives the same split whatever reads it. The training share is
// trainFraction in expectation, not round(trainFraction · S) exactly as splitSessions gives,
// and the two splits differ: a model trained on one must be evaluated on the same kind.


/** A number in [0, 1) fixed by (seed, index), uniform over indices; index a non-negative integer below 2⁵³. */
export function hashUnit(seed: number, index: number): number {
  const lo = index >>> 0, hi = Math.floor(index / 4294967296) >>> 0;
  let h = fmix32((seed >>> 0) ^ 0x3c6ef372);
  h = fmix32((h ^ lo) >>> 0);
  h = fmix32((Math.imul(h, 0x9e3779b1) ^ hi) >>> 0);
  return h / 4294967296;
}

/** Whether session `index` is a training session of the per-session split (trainFraction default 0.7, seed default 0). */
export function inHashTrain(index: number, opts: SplitOptions = {}): boolean {
  return hashUnit(opts.seed ?? 0, index) < (opts.trainFraction ?? 0.7);
}

/** The per-session split of sessions 0..S-1 as index lists (for datasets that fit in memory, and tests). */
export function hashSplit(sessionCount: number, opts: SplitOptions = {}): SessionSplit {
  const frac = opts.trainFraction ?? 0.7;
  if (!(frac >= 0 && frac <= 1)) throw new Error(`hashSplit: trainFraction must be in [0, 1], got ${frac}`);
  const train: number[] = [], test: number[] = [];
  for (let s = 0; s < sessionCount; s++) (inHashTrain(s, opts) ? train : test).push(s);
  return { train: Int32Array.from(train), test: Int32Array.from(test) };
}
