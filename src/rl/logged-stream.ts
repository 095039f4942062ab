// Logged transitions streamed window by window: the offline learner (`encore train --env
// logged`) on a dataset too large to hold, a sharded dataset read one shard at a time
// (src/data/shards.ts). Each window is the samples of one shard's training sessions
// (src/data/samples.ts), held as a LoggedTransitions; only the current window is in memory.
//
// Semantics (the shuffle-buffer trade-off): a batch is drawn uniformly with replacement from
// the current window, exactly as LoggedTransitions draws from all samples. A window serves
// ceil(count / B) batches, its share (B the batch size), so a pass over the windows draws about
// as many transitions as there are samples, and every sample has about one chance per pass;
// then the next window is loaded. The windows are visited in a seeded order, reshuffled every
// pass. Within a window the draws are as uniform as in memory; across windows they are not: a
// batch never mixes samples of two shards, and consecutive batches share a shard (its sessions
// are contiguous in the logs, so close in time). Larger shards give a wider window, the same
// trade-off a streaming shuffle buffer makes between memory and mixing. With one window
// holding every sample the draws are those of LoggedTransitions, batch for batch.
//
// Everything is fixed by the seed and the Trainer's random stream: the order of pass p is a
// permutation drawn from (seed, p), and the position (pass, window, batches drawn from it) is
// part of the Trainer's state, so a checkpoint resumes at the same window and draw.
//
// This file imports nothing from Node: the windows come from a loader the caller gives.
import { Rng } from "../rng.js";
import { fmix32 } from "../data/bytes.js";
import type { Samples } from "../data/samples.js";
import { loggedBatch, LoggedTransitions, type LoggedBatch } from "./logged.js";

/** What the stream cycles over: `count` windows, window k's samples built on demand. */
export interface SampleWindows {
  readonly count: number;
  /** Window k's samples (may be empty: the stream moves on). */
  load(k: number): Samples;
}

/** Where a stream stands: what a checkpoint records to resume at the same draw. */
export interface LoggedStreamState {
  /** Passes over the windows completed. */
  pass: number;
  /** Position in this pass's order. */
  position: number;
  /** The window at that position (a check: the order is recomputed from the seed). */
  window: number;
  /** Its sample count (a check that the data is the same). */
  samples: number;
  /** Batches drawn from it so far. */
  drawn: number;
}

export interface LoggedStreamOptions {
  /** Discount Γ of the list reward Σ_k Γ^k r_k. Default 0.9. */
  listGamma?: number;
  /** Seed of the window order. Default 0. */
  seed?: number;
  /** Called when a window is loaded (which window, its samples, the pass). */
  onWindow?: (window: number, samples: number, pass: number) => void;
}

export class LoggedStream {
  readonly N: number;
  readonly K: number;
  readonly listGamma: number;
  private readonly seed: number;
  private readonly onWindow?: (window: number, samples: number, pass: number) => void;
  private order: Int32Array;
  private pass = 0;
  private position = 0;
  private drawn = 0;
  private current: LoggedTransitions | null = null;
  private currentIndex = -1;

  constructor(readonly windows: SampleWindows, N: number, K: number, o: LoggedStreamOptions = {}) {
    if (!(Number.isInteger(windows.count) && windows.count >= 1)) throw new Error(`logged stream: needs at least one window, got ${windows.count}`);
    this.N = N;
    this.K = K;
    this.listGamma = o.listGamma ?? 0.9;
    if (!(this.listGamma > 0 && this.listGamma <= 1)) throw new Error(`logged stream: listGamma must be in (0, 1], got ${this.listGamma}`);
    this.seed = (o.seed ?? 0) >>> 0;
    this.onWindow = o.onWindow;
    this.order = this.orderOf(0);
    this.settle();
  }

  /** The window order of pass p: a permutation of 0..count−1 fixed by (seed, p). */
  orderOf(pass: number): Int32Array {
    const order = Int32Array.from({ length: this.windows.count }, (_, k) => k);
    new Rng((fmix32(this.seed ^ 0x6c078965) ^ pass) >>> 0).shuffle(order);
    return order;
  }

  /** The current window's sample count. */
  get windowSamples(): number {
    return this.current!.count;
  }

  createBatch(B: number): LoggedBatch {
    return loggedBatch(B, this.N, this.K);
  }

  /** Fill `batch` with batch.B transitions drawn uniformly with replacement from the current window, moving on once its share is drawn. */
  sampleInto(rng: Rng, batch: LoggedBatch): LoggedBatch {
    if (this.drawn >= shareOf(this.current!.count, batch.B)) {
      this.position++;
      this.settle();
    }
    this.current!.sampleInto(rng, batch);
    this.drawn++;
    return batch;
  }

  getState(): LoggedStreamState {
    return { pass: this.pass, position: this.position, window: this.currentIndex, samples: this.current!.count, drawn: this.drawn };
  }

  /** Resume at a recorded position: reloads its window and checks it is the one recorded. */
  setState(s: LoggedStreamState): void {
    const count = this.windows.count;
    const int = (x: unknown, hi: number): boolean => Number.isSafeInteger(x) && (x as number) >= 0 && (x as number) <= hi;
    if (!int(s?.pass, Number.MAX_SAFE_INTEGER) || !int(s.position, count - 1) || !int(s.window, count - 1) || !int(s.samples, Number.MAX_SAFE_INTEGER) || !int(s.drawn, Number.MAX_SAFE_INTEGER)) {
      throw new Error(`logged stream: the checkpoint's position ${JSON.stringify(s)} is not one of ${count} windows`);
    }
    this.pass = s.pass;
    this.order = this.orderOf(s.pass);
    this.position = s.position;
    if (this.order[s.position] !== s.window) throw new Error(`logged stream: the checkpoint is at window ${s.window}, this seed's order has window ${this.order[s.position]} there (another seed or dataset)`);
    const got = this.load(s.window) ? this.current!.count : 0;
    if (got !== s.samples) throw new Error(`logged stream: window ${s.window} gives ${got} samples, the checkpoint recorded ${s.samples} (another dataset or split)`);
    this.drawn = s.drawn;
  }

  /** Make the window at the current position current, moving past windows without samples (across passes); its draws start at 0. */
  private settle(): void {
    // every window is tried within two passes' worth of positions
    for (let tried = 0; tried <= 2 * this.windows.count; tried++) {
      if (this.position >= this.order.length) {
        this.pass++;
        this.position = 0;
        this.order = this.orderOf(this.pass);
      }
      if (this.load(this.order[this.position])) {
        this.drawn = 0;
        return;
      }
      this.position++;
    }
    throw new Error("logged transitions: the training sessions give no sample (sessions need N + K plays)");
  }

  /** Make window k current; false when it has no samples. The previous window is let go first: one window in memory. */
  private load(k: number): boolean {
    if (k === this.currentIndex) return true; // one window, or the same one again: keep it
    this.current = null;
    this.currentIndex = -1;
    const samples = this.windows.load(k);
    if (samples.N !== this.N || samples.K !== this.K) throw new Error(`logged stream: window ${k} has N = ${samples.N}, K = ${samples.K}; expected ${this.N}, ${this.K}`);
    this.onWindow?.(k, samples.count, this.pass);
    if (samples.count === 0) return false;
    this.current = new LoggedTransitions(samples, this.listGamma);
    this.currentIndex = k;
    return true;
  }
}

/** A window's share of batches: about one draw per sample. */
export function shareOf(samples: number, B: number): number {
  return Math.max(1, Math.ceil(samples / B));
}
