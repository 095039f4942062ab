#!/usr/bin/env node
// The encore command line. Every command exits non-zero with a one-line message on bad
// arguments or files; --verbose adds the stack trace.
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { runBenchmarks } from "../../bench/run.js";
import { formatTable } from "../../bench/harness.js";
import { DEFAULT_SPLIT, datasetSummary, embed, evaluateCommand, generate, prepare, recommend, train, type NetworkChoice } from "./pipeline.js";
import { EMBEDDING_KINDS, type EmbeddingKind } from "../embed/build.js";
import type { ProtocolId } from "../eval/protocols.js";
import type { EvaluationReport, EpisodeMetrics } from "../eval/types.js";
import { Progress, formatSeconds } from "./progress.js";
import { parseHistoryText } from "../core/history.js";

const program = new Command();
program
  .name("encore")
  .description("List-wise music recommendation with DDPG on a WebAssembly SIMD engine")
  .option("--verbose", "print stack traces on errors")
  .showHelpAfterError("(run with --help for usage)");

/** Parse a non-negative integer option, with a one-line error naming the option. */
function int(name: string, min = 0): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got '${v}'`);
    return n;
  };
}

function num(name: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got '${v}'`);
    return n;
  };
}

function print(json: boolean | undefined, obj: Record<string, unknown>, text: string): void {
  process.stdout.write(json ? JSON.stringify(obj, null, 2) + "\n" : text + "\n");
}

function table(obj: Record<string, unknown>): string {
  const w = Math.max(...Object.keys(obj).map((k) => k.length));
  return Object.entries(obj).map(([k, v]) => `  ${k.padEnd(w)}  ${typeof v === "number" && !Number.isInteger(v) ? v.toFixed(4) : String(v)}`).join("\n");
}

program
  .command("generate")
  .description("write a synthetic MSSD session log and track-feature file from the ground-truth listener model")
  .option("--out <dir>", "output folder", ".encore/data")
  .option("--sessions <n>", "sessions to simulate", int("sessions", 1), 10_000)
  .option("--tracks <n>", "catalog size", int("tracks", 50), 10_000)
  .option("--seed <n>", "random seed", int("seed"), 0)
  .option("--gzip", "gzip the CSV files")
  .option("--json", "print machine-readable output")
  .addHelpText("after", "\nExamples:\n  encore generate\n  encore generate --sessions 1000000 --gzip --out data/big\n")
  .action(async (o: { out: string; sessions: number; tracks: number; seed: number; gzip?: boolean; json?: boolean }) => {
    const t0 = Date.now();
    const r = await generate({ dir: o.out, sessions: o.sessions, tracks: o.tracks, seed: o.seed, gzip: Boolean(o.gzip) });
    const res = { ...r, seconds: (Date.now() - t0) / 1000 };
    print(o.json, res, `wrote ${join(r.dir, r.log)} (${(r.logBytes / 1e6).toFixed(1)} MB, ${r.sessions} sessions) and ${join(r.dir, r.tf)} (${(r.tfBytes / 1e6).toFixed(1)} MB, ${o.tracks} tracks) in ${res.seconds.toFixed(1)} s`);
  });

program
  .command("prepare")
  .description("ingest MSSD session logs (and track features) into the dataset cache")
  .argument("<logs...>", "session log files log_*.csv or log_*.csv.gz")
  .option("--tf <files...>", "track-feature files tf_*.csv[.gz]", [] as string[])
  .option("--cache <path>", "dataset cache file", ".encore/dataset.bin")
  .option("--preset <name>", "the original project's selection: 'original' (popularity ≥ 95, sessions keeping all 20 tracks)")
  .option("--min-length <n>", "keep sessions with session_length ≥ n", int("min-length", 1))
  .option("--max-length <n>", "keep sessions with session_length ≤ n", int("max-length", 1))
  .option("--min-plays <n>", "keep tracks played at least n times", int("min-plays", 1))
  .option("--min-popularity <x>", "keep tracks with us_popularity_estimate ≥ x (where features exist)", num("min-popularity"))
  .option("--keep-incomplete", "keep sessions with missing positions (cut off at the end of a file)")
  .option("--lenient", "skip bad rows and count them instead of stopping at the first")
  .option("--json", "print machine-readable output")
  .addHelpText("after", "\nExamples:\n  encore prepare .encore/data/log_synth.csv --tf .encore/data/tf_synth.csv\n  encore prepare log_mini.csv.gz --tf tf_mini.csv --preset original\n")
  .action(async (logs: string[], o: { tf: string[]; cache: string; preset?: string; minLength?: number; maxLength?: number; minPlays?: number; minPopularity?: number; keepIncomplete?: boolean; lenient?: boolean; json?: boolean }) => {
    if (o.preset !== undefined && o.preset !== "original") throw new Error(`--preset: unknown preset '${o.preset}' (known: original)`);
    const r = await prepare({
      logs, trackFeatures: o.tf, cache: o.cache, preset: o.preset as "original" | undefined, lenient: Boolean(o.lenient),
      filters: { minLength: o.minLength, maxLength: o.maxLength, minPlays: o.minPlays, minPopularity: o.minPopularity, ...(o.keepIncomplete ? { completeOnly: false } : {}) },
    });
    const summary = datasetSummary(r.dataset);
    print(o.json, { cache: o.cache, status: r.cache, reason: r.reason, ...summary }, `dataset ${o.cache} (${r.cache}${r.reason ? `: ${r.reason}` : ""})\n${table(summary)}`);
  });

function oneOf<T extends string>(name: string, allowed: readonly T[]): (v: string) => T {
  return (v: string) => {
    if (!(allowed as readonly string[]).includes(v)) throw new Error(`--${name} must be one of ${allowed.join(", ")}, got '${v}'`);
    return v as T;
  };
}

function list(name: string): (v: string) => number[] {
  return (v: string) => v.split(",").map((x) => int(name)(x.trim()));
}

const PROTOCOLS: readonly ProtocolId[] = ["original", "next-tracks", "online"];
const WS = ".encore";

program
  .command("embed")
  .description("learn track embeddings (item2vec over the training sessions, audio features, or a hybrid)")
  .option("--dataset <path>", "dataset cache from 'encore prepare'", `${WS}/dataset.bin`)
  .option("--out <path>", "embeddings file to write", `${WS}/embeddings.bin`)
  .option("--kind <kind>", `one of ${EMBEDDING_KINDS.join(", ")}`, oneOf("kind", EMBEDDING_KINDS), "hybrid" as EmbeddingKind)
  .option("--dim <d>", "embedding width", int("dim", 1), 32)
  .option("--epochs <n>", "item2vec epochs", int("epochs", 1), 5)
  .option("--min-count <n>", "tracks played fewer times take the feature (or unknown) fallback", int("min-count", 1), 5)
  .option("--split-seed <n>", "seed of the 70/30 session split (shared by train and evaluate)", int("split-seed"), DEFAULT_SPLIT.seed)
  .option("--seed <n>", "random seed", int("seed"), 0)
  .option("--csv <path>", "also export the embeddings as CSV (track_id, e0..)")
  .option("--json", "print machine-readable output")
  .addHelpText("after", `\nExamples:\n  encore embed\n  encore embed --kind item2vec --dim 64 --epochs 10 --csv ${WS}/embeddings.csv\n`)
  .action(async (o: { dataset: string; out: string; kind: EmbeddingKind; dim: number; epochs: number; minCount: number; splitSeed: number; seed: number; csv?: string; json?: boolean }) => {
    const t0 = Date.now();
    const b = await embed({ dataset: o.dataset, out: o.out, kind: o.kind, d: o.dim, epochs: o.epochs, minCount: o.minCount, seed: o.seed, split: { ...DEFAULT_SPLIT, seed: o.splitSeed }, csv: o.csv });
    const res = { out: o.out, kind: b.kind, method: b.method, V: b.V, d: b.d, counts: b.counts, seconds: (Date.now() - t0) / 1000 };
    print(o.json, res, `wrote ${o.out}: ${b.V} tracks × ${b.d} (${b.method}); vectors from item2vec ${b.counts.item2vec}, from features ${b.counts.features}, unknown ${b.counts.unknown}; ${res.seconds.toFixed(1)} s`);
  });

interface TrainFlags {
  dataset: string; embeddings: string; out: string; env: "lird" | "listener"; episodes: number; steps: number; networks: NetworkChoice;
  seed: number; batch?: number; actorLr: number; criticLr?: number; gamma: number; tau: number; noise: number; noiseKind?: "gaussian" | "ou";
  resume?: string; checkpointEvery: number; json?: boolean;
}

program
  .command("train")
  .description("train the list-wise DDPG agent (episodes × steps) against a simulator")
  .option("--dataset <path>", "dataset cache", `${WS}/dataset.bin`)
  .option("--embeddings <path>", "embeddings file from 'encore embed'", `${WS}/embeddings.bin`)
  .option("--out <path>", "model file to write (also the checkpoint)", `${WS}/model.encore`)
  .option("--env <env>", "lird (offline simulator from training sessions) or listener (ground truth, synthetic data only)", oneOf("env", ["lird", "listener"] as const), "lird" as "lird" | "listener")
  .option("--episodes <n>", "episodes", int("episodes", 1), 200)
  .option("--steps <n>", "steps per episode", int("steps", 1), 10)
  .option("--networks <name>", "listwise (mean history → 64 → 64 → K L2-normalised vectors; bilinear critic), original (GRU actor 32 → K·d, GRU critic 10 → 32 → 16 → 1) or w1 (MLPs 256-256)", oneOf("networks", ["listwise", "original", "w1"] as const), "listwise" as NetworkChoice)
  .option("--batch <n>", "batch size (default 64)", int("batch", 1))
  .option("--actor-lr <x>", "actor learning rate", num("actor-lr"), 1e-3)
  .option("--critic-lr <x>", "critic learning rate (default 1e-3)", num("critic-lr"))
  .option("--gamma <x>", "discount: 0 learns each list's own reward; > 0 bootstraps from the target networks (see README)", num("gamma"), 0)
  .option("--tau <x>", "soft target update rate", num("tau"), 0.01)
  .option("--noise <sigma>", "exploration noise σ per component of the weight vectors", num("noise"), 2)
  .option("--noise-kind <kind>", "gaussian or ou", oneOf("noise-kind", ["gaussian", "ou"] as const))
  .option("--seed <n>", "random seed", int("seed"), 0)
  .option("--resume <path>", "continue from a checkpoint (same result as an uninterrupted run)")
  .option("--checkpoint-every <n>", "write the checkpoint every n episodes", int("checkpoint-every"), 50)
  .option("--json", "print one JSON line of metrics per episode")
  .addHelpText("after", "\nExamples:\n  encore train --episodes 300\n  encore train --env listener --steps 4 --episodes 1000 --actor-lr 1e-3\n  encore train --resume .encore/model.encore --episodes 600\n")
  .action(async (o: TrainFlags) => {
    const progress = new Progress("train", o.episodes);
    const r = await train({
      dataset: o.dataset, embeddings: o.embeddings, out: o.out, env: o.env, episodes: o.episodes, steps: o.steps, networks: o.networks, seed: o.seed,
      config: clean({ batch: o.batch, actorLr: o.actorLr, criticLr: o.criticLr, gamma: o.gamma, tau: o.tau }),
      train: { noise: { kind: o.noiseKind ?? "gaussian", sigma: o.noise, sigmaMin: o.noise, decay: 1 } },
      resume: o.resume, checkpointEvery: o.checkpointEvery, command: commandLine(),
      onEpisode: (m, done, total) => {
        if (o.json) process.stdout.write(JSON.stringify(m) + "\n");
        progress.update(done, `reward ${m.reward.toFixed(2)} Q ${fmt(m.meanQ)} loss ${fmt(m.criticLoss)}`);
        void total;
      },
    });
    progress.done();
    if (!o.json) {
      const last = r.metrics.slice(-Math.min(20, r.metrics.length));
      const mean = (f: (m: EpisodeMetrics) => number) => {
        const v = last.map(f).filter(Number.isFinite);
        return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
      };
      process.stdout.write(`wrote ${r.model} after ${r.metrics.length} episodes (${formatSeconds(r.seconds)}${r.resumedFrom !== undefined ? `, resumed at episode ${r.resumedFrom}` : ""}); last ${last.length} episodes: reward ${mean((m) => m.reward).toFixed(3)}, Q ${fmt(mean((m) => m.meanQ))}, critic loss ${fmt(mean((m) => m.criticLoss))}\n`);
    }
  });

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toPrecision(3) : "–";
}

function clean<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function commandLine(): string {
  return ["encore", ...process.argv.slice(2)].join(" ");
}

program
  .command("evaluate")
  .description("evaluate the model beside the baselines on held-out sessions; write report.json and report.html")
  .option("--dataset <path>", "dataset cache", `${WS}/dataset.bin`)
  .option("--embeddings <path>", "embeddings file", `${WS}/embeddings.bin`)
  .option("--model <path>", "model file from 'encore train'", `${WS}/model.encore`)
  .option("--out <dir>", "report folder", `${WS}/report`)
  .option("--protocols <list>", `comma-separated: ${PROTOCOLS.join(", ")} (online needs synthetic data)`, (v: string) => v.split(",").map((p) => oneOf("protocols", PROTOCOLS)(p.trim())))
  .option("--seeds <list>", "comma-separated seeds pooled into every figure", list("seeds"), [0, 1, 2])
  .option("--max-sessions <n>", "evaluate at most n test sessions per seed (0: all)", int("max-sessions"), 2000)
  .option("--episodes <n>", "online episodes per seed and policy", int("episodes", 1), 200)
  .option("--bootstrap <n>", "bootstrap resamples for the 95% intervals", int("bootstrap", 100), 1000)
  .option("--json", "print the report as JSON")
  .addHelpText("after", "\nExamples:\n  encore evaluate\n  encore evaluate --protocols original,next-tracks --seeds 0,1,2,3,4\n")
  .action(async (o: { dataset: string; embeddings: string; model: string; out: string; protocols?: ProtocolId[]; seeds: number[]; maxSessions: number; episodes: number; bootstrap: number; json?: boolean }) => {
    const protocols = o.protocols ?? (await defaultProtocols(o.dataset));
    const { report, files } = await evaluateCommand({ ...o, protocols, command: commandLine() });
    if (o.json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
    else process.stdout.write(formatReport(report) + `\nwrote ${files.html} and ${files.json}\n`);
  });

async function defaultProtocols(dataset: string): Promise<ProtocolId[]> {
  const { loadDataset, findSynthManifest } = await import("./pipeline.js");
  const { logs } = loadDataset(dataset);
  return logs.length === 1 && findSynthManifest(logs[0]) ? ["original", "next-tracks", "online"] : ["original", "next-tracks"];
}

/** The results as text tables, one per protocol: metric rows × policy columns, mean [95% CI]. */
export function formatReport(r: EvaluationReport): string {
  const out: string[] = [];
  for (const p of r.protocols) {
    const policies = [...new Set(p.metrics.flatMap((m) => Object.keys(m.values)))];
    const rows = [["metric", ...policies]];
    for (const m of p.metrics) {
      rows.push([`${m.metric}${m.lowerIsBetter ? " ↓" : ""}`, ...policies.map((q) => {
        const e = m.values[q];
        return e && Number.isFinite(e.mean) ? `${e.mean.toFixed(3)} [${e.lo.toFixed(3)}, ${e.hi.toFixed(3)}]` : "–";
      })]);
    }
    const w = rows[0].map((_, j) => Math.max(...rows.map((row) => row[j].length)));
    out.push(`\n${p.protocol} (seeds ${p.seeds.join(",")})`);
    for (const row of rows) out.push("  " + row.map((c, j) => (j === 0 ? c.padEnd(w[j]) : c.padStart(w[j]))).join("  "));
  }
  return out.join("\n");
}

program
  .command("recommend")
  .description("recommend K tracks for a listening history (track ids, oldest first, each optionally marked skipped)")
  .option("--model <path>", "model file", `${WS}/model.encore`)
  .option("--embeddings <path>", "embeddings file (with track ids)", `${WS}/embeddings.bin`)
  .requiredOption("--history <ids>", "comma-separated track ids, oldest first (the last N are used); 'id:s' marks a play that was skipped, 'id' or 'id:k' one that was kept")
  .option("--json", "print machine-readable output")
  .addHelpText("after", "\nExample:\n  encore recommend --history t_0a1b...,t_2c3d...:s,...   (10 ids; the second was skipped)\n")
  .action(async (o: { model: string; embeddings: string; history: string; json?: boolean }) => {
    const recs = await recommend({ model: o.model, embeddings: o.embeddings, history: parseHistoryText(o.history) });
    if (o.json) process.stdout.write(JSON.stringify(recs, null, 2) + "\n");
    else for (const r of recs) process.stdout.write(`${r.rank}. ${r.track_id}  score ${r.score.toFixed(4)}\n`);
  });

program
  .command("demo")
  .description("the whole job on built-in synthetic data: generate, embed, train, evaluate against the baselines, write the report")
  .option("--dir <dir>", "working folder", `${WS}/demo`)
  .option("--sessions <n>", "synthetic sessions", int("sessions", 100), 10_000)
  .option("--episodes <n>", "training episodes", int("episodes", 1), 8000)
  .option("--seed <n>", "random seed", int("seed"), 0)
  .option("--json", "print the report as JSON")
  .addHelpText("after", "\nExample:\n  encore demo            (about a minute on 2 cores; open .encore/demo/report/report.html afterwards)\n")
  .action(async (o: { dir: string; sessions: number; episodes: number; seed: number; json?: boolean }) => {
    const { runDemo } = await import("./demo.js");
    const r = await runDemo({ ...o, command: commandLine(), log: (s) => process.stderr.write(s + "\n") });
    if (o.json) process.stdout.write(JSON.stringify(r.report, null, 2) + "\n");
    else process.stdout.write(formatReport(r.report) + `\n\nreport: ${r.files.html}\n`);
  });

program
  .command("bench")
  .description("run the engine's micro-benchmarks beside their baselines")
  .option("--json", "print one JSON array of results instead of a table")
  .option("--filter <substring>", "only cases whose name contains this")
  .option("--quick", "shorter timing (less precise)")
  .addHelpText("after", "\nExamples:\n  encore bench\n  encore bench --filter gemm --json\n")
  .action(async (opts: { json?: boolean; filter?: string; quick?: boolean }) => {
    const results = await runBenchmarks({ json: opts.json, filter: opts.filter, quick: opts.quick });
    process.stdout.write((opts.json ? JSON.stringify(results, null, 2) : formatTable(results)) + "\n");
  });

program
  .command("serve")
  .description("serve the browser demo page (built by 'npm run build:web') on this machine and print its address")
  .option("--dir <dir>", "folder to serve", "build/web")
  .option("--port <n>", "port (0: any free port)", int("port"), 0)
  .option("--host <host>", "interface to listen on", "127.0.0.1")
  .addHelpText("after", "\nExamples:\n  encore demo && npm run build:web && encore serve\n  encore serve --port 8080\n")
  .action(async (o: { dir: string; port: number; host: string }) => {
    const { existsSync } = await import("node:fs");
    if (!existsSync(join(o.dir, "index.html"))) throw new Error(`${join(o.dir, "index.html")}: no page to serve (run 'npm run build:web' first)`);
    const { serveStatic } = await import("../web/serve.js");
    const s = await serveStatic(o);
    process.stdout.write(`serving ${o.dir} at ${s.url}  (Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => {
      const stop = (): void => void s.close().then(resolve);
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
  });

async function main(): Promise<void> {
  program.exitOverride();
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode);
    const verbose = program.opts().verbose as boolean | undefined;
    process.stderr.write(`encore: ${verbose ? (e as Error).stack : (e as Error).message}\n`);
    process.exit(1);
  }
}

void main();
