import { describe, it, expect } from "vitest";
import { MemoryPlan } from "../src/engine/plan.js";
import { Rng } from "../src/rng.js";
import { loadEngine } from "./util/engine.js";
import { SIZES } from "./util/close.js";
import { copy2dRef, gatherRowsRef } from "./reference/gather.js";

describe("gather and strided copy", async () => {
  const plan = new MemoryPlan();
  const V = 97, maxD = 65, maxR = 65, maxLd = 70;
  const E = plan.f32("E", "data", V * maxD);
  const idx = plan.i32("idx", "io", maxR);
  const src = plan.f32("src", "io", maxR * maxLd);
  const dst = plan.f32("dst", "io", maxR * maxLd + 4);
  const engine = await loadEngine(plan);
  const rng = new Rng(3);

  it("gathers rows exactly for every D and row count in the sweep, leaving the rest untouched", () => {
    for (const D of SIZES) for (const R of SIZES) {
      const e = E.f32().subarray(0, V * D);
      for (let i = 0; i < e.length; i++) e[i] = rng.normal();
      const ix = idx.i32();
      for (let r = 0; r < R; r++) ix[r] = rng.int(V);
      const out = dst.f32();
      out.fill(-7);
      engine.x.gather_rows_f32(R, idx.ptr, E.ptr, D, dst.ptr);
      const ref = gatherRowsRef(ix.subarray(0, R), e, D);
      // gathers copy bits: exact equality
      expect(Array.from(out.subarray(0, R * D))).toEqual(Array.from(ref, Math.fround));
      expect(out[R * D]).toBe(-7);
    }
  });

  it("copies strided 2-D blocks exactly, without touching the padding", () => {
    for (const C of SIZES) for (const R of [1, 3, 4, 17]) {
      const lds = C + rng.int(5), ldd = C + rng.int(5);
      const s = src.f32();
      for (let i = 0; i < R * lds; i++) s[i] = rng.normal();
      const d = dst.f32();
      for (let i = 0; i < R * ldd; i++) d[i] = i;
      const before = Float64Array.from(d.subarray(0, R * ldd));
      engine.x.copy_2d_f32(R, C, src.ptr, lds, dst.ptr, ldd);
      const ref = copy2dRef(R, C, s.subarray(0, R * lds), lds, before, ldd);
      expect(Array.from(d.subarray(0, R * ldd))).toEqual(Array.from(ref, Math.fround));
    }
  });
});
