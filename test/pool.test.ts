// Feedback-weighted pooling (assembly/pool.ts) against the f64 reference (test/reference/pool.ts),
// the reference's gradients against central finite differences, and the FeedbackPool layer
// (src/nn/pool.ts).
//
// Tolerances, per element atol + rtol·|ref| on O(1) data: forward 1e-6 / 1e-6 widened by √N (a sum
// of N products in f32); dalpha widened by √(B·D), dx by √C (their reduction lengths).
import { beforeAll, describe, expect, it } from "vitest";
import { MemoryPlan, type Region } from "../src/engine/plan.js";
import type { Engine } from "../src/engine/engine.js";
import { FeedbackPool, RECENCY_DECAY } from "../src/nn/pool.js";
import { Adam } from "../src/nn/adam.js";
import { Rng } from "../src/rng.js";
import { loadEngine } from "./util/engine.js";
import { expectClose, widen, SIZES } from "./util/close.js";
import { poolBackwardRef, poolForwardRef, type PoolDims } from "./reference/pool.js";

const BASE: PoolDims = { B: 2, N: 3, C: 3, D: 5 };
const SHAPES: PoolDims[] = [
  ...SIZES.map((B) => ({ ...BASE, B })),
  ...SIZES.map((N) => ({ ...BASE, N })),
  ...SIZES.map((C) => ({ ...BASE, C })),
  ...SIZES.map((D) => ({ ...BASE, D })),
  { B: 64, N: 10, C: 3, D: 32 }, // the agent's shape
  { B: 7, N: 10, C: 5, D: 33 },
];
const max = (f: (d: PoolDims) => number): number => Math.max(...SHAPES.map(f));
const GUARD = 64;
const SENTINEL = -999.25;

const plan = new MemoryPlan();
const R = {
  x: plan.f32("pool.x", "io", max((d) => d.B * d.N * d.D)),
  kept: plan.region("pool.kept", "io", max((d) => d.B * d.N)),
  alpha: plan.f32("pool.alpha", "io", max((d) => d.C * d.N * 2)),
  out: plan.f32("pool.out", "io", max((d) => d.B * d.C * d.D) + GUARD),
  dout: plan.f32("pool.dout", "io", max((d) => d.B * d.C * d.D)),
  dalpha: plan.f32("pool.dalpha", "io", max((d) => d.C * d.N * 2) + GUARD),
  dx: plan.f32("pool.dx", "io", max((d) => d.B * d.N * d.D) + GUARD),
};
let engine: Engine;
beforeAll(async () => {
  engine = await loadEngine(plan);
});

interface Case { d: PoolDims; x: Float32Array; kept: Uint8Array; alpha: Float32Array }

function uniform(n: number, rng: Rng, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng.float() * 2 - 1) * scale;
  return a;
}

/** Random case; kept flags are 0 or 1, with some other non-zero bytes (they count as kept). */
function makeCase(d: PoolDims, rng: Rng): Case {
  const kept = new Uint8Array(d.B * d.N);
  for (let i = 0; i < kept.length; i++) kept[i] = rng.int(2) === 0 ? 0 : rng.int(8) === 0 ? 2 + rng.int(254) : 1;
  return { d, x: uniform(d.B * d.N * d.D, rng), kept, alpha: uniform(d.C * d.N * 2, rng) };
}

function upload(c: Case): void {
  R.x.f32().set(c.x);
  R.kept.u8().set(c.kept);
  R.alpha.f32().set(c.alpha);
}

function wasmForward(c: Case): Float32Array {
  const { B, N, C, D } = c.d;
  upload(c);
  R.out.f32().fill(SENTINEL);
  engine.x.pool_feedback_forward_f32(B, N, C, D, R.x.ptr, R.kept.ptr, R.alpha.ptr, R.out.ptr);
  const o = R.out.f32();
  for (let i = B * C * D; i < B * C * D + GUARD; i++) if (o[i] !== SENTINEL) expect.fail(`out written past B·C·D at ${i}`);
  return o.slice(0, B * C * D);
}

/** Backward with dalpha and dx starting from the given values (they accumulate). */
function wasmBackward(c: Case, dout: Float32Array, dalpha0: Float32Array, dx0: Float32Array | null) {
  const { B, N, C, D } = c.d;
  upload(c);
  R.dout.f32().set(dout);
  R.dalpha.f32().fill(SENTINEL);
  R.dalpha.f32().set(dalpha0);
  R.dx.f32().fill(SENTINEL);
  if (dx0) R.dx.f32().set(dx0);
  engine.x.pool_feedback_backward_f32(B, N, C, D, R.x.ptr, R.kept.ptr, R.alpha.ptr, R.dout.ptr, R.dalpha.ptr, dx0 ? R.dx.ptr : 0);
  const da = R.dalpha.f32(), dx = R.dx.f32();
  for (let i = C * N * 2; i < C * N * 2 + GUARD; i++) if (da[i] !== SENTINEL) expect.fail(`dalpha written past C·N·2 at ${i}`);
  const used = dx0 ? B * N * D : 0;
  for (let i = used; i < used + GUARD; i++) if (dx[i] !== SENTINEL) expect.fail(`dx written past ${used} at ${i}`);
  return { dalpha: da.slice(0, C * N * 2), dx: dx.slice(0, B * N * D) };
}

const label = (d: PoolDims): string => `B=${d.B} N=${d.N} C=${d.C} D=${d.D}`;

describe("pool_feedback_forward_f32", () => {
  it("matches the f64 reference over B, N, C, D sweeps (kept bytes other than 1 count as kept)", () => {
    const rng = new Rng(1);
    for (const d of SHAPES) {
      const c = makeCase(d, rng);
      expectClose(wasmForward(c), poolForwardRef(d, c.x, c.kept, c.alpha), widen({ atol: 1e-6, rtol: 1e-6 }, d.N), `out ${label(d)}`);
    }
  });

  it("gives a column the same bits in a v128 lane, a 16-column block or the scalar tail", () => {
    // every column of x equal per (b, n): every column of out must be bit-identical
    const rng = new Rng(2);
    for (const D of [1, 3, 5, 7, 17, 19, 33, 35]) {
      const d: PoolDims = { B: 3, N: 7, C: 4, D };
      const c = makeCase(d, rng);
      for (let bn = 0; bn < d.B * d.N; bn++) c.x.fill(c.x[bn * D], bn * D, bn * D + D);
      const got = wasmForward(c);
      for (let r = 0; r < d.B * d.C; r++) {
        for (let j = 1; j < D; j++) {
          if (!Object.is(got[r * D + j], got[r * D])) expect.fail(`D=${D} row ${r}: column ${j} ${got[r * D + j]} vs column 0 ${got[r * D]}`);
        }
      }
    }
  });

  it("picks the skipped or the kept weight by each item's own flag", () => {
    // one item per state, D = 1, x = 1: out[b, c] is exactly alpha[c, 0, kept(b)]
    const d: PoolDims = { B: 4, N: 1, C: 2, D: 1 };
    const alpha = Float32Array.from([10, 11, 20, 21]);
    const got = wasmForward({ d, x: new Float32Array(4).fill(1), kept: Uint8Array.from([0, 1, 255, 0]), alpha });
    expect(Array.from(got)).toEqual([10, 20, 11, 21, 11, 21, 10, 20]);
  });

  it("traps on a negative size (never half-runs)", () => {
    R.out.f32().fill(SENTINEL);
    expect(() => engine.x.pool_feedback_forward_f32(2, -1, 2, 2, R.x.ptr, R.kept.ptr, R.alpha.ptr, R.out.ptr))
      .toThrow(/encore engine: pool_feedback_forward_f32: negative size/);
    expect(() => engine.x.pool_feedback_backward_f32(-2, 1, 2, 2, R.x.ptr, R.kept.ptr, R.alpha.ptr, R.dout.ptr, R.dalpha.ptr, 0))
      .toThrow(/encore engine: pool_feedback_backward_f32: negative size/);
    expect(R.out.f32()[0]).toBe(SENTINEL);
  });
});

describe("reference pool backward", () => {
  it("matches f64 central finite differences of L = Σ c ⊙ out, for alpha and x", () => {
    const rng = new Rng(3);
    for (const d of [{ B: 2, N: 3, C: 3, D: 2 }, { B: 3, N: 4, C: 2, D: 5 }] as PoolDims[]) {
      const c0 = makeCase(d, rng);
      const x = Float64Array.from(c0.x), alpha = Float64Array.from(c0.alpha);
      const cw = Float64Array.from(uniform(d.B * d.C * d.D, rng));
      const loss = (): number => poolForwardRef(d, x, c0.kept, alpha).reduce((s, v, i) => s + v * cw[i], 0);
      const g = poolBackwardRef(d, x, c0.kept, alpha, cw);
      const eps = 1e-6;
      let checked = 0;
      for (const [name, v, grad] of [["alpha", alpha, g.dalpha], ["x", x, g.dx]] as const) {
        for (let i = 0; i < v.length; i++) {
          const keep = v[i];
          v[i] = keep + eps; const lp = loss();
          v[i] = keep - eps; const lm = loss();
          v[i] = keep;
          const num = (lp - lm) / (2 * eps);
          if (!(Math.abs(num - grad[i]) <= 1e-8 + 1e-6 * Math.abs(grad[i]))) expect.fail(`d${name}[${i}] ${label(d)}: backward ${grad[i]}, finite difference ${num}`);
          checked++;
        }
      }
      expect(checked).toBe(d.C * d.N * 2 + d.B * d.N * d.D);
      // an alpha entry no item of the batch uses has gradient exactly 0 (here: with every flag 1, all [.., 0])
      const allKept = poolBackwardRef(d, x, new Uint8Array(d.B * d.N).fill(1), alpha, cw);
      for (let i = 0; i < allKept.dalpha.length; i += 2) expect(allKept.dalpha[i]).toBe(0);
    }
  });
});

describe("pool_feedback_backward_f32", () => {
  it("matches the reference over the sweeps, adding into dalpha and dx", () => {
    const rng = new Rng(4);
    for (const d of SHAPES) {
      const c = makeCase(d, rng);
      const dout = uniform(d.B * d.C * d.D, rng);
      const da0 = uniform(d.C * d.N * 2, rng), dx0 = uniform(d.B * d.N * d.D, rng);
      const got = wasmBackward(c, dout, da0, dx0);
      const ref = poolBackwardRef(d, c.x, c.kept, c.alpha, dout);
      expectClose(got.dalpha, ref.dalpha.map((v, i) => v + da0[i]), widen({ atol: 1e-6, rtol: 1e-6 }, d.B * d.D), `dalpha ${label(d)}`);
      expectClose(got.dx, ref.dx.map((v, i) => v + dx0[i]), widen({ atol: 1e-6, rtol: 1e-6 }, d.C), `dx ${label(d)}`);
    }
  });

  it("dx = 0 skips the input gradient and changes nothing else", () => {
    const rng = new Rng(5);
    const d: PoolDims = { B: 5, N: 10, C: 3, D: 17 };
    const c = makeCase(d, rng);
    const dout = uniform(d.B * d.C * d.D, rng), da0 = uniform(d.C * d.N * 2, rng);
    const withDx = wasmBackward(c, dout, da0, new Float32Array(d.B * d.N * d.D));
    const without = wasmBackward(c, dout, da0, null);
    expect(Array.from(without.dalpha)).toEqual(Array.from(withDx.dalpha));
    expect(without.dx.every((v) => v === SENTINEL)).toBe(true);
  });
});

describe("FeedbackPool layer", () => {
  it("initialises kept mean, skipped mean and recency channels, seeded random ones after", async () => {
    const p = new MemoryPlan();
    const g = p.paramGroup("enc", { target: true });
    const pool = new FeedbackPool(p, g, "enc.pool", { items: 10, channels: 5, dim: 4 }, 8);
    await loadEngine(p);
    pool.initialize(new Rng(7));
    const a = pool.alpha.view();
    const at = (c: number, n: number, k: number) => a[(c * 10 + n) * 2 + k];
    let recency = 0;
    for (let n = 0; n < 10; n++) {
      expect(at(0, n, 1)).toBe(Math.fround(0.1)); expect(at(0, n, 0)).toBe(0);
      expect(at(1, n, 0)).toBe(Math.fround(0.1)); expect(at(1, n, 1)).toBe(0);
      expect(at(2, n, 0)).toBe(at(2, n, 1));
      if (n > 0) expect(at(2, n, 0) / at(2, n - 1, 0)).toBeCloseTo(1 / RECENCY_DECAY, 5);
      recency += at(2, n, 0);
      for (const c of [3, 4]) for (const k of [0, 1]) expect(Math.abs(at(c, n, k))).toBeLessThanOrEqual(0.01);
    }
    expect(recency).toBeCloseTo(1, 6);
    const extra = Array.from(a.subarray(60, 100));
    expect(new Set(extra).size).toBeGreaterThan(30); // random, not constant
    const again = new Float32Array(a);
    pool.initialize(new Rng(7));
    expect(Array.from(pool.alpha.view())).toEqual(Array.from(again)); // seeded
  });

  it("forward with value and target weights, backward into the group's grad, an Adam step moves alpha", async () => {
    const p = new MemoryPlan();
    const g = p.paramGroup("enc", { target: true });
    const d: PoolDims = { B: 3, N: 10, C: 3, D: 8 };
    const pool = new FeedbackPool(p, g, "enc.pool", { items: d.N, channels: d.C, dim: d.D }, 4);
    const x = p.f32("x", "io", 4 * d.N * d.D), kept = p.region("kept", "io", 4 * d.N), dx = p.f32("dx", "io", 4 * d.N * d.D);
    const e = await loadEngine(p);
    const rng = new Rng(8);
    pool.initialize(rng);
    const c = makeCase(d, rng);
    x.f32().set(c.x);
    kept.u8().set(c.kept);
    pool.forward(d.B, x.ptr, kept.ptr);
    const alpha = pool.alpha.view().slice();
    const ref = poolForwardRef(d, c.x, c.kept, alpha);
    expectClose(pool.out.f32().subarray(0, ref.length), ref, widen({ atol: 1e-6, rtol: 1e-6 }, d.N), "layer out");
    // target weights: zero target → zero output
    pool.alpha.view("target").fill(0);
    pool.forward(d.B, x.ptr, kept.ptr, "target");
    expect(pool.out.f32().subarray(0, ref.length).every((v) => v === 0)).toBe(true);
    // backward: grads accumulate into the group's grad arena, dx added
    const adam = new Adam(g, { lr: 0.01 });
    adam.zeroGrad();
    const dout = uniform(d.B * d.C * d.D, rng);
    pool.forward(d.B, x.ptr, kept.ptr);
    pool.dout.f32().set(dout);
    dx.f32().fill(0);
    pool.backward(d.B, x.ptr, kept.ptr, dx.ptr);
    const gref = poolBackwardRef(d, c.x, c.kept, alpha, dout);
    expectClose(pool.alpha.view("grad"), gref.dalpha, widen({ atol: 1e-6, rtol: 1e-6 }, d.B * d.D), "layer dalpha");
    expectClose(dx.f32().subarray(0, gref.dx.length), gref.dx, widen({ atol: 1e-6, rtol: 1e-6 }, d.C), "layer dx");
    adam.step();
    let moved = 0;
    const after = pool.alpha.view();
    for (let i = 0; i < after.length; i++) if (gref.dalpha[i] !== 0) { expect(after[i]).not.toBe(alpha[i]); moved++; }
    expect(moved).toBeGreaterThan(0);
    // shape and pointer errors name the layer and the argument
    expect(() => pool.forward(5, x.ptr, kept.ptr)).toThrow(/enc.pool: batch 5 outside 1..4/);
    expect(() => pool.forward(2, x.ptr + 2, kept.ptr)).toThrow(/enc.pool.forward: x .* is not a 4-byte aligned byte address/);
    expect(() => pool.forward(2, 8, kept.ptr)).toThrow(/enc.pool.forward: x .* lies in the engine's static data/);
    expect(() => pool.forward(2, e.byteLength - 16, kept.ptr)).toThrow(/enc.pool.forward: x .* past the engine memory/);
    expect(() => pool.backward(2, x.ptr, kept.ptr, x.ptr + 4)).toThrow(/enc.pool.backward: dx overlaps x/);
    expect(() => new FeedbackPool(p, g, "bad", { items: 0, channels: 1, dim: 1 }, 1)).toThrow(/bad: items must be a positive integer/);
  });
});
