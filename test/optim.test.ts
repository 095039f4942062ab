// Optimiser kernels (assembly/optim.ts) against the f64 references (test/reference/optim.ts).
// Tolerances per element, atol + rtol·|ref|:
//   one Adam step                 atol 1e-6, rtol 1e-5 (param), 1e-7 / 1e-6 (m, v)
//   100 Adam steps (lr 1e-2)      atol 2e-5, rtol 1e-4 (f32 state drifts from the f64 path)
//   sumsq                         rtol 1e-12 (f64 accumulation of exact f32 squares)
//   soft update                   atol 1e-7, rtol 1e-6; τ = 0 and τ = 1 exact
import { describe, it, expect, beforeAll } from "vitest";
import { MemoryPlan, type Region } from "../src/engine/plan.js";
import type { Engine } from "../src/engine/engine.js";
import { Rng } from "../src/rng.js";
import { loadEngine } from "./util/engine.js";
import { expectClose, SIZES } from "./util/close.js";
import { adamStep, clipByNorm, softUpdate, sumsq, type AdamHyper } from "./reference/optim.js";

const CAP = 100_008;
let engine: Engine;
const R: Record<string, Region> = {};

beforeAll(async () => {
  const plan = new MemoryPlan();
  for (const n of ["param", "grad", "m", "v"]) R[n] = plan.f32(n, "io", CAP);
  engine = await loadEngine(plan);
});

const f32 = Math.fround;
const rand = (rng: Rng, n: number, scale = 1): number[] => Array.from({ length: n }, () => f32((rng.float() * 2 - 1) * scale));
const at = (name: string, off: number): number => R[name].ptr + off * 4;
const view = (name: string, off: number, n: number): Float32Array => R[name].f32().subarray(off, off + n);

/** The f32 values the kernel receives for f32 hyperparameters. */
function asF32(h: AdamHyper): AdamHyper {
  return { lr: f32(h.lr), beta1: f32(h.beta1), beta2: f32(h.beta2), eps: f32(h.eps), weightDecay: f32(h.weightDecay) };
}

function wasmAdam(n: number, off: number, h: AdamHyper, t: number): void {
  engine.x.adam_step(n, at("param", off), at("grad", (off + 1) % 4), at("m", (off + 2) % 4), at("v", (off + 3) % 4),
    h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, t);
}

describe("adam_step", () => {
  it("one step from random state over SIZES × alignments, with and without weight decay, several t", () => {
    const rng = new Rng(1);
    for (const wd of [0, 0.5]) for (const t of [1, 2, 7, 10000]) for (const n of [0, ...SIZES]) for (const off of [0, 1, 2, 3]) {
      // large lr·wd makes "decay the pre-update param" distinguishable from decaying after the step
      const h = asF32({ lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: wd });
      const p = rand(rng, n), g = rand(rng, n), m = rand(rng, n, 0.1), v = rand(rng, n, 0.1).map(Math.abs);
      for (const [name, a, o] of [["param", p, off], ["grad", g, (off + 1) % 4], ["m", m, (off + 2) % 4], ["v", v, (off + 3) % 4]] as const) {
        R[name].f32().fill(NaN, 0, n + 12);
        R[name].f32().set(a, o);
      }
      wasmAdam(n, off, h, t);
      adamStep(p, g, m, v, h, t);
      const what = `adam n=${n} off=${off} wd=${wd} t=${t}`;
      expectClose(view("param", off, n), p, { atol: 1e-6, rtol: 1e-5 }, `${what} param`);
      expectClose(view("m", (off + 2) % 4, n), m, { atol: 1e-7, rtol: 1e-6 }, `${what} m`);
      expectClose(view("v", (off + 3) % 4, n), v, { atol: 1e-7, rtol: 1e-6 }, `${what} v`);
      expectClose(view("grad", (off + 1) % 4, n), g, { atol: 0, rtol: 0 }, `${what} grad unchanged`);
      const pv = R.param.f32();
      for (let i = 0; i < n + 12; i++) if (i < off || i >= off + n) expect(pv[i], `${what}: param written outside at ${i}`).toBeNaN();
    }
  });

  for (const wd of [0, 0.01]) {
    it(`100 steps on a random vector follow the formula (weight decay ${wd})`, () => {
      const rng = new Rng(2 + wd * 100);
      const n = 1003;
      const h = asF32({ lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: wd });
      const p = rand(rng, n), m = new Array(n).fill(0), v = new Array(n).fill(0);
      view("param", 1, n).set(p);
      view("m", 3, n).fill(0);
      view("v", 0, n).fill(0);
      for (let t = 1; t <= 100; t++) {
        // gradient of ½‖p − c‖² plus noise: a real descent direction, different every step
        const g = p.map((x, i) => f32(x - 0.3 * Math.sin(i) + 0.1 * (rng.float() - 0.5)));
        view("grad", 2, n).set(g);
        wasmAdam(n, 1, h, t);
        adamStep(p, g, m, v, h, t);
      }
      expectClose(view("param", 1, n), p, { atol: 2e-5, rtol: 1e-4 }, `adam 100 steps wd=${wd} param`);
      expectClose(view("m", 3, n), m, { atol: 2e-5, rtol: 1e-4 }, `adam 100 steps wd=${wd} m`);
      expectClose(view("v", 0, n), v, { atol: 2e-5, rtol: 1e-4 }, `adam 100 steps wd=${wd} v`);
      // and it optimised: p moved towards c = 0.3 sin(i)
      let dist = 0;
      for (let i = 0; i < n; i++) dist += (p[i] - 0.3 * Math.sin(i)) ** 2;
      expect(dist / n).toBeLessThan(0.05);
    });
  }
});

describe("sumsq, clipping, soft update", () => {
  it("sumsq_f32 over SIZES × alignments and a long vector (f64 accumulation)", () => {
    const rng = new Rng(3);
    for (const n of [0, ...SIZES, 100_000]) for (const off of n > 100 ? [1] : [0, 1, 2, 3]) {
      const x = rand(rng, n, 5);
      view("grad", off, n).set(x);
      const got = engine.x.sumsq_f32(n, at("grad", off));
      expect(Math.abs(got - sumsq(x)), `sumsq n=${n} off=${off}`).toBeLessThanOrEqual(1e-12 * sumsq(x));
    }
  });

  it("clipping by global norm: sumsq + scale_f32 match the reference, and small gradients are left alone", () => {
    const rng = new Rng(4);
    for (const n of [3, 17, 1000]) for (const maxNorm of [0.5, 1e6]) {
      const g = rand(rng, n, 2);
      view("grad", 1, n).set(g);
      const norm = Math.sqrt(engine.x.sumsq_f32(n, at("grad", 1)));
      if (norm > maxNorm) engine.x.scale_f32(n, at("grad", 1), maxNorm / norm);
      const ref = clipByNorm(g, maxNorm);
      expectClose(view("grad", 1, n), ref, { atol: 1e-8, rtol: 2e-7 }, `clip n=${n} max=${maxNorm}`);
      const after = Math.sqrt(engine.x.sumsq_f32(n, at("grad", 1)));
      expect(Math.abs(after - Math.min(maxNorm, Math.sqrt(sumsq(g))))).toBeLessThanOrEqual(1e-6 * after);
    }
  });

  it("soft_update_f32 over SIZES × alignments; τ = 0 keeps the target and τ = 1 copies the source exactly", () => {
    const rng = new Rng(5);
    for (const tau of [0.005, 0.3, 0, 1]) for (const n of [0, ...SIZES]) for (const off of [0, 1, 2, 3]) {
      const tgt = rand(rng, n), src = rand(rng, n);
      const tv = R.param.f32();
      tv.fill(NaN, 0, n + 12);
      tv.set(tgt, off);
      view("grad", (off + 1) % 4, n).set(src);
      engine.x.soft_update_f32(n, at("param", off), at("grad", (off + 1) % 4), tau);
      const ref = tau === 0 ? tgt : tau === 1 ? src : softUpdate(tgt, src, f32(tau));
      const tol = tau === 0 || tau === 1 ? { atol: 0, rtol: 0 } : { atol: 1e-7, rtol: 1e-6 };
      expectClose(view("param", off, n), ref, tol, `soft update τ=${tau} n=${n} off=${off}`);
      for (let i = 0; i < n + 12; i++) if (i < off || i >= off + n) expect(tv[i], `soft update wrote outside at ${i}`).toBeNaN();
    }
  });
});
