// The worker-thread engine in a browser: Web Workers (src/engine/thread-web.ts, bundled with
// esbuild) on a shared WebAssembly.Memory, in Debian's headless Chromium. A page served with the
// COOP/COEP headers (cross-origin isolated) runs a top-k on two threads and must get one thread's
// result exactly, split into two parts; the same page served without them has no shared memory and
// falls back to one thread, saying why. Skips, saying why, when /usr/bin/chromium is missing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium, type Browser } from "playwright-core";
import { BUILD_FILES } from "../src/engine/engine.js";

const CHROMIUM = "/usr/bin/chromium";
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const missing = !existsSync(CHROMIUM);
if (missing) console.log(`web-threads.test.ts: browser tests skipped, ${CHROMIUM} not found (apt-get install chromium)`);

let dir = "";
let browser: Browser | null = null;
const servers: Server[] = [];

/** Serve `dir` on loopback, with the cross-origin isolation headers or without. */
function serve(isolated: boolean): Promise<string> {
  const types: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
  const server = createServer(async (req, res) => {
    const name = (req.url ?? "/").split("?")[0].replace(/^\/+/, "") || "index.html";
    if (name.includes("..") || name.includes("/")) { res.writeHead(404).end(); return; }
    try {
      const body = await readFile(join(dir, name));
      const headers: Record<string, string> = { "content-type": types[extname(name)] ?? "application/octet-stream" };
      if (isolated) Object.assign(headers, { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" });
      res.writeHead(200, headers).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  servers.push(server);
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(`http://127.0.0.1:${(server.address() as { port: number }).port}/`)));
}

beforeAll(async () => {
  if (missing) return;
  dir = await mkdtemp(join(tmpdir(), "encore-web-threads-"));
  await build({ entryPoints: [join(ROOT, "test/fixtures/threads-page.ts")], bundle: true, format: "esm", platform: "browser", outfile: join(dir, "page.js"), logLevel: "silent" });
  await build({ entryPoints: [join(ROOT, "src/engine/thread-web.ts")], bundle: true, format: "esm", platform: "browser", outfile: join(dir, "engine-thread.js"), logLevel: "silent" });
  for (const f of Object.values(BUILD_FILES)) await copyFile(join(ROOT, "build", f), join(dir, f));
  await writeFile(join(dir, "index.html"), `<!doctype html><meta charset="utf-8"><title>threads</title><script type="module" src="page.js"></script>`);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const s of servers) s.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Side { threads: number; simd: string; shared: boolean; parts: number; indices: number[]; scores: number[] }
async function runPage(url: string): Promise<{ isolated: boolean; one: Side; two: Side; notices: string[] }> {
  const page = await browser!.newPage();
  try {
    await page.goto(url);
    await page.waitForFunction(() => "runThreads" in window);
    return await page.evaluate(() => (window as unknown as { runThreads: () => Promise<{ isolated: boolean; one: Side; two: Side; notices: string[] }> }).runThreads());
  } finally {
    await page.close();
  }
}

describe.skipIf(missing)("worker-thread engine in Chromium", () => {
  it("cross-origin isolated: two Web Worker threads on the shared memory give one thread's top-k", async () => {
    const r = await runPage(await serve(true));
    expect(r.isolated).toBe(true);
    expect([r.one.threads, r.one.shared, r.one.parts]).toEqual([1, false, 1]);
    expect([r.two.threads, r.two.shared, r.two.parts]).toEqual([2, true, 2]);
    expect(r.two.simd).toBe(r.one.simd);
    expect(r.two.indices).toEqual(r.one.indices);
    expect(r.two.scores).toEqual(r.one.scores);
    expect(r.notices).toEqual([]);
  }, 60_000);

  it("not isolated: no shared memory, one thread, said once", async () => {
    const r = await runPage(await serve(false));
    expect(r.isolated).toBe(false);
    expect(r.two.threads).toBe(1);
    expect(r.two.indices).toEqual(r.one.indices);
    expect(r.notices.length).toBe(1);
    expect(r.notices[0]).toMatch(/^encore: running on one thread, not 2: .*cross-origin isolated/);
  }, 60_000);
});
