// item2vec track embeddings (Barkan & Koenigstein 2016): skip-gram with negative sampling
// (Mikolov et al. 2013) over listening sessions, trained by the wasm kernel sgns_step_f32
// (assembly/sgns.ts). Cost per epoch is O(pairs · (1 + K) · d): no step ever touches all V
// tracks (the original project's dense softmax over the catalogue cost O(V·d) per pair).
//
// The host does everything random and sequential: it filters rare tracks (minCount), thins
// frequent ones (word2vec's subsampling), walks each session with word2vec's randomly
// shrinking window to emit (center, context) pairs, and draws K negatives per pair from
// unigram^0.75 with an alias table, all from seeded Rng streams (src/rng.ts). Pairs and
// negatives go into preallocated i32 buffers in wasm memory; when a buffer is full the kernel
// runs over it. The epoch loop allocates nothing per session or pair (reading a chunk of a
// streamed source allocates its arrays and its order: I/O, outside the pair loop).
//
// Why the host draws the negatives rather than the kernel: every random choice in encore comes
// from the one seeded generator (src/rng.ts), so a stream in wasm would be a second generator to
// keep in step; and the kernel stays pure arithmetic, which lets its test feed it any negatives
// (duplicates, negatives equal to the context) and compare against the reference exactly. The
// price is ~2 u32 draws per negative in JS; the benchmark reports the kernel and the whole epoch.
//
// Streaming (trainStream, SessionSource): the sessions may arrive in chunks, e.g. the shards
// of a sharded dataset (src/data/shards.ts), one in memory at a time. One pass over the chunks
// gives the counts, and from them everything the vocabulary fixes (the minCount cut, the
// subsampling thresholds, the unigram table, the total token count of the learning-rate
// schedule); then every epoch reads the chunks again, in a seeded order (see SessionSource for
// how that order relates to the in-memory shuffle). train() on an in-memory set is the
// one-chunk case of the same code: same draws, same bytes. Pairs and the pair buffers carry
// over chunk boundaries, so a batch may hold pairs of two chunks.
//
// Determinism: pairs in a fixed order; the same sessions, V, shape, options and seed give
// identical bytes. The learning rate is constant within a batch of `batchPairs` pairs, so
// batchPairs is part of what determines the result.
//
// Threads (the worker-thread engine, Engine.load with threads > 1): a pipeline. The calling thread
// draws the pairs and negatives of batch b + 1 into one of two pair buffers while the workers
// apply batch b from the other; it waits for batch b only before handing over batch b + 1. With
// one worker (threads = 2) the kernel calls are exactly the one-thread calls, in the same order, so
// the result is bit-identical to one thread (the draws never read the tables). That is the default
// whatever the thread count, so files stay byte-identical. With `hogwild: true` and more workers,
// each batch is split into contiguous slices applied at once on the shared tables without locks:
// Hogwild (Recht et al. 2011; word2vec.c's own threads work the same way). Two slices touch the
// same row only when they share a track, the races lose or reorder a few updates, and the result
// varies from run to run in its low bits; tests hold it to the same quality as one thread.
//
// No `node:` imports: this runs wherever the engine does.

import { Engine, type WasmSource } from "../engine/engine.js";
import { MemoryPlan, type Region } from "../engine/plan.js";
import { Rng } from "../rng.js";
import { pow } from "../dmath.js";
import { fmix32 } from "../data/bytes.js";

/** Sessions in CSR form: session s plays tracks[offsets[s] .. offsets[s+1]), dense indices in [0, V). */
export interface Sessions {
  offsets: Int32Array;
  tracks: Int32Array;
}

/**
 * A chunk of sessions (a shard of a sharded dataset, or all of an in-memory set): a CSR over
 * global track indices in [0, V), and which of its sessions to train on. A ShardChunk of
 * src/data/shards.ts is one as it is.
 */
export interface SessionChunk {
  /** Session s plays tracks[sessionOffsets[s] .. sessionOffsets[s+1]). */
  sessionOffsets: Int32Array;
  tracks: Int32Array;
  /** Chunk-local indices of the sessions to train on, in the order they count as listed; default every session. */
  sessions?: ArrayLike<number>;
}

/**
 * Sessions in chunks, read one at a time, as often as the trainer asks: once for the
 * vocabulary, then once an epoch. The trainer holds one chunk at a time (plus per-track arrays).
 *
 * The order of an epoch. The in-memory trainer shuffles all its sessions every epoch (each
 * epoch shuffles the previous epoch's order, from the one seeded generator). The streaming
 * equivalent shuffles at two levels: the chunks, in a fresh seeded order every epoch, then
 * within each chunk its training sessions, by a generator of the chunk's own (seeded from the
 * seed and the chunk's index). Epoch e's order of a chunk is what e successive shuffles of the
 * identity by that generator give, exactly as if the chunk's order were kept from epoch to
 * epoch; a `resident` source (its chunks stay in memory) keeps it, any other rebuilds it when
 * the chunk is read, replaying the e shuffles (e·n draws for n sessions at epoch e: next to the
 * epoch's pairs and negatives, hundreds of draws a session, a small cost). So one chunk is the
 * in-memory trainer, draw for draw, and bit for bit; with several, sessions of one chunk are
 * visited together, which is what a shard-level shuffle gives up against a global one (the
 * tests hold the quality to the in-memory trainer's).
 */
export interface SessionSource {
  readonly chunkCount: number;
  /** Chunk k in 0..chunkCount−1, the same content every time it is asked for. */
  chunk(k: number): SessionChunk;
  /** The chunks stay in memory: each chunk's order and generator are kept from epoch to epoch, not replayed (same result). */
  readonly resident?: boolean;
}

/** An in-memory session set as a one-chunk resident source (what train() trains on). */
export function residentSessions(sessions: Sessions): SessionSource {
  const chunk: SessionChunk = { sessionOffsets: sessions.offsets, tracks: sessions.tracks };
  return { chunkCount: 1, resident: true, chunk: () => chunk };
}

/** What the memory plan depends on: fixed when the trainer is created. */
export interface Item2VecShape {
  /** Embedding width d. Default 32. */
  d?: number;
  /** Negatives per pair K (word2vec's `negative`). Default 5; at most 1000. */
  negatives?: number;
  /** Pairs per kernel call (the size of the pair buffers in wasm memory). Default 4096. */
  batchPairs?: number;
}

export interface Item2VecEpoch {
  /** 1-based. */
  epoch: number;
  epochs: number;
  /** Mean loss per pair over the epoch, −log σ(u_o·v_c) − Σ log σ(−u_n·v_c), each pair measured just before its step; NaN if the epoch had no pairs. */
  loss: number;
  pairs: number;
  seconds: number;
  pairsPerSecond: number;
  /** Learning rate of the epoch's last batch. */
  lr: number;
}

export interface Item2VecOptions {
  /** Maximum distance between center and context within a session. Default 5. */
  window?: number;
  /** word2vec's random shrinking window: each center uses a window drawn uniformly from 1..window. Default true. */
  shrinkWindow?: boolean;
  /** Passes over the sessions. Default 5 (word2vec's `iter`). */
  epochs?: number;
  /** Initial learning rate; lr = lr0 · max(1e-4, 1 − progress), progress = tracks read / (epochs · tracks). Default 0.025 (word2vec's skip-gram default). */
  lr0?: number;
  /**
   * Subsampling threshold t: a play of a track with frequency f is kept with probability
   * min(1, (sqrt(f/t) + 1) · t/f) (word2vec.c's formula; 0 disables). Default 1e-3, word2vec.c's
   * own default: it thins only tracks above ≈2.6·t = 0.26% of all plays, i.e. the head of the
   * popularity curve. 1e-4 would also thin tracks with ~0.03% of plays, which in a corpus the
   * size of the real slice (~100k plays) discards a large share of the scarce co-occurrences.
   */
  subsample?: number;
  /** Tracks with fewer plays get no vector (their rows stay 0) and are listed in `excluded`; they are removed from sessions before windowing, like word2vec's vocabulary cut. Default 5 (word2vec's `min-count`). */
  minCount?: number;
  /** Visit sessions in a fresh seeded random order every epoch (word2vec reads its file in order; session logs are often sorted by time or user). Default true. */
  shuffle?: boolean;
  /** Default 0. */
  seed?: number;
  onEpoch?: (report: Item2VecEpoch) => void;
  /**
   * On the worker-thread engine with 3 or more threads: split each batch across all workers,
   * Hogwild (faster, not reproducible bit for bit). Default false: one worker applies every batch
   * while this thread draws the next, which gives one thread's result exactly.
   */
  hogwild?: boolean;
}

export interface Item2VecResult {
  /** Plays per track (V). */
  counts: Int32Array;
  /** Tracks with count < minCount, ascending: no item2vec vector (fall back to audio features). */
  excluded: Int32Array;
  /** Mean loss per pair of each epoch. */
  losses: number[];
  /** Pairs trained over all epochs. */
  pairs: number;
  /** Training sessions (over all chunks). */
  sessions: number;
  seconds: number;
}

export const ITEM2VEC_DEFAULTS = {
  d: 32, negatives: 5, batchPairs: 4096,
  window: 5, shrinkWindow: true, epochs: 5, lr0: 0.025, subsample: 1e-3, minCount: 5, shuffle: true, seed: 0,
} as const;

const MIN_LR_RATIO = 1e-4; // word2vec: alpha never falls below starting_alpha · 1e-4
const TWO32 = 4294967296;

/**
 * Draws from a distribution proportional to counts^power (unigram^0.75 for SGNS negatives)
 * with Vose's alias method: O(V) to build, O(1) per draw with two u32s from the Rng (one picks
 * a column uniformly, one flips its biased coin). Zero-weight entries are never drawn.
 */
export class UnigramSampler {
  /** Column i keeps i when the coin u32 < threshold[i] (= prob·2^32), else takes alias[i]. */
  readonly threshold: Float64Array;
  readonly alias: Int32Array;
  readonly n: number;
  private readonly scale: number;

  constructor(counts: ArrayLike<number>, power = 0.75) {
    const n = counts.length;
    if (n === 0) throw new Error("UnigramSampler: no entries");
    const w = new Float64Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const c = counts[i];
      if (!(c >= 0) || !Number.isFinite(c)) throw new Error(`UnigramSampler: count ${i} is ${c}, expected a finite number ≥ 0`);
      w[i] = c > 0 ? pow(c, power) : 0; // dmath: the same table in every engine
      total += w[i];
    }
    if (!(total > 0)) throw new Error("UnigramSampler: every count is 0, nothing to sample");
    const prob = new Float64Array(n);
    const alias = new Int32Array(n);
    const small = new Int32Array(n), large = new Int32Array(n);
    let ns = 0, nl = 0;
    for (let i = 0; i < n; i++) {
      prob[i] = (w[i] * n) / total;
      alias[i] = i;
      if (prob[i] < 1) small[ns++] = i;
      else large[nl++] = i;
    }
    while (ns > 0 && nl > 0) {
      const s = small[--ns], l = large[--nl];
      alias[s] = l;
      prob[l] = prob[l] + prob[s] - 1;
      if (prob[l] < 1) small[ns++] = l;
      else large[nl++] = l;
    }
    // Leftovers are 1 up to rounding (Vose): they keep themselves.
    while (nl > 0) prob[large[--nl]] = 1;
    while (ns > 0) {
      const s = small[--ns];
      if (w[s] > 0) prob[s] = 1; // only rounding left it short; a zero-weight column stays 0 → alias
    }
    this.threshold = new Float64Array(n);
    for (let i = 0; i < n; i++) this.threshold[i] = prob[i] >= 1 ? TWO32 : prob[i] * TWO32;
    this.alias = alias;
    this.n = n;
    this.scale = n / TWO32;
  }

  draw(rng: Rng): number {
    const i = (rng.u32() * this.scale) | 0;
    return rng.u32() < this.threshold[i] ? i : this.alias[i];
  }
}

/** Check a CSR session set against V; throws naming the offending field and index. */
export function checkSessions(sessions: Sessions, V: number): void {
  const { offsets, tracks } = sessions;
  if (!(offsets instanceof Int32Array) || !(tracks instanceof Int32Array)) throw new Error("sessions: offsets and tracks must be Int32Arrays");
  if (!Number.isInteger(V) || V < 1) throw new Error(`sessions: V must be a positive integer, got ${V}`);
  if (offsets.length < 1) throw new Error("sessions.offsets: empty (need S + 1 entries, starting with 0)");
  if (offsets[0] !== 0) throw new Error(`sessions.offsets[0] is ${offsets[0]}, expected 0`);
  for (let s = 1; s < offsets.length; s++) {
    if (offsets[s] < offsets[s - 1]) throw new Error(`sessions.offsets[${s}] = ${offsets[s]} is below offsets[${s - 1}] = ${offsets[s - 1]}`);
  }
  const S = offsets.length - 1;
  if (offsets[S] !== tracks.length) throw new Error(`sessions.offsets[${S}] = ${offsets[S]} but tracks has ${tracks.length} entries`);
  for (let j = 0; j < tracks.length; j++) {
    const t = tracks[j];
    if (t < 0 || t >= V) throw new Error(`sessions.tracks[${j}] = ${t} is outside [0, ${V})`);
  }
}

/** Check a chunk of a SessionSource against V; throws naming the chunk, field and index. */
export function checkChunk(chunk: SessionChunk, V: number, k: number): void {
  const { sessionOffsets: offsets, tracks, sessions: list } = chunk;
  const where = `item2vec: chunk ${k}`;
  if (!(offsets instanceof Int32Array) || !(tracks instanceof Int32Array)) throw new Error(`${where}: sessionOffsets and tracks must be Int32Arrays`);
  if (offsets.length < 1) throw new Error(`${where}: sessionOffsets is empty (need S + 1 entries)`);
  if (offsets[0] < 0) throw new Error(`${where}: sessionOffsets[0] = ${offsets[0]} is negative`);
  for (let s = 1; s < offsets.length; s++) {
    if (offsets[s] < offsets[s - 1]) throw new Error(`${where}: sessionOffsets[${s}] = ${offsets[s]} is below sessionOffsets[${s - 1}] = ${offsets[s - 1]}`);
  }
  const S = offsets.length - 1;
  if (offsets[S] > tracks.length) throw new Error(`${where}: sessionOffsets[${S}] = ${offsets[S]} but tracks has ${tracks.length} entries`);
  for (let j = offsets[0]; j < offsets[S]; j++) {
    const t = tracks[j];
    if (!(t >= 0 && t < V)) throw new Error(`${where}: tracks[${j}] = ${t} is outside [0, ${V})`);
  }
  if (list !== undefined) {
    for (let i = 0; i < list.length; i++) {
      const s = list[i];
      if (!(Number.isInteger(s) && s >= 0 && s < S)) throw new Error(`${where}: sessions[${i}] = ${s} is not a session index in [0, ${S})`);
    }
  }
}

function positiveInt(what: string, x: number, max = Infinity): number {
  if (!Number.isInteger(x) || x < 1 || x > max) throw new Error(`item2vec: ${what} must be an integer in 1..${max}, got ${x}`);
  return x;
}

/**
 * An item2vec trainer whose matrices and pair buffers are regions of a memory plan:
 *   v (V, d) "<name>.in" and u (V, d) "<name>.out" (data), centers (P), contexts (P),
 *   negatives (P, K) (io), the kernel's workspace (scratch), P = batchPairs.
 * Create it before Engine.load(source, plan); train after.
 */
export class Item2Vec {
  readonly d: number;
  readonly negatives: number;
  readonly batchPairs: number;
  readonly vin: Region;
  readonly uout: Region;
  readonly centers: Region;
  readonly contexts: Region;
  readonly negs: Region;
  readonly ws: Region;
  /** Bytes between two threads' kernel workspaces. */
  private wsStride = 0;

  constructor(readonly plan: MemoryPlan, readonly V: number, shape: Item2VecShape = {}, readonly name = "item2vec") {
    positiveInt("V", V);
    this.d = positiveInt("d", shape.d ?? ITEM2VEC_DEFAULTS.d);
    const K = shape.negatives ?? ITEM2VEC_DEFAULTS.negatives;
    if (!Number.isInteger(K) || K < 0 || K > 1000) throw new Error(`item2vec: negatives must be an integer in 0..1000, got ${K}`);
    this.negatives = K;
    this.batchPairs = positiveInt("batchPairs", shape.batchPairs ?? ITEM2VEC_DEFAULTS.batchPairs);
    const d = this.d, P = this.batchPairs;
    // 12 floats of slack so the matrices can start on a 64-byte cache line (the plan aligns to
    // 16): at d = 32 a row is then exactly two lines, not three.
    this.vin = plan.f32(`${name}.in`, "data", V * d + 12);
    this.uout = plan.f32(`${name}.out`, "data", V * d + 12);
    // Two pair buffers on the worker-thread engine (one filled while the other is applied), one otherwise.
    const buffers = (ctx: { threads: number }): number => (ctx.threads > 1 ? 2 : 1);
    this.centers = plan.region(`${name}.centers`, "io", (_x, ctx) => 4 * P * buffers(ctx));
    this.contexts = plan.region(`${name}.contexts`, "io", (_x, ctx) => 4 * P * buffers(ctx));
    this.negs = plan.region(`${name}.negatives`, "io", (_x, ctx) => 4 * P * Math.max(1, K) * buffers(ctx));
    // One kernel workspace per thread, wsStride bytes apart.
    this.ws = plan.region(`${name}.ws`, "scratch", (x, ctx) => {
      this.wsStride = Math.ceil(x.sgns_workspace_bytes(d) / 16) * 16;
      return this.wsStride * ctx.threads;
    });
  }

  /** The input vectors v (V, d): the item2vec embeddings, a view into wasm memory. */
  embeddings(): Float32Array {
    return matrixView(this.vin, this.V * this.d);
  }

  /** The output vectors u (V, d), a view into wasm memory. */
  outputVectors(): Float32Array {
    return matrixView(this.uout, this.V * this.d);
  }

  /** Byte address of v (V, d) in wasm memory, 64-byte aligned. */
  get vinPtr(): number {
    return lineAligned(this.vin);
  }

  /** Byte address of u (V, d) in wasm memory, 64-byte aligned. */
  get uoutPtr(): number {
    return lineAligned(this.uout);
  }

  /**
   * One SGD pass over the first n pairs of the buffers at learning rate lr; returns their mean
   * loss. The wasm kernel; a subclass may substitute another implementation of the same
   * update (the benchmark's plain-JS baseline runs the whole trainer that way).
   */
  protected stepBatch(n: number, lr: number): number {
    return this.plan.engine.x.sgns_step_f32(n, this.centers.ptr, this.contexts.ptr, this.negs.ptr, this.negatives,
                                            this.vinPtr, this.uoutPtr, this.d, lr, this.ws.ptr);
  }

  /**
   * Initialise (v ~ U(±0.5/d), u = 0, like word2vec; excluded rows 0) and train. Calling it
   * again starts over. Returns the counts, the excluded tracks and the per-epoch losses.
   * The one-chunk case of trainStream: the same code, the same result.
   */
  train(sessions: Sessions, options: Item2VecOptions = {}): Item2VecResult {
    checkSessions(sessions, this.V);
    return this.run(residentSessions(sessions), options, false);
  }

  /**
   * train() over sessions that arrive in chunks (the shards of a sharded dataset, each read
   * when asked for): one pass for the vocabulary, then each epoch visits the chunks in a seeded
   * random order and each chunk's sessions in a seeded random order (see trainStream's notes
   * at SessionSource). Only the chunk being visited need be in memory. Every chunk is checked
   * as it is read (offsets, track indices, session list), its index named in the error.
   */
  trainStream(source: SessionSource, options: Item2VecOptions = {}): Item2VecResult {
    return this.run(source, options, true);
  }

  private run(source: SessionSource, options: Item2VecOptions, check: boolean): Item2VecResult {
    const V = this.V, d = this.d, K = this.negatives, P = this.batchPairs;
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Item2VecOptions;
    const o = { ...ITEM2VEC_DEFAULTS, ...given };
    const window = positiveInt("window", o.window);
    const epochs = positiveInt("epochs", o.epochs);
    const minCount = o.minCount;
    if (!Number.isInteger(minCount) || minCount < 0) throw new Error(`item2vec: minCount must be an integer ≥ 0, got ${minCount}`);
    if (!(o.lr0 > 0) || !Number.isFinite(o.lr0)) throw new Error(`item2vec: lr0 must be a positive number, got ${o.lr0}`);
    if (!(o.subsample >= 0) || !Number.isFinite(o.subsample)) throw new Error(`item2vec: subsample must be a number ≥ 0, got ${o.subsample}`);
    const nChunks = source.chunkCount;
    if (!Number.isInteger(nChunks) || nChunks < 0) throw new Error(`item2vec: chunkCount must be an integer ≥ 0, got ${nChunks}`);
    const readChunk = (k: number): SessionChunk => {
      const c = source.chunk(k);
      if (check) checkChunk(c, V, k);
      return c;
    };

    // The vocabulary pass (the only one before training): plays per track over the training
    // sessions (as trainingPlayCountsStream counts them), their number, the longest.
    const counts = new Int32Array(V);
    let S = 0, maxLen = 0;
    for (let k = 0; k < nChunks; k++) {
      const { sessionOffsets: off, tracks: tr, sessions: list } = readChunk(k);
      const n = list === undefined ? off.length - 1 : list.length;
      for (let i = 0; i < n; i++) {
        const s = list === undefined ? i : list[i];
        const a = off[s], b = off[s + 1];
        if (b - a > maxLen) maxLen = b - a;
        for (let j = a; j < b; j++) counts[tr[j]]++;
      }
      S += n;
    }

    // Vocabulary: the minCount cut, subsampling keep thresholds, the negative sampler, all from the counts.
    const keptCounts = new Float64Array(V);
    let nExcluded = 0, tokens = 0;
    for (let t = 0; t < V; t++) {
      if (counts[t] < minCount || counts[t] === 0) nExcluded++;
      else {
        keptCounts[t] = counts[t];
        tokens += counts[t];
      }
    }
    const excluded = new Int32Array(nExcluded);
    for (let t = 0, i = 0; t < V; t++) if (keptCounts[t] === 0) excluded[i++] = t;
    if (tokens === 0) throw new Error(`item2vec: no track has at least minCount = ${minCount} plays; nothing to train`);
    const sampler = K > 0 ? new UnigramSampler(keptCounts) : null;
    const keep = new Float64Array(V); // keep a play of t when u32 < keep[t]
    for (let t = 0; t < V; t++) {
      if (keptCounts[t] === 0) continue;
      if (o.subsample === 0) { keep[t] = TWO32; continue; }
      const f = keptCounts[t] / tokens;
      const p = (Math.sqrt(f / o.subsample) + 1) * (o.subsample / f);
      keep[t] = p >= 1 ? TWO32 : p * TWO32;
    }

    // Independent seeded streams, so e.g. changing K leaves the initialisation unchanged. The
    // second is the session order's: chunk k's sessions are shuffled by a generator seeded with
    // orderSeed ^ fmix32(k), so chunk 0's is the generator a single chunk always had (fmix32(0)
    // is 0); the fifth orders the chunks (a one-chunk order draws nothing).
    const root = new Rng(o.seed);
    const initRng = root.fork(), orderSeed = root.u32(), windowRng = root.fork(), negRng = root.fork(), chunkRng = root.fork();
    const sessionRng = (k: number): Rng => new Rng((orderSeed ^ fmix32(k)) >>> 0);

    const vin = this.embeddings(), uout = this.outputVectors();
    // v ~ U(±0.5/d) from one u32 per value (32 bits are plenty for an initialisation, and V·d
    // draws are a visible share of an epoch at catalogue sizes)
    const a = 0.5 / d, initScale = (2 * a) / TWO32;
    for (let t = 0; t < V; t++) {
      const row = t * d;
      if (keptCounts[t] === 0) vin.fill(0, row, row + d);
      else for (let j = 0; j < d; j++) vin[row + j] = initRng.u32() * initScale - a;
    }
    uout.fill(0);

    const buf = new Int32Array(Math.max(1, maxLen));
    const chunkOrder = new Int32Array(nChunks);
    for (let k = 0; k < nChunks; k++) chunkOrder[k] = k;
    // A resident source keeps each chunk's order and generator from epoch to epoch; any other
    // source rebuilds them when it reads the chunk (see SessionSource).
    const resident: ({ order: Int32Array; rng: Rng } | undefined)[] | null = source.resident ? new Array(nChunks) : null;
    const engine = this.plan.engine;
    // The pipeline (see the header) on the worker-thread engine, unless a subclass replaced the kernel.
    const pool = engine.threads > 1 && this.stepBatch === Item2Vec.prototype.stepBatch ? engine.pool : null;
    const workers = pool ? (o.hogwild ? pool.size : 1) : 0;
    const negStride = P * Math.max(1, K);
    const bufCen = [this.centers.i32().subarray(0, P), this.centers.i32().subarray(pool ? P : 0, pool ? 2 * P : P)];
    const bufCtx = [this.contexts.i32().subarray(0, P), this.contexts.i32().subarray(pool ? P : 0, pool ? 2 * P : P)];
    const bufNeg = [this.negs.i32().subarray(0, negStride), this.negs.i32().subarray(pool ? negStride : 0, pool ? 2 * negStride : negStride)];
    let cur = 0;
    let cen = bufCen[0], ctx = bufCtx[0], neg = bufNeg[0];
    const sliceN = new Int32Array(Math.max(1, workers));
    let started = 0; // workers running the previous batch
    const windowScale = window / TWO32;
    const totalTokens = epochs * tokens;
    const lr0 = o.lr0, shrink = o.shrinkWindow;

    let read = 0; // retained plays read so far over all epochs (word2vec's word_count_actual)
    let lr = lr0;
    let n = 0; // pairs in the buffers
    let lossSum = 0, epochPairs = 0;
    const finishBatch = (): void => {
      for (let w = 0; w < started; w++) {
        const loss = pool!.wait(w);
        lossSum += loss * sliceN[w];
      }
      started = 0;
    };
    const flush = (): void => {
      lr = lr0 * Math.max(MIN_LR_RATIO, 1 - read / totalTokens);
      if (pool === null) {
        lossSum += this.stepBatch(n, lr) * n;
      } else {
        finishBatch();
        const c0 = this.centers.ptr + cur * P * 4, x0 = this.contexts.ptr + cur * P * 4, n0 = this.negs.ptr + cur * negStride * 4;
        for (let w = 0, lo = 0; w < workers; w++) {
          const hi = Math.floor((n * (w + 1)) / workers);
          sliceN[w] = hi - lo;
          const a = pool.args(w);
          a[0] = hi - lo; a[1] = c0 + lo * 4; a[2] = x0 + lo * 4; a[3] = n0 + lo * K * 4; a[4] = K;
          a[5] = this.vinPtr; a[6] = this.uoutPtr; a[7] = d; a[8] = lr; a[9] = this.ws.ptr + (w + 1) * this.wsStride;
          pool.start(w, "sgns_step_f32", 10);
          lo = hi;
        }
        started = workers;
        cur ^= 1;
        cen = bufCen[cur]; ctx = bufCtx[cur]; neg = bufNeg[cur];
      }
      epochPairs += n;
      n = 0;
    };

    const losses: number[] = [];
    let pairs = 0;
    const t0 = now();
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const te = now();
      lossSum = 0;
      epochPairs = 0;
      if (o.shuffle) chunkRng.shuffle(chunkOrder);
      for (let ci = 0; ci < nChunks; ci++) {
        const ck = chunkOrder[ci];
        // Reading a chunk allocates (its arrays, and here its order): I/O, outside the pair loop.
        const { sessionOffsets: offsets, tracks, sessions: list } = readChunk(ck);
        const Sk = list === undefined ? offsets.length - 1 : list.length;
        let order: Int32Array;
        const kept = resident?.[ck];
        if (resident && kept) {
          if (kept.order.length !== Sk) throw new Error(`item2vec: chunk ${ck} had ${kept.order.length} training sessions, now ${Sk} (a resident source must not change)`);
          order = kept.order;
          if (o.shuffle) kept.rng.shuffle(order);
        } else {
          order = new Int32Array(Sk);
          for (let s = 0; s < Sk; s++) order[s] = s;
          const rng = sessionRng(ck);
          if (resident) {
            resident[ck] = { order, rng };
            if (o.shuffle) rng.shuffle(order);
          } else if (o.shuffle) {
            for (let e = 0; e < epoch; e++) rng.shuffle(order); // the order a resident chunk reaches by this epoch
          }
        }
        for (let si = 0; si < Sk; si++) {
          const s = list === undefined ? order[si] : list[order[si]];
          let len = 0;
          for (let j = offsets[s], end = offsets[s + 1]; j < end; j++) {
            const t = tracks[j];
            if (keep[t] === 0) continue; // below minCount: not in the vocabulary
            read++;
            if (windowRng.u32() >= keep[t]) continue; // subsampled away
            buf[len++] = t;
          }
          for (let i = 0; i < len; i++) {
            const w = shrink ? window - ((windowRng.u32() * windowScale) | 0) : window;
            const lo = i - w < 0 ? 0 : i - w, hi = i + w >= len ? len - 1 : i + w;
            const c = buf[i];
            for (let j = lo; j <= hi; j++) {
              if (j === i) continue;
              cen[n] = c;
              ctx[n] = buf[j];
              for (let k = 0, q = n * K; k < K; k++) neg[q + k] = sampler!.draw(negRng);
              if (++n === P) flush();
            }
          }
        }
      }
      if (n > 0) flush();
      finishBatch();
      const seconds = (now() - te) / 1000;
      const loss = epochPairs > 0 ? lossSum / epochPairs : NaN;
      losses.push(loss);
      pairs += epochPairs;
      o.onEpoch?.({ epoch, epochs, loss, pairs: epochPairs, seconds, pairsPerSecond: epochPairs / Math.max(seconds, 1e-9), lr });
    }
    return { counts, excluded, losses, pairs, sessions: S, seconds: (now() - t0) / 1000 };
  }
}

/**
 * One-call form: lay out a plan for (V, shape), load the engine from `source`, train, and
 * return a copy of the embeddings v (V × d, row-major; excluded tracks' rows are 0).
 */
export async function trainItem2Vec(source: WasmSource, sessions: Sessions, V: number,
                                    options: Item2VecOptions & Item2VecShape = {}): Promise<Item2VecResult & { embeddings: Float32Array; d: number }> {
  const plan = new MemoryPlan();
  const model = new Item2Vec(plan, V, options);
  await Engine.load(source, plan);
  const result = model.train(sessions, options);
  return { ...result, embeddings: model.embeddings().slice(), d: model.d };
}

function lineAligned(r: Region): number {
  return Math.ceil(r.ptr / 64) * 64;
}

function matrixView(r: Region, n: number): Float32Array {
  const first = (lineAligned(r) - r.ptr) >>> 2;
  return r.f32().subarray(first, first + n);
}

function now(): number {
  return typeof performance !== "undefined" ? performance.now() : Date.now();
}
