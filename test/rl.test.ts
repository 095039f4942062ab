import { describe, it, expect } from "vitest";
import { MemoryPlan } from "../src/engine/plan.js";
import { Rng } from "../src/rng.js";
import { loadEngine } from "./util/engine.js";
import { SIZES, expectClose, widen } from "./util/close.js";
import { tdTargetRef } from "./reference/rl.js";

describe("DDPG helper kernels", async () => {
  const plan = new MemoryPlan();
  const n = 65;
  const r = plan.f32("r", "io", n), done = plan.f32("done", "io", n), q = plan.f32("q", "io", n), y = plan.f32("y", "io", n + 1);
  const engine = await loadEngine(plan);
  const rng = new Rng(8);

  it("td_target_f32: y = r + γ(1 − done)q' over the size sweep, done rows do not bootstrap", () => {
    for (const B of SIZES) {
      for (let i = 0; i < B; i++) {
        r.f32()[i] = rng.float();
        done.f32()[i] = rng.float() < 0.3 ? 1 : 0;
        q.f32()[i] = rng.normal() * 10;
      }
      y.f32()[B] = 12345; // canary
      engine.x.td_target_f32(B, r.ptr, done.ptr, q.ptr, 0.99, y.ptr);
      const ref = tdTargetRef(r.f32().subarray(0, B), done.f32().subarray(0, B), q.f32().subarray(0, B), 0.99);
      expectClose(y.f32().subarray(0, B), ref, { atol: 1e-6, rtol: 1e-6 }, `td target B=${B}`);
      for (let i = 0; i < B; i++) if (done.f32()[i] === 1) expect(y.f32()[i]).toBe(r.f32()[i]);
      expect(y.f32()[B]).toBe(12345);
    }
  });

  it("sum_f32 equals the f64 sum", () => {
    for (const B of SIZES) {
      for (let i = 0; i < B; i++) q.f32()[i] = rng.normal();
      const ref = Array.from(q.f32().subarray(0, B)).reduce((a, b) => a + b, 0);
      expectClose([engine.x.sum_f32(B, q.ptr)], [ref], widen({ atol: 1e-12, rtol: 1e-12 }, B), `sum B=${B}`);
    }
  });
});
