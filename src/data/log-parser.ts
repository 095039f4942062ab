// Streaming parser for MSSD session logs (`log_*.csv`, the 21 LOG_COLUMNS). Push-based over
// Uint8Array chunks of any size, no node: imports. It validates every field of every row,
// interns track ids into a TrackVocab straight from the bytes, and assembles each session's
// rows in position order, handing every finished session to a callback. Memory is bounded by
// the session in progress (sessions are contiguous in MSSD files; interleaving is an error),
// never by the file size.
//
// Strict by default: the first problem throws an MssdFormatError naming file, line, column,
// what was expected and what was found. With `lenient`, bad rows are skipped and counted per
// kind, keeping the first few locations of each (sessions left with missing positions are
// dropped and counted as position_missing).
//
// Every session id must occupy one contiguous block of rows in the whole input: ids are
// registered in a SessionIdSet (src/data/session-ids.ts), shared by the parsers of all the
// files of a dataset, and a block whose id was seen before is rejected row by row — as
// session_interleaved when the earlier block ended just before (the pending session, or one
// of the last RECENT of this file), else as duplicate_session. Session ids and track ids must
// be well-formed UTF-8 (bad_utf8), so every id can be named back.
// The last session of the input may be cut off (files cut at a row count, like log_mini):
// when its rows are positions 1..m it is emitted with complete = false and reported in
// `truncated`; a gap anywhere else is an error.
import { CONTEXT_TYPES, LOG_COLUMNS, MAX_SESSION_LENGTH } from "./schema.js";
import { ASCII, bytesEqual, hexField, isUtf8, LineSplitter, parseBool, parseUint, splitFields } from "./bytes.js";
import { baseName, emptyIssueCounts, headerProblem, MssdFormatError, noteExample, showField, type IssueCounts, type IssueExample, type MssdIssueKind } from "./errors.js";
import { firstAt, SessionIdSet, type SessionPlace } from "./session-ids.js";
import { TrackVocab } from "./vocab.js";

/** Bits of the per-row flags word (Uint16): booleans and 0/1 columns, then the context type. */
export const LOG_FLAG = {
  skip_1: 1 << 0,
  skip_2: 1 << 1,
  skip_3: 1 << 2,
  not_skipped: 1 << 3,
  context_switch: 1 << 4,
  no_pause_before_play: 1 << 5,
  short_pause_before_play: 1 << 6,
  long_pause_before_play: 1 << 7,
  hist_user_behavior_is_shuffle: 1 << 8,
  premium: 1 << 9,
} as const;
/** flags >> CONTEXT_SHIFT is the index of the row's context_type in CONTEXT_TYPES. */
export const CONTEXT_SHIFT = 10;

/** One assembled session. The object and its arrays are reused: copy what you keep. */
export interface SessionView {
  /** The session id (decoded on access). */
  readonly sessionId: string;
  /** session_length as written in the file. */
  length: number;
  /** Rows present: == length when complete. */
  rows: number;
  complete: boolean;
  /** Track indices (into the vocabulary) of positions 1..rows at [0, rows). */
  tracks: Int32Array;
  /** LOG_FLAG bits of positions 1..rows at [0, rows). */
  flags: Uint16Array;
  /** Lines of the session's first and last rows in the file. */
  firstLine: number;
  lastLine: number;
  /** Its ordinal in the SessionIdSet (sessions of all files sharing the set, in reading order). */
  ordinal: number;
}

export interface TruncatedSession {
  sessionId: string;
  /** Line of its last row. */
  line: number;
  rows: number;
  length: number;
}

export interface LogStats {
  file: string;
  /** Lines read, header included. */
  lines: number;
  bytes: number;
  /** Valid data rows (including rows of sessions later dropped in lenient mode). */
  rows: number;
  /** Rows skipped as invalid (lenient mode). */
  rowsSkipped: number;
  /** Sessions handed to onSession (complete and truncated). */
  sessions: number;
  completeSessions: number;
  /** Sessions dropped for missing positions (lenient mode). */
  sessionsDropped: number;
  /** Blocks of rows dropped because their session id was seen before (lenient mode). */
  duplicateSessions: number;
  /** The cut-off last session, when there is one. */
  truncated: TruncatedSession[];
  /** Lenient mode: rows skipped per kind (position_missing: sessions dropped). */
  issues: IssueCounts;
  /** Lenient mode: the first EXAMPLES_PER_KIND problems of each kind, located. */
  examples: IssueExample[];
}

export interface LogParserOptions {
  /** Name used in error messages (a path or stream name). Default "<log>". */
  file?: string;
  /** Track ids are interned here. Default: a new vocabulary (see parser.vocab). */
  vocab?: TrackVocab;
  /** Skip and count bad rows instead of throwing. Default false. */
  lenient?: boolean;
  /** Receives every finished session, in file order. */
  onSession?: (s: SessionView) => void;
  /** Session ids seen so far, shared across the files of one dataset. Default: a new, unbounded in-memory set. */
  sessionIds?: SessionIdSet;
}

const NCOL = LOG_COLUMNS.length;
const CONTEXT_BYTES = CONTEXT_TYPES.map((c) => ASCII.encode(c));
const HEADER_BYTES = LOG_COLUMNS.map((c) => ASCII.encode(c));
/** How many recently finished sessions are remembered to detect interleaving. */
const RECENT = 8;
const BOOL_COLS = [4, 5, 6, 7, 14, 17];
const BOOL_BITS = [LOG_FLAG.skip_1, LOG_FLAG.skip_2, LOG_FLAG.skip_3, LOG_FLAG.not_skipped, LOG_FLAG.hist_user_behavior_is_shuffle, LOG_FLAG.premium];
const UINT_COLS = [8, 9, 10, 11, 12, 13];
const UINT_BITS = [LOG_FLAG.context_switch, LOG_FLAG.no_pause_before_play, LOG_FLAG.short_pause_before_play, LOG_FLAG.long_pause_before_play, 0, 0];
const DATE_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9];
const UTF8 = new TextDecoder("utf-8");

/** A session id's bytes held between rows. */
class IdSlot {
  bytes = new Uint8Array(64);
  len = 0;
  set(buf: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n > this.bytes.length) this.bytes = new Uint8Array(n * 2);
    this.bytes.set(buf.subarray(start, end));
    this.len = n;
  }
  copy(o: IdSlot): void {
    this.set(o.bytes, 0, o.len);
  }
  same(buf: Uint8Array, start: number, end: number): boolean {
    const n = this.len;
    if (end - start !== n) return false;
    const b = this.bytes;
    for (let i = 0; i < n; i++) if (b[i] !== buf[start + i]) return false;
    return true;
  }
  text(): string {
    return UTF8.decode(this.bytes.subarray(0, this.len));
  }
}

class Session implements SessionView {
  id = new IdSlot();
  active = false;
  length = 0;
  rows = 0;
  complete = false;
  tracks = new Int32Array(32);
  flags = new Uint16Array(32);
  /** Line of each position's row, 0 = not yet seen. */
  lineOf = new Int32Array(32);
  firstLine = 0;
  lastLine = 0;
  ordinal = 0;
  get sessionId(): string {
    return this.id.text();
  }
  reset(length: number, line: number): void {
    if (length > this.tracks.length) {
      const cap = Math.max(length, this.tracks.length * 2);
      this.tracks = new Int32Array(cap);
      this.flags = new Uint16Array(cap);
      this.lineOf = new Int32Array(cap);
    } else this.lineOf.fill(0, 0, length);
    this.active = true;
    this.length = length;
    this.rows = 0;
    this.complete = false;
    this.firstLine = line;
    this.lastLine = line;
  }
  /** First position (1-based) with no row, or 0 when all of 1..length are present. */
  firstMissing(): number {
    for (let p = 0; p < this.length; p++) if (this.lineOf[p] === 0) return p + 1;
    return 0;
  }
}

export class LogParser {
  readonly vocab: TrackVocab;
  readonly file: string;
  private readonly lenient: boolean;
  private readonly onSession: (s: SessionView) => void;
  private readonly splitter: LineSplitter;
  private readonly ends = new Int32Array(NCOL);
  private headerSeen = false;
  private readonly cur = new Session();
  /** A session that ended mid-file with positions missing: an error unless its rows resume
   * (then the error is the interleaving). Resolved when the following session ends. */
  private readonly pending = { id: new IdSlot(), active: false, lastLine: 0, length: 0, rows: 0, missing: 0 };
  private readonly recent = Array.from({ length: RECENT }, () => ({ id: new IdSlot(), lastLine: 0 }));
  private recentNext = 0;
  private recentCount = 0;
  private readonly stats: LogStats;
  private ended = false;
  private readonly ids: SessionIdSet;
  private readonly fileIndex: number;
  /** The last id rejected as a duplicate: its further rows are rejected without a lookup. */
  private readonly dup = { id: new IdSlot(), active: false, first: null as SessionPlace | null, lastLine: -1 };
  /** Line of the last row that reached addRow (a duplicate block continues when it is the previous rejected row). */
  private lastRowLine = 0;

  constructor(opts: LogParserOptions = {}) {
    this.file = opts.file ?? "<log>";
    this.vocab = opts.vocab ?? new TrackVocab();
    this.lenient = opts.lenient ?? false;
    this.onSession = opts.onSession ?? (() => {});
    this.splitter = new LineSplitter((buf, s, e, line) => this.onLine(buf, s, e, line));
    this.stats = {
      file: this.file, lines: 0, bytes: 0, rows: 0, rowsSkipped: 0, sessions: 0, completeSessions: 0,
      sessionsDropped: 0, duplicateSessions: 0, truncated: [], issues: emptyIssueCounts(), examples: [],
    };
    this.ids = opts.sessionIds ?? new SessionIdSet();
    this.fileIndex = this.ids.beginFile(this.file);
  }

  push(chunk: Uint8Array): void {
    this.splitter.push(chunk);
  }

  /** The number of the last line handed to the row parser. */
  get line(): number {
    return this.splitter.line;
  }

  /** Ends the input: flushes a last line without line end and the last session. */
  end(): LogStats {
    if (this.ended) return this.stats;
    this.ended = true;
    this.splitter.end();
    if (!this.headerSeen) throw new MssdFormatError(this.file, 0, undefined, "empty_file", "empty file: expected a header line");
    this.closeCurrent(true);
    this.resolvePending();
    this.stats.lines = this.splitter.line;
    this.stats.bytes = this.splitter.bytes;
    return this.stats;
  }

  private fail(line: number, column: string | undefined, kind: MssdIssueKind, detail: string): void {
    if (!this.lenient) throw new MssdFormatError(this.file, line, column, kind, detail);
    this.stats.issues[kind]++;
    noteExample(this.stats.examples, this.stats.issues, { kind, file: this.file, line, column, message: new MssdFormatError(this.file, line, column, kind, detail).message });
  }

  private header(buf: Uint8Array, start: number, end: number): void {
    const ends = this.ends;
    const nf = splitFields(buf, start, end, ends);
    const firstEnd = ends[0];
    if (!(firstEnd - start === HEADER_BYTES[0].length && bytesEqual(buf, start, firstEnd, HEADER_BYTES[0]))) {
      throw new MssdFormatError(this.file, 1, LOG_COLUMNS[0], "header",
        `missing or wrong header: expected "${LOG_COLUMNS[0]}" as the first header field, found ${showField(buf, start, firstEnd)}`);
    }
    let ok = nf === NCOL;
    for (let c = 1; ok && c < NCOL; c++) ok = bytesEqual(buf, ends[c - 1] + 1, ends[c], HEADER_BYTES[c]);
    if (!ok) {
      const p = headerProblem(UTF8.decode(buf.subarray(start, end)).split(","), LOG_COLUMNS);
      if (p) throw new MssdFormatError(this.file, 1, p.column, "header", p.detail);
    }
    this.headerSeen = true;
  }

  private onLine(buf: Uint8Array, start: number, end: number, line: number): void {
    if (!this.headerSeen) {
      this.header(buf, start, end);
      return;
    }
    const ends = this.ends;
    const nf = splitFields(buf, start, end, ends);
    if (nf !== NCOL) {
      this.fail(line, undefined, "column_count", `expected ${NCOL} columns, found ${end === start ? "an empty line" : nf}`);
      this.stats.rowsSkipped++;
      return;
    }
    if (!this.parseRow(buf, start, line)) this.stats.rowsSkipped++;
  }

  /** Validates one row and adds it to its session; false when skipped (lenient). */
  private parseRow(buf: Uint8Array, start: number, line: number): boolean {
    const ends = this.ends;
    const idEnd = ends[0];
    if (idEnd === start) return this.bad(line, 0, "bad_value", "expected a session id, found an empty field");
    const pos = parseUint(buf, idEnd + 1, ends[1]);
    if (pos < 0) return this.bad(line, 1, "bad_number", `expected a positive integer, found ${showField(buf, idEnd + 1, ends[1])}`);
    const len = parseUint(buf, ends[1] + 1, ends[2]);
    if (len < 1 || len > MAX_SESSION_LENGTH) return this.bad(line, 2, "bad_number", `expected a session length 1..${MAX_SESSION_LENGTH}, found ${showField(buf, ends[1] + 1, ends[2])}`);
    if (pos < 1 || pos > len) return this.bad(line, 1, "position_range", `expected a position in 1..${len} (session_length), found ${pos}`);
    const trackStart = ends[2] + 1, trackEnd = ends[3];
    if (trackEnd === trackStart) return this.bad(line, 3, "bad_value", "expected a track id, found an empty field");
    if (!isUtf8(buf, trackStart, trackEnd)) return this.bad(line, 3, "bad_utf8", `expected a track id in UTF-8, found invalid bytes ${hexField(buf, trackStart, trackEnd)}`);
    let flags = 0;
    for (let k = 0; k < 6; k++) {
      const c = BOOL_COLS[k];
      const b = parseBool(buf, ends[c - 1] + 1, ends[c]);
      if (b < 0) return this.bad(line, c, "bad_boolean", `expected True or False, found ${showField(buf, ends[c - 1] + 1, ends[c])}`);
      if (b === 1) flags |= BOOL_BITS[k];
    }
    for (let k = 0; k < 6; k++) {
      const c = UINT_COLS[k];
      const v = parseUint(buf, ends[c - 1] + 1, ends[c]);
      if (v < 0) return this.bad(line, c, "bad_number", `expected a non-negative integer, found ${showField(buf, ends[c - 1] + 1, ends[c])}`);
      if (v > 0) flags |= UINT_BITS[k];
    }
    const hour = parseUint(buf, ends[14] + 1, ends[15]);
    if (hour < 0 || hour > 23) return this.bad(line, 15, "bad_number", `expected an hour 0..23, found ${showField(buf, ends[14] + 1, ends[15])}`);
    if (!isDate(buf, ends[15] + 1, ends[16])) return this.bad(line, 16, "bad_value", `expected a date YYYY-MM-DD, found ${showField(buf, ends[15] + 1, ends[16])}`);
    const ctx = contextIndex(buf, ends[17] + 1, ends[18]);
    if (ctx < 0) return this.bad(line, 18, "bad_value", `expected one of ${CONTEXT_TYPES.join(", ")}, found ${showField(buf, ends[17] + 1, ends[18])}`);
    flags |= ctx << CONTEXT_SHIFT;
    return this.addRow(buf, start, idEnd, pos, len, trackStart, trackEnd, flags, line);
  }

  private duplicate(buf: Uint8Array, idStart: number, idEnd: number, line: number, first: SessionPlace): boolean {
    return this.bad(line, 0, "duplicate_session", `expected each session id once in the input, found session ${showField(buf, idStart, idEnd)} again (first at ${firstAt(first, this.fileIndex, this.file, baseName)})`);
  }

  private bad(line: number, col: number, kind: MssdIssueKind, detail: string): boolean {
    this.fail(line, LOG_COLUMNS[col], kind, detail);
    return false;
  }

  private addRow(buf: Uint8Array, idStart: number, idEnd: number, pos: number, len: number, trackStart: number, trackEnd: number, flags: number, line: number): boolean {
    const cur = this.cur;
    const prevRow = this.lastRowLine;
    this.lastRowLine = line;
    if (!cur.active || !cur.id.same(buf, idStart, idEnd)) {
      // A new session id: it must not be one that already ended.
      const p = this.pending;
      if (p.active && p.id.same(buf, idStart, idEnd)) {
        return this.bad(line, 0, "session_interleaved",
          `expected the rows of session ${JSON.stringify(cur.sessionId)} (from line ${cur.firstLine}), found session ${showField(buf, idStart, idEnd)} again, interleaved (its earlier rows end at line ${p.lastLine})`);
      }
      for (let k = 0; k < this.recentCount; k++) {
        const r = this.recent[k];
        if (r.id.same(buf, idStart, idEnd)) {
          return this.bad(line, 0, "session_interleaved",
            `expected a new session id, found session ${showField(buf, idStart, idEnd)} again, interleaved with another (its earlier rows end at line ${r.lastLine})`);
        }
      }
      const d = this.dup;
      if (d.active && d.id.same(buf, idStart, idEnd)) {
        if (d.lastLine !== prevRow) this.stats.duplicateSessions++;
        d.lastLine = line;
        return this.duplicate(buf, idStart, idEnd, line, d.first!);
      }
      if (!isUtf8(buf, idStart, idEnd)) return this.bad(line, 0, "bad_utf8", `expected a session id in UTF-8, found invalid bytes ${hexField(buf, idStart, idEnd)}`);
      const first = this.ids.add(buf, idStart, idEnd, line);
      if (first) {
        d.id.set(buf, idStart, idEnd);
        d.active = true;
        d.first = first;
        d.lastLine = line;
        this.stats.duplicateSessions++;
        return this.duplicate(buf, idStart, idEnd, line, first);
      }
      this.closeCurrent(false);
      cur.id.set(buf, idStart, idEnd);
      cur.reset(len, line);
      cur.ordinal = this.ids.count - 1;
    } else if (len !== cur.length) {
      return this.bad(line, 2, "length_mismatch", `expected ${cur.length} as on line ${cur.firstLine} of this session, found ${len}`);
    } else if (cur.lineOf[pos - 1] !== 0) {
      return this.bad(line, 1, "position_repeated", `expected each position once, found position ${pos} again (first on line ${cur.lineOf[pos - 1]})`);
    }
    const i = pos - 1;
    cur.tracks[i] = this.vocab.internBytes(buf, trackStart, trackEnd);
    cur.flags[i] = flags;
    cur.lineOf[i] = line;
    cur.rows++;
    cur.lastLine = line;
    this.stats.rows++;
    return true;
  }

  /** Ends the current session: emits it when complete; at the end of input, a cut-off
   * prefix 1..m is emitted as truncated; mid-file, missing positions become `pending`. */
  private closeCurrent(atEnd: boolean): void {
    const cur = this.cur;
    if (!cur.active) return;
    cur.active = false;
    this.resolvePending();
    if (cur.rows === cur.length) {
      cur.complete = true;
      this.emit();
    } else {
      const missing = cur.firstMissing();
      if (atEnd && missing === cur.rows + 1) {
        cur.complete = false;
        this.stats.truncated.push({ sessionId: cur.sessionId, line: cur.lastLine, rows: cur.rows, length: cur.length });
        this.emit();
      } else {
        const p = this.pending;
        p.id.copy(cur.id);
        p.active = true;
        p.lastLine = cur.lastLine;
        p.length = cur.length;
        p.rows = cur.rows;
        p.missing = missing;
        if (atEnd) this.resolvePending();
      }
    }
    this.remember(cur.id, cur.lastLine);
  }

  private resolvePending(): void {
    const p = this.pending;
    if (!p.active) return;
    p.active = false;
    this.stats.sessionsDropped++;
    this.fail(p.lastLine, LOG_COLUMNS[1], "position_missing",
      `session ${JSON.stringify(p.id.text())} ends with ${p.rows} of ${p.length} rows: expected positions 1..${p.length}, position ${p.missing} missing`);
  }

  private emit(): void {
    this.stats.sessions++;
    if (this.cur.complete) this.stats.completeSessions++;
    this.onSession(this.cur);
  }

  private remember(id: IdSlot, lastLine: number): void {
    const r = this.recent[this.recentNext];
    r.id.copy(id);
    r.lastLine = lastLine;
    this.recentNext = (this.recentNext + 1) % RECENT;
    if (this.recentCount < RECENT) this.recentCount++;
  }
}

function contextIndex(buf: Uint8Array, start: number, end: number): number {
  for (let k = 0; k < CONTEXT_BYTES.length; k++) if (bytesEqual(buf, start, end, CONTEXT_BYTES[k])) return k;
  return -1;
}

/** YYYY-MM-DD with digits in place and month 01..12, day 01..31. */
function isDate(buf: Uint8Array, s: number, e: number): boolean {
  if (e - s !== 10 || buf[s + 4] !== 45 || buf[s + 7] !== 45) return false;
  for (let j = 0; j < 8; j++) {
    const d = buf[s + DATE_DIGITS[j]] - 48;
    if (d < 0 || d > 9) return false;
  }
  const month = (buf[s + 5] - 48) * 10 + buf[s + 6] - 48;
  const day = (buf[s + 8] - 48) * 10 + buf[s + 9] - 48;
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}
