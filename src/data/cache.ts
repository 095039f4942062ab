// Binary cache of a built MssdDataset, so a second run skips parsing. The file records the
// inputs it came from (resolved path and size, or a CRC-32 of the content) and the resolved
// options; a changed input or option rebuilds it. It is the shared container (src/io/binfile.ts:
// magic "ENCMSSD", versioned, sectioned, CRC-32 of the whole file), written as a stream of its
// chunks (no whole-file buffer) and checked on load by the container (magic, versions, length,
// checksum, directory) and here (the header's shape and the content's own consistency).
//
// The cache holds nothing that varies between runs on the same inputs, so the same inputs
// and options give a byte-identical file. The inputs' modification times, which the default
// "stat" fingerprint compares, live beside it in a small sidecar, <cache>.stamp.json, tied to
// the cache by its CRC-32; without a matching sidecar the cache is rebuilt. Cache and sidecar
// are written as one all-or-nothing set (src/io/atomic.ts FileSet): temporaries first, the old
// sidecar removed, then the cache and the sidecar renamed in that order.
//
// Header: { key, report } (JSON; infinite options written as strings). Sections, in this order:
// vocabArena u8, vocabOffsets i32, sessionOffsets i32, sessionLength i32, tracks i32, flags u16,
// playCount i32, skipCount i32, featureRow i32, features f32.
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, createReadStream } from "node:fs";
import { resolve } from "node:path";
import { FileSet, readError, writeChunksSync } from "../io/atomic.js";
import { BinFileError, crc32, decode, encodeChunks, type SectionArray } from "../io/binfile.js";
import { MssdCacheError } from "./errors.js";
import { buildDataset, MssdDataset, resolveDatasetOptions, type BuildOptions, type DatasetOptions, type ResolvedDatasetOptions } from "./dataset.js";
import { TrackVocab } from "./vocab.js";

/** 3: the shared container (2 was the cache's own). */
export const CACHE_VERSION = 3;
const MAGIC = "ENCMSSD";

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

// JSON has no Infinity: options like maxLength = Infinity are written as strings (the sharded
// dataset's manifest too).
export function replacer(_k: string, v: unknown): unknown {
  return typeof v === "number" && !Number.isFinite(v) ? String(v) : v;
}
export function reviver(_k: string, v: unknown): unknown {
  return v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : v;
}

function assertLittleEndian(): void {
  if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error("the dataset cache supports little-endian platforms only");
}

/** Writes the dataset to `path` (and its sidecar stamp) all-or-nothing; errors name the file. */
export async function writeDatasetCache(path: string, ds: MssdDataset, key: CacheKey, mtimeMs: number[] = []): Promise<void> {
  assertLittleEndian();
  const { arena, offsets } = ds.vocab.toBytes();
  const arrays: Record<SectionName, SectionArray> = {
    vocabArena: arena, vocabOffsets: offsets, sessionOffsets: ds.sessionOffsets, sessionLength: ds.sessionLength,
    tracks: ds.tracks, flags: ds.flags, playCount: ds.playCount, skipCount: ds.skipCount, featureRow: ds.featureRow, features: ds.features,
  };
  const header = JSON.parse(JSON.stringify({ key, report: ds.report }, replacer)) as unknown;
  const chunks = encodeChunks({ magic: MAGIC, version: CACHE_VERSION, header, sections: SECTIONS.map((s) => [s.name, arrays[s.name]] as const) });
  const last = chunks[chunks.length - 1];
  const crc = new DataView(last.buffer, last.byteOffset, 4).getUint32(0, true);
  const set = new FileSet();
  try {
    // The sections are written straight from their arrays (no whole-file buffer).
    await set.file(path, async (tmp) => writeChunksSync(tmp, chunks));
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

type Meta = { key: CacheKey; report: MssdDataset["report"] };

/** Checks and decodes cache bytes; every error is an MssdCacheError naming `name`. */
export function decodeDatasetCache(buf: Uint8Array, name: string): { dataset: MssdDataset; key: CacheKey } {
  assertLittleEndian();
  const bad = (reason: string): never => {
    throw new MssdCacheError(name, reason);
  };
  // Version 2 caches had their own layout under the same magic, their version where the
  // container keeps its layout version: name them as what they are.
  if (buf.length >= 12 && MAGIC.split("").every((c, i) => buf[i] === c.charCodeAt(0)) && buf[7] === 0
      && new DataView(buf.buffer, buf.byteOffset, 12).getUint32(8, true) === 2) {
    bad(`a dataset cache of an older format (version 2); run 'encore prepare' again to rebuild it`);
  }
  let file: ReturnType<typeof decode>;
  try {
    file = decode(buf, { expectMagic: MAGIC, expectVersion: CACHE_VERSION, name });
  } catch (e) {
    if (!(e instanceof BinFileError)) throw e;
    // the container names the file first; the cache error adds it again
    const reason = e.message.startsWith(`${name}: `) ? e.message.slice(name.length + 2) : e.message;
    return bad(e.code === "magic" ? `not a dataset cache (bad magic bytes: ${reason})` : e.code === "version" ? `cache ${reason}` : reason);
  }
  let meta: Meta;
  try {
    meta = JSON.parse(JSON.stringify(file.header), reviver) as Meta;
  } catch (e) {
    return bad(`unreadable metadata (${(e as Error).message})`);
  }
  const shape = metaProblem(meta);
  if (shape) bad(`metadata ${shape}`);
  const a = {} as Record<SectionName, SectionArray>;
  for (const s of SECTIONS) {
    if (!file.has(s.name)) bad(`missing section ${s.name}`);
    const arr = file.get(s.name);
    const type = file.info(s.name).type;
    if (type !== s.type) bad(`section ${s.name} holds ${type} values, expected ${s.type}`);
    a[s.name] = arr;
  }
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
  const r = m.report as unknown as Record<string, unknown>;
  if (!obj(r) || !Array.isArray(r.logs) || !Array.isArray(r.trackFiles) || !obj(r.dropped) || !obj(r.tracksDropped)) return "lacks its report";
  if (typeof r.sessionsRead !== "number" || typeof r.tracksRead !== "number") return "report lacks its counts";
  for (const l of r.logs as unknown[]) if (!obj(l) || !Array.isArray(l.truncated) || !obj(l.issues) || typeof l.file !== "string") return "report has a bad log entry";
  for (const t of r.trackFiles as unknown[]) if (!obj(t) || !obj(t.issues) || typeof t.file !== "string") return "report has a bad track-feature entry";
  const d = r.dropped as Record<string, unknown>;
  for (const k of ["length", "incomplete", "trackFilter", "duplicates"]) if (typeof d[k] !== "number") return `report lacks dropped.${k}`;
  return "";
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
export function inputTimes(inputs: DatasetPaths): number[] {
  return [...inputs.logs, ...(inputs.trackFeatures ?? [])].map((p) => statSync(p).mtimeMs);
}

/** The sidecar of a cache whose CRC-32 is `crc`, or null when missing, unreadable or another cache's. */
export function readStamp(cachePath: string, crc: number): CacheStamp | null {
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
      reason = staleReason(cache.path, stored, key, how === "stat" ? times : null);
      if (reason === undefined) return { dataset, cache: "hit" };
    } catch (e) {
      if (!(e instanceof MssdCacheError) || cache.onInvalid === "error") throw e;
      reason = e.reason;
    }
  }
  const dataset = await buildDataset({ logs: inputs.logs, trackFeatures: inputs.trackFeatures }, options, { sessionIds: { spillNear: cache.path, ...build.sessionIds } });
  await writeDatasetCache(cache.path, dataset, key, times);
  return reason === undefined ? { dataset, cache: "built" } : { dataset, cache: "rebuilt", reason };
}

/**
 * Why a stored build (the cache file, or a sharded dataset's manifest, at `path`) does not stand
 * for these inputs and options, or undefined when it does: the inputs (paths, sizes, content
 * CRC-32s), the options, and with `times` (the "stat" fingerprint) the inputs' modification
 * times in the sidecar stamp tied to `path`'s CRC-32.
 */
export function staleReason(path: string, stored: CacheKey, key: CacheKey, times: number[] | null): string | undefined {
  const same = (a: unknown, b: unknown) => JSON.stringify(a, replacer) === JSON.stringify(b, replacer);
  if (!same(stored.logs, key.logs) || !same(stored.trackFeatures, key.trackFeatures)) return "inputs changed";
  if (!same(stored.options, key.options)) return "options changed";
  if (times === null) return undefined;
  const stamp = readStamp(path, cacheCrc(path));
  if (!stamp) return `input times unknown (no matching ${stampPath(path)})`;
  if (!same(stamp.mtimeMs, times)) return "inputs changed";
  return undefined;
}

/** The stored CRC-32 of a container file (its last 4 bytes). */
export function cacheCrc(path: string): number {
  const fd = openSync(path, "r");
  try {
    const size = statSync(path).size, b = new Uint8Array(4);
    readSync(fd, b, 0, 4, size - 4);
    return new DataView(b.buffer).getUint32(0, true);
  } finally {
    closeSync(fd);
  }
}
