// The sharded dataset: the out-of-core form of `encore prepare` for logs too large to hold
// (the full MSSD: 130 million sessions, 2.9 billion rows). It is the same dataset as the
// in-memory build (src/data/dataset.ts: same filters, same vocabulary, same sessions in the
// same order, same rows and flags), written as a directory of files in the shared container
// (src/io/binfile.ts: magic, versions, sections, CRC-32), read back one shard at a time.
//
// Files (format version SHARDS_VERSION):
//   manifest.bin      magic "ENCSHMAN", no sections; header JSON: format "encore-shards",
//                     totals (sessions, rows, tracks), every shard's file, first session,
//                     sessions, rows, byte size and CRC-32, the vocabulary file's size and
//                     CRC-32, the inputs' fingerprints and resolved options (as the cache
//                     key), the build report, and the budget it was built with.
//   vocab.bin         magic "ENCSHVOC"; sections vocabArena u8, vocabOffsets i32 (track ids),
//                     playCount i32, skipCount i32 (over the whole dataset), featureRow i32,
//                     features f32 (tracks with features × NFEAT, vocabulary order).
//   manifest.bin.stamp.json
//                     the inputs' modification times, tied to the manifest by its CRC-32 (as
//                     the cache's sidecar): a second prepare of the same inputs (paths, sizes,
//                     times) and options reuses the directory ("hit"); anything else rebuilds.
//   shard-NNNNNN.bin  magic "ENCSHARD"; header { index, firstSession, sessions, rows };
//                     sections sessionOffsets i32 (sessions + 1, shard-local, from 0),
//                     sessionLength i32 (session_length as written), tracks i32 (vocabulary
//                     indices), flags u16 (LOG_FLAG bits and the context type). Session i of
//                     shard k is session firstSession + i of the dataset.
// Every file is checked when read: the container (magic, version, length, its own CRC-32),
// then against the manifest (byte size and CRC-32, so a missing, truncated, swapped or
// foreign shard is an error naming the file), then its content (offsets, indices in range).
// The set is written all-or-nothing (src/io/atomic.ts FileSet): every file to a synced
// temporary, the old manifest removed, the files renamed, the manifest last; shard files of
// an earlier, larger build are removed afterwards.
//
// Build, in two streaming passes, because the track filters (minPlays, minPopularity) need
// counts over every file before any row's final index is known:
//   1. read every log once (session-level filters as in-memory), staging kept sessions with
//      provisional (staged-vocabulary) indices into a bounded buffer, spilled as provisional
//      shards (temporaries beside the manifest) whenever full; session ids go through the
//      bounded duplicate check (src/data/session-ids.ts), which spills sorted runs to disk.
//   2. join the track features and filter the tracks; then read the provisional shards in
//      order, drop and remap rows exactly as the in-memory build does (FinalVocab: a kept
//      track is indexed at its first appearance in a kept session), and write the final
//      shards through a second bounded buffer. The provisional shards are removed.
// The vocabulary order is therefore the in-memory build's. A duplicate session id is a
// located error; with lenient it is counted and dropped (a duplicate found only after the
// ids spilled is dropped by reading the logs again, as the in-memory build does).
//
// Memory. `encore prepare --memory-budget T` is the whole process's: the buffers get
// B = T − (the resident set when the build starts: the runtime and its modules) −
// BUILD_HEADROOM_BYTES (buffersOfProcessBudget), so halving T halves the peak, the runtime's
// share included. Buffer budget B (ShardBuildOptions.memoryBytes): B/2 for the session-id table (BYTES_PER_ENTRY bytes a
// session, then sorted runs on disk), B/4 for one shard's staged columns (6 bytes a row,
// 8 a session; the same bound sizes the final shards, so reading a provisional shard in
// pass 2 costs at most as much again while the id table is gone), the rest for the parse
// buffers (1 MiB read chunks, 256 KiB gunzip chunks, one session) and the runtime. Outside
// the budget: the vocabularies and per-track arrays, by their layout 100–200 bytes per
// distinct track read (the staged and the final vocabulary, each id's bytes plus offsets,
// hashes and table slots, with growth slack; plays, filter and remap arrays), so an estimated
// 0.4–0.7 GB for MSSD's 3.7 million tracks, and the report (a line per file, a few examples
// per kind of problem).
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { FileSet, readError, writeChunksSync, writeError } from "../io/atomic.js";
import { BinFileError, decode, encode, encodeChunks, type BinFile, type SectionArray } from "../io/binfile.js";
import { removeStaleTemps, removeTemp, tempPath } from "../io/temp.js";
import { MssdCacheError } from "./errors.js";
import { featureMatrix, filterTracks, FinalVocab, MssdDataset, resolveDatasetOptions, stageInputs, type DatasetOptions, type DatasetReport, type ResolvedDatasetOptions, type StagedSink } from "./dataset.js";
import { datasetCacheKey, inputTimes, replacer, reviver, staleReason, stampPath, type CacheKey, type CacheStamp } from "./cache.js";
import { LOG_FLAG } from "./log-parser.js";
import { MAX_SESSION_LENGTH } from "./schema.js";
import { inHashTrain, type SplitOptions } from "./split.js";
import { FEATURE_COLUMNS, NFEAT } from "./tf-parser.js";
import { TrackVocab } from "./vocab.js";
import type { TrainingSessions } from "../eval/baselines.js";

export const SHARDS_VERSION = 1;
const MAGIC_MANIFEST = "ENCSHMAN", MAGIC_VOCAB = "ENCSHVOC", MAGIC_SHARD = "ENCSHARD";
export const MANIFEST_FILE = "manifest.bin";
export const VOCAB_FILE = "vocab.bin";
const SHARD_NAME = /^shard-(\d{6,})\.bin$/;

/** The file name of shard k. */
export function shardFile(k: number): string {
  return `shard-${String(k).padStart(6, "0")}.bin`;
}

/** Default memory budget: 512 MiB. */
export const DEFAULT_MEMORY_BYTES = 512 * 1024 * 1024;
/** Bytes a staged row costs (track i32, flags u16) and a staged session (offset i32, length i32). */
const ROW_BYTES = 6, SESSION_BYTES = 8;

export interface ShardBuildOptions {
  /** Memory budget in bytes (see the file header). Default DEFAULT_MEMORY_BYTES. */
  memoryBytes?: number;
  /** Rows per shard; default from the budget. A session longer than this gets a shard of its own. */
  shardRows?: number;
  /** Sessions per shard; default from the budget. */
  shardSessions?: number;
  /** Build even when the directory already holds this build (measurements). Default false. */
  rebuild?: boolean;
}

const MiB = 1024 * 1024;

/**
 * What a build holds beside its budgeted buffers that is not yet in the process's resident set
 * when it starts: V8's heap as parsing churns strings (16–20 MiB measured over a 2M-session
 * build), the 1 MiB read and 256 KiB gunzip chunks, one session, the report.
 */
export const BUILD_HEADROOM_BYTES = 64 * MiB;
/** The least the buffers may get from a whole-process budget. */
export const MIN_BUFFER_BYTES = 16 * MiB;

/**
 * The buffers' budget (ShardBuildOptions.memoryBytes) within a whole-process one
 * (`encore prepare --memory-budget`, the peak resident set the build aims for, the
 * vocabularies excepted): `totalBytes` less what the process already holds (`rssBytes`) and
 * BUILD_HEADROOM_BYTES. So halving the budget halves the peak, the runtime's share included
 * (README: Sharded datasets). Throws when less than MIN_BUFFER_BYTES would be left, naming the
 * least budget that works.
 */
export function buffersOfProcessBudget(totalBytes: number, rssBytes: number): number {
  const left = totalBytes - rssBytes - BUILD_HEADROOM_BYTES;
  if (!(left >= MIN_BUFFER_BYTES)) {
    const least = Math.ceil((rssBytes + BUILD_HEADROOM_BYTES + MIN_BUFFER_BYTES) / MiB);
    throw new Error(`--memory-budget ${Math.round(totalBytes / MiB)} MiB leaves no room for the build's buffers: this process already holds ${Math.round(rssBytes / MiB)} MiB and parsing needs ${BUILD_HEADROOM_BYTES / MiB} MiB beside them; give at least ${least}`);
  }
  return Math.floor(left);
}

/** How a budget is spent. */
export interface ShardBudget {
  memoryBytes: number;
  /** The session-id table's share (bytes). */
  idBytes: number;
  shardRows: number;
  shardSessions: number;
}

/** The budget's split (see the file header); explicit shard sizes win over the budget's. */
export function shardBudget(o: ShardBuildOptions = {}): ShardBudget {
  const memoryBytes = o.memoryBytes ?? DEFAULT_MEMORY_BYTES;
  if (!(Number.isFinite(memoryBytes) && memoryBytes >= 64 * 1024)) throw new Error(`sharded dataset: memory budget must be at least 64 KiB, got ${memoryBytes} bytes`);
  const stage = memoryBytes / 4;
  // 80% of the staging share for rows, 20% for sessions: MSSD's 10–20 rows a session leave
  // the row bound the one that binds.
  const shardRows = o.shardRows ?? Math.max(1, Math.floor((stage * 0.8) / ROW_BYTES));
  const shardSessions = o.shardSessions ?? Math.max(1, Math.floor((stage * 0.2) / SESSION_BYTES));
  for (const [k, v] of [["shardRows", shardRows], ["shardSessions", shardSessions]] as const) {
    if (!(Number.isInteger(v) && v >= 1 && v <= 0x7fffffff)) throw new Error(`sharded dataset: ${k} must be an integer from 1 to 2^31 - 1, got ${v}`);
  }
  return { memoryBytes, idBytes: Math.floor(memoryBytes / 2), shardRows, shardSessions };
}

export interface ShardInfo {
  file: string;
  /** The dataset index of its first session. */
  firstSession: number;
  sessions: number;
  rows: number;
  bytes: number;
  crc32: number;
}

export interface ShardManifest {
  format: "encore-shards";
  sessions: number;
  rows: number;
  tracks: number;
  shards: ShardInfo[];
  vocab: { file: string; bytes: number; crc32: number };
  key: CacheKey;
  report: DatasetReport;
  budget: ShardBudget;
  /** How the build went: provisional shards of pass 1, sorted runs of the session-id check. */
  build: { provisionalShards: number; idRuns: number };
}


/** Bytes of a chunk list, the CRC-32 in its last 4 bytes. */
function chunkTotals(chunks: Uint8Array[]): { bytes: number; crc32: number } {
  let bytes = 0;
  for (const c of chunks) bytes += c.length;
  const last = chunks[chunks.length - 1];
  return { bytes, crc32: new DataView(last.buffer, last.byteOffset, 4).getUint32(0, true) };
}

/** One shard's columns, filled session by session up to its bounds. */
class ShardStage {
  readonly tracks: Int32Array;
  readonly flags: Uint16Array;
  readonly offsets: Int32Array;
  readonly lengths: Int32Array;
  rows = 0;
  sessions = 0;

  constructor(readonly maxRows: number, readonly maxSessions: number) {
    // A session of up to MAX_SESSION_LENGTH rows always fits an empty stage.
    const cap = Math.max(maxRows, MAX_SESSION_LENGTH);
    this.tracks = new Int32Array(cap);
    this.flags = new Uint16Array(cap);
    this.offsets = new Int32Array(maxSessions + 1);
    this.lengths = new Int32Array(maxSessions);
  }

  /** Whether a session of `rows` rows must wait for a flush. */
  full(rows: number): boolean {
    return this.sessions > 0 && (this.sessions === this.maxSessions || this.rows + rows > this.maxRows);
  }

  /** Close a session whose `rows` rows were written at [this.rows, this.rows + rows). */
  close(rows: number, length: number): void {
    this.rows += rows;
    this.lengths[this.sessions++] = length;
    this.offsets[this.sessions] = this.rows;
  }

  chunks(magic: string, header: unknown): Uint8Array[] {
    const S = this.sessions, R = this.rows;
    return encodeChunks({
      magic, version: SHARDS_VERSION, header,
      sections: [
        ["sessionOffsets", this.offsets.subarray(0, S + 1)], ["sessionLength", this.lengths.subarray(0, S)],
        ["tracks", this.tracks.subarray(0, R)], ["flags", this.flags.subarray(0, R)],
      ],
    });
  }

  reset(): void {
    this.rows = 0;
    this.sessions = 0;
  }
}

export interface ShardedInputs {
  logs: string[];
  trackFeatures?: string[];
}

export interface ShardedBuildResult {
  dir: string;
  manifest: ShardManifest;
  /** "hit": the directory already held this build; "built": it held none; "rebuilt": it held another (reason). */
  cache: "hit" | "built" | "rebuilt";
  reason?: string;
}

/**
 * Builds the sharded dataset of these log files (and track-feature files) into `dir` (see
 * the file header), in memory bounded by the budget. Returns the manifest written.
 */
export async function buildShardedDataset(inputs: ShardedInputs, dir: string, options: DatasetOptions = {}, build: ShardBuildOptions = {}): Promise<ShardedBuildResult> {
  const opt = resolveDatasetOptions(options);
  const budget = shardBudget(build);
  if (inputs.logs.length === 0) throw new Error("buildShardedDataset: no log files given");
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new Error(`${dir}: is a file, not a directory (a sharded dataset is a directory)`);
  mkdirSync(dir, { recursive: true });
  const manifestPath = join(dir, MANIFEST_FILE);
  const key = await datasetCacheKey(inputs, opt);
  const times = inputTimes(inputs);
  removeStaleTemps(manifestPath);
  // The directory's build stands when its inputs (paths, sizes, modification times in the
  // sidecar stamp tied to the manifest's CRC-32) and options are these; the budget only shapes
  // the shards, not the data, so another budget reuses it too.
  let reason: string | undefined;
  if (existsSync(manifestPath)) {
    if (build.rebuild) reason = "rebuild asked for";
    else {
      try {
        const stored = openShardedDataset(dir).manifest;
        reason = staleReason(manifestPath, stored.key, key, times);
        if (reason === undefined) return { dir, manifest: stored, cache: "hit" };
      } catch (e) {
        if (!(e instanceof MssdCacheError)) throw e;
        reason = e.reason;
      }
    }
  }

  // Pass 1: provisional shards of the sessions that pass the session-level filters.
  const provisional: { path: string; sessions: number; rows: number }[] = [];
  let stage: ShardStage | null = null;
  const flushProvisional = (): void => {
    if (!stage || stage.sessions === 0) return;
    const path = tempPath(manifestPath, "pass1");
    try {
      writeChunksSync(path, stage.chunks(MAGIC_SHARD, { provisional: provisional.length }));
    } catch (e) {
      removeTemp(path);
      throw writeError(path, e);
    }
    provisional.push({ path, sessions: stage.sessions, rows: stage.rows });
    stage.reset();
  };
  const dropProvisional = (): void => {
    for (const p of provisional.splice(0)) removeTemp(p.path);
  };
  const makeSink = (): StagedSink => {
    dropProvisional(); // a lenient second reading starts over
    stage = new ShardStage(budget.shardRows, budget.shardSessions);
    return (tracks, flags, rows, length) => {
      if (stage!.full(rows)) flushProvisional();
      const st = stage!;
      st.tracks.set(tracks.subarray(0, rows), st.rows);
      st.flags.set(flags.subarray(0, rows), st.rows);
      st.close(rows, length);
    };
  };
  const set = new FileSet();
  try {
    const staged = await stageInputs(inputs, opt, { sessionIds: { memoryBytes: budget.idBytes, spillNear: manifestPath } }, makeSink);
    flushProvisional();
    stage = null; // the pass-1 buffer goes before pass 2 allocates its own

    // Pass 2: the track filter, then final shards with final indices.
    const tf = await filterTracks(inputs, opt, staged);
    const { report } = staged;
    const fin = new FinalVocab(staged.staged, tf.keepTrack, opt, report);
    const playCount = new Int32Array(staged.staged.size), skipCount = new Int32Array(staged.staged.size);
    const out = new ShardStage(budget.shardRows, budget.shardSessions);
    const shards: ShardInfo[] = [];
    let sessions = 0, rows = 0;
    const flushFinal = async (): Promise<void> => {
      if (out.sessions === 0) return;
      const index = shards.length, file = shardFile(index);
      for (let i = 0; i < out.rows; i++) {
        playCount[out.tracks[i]]++;
        if (out.flags[i] & LOG_FLAG.skip_2) skipCount[out.tracks[i]]++;
      }
      const chunks = out.chunks(MAGIC_SHARD, { index, firstSession: sessions, sessions: out.sessions, rows: out.rows });
      await set.file(join(dir, file), async (tmp) => writeChunksSync(tmp, chunks));
      shards.push({ file, firstSession: sessions, sessions: out.sessions, rows: out.rows, ...chunkTotals(chunks) });
      sessions += out.sessions;
      rows += out.rows;
      out.reset();
    };
    for (const p of provisional) {
      const f = readShardFile(p.path, "a provisional shard");
      const offs = f.i32("sessionOffsets"), lens = f.i32("sessionLength"), tr = f.i32("tracks"), fl = f.u16("flags");
      for (let s = 0; s < lens.length; s++) {
        const a = offs[s], b = offs[s + 1];
        if (out.full(b - a)) await flushFinal();
        const k = fin.session(tr, fl, a, b, lens[s], out.tracks, out.flags, out.rows);
        if (k >= 0) out.close(k, lens[s]);
      }
      removeTemp(p.path);
    }
    await flushFinal();

    const V = fin.vocab.size;
    const { featureRow, features } = featureMatrix(fin, tf);
    const { arena, offsets } = fin.vocab.toBytes();
    const vocabChunks = encodeChunks({
      magic: MAGIC_VOCAB, version: SHARDS_VERSION, header: { tracks: V },
      sections: [
        ["vocabArena", arena], ["vocabOffsets", offsets], ["playCount", playCount.slice(0, V)], ["skipCount", skipCount.slice(0, V)],
        ["featureRow", featureRow], ["features", features],
      ],
    });
    await set.file(join(dir, VOCAB_FILE), async (tmp) => writeChunksSync(tmp, vocabChunks));
    const manifest: ShardManifest = {
      format: "encore-shards", sessions, rows, tracks: V, shards, vocab: { file: VOCAB_FILE, ...chunkTotals(vocabChunks) },
      key, report, budget, build: { provisionalShards: provisional.length, idRuns: staged.idRuns },
    };
    const header = JSON.parse(JSON.stringify(manifest, replacer)) as unknown;
    const manifestBytes = encode({ magic: MAGIC_MANIFEST, version: SHARDS_VERSION, header, sections: {} });
    await set.bytes(manifestPath, manifestBytes);
    // The inputs' modification times beside the manifest (as the cache's sidecar), so the
    // manifest stays the same bytes for the same inputs.
    const stamp: CacheStamp = { format: "encore-dataset-stamp", cacheCrc32: new DataView(manifestBytes.buffer, manifestBytes.byteOffset + manifestBytes.length - 4, 4).getUint32(0, true), mtimeMs: times };
    await set.bytes(stampPath(manifestPath), new TextEncoder().encode(JSON.stringify(stamp) + "\n"));
    await set.commit([manifestPath, stampPath(manifestPath)]);
    // Shard files of an earlier, larger build in this directory are no longer listed.
    for (const name of readdirSync(dir)) {
      const m = SHARD_NAME.exec(name);
      if (m && Number(m[1]) >= shards.length) unlinkSync(join(dir, name));
    }
    return reason === undefined ? { dir, manifest, cache: "built" } : { dir, manifest, cache: "rebuilt", reason };
  } catch (e) {
    set.abort();
    throw e;
  } finally {
    dropProvisional();
  }
}

/** Reads and decodes a shard-format file; errors are MssdCacheErrors naming it. */
function readShardFile(path: string, what: string, expect?: { bytes: number; crc32: number }): BinFile {
  let buf: Uint8Array;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new MssdCacheError(path, `${readError(path, e).message.replace(`${path}: `, "")} (${what})`);
  }
  return decodeChecked(buf, path, MAGIC_SHARD, what, expect);
}

/** Container checks, then the manifest's size and CRC-32. */
function decodeChecked(buf: Uint8Array, path: string, magic: string, what: string, expect?: { bytes: number; crc32: number }): BinFile {
  if (expect && buf.length !== expect.bytes) {
    throw new MssdCacheError(path, `${buf.length} bytes, the manifest says ${expect.bytes} (${what}: truncated, or from another build)`);
  }
  let f: BinFile;
  try {
    f = decode(buf, { expectMagic: magic, expectVersion: SHARDS_VERSION, name: path });
  } catch (e) {
    if (!(e instanceof BinFileError)) throw e;
    const reason = e.message.startsWith(`${path}: `) ? e.message.slice(path.length + 2) : e.message;
    throw new MssdCacheError(path, `${reason} (${what})`);
  }
  if (expect) {
    const crc = new DataView(buf.buffer, buf.byteOffset + buf.length - 4, 4).getUint32(0, true);
    if (crc !== expect.crc32) {
      throw new MssdCacheError(path, `CRC-32 0x${crc.toString(16).padStart(8, "0")}, the manifest says 0x${expect.crc32.toString(16).padStart(8, "0")} (${what}: files swapped, or from another build)`);
    }
  }
  return f;
}

/** A shard as training sessions: chunk-local offsets over global vocabulary indices. */
export interface ShardChunk extends TrainingSessions {
  /** Which shard. */
  index: number;
  /** Dataset index of the chunk's session 0. */
  firstSession: number;
  sessionLength: Int32Array;
  flags: Uint16Array;
}

/** Which sessions a chunk offers as `sessions`: a part of the per-session hash split (src/data/split.ts). */
export interface ChunkSelection {
  split?: SplitOptions & { part: "train" | "test" };
}

/** A sharded dataset opened for reading: vocabulary and per-track arrays in memory, sessions one shard at a time. */
export class ShardedDataset {
  readonly featureColumns: readonly string[] = FEATURE_COLUMNS;

  constructor(
    readonly dir: string,
    readonly manifest: ShardManifest,
    readonly vocab: TrackVocab,
    readonly playCount: Int32Array,
    readonly skipCount: Int32Array,
    readonly featureRow: Int32Array,
    readonly features: Float32Array,
    readonly options: ResolvedDatasetOptions,
  ) {}

  get V(): number {
    return this.vocab.size;
  }
  get trackCount(): number {
    return this.vocab.size;
  }
  get sessionCount(): number {
    return this.manifest.sessions;
  }
  get rowCount(): number {
    return this.manifest.rows;
  }
  get shardCount(): number {
    return this.manifest.shards.length;
  }
  get report(): DatasetReport {
    return this.manifest.report;
  }

  /** Reads and checks shard k (see the file header). */
  shard(k: number): ShardChunk {
    const info = this.manifest.shards[k];
    if (!info) throw new RangeError(`ShardedDataset.shard: shard ${k} outside 0..${this.shardCount - 1}`);
    const path = join(this.dir, info.file);
    const what = `shard ${k} of ${this.shardCount} in ${MANIFEST_FILE}`;
    const f = readShardFile(path, what, info);
    const bad = (reason: string): never => {
      throw new MssdCacheError(path, `${reason} (${what})`);
    };
    const h = f.header as { index?: unknown; firstSession?: unknown; sessions?: unknown; rows?: unknown } | null;
    if (!h || h.index !== k || h.firstSession !== info.firstSession || h.sessions !== info.sessions || h.rows !== info.rows) {
      bad(`header ${JSON.stringify(h)} does not match the manifest's shard ${k}`);
    }
    const a: Partial<Record<string, SectionArray>> = {};
    for (const [name, type] of [["sessionOffsets", "i32"], ["sessionLength", "i32"], ["tracks", "i32"], ["flags", "u16"]] as const) {
      if (!f.has(name)) bad(`missing section ${name}`);
      if (f.info(name).type !== type) bad(`section ${name} holds ${f.info(name).type} values, expected ${type}`);
      a[name] = f.get(name);
    }
    const offs = a.sessionOffsets as Int32Array, lens = a.sessionLength as Int32Array, tracks = a.tracks as Int32Array, flags = a.flags as Uint16Array;
    const S = info.sessions, R = info.rows, V = this.V;
    if (offs.length !== S + 1 || lens.length !== S || tracks.length !== R || flags.length !== R || offs[0] !== 0 || offs[S] !== R) bad("section lengths do not match its sessions and rows");
    for (let s = 0; s < S; s++) {
      if (!(offs[s] <= offs[s + 1])) bad(`session offsets decrease at session ${s}`);
      if (!(lens[s] >= 1)) bad(`session ${s} has length ${lens[s]}`);
    }
    for (let i = 0; i < R; i++) if (!(tracks[i] >= 0 && tracks[i] < V)) bad(`row ${i} names track ${tracks[i]} of ${V}`);
    return { V, index: k, firstSession: info.firstSession, sessionOffsets: offs, sessionLength: lens, tracks, flags };
  }

  /**
   * The shards in order, each read when the consumer asks for it (one shard in memory at a
   * time if the consumer keeps none). With a split, each chunk's `sessions` lists the
   * chunk-local indices of the sessions in that part.
   */
  *chunks(sel: ChunkSelection = {}): Generator<ShardChunk> {
    for (let k = 0; k < this.shardCount; k++) {
      const c = this.shard(k);
      if (sel.split) {
        const { part, ...spec } = sel.split;
        c.sessions = sessionsInPart(c, part, spec);
      }
      yield c;
    }
  }

  /**
   * The last `max` sessions of one part of the per-session split, in dataset order, as one
   * in-memory CSR with its own session indices (0..n−1; `sessions` unset), and the dataset index
   * of each. Shards are read from the last one back until `max` sessions are found, each one's
   * share copied out as it is read, so the cost is twice what is returned plus one shard. MSSD's logs run by date, so these are the most recent
   * sessions of the part: what a session-based model fitted in memory (SKNN, V-SKNN, a model
   * file's candidate sources) reads at full-MSSD scale.
   */
  recent(part: "train" | "test", split: SplitOptions, max: number): { sessions: ShardChunk; indices: Float64Array } {
    if (!(Number.isSafeInteger(max) && max >= 0)) throw new RangeError(`ShardedDataset.recent: max must be a non-negative integer, got ${max}`);
    // each shard's share copied out as it is read, so no more than one shard is held
    const parts: { lens: Int32Array; sizes: Int32Array; tracks: Int32Array; flags: Uint16Array; indices: Float64Array }[] = [];
    let n = 0, rows = 0;
    for (let k = this.shardCount - 1; k >= 0 && n < max; k--) {
      const c = this.shard(k), list = sessionsInPart(c, part, split);
      const take = Math.min(list.length, max - n); // the shard's last `take` sessions of the part
      const sub = list.subarray(list.length - take);
      const sizes = Int32Array.from(sub, (s) => c.sessionOffsets[s + 1] - c.sessionOffsets[s]);
      let r = 0;
      for (let i = 0; i < take; i++) r += sizes[i];
      const tracks = new Int32Array(r), flags = new Uint16Array(r);
      for (let i = 0, o = 0; i < take; i++) {
        const a = c.sessionOffsets[sub[i]], b = c.sessionOffsets[sub[i] + 1];
        tracks.set(c.tracks.subarray(a, b), o);
        flags.set(c.flags.subarray(a, b), o);
        o += b - a;
      }
      parts.push({ lens: Int32Array.from(sub, (s) => c.sessionLength[s]), sizes, tracks, flags, indices: Float64Array.from(sub, (s) => c.firstSession + s) });
      n += take;
      rows += r;
    }
    parts.reverse();
    const sessionOffsets = new Int32Array(n + 1), sessionLength = new Int32Array(n), tracks = new Int32Array(rows), flags = new Uint16Array(rows);
    const indices = new Float64Array(n);
    let s0 = 0, r0 = 0;
    for (const p of parts) {
      sessionLength.set(p.lens, s0);
      indices.set(p.indices, s0);
      tracks.set(p.tracks, r0);
      flags.set(p.flags, r0);
      for (let i = 0; i < p.sizes.length; i++, s0++) sessionOffsets[s0 + 1] = (r0 += p.sizes[i]);
    }
    return { sessions: { V: this.V, index: -1, firstSession: -1, sessionOffsets, sessionLength, tracks, flags }, indices };
  }

  /** Every shard read and checked (each file's content, not only the manifest). */
  verify(): void {
    for (let k = 0; k < this.shardCount; k++) this.shard(k);
  }

  /** The whole dataset in memory as an MssdDataset (for datasets that fit). */
  toDataset(): MssdDataset {
    const S = this.sessionCount, R = this.rowCount;
    if (R > 0x7fffffff) throw new Error(`${this.dir}: ${R} rows do not fit one in-memory dataset`);
    const sessionOffsets = new Int32Array(S + 1), sessionLength = new Int32Array(S), tracks = new Int32Array(R), flags = new Uint16Array(R);
    let s0 = 0, r0 = 0;
    for (const c of this.chunks()) {
      const n = c.sessionLength.length;
      sessionLength.set(c.sessionLength, s0);
      for (let s = 1; s <= n; s++) sessionOffsets[s0 + s] = r0 + c.sessionOffsets[s];
      tracks.set(c.tracks, r0);
      flags.set(c.flags, r0);
      s0 += n;
      r0 += c.tracks.length;
    }
    return new MssdDataset({
      vocab: this.vocab, sessionOffsets, sessionLength, tracks, flags, playCount: this.playCount, skipCount: this.skipCount,
      featureRow: this.featureRow, features: this.features, options: this.options, report: this.report,
    });
  }
}

/** The chunk-local indices of a shard's sessions in one part of the per-session split, ascending. */
export function sessionsInPart(c: ShardChunk, part: "train" | "test", split: SplitOptions): Int32Array {
  const want = part === "train", S = c.sessionLength.length, list = new Int32Array(S);
  let n = 0;
  for (let s = 0; s < S; s++) if (inHashTrain(c.firstSession + s, split) === want) list[n++] = s;
  return list.subarray(0, n);
}

/** What is wrong with a manifest's shape, or "". */
function manifestProblem(m: ShardManifest): string {
  const obj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
  const count = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;
  if (!obj(m) || m.format !== "encore-shards") return "is not a sharded dataset's manifest";
  if (!count(m.sessions) || !count(m.rows) || !count(m.tracks)) return "lacks its totals";
  if (!Array.isArray(m.shards)) return "lacks its shard list";
  if (!obj(m.vocab) || typeof m.vocab.file !== "string" || !count(m.vocab.bytes) || !count(m.vocab.crc32)) return "lacks its vocabulary file";
  if (!obj(m.key) || !obj(m.key.options) || !obj(m.report)) return "lacks its key or report";
  let s = 0, r = 0;
  for (const [k, sh] of m.shards.entries()) {
    if (!obj(sh) || sh.file !== shardFile(k) || !count(sh.sessions) || !count(sh.rows) || !count(sh.bytes) || !count(sh.crc32) || sh.firstSession !== s) return `has a bad entry for shard ${k}`;
    s += sh.sessions;
    r += sh.rows;
  }
  if (s !== m.sessions || r !== m.rows) return `lists shards of ${s} sessions and ${r} rows, its totals say ${m.sessions} and ${m.rows}`;
  return "";
}

/**
 * Opens a sharded dataset: reads and checks the manifest and the vocabulary file, and checks
 * that every shard the manifest lists is there with its recorded size (contents are checked
 * as each shard is read; verify() reads them all). Errors are MssdCacheErrors naming the file.
 */
export function openShardedDataset(dir: string): ShardedDataset {
  const manifestPath = join(dir, MANIFEST_FILE);
  let buf: Uint8Array;
  try {
    buf = readFileSync(manifestPath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new MssdCacheError(manifestPath, code === "ENOENT" ? `no such file (not a sharded dataset; build one with 'encore prepare <logs...> --shards ${dir}')` : readError(manifestPath, e).message);
  }
  const mf = decodeChecked(buf, manifestPath, MAGIC_MANIFEST, "the manifest");
  const manifest = JSON.parse(JSON.stringify(mf.header), reviver) as ShardManifest;
  const problem = manifestProblem(manifest);
  if (problem) throw new MssdCacheError(manifestPath, `manifest ${problem}`);
  for (const [k, sh] of manifest.shards.entries()) {
    const p = join(dir, sh.file);
    let size: number;
    try {
      size = statSync(p).size;
    } catch (e) {
      throw new MssdCacheError(p, `${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message} (shard ${k} of ${manifest.shards.length} in ${MANIFEST_FILE})`);
    }
    if (size !== sh.bytes) throw new MssdCacheError(p, `${size} bytes, the manifest says ${sh.bytes} (shard ${k} of ${manifest.shards.length} in ${MANIFEST_FILE}: truncated, or from another build)`);
  }
  const vocabPath = join(dir, manifest.vocab.file);
  let vbuf: Uint8Array;
  try {
    vbuf = readFileSync(vocabPath);
  } catch (e) {
    throw new MssdCacheError(vocabPath, `${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message} (the vocabulary in ${MANIFEST_FILE})`);
  }
  const vf = decodeChecked(vbuf, vocabPath, MAGIC_VOCAB, `the vocabulary in ${MANIFEST_FILE}`, manifest.vocab);
  const bad = (reason: string): never => {
    throw new MssdCacheError(vocabPath, reason);
  };
  try {
    const vocab = TrackVocab.fromBytes(vf.u8("vocabArena"), vf.i32("vocabOffsets"));
    const V = vocab.size;
    if (V !== manifest.tracks) bad(`${V} tracks, the manifest says ${manifest.tracks}`);
    const playCount = vf.i32("playCount"), skipCount = vf.i32("skipCount"), featureRow = vf.i32("featureRow"), features = vf.f32("features");
    if (playCount.length !== V || skipCount.length !== V || featureRow.length !== V || features.length % NFEAT !== 0) bad("per-track sections do not match the vocabulary");
    const F = features.length / NFEAT;
    for (let t = 0; t < V; t++) if (!(featureRow[t] >= -1 && featureRow[t] < F)) bad(`track ${t} has feature row ${featureRow[t]} of ${F}`);
    let plays = 0;
    for (let t = 0; t < V; t++) plays += playCount[t];
    if (plays !== manifest.rows) bad(`play counts sum to ${plays}, the manifest lists ${manifest.rows} rows`);
    const options = resolveDatasetOptions(manifest.key.options);
    return new ShardedDataset(dir, manifest, vocab, playCount, skipCount, featureRow, features, options);
  } catch (e) {
    if (e instanceof MssdCacheError) throw e;
    return bad(`inconsistent content (${(e as Error).message})`);
  }
}
