// Shared set-up for benchmarks: the release engine builds, seeded data.
//
// loadEngine(plan, { simd, threads }) loads the SIMD128 or relaxed-SIMD build (relaxed only where
// it validates; the V8 flag is set on Node 20 first), on a shared memory with Node worker threads
// when threads > 1. Engines with threads are closed by closeEngines() after their suite ran.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BUILD_FILES, Engine, type SimdBuild } from "../src/engine/engine.js";
import { MemoryPlan } from "../src/engine/plan.js";
import { nodeThreads } from "../src/engine/node-threads.js";
import { enableRelaxedSimd } from "../src/cli/wasm.js";
import { Rng } from "../src/rng.js";
import { pairedRatio, type BenchCase } from "./harness.js";

// bench/ compiles to build/js/bench/, beside build/*.wasm two levels up.
const BUILD_DIR = fileURLToPath(new URL("../../", import.meta.url));
const modules = new Map<string, WebAssembly.Module>();

function module(file: string): WebAssembly.Module {
  let m = modules.get(file);
  if (!m) {
    m = new WebAssembly.Module(readFileSync(BUILD_DIR + file));
    modules.set(file, m);
  }
  return m;
}

/** The builds this runtime can run: SIMD128, and relaxed SIMD where it validates (Node 20: after the V8 flag). */
export function simdBuilds(): SimdBuild[] {
  return enableRelaxedSimd() ? ["simd128", "relaxed"] : ["simd128"];
}

/** The fastest build here (relaxed where it validates): the one the multi-thread rows use. */
export function bestSimd(): SimdBuild {
  const b = simdBuilds();
  return b[b.length - 1];
}

/** Threads for the multi-thread rows: 2 (the targets' two cores), or ENCORE_BENCH_THREADS. */
export const BENCH_THREADS = Number(process.env.ENCORE_BENCH_THREADS ?? 2);

const open: Engine[] = [];

export async function loadEngine(plan: MemoryPlan, o: { simd?: SimdBuild; threads?: number } = {}): Promise<Engine> {
  const simd = o.simd ?? "simd128", threads = o.threads ?? 1;
  if (simd === "relaxed" && !enableRelaxedSimd()) throw new Error("relaxed SIMD does not validate in this runtime");
  const file = threads > 1 ? (simd === "relaxed" ? BUILD_FILES.relaxedShared : BUILD_FILES.simd128Shared) : simd === "relaxed" ? BUILD_FILES.relaxed : BUILD_FILES.simd128;
  const engine = await Engine.load(module(file), plan, { threads, threadWorker: nodeThreads, simd });
  if (engine.threads !== threads) throw new Error(`asked for ${threads} engine threads, got ${engine.threads}`);
  if (threads > 1) open.push(engine);
  return engine;
}

/** Stop the worker threads of every engine loadEngine started. */
export function closeEngines(): void {
  for (const e of open.splice(0)) e.close();
}

export function randomFill(a: Float32Array, rng: Rng, scale = 1): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] = (rng.float() * 2 - 1) * scale;
  return a;
}

/** Largest |a-b| / (1 + |b|): one number to validate a fast result against a reference. */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i]));
    if (!(e <= m)) m = e;
  }
  return m;
}

/** A case as a suite writes it: the harness fields that perSimd and noEngine fill in may be left out. */
export type CaseBody = Omit<BenchCase, "simd" | "threads"> & Partial<Pick<BenchCase, "simd" | "threads">>;

/**
 * A suite's cases on every engine build: `make(simd)` builds them on that build's engine. Each row
 * gets its simd and 1 thread; baselines are keyed by case name, so they are timed once; and each
 * relaxed row gets speedup_vs_simd128, the paired ratio (harness.pairedRatio, `pairs` pairs)
 * against the SIMD128 row of the same name.
 */
export async function perSimd(make: (simd: SimdBuild) => Promise<CaseBody[]>, pairs = 21): Promise<BenchCase[]> {
  const out: BenchCase[] = [];
  const bySimd = new Map<string, BenchCase>();
  for (const simd of simdBuilds()) {
    for (const c of await make(simd)) {
      const row: BenchCase = { ...c, simd: c.simd ?? simd, threads: c.threads ?? 1 };
      if (row.baseline && row.baseline.key === undefined) row.baseline = { ...row.baseline, key: `${row.name} baseline` };
      if (simd === "simd128") bySimd.set(row.name, row);
      const twin = bySimd.get(row.name);
      if (simd === "relaxed" && twin && row.threads === 1) {
        const own = row.extra;
        row.extra = (ms) => ({ ...(own ? own(ms) : {}), speedup_vs_simd128: pairedRatio(twin.subject.fn, row.subject.fn, pairs) });
      }
      out.push(row);
    }
  }
  return out;
}

/** Cases that do not run the engine (parsers, generators): simd null, one thread. */
export function noEngine(cases: CaseBody[]): BenchCase[] {
  return cases.map((c) => ({ ...c, simd: null, threads: 1 }));
}
