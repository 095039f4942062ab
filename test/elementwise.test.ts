// Pointwise kernels (assembly/elementwise.ts) and the vector math under them (assembly/mathx.ts)
// against the f64 references in test/reference/elementwise.ts.
//
// Tolerances (per element, |got − ref| ≤ atol + rtol·|ref|): fill/copy/scale/bias/relu/identity
// are exact in f32, so they are compared against the f32-rounded reference with 0 tolerance;
// tanh and sigmoid use atol 1e-7, rtol 1e-6 (their measured error is ≈ 2 ulp, see the grid test);
// backward passes atol 1e-7, rtol 1e-6 (two or three f32 roundings).
import { describe, it, expect, beforeAll } from "vitest";
import { MemoryPlan, type Region } from "../src/engine/plan.js";
import type { Engine } from "../src/engine/engine.js";
import { Rng } from "../src/rng.js";
import { loadEngine } from "./util/engine.js";
import { expectClose, SIZES, type Tol } from "./util/close.js";
import { ACT, ACT_NAMES, actBackward, actForward, biasAdd, sigmoid } from "./reference/elementwise.js";

const GRID = 1 << 18; // floats in the accuracy grid
const CAP = GRID + 64;
const SENTINEL = -1234.5;
const EXACT: Tol = { atol: 0, rtol: 0 };
const SMOOTH: Tol = { atol: 1e-7, rtol: 1e-6 };
const ACTS = [ACT.identity, ACT.relu, ACT.tanh, ACT.sigmoid];
/** Float offsets into a region: 16-byte aligned and the three 4-byte-only alignments. */
const OFFSETS = [0, 1, 2, 3];

let engine: Engine;
let A: Region, Bv: Region, C: Region;
let fa: Float32Array, fb: Float32Array, fc: Float32Array;

beforeAll(async () => {
  const plan = new MemoryPlan();
  A = plan.f32("a", "io", CAP);
  Bv = plan.f32("b", "io", CAP);
  C = plan.f32("c", "io", CAP);
  engine = await loadEngine(plan);
  fa = A.f32(); fb = Bv.f32(); fc = C.f32();
});

const ptr = (r: Region, off: number): number => r.ptr + off * 4;
const f32 = (v: number): number => Math.fround(v);

function randomArray(rng: Rng, n: number, scale = 3): number[] {
  return Array.from({ length: n }, () => f32((rng.float() * 2 - 1) * scale));
}

/** Write values at a float offset of a view and surround them with sentinels. */
function put(view: Float32Array, off: number, values: ArrayLike<number>): void {
  view.fill(SENTINEL, 0, Math.min(view.length, off + values.length + 16));
  view.set(values, off);
}

/** Elements outside [off, off+n) in the first off+n+16 floats must still be sentinels. */
function expectUntouched(view: Float32Array, off: number, n: number, what: string): void {
  for (let i = 0; i < off + n + 16; i++) {
    if (i >= off && i < off + n) continue;
    if (view[i] !== SENTINEL) expect.fail(`${what}: wrote outside its range at float ${i} (off ${off}, n ${n})`);
  }
}

const read = (view: Float32Array, off: number, n: number): Float32Array => view.slice(off, off + n);

describe("fill, copy, scale", () => {
  it("fill_f32 over SIZES and alignments, and n = 0 writes nothing", () => {
    for (const off of OFFSETS) for (const n of [0, ...SIZES]) {
      put(fa, off, new Array(n).fill(7));
      engine.x.fill_f32(n, ptr(A, off), -2.5);
      expectClose(read(fa, off, n), new Array(n).fill(-2.5), EXACT, `fill n=${n} off=${off}`);
      expectUntouched(fa, off, n, `fill n=${n}`);
    }
  });

  it("copy_f32 over SIZES and alignments (src and dst misaligned differently)", () => {
    const rng = new Rng(1);
    for (const off of OFFSETS) for (const n of [0, ...SIZES]) {
      const src = randomArray(rng, n);
      const dOff = (off + 1) % 4;
      put(fa, off, src);
      put(fb, dOff, new Array(n).fill(0));
      engine.x.copy_f32(n, ptr(A, off), ptr(Bv, dOff));
      expectClose(read(fb, dOff, n), src, EXACT, `copy n=${n}`);
      expectUntouched(fb, dOff, n, `copy n=${n}`);
    }
  });

  it("scale_f32 over SIZES and alignments", () => {
    const rng = new Rng(2);
    for (const off of OFFSETS) for (const n of [0, ...SIZES]) {
      const x = randomArray(rng, n);
      put(fa, off, x);
      engine.x.scale_f32(n, ptr(A, off), 0.37);
      expectClose(read(fa, off, n), x.map((v) => f32(v * f32(0.37))), EXACT, `scale n=${n}`);
      expectUntouched(fa, off, n, `scale n=${n}`);
    }
  });

  it("bias_add_f32 sweeps B and O", () => {
    const rng = new Rng(3);
    const shapes: [number, number][] = [];
    for (const O of SIZES) for (const B of [1, 3, 5]) shapes.push([B, O]);
    for (const B of SIZES) for (const O of [1, 4, 7]) shapes.push([B, O]);
    for (const [B, O] of shapes) {
      const off = (B + O) % 4;
      const x = randomArray(rng, B * O), bias = randomArray(rng, O);
      put(fa, off, x);
      put(fb, 3 - off, bias);
      engine.x.bias_add_f32(B, O, ptr(A, off), ptr(Bv, 3 - off));
      expectClose(read(fa, off, B * O), biasAdd(B, O, x, bias).map(f32), EXACT, `bias_add B=${B} O=${O}`);
      expectUntouched(fa, off, B * O, `bias_add B=${B} O=${O}`);
    }
  });
});

describe("activations", () => {
  it("exports the activation codes the host mirrors", () => {
    expect(engine.x.ACT_IDENTITY.value).toBe(ACT.identity);
    expect(engine.x.ACT_RELU.value).toBe(ACT.relu);
    expect(engine.x.ACT_TANH.value).toBe(ACT.tanh);
    expect(engine.x.ACT_SIGMOID.value).toBe(ACT.sigmoid);
  });

  it("act_forward_f32 out of place and in place, every activation, SIZES × alignments", () => {
    const rng = new Rng(4);
    for (const act of ACTS) {
      const tol = act === ACT.tanh || act === ACT.sigmoid ? SMOOTH : EXACT;
      for (const off of OFFSETS) for (const n of [0, ...SIZES]) {
        const x = randomArray(rng, n, 6);
        const ref = actForward(x, act);
        const what = `${ACT_NAMES[act]} forward n=${n} off=${off}`;
        put(fa, off, x);
        put(fb, 3 - off, new Array(n).fill(NaN));
        engine.x.act_forward_f32(n, ptr(A, off), ptr(Bv, 3 - off), act);
        expectClose(read(fb, 3 - off, n), ref, tol, what);
        expectUntouched(fb, 3 - off, n, what);
        expectClose(read(fa, off, n), x, EXACT, `${what}: input unchanged`);
        engine.x.act_forward_f32(n, ptr(A, off), ptr(A, off), act); // in place
        expectClose(read(fa, off, n), ref, tol, `${what} in place`);
        expectUntouched(fa, off, n, `${what} in place`);
      }
    }
  });

  it("act_backward_f32 out of place and in place (dx = dy), every activation", () => {
    const rng = new Rng(5);
    for (const act of ACTS) {
      for (const off of OFFSETS) for (const n of [0, ...SIZES]) {
        // y from the wasm forward (what backward is given in practice), dy random
        put(fa, off, randomArray(rng, n, 4));
        engine.x.act_forward_f32(n, ptr(A, off), ptr(A, off), act);
        if (act === ACT.relu && n > 0) fa[off] = 0; // the kink: y = 0 must give dx = 0
        const y = read(fa, off, n);
        const dy = randomArray(rng, n);
        const ref = actBackward(y, dy, act);
        const what = `${ACT_NAMES[act]} backward n=${n} off=${off}`;
        put(fb, (off + 2) % 4, dy);
        put(fc, (off + 1) % 4, new Array(n).fill(NaN));
        engine.x.act_backward_f32(n, ptr(A, off), ptr(Bv, (off + 2) % 4), ptr(C, (off + 1) % 4), act);
        expectClose(read(fc, (off + 1) % 4, n), ref, SMOOTH, what);
        expectUntouched(fc, (off + 1) % 4, n, what);
        engine.x.act_backward_f32(n, ptr(A, off), ptr(Bv, (off + 2) % 4), ptr(Bv, (off + 2) % 4), act);
        expectClose(read(fb, (off + 2) % 4, n), ref, SMOOTH, `${what} in place`);
        expectUntouched(fb, (off + 2) % 4, n, `${what} in place`);
      }
    }
  });

  it("extreme inputs: saturation is exact, ±Inf is handled, NaN propagates, in lanes and tails", () => {
    const xs = [50, -50, Infinity, -Infinity, NaN, 0, -0, 100, -100, 20, -20, 9.5, -9.5, 1e-30, -1e-30, 1e-45, 88, -88, 3.4e38, -3.4e38];
    // lay the list out twice: once starting at a v128 boundary, once shifted by one so each
    // value is also seen in a different lane / the scalar tail
    for (const shift of [0, 1, 2, 3]) {
      const n = xs.length;
      put(fa, shift, xs);
      for (const act of ACTS) {
        engine.x.act_forward_f32(n, ptr(A, shift), ptr(Bv, shift), act);
        const y = read(fb, shift, n);
        for (let i = 0; i < n; i++) {
          const x = xs[i], g = y[i], what = `${ACT_NAMES[act]}(${x}) = ${g} (shift ${shift})`;
          if (Number.isNaN(x)) { expect(Number.isNaN(g), what).toBe(true); continue; }
          expect(Number.isNaN(g), what).toBe(false);
          if (act === ACT.identity) expect(g, what).toBe(f32(x));
          if (act === ACT.relu) expect(g, what).toBe(x < 0 ? 0 : f32(x));
          if (act === ACT.tanh) {
            if (Math.abs(x) >= 9.5) expect(g, what).toBe(Math.sign(x)); // exactly ±1
            else if (Math.abs(x) < 1e-20) expect(g, what).toBe(f32(x)); // tanh(x) = x, sign of zero kept
            else expect(Math.abs(g - Math.tanh(x)), what).toBeLessThanOrEqual(2e-7 * Math.abs(Math.tanh(x)));
          }
          if (act === ACT.sigmoid) {
            const r = sigmoid(f32(x));
            if (x === Infinity || x >= 20) expect(Math.abs(g - r), what).toBeLessThanOrEqual(6e-8);
            if (x === -Infinity) expect(g, what).toBe(0);
            // sigmoid(−100) ≈ 3.7e-44 is a denormal: within 1 denormal ulp (1.4e-45)
            else if (r < 1.2e-38) expect(Math.abs(g - r), what).toBeLessThanOrEqual(1.5e-45);
            else expect(Math.abs(g - r), what).toBeLessThanOrEqual(2e-7 * r);
            expect(g, what).toBeGreaterThanOrEqual(0);
            expect(g, what).toBeLessThanOrEqual(1);
          }
        }
        // backward through the outputs stays finite where dy is finite
        fc.fill(1, shift, shift + n);
        engine.x.act_backward_f32(n, ptr(Bv, shift), ptr(C, shift), ptr(C, shift), act);
        const dx = read(fc, shift, n);
        for (let i = 0; i < n; i++) {
          if (Number.isNaN(xs[i]) && (act === ACT.tanh || act === ACT.sigmoid)) expect(Number.isNaN(dx[i]), `${ACT_NAMES[act]}' at NaN`).toBe(true);
          else if (!Number.isNaN(xs[i])) expect(Number.isFinite(dx[i]), `${ACT_NAMES[act]}'(${xs[i]}) = ${dx[i]}`).toBe(true);
        }
      }
    }
    // relu backward selects: a NaN or Inf dy where y ≤ 0 gives 0, not NaN
    put(fa, 0, [0, -0, 1, 0, 2]);
    put(fb, 0, [NaN, Infinity, NaN, -Infinity, 3]);
    engine.x.act_backward_f32(5, ptr(A, 0), ptr(Bv, 0), ptr(C, 0), ACT.relu);
    expect(Array.from(read(fc, 0, 5))).toEqual([0, 0, NaN, 0, 3]);
  });

  it("an unknown activation code or a negative size traps, naming the kernel, instead of computing something", () => {
    fb.fill(7, 0, 8);
    expect(() => engine.x.act_forward_f32(4, ptr(A, 0), ptr(Bv, 0), 4)).toThrow(/encore engine: act_forward_f32: unknown activation code/);
    expect(() => engine.x.act_backward_f32(4, ptr(A, 0), ptr(Bv, 0), ptr(C, 0), -1)).toThrow(/encore engine: act_backward_f32: unknown activation code/);
    expect(() => engine.x.fill_f32(-1, ptr(Bv, 0), 0)).toThrow(/encore engine: fill_f32: negative size/);
    expect(() => engine.x.dense_forward(2, 2, 2, ptr(A, 0), ptr(A, 4), 0, ptr(Bv, 0), 9, 0)).toThrow(/encore engine: dense_forward: unknown activation code/);
    expect(Array.from(read(fb, 0, 8))).toEqual([7, 7, 7, 7, 7, 7, 7, 7]); // nothing written
  });
});

describe("mathx accuracy over dense grids", () => {
  /** Max relative (where |ref| ≥ floor) and absolute error of a kernel over xs. */
  function measure(xs: Float32Array, run: (n: number, x: number, y: number) => void, ref: (x: number) => number, floor: number) {
    const n = xs.length;
    fa.set(xs, 0);
    run(n, ptr(A, 0), ptr(Bv, 0));
    let maxRel = 0, maxAbs = 0, atRel = 0;
    for (let i = 0; i < n; i++) {
      const r = ref(xs[i]), g = fb[i];
      const e = Math.abs(g - r);
      if (!(e <= maxAbs)) maxAbs = e;
      if (Math.abs(r) >= floor && !(e / Math.abs(r) <= maxRel)) { maxRel = e / Math.abs(r); atRel = xs[i]; }
    }
    return { maxRel, maxAbs, atRel };
  }

  /** Same inputs through the SIMD body (one call) and the scalar tail only (calls of n = 3). */
  function expectLanesEqualTails(xs: Float32Array, run: (n: number, x: number, y: number) => void, what: string): void {
    const n = xs.length - (xs.length % 3);
    fa.set(xs.subarray(0, n), 0);
    run(n, ptr(A, 0), ptr(Bv, 0));
    for (let i = 0; i < n; i += 3) run(3, ptr(A, i), ptr(C, i));
    const lanes = new Uint32Array(fb.buffer, fb.byteOffset, n);
    const tails = new Uint32Array(fc.buffer, fc.byteOffset, n);
    for (let i = 0; i < n; i++) {
      if (lanes[i] !== tails[i]) expect.fail(`${what}(${xs[i]}): SIMD lane ${fb[i]} differs from scalar tail ${fc[i]}`);
    }
  }

  function grid(lo: number, hi: number, n: number): Float32Array {
    const g = new Float32Array(n);
    for (let i = 0; i < n; i++) g[i] = lo + ((hi - lo) * i) / (n - 1);
    return g;
  }

  /** ± log-spaced magnitudes from 10^lo to 10^hi. */
  function logGrid(lo: number, hi: number, n: number): Float32Array {
    const g = new Float32Array(n);
    for (let i = 0; i < n; i++) g[i] = (i % 2 ? -1 : 1) * 10 ** (lo + ((hi - lo) * i) / (n - 1));
    return g;
  }

  const expK = (n: number, x: number, y: number) => engine.x.exp_f32(n, x, y);
  const tanhK = (n: number, x: number, y: number) => engine.x.act_forward_f32(n, x, y, ACT.tanh);
  const sigK = (n: number, x: number, y: number) => engine.x.act_forward_f32(n, x, y, ACT.sigmoid);

  it("exp: ≤ 1.2e-7 (1 ulp) relative error over the normal range, ≤ 1 denormal ulp below it, exact limits", () => {
    const xs = grid(-87.3, 88.72, GRID);
    const m = measure(xs, expK, Math.exp, 1.1755e-38);
    console.log(`exp over [-87.3, 88.72] (${GRID} points): max rel err ${m.maxRel.toExponential(2)} at x = ${m.atRel}`);
    expect(m.maxRel).toBeLessThan(1.2e-7);
    const sub = grid(-103.9, -87.4, 20000);
    const d = measure(sub, expK, Math.exp, Infinity);
    console.log(`exp over [-103.9, -87.4] (denormal results): max abs err ${d.maxAbs.toExponential(2)}`);
    expect(d.maxAbs).toBeLessThanOrEqual(1.5e-45);
    fa.set([Infinity, -Infinity, NaN, 0, -0, 88.7, 88.8, -104, -200, 1], 0);
    engine.x.exp_f32(10, ptr(A, 0), ptr(Bv, 0));
    const y = Array.from(read(fb, 0, 10));
    expect(y.slice(0, 5)).toEqual([Infinity, 0, NaN, 1, 1]);
    expect(Number.isFinite(y[5])).toBe(true);
    expect(y.slice(6, 9)).toEqual([Infinity, 0, 0]);
    expect(Math.abs(y[9] - Math.E) / Math.E).toBeLessThan(2e-7);
    expectLanesEqualTails(xs, expK, "exp");
    expectLanesEqualTails(sub, expK, "exp");
  });

  it("tanh and sigmoid: max relative error over dense and log grids; lanes equal tails bitwise", () => {
    const xs = grid(-20, 20, GRID);
    const small = logGrid(-12, 1.3, 100000);
    const t = measure(xs, tanhK, Math.tanh, 0);
    const ts = measure(small, tanhK, Math.tanh, 0);
    const s = measure(xs, sigK, sigmoid, 0);
    const neg = grid(-87, 0, 100000);
    const sn = measure(neg, sigK, sigmoid, 1.1755e-38);
    console.log(`tanh over [-20, 20]: max rel ${t.maxRel.toExponential(2)} (x = ${t.atRel}), abs ${t.maxAbs.toExponential(2)}; ` +
      `over ±[1e-12, 20]: max rel ${ts.maxRel.toExponential(2)} (x = ${ts.atRel})`);
    console.log(`sigmoid over [-20, 20]: max rel ${s.maxRel.toExponential(2)} (x = ${s.atRel}), abs ${s.maxAbs.toExponential(2)}; ` +
      `over [-87, 0]: max rel ${sn.maxRel.toExponential(2)} (x = ${sn.atRel})`);
    expect(t.maxRel).toBeLessThan(2.5e-7);
    expect(ts.maxRel).toBeLessThan(2.5e-7);
    expect(s.maxRel).toBeLessThan(2.5e-7);
    expect(sn.maxRel).toBeLessThan(2.5e-7);
    for (const g of [xs, small, neg]) {
      expectLanesEqualTails(g, tanhK, "tanh");
      expectLanesEqualTails(g, sigK, "sigmoid");
    }
  });
});
