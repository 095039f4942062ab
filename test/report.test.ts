// The HTML evaluation report: structure, number formatting, escaping, determinism, edge cases
// and writeReport, checked on the seeded FIXTURE report of test/report-fixture.ts.

import { describe, it, expect } from "vitest";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EvaluationReport } from "../src/eval/types.js";
import { renderReport } from "../src/report/report.js";
import { writeReport } from "../src/report/write.js";
import { decimalsFor, escapeHtml, formatNumber } from "../src/report/format.js";
import { EVIL, FIXTURE_POLICIES, fixtureReport } from "./report-fixture.js";

const report = fixtureReport();
const html = renderReport(report);

/** Every match of `re` (global) in `s`. */
const all = (s: string, re: RegExp) => [...s.matchAll(re)];
const count = (s: string, needle: string) => s.split(needle).length - 1;

/** The <section> with the given heading text (text already escaped as in the page). */
function sectionOf(page: string, heading: string): string {
  const sections = page.split(/<section /).slice(1);
  const found = sections.find((s) => s.includes(`>${heading}</h2>`));
  if (!found) throw new Error(`no section headed ${heading}`);
  return found.slice(0, found.indexOf("</section>"));
}

/** The rows of a metric's <tbody> in a results table: policy → [mean cell, CI cell, n cell]. */
function metricRows(section: string, metricId: string): Map<string, string[]> {
  const bodies = all(section, /<tbody>([\s\S]*?)<\/tbody>/g).map((m) => m[1]);
  const body = bodies.find((b) => b.includes(`<code>${escapeHtml(metricId)}</code>`));
  if (!body) throw new Error(`no table body for ${metricId}`);
  const rows = new Map<string, string[]>();
  for (const tr of all(body, /<tr[^>]*>([\s\S]*?)<\/tr>/g)) {
    const name = /<th scope="row">([^<]*)<\/th>/.exec(tr[1]);
    if (!name) continue;
    rows.set(name[1], all(tr[1], /<td class="num">([^<]*)<\/td>/g).map((m) => m[1]));
  }
  return rows;
}

describe("renderReport on the fixture report", () => {
  it("is one self-contained HTML document: doctype, lang, title, inline style, no scripts or external requests", () => {
    expect(html.startsWith("<!DOCTYPE html>\n<html lang=\"en\">")).toBe(true);
    expect(html).toContain(`<title>${escapeHtml(report.title)}</title>`);
    expect(html).toContain(`<h1>${escapeHtml(report.title)}</h1>`);
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
    expect(html).not.toMatch(/<script|<link|<iframe|<img|@import/i);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*"(?!#)/i); // only in-page anchors
    expect(html).not.toMatch(/url\(\s*['"]?(https?:|\/\/)/i);
    expect(html.trimEnd().endsWith("</html>")).toBe(true);
  });

  it("has the run description: command, created, every dataset and config field", () => {
    const run = sectionOf(html, "Run");
    expect(run).toContain(`<code>${escapeHtml(report.command)}</code>`);
    expect(run).toContain(report.created);
    for (const [k, v] of Object.entries(report.dataset)) expect(run).toContain(`<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(String(v))}</td></tr>`);
    for (const k of Object.keys(report.config)) expect(run).toContain(`<th scope="row">${escapeHtml(k)}</th>`);
    expect(run).toContain(escapeHtml(JSON.stringify(report.config.noise))); // objects as JSON
  });

  it("has a results table per protocol with every metric and every policy row, mean and CI formatted to the metric's decimals", () => {
    let rowsSeen = 0;
    for (const p of report.protocols) {
      const section = sectionOf(html, `Protocol: ${escapeHtml(p.protocol)}`);
      expect(count(section, `<table class="results">`)).toBe(1);
      expect(section).toContain(`<th scope="col">95% CI</th>`);
      for (const m of p.metrics) {
        expect(section).toContain(escapeHtml(m.label));
        expect(section).toContain(m.lowerIsBetter ? "lower is better" : "higher is better");
        const rows = metricRows(section, m.metric);
        expect([...rows.keys()]).toEqual(Object.keys(m.values));
        const d = decimalsFor(Object.values(m.values).flatMap((e) => [e.mean, e.lo, e.hi]));
        const fixed = d === 0 ? /^-?\d+$/ : new RegExp(`^-?\\d+\\.\\d{${d}}$`);
        for (const [policy, e] of Object.entries(m.values)) {
          const [mean, ci, n] = rows.get(policy)!;
          const ciMatch = /^\[(\S+), (\S+)\]$/.exec(ci);
          expect(ciMatch, `${p.protocol}/${m.metric}/${policy} CI cell ${ci}`).not.toBeNull();
          const [lo, hi] = [ciMatch![1], ciMatch![2]];
          for (const [cell, value] of [[mean, e.mean], [lo, e.lo], [hi, e.hi]] as const) {
            expect(cell).toMatch(fixed);
            expect(Math.abs(Number(cell) - value)).toBeLessThanOrEqual(0.5 * 10 ** -d + 1e-12);
          }
          expect(Number(lo)).toBeLessThanOrEqual(Number(mean));
          expect(Number(mean)).toBeLessThanOrEqual(Number(hi));
          expect(n).toBe(String(e.n));
          rowsSeen++;
        }
      }
    }
    const expected = report.protocols.reduce((s, p) => s + p.metrics.reduce((t, m) => t + Object.keys(m.values).length, 0), 0);
    expect(rowsSeen).toBe(expected);
    expect(rowsSeen).toBeGreaterThan(FIXTURE_POLICIES.length * 3);
  });

  it("marks the DDPG rows and draws DDPG in the highlight colour", () => {
    const ddpgRows = all(html, /<tr class="hl"><th scope="rowgroup"[\s\S]*?<th scope="row">ddpg<\/th>|<tr class="hl"><th scope="row">ddpg<\/th>/g);
    const metricsWithDdpg = report.protocols.reduce((s, p) => s + p.metrics.filter((m) => m.values.ddpg).length, 0);
    expect(ddpgRows.length).toBe(metricsWithDdpg);
    expect(count(html, `<tr class="hl"><th scope="row">random</th>`)).toBe(0);
  });

  it("draws one accessible SVG chart per training series, per metric and per reference figure", () => {
    const metrics = report.protocols.reduce((s, p) => s + p.metrics.length, 0);
    const svgs = all(html, /<svg [^>]*>/g).map((m) => m[0]);
    expect(svgs.length).toBe(3 + metrics + report.reference.length);
    expect(count(html, "</svg>")).toBe(svgs.length);
    for (const open of svgs) {
      expect(open).toMatch(/^<svg role="img" aria-label="[^"]+" class="chart" /);
      expect(open).toMatch(/viewBox="0 0 \d+ \d+"/);
    }
    // Each chart's <title> directly follows its opening tag and matches its aria-label.
    for (const m of all(html, /<svg role="img" aria-label="([^"]+)"[^>]*><title>([^<]+)<\/title>/g)) expect(m[2]).toBe(m[1]);
    expect(all(html, /<svg role="img" aria-label="([^"]+)"[^>]*><title>/g).length).toBe(svgs.length);
    for (const title of ["Reward", "Mean Q", "Critic loss"]) expect(html).toContain(`aria-label="${title} (`);
    for (const p of report.protocols) for (const m of p.metrics) expect(html).toContain(`aria-label="${escapeHtml(m.label)} (`);
    // Class prefixes are per chart and never zrender's process-wide counter.
    expect(html).not.toMatch(/\bzr\d+-/);
    expect(html).not.toContain("ecmeta_");
  });

  it("training charts draw every episode; episodes before the first update (NaN mean Q) leave a gap", () => {
    const training = sectionOf(html, "Training");
    expect(training).toContain(`${report.training.length} episodes, ${report.training.length * 200} steps`);
    expect(count(training, "<figure class=\"chart\">")).toBe(3);
    const firstQ = report.training.find((e) => Number.isFinite(e.meanQ))!;
    expect(training).toContain(`Mean Q: ${formatNumber(firstQ.meanQ, decimalsFor(report.training.map((e) => e.meanQ)))} at episode ${firstQ.episode}`);
  });

  it("sets the original project's figures beside ours from the 'original' protocol, as percentages", () => {
    const section = sectionOf(html, "Original project's figures beside ours");
    const original = report.protocols.find((p) => p.protocol === "original")!;
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    expect(section).toContain(">49.0%<");
    expect(section).toContain("54.0% (logged)");
    expect(section).toContain(">9.3%<");
    expect(section).toContain("7.6% (logged)");
    for (const ref of report.reference) {
      const m = original.metrics.find((x) => x.metric === ref.metric)!;
      for (const policy of ["ddpg", "logged"]) {
        const e = m.values[policy];
        expect(section).toContain(`${pct(e.mean)} [${pct(e.lo)}, ${pct(e.hi)}]`);
      }
    }
    expect(count(section, "<svg ")).toBe(report.reference.length);
  });

  it("is deterministic: the same report gives the same HTML, whatever was rendered before", () => {
    const other = renderReport(fixtureReport({ seed: 7, episodes: 5 }));
    expect(other).not.toBe(html);
    expect(renderReport(fixtureReport())).toBe(html);
  });
});

describe("renderReport escaping", () => {
  const hostile = fixtureReport({ hostile: true });
  const out = renderReport(hostile);

  it("escapes every piece of text: no raw markup from the report reaches the page", () => {
    expect(out).not.toContain(EVIL);
    expect(out).not.toMatch(/<script|<img/i);
    expect(out).not.toMatch(/<[^>]* onerror=/i); // "onerror=" only as escaped text
    expect(count(out, "<style")).toBe(count(out, "</style>"));
    expect(out).toContain(`<title>encore evaluation ${escapeHtml(EVIL)}</title>`);
    expect(out).toContain(`<code>${escapeHtml(hostile.command)}</code>`);
    expect(out).toContain(`<th scope="row">${escapeHtml(EVIL)}</th>`); // policy name in the table
    expect(out).toContain(`<td>${escapeHtml(EVIL)}</td>`); // dataset value
    expect(out).toContain(`Note: note ${escapeHtml(EVIL)}`);
  });

  it("escapes inside the charts too (axis labels, SVG titles, aria labels)", () => {
    const svgs = all(out, /<svg[\s\S]*?<\/svg>/g).map((m) => m[0]);
    const skip = svgs.find((s) => s.includes("Skip rate of recommended tracks (known)"))!;
    expect(skip).toContain("&lt;script&gt;alert(");
    expect(skip).not.toContain("<script");
    expect(escapeHtml(`a<b>"c"&'d'`)).toBe("a&lt;b&gt;&quot;c&quot;&amp;&#39;d&#39;");
  });
});

describe("renderReport edge cases", () => {
  it("renders an empty report with a note per section and no charts", () => {
    const empty: EvaluationReport = { title: "empty", created: "2026-01-01T00:00:00Z", command: "encore eval", dataset: {}, config: {}, training: [], protocols: [], reference: [] };
    const out = renderReport(empty);
    expect(out).toContain("No training episodes recorded.");
    expect(out).toContain("No reference figures given.");
    expect(out).not.toContain("<svg");
  });

  it("without an 'original' protocol shows only the original's figures; missing and non-finite estimates show a dash", () => {
    const r = fixtureReport({ episodes: 3 });
    r.protocols = r.protocols.filter((p) => p.protocol !== "original");
    r.protocols[0].metrics[0].values.ddpg = { mean: NaN, lo: NaN, hi: NaN, n: 0 };
    const out = renderReport(r);
    expect(out).toContain("This run has no <code>original</code> protocol");
    const table = /<table class="reference">[\s\S]*?<\/table>/.exec(out)![0];
    expect(count(table, `<span class="empty">not measured</span>`)).toBe(2 * r.reference.length);
    expect(out).toContain(`<th scope="row">ddpg</th><td class="num">–</td><td class="num">[–, –]</td>`);
  });

  it("renders a report read back from JSON (NaN became null)", () => {
    const r = fixtureReport({ episodes: 4 });
    const back = JSON.parse(JSON.stringify(r)) as EvaluationReport;
    expect(back.training[0].meanQ).toBeNull();
    const out = renderReport(back);
    const metrics = r.protocols.reduce((s, p) => s + p.metrics.length, 0);
    expect(count(out, "<svg ")).toBe(3 + metrics + r.reference.length);
    expect(out).toContain("Mean Q: "); // the series still has finite values after the gap
  });

  it("rejects a malformed report naming the field", () => {
    const r = fixtureReport({ episodes: 2 }) as unknown as Record<string, unknown>;
    expect(() => renderReport({ ...r, training: "x" } as unknown as EvaluationReport)).toThrow(/report\.training: expected an array/);
    const bad = fixtureReport({ episodes: 2 });
    (bad.protocols[1].metrics[2] as unknown as Record<string, unknown>).values = null;
    expect(() => renderReport(bad)).toThrow(/report\.protocols\[1\]\.metrics\[2\]\.values: expected an object/);
  });

  it("formats numbers to the decimals of the largest magnitude, without negative zero", () => {
    expect(decimalsFor([0.54, 0.49])).toBe(3);
    expect(decimalsFor([12.3, -4])).toBe(1);
    expect(decimalsFor([1234, 5])).toBe(0);
    expect(decimalsFor([0.000123])).toBe(6);
    expect(decimalsFor([NaN])).toBe(2);
    expect(formatNumber(-0.0001, 3)).toBe("0.000");
    expect(formatNumber(-0.25, 2)).toBe("-0.25");
    expect(formatNumber(null, 2)).toBe("–");
  });
});

describe("writeReport", () => {
  it("writes report.json and report.html atomically into a (new) directory", async () => {
    const root = await mkdtemp(join(tmpdir(), "encore-report-"));
    try {
      const dir = join(root, "runs", "a");
      const r = fixtureReport({ episodes: 6 });
      r.protocols = r.protocols.slice(0, 1); // fewer charts: this test is about the files
      const paths = await writeReport(dir, r);
      expect(paths).toEqual({ json: join(dir, "report.json"), html: join(dir, "report.html") });
      expect((await readdir(dir)).sort()).toEqual(["report.html", "report.json"]); // no temporary files left
      expect(await readFile(paths.html, "utf8")).toBe(renderReport(r));
      expect(JSON.parse(await readFile(paths.json, "utf8"))).toEqual(JSON.parse(JSON.stringify(r)));
      // Rewriting replaces both.
      r.title = "second";
      await writeReport(dir, r);
      expect(await readFile(paths.html, "utf8")).toContain("<title>second</title>");
      expect(JSON.parse(await readFile(paths.json, "utf8")).title).toBe("second");
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("writes nothing for a malformed report", async () => {
    const root = await mkdtemp(join(tmpdir(), "encore-report-"));
    try {
      const bad = { ...fixtureReport({ episodes: 1 }), protocols: null } as unknown as EvaluationReport;
      await expect(writeReport(root, bad)).rejects.toThrow(/report\.protocols/);
      expect(await readdir(root)).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
