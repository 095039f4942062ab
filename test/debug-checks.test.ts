// The checked debug build (build/encore.debug.wasm, asserts on; assembly/check.ts): its kernels
// refuse pointer ranges outside memory or inside the engine's static data, overlapping outputs
// and negative row indices, before writing anything, and the error names the kernel, the
// argument and the source line. The release build compiles these checks (and their messages)
// out; it keeps only the O(1) size and code checks every build has.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../src/engine/engine.js";
import { MemoryPlan, type Region } from "../src/engine/plan.js";

const DEBUG = fileURLToPath(new URL("../build/encore.debug.wasm", import.meta.url));
const RELEASE = fileURLToPath(new URL("../build/encore.wasm", import.meta.url));

async function load(path: string): Promise<{ e: Engine; a: Region; b: Region; idx: Region }> {
  const plan = new MemoryPlan();
  const a = plan.f32("a", "io", 64), b = plan.f32("b", "io", 64), idx = plan.i32("idx", "io", 8);
  const e = await Engine.load(new WebAssembly.Module(readFileSync(path)), plan);
  return { e, a, b, idx };
}

describe("debug build checks", () => {
  let d: Awaited<ReturnType<typeof load>>;
  beforeAll(async () => { d = await load(DEBUG); });

  it("a range past the end of memory fails naming the kernel, the argument and the source line", () => {
    const { e, a } = d;
    expect(() => e.x.fill_f32(64, e.byteLength - 16, 1)).toThrow(/^encore engine: fill_f32: x out of bounds \(assembly\/elementwise\.ts:\d+:\d+\)$/);
    expect(() => e.x.copy_f32(8, a.ptr, e.byteLength)).toThrow(/copy_f32: dst out of bounds/);
  });

  it("a null pointer or one into the engine's static data fails instead of overwriting it", () => {
    const { e, a } = d;
    expect(() => e.x.scale_f32(4, 0, 2)).toThrow(/scale_f32: x out of bounds/);
    expect(() => e.x.exp_f32(4, a.ptr, 8)).toThrow(/exp_f32: y out of bounds/);
  });

  it("overlapping ranges a kernel forbids fail", () => {
    const { e, a, b } = d;
    expect(() => e.x.soft_update_f32(16, a.ptr, a.ptr + 8, 0.5)).toThrow(/soft_update_f32: target overlaps src/);
    expect(() => e.x.copy_f32(16, a.ptr, a.ptr + 4)).toThrow(/copy_f32: src and dst overlap/);
    expect(() => e.x.gemm_f32_nn(2, 2, 2, a.ptr, 2, b.ptr, 2, a.ptr + 4, 2, 0, e.gemmWorkspace)).toThrow(/gemm: C overlaps A/);
  });

  it("a negative row index fails (release builds leave indices to the host)", () => {
    const { e, a, b, idx } = d;
    idx.i32().set([0, -1]);
    expect(() => e.x.gather_rows_f32(2, idx.ptr, a.ptr, 4, b.ptr)).toThrow(/gather_rows_f32: negative row index/);
    expect(() => e.x.scatter_add_rows_f32(2, 4, idx.ptr, a.ptr, b.ptr)).toThrow(/scatter_add_rows_f32: negative row index/);
  });

  it("the split top-k's part and merge kernels check their candidate ranges", () => {
    const { e, a, b } = d;
    // Q = 1, G = 1, k = 2: 2 candidates per part; a (64 floats) holds queries, b the candidates
    expect(() => e.x.topk_merge_f32(1, 1, 2, 0, 2, e.byteLength - 8, b.ptr, b.ptr + 64, b.ptr + 96, a.ptr))
      .toThrow(/topk_merge_f32: cand_idx out of bounds \(assembly\/topk\.ts:\d+:\d+\)/);
    // the part shares topk_f32's checks of the catalog, queries and workspace (here: ws = 0, static data)
    expect(() => e.x.topk_part_f32(a.ptr, 4, 4, a.ptr, 1, 1, 2, 0, 0, 0, 0, 4, b.ptr, b.ptr + 4, 0, 0, 0))
      .toThrow(/topk_f32: workspace out of bounds/);
  });

  it("nothing was written by a refused call", () => {
    const { e, a } = d;
    a.f32().fill(5);
    expect(() => e.x.copy_f32(8, a.ptr, e.byteLength - 8)).toThrow(/out of bounds/);
    expect(a.f32().every((v) => v === 5)).toBe(true);
  });
});

describe("release build", () => {
  it("keeps the size and code checks, without the debug build's range checks", async () => {
    const r = await load(RELEASE);
    expect(() => r.e.x.fill_f32(-1, r.a.ptr, 0)).toThrow(/^encore engine: fill_f32: negative size$/);
    // overlapping ranges are not checked here (the host wrappers' job): the call runs
    expect(() => r.e.x.copy_f32(4, r.a.ptr, r.a.ptr + 8)).not.toThrow();
    expect(() => r.e.x.fill_f32(4, 0, 1)).not.toThrow(); // nor a pointer into static data (here harmless: a fresh engine)
  });
});
