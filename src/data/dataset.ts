// The MSSD dataset: sessions in position order over a dense track vocabulary, with per-track
// side information (play and skip counts, audio features where a tf file is given), built by
// streaming the log files once and the track-feature files once.
//
// Memory: the staged sessions that pass the session-level filters (length range, and
// completeness when asked), plus one entry per distinct track. Build a subset of the full
// 130M-session MSSD by choosing files and filters; no stage holds a whole file. The full set
// takes the sharded build (src/data/shards.ts): the same dataset from the same pieces (the
// staging, the track filter, FinalVocab, featureMatrix below), written out of core.
//
// Filters, in order:
//   1. session level, as read: minLength <= session_length <= maxLength; with completeOnly,
//      only sessions with every position 1..session_length present in the file.
//   2. track level: a track is kept when it was played at least minPlays times (counted over
//      the rows of every session read, before any filter) and, where it has features, its
//      us_popularity_estimate >= minPopularity (tracks without features pass unless
//      requireFeatures). Rows of dropped tracks are removed from their sessions.
//   3. after track filtering: with completeOnly, a session that lost any row is dropped
//      ("sessions that keep all their tracks"); otherwise its remaining rows are kept in
//      order (sessions left empty are dropped).
// The vocabulary holds exactly the tracks of the kept rows, indexed in order of first
// appearance, so it is the same for the same inputs and options.
import { LOG_FLAG, type LogStats, type SessionView, type TruncatedSession } from "./log-parser.js";
import { FEATURE_COLUMNS, NFEAT, type TrackFeatureTable } from "./tf-parser.js";
import { readLog, readTrackFeatures, type MssdSource } from "./node-io.js";
import { TrackVocab } from "./vocab.js";
import { baseName, MssdFormatError, type IssueCounts, type IssueExample } from "./errors.js";
import { firstAt, SessionIdSet, type DuplicateSession } from "./session-ids.js";
import { FileRunStore } from "./session-runs.js";

export interface DatasetOptions {
  /** Keep sessions with session_length >= minLength. Default 1. */
  minLength?: number;
  /** Keep sessions with session_length <= maxLength. Default Infinity. */
  maxLength?: number;
  /** Keep only sessions with all positions present, before and after track filters. Default true. */
  completeOnly?: boolean;
  /** Keep tracks played at least this often (rows of all sessions read, before filters). Default 1 (no filter). */
  minPlays?: number;
  /** Keep tracks whose us_popularity_estimate is at least this, where features exist. Default -Infinity. */
  minPopularity?: number;
  /** Drop tracks that have no features. Default false. */
  requireFeatures?: boolean;
  /** Skip and count bad rows instead of failing. Default false. */
  lenient?: boolean;
}

/** The selection of the original DDPG project: tracks with popularity >= 95, sessions of 20 that keep all 20 tracks. */
export const ORIGINAL_PRESET: Readonly<Required<Pick<DatasetOptions, "minPopularity" | "minLength" | "maxLength" | "completeOnly">>> = {
  minPopularity: 95,
  minLength: 20,
  maxLength: 20,
  completeOnly: true,
};

export type ResolvedDatasetOptions = Required<DatasetOptions>;

export function resolveDatasetOptions(o: DatasetOptions = {}): ResolvedDatasetOptions {
  const r: ResolvedDatasetOptions = {
    minLength: o.minLength ?? 1,
    maxLength: o.maxLength ?? Infinity,
    completeOnly: o.completeOnly ?? true,
    minPlays: o.minPlays ?? 1,
    minPopularity: o.minPopularity ?? -Infinity,
    requireFeatures: o.requireFeatures ?? false,
    lenient: o.lenient ?? false,
  };
  if (!(r.minLength >= 1 && r.maxLength >= r.minLength)) throw new Error(`dataset options: need 1 <= minLength <= maxLength, got ${r.minLength}..${r.maxLength}`);
  if (!(r.minPlays >= 1)) throw new Error(`dataset options: minPlays must be >= 1, got ${r.minPlays}`);
  if (Number.isNaN(r.minPopularity)) throw new Error("dataset options: minPopularity is NaN");
  return r;
}

export interface FileReport {
  file: string;
  lines: number;
  bytes: number;
  rows: number;
  rowsSkipped: number;
  issues: IssueCounts;
  /** Lenient mode: the first few skipped problems of each kind, located. */
  examples: IssueExample[];
}

export interface DatasetReport {
  logs: (FileReport & { sessions: number; completeSessions: number; sessionsDropped: number; truncated: TruncatedSession[] })[];
  trackFiles: (FileReport & { tracks: number; unknownTracks: number })[];
  /** Sessions read (complete and cut off) across all logs. */
  sessionsRead: number;
  /** Distinct tracks in all valid rows read. */
  tracksRead: number;
  dropped: {
    /** session_length outside [minLength, maxLength]. */
    length: number;
    /** Positions missing in the file (completeOnly). */
    incomplete: number;
    /** Lost rows to the track filters (completeOnly) or lost all rows. */
    trackFilter: number;
    /** Session ids seen before (lenient mode; strict mode stops at the first). */
    duplicates: number;
  };
  /** Tracks removed by minPlays / minPopularity / requireFeatures. */
  tracksDropped: { plays: number; popularity: number; noFeatures: number };
}

/** Everything a built dataset holds; also what the binary cache stores. */
export interface DatasetParts {
  vocab: TrackVocab;
  /** Session s has rows [sessionOffsets[s], sessionOffsets[s+1]). Length sessions + 1. */
  sessionOffsets: Int32Array;
  /** session_length as written in the file, per session. */
  sessionLength: Int32Array;
  /** Track index per row. */
  tracks: Int32Array;
  /** LOG_FLAG bits (and context type) per row. */
  flags: Uint16Array;
  /** Rows per track over the dataset. */
  playCount: Int32Array;
  /** Rows with skip_2 true per track over the dataset. */
  skipCount: Int32Array;
  /** Row of track t in `features`, or -1 when it has none. */
  featureRow: Int32Array;
  /** (tracks with features) x NFEAT, columns FEATURE_COLUMNS, mode as 1 major / 0 minor. */
  features: Float32Array;
  options: ResolvedDatasetOptions;
  report: DatasetReport;
}

export class MssdDataset implements DatasetParts {
  readonly vocab!: TrackVocab;
  readonly sessionOffsets!: Int32Array;
  readonly sessionLength!: Int32Array;
  readonly tracks!: Int32Array;
  readonly flags!: Uint16Array;
  readonly playCount!: Int32Array;
  readonly skipCount!: Int32Array;
  readonly featureRow!: Int32Array;
  readonly features!: Float32Array;
  readonly options!: ResolvedDatasetOptions;
  readonly report!: DatasetReport;
  readonly featureColumns: readonly string[] = FEATURE_COLUMNS;

  constructor(parts: DatasetParts) {
    Object.assign(this, parts);
    const S = parts.sessionLength.length, V = parts.vocab.size;
    const check = (ok: boolean, what: string) => {
      if (!ok) throw new Error(`MssdDataset: inconsistent parts: ${what}`);
    };
    check(parts.sessionOffsets.length === S + 1 && parts.sessionOffsets[0] === 0 && parts.sessionOffsets[S] === parts.tracks.length, "session offsets");
    check(parts.flags.length === parts.tracks.length, "flags length");
    check(parts.playCount.length === V && parts.skipCount.length === V && parts.featureRow.length === V, "per-track arrays");
    check(parts.features.length % NFEAT === 0, "feature matrix");
    // Content, not only lengths: a cache file that passes its checksum but was written wrong
    // must not hand out indices that later read past an array.
    const o = parts.sessionOffsets, L = parts.sessionLength, tr = parts.tracks;
    for (let s = 0; s < S; s++) if (!(o[s] <= o[s + 1])) check(false, `session offsets decrease at session ${s}`);
    for (let s = 0; s < S; s++) if (!(L[s] >= 1)) check(false, `session ${s} has length ${L[s]}`);
    for (let i = 0; i < tr.length; i++) if (!(tr[i] >= 0 && tr[i] < V)) check(false, `row ${i} names track ${tr[i]} of ${V}`);
    const F = parts.features.length / NFEAT;
    const fr = parts.featureRow;
    for (let t = 0; t < V; t++) if (!(fr[t] >= -1 && fr[t] < F)) check(false, `track ${t} has feature row ${fr[t]} of ${F}`);
  }

  get sessionCount(): number {
    return this.sessionLength.length;
  }
  get rowCount(): number {
    return this.tracks.length;
  }
  get trackCount(): number {
    return this.vocab.size;
  }
  /** Tracks of session s in position order (a view). */
  sessionTracks(s: number): Int32Array {
    return this.tracks.subarray(this.sessionOffsets[s], this.sessionOffsets[s + 1]);
  }
  sessionFlags(s: number): Uint16Array {
    return this.flags.subarray(this.sessionOffsets[s], this.sessionOffsets[s + 1]);
  }
  /** Features of track t (a view of NFEAT values), or null. */
  trackFeatures(t: number): Float32Array | null {
    const r = this.featureRow[t];
    return r < 0 ? null : this.features.subarray(r * NFEAT, (r + 1) * NFEAT);
  }
}

/** Play and skip_2 counts per track over a subset of sessions (e.g. the training split). */
export function trackCounts(ds: DatasetParts, sessions: ArrayLike<number>): { playCount: Int32Array; skipCount: Int32Array } {
  const playCount = new Int32Array(ds.vocab.size), skipCount = new Int32Array(ds.vocab.size);
  for (let i = 0; i < sessions.length; i++) {
    const s = sessions[i];
    for (let r = ds.sessionOffsets[s]; r < ds.sessionOffsets[s + 1]; r++) {
      const t = ds.tracks[r];
      playCount[t]++;
      if (ds.flags[r] & LOG_FLAG.skip_2) skipCount[t]++;
    }
  }
  return { playCount, skipCount };
}

/** Growable typed array. */
class Grow<T extends Int32Array | Uint16Array | Uint8Array> {
  n = 0;
  constructor(public a: T) {}
  reserve(extra: number): void {
    if (this.n + extra <= this.a.length) return;
    const b = new (this.a.constructor as new (n: number) => T)(Math.max(this.a.length * 2, this.n + extra));
    b.set(this.a);
    this.a = b;
  }
  done(): T {
    return this.a.slice(0, this.n) as T;
  }
}

export interface DatasetInputs {
  /** Session logs (log_*.csv[.gz]), read in this order. */
  logs: MssdSource[];
  /** Track features (tf_*.csv[.gz]), joined by track id. */
  trackFeatures?: MssdSource[];
}

function fileReport(s: { file: string; lines: number; bytes: number; rows: number; rowsSkipped: number; issues: IssueCounts; examples: IssueExample[] }): FileReport {
  return { file: s.file, lines: s.lines, bytes: s.bytes, rows: s.rows, rowsSkipped: s.rowsSkipped, issues: s.issues, examples: s.examples };
}

/** How a build reads: the session-id set's memory budget and where it may spill. */
export interface BuildOptions {
  sessionIds?: {
    /** Memory for session ids in bytes (default 256 MiB when it can spill, else unbounded). */
    memoryBytes?: number;
    /** Spill sorted runs as temporaries beside this path (e.g. the cache). Without it, ids stay in memory. */
    spillNear?: string;
  };
}

/** Streams the inputs and builds the dataset (see the file header for the filters). */
export async function buildDataset(inputs: DatasetInputs, options: DatasetOptions = {}, build: BuildOptions = {}): Promise<MssdDataset> {
  const opt = resolveDatasetOptions(options);
  if (inputs.logs.length === 0) throw new Error("buildDataset: no log files given");
  let sTracks = new Grow(new Int32Array(0)), sFlags = new Grow(new Uint16Array(0));
  let sOffsets = new Grow(new Int32Array(0)), sLength = new Grow(new Int32Array(0));
  const sink = (): StagedSink => {
    sTracks = new Grow(new Int32Array(1 << 16));
    sFlags = new Grow(new Uint16Array(1 << 16));
    sOffsets = new Grow(new Int32Array(1 << 12));
    sLength = new Grow(new Int32Array(1 << 12));
    sOffsets.a[0] = 0;
    sOffsets.n = 1;
    return (tracks, flags, rows, length) => {
      sTracks.reserve(rows);
      sFlags.reserve(rows);
      sTracks.a.set(tracks.subarray(0, rows), sTracks.n);
      sFlags.a.set(flags.subarray(0, rows), sFlags.n);
      sTracks.n += rows;
      sFlags.n += rows;
      sOffsets.reserve(1);
      sLength.reserve(1);
      sOffsets.a[sOffsets.n++] = sTracks.n;
      sLength.a[sLength.n++] = length;
    };
  };
  const st = await stageInputs(inputs, opt, build, sink);
  const tf = await filterTracks(inputs, opt, st);
  const { report } = st;

  // Session filter after track filtering; remap to the final vocabulary.
  const fin = new FinalVocab(st.staged, tf.keepTrack, opt, report);
  const S0 = sLength.n;
  const offs = new Grow(new Int32Array(S0 + 1)), lens = new Grow(new Int32Array(S0));
  const rows = new Grow(new Int32Array(sTracks.n)), fl = new Grow(new Uint16Array(sTracks.n));
  offs.a[0] = 0;
  offs.n = 1;
  for (let s = 0; s < S0; s++) {
    const k = fin.session(sTracks.a, sFlags.a, sOffsets.a[s], sOffsets.a[s + 1], sLength.a[s], rows.a, fl.a, rows.n);
    if (k < 0) continue;
    rows.n += k;
    fl.n += k;
    offs.a[offs.n++] = rows.n;
    lens.a[lens.n++] = sLength.a[s];
  }
  const V = fin.vocab.size;
  const tracks = rows.done(), flags = fl.done();
  const playCount = new Int32Array(V), skipCount = new Int32Array(V);
  for (let i = 0; i < tracks.length; i++) {
    playCount[tracks[i]]++;
    if (flags[i] & LOG_FLAG.skip_2) skipCount[tracks[i]]++;
  }
  const { featureRow, features } = featureMatrix(fin, tf);
  const vocab = fin.vocab;
  return new MssdDataset({
    vocab, sessionOffsets: offs.done(), sessionLength: lens.done(), tracks, flags, playCount, skipCount,
    featureRow, features, options: opt, report,
  });
}

// ---------------------------------------------------------------------------------------
// The build's pieces, shared with the sharded (out-of-core) build in shards.ts: staging the
// sessions that pass the session-level filters into a sink, the track filter, the remap to
// the final vocabulary, and the feature matrix in vocabulary order.

/** Receives each session that passes the session-level filters, in reading order: tracks[0, rows) (staged indices), flags[0, rows), session_length. The arrays are reused: copy them. */
export type StagedSink = (tracks: Int32Array, flags: Uint16Array, rows: number, length: number) => void;

/** What staging leaves: the staged vocabulary (every track of every valid row read, in order of first appearance), plays per staged track, the report so far. */
export interface Staged {
  staged: TrackVocab;
  plays: Int32Array;
  report: DatasetReport;
  /** Sorted runs the session-id set spilled to disk. */
  idRuns: number;
}

/**
 * Reads every log once, handing the sessions that pass the session-level filters to a sink
 * made by `makeSink`. Duplicates of session ids that had been spilled to disk are known only
 * at the end: strict, the first is the error; lenient, the logs are read again dropping them
 * where they occur (same order, so the same ordinals), into a fresh sink from `makeSink`,
 * which keeps every count as if they had been found at once.
 */
export async function stageInputs(inputs: DatasetInputs, opt: ResolvedDatasetOptions, build: BuildOptions, makeSink: () => StagedSink): Promise<Staged> {
  if (inputs.logs.length === 0) throw new Error("buildDataset: no log files given");
  let staged = await stageLogs(inputs, opt, build, null, makeSink());
  if (staged.deferred.length > 0) {
    const first = staged.deferred[0];
    if (!opt.lenient) {
      const where = firstAt(first.first, first.fileIndex, first.file, baseName);
      throw new MssdFormatError(first.file, first.line, "session_id", "duplicate_session", `expected each session id once in the input, found a session id again (first at ${where})`);
    }
    if (inputs.logs.some((l) => typeof l !== "string" && !(l instanceof Uint8Array))) {
      throw new Error(`${first.file}:${first.line}: a duplicate session found after spilling session ids cannot be dropped from a stream input (give files, or more memory for session ids)`);
    }
    staged = await stageLogs(inputs, opt, build, staged.deferred, makeSink());
  }
  return staged;
}

/** Read every log once, handing the sessions that pass the session-level filters to `sink`. */
async function stageLogs(inputs: DatasetInputs, opt: ResolvedDatasetOptions, build: BuildOptions, drop: DuplicateSession[] | null, sink: StagedSink): Promise<Staged & { deferred: DuplicateSession[] }> {
  const staged = new TrackVocab(1 << 14);
  let plays = new Int32Array(1 << 14);
  const report: DatasetReport = {
    logs: [], trackFiles: [], sessionsRead: 0, tracksRead: 0,
    dropped: { length: 0, incomplete: 0, trackFilter: 0, duplicates: 0 }, tracksDropped: { plays: 0, popularity: 0, noFeatures: 0 },
  };
  const onSession = (s: SessionView): void => {
    report.sessionsRead++;
    if (staged.size > plays.length) {
      const g = new Int32Array(Math.max(plays.length * 2, staged.size));
      g.set(plays);
      plays = g;
    }
    for (let i = 0; i < s.rows; i++) plays[s.tracks[i]]++;
    if (s.length < opt.minLength || s.length > opt.maxLength) {
      report.dropped.length++;
      return;
    }
    if (opt.completeOnly && !s.complete) {
      report.dropped.incomplete++;
      return;
    }
    sink(s.tracks, s.flags, s.rows, s.length);
  };
  const ids = build.sessionIds ?? {};
  const sessionIds = new SessionIdSet(ids.spillNear ? { memoryBytes: ids.memoryBytes, store: new FileRunStore(ids.spillNear) } : { memoryBytes: ids.memoryBytes });
  try {
    if (drop) sessionIds.dropOrdinals(Uint32Array.from(drop, (d) => d.ordinal), drop.map((d) => d.first));
    for (const log of inputs.logs) {
      const st: LogStats = await readLog(log, { vocab: staged, lenient: opt.lenient, onSession, sessionIds });
      report.logs.push({ ...fileReport(st), sessions: st.sessions, completeSessions: st.completeSessions, sessionsDropped: st.sessionsDropped, truncated: st.truncated });
      report.dropped.duplicates += st.duplicateSessions;
    }
    const deferred = drop ? [] : sessionIds.finish(opt.lenient).duplicates;
    return { staged, plays, report, deferred, idRuns: sessionIds.spilled };
  } finally {
    sessionIds.dispose();
  }
}

/** The track filter's outcome: which staged tracks are kept, and their features. */
export interface TrackFilter {
  keepTrack: Uint8Array;
  /** Global feature row (over the tables, later files win) per staged track, or -1. */
  featOf: Int32Array;
  tables: TrackFeatureTable[];
  tableBase: number[];
}

/** Joins the track features (of staged tracks only) and applies the track filters; fills the report's track counts. */
export async function filterTracks(inputs: DatasetInputs, opt: ResolvedDatasetOptions, st: Staged): Promise<TrackFilter> {
  const { staged, plays, report } = st;
  const V0 = staged.size;
  report.tracksRead = V0;
  const featOf = new Int32Array(V0).fill(-1);
  const tables: TrackFeatureTable[] = [];
  for (const tf of inputs.trackFeatures ?? []) {
    const t = await readTrackFeatures(tf, { vocab: staged, addUnknown: false, lenient: opt.lenient });
    report.trackFiles.push({ ...fileReport(t), tracks: t.rows, unknownTracks: t.unknownTracks });
    tables.push(t);
  }
  const tableBase: number[] = [];
  let base = 0;
  for (const t of tables) {
    tableBase.push(base);
    for (let r = 0; r < t.rows; r++) featOf[t.trackIndex[r]] = base + r;
    base += t.rows;
  }
  const f: TrackFilter = { keepTrack: new Uint8Array(V0), featOf, tables, tableBase };
  for (let t = 0; t < V0; t++) {
    if (plays[t] < opt.minPlays) {
      report.tracksDropped.plays++;
      continue;
    }
    if (featOf[t] >= 0) {
      const { t: tab, r } = globalRow(f, featOf[t]);
      if (!(tab.popularity[r] >= opt.minPopularity)) {
        report.tracksDropped.popularity++;
        continue;
      }
    } else if (opt.requireFeatures) {
      report.tracksDropped.noFeatures++;
      continue;
    }
    f.keepTrack[t] = 1;
  }
  return f;
}

/** Table and row of a global feature row. */
function globalRow(f: TrackFilter, g: number): { t: TrackFeatureTable; r: number } {
  let k = f.tables.length - 1;
  while (f.tableBase[k] > g) k--;
  return { t: f.tables[k], r: g - f.tableBase[k] };
}

/**
 * The final vocabulary, built session by session in dataset order: a kept track is indexed
 * when it first appears in a kept session, so any build that feeds the same sessions in the
 * same order gets the same vocabulary.
 */
export class FinalVocab {
  readonly vocab: TrackVocab;
  /** Final index per staged track, -1 while unseen or dropped. */
  readonly remap: Int32Array;

  constructor(private readonly staged: TrackVocab, private readonly keepTrack: Uint8Array, private readonly opt: ResolvedDatasetOptions, private readonly report: DatasetReport) {
    this.vocab = new TrackVocab(Math.max(16, staged.size));
    this.remap = new Int32Array(staged.size).fill(-1);
  }

  /**
   * Applies the track filter to the staged session tracks[a, b) (session_length `length`):
   * -1 when the session is dropped (counted in the report), else the number of rows written
   * to outTracks / outFlags from `at` on, as final indices.
   */
  session(tracks: Int32Array, flags: Uint16Array, a: number, b: number, length: number, outTracks: Int32Array, outFlags: Uint16Array, at: number): number {
    const keep = this.keepTrack, remap = this.remap;
    let kept = 0;
    for (let i = a; i < b; i++) kept += keep[tracks[i]];
    if (kept === 0 || (this.opt.completeOnly && kept < length)) {
      this.report.dropped.trackFilter++;
      return -1;
    }
    let o = at;
    for (let i = a; i < b; i++) {
      const t = tracks[i];
      if (!keep[t]) continue;
      if (remap[t] < 0) {
        const bytes = this.staged.idBytes(t);
        remap[t] = this.vocab.internBytes(bytes, 0, bytes.length);
      }
      outTracks[o] = remap[t];
      outFlags[o] = flags[i];
      o++;
    }
    return o - at;
  }
}

/** The feature row per final track (-1 without) and the feature matrix, in vocabulary order. */
export function featureMatrix(fin: FinalVocab, f: TrackFilter): { featureRow: Int32Array; features: Float32Array } {
  const V = fin.vocab.size, V0 = fin.remap.length, remap = fin.remap, featOf = f.featOf;
  const featureRow = new Int32Array(V).fill(-1);
  let F = 0;
  for (let t = 0; t < V0; t++) if (remap[t] >= 0 && featOf[t] >= 0) F++;
  const features = new Float32Array(F * NFEAT);
  const stagedOf = new Int32Array(V);
  for (let t = 0; t < V0; t++) if (remap[t] >= 0) stagedOf[remap[t]] = t;
  let k = 0;
  for (let v = 0; v < V; v++) {
    const g = featOf[stagedOf[v]];
    if (g < 0) continue;
    const { t: tab, r } = globalRow(f, g);
    features.set(tab.values.subarray(r * NFEAT, (r + 1) * NFEAT), k * NFEAT);
    featureRow[v] = k++;
  }
  return { featureRow, features };
}
