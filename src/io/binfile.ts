// The binary container for model checkpoints, embeddings and caches: versioned, checksummed,
// sectioned. Pure TypeScript (no Node imports); src/io/atomic.ts writes and reads files.
//
// Layout (all integers little-endian):
//   offset  size  field
//        0     8  magic: the file kind, 1–8 ASCII characters, NUL-padded (e.g. "ENCMODEL")
//        8     4  container layout version (CONTAINER_VERSION): how this table is laid out
//       12     4  format version: the kind's own version, chosen by the writer
//       16     8  total file length L in bytes (u64; detects truncation before the checksum)
//       24     4  J: byte length of the directory JSON
//       28     4  M: number of sections
//       32     J  directory JSON, UTF-8: {"header": <caller's JSON>, "sections": [{"name",
//                 "type", "offset", "length"}, ...]}, offset in bytes from the data start D,
//                 length in elements, type one of f32 i32 u8 u16 u32 f64
//        …        zero padding to D = alignUp(32 + J, 16)
//        D        section payloads in directory order, each starting 16-byte aligned in the
//                 file (so a file read into an aligned buffer gives zero-copy typed views and
//                 v128 loads), zero padding between them
//    L − 4     4  CRC-32 (IEEE 802.3 / zlib polynomial) of bytes [0, L − 4)
//
// decode() checks, in order: size of the fixed header, magic, container version, total
// length (truncated / trailing bytes), checksum (corrupted), format version, directory.
// Every error is a BinFileError whose message starts with the file's name.
// Typed arrays are stored in the platform's byte order, which must be little-endian (all
// current JavaScript platforms are; a big-endian host is refused rather than misread).

export const CONTAINER_VERSION = 1;
const FIXED = 32;
const ALIGN = 16;

export type SectionArray = Float32Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | Float64Array;
export type SectionType = "f32" | "i32" | "u8" | "u16" | "u32" | "f64";

const TYPES: Record<SectionType, { size: number; make: (b: ArrayBuffer, off: number, len: number) => SectionArray; ctor: { new (n: number): SectionArray } & { name: string } }> = {
  f32: { size: 4, make: (b, o, n) => new Float32Array(b, o, n), ctor: Float32Array },
  i32: { size: 4, make: (b, o, n) => new Int32Array(b, o, n), ctor: Int32Array },
  u8: { size: 1, make: (b, o, n) => new Uint8Array(b, o, n), ctor: Uint8Array },
  u16: { size: 2, make: (b, o, n) => new Uint16Array(b, o, n), ctor: Uint16Array },
  u32: { size: 4, make: (b, o, n) => new Uint32Array(b, o, n), ctor: Uint32Array },
  f64: { size: 8, make: (b, o, n) => new Float64Array(b, o, n), ctor: Float64Array },
};

export function sectionType(a: SectionArray): SectionType {
  if (a instanceof Float32Array) return "f32";
  if (a instanceof Int32Array) return "i32";
  if (a instanceof Uint8Array) return "u8"; // includes Node's Buffer
  if (a instanceof Uint16Array) return "u16";
  if (a instanceof Uint32Array) return "u32";
  if (a instanceof Float64Array) return "f64";
  throw new Error(`binfile: unsupported section array type ${Object.prototype.toString.call(a)}`);
}

export type BinFileErrorCode = "truncated" | "corrupted" | "magic" | "version" | "missing" | "type" | "format";

export class BinFileError extends Error {
  constructor(readonly code: BinFileErrorCode, message: string) {
    super(message);
    this.name = "BinFileError";
  }
}

export interface BinFileContent {
  /** The file kind: 1–8 printable ASCII characters. */
  magic: string;
  /** The kind's format version, a u32. */
  version: number;
  /** Anything JSON can carry (hyperparameters, vocabulary hashes, ...). Default null. */
  header?: unknown;
  /** Named payloads, written in iteration order. */
  sections: Record<string, SectionArray> | Iterable<readonly [string, SectionArray]>;
}

export interface DecodeOptions {
  /** The magic the file must carry. */
  expectMagic: string;
  /** The format version (or versions) this reader understands. */
  expectVersion: number | readonly number[];
  /** The file's name in error messages. Default "<bytes>". */
  name?: string;
}

interface DirEntry {
  name: string;
  type: SectionType;
  offset: number;
  length: number;
}

function littleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

function checkMagic(magic: string, who: string): void {
  if (typeof magic !== "string" || !/^[\x20-\x7e]{1,8}$/.test(magic)) throw new Error(`${who}: magic must be 1–8 printable ASCII characters, got ${JSON.stringify(magic)}`);
}

// ---------------------------------------------------------------- CRC-32 (slicing-by-8)

const CRC_TABLES: Uint32Array = (() => {
  const t = new Uint32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) for (let s = 1; s < 8; s++) {
    const p = t[(s - 1) * 256 + i];
    t[s * 256 + i] = (p >>> 8) ^ t[p & 0xff];
  }
  return t;
})();

/** CRC-32 (IEEE, as zlib's crc32) of bytes, continuing from a previous value `crc` (0 to start). */
export function crc32(bytes: Uint8Array, crc: number = 0): number {
  const T = CRC_TABLES;
  let c = ~crc >>> 0;
  let i = 0;
  const n = bytes.length, n8 = n - (n % 8);
  // Eight bytes per iteration through eight tables (Intel's slicing-by-8).
  for (; i < n8; i += 8) {
    const a = (c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24))) >>> 0;
    c = T[7 * 256 + (a & 0xff)] ^ T[6 * 256 + ((a >>> 8) & 0xff)] ^ T[5 * 256 + ((a >>> 16) & 0xff)] ^ T[4 * 256 + (a >>> 24)]
      ^ T[3 * 256 + bytes[i + 4]] ^ T[2 * 256 + bytes[i + 5]] ^ T[256 + bytes[i + 6]] ^ T[bytes[i + 7]];
  }
  for (; i < n; i++) c = T[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

// ---------------------------------------------------------------- encode

/**
 * The container as byte chunks in file order: the fixed header and directory, each section as a
 * view of its own array (not copied) with the zero padding before it, and last the 4-byte CRC-32.
 * For writers that stream a large file instead of building it in memory; encode() joins them.
 */
export function encodeChunks(content: BinFileContent): Uint8Array[] {
  const who = "binfile.encode";
  if (!littleEndian()) throw new Error(`${who}: this platform is big-endian; the format stores little-endian arrays`);
  checkMagic(content.magic, who);
  if (!(Number.isInteger(content.version) && content.version >= 0 && content.version <= 0xffffffff)) throw new Error(`${who}: version must be a u32, got ${content.version}`);
  const list: [string, SectionArray][] = Symbol.iterator in Object(content.sections)
    ? [...(content.sections as Iterable<readonly [string, SectionArray]>)].map(([n, a]) => [n, a])
    : Object.entries(content.sections as Record<string, SectionArray>);
  const seen = new Set<string>();
  const dir: DirEntry[] = [];
  let dataLen = 0;
  for (const [name, a] of list) {
    if (typeof name !== "string" || name.length === 0) throw new Error(`${who}: a section name must be a non-empty string`);
    if (seen.has(name)) throw new Error(`${who}: section "${name}" appears twice`);
    seen.add(name);
    const type = sectionType(a);
    dataLen = alignUp(dataLen, ALIGN);
    dir.push({ name, type, offset: dataLen, length: a.length });
    dataLen += a.byteLength;
  }
  const json = JSON.stringify({ header: content.header ?? null, sections: dir });
  const jsonBytes = new TextEncoder().encode(json);
  const D = alignUp(FIXED + jsonBytes.length, ALIGN);
  const L = D + dataLen + 4;
  if (L > Number.MAX_SAFE_INTEGER) throw new Error(`${who}: file of ${L} bytes is too large`);
  const head = new Uint8Array(D);
  const view = new DataView(head.buffer);
  for (let i = 0; i < 8; i++) head[i] = i < content.magic.length ? content.magic.charCodeAt(i) : 0;
  view.setUint32(8, CONTAINER_VERSION, true);
  view.setUint32(12, content.version, true);
  view.setUint32(16, L % 0x100000000, true);
  view.setUint32(20, Math.floor(L / 0x100000000), true);
  view.setUint32(24, jsonBytes.length, true);
  view.setUint32(28, dir.length, true);
  head.set(jsonBytes, FIXED);
  const chunks: Uint8Array[] = [head];
  let at = 0;
  for (let s = 0; s < dir.length; s++) {
    const a = list[s][1];
    if (dir[s].offset > at) chunks.push(new Uint8Array(dir[s].offset - at));
    chunks.push(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    at = dir[s].offset + a.byteLength;
  }
  let crc = 0;
  for (const c of chunks) crc = crc32(c, crc);
  const tail = new Uint8Array(4);
  new DataView(tail.buffer).setUint32(0, crc, true);
  chunks.push(tail);
  return chunks;
}

/** Serialise to a new byte array. */
export function encode(content: BinFileContent): Uint8Array {
  const chunks = encodeChunks(content);
  let L = 0;
  for (const c of chunks) L += c.length;
  const out = new Uint8Array(L);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

// ---------------------------------------------------------------- decode

/** A decoded container. Section arrays are views of the input bytes when aligned (else copies): do not modify the input afterwards. */
export class BinFile {
  constructor(
    /** The name used in error messages. */
    readonly name: string,
    readonly magic: string,
    readonly version: number,
    readonly header: unknown,
    private readonly map: Map<string, { type: SectionType; byteOffset: number; array: SectionArray }>,
  ) {}

  /** Section names in file order. */
  get names(): string[] {
    return [...this.map.keys()];
  }

  has(name: string): boolean {
    return this.map.has(name);
  }

  /** Type and absolute byte offset of a section in the file. */
  info(name: string): { type: SectionType; byteOffset: number; length: number } {
    const s = this.entry(name);
    return { type: s.type, byteOffset: s.byteOffset, length: s.array.length };
  }

  get(name: string): SectionArray {
    return this.entry(name).array;
  }

  f32(name: string): Float32Array { return this.typed(name, "f32") as Float32Array; }
  i32(name: string): Int32Array { return this.typed(name, "i32") as Int32Array; }
  u8(name: string): Uint8Array { return this.typed(name, "u8") as Uint8Array; }
  u16(name: string): Uint16Array { return this.typed(name, "u16") as Uint16Array; }
  u32(name: string): Uint32Array { return this.typed(name, "u32") as Uint32Array; }
  f64(name: string): Float64Array { return this.typed(name, "f64") as Float64Array; }

  private entry(name: string) {
    const s = this.map.get(name);
    if (!s) throw new BinFileError("missing", `${this.name}: missing section "${name}" (the file has ${this.map.size ? this.names.map((n) => `"${n}"`).join(", ") : "no sections"})`);
    return s;
  }

  private typed(name: string, type: SectionType): SectionArray {
    const s = this.entry(name);
    if (s.type !== type) throw new BinFileError("type", `${this.name}: section "${name}" holds ${TYPES[s.type].ctor.name}, expected ${TYPES[type].ctor.name}`);
    return s.array;
  }
}

/** Parse and verify a container. Throws BinFileError naming `options.name`. */
export function decode(bytes: Uint8Array, options: DecodeOptions): BinFile {
  const file = options.name ?? "<bytes>";
  const fail = (code: BinFileErrorCode, msg: string): never => { throw new BinFileError(code, `${file}: ${msg}`); };
  checkMagic(options.expectMagic, "binfile.decode");
  if (!littleEndian()) fail("format", "this platform is big-endian; the format stores little-endian arrays");
  const n = bytes.length;
  if (n >= 8) {
    let magic = "";
    for (let i = 0; i < 8 && bytes[i] !== 0; i++) magic += String.fromCharCode(bytes[i]);
    const tail = bytes.subarray(magic.length, 8);
    if (magic !== options.expectMagic || tail.some((b) => b !== 0)) {
      fail("magic", `not a "${options.expectMagic}" file (magic bytes ${hex(bytes.subarray(0, 8))}, expected ${hex(magicBytes(options.expectMagic))})`);
    }
  } else if (n === 0 || !bytes.every((b, i) => b === magicBytes(options.expectMagic)[i])) {
    fail(n === 0 ? "truncated" : "magic", n === 0 ? "empty file: truncated" : `not a "${options.expectMagic}" file (${n} bytes)`);
  }
  if (n < FIXED + 4) fail("truncated", `truncated: ${n} bytes, shorter than the ${FIXED + 4}-byte minimum`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const container = view.getUint32(8, true);
  if (container !== CONTAINER_VERSION) fail("version", `container layout version ${container}, this reader understands ${CONTAINER_VERSION}`);
  const L = view.getUint32(16, true) + view.getUint32(20, true) * 0x100000000;
  if (n < L) fail("truncated", `truncated: ${n} bytes, the file says ${L}`);
  if (n > L) fail("corrupted", `corrupted: ${n} bytes, the file says ${L} (trailing bytes)`);
  const stored = view.getUint32(L - 4, true);
  const actual = crc32(bytes.subarray(0, L - 4));
  if (stored !== actual) fail("corrupted", `corrupted: checksum mismatch (stored CRC-32 ${hex32(stored)}, computed ${hex32(actual)})`);
  const version = view.getUint32(12, true);
  const accepted = typeof options.expectVersion === "number" ? [options.expectVersion] : options.expectVersion;
  if (!accepted.includes(version)) fail("version", `format version ${version}, this reader understands ${accepted.join(" or ")}`);

  // The checksum passed, so what follows only fails for a file written by a faulty writer.
  const J = view.getUint32(24, true), M = view.getUint32(28, true);
  if (FIXED + J > L - 4) fail("format", `directory of ${J} bytes runs past the end`);
  let parsed: { header?: unknown; sections?: unknown };
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(FIXED, FIXED + J)));
  } catch (e) {
    return fail("format", `directory is not valid JSON (${(e as Error).message})`);
  }
  const dir = parsed.sections;
  if (!Array.isArray(dir) || dir.length !== M) fail("format", `directory lists ${Array.isArray(dir) ? dir.length : "no"} sections, the header says ${M}`);
  const D = alignUp(FIXED + J, ALIGN);
  const map = new Map<string, { type: SectionType; byteOffset: number; array: SectionArray }>();
  for (const e of dir as DirEntry[]) {
    const t = TYPES[e?.type as SectionType];
    if (typeof e?.name !== "string" || !t || !Number.isInteger(e.offset) || !Number.isInteger(e.length) || e.offset < 0 || e.length < 0) {
      fail("format", `bad directory entry ${JSON.stringify(e)}`);
    }
    if (map.has(e.name)) fail("format", `section "${e.name}" appears twice`);
    const start = D + e.offset, bytesLen = e.length * t.size;
    if (start % ALIGN !== 0) fail("format", `section "${e.name}" starts at byte ${start}, not ${ALIGN}-byte aligned`);
    if (start + bytesLen > L - 4) fail("format", `section "${e.name}" (${bytesLen} bytes at ${start}) runs past the end of the data`);
    const abs = bytes.byteOffset + start;
    let array: SectionArray;
    if (abs % t.size === 0) array = t.make(bytes.buffer as ArrayBuffer, abs, e.length);
    else {
      // Unaligned input (e.g. a pooled buffer): copy.
      array = new t.ctor(e.length);
      new Uint8Array(array.buffer).set(bytes.subarray(start, start + bytesLen));
    }
    map.set(e.name, { type: e.type, byteOffset: start, array });
  }
  let magic = "";
  for (let i = 0; i < 8 && bytes[i] !== 0; i++) magic += String.fromCharCode(bytes[i]);
  return new BinFile(file, magic, version, parsed.header ?? null, map);
}

function magicBytes(magic: string): Uint8Array {
  const b = new Uint8Array(8);
  for (let i = 0; i < magic.length && i < 8; i++) b[i] = magic.charCodeAt(i);
  return b;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
}

function hex32(x: number): string {
  return "0x" + (x >>> 0).toString(16).padStart(8, "0");
}
