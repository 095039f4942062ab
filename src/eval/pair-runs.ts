// Counting pairs of tracks (a, b) over a stream, in bounded memory: the shared machinery of the
// streaming baseline fits (item-kNN's co-occurrences in baselines.ts, Markov's transitions in
// session-baselines.ts). Each occurrence is buffered as two u32, a and b (or b·2 + f with a
// flag f ∈ {0, 1} counted apart, for Markov's skipped successors); the merge orders pairs by
// the key a·V + b, exact in a Float64, for catalogs of up to 2²⁶ tracks (67 million; the full
// MSSD has 3.7 million).
//
// Memory (B = memoryBudget, default 512 MiB):
//   - an occurrence buffer of up to B/8 bytes, 16 bytes an occurrence (8 for (a, b) and 8 for
//     the radix sort's second buffer; allocated as it fills). When full it is radix-sorted
//     (sortPairs: one 16-bit pass per u32 word for catalogs up to 65,536 tracks, two beyond)
//     and aggregated into a run of (a, b, count₀, count₁) entries, 4 u32 = 16 bytes each,
//     sorted by (a, b): at most B/8 bytes a run;
//   - runs held in memory up to B/4 bytes. Beyond that the runs are merged into one (a pair
//     repeated across runs becomes one entry); if the merged run still holds more than B/8
//     bytes and a store was given, it is spilled to the store (sorted runs on disk: 16 bytes a
//     distinct pair a run) and memory starts empty again. Without a store the limit doubles
//     instead: memory then grows with the distinct pairs (16 bytes each, twice that while
//     merging), as the in-memory fits did.
//   With a store the peak is about 7B/8: the buffer (B/8), the runs with a fresh one (3B/8)
//   and, while merging, a second copy of them (3B/8).
//   - after finish(), cursor() merges every run (memory and store) in one streaming k-way pass,
//     reading each stored run in chunks of MERGE_CHUNK entries (256 KiB a run): a PairCursor
//     yields the summed counts in (a, b) order, one entry per distinct pair. The fits read it
//     twice, sizing their output exactly on the first pass and filling it on the second, so
//     the output is never copied or over-allocated.
// Disk when spilling: 16 bytes per distinct pair per spilled run, each spilled run more than
// B/8 bytes, so at most (total / (B/8)) runs, and merge buffers of 256 KiB each.
//
// This file imports nothing from Node: the store is an interface (a file-backed one is in
// src/data/session-runs.ts).
import type { RunStore } from "../data/session-ids.js";

/** Where full runs of pair counts go: 4 u32 an entry (a, b, count₀, count₁), sorted by (a, b). */
export type PairRunStore = RunStore;

/** The largest catalog: merge keys a·V + b exact in a Float64, and b·2 + f in a u32. */
export const MAX_PAIR_CATALOG = 2 ** 26;
export const DEFAULT_MEMORY_BUDGET = 512 * 1024 * 1024;
/** Bytes a buffered occurrence costs: (a, b) as 2 u32, and as much again for the radix sort. */
export const BYTES_PER_OCCURRENCE = 16;
/** Bytes a run entry costs (a, b, count₀, count₁ as u32). */
export const BYTES_PER_RUN_ENTRY = 16;
/** Entries read from a stored run per refill while merging (256 KiB a run). */
const MERGE_CHUNK = 16_384;
const W = 4;

export interface PairCountOptions {
  /** Memory budget in bytes (default 512 MiB): see the file header. */
  memoryBudget?: number;
  /** Where merged runs go beyond the budget; without one, memory grows with the distinct pairs. */
  spill?: PairRunStore;
}

/** Checks the catalog size of a streaming fit. */
export function checkPairCatalog(who: string, V: number): void {
  if (!(Number.isInteger(V) && V >= 1)) throw new Error(`${who}: catalog size must be a positive integer, got ${V}`);
  if (V > MAX_PAIR_CATALOG) throw new Error(`${who}: catalog of ${V} tracks is over ${MAX_PAIR_CATALOG}, the most a pair count takes`);
}

/**
 * Pair counts over a stream of occurrences: add() each, then finish() once for a cursor over
 * the totals in (a, b) order.
 */
export class PairCounts {
  /** Buffered occurrences, 2 u32 each: a, then b (or b·2 + f when flagged). */
  private buf: Uint32Array;
  /** The radix sort's second buffer, as long as buf once a sort has run. */
  private tmp: Uint32Array = new Uint32Array(0);
  private n = 0;
  private readonly cap: number;
  private mem: Uint32Array[] = [];
  private memEntries = 0;
  private memLimit: number;
  private readonly store: PairRunStore | undefined;
  private finished = false;

  /** flagged: occurrences carry a flag f ∈ {0, 1}, counted apart (count₀, count₁). */
  constructor(readonly who: string, readonly V: number, readonly flagged: boolean, opts: PairCountOptions = {}) {
    checkPairCatalog(who, V);
    const budget = opts.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
    if (!(budget >= 1024)) throw new Error(`${who}: memoryBudget must be at least 1024 bytes, got ${budget}`);
    this.store = opts.spill;
    this.cap = Math.max(16, Math.floor(budget / 8 / BYTES_PER_OCCURRENCE));
    this.memLimit = Math.max(16, Math.floor(budget / 4 / BYTES_PER_RUN_ENTRY));
    this.buf = new Uint32Array(2 * Math.min(this.cap, 1 << 16));
  }

  /** Runs spilled to the store so far. */
  get spilled(): number {
    return this.store?.runs ?? 0;
  }

  /** Count one occurrence of (a, b); flagged: of (a, b) with flag f, given as bf = b·2 + f. */
  add(a: number, bf: number): void {
    if (2 * this.n === this.buf.length) this.makeRoom();
    const j = 2 * this.n++;
    this.buf[j] = a;
    this.buf[j + 1] = bf;
  }

  /** The buffer is full: grow it up to its capacity, else flush it into a run. */
  private makeRoom(): void {
    if (this.n < this.cap) {
      const b = new Uint32Array(2 * Math.min(this.cap, 2 * this.n));
      b.set(this.buf);
      this.buf = b;
    } else this.flush();
  }

  /** Sort the buffered occurrences and aggregate them into a run held in memory. */
  private flush(): void {
    const n = this.n, fl = this.flagged;
    if (n === 0) return;
    if (this.tmp.length < this.buf.length) this.tmp = new Uint32Array(this.buf.length);
    const s = sortPairs(this.buf, this.tmp, n, this.V - 1, fl ? 2 * this.V - 1 : this.V - 1);
    if (s !== this.buf) {
      this.tmp = this.buf;
      this.buf = s;
    }
    const sh = fl ? 1 : 0;
    let E = 0, pa = -1, pb = -1;
    for (let i = 0; i < 2 * n; i += 2) {
      const a = s[i], b = s[i + 1] >>> sh;
      if (a !== pa || b !== pb) {
        E++;
        pa = a;
        pb = b;
      }
    }
    const run = new Uint32Array(E * W);
    pa = pb = -1;
    let j = -W;
    for (let i = 0; i < 2 * n; i += 2) {
      const a = s[i], bf = s[i + 1], b = bf >>> sh;
      if (a !== pa || b !== pb) {
        pa = a;
        pb = b;
        j += W;
        run[j] = a;
        run[j + 1] = b;
      }
      if (fl && (bf & 1) === 1) run[j + 3]++;
      else run[j + 2]++;
    }
    this.n = 0;
    this.mem.push(run);
    this.memEntries += E;
    if (this.memEntries > this.memLimit) this.relieve();
  }

  /** Over the in-memory limit: merge the runs into one, then spill it or raise the limit. */
  private relieve(): void {
    if (this.mem.length > 1) {
      const merged = mergeToArray(this.mem, this.V);
      this.mem = [merged];
      this.memEntries = merged.length / W;
    }
    if (this.memEntries <= this.memLimit / 2) return;
    if (this.store) {
      this.store.write(this.mem[0], this.memEntries);
      this.mem = [];
      this.memEntries = 0;
    } else this.memLimit = 2 * this.memEntries;
  }

  /** Flush what is buffered: then cursor() reads the totals. Call once. */
  finish(): void {
    if (this.finished) throw new Error(`${this.who}: pair counts finished twice`);
    this.finished = true;
    this.flush();
    this.buf = new Uint32Array(0);
    this.tmp = new Uint32Array(0);
  }

  /** A merge of every run (memory and store): the totals in (a, b) order. After finish(); as often as needed (each a full pass). */
  cursor(): PairCursor {
    if (!this.finished) throw new Error(`${this.who}: pair counts read before finish()`);
    return new PairCursor(this.V, this.mem, this.store);
  }

  /** Release the runs. */
  dispose(): void {
    this.mem = [];
    this.store?.dispose();
  }
}

const COUNTS = new Int32Array(65536);

/**
 * Sort n pairs (2 u32 each) by (word 0, word 1), words at most max0 and max1: LSD radix sort,
 * each word in as few passes of at most 16 bits as its range needs (one each for a catalog of
 * up to 65,536 tracks), between src and dst. Returns the buffer holding the result.
 */
export function sortPairs(src: Uint32Array, dst: Uint32Array, n: number, max0: number, max1: number): Uint32Array {
  for (const [word, max] of [[1, max1], [0, max0]]) {
    const bits = 32 - Math.clz32(max);
    if (bits === 0) continue;
    const passes = Math.ceil(bits / 16), width = Math.ceil(bits / passes), mask = (1 << width) - 1, D = 1 << width;
    for (let p = 0; p < passes; p++) {
      const shift = p * width;
      COUNTS.fill(0, 0, D);
      for (let i = 0; i < n; i++) COUNTS[(src[2 * i + word] >>> shift) & mask]++;
      let sum = 0;
      for (let k = 0; k < D; k++) {
        const c = COUNTS[k];
        COUNTS[k] = sum;
        sum += c;
      }
      for (let i = 0; i < 2 * n; i += 2) {
        const d = 2 * COUNTS[(src[i + word] >>> shift) & mask]++;
        dst[d] = src[i];
        dst[d + 1] = src[i + 1];
      }
      const t = src;
      src = dst;
      dst = t;
    }
  }
  return src;
}

/** Merge in-memory runs into one exact-size run (two passes: count, then fill). */
function mergeToArray(runs: Uint32Array[], V: number): Uint32Array {
  let E = 0;
  for (const c = new PairCursor(V, runs, undefined); c.next(); ) E++;
  const out = new Uint32Array(E * W);
  let j = 0;
  for (const c = new PairCursor(V, runs, undefined); c.next(); j += W) {
    out[j] = c.a;
    out[j + 1] = c.b;
    out[j + 2] = c.c0;
    out[j + 3] = c.c1;
  }
  return out;
}

/**
 * A k-way merge of sorted runs (in memory, and stored runs read in chunks): next() moves to
 * the next distinct pair and sets a, b and the counts summed over every run.
 */
export class PairCursor {
  a = -1;
  b = -1;
  c0 = 0;
  c1 = 0;
  private readonly buf: Uint32Array[] = [];
  private readonly len: number[] = [];
  private readonly pos: number[] = [];
  private readonly from: number[] = [];
  private readonly run: number[] = [];
  private readonly key: Float64Array;
  private readonly heap: Int32Array;
  private h = 0;

  constructor(private readonly V: number, mem: Uint32Array[], private readonly store: PairRunStore | undefined) {
    const R = store?.runs ?? 0;
    for (let r = 0; r < R; r++) {
      const b = new Uint32Array(MERGE_CHUNK * W), n = store!.read(r, 0, b);
      if (n > 0) this.source(b, n, r);
    }
    for (const m of mem) if (m.length > 0) this.source(m, m.length / W, -1);
    const S = this.buf.length;
    this.key = new Float64Array(S);
    this.heap = new Int32Array(S);
    for (let s = 0; s < S; s++) {
      this.key[s] = this.buf[s][0] * V + this.buf[s][1];
      this.heap[this.h++] = s;
    }
    for (let i = (this.h >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private source(b: Uint32Array, n: number, r: number): void {
    this.buf.push(b);
    this.len.push(n);
    this.pos.push(0);
    this.from.push(n);
    this.run.push(r);
  }

  next(): boolean {
    if (this.h === 0) return false;
    const { heap, key, buf, pos } = this;
    const k = key[heap[0]], V = this.V;
    const s0 = heap[0], j0 = pos[s0] * W;
    this.a = buf[s0][j0];
    this.b = buf[s0][j0 + 1];
    let c0 = 0, c1 = 0;
    while (this.h > 0 && key[heap[0]] === k) {
      const s = heap[0], bs = buf[s], j = pos[s] * W;
      c0 += bs[j + 2];
      c1 += bs[j + 3];
      if (++pos[s] === this.len[s] && !this.refill(s)) {
        heap[0] = heap[--this.h];
      } else {
        const q = pos[s] * W;
        key[s] = buf[s][q] * V + buf[s][q + 1];
      }
      if (this.h > 0) this.down(0);
    }
    this.c0 = c0;
    this.c1 = c1;
    return true;
  }

  /** Source s is used up: read its next chunk from the store. False when there is none. */
  private refill(s: number): boolean {
    const r = this.run[s];
    if (r < 0) return false;
    const n = this.store!.read(r, this.from[s], this.buf[s]);
    if (n === 0) return false;
    this.len[s] = n;
    this.pos[s] = 0;
    this.from[s] += n;
    return true;
  }

  private down(i: number): void {
    const heap = this.heap, key = this.key, h = this.h, x = heap[i], kx = key[x];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h) break;
      let c = l;
      if (l + 1 < h && key[heap[l + 1]] < key[heap[l]]) c = l + 1;
      if (!(key[heap[c]] < kx)) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = x;
  }
}

