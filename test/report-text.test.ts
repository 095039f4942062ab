// The evaluation results as terminal text (src/report/text.ts): summary first, n in every
// table, small n marked, direction arrows only on directional metrics, paired differences with
// verdicts. Checked on the FIXTURE reports of test/report-fixture.ts.
import { describe, expect, it } from "vitest";
import { formatProtocol, formatReport, wrap } from "../src/report/text.js";
import { formatDifference, decimalsFor } from "../src/report/format.js";
import { fixtureReport } from "./report-fixture.js";

describe("evaluation results as text", () => {
  const report = fixtureReport({ episodes: 20 });
  const text = formatReport(report);

  it("starts with the summary: the tally, then one row per headline metric against the best baseline", () => {
    const lines = text.split("\n");
    expect(lines[0]).toBe("summary");
    expect(text.indexOf("summary")).toBeLessThan(text.indexOf("\noriginal (seeds"));
    const online = report.protocols.find((p) => p.protocol === "online")!;
    const m = online.metrics.find((x) => x.metric === "episode_reward")!;
    const d = decimalsFor(Object.values(m.values).flatMap((e) => [e.mean, e.lo, e.hi]));
    const pd = online.paired.find((x) => x.metric === "episode_reward" && x.baseline === "item-knn")!;
    const row = lines.find((l) => l.includes("online · episode_reward ↑"))!;
    expect(row).toContain("item-knn");
    expect(row).toContain(`${formatDifference(pd.difference, d)} n=${pd.difference.n}`);
    expect(row.trimEnd().endsWith(pd.verdict)).toBe(true);
  });

  it("every protocol table has an n column; neutral metrics carry no arrow", () => {
    for (const p of report.protocols) {
      const block = formatProtocol(p);
      expect(block[1]).toMatch(/^\s+metric\s+n\s+ddpg/);
      for (const m of p.metrics) {
        const arrow = m.direction === "higher" ? " ↑" : m.direction === "lower" ? " ↓" : "";
        const line = block.find((l) => l.trimStart().startsWith(`${m.metric}${arrow} `))!;
        expect(line, m.metric).toBeDefined();
        if (m.direction === "neutral") expect(line).not.toMatch(/[↑↓]/);
      }
    }
  });

  it("marks small n with * and explains the marks", () => {
    const real = formatReport(fixtureReport({ episodes: 20, realSlice: true }));
    const skip = real.split("\n").find((l) => l.trimStart().startsWith("skip_rate ↓"))!;
    expect(skip).toContain("varies"); // policies rest on different n
    expect(skip).toMatch(/n=10\*/);
    expect(skip).toMatch(/n=380(?!\*)/);
    expect(real).toContain("* n < 30: the interval is unreliable");
    expect(real).toContain("original · skip_rate ↓");
  });

  it("wraps words", () => {
    expect(wrap("aa bb cc dd", 5)).toEqual(["aa bb", "cc dd"]);
  });
});
