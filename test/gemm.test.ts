// assembly/gemm.ts against the f64 reference (test/reference/gemm.ts): the three forms,
// both acc modes, sizes that are and are not multiples of the 4x8 tile, sizes crossing the
// cache blocks (MC = 120, KC = 512, NC = 512 in assembly/gemm.ts), leading dimensions wider
// than the matrices and unaligned sub-matrix pointers. Every element of C outside the M x N
// block is a canary that must come back bit-for-bit unchanged, and A and B must be unchanged.
import { describe, it, expect, beforeAll } from "vitest";
import { MemoryPlan, type Region } from "../src/engine/plan.js";
import type { Engine } from "../src/engine/engine.js";
import { Rng } from "../src/rng.js";
import { loadEngine } from "./util/engine.js";
import { SIZES, widen, worst, type Tol } from "./util/close.js";
import { gemmRef, type GemmForm } from "./reference/gemm.js";

const FORMS: GemmForm[] = ["nn", "nt", "tn"];
// Per product term; widened by sqrt(K). f32 inputs in [-1, 1].
const TOL: Tol = { atol: 1e-6, rtol: 1e-5 };
// Floats per operand region: the largest case below needs about 160k.
const CAP = 200_000;

let engine: Engine;
let A: Region, B: Region, C: Region;

beforeAll(async () => {
  const plan = new MemoryPlan();
  A = plan.f32("test.gemm.a", "io", CAP);
  B = plan.f32("test.gemm.b", "io", CAP);
  C = plan.f32("test.gemm.c", "io", CAP);
  engine = await loadEngine(plan);
});

interface Layout {
  /** Extra elements per row beyond the stored width (ld = width + pad). */
  padA: number; padB: number; padC: number;
  /** Start offsets in elements: non-zero offsets make unaligned sub-matrix pointers. */
  offA: number; offB: number; offC: number;
}

function randomLayout(rng: Rng): Layout {
  const pad = () => [0, 0, 1, 3, 37][rng.int(5)];
  return { padA: pad(), padB: pad(), padC: pad(), offA: rng.int(4), offB: rng.int(4), offC: rng.int(4) };
}

function fill(v: Float32Array, from: number, to: number, rng: Rng): void {
  for (let i = from; i < to; i++) v[i] = rng.float() * 2 - 1;
}

/**
 * Run one case on the wasm kernel and the reference; returns a failure message or null.
 * Checks the M x N block within tolerance, everything else in C (canaries) and all of A, B exactly.
 */
function runCase(form: GemmForm, M: number, N: number, K: number, acc: 0 | 1, L: Layout, rng: Rng): string | null {
  const [aRows, aCols] = form === "tn" ? [K, M] : [M, K];
  const [bRows, bCols] = form === "nt" ? [N, K] : [K, N];
  const lda = aCols + L.padA, ldb = bCols + L.padB, ldc = N + L.padC;
  const aEnd = L.offA + aRows * lda + 4, bEnd = L.offB + bRows * ldb + 4, cEnd = L.offC + M * ldc + 4;
  if (aEnd > CAP || bEnd > CAP || cEnd > CAP) throw new Error(`case ${form} ${M}x${N}x${K} exceeds the test regions`);
  const a = A.f32(), b = B.f32(), c = C.f32();
  fill(a, 0, aEnd, rng);
  fill(b, 0, bEnd, rng);
  fill(c, 0, cEnd, rng);
  const a0 = a.slice(0, aEnd), b0 = b.slice(0, bEnd);
  const ref = Float64Array.from(c.subarray(0, cEnd));
  gemmRef(form, M, N, K, a0.subarray(L.offA), lda, b0.subarray(L.offB), ldb, ref.subarray(L.offC), ldc, acc);
  const kernel = engine.x[`gemm_f32_${form}`];
  kernel(M, N, K, A.ptr + 4 * L.offA, lda, B.ptr + 4 * L.offB, ldb, C.ptr + 4 * L.offC, ldc, acc, engine.gemmWorkspace);
  const what = `gemm_${form} M=${M} N=${N} K=${K} acc=${acc} lda=${lda} ldb=${ldb} ldc=${ldc} off=${L.offA},${L.offB},${L.offC}`;
  const tol = widen(TOL, K);
  const got = c.subarray(0, cEnd);
  const gotBlock = new Float64Array(M * N), refBlock = new Float64Array(M * N);
  for (let i = 0; i < cEnd; i++) {
    const r = i - L.offC, row = Math.floor(r / ldc), col = r - row * ldc;
    if (r >= 0 && row < M && col < N) {
      gotBlock[row * N + col] = got[i];
      refBlock[row * N + col] = ref[i];
    } else if (!Object.is(got[i], ref[i])) {
      return `${what}: C element ${i} outside the block changed from ${ref[i]} to ${got[i]}`;
    }
  }
  const w = worst(gotBlock, refBlock, tol);
  if (w) return `${what}: C[${Math.floor(w.i / N)},${w.i % N}] is ${w.got}, reference ${w.ref} (${w.excess.toFixed(1)}x the tolerance)`;
  for (let i = 0; i < aEnd; i++) if (!Object.is(a[i], a0[i])) return `${what}: A element ${i} was written`;
  for (let i = 0; i < bEnd; i++) if (!Object.is(b[i], b0[i])) return `${what}: B element ${i} was written`;
  return null;
}

/** Run many cases, collect failures, and fail with the first few (one assertion per batch). */
function expectAll(cases: [GemmForm, number, number, number, 0 | 1][], rng: Rng, layout?: Layout): number {
  const failures: string[] = [];
  for (const [form, M, N, K, acc] of cases) {
    const f = runCase(form, M, N, K, acc, layout ?? randomLayout(rng), rng);
    if (f) failures.push(f);
  }
  expect(failures.slice(0, 5), `${failures.length} of ${cases.length} cases failed`).toEqual([]);
  return cases.length;
}

describe("gemm_f32_nn / nt / tn", () => {
  it("exposes a fixed, 16-byte multiple workspace", () => {
    const bytes = engine.x.gemm_workspace_bytes();
    expect(bytes).toBeGreaterThan(0);
    expect(bytes % 16).toBe(0);
    expect(engine.gemmWorkspace % 16).toBe(0);
  });

  for (const form of FORMS) {
    it(`${form}: sweeps each of M, N, K over SIZES with the others in {1, 7, 24, 65}, both acc modes`, () => {
      const rng = new Rng(101 + FORMS.indexOf(form));
      const others = [1, 7, 24, 65];
      const cases: [GemmForm, number, number, number, 0 | 1][] = [];
      for (const s of SIZES) for (const x of others) for (const y of others) for (const acc of [0, 1] as const) {
        cases.push([form, s, x, y, acc], [form, x, s, y, acc], [form, x, y, s, acc]);
      }
      expectAll(cases, rng);
    });
  }

  it("a random sample of (M, N, K) from SIZES³ in every form and acc mode", () => {
    const rng = new Rng(7);
    const cases: [GemmForm, number, number, number, 0 | 1][] = [];
    for (let t = 0; t < 300; t++) {
      cases.push([FORMS[rng.int(3)], SIZES[rng.int(SIZES.length)], SIZES[rng.int(SIZES.length)], SIZES[rng.int(SIZES.length)], rng.int(2) as 0 | 1]);
    }
    expectAll(cases, rng);
  });

  it("sizes crossing the cache blocks (K > KC, M > MC, N > NC) with ragged remainders", () => {
    const rng = new Rng(11);
    const shapes: [number, number, number][] = [[127, 523, 37], [245, 19, 517], [13, 35, 771], [121, 9, 257], [61, 1030, 5]];
    const cases: [GemmForm, number, number, number, 0 | 1][] = [];
    for (const [M, N, K] of shapes) for (const form of FORMS) for (const acc of [0, 1] as const) cases.push([form, M, N, K, acc]);
    expectAll(cases, rng);
  });

  it("honours leading dimensions of column slices of wider matrices at unaligned offsets", () => {
    const rng = new Rng(13);
    // e.g. a 29-column slice of a 96-column matrix starting at column 3.
    const layout: Layout = { padA: 67, padB: 59, padC: 41, offA: 3, offB: 1, offC: 2 };
    const cases: [GemmForm, number, number, number, 0 | 1][] = [];
    for (const form of FORMS) for (const acc of [0, 1] as const) cases.push([form, 29, 23, 31, acc], [form, 17, 9, 65, acc]);
    expectAll(cases, rng, layout);
  });

  it("K = 0 writes zeros (acc = 0) or leaves C alone (acc = 1); M = 0 or N = 0 touches nothing", () => {
    const rng = new Rng(17);
    const cases: [GemmForm, number, number, number, 0 | 1][] = [];
    for (const form of FORMS) for (const acc of [0, 1] as const) {
      cases.push([form, 5, 9, 0, acc], [form, 0, 9, 5, acc], [form, 5, 0, 5, acc], [form, 0, 0, 0, acc]);
    }
    expectAll(cases, rng);
    // and K = 0, acc = 0 really produces zeros, not the reference's stale values
    const c = C.f32();
    c.fill(7, 0, 64);
    engine.x.gemm_f32_nn(3, 5, 0, A.ptr, 1, B.ptr, 5, C.ptr, 8, 0, engine.gemmWorkspace);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 8; j++) expect(c[i * 8 + j]).toBe(j < 5 ? 0 : 7);
    expect(c[24]).toBe(7);
  });
});
