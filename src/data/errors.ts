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
  | "bad_gzip";

export const ISSUE_KINDS: readonly MssdIssueKind[] = [
  "empty_file", "header", "column_count", "bad_boolean", "bad_number", "bad_value", "position_range",
  "position_repeated", "position_missing", "session_interleaved", "length_mismatch", "duplicate_track",
  "truncated_gzip", "bad_gzip",
];

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
