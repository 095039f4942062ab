// Content hashes that pair an embedding file with its vocabulary and a model with its
// embeddings: FNV-1a 64-bit (Fowler–Noll–Vo, http://www.isthe.com/chongo/tech/comp/fnv/)
// over bytes, written as "fnv1a64:" + 16 hex digits.
//
// Why FNV-1a 64 and not the container's CRC-32: these hashes identify content across files
// (a model stores the hash of the vocabulary it was trained with), so 32 bits would give an
// accidental match once in ~4·10⁹ pairs, 64 bits once in ~10¹⁹; CRC-32 stays the integrity
// check of each file. The 64-bit product is done on two u32 halves (no BigInt: ~150 MB of
// track ids at the full MSSD size would take seconds with BigInt arithmetic).
//
// No `node:` imports.

import type { TrackVocab } from "../data/vocab.js";

const OFFSET_HI = 0xcbf29ce4, OFFSET_LO = 0x84222325; // FNV-1a 64 offset basis 0xcbf29ce484222325
// prime 0x100000001b3 = 2^40 + 0x1b3

/** Incremental FNV-1a 64. */
export class Fnv1a64 {
  private hi = OFFSET_HI;
  private lo = OFFSET_LO;

  update(bytes: Uint8Array, start = 0, end = bytes.length): this {
    let hi = this.hi, lo = this.lo;
    for (let i = start; i < end; i++) {
      lo = (lo ^ bytes[i]) >>> 0;
      // (hi·2^32 + lo) · (2^40 + 0x1b3) mod 2^64:
      //   lo·0x1b3 < 2^41 is exact in a double; its high part carries into hi;
      //   hi·0x1b3 and lo·2^40 (= (lo·2^8)·2^32) only touch hi, mod 2^32.
      const p = lo * 0x1b3;
      const carry = Math.floor(p / 4294967296);
      hi = (Math.imul(hi, 0x1b3) + carry + (lo << 8)) >>> 0;
      lo = p >>> 0;
    }
    this.hi = hi;
    this.lo = lo;
    return this;
  }

  /** Feeds a u32 as 4 little-endian bytes. */
  updateU32(x: number): this {
    U32[0] = x >>> 0;
    return this.update(U32_BYTES);
  }

  digest(): string {
    return "fnv1a64:" + this.hi.toString(16).padStart(8, "0") + this.lo.toString(16).padStart(8, "0");
  }
}

const U32 = new Uint32Array(1);
const U32_BYTES = new Uint8Array(U32.buffer);
const UTF8 = new TextEncoder();

/** FNV-1a 64 of bytes, "fnv1a64:<16 hex>". */
export function fnv1a64(bytes: Uint8Array): string {
  return new Fnv1a64().update(bytes).digest();
}

/**
 * Hash of a vocabulary: the track count, then each id in index order as its UTF-8 byte length
 * (u32 LE) followed by its bytes (the length prefix keeps ["ab","c"] and ["a","bc"] apart).
 * The same ids in another order hash differently: the index of a track is part of what a model
 * learned. A TrackVocab and the array of its ids hash the same.
 */
export function vocabHash(ids: readonly string[] | TrackVocab): string {
  const h = new Fnv1a64();
  if (Array.isArray(ids)) {
    const list = ids as readonly string[];
    h.updateU32(list.length);
    for (const id of list) {
      const b = UTF8.encode(id);
      h.updateU32(b.length);
      h.update(b);
    }
  } else {
    const vocab = ids as TrackVocab;
    h.updateU32(vocab.size);
    for (let i = 0; i < vocab.size; i++) {
      const b = vocab.idBytes(i);
      h.updateU32(b.length);
      h.update(b);
    }
  }
  return h.digest();
}

/**
 * Hash of an embedding matrix: rows R and width d (u32 LE each), then the f32 values' bytes in
 * little-endian order. Bit-exact: −0 and 0, or two NaN payloads, hash differently.
 */
export function embeddingHash(E: Float32Array, d: number): string {
  if (!Number.isInteger(d) || d < 1 || E.length % d !== 0) throw new Error(`embeddingHash: ${E.length} values do not form rows of width d = ${d}`);
  const h = new Fnv1a64();
  h.updateU32(E.length / d);
  h.updateU32(d);
  h.update(new Uint8Array(E.buffer, E.byteOffset, E.byteLength));
  return h.digest();
}
