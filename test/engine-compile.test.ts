// The one place the engine is compiled (compileSource in src/engine/engine.ts, behind the
// library's compileEngine and Engine.load): a runtime that refuses to compile wasm at run time
// (Cloudflare workerd: "Wasm code generation disallowed by embedder") gets an error telling the
// user to pass a compiled WebAssembly.Module; a Module is used as it is, other errors pass unchanged.
import { describe, it, expect, afterEach, vi } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { compileEngine, Engine } from "../src/index.js";
import { MemoryPlan } from "../src/engine/plan.js";

const BYTES = readFileSync(fileURLToPath(new URL("../build/encore.wasm", import.meta.url)));
const REFUSED = "WebAssembly.compile(): Wasm code generation disallowed by embedder";

afterEach(() => vi.restoreAllMocks());

describe("engine compilation", () => {
  it("says to pass a WebAssembly.Module where compiling from bytes, a Response or a URL is refused", async () => {
    const module = await compileEngine(BYTES); // compiled before compiling is 'disallowed'
    vi.spyOn(WebAssembly, "compile").mockRejectedValue(new WebAssembly.CompileError(REFUSED));
    vi.spyOn(WebAssembly, "compileStreaming").mockRejectedValue(new WebAssembly.CompileError(REFUSED));
    for (const source of [BYTES, new Response(BYTES), new Response(BYTES, { headers: { "content-type": "application/wasm" } })]) {
      const e = await compileEngine(source).catch((x: Error) => x);
      expect(e).toBeInstanceOf(Error);
      expect((e as Error).message).toMatch(/^this runtime does not allow compiling WebAssembly from bytes, a URL or a Response \(WebAssembly\.compile\(\): Wasm code generation disallowed by embedder\)\. Pass the engine as a compiled WebAssembly\.Module instead: on Cloudflare Workers, import engine from "encore\/encore\.wasm"/);
      expect((e as Error).cause).toBeInstanceOf(WebAssembly.CompileError);
    }
    await expect(Engine.load(BYTES, new MemoryPlan())).rejects.toThrow(/Pass the engine as a compiled WebAssembly\.Module/);
    // the Module itself still loads: nothing is compiled
    expect(await compileEngine(module)).toBe(module);
    const engine = await Engine.load(module, new MemoryPlan());
    expect(engine.threads).toBe(1);
  });

  it("leaves other compile errors as they are", async () => {
    const e = await compileEngine(new Uint8Array([0, 97, 115, 109, 9, 0, 0, 0])).catch((x: Error) => x);
    expect(e).toBeInstanceOf(WebAssembly.CompileError);
    expect((e as Error).message).not.toMatch(/WebAssembly\.Module instead/);
  });
});
