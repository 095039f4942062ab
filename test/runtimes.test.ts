// The runtime matrix: one probe (test/runtimes/probe.mjs: recommend with a trained model for
// fixed histories, then train a fresh agent 50 episodes against the synthetic listener and save
// it) run through the bundled library entry in Node 20 (this process's node), Node 22 and 24,
// Deno, Bun, Cloudflare workerd (through miniflare, the engine as a compiled module binding) and
// Chromium (a page and a module Worker). Every runtime's result must equal Node 20's bit for bit:
// each score and reward as its float64 bits, the trained model as its SHA-256. Also the example
// Worker (src/examples/cloudflare-worker/) answers POST /recommend in workerd as `encore recommend` does.
//
// The runtimes come from npm into .cache/runtimes/ (`node src/tools/runtimes.mjs install`, which
// .ci/run calls); a runtime that is not there is skipped with the reason printed.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { makeTinyModel, type TinyModel } from "./util/tiny-model.js";
import { recommend } from "../src/cli/pipeline.js";
import { serveStatic } from "../src/web/serve.js";
import { RUNTIMES, runtimeBinary } from "../src/tools/runtimes.mjs";
import { bundleLibrary } from "../src/tools/bundle.mjs";
process.env.ENCORE_SIMD = "simd128";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const PROBE_DIR = join(ROOT, "test", "runtimes");
const CHROMIUM = "/usr/bin/chromium";
const EPISODES = 50;

/** The part of miniflare's API used here. */
type MiniflareClass = new (o: Record<string, unknown>) => { dispatchFetch(url: string, init?: RequestInit): Promise<Response>; dispose(): Promise<void> };

let work = "";
let tiny: TinyModel;
let reference: unknown;

/** Run the CLI probe under `bin` (plus its arguments); its one JSON line. */
function runCli(bin: string, args: string[]): unknown {
  const r = spawnSync(bin, [...args, join(work, "run-cli.mjs"), work, String(EPISODES)], { encoding: "utf8", timeout: 120_000, env: { ...process.env, NO_COLOR: "1" } });
  if (r.status !== 0) throw new Error(`${bin} exited ${r.status}: ${r.stderr || r.error}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

// The matrix runs the release engine whatever ENCORE_WASM says: under `npm run test:debug` it would repeat `npm test`'s run.
const debugRun = process.env.ENCORE_WASM === "debug";
if (debugRun) console.log("runtimes.test.ts: skipped under ENCORE_WASM=debug (the matrix runs the release build; npm test ran it)");

beforeAll(async () => {
  if (debugRun) return;
  work = await mkdtemp(join(tmpdir(), "encore-runtimes-"));
  tiny = await makeTinyModel("encore-runtimes-model-");
  // the library entry bundled as one ES module with no bare imports: what every runtime loads
  await bundleLibrary(join(work, "encore.js")); // as `npm run build` makes build/encore.mjs, from the current sources
  for (const f of ["probe.mjs", "run-cli.mjs", "worker-probe.mjs", "page.html", "worker-page.mjs"]) copyFileSync(join(PROBE_DIR, f), join(work, f));
  copyFileSync(join(ROOT, "build", "encore.wasm"), join(work, "encore.wasm"));
  copyFileSync(tiny.model, join(work, "model.encore"));
  copyFileSync(tiny.embeddings, join(work, "embeddings.bin"));
  copyFileSync(tiny.synth, join(work, "synth.json"));
  const histories = [tiny.history, tiny.history.map((track, i) => ({ track, skipped: i % 3 === 1 })), [...tiny.history.slice(5), ...tiny.history.slice(0, 5)]];
  writeFileSync(join(work, "histories.json"), JSON.stringify(histories));
  // workerd's Data modules by extension
  copyFileSync(join(work, "synth.json"), join(work, "synth.json.bin"));
  copyFileSync(join(work, "histories.json"), join(work, "histories.json.bin"));
  reference = runCli(process.execPath, []);
}, 180_000);

afterAll(async () => {
  for (const d of [work, tiny?.dir]) if (d) await rm(d, { recursive: true, force: true });
});

describe.skipIf(debugRun)("runtime matrix: the probe bit for bit as in Node 20", () => {
  it(`Node ${process.versions.node} (the reference): its recommendations are the CLI's`, async () => {
    const ref = reference as { recommendations: [string, string][][]; training: { rewards: string[]; modelSha256: string } };
    const cli = await recommend({ model: tiny.model, embeddings: tiny.embeddings, history: tiny.history });
    expect(ref.recommendations[0].map((r) => r[0])).toEqual(cli.map((r) => r.track_id));
    expect(ref.training.rewards).toHaveLength(EPISODES);
    expect(ref.training.modelSha256).toMatch(/^[0-9a-f]{64}$/);
    // and the probe is deterministic: a second run in this runtime gives the same bits
    expect(runCli(process.execPath, [])).toEqual(reference);
  }, 120_000);

  for (const rt of RUNTIMES.filter((r) => r.kind === "cli")) {
    const bin = runtimeBinary(rt.name);
    if (!bin.path) console.log(`runtimes.test.ts: ${rt.label} skipped: ${bin.reason}`);
    it.skipIf(!bin.path)(`${rt.label}`, () => {
      expect(runCli(bin.path!, rt.args)).toEqual(reference);
    }, 120_000);
  }

  const mf = runtimeBinary("miniflare");
  if (!mf.path) console.log(`runtimes.test.ts: workerd (miniflare) skipped: ${mf.reason}`);
  it.skipIf(!mf.path)("workerd through miniflare (engine as a compiled module binding)", async () => {
    const { Miniflare } = (await import(pathToFileURL(mf.path!).href)) as { Miniflare: MiniflareClass };
    const m = new Miniflare({
      modulesRoot: work,
      modules: [
        { type: "ESModule", path: join(work, "worker-probe.mjs") },
        { type: "ESModule", path: join(work, "encore.js") },
        { type: "ESModule", path: join(work, "probe.mjs") },
        { type: "CompiledWasm", path: join(work, "encore.wasm") },
        ...["model.encore", "embeddings.bin", "synth.json.bin", "histories.json.bin"].map((f) => ({ type: "Data" as const, path: join(work, f) })),
      ],
      compatibilityDate: "2025-01-01",
    });
    try {
      const r = await m.dispatchFetch(`http://probe.test/?episodes=${EPISODES}`);
      const got = (await r.json()) as { error?: string };
      expect(got.error, got.error).toBeUndefined();
      expect(got).toEqual(reference);
    } finally {
      await m.dispose();
    }
  }, 180_000);

  it.skipIf(!mf.path)("the example Worker (src/examples/cloudflare-worker/) serves POST /recommend in workerd as `encore recommend` does", async () => {
    const { Miniflare } = (await import(pathToFileURL(mf.path!).href)) as { Miniflare: MiniflareClass };
    const dir = join(work, "example");
    mkdirSync(join(dir, "encore"), { recursive: true });
    copyFileSync(join(ROOT, "src", "examples", "cloudflare-worker", "worker.js"), join(dir, "worker.js"));
    copyFileSync(tiny.model, join(dir, "model.encore"));
    copyFileSync(tiny.embeddings, join(dir, "embeddings.bin"));
    // the package's names, as Wrangler resolves them: "encore" (the entry) and "encore/encore.wasm"
    const m = new Miniflare({
      modulesRoot: dir,
      modules: [
        { type: "ESModule", path: join(dir, "worker.js") },
        { type: "ESModule", path: join(dir, "encore"), contents: readFileSync(join(work, "encore.js"), "utf8") },
        { type: "CompiledWasm", path: join(dir, "encore", "encore.wasm"), contents: readFileSync(join(ROOT, "build", "encore.wasm")) },
        { type: "Data", path: join(dir, "model.encore") },
        { type: "Data", path: join(dir, "embeddings.bin") },
      ],
      compatibilityDate: "2025-01-01",
    });
    try {
      const cli = await recommend({ model: tiny.model, embeddings: tiny.embeddings, history: tiny.history });
      const r = await m.dispatchFetch("http://worker.test/recommend", { method: "POST", body: JSON.stringify({ history: tiny.history }) });
      const body = (await r.json()) as { recommendations: { track: string; score: number }[] };
      expect(r.status, JSON.stringify(body)).toBe(200);
      expect(body.recommendations.map((x) => [x.track, x.score])).toEqual(cli.map((x) => [x.track_id, x.score]));
      const bad = await m.dispatchFetch("http://worker.test/recommend", { method: "POST", body: "{" });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toMatch(/^malformed JSON/);
      expect((await m.dispatchFetch("http://worker.test/health")).status).toBe(200);
      expect((await m.dispatchFetch("http://worker.test/other")).status).toBe(404);
      // compiling the engine from bytes is what workerd refuses: the library says what to do instead
      const refused = new Miniflare({
        modules: [{ type: "ESModule", path: join(dir, "refused.mjs"), contents: 'import * as encore from "./encore"; export default { async fetch() { try { await encore.compileEngine(new Uint8Array(await (await fetch("http://wasm.test/")).arrayBuffer())); return new Response("compiled"); } catch (e) { return new Response(e.message); } } };' },
          { type: "ESModule", path: join(dir, "encore"), contents: readFileSync(join(work, "encore.js"), "utf8") }],
        modulesRoot: dir,
        compatibilityDate: "2025-01-01",
        outboundService: () => new Response(readFileSync(join(ROOT, "build", "encore.wasm"))),
      });
      try {
        expect(await (await refused.dispatchFetch("http://x.test/")).text()).toMatch(/Pass the engine as a compiled WebAssembly\.Module instead/);
      } finally {
        await refused.dispose();
      }
    } finally {
      await m.dispose();
    }
  }, 180_000);

  const noChromium = !existsSync(CHROMIUM);
  if (noChromium) console.log(`runtimes.test.ts: Chromium skipped: ${CHROMIUM} not found (apt-get install chromium)`);
  it.skipIf(noChromium)("Chromium: a page and a module Worker, cross-origin isolated", async () => {
    const server = await serveStatic({ dir: work });
    const context = await chromium.launchPersistentContext(join(work, "profile"), { executablePath: CHROMIUM, headless: true, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
    try {
      const page = await context.newPage();
      await page.goto(`${server.url}page.html?episodes=${EPISODES}`, { waitUntil: "load" });
      const r = (await page.evaluate(() => (window as unknown as { results: Promise<unknown> }).results)) as { page: unknown; worker: unknown; isolated: boolean };
      expect(r.isolated).toBe(true);
      expect(r.page).toEqual(reference);
      expect(r.worker).toEqual(reference);
    } finally {
      await context.close();
      await server.close();
    }
  }, 180_000);
});
