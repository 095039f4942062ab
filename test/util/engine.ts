// Test helpers: load the engine build the tests run against, from build/.
//
// By default the release SIMD128 build (build/encore.wasm, what every runtime can run). Two
// environment variables pick another:
//   ENCORE_SIMD=relaxed   the relaxed-SIMD release build (build/encore.relaxed.wasm: fused
//                         multiply-adds; on Node 20 the V8 flag is set first), so
//                         `ENCORE_SIMD=relaxed npm test` runs the kernel tests on it;
//   ENCORE_WASM=debug     the checked debug build (build/encore.debug.wasm: every kernel asserts its
//                         pointer ranges and no-overlap rules, see assembly/check.ts), SIMD128 only.
// Anything else is refused. loadEngine(plan, { threads }) loads the matching shared-memory build
// with worker threads (test/threads.test.ts).
import { readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BUILD_FILES, Engine, type EngineOptions } from "../../src/engine/engine.js";
import { MemoryPlan } from "../../src/engine/plan.js";
import { nodeThreads } from "../../src/engine/node-threads.js";
import { enableRelaxedSimd } from "../../src/cli/wasm.js";

const which = process.env.ENCORE_WASM || "release";
if (which !== "release" && which !== "debug") throw new Error(`ENCORE_WASM=${which}: expected 'release' (the default) or 'debug'`);
const simd = process.env.ENCORE_SIMD || "simd128";
if (simd !== "simd128" && simd !== "relaxed") throw new Error(`ENCORE_SIMD=${simd}: expected 'simd128' (the default) or 'relaxed'`);
if (which === "debug" && simd === "relaxed") throw new Error("ENCORE_WASM=debug ENCORE_SIMD=relaxed: the checked debug build is SIMD128 only");
if (simd === "relaxed" && !enableRelaxedSimd()) throw new Error("ENCORE_SIMD=relaxed: this Node does not validate relaxed SIMD even with --experimental-wasm-relaxed-simd");

/** Which build the tests run against: "release", "relaxed" or "debug". */
export const ENGINE_BUILD = (which === "debug" ? "debug" : simd === "relaxed" ? "relaxed" : "release") as "release" | "relaxed" | "debug";
/** The instruction set of the build under test. */
export const ENGINE_SIMD = simd as "simd128" | "relaxed";
const FILE = which === "debug" ? "encore.debug.wasm" : simd === "relaxed" ? BUILD_FILES.relaxed : BUILD_FILES.simd128;
const SHARED_FILE = simd === "relaxed" ? BUILD_FILES.relaxedShared : BUILD_FILES.simd128Shared;
export const ENGINE_PATH = fileURLToPath(new URL(`../../build/${FILE}`, import.meta.url));
const SHARED_PATH = fileURLToPath(new URL(`../../build/${SHARED_FILE}`, import.meta.url));

let bytes: Uint8Array | null = null;
let module: WebAssembly.Module | null = null;
let sharedModule: WebAssembly.Module | null = null;

function read(path: string): Uint8Array {
  if (!existsSync(path)) throw new Error(`missing ${path}: run 'npm run build' first`);
  return readFileSync(path);
}

/** The compiled engine module under test (cached across tests in one file). */
export function engineModule(): WebAssembly.Module {
  if (module) return module;
  bytes = read(ENGINE_PATH);
  module = new WebAssembly.Module(bytes);
  return module;
}

/** The bytes of the engine module under test. */
export function engineBytes(): Uint8Array {
  engineModule();
  return bytes!;
}

/** The shared-memory release build with the same SIMD as the build under test (the worker-thread engine's). */
export function sharedEngineModule(): WebAssembly.Module {
  sharedModule ??= new WebAssembly.Module(read(SHARED_PATH));
  return sharedModule;
}

/** Former names, kept for existing callers: the module under test. */
export const releaseModule = engineModule;
export const releaseBytes = engineBytes;

/**
 * Load an engine on the given plan (a fresh one by default). With options.threads > 1, the shared
 * build of the same SIMD on that many threads (Node worker_threads); close() it after the test.
 */
export function loadEngine(plan: MemoryPlan = new MemoryPlan(), options: EngineOptions = {}): Promise<Engine> {
  if ((options.threads ?? 1) > 1) return Engine.load(sharedEngineModule(), plan, { threadWorker: nodeThreads, ...options });
  return Engine.load(engineModule(), plan, options);
}
