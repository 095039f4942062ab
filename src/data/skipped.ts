// What lenient mode skipped, across every file of a dataset: counts by kind with the first
// locations of each, for `encore prepare` to print and return in --json.
import { ISSUE_KINDS, type IssueExample, type MssdIssueKind } from "./errors.js";
import type { DatasetReport } from "./dataset.js";

export interface SkippedSummary {
  /** Rows skipped as invalid, over all log and track-feature files. */
  rows: number;
  /** Sessions dropped whole: positions missing, or a session id seen before. */
  sessions: number;
  /** Per kind with a non-zero count: how many, and the first few problems (file:line: message). */
  kinds: Partial<Record<MssdIssueKind, { count: number; first: string[] }>>;
}

export function skippedSummary(r: DatasetReport): SkippedSummary {
  const files = [...r.logs, ...r.trackFiles];
  const kinds: SkippedSummary["kinds"] = {};
  for (const k of ISSUE_KINDS) {
    const count = files.reduce((a, f) => a + (f.issues[k] ?? 0), 0);
    if (count === 0) continue;
    const first = files.flatMap((f) => (f.examples ?? []).filter((e: IssueExample) => e.kind === k)).slice(0, 3).map((e) => e.message);
    kinds[k] = { count, first };
  }
  return {
    rows: files.reduce((a, f) => a + f.rowsSkipped, 0),
    sessions: r.logs.reduce((a, l) => a + l.sessionsDropped, 0) + r.dropped.duplicates,
    kinds,
  };
}

/** The summary as text lines (empty when nothing was skipped). */
export function formatSkipped(s: SkippedSummary): string {
  const kinds = Object.entries(s.kinds);
  if (kinds.length === 0) return "";
  const lines = [`lenient: skipped ${s.rows.toLocaleString("en-US")} rows, dropped ${s.sessions.toLocaleString("en-US")} sessions`];
  for (const [k, v] of kinds) {
    lines.push(`  ${k}: ${v!.count.toLocaleString("en-US")}`);
    for (const m of v!.first) lines.push(`    ${m}`);
  }
  return lines.join("\n");
}
