// Test helpers: load the release engine (the build users get) from build/.
import { readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Engine } from "../../src/engine/engine.js";
import { MemoryPlan } from "../../src/engine/plan.js";

const RELEASE = fileURLToPath(new URL("../../build/encore.wasm", import.meta.url));

let bytes: Uint8Array | null = null;
let module: WebAssembly.Module | null = null;

/** The compiled release engine module (cached across tests in one file). */
export function releaseModule(): WebAssembly.Module {
  if (module) return module;
  if (!existsSync(RELEASE)) throw new Error(`missing ${RELEASE}: run 'npm run build' first`);
  bytes = readFileSync(RELEASE);
  module = new WebAssembly.Module(bytes);
  return module;
}

export function releaseBytes(): Uint8Array {
  releaseModule();
  return bytes!;
}

/** Load an engine on the given plan (a fresh one by default). */
export function loadEngine(plan: MemoryPlan = new MemoryPlan()): Promise<Engine> {
  return Engine.load(releaseModule(), plan);
}
