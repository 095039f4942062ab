// The browser demo end to end: a small model trained in Node with the CLI's pipeline, the page
// built around it (src/web/build.ts), served on loopback (src/web/serve.ts, also as `encore
// serve`), and driven in Debian's headless Chromium with playwright-core. The page's
// recommendations for a fixed 10-track history (entered through the search box) and the
// Worker's must equal `encore recommend`'s; a short training in the Worker draws its curve
// while the search box keeps answering; the model trained there recommends the same on the
// page as in the Worker. Saves build/web-screenshot.png. Chromium tests skip, saying why,
// when /usr/bin/chromium is missing.

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { buildWeb, type BuildWebResult } from "../src/web/build.js";
import { serveStatic, type StaticServer } from "../src/web/serve.js";
import { recommend, type Recommendation } from "../src/cli/pipeline.js";
import type { ScoredTrack } from "../src/index.js";
import { makeTinyModel, type TinyModel } from "./util/tiny-model.js";
// Node and the page/library must run the same build for identical recommendations: the SIMD128 one
// (encore.wasm, what this test serves), also for the CLI pipeline, which would take relaxed SIMD where it validates.
process.env.ENCORE_SIMD = "simd128";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SCREENSHOT = join(ROOT, "build", "web-screenshot.png");
const CLI = join(ROOT, "build", "js", "src", "cli", "main.js");

const missing = !existsSync(CHROMIUM);
if (missing) console.log(`web.test.ts: browser tests skipped, ${CHROMIUM} not found (apt-get install chromium)`);

let work = "";
let tiny: TinyModel;
let built: BuildWebResult;
let server: StaticServer;
let node: Recommendation[];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "encore-web-"));
  tiny = await makeTinyModel("encore-web-model-");
  built = await buildWeb({ out: join(work, "site"), demo: tiny.dir });
  server = await serveStatic({ dir: built.out });
  node = await recommend({ model: tiny.model, embeddings: tiny.embeddings, history: tiny.history });
}, 60_000);

afterAll(async () => {
  await server?.close();
  for (const d of [work, tiny?.dir]) if (d) await rm(d, { recursive: true, force: true });
});

/** A raw request (no URL normalisation by the client), for the server's path checks. */
function get(path: string, method = "GET"): Promise<{ status: number; type: string; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: "127.0.0.1", port: server.port, path, method }, (res) => {
      let body = "";
      res.setEncoding("latin1");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => ok({ status: res.statusCode ?? 0, type: String(res.headers["content-type"] ?? ""), body }));
    });
    req.on("error", fail);
    req.end();
  });
}

describe("web build and server", () => {
  it("builds the page, the bundles, the engine and the demo files", () => {
    expect(built.demo).toBe(true);
    const names = built.files.map((f) => f.name);
    expect(names).toEqual(["index.html", "app.js", "worker.js", "encore.js", "encore.wasm", "demo/model.encore", "demo/embeddings.bin", "demo/synth.json"]);
    for (const f of built.files) {
      expect(f.bytes, f.name).toBeGreaterThan(0);
      expect(f.gzip, f.name).toBeGreaterThan(0);
    }
  });

  it("serves files with their MIME types, and nothing outside its folder", async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    const index = await get("/");
    expect(index.status).toBe(200);
    expect(index.type).toBe("text/html; charset=utf-8");
    expect(index.body).toContain('<script type="module" src="app.js">');
    expect((await get("/encore.wasm")).type).toBe("application/wasm");
    expect((await get("/app.js")).type).toBe("text/javascript; charset=utf-8");
    expect((await get("/demo/synth.json")).type).toBe("application/json; charset=utf-8");
    expect((await get("/demo/model.encore")).type).toBe("application/octet-stream");
    const head = await get("/encore.wasm", "HEAD");
    expect([head.status, head.body]).toEqual([200, ""]);
    expect((await get("/nope.js")).status).toBe(404);
    expect((await get("/%2e%2e/%2e%2e/package.json")).status).toBe(404); // dot segments resolve to /package.json inside the folder
    expect((await get("/..%2fpackage.json")).status).toBe(403);
    expect((await get("/%E0%A4%A")).status).toBe(400);
    expect((await get("/", "POST")).status).toBe(405);
    await expect(serveStatic({ dir: join(work, "absent") })).rejects.toThrow(/absent: no such folder to serve/);
  });

  it.skipIf(!existsSync(CLI))("`encore serve` prints the address and serves until interrupted", async () => {
    const child = spawn(process.execPath, [CLI, "serve", "--dir", built.out], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const line = await new Promise<string>((ok, fail) => {
        let out = "";
        child.stdout.on("data", (c: Buffer) => {
          out += c.toString();
          if (out.includes("\n")) ok(out);
        });
        child.on("exit", (code) => fail(new Error(`encore serve exited ${code}`)));
      });
      const url = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(line)?.[1];
      expect(url, line).toBeDefined();
      const r = await fetch(new URL("encore.wasm", url));
      expect(r.headers.get("content-type")).toBe("application/wasm");
      expect((await r.arrayBuffer()).byteLength).toBe(built.files.find((f) => f.name === "encore.wasm")!.bytes);
      const exited = new Promise<number | null>((ok) => child.on("exit", (code) => ok(code)));
      child.kill("SIGINT");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 20_000);
});

describe.skipIf(missing)("demo page in headless Chromium", () => {
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];
  const foreign: string[] = [];

  beforeAll(async () => {
    context = await chromium.launchPersistentContext(join(work, "profile"), { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 1000 } });
    page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));
    context.on("request", (r) => {
      if (!r.url().startsWith(server.url) && !r.url().startsWith("blob:")) foreign.push(r.url());
    });
    await page.goto(server.url, { waitUntil: "load" });
    await page.evaluate(() => (window as unknown as { encoreDemo: { ready: Promise<void> } }).encoreDemo.ready);
  }, 60_000);

  afterAll(async () => {
    await context?.close();
  });

  const recsOnPage = (): Promise<{ trackId: string; score: number }[]> =>
    page.locator("#recs tbody tr").evaluateAll((rows) => rows.map((r) => ({ trackId: (r as HTMLElement).dataset.trackId!, score: Number((r as HTMLElement).dataset.score) })));
  const inWorker = (history: string[], source: "model" | "trained"): Promise<ScoredTrack[]> =>
    page.evaluate(([h, s]) => (window as unknown as { encoreDemo: { recommendInWorker(h: string[], s: string): Promise<ScoredTrack[]> } }).encoreDemo.recommendInWorker(h, s), [history, source] as const);

  function expectSameAsNode(got: { trackId: string; score: number }[]): void {
    expect(got.map((r) => r.trackId)).toEqual(node.map((r) => r.track_id));
    got.forEach((r, k) => expect(Math.abs(r.score - node[k].score), `score ${k}`).toBeLessThanOrEqual(1e-6 * Math.abs(node[k].score)));
  }

  it("loads the demo model, takes a history from the search box, recommends what Node does, on the page and in the Worker", async () => {
    await expect.poll(() => page.locator("#status").textContent()).toContain("engine ready");
    expect(await page.locator("#files").isHidden()).toBe(true);
    const search = page.locator("#search");
    for (const id of tiny.history) {
      await search.fill(id.slice(0, 12)); // a prefix: the result list must contain the track
      await page.locator(`#results li[data-track-id="${id}"] button`).click();
    }
    expect(await page.locator("#history li").evaluateAll((li) => li.map((l) => (l as HTMLElement).dataset.trackId))).toEqual(tiny.history);
    await expect.poll(() => page.locator("#recs tbody tr").count()).toBe(3);
    expectSameAsNode(await recsOnPage());
    expectSameAsNode(await inWorker(tiny.history, "model"));
    // the features of the synthetic tracks are shown beside them
    expect(await page.locator("#recs tbody tr").first().locator(".feat").textContent()).toMatch(/^genre \d+ · \d{4} · energy /);
    expect(errors).toEqual([]);
  }, 30_000);

  it("trains in the Worker with a live curve while the page keeps answering; the trained model recommends the same on the page and in the Worker", async () => {
    await page.locator("#episodes").fill("100000");
    await page.locator("#train").click();
    const points = () => page.locator("#curve").evaluate((el) => Number((el as HTMLElement).dataset.points ?? 0));
    await expect.poll(points, { timeout: 15_000 }).toBeGreaterThanOrEqual(10);
    // past the replay warm-up, episodes make updates and report the critic's loss
    await expect.poll(() => page.locator("#train-status").textContent()).toMatch(/critic loss \d/);
    // the UI answers while training runs: a search updates the result list, and training goes on
    const before = await points();
    const probe = tiny.history[4].slice(0, 10);
    await page.locator("#search").fill(probe);
    await expect.poll(() => page.locator("#results li").first().getAttribute("data-track-id")).toMatch(new RegExp(`^${probe}`));
    expect(await page.locator("#train").isDisabled()).toBe(true);
    await expect.poll(points).toBeGreaterThan(before);
    await page.locator("#stop").click();
    await expect.poll(() => page.locator("#train-status").textContent(), { timeout: 15_000 }).toMatch(/^stopped after \d+ episodes/);
    const status = (await page.locator("#train-status").textContent())!;
    const episodes = Number(/after (\d+) episodes/.exec(status)![1]);
    expect(await points()).toBe(episodes);
    expect(await page.locator("#curve polyline.reward").getAttribute("points")).toMatch(/^(\d+(\.\d+)?,\d+(\.\d+)? ){9,}/);

    await page.locator("#use-trained").click();
    await expect.poll(() => page.locator("#recs-note").textContent()).toContain(`trained in this page, ${episodes} episodes`);
    const mine = await recsOnPage();
    expect(mine).toHaveLength(3);
    const theirs = await inWorker(tiny.history, "trained");
    expect(mine.map((r) => r.trackId)).toEqual(theirs.map((r) => r.trackId));
    expect(mine.map((r) => r.score)).toEqual(theirs.map((r) => r.score));
    expect(await page.locator("#download").isVisible()).toBe(true);

    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
  }, 30_000);
});
