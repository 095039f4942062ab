// Candidate scoring (assembly/score.ts) against the f64 reference (test/reference/score.ts), and
// the reference's gradients against f64 central finite differences.
//
// Tolerances, per element atol + rtol·|ref|:
//   forward, du   atol 1e-6, rtol 1e-5, widened by the reduction length (W for out, P for du)
//   dx            atol 1e-7, rtol 1e-6 (one f32 product)
//   finite differences on the f64 reference: h = 1e-6, atol 1e-7, rtol 1e-6.
import { describe, it, expect, beforeAll } from "vitest";
import { MemoryPlan, type Region } from "../src/engine/plan.js";
import type { Engine } from "../src/engine/engine.js";
import { Rng } from "../src/rng.js";
import { loadEngine } from "./util/engine.js";
import { expectClose, SIZES, widen, type Tol } from "./util/close.js";
import { rowdotBackward, rowdotForward } from "./reference/score.js";

const CAP = 7 * 33 * 65 + 64;
const VAL: Tol = { atol: 1e-6, rtol: 1e-5 };
const PROD: Tol = { atol: 1e-7, rtol: 1e-6 };
const FD: Tol = { atol: 1e-7, rtol: 1e-6 };
const SENTINEL = -1234.5;

let engine: Engine;
const R: Record<string, Region> = {};
beforeAll(async () => {
  const plan = new MemoryPlan();
  for (const n of ["u", "x", "o", "g", "du", "dx"]) R[n] = plan.f32(n, "activation", CAP);
  engine = await loadEngine(plan);
});

const f32 = (v: number): number => Math.fround(v);
const rand = (rng: Rng, n: number, scale = 1): number[] => Array.from({ length: n }, () => f32((rng.float() * 2 - 1) * scale));
/** Values at float offset 1 (4- but not 16-byte aligned) with sentinels around; returns the byte pointer. */
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

describe("rowdot_forward_f32 / rowdot_backward_f32", () => {
  it("match the reference over B × P × W sweeps; the reference matches finite differences", () => {
    const rng = new Rng(5);
    for (const W of SIZES.filter((s) => s <= 65)) {
      for (const [B, P] of [[1, 1], [3, 7], [2, 33], [5, 4]]) {
        const u = rand(rng, B * W, 2), x = rand(rng, B * P * W, 2), dout = rand(rng, B * P, 1), du0 = rand(rng, B * W, 1);
        engine.x.rowdot_forward_f32(B, P, W, put("u", u), put("x", x), put("o", new Float32Array(B * P)));
        expectClose(get("o", B * P), rowdotForward(B, P, W, u, x), widen(VAL, W), `rowdot forward B=${B} P=${P} W=${W}`);
        const ref = rowdotBackward(B, P, W, u, x, dout);
        if (W <= 8 && B * P <= 21) {
          expectClose(ref.du, fdGrad((uu) => rowdotForward(B, P, W, uu, x), u, dout), FD, `reference du vs finite differences W=${W}`);
          expectClose(ref.dx, fdGrad((xx) => rowdotForward(B, P, W, u, xx), x, dout), FD, `reference dx vs finite differences W=${W}`);
        }
        engine.x.rowdot_backward_f32(B, P, W, R.u.ptr + 4, R.x.ptr + 4, put("g", dout), put("du", du0), put("dx", new Float32Array(B * P * W)));
        expectClose(get("du", B * W), ref.du.map((v, i) => v + du0[i]), widen(VAL, P), `rowdot du (accumulating) B=${B} P=${P} W=${W}`);
        expectClose(get("dx", B * P * W), ref.dx, PROD, `rowdot dx B=${B} P=${P} W=${W}`);
      }
    }
  });

  it("skips du or dx given a null pointer, and traps on a negative size", () => {
    const B = 2, P = 3, W = 5, rng = new Rng(6);
    const u = rand(rng, B * W), x = rand(rng, B * P * W), dout = rand(rng, B * P);
    engine.x.rowdot_backward_f32(B, P, W, put("u", u), put("x", x), put("g", dout), 0, put("dx", new Float32Array(B * P * W)));
    expectClose(get("dx", B * P * W), rowdotBackward(B, P, W, u, x, dout).dx, PROD, "dx alone");
    engine.x.rowdot_backward_f32(B, P, W, R.u.ptr + 4, R.x.ptr + 4, R.g.ptr + 4, put("du", new Float32Array(B * W)), 0);
    expectClose(get("du", B * W), rowdotBackward(B, P, W, u, x, dout).du, widen(VAL, P), "du alone");
    expect(() => engine.x.rowdot_forward_f32(-1, P, W, R.u.ptr, R.x.ptr, R.o.ptr)).toThrow(/rowdot_forward_f32: negative size/);
  });
});
