// A small reference validator for MSSD session logs and track-feature files, written for
// clarity, not speed: whole files, strings, arrays and Maps, one rule per line, no byte
// tricks, no streaming. The property tests (test/props-readers.test.ts) compare the streaming
// readers with it on generated valid and mutated files.
//
// The rules (what the readers promise):
// - Lines end at LF; a CR before it is dropped; a UTF-8 BOM at the start of the file is
//   dropped. A final line without LF counts. An empty file is "empty_file".
// - Line 1 is the header: exactly the schema's columns, else "header".
// - Each data row has exactly the schema's column count ("column_count"), then its fields are
//   checked left to right: session id non-empty; position and length plain integers (at most
//   9 digits), 1 ≤ length ≤ 1000, 1 ≤ position ≤ length; track id non-empty UTF-8; booleans
//   True/False; counts plain integers; hour 0..23; date YYYY-MM-DD (month 1..12, day 1..31);
//   context type one of six.
// - Every session id occupies one contiguous block of rows in the whole input (all files):
//   rows of a block share its length and never repeat a position. A row that starts a block
//   for an id seen before is rejected: "session_interleaved" when that id's block is the
//   pending one (see below) or among the last 8 blocks of this file to close, else
//   "duplicate_session". A session id must be UTF-8 ("bad_utf8").
// - A block closes when another block starts or the file ends. With every position present
//   it is a complete session. At the end of a file, positions 1..m present (a cut-off file)
//   make a truncated session. Otherwise positions are missing: the block becomes "pending"
//   and is reported ("position_missing", at its last row) when the next block closes — so
//   errors come in that order — or at the end of the file.
// - Strict: the first problem (in that order) is the error. Lenient: problem rows are
//   skipped and counted by kind; a pending block is dropped and counted.
import { CONTEXT_TYPES, LOG_COLUMNS, MAX_SESSION_LENGTH, TF_COLUMNS } from "../../src/data/schema.js";

export interface RefIssue {
  file: string;
  line: number;
  column?: string;
  kind: string;
}

export interface RefSession {
  id: string;
  length: number;
  complete: boolean;
  /** Track ids of positions 1..rows. */
  tracks: string[];
  /** skip_2 of positions 1..rows. */
  skip2: boolean[];
}

export interface RefLogResult {
  /** Strict mode: the first problem, if any (then nothing else is meaningful). */
  error?: RefIssue;
  sessions: RefSession[];
  /** Track ids in order of first appearance in accepted rows. */
  vocab: string[];
  /** Lenient mode: problems per kind (position_missing counts dropped sessions). */
  counts: Record<string, number>;
  rowsSkipped: number;
}

class Stop extends Error {
  constructor(readonly issue: RefIssue) {
    super(issue.kind);
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
function isUtf8(bytes: Uint8Array): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** The file's lines as byte arrays (see the rules). */
export function splitLines(b: Uint8Array): Uint8Array[] {
  if (b.length === 0) return [];
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 10) {
      lines.push(b.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < b.length) lines.push(b.subarray(start));
  const out = lines.map((l) => (l.length > 0 && l[l.length - 1] === 13 ? l.subarray(0, l.length - 1) : l));
  if (out.length > 0 && out[0].length >= 3 && out[0][0] === 0xef && out[0][1] === 0xbb && out[0][2] === 0xbf) out[0] = out[0].subarray(3);
  return out;
}

/** Fields as byte arrays, split at commas. */
function fields(line: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i <= line.length; i++) {
    if (i === line.length || line[i] === 44) {
      out.push(line.subarray(start, i));
      start = i + 1;
    }
  }
  return out;
}

const latin1 = (b: Uint8Array) => String.fromCharCode(...b);
const idText = (b: Uint8Array) => new TextDecoder().decode(b);

function uint(b: Uint8Array): number {
  const s = latin1(b);
  return /^[0-9]{1,9}$/.test(s) ? Number(s) : -1;
}

function isDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  return m !== null && +m[2] >= 1 && +m[2] <= 12 && +m[3] >= 1 && +m[3] <= 31;
}

const BOOL_COLS = ["skip_1", "skip_2", "skip_3", "not_skipped", "hist_user_behavior_is_shuffle", "premium"];
const COUNT_COLS = ["context_switch", "no_pause_before_play", "short_pause_before_play", "long_pause_before_play", "hist_user_behavior_n_seekfwd", "hist_user_behavior_n_seekback"];
const col = (name: string) => LOG_COLUMNS.indexOf(name as (typeof LOG_COLUMNS)[number]);

interface Block {
  /** The id's bytes, one char per byte (byte-exact comparison). */
  id: string;
  /** The id as UTF-8 text. */
  text: string;
  length: number;
  lineOf: Map<number, number>;
  tracks: Map<number, string>;
  skip2: Map<number, boolean>;
  lastLine: number;
}

/** Validate session logs read in order (one dataset), strict or lenient. */
export function referenceLogs(files: { name: string; bytes: Uint8Array }[], lenient: boolean): RefLogResult {
  const result: RefLogResult = { sessions: [], vocab: [], counts: {}, rowsSkipped: 0 };
  const vocab = new Set<string>();
  const everSeen = new Set<string>(); // every id that started a block, in any file
  try {
    for (const f of files) validateLog(f.name, f.bytes, lenient, result, vocab, everSeen);
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    result.error = e.issue;
  }
  result.vocab = [...vocab];
  return result;
}

function validateLog(file: string, bytes: Uint8Array, lenient: boolean, result: RefLogResult, vocab: Set<string>, everSeen: Set<string>): void {
  const problem = (line: number, kind: string, column?: string): void => {
    if (!lenient) throw new Stop({ file, line, column, kind });
    result.counts[kind] = (result.counts[kind] ?? 0) + 1;
  };
  const lines = splitLines(bytes);
  if (lines.length === 0) throw new Stop({ file, line: 0, kind: "empty_file" });
  const header = fields(lines[0]).map(latin1);
  if (header.length !== LOG_COLUMNS.length || header.some((h, i) => h !== LOG_COLUMNS[i])) throw new Stop({ file, line: 1, kind: "header" });

  let cur: Block | null = null;
  let pending: Block | null = null;
  const closed: string[] = []; // ids of the blocks of this file that closed, in order

  const reportPending = (): void => {
    if (!pending) return;
    const p = pending;
    pending = null;
    problem(p.lastLine, "position_missing", "session_position");
  };
  const close = (atEnd: boolean): void => {
    if (!cur) return;
    const b = cur;
    cur = null;
    reportPending();
    const present = [...b.lineOf.keys()].sort((x, y) => x - y);
    const prefix = present.every((p, i) => p === i + 1);
    if (present.length === b.length || (atEnd && prefix)) {
      result.sessions.push({
        id: b.text, length: b.length, complete: present.length === b.length,
        tracks: present.map((p) => b.tracks.get(p)!), skip2: present.map((p) => b.skip2.get(p)!),
      });
    } else {
      pending = b;
      if (atEnd) reportPending();
    }
    closed.push(b.id);
  };

  for (let i = 1; i < lines.length; i++) {
    const line = i + 1;
    const f = fields(lines[i]);
    const reject = (kind: string, column?: string): void => {
      result.rowsSkipped++;
      problem(line, kind, column);
    };
    if (f.length !== LOG_COLUMNS.length) {
      reject("column_count");
      continue;
    }
    const v = (name: string) => latin1(f[col(name)]);
    if (f[0].length === 0) { reject("bad_value", "session_id"); continue; }
    const pos = uint(f[1]), len = uint(f[2]);
    if (pos < 0) { reject("bad_number", "session_position"); continue; }
    if (len < 1 || len > MAX_SESSION_LENGTH) { reject("bad_number", "session_length"); continue; }
    if (pos < 1 || pos > len) { reject("position_range", "session_position"); continue; }
    if (f[3].length === 0) { reject("bad_value", "track_id_clean"); continue; }
    if (!isUtf8(f[3])) { reject("bad_utf8", "track_id_clean"); continue; }
    const badBool = BOOL_COLS.find((c) => v(c) !== "True" && v(c) !== "False");
    if (badBool) { reject("bad_boolean", badBool); continue; }
    const badCount = COUNT_COLS.find((c) => uint(f[col(c)]) < 0);
    if (badCount) { reject("bad_number", badCount); continue; }
    const hour = uint(f[col("hour_of_day")]);
    if (hour < 0 || hour > 23) { reject("bad_number", "hour_of_day"); continue; }
    if (!isDate(v("date"))) { reject("bad_value", "date"); continue; }
    if (!(CONTEXT_TYPES as readonly string[]).includes(v("context_type"))) { reject("bad_value", "context_type"); continue; }

    // Byte-exact ids: latin1 keeps one char per byte, so equal strings are equal bytes.
    const id = latin1(f[0]);
    if (cur === null || id !== cur.id) {
      if ((pending as Block | null)?.id === id || closed.slice(-8).includes(id)) { reject("session_interleaved", "session_id"); continue; }
      if (!isUtf8(f[0])) { reject("bad_utf8", "session_id"); continue; }
      if (everSeen.has(id)) { reject("duplicate_session", "session_id"); continue; }
      everSeen.add(id);
      close(false);
      cur = { id, text: idText(f[0]), length: len, lineOf: new Map(), tracks: new Map(), skip2: new Map(), lastLine: line };
    } else if (len !== cur.length) { reject("length_mismatch", "session_length"); continue; }
    else if (cur.lineOf.has(pos)) { reject("position_repeated", "session_position"); continue; }
    const track = idText(f[3]);
    vocab.add(track);
    cur.lineOf.set(pos, line);
    cur.tracks.set(pos, track);
    cur.skip2.set(pos, v("skip_2") === "True");
    cur.lastLine = line;
  }
  close(true);
  reportPending();
}

export interface RefTfResult {
  error?: RefIssue;
  /** Kept rows: track id and the 29 feature values (mode: 1 major, 0 minor). */
  rows: { id: string; values: number[] }[];
  counts: Record<string, number>;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Validate a track-feature file (each track once; every feature a finite decimal, mode major/minor). */
export function referenceTf(name: string, bytes: Uint8Array, lenient: boolean): RefTfResult {
  const result: RefTfResult = { rows: [], counts: {} };
  const problem = (line: number, kind: string, column?: string): void => {
    if (!lenient) throw new Stop({ file: name, line, column, kind });
    result.counts[kind] = (result.counts[kind] ?? 0) + 1;
  };
  try {
    const lines = splitLines(bytes);
    if (lines.length === 0) throw new Stop({ file: name, line: 0, kind: "empty_file" });
    const header = fields(lines[0]).map(latin1);
    if (header.length !== TF_COLUMNS.length || header.some((h, i) => h !== TF_COLUMNS[i])) throw new Stop({ file: name, line: 1, kind: "header" });
    const seen = new Set<string>();
    rows: for (let i = 1; i < lines.length; i++) {
      const line = i + 1;
      const f = fields(lines[i]);
      if (f.length !== TF_COLUMNS.length) { problem(line, "column_count"); continue; }
      if (f[0].length === 0) { problem(line, "bad_value", "track_id"); continue; }
      if (!isUtf8(f[0])) { problem(line, "bad_utf8", "track_id"); continue; }
      const values: number[] = [];
      for (let c = 1; c < TF_COLUMNS.length; c++) {
        const s = latin1(f[c]);
        if (TF_COLUMNS[c] === "mode") {
          if (s !== "major" && s !== "minor") { problem(line, "bad_value", "mode"); continue rows; }
          values.push(s === "major" ? 1 : 0);
        } else {
          const x = DECIMAL.test(s) ? Number(s) : NaN;
          if (!Number.isFinite(x)) { problem(line, "bad_number", TF_COLUMNS[c]); continue rows; }
          values.push(x);
        }
      }
      const id = latin1(f[0]);
      if (seen.has(id)) { problem(line, "duplicate_track", "track_id"); continue; }
      seen.add(id);
      result.rows.push({ id: idText(f[0]), values });
    }
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    result.error = e.issue;
  }
  return result;
}
