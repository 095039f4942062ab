// Train/test split by session, seeded: the same seed and session count give the same split.
import { Rng } from "../rng.js";

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
