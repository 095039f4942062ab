// Binary cache of a built MssdDataset, so a second run skips parsing. The file records the
// inputs it came from (resolved path and size, or a CRC-32 of the content) and the resolved
// options; a changed input or option rebuilds it. Checked on load (magic, version, byte
// order, CRC-32 of the whole file, section bounds, and the content's own consistency).
//
// The cache holds nothing that varies between runs on the same inputs, so the same inputs
// and options give a byte-identical file. The inputs' modification times, which the default
// "stat" fingerprint compares, live beside it in a small sidecar, <cache>.stamp.json, tied to
// the cache by its CRC-32; without a matching sidecar the cache is rebuilt. Cache and sidecar
// are written as one all-or-nothing set (src/io/atomic.ts FileSet): temporaries first, the old
// sidecar removed, then the cache and the sidecar renamed in that order.
//
// Layout (little-endian, the platform order of typed arrays; other orders are refused):
//   [0, 8)    magic "ENCMSSD\0"
//   [8, 12)   u32 format version (CACHE_VERSION)
//   [12, 16)  u32 byte-order mark 0x01020304
//   [16, 20)  u32 metadata length L
//   [20, 20+L) metadata JSON: { key, report, sections: [{ name, offset, bytes }] }
//   then each section's raw typed-array bytes at its offset (8-byte aligned)
//   last 4 bytes: u32 CRC-32 of everything before them
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, writeSync, createReadStream } from "node:fs";
import { resolve } from "node:path";
import { FileSet, readError } from "../io/atomic.js";
import { crc32 } from "../io/binfile.js"; // the one CRC-32 (slicing-by-8)
import { MssdCacheError } from "./errors.js";
import { buildDataset, MssdDataset, resolveDatasetOptions, type BuildOptions, type DatasetOptions, type ResolvedDatasetOptions } from "./dataset.js";
import { TrackVocab } from "./vocab.js";

export const CACHE_VERSION = 2;
const MAGIC = new Uint8Array([0x45, 0x4e, 0x43, 0x4d, 0x53, 0x53, 0x44, 0x00]); // "ENCMSSD\0"
const BOM = 0x01020304;

export interface InputFingerprint {
  path: string;
  size: number;
  /** CRC-32 of the content (fingerprint "content"). */
  crc32?: number;
}

/** The sidecar <cache>.stamp.json: what the cache must not hold to stay byte-identical. */
export interface CacheStamp {
  format: "encore-dataset-stamp";
  /** CRC-32 of the cache file it belongs to. */
  cacheCrc32: number;
  /** Modification time of each input, logs then track-feature files (fingerprint "stat"). */
  mtimeMs: number[];
}

/** Where the sidecar of a cache file lives. */
export function stampPath(cachePath: string): string {
  return cachePath + ".stamp.json";
}

export interface CacheKey {
  logs: InputFingerprint[];
  trackFeatures: InputFingerprint[];
  options: ResolvedDatasetOptions;
}

export interface CacheOptions {
  /** Where the cache file lives. */
  path: string;
  /** "stat" (default): path + size + mtime; "content": path + size + CRC-32 of the bytes. */
  fingerprint?: "stat" | "content";
  /** What to do with an unreadable cache file: "rebuild" (default) or "error" (throw MssdCacheError). */
  onInvalid?: "rebuild" | "error";
}

export interface DatasetPaths {
  logs: string[];
  trackFeatures?: string[];
}

type SectionName = "vocabArena" | "vocabOffsets" | "sessionOffsets" | "sessionLength" | "tracks" | "flags" | "playCount" | "skipCount" | "featureRow" | "features";
const SECTIONS: { name: SectionName; type: "u8" | "i32" | "u16" | "f32" }[] = [
  { name: "vocabArena", type: "u8" },
  { name: "vocabOffsets", type: "i32" },
  { name: "sessionOffsets", type: "i32" },
  { name: "sessionLength", type: "i32" },
  { name: "tracks", type: "i32" },
  { name: "flags", type: "u16" },
  { name: "playCount", type: "i32" },
  { name: "skipCount", type: "i32" },
  { name: "featureRow", type: "i32" },
  { name: "features", type: "f32" },
];

// JSON has no Infinity: options like maxLength = Infinity are written as strings.
function replacer(_k: string, v: unknown): unknown {
  return typeof v === "number" && !Number.isFinite(v) ? String(v) : v;
}
function reviver(_k: string, v: unknown): unknown {
  return v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : v;
}

function pad8(n: number): number {
  return (n + 7) & ~7;
}

function assertLittleEndian(): void {
  if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error("the dataset cache supports little-endian platforms only");
}

/** Writes the dataset to `path` (and its sidecar stamp) all-or-nothing; errors name the file. */
export async function writeDatasetCache(path: string, ds: MssdDataset, key: CacheKey, mtimeMs: number[] = []): Promise<void> {
  assertLittleEndian();
  const { arena, offsets } = ds.vocab.toBytes();
  const arrays: Record<SectionName, ArrayBufferView> = {
    vocabArena: arena, vocabOffsets: offsets, sessionOffsets: ds.sessionOffsets, sessionLength: ds.sessionLength,
    tracks: ds.tracks, flags: ds.flags, playCount: ds.playCount, skipCount: ds.skipCount, featureRow: ds.featureRow, features: ds.features,
  };
  // Offsets depend on the metadata length, which depends on the offsets: lay out relative
  // to the data start, then fix the data start from the final metadata.
  const rel: { name: SectionName; offset: number; bytes: number }[] = [];
  let at = 0;
  for (const s of SECTIONS) {
    rel.push({ name: s.name, offset: at, bytes: arrays[s.name].byteLength });
    at = pad8(at + arrays[s.name].byteLength);
  }
  const dataBytes = at;
  let dataStart = 0, metaBytes: Uint8Array;
  for (;;) {
    const sections = rel.map((s) => ({ ...s, offset: s.offset + dataStart }));
    metaBytes = new TextEncoder().encode(JSON.stringify({ key, report: ds.report, sections }, replacer));
    const need = pad8(20 + metaBytes.length);
    if (need === dataStart) break;
    dataStart = need;
  }
  const head = new Uint8Array(dataStart);
  head.set(MAGIC, 0);
  const dv = new DataView(head.buffer);
  dv.setUint32(8, CACHE_VERSION, true);
  dv.setUint32(12, BOM, true);
  dv.setUint32(16, metaBytes.length, true);
  head.set(metaBytes, 20);

  let crc = 0;
  const set = new FileSet();
  try {
    // Sections are written straight from their arrays (no whole-file buffer).
    await set.file(path, async (tmp) => {
      const fd = openSync(tmp, "wx");
      try {
        let written = 0;
        const put = (b: Uint8Array): void => {
          crc = crc32(b, crc);
          let o = 0;
          while (o < b.length) o += writeSync(fd, b, o, b.length - o);
          written += b.length;
        };
        put(head);
        const zeros = new Uint8Array(8);
        for (const s of SECTIONS) {
          const a = arrays[s.name];
          put(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
          const p = pad8(a.byteLength) - a.byteLength;
          if (p) put(zeros.subarray(0, p));
        }
        if (written !== dataStart + dataBytes) throw new Error(`wrote ${written} bytes, expected ${dataStart + dataBytes}`);
        const tail = new Uint8Array(4);
        new DataView(tail.buffer).setUint32(0, crc, true);
        writeSync(fd, tail);
      } finally {
        closeSync(fd);
      }
    });
    const stamp: CacheStamp = { format: "encore-dataset-stamp", cacheCrc32: crc, mtimeMs };
    await set.bytes(stampPath(path), new TextEncoder().encode(JSON.stringify(stamp) + "\n"));
  } catch (e) {
    set.abort();
    throw e;
  }
  await set.commit([stampPath(path)]);
}

/** Reads and checks a cache file; throws MssdCacheError when it cannot be used, an Error naming the path when it cannot be read. */
export function readDatasetCache(path: string): { dataset: MssdDataset; key: CacheKey } {
  let buf: Uint8Array;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw readError(path, e);
  }
  return decodeDatasetCache(buf, path);
}

type Meta = { key: CacheKey; report: MssdDataset["report"]; sections: { name: SectionName; offset: number; bytes: number }[] };

const ELEMENT: Record<string, number> = { u8: 1, u16: 2, i32: 4, f32: 4 };

/** Checks and decodes cache bytes; every error is an MssdCacheError naming `name`. */
export function decodeDatasetCache(buf: Uint8Array, name: string): { dataset: MssdDataset; key: CacheKey } {
  assertLittleEndian();
  const bad = (reason: string): never => {
    throw new MssdCacheError(name, reason);
  };
  if (buf.length < 24) bad(`too short (${buf.length} bytes) to be a dataset cache`);
  for (let i = 0; i < 8; i++) if (buf[i] !== MAGIC[i]) bad("not a dataset cache (bad magic bytes)");
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== CACHE_VERSION) bad(`cache format version ${version}, expected ${CACHE_VERSION}`);
  if (dv.getUint32(12, true) !== BOM) bad("bad byte-order mark");
  const stored = dv.getUint32(buf.length - 4, true);
  const actual = crc32(buf.subarray(0, buf.length - 4));
  if (stored !== actual) bad(`checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)}): the file is corrupted or truncated`);
  const metaLen = dv.getUint32(16, true);
  if (20 + metaLen > buf.length - 4) bad("metadata runs past the end of the file");
  let meta: Meta;
  try {
    meta = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(buf.subarray(20, 20 + metaLen)), reviver);
  } catch (e) {
    return bad(`unreadable metadata (${(e as Error).message})`);
  }
  const shape = metaProblem(meta);
  if (shape) bad(`metadata ${shape}`);
  const get = (sec: SectionName, type: string): ArrayBufferView => {
    const s = meta.sections.find((x) => x.name === sec);
    if (!s) return bad(`missing section ${sec}`);
    if (!(Number.isInteger(s.offset) && Number.isInteger(s.bytes) && s.bytes >= 0 && s.offset >= 20 + metaLen && s.offset + s.bytes <= buf.length - 4)) bad(`section ${sec} out of bounds`);
    if (s.bytes % ELEMENT[type] !== 0) bad(`section ${sec} holds ${s.bytes} bytes, not a whole number of ${type} values`);
    const copy = buf.buffer.slice(buf.byteOffset + s.offset, buf.byteOffset + s.offset + s.bytes) as ArrayBuffer;
    switch (type) {
      case "u8": return new Uint8Array(copy);
      case "u16": return new Uint16Array(copy);
      case "i32": return new Int32Array(copy);
      default: return new Float32Array(copy);
    }
  };
  const a = {} as Record<SectionName, ArrayBufferView>;
  for (const s of SECTIONS) a[s.name] = get(s.name, s.type);
  try {
    const options = resolveDatasetOptions(meta.key.options);
    if (JSON.stringify(options, replacer) !== JSON.stringify(meta.key.options, replacer)) throw new Error("options are not in resolved form");
    const dataset = new MssdDataset({
      vocab: TrackVocab.fromBytes(a.vocabArena as Uint8Array, a.vocabOffsets as Int32Array),
      sessionOffsets: a.sessionOffsets as Int32Array, sessionLength: a.sessionLength as Int32Array,
      tracks: a.tracks as Int32Array, flags: a.flags as Uint16Array, playCount: a.playCount as Int32Array,
      skipCount: a.skipCount as Int32Array, featureRow: a.featureRow as Int32Array, features: a.features as Float32Array,
      options, report: meta.report,
    });
    return { dataset, key: meta.key };
  } catch (e) {
    return bad(`inconsistent content (${(e as Error).message})`);
  }
}

/** What is wrong with the metadata's shape, or "" (a checksummed file written by a faulty writer). */
function metaProblem(m: Meta): string {
  const obj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
  if (!obj(m)) return "is not an object";
  if (!obj(m.key) || !Array.isArray(m.key.logs) || !Array.isArray(m.key.trackFeatures) || !obj(m.key.options)) return "lacks its key (logs, trackFeatures, options)";
  for (const f of [...m.key.logs, ...m.key.trackFeatures]) if (!obj(f) || typeof f.path !== "string" || !Number.isInteger(f.size)) return "has a bad input fingerprint";
  if (!Array.isArray(m.sections) || !m.sections.every(obj)) return "lacks its section table";
  const r = m.report as unknown as Record<string, unknown>;
  if (!obj(r) || !Array.isArray(r.logs) || !Array.isArray(r.trackFiles) || !obj(r.dropped) || !obj(r.tracksDropped)) return "lacks its report";
  if (typeof r.sessionsRead !== "number" || typeof r.tracksRead !== "number") return "report lacks its counts";
  for (const l of r.logs as unknown[]) if (!obj(l) || !Array.isArray(l.truncated) || !obj(l.issues) || typeof l.file !== "string") return "report has a bad log entry";
  for (const t of r.trackFiles as unknown[]) if (!obj(t) || !obj(t.issues) || typeof t.file !== "string") return "report has a bad track-feature entry";
  const d = r.dropped as Record<string, unknown>;
  for (const k of ["length", "incomplete", "trackFilter", "duplicates"]) if (typeof d[k] !== "number") return `report lacks dropped.${k}`;
  return "";
}

function hex(x: number): string {
  return "0x" + x.toString(16).padStart(8, "0");
}

async function fingerprint(path: string, how: "stat" | "content"): Promise<InputFingerprint> {
  const st = statSync(path);
  const fp: InputFingerprint = { path: resolve(path), size: st.size };
  if (how === "content") {
    let crc = 0;
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) crc = crc32(chunk as Buffer, crc);
    fp.crc32 = crc;
  }
  return fp;
}

/** The cache key of these inputs and options. */
export async function datasetCacheKey(inputs: DatasetPaths, options: DatasetOptions = {}, how: "stat" | "content" = "stat"): Promise<CacheKey> {
  const logs: InputFingerprint[] = [], trackFeatures: InputFingerprint[] = [];
  for (const p of inputs.logs) logs.push(await fingerprint(p, how));
  for (const p of inputs.trackFeatures ?? []) trackFeatures.push(await fingerprint(p, how));
  return { logs, trackFeatures, options: resolveDatasetOptions(options) };
}

export interface LoadResult {
  dataset: MssdDataset;
  /** "hit": read from the cache; "built": no cache file; "rebuilt": the cache was stale or unreadable. */
  cache: "hit" | "built" | "rebuilt";
  /** Why it was rebuilt. */
  reason?: string;
}

/** The inputs' modification times, logs then track-feature files (what the sidecar stamp records). */
function inputTimes(inputs: DatasetPaths): number[] {
  return [...inputs.logs, ...(inputs.trackFeatures ?? [])].map((p) => statSync(p).mtimeMs);
}

/** The sidecar of a cache whose CRC-32 is `crc`, or null when missing, unreadable or another cache's. */
function readStamp(cachePath: string, crc: number): CacheStamp | null {
  try {
    const st = JSON.parse(readFileSync(stampPath(cachePath), "utf8")) as CacheStamp;
    return st?.format === "encore-dataset-stamp" && st.cacheCrc32 === crc && Array.isArray(st.mtimeMs) ? st : null;
  } catch {
    return null;
  }
}

/** The dataset from the cache when it matches the inputs and options, else built and cached. */
export async function loadOrBuildDataset(inputs: DatasetPaths, options: DatasetOptions, cache: CacheOptions, build: BuildOptions = {}): Promise<LoadResult> {
  const how = cache.fingerprint ?? "stat";
  const key = await datasetCacheKey(inputs, options, how);
  const times = how === "stat" ? inputTimes(inputs) : [];
  let reason: string | undefined;
  if (existsSync(cache.path)) {
    try {
      const { dataset, key: stored } = readDatasetCache(cache.path);
      const same = (a: unknown, b: unknown) => JSON.stringify(a, replacer) === JSON.stringify(b, replacer);
      if (!same(stored.logs, key.logs) || !same(stored.trackFeatures, key.trackFeatures)) reason = "inputs changed";
      else if (!same(stored.options, key.options)) reason = "options changed";
      else if (how === "stat") {
        const stamp = readStamp(cache.path, cacheCrc(cache.path));
        if (!stamp) reason = `input times unknown (no matching ${stampPath(cache.path)})`;
        else if (!same(stamp.mtimeMs, times)) reason = "inputs changed";
        else return { dataset, cache: "hit" };
      } else return { dataset, cache: "hit" };
    } catch (e) {
      if (!(e instanceof MssdCacheError) || cache.onInvalid === "error") throw e;
      reason = e.reason;
    }
  }
  const dataset = await buildDataset({ logs: inputs.logs, trackFeatures: inputs.trackFeatures }, options, { sessionIds: { spillNear: cache.path, ...build.sessionIds } });
  await writeDatasetCache(cache.path, dataset, key, times);
  return reason === undefined ? { dataset, cache: "built" } : { dataset, cache: "rebuilt", reason };
}

/** The stored CRC-32 of a cache file (its last 4 bytes). */
function cacheCrc(path: string): number {
  const fd = openSync(path, "r");
  try {
    const size = statSync(path).size, b = new Uint8Array(4);
    readSync(fd, b, 0, 4, size - 4);
    return new DataView(b.buffer).getUint32(0, true);
  } finally {
    closeSync(fd);
  }
}
