// The HTML report in a real browser: Debian's headless Chromium driven by playwright-core.
// Loads the report written by writeReport (FIXTURE data) from file://, checks that every chart
// is drawn with a non-zero size and a visible title, that nothing is requested but the page
// itself, that there are no console errors, that hostile text stays text, and that the page
// stays under 25,000 px tall at 1,400 px wide for reports shaped like the demo's (8,000
// training episodes, three protocols) and the real slice's (1,000 episodes, two protocols),
// with the summary on the first screen. Saves a screenshot to build/report-screenshot.png.
// Skips, saying why, when Chromium is missing.

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { writeReport } from "../src/report/write.js";
import { fixtureReport } from "./report-fixture.js";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SCREENSHOT = join(ROOT, "build", "report-screenshot.png");

const missing = !existsSync(CHROMIUM);
if (missing) console.log(`report-browser.test.ts: skipped, ${CHROMIUM} not found (apt-get install chromium)`);

interface Loaded {
  page: Page;
  errors: string[];
  requests: string[];
  dialogs: string[];
}

describe.skipIf(missing)("report in headless Chromium", () => {
  let work = "";
  let context: BrowserContext;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "encore-report-browser-"));
    context = await chromium.launchPersistentContext(join(work, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 900 },
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function load(dir: string, report: ReturnType<typeof fixtureReport>): Promise<Loaded> {
    const { html } = await writeReport(join(work, dir), report);
    const page = await context.newPage();
    const loaded: Loaded = { page, errors: [], requests: [], dialogs: [] };
    page.on("console", (m) => {
      if (m.type() === "error") loaded.errors.push(m.text());
    });
    page.on("pageerror", (e) => loaded.errors.push(e.message));
    page.on("request", (r) => loaded.requests.push(r.url()));
    page.on("dialog", (d) => {
      loaded.dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(pathToFileURL(html).href, { waitUntil: "load" });
    return loaded;
  }

  it("draws every chart with a size and a visible title, requests nothing else, logs no errors", async () => {
    const report = fixtureReport();
    const { page, errors, requests } = await load("sample", report);
    // constant metrics (the same figure for every policy) are stated, not charted
    const metrics = report.protocols.flatMap((p) => p.metrics).filter((m) => new Set(Object.values(m.values).flatMap((e) => [e.mean, e.lo, e.hi])).size > 1);
    const titles = ["Reward", "Critic loss", "Mean Q", "Exploration noise σ", "Critic calibration", ...metrics.map((m) => m.label), ...report.reference.map((r) => r.label)];

    expect(await page.title()).toBe(report.title);
    await expect.poll(() => page.locator("h1").isVisible()).toBe(true);
    const charts = page.locator("svg.chart");
    expect(await charts.count()).toBe(titles.length);
    expect(await page.locator("svg").count()).toBe(titles.length);
    for (let i = 0; i < titles.length; i++) {
      const chart = charts.nth(i);
      const box = await chart.boundingBox();
      expect(box, `chart ${i}`).not.toBeNull();
      expect(box!.width).toBeGreaterThan(200);
      expect(box!.height).toBeGreaterThan(100);
      expect(await chart.getAttribute("aria-label")).toContain(titles[i]);
      // The title is drawn as visible SVG text inside the chart (not only the hidden <title>).
      const drawn = chart.locator("text").filter({ hasText: new RegExp(`^${escapeRegExp(titles[i])}$`) });
      expect(await drawn.count(), `drawn title of chart ${i}: ${titles[i]}`).toBe(1);
      expect(await drawn.isVisible()).toBe(true);
      // Marks: training charts draw a line path, metric charts a dot per policy.
      expect(await chart.locator("path").count()).toBeGreaterThan(3);
    }
    // Every results table is laid out with a row per policy.
    const tables = page.locator("table.results");
    expect(await tables.count()).toBe(report.protocols.length);
    for (let i = 0; i < report.protocols.length; i++) {
      const policies = report.protocols[i].metrics.reduce((s, m) => s + Object.keys(m.values).length, 0);
      expect(await tables.nth(i).locator("tbody th[scope=row]").count()).toBe(policies);
      expect(await tables.nth(i).isVisible()).toBe(true);
    }
    expect(errors).toEqual([]);
    expect(requests).toEqual([page.url()]);

    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    await page.close();
  }, 30_000);

  it("stays under 25,000 px tall at 1,400 px wide, whatever the episode count, with the summary first", async () => {
    for (const [name, report] of [["demo-shaped", fixtureReport({ episodes: 8000 })], ["real-slice-shaped", fixtureReport({ episodes: 1000, realSlice: true })]] as const) {
      const { page, errors } = await load(name, report);
      await page.setViewportSize({ width: 1400, height: 900 });
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      console.log(`report-browser: ${name} report (${report.training.length} episodes) is ${height} px tall at 1400 px`);
      expect(height, name).toBeLessThan(25_000);
      expect(width, name).toBeLessThanOrEqual(1400);
      // the summary table is on the first screen
      const box = await page.locator("table.summary").boundingBox();
      expect(box!.y, name).toBeLessThan(900);
      expect(errors).toEqual([]);
      await page.close();
    }
  }, 60_000);

  it("shows hostile text as text: no script runs, no element is injected", async () => {
    const { page, errors, requests, dialogs } = await load("hostile", fixtureReport({ hostile: true, episodes: 5 }));
    expect(await page.title()).toContain(`<script>alert("x")</script>`); // shown literally
    expect(await page.locator("script, img, iframe").count()).toBe(0);
    expect(await page.locator("style").count()).toBe(1 + (await page.locator("svg style").count()));
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    expect(requests).toEqual([page.url()]);
    await page.close();
  }, 30_000);
});

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
