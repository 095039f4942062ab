// The benchmark's peer: TensorFlow.js on its WebAssembly backend (@tensorflow/tfjs-core +
// @tensorflow/tfjs-backend-wasm, dev dependencies), the closest thing to encore in the JS world:
// the same runtime, WebAssembly SIMD kernels (XNNPACK), no GPU. Its rows time the same work on the
// same inputs in the same process, so "vs peer" says whether encore's hand-written engine earns its
// keep. Set up for a fair single-core comparison: one thread (the threaded build and its pool
// off), SIMD on. The backend's .wasm files ship inside the npm package and are read from
// node_modules: nothing is downloaded at run time.
//
// Timed calls run the kernels (the wasm backend executes synchronously) and dispose their
// outputs; nothing is read back except in validation.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export type Tf = typeof import("@tensorflow/tfjs-core");

let loaded: Promise<Tf | null> | null = null;

/** TensorFlow.js with the wasm backend ready (one thread, SIMD), or null with the reason printed once. */
export function tfPeer(log: (s: string) => void = (s) => process.stderr.write(s + "\n")): Promise<Tf | null> {
  loaded ??= (async () => {
    try {
      const require = createRequire(import.meta.url);
      const tf = require("@tensorflow/tfjs-core") as Tf;
      const wasm = require("@tensorflow/tfjs-backend-wasm") as typeof import("@tensorflow/tfjs-backend-wasm");
      wasm.setWasmPaths(join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + "/");
      wasm.setThreadsCount(1);
      tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
      tf.env().set("WASM_HAS_SIMD_SUPPORT", true);
      if (!(await tf.setBackend("wasm"))) throw new Error("the wasm backend did not initialise");
      await tf.ready();
      if (tf.getBackend() !== "wasm") throw new Error(`backend is ${tf.getBackend()}, not wasm`);
      if (wasm.getThreadsCount() !== 1) throw new Error(`the wasm backend runs ${wasm.getThreadsCount()} threads, not 1`);
      return tf;
    } catch (e) {
      log(`bench: TensorFlow.js wasm peer unavailable, rows without it: ${(e as Error).message}`);
      return null;
    }
  })();
  return loaded;
}

/** The label every peer row carries. */
export const PEER_LABEL = "TensorFlow.js 4.22 wasm (XNNPACK), 1 thread, SIMD";
