// MSE loss (assembly/loss.ts) against the f64 reference (test/reference/loss.ts).
// Tolerances: the forward sums in f64 over f32 inputs, so it matches the f64 reference to
// rtol 1e-12 even for n = 200000; the backward (one f32 subtraction and one f32 multiply by
// the f32-rounded 2/n) to atol 1e-12, rtol 3e-7 per element (≈ 2.5 ulp). Finite differences on
// the reference: h = 1e-5, atol 1e-9, rtol 1e-7.
import { describe, it, expect, beforeAll } from "vitest";
import { MemoryPlan, type Region } from "../src/engine/plan.js";
import type { Engine } from "../src/engine/engine.js";
import { Rng } from "../src/rng.js";
import { loadEngine } from "./util/engine.js";
import { expectClose, SIZES } from "./util/close.js";
import { mseBackward, mseForward } from "./reference/loss.js";

const BIG = 200_000;
let engine: Engine;
let P: Region, Tg: Region, D: Region;

beforeAll(async () => {
  const plan = new MemoryPlan();
  P = plan.f32("pred", "io", BIG + 8);
  Tg = plan.f32("target", "io", BIG + 8);
  D = plan.f32("dpred", "io", BIG + 8);
  engine = await loadEngine(plan);
});

const rand = (rng: Rng, n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, () => (rng.float() * 2 - 1) * scale);
const at = (r: Region, off: number): number => r.ptr + off * 4;

describe("mse", () => {
  it("forward over SIZES × alignments, a long sum, and n = 0", () => {
    const rng = new Rng(1);
    for (const n of [...SIZES, 1000, BIG]) for (const off of n > 1000 ? [1] : [0, 1, 2, 3]) {
      const p = rand(rng, n, 3), t = rand(rng, n, 3);
      P.f32().set(p, off);
      Tg.f32().set(t, (off + 3) % 4);
      const got = engine.x.mse_forward(n, at(P, off), at(Tg, (off + 3) % 4));
      const ref = mseForward(p, t);
      expect(Math.abs(got - ref), `mse n=${n} off=${off}: ${got} vs ${ref}`).toBeLessThanOrEqual(1e-12 * ref);
    }
    expect(engine.x.mse_forward(0, at(P, 0), at(Tg, 0))).toBe(0);
  });

  it("backward over SIZES × alignments, out of place and in place (dpred = pred)", () => {
    const rng = new Rng(2);
    for (const n of [0, ...SIZES]) for (const off of [0, 1, 2, 3]) {
      const p = rand(rng, n, 3), t = rand(rng, n, 3);
      const ref = mseBackward(p, t);
      const dv = D.f32();
      dv.fill(NaN, 0, n + 12);
      P.f32().set(p, off);
      Tg.f32().set(t, (off + 1) % 4);
      engine.x.mse_backward(n, at(P, off), at(Tg, (off + 1) % 4), at(D, (off + 2) % 4));
      expectClose(dv.slice((off + 2) % 4, (off + 2) % 4 + n), ref, { atol: 1e-12, rtol: 3e-7 }, `dmse n=${n} off=${off}`);
      for (let i = 0; i < n + 12; i++) if (i < (off + 2) % 4 || i >= (off + 2) % 4 + n) expect(dv[i], `dpred written outside at ${i}`).toBeNaN();
      engine.x.mse_backward(n, at(P, off), at(Tg, (off + 1) % 4), at(P, off));
      expectClose(P.f32().slice(off, off + n), ref, { atol: 1e-12, rtol: 3e-7 }, `dmse in place n=${n}`);
    }
  });

  it("reference gradient matches central differences; wasm gradient matches the reference", () => {
    const rng = new Rng(3);
    const h = 1e-5;
    for (const n of [1, 5, 17]) {
      const p = Array.from(rand(rng, n, 2)), t = Array.from(rand(rng, n, 2));
      const an = mseBackward(p, t);
      const fd = p.map((_, i) => {
        const keep = p[i];
        p[i] = keep + h; const plus = mseForward(p, t);
        p[i] = keep - h; const minus = mseForward(p, t);
        p[i] = keep;
        return (plus - minus) / (2 * h);
      });
      expectClose(an, fd, { atol: 1e-9, rtol: 1e-7 }, `mse FD n=${n}`);
      P.f32().set(p, 0);
      Tg.f32().set(t, 0);
      engine.x.mse_backward(n, at(P, 0), at(Tg, 0), at(D, 0));
      expectClose(D.f32().slice(0, n), an, { atol: 1e-12, rtol: 3e-7 }, `wasm dmse n=${n}`);
    }
  });
});
