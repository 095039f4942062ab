// The library entry (src/index.ts) in Node: it reaches no Node built-in (bundled for the
// browser platform, which fails on any), its recommendations equal `encore recommend`'s for
// the same model and history, inputs come as bytes / Blob / Response / URL, bad input gets a
// clear error, and the trainer is deterministic and saves a model the CLI loads.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { compileEngine, createRecommender, createTrainer, loadEmbeddings, readBytes } from "../src/index.js";
import { loadModel, recommend } from "../src/cli/pipeline.js";
import { loadEmbeddings as loadEmbeddingsFile } from "../src/embed/file.js";
import { makeTinyModel, type TinyModel } from "./util/tiny-model.js";
// Node and the page/library must run the same build for identical recommendations: the SIMD128 one
// (encore.wasm, what this test serves), also for the CLI pipeline, which would take relaxed SIMD where it validates.
process.env.ENCORE_SIMD = "simd128";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const WASM = join(ROOT, "build", "encore.wasm");
let tiny: TinyModel;
let wasm: WebAssembly.Module;

beforeAll(async () => {
  tiny = await makeTinyModel("encore-lib-");
  wasm = await compileEngine(readFileSync(WASM));
}, 60_000);
afterAll(async () => {
  if (tiny) await rm(tiny.dir, { recursive: true, force: true });
});

describe("library entry", () => {
  it("bundles for the browser platform with no Node built-in reachable", async () => {
    const r = await build({ entryPoints: [join(ROOT, "src/index.ts")], bundle: true, platform: "browser", format: "esm", write: false, metafile: true, logLevel: "silent" });
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs.some((f) => f.endsWith("src/index.ts"))).toBe(true);
    expect(inputs.filter((f) => f.startsWith("node:") || /(^|\/)src\/cli\//.test(f))).toEqual([]);
    // and a module that does import one fails the same build (the check can fail)
    await expect(build({ stdin: { contents: "import { readFileSync } from 'node:fs'; console.log(readFileSync);" }, bundle: true, platform: "browser", write: false, logLevel: "silent" })).rejects.toThrow(/node:fs/);
  });

  it("recommends exactly what `encore recommend` does, from bytes, a Blob, a Response or a URL", async () => {
    const node = await recommend({ model: tiny.model, embeddings: tiny.embeddings, history: tiny.history });
    const modelBytes = readFileSync(tiny.model), embBytes = readFileSync(tiny.embeddings);
    const fromBytes = await createRecommender({ wasm: readFileSync(WASM), model: modelBytes, embeddings: embBytes });
    const fromBlob = await createRecommender({ wasm, model: new Blob([modelBytes]), embeddings: new Response(embBytes) });
    const server = await serveFiles({ "/model.encore": modelBytes, "/embeddings.bin": embBytes, "/encore.wasm": readFileSync(WASM) });
    try {
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const fromUrl = await createRecommender({ wasm: `${base}/encore.wasm`, model: new URL(`${base}/model.encore`), embeddings: `${base}/embeddings.bin` });
      await expect(createRecommender({ wasm, model: `${base}/missing.encore`, embeddings: embBytes })).rejects.toThrow(/model: could not fetch .*missing\.encore: HTTP 404/);
      for (const rec of [fromBytes, fromBlob, fromUrl]) {
        expect(rec.N).toBe(10);
        expect(rec.K).toBe(3);
        const got = rec.recommend(tiny.history);
        expect(got.map((r) => r.trackId)).toEqual(node.map((r) => r.track_id));
        expect(got.map((r) => r.score)).toEqual(node.map((r) => r.score));
        for (const r of got) {
          expect(rec.trackId(r.index)).toBe(r.trackId);
          expect(tiny.history).not.toContain(r.trackId);
        }
        expect(rec.recommend(tiny.history, 2)).toEqual(got.slice(0, 2));
        // only the last N count
        expect(rec.recommend(["anything", ...tiny.history])).toEqual(got);
      }
    } finally {
      server.close();
    }
  });

  it("searches the catalog by id prefix, then by substring", async () => {
    const emb = await loadEmbeddings(readFileSync(tiny.embeddings));
    const rec = await createRecommender({ wasm, model: readFileSync(tiny.model), embeddings: emb });
    const id = tiny.history[3];
    const hits = rec.searchTracks(id.slice(0, 6).toUpperCase(), 5);
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.length).toBeLessThanOrEqual(5);
    for (const h of hits) expect(h.toLowerCase().startsWith(id.slice(0, 6).toLowerCase())).toBe(true);
    expect(rec.searchTracks(id)).toEqual([id]);
    const mid = id.slice(10, 18);
    expect(rec.searchTracks(mid)).toContain(id);
    expect(rec.searchTracks("", 7)).toEqual(Array.from({ length: 7 }, (_, i) => rec.trackId(i)));
    expect(rec.searchTracks("no such track")).toEqual([]);
    expect(rec.indexOf(id)).toBeGreaterThanOrEqual(0);
    expect(rec.indexOf("nope")).toBe(-1);
  });

  it("rejects bad input with a clear message", async () => {
    const rec = await createRecommender({ wasm, model: readFileSync(tiny.model), embeddings: readFileSync(tiny.embeddings) });
    expect(() => rec.recommend(tiny.history.slice(0, 9))).toThrow(/at least N = 10 plays.*got 9/);
    expect(() => rec.recommend([...tiny.history.slice(0, 9), "t_nope"])).toThrow(/track 't_nope' is not in the model's catalog/);
    expect(() => rec.recommend(tiny.history, 4)).toThrow(/k must be an integer in 1\.\.3/);
    expect(() => rec.recommend(tiny.history, 0)).toThrow(/k must be/);
    await expect(createRecommender({ wasm, model: readFileSync(tiny.embeddings), embeddings: readFileSync(tiny.embeddings) })).rejects.toThrow(/model/);
    await expect(createRecommender({ wasm, model: readFileSync(tiny.model), embeddings: readFileSync(tiny.model) })).rejects.toThrow(/embeddings/);
    await expect(readBytes(42 as never, "model")).rejects.toThrow(/model: expected bytes, a Blob, a Response or a URL/);
  });

  it("trains deterministically against the listener; the saved model loads in the CLI and recommends the same", async () => {
    const listener = JSON.parse(readFileSync(tiny.synth, "utf8"));
    const opts = { wasm, embeddings: readFileSync(tiny.embeddings), listener, config: { batch: 8 }, seed: 3 };
    const a = await createTrainer(opts);
    const b = await createTrainer({ ...opts, listener: new Blob([readFileSync(tiny.synth)]) });
    const seen: number[] = [];
    const ma = await a.run(6, (m) => seen.push(m.episode));
    const mb = await b.run(6);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(ma).toEqual(mb);
    expect(a.episode).toBe(6);
    expect(a.history).toHaveLength(6);
    expect(ma.at(-1)!.updates).toBeGreaterThan(0);
    expect(ma.every((m) => Number.isFinite(m.reward) && m.steps === 4)).toBe(true);
    // an aborted run stops between episodes
    const ctl = new AbortController();
    const partial = await a.run(10, (m) => { if (m.episode === 8) ctl.abort(); }, ctl.signal);
    expect(partial.map((m) => m.episode)).toEqual([7, 8]);

    const bytes = a.saveModel();
    const live = a.recommender().recommend(tiny.history);
    const loaded = await createRecommender({ wasm, model: bytes, embeddings: readFileSync(tiny.embeddings) });
    expect(loaded.recommend(tiny.history)).toEqual(live);
    expect(loaded.header.meta?.env).toBe("listener");
    // the CLI's loader accepts it too
    const path = join(tiny.dir, "browser-trained.encore");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(path, bytes);
    const cli = await recommend({ model: path, embeddings: tiny.embeddings, history: tiny.history });
    expect(cli.map((r) => r.track_id)).toEqual(live.map((r) => r.trackId));
    const { header } = await loadModel(path, await loadEmbeddingsFile(tiny.embeddings));
    expect(header.trainer?.episode).toBe(8);
  });

  it("refuses a listener that is not the embeddings' data set", async () => {
    const listener = JSON.parse(readFileSync(tiny.synth, "utf8"));
    await expect(createTrainer({ wasm, embeddings: readFileSync(tiny.embeddings), listener: { ...listener, seed: listener.seed + 1 } })).rejects.toThrow(/not in the listener's catalog/);
    await expect(createTrainer({ wasm, embeddings: readFileSync(tiny.embeddings), listener: new Blob(['{"seed":"x"}']) })).rejects.toThrow(/listener: expected \{ seed, model \}/);
  });
});

function serveFiles(files: Record<string, Uint8Array>): Promise<Server> {
  const server = createServer((req, res) => {
    const body = files[req.url ?? ""];
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": req.url!.endsWith(".wasm") ? "application/wasm" : "application/octet-stream" }).end(body);
  });
  return new Promise((r) => server.listen(0, "127.0.0.1", () => r(server)));
}
