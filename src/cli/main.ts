#!/usr/bin/env node
// The encore command line. Every command exits non-zero with a one-line message on bad
// arguments or files; --verbose adds the stack trace.
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { runBenchmarks } from "../../bench/run.js";
import { formatTable } from "../../bench/harness.js";
import { datasetSummary, generate, prepare } from "./pipeline.js";

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
