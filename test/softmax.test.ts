// Weighted softmax cross-entropy (softmax_xent_forward_f32 / softmax_xent_backward_f32,
// assembly/loss.ts) against the f64 reference (test/reference/loss.ts), whose gradient is
// checked by central finite differences.
//
// Tolerances: the kernels exponentiate in f32 (< 1 ulp, assembly/mathx.ts) and sum S in f32, then
// take log S and the weighted terms in f64. Per row the loss is within 1e-6·√M (the f32 sum's
// error) of the reference; each dz element within 2e-7·√M·|scale| + 1e-6·|ref|.
import { beforeAll, describe, expect, it } from "vitest";
import { MemoryPlan, type Region } from "../src/engine/plan.js";
import type { Engine } from "../src/engine/engine.js";
import { Rng } from "../src/rng.js";
import { loadEngine } from "./util/engine.js";
import { expectClose, SIZES } from "./util/close.js";
import { softmaxXentRef } from "./reference/loss.js";

const CAP = 70_000;
const GUARD = 16;
const SENTINEL = -777.5;
let engine: Engine;
let Z: Region, T: Region, DZ: Region;

beforeAll(async () => {
  const plan = new MemoryPlan();
  Z = plan.f32("z", "io", CAP);
  T = plan.f32("t", "io", CAP);
  DZ = plan.f32("dz", "io", CAP + GUARD);
  engine = await loadEngine(plan);
});

interface Case { B: number; M: number; z: Float32Array; t: Float32Array }

/** Random logits (scale 3) with some masked, and per row a kind of target: one-hot, weighted multi-hot, none. */
function makeCase(B: number, M: number, rng: Rng, maskRate = 0.1): Case {
  const z = new Float32Array(B * M), t = new Float32Array(B * M);
  for (let b = 0; b < B; b++) {
    const kind = rng.int(4); // 0 one-hot, 1 multi-hot weighted, 2 no target (T = 0), 3 dense weights
    for (let m = 0; m < M; m++) {
      const i = b * M + m;
      z[i] = rng.float() < maskRate ? -Infinity : (rng.float() * 2 - 1) * 3;
      if (kind === 1 && rng.int(3) === 0) t[i] = 1 + rng.int(3);
      else if (kind === 3) t[i] = rng.float();
    }
    // targets sit on unmasked candidates (a target on a masked one is tested on its own)
    const open: number[] = [];
    for (let m = 0; m < M; m++) if (z[b * M + m] !== -Infinity) open.push(m);
    for (let m = 0; m < M; m++) if (z[b * M + m] === -Infinity) t[b * M + m] = 0;
    if (kind === 0 && open.length > 0) t[b * M + open[rng.int(open.length)]] = 1;
  }
  return { B, M, z, t };
}

function run(c: Case, scale: number, off = 0): { fwd: number; bwd: number; dz: Float32Array } {
  const n = c.B * c.M;
  Z.f32().set(c.z, off);
  T.f32().set(c.t, (off + 1) % 4);
  DZ.f32().fill(SENTINEL);
  const zp = Z.ptr + off * 4, tp = T.ptr + ((off + 1) % 4) * 4, dp = DZ.ptr + ((off + 2) % 4) * 4;
  const fwd = engine.x.softmax_xent_forward_f32(c.B, c.M, zp, tp);
  const bwd = engine.x.softmax_xent_backward_f32(c.B, c.M, zp, tp, scale, dp);
  const all = DZ.f32(), o = (off + 2) % 4;
  for (let i = 0; i < o; i++) if (all[i] !== SENTINEL) expect.fail(`dz written before its start at ${i}`);
  for (let i = o + n; i < o + n + GUARD; i++) if (all[i] !== SENTINEL) expect.fail(`dz written past B·M at ${i}`);
  return { fwd, bwd, dz: all.slice(o, o + n) };
}

function check(c: Case, scale: number, off = 0): void {
  const got = run(c, scale, off), ref = softmaxXentRef(c.B, c.M, c.z, c.t, scale);
  const what = `B=${c.B} M=${c.M} scale=${scale} off=${off}`;
  expect(got.bwd, `${what}: backward returns the forward's loss`).toBe(got.fwd);
  const lim = c.B * 1e-6 * Math.sqrt(Math.max(1, c.M)) + 1e-6 * Math.abs(ref.loss);
  expect(Math.abs(got.fwd - ref.loss) <= lim, `${what}: loss ${got.fwd}, reference ${ref.loss}`).toBe(true);
  expectClose(got.dz, ref.dz, { atol: 2e-7 * Math.sqrt(Math.max(1, c.M)) * Math.abs(scale), rtol: 1e-6 }, `${what}: dz`);
  for (let i = 0; i < c.z.length; i++) if (c.z[i] === -Infinity) expect(Object.is(got.dz[i], 0) || Object.is(got.dz[i], -0), `${what}: masked dz[${i}]`).toBe(true);
}

describe("softmax_xent_f32", () => {
  it("matches the f64 reference over odd M, several B and alignments (one-hot, multi-hot, dense, empty rows, masks)", () => {
    const rng = new Rng(1);
    let runs = 0;
    for (const M of [...SIZES, 127, 1000]) {
      for (const B of [1, 2, 3, 5]) {
        for (const off of M > 100 ? [1] : [0, 1, 2, 3]) {
          check(makeCase(B, M, rng), [1, 0.25, -2][runs % 3], off);
          runs++;
        }
      }
    }
    check(makeCase(64, 1000, rng, 0.02), 1 / 64); // a sampled-softmax batch
  });

  it("is stable for huge logits: no overflow, the max subtracted", () => {
    const rng = new Rng(2);
    for (const M of [3, 17, 64]) {
      const c = makeCase(4, M, rng, 0);
      for (let i = 0; i < c.z.length; i++) c.z[i] *= 3e4; // exp(±9e4) would overflow f32 and f64
      const got = run(c, 1);
      expect(Number.isFinite(got.fwd)).toBe(true);
      expect(got.dz.every(Number.isFinite)).toBe(true);
      check(c, 1);
    }
  });

  it("rows with T = 0 add nothing and get dz = 0; masked candidates have probability 0 and gradient 0", () => {
    const M = 7;
    const z = Float32Array.from([1, 2, -Infinity, 0.5, -Infinity, 3, -1, /* row 1 */ 4, 4, 4, 4, 4, 4, 4]);
    const t = Float32Array.from([0, 1, 0, 0, 0, 1, 0, /* row 1: no target */ 0, 0, 0, 0, 0, 0, 0]);
    const got = run({ B: 2, M, z, t }, 1);
    expect(Array.from(got.dz.subarray(M))).toEqual(new Array(M).fill(0));
    expect(got.dz[2]).toBe(0);
    expect(got.dz[4]).toBe(0);
    const open = [1, 2, 0.5, 3, -1], S = open.reduce((s, v) => s + Math.exp(v), 0), lse = Math.log(S);
    expect(got.fwd).toBeCloseTo(0.5 * (lse - 2) + 0.5 * (lse - 3), 6);
    // the unmasked probabilities sum to 1: Σ dz over a row is 0 (scale · (1 − 1))
    expect(Math.abs(got.dz.subarray(0, M).reduce((s, v) => s + v, 0))).toBeLessThan(1e-6);
  });

  it("a target on a masked candidate makes the loss +Infinity; a fully masked row too, with dz = 0", () => {
    const z = Float32Array.from([1, -Infinity, 2, /* row 1 */ -Infinity, -Infinity, -Infinity, /* row 2 */ -Infinity, -Infinity, -Infinity]);
    const t = Float32Array.from([1, 1, 0, /* row 1 */ 0, 2, 0, /* row 2: T = 0 */ 0, 0, 0]);
    const got = run({ B: 3, M: 3, z, t }, 1);
    expect(got.fwd).toBe(Infinity);
    expect(got.dz[1]).toBe(0);
    expect(Array.from(got.dz.subarray(3))).toEqual([0, 0, 0, 0, 0, 0]);
    // row 0's finite part: the gradient still pulls toward the reachable target
    expect(got.dz[0]).toBeLessThan(0);
    // the fully masked row with T = 0 alone: loss 0
    expect(run({ B: 1, M: 3, z: z.subarray(6), t: t.subarray(6) }, 1).fwd).toBe(0);
  });

  it("NaN logits give a NaN loss", () => {
    const got = run({ B: 1, M: 5, z: Float32Array.from([1, NaN, 0, 2, 3]), t: Float32Array.from([1, 0, 0, 0, 0]) }, 1);
    expect(got.fwd).toBeNaN();
  });

  it("traps on negative sizes and a missing dz", () => {
    expect(() => engine.x.softmax_xent_forward_f32(-1, 3, Z.ptr, T.ptr)).toThrow(/encore engine: softmax_xent_forward_f32: negative size/);
    expect(() => engine.x.softmax_xent_backward_f32(1, -3, Z.ptr, T.ptr, 1, DZ.ptr)).toThrow(/softmax_xent_backward_f32: negative size/);
    expect(() => engine.x.softmax_xent_backward_f32(1, 3, Z.ptr, T.ptr, 1, 0)).toThrow(/softmax_xent_backward_f32: dz = 0/);
  });
});

describe("softmax cross-entropy gradient", () => {
  it("the reference's dz is the finite-difference gradient of its loss (masked entries excluded)", () => {
    const rng = new Rng(3);
    for (const M of [1, 3, 5, 8]) {
      const c = makeCase(3, M, rng, 0.2);
      const z = Float64Array.from(c.z);
      const { dz } = softmaxXentRef(3, M, z, c.t, 1);
      const eps = 1e-6;
      for (let i = 0; i < z.length; i++) {
        if (z[i] === -Infinity) continue;
        const keep = z[i];
        z[i] = keep + eps; const lp = softmaxXentRef(3, M, z, c.t, 1).loss;
        z[i] = keep - eps; const lm = softmaxXentRef(3, M, z, c.t, 1).loss;
        z[i] = keep;
        const num = (lp - lm) / (2 * eps);
        if (!(Math.abs(num - dz[i]) <= 1e-8 + 1e-6 * Math.abs(dz[i]))) expect.fail(`M=${M} dz[${i}]: ${dz[i]}, finite difference ${num}`);
      }
    }
  });

  it("the kernel's dz is the finite-difference gradient of the kernel's own loss", () => {
    // f32 logits, so the step is large (1e-2) and the tolerance loose; this checks the kernel
    // pair is self-consistent, independently of the reference
    const rng = new Rng(4);
    const c = makeCase(2, 9, rng, 0.15);
    const { dz } = run(c, 1);
    const h = 1e-2;
    for (let i = 0; i < c.z.length; i++) {
      if (c.z[i] === -Infinity) continue;
      const keep = c.z[i];
      c.z[i] = keep + h; const lp = run(c, 1).fwd;
      c.z[i] = keep - h; const lm = run(c, 1).fwd;
      c.z[i] = keep;
      const num = (lp - lm) / (2 * h);
      expect(Math.abs(num - dz[i]), `dz[${i}] ${dz[i]} vs ${num}`).toBeLessThan(1e-4 + 1e-3 * Math.abs(dz[i]));
    }
  });
});
