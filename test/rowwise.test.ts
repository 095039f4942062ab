// Row-wise kernels (assembly/rowwise.ts) against the f64 references (test/reference/rowwise.ts),
// and the references' gradients against f64 central finite differences.
//
// Tolerances, per element atol + rtol·|ref|:
//   mean_pool         atol 1e-6, rtol 1e-5, widened by N (a sum of N terms)
//   l2norm forward    atol 1e-6, rtol 1e-5, widened by D (the norm sums D squares)
//   l2norm backward   atol 1e-5, rtol 1e-4, widened by D (a dot product over D)
//   interact          atol 1e-7, rtol 1e-6 (one f32 product, plus one add when accumulating)
//   finite differences on the f64 references: h = 1e-6, atol 1e-7, rtol 1e-6.
import { describe, it, expect, beforeAll } from "vitest";
import { MemoryPlan, type Region } from "../src/engine/plan.js";
import type { Engine } from "../src/engine/engine.js";
import { Rng } from "../src/rng.js";
import { loadEngine } from "./util/engine.js";
import { expectClose, SIZES, widen, type Tol } from "./util/close.js";
import { interactBackward, interactForward, l2normBackward, l2normForward, meanPool } from "./reference/rowwise.js";

const CAP = 65 * 17 * 5 + 64;
const VAL: Tol = { atol: 1e-6, rtol: 1e-5 };
const GRAD: Tol = { atol: 1e-5, rtol: 1e-4 };
const PROD: Tol = { atol: 1e-7, rtol: 1e-6 };
const FD: Tol = { atol: 1e-7, rtol: 1e-6 };
const SENTINEL = -1234.5;

let engine: Engine;
const R: Record<string, Region> = {};
beforeAll(async () => {
  const plan = new MemoryPlan();
  for (const n of ["x", "y", "n", "g", "h"]) R[n] = plan.f32(n, "activation", CAP);
  engine = await loadEngine(plan);
});

const f32 = (v: number): number => Math.fround(v);
const rand = (rng: Rng, n: number, scale = 1): number[] => Array.from({ length: n }, () => f32((rng.float() * 2 - 1) * scale));
/** Write values at float offset 1 (4- but not 16-byte aligned) with sentinels around; returns the byte pointer. */
function put(name: string, values: ArrayLike<number>): number {
  const v = R[name].f32();
  v.fill(SENTINEL, 0, values.length + 16);
  v.set(values, 1);
  return R[name].ptr + 4;
}
function get(name: string, n: number): Float32Array {
  const v = R[name].f32();
  for (let i = n + 1; i < n + 16; i++) if (v[i] !== SENTINEL) expect.fail(`${name}: written past its end at float ${i - 1}`);
  if (v[0] !== SENTINEL) expect.fail(`${name}: written before its start`);
  return v.slice(1, n + 1);
}

/** Central differences of the scalar Σ w ⊙ f(x) with respect to x, in f64. */
function fdGrad(f: (x: number[]) => number[], x: number[], w: number[], h = 1e-6): number[] {
  return x.map((_, i) => {
    const xp = x.slice(), xm = x.slice();
    xp[i] += h;
    xm[i] -= h;
    const fp = f(xp), fm = f(xm);
    let s = 0;
    for (let j = 0; j < w.length; j++) s += w[j] * (fp[j] - fm[j]);
    return s / (2 * h);
  });
}

describe("mean_pool_f32", () => {
  it("matches the reference over B × N × D sweeps", () => {
    const rng = new Rng(1);
    for (const D of SIZES.filter((s) => s <= 33)) {
      for (const [B, N] of [[1, 1], [3, 10], [5, 7], [2, 17]]) {
        const x = rand(rng, B * N * D, 3);
        engine.x.mean_pool_f32(B, N, D, put("x", x), put("y", new Float32Array(B * D)));
        expectClose(get("y", B * D), meanPool(x, B, N, D), widen(VAL, N), `mean_pool B=${B} N=${N} D=${D}`);
      }
    }
  });
});

describe("l2norm_forward / l2norm_backward", () => {
  it("forward matches the reference, rows have the radius as norm, zero rows stay zero", () => {
    const rng = new Rng(2);
    for (const D of SIZES) {
      for (const Rows of [1, 3, 6]) {
        for (const radius of [1, 5.39]) {
          const x = rand(rng, Rows * D, 2);
          if (Rows === 6) x.fill(0, 2 * D, 3 * D); // a zero row
          engine.x.l2norm_forward(Rows, D, put("x", x), put("y", new Float32Array(Rows * D)), put("n", new Float32Array(Rows)), radius);
          const ref = l2normForward(x, Rows, D, radius);
          const y = get("y", Rows * D);
          expectClose(y, ref.y, widen(VAL, D), `l2norm y R=${Rows} D=${D} radius=${radius}`);
          expectClose(get("n", Rows), ref.norm, widen(VAL, D), `l2norm norm R=${Rows} D=${D}`);
          for (let r = 0; r < Rows; r++) {
            const n = Math.hypot(...y.subarray(r * D, r * D + D));
            expect(Math.abs(n - (Rows === 6 && r === 2 ? 0 : radius))).toBeLessThan(1e-5 * radius * Math.sqrt(D));
          }
        }
      }
    }
  });

  it("the reference backward matches central differences; wasm backward (also in place) matches the reference", () => {
    const rng = new Rng(3);
    for (const D of SIZES) {
      for (const Rows of [1, 4]) {
        const radius = 2.5;
        const x = rand(rng, Rows * D, 2), dy = rand(rng, Rows * D, 1);
        const ref = l2normBackward(x, dy, Rows, D, radius);
        const fd = fdGrad((xx) => l2normForward(xx, Rows, D, radius).y, x, dy);
        expectClose(ref, fd, FD, `l2norm reference dx vs finite differences R=${Rows} D=${D}`);
        engine.x.l2norm_forward(Rows, D, put("x", x), put("y", new Float32Array(Rows * D)), put("n", new Float32Array(Rows)), radius);
        const yp = R.y.ptr + 4, np = R.n.ptr + 4;
        engine.x.l2norm_backward(Rows, D, yp, np, put("g", dy), put("h", new Float32Array(Rows * D)), radius);
        expectClose(get("h", Rows * D), ref, widen(GRAD, D), `l2norm dx R=${Rows} D=${D}`);
        engine.x.l2norm_backward(Rows, D, yp, np, R.g.ptr + 4, R.g.ptr + 4, radius); // dx aliases dy
        expectClose(get("g", Rows * D), ref, widen(GRAD, D), `l2norm dx in place R=${Rows} D=${D}`);
      }
    }
  });

  it("a zero row gets a zero gradient, not NaN", () => {
    const D = 5;
    engine.x.l2norm_forward(1, D, put("x", new Float32Array(D)), put("y", new Float32Array(D)), put("n", new Float32Array(1)), 1);
    engine.x.l2norm_backward(1, D, R.y.ptr + 4, R.n.ptr + 4, put("g", [1, 2, 3, 4, 5]), put("h", new Float32Array(D)), 1);
    expect(Array.from(get("h", D))).toEqual([0, 0, 0, 0, 0]);
  });
});

describe("interact_forward / interact_backward", () => {
  it("forward (into a strided output) and accumulating backward match the reference; FD-checked", () => {
    const rng = new Rng(4);
    for (const D of SIZES.filter((s) => s <= 33)) {
      for (const [B, K] of [[1, 1], [3, 3], [5, 2]]) {
        const A = K * D, ldo = A + 3;
        const m = rand(rng, B * D, 2), a = rand(rng, B * A, 2), dout = rand(rng, B * ldo, 1), da0 = rand(rng, B * A, 1);
        const ref = interactForward(m, a, B, K, D);
        engine.x.interact_forward(B, K, D, put("x", m), put("y", a), put("n", new Float32Array(B * ldo).fill(SENTINEL)), ldo);
        const out = get("n", B * ldo);
        const packed: number[] = [];
        for (let b = 0; b < B; b++) {
          packed.push(...out.subarray(b * ldo, b * ldo + A));
          for (let c = A; c < ldo; c++) if (out[b * ldo + c] !== SENTINEL) expect.fail(`interact_forward wrote into the stride gap at row ${b} column ${c}`);
        }
        expectClose(packed, ref, PROD, `interact_forward B=${B} K=${K} D=${D}`);
        const doutPacked: number[] = [];
        for (let b = 0; b < B; b++) doutPacked.push(...dout.slice(b * ldo, b * ldo + A));
        const dref = interactBackward(m, doutPacked, B, K, D);
        const fd = fdGrad((aa) => interactForward(m, aa, B, K, D), a, doutPacked);
        expectClose(dref, fd, FD, `interact reference da vs finite differences B=${B} K=${K} D=${D}`);
        engine.x.interact_backward(B, K, D, R.x.ptr + 4, put("g", dout), ldo, put("h", da0));
        expectClose(get("h", B * A), dref.map((v, i) => v + da0[i]), PROD, `interact_backward (accumulating) B=${B} K=${K} D=${D}`);
      }
    }
  });
});
