// The worker-thread engine's pool: extra threads that run kernels of the same module on the same
// shared WebAssembly.Memory, so a kernel call can be split (top-k by catalog rows, GEMM by column or
// row panels, item2vec batches; top-k of many listeners by listener groups, a dense layer's forward by
// batch rows) and run on every core at once.
//
// Each worker (Node worker_threads or a Web Worker; src/engine/thread-worker.ts) instantiates the
// engine module on the shared memory once, then waits on its control block. A call is a kernel
// name's index, its arguments and a sequence number, written into that block; the worker wakes
// (Atomics.wait/notify), runs the kernel on its own instance (its own globals: the top-k's call
// context is per instance) and stores its result, status and the sequence number back. So a call
// costs no message, no allocation and no copy: only the futex wake-up (tens of µs), which is why
// the host splits only calls large enough to pay for it.
//
// The calling thread runs its own share meanwhile, then blocks in Atomics.wait until the workers
// are done (where the runtime forbids blocking, a browser page's main thread, it spins on
// Atomics.load). Workers never call back and never touch memory outside the ranges their call
// names, so the caller's regions stay consistent: after wait() returns, every byte the workers
// wrote is visible (Atomics operations order the plain stores around them).
//
// Control block per worker, in one SharedArrayBuffer (Int32 words, then Float64 words):
//   i32 [0] SEQ      the call's sequence number, bumped by the caller to start a call
//   i32 [1] DONE     the worker writes SEQ here when the call is over
//   i32 [2] STATUS   0 ok, 1 the kernel threw (message below)
//   i32 [3] OP       index into the names the pool was started with; -1 asks the worker to exit
//   i32 [4] NARGS
//   f64 [4..4+20)    ARGS, f64 [24] RESULT
//   u16 [256..512)   the error message (length in i32 [5])
//
// No `node:` imports here: the spawner (how a worker is started) is passed in, see
// src/engine/node-threads.ts for Node and webThreads() below for browsers.

/** The kernels a worker can run (their order defines the op codes of the protocol). */
export const THREAD_KERNELS = ["gemm_f32_nn", "gemm_f32_nt", "gemm_f32_tn", "topk_part_f32", "sgns_step_f32", "topk_part_i8",
  "topk_f32", "topk_i8", "dense_forward"] as const;
export type ThreadKernel = (typeof THREAD_KERNELS)[number];

export const MAX_ARGS = 20;
/** Bytes of one worker's control block. */
export const CTL_BYTES = 1024;
export const SEQ = 0, DONE = 1, STATUS = 2, OP = 3, NARGS = 4, MSGLEN = 5;
/** Float64 index of the arguments and the result. */
export const ARGS = 4, RESULT = 24;
/** Uint16 index and capacity of the error message. */
export const MSG = 256, MSG_CAP = 256;

/** The message a worker receives once, before its first call. */
export interface ThreadInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  /** Byte offset of this worker's control block in `control`. */
  offset: number;
  names: readonly string[];
  index: number;
}

/** A started worker as the pool sees it: Node's Worker and a Web Worker both fit with a thin adapter. */
export interface EngineThread {
  postMessage(message: unknown): void;
  /** Calls back once with the worker's first message ("ready" or an error string). */
  onFirstMessage(callback: (message: unknown) => void): void;
  onError(callback: (error: unknown) => void): void;
  terminate(): void;
}

/** Starts worker `index` running src/engine/thread-worker.ts (Node: src/engine/node-threads.ts; browsers: webThreads). */
export type ThreadSpawner = (index: number) => EngineThread;

/**
 * A spawner for Web Workers: `url` is the bundled thread script (src/engine/thread-web.ts bundled
 * as an ES module). The page must be cross-origin isolated (COOP/COEP headers) for shared memory.
 */
export function webThreads(url: string | URL): ThreadSpawner {
  return () => {
    const w = new Worker(url, { type: "module" });
    return {
      postMessage: (m) => w.postMessage(m),
      onFirstMessage: (cb) => w.addEventListener("message", (e) => cb((e as MessageEvent).data), { once: true }),
      onError: (cb) => w.addEventListener("error", (e) => cb((e as ErrorEvent).message ?? e)),
      terminate: () => w.terminate(),
    };
  };
}

/** Why shared-memory threads cannot run here, or null when they can. */
export function threadsUnavailable(): string | null {
  if (typeof SharedArrayBuffer === "undefined") return "SharedArrayBuffer is not available (a page must be cross-origin isolated: COOP/COEP headers)";
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (g.crossOriginIsolated === false) return "the page is not cross-origin isolated (COOP/COEP headers), so it has no shared memory";
  if (typeof Atomics === "undefined" || typeof Atomics.wait !== "function") return "Atomics.wait is not available";
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true } as WebAssembly.MemoryDescriptor);
  } catch (e) {
    return `this runtime cannot create a shared WebAssembly.Memory (${(e as Error).message})`;
  }
  return null;
}

/** Whether this thread may block in Atomics.wait (not on a browser page's main thread). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

export class ThreadPool {
  private readonly i32: Int32Array[];
  private readonly f64: Float64Array[];
  private readonly argv: Float64Array[];
  private readonly u16: Uint16Array[];
  private readonly seq: Int32Array;
  private readonly op = new Map<string, number>();
  private readonly block = canBlock();
  private closed = false;
  /** Calls started per kernel since the pool started (indexed like THREAD_KERNELS; see calls()). */
  private readonly counts = new Float64Array(THREAD_KERNELS.length);

  private constructor(private readonly threads: EngineThread[], control: SharedArrayBuffer, names: readonly string[]) {
    this.i32 = threads.map((_, i) => new Int32Array(control, i * CTL_BYTES, CTL_BYTES / 4));
    this.f64 = threads.map((_, i) => new Float64Array(control, i * CTL_BYTES, CTL_BYTES / 8));
    this.argv = threads.map((_, i) => new Float64Array(control, i * CTL_BYTES + ARGS * 8, MAX_ARGS));
    this.u16 = threads.map((_, i) => new Uint16Array(control, i * CTL_BYTES, CTL_BYTES / 2));
    this.seq = new Int32Array(threads.length);
    names.forEach((n, i) => this.op.set(n, i));
  }

  /** Workers beside the calling thread. */
  get size(): number {
    return this.threads.length;
  }

  /** Start `count` workers on `module` and the shared `memory`; resolves when every one has instantiated it. */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, count: number, spawn: ThreadSpawner): Promise<ThreadPool> {
    const control = new SharedArrayBuffer(count * CTL_BYTES);
    const started: EngineThread[] = [];
    try {
      for (let i = 0; i < count; i++) started.push(spawn(i));
      await Promise.all(started.map((t, i) => new Promise<void>((resolve, reject) => {
        t.onFirstMessage((m) => (m === "ready" ? resolve() : reject(new Error(`encore engine thread ${i + 1}: ${String(m)}`))));
        t.onError((e) => reject(new Error(`encore engine thread ${i + 1} failed to start: ${e instanceof Error ? e.message : String(e)}`)));
        const init: ThreadInit = { module, memory, control, offset: i * CTL_BYTES, names: THREAD_KERNELS, index: i + 1 };
        t.postMessage(init);
      })));
    } catch (e) {
      for (const t of started) t.terminate();
      throw e;
    }
    return new ThreadPool(started, control, THREAD_KERNELS);
  }

  /** The argument slots of worker w: fill the first n (argument i at [i]), then start(w, kernel, n). */
  args(w: number): Float64Array {
    return this.argv[w];
  }

  /** Start `kernel` on worker w with its first `nargs` argument slots; returns at once. */
  start(w: number, kernel: ThreadKernel, nargs: number): void {
    if (this.closed) throw new Error("encore engine: the engine's threads are closed");
    const c = this.i32[w], op = this.op.get(kernel)!;
    this.counts[op]++;
    c[OP] = op;
    c[NARGS] = nargs;
    const s = (this.seq[w] + 1) | 0;
    this.seq[w] = s;
    Atomics.store(c, SEQ, s);
    Atomics.notify(c, SEQ);
  }

  /** Calls of `kernel` started on the workers so far (which work a run split, e.g. in tests). */
  calls(kernel: ThreadKernel): number {
    return this.counts[this.op.get(kernel)!];
  }

  /** Wait for worker w's call to finish; returns the kernel's result (0 for void), throws its error. */
  wait(w: number): number {
    const c = this.i32[w], s = this.seq[w];
    for (;;) {
      const d = Atomics.load(c, DONE);
      if (d === s) break;
      if (this.block) Atomics.wait(c, DONE, d);
    }
    if (c[STATUS] !== 0) {
      const n = c[MSGLEN];
      throw new Error(String.fromCharCode(...this.u16[w].subarray(MSG, MSG + n)));
    }
    return this.f64[w][RESULT];
  }

  /** Ask every worker to exit and terminate it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (let w = 0; w < this.threads.length; w++) {
      const c = this.i32[w];
      c[OP] = -1;
      Atomics.store(c, SEQ, (this.seq[w] + 1) | 0);
      Atomics.notify(c, SEQ);
      this.threads[w].terminate();
    }
  }
}
