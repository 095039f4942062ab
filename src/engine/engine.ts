// Loading the encore wasm engine and binding it to a memory plan.
//
// The host owns one WebAssembly.Memory, sized once from the plan and never grown. The
// module is instantiated twice: first a throw-away probe instance on a one-page memory,
// to read the static data size (heap_base) and the kernels' workspace sizes (pure
// functions); then the real instance on the planned memory. Instantiating an already
// compiled module is cheap, and this keeps the layout free of guessed constants.
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

/** Where the wasm comes from: its bytes, a compiled Module, a fetch Response, or a URL to fetch. */
export type WasmSource = BufferSource | WebAssembly.Module | Response | Promise<Response> | URL | string;

export class Engine {
  private constructor(
    readonly memory: WebAssembly.Memory,
    readonly module: WebAssembly.Module,
    readonly x: EngineExports,
    readonly plan: MemoryPlan,
    readonly layout: Layout,
    readonly gemmWorkspace: number,
  ) {}

  /**
   * Compile (if needed) and instantiate the engine on a fresh memory laid out by `plan`.
   * The plan is frozen afterwards: its regions and parameter views are valid from now on.
   */
  static async load(source: WasmSource, plan: MemoryPlan = new MemoryPlan()): Promise<Engine> {
    const module = await compileSource(source);
    const probe = await instantiateOn(module, new WebAssembly.Memory({ initial: 1, maximum: 1 }));
    const ws = plan.region("gemm.workspace", "scratch", (x) => x.gemm_workspace_bytes());
    const layout = plan.computeLayout(probe.heap_base(), probe);
    const memory = new WebAssembly.Memory({ initial: layout.pages, maximum: layout.pages });
    const x = await instantiateOn(module, memory);
    plan.bind(memory);
    const engine = new Engine(memory, module, x, plan, layout, ws.ptr);
    plan.attach(engine);
    return engine;
  }

  /** Current memory size in bytes (constant for the engine's life). */
  get byteLength(): number {
    return this.memory.buffer.byteLength;
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

async function compileSource(source: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (typeof source === "string" || source instanceof URL) {
    const response = await fetch(source);
    if (!response.ok) throw new Error(`could not fetch the encore engine from ${String(source)}: HTTP ${response.status}`);
    return WebAssembly.compile(await response.arrayBuffer());
  }
  const awaited = await source;
  if (isResponse(awaited)) return WebAssembly.compile(await awaited.arrayBuffer());
  return WebAssembly.compile(awaited as BufferSource);
}

function isResponse(x: unknown): x is Response {
  return typeof Response !== "undefined" && x instanceof Response;
}

async function instantiateOn(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<EngineExports> {
  const abort = (msg: number, file: number, line: number, col: number): never => {
    const where = file ? ` (${readString(memory, file)}:${line}:${col})` : "";
    throw new Error(`encore engine: ${readString(memory, msg)}${where}`);
  };
  const { instance } = await instantiate(module, { env: { memory, abort } });
  return instance.exports as unknown as EngineExports;
}

/** An AssemblyScript string in wasm memory: UTF-16 code units at ptr, byte length at ptr - 4. */
function readString(memory: WebAssembly.Memory, ptr: number): string {
  const buf = memory.buffer;
  if (ptr < 4 || ptr % 4 !== 0 || ptr > buf.byteLength) return "?";
  const bytes = new Uint32Array(buf, ptr - 4, 1)[0];
  if (ptr + bytes > buf.byteLength || bytes % 2 !== 0) return "?";
  return String.fromCharCode(...new Uint16Array(buf, ptr, bytes >>> 1));
}
