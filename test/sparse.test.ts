// Row-sparse tables: scatter_add_rows_f32 and adam_rows_f32 (assembly/gather.ts, assembly/optim.ts)
// against the f64 references (test/reference/sparse.ts), and the SparseRows host class
// (src/nn/sparse.ts).
//
// Tolerances per element, atol + rtol·|ref|: scatter-add 1e-6 / 1e-6 widened by √(times a row is
// hit); one Adam step as test/optim.test.ts (param 1e-6 / 1e-5, m and v 1e-7 / 1e-6); three
// steps 1e-5 / 1e-4. Untouched rows are compared bit for bit.
import { beforeAll, describe, expect, it } from "vitest";
import { MemoryPlan, type Region } from "../src/engine/plan.js";
import type { Engine } from "../src/engine/engine.js";
import { SparseRows } from "../src/nn/sparse.js";
import { Rng } from "../src/rng.js";
import { loadEngine } from "./util/engine.js";
import { expectClose, SIZES } from "./util/close.js";
import { lazyAdamRef, scatterAddRef } from "./reference/sparse.js";
import type { AdamHyper } from "./reference/optim.js";

const VMAX = 70, WMAX = 65, RMAX = 140;
let engine: Engine;
const K: Record<string, Region> = {};
let table: SparseRows, tableT: SparseRows;
let src: Region, idxIn: Region;

beforeAll(async () => {
  const plan = new MemoryPlan();
  for (const n of ["param", "grad", "m", "v", "pd", "gd", "md", "vd"]) K[n] = plan.f32(n, "io", VMAX * WMAX);
  K.idx = plan.i32("idx", "io", RMAX);
  K.src = plan.f32("src", "io", RMAX * WMAX);
  table = new SparseRows(plan, "bias", 1000, 1, { maxRows: 64, maxTouched: 40 });
  tableT = new SparseRows(plan, "emb", 50, 7, { maxRows: 64, target: true });
  src = plan.f32("test.src", "io", 64 * 7);
  idxIn = plan.i32("test.idx", "io", 64);
  engine = await loadEngine(plan);
});

const f32 = Math.fround;
const rand = (rng: Rng, n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, () => (rng.float() * 2 - 1) * scale);
const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
const HYPER: AdamHyper = { lr: f32(0.1), beta1: f32(0.9), beta2: f32(0.999), eps: f32(1e-8), weightDecay: f32(0.5) };

describe("scatter_add_rows_f32", () => {
  it("adds rows in order, duplicates accumulating, over odd W and R; other rows bit-unchanged", () => {
    const rng = new Rng(1);
    for (const W of SIZES) {
      for (const R of [0, 1, 2, 3, 5, 17, 64, 65, 139]) {
        const V = 1 + rng.int(VMAX - 1);
        const idx = Int32Array.from({ length: R }, () => (rng.int(3) === 0 ? 0 : rng.int(V))); // row 0 hit often
        const s = rand(rng, R * W), d0 = rand(rng, V * W);
        K.idx.i32().set(idx);
        K.src.f32().set(s);
        K.param.f32().fill(NaN);
        K.param.f32().set(d0);
        engine.x.scatter_add_rows_f32(R, W, K.idx.ptr, K.src.ptr, K.param.ptr);
        const ref = Float64Array.from(d0);
        scatterAddRef(R, W, idx, s, ref);
        const got = K.param.f32().slice(0, V * W);
        const hits = new Map<number, number>();
        for (const i of idx) hits.set(i, (hits.get(i) ?? 0) + 1);
        expectClose(got, ref, { atol: 1e-6 * Math.sqrt(Math.max(1, ...hits.values())), rtol: 1e-6 }, `scatter W=${W} R=${R}`);
        for (let r = 0; r < V; r++) if (!hits.has(r)) expect(bits(got.subarray(r * W, r * W + W)), `untouched row ${r}`).toEqual(bits(d0.subarray(r * W, r * W + W)));
        expect(K.param.f32()[V * W]).toBeNaN(); // nothing past the table
      }
    }
  });

  it("a row listed twice gets exactly src[a] + src[b] added in order", () => {
    K.idx.i32().set([2, 0, 2]);
    K.src.f32().set([1, 2, 10, 20, 100, 200]);
    K.param.f32().set([0, 0, 0, 0, 0.5, 0.25]);
    engine.x.scatter_add_rows_f32(3, 2, K.idx.ptr, K.src.ptr, K.param.ptr);
    expect(Array.from(K.param.f32().subarray(0, 6))).toEqual([10, 20, 0, 0, 101.5, 202.25]);
  });

  it("traps on negative sizes", () => {
    expect(() => engine.x.scatter_add_rows_f32(-1, 2, K.idx.ptr, K.src.ptr, K.param.ptr)).toThrow(/encore engine: scatter_add_rows_f32: negative size/);
  });
});

describe("adam_rows_f32", () => {
  function setup(rng: Rng, V: number, W: number) {
    const p = rand(rng, V * W), g = rand(rng, V * W), m = rand(rng, V * W, 0.1), v = rand(rng, V * W, 0.1).map(Math.abs);
    for (const [name, a] of [["param", p], ["grad", g], ["m", m], ["v", v]] as const) K[name].f32().set(a);
    return { p, g, m, v };
  }

  it("steps exactly the listed rows (LazyAdam), zeroes their grads, leaves every other row bit-unchanged", () => {
    const rng = new Rng(2);
    for (const W of SIZES) {
      for (const t of [1, 3, 1000]) {
        const V = 2 + rng.int(VMAX - 2);
        const rows = Array.from({ length: V }, (_, i) => i).filter(() => rng.int(3) === 0);
        const { p, g, m, v } = setup(rng, V, W);
        K.idx.i32().set(rows);
        engine.x.adam_rows_f32(rows.length, W, K.idx.ptr, K.param.ptr, K.grad.ptr, K.m.ptr, K.v.ptr,
          HYPER.lr, HYPER.beta1, HYPER.beta2, HYPER.eps, t, HYPER.weightDecay);
        const rp = Float64Array.from(p), rg = Float64Array.from(g), rm = Float64Array.from(m), rv = Float64Array.from(v);
        lazyAdamRef(rows, W, rp, rg, rm, rv, HYPER, t);
        const what = `W=${W} t=${t} rows=${rows.length}/${V}`;
        expectClose(K.param.f32().subarray(0, V * W), rp, { atol: 1e-6, rtol: 1e-5 }, `${what} param`);
        expectClose(K.m.f32().subarray(0, V * W), rm, { atol: 1e-7, rtol: 1e-6 }, `${what} m`);
        expectClose(K.v.f32().subarray(0, V * W), rv, { atol: 1e-7, rtol: 1e-6 }, `${what} v`);
        const listed = new Set(rows);
        for (let r = 0; r < V; r++) {
          const sl = (a: Float32Array) => bits(a.subarray(r * W, r * W + W));
          if (listed.has(r)) {
            expect(K.grad.f32().subarray(r * W, r * W + W).every((x) => Object.is(x, 0)), `${what}: grad row ${r} zeroed`).toBe(true);
          } else {
            for (const [name, a] of [["param", p], ["grad", g], ["m", m], ["v", v]] as const) {
              expect(sl(K[name].f32()), `${what}: untouched ${name} row ${r}`).toEqual(sl(a));
            }
          }
        }
      }
    }
  });

  it("on every row gives adam_step's bits (the same f32 operations, whatever the lane position)", () => {
    const rng = new Rng(3);
    for (const W of [1, 3, 5, 7, 17]) {
      const V = 13;
      const s = setup(rng, V, W);
      for (const [name, a] of [["pd", s.p], ["gd", s.g], ["md", s.m], ["vd", s.v]] as const) K[name].f32().set(a);
      K.idx.i32().set(Array.from({ length: V }, (_, i) => V - 1 - i)); // any order
      engine.x.adam_rows_f32(V, W, K.idx.ptr, K.param.ptr, K.grad.ptr, K.m.ptr, K.v.ptr, HYPER.lr, HYPER.beta1, HYPER.beta2, HYPER.eps, 7, HYPER.weightDecay);
      engine.x.adam_step(V * W, K.pd.ptr, K.gd.ptr, K.md.ptr, K.vd.ptr, HYPER.lr, HYPER.beta1, HYPER.beta2, HYPER.eps, HYPER.weightDecay, 7);
      for (const [a, b] of [["param", "pd"], ["m", "md"], ["v", "vd"]]) {
        expect(bits(K[a].f32().subarray(0, V * W)), `W=${W} ${a}`).toEqual(bits(K[b].f32().subarray(0, V * W)));
      }
    }
  });

  it("R = 0 or W = 0 changes nothing; t < 1 and negative sizes trap", () => {
    K.param.f32().fill(3);
    engine.x.adam_rows_f32(0, 4, K.idx.ptr, K.param.ptr, K.grad.ptr, K.m.ptr, K.v.ptr, 0.1, 0.9, 0.999, 1e-8, 1, 0);
    engine.x.adam_rows_f32(5, 0, K.idx.ptr, K.param.ptr, K.grad.ptr, K.m.ptr, K.v.ptr, 0.1, 0.9, 0.999, 1e-8, 1, 0);
    expect(K.param.f32().every((x) => x === 3)).toBe(true);
    expect(() => engine.x.adam_rows_f32(1, 4, K.idx.ptr, K.param.ptr, K.grad.ptr, K.m.ptr, K.v.ptr, 0.1, 0.9, 0.999, 1e-8, 0, 0))
      .toThrow(/encore engine: adam_rows_f32: need R, W >= 0 and step t >= 1/);
    expect(() => engine.x.adam_step(4, K.param.ptr, K.grad.ptr, K.m.ptr, K.v.ptr, 0.1, 0.9, 0.999, 1e-8, 0, 0))
      .toThrow(/encore engine: adam_step: need n >= 0 and step t >= 1/);
  });
});

describe("SparseRows", () => {
  it("accumulates from arrays and pointers (duplicates add up), steps only touched rows, across steps lazily", () => {
    const rng = new Rng(4);
    const t = tableT, V = 50, W = 7;
    const p0 = rand(rng, V * W);
    t.view("value").set(p0);
    t.view("grad").fill(0); t.view("m").fill(0); t.view("v").fill(0);
    const rp = Float64Array.from(p0), rg = new Float64Array(V * W), rm = new Float64Array(V * W), rv = new Float64Array(V * W);
    const steps: number[][][] = [
      [[3, 9, 3, 49], [0, 9]],  // step 1: rows 3 (twice), 9 (twice), 49, 0 — two accumulate calls
      [[9, 10]],                // step 2: 9 again (moments carry), 10 new
      [[49, 3, 3, 3, 22]],      // step 3
    ];
    for (let s = 0; s < steps.length; s++) {
      const distinct: number[] = [];
      for (const [call, ids] of steps[s].entries()) {
        const g = rand(rng, ids.length * W);
        src.f32().set(g);
        if (call % 2 === 0) t.accumulate(ids.length, ids, src.ptr);
        else { idxIn.i32().set(ids); t.accumulate(ids.length, idxIn.ptr, src.ptr); }
        scatterAddRef(ids.length, W, ids, g, rg);
        for (const i of ids) if (!distinct.includes(i)) distinct.push(i);
      }
      expect(Array.from(t.touchedRows())).toEqual(distinct);
      const before = t.view("value").slice();
      const beforeM = t.view("m").slice();
      expect(t.step(s + 1, HYPER)).toBe(distinct.length);
      expect(t.touchedCount).toBe(0);
      lazyAdamRef(distinct, W, rp, rg, rm, rv, HYPER, s + 1);
      expectClose(t.view("value"), rp, { atol: 1e-5, rtol: 1e-4 }, `value after step ${s + 1}`);
      expectClose(t.view("m"), rm, { atol: 1e-6, rtol: 1e-5 }, `m after step ${s + 1}`);
      for (let r = 0; r < V; r++) {
        if (distinct.includes(r)) continue;
        expect(bits(t.view("value").subarray(r * W, r * W + W)), `step ${s + 1}: untouched row ${r}`).toEqual(bits(before.subarray(r * W, r * W + W)));
        expect(bits(t.view("m").subarray(r * W, r * W + W))).toEqual(bits(beforeM.subarray(r * W, r * W + W)));
      }
      expect(t.view("grad").every((x) => x === 0)).toBe(true);
    }
    // a step with nothing touched does nothing
    const still = t.view("value").slice();
    expect(t.step(4, HYPER)).toBe(0);
    expect(bits(t.view("value"))).toEqual(bits(still));
  });

  it("soft and hard target updates cover the whole table", () => {
    const rng = new Rng(5);
    const t = tableT;
    t.view("value").set(rand(rng, 350));
    t.hardUpdate();
    expect(bits(t.view("target"))).toEqual(bits(t.view("value")));
    const old = t.view("target").slice();
    t.view("value").set(rand(rng, 350));
    t.softUpdate(0.25);
    const want = Array.from(old, (o, i) => 0.25 * t.view("value")[i] + 0.75 * o);
    expectClose(t.view("target"), want, { atol: 1e-7, rtol: 1e-6 }, "soft update");
    expect(() => table.softUpdate(0.1)).toThrow(/bias: no target table/);
    expect(() => t.softUpdate(1.5)).toThrow(/tau must be in \[0, 1\]/);
  });

  it("zeroGrad forgets the touched rows and zeroes only their gradients", () => {
    table.view("grad").fill(0);
    src.f32().set([1, 2, 3]);
    table.accumulate(3, [5, 7, 5], src.ptr);
    expect(table.view("grad")[5]).toBe(4);
    expect(table.view("grad")[7]).toBe(2);
    table.zeroGrad();
    expect(table.touchedCount).toBe(0);
    expect(table.view("grad").every((x) => x === 0)).toBe(true);
  });

  it("rejects bad rows, too many rows, overlapping src and bad hyperparameters, changing nothing", () => {
    const b = table;
    b.zeroGrad();
    src.f32().fill(1);
    expect(() => b.accumulate(2, [3, 1000], src.ptr)).toThrow(/bias.accumulate: idx\[1\] = 1000 is not a row in \[0, 1000\)/);
    expect(() => b.accumulate(1, [1.5], src.ptr)).toThrow(/idx\[0\] = 1.5/);
    expect(() => b.accumulate(65, [], src.ptr)).toThrow(/R = 65 outside 0..64/);
    expect(() => b.accumulate(3, [1, 2], src.ptr)).toThrow(/2 indices given for R = 3/);
    expect(() => b.accumulate(1, [1], b.grad.ptr)).toThrow(/src overlaps the gradient table/);
    expect(() => b.accumulate(1, idxIn.ptr + 2, src.ptr)).toThrow(/bias.accumulate: idx .* is not a 4-byte aligned/);
    expect(b.touchedCount).toBe(0);
    // maxTouched 40: 30 rows fit, then a call bringing 15 new rows is refused whole
    const thirty = Array.from({ length: 30 }, (_, i) => i);
    b.accumulate(30, thirty, src.ptr);
    const g = b.view("grad").slice();
    expect(() => b.accumulate(16, [0, ...Array.from({ length: 15 }, (_, i) => 100 + i)], src.ptr)).toThrow(/more than maxTouched = 40 distinct rows/);
    expect(b.touchedCount).toBe(30);
    expect(bits(b.view("grad"))).toEqual(bits(g));
    b.accumulate(10, Array.from({ length: 10 }, (_, i) => 100 + i), src.ptr); // the refused rows were forgotten: 10 new fit
    expect(b.touchedCount).toBe(40);
    expect(() => b.step(0)).toThrow(/t must be an integer ≥ 1/);
    expect(() => b.step(1, { lr: 0 })).toThrow(/lr must be > 0/);
    expect(b.step(1)).toBe(40);
    expect(() => new SparseRows(new MemoryPlan(), "x", 10, 1, { maxRows: 4, maxTouched: 11 })).toThrow(/maxTouched 11 exceeds the 10 rows/);
  });
});
