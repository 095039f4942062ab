// The HTML evaluation report: summary first (verdicts from paired differences, small-n flags),
// configuration without per-episode data, readable training curves (moving averages, reference
// lines, constant series stated), results and paired tables with n, number formatting,
// escaping, determinism, edge cases and writeReport, checked on the seeded FIXTURE reports of
// test/report-fixture.ts (made-up figures: they exercise the layout only).

import { describe, it, expect } from "vitest";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EvaluationReport, MetricResult } from "../src/eval/types.js";
import { flattenConfig, noiseSchedule, renderReport } from "../src/report/report.js";
import { writeReport } from "../src/report/write.js";
import { decimalsFor, escapeHtml, formatDifference, formatField, formatFigure, formatNumber } from "../src/report/format.js";
import { bestBaseline, configOfTraining, summarize, trainingReferencesFrom } from "../src/report/summary.js";
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

/** The rows of a metric's <tbody> in a table: row name → its <td> cells' text. */
function metricRows(section: string, tableClass: string, metricId: string): Map<string, string[]> {
  const table = new RegExp(`<table class="${tableClass}">([\\s\\S]*?)</table>`).exec(section)![1];
  const bodies = all(table, /<tbody>([\s\S]*?)<\/tbody>/g).map((m) => m[1]);
  const body = bodies.find((b) => b.includes(`<code>${escapeHtml(metricId)}</code>`));
  if (!body) throw new Error(`no table body for ${metricId}`);
  const rows = new Map<string, string[]>();
  for (const tr of all(body, /<tr[^>]*>([\s\S]*?)<\/tr>/g)) {
    const name = /<th scope="row">([^<]*)<\/th>/.exec(tr[1]);
    if (!name) continue;
    rows.set(name[1], all(tr[1], /<td[^>]*>([\s\S]*?)<\/td>/g).map((m) => m[1]));
  }
  return rows;
}

const metricsOf = (r: EvaluationReport): MetricResult[] => r.protocols.flatMap((p) => p.metrics);
const isConstant = (m: MetricResult) => Object.values(m.values).every((e) => e.mean === e.lo && e.lo === e.hi && e.mean === Object.values(m.values)[0].mean);

describe("renderReport on the fixture report", () => {
  it("is one self-contained HTML document: doctype, lang, title, inline style, no scripts or external requests", () => {
    expect(html.startsWith("<!DOCTYPE html>\n<html lang=\"en\">")).toBe(true);
    expect(html).toContain(`<title>${escapeHtml(report.title)}</title>`);
    expect(html).toContain(`<h1>${escapeHtml(report.title)}</h1>`);
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
    expect(html).not.toMatch(/<script|<link|<iframe|<img|@import/i);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*"(?!#|report\.json")/i); // in-page anchors and the report.json beside it
    expect(html).not.toMatch(/url\(\s*['"]?(https?:|\/\/)/i);
    expect(html.trimEnd().endsWith("</html>")).toBe(true);
  });

  it("opens with the summary: the first section, before training and the protocols", () => {
    const ids = all(html, /<section id="([^"]+)"/g).map((m) => m[1]);
    expect(ids[0]).toBe("summary");
    expect(ids[1]).toBe("training");
    expect(ids[ids.length - 1]).toBe("run");
    const nav = /<nav[\s\S]*?<\/nav>/.exec(html)![0];
    expect(nav.indexOf("#summary")).toBeLessThan(nav.indexOf("#training"));
  });

  it("summary: one row per headline metric, the agent against the best baseline (never the oracle), the paired difference and its verdict", () => {
    const summary = sectionOf(html, "Summary");
    const rows = all(/<table class="summary">[\s\S]*?<\/table>/.exec(summary)![0], /<tr><th scope="row">([\s\S]*?)<\/tr>/g).map((m) => m[1]);
    const headline = report.protocols.flatMap((p) => p.headline.map((id) => ({ p, m: p.metrics.find((x) => x.metric === id)! })));
    expect(rows.length).toBe(headline.length);
    headline.forEach(({ p, m }, i) => {
      const row = rows[i];
      expect(row).toContain(`<code>${escapeHtml(m.metric)}</code>`);
      expect(row).toContain(m.direction === "lower" ? "lower is better" : "higher is better");
      // the best baseline worked out here: best mean in the direction, not the agent, the oracle or logged
      const candidates = Object.entries(m.values).filter(([k]) => !["ddpg", "oracle", "logged"].includes(k));
      candidates.sort((a, b) => (m.direction === "lower" ? a[1].mean - b[1].mean : b[1].mean - a[1].mean));
      const [best] = candidates[0];
      expect(row).toContain(`<strong>${escapeHtml(best)}</strong>`);
      const pd = p.paired.find((d) => d.metric === m.metric && d.baseline === best)!;
      const d = decimalsFor(Object.values(m.values).flatMap((e) => [e.mean, e.lo, e.hi]));
      expect(row).toContain(escapeHtml(formatDifference(pd.difference, d)));
      expect(row).toMatch(new RegExp(`<td class="verdict v-[a-z-]+">${pd.verdict}</td>$`));
    });
    // the oracle is mentioned as the ceiling, not as a baseline
    expect(summary).toContain("the oracle, which knows the listener&#39;s true skip probabilities");
    expect(summary).not.toMatch(/<strong>oracle<\/strong>/);
    // the last periodic evaluation of training is in the summary
    const last = [...report.training].reverse().find((e) => e.evalPredictedQ !== undefined)!;
    expect(summary).toContain(`(episode ${last.episode}): predicted Q ${formatFigure(last.evalPredictedQ)}, measured discounted return ${formatFigure(last.evalReturn)}`);
  });

  it("the summary paragraph tallies the verdicts it shows", () => {
    const s = summarize(report);
    const tally = (v: string) => s.rows.filter((r) => r.verdict === v).length;
    expect(s.paragraph).toContain(`better on ${tally("better")}, no different on ${tally("no different")}, worse on ${tally("worse")} of ${s.rows.length} headline figures`);
    expect(s.rows.length).toBe(5);
  });

  it("the caveat on the original protocol's skip rate groups its n like every other count", () => {
    const r = structuredClone(fixtureReport({ realSlice: true, episodes: 50 }));
    const original = r.protocols.find((p) => p.protocol === "original")!;
    original.metrics.find((m) => m.metric === "skip_rate")!.values.ddpg.n = 1786;
    const caveat = summarize(r).caveats.find((c) => c.startsWith("In the original protocol"));
    expect(caveat).toMatch(/it rests on n = 1,786 sessions\.$/);
  });

  it("flags figures on fewer than 30 units as small n: the summary, the tables and the original project's comparison", () => {
    const real = fixtureReport({ realSlice: true, episodes: 50 });
    const out = renderReport(real);
    const summary = sectionOf(out, "Summary");
    const skipRow = /<tr><th scope="row">[^\n]*skip_rate[\s\S]*?<\/tr>/.exec(/<table class="summary">[\s\S]*?<\/table>/.exec(summary)![0])![0];
    expect(skipRow).toContain("n = 10 <span class=\"smalln\"");
    expect(summary).toMatch(/One figure rests on fewer than 30 units and is marked small n: original skip_rate \(n = 10\)/);
    expect(summary).toMatch(/In the original protocol \d+\.\d% of ddpg&#39;s recommendations never appear in the session, so its skip rate judges only the rest: it rests on n = 10 sessions\./);
    const original = sectionOf(out, "Protocol: original");
    const rows = metricRows(original, "results", "skip_rate");
    expect(rows.get("ddpg")![2]).toContain("10 <span class=\"smalln\"");
    expect(rows.get("popular")![2]).not.toContain("smalln");
    const ref = sectionOf(out, "Original project's figures beside ours");
    expect(ref).toMatch(/Our ddpg skip rate of recommended tracks rests on n = 10 sessions: too few/);
    // the full fixture has no small n in its summary
    expect(sectionOf(html, "Summary")).not.toContain("smalln");
  });

  it("configuration holds configuration only, flattened, numbers formatted; the dataset's rates as percentages", () => {
    const run = sectionOf(html, "Run");
    expect(run).toContain(`<code>${escapeHtml(report.command)}</code>`);
    expect(run).toContain(report.created);
    for (const [k, v] of Object.entries(report.dataset)) expect(run).toContain(`<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(formatField(k, v))}</td></tr>`);
    expect(run).toContain(`<tr><th scope="row">training.train.noise.sigma</th><td>0.200</td></tr>`);
    expect(run).toContain(`<tr><th scope="row">hidden</th><td>[256,128]</td></tr>`);
    expect(formatField("skip_rate", 0.5173269059596556)).toBe("51.7%");
    expect(formatField("sessions", 5955)).toBe("5,955");
    expect(formatField("tracks_with_features", 188)).toBe("188");
  });

  it("long configuration values are cut and point to report.json; per-episode records never reach the page", () => {
    const rows = flattenConfig({ a: { b: { c: { d: { e: [1, 2, 3] } } } }, long: "x".repeat(1000), list: Array.from({ length: 500 }, (_, i) => i) });
    expect(rows[0]).toEqual(["a.b.c.d", `{"e":[1,2,3]}`]);
    expect(rows[1][1]).toMatch(/^x{240}… \(1,000 characters; whole in report\.json\)$/);
    expect(rows[2][1]).toMatch(/… \(1,891 characters; whole in report\.json\)$/);
    const many = flattenConfig(Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`k${i}`, i])));
    expect(many.length).toBe(81);
    expect(many[80]).toEqual(["…", "40 more fields in report.json"]);
    // the pipeline's configuration leaves the per-episode records out
    expect(configOfTraining({ env: "listener", steps: 4, training: report.training })).toEqual({ env: "listener", steps: 4 });
    // the page does not grow with the episodes: 8,000 episodes give a page about the size of 100's
    const small = renderReport(fixtureReport({ episodes: 100 })), big = renderReport(fixtureReport({ episodes: 8000 }));
    expect(big.length).toBeLessThan(1.5 * small.length);
    expect(big).not.toContain(`"episode":`);
  });

  it("results table per protocol: every metric and policy row, mean and CI to the metric's decimals, n, the right direction label", () => {
    let rowsSeen = 0;
    for (const p of report.protocols) {
      const section = sectionOf(html, `Protocol: ${escapeHtml(p.protocol)}`);
      expect(count(section, `<table class="results">`)).toBe(1);
      expect(section).toContain(`<th scope="col">95% CI</th>`);
      for (const m of p.metrics) {
        expect(section).toContain(escapeHtml(m.label));
        const rows = metricRows(section, "results", m.metric);
        const body = /<tbody>[\s\S]*?<\/tbody>/g;
        const mine = [...section.matchAll(body)].map((x) => x[0]).find((b) => b.includes(`<code>${escapeHtml(m.metric)}</code>`))!;
        expect(mine).toContain(m.direction === "neutral" ? "neutral: neither better nor worse" : `${m.direction} is better`);
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
          expect(n.startsWith(formatFigure(e.n))).toBe(true);
          rowsSeen++;
        }
      }
    }
    const expected = report.protocols.reduce((s, p) => s + p.metrics.reduce((t, m) => t + Object.keys(m.values).length, 0), 0);
    expect(rowsSeen).toBe(expected);
    expect(rowsSeen).toBeGreaterThan(FIXTURE_POLICIES.length * 3);
    // "unknown" and steps per episode are neutral
    expect(report.protocols[0].metrics.find((m) => m.metric === "unknown")!.direction).toBe("neutral");
  });

  it("paired table per protocol: the agent minus each other policy, with n and verdict", () => {
    for (const p of report.protocols) {
      const section = sectionOf(html, `Protocol: ${escapeHtml(p.protocol)}`);
      for (const id of p.headline) {
        const rows = metricRows(section, "paired", id);
        const mine = p.paired.filter((d) => d.metric === id);
        expect([...rows.keys()]).toEqual(mine.map((d) => d.baseline));
        const m = p.metrics.find((x) => x.metric === id)!;
        const dec = decimalsFor(Object.values(m.values).flatMap((e) => [e.mean, e.lo, e.hi]));
        for (const d of mine) {
          const [diff, n, verdict] = rows.get(d.baseline)!;
          expect(diff).toBe(escapeHtml(formatDifference(d.difference, dec)));
          expect(n.startsWith(String(d.difference.n))).toBe(true);
          expect(verdict).toBe(d.verdict);
        }
      }
    }
  });

  it("marks the DDPG rows and draws DDPG in the highlight colour", () => {
    const ddpgRows = all(html, /<tr class="hl"><th scope="rowgroup"[\s\S]*?<th scope="row">ddpg<\/th>|<tr class="hl"><th scope="row">ddpg<\/th>/g);
    const metricsWithDdpg = report.protocols.reduce((s, p) => s + p.metrics.filter((m) => m.values.ddpg).length, 0);
    expect(ddpgRows.length).toBe(metricsWithDdpg);
    expect(count(html, `<tr class="hl"><th scope="row">random</th>`)).toBe(0);
  });

  it("charts: training curves that vary, the calibration, every metric that varies, every reference figure; all accessible", () => {
    const charted = metricsOf(report).filter((m) => !isConstant(m));
    expect(metricsOf(report).length - charted.length).toBe(1); // steps per episode: 4 for everyone
    // reward, critic loss, mean Q, noise (it decays in the fixture), calibration; steps are constant
    const trainingCharts = ["Reward", "Critic loss", "Mean Q", "Exploration noise σ", "Critic calibration"];
    const svgs = all(html, /<svg [^>]*>/g).map((m) => m[0]);
    expect(svgs.length).toBe(trainingCharts.length + charted.length + report.reference.length);
    expect(count(html, "</svg>")).toBe(svgs.length);
    for (const open of svgs) {
      expect(open).toMatch(/^<svg role="img" aria-label="[^"]+" class="chart" /);
      expect(open).toMatch(/viewBox="0 0 \d+ \d+"/);
    }
    for (const m of all(html, /<svg role="img" aria-label="([^"]+)"[^>]*><title>([^<]+)<\/title>/g)) expect(m[2]).toBe(m[1]);
    for (const title of trainingCharts) expect(html).toContain(`aria-label="${escapeHtml(title)} (`);
    for (const m of charted) expect(html).toContain(`aria-label="${escapeHtml(m.label)} (`);
    expect(html).not.toContain(`aria-label="Steps per episode`);
    expect(html).not.toMatch(/\bzr\d+-/);
    expect(html).not.toContain("ecmeta_");
  });

  it("training: moving average over the faint raw series, reference lines, constants stated, the noise schedule", () => {
    const training = sectionOf(html, "Training");
    expect(training).toContain(`${report.training.length} episodes, ${formatFigure(report.training.length * 200)} steps`);
    expect(training).toContain("Constant throughout, so not charted: Steps per episode: 200 in every episode.");
    expect(training).toContain("Exploration noise schedule: ou, σ_t = max(σ_min, σ_0 · decay^t) per draw with σ_0 = 0.200, σ_min = 0, decay = 0.970: from 0.200 down to 0.");
    const reward = /<svg role="img" aria-label="Reward \([\s\S]*?<\/svg>/.exec(training)![0];
    for (const label of ["random 38.2", "popular 55.9", "oracle 90.1"]) expect(reward).toContain(`>${label}<`);
    expect(reward).toContain(">every episode<");
    expect(reward).toMatch(/>moving average \(5\)</);
    expect(training).toContain("Dashed lines: random 38.2, popular 55.9, oracle 90.1, the FIXTURE online protocol.");
    const firstQ = report.training.find((e) => Number.isFinite(e.meanQ))!;
    expect(training).toContain(`Mean Q: ${formatFigure(firstQ.meanQ)} at episode ${firstQ.episode}`);
    // a constant noise is stated as never decaying
    const flat = fixtureReport({ episodes: 20 });
    for (const e of flat.training) e.noise = 2;
    (flat.config.training as { train: { noise: unknown } }).train.noise = { kind: "gaussian", sigma: 2, sigmaMin: 2, decay: 1 };
    const flatHtml = sectionOf(renderReport(flat), "Training");
    expect(flatHtml).toContain("Exploration noise σ: 2 in every episode (the noise never decays)");
    expect(flatHtml).toContain("constant at 2 (it never decays)");
    expect(flatHtml).not.toContain(`aria-label="Exploration noise`);
    expect(noiseSchedule({})).toBeNull();
    // a loss spanning more than two decades is drawn on a log scale, with rounded tick labels
    const steep = fixtureReport({ episodes: 60 });
    steep.training.forEach((e, i) => (e.criticLoss = 2 * 10 ** (-i / 15)));
    const steepHtml = sectionOf(renderReport(steep), "Training");
    expect(steepHtml).toContain(`aria-label="Critic loss (mean TD loss of the episode&#39;s updates; log scale)"`);
    expect(steepHtml).not.toMatch(/0\.0000\d{6}/);
    expect(html).not.toContain("log scale");
  });

  it("sets the original project's figures beside ours from the 'original' protocol, as percentages, with n", () => {
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
        expect(section).toContain(`${pct(e.mean)} [${pct(e.lo)}, ${pct(e.hi)}]<br><span class="n">n = ${e.n}</span>`);
      }
    }
    expect(section).toContain("paired ddpg − logged on the same sessions:");
    expect(count(section, "<svg ")).toBe(report.reference.length);
  });

  it("is deterministic: the same report gives the same HTML, whatever was rendered before", () => {
    const other = renderReport(fixtureReport({ seed: 7, episodes: 5 }));
    expect(other).not.toBe(html);
    expect(renderReport(fixtureReport())).toBe(html);
  });
});

describe("summary pieces", () => {
  it("best baseline: by direction, never the agent or a reference; none for a neutral metric", () => {
    const m: MetricResult = {
      metric: "x", label: "x", direction: "lower",
      values: { ddpg: { mean: 0.1, lo: 0, hi: 0.2, n: 40 }, oracle: { mean: 0.01, lo: 0, hi: 0.02, n: 40 }, logged: { mean: 0.05, lo: 0, hi: 0.1, n: 40 }, random: { mean: 0.5, lo: 0.4, hi: 0.6, n: 40 }, popular: { mean: 0.3, lo: 0.2, hi: 0.4, n: 40 }, nan: { mean: NaN, lo: NaN, hi: NaN, n: 0 } },
    };
    expect(bestBaseline(m)!.name).toBe("popular");
    expect(bestBaseline({ ...m, direction: "higher" })!.name).toBe("random");
    expect(bestBaseline({ ...m, direction: "neutral" })).toBeUndefined();
    // a figure on fewer than 30 units competes only when nothing has more
    const tiny = { ...m, values: { ...m.values, lucky: { mean: 0, lo: 0, hi: 0, n: 1 } } };
    expect(bestBaseline(tiny)!.name).toBe("popular");
    expect(bestBaseline({ ...m, values: { ddpg: m.values.ddpg, lucky: { mean: 0, lo: 0, hi: 0, n: 1 } } })!.name).toBe("lucky");
  });

  it("training references come from the online protocol's episode reward", () => {
    const refs = trainingReferencesFrom(report.protocols)!;
    const online = report.protocols.find((p) => p.protocol === "online")!.metrics[0];
    expect(refs.values).toEqual({ random: online.values.random.mean, popular: online.values.popular.mean, oracle: online.values.oracle.mean });
    expect(trainingReferencesFrom(report.protocols.slice(0, 2))).toBeUndefined();
  });

  it("formats numbers one way: 3 significant digits, grouped integers, signed differences", () => {
    expect(formatFigure(0.5173269059596556)).toBe("0.517");
    expect(formatFigure(12.345)).toBe("12.3");
    expect(formatFigure(1234.5)).toBe("1,235");
    expect(formatFigure(9979)).toBe("9,979");
    expect(formatFigure(0.00015)).toBe("0.000150");
    expect(formatFigure(-0.0000001)).toBe("-1.00e-7");
    expect(formatFigure(NaN)).toBe("–");
    expect(formatDifference({ mean: 0.0123, lo: -0.004, hi: 0.0271, n: 9 }, 3)).toBe("+0.012 [-0.004, +0.027]");
    expect(formatDifference({ mean: 0, lo: 0, hi: 0, n: 9 }, 2)).toBe("0.00 [0.00, 0.00]");
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
    expect(out).toContain("No headline figures were evaluated.");
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
    expect(out).toContain("Mean Q: "); // the series still has finite values after the gap
  });

  it("reads a report written before directions, units and paired differences (lowerIsBetter)", () => {
    const r = fixtureReport({ episodes: 4 }) as unknown as { protocols: Record<string, unknown>[] };
    for (const p of r.protocols) {
      delete p.unit;
      delete p.headline;
      delete p.paired;
      for (const m of p.metrics as Record<string, unknown>[]) {
        m.lowerIsBetter = m.direction === "lower";
        delete m.direction;
      }
    }
    const out = renderReport(r as unknown as EvaluationReport);
    expect(out).toContain("lower is better");
    expect(out).not.toContain(`<table class="paired">`);
  });

  it("rejects a malformed report naming the field", () => {
    const r = fixtureReport({ episodes: 2 }) as unknown as Record<string, unknown>;
    expect(() => renderReport({ ...r, training: "x" } as unknown as EvaluationReport)).toThrow(/report\.training: expected an array/);
    const bad = fixtureReport({ episodes: 2 });
    (bad.protocols[1].metrics[2] as unknown as Record<string, unknown>).values = null;
    expect(() => renderReport(bad)).toThrow(/report\.protocols\[1\]\.metrics\[2\]\.values: expected an object/);
    const dir = fixtureReport({ episodes: 2 });
    (dir.protocols[0].metrics[0] as unknown as Record<string, unknown>).direction = "up";
    expect(() => renderReport(dir)).toThrow(/report\.protocols\[0\]\.metrics\[0\]\.direction: expected "higher", "lower" or "neutral"/);
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
