// Test helpers: load the engine build the tests run against, from build/.
//
// By default the release build (build/encore.wasm, what users get). With ENCORE_WASM=debug the
// checked debug build (build/encore.debug.wasm: every kernel asserts its pointer ranges and
// no-overlap rules, see assembly/check.ts), so `ENCORE_WASM=debug npm test` runs the suite's
// kernel tests with those checks on. Anything else is refused.
import { readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Engine } from "../../src/engine/engine.js";
import { MemoryPlan } from "../../src/engine/plan.js";

const BUILDS: Record<string, string> = { release: "encore.wasm", debug: "encore.debug.wasm" };
const which = process.env.ENCORE_WASM || "release";
if (!(which in BUILDS)) throw new Error(`ENCORE_WASM=${which}: expected 'release' (the default) or 'debug'`);

/** Which build the tests run against: "release" or "debug". */
export const ENGINE_BUILD = which as "release" | "debug";
export const ENGINE_PATH = fileURLToPath(new URL(`../../build/${BUILDS[which]}`, import.meta.url));

let bytes: Uint8Array | null = null;
let module: WebAssembly.Module | null = null;

/** The compiled engine module under test (cached across tests in one file). */
export function engineModule(): WebAssembly.Module {
  if (module) return module;
  if (!existsSync(ENGINE_PATH)) throw new Error(`missing ${ENGINE_PATH}: run 'npm run build' first`);
  bytes = readFileSync(ENGINE_PATH);
  module = new WebAssembly.Module(bytes);
  return module;
}

/** The bytes of the engine module under test. */
export function engineBytes(): Uint8Array {
  engineModule();
  return bytes!;
}

/** Former names, kept for existing callers: the module under test (release unless ENCORE_WASM=debug). */
export const releaseModule = engineModule;
export const releaseBytes = engineBytes;

/** Load an engine on the given plan (a fresh one by default). */
export function loadEngine(plan: MemoryPlan = new MemoryPlan()): Promise<Engine> {
  return Engine.load(engineModule(), plan);
}
