// The entry of an engine thread under Node (worker_threads): src/engine/node-threads.ts starts
// this file's compiled form; the work is src/engine/thread-worker.ts.
import { parentPort } from "node:worker_threads";
import { serveEngineThread } from "./thread-worker.js";
import type { ThreadInit } from "./threads.js";

if (!parentPort) throw new Error("src/engine/thread-node.ts runs as a worker thread, not as a program");
const port = parentPort;
port.once("message", (init: ThreadInit) => {
  void serveEngineThread(init, (m) => port.postMessage(m));
});
