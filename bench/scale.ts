// `npm run scale -- --sessions 10000000 --dir /tmp/encore-scale [--memory-budget 512]`
// The full-MSSD path at a chosen size, stage by stage, each stage in a process of its own so
// its peak RSS is its own: generate N synthetic sessions (as log files of at most
// --sessions-per-file sessions each, seeds 1, 2, …, like MSSD's training_set/log_*.csv),
// prepare them as a sharded dataset within --memory-budget (src/data/shards.ts), then fit
// popularity, item-kNN and Markov from the shards' training sessions (the per-session hash
// split, seed 0, 70%), streaming one shard at a time, and train one epoch of item2vec from the
// same (src/embed/item2vec.ts trainStream: default d = 32, window 5, K = 5, minCount 5; one
// engine thread; its vocabulary pass and the epoch each read every shard). Prints one JSON
// object: per stage its wall seconds, CPU seconds, peak RSS (MiB, the process's maxRSS) and
// throughput (MB/s of CSV written or read; MB/s of shard files read for the fits and item2vec,
// every read counted; also per CPU second); item2vec adds its pairs and pairs/s.
//
// --skip-generate reuses the logs already in <dir>/logs; --stages picks stages
// (generate,prepare,popularity,item-knn,markov,item2vec). Nothing here is a test: figures vary with the
// machine and its load.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, Option } from "commander";
import { generate, prepareSharded, shardedSummary } from "../src/cli/pipeline.js";
import { openShardedDataset } from "../src/data/shards.js";
import { FileRunStore } from "../src/data/session-runs.js";
import { ItemKnnPolicy, trainingPlayCountsStream } from "../src/eval/baselines.js";
import { MarkovSource } from "../src/eval/session-baselines.js";
import { engineModule } from "../src/cli/wasm.js";
import { Engine } from "../src/engine/engine.js";
import { MemoryPlan } from "../src/engine/plan.js";
import { Item2Vec } from "../src/embed/item2vec.js";
import { shardTrainingSource } from "../src/embed/shard-source.js";

const STAGES = ["generate", "prepare", "popularity", "item-knn", "markov", "item2vec"] as const;
type Stage = (typeof STAGES)[number];
const MB = 1e6, MiB = 1024 * 1024;

interface StageResult {
  stage: Stage;
  seconds: number;
  cpu_seconds: number;
  peak_rss_mib: number;
  /** Bytes the stage's throughput counts (CSV written or read, shard files read). */
  bytes: number;
  mb_per_s: number;
  mb_per_cpu_s: number;
  [extra: string]: unknown;
}

/** Runs `work` and reports its figures with this process's resource usage. */
async function measure(stage: Stage, work: () => Promise<{ bytes: number; [k: string]: unknown }>): Promise<StageResult> {
  const u0 = process.resourceUsage(), t0 = performance.now();
  const r = await work();
  const seconds = (performance.now() - t0) / 1000;
  const u = process.resourceUsage();
  const cpu = (u.userCPUTime + u.systemCPUTime - u0.userCPUTime - u0.systemCPUTime) / 1e6;
  return {
    stage, seconds, cpu_seconds: cpu, peak_rss_mib: u.maxRSS / 1024, mb_per_s: r.bytes / MB / seconds, mb_per_cpu_s: r.bytes / MB / cpu, ...r,
  } as StageResult;
}

function logFiles(dir: string): { logs: string[]; tfs: string[] } {
  const logs: string[] = [], tfs: string[] = [];
  const root = join(dir, "logs");
  if (!existsSync(root)) return { logs, tfs };
  for (const part of readdirSync(root).sort()) {
    const p = join(root, part);
    if (!statSync(p).isDirectory()) continue;
    for (const f of readdirSync(p).sort()) {
      if (/^log_.*\.csv(\.gz)?$/.test(f)) logs.push(join(p, f));
      if (/^tf_.*\.csv(\.gz)?$/.test(f)) tfs.push(join(p, f));
    }
  }
  return { logs, tfs };
}

const bytesOf = (files: string[]): number => files.reduce((a, f) => a + statSync(f).size, 0);

/** One stage, in this process (the child side). */
async function runStage(stage: Stage, o: Options): Promise<StageResult> {
  const shards = join(o.dir, "shards");
  const budget = o.memoryBudget * MiB;
  const split = { part: "train" as const, seed: 0, trainFraction: 0.7 };
  switch (stage) {
    case "generate":
      return measure(stage, async () => {
        let bytes = 0, files = 0;
        for (let i = 0, left = o.sessions; left > 0; i++, left -= o.sessionsPerFile) {
          const n = Math.min(left, o.sessionsPerFile);
          const r = await generate({ dir: join(o.dir, "logs", `part-${String(i).padStart(3, "0")}`), sessions: n, tracks: o.tracks, seed: i + 1, gzip: false });
          bytes += r.logBytes;
          files++;
        }
        return { bytes, files };
      });
    case "prepare":
      return measure(stage, async () => {
        const { logs, tfs } = logFiles(o.dir);
        if (logs.length === 0) throw new Error(`${join(o.dir, "logs")}: no log files (run the generate stage first)`);
        const r = await prepareSharded({ logs, trackFeatures: tfs, dir: shards, lenient: false, filters: {}, memoryBudgetMiB: o.memoryBudget, rebuild: true });
        return { bytes: bytesOf(logs), files: logs.length, ...shardedSummary(r.dataset) };
      });
    case "item2vec":
      return measure(stage, async () => {
        const ds = openShardedDataset(shards);
        const plan = new MemoryPlan();
        const model = new Item2Vec(plan, ds.V);
        await Engine.load(engineModule(), plan);
        const source = shardTrainingSource(ds, split);
        let epochSeconds = 0;
        const r = model.trainStream(source, { epochs: 1, onEpoch: (e) => (epochSeconds = e.seconds) });
        return {
          bytes: source.reads.bytes, shard_reads: source.reads.shards, sessions: ds.sessionCount, training_sessions: r.sessions, tracks: ds.V,
          excluded: r.excluded.length, d: model.d, pairs: r.pairs, pairs_per_s: r.pairs / epochSeconds, epoch_seconds: epochSeconds, loss: r.losses[0],
        };
      });
    default: {
      const near = join(shards, "fit");
      return measure(stage, async () => {
        const ds = openShardedDataset(shards);
        const shardBytes = ds.manifest.shards.reduce((a, s) => a + s.bytes, 0);
        if (stage === "popularity") {
          const c = trainingPlayCountsStream(ds.chunks({ split }), ds.V);
          let plays = 0;
          for (let t = 0; t < c.length; t++) plays += c[t];
          return { bytes: shardBytes, sessions: ds.sessionCount, tracks: ds.V, training_plays: plays };
        }
        const spill = new FileRunStore(near, "pairs");
        try {
          if (stage === "item-knn") {
            const p = ItemKnnPolicy.fitStream(ds.chunks({ split }), ds.V, { memoryBudget: budget, spill });
            return { bytes: shardBytes, sessions: ds.sessionCount, tracks: ds.V, neighbours: p.nbr.length, runs_spilled: spill.runs };
          }
          const m = MarkovSource.fitStream(ds.chunks({ split }), ds.V, { memoryBudget: budget, spill });
          return { bytes: shardBytes, sessions: ds.sessionCount, tracks: ds.V, fitted: m.name, runs_spilled: spill.runs };
        } finally {
          spill.dispose();
        }
      });
    }
  }
}

interface Options {
  sessions: number;
  dir: string;
  memoryBudget: number;
  tracks: number;
  sessionsPerFile: number;
  stages: Stage[];
  skipGenerate?: boolean;
  stage?: Stage;
}

const program = new Command()
  .name("npm run scale --")
  .description("generate N synthetic sessions, prepare them sharded, fit popularity, item-kNN and Markov and train one epoch of item2vec from the shards; peak RSS and MB/s (item2vec: also pairs/s) per stage as JSON")
  .option("--sessions <n>", "sessions to generate", (v) => Number(v), 1_000_000)
  .requiredOption("--dir <dir>", "working folder (logs/ and shards/ go here; needs about 3 KB of disk a session)")
  .option("--memory-budget <MiB>", "budget of prepare (--memory-budget) and of the pair-count fits (memoryBudget)", (v) => Number(v), 512)
  .option("--tracks <n>", "catalog size of each generated file", (v) => Number(v), 10_000)
  .option("--sessions-per-file <n>", "sessions per generated log file", (v) => Number(v), 1_000_000)
  .option("--stages <list>", "comma-separated stages to run", (v) => v.split(",") as Stage[], [...STAGES])
  .option("--skip-generate", "reuse the logs in <dir>/logs")
  .addOption(new Option("--stage <stage>", "run one stage in this process (internal)").hideHelp());

async function main(): Promise<void> {
  program.parse(process.argv);
  const o = program.opts<Options>();
  for (const s of o.stages) if (!(STAGES as readonly string[]).includes(s)) throw new Error(`--stages: unknown stage '${s}' (known: ${STAGES.join(", ")})`);
  for (const [k, v] of [["--sessions", o.sessions], ["--memory-budget", o.memoryBudget], ["--tracks", o.tracks], ["--sessions-per-file", o.sessionsPerFile]] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw new Error(`${k} must be a positive integer, got ${v}`);
  }
  if (o.stage) {
    process.stdout.write(JSON.stringify(await runStage(o.stage, o)) + "\n");
    return;
  }
  mkdirSync(o.dir, { recursive: true });
  const self = fileURLToPath(import.meta.url);
  const stages: StageResult[] = [];
  for (const stage of o.stages) {
    if (stage === "generate" && o.skipGenerate) continue;
    const args = [self, "--stage", stage, "--dir", o.dir, "--sessions", String(o.sessions), "--memory-budget", String(o.memoryBudget), "--tracks", String(o.tracks), "--sessions-per-file", String(o.sessionsPerFile)];
    const r = spawnSync(process.execPath, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`stage ${stage} failed (exit ${r.status ?? r.signal})`);
    const res = JSON.parse(r.stdout.trim().split("\n").pop()!) as StageResult;
    stages.push(res);
    const pairs = typeof res.pairs_per_s === "number" ? `, ${(res.pairs_per_s / 1e6).toFixed(2)} M pairs/s` : "";
    process.stderr.write(`${stage}: ${res.seconds.toFixed(1)} s, ${res.peak_rss_mib.toFixed(0)} MiB peak RSS, ${res.mb_per_s.toFixed(1)} MB/s${pairs}\n`);
  }
  process.stdout.write(JSON.stringify({ sessions: o.sessions, memory_budget_mib: o.memoryBudget, node: process.version, stages }, null, 2) + "\n");
}

main().catch((e: unknown) => {
  process.stderr.write(`scale: ${(e as Error).message}\n`);
  process.exit(1);
});
