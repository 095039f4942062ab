// The benchmark harness: every case is validated before it is timed, timed with tinybench
// beside a baseline in the same process, and reported as a median, a throughput
// (GFLOP/s or GB/s) and the ratio to its baseline; where a peer library does the same work
// (TensorFlow.js on its wasm backend, bench/peer.ts), also the ratio to the peer.
//
// Every row carries the engine build it ran on ("simd": "simd128" or "relaxed"; null for cases
// that do not run the engine) and its thread count, so one run shows each case under each
// variant. A baseline or peer given a `key` is timed once per run and its median reused by every
// variant of the case (a plain-JS top-k over 192 queries takes 16 s a call).
import { Bench } from "tinybench";

export interface Timed {
  /** What runs: e.g. "wasm simd" or "plain JS triple loop". */
  label: string;
  fn: () => void;
  /** Timed once per run under this key; later cases with the same key reuse the median. */
  key?: string;
}

export interface BenchCase {
  /** Stable name, stating the case: e.g. "gemm_nt 512x512x512". */
  name: string;
  subject: Timed;
  /** The baseline measured in the same run (scalar reference, plain JS). */
  baseline?: Timed;
  /** The same work in a peer library (TensorFlow.js wasm), measured in the same run. */
  peer?: Timed;
  /** The engine build the subject runs on (null: the case does not run the engine). */
  simd: "simd128" | "relaxed" | null;
  /** Threads the subject runs on. */
  threads: number;
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
  simd: "simd128" | "relaxed" | null;
  threads: number;
  subject: string;
  median_ms: number;
  samples: number;
  gflops?: number;
  gbps?: number;
  baseline?: { label: string; median_ms: number; gflops?: number; gbps?: number; samples: number };
  /** baseline median / subject median: how many times faster the subject is. */
  speedup?: number;
  peer?: { label: string; median_ms: number; gflops?: number; gbps?: number; samples: number };
  /** peer median / subject median. */
  speedup_vs_peer?: number;
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

// Medians of keyed baselines and peers, per run (runBenchmarks clears it).
const keyed = new Map<string, { median: number; samples: number }>();

export function clearKeyedTimings(): void {
  keyed.clear();
}

async function timedOnce(t: Timed, timeMs: number, iterations: number): Promise<{ median: number; samples: number }> {
  if (t.key !== undefined) {
    const k = keyed.get(t.key);
    if (k) return k;
  }
  const m = await median(t, timeMs, iterations);
  if (t.key !== undefined) keyed.set(t.key, m);
  return m;
}

export async function runCase(c: BenchCase, opt: RunOptions): Promise<BenchResult> {
  try {
    c.validate();
  } catch (e) {
    throw new Error(`benchmark '${c.name}' (${c.simd ?? "no engine"}, ${c.threads} thread${c.threads > 1 ? "s" : ""}) failed validation: ${(e as Error).message}`);
  }
  const s = await median(c.subject, opt.timeMs, opt.iterations);
  const res: BenchResult = { name: c.name, simd: c.simd, threads: c.threads, subject: c.subject.label, median_ms: round(s.median), samples: s.samples };
  if (c.flops) res.gflops = round(c.flops / (s.median * 1e6));
  if (c.bytes) res.gbps = round(c.bytes / (s.median * 1e6));
  if (c.baseline) {
    const b = await timedOnce(c.baseline, opt.baselineTimeMs, 1);
    res.baseline = { label: c.baseline.label, median_ms: round(b.median), samples: b.samples };
    if (c.flops) res.baseline.gflops = round(c.flops / (b.median * 1e6));
    if (c.bytes) res.baseline.gbps = round(c.bytes / (b.median * 1e6));
    res.speedup = round(b.median / s.median);
  }
  if (c.peer) {
    const p = await timedOnce(c.peer, opt.timeMs, opt.iterations);
    res.peer = { label: c.peer.label, median_ms: round(p.median), samples: p.samples };
    if (c.flops) res.peer.gflops = round(c.flops / (p.median * 1e6));
    if (c.bytes) res.peer.gbps = round(c.bytes / (p.median * 1e6));
    res.speedup_vs_peer = round(p.median / s.median);
  }
  if (c.extra) Object.assign(res, c.extra(s.median));
  return res;
}

function round(x: number): number {
  return Number(x.toPrecision(4));
}

export function formatTable(results: BenchResult[]): string {
  const rows = [["case", "simd", "threads", "median ms", "GFLOP/s", "GB/s", "baseline", "baseline ms", "speedup", "peer ms", "vs peer", "ratios"]];
  for (const r of results) {
    const ratios = Object.entries(r).filter(([k]) => k.startsWith("speedup_vs_") && k !== "speedup_vs_peer").map(([k, v]) => `${k.slice(11)} ${v}×`).join(", ");
    rows.push([
      r.name,
      r.simd ?? "-",
      String(r.threads),
      r.median_ms.toString(),
      r.gflops?.toString() ?? "",
      r.gbps?.toString() ?? "",
      r.baseline?.label ?? "",
      r.baseline?.median_ms.toString() ?? "",
      r.speedup !== undefined ? `${r.speedup}×` : "",
      r.peer?.median_ms.toString() ?? "",
      r.speedup_vs_peer !== undefined ? `${r.speedup_vs_peer}×` : "",
      ratios,
    ]);
  }
  const w = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  return rows.map((r, i) => {
    const line = r.map((c, j) => (j === 0 || j === 1 || j === 6 || j === 11 ? c.padEnd(w[j]) : c.padStart(w[j]))).join("  ");
    return i === 0 ? `${line}\n${w.map((n) => "-".repeat(n)).join("  ")}` : line;
  }).join("\n");
}

/**
 * Median over `pairs` back-to-back calls of time(slow) / time(fast), after one warm-up call of each:
 * how many times faster `fast` is. Load from other processes hits both calls of a pair alike, so
 * this ratio is steadier than the ratio of two medians timed one after the other.
 */
export function pairedRatio(slow: () => void, fast: () => void, pairs: number): number {
  slow(); fast();
  const r: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const t0 = performance.now(); fast();
    const t1 = performance.now(); slow();
    const t2 = performance.now();
    r.push((t2 - t1) / (t1 - t0));
  }
  r.sort((x, y) => x - y);
  return Number(r[pairs >> 1].toPrecision(4));
}
