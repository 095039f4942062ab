// Track vocabulary: string track id <-> dense index 0..size-1 in order of first appearance.
// Ids are interned straight from the parser's bytes: an open-addressing table keyed by an
// FNV-1a hash of the bytes, with the id bytes kept in one growing arena, so a repeated id
// costs a hash and a byte compare and allocates nothing. Strings are only made on request.
import { hashBytes, isUtf8 } from "./bytes.js";

const UTF8_DEC = new TextDecoder("utf-8");
const UTF8_ENC = new TextEncoder();

export class TrackVocab {
  private count = 0;
  /** Id bytes of every entry, back to back. */
  private arena: Uint8Array;
  private arenaLen = 0;
  /** Entry i's bytes are arena[offsets[i], offsets[i+1]). */
  private offsets: Int32Array;
  private hashes: Uint32Array;
  /** Open addressing, linear probing: entry index + 1, 0 = empty. Size a power of two. */
  private table: Int32Array;
  private mask: number;

  constructor(expected = 1024) {
    const cap = Math.max(16, expected);
    this.arena = new Uint8Array(cap * 40);
    this.offsets = new Int32Array(cap + 1);
    this.hashes = new Uint32Array(cap);
    let t = 16;
    while (t < cap * 2) t *= 2;
    this.table = new Int32Array(t);
    this.mask = t - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The index of the id in buf[start, end), adding it when new. */
  internBytes(buf: Uint8Array, start: number, end: number): number {
    const h = hashBytes(buf, start, end);
    const table = this.table, mask = this.mask;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const e = table[slot];
      if (e === 0) break;
      if (this.hashes[e - 1] === h && this.sameBytes(e - 1, buf, start, end)) return e - 1;
    }
    return this.add(buf, start, end, h);
  }

  /** The index of the id in buf[start, end), or -1 when absent. */
  lookupBytes(buf: Uint8Array, start: number, end: number): number {
    const h = hashBytes(buf, start, end);
    const table = this.table, mask = this.mask;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const e = table[slot];
      if (e === 0) return -1;
      if (this.hashes[e - 1] === h && this.sameBytes(e - 1, buf, start, end)) return e - 1;
    }
  }

  intern(id: string): number {
    const b = UTF8_ENC.encode(id);
    return this.internBytes(b, 0, b.length);
  }

  /** The index of a track id, or -1. */
  indexOf(id: string): number {
    const b = UTF8_ENC.encode(id);
    return this.lookupBytes(b, 0, b.length);
  }

  /** The track id at an index. */
  id(index: number): string {
    if (!(index >= 0 && index < this.count)) throw new RangeError(`TrackVocab.id: index ${index} outside 0..${this.count - 1}`);
    return UTF8_DEC.decode(this.arena.subarray(this.offsets[index], this.offsets[index + 1]));
  }

  /** The id bytes at an index (a view, valid until the next add). */
  idBytes(index: number): Uint8Array {
    return this.arena.subarray(this.offsets[index], this.offsets[index + 1]);
  }

  ids(): string[] {
    const out: string[] = new Array(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.id(i);
    return out;
  }

  /** Compact form for persistence: the id bytes back to back and size+1 offsets. */
  toBytes(): { arena: Uint8Array; offsets: Int32Array } {
    return { arena: this.arena.slice(0, this.arenaLen), offsets: this.offsets.slice(0, this.count + 1) };
  }

  /** Rebuild from toBytes()'s form; throws on offsets outside the arena, ids that are not UTF-8, or a repeated id. */
  static fromBytes(arena: Uint8Array, offsets: Int32Array): TrackVocab {
    const n = offsets.length - 1;
    if (n < 0 || offsets[0] !== 0 || offsets[n] !== arena.length) throw new Error(`TrackVocab.fromBytes: offsets must run from 0 to the arena's ${arena.length} bytes`);
    for (let i = 0; i < n; i++) {
      if (!(offsets[i + 1] >= offsets[i])) throw new Error(`TrackVocab.fromBytes: offsets decrease at index ${i}`);
      if (!isUtf8(arena, offsets[i], offsets[i + 1])) throw new Error(`TrackVocab.fromBytes: id ${i} is not valid UTF-8`);
    }
    const v = new TrackVocab(n);
    for (let i = 0; i < n; i++) {
      const before = v.count;
      v.internBytes(arena, offsets[i], offsets[i + 1]);
      if (v.count === before) throw new Error(`TrackVocab.fromBytes: duplicate id at index ${i}`);
    }
    return v;
  }

  private sameBytes(index: number, buf: Uint8Array, start: number, end: number): boolean {
    const a = this.offsets[index], len = this.offsets[index + 1] - a;
    if (len !== end - start) return false;
    const arena = this.arena;
    for (let i = 0; i < len; i++) if (arena[a + i] !== buf[start + i]) return false;
    return true;
  }

  private add(buf: Uint8Array, start: number, end: number, h: number): number {
    const len = end - start;
    if (this.arenaLen + len > this.arena.length) {
      const grown = new Uint8Array(Math.max(this.arena.length * 2, this.arenaLen + len));
      grown.set(this.arena.subarray(0, this.arenaLen));
      this.arena = grown;
    }
    this.arena.set(buf.subarray(start, end), this.arenaLen);
    const index = this.count;
    if (index + 1 >= this.offsets.length) {
      const o = new Int32Array(this.offsets.length * 2);
      o.set(this.offsets);
      this.offsets = o;
      const hs = new Uint32Array(o.length);
      hs.set(this.hashes);
      this.hashes = hs;
    }
    this.arenaLen += len;
    this.offsets[index + 1] = this.arenaLen;
    this.hashes[index] = h;
    this.count = index + 1;
    if (this.count * 2 > this.table.length) this.rehash();
    else this.place(index, h);
    return index;
  }

  private place(index: number, h: number): void {
    const table = this.table, mask = this.mask;
    let slot = h & mask;
    while (table[slot] !== 0) slot = (slot + 1) & mask;
    table[slot] = index + 1;
  }

  private rehash(): void {
    this.table = new Int32Array(this.table.length * 2);
    this.mask = this.table.length - 1;
    for (let i = 0; i < this.count; i++) this.place(i, this.hashes[i]);
  }
}
