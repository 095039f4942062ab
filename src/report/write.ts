// Node I/O for the evaluation report: writes report.json and report.html into a directory.

import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { EvaluationReport } from "../eval/types.js";
import { writeFilesAtomic } from "../io/atomic.js";
import { renderReport } from "./report.js";

export interface WrittenReport {
  json: string;
  html: string;
}

/**
 * Write `dir/report.json` (the report as indented JSON; NaN and ±Infinity become null, as
 * JSON has no such numbers) and `dir/report.html` (renderReport), all-or-nothing: both are
 * written to temporaries first, then renamed (the HTML, then the JSON), so a failure (a full
 * disk) leaves the old pair as it was. The directory is created if missing. The HTML is
 * rendered before anything is written, so a malformed report writes nothing.
 */
export async function writeReport(dir: string, report: EvaluationReport): Promise<WrittenReport> {
  const html = renderReport(report);
  const json = JSON.stringify(report, null, 2) + "\n";
  await mkdir(dir, { recursive: true });
  const paths = { json: join(dir, "report.json"), html: join(dir, "report.html") };
  const utf8 = new TextEncoder();
  await writeFilesAtomic([[paths.html, utf8.encode(html)], [paths.json, utf8.encode(json)]]);
  return paths;
}
