// Loading the encore wasm engine and binding it to a memory plan.
//
// The host owns one WebAssembly.Memory, sized once from the plan and never grown. The
// module is instantiated twice: first a throw-away probe instance on a one-page memory,
// to read the static data size (heap_base) and the kernels' workspace sizes (pure
// functions); then the real instance on the planned memory. Instantiating an already
// compiled module is cheap, and this keeps the layout free of guessed constants.
//
// Builds: the engine is compiled four times from one source (asconfig.json): SIMD128 or relaxed
// SIMD (fused multiply-adds, assembly/simd.ts), each with a private memory (encore.wasm,
// encore.relaxed.wasm) or a shared one for the worker-thread engine (encore.shared.wasm,
// encore.relaxed.shared.wasm). Given the set (EngineBuilds, e.g. engineBuilds(dir)), load() picks:
// relaxed when WebAssembly.validate accepts a one-instruction relaxed-SIMD probe, else SIMD128 (an
// option or ENCORE_SIMD forces one); the shared build when more than one thread is asked for and
// shared memory and workers exist here, else one thread, said once. Given one source, it is used
// as it is (its BUILD_RELAXED / BUILD_SHARED globals say what it is).
//
// Threads: with threads = n > 1 the engine starts n - 1 workers (src/engine/threads.ts) running
// the same module on the same shared memory; per-thread workspaces are laid out by the plan
// (LayoutContext.threads), and the host wrappers split large calls: top-k by catalog rows or by
// listeners (src/engine/topk.ts), GEMM by panels (Engine.gemm), a dense layer's forward by batch
// rows (Engine.denseForward), item2vec batches (src/embed/item2vec.ts).
//
// Instantiation goes through @assemblyscript/loader, which accepts bytes, a Response or
// a compiled Module alike. Kernels are then called on the raw instance exports, not on the
// loader's demangled wrappers, which spread their arguments into a fresh array on every call
// (hot loops allocate nothing).
//
// Errors: a kernel given arguments it cannot honour traps through abort(message) (the engine's
// one error convention, assembly/check.ts). The engine's env.abort below decodes the message
// from wasm memory and throws Error("encore engine: <kernel>: <what>"), with the source location
// when the build has one (the debug build's asserts). The loader's own abort would append
// " at :0:0" for the release checks, which carry no location.
//
// No `node:` imports here: this runs in browsers, Web Workers and edge runtimes.

import { instantiate } from "@assemblyscript/loader";
import type { EngineExports } from "./kernels.js";
import { MemoryPlan, type Layout } from "./plan.js";
import { abortMessage } from "./abort.js";
import { ThreadPool, threadsUnavailable, type ThreadSpawner } from "./threads.js";

/** Where the wasm comes from: its bytes, a compiled Module, a fetch Response, or a URL to fetch. */
export type WasmSource = BufferSource | WebAssembly.Module | Response | Promise<Response> | URL | string;

/** The instruction sets the engine is built for: plain SIMD128, or relaxed SIMD (fused multiply-add). */
export type SimdBuild = "simd128" | "relaxed";

/** The engine's builds (see engineBuilds): load() picks one. Only simd128 is required. */
export interface EngineBuilds {
  simd128: WasmSource;
  relaxed?: WasmSource;
  /** The SIMD128 build on a shared memory (the worker-thread engine). */
  simd128Shared?: WasmSource;
  /** The relaxed build on a shared memory. */
  relaxedShared?: WasmSource;
}

/** The file of each build in build/ (and in a deployed folder): engineBuilds(dir) points at these. */
export const BUILD_FILES: Readonly<Record<keyof EngineBuilds, string>> = {
  simd128: "encore.wasm",
  relaxed: "encore.relaxed.wasm",
  simd128Shared: "encore.shared.wasm",
  relaxedShared: "encore.relaxed.shared.wasm",
};

/** The four builds as URLs in one folder (a page: engineBuilds(new URL("./", location.href))). */
export function engineBuilds(folder: URL | string): EngineBuilds {
  const at = (f: string): URL => new URL(f, folder);
  return { simd128: at(BUILD_FILES.simd128), relaxed: at(BUILD_FILES.relaxed), simd128Shared: at(BUILD_FILES.simd128Shared), relaxedShared: at(BUILD_FILES.relaxedShared) };
}

export interface EngineOptions {
  /**
   * Which build to run: "relaxed" or "simd128" forces one (an Error when relaxed SIMD does not
   * validate here); "auto" (the default) takes relaxed when it validates. Unset, the environment
   * variable ENCORE_SIMD (where there is one) decides, else "auto". With a single source, a forced
   * value must match what the source is.
   */
  simd?: SimdBuild | "auto";
  /** Threads to run kernels on (default 1). More need shared memory and `threadWorker`, else one thread, said once. */
  threads?: number;
  /** Starts one engine thread: nodeThreads (src/engine/node-threads.ts) in Node, webThreads(url) on a page. */
  threadWorker?: ThreadSpawner;
  /** Where the once-per-process notice of a fallback to one thread goes (default console.warn). */
  onNotice?: (message: string) => void;
}

// (module (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd))
const RELAXED_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0,
  10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11]);

/** Whether this runtime accepts relaxed SIMD (f32x4.relaxed_madd): Node ≥ 22, Deno, Bun, Chromium, workerd; Node 20 with --experimental-wasm-relaxed-simd. */
export function relaxedSimdSupported(): boolean {
  try {
    return WebAssembly.validate(RELAXED_PROBE);
  } catch {
    return false;
  }
}

let noticed = false;

function envSimd(): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  try {
    return p?.env?.ENCORE_SIMD || undefined;
  } catch {
    return undefined; // Deno without --allow-env throws on reading the environment: no override then
  }
}

/** The simd choice from the option, else ENCORE_SIMD, else auto; an Error for anything else. */
function simdChoice(option: EngineOptions["simd"]): SimdBuild | "auto" {
  const v = option ?? envSimd() ?? "auto";
  if (v !== "auto" && v !== "simd128" && v !== "relaxed") {
    throw new Error(`${option !== undefined ? "engine option simd" : "ENCORE_SIMD"}: expected simd128, relaxed or auto, got '${v}'`);
  }
  if (v === "relaxed" && !relaxedSimdSupported()) {
    throw new Error("relaxed SIMD was asked for, but this runtime does not validate f32x4.relaxed_madd (Node 20 needs --experimental-wasm-relaxed-simd; the encore CLI sets it)");
  }
  return v;
}

function isBuilds(x: unknown): x is EngineBuilds {
  return typeof x === "object" && x !== null && "simd128" in x && !(x instanceof WebAssembly.Module) && !ArrayBuffer.isView(x) && !(x instanceof ArrayBuffer);
}

export class Engine {
  /** Extra threads' pool (null with one thread). */
  readonly pool: ThreadPool | null;
  /** Above this many multiply-adds (M·N·K), gemm() splits a product across the threads. */
  gemmParallelMin = 1 << 21;

  private constructor(
    readonly memory: WebAssembly.Memory,
    readonly module: WebAssembly.Module,
    readonly x: EngineExports,
    readonly plan: MemoryPlan,
    readonly layout: Layout,
    /** Thread 0's GEMM workspace (the calling thread's); thread t's is gemmWorkspaceOf(t). */
    readonly gemmWorkspace: number,
    private readonly gemmStride: number,
    /** The build running: "simd128" or "relaxed". */
    readonly simd: SimdBuild,
    /** Whether the memory is shared (the worker-thread builds). */
    readonly shared: boolean,
    pool: ThreadPool | null,
  ) {
    this.pool = pool;
  }

  /** Threads kernels run on: 1 + the pool's workers. */
  get threads(): number {
    return 1 + (this.pool?.size ?? 0);
  }

  /**
   * Compile (if needed) and instantiate the engine on a fresh memory laid out by `plan`.
   * The plan is frozen afterwards: its regions and parameter views are valid from now on.
   * `source`: one build (used as it is) or the set of builds (EngineBuilds) to choose from.
   */
  /**
   * Options for every load() that does not give them itself (a program sets them once, e.g. the
   * CLI's --threads); explicit options win. Empty by default: one thread, simd "auto".
   */
  static defaults: EngineOptions = {};

  static async load(source: WasmSource | EngineBuilds, plan: MemoryPlan = new MemoryPlan(), given: EngineOptions = {}): Promise<Engine> {
    const options: EngineOptions = { ...Engine.defaults, ...stripUndefined(given) };
    const wanted = options.threads ?? 1;
    if (!Number.isInteger(wanted) || wanted < 1 || wanted > 256) throw new Error(`engine option threads: expected an integer from 1 to 256, got ${wanted}`);
    const simd = simdChoice(options.simd);
    let threads = wanted;
    const fallback = (why: string): void => {
      threads = 1;
      if (noticed) return;
      noticed = true;
      (options.onNotice ?? ((m: string) => console.warn(m)))(`encore: running on one thread, not ${wanted}: ${why}`);
    };
    if (threads > 1) {
      const why = threadsUnavailable() ?? (options.threadWorker ? null : "no way to start engine threads was given (the threadWorker option)");
      if (why) fallback(why);
    }

    let chosen: WasmSource;
    if (isBuilds(source)) {
      const relaxed = simd === "relaxed" || (simd === "auto" && source.relaxed !== undefined && relaxedSimdSupported());
      if (relaxed && !source.relaxed) throw new Error("relaxed SIMD was asked for, but the builds given have no relaxed one");
      if (threads > 1 && !(relaxed ? source.relaxedShared : source.simd128Shared)) fallback(`the builds given have no shared-memory ${relaxed ? "relaxed" : "SIMD128"} build`);
      chosen = threads > 1 ? (relaxed ? source.relaxedShared! : source.simd128Shared!) : relaxed ? source.relaxed! : source.simd128;
    } else {
      chosen = source;
    }
    const module = await compileSource(chosen);

    // The probe tells what the module is: one that imports a shared memory refuses a private one.
    let shared = false;
    let probe: EngineExports;
    try {
      probe = await instantiateOn(module, new WebAssembly.Memory({ initial: 1, maximum: 1 }));
    } catch (e) {
      if (!(e instanceof WebAssembly.LinkError)) throw e;
      if (threadsUnavailable()) throw new Error(`this engine build imports a shared memory, which this runtime cannot create: ${threadsUnavailable()}`);
      shared = true;
      probe = await instantiateOn(module, new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true } as WebAssembly.MemoryDescriptor));
    }
    const built: SimdBuild = probe.BUILD_RELAXED?.value === 1 ? "relaxed" : "simd128";
    if (!isBuilds(source) && simd !== "auto" && options.simd !== undefined && simd !== built) {
      throw new Error(`engine option simd: '${simd}' was asked for, but the engine given is the ${built} build`);
    }
    if (threads > 1 && !shared) fallback("the engine given is a build with a private memory (use the shared build, or the set of builds)");

    const gemmBytes = alignUp(probe.gemm_workspace_bytes());
    const ws = plan.region("gemm.workspace", "scratch", (_x, ctx) => gemmBytes * ctx.threads);
    const layout = plan.computeLayout(probe.heap_base(), probe, { threads });
    const memory = new WebAssembly.Memory({ initial: layout.pages, maximum: layout.pages, ...(shared ? { shared: true } : {}) } as WebAssembly.MemoryDescriptor);
    const x = await instantiateOn(module, memory);
    plan.bind(memory);
    const pool = threads > 1 ? await ThreadPool.start(module, memory, threads - 1, options.threadWorker!) : null;
    const engine = new Engine(memory, module, x, plan, layout, ws.ptr, gemmBytes, built, shared, pool);
    plan.attach(engine);
    return engine;
  }

  /** Current memory size in bytes (constant for the engine's life). */
  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  /** Thread t's GEMM workspace (t = 0 the calling thread, 1.. the workers). */
  gemmWorkspaceOf(t: number): number {
    return this.gemmWorkspace + t * this.gemmStride;
  }

  /** Stop the engine's worker threads (nothing to do with one thread). Kernels still run on this thread. */
  close(): void {
    this.pool?.close();
  }

  /**
   * GEMM on every thread: C (M, N) (+)= op(A) · op(B), form "nn" (A (M,K), B (K,N)), "nt"
   * (B stored (N,K)) or "tn" (A stored (K,M)); pointers are byte addresses, leading dimensions in
   * elements, as for the gemm_f32_* kernels. Products of at least gemmParallelMin multiply-adds
   * are split across the threads into column panels of C (N ≥ M: each thread a slice of B's
   * columns) or row panels (M > N: a slice of A's rows), each thread on its own workspace; the
   * result is bit-identical to one thread (every element is computed by the same microkernel over
   * the same K blocks). Smaller products, and one thread, call the kernel directly.
   */
  gemm(form: "nn" | "nt" | "tn", M: number, N: number, K: number, a: number, lda: number, b: number, ldb: number,
       c: number, ldc: number, acc = false): void {
    const x = this.x, pool = this.pool;
    const kernel = form === "nn" ? x.gemm_f32_nn : form === "nt" ? x.gemm_f32_nt : form === "tn" ? x.gemm_f32_tn : null;
    if (kernel === null) throw new Error(`gemm: form must be "nn", "nt" or "tn", got ${String(form)}`);
    const T = pool === null || M * N * K < this.gemmParallelMin ? 1 : Math.min(this.threads, Math.max(1, N >= M ? Math.floor(N / 8) : Math.floor(M / 4)));
    if (T === 1) {
      kernel(M, N, K, a, lda, b, ldb, c, ldc, acc ? 1 : 0, this.gemmWorkspace);
      return;
    }
    const byCols = N >= M;
    // Panel bounds in units of the microkernel tile (8 columns, 4 rows), so no thread gets a ragged edge it need not.
    const unit = byCols ? 8 : 4, total = byCols ? N : M;
    const units = Math.ceil(total / unit);
    const op = `gemm_f32_${form}` as const;
    for (let t = T - 1; t >= 0; t--) {
      const lo = Math.min(total, Math.floor((units * t) / T) * unit), hi = Math.min(total, Math.floor((units * (t + 1)) / T) * unit);
      let ap = a, bp = b, cp = c, m = M, n = N;
      if (byCols) {
        n = hi - lo;
        bp = form === "nt" ? b + lo * ldb * 4 : b + lo * 4;
        cp = c + lo * 4;
      } else {
        m = hi - lo;
        ap = form === "tn" ? a + lo * 4 : a + lo * lda * 4;
        cp = c + lo * ldc * 4;
      }
      if (t === 0) {
        kernel(m, n, K, ap, lda, bp, ldb, cp, ldc, acc ? 1 : 0, this.gemmWorkspace);
      } else {
        const g = pool!.args(t - 1);
        g[0] = m; g[1] = n; g[2] = K; g[3] = ap; g[4] = lda; g[5] = bp; g[6] = ldb; g[7] = cp; g[8] = ldc; g[9] = acc ? 1 : 0;
        g[10] = this.gemmWorkspaceOf(t);
        pool!.start(t - 1, op, 11);
      }
    }
    let error: unknown = null;
    for (let t = 1; t < T; t++) {
      try { pool!.wait(t - 1); } catch (e) { error ??= e; }
    }
    if (error) throw error;
  }

  /**
   * dense_forward on every thread: out (B, O) = act(inp (B, I) · w (I, O) + bias) (bias 0: none),
   * as the kernel. A layer of at least gemmParallelMin multiply-adds with at least 8 rows is split
   * into row panels (multiples of the microkernel's 4 rows), each thread its panel on its own GEMM
   * workspace: every output row is computed by the same microkernel over the same K blocks, and its
   * bias and activation by the same code, so the result is bit-identical to one thread. Smaller
   * layers, and one thread, call the kernel directly.
   */
  denseForward(B: number, I: number, O: number, inp: number, w: number, bias: number, out: number, act: number): void {
    const x = this.x, pool = this.pool;
    const T = pool === null || B * I * O < this.gemmParallelMin ? 1 : Math.min(this.threads, Math.floor(B / 4));
    if (T < 2) {
      x.dense_forward(B, I, O, inp, w, bias, out, act, this.gemmWorkspace);
      return;
    }
    // panel t: rows [4·⌊units·t/T⌋, 4·⌊units·(t+1)/T⌋) (no closure: nothing allocated per call)
    const units = Math.ceil(B / 4);
    for (let t = T - 1; t >= 1; t--) {
      const r0 = Math.min(B, Math.floor((units * t) / T) * 4), r1 = Math.min(B, Math.floor((units * (t + 1)) / T) * 4);
      const g = pool!.args(t - 1);
      g[0] = r1 - r0; g[1] = I; g[2] = O; g[3] = inp + r0 * I * 4; g[4] = w; g[5] = bias; g[6] = out + r0 * O * 4; g[7] = act;
      g[8] = this.gemmWorkspaceOf(t);
      pool!.start(t - 1, "dense_forward", 9);
    }
    let error: unknown = null;
    try {
      x.dense_forward(Math.min(B, Math.floor(units / T) * 4), I, O, inp, w, bias, out, act, this.gemmWorkspace);
    } catch (e) {
      error = e;
    }
    for (let t = 1; t < T; t++) {
      try { pool!.wait(t - 1); } catch (e) { error ??= e; }
    }
    if (error) throw error;
  }

  /**
   * Throws a clear Error unless [ptr, ptr + bytes) is a byte range a kernel may use: an integer,
   * `align`-aligned address at or above the plan's first byte (never the engine's static data),
   * ending inside memory. `what` names the argument in the message (e.g. "pool.forward: x").
   */
  checkRange(what: string, ptr: number, bytes: number, align = 4): void {
    if (!Number.isInteger(ptr) || ptr % align !== 0) throw new Error(`${what}: ${ptr} is not a ${align}-byte aligned byte address`);
    if (ptr < this.layout.start) throw new Error(`${what}: address ${ptr} lies in the engine's static data (regions start at ${this.layout.start})`);
    if (ptr + bytes > this.byteLength) throw new Error(`${what}: ${bytes} bytes at ${ptr} end at ${ptr + bytes}, past the engine memory (${this.byteLength} bytes)`);
  }
}

function stripUndefined(o: EngineOptions): EngineOptions {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as EngineOptions;
}

function alignUp(n: number): number {
  return Math.ceil(n / 16) * 16;
}

/**
 * Compile the engine: the one place encore turns bytes into a WebAssembly.Module (the library's
 * compileEngine and Engine.load both come here). A Response served as application/wasm compiles
 * while it downloads. A runtime that refuses to compile at run time (Cloudflare workerd: "Wasm
 * code generation disallowed by embedder") gets an error saying what to pass instead.
 */
export async function compileSource(source: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  try {
    if (typeof source === "string" || source instanceof URL) {
      let response: Response;
      try {
        response = await fetch(source);
      } catch (e) {
        throw new Error(`wasm: could not fetch the encore engine from ${String(source)}: ${(e as Error).message}`, { cause: e });
      }
      if (!response.ok) throw new Error(`wasm: could not fetch the encore engine from ${String(source)}: HTTP ${response.status}`);
      return await compileResponse(response);
    }
    const awaited = await source;
    if (isResponse(awaited)) {
      if (!awaited.ok) throw new Error(`wasm: HTTP ${awaited.status} from ${awaited.url || "a response"}`);
      return await compileResponse(awaited);
    }
    return await WebAssembly.compile(awaited as BufferSource);
  } catch (e) {
    throw codeGenerationHint(e);
  }
}

/** compileSource for bytes at hand, synchronously (the Node CLI compiles its build files once at start). */
export function compileBytesSync(bytes: BufferSource): WebAssembly.Module {
  try {
    return new WebAssembly.Module(bytes);
  } catch (e) {
    throw codeGenerationHint(e);
  }
}

async function compileResponse(response: Response): Promise<WebAssembly.Module> {
  // Streaming compilation overlaps download and compile; it needs the application/wasm type.
  if (typeof WebAssembly.compileStreaming === "function" && response.headers.get("content-type")?.split(";")[0].trim() === "application/wasm") {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

/** The runtime forbids compiling wasm from bytes: say to pass a compiled module (other errors unchanged). */
export function codeGenerationHint(e: unknown): unknown {
  const message = e instanceof Error ? e.message : String(e);
  if (!/code generation disallowed|disallowed by embedder|WebAssembly\.compile.*not allowed|wasm-eval|unsafe-eval/i.test(message)) return e;
  return new Error(
    `this runtime does not allow compiling WebAssembly from bytes, a URL or a Response (${message}). ` +
      'Pass the engine as a compiled WebAssembly.Module instead: on Cloudflare Workers, import engine from "encore/encore.wasm" ' +
      "(a module import, compiled at deploy time) and give { wasm: engine }",
    { cause: e },
  );
}

function isResponse(x: unknown): x is Response {
  return typeof Response !== "undefined" && x instanceof Response;
}

async function instantiateOn(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<EngineExports> {
  const abort = (msg: number, file: number, line: number, col: number): never => {
    throw new Error(abortMessage(memory, msg, file, line, col));
  };
  const { instance } = await instantiate(module, { env: { memory, abort } });
  return instance.exports as unknown as EngineExports;
}
