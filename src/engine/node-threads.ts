// Starting engine threads under Node: worker_threads running build/js/src/engine/thread-node.js.
// Node-only (the CLI, the benchmarks and the tests pass it to Engine.load); the library entry
// never imports it.
import { Worker } from "node:worker_threads";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ThreadSpawner } from "./threads.js";

// Compiled, this file is build/js/src/engine/node-threads.js beside thread-node.js; run from the
// TypeScript sources (tests), the worker still needs the compiled script (Node runs no .ts).
const COMPILED = fileURLToPath(new URL("./thread-node.js", import.meta.url));
const FROM_SOURCES = fileURLToPath(new URL("../../build/js/src/engine/thread-node.js", import.meta.url));

/** The worker script engine threads run under Node. */
export function threadScript(): string {
  const path = import.meta.url.endsWith(".ts") ? FROM_SOURCES : COMPILED;
  if (!existsSync(path)) throw new Error(`the engine thread script is not built (${path} is missing): run 'npm run build'`);
  return path;
}

/** Node worker_threads as engine threads. Workers are unref'd: they never keep a finished program alive. */
export const nodeThreads: ThreadSpawner = () => {
  const w = new Worker(threadScript());
  w.unref();
  return {
    postMessage: (m) => w.postMessage(m),
    onFirstMessage: (cb) => w.once("message", cb),
    onError: (cb) => w.once("error", cb),
    terminate: () => void w.terminate(),
  };
};
