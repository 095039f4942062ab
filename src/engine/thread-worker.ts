// The body of one engine thread (Node worker_threads or a Web Worker): instantiate the engine
// module on the shared memory it is sent, say "ready", then serve kernel calls from its control
// block until asked to exit. The protocol is described in src/engine/threads.ts.
//
// The loop blocks in Atomics.wait, so after "ready" this worker handles no more messages; the
// pool stops it through the control block (op -1) or terminate(). A kernel that traps is caught
// and its message written back, so the caller throws it as its own call would.
//
// No imports from Node or the DOM: src/engine/thread-node.ts and src/engine/thread-web.ts hand it
// their runtime's message port.

import { ARGS, DONE, MSG, MSG_CAP, MSGLEN, NARGS, OP, RESULT, SEQ, STATUS, CTL_BYTES, type ThreadInit } from "./threads.js";
import { abortMessage } from "./abort.js";

type Kernel = (...args: number[]) => number | undefined;

/** Serve one engine thread: `init` is the pool's first message; `post` answers it. */
export async function serveEngineThread(init: ThreadInit, post: (message: unknown) => void): Promise<void> {
  let fns: Kernel[];
  try {
    const { memory, module } = init;
    const abort = (msg: number, file: number, line: number, col: number): never => {
      throw new Error(abortMessage(memory, msg, file, line, col));
    };
    const instance = await WebAssembly.instantiate(module, { env: { memory, abort } });
    const x = instance.exports as Record<string, unknown>;
    fns = init.names.map((n) => {
      const f = x[n];
      if (typeof f !== "function") throw new Error(`the engine module exports no kernel '${n}'`);
      return f as Kernel;
    });
  } catch (e) {
    post(`could not instantiate the engine: ${(e as Error).message}`);
    return;
  }
  post("ready");
  const c = new Int32Array(init.control, init.offset, CTL_BYTES / 4);
  const a = new Float64Array(init.control, init.offset, CTL_BYTES / 8);
  const m = new Uint16Array(init.control, init.offset, CTL_BYTES / 2);
  let seq = 0;
  for (;;) {
    Atomics.wait(c, SEQ, seq);
    const s = Atomics.load(c, SEQ);
    if (s === seq) continue;
    seq = s;
    const op = c[OP];
    if (op < 0) return;
    try {
      a[RESULT] = call(fns[op], c[NARGS], a) ?? 0;
      c[STATUS] = 0;
    } catch (e) {
      const text = `encore engine (thread ${init.index}): ${(e as Error).message ?? String(e)}`.replace(/^encore engine \(thread \d+\): encore engine: /, `encore engine (thread ${init.index}): `);
      const n = Math.min(text.length, MSG_CAP);
      for (let i = 0; i < n; i++) m[MSG + i] = text.charCodeAt(i);
      c[MSGLEN] = n;
      c[STATUS] = 1;
    }
    Atomics.store(c, DONE, seq);
    Atomics.notify(c, DONE);
  }
}

// A kernel call with its arguments read from the control block, without building an array (every
// count a pool kernel takes has its case: 9 dense_forward, 10 sgns, 11 gemm, 15/16 topk, 17/18 parts).
function call(f: Kernel, n: number, a: Float64Array): number | undefined {
  const A = ARGS;
  switch (n) {
    case 9: return f(a[A], a[A + 1], a[A + 2], a[A + 3], a[A + 4], a[A + 5], a[A + 6], a[A + 7], a[A + 8]);
    case 10: return f(a[A], a[A + 1], a[A + 2], a[A + 3], a[A + 4], a[A + 5], a[A + 6], a[A + 7], a[A + 8], a[A + 9]);
    case 11: return f(a[A], a[A + 1], a[A + 2], a[A + 3], a[A + 4], a[A + 5], a[A + 6], a[A + 7], a[A + 8], a[A + 9], a[A + 10]);
    case 15: return f(a[A], a[A + 1], a[A + 2], a[A + 3], a[A + 4], a[A + 5], a[A + 6], a[A + 7], a[A + 8], a[A + 9], a[A + 10],
                      a[A + 11], a[A + 12], a[A + 13], a[A + 14]);
    case 16: return f(a[A], a[A + 1], a[A + 2], a[A + 3], a[A + 4], a[A + 5], a[A + 6], a[A + 7], a[A + 8], a[A + 9], a[A + 10],
                      a[A + 11], a[A + 12], a[A + 13], a[A + 14], a[A + 15]);
    case 17: return f(a[A], a[A + 1], a[A + 2], a[A + 3], a[A + 4], a[A + 5], a[A + 6], a[A + 7], a[A + 8], a[A + 9], a[A + 10],
                      a[A + 11], a[A + 12], a[A + 13], a[A + 14], a[A + 15], a[A + 16]);
    case 18: return f(a[A], a[A + 1], a[A + 2], a[A + 3], a[A + 4], a[A + 5], a[A + 6], a[A + 7], a[A + 8], a[A + 9], a[A + 10],
                      a[A + 11], a[A + 12], a[A + 13], a[A + 14], a[A + 15], a[A + 16], a[A + 17]);
    default: {
      const args: number[] = [];
      for (let i = 0; i < n; i++) args.push(a[A + i]);
      return f(...args);
    }
  }
}
