// `npm run bench:serve [-- --requests 20000] [-- --concurrency 32] [-- --model M --embeddings E] [-- --json]`
// A bounded loopback load test of `encore serve`'s recommend API (src/web/serve.ts, src/api.ts):
// a server on 127.0.0.1 in this process, `concurrency` keep-alive clients posting 10-track
// histories (ids and {track, skipped} items, k = 3) until `requests` answers came back. Reports
// requests/s and the p50/p90/p99/max latency, and checks: zero errors (every answer a 200 whose
// list equals the recommender's own for that history, validated before timing for each
// history), and no memory growth (heap after a forced GC at the end within 2 MB of the heap after
// warm-up). Without --model it trains a small model first (synthetic data, listwise networks).
// Timings are loopback and share the two cores with the client: compare runs on one machine.
import { mkdtemp, rm } from "node:fs/promises";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { configureEngine } from "../src/cli/wasm.js";
import { openRecommender } from "../src/cli/library.js";
import { DEFAULT_SPLIT, embed, generate, loadDataset, prepare, train } from "../src/cli/pipeline.js";
import { serveStatic } from "../src/web/serve.js";
import { Rng } from "../src/rng.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

interface Args {
  requests: number;
  concurrency: number;
  model?: string;
  embeddings?: string;
  json: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { requests: 20_000, concurrency: 32, json: false };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    const int = (name: string, max: number): number => {
      const n = Number(v);
      if (!/^\d+$/.test(v ?? "") || n < 1 || n > max) throw new Error(`${name} must be an integer from 1 to ${max}, got '${v}'`);
      i++;
      return n;
    };
    switch (argv[i]) {
      case "--requests": a.requests = int("--requests", 10_000_000); break;
      case "--concurrency": a.concurrency = int("--concurrency", 1024); break;
      case "--model": a.model = v; i++; break;
      case "--embeddings": a.embeddings = v; i++; break;
      case "--json": a.json = true; break;
      default: throw new Error(`unknown argument '${argv[i]}' (--requests, --concurrency, --model, --embeddings, --json)`);
    }
  }
  if ((a.model === undefined) !== (a.embeddings === undefined)) throw new Error("--model and --embeddings go together");
  return a;
}

/** A small trained model: 2,000 sessions over 2,000 tracks, 40 episodes of the default networks. */
async function smallModel(dir: string): Promise<{ model: string; embeddings: string; histories: string[][] }> {
  const data = join(dir, "data"), cache = join(dir, "dataset.bin"), embeddings = join(dir, "embeddings.bin"), model = join(dir, "model.encore");
  const g = await generate({ dir: data, sessions: 2000, tracks: 2000, seed: 7, gzip: false });
  await prepare({ logs: [join(data, g.log)], trackFeatures: [join(data, g.tf)], cache, filters: {}, lenient: false });
  await embed({ dataset: cache, out: embeddings, kind: "hybrid", d: 32, epochs: 1, minCount: 2, seed: 7, split: DEFAULT_SPLIT });
  await train({ dataset: cache, embeddings, out: model, env: "listener", episodes: 40, steps: 4, networks: "listwise", seed: 7, config: { batch: 32 }, train: {}, checkpointEvery: 0, command: "bench" });
  const { dataset } = loadDataset(cache);
  const histories: string[][] = [];
  for (let s = 0; s < dataset.sessionCount && histories.length < 64; s++) {
    const h: string[] = [];
    for (let r = dataset.sessionOffsets[s]; r < dataset.sessionOffsets[s + 1] && h.length < 10; r++) h.push(dataset.vocab.id(dataset.tracks[r]));
    if (h.length === 10) histories.push(h);
  }
  return { model, embeddings, histories };
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  configureEngine({ threads: 1 });
  const work = await mkdtemp(join(tmpdir(), "encore-serve-load-"));
  try {
    let files: { model: string; embeddings: string; histories: string[][] };
    if (args.model) files = { model: args.model, embeddings: args.embeddings!, histories: [] };
    else {
      process.stderr.write("training a small model (2,000 sessions, 40 episodes) ...\n");
      files = await smallModel(work);
    }
    const rec = await openRecommender(files.model, files.embeddings);
    if (files.histories.length === 0) {
      const rng = new Rng(1);
      for (let i = 0; i < 64; i++) files.histories.push(Array.from({ length: rec.N }, () => rec.trackId(rng.int(rec.catalogSize))));
    }
    // request bodies (every other one with feedback items) and the list each must get back
    const rng = new Rng(2);
    const bodies = files.histories.map((h, i) => JSON.stringify({ history: i % 2 ? h.map((track) => ({ track, skipped: rng.float() < 0.3 })) : h, k: rec.K }));
    const expected = bodies.map((b) => JSON.stringify(rec.recommend((JSON.parse(b) as { history: string[] }).history).map((r) => r.trackId)));
    const server = await serveStatic({ dir: null, recommender: rec });
    const agent = new Agent({ keepAlive: true, maxSockets: args.concurrency });
    const post = (i: number): Promise<{ ok: boolean; ms: number }> =>
      new Promise((resolve) => {
        const t0 = process.hrtime.bigint();
        const body = bodies[i % bodies.length];
        const req = request({ host: "127.0.0.1", port: server.port, path: "/api/recommend", method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (text += c));
          res.on("end", () => {
            const ms = Number(process.hrtime.bigint() - t0) / 1e6;
            let ok = res.statusCode === 200;
            if (ok) ok = JSON.stringify((JSON.parse(text) as { recommendations: { track: string }[] }).recommendations.map((r) => r.track)) === expected[i % bodies.length];
            resolve({ ok, ms });
          });
        });
        req.on("error", () => resolve({ ok: false, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
        req.end(body);
      });
    // validate every history once, then warm up
    for (let i = 0; i < bodies.length; i++) if (!(await post(i)).ok) throw new Error(`history ${i}: the API's list differs from the recommender's`);
    const run = async (n: number, lat: Float64Array | null): Promise<number> => {
      let next = 0, errors = 0;
      const client = async (): Promise<void> => {
        while (next < n) {
          const i = next++;
          const r = await post(i);
          if (!r.ok) errors++;
          if (lat) lat[i] = r.ms;
        }
      };
      await Promise.all(Array.from({ length: args.concurrency }, client));
      return errors;
    };
    await run(Math.min(2000, args.requests), null);
    gc();
    const heap0 = process.memoryUsage().heapUsed, rss0 = process.memoryUsage().rss;
    const lat = new Float64Array(args.requests);
    const t0 = process.hrtime.bigint();
    const errors = await run(args.requests, lat);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    gc();
    const heap1 = process.memoryUsage().heapUsed, rss1 = process.memoryUsage().rss;
    agent.destroy();
    await server.close();
    lat.sort();
    const result = {
      requests: args.requests, concurrency: args.concurrency, errors, seconds: +seconds.toFixed(3),
      requestsPerSecond: Math.round(args.requests / seconds),
      latencyMs: { p50: +quantile(lat, 0.5).toFixed(3), p90: +quantile(lat, 0.9).toFixed(3), p99: +quantile(lat, 0.99).toFixed(3), max: +lat[lat.length - 1].toFixed(3) },
      heapGrowthMB: +((heap1 - heap0) / 2 ** 20).toFixed(2), rssGrowthMB: +((rss1 - rss0) / 2 ** 20).toFixed(2),
      model: { N: rec.N, K: rec.K, catalogSize: rec.catalogSize, d: rec.d, networks: rec.header.config.rerank ? "listwise (re-ranked)" : "w·e" },
      node: process.version,
    };
    const problems: string[] = [];
    if (errors > 0) problems.push(`${errors} of ${args.requests} requests failed or answered a wrong list`);
    if (result.heapGrowthMB > 2) problems.push(`the heap grew by ${result.heapGrowthMB} MB over the run`);
    if (args.json) process.stdout.write(JSON.stringify(result) + "\n");
    else {
      process.stdout.write(
        `${result.requests} requests at concurrency ${result.concurrency} in ${result.seconds} s: ${result.requestsPerSecond} requests/s\n` +
          `latency p50 ${result.latencyMs.p50} ms, p90 ${result.latencyMs.p90} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms\n` +
          `errors ${errors}; heap growth ${result.heapGrowthMB} MB (after GC), RSS growth ${result.rssGrowthMB} MB\n` +
          `model: N ${rec.N}, K ${rec.K}, ${rec.catalogSize} tracks, d ${rec.d}, ${result.model.networks}; ${process.version}\n`,
      );
    }
    if (problems.length) throw new Error(problems.join("; "));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  process.stderr.write(`serve-load: ${e.message}\n`);
  process.exit(1);
});
