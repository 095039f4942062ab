// Dense layer (assembly/dense.ts) against the f64 reference (test/reference/dense.ts), and the
// reference's own gradients against f64 central finite differences.
//
// Tolerances, per element atol + rtol·|ref|, widened by √(reduction length) (test/util/close.ts):
//   forward values   atol 1e-6, rtol 1e-5, widened by I          (micrograd uses 1e-6 / 1e-3)
//   gradients        atol 1e-5, rtol 1e-4, widened by B (dw, dbias) or O (dinp)  (micrograd 1e-4 / 1e-3)
//   finite differences on the f64 reference: h = 1e-5, atol 1e-7, rtol 1e-6.
import { describe, it, expect, beforeAll } from "vitest";
import { MemoryPlan, type Region } from "../src/engine/plan.js";
import type { Engine } from "../src/engine/engine.js";
import { Rng } from "../src/rng.js";
import { loadEngine } from "./util/engine.js";
import { expectClose, SIZES, widen, type Tol } from "./util/close.js";
import { ACT, ACT_NAMES } from "./reference/elementwise.js";
import { denseBackward, denseForward } from "./reference/dense.js";

const MAX = 65;
const CAP = MAX * MAX + 8;
const VAL: Tol = { atol: 1e-6, rtol: 1e-5 };
const GRAD: Tol = { atol: 1e-5, rtol: 1e-4 };
const FD: Tol = { atol: 1e-7, rtol: 1e-6 };
const ACTS = [ACT.identity, ACT.relu, ACT.tanh, ACT.sigmoid];
const SENTINEL = -1234.5;

let engine: Engine;
const R: Record<string, Region> = {};
const NAMES = ["inp", "w", "bias", "out", "dout", "dpre", "dinp", "dw", "dbias"] as const;
type Name = (typeof NAMES)[number];

beforeAll(async () => {
  const plan = new MemoryPlan();
  for (const n of NAMES) R[n] = plan.f32(n, "activation", CAP);
  engine = await loadEngine(plan);
});

const f32 = (v: number): number => Math.fround(v);
const rand = (rng: Rng, n: number, scale = 1): number[] => Array.from({ length: n }, () => f32((rng.float() * 2 - 1) * scale));

/** A tensor placed at a float offset inside its region (offset ≠ 0 makes it 4- but not 16-byte aligned). */
class T {
  constructor(readonly name: Name, readonly off: number, readonly n: number) {}
  get ptr(): number { return R[this.name].ptr + this.off * 4; }
  get view(): Float32Array { return R[this.name].f32(); }
  set(values: ArrayLike<number>): this {
    const v = this.view;
    v.fill(SENTINEL, 0, this.off + this.n + 8);
    v.set(values, this.off);
    return this;
  }
  get(): Float32Array { return this.view.slice(this.off, this.off + this.n); }
  /** Everything around the tensor is still a sentinel. */
  expectGuarded(what: string): void {
    const v = this.view;
    for (let i = 0; i < this.off + this.n + 8; i++) {
      if ((i < this.off || i >= this.off + this.n) && v[i] !== SENTINEL) expect.fail(`${what}: ${this.name} written outside its range at float ${i}`);
    }
  }
  expectAllSentinel(what: string): void {
    const v = this.view;
    for (let i = 0; i < this.off + this.n + 8; i++) if (v[i] !== SENTINEL) expect.fail(`${what}: ${this.name} was written (float ${i}) but should be skipped`);
  }
}

const add = (a: ArrayLike<number>, b: ArrayLike<number>): number[] => Array.from(a, (v, i) => v + b[i]);

interface Variant { bias: boolean; dbias: boolean; dinp: "null" | "over" | "acc"; alias: boolean; off: number }

/** One forward + backward of shape (B,I,O) with act, compared with the reference. */
function checkCase(rng: Rng, B: number, I: number, O: number, act: number, v: Variant): void {
  const what = `${ACT_NAMES[act]} B=${B} I=${I} O=${O} bias=${v.bias} dbias=${v.dbias} dinp=${v.dinp} alias=${v.alias} off=${v.off}`;
  const o = v.off;
  const inp = new T("inp", o, B * I).set(rand(rng, B * I));
  const w = new T("w", (o + 1) % 4, I * O).set(rand(rng, I * O, 1 / Math.sqrt(I)));
  const bias = new T("bias", (o + 2) % 4, O).set(rand(rng, O, 0.5));
  const out = new T("out", (o + 3) % 4, B * O).set(new Array(B * O).fill(NaN));
  const x = engine.x, ws = engine.gemmWorkspace;

  x.dense_forward(B, I, O, inp.ptr, w.ptr, v.bias ? bias.ptr : 0, out.ptr, act, ws);
  const ref = denseForward(B, I, O, inp.get(), w.get(), v.bias ? bias.get() : null, act);
  expectClose(out.get(), ref.out, widen(VAL, I), `forward ${what}`);
  out.expectGuarded(`forward ${what}`);

  // backward: parameter grads hold earlier values (accumulation), dinp NaN when overwritten
  const doutV = rand(rng, B * O);
  const dout = new T("dout", o, B * O).set(doutV);
  const dpre = v.alias ? dout : new T("dpre", (o + 1) % 4, B * O).set(new Array(B * O).fill(NaN));
  const dw0 = rand(rng, I * O), db0 = rand(rng, O), di0 = rand(rng, B * I);
  const dw = new T("dw", (o + 2) % 4, I * O).set(dw0);
  const dbias = new T("dbias", (o + 3) % 4, O).set(db0);
  const dinp = new T("dinp", o, B * I).set(v.dinp === "acc" ? di0 : v.dinp === "over" ? new Array(B * I).fill(NaN) : []);
  x.dense_backward(B, I, O, inp.ptr, w.ptr, out.ptr, dout.ptr, dpre.ptr, v.dinp === "null" ? 0 : dinp.ptr,
    dw.ptr, v.dbias ? dbias.ptr : 0, act, v.dinp === "acc" ? 1 : 0, ws);
  // the reference backward is given the wasm's f32 `out`, which is what the kernel sees
  const g = denseBackward(B, I, O, inp.get(), w.get(), out.get(), doutV, act);
  expectClose(dpre.get(), g.dpre, GRAD, `dpre ${what}`);
  expectClose(dw.get(), add(dw0, g.dw), widen(GRAD, B), `dw ${what}`);
  dw.expectGuarded(`dw ${what}`);
  if (v.dbias) {
    expectClose(dbias.get(), add(db0, g.dbias), widen(GRAD, B), `dbias ${what}`);
    dbias.expectGuarded(`dbias ${what}`);
  } else {
    expectClose(dbias.get(), db0, { atol: 0, rtol: 0 }, `dbias untouched ${what}`);
  }
  if (v.dinp === "null") dinp.expectAllSentinel(`dinp null ${what}`);
  else {
    expectClose(dinp.get(), v.dinp === "acc" ? add(di0, g.dinp) : g.dinp, widen(GRAD, O), `dinp ${what}`);
    dinp.expectGuarded(`dinp ${what}`);
  }
  if (!v.alias) expectClose(dout.get(), doutV, { atol: 0, rtol: 0 }, `dout unchanged ${what}`);
}

describe("dense forward and backward vs the f64 reference", () => {
  // every dimension swept over SIZES while the other two take a few values, plus random triples
  const shapes: [number, number, number][] = [];
  const few = [[1, 1], [3, 8], [17, 5]];
  for (const s of SIZES) for (const [p, q] of few) {
    shapes.push([s, p, q], [p, s, q], [p, q, s]);
  }
  const r = new Rng(99);
  for (let k = 0; k < 12; k++) shapes.push([SIZES[r.int(SIZES.length)], SIZES[r.int(SIZES.length)], SIZES[r.int(SIZES.length)]]);

  for (const act of ACTS) {
    it(`${ACT_NAMES[act]}: ${shapes.length} shapes, bias/no bias, dbias/none, dinp overwrite/accumulate/null, dpre aliasing dout`, () => {
      const rng = new Rng(1000 + act);
      let k = 0;
      for (const [B, I, O] of shapes) {
        // cycle the variants over the shapes so every combination meets many shapes
        const v: Variant = {
          bias: k % 2 === 0,
          dbias: k % 3 !== 2,
          dinp: (["over", "acc", "null"] as const)[k % 3 === 0 ? 0 : (k >> 1) % 3],
          alias: k % 4 >= 2,
          off: k % 4,
        };
        checkCase(rng, B, I, O, act, v);
        k++;
      }
    });
  }

  it("covers every variant combination at a fixed odd shape", () => {
    const rng = new Rng(7);
    for (const act of ACTS) for (const bias of [false, true]) for (const dbias of [false, true])
      for (const dinp of ["null", "over", "acc"] as const) for (const alias of [false, true]) {
        checkCase(rng, 5, 7, 9, act, { bias, dbias, dinp, alias, off: 1 });
      }
  });

  it("backward accumulates: two calls give twice the parameter gradients; fill_f32 clears them", () => {
    const rng = new Rng(11);
    const [B, I, O] = [6, 9, 5];
    const x = engine.x, ws = engine.gemmWorkspace;
    const inp = new T("inp", 0, B * I).set(rand(rng, B * I));
    const w = new T("w", 0, I * O).set(rand(rng, I * O));
    const bias = new T("bias", 0, O).set(rand(rng, O));
    const out = new T("out", 0, B * O).set([]);
    const dout = new T("dout", 0, B * O).set(rand(rng, B * O));
    const dpre = new T("dpre", 0, B * O).set([]);
    const dinp = new T("dinp", 0, B * I).set([]);
    const dw = new T("dw", 0, I * O).set(rand(rng, I * O));
    const dbias = new T("dbias", 0, O).set(rand(rng, O));
    for (const act of ACTS) {
      x.dense_forward(B, I, O, inp.ptr, w.ptr, bias.ptr, out.ptr, act, ws);
      x.fill_f32(I * O, dw.ptr, 0);
      x.fill_f32(O, dbias.ptr, 0);
      expect(dw.get().every((v) => v === 0) && dbias.get().every((v) => v === 0)).toBe(true);
      x.dense_backward(B, I, O, inp.ptr, w.ptr, out.ptr, dout.ptr, dpre.ptr, dinp.ptr, dw.ptr, dbias.ptr, act, 0, ws);
      const once = [dw.get(), dbias.get(), dinp.get()];
      expect(once[0].some((v) => v !== 0)).toBe(true);
      x.dense_backward(B, I, O, inp.ptr, w.ptr, out.ptr, dout.ptr, dpre.ptr, dinp.ptr, dw.ptr, dbias.ptr, act, 0, ws);
      expectClose(dw.get(), Array.from(once[0], (v) => 2 * v), { atol: 0, rtol: 1e-6 }, `${ACT_NAMES[act]} dw twice`);
      expectClose(dbias.get(), Array.from(once[1], (v) => 2 * v), { atol: 0, rtol: 1e-6 }, `${ACT_NAMES[act]} dbias twice`);
      // dinp is overwritten (acc_dinp = 0), not accumulated
      expectClose(dinp.get(), once[2], { atol: 0, rtol: 0 }, `${ACT_NAMES[act]} dinp overwritten`);
      x.dense_backward(B, I, O, inp.ptr, w.ptr, out.ptr, dout.ptr, dpre.ptr, dinp.ptr, dw.ptr, dbias.ptr, act, 1, ws);
      expectClose(dinp.get(), Array.from(once[2], (v) => 2 * v), { atol: 0, rtol: 1e-6 }, `${ACT_NAMES[act]} dinp accumulated`);
    }
  });
});

describe("finite-difference gradient checks", () => {
  /** L = Σ G ⊙ out, so dL/dout = G. */
  function loss(B: number, I: number, O: number, inp: number[], w: number[], bias: number[], act: number, G: number[]): { L: number; pre: number[] } {
    const { pre, out } = denseForward(B, I, O, inp, w, bias, act);
    let L = 0;
    for (let k = 0; k < out.length; k++) L += G[k] * out[k];
    return { L, pre };
  }

  const h = 1e-5;
  for (const act of ACTS) {
    it(`${ACT_NAMES[act]}: reference gradients match central differences; wasm gradients match the reference`, () => {
      const rng = new Rng(500 + act);
      let checked = 0, skipped = 0;
      for (const [B, I, O] of [[3, 5, 4], [1, 7, 3], [4, 2, 9], [5, 6, 5]]) {
        const inp = rand(rng, B * I), w = rand(rng, I * O), bias = rand(rng, O, 0.5), G = rand(rng, B * O);
        const { out } = denseForward(B, I, O, inp, w, bias, act);
        const g = denseBackward(B, I, O, inp, w, out, G, act);
        const base = loss(B, I, O, inp, w, bias, act, G).pre;
        for (const [name, arr, grad] of [["inp", inp, g.dinp], ["w", w, g.dw], ["bias", bias, g.dbias]] as const) {
          const fd: number[] = [], an: number[] = [];
          for (let k = 0; k < arr.length; k++) {
            const keep = arr[k];
            arr[k] = keep + h;
            const plus = loss(B, I, O, inp, w, bias, act, G);
            arr[k] = keep - h;
            const minus = loss(B, I, O, inp, w, bias, act, G);
            arr[k] = keep;
            // a ReLU kink between −h and +h makes the difference meaningless: skip that coordinate
            if (act === ACT.relu && base.some((p, j) => Math.sign(plus.pre[j]) !== Math.sign(p) || Math.sign(minus.pre[j]) !== Math.sign(p))) {
              skipped++;
              continue;
            }
            fd.push((plus.L - minus.L) / (2 * h));
            an.push(grad[k]);
            checked++;
          }
          expectClose(an, fd, FD, `${ACT_NAMES[act]} d${name} B=${B} I=${I} O=${O} vs finite differences`);
        }
        // the same case through the wasm kernels (f32), against the reference gradients
        const x = engine.x, ws = engine.gemmWorkspace;
        const ti = new T("inp", 1, B * I).set(inp), tw = new T("w", 2, I * O).set(w), tb = new T("bias", 3, O).set(bias);
        const to = new T("out", 0, B * O).set([]), td = new T("dout", 1, B * O).set(G), tp = new T("dpre", 2, B * O).set([]);
        const tdi = new T("dinp", 3, B * I).set([]), tdw = new T("dw", 0, I * O).set(new Array(I * O).fill(0));
        const tdb = new T("dbias", 1, O).set(new Array(O).fill(0));
        x.dense_forward(B, I, O, ti.ptr, tw.ptr, tb.ptr, to.ptr, act, ws);
        x.dense_backward(B, I, O, ti.ptr, tw.ptr, to.ptr, td.ptr, tp.ptr, tdi.ptr, tdw.ptr, tdb.ptr, act, 0, ws);
        const gr = denseBackward(B, I, O, ti.get(), tw.get(), denseForward(B, I, O, ti.get(), tw.get(), tb.get(), act).out, td.get(), act);
        expectClose(tdi.get(), gr.dinp, widen(GRAD, O), `${ACT_NAMES[act]} wasm dinp`);
        expectClose(tdw.get(), gr.dw, widen(GRAD, B), `${ACT_NAMES[act]} wasm dw`);
        expectClose(tdb.get(), gr.dbias, widen(GRAD, B), `${ACT_NAMES[act]} wasm dbias`);
      }
      expect(checked).toBeGreaterThan(10 * Math.max(1, skipped));
    });
  }
});
