// Byte-level building blocks of the MSSD readers: a chunked line splitter and parsers for
// integers, decimals and booleans that work on Uint8Array ranges without creating strings.
// No node: imports, so this runs in any JavaScript runtime (browsers, workers, edge).

const LF = 10, CR = 13;

/** Called once per line with the line's byte range (line end and a trailing CR excluded). */
export type LineHandler = (buf: Uint8Array, start: number, end: number, line: number) => void;

/**
 * Splits a byte stream, given in chunks of any size, into lines. A line that spans chunks is
 * copied into a small carry buffer (the only copy); other lines are handed over in place.
 * Strips a UTF-8 byte-order mark at the start of the stream and a CR before each LF.
 */
export class LineSplitter {
  /** Lines emitted so far (the 1-based number of the last line). */
  line = 0;
  /** Bytes pushed so far. */
  bytes = 0;
  private carry = new Uint8Array(4096);
  private carryLen = 0;

  constructor(private readonly onLine: LineHandler) {}

  push(chunk: Uint8Array): void {
    const n = chunk.length;
    this.bytes += n;
    let pos = 0;
    if (this.carryLen > 0) {
      const nl = chunk.indexOf(LF);
      if (nl < 0) {
        this.append(chunk, 0, n);
        return;
      }
      this.append(chunk, 0, nl);
      this.emit(this.carry, 0, this.carryLen);
      this.carryLen = 0;
      pos = nl + 1;
    }
    for (;;) {
      const nl = chunk.indexOf(LF, pos);
      if (nl < 0) break;
      this.emit(chunk, pos, nl);
      pos = nl + 1;
    }
    if (pos < n) this.append(chunk, pos, n);
  }

  /** Flushes a last line that has no line end. */
  end(): void {
    if (this.carryLen > 0) {
      this.emit(this.carry, 0, this.carryLen);
      this.carryLen = 0;
    }
  }

  /** True while part of a line is waiting for its end (e.g. when the input stops mid-line). */
  get pending(): boolean {
    return this.carryLen > 0;
  }

  private emit(buf: Uint8Array, start: number, end: number): void {
    if (end > start && buf[end - 1] === CR) end--;
    const line = ++this.line;
    if (line === 1 && end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3;
    this.onLine(buf, start, end, line);
  }

  private append(src: Uint8Array, start: number, end: number): void {
    const len = end - start;
    if (this.carryLen + len > this.carry.length) {
      const grown = new Uint8Array(Math.max(this.carry.length * 2, this.carryLen + len));
      grown.set(this.carry.subarray(0, this.carryLen));
      this.carry = grown;
    }
    this.carry.set(src.subarray(start, end), this.carryLen);
    this.carryLen += len;
  }
}

/**
 * Finds the field boundaries of a CSV line (no quoting: MSSD never quotes). Writes the end
 * offset of field i to ends[i] (field i starts at ends[i-1] + 1, field 0 at `start`) and
 * returns the number of fields, which may exceed ends.length (extra ends are not stored).
 */
export function splitFields(buf: Uint8Array, start: number, end: number, ends: Int32Array): number {
  const cap = ends.length;
  let nf = 0;
  for (let i = start; i < end; i++) {
    if (buf[i] === 44) {
      if (nf < cap) ends[nf] = i;
      nf++;
    }
  }
  if (nf < cap) ends[nf] = end;
  return nf + 1;
}

/** A non-negative decimal integer (at most 9 digits), or -1 when the text is not one. */
export function parseUint(buf: Uint8Array, start: number, end: number): number {
  if (end <= start || end - start > 9) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** 1 for `True`, 0 for `False`, -1 otherwise. */
export function parseBool(buf: Uint8Array, start: number, end: number): number {
  const n = end - start;
  if (n === 4 && buf[start] === 84 && buf[start + 1] === 114 && buf[start + 2] === 117 && buf[start + 3] === 101) return 1;
  if (n === 5 && buf[start] === 70 && buf[start + 1] === 97 && buf[start + 2] === 108 && buf[start + 3] === 115 && buf[start + 4] === 101) return 0;
  return -1;
}

const POW10 = new Float64Array(23);
for (let i = 0, p = 1; i < 23; i++, p *= 10) POW10[i] = p;

/**
 * A finite decimal number `[+-]digits[.digits][(e|E)[+-]digits]`, or NaN when the text is
 * anything else (empty, NaN, Infinity, hex, stray characters). The first 17 significant
 * digits are used; the result is within a few f64 ulps of the correctly rounded value
 * (exact for up to 15 significant digits and |exponent| ≤ 22), far below f32 precision.
 */
export function parseDecimal(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  if (i >= end) return NaN;
  let neg = false;
  const c0 = buf[i];
  if (c0 === 45 || c0 === 43) {
    neg = c0 === 45;
    i++;
  }
  let mant = 0, digits = 0, sig = 0, exp10 = 0;
  for (; i < end; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) break;
    digits++;
    if (sig < 17) {
      if (mant !== 0 || d !== 0) sig++;
      mant = mant * 10 + d;
    } else exp10++;
  }
  if (i < end && buf[i] === 46) {
    i++;
    for (; i < end; i++) {
      const d = buf[i] - 48;
      if (d < 0 || d > 9) break;
      digits++;
      if (sig < 17) {
        if (mant !== 0 || d !== 0) sig++;
        mant = mant * 10 + d;
        exp10--;
      }
    }
  }
  if (digits === 0) return NaN;
  if (i < end && (buf[i] === 101 || buf[i] === 69)) {
    i++;
    let eneg = false;
    if (i < end && (buf[i] === 45 || buf[i] === 43)) {
      eneg = buf[i] === 45;
      i++;
    }
    let e = 0, ed = 0;
    for (; i < end; i++) {
      const d = buf[i] - 48;
      if (d < 0 || d > 9) break;
      if (e < 100000) e = e * 10 + d;
      ed++;
    }
    if (ed === 0) return NaN;
    exp10 += eneg ? -e : e;
  }
  if (i !== end) return NaN;
  let v = mant;
  if (v !== 0 && exp10 !== 0) {
    if (exp10 > 0) v = exp10 <= 22 ? v * POW10[exp10] : v * Math.pow(10, exp10);
    else v = exp10 >= -22 ? v / POW10[-exp10] : v / Math.pow(10, -exp10);
  }
  if (!Number.isFinite(v)) return NaN;
  return neg ? -v : v;
}

/**
 * True when buf[start, end) is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF, no truncated sequence). ASCII bytes cost one comparison each.
 */
export function isUtf8(buf: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const b = buf[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let n: number, lo = 0x80, hi = 0xbf; // continuation bytes; the first one's range depends on the lead
    if (b >= 0xc2 && b <= 0xdf) n = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      n = 2;
      if (b === 0xe0) lo = 0xa0; // overlong below U+0800
      else if (b === 0xed) hi = 0x9f; // surrogates U+D800..DFFF
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 3;
      if (b === 0xf0) lo = 0x90; // overlong below U+10000
      else if (b === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return false;
    if (i + n >= end) return false; // truncated sequence
    const c1 = buf[i + 1];
    if (c1 < lo || c1 > hi) return false;
    for (let k = 2; k <= n; k++) {
      const c = buf[i + k];
      if (c < 0x80 || c > 0xbf) return false;
    }
    i += n + 1;
  }
  return true;
}

/** Bytes as hex for a message: "ff fe 41", at most 16 bytes. */
export function hexField(buf: Uint8Array, start: number, end: number): string {
  const n = Math.min(end - start, 16);
  let s = "";
  for (let i = 0; i < n; i++) s += (i ? " " : "") + buf[start + i].toString(16).padStart(2, "0");
  return end - start > 16 ? s + " …" : s;
}

/** True when buf[start, end) holds exactly the bytes of `lit`. */
export function bytesEqual(buf: Uint8Array, start: number, end: number, lit: Uint8Array): boolean {
  const n = lit.length;
  if (end - start !== n) return false;
  for (let i = 0; i < n; i++) if (buf[start + i] !== lit[i]) return false;
  return true;
}

/**
 * MurmurHash3 (x86, 32 bit, seed 0) of a byte range: the hash the vocabulary interns track
 * ids with. Four bytes per multiply chain step, which matters at ~40-byte ids per row.
 */
export function hashBytes(buf: Uint8Array, start: number, end: number): number {
  return hashBytesSeeded(buf, start, end, 0);
}

/** MurmurHash3 (x86, 32 bit) of a byte range with a seed: independent hashes of the same bytes. */
export function hashBytesSeeded(buf: Uint8Array, start: number, end: number, seed: number): number {
  let h = seed | 0, i = start;
  const n4 = end - ((end - start) & 3);
  for (; i < n4; i += 4) {
    let k = buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = end - i;
  if (rest > 0) {
    let k = buf[i];
    if (rest > 1) k |= buf[i + 1] << 8;
    if (rest > 2) k |= buf[i + 2] << 16;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
  }
  return fmix32(h ^ (end - start));
}

/** MurmurHash3's 32-bit finaliser: every input bit affects every output bit. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export const ASCII = new TextEncoder();
