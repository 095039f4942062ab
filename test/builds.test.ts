// The engine's builds (asconfig.json): SIMD128 and relaxed SIMD from one source, each with a
// private or a shared memory, and how Engine.load picks one.
//
// madd (assembly/simd.ts) is the one difference: the SIMD128 build multiplies then adds (two
// roundings), the relaxed build issues f32x4.relaxed_madd, which V8 fuses (one rounding) on CPUs
// with FMA. A product chosen so the two differ shows which happened. The kernel tests run on both
// builds (npm test, npm run test:relaxed) with the same tolerances: a fused multiply-add rounds
// once instead of twice, so its error is never above the unfused one's bound the tolerances were
// set for (atol + rtol·|ref|, rtol ≥ 1e-6 per term, widened by √K), and the relaxed build passes them as is.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { BUILD_FILES, Engine, engineBuilds, relaxedSimdSupported, type EngineBuilds } from "../src/engine/engine.js";
import { MemoryPlan } from "../src/engine/plan.js";
import { nodeThreads } from "../src/engine/node-threads.js";
import { enableRelaxedSimd } from "../src/cli/wasm.js";

const dir = fileURLToPath(new URL("../build/", import.meta.url));
const bytes = (k: keyof EngineBuilds): Uint8Array => readFileSync(dir + BUILD_FILES[k]);
const RELAXED_MADD = [0xfd, 0x85, 0x02]; // f32x4.relaxed_madd

function count(b: Uint8Array, seq: number[]): number {
  let n = 0;
  for (let i = 0; i + seq.length <= b.length; i++) if (seq.every((v, j) => b[i + j] === v)) n++;
  return n;
}

/** C = [1, a]·[-1, a]ᵀ with a = 1 + 2⁻¹²: a² = 1 + 2⁻¹¹ + 2⁻²⁴ needs 25 bits, so a·a − 1 is 2⁻¹¹ + 2⁻²⁴ fused, 2⁻¹¹ unfused. */
async function fmaProbe(e: Engine, A: number, B: number, C: number): Promise<number> {
  const a = 1 + 2 ** -12;
  new Float32Array(e.memory.buffer, A, 2).set([1, a]);
  new Float32Array(e.memory.buffer, B, 2).set([-1, a]);
  e.x.gemm_f32_nn(1, 1, 2, A, 2, B, 1, C, 1, 0, e.gemmWorkspace);
  return new Float32Array(e.memory.buffer, C, 1)[0];
}

async function load(source: Parameters<typeof Engine.load>[0], options = {}): Promise<{ e: Engine; A: number; B: number; C: number }> {
  const plan = new MemoryPlan();
  const A = plan.f32("a", "io", 4), B = plan.f32("b", "io", 4), C = plan.f32("c", "io", 4);
  const e = await Engine.load(source, plan, options);
  return { e, A: A.ptr, B: B.ptr, C: C.ptr };
}

describe("engine builds", () => {
  it("relaxed SIMD validates here once the V8 flag is set (Node 20), and only the relaxed builds use relaxed_madd", () => {
    expect(enableRelaxedSimd()).toBe(true);
    expect(relaxedSimdSupported()).toBe(true);
    expect(count(bytes("simd128"), RELAXED_MADD)).toBe(0);
    expect(count(bytes("simd128Shared"), RELAXED_MADD)).toBe(0);
    expect(count(bytes("relaxed"), RELAXED_MADD)).toBeGreaterThan(30);
    expect(count(bytes("relaxedShared"), RELAXED_MADD)).toBeGreaterThan(30);
  });

  it("SIMD128 multiplies then adds; relaxed fuses where the CPU has FMA (which one is printed)", async () => {
    enableRelaxedSimd();
    const s = await load(bytes("simd128"));
    expect(s.e.simd).toBe("simd128");
    expect(await fmaProbe(s.e, s.A, s.B, s.C)).toBe(2 ** -11);
    const r = await load(bytes("relaxed"));
    expect(r.e.simd).toBe("relaxed");
    const got = await fmaProbe(r.e, r.A, r.B, r.C);
    expect([2 ** -11 + 2 ** -24, 2 ** -11]).toContain(got);
    console.log(`relaxed build: multiply-add ${got === 2 ** -11 + 2 ** -24 ? "fused (one rounding)" : "not fused on this CPU (two roundings)"}`);
  });

  it("load() picks relaxed when it validates, SIMD128 when asked, the shared build for threads; refuses contradictions", async () => {
    enableRelaxedSimd();
    const builds: EngineBuilds = { simd128: bytes("simd128"), relaxed: bytes("relaxed"), simd128Shared: bytes("simd128Shared"), relaxedShared: bytes("relaxedShared") };
    const auto = await load(builds, { simd: "auto" });
    expect([auto.e.simd, auto.e.shared, auto.e.threads]).toEqual(["relaxed", false, 1]);
    const forced = await load(builds, { simd: "simd128" });
    expect([forced.e.simd, forced.e.shared]).toEqual(["simd128", false]);
    const threaded = await load(builds, { threads: 2, threadWorker: nodeThreads });
    expect([threaded.e.simd, threaded.e.shared, threaded.e.threads]).toEqual(["relaxed", true, 2]);
    threaded.e.close();
    const onlySimd = await load({ simd128: bytes("simd128") });
    expect(onlySimd.e.simd).toBe("simd128");
    await expect(load({ simd128: bytes("simd128") }, { simd: "relaxed" })).rejects.toThrow(/builds given have no relaxed one/);
    await expect(load(bytes("simd128"), { simd: "relaxed" })).rejects.toThrow(/'relaxed' was asked for, but the engine given is the simd128 build/);
    await expect(load(bytes("simd128"), { simd: "avx" as "relaxed" })).rejects.toThrow(/engine option simd: expected simd128, relaxed or auto, got 'avx'/);
    // a shared build runs single-threaded too (on a shared memory)
    const sharedOne = await load(bytes("simd128Shared"));
    expect([sharedOne.e.shared, sharedOne.e.threads]).toEqual([true, 1]);
  });

  it("ENCORE_SIMD decides when the option is unset", async () => {
    enableRelaxedSimd();
    const builds: EngineBuilds = { simd128: bytes("simd128"), relaxed: bytes("relaxed") };
    const saved = process.env.ENCORE_SIMD;
    try {
      process.env.ENCORE_SIMD = "simd128";
      expect((await load(builds)).e.simd).toBe("simd128");
      process.env.ENCORE_SIMD = "relaxed";
      expect((await load(builds)).e.simd).toBe("relaxed");
      process.env.ENCORE_SIMD = "sse";
      await expect(load(builds)).rejects.toThrow(/ENCORE_SIMD: expected simd128, relaxed or auto, got 'sse'/);
    } finally {
      if (saved === undefined) delete process.env.ENCORE_SIMD;
      else process.env.ENCORE_SIMD = saved;
    }
  });

  it("engineBuilds(folder) names the four files in one folder", () => {
    const b = engineBuilds("https://example.invalid/app/");
    expect(String(b.simd128)).toBe("https://example.invalid/app/encore.wasm");
    expect(String(b.relaxed)).toBe("https://example.invalid/app/encore.relaxed.wasm");
    expect(String(b.simd128Shared)).toBe("https://example.invalid/app/encore.shared.wasm");
    expect(String(b.relaxedShared)).toBe("https://example.invalid/app/encore.relaxed.shared.wasm");
  });
});
