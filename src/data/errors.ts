// Errors raised by the MSSD readers and the dataset cache. Every format error names the
// file, the 1-based line (the header is line 1), the column where one applies, what was
// expected and what was found, in a one-line message such as
//   log_x.csv:17: column skip_2: expected True or False, found "yes"

/** What went wrong, one kind per distinct check (lenient mode counts skipped rows per kind). */
export type MssdIssueKind =
  | "empty_file"
  | "header"
  | "column_count"
  | "bad_boolean"
  | "bad_number"
  | "bad_value"
  | "position_range"
  | "position_repeated"
  | "position_missing"
  | "session_interleaved"
  | "length_mismatch"
  | "duplicate_track"
  | "truncated_gzip"
  | "bad_gzip"
  | "bad_utf8"
  | "duplicate_session";

export const ISSUE_KINDS: readonly MssdIssueKind[] = [
  "empty_file", "header", "column_count", "bad_boolean", "bad_number", "bad_value", "position_range",
  "position_repeated", "position_missing", "session_interleaved", "length_mismatch", "duplicate_track",
  "truncated_gzip", "bad_gzip", "bad_utf8", "duplicate_session",
];

/** How many locations of each kind of issue the readers keep (lenient mode reports them). */
export const EXAMPLES_PER_KIND = 3;

/** One skipped problem, located: what lenient mode shows of each kind. */
export interface IssueExample {
  kind: MssdIssueKind;
  file: string;
  line: number;
  column?: string;
  /** The message strict mode would have stopped with. */
  message: string;
}

/** Keeps the first EXAMPLES_PER_KIND examples of each kind. */
export function noteExample(list: IssueExample[], counts: IssueCounts, e: IssueExample): void {
  if (counts[e.kind] <= EXAMPLES_PER_KIND) list.push(e);
}

/**
 * What is wrong with a header line (fields as read) against the expected columns, naming the
 * column: a missing one, an unexpected one, or a misspelt one; null when it is right.
 */
export function headerProblem(fields: readonly string[], expected: readonly string[]): { column: string | undefined; detail: string } | null {
  const nf = fields.length, n = expected.length;
  const q = (s: string) => JSON.stringify(s.length > 40 ? s.slice(0, 40) + "…" : s);
  const count = nf !== n ? `header: expected ${n} columns, found ${nf}: ` : "header: ";
  for (let c = 0; c < Math.min(nf, n); c++) {
    if (fields[c] === expected[c]) continue;
    if (nf < n && fields[c] === expected[c + 1]) {
      return { column: expected[c], detail: `${count}column "${expected[c]}" is missing${c > 0 ? ` (expected after "${expected[c - 1]}")` : ""}` };
    }
    if (nf > n && fields[c + 1] === expected[c]) {
      return { column: expected[c], detail: `${count}unexpected column ${q(fields[c])} before "${expected[c]}"` };
    }
    return { column: expected[c], detail: `${count}expected "${expected[c]}", found ${q(fields[c])}` };
  }
  if (nf < n) return { column: expected[nf], detail: `${count}column "${expected[nf]}" is missing at the end${nf < n - 1 ? ` (and ${n - nf - 1} more)` : ""}` };
  if (nf > n) return { column: undefined, detail: `${count}unexpected column ${q(fields[n])} after the last, "${expected[n - 1]}"` };
  return null;
}

/** Per-kind counts of what lenient mode skipped (rows, or whole sessions for position_missing). */
export type IssueCounts = Record<MssdIssueKind, number>;

export function emptyIssueCounts(): IssueCounts {
  const c = {} as IssueCounts;
  for (const k of ISSUE_KINDS) c[k] = 0;
  return c;
}

export class MssdFormatError extends Error {
  override readonly name = "MssdFormatError";
  constructor(
    /** The file as the caller named it (path or stream name). */
    readonly file: string,
    /** 1-based line number (header = 1); 0 when the problem is not tied to a line. */
    readonly line: number,
    /** Column name, or undefined for whole-line / whole-file problems. */
    readonly column: string | undefined,
    readonly kind: MssdIssueKind,
    /** The detail after the location: "expected ..., found ...". */
    readonly detail: string,
  ) {
    super(`${baseName(file)}${line > 0 ? `:${line}` : ""}: ${column !== undefined ? `column ${column}: ` : ""}${detail}`);
  }
}

/** A dataset cache file that cannot be used (bad magic, version, checksum, or truncated). */
export class MssdCacheError extends Error {
  override readonly name = "MssdCacheError";
  constructor(readonly file: string, readonly reason: string) {
    super(`${file}: ${reason}`);
  }
}

export function baseName(path: string): string {
  const i = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return i >= 0 ? path.slice(i + 1) : path;
}

/** A field's text for an error message: quoted, at most 40 characters. */
export function showField(bytes: Uint8Array, start: number, end: number): string {
  const cut = end - start > 40;
  const s = UTF8.decode(bytes.subarray(start, cut ? start + 40 : end));
  return JSON.stringify(cut ? s + "…" : s);
}

const UTF8 = new TextDecoder("utf-8");
