// The entry of an engine thread in a browser (a module Web Worker): bundle this file, e.g.
// `esbuild src/engine/thread-web.ts --bundle --format=esm --outfile=engine-thread.js`, and pass its
// URL to the engine as `threadWorker: webThreads(url)`. The work is src/engine/thread-worker.ts.
import { serveEngineThread } from "./thread-worker.js";
import type { ThreadInit } from "./threads.js";

const scope = globalThis as unknown as { onmessage: ((e: MessageEvent) => void) | null; postMessage(m: unknown): void };
scope.onmessage = (e: MessageEvent) => {
  scope.onmessage = null;
  void serveEngineThread(e.data as ThreadInit, (m) => scope.postMessage(m));
};
