import { describe, it, expect } from "vitest";
import { MemoryPlan } from "../src/engine/plan.js";
import { loadEngine } from "./util/engine.js";

describe("memory plan", () => {
  it("lays out groups and regions 16-byte aligned, above the engine's static data, without overlap", async () => {
    const plan = new MemoryPlan();
    const g = plan.paramGroup("net", { target: true });
    const w = g.add("w", [3, 5]);
    const b = g.add("b", [5]);
    const act = plan.f32("act", "activation", 7);
    const io = plan.i32("io", "io", 3);
    const engine = await loadEngine(plan);
    expect(g.size).toBe(16 + 8);
    expect(w.offset).toBe(0);
    expect(b.offset).toBe(16);
    const ranges: [number, number][] = [];
    for (const arena of g.arenas) {
      expect(g.arenaPtr(arena) % 16).toBe(0);
      ranges.push([g.arenaPtr(arena), g.arenaPtr(arena) + g.size * 4]);
    }
    for (const r of plan.regions) {
      expect(r.ptr % 16).toBe(0);
      if (r.byteLength > 0) ranges.push([r.ptr, r.ptr + r.byteLength]);
    }
    ranges.sort((x, y) => x[0] - y[0]);
    expect(ranges[0][0]).toBeGreaterThanOrEqual(engine.x.heap_base());
    for (let i = 1; i < ranges.length; i++) expect(ranges[i][0]).toBeGreaterThanOrEqual(ranges[i - 1][1]);
    expect(ranges[ranges.length - 1][1]).toBeLessThanOrEqual(engine.byteLength);
    expect(act.f32().length).toBe(7);
    expect(io.i32().length).toBe(3);
    // one layout across arenas: the same tensor sits at the same offset in each
    expect(w.ptr("grad") - g.arenaPtr("grad")).toBe(w.ptr("value") - g.arenaPtr("value"));
    expect(b.view("target").length).toBe(5);
  });

  it("refuses changes once laid out, and explains unbound access", async () => {
    const plan = new MemoryPlan();
    const r = plan.f32("x", "io", 4);
    expect(() => r.ptr).toThrow(/not laid out yet/);
    await loadEngine(plan);
    expect(() => plan.f32("y", "io", 4)).toThrow(/already laid out/);
    const g2 = new MemoryPlan().paramGroup("g");
    expect(() => g2.arenaPtr("target")).toThrow(/not laid out yet/);
  });
});
