// topk_f32 (assembly/topk.ts, assembly/topk_select.ts) through its host wrapper
// (src/engine/topk.ts), against the f64 sort-based reference (test/reference/topk.ts), with and
// without a per-track bias (score = w_q · e_i + qb[q]·b[i]).
//
// The wasm sums in f32, the reference in f64. Exact comparisons use small integer-valued
// embeddings and queries (every partial sum is an integer below 2^24, so f32 is exact and the
// orders agree, ties included; biases and their weights are small integers too); random data is compared with a tolerance on scores, and on
// indices only where neighbouring reference scores are further apart than the tolerance.
import { beforeAll, describe, expect, it } from "vitest";
import { MemoryPlan, type Region } from "../src/engine/plan.js";
import type { Engine } from "../src/engine/engine.js";
import { TopK } from "../src/engine/topk.js";
import { Rng } from "../src/rng.js";
import { loadEngine } from "./util/engine.js";
import { SIZES, widen, type Tol } from "./util/close.js";
import { scoreF64, topkRef, type TopKResult } from "./reference/topk.js";

const CAP = { maxQ: 16, maxG: 8, maxK: 80, maxD: 300, maxX: 16 };
const CATALOG_FLOATS = 1_300_000;
/** Query counts that run every scan path: one, pair, triple, triple + pair, a tile in place (+ triple), packed tiles. */
const BIAS_QS = [1, 2, 3, 5, 8, 11, 16] as const;
const GUARD = 4096;

let engine: Engine;
let topk: TopK;
let catalog: Region;
let biasRegion: Region;
const BIAS_FLOATS = 65536;

beforeAll(async () => {
  const plan = new MemoryPlan();
  topk = new TopK(plan, CAP);
  catalog = plan.f32("test.catalog", "data", CATALOG_FLOATS);
  biasRegion = plan.f32("test.bias", "data", BIAS_FLOATS);
  engine = await loadEngine(plan);
  topk.bind(engine);
});

interface Case {
  E: Float32Array; N: number; D: number;
  W: Float32Array; Q: number; G: number; k: number;
  excl?: number[]; X?: number; distinct?: boolean;
  /** Per-track bias b (N) and per-query weights qb (Q). */
  b?: Float32Array; qb?: Float32Array;
}

/** Run the wasm top-k; also checks it wrote nothing past Q·k outputs or past its stated workspace. */
function runWasm(c: Case): TopKResult {
  const X = c.X ?? 0, distinct = c.distinct ?? false;
  catalog.f32().set(c.E);
  topk.queries.set(c.W);
  if (X > 0) topk.exclusions.set(c.excl!);
  if (c.b) {
    biasRegion.f32().set(c.b);
    topk.queryBias.set(c.qb!);
  }
  const outLen = c.Q * c.k;
  topk.indices.fill(-7, outLen, Math.min(topk.indices.length, outLen + GUARD));
  topk.scores.fill(-7, outLen, Math.min(topk.scores.length, outLen + GUARD));
  const need = engine.x.topk_workspace_bytes(c.Q, c.G, c.k, c.D, distinct ? 1 : 0);
  const ws = topk.workspaceRegion.u8();
  const guardEnd = Math.min(ws.length, need + GUARD);
  ws.fill(0xa5, need, guardEnd);
  topk.run(catalog.ptr, c.N, c.D, c.Q, c.G, c.k, X, distinct, c.b ? biasRegion.ptr : 0);
  for (let i = outLen; i < Math.min(topk.indices.length, outLen + GUARD); i++) {
    if (topk.indices[i] !== -7 || topk.scores[i] !== -7) throw new Error(`output written past Q·k at ${i}`);
  }
  for (let i = need; i < guardEnd; i++) if (ws[i] !== 0xa5) throw new Error(`workspace written past its stated ${need} bytes at ${i}`);
  return { indices: Array.from(topk.indices.subarray(0, outLen)), scores: Array.from(topk.scores.subarray(0, outLen)) };
}

function reference(c: Case): TopKResult {
  return topkRef(c.E, c.N, c.D, c.W, c.Q, c.G, c.k, c.excl ?? [], c.X ?? 0, c.distinct ?? false,
    c.b ? { b: c.b, qb: c.qb! } : undefined);
}

function intFill(n: number, rng: Rng, lo: number, hi: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + rng.int(hi - lo + 1);
  return a;
}

function normalFill(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

/** Per-group exclusions: X slots with random tracks, some -1 padding and some duplicates. */
function randomExclusions(G: number, X: number, N: number, rng: Rng): number[] {
  const ex: number[] = [];
  for (let g = 0; g < G; g++) {
    for (let x = 0; x < X; x++) {
      const r = rng.int(6);
      if (r === 0) ex.push(-1);
      else if (r === 1 && x > 0) ex.push(ex[ex.length - 1]);
      else ex.push(rng.int(Math.max(1, N)) % Math.max(1, N));
    }
  }
  return ex;
}

function label(c: Case): string {
  return `N=${c.N} D=${c.D} Q=${c.Q} G=${c.G} k=${c.k} X=${c.X ?? 0} distinct=${c.distinct ?? false} bias=${c.b !== undefined}`;
}

/** Exact agreement: indices and scores, NaN padding included. */
function expectExact(c: Case): void {
  const got = runWasm(c), ref = reference(c);
  for (let i = 0; i < ref.indices.length; i++) {
    const ok = got.indices[i] === ref.indices[i] && (got.scores[i] === ref.scores[i] || (Number.isNaN(got.scores[i]) && Number.isNaN(ref.scores[i])));
    if (!ok) {
      const q = Math.floor(i / c.k), s = i % c.k;
      expect.fail(`${label(c)}: query ${q} slot ${s}: got track ${got.indices[i]} score ${got.scores[i]}, reference track ${ref.indices[i]} score ${ref.scores[i]}`);
    }
  }
}

/**
 * Random data: scores within tolerance slot by slot; each returned index's own f64 score matches
 * the score reported; indices equal wherever the reference's neighbours are > 2·tol apart.
 */
function expectNear(c: Case, tol: Tol): void {
  const got = runWasm(c), ref = reference(c);
  const lim = (r: number) => tol.atol + tol.rtol * Math.abs(r);
  for (let q = 0; q < c.Q; q++) {
    for (let s = 0; s < c.k; s++) {
      const i = q * c.k + s;
      const r = ref.scores[i], g = got.scores[i];
      const where = `${label(c)}: query ${q} slot ${s}`;
      if (ref.indices[i] < 0) {
        expect(got.indices[i], where).toBe(-1);
        continue;
      }
      expect(Math.abs(g - r) <= lim(r), `${where}: score ${g}, reference ${r}`).toBe(true);
      const own = scoreF64(c.E, got.indices[i], c.W, q, c.D, c.b ? { b: c.b, qb: c.qb! } : undefined);
      expect(Math.abs(g - own) <= lim(own), `${where}: track ${got.indices[i]} reported ${g}, its score is ${own}`).toBe(true);
      const prevGap = s > 0 ? ref.scores[i - 1] - r : Infinity;
      const nextGap = s + 1 < c.k && ref.indices[i + 1] >= 0 ? r - ref.scores[i + 1] : Infinity;
      if (prevGap > 2 * lim(r) && nextGap > 2 * lim(r)) expect(got.indices[i], `${where} (clear gap)`).toBe(ref.indices[i]);
    }
  }
}

describe("topk_f32 vs f64 reference, integer data (exact)", () => {
  it("sweeps N and D over SIZES with k in {0, 1, 3, 10, N+2}", () => {
    const rng = new Rng(11);
    let runs = 0;
    for (const N of SIZES) {
      for (const D of SIZES) {
        const E = intFill(N * D, rng, -3, 3);
        for (const k of [0, 1, 3, 10, N + 2]) {
          // three vectors in one group: the pair kernel and the single-query kernel
          expectExact({ E, N, D, W: intFill(3 * D, rng, -3, 3), Q: 3, G: 1, k });
          // two groups of two, distinct, with exclusions (padding and duplicates included)
          const X = 3;
          expectExact({ E, N, D, W: intFill(4 * D, rng, -3, 3), Q: 4, G: 2, k, X, excl: randomExclusions(2, X, N, rng), distinct: true });
          // 13 vectors: an 8-query tile on rows in place, a triple and a pair; 16: two tiles on
          // packed rows. One group, distinct, with exclusions.
          const Qt = (N + D + k) % 2 === 0 ? 13 : 16;
          expectExact({ E, N, D, W: intFill(Qt * D, rng, -3, 3), Q: Qt, G: 1, k, X, excl: randomExclusions(1, X, N, rng), distinct: true });
          // with a per-track bias, on every path in turn (1, 2, 3 queries; a tile in place; tiles
          // packed), weights of both signs and zero; groups of Q/G with exclusions
          const Qb = BIAS_QS[(N + 2 * D + k) % BIAS_QS.length];
          const Gb = Qb % 2 === 0 ? 2 : 1;
          expectExact({ E, N, D, W: intFill(Qb * D, rng, -3, 3), Q: Qb, G: Gb, k, X, excl: randomExclusions(Gb, X, N, rng),
            distinct: k % 2 === 1, b: intFill(N, rng, -5, 5), qb: intFill(Qb, rng, -2, 2) });
          runs += 4;
        }
      }
    }
    expect(runs).toBe(SIZES.length * SIZES.length * 20);
  });

  it("thousands of rows (several L1 row blocks), many query tiles, groups, exclusions", () => {
    const rng = new Rng(12);
    for (const [N, D] of [[4099, 1], [5003, 3], [4096, 32], [3001, 33], [2050, 300]] as const) {
      const E = intFill(N * D, rng, -4, 4);
      for (const [Q, G] of [[1, 1], [3, 1], [8, 4], [9, 3], [11, 1], [14, 7], [16, 8]] as const) {
        for (const k of [1, 10, 37]) {
          const distinct = (Q + k) % 2 === 1;
          const X = 5;
          expectExact({ E, N, D, W: intFill(Q * D, rng, -3, 3), Q, G, k, X, excl: randomExclusions(G, X, N, rng), distinct });
          expectExact({ E, N, D, W: intFill(Q * D, rng, -3, 3), Q, G, k, X, excl: randomExclusions(G, X, N, rng), distinct,
            b: intFill(N, rng, -20, 20), qb: intFill(Q, rng, -1, 2) });
        }
      }
    }
  }, 120_000); // the f64 reference is slow; no test fails on wall-clock time under load
});

describe("topk_f32 vs f64 reference, random normal data (tolerance)", () => {
  it("matches scores within tolerance and indices wherever the gap is clear", () => {
    const rng = new Rng(13);
    for (const [N, D] of [[65, 17], [1000, 32], [4001, 33], [3000, 64], [1500, 300]] as const) {
      const E = normalFill(N * D, rng);
      const tol = widen({ atol: 1e-6, rtol: 1e-6 }, D);
      for (const [Q, G, distinct] of [[1, 1, false], [3, 1, false], [6, 2, true], [16, 4, false], [15, 5, true]] as const) {
        for (const k of [1, 10]) {
          expectNear({ E, N, D, W: normalFill(Q * D, rng), Q, G, k, distinct }, tol);
          expectNear({ E, N, D, W: normalFill(Q * D, rng), Q, G, k, distinct, b: normalFill(N, rng), qb: normalFill(Q, rng) }, tol);
        }
      }
    }
  });
});

describe("topk_f32 score order is the same on every path", () => {
  for (const withBias of [false, true]) {
    it(`a query's scores are bit-identical whichever kernel computes them (tile of 8, triple, pair, one, row tail)${withBias ? ", with a bias" : ""}`, () => {
      // Q = 16 runs two 8-query tiles on packed rows, Q = 8 and 11 one tile on rows in place (11:
      // and a triple), Q = 3 the triple kernel, Q = 2 the pair, Q = 1 the single one; rows past the
      // four quarters go through the one-row path. Random data with ±0, ±Inf and NaN planted, in
      // the bias too (and weights of 0, ±0 and both signs), so every path's bias step is compared.
      const rng = new Rng(withBias ? 32 : 31);
      for (const [N, D] of [[1031, 1], [1030, 6], [777, 17], [1029, 32], [515, 35]] as const) {
        const E = normalFill(N * D, rng);
        for (let i = 0; i < N; i++) {
          const r = rng.int(40);
          if (r === 0) E[i * D + rng.int(D)] = Infinity;
          else if (r === 1) E[i * D + rng.int(D)] = -Infinity;
          else if (r === 2) E[i * D + rng.int(D)] = NaN;
          else if (r === 3) E.fill(-0, i * D, i * D + D);
          else if (r === 4) E[i * D + rng.int(D)] = -0;
        }
        const W = normalFill(16 * D, rng);
        W[3 * D] = 0; W[5 * D + D - 1] = -0;
        let b: Float32Array | undefined, qb: Float32Array | undefined;
        if (withBias) {
          b = normalFill(N, rng);
          for (let i = 0; i < N; i++) {
            const r = rng.int(30);
            if (r === 0) b[i] = Infinity;
            else if (r === 1) b[i] = -Infinity;
            else if (r === 2) b[i] = NaN;
            else if (r === 3) b[i] = -0;
          }
          qb = normalFill(16, rng);
          qb[1] = 0; qb[6] = -0; qb[9] = -qb[9];
        }
        const k = 12;
        const all = runWasm({ E, N, D, W, Q: 16, G: 8, k, b, qb });
        const bits = (a: number[]) => Array.from(new Uint32Array(Float32Array.from(a).buffer));
        for (const [q0, Q] of [[0, 1], [5, 1], [13, 1], [2, 2], [8, 3], [13, 3], [0, 8], [5, 11]] as const) {
          const part = runWasm({ E, N, D, W: W.subarray(q0 * D, (q0 + Q) * D), Q, G: 1, k, b, qb: qb?.subarray(q0, q0 + Q) });
          const where = `N=${N} D=${D} queries ${q0}..${q0 + Q - 1}`;
          expect(part.indices, where).toEqual(all.indices.slice(q0 * k, (q0 + Q) * k));
          expect(bits(part.scores), where).toEqual(bits(all.scores.slice(q0 * k, (q0 + Q) * k)));
        }
      }
    });
  }
});

describe("topk_f32 edge cases", () => {
  it("ties: equal scores come back by lower index, across row blocks and the row tail", () => {
    const rng = new Rng(21);
    for (const [N, D] of [[7, 3], [1027, 32], [3003, 5]] as const) {
      // rows drawn from three patterns: huge runs of equal scores
      const patterns = intFill(3 * D, rng, -2, 2);
      const E = new Float32Array(N * D);
      for (let i = 0; i < N; i++) E.set(patterns.subarray((i % 3) * D, (i % 3 + 1) * D), i * D);
      for (const k of [1, 3, 10, 40]) {
        expectExact({ E, N, D, W: intFill(3 * D, rng, -2, 2), Q: 3, G: 1, k });
        expectExact({ E, N, D, W: intFill(4 * D, rng, -2, 2), Q: 4, G: 1, k, distinct: true });
        // the pair kernel, and 8-query tiles with a triple (rows of both halves of the catalog tie)
        expectExact({ E, N, D, W: intFill(2 * D, rng, -2, 2), Q: 2, G: 1, k });
        expectExact({ E, N, D, W: intFill(11 * D, rng, -2, 2), Q: 11, G: 1, k, distinct: true });
        expectExact({ E, N, D, W: intFill(16 * D, rng, -2, 2), Q: 16, G: 2, k, distinct: true });
      }
      // all rows equal: the first k indices, in order
      const same = new Float32Array(N * D).fill(1);
      for (const Q of [1, 2, 3, 8, 16]) {
        const got = runWasm({ E: same, N, D, W: new Float32Array(Q * D).fill(1), Q, G: 1, k: 5 });
        expect(got.indices.slice(0, 5), `Q=${Q}`).toEqual([0, 1, 2, 3, 4].map((i) => (i < N ? i : -1)));
      }
    }
  });

  it("NaN scores are never returned; ±Infinity are ordinary scores", () => {
    const rng = new Rng(22);
    for (const [N, D] of [[9, 4], [17, 5], [2001, 32], [1003, 7]] as const) {
      const E = intFill(N * D, rng, -3, 3);
      // plant non-finite components: +Inf, -Inf, NaN, and +Inf with -Inf (Inf - Inf = NaN)
      for (let i = 0; i < N; i++) {
        const r = rng.int(10);
        if (r === 0) E[i * D] = Infinity;
        else if (r === 1) E[i * D + (D - 1)] = -Infinity;
        else if (r === 2) E[i * D + rng.int(D)] = NaN;
        else if (r === 3) { E[i * D] = Infinity; E[i * D + 1] = -Infinity; }
      }
      // queries: positive, negative and zero weights on the planted dimensions (0·Inf = NaN)
      const W = intFill(4 * D, rng, 1, 3);
      W[D] = -1; W[2 * D + D - 1] = 0; W[3 * D] = 0; W[3 * D + 1] = 0;
      for (const k of [1, 3, 10, N < 70 ? N + 2 : 40]) {
        expectExact({ E, N, D, W, Q: 4, G: 1, k });
        expectExact({ E, N, D, W, Q: 4, G: 2, k, distinct: true, X: 2, excl: randomExclusions(2, 2, N, rng) });
      }
    }
    // every score NaN: nothing is returned
    const D = 6, N = 11;
    const allNaN = runWasm({ E: new Float32Array(N * D).fill(Infinity), N, D, W: new Float32Array(D), Q: 1, G: 1, k: 3 });
    expect(allNaN.indices).toEqual([-1, -1, -1]);
    expect(allNaN.scores.every(Number.isNaN)).toBe(true);
    // every score -Infinity: still valid scores, returned by index
    const negInf = new Float32Array(N * D).fill(1);
    for (let i = 0; i < N; i++) negInf[i * D + 2] = -Infinity;
    const got = runWasm({ E: negInf, N, D, W: new Float32Array(D).fill(1), Q: 1, G: 1, k: 4 });
    expect(got.indices).toEqual([0, 1, 2, 3]);
    expect(got.scores).toEqual([-Infinity, -Infinity, -Infinity, -Infinity]);
  });

  it("exclusions: excluded best tracks, duplicates, padding, and excluding everything", () => {
    const rng = new Rng(23);
    const N = 1029, D = 8;
    const E = intFill(N * D, rng, -5, 5);
    const W = intFill(2 * D, rng, -3, 3);
    const top = reference({ E, N, D, W, Q: 2, G: 1, k: 6 });
    // exclude query 0's best three (one listed twice) with -1 padding in between
    const excl = [top.indices[0], -1, top.indices[1], top.indices[0], -1, top.indices[2], -1, -1];
    const c: Case = { E, N, D, W, Q: 2, G: 1, k: 6, X: excl.length, excl };
    expectExact(c);
    const got = runWasm(c);
    for (const t of excl) if (t >= 0) expect(got.indices).not.toContain(t);
    expect(got.indices.slice(0, 3)).toEqual(top.indices.slice(3, 6));
    // excluding every track of a small catalog: all slots empty
    const n = 5;
    const all = runWasm({ E: E.subarray(0, n * D), N: n, D, W: W.subarray(0, D), Q: 1, G: 1, k: 3, X: 6, excl: [4, 3, -1, 2, 1, 0] });
    expect(all.indices).toEqual([-1, -1, -1]);
  });

  it("distinct: identical vectors in a group yield distinct tracks, each group with its own exclusions", () => {
    const rng = new Rng(24);
    const N = 2003, D = 16;
    const E = intFill(N * D, rng, -4, 4);
    const w = intFill(D, rng, -3, 3);
    const K = 5, G = 3;
    const W = new Float32Array(K * G * D);
    for (let q = 0; q < K * G; q++) W.set(q < K ? w : intFill(D, rng, -3, 3), q * D);
    const X = 4;
    const excl = randomExclusions(G, X, N, rng);
    for (const k of [1, 3, 10]) {
      const c: Case = { E, N, D, W, Q: K * G, G, k, X, excl, distinct: true };
      expectExact(c);
      const got = runWasm(c);
      for (let g = 0; g < G; g++) {
        const ids = got.indices.slice(g * K * k, (g + 1) * K * k);
        expect(new Set(ids).size, `group ${g} has repeated tracks`).toBe(ids.length);
        for (let x = 0; x < X; x++) if (excl[g * X + x] >= 0) expect(ids).not.toContain(excl[g * X + x]);
      }
      // group 0: K identical vectors, k each = the group's top K·k in order
      const flat = reference({ E, N, D, W: w, Q: 1, G: 1, k: K * k, X, excl: excl.slice(0, X) });
      expect(got.indices.slice(0, K * k)).toEqual(flat.indices);
    }
    // without distinct, identical vectors return identical lists
    const plain = runWasm({ E, N, D, W, Q: K * G, G, k: 3 });
    expect(plain.indices.slice(3, 6)).toEqual(plain.indices.slice(0, 3));
  });

  it("k = 0 touches neither the catalog nor the outputs", () => {
    // straight to the kernel with a catalog (and bias) address past the end of memory: any read would trap
    const x = engine.x;
    topk.indices.fill(-7);
    x.topk_f32(engine.byteLength + 1024, 1000, 32, topk.queryRegion.ptr, 3, 1, 0,
      topk.exclusionRegion.ptr, 0, 1, topk.indexRegion.ptr, topk.scoreRegion.ptr, topk.workspaceRegion.ptr,
      engine.byteLength + 64, topk.queryBiasRegion.ptr);
    expect(topk.indices.every((v) => v === -7)).toBe(true);
    topk.run(catalog.ptr, 10, 4, 2, 1, 0);
    expect(topk.indices.every((v) => v === -7)).toBe(true);
  });

  it("an empty catalog fills every slot with -1 / NaN", () => {
    const got = runWasm({ E: new Float32Array(0), N: 0, D: 3, W: new Float32Array(6).fill(1), Q: 2, G: 1, k: 2 });
    expect(got.indices).toEqual([-1, -1, -1, -1]);
    expect(got.scores.every(Number.isNaN)).toBe(true);
  });

  it("topk_workspace_bytes is pure, exact beyond 2 GiB, and traps on bad shapes", () => {
    const x = engine.x;
    expect(x.topk_workspace_bytes(6, 2, 10, 32, 1)).toBe(x.topk_workspace_bytes(6, 2, 10, 32, 1));
    expect(x.topk_workspace_bytes(6, 2, 10, 32, 1)).toBeGreaterThan(x.topk_workspace_bytes(6, 2, 10, 32, 0));
    expect(() => x.topk_workspace_bytes(5, 2, 10, 32, 0)).toThrow(/encore engine: topk_workspace_bytes: invalid shapes/);
    expect(() => x.topk_workspace_bytes(4, 0, 10, 32, 0)).toThrow(/invalid shapes/);
    expect(() => x.topk_workspace_bytes(4, 1, -1, 32, 0)).toThrow(/invalid shapes/);
    expect(() => x.topk_workspace_bytes(4, 1, 1, 0, 0)).toThrow(/invalid shapes/);
    // 100,000 vectors of one group, k = 100,000, distinct: the heaps alone hold k·Q(Q+1)/2 entries
    const huge = x.topk_workspace_bytes(100000, 1, 100000, 32, 1);
    expect(huge).toBeGreaterThan(2 * 4 * 100000 * (100000 * 100001 / 2));
    expect(Number.isInteger(huge)).toBe(true);
  });

  it("the kernel traps on shapes its wrapper would reject (never half-runs)", () => {
    const x = engine.x;
    topk.indices.fill(-7);
    const call = (N: number, Q: number, G: number, k: number, X: number, bias = 0, qbias = 0) => () => x.topk_f32(catalog.ptr, N, 4,
      topk.queryRegion.ptr, Q, G, k, topk.exclusionRegion.ptr, X, 0, topk.indexRegion.ptr, topk.scoreRegion.ptr, topk.workspaceRegion.ptr, bias, qbias);
    expect(call(10, 3, 2, 1, 0)).toThrow(/encore engine: topk_f32: invalid shapes/);
    expect(call(-1, 3, 1, 1, 0)).toThrow(/topk_f32: invalid shapes/);
    expect(call(10, 3, 1, 1, -1)).toThrow(/topk_f32: invalid shapes/);
    expect(call(10, 3, 1, 1, 0, biasRegion.ptr, 0)).toThrow(/topk_f32: a bias needs its per-query weights/);
    expect(topk.indices.every((v) => v === -7)).toBe(true);
  });
});

describe("topk_f32 with a per-track bias", () => {
  it("ties created through the bias come back by lower index, on every path, across row blocks and the row tail", () => {
    // b[i] = c − w·e_i for the weights of query 0 (qb[0] = 1): every track scores exactly c for
    // it, so it returns tracks 0..k-1; identical vectors of a distinct group return 0..Kg·k-1.
    // Other queries (other weights and qb) are checked against the reference as usual.
    const rng = new Rng(51);
    for (const [N, D] of [[7, 3], [33, 5], [1027, 32], [3003, 5], [1031, 17]] as const) {
      const E = intFill(N * D, rng, -3, 3);
      const w = intFill(D, rng, -2, 2);
      const b = new Float32Array(N);
      for (let i = 0; i < N; i++) b[i] = 7 - scoreF64(E, i, w, 0, D);
      for (const Q of BIAS_QS) {
        const W = intFill(Q * D, rng, -2, 2);
        W.set(w, 0);
        const qb = intFill(Q, rng, -2, 2);
        qb[0] = 1;
        for (const k of [1, 4, 10]) {
          const c: Case = { E, N, D, W, Q, G: 1, k, b, qb };
          expectExact(c);
          const got = runWasm(c);
          expect(got.indices.slice(0, k), `N=${N} D=${D} Q=${Q} k=${k}`).toEqual(Array.from({ length: k }, (_, i) => (i < N ? i : -1)));
          expect(got.scores.slice(0, Math.min(k, N)).every((v) => v === 7)).toBe(true);
        }
        // a distinct group of Q identical vectors: together the first Q·k tracks, in order
        const same = new Float32Array(Q * D);
        for (let q = 0; q < Q; q++) same.set(w, q * D);
        const k = 3;
        const got = runWasm({ E, N, D, W: same, Q, G: 1, k, b, qb: new Float32Array(Q).fill(1), distinct: true });
        expect(got.indices, `distinct N=${N} Q=${Q}`).toEqual(Array.from({ length: Q * k }, (_, i) => (i < N ? i : -1)));
      }
    }
  });

  it("a bias reorders tracks: a large weight turns the ranking into the bias's, a negative one reverses it", () => {
    const rng = new Rng(52);
    const N = 2003, D = 8;
    const E = intFill(N * D, rng, -2, 2);
    const b = new Float32Array(N);
    for (let i = 0; i < N; i++) b[i] = (i * 7919) % N; // a permutation of 0..N-1
    const W = intFill(3 * D, rng, -1, 1);
    const qb = Float32Array.from([1000, -1000, 0]);
    const got = runWasm({ E, N, D, W, Q: 3, G: 1, k: 5, b, qb });
    const order = Array.from({ length: N }, (_, i) => i).sort((x, y) => b[y] - b[x]);
    expect(got.indices.slice(0, 5)).toEqual(order.slice(0, 5));
    expect(got.indices.slice(5, 10)).toEqual(order.slice(-5).reverse());
    // weight 0: exactly the unbiased ranking (and scores: dot + 0·b = dot for finite b)
    const plain = runWasm({ E, N, D, W: W.subarray(2 * D), Q: 1, G: 1, k: 5 });
    expect(got.indices.slice(10)).toEqual(plain.indices);
    expect(got.scores.slice(10)).toEqual(plain.scores);
  });

  it("NaN in the bias is never returned; ±Infinity biases are ordinary scores; 0·Inf is NaN", () => {
    const rng = new Rng(53);
    for (const [N, D] of [[9, 4], [17, 5], [2001, 32], [1003, 7]] as const) {
      const E = intFill(N * D, rng, -3, 3);
      for (let i = 0; i < N; i += 11) E[i * D] = Infinity; // some rows +Inf already: +Inf + -Inf bias = NaN
      const b = intFill(N, rng, -3, 3);
      for (let i = 0; i < N; i++) {
        const r = rng.int(8);
        if (r === 0) b[i] = NaN;
        else if (r === 1) b[i] = Infinity;
        else if (r === 2) b[i] = -Infinity;
      }
      for (const Q of BIAS_QS) {
        const W = intFill(Q * D, rng, 1, 3);
        const qb = intFill(Q, rng, -2, 2); // zeros included: 0·±Inf = NaN
        for (const k of [1, 3, N < 70 ? N + 2 : 40]) {
          expectExact({ E, N, D, W, Q, G: 1, k, b, qb });
          const G = Q % 2 === 0 ? 2 : 1;
          expectExact({ E, N, D, W, Q, G, k, b, qb, distinct: true, X: 2, excl: randomExclusions(G, 2, N, rng) });
        }
        const got = runWasm({ E, N, D, W, Q, G: 1, k: 3, b, qb });
        for (let i = 0; i < Q * 3; i++) if (got.indices[i] >= 0) expect(Number.isNaN(b[got.indices[i]])).toBe(false);
      }
    }
    // every bias NaN: nothing is returned
    const N = 13, D = 3;
    const none = runWasm({ E: new Float32Array(N * D).fill(1), N, D, W: new Float32Array(2 * D).fill(1), Q: 2, G: 1, k: 2,
      b: new Float32Array(N).fill(NaN), qb: Float32Array.from([1, 0]) });
    expect(none.indices).toEqual([-1, -1, -1, -1]);
  });
});

describe("TopK host wrapper shape checks", () => {
  it("rejects bad shapes with clear messages, before the kernel runs", () => {
    const p = catalog.ptr;
    expect(() => topk.run(p, 10, 4, 5, 2, 1)).toThrow(/Q = 5 query vectors do not split into G = 2/);
    expect(() => topk.run(p, 10, 4, 17, 1, 1)).toThrow(/query count Q \(capacity maxQ 16\)/);
    expect(() => topk.run(p, 10, 4, 16, 9, 1)).toThrow(/group count G \(capacity maxG 8\)/);
    expect(() => topk.run(p, 10, 4, 2, 0, 1)).toThrow(/group count G/);
    expect(() => topk.run(p, 10, 4, 2, 1, 81)).toThrow(/k \(capacity maxK 80\)/);
    expect(() => topk.run(p, 10, 4, 2, 1, 1.5)).toThrow(/k .* must be an integer/);
    expect(() => topk.run(p, 10, 301, 2, 1, 1)).toThrow(/D \(capacity maxD 300\)/);
    expect(() => topk.run(p, 10, 0, 2, 1, 1)).toThrow(/D \(capacity maxD 300\)/);
    expect(() => topk.run(p, -1, 4, 2, 1, 1)).toThrow(/catalog rows N/);
    expect(() => topk.run(p, 10, 4, 2, 1, 1, 17)).toThrow(/exclusions per group X \(capacity maxX 16\)/);
    expect(() => topk.run(p + 2, 10, 4, 2, 1, 1)).toThrow(/4-byte aligned/);
    expect(() => topk.run(p, 1e9, 4, 2, 1, 1)).toThrow(/past the engine memory/);
    expect(() => topk.run(topk.workspaceRegion.ptr, 10, 4, 2, 1, 1)).toThrow(/overlaps region 'topk.workspace'/);
    topk.exclusions.set([3, -1, 10, 0]);
    expect(() => topk.run(p, 10, 4, 2, 2, 1, 2)).toThrow(/exclusions\[group 1\]\[0\] = 10 is not a track index in \[0, 10\)/);
    topk.exclusions.set([3, -2]);
    expect(() => topk.run(p, 10, 4, 2, 1, 1, 2)).toThrow(/exclusions\[group 0\]\[1\] = -2/);
    const b = biasRegion.ptr;
    expect(() => topk.run(p, 10, 4, 2, 1, 1, 0, false, b + 2)).toThrow(/bias must be 0 \(none\) or a 4-byte aligned byte address/);
    expect(() => topk.run(p, 10, 4, 2, 1, 1, 0, false, -4)).toThrow(/bias must be 0/);
    expect(() => topk.run(p, 10, 4, 2, 1, 1, 0, false, engine.byteLength - 16)).toThrow(/bias \(10 f32 at \d+\) ends at byte \d+, past the engine memory/);
    expect(() => topk.run(p, 10, 4, 2, 1, 1, 0, false, topk.scoreRegion.ptr)).toThrow(/bias \[\d+, \d+\) overlaps region 'topk.scores'/);
  });

  it("checks capacities, distinct group size and binding", async () => {
    const plan = new MemoryPlan();
    expect(() => new TopK(plan, { ...CAP, maxG: 17 })).toThrow(/maxG/);
    const t = new TopK(plan, { maxQ: 6, maxG: 6, maxK: 4, maxD: 8, maxX: 0, maxDistinctGroup: 2 });
    const E = plan.f32("cat", "data", 8 * 8);
    expect(() => t.run(0, 1, 1, 1, 1, 1)).toThrow(/call bind\(engine\)/);
    expect(() => t.indices).toThrow(/bind\(engine\)/);
    const e = await loadEngine(plan);
    t.bind(e);
    expect(() => t.run(E.ptr, 8, 8, 6, 2, 4, 0, true)).toThrow(/distinct groups of 3 vectors exceed the capacity maxDistinctGroup 2/);
    // groups of 2 at full Q and k fit the workspace
    E.f32().set(intFill(64, new Rng(3), -2, 2));
    t.queries.set(intFill(48, new Rng(4), -2, 2));
    t.run(E.ptr, 8, 8, 6, 3, 4, 0, true);
    const ref = topkRef(E.f32(), 8, 8, t.queries, 6, 3, 4, [], 0, true);
    expect(Array.from(t.indices.subarray(0, 24))).toEqual(ref.indices);
    expect(() => t.bind(engine)).toThrow(/engine loaded from this TopK's memory plan/);
  });
});
