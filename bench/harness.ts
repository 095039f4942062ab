// The benchmark harness: every case is validated before it is timed, timed with tinybench
// beside a baseline in the same process, and reported as a median, a throughput
// (GFLOP/s or GB/s) and the ratio to its baseline.
import { Bench } from "tinybench";

export interface Timed {
  /** What runs: e.g. "wasm simd" or "plain JS triple loop". */
  label: string;
  fn: () => void;
}

export interface BenchCase {
  /** Stable name, stating the case: e.g. "gemm_nt 512x512x512". */
  name: string;
  subject: Timed;
  /** The baseline measured in the same run (scalar reference, plain JS). */
  baseline?: Timed;
  /** Floating-point operations per call of subject and baseline (for GFLOP/s). */
  flops?: number;
  /** Bytes moved per call (for GB/s). */
  bytes?: number;
  /** Throws when the subject's result is wrong; called before timing. */
  validate: () => void;
  /** Extra figures for the JSON result (e.g. updates/s). */
  extra?: (medianMs: number) => Record<string, number>;
}

export interface BenchResult {
  name: string;
  subject: string;
  median_ms: number;
  samples: number;
  gflops?: number;
  gbps?: number;
  baseline?: { label: string; median_ms: number; gflops?: number; gbps?: number; samples: number };
  /** baseline median / subject median: how many times faster the subject is. */
  speedup?: number;
  [extra: string]: unknown;
}

export interface RunOptions {
  /** Minimum time per task in ms (tinybench `time`). */
  timeMs: number;
  /** Minimum iterations per task. */
  iterations: number;
  /** Time the baseline at most this long (slow baselines). */
  baselineTimeMs: number;
}

async function median(t: Timed, timeMs: number, iterations: number): Promise<{ median: number; samples: number }> {
  const bench = new Bench({ time: timeMs, iterations, warmupTime: Math.min(200, timeMs), warmupIterations: 2 });
  bench.add(t.label, t.fn);
  await bench.run();
  const task = bench.tasks[0];
  const r = task.result as unknown as { error?: unknown; latency?: { p50?: number; samples?: number[] | number; samplesCount?: number } };
  if (r?.error) throw r.error;
  const lat = r?.latency;
  if (!lat || typeof lat.p50 !== "number") throw new Error(`tinybench gave no latency for '${t.label}'`);
  const samples = typeof lat.samplesCount === "number" ? lat.samplesCount : Array.isArray(lat.samples) ? lat.samples.length : Number(lat.samples ?? 0);
  return { median: lat.p50, samples };
}

export async function runCase(c: BenchCase, opt: RunOptions): Promise<BenchResult> {
  try {
    c.validate();
  } catch (e) {
    throw new Error(`benchmark '${c.name}' failed validation: ${(e as Error).message}`);
  }
  const s = await median(c.subject, opt.timeMs, opt.iterations);
  const res: BenchResult = { name: c.name, subject: c.subject.label, median_ms: round(s.median), samples: s.samples };
  if (c.flops) res.gflops = round(c.flops / (s.median * 1e6));
  if (c.bytes) res.gbps = round(c.bytes / (s.median * 1e6));
  if (c.baseline) {
    const b = await median(c.baseline, opt.baselineTimeMs, 1);
    res.baseline = { label: c.baseline.label, median_ms: round(b.median), samples: b.samples };
    if (c.flops) res.baseline.gflops = round(c.flops / (b.median * 1e6));
    if (c.bytes) res.baseline.gbps = round(c.bytes / (b.median * 1e6));
    res.speedup = round(b.median / s.median);
  }
  if (c.extra) Object.assign(res, c.extra(s.median));
  return res;
}

function round(x: number): number {
  return Number(x.toPrecision(4));
}

export function formatTable(results: BenchResult[]): string {
  const rows = [["case", "median ms", "GFLOP/s", "GB/s", "baseline", "baseline ms", "speedup"]];
  for (const r of results) {
    rows.push([
      r.name,
      r.median_ms.toString(),
      r.gflops?.toString() ?? "",
      r.gbps?.toString() ?? "",
      r.baseline?.label ?? "",
      r.baseline?.median_ms.toString() ?? "",
      r.speedup !== undefined ? `${r.speedup}×` : "",
    ]);
  }
  const w = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  return rows.map((r, i) => {
    const line = r.map((c, j) => (j === 0 || j === 4 ? c.padEnd(w[j]) : c.padStart(w[j]))).join("  ");
    return i === 0 ? `${line}\n${w.map((n) => "-".repeat(n)).join("  ")}` : line;
  }).join("\n");
}
