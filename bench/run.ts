// `npm run bench [-- --json] [-- --filter gemm] [-- --quick]`
// Runs every benchmark case: validates it, times it beside its baseline (and its peer, where
// TensorFlow.js does the same work), prints a table (or, with --json, one JSON array of results
// with stable names; each row carries "simd" and "threads"). --filter matches the case name, or
// "<name> <simd> threads=<n>" (e.g. --filter relaxed, --filter threads=2); alternatives are separated
// by "|" (--filter 'W1|gemm_' runs the cases matching either).
import { clearKeyedTimings, formatTable, runCase, type BenchCase, type BenchResult, type RunOptions } from "./harness.js";
import { closeEngines } from "./common.js";
import * as peak from "./peak.bench.js";
import * as gemm from "./gemm.bench.js";
import * as elementwise from "./elementwise.bench.js";
import * as optim from "./optim.bench.js";
import * as mlp from "./mlp.bench.js";
import * as topk from "./topk.bench.js";
import * as topkI8 from "./topk-i8.bench.js";
import * as gru from "./gru.bench.js";
import * as csv from "./csv.bench.js";
import * as sgns from "./sgns.bench.js";
import * as synth from "./synth.bench.js";
import * as ddpg from "./ddpg.bench.js";
import * as evaluate from "./evaluate.bench.js";
import * as streamFits from "./stream-fits.bench.js";

type Suite = { name: string; cases: () => Promise<BenchCase[]> };
const SUITES: Suite[] = [
  { name: "peak", cases: peak.cases },
  { name: "gemm", cases: gemm.cases },
  { name: "elementwise", cases: elementwise.cases },
  { name: "optim", cases: optim.cases },
  { name: "mlp", cases: mlp.cases },
  { name: "topk", cases: topk.cases },
  { name: "topk-i8", cases: topkI8.cases },
  { name: "gru", cases: gru.cases },
  { name: "csv", cases: csv.cases },
  { name: "sgns", cases: sgns.cases },
  { name: "synth", cases: synth.cases },
  { name: "ddpg", cases: ddpg.cases },
  { name: "evaluate", cases: evaluate.cases },
  { name: "stream-fits", cases: streamFits.cases },
];

export async function runBenchmarks(args: { json?: boolean; filter?: string; quick?: boolean; log?: (s: string) => void }): Promise<BenchResult[]> {
  const opt: RunOptions = args.quick
    ? { timeMs: 100, iterations: 3, baselineTimeMs: 50 }
    : { timeMs: 1000, iterations: 10, baselineTimeMs: 500 };
  const log = args.log ?? ((s: string) => process.stderr.write(s + "\n"));
  const results: BenchResult[] = [];
  clearKeyedTimings();
  const alternatives = args.filter ? args.filter.split("|").filter((f) => f !== "") : [];
  const matches = (c: BenchCase): boolean => alternatives.length === 0 || alternatives.some((f) => `${c.name} ${c.simd ?? "-"} threads=${c.threads}`.includes(f));
  for (const suite of SUITES) {
    try {
      const cases = (await suite.cases()).filter(matches);
      for (const c of cases) {
        if (!args.json) log(`running ${c.name} (${c.simd ?? "no engine"}, ${c.threads} thread${c.threads > 1 ? "s" : ""}) ...`);
        results.push(await runCase(c, opt));
      }
    } finally {
      closeEngines();
    }
  }
  return results;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const json = argv.includes("--json");
  const quick = argv.includes("--quick");
  const fi = argv.indexOf("--filter");
  const filter = fi >= 0 ? argv[fi + 1] : undefined;
  const results = await runBenchmarks({ json, filter, quick });
  if (json) process.stdout.write(JSON.stringify(results, null, 2) + "\n");
  else process.stdout.write(formatTable(results) + "\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
