// Text the CLI prints that is more than a line: a recommended list with each score on its own
// slot's scale. (The evaluation results' text is in src/report/text.ts.) Pure, no I/O.
import type { Recommendation } from "./pipeline.js";
import { RERANK_EXPLANATION, SCORE_EXPLANATION } from "../core/score-scale.js";
import { formatFigure } from "../report/format.js";
import { wrap } from "../report/text.js";

/** The list with each score on its own slot's scale (src/core/score-scale.ts), and why. */
export function formatRecommendations(recs: Recommendation[]): string {
  const rows = recs.map((r) => [
    `${r.rank}.`, r.track_id, `score ${formatFigure(r.score)}`,
    r.slot_rank !== undefined ? `rank ${formatFigure(r.slot_rank)} of ${formatFigure(r.eligible)} under slot ${r.rank}; that slot's scores run ${formatFigure(r.slot_min)} to ${formatFigure(r.slot_max)}` : "",
  ]);
  const w = rows[0]?.map((_, j) => Math.max(...rows.map((row) => row[j].length))) ?? [];
  const scaled = recs.every((r) => r.slot_rank !== undefined);
  return [
    ...wrap(scaled ? SCORE_EXPLANATION : RERANK_EXPLANATION, 100),
    ...rows.map((row) => row.map((c, j) => (j === row.length - 1 ? c : c.padEnd(w[j]))).join("  ").trimEnd()),
  ].join("\n");
}

