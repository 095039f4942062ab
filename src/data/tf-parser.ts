// Streaming parser for MSSD track features (`tf_*.csv`, the 30 TF_COLUMNS). Push-based over
// Uint8Array chunks, no node: imports. Every feature must be a finite decimal number, except
// `mode` (major = 1, minor = 0). The result is a Float32 matrix with one row per track and
// the 29 feature columns (TF_COLUMNS without track_id), rows keyed by vocabulary index.
// With addUnknown = false only tracks already in the vocabulary are kept (joining the
// features of a 3.7M-track file onto a smaller log vocabulary keeps only what is needed).
import { TF_COLUMNS } from "./schema.js";
import { ASCII, bytesEqual, hexField, isUtf8, LineSplitter, parseDecimal, splitFields } from "./bytes.js";
import { emptyIssueCounts, headerProblem, MssdFormatError, noteExample, showField, type IssueCounts, type IssueExample, type MssdIssueKind } from "./errors.js";
import { TrackVocab } from "./vocab.js";

/** The feature columns, in matrix column order: TF_COLUMNS without track_id. */
export const FEATURE_COLUMNS: readonly string[] = TF_COLUMNS.slice(1);
export const NFEAT = FEATURE_COLUMNS.length;
/** Matrix column of us_popularity_estimate. */
export const POPULARITY_COLUMN = FEATURE_COLUMNS.indexOf("us_popularity_estimate");
/** Matrix column of mode (1 = major, 0 = minor). */
export const MODE_COLUMN = FEATURE_COLUMNS.indexOf("mode");

export interface TrackFeatureTable {
  file: string;
  columns: readonly string[];
  /** Tracks kept. */
  rows: number;
  /** Vocabulary index of row r. */
  trackIndex: Int32Array;
  /** rows x NFEAT, row-major. */
  values: Float32Array;
  /** us_popularity_estimate of row r in full f64 precision (for thresholds). */
  popularity: Float64Array;
  lines: number;
  bytes: number;
  /** Valid rows whose track was not in the vocabulary (addUnknown = false). */
  unknownTracks: number;
  rowsSkipped: number;
  issues: IssueCounts;
  /** Lenient mode: the first EXAMPLES_PER_KIND problems of each kind, located. */
  examples: IssueExample[];
}

export interface TrackFeatureParserOptions {
  file?: string;
  vocab?: TrackVocab;
  /** Add tracks not yet in the vocabulary (default true); false keeps only known tracks. */
  addUnknown?: boolean;
  lenient?: boolean;
}

const NCOL = TF_COLUMNS.length;
const HEADER_BYTES = TF_COLUMNS.map((c) => ASCII.encode(c));
const MODE_FIELD = MODE_COLUMN + 1;
const POP_FIELD = POPULARITY_COLUMN + 1;

export class TrackFeatureParser {
  readonly vocab: TrackVocab;
  readonly file: string;
  private readonly addUnknown: boolean;
  private readonly lenient: boolean;
  private readonly splitter: LineSplitter;
  private readonly ends = new Int32Array(NCOL);
  private readonly row = new Float64Array(NFEAT);
  private headerSeen = false;
  private n = 0;
  private trackIndex = new Int32Array(256);
  private values = new Float32Array(256 * NFEAT);
  private popularity = new Float64Array(256);
  /** Line of the row holding vocabulary index i, 0 = none yet (duplicate detection). */
  private lineOfTrack = new Int32Array(256);
  private unknown = 0;
  private skipped = 0;
  private readonly issues = emptyIssueCounts();
  private readonly examples: IssueExample[] = [];

  constructor(opts: TrackFeatureParserOptions = {}) {
    this.file = opts.file ?? "<tf>";
    this.vocab = opts.vocab ?? new TrackVocab();
    this.addUnknown = opts.addUnknown ?? true;
    this.lenient = opts.lenient ?? false;
    this.splitter = new LineSplitter((buf, s, e, line) => this.onLine(buf, s, e, line));
  }

  push(chunk: Uint8Array): void {
    this.splitter.push(chunk);
  }

  get line(): number {
    return this.splitter.line;
  }

  end(): TrackFeatureTable {
    this.splitter.end();
    if (!this.headerSeen) throw new MssdFormatError(this.file, 0, undefined, "empty_file", "empty file: expected a header line");
    const n = this.n;
    return {
      file: this.file, columns: FEATURE_COLUMNS, rows: n,
      trackIndex: this.trackIndex.slice(0, n), values: this.values.slice(0, n * NFEAT), popularity: this.popularity.slice(0, n),
      lines: this.splitter.line, bytes: this.splitter.bytes, unknownTracks: this.unknown, rowsSkipped: this.skipped, issues: this.issues,
      examples: this.examples,
    };
  }

  private fail(line: number, column: string | undefined, kind: MssdIssueKind, detail: string): void {
    if (!this.lenient) throw new MssdFormatError(this.file, line, column, kind, detail);
    this.issues[kind]++;
    this.skipped++;
    noteExample(this.examples, this.issues, { kind, file: this.file, line, column, message: new MssdFormatError(this.file, line, column, kind, detail).message });
  }

  private onLine(buf: Uint8Array, start: number, end: number, line: number): void {
    const ends = this.ends;
    const nf = splitFields(buf, start, end, ends);
    if (!this.headerSeen) {
      if (!bytesEqual(buf, start, ends[0], HEADER_BYTES[0])) {
        throw new MssdFormatError(this.file, 1, TF_COLUMNS[0], "header",
          `missing or wrong header: expected "${TF_COLUMNS[0]}" as the first header field, found ${showField(buf, start, ends[0])}`);
      }
      let ok = nf === NCOL;
      for (let c = 1; ok && c < NCOL; c++) ok = bytesEqual(buf, ends[c - 1] + 1, ends[c], HEADER_BYTES[c]);
      if (!ok) {
        const p = headerProblem(new TextDecoder().decode(buf.subarray(start, end)).split(","), TF_COLUMNS);
        if (p) throw new MssdFormatError(this.file, 1, p.column, "header", p.detail);
      }
      this.headerSeen = true;
      return;
    }
    if (nf !== NCOL) return this.fail(line, undefined, "column_count", `expected ${NCOL} columns, found ${end === start ? "an empty line" : nf}`);
    if (ends[0] === start) return this.fail(line, TF_COLUMNS[0], "bad_value", "expected a track id, found an empty field");
    if (!isUtf8(buf, start, ends[0])) return this.fail(line, TF_COLUMNS[0], "bad_utf8", `expected a track id in UTF-8, found invalid bytes ${hexField(buf, start, ends[0])}`);
    const row = this.row;
    for (let c = 1; c < NCOL; c++) {
      const s = ends[c - 1] + 1, e = ends[c];
      if (c === MODE_FIELD) {
        const m = mode(buf, s, e);
        if (m < 0) return this.fail(line, TF_COLUMNS[c], "bad_value", `expected major or minor, found ${showField(buf, s, e)}`);
        row[c - 1] = m;
      } else {
        const v = parseDecimal(buf, s, e);
        if (v !== v) return this.fail(line, TF_COLUMNS[c], "bad_number", `expected a finite number, found ${showField(buf, s, e)}`);
        row[c - 1] = v;
      }
    }
    const t = this.addUnknown ? this.vocab.internBytes(buf, start, ends[0]) : this.vocab.lookupBytes(buf, start, ends[0]);
    if (t < 0) {
      this.unknown++;
      return;
    }
    if (t >= this.lineOfTrack.length) {
      const g = new Int32Array(Math.max(t + 1, this.lineOfTrack.length * 2));
      g.set(this.lineOfTrack);
      this.lineOfTrack = g;
    }
    if (this.lineOfTrack[t] !== 0) {
      return this.fail(line, TF_COLUMNS[0], "duplicate_track", `expected each track once, found ${showField(buf, start, ends[0])} again (first on line ${this.lineOfTrack[t]})`);
    }
    this.lineOfTrack[t] = line;
    const n = this.n;
    if (n === this.trackIndex.length) this.grow();
    this.trackIndex[n] = t;
    for (let c = 0; c < NFEAT; c++) this.values[n * NFEAT + c] = row[c];
    this.popularity[n] = row[POP_FIELD - 1];
    this.n = n + 1;
  }

  private grow(): void {
    const cap = this.trackIndex.length * 2;
    const ti = new Int32Array(cap);
    ti.set(this.trackIndex);
    this.trackIndex = ti;
    const v = new Float32Array(cap * NFEAT);
    v.set(this.values);
    this.values = v;
    const p = new Float64Array(cap);
    p.set(this.popularity);
    this.popularity = p;
  }
}

/** 1 for major, 0 for minor, -1 otherwise. */
function mode(buf: Uint8Array, s: number, e: number): number {
  if (e - s !== 5) return -1;
  if (buf[s] === 109 && buf[s + 1] === 97 && buf[s + 2] === 106 && buf[s + 3] === 111 && buf[s + 4] === 114) return 1;
  if (buf[s] === 109 && buf[s + 1] === 105 && buf[s + 2] === 110 && buf[s + 3] === 111 && buf[s + 4] === 114) return 0;
  return -1;
}
