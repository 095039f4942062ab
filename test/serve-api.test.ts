// The HTTP recommend API (src/api.ts) as `encore serve` runs it (src/web/serve.ts): a small model
// trained with the CLI's pipeline, served on loopback; POST /api/recommend must give exactly the
// list `encore recommend` gives, GET /api/health the model's shape, and every bad request a 4xx
// with a one-line JSON error while the server keeps answering; every response carries the
// cross-origin isolation headers. The fetch-style handler (what a Worker runs) answers the same.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { request } from "node:http";
import { recommend, type Recommendation } from "../src/cli/pipeline.js";
import { openRecommender } from "../src/cli/library.js";
import { serveStatic, type StaticServer } from "../src/web/serve.js";
import { handleApi, type Recommender } from "../src/index.js";
import { makeTinyModel, type TinyModel } from "./util/tiny-model.js";
// the CLI pipeline and the recommender on one build, for bit-identical scores
process.env.ENCORE_SIMD = "simd128";

let tiny: TinyModel;
let rec: Recommender;
let server: StaticServer;
let node: Recommendation[];
const MAX = 4096;
const CLI = join(resolve(dirname(fileURLToPath(import.meta.url)), ".."), "build", "js", "src", "cli", "main.js");

beforeAll(async () => {
  tiny = await makeTinyModel("encore-api-");
  rec = await openRecommender(tiny.model, tiny.embeddings);
  server = await serveStatic({ dir: null, recommender: rec, maxBody: MAX });
  node = await recommend({ model: tiny.model, embeddings: tiny.embeddings, history: tiny.history });
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (tiny) await rm(tiny.dir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request; `chunks` are written one by one (no Content-Length: chunked transfer). */
function call(method: string, path: string, body?: string | string[], srv: StaticServer = server): Promise<Reply> {
  return new Promise((ok, fail) => {
    const chunked = Array.isArray(body);
    const headers: Record<string, string | number> = { "content-type": "application/json" };
    if (typeof body === "string") headers["content-length"] = Buffer.byteLength(body);
    const req = request({ host: "127.0.0.1", port: srv.port, path, method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => ok({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on("error", fail);
    if (chunked) for (const c of body) req.write(c);
    else if (body !== undefined) req.write(body);
    req.end();
  });
}

const post = (body: unknown): Promise<Reply> => call("POST", "/api/recommend", typeof body === "string" ? body : JSON.stringify(body));

function expectError(r: Reply, status: number, pattern: RegExp): void {
  expect(r.status, r.body).toBe(status);
  expect(r.headers["content-type"]).toBe("application/json; charset=utf-8");
  expect(r.body.trimEnd()).not.toContain("\n"); // one line
  const parsed = JSON.parse(r.body) as { error: string };
  expect(Object.keys(parsed)).toEqual(["error"]);
  expect(parsed.error).toMatch(pattern);
}

describe("encore serve: the recommend API", () => {
  it("recommends exactly what `encore recommend` does, for ids and for {track, skipped} items", async () => {
    const r = await post({ history: tiny.history, k: 3 });
    expect(r.status, r.body).toBe(200);
    expect(r.body.endsWith("}\n")).toBe(true);
    const got = JSON.parse(r.body) as { recommendations: { rank: number; track: string; score: number }[]; explanation: string };
    expect(got.recommendations.map((x) => x.track)).toEqual(node.map((x) => x.track_id));
    expect(got.recommendations.map((x) => x.score)).toEqual(node.map((x) => x.score)); // JSON round-trips doubles exactly
    expect(got.recommendations.map((x) => x.rank)).toEqual([1, 2, 3]);
    expect(got.explanation).toBe(rec.scoreExplanation);

    const withSkip = tiny.history.map((track, i) => ({ track, skipped: i === 4 }));
    const nodeSkip = await recommend({ model: tiny.model, embeddings: tiny.embeddings, history: withSkip });
    const s = JSON.parse((await post({ history: withSkip })).body) as { recommendations: { track: string; score: number }[] };
    expect(s.recommendations.map((x) => [x.track, x.score])).toEqual(nodeSkip.map((x) => [x.track_id, x.score]));

    // k below K: the first k; a longer history: its last N plays
    const one = JSON.parse((await post({ history: tiny.history, k: 1 })).body) as { recommendations: { track: string }[] };
    expect(one.recommendations.map((x) => x.track)).toEqual([node[0].track_id]);
    const longer = JSON.parse((await post({ history: [tiny.history[3], ...tiny.history] })).body) as { recommendations: { track: string }[] };
    expect(longer.recommendations.map((x) => x.track)).toEqual(node.map((x) => x.track_id));
  });

  it("answers /api/health with the model's shape", async () => {
    const r = await call("GET", "/api/health");
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ status: "ok", N: rec.N, K: rec.K, catalogSize: rec.catalogSize, d: rec.d });
    expect(r.headers["cache-control"]).toBe("no-store");
  });

  it("sends the cross-origin isolation headers on every response", async () => {
    for (const r of [await call("GET", "/api/health"), await post("{"), await call("GET", "/index.html")]) {
      expect(r.headers["cross-origin-opener-policy"]).toBe("same-origin");
      expect(r.headers["cross-origin-embedder-policy"]).toBe("require-corp");
    }
  });

  it("refuses bad requests with a 4xx and a one-line JSON error, and keeps serving", async () => {
    const h = tiny.history;
    expectError(await post("{\"history\": ["), 400, /^malformed JSON: /);
    expectError(await post(""), 400, /^malformed JSON/);
    expectError(await post("[1, 2]"), 400, /expected a JSON object/);
    expectError(await post("null"), 400, /expected a JSON object/);
    expectError(await post({ k: 3 }), 400, /"history" must be an array/);
    expectError(await post({ history: h.join(",") }), 400, /"history" must be an array/);
    expectError(await post({ history: [...h.slice(0, 9), 42] }), 400, /^history item 9 must be a track id/);
    expectError(await post({ history: [...h.slice(0, 9), { id: h[9] }] }), 400, /^history item 9 must be a track id/);
    expectError(await post({ history: [...h.slice(0, 9), { track: h[9], skipped: "yes" }] }), 400, /^history item 9: "skipped" must be true or false, got "yes"/);
    for (const k of [0, 4, 1.5, "3", null]) expectError(await post({ history: h, k }), 400, /^"k" must be an integer from 1 to 3/);
    expectError(await post({ history: [...h.slice(0, 9), "t_nope"] }), 422, /^history item 9: track "t_nope" is not in the model's catalog/);
    expectError(await post({ history: h.slice(0, 9) }), 422, /needs at least N = 10 plays.*got 9/);
    expectError(await post({ history: Array.from({ length: 20_000 }, () => "") }), 413, /over 4096 bytes/); // by Content-Length
    expectError(await call("POST", "/api/recommend", ["{\"history\": [", "\"x\",".repeat(2000), "]}"]), 413, /over 4096 bytes/); // chunked, counted while reading
    expectError(await call("GET", "/api/recommend"), 405, /use POST/);
    expectError(await call("POST", "/api/health", "{}"), 405, /use GET/);
    expectError(await call("GET", "/api/other"), 404, /no API endpoint \/api\/other/);
    // still up, and still right
    const again = JSON.parse((await post({ history: h })).body) as { recommendations: { track: string }[] };
    expect(again.recommendations.map((x) => x.track)).toEqual(node.map((x) => x.track_id));
  });

  it("without a model, /api/ answers 404 with the reason; without a folder, pages are 404", async () => {
    const bare = await serveStatic({ dir: null });
    try {
      expectError(await call("POST", "/api/recommend", "{}", bare), 404, /no model loaded/);
      expect((await call("GET", "/", undefined, bare)).status).toBe(404);
    } finally {
      await bare.close();
    }
  });

  it("the fetch handler (what a Worker runs) answers as the Node server does", async () => {
    const base = "http://worker.test";
    for (const [method, body] of [["POST", JSON.stringify({ history: tiny.history })], ["POST", "{oops"], ["POST", JSON.stringify({ history: tiny.history.slice(1) })], ["GET", undefined]] as const) {
      const viaNode = await call(method, "/api/recommend", body);
      const res = (await handleApi(rec, new Request(`${base}/api/recommend`, { method, body })))!;
      expect(res.status).toBe(viaNode.status);
      expect(await res.text()).toBe(viaNode.body.trimEnd());
    }
    const big = await handleApi(rec, new Request(`${base}/recommend`, { method: "POST", body: "x".repeat(100) }), { prefix: "", maxBody: 64 });
    expect(big!.status).toBe(413);
    expect(await handleApi(rec, new Request(`${base}/index.html`))).toBeNull();
  });

  it.skipIf(!existsSync(CLI))("`encore serve --model --embeddings` answers the API with no page built, and stops on SIGINT", async () => {
    const child = spawn(process.execPath, [CLI, "serve", "--dir", tiny.dir, "--model", tiny.model, "--embeddings", tiny.embeddings, "--json"], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ENCORE_SIMD: "simd128" } });
    try {
      const line = await new Promise<string>((ok, fail) => {
        let out = "", err = "";
        child.stdout.on("data", (c: Buffer) => {
          out += c.toString();
          if (out.includes("\n")) ok(out);
        });
        child.stderr.on("data", (c: Buffer) => (err += c.toString()));
        child.on("exit", (code) => fail(new Error(`encore serve exited ${code}: ${err}`)));
      });
      const info = JSON.parse(line) as { url: string; dir: string | null; api: string };
      expect(info.dir).toBeNull(); // tiny.dir has no index.html
      expect(info.api).toBe(`${info.url}api/recommend`);
      const r = await fetch(info.api, { method: "POST", body: JSON.stringify({ history: tiny.history }) });
      expect(r.status).toBe(200);
      expect(r.headers.get("cross-origin-embedder-policy")).toBe("require-corp");
      const got = (await r.json()) as { recommendations: { track: string; score: number }[] };
      expect(got.recommendations.map((x) => [x.track, x.score])).toEqual(node.map((x) => [x.track_id, x.score]));
      const exited = new Promise<number | null>((ok) => child.on("exit", (code) => ok(code)));
      child.kill("SIGINT");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 30_000);
});
