// Global session-id deduplication in bounded memory. Every session id of every log file of a
// run is registered once, with a global ordinal (sessions in reading order) and the line of
// its first row; a session id seen before is a duplicate (the same file given twice, a
// session repeated far from its first occurrence, a file that overlaps another).
//
// Ids are kept as 64-bit hashes (two MurmurHash3 x86-32 of the id's bytes with different
// seeds): 16 bytes an entry with its ordinal and line, whatever the id's length. Over the full
// MSSD (130 million sessions) the chance that any two different ids share a hash is about
// n² / 2⁶⁵ ≈ 5·10⁻⁴; such a false duplicate is reported with both locations, never silently.
//
// Memory: an open-addressing hash table over the entries, up to a budget (BYTES_PER_ENTRY
// bytes an entry, including the sort buffer below). While everything fits, a duplicate is
// found the moment its first row is read. Beyond the budget the entries are radix-sorted by
// hash and spilled to a RunStore (sorted runs on disk; src/data/session-runs.ts) and the
// table starts again empty: duplicates of spilled ids are then found by finish(), which
// merges the runs and the table in one streaming pass (an external sort's merge), reading
// each run in fixed-size chunks. With the default 256 MiB budget, 6.7 million sessions fit
// in memory; the full MSSD needs about 20 runs (2.1 GB on disk), merged in one pass.
//
// No node: imports: browsers use it in memory (no RunStore, no budget).
import { hashBytesSeeded } from "./bytes.js";

/** Bytes of memory an entry costs: 16 in the table's entry array, 8 of hash slots (load ≤ 1/2), 16 of radix-sort buffer. */
export const BYTES_PER_ENTRY = 40;
const W = 4; // u32 words per entry: hash hi, hash lo, ordinal, line
const SEED_HI = 0x9747b28c, SEED_LO = 0x1b873593;

/**
 * Where sorted runs go when memory is full: runs of entries of 4 u32, sorted by their first two
 * words. Here (hash hi, hash lo, ordinal, line); the streaming baseline fits store pair counts
 * (a, b, count₀, count₁) the same way (src/eval/pair-runs.ts).
 */
export interface RunStore {
  /** Store a run: the first `n` entries of `entries` (4 u32 each). */
  write(entries: Uint32Array, n: number): void;
  /** Runs stored so far. */
  readonly runs: number;
  /** Copy entries [from, from + into.length / 4) of run `r` into `into`; returns how many were read. */
  read(r: number, from: number, into: Uint32Array): number;
  /** Remove what the store holds. */
  dispose(): void;
}

/** Runs kept in memory (tests; a store for environments without files). */
export class MemoryRunStore implements RunStore {
  private readonly list: Uint32Array[] = [];
  get runs(): number {
    return this.list.length;
  }
  write(entries: Uint32Array, n: number): void {
    this.list.push(entries.slice(0, n * W));
  }
  read(r: number, from: number, into: Uint32Array): number {
    const run = this.list[r];
    const n = Math.max(0, Math.min(into.length / W, run.length / W - from));
    into.set(run.subarray(from * W, (from + n) * W));
    return n;
  }
  dispose(): void {
    this.list.length = 0;
  }
}

/** Where a session was read: its file (as named to beginFile), the line of its first row, its global ordinal. */
export interface SessionPlace {
  file: string;
  /** Which beginFile() call the file was (the same file can be read twice). */
  fileIndex: number;
  line: number;
  ordinal: number;
}

/** Where a session id was first read, as a message names it from a place in `file` (file index `fileIndex`). */
export function firstAt(first: SessionPlace, fileIndex: number, file: string, base: (p: string) => string): string {
  if (first.fileIndex === fileIndex) return `line ${first.line}`;
  return `${base(first.file)}:${first.line}${first.file === file ? ", the same file given earlier" : ""}`;
}

/** A session id read again: where, and where it was first. */
export interface DuplicateSession extends SessionPlace {
  first: SessionPlace;
}

export interface SessionIdSetOptions {
  /** Memory budget in bytes (default: unbounded without a store, 256 MiB with one). */
  memoryBytes?: number;
  /** Where full tables are spilled; without one the table grows without bound. */
  store?: RunStore;
}

/** Entries read from a run per refill while merging (256 KiB a run). */
const MERGE_CHUNK = 16_384;

export class SessionIdSet {
  private entries: Uint32Array;
  private table: Int32Array;
  private mask: number;
  private n = 0;
  private readonly capacity: number;
  private readonly store: RunStore | undefined;
  private readonly files: string[] = [];
  private readonly fileBase: number[] = [];
  private next = 0;
  /** Ordinals to report as duplicates when registered (a second, lenient pass), ascending. */
  private drop: { ordinals: Uint32Array; first: SessionPlace[]; at: number } | null = null;
  private readonly h = new Uint32Array(2);
  /** The radix sort's second buffer, allocated at the first sort (counted in BYTES_PER_ENTRY). */
  private scratch: Uint32Array = new Uint32Array(0);

  constructor(options: SessionIdSetOptions = {}) {
    this.store = options.store;
    const budget = options.memoryBytes ?? (options.store ? 256 * 1024 * 1024 : Infinity);
    if (!(budget > 0)) throw new Error(`SessionIdSet: memory budget must be positive, got ${budget}`);
    this.capacity = Number.isFinite(budget) ? Math.max(16, Math.floor(budget / BYTES_PER_ENTRY)) : Infinity;
    const cap0 = Math.min(this.capacity, 1024);
    this.entries = new Uint32Array(cap0 * W);
    this.table = new Int32Array(tableSize(cap0));
    this.mask = this.table.length - 1;
  }

  /** Sessions registered so far (the next ordinal). */
  get count(): number {
    return this.next;
  }

  /** Runs spilled so far. */
  get spilled(): number {
    return this.store?.runs ?? 0;
  }

  /** Sessions held in memory now. */
  get inMemory(): number {
    return this.n;
  }

  /** Start the next file: later ordinals belong to it. Returns its file index. */
  beginFile(name: string): number {
    this.files.push(name);
    this.fileBase.push(this.next);
    return this.files.length - 1;
  }

  /** The place of a registered ordinal. */
  place(ordinal: number, line: number): SessionPlace {
    let lo = 0, hi = this.fileBase.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.fileBase[mid] <= ordinal) lo = mid;
      else hi = mid - 1;
    }
    return { file: this.files[lo] ?? "<log>", fileIndex: lo, line, ordinal };
  }

  /**
   * Register the session id buf[start, end) whose first row is on `line`. Returns null for a
   * new id, or where it was seen before (found in memory; duplicates of spilled ids are left
   * to finish()). A repeated id is not registered again.
   */
  add(buf: Uint8Array, start: number, end: number, line: number): SessionPlace | null {
    if (this.files.length === 0) this.beginFile("<log>");
    hash64(buf, start, end, this.h);
    const hi = this.h[0], lo = this.h[1];
    const e = this.entries, t = this.table, mask = this.mask;
    let slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    for (; ; slot = (slot + 1) & mask) {
      const k = t[slot];
      if (k === 0) break;
      const j = (k - 1) * W;
      if (e[j] === hi && e[j + 1] === lo) return this.place(e[j + 2], e[j + 3]);
    }
    const ordinal = this.next++;
    if (this.n === this.capacity) {
      this.spill();
      return this.insertFresh(hi, lo, ordinal, line);
    }
    if (this.n * W === this.entries.length) {
      this.grow();
      return this.insertFresh(hi, lo, ordinal, line);
    }
    this.put(slot, hi, lo, ordinal, line);
    return this.dropped(ordinal);
  }

  /**
   * Report these ordinals (ascending) as duplicates when they are registered, each with the
   * place of its first occurrence: the second pass of a lenient build over spilled data,
   * which must drop what finish() found only at the end of the first.
   */
  dropOrdinals(ordinals: Uint32Array, first: SessionPlace[]): void {
    this.drop = { ordinals, first, at: 0 };
  }

  private dropped(ordinal: number): SessionPlace | null {
    const d = this.drop;
    if (!d || d.at >= d.ordinals.length || d.ordinals[d.at] !== ordinal) return null;
    return d.first[d.at++];
  }

  private insertFresh(hi: number, lo: number, ordinal: number, line: number): SessionPlace | null {
    const t = this.table, mask = this.mask;
    let slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    while (t[slot] !== 0) slot = (slot + 1) & mask;
    this.put(slot, hi, lo, ordinal, line);
    return this.dropped(ordinal);
  }

  private put(slot: number, hi: number, lo: number, ordinal: number, line: number): void {
    const j = this.n * W;
    this.entries[j] = hi;
    this.entries[j + 1] = lo;
    this.entries[j + 2] = ordinal;
    this.entries[j + 3] = line;
    this.table[slot] = ++this.n;
  }

  private grow(): void {
    const cap = Math.min(this.capacity, (this.entries.length / W) * 2);
    const e = new Uint32Array(cap * W);
    e.set(this.entries);
    this.entries = e;
    this.table = new Int32Array(tableSize(cap));
    this.mask = this.table.length - 1;
    for (let i = 0; i < this.n; i++) {
      const j = i * W;
      let slot = (e[j + 1] ^ Math.imul(e[j], 0x9e3779b1)) & this.mask;
      while (this.table[slot] !== 0) slot = (slot + 1) & this.mask;
      this.table[slot] = i + 1;
    }
  }

  private spill(): void {
    if (!this.store) throw new Error(`SessionIdSet: more than ${this.capacity} sessions and no store to spill to`);
    this.scratch = sortEntries(this.entries, this.n, this.scratch);
    this.store.write(this.entries, this.n);
    this.n = 0;
    this.table.fill(0);
  }

  /**
   * Find the duplicates that only the spilled runs reveal, by merging the runs and the
   * in-memory entries. With all = false, only the first in reading order (for a strict error);
   * with all = true, every one. Each is reported at its later occurrence with the first.
   */
  finish(all: boolean): { duplicates: DuplicateSession[]; count: number } {
    const runs = this.spilled;
    if (runs === 0) return { duplicates: [], count: 0 };
    this.scratch = sortEntries(this.entries, this.n, this.scratch);
    const mem = this.entries.subarray(0, this.n * W);
    // One cursor per run plus the in-memory table, each a chunk buffer and a position.
    const cur: { buf: Uint32Array; len: number; pos: number; next: number; run: number }[] = [];
    for (let r = 0; r < runs; r++) {
      const buf = new Uint32Array(MERGE_CHUNK * W);
      const len = this.store!.read(r, 0, buf);
      if (len > 0) cur.push({ buf, len, pos: 0, next: len, run: r });
    }
    if (this.n > 0) cur.push({ buf: mem, len: this.n, pos: 0, next: this.n, run: -1 });
    const less = (a: number, b: number): boolean => {
      const x = cur[a], y = cur[b], i = x.pos * W, j = y.pos * W;
      if (x.buf[i] !== y.buf[j]) return x.buf[i] < y.buf[j];
      if (x.buf[i + 1] !== y.buf[j + 1]) return x.buf[i + 1] < y.buf[j + 1];
      return x.buf[i + 2] < y.buf[j + 2];
    };
    const heap = cur.map((_, i) => i);
    const down = (i: number): void => {
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l], heap[m])) m = l;
        if (r < heap.length && less(heap[r], heap[m])) m = r;
        if (m === i) return;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    };
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
    const duplicates: DuplicateSession[] = [];
    let count = 0, firstDup: DuplicateSession | null = null;
    let gHi = -1, gLo = -1, gOrd = 0, gLine = 0;
    while (heap.length > 0) {
      const c = cur[heap[0]], j = c.pos * W;
      const hi = c.buf[j], lo = c.buf[j + 1], ord = c.buf[j + 2], line = c.buf[j + 3];
      if (hi === gHi && lo === gLo) {
        count++;
        const d: DuplicateSession = { ...this.place(ord, line), first: this.place(gOrd, gLine) };
        if (all) duplicates.push(d);
        else if (!firstDup || d.ordinal < firstDup.ordinal) firstDup = d;
      } else {
        gHi = hi;
        gLo = lo;
        gOrd = ord;
        gLine = line;
      }
      if (++c.pos === c.len) {
        const more = c.run >= 0 ? this.store!.read(c.run, c.next, c.buf) : 0;
        if (more === 0) {
          heap[0] = heap[heap.length - 1];
          heap.pop();
        } else {
          c.len = more;
          c.pos = 0;
          c.next += more;
        }
      }
      if (heap.length > 0) down(0);
    }
    if (all) duplicates.sort((a, b) => a.ordinal - b.ordinal);
    else if (firstDup) duplicates.push(firstDup);
    return { duplicates, count };
  }

  /** Release the spilled runs and the sort buffer. */
  dispose(): void {
    this.store?.dispose();
    this.scratch = new Uint32Array(0) as Uint32Array;
  }
}

function tableSize(cap: number): number {
  let t = 16;
  while (t < cap * 2) t *= 2;
  return t;
}

/** The 64-bit hash of an id's bytes as [hi, lo]. */
export function hash64(buf: Uint8Array, start: number, end: number, out: Uint32Array): void {
  out[0] = hashBytesSeeded(buf, start, end, SEED_HI);
  out[1] = hashBytesSeeded(buf, start, end, SEED_LO);
}

const COUNTS = new Int32Array(65536);

/**
 * Sort entries [0, n) by (hash hi, hash lo), stable (so ordinals stay ascending among equal
 * hashes): LSD radix sort, four passes of 16 bits, through a second buffer of the same size
 * (`scratch`, grown when too small and returned for reuse). The result is back in `e`.
 */
export function sortEntries(e: Uint32Array, n: number, scratch: Uint32Array = new Uint32Array(0)): Uint32Array {
  if (scratch.length < n * W) scratch = new Uint32Array(Math.max(n * W, e.length));
  let src = e, dst = scratch;
  for (let pass = 0; pass < 4; pass++) {
    const word = pass < 2 ? 1 : 0, shift = pass % 2 === 0 ? 0 : 16;
    COUNTS.fill(0);
    for (let i = 0; i < n; i++) COUNTS[(src[i * W + word] >>> shift) & 0xffff]++;
    let sum = 0;
    for (let k = 0; k < 65536; k++) {
      const c = COUNTS[k];
      COUNTS[k] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const j = i * W, d = COUNTS[(src[j + word] >>> shift) & 0xffff]++ * W;
      dst[d] = src[j];
      dst[d + 1] = src[j + 1];
      dst[d + 2] = src[j + 2];
      dst[d + 3] = src[j + 3];
    }
    const t = src;
    src = dst;
    dst = t;
  }
  return scratch;
}
