// Where the Node CLI finds the engine: the release build beside the compiled JS.
import { readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

// src/cli compiles to build/js/src/cli/, and the release wasm is build/encore.wasm; run from the
// TypeScript sources (tests), the same file is ../../build/encore.wasm.
const RELEASE = fileURLToPath(new URL("../../../encore.wasm", import.meta.url));
const FROM_SOURCES = fileURLToPath(new URL("../../build/encore.wasm", import.meta.url));
let module: WebAssembly.Module | null = null;

export function engineModule(): WebAssembly.Module {
  if (module) return module;
  const path = existsSync(RELEASE) ? RELEASE : existsSync(FROM_SOURCES) && import.meta.url.endsWith(".ts") ? FROM_SOURCES : null;
  if (!path) throw new Error(`the wasm engine is not built (${RELEASE} is missing): run 'npm run build'`);
  module = new WebAssembly.Module(readFileSync(path));
  return module;
}
