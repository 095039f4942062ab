// GRU forward and backward through time (assembly/gru.ts) against the f64 reference
// (test/reference/gru.ts), which is itself checked by central finite differences.
import { beforeAll, describe, expect, it } from "vitest";
import { MemoryPlan, type Region } from "../src/engine/plan.js";
import type { Engine } from "../src/engine/engine.js";
import { Rng } from "../src/rng.js";
import { loadEngine } from "./util/engine.js";
import { expectClose, widen, SIZES, type Tol } from "./util/close.js";
import { gruBackwardRef, gruForwardRef, type GruDims, type GruForward, type GruParams } from "./reference/gru.js";

const RELU = 1, TANH = 2;
const ACTS = [TANH, RELU] as const;
const actName = (a: number): string => (a === RELU ? "relu" : "tanh");

// Forward sweep: each dimension over SIZES (T up to 12) while the others stay small.
const BASE: GruDims = { B: 2, T: 3, I: 5, H: 4 };
const FORWARD_SHAPES: GruDims[] = [
  ...SIZES.map((B) => ({ ...BASE, B })),
  ...SIZES.map((I) => ({ ...BASE, I })),
  ...SIZES.map((H) => ({ ...BASE, H })),
  ...[1, 2, 4, 5, 7, 8, 10, 12].map((T) => ({ ...BASE, T })),
];
// Backward: mixed shapes, including the actor's (B 64 listeners, T 10 history items, I 32, H 32).
const GRAD_SHAPES: GruDims[] = [
  { B: 1, T: 1, I: 1, H: 1 },
  { B: 2, T: 3, I: 5, H: 4 },
  { B: 3, T: 10, I: 7, H: 5 },
  { B: 5, T: 4, I: 17, H: 15 },
  { B: 4, T: 12, I: 33, H: 17 },
  { B: 3, T: 5, I: 16, H: 31 },
  { B: 2, T: 3, I: 4, H: 65 },
  { B: 64, T: 10, I: 32, H: 32 },
];
const ALL_SHAPES = [...FORWARD_SHAPES, ...GRAD_SHAPES];
const max = (f: (d: GruDims) => number): number => Math.max(...ALL_SHAPES.map(f));

// One plan sized for the largest case (loading an engine per case is slow).
const plan = new MemoryPlan();
const R = {
  x: plan.f32("gru.x", "io", max((d) => d.B * d.T * d.I)),
  wx: plan.f32("gru.wx", "io", max((d) => d.I * 3 * d.H)),
  wh: plan.f32("gru.wh", "io", max((d) => d.H * 3 * d.H)),
  bx: plan.f32("gru.bx", "io", max((d) => 3 * d.H)),
  bh: plan.f32("gru.bh", "io", max((d) => 3 * d.H)),
  h0: plan.f32("gru.h0", "io", max((d) => d.B * d.H)),
  hs: plan.f32("gru.hs", "activation", max((d) => d.B * d.T * d.H)),
  saved: plan.region("gru.saved", "activation", (x) => 4 * max((d) => x.gru_activation_floats(d.B, d.T, d.H))),
  dhs: plan.f32("gru.dhs", "io", max((d) => d.B * d.T * d.H)),
  dx: plan.f32("gru.dx", "io", max((d) => d.B * d.T * d.I)),
  dwx: plan.f32("gru.dwx", "io", max((d) => d.I * 3 * d.H)),
  dwh: plan.f32("gru.dwh", "io", max((d) => d.H * 3 * d.H)),
  dbx: plan.f32("gru.dbx", "io", max((d) => 3 * d.H)),
  dbh: plan.f32("gru.dbh", "io", max((d) => 3 * d.H)),
  dh0: plan.f32("gru.dh0", "io", max((d) => d.B * d.H)),
  ws: plan.region("gru.ws", "scratch", (x) => max((d) => x.gru_workspace_bytes(d.B, d.T, d.I, d.H))),
};
const SENTINEL = -12345.5;

let engine: Engine;
beforeAll(async () => {
  engine = await loadEngine(plan);
});

// ---- data -------------------------------------------------------------------------------

interface Case {
  d: GruDims;
  x: Float32Array;
  p: { wx: Float32Array; wh: Float32Array; bx: Float32Array; bh: Float32Array };
  h0: Float32Array | null;
}

function uniform(n: number, rng: Rng, scale: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng.float() * 2 - 1) * scale;
  return a;
}

/** Random inputs at a typical initialisation scale (Glorot-like weights, O(1) inputs). */
function makeCase(d: GruDims, rng: Rng, withH0: boolean): Case {
  const { B, T, I, H } = d;
  return {
    d,
    x: uniform(B * T * I, rng, 1),
    p: {
      wx: uniform(I * 3 * H, rng, Math.sqrt(3 / I)),
      wh: uniform(H * 3 * H, rng, Math.sqrt(3 / H)),
      bx: uniform(3 * H, rng, 0.5),
      bh: uniform(3 * H, rng, 0.5),
    },
    h0: withH0 ? uniform(B * H, rng, 1) : null,
  };
}

// ---- wasm calls -------------------------------------------------------------------------

function fill(r: Region, v: number): void {
  r.f32().fill(v);
}

/** The elements of r past `used` are still the sentinel: the kernel wrote nothing beyond its output. */
function expectUntouchedTail(r: Region, used: number): void {
  const a = r.f32();
  for (let i = used; i < a.length; i++) {
    if (a[i] !== SENTINEL) expect.fail(`${r.name}: element ${i} written, but only ${used} belong to the output`);
  }
}

/** Bit-for-bit equality, fast on long arrays (toEqual is slow on typed arrays of 10⁵ elements). */
function expectSame(got: Float32Array, want: Float32Array, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    if (!Object.is(got[i], want[i])) expect.fail(`${what}: element ${i} is ${got[i]}, expected exactly ${want[i]}`);
  }
}

function wsBytes(d: GruDims): number {
  return engine.x.gru_workspace_bytes(d.B, d.T, d.I, d.H);
}

/** Upload the case, poison outputs and scratch, run gru_forward; returns hs (B,T,H). */
function wasmForward(c: Case, act: number): Float32Array {
  const { B, T, I, H } = c.d;
  R.x.f32().set(c.x);
  R.wx.f32().set(c.p.wx);
  R.wh.f32().set(c.p.wh);
  R.bx.f32().set(c.p.bx);
  R.bh.f32().set(c.p.bh);
  if (c.h0) R.h0.f32().set(c.h0);
  fill(R.hs, SENTINEL);
  fill(R.saved, NaN);
  fill(R.ws, NaN);
  engine.x.gru_forward(B, T, I, H, R.x.ptr, R.wx.ptr, R.wh.ptr, R.bx.ptr, R.bh.ptr,
    c.h0 ? R.h0.ptr : 0, R.hs.ptr, R.saved.ptr, act, R.ws.ptr);
  expectUntouchedTail(R.hs, B * T * H);
  return R.hs.f32().slice(0, B * T * H);
}

interface BackwardOptions {
  dx?: boolean;
  dh0?: boolean;
  calls?: number;
}

/** After wasmForward on the same case: run gru_backward `calls` times with dhs. */
function wasmBackward(c: Case, act: number, dhs: Float32Array, init: Record<"dwx" | "dwh" | "dbx" | "dbh", Float32Array>, o: BackwardOptions = {}) {
  const { B, T, I, H } = c.d;
  const G = 3 * H;
  R.dhs.f32().set(dhs);
  for (const k of ["dwx", "dwh", "dbx", "dbh"] as const) {
    fill(R[k], SENTINEL);
    R[k].f32().set(init[k]);
  }
  fill(R.dx, SENTINEL);
  fill(R.dh0, SENTINEL);
  const ws = R.ws.u8();
  ws.fill(0xff, wsBytes(c.d)); // NaN bytes past the workspace size: must stay untouched
  const hsBefore = R.hs.f32().slice(0, B * T * H);
  const savedBefore = R.saved.f32().slice(0, engine.x.gru_activation_floats(B, T, H));
  const useDx = o.dx ?? true, useDh0 = o.dh0 ?? true;
  for (let k = 0; k < (o.calls ?? 1); k++) {
    engine.x.gru_backward(B, T, I, H, R.x.ptr, R.wx.ptr, R.wh.ptr, c.h0 ? R.h0.ptr : 0,
      R.hs.ptr, R.saved.ptr, R.dhs.ptr, useDx ? R.dx.ptr : 0, R.dwx.ptr, R.dwh.ptr, R.dbx.ptr, R.dbh.ptr,
      useDh0 ? R.dh0.ptr : 0, act, R.ws.ptr);
  }
  // inputs are read only; nothing written past any output or the workspace
  expectSame(R.hs.f32().slice(0, B * T * H), hsBefore, "hs after backward");
  expectSame(R.saved.f32().slice(0, savedBefore.length), savedBefore, "saved after backward");
  for (let i = wsBytes(c.d); i < ws.length; i++) if (ws[i] !== 0xff) expect.fail(`workspace byte ${i} written, beyond gru_workspace_bytes = ${wsBytes(c.d)}`);
  expectUntouchedTail(R.dwx, I * G);
  expectUntouchedTail(R.dwh, H * G);
  expectUntouchedTail(R.dbx, G);
  expectUntouchedTail(R.dbh, G);
  expectUntouchedTail(R.dx, useDx ? B * T * I : 0);
  expectUntouchedTail(R.dh0, useDh0 ? B * H : 0);
  return {
    dx: R.dx.f32().slice(0, B * T * I),
    dwx: R.dwx.f32().slice(0, I * G),
    dwh: R.dwh.f32().slice(0, H * G),
    dbx: R.dbx.f32().slice(0, G),
    dbh: R.dbh.f32().slice(0, G),
    dh0: R.dh0.f32().slice(0, B * H),
  };
}

function refForward(c: Case, act: number): GruForward {
  return gruForwardRef(c.d, c.x, c.p, c.h0, act);
}

// ---- forward ----------------------------------------------------------------------------

// Per-term tolerance, widened by the per-step reduction length (I + H) times the steps the
// error compounds over.
const FWD_TOL: Tol = { atol: 5e-7, rtol: 5e-7 };
const fwdTol = (d: GruDims): Tol => widen(FWD_TOL, (d.I + d.H) * d.T);

describe("gru_forward", () => {
  it("matches the f64 reference over B, T, I, H sweeps, tanh and relu, with and without h0", () => {
    const rng = new Rng(11);
    let cases = 0;
    for (const d of FORWARD_SHAPES) {
      for (const act of ACTS) {
        for (const withH0 of [false, true]) {
          const c = makeCase(d, rng, withH0);
          const got = wasmForward(c, act);
          const ref = refForward(c, act);
          expectClose(got, ref.hs, fwdTol(d), `hs B${d.B} T${d.T} I${d.I} H${d.H} ${actName(act)} h0=${withH0}`);
          // the saved gates are what backward consumes: check them too
          const sv = R.saved.f32();
          const { B, T, H } = d;
          const gates = [ref.z, ref.r, ref.n, ref.hn];
          for (let g = 0; g < 4; g++) {
            const got2 = new Float32Array(B * T * H);
            for (let bt = 0; bt < B * T; bt++) for (let j = 0; j < H; j++) got2[bt * H + j] = sv[bt * 4 * H + g * H + j];
            expectClose(got2, gates[g], fwdTol(d), `saved gate ${"zrn"[g] ?? "hn"} B${d.B} T${d.T} I${d.I} H${d.H}`);
          }
          cases++;
        }
      }
    }
    expect(cases).toBe(FORWARD_SHAPES.length * 4);
  });

  it("stays finite and saturates cleanly for very large pre-activations", () => {
    const d: GruDims = { B: 2, T: 3, I: 5, H: 7 };
    const c = makeCase(d, new Rng(5), true);
    for (let i = 0; i < c.x.length; i++) c.x[i] *= 1e4; // |pre-activations| ~ 1e4: exp would overflow naively
    for (const act of ACTS) {
      const got = wasmForward(c, act);
      expect(got.every(Number.isFinite)).toBe(true);
      // relu does not saturate: its h' = n + z·(h − n) cancels at |n| ~ 1e4, so only tanh is compared
      if (act === TANH) expectClose(got, refForward(c, act).hs, widen({ atol: 1e-5, rtol: 1e-5 }, d.I + d.H), "saturated tanh");
    }
  });

  it("relu: a NaN candidate gives NaN in every unit, SIMD lanes and scalar tail alike (as the reference)", () => {
    // Every unit has the same parameters, so every unit must come out bit-identical whether it
    // lands in a v128 lane (units 0..3) or in the scalar tail (units 4.. of H = 5, 6, 7).
    // A NaN candidate bias makes the candidate pre-activation NaN while z and r stay finite.
    for (const H of [5, 6, 7]) {
      const d: GruDims = { B: 2, T: 3, I: 3, H };
      const rng = new Rng(40 + H);
      const c = makeCase(d, rng, true);
      const G = 3 * H;
      const same = (w: Float32Array, rows: number): void => {
        for (let i = 0; i < rows; i++) for (let g = 0; g < 3; g++) for (let j = 1; j < H; j++) w[i * G + g * H + j] = w[i * G + g * H];
      };
      same(c.p.wx, d.I);
      same(c.p.wh, H);
      same(c.p.bx, 1);
      same(c.p.bh, 1);
      for (let b = 0; b < d.B; b++) c.h0!.fill(c.h0![b * H], b * H, b * H + H);
      for (const bn of [0.25, NaN]) {
        c.p.bx.fill(bn, 2 * H, 3 * H);
        const got = wasmForward(c, RELU);
        const ref = refForward(c, RELU).hs;
        for (let bt = 0; bt < d.B * d.T; bt++) {
          for (let j = 1; j < H; j++) {
            const what = `H=${H} bn=${bn} row ${bt} unit ${j} vs unit 0`;
            expect(Object.is(got[bt * H + j], got[bt * H]), `${what}: ${got[bt * H + j]} vs ${got[bt * H]}`).toBe(true);
          }
        }
        expect(Array.from(got, Number.isNaN), `H=${H} bn=${bn}: NaN where the reference has NaN`).toEqual(Array.from(ref, Number.isNaN));
        if (Number.isNaN(bn)) expect(got.every(Number.isNaN), `H=${H}: NaN everywhere`).toBe(true);
      }
    }
  });

  it("traps on unsupported activations and empty dimensions, naming the problem, writing nothing", () => {
    const d: GruDims = { B: 2, T: 3, I: 4, H: 5 };
    const c = makeCase(d, new Rng(3), false);
    wasmForward(c, TANH);
    const x = engine.x;
    const badAct = /encore engine: gru: act must be 1 \(relu\) or 2 \(tanh\)/, badDim = /encore engine: gru: a dimension \(B, T, I, H\) is < 1/;
    for (const [act, dims, msg] of [[0, d, badAct], [3, d, badAct], [4, d, badAct], [TANH, { ...d, B: 0 }, badDim], [TANH, { ...d, T: 0 }, badDim],
      [TANH, { ...d, I: -1 }, badDim], [RELU, { ...d, H: 0 }, badDim]] as [number, GruDims, RegExp][]) {
      fill(R.hs, SENTINEL);
      fill(R.dwx, SENTINEL);
      expect(() => x.gru_forward(dims.B, dims.T, dims.I, dims.H, R.x.ptr, R.wx.ptr, R.wh.ptr, R.bx.ptr, R.bh.ptr, 0,
        R.hs.ptr, R.saved.ptr, act, R.ws.ptr)).toThrow(msg);
      expect(() => x.gru_backward(dims.B, dims.T, dims.I, dims.H, R.x.ptr, R.wx.ptr, R.wh.ptr, 0, R.hs.ptr, R.saved.ptr,
        R.dhs.ptr, R.dx.ptr, R.dwx.ptr, R.dwh.ptr, R.dbx.ptr, R.dbh.ptr, R.dh0.ptr, act, R.ws.ptr)).toThrow(msg);
      expectUntouchedTail(R.hs, 0);
      expectUntouchedTail(R.dwx, 0);
    }
  });
});

// ---- the reference's own gradients, by finite differences --------------------------------

describe("reference gru backward", () => {
  for (const act of ACTS) {
    it(`matches f64 central finite differences of L = Σ c ⊙ hs (${actName(act)}, skipping relu kinks)`, () => {
      const rng = new Rng(100 + act);
      const d: GruDims = { B: 2, T: 3, I: 3, H: 2 };
      const { B, T, I, H } = d;
      const f64 = (a: Float32Array): Float64Array => Float64Array.from(a);
      const c0 = makeCase(d, rng, true);
      const x = f64(c0.x), h0 = f64(c0.h0!);
      const p = { wx: f64(c0.p.wx), wh: f64(c0.p.wh), bx: f64(c0.p.bx), bh: f64(c0.p.bh) };
      const cw = Float64Array.from(uniform(B * T * H, rng, 1)); // the random linear loss
      const loss = (f: GruForward): number => f.hs.reduce((s, v, i) => s + v * cw[i], 0);
      const fwd = gruForwardRef(d, x, p, h0, act);
      const g = gruBackwardRef(d, x, p, h0, fwd, cw, act);
      const mask = (f: GruForward): string => Array.from(f.an, (v) => (v > 0 ? "1" : "0")).join("");
      const baseMask = mask(fwd);
      const eps = 1e-6;
      let checked = 0, skipped = 0;
      const targets: [string, Float64Array, Float64Array][] = [
        ["x", x, g.dx], ["wx", p.wx, g.dwx], ["wh", p.wh, g.dwh], ["bx", p.bx, g.dbx], ["bh", p.bh, g.dbh], ["h0", h0, g.dh0],
      ];
      for (const [name, v, grad] of targets) {
        for (let i = 0; i < v.length; i++) {
          const keep = v[i];
          v[i] = keep + eps;
          const fp = gruForwardRef(d, x, p, h0, act);
          v[i] = keep - eps;
          const fm = gruForwardRef(d, x, p, h0, act);
          v[i] = keep;
          if (act === RELU && (mask(fp) !== baseMask || mask(fm) !== baseMask)) { skipped++; continue; }
          const num = (loss(fp) - loss(fm)) / (2 * eps);
          if (!(Math.abs(num - grad[i]) <= 1e-8 + 1e-6 * Math.abs(grad[i]))) {
            expect.fail(`d${name}[${i}]: backward ${grad[i]}, finite difference ${num}`);
          }
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(0.9 * (checked + skipped));
      expect(checked).toBe(B * T * I + 3 * H * (I + H + 2) + B * H - skipped);
    });
  }
});

// ---- wasm gradients vs the reference ------------------------------------------------------

// Gradients sum over B·T steps (weights) and propagate through up to T steps of 3H-wide GEMMs.
const GRAD_TOL: Tol = { atol: 2e-7, rtol: 2e-7 };
const gradTol = (d: GruDims): Tol => widen(GRAD_TOL, d.B * d.T * (d.I + 3 * d.H));

describe("gru_backward", () => {
  it("matches the reference gradients, accumulating parameter grads and overwriting dx, dh0", () => {
    const rng = new Rng(21);
    let cases = 0;
    for (const d of GRAD_SHAPES) {
      const { B, T, I, H } = d;
      const G = 3 * H;
      for (const act of ACTS) {
        for (const withH0 of [true, false]) {
          for (const lastOnly of [false, true]) {
            const c = makeCase(d, rng, withH0);
            wasmForward(c, act);
            const ref = refForward(c, act);
            // dhs: dense over all steps, or only the last step (how the actor uses h_T)
            const dhs = uniform(B * T * H, rng, 1);
            if (lastOnly) for (let b = 0; b < B; b++) dhs.fill(0, b * T * H, (b * T + T - 1) * H);
            const init = { dwx: uniform(I * G, rng, 1), dwh: uniform(H * G, rng, 1), dbx: uniform(G, rng, 1), dbh: uniform(G, rng, 1) };
            const got = wasmBackward(c, act, dhs, init);
            const g = gruBackwardRef(d, c.x, c.p, c.h0, ref, dhs, act);
            const tol = gradTol(d);
            const tag = `B${B} T${T} I${I} H${H} ${actName(act)} h0=${withH0} lastOnly=${lastOnly}`;
            const plus = (a: Float32Array, b: Float64Array): Float64Array => Float64Array.from(b, (v, i) => v + a[i]);
            expectClose(got.dx, g.dx, tol, `dx ${tag}`);
            expectClose(got.dwx, plus(init.dwx, g.dwx), tol, `dwx ${tag}`);
            expectClose(got.dwh, plus(init.dwh, g.dwh), tol, `dwh ${tag}`);
            expectClose(got.dbx, plus(init.dbx, g.dbx), tol, `dbx ${tag}`);
            expectClose(got.dbh, plus(init.dbh, g.dbh), tol, `dbh ${tag}`);
            expectClose(got.dh0, g.dh0, tol, `dh0 ${tag}`);
            cases++;
          }
        }
      }
    }
    expect(cases).toBe(GRAD_SHAPES.length * 8);
  });

  it("accumulates: two backward calls add twice; skipping dx and dh0 changes nothing else", () => {
    const rng = new Rng(31);
    for (const d of [{ B: 3, T: 5, I: 7, H: 9 }, { B: 64, T: 10, I: 32, H: 32 }]) {
      const { B, T, I, H } = d;
      const G = 3 * H;
      const c = makeCase(d, rng, true);
      wasmForward(c, TANH);
      const dhs = uniform(B * T * H, rng, 1);
      const zeros = { dwx: new Float32Array(I * G), dwh: new Float32Array(H * G), dbx: new Float32Array(G), dbh: new Float32Array(G) };
      const once = wasmBackward(c, TANH, dhs, zeros);
      const twice = wasmBackward(c, TANH, dhs, zeros, { calls: 2 });
      const skip = wasmBackward(c, TANH, dhs, zeros, { dx: false, dh0: false });
      const tol = gradTol(d);
      for (const k of ["dwx", "dwh", "dbx", "dbh"] as const) {
        expectClose(twice[k], Float64Array.from(once[k], (v) => 2 * v), tol, `${k} after two calls`);
        expectSame(skip[k], once[k], `${k} with dx and dh0 skipped`);
      }
      expectSame(twice.dx, once.dx, "dx after two calls"); // overwritten, not accumulated
      expectSame(twice.dh0, once.dh0, "dh0 after two calls");
      expect(skip.dx.every((v) => v === SENTINEL)).toBe(true);
      expect(skip.dh0.every((v) => v === SENTINEL)).toBe(true);
    }
  });
});

// ---- every history step is read -------------------------------------------------------------

describe("gru history", () => {
  for (const act of ACTS) {
    it(`h_T depends on every one of the T = 10 history items, the oldest included (${actName(act)})`, () => {
      const d: GruDims = { B: 8, T: 10, I: 32, H: 32 };
      const { B, T, I, H } = d;
      const rng = new Rng(41 + act);
      const c = makeCase(d, rng, false);
      const last = (hs: ArrayLike<number>, b: number): number[] => Array.from({ length: H }, (_, j) => hs[(b * T + T - 1) * H + j]);
      const base = wasmForward(c, act);
      const baseRef = refForward(c, act).hs;
      for (let t = 0; t < T; t++) {
        // replace item t of every listener's history by a different random embedding
        const c2: Case = { ...c, x: c.x.slice() };
        const item = uniform(I, rng, 1);
        for (let b = 0; b < B; b++) c2.x.set(item, (b * T + t) * I);
        const moved = wasmForward(c2, act);
        const movedRef = refForward(c2, act).hs;
        for (let b = 0; b < B; b++) {
          const dw = last(moved, b).map((v, j) => v - last(base, b)[j]);
          const dr = last(movedRef, b).map((v, j) => v - last(baseRef, b)[j]);
          const norm = Math.hypot(...dr);
          // a real change, far above f32 rounding, and the one the reference predicts
          expect(norm, `|Δh_T| for item ${t}, listener ${b}`).toBeGreaterThan(1e-4);
          expectClose(dw, dr, { atol: 2e-5, rtol: 0.02 }, `Δh_T for item ${t}, listener ${b}`);
        }
      }
      // and the gradient of h_T reaches the oldest item: dx[:, 0, :] ≠ 0
      const dhs = new Float32Array(B * T * H);
      for (let b = 0; b < B; b++) dhs.fill(1, (b * T + T - 1) * H, (b * T + T) * H);
      const G = 3 * H;
      wasmForward(c, act);
      const g = wasmBackward(c, act, dhs, { dwx: new Float32Array(I * G), dwh: new Float32Array(H * G), dbx: new Float32Array(G), dbh: new Float32Array(G) });
      for (let b = 0; b < B; b++) {
        const oldest = g.dx.subarray(b * T * I, b * T * I + I);
        expect(Math.hypot(...oldest), `|∂h_T/∂x_0| for listener ${b}`).toBeGreaterThan(1e-5);
      }
    });
  }
});
