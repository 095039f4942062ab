// Where the Node CLI finds the engine, and how it loads it: the four release builds beside the
// compiled JS (SIMD128 and relaxed SIMD, each with a private or a shared memory), the relaxed-SIMD
// V8 flag on Node 20, and the process-wide engine options (--threads, ENCORE_SIMD).
import { readFileSync, existsSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { setFlagsFromString } from "node:v8";
import { fileURLToPath } from "node:url";
import { BUILD_FILES, compileBytesSync, Engine, relaxedSimdSupported, type SimdBuild } from "../engine/engine.js";
import { nodeThreads } from "../engine/node-threads.js";

// src/cli compiles to build/js/src/cli/, and the release wasm is build/encore.wasm; run from the
// TypeScript sources (tests), the same files are ../../build/*.wasm.
const RELEASE_DIR = fileURLToPath(new URL("../../../", import.meta.url));
const SOURCES_DIR = fileURLToPath(new URL("../../build/", import.meta.url));

function buildDir(): string {
  if (existsSync(RELEASE_DIR + BUILD_FILES.simd128)) return RELEASE_DIR;
  if (import.meta.url.endsWith(".ts") && existsSync(SOURCES_DIR + BUILD_FILES.simd128)) return SOURCES_DIR;
  throw new Error(`the wasm engine is not built (${RELEASE_DIR + BUILD_FILES.simd128} is missing): run 'npm run build'`);
}

/**
 * Make relaxed SIMD available: Node ≥ 22 validates it as is; Node 20 only with V8's
 * --experimental-wasm-relaxed-simd, which takes effect for modules compiled after it is set.
 * Returns whether relaxed SIMD validates now.
 */
export function enableRelaxedSimd(): boolean {
  if (relaxedSimdSupported()) return true;
  setFlagsFromString("--experimental-wasm-relaxed-simd");
  return relaxedSimdSupported();
}

/** The machine's cores (the CLI's default --threads). */
export function machineThreads(): number {
  return typeof availableParallelism === "function" ? availableParallelism() : Math.max(1, cpus().length);
}

/**
 * Set the options every engine of this process loads with: `threads` (1 by default), and the
 * SIMD build (ENCORE_SIMD, else relaxed where it validates once the V8 flag is set). Node threads
 * are worker_threads. Call once, before the first engine loads.
 */
export function configureEngine(o: { threads?: number; simd?: SimdBuild | "auto" } = {}): void {
  enableRelaxedSimd();
  Engine.defaults = { ...Engine.defaults, threads: o.threads ?? Engine.defaults.threads, simd: o.simd ?? Engine.defaults.simd, threadWorker: nodeThreads };
}

const modules = new Map<string, WebAssembly.Module>();

function compiled(file: string): WebAssembly.Module {
  let m = modules.get(file);
  if (!m) {
    m = compileBytesSync(readFileSync(buildDir() + file));
    modules.set(file, m);
  }
  return m;
}

/**
 * The compiled build engines of this process load: relaxed SIMD where it validates (ENCORE_SIMD or
 * configureEngine's simd forces one), on a shared memory when the configured threads exceed 1.
 */
export function engineModule(): WebAssembly.Module {
  enableRelaxedSimd();
  const want = Engine.defaults.simd ?? process.env.ENCORE_SIMD ?? "auto";
  if (want !== "auto" && want !== "simd128" && want !== "relaxed") throw new Error(`ENCORE_SIMD: expected simd128, relaxed or auto, got '${want}'`);
  const relaxed = want === "relaxed" || (want === "auto" && relaxedSimdSupported());
  const shared = (Engine.defaults.threads ?? 1) > 1 && typeof SharedArrayBuffer !== "undefined";
  const key = relaxed ? (shared ? "relaxedShared" : "relaxed") : shared ? "simd128Shared" : "simd128";
  return compiled(BUILD_FILES[key]);
}
