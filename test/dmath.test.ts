// src/dmath.ts: the deterministic elementary functions, against a BigInt reference (the true
// value to ~2^-200, test/reference/bigmath.ts) and against Math. Bounds stated here: exp, expm1,
// log, log1p, sinTurns, cosTurns and pow (|y · ln x| ≤ 200) within 1 ulp of the true value and
// of Math's result (Math.sin(2πt) excepted: its argument 2π·t is itself rounded, see below);
// tanh and logistic within 2 ulps of Math. Special values (NaN, ±0, ±∞, negative bases) as Math.
// Cross-engine identity is the runtime matrix's job; here: accuracy.
import { describe, it, expect } from "vitest";
import * as d from "../src/dmath.js";
import { exact, expRef, logRef, powRef, turnsRef, ulpError, type Big } from "./reference/bigmath.js";
import { Rng } from "../src/rng.js";

/** Doubles between a and b (0: the same double). */
function ulpsApart(a: number, b: number): number {
  if (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))) return 0;
  const f = new Float64Array([a, b]);
  const i = new BigInt64Array(f.buffer);
  const key = (x: bigint): bigint => (x < 0n ? -(x & 0x7fffffffffffffffn) : x); // monotone in the value
  const diff = key(i[0]) - key(i[1]);
  return Number(diff < 0n ? -diff : diff);
}

const rng = new Rng(20240611);
const uniform = (a: number, b: number) => (): number => a + (b - a) * rng.float();
const logUniform = (lo: number, hi: number) => (): number => 2 ** (lo + (hi - lo) * rng.float());

interface Case {
  name: string;
  f: (x: number) => number;
  math: ((x: number) => number) | null;
  ref: (x: number) => Big;
  gen: () => number;
}

function expm1Ref(x: number): Big {
  const r = expRef(x);
  // e^x − 1 = r − 1 (r.e < 0 only for x > 170, where the 1 is far below the result's precision)
  return r.e >= 0 ? { n: r.n - (1n << BigInt(r.e)), e: r.e } : r;
}

function log1pRef(x: number): Big {
  // log(1 + x) = log((2^e + n) / 2^e) for x = n·2^-e: the reference's log of a rational via doubles
  // would round 1 + x, so scale: log1p(x) = log(1 + x) computed as log of the exact sum
  const v = exact(x);
  const sum = (1n << BigInt(v.e)) + v.n; // (1 + x) · 2^e, exact
  return logOfRational(sum, v.e);
}

/** log(n · 2^-e) for a positive BigInt n, through logRef on the double parts (exact split). */
function logOfRational(n: bigint, e: number): Big {
  // n = hi · 2^s + lo with hi < 2^53: log n = log(hi · 2^s) + log(1 + lo/(hi·2^s)); the second term by its series
  const bits = n.toString(2).length;
  const s = Math.max(0, bits - 53);
  const hi = n >> BigInt(s), lo = n - (hi << BigInt(s));
  const L = logRef(Number(hi)); // exact: hi fits a double
  const P = L.e;
  const ln2 = logRef(2).n;
  // u = lo / (hi · 2^s) in fixed point P, log(1 + u) ≈ u − u²/2 + u³/3 (u < 2^-52: ample)
  const u = (lo << BigInt(P)) / (hi << BigInt(s));
  const u2 = (u * u) >> BigInt(P);
  const corr = u - u2 / 2n + ((u2 * u) >> BigInt(P)) / 3n;
  return { n: L.n + BigInt(s - e) * ln2 + corr, e: P };
}

const CASES: Case[] = [
  { name: "exp on [-5, 5]", f: d.exp, math: Math.exp, ref: expRef, gen: uniform(-5, 5) },
  { name: "exp on [-745, 709]", f: d.exp, math: Math.exp, ref: expRef, gen: uniform(-745, 709) },
  { name: "exp near 0", f: d.exp, math: Math.exp, ref: expRef, gen: uniform(-1e-6, 1e-6) },
  { name: "expm1 on [-1, 1]", f: d.expm1, math: Math.expm1, ref: expm1Ref, gen: uniform(-1, 1) },
  { name: "expm1 on [-38, 40]", f: d.expm1, math: Math.expm1, ref: expm1Ref, gen: uniform(-38, 40) },
  { name: "expm1 near 0", f: d.expm1, math: Math.expm1, ref: expm1Ref, gen: () => (rng.float() - 0.5) * 2 ** (-60 * rng.float()) },
  { name: "log on (0, 10]", f: d.log, math: Math.log, ref: logRef, gen: uniform(1e-9, 10) },
  { name: "log near 1", f: d.log, math: Math.log, ref: logRef, gen: uniform(0.99, 1.01) },
  { name: "log on [2^-1070, 2^1020]", f: d.log, math: Math.log, ref: logRef, gen: logUniform(-1070, 1020) },
  { name: "log1p on (-1, 3]", f: d.log1p, math: Math.log1p, ref: log1pRef, gen: uniform(-0.999, 3) },
  { name: "log1p near 0", f: d.log1p, math: Math.log1p, ref: log1pRef, gen: () => (rng.float() - 0.5) * 2 ** (-50 * rng.float()) },
  { name: "log1p of counts", f: d.log1p, math: Math.log1p, ref: log1pRef, gen: () => Math.floor(2 ** (30 * rng.float())) },
  { name: "pow(0.9999, t), t < 10^6", f: (t) => d.pow(0.9999, t), math: (t) => Math.pow(0.9999, t), ref: (t) => powRef(0.9999, t), gen: () => Math.floor(rng.float() * 1e6) },
  { name: "pow(c, 0.75), c < 10^8", f: (c) => d.pow(c, 0.75), math: (c) => Math.pow(c, 0.75), ref: (c) => powRef(c, 0.75), gen: () => 1 + Math.floor(rng.float() * 1e8) },
  { name: "pow(r, -1.07), r < 4·10^6", f: (r) => d.pow(r, -1.07), math: (r) => Math.pow(r, -1.07), ref: (r) => powRef(r, -1.07), gen: () => 1 + Math.floor(rng.float() * 4e6) },
  { name: "pow(x, 100.3), x ∈ [0.15, 7]", f: (x) => d.pow(x, 100.3), math: (x) => Math.pow(x, 100.3), ref: (x) => powRef(x, 100.3), gen: uniform(0.15, 7) },
  { name: "pow(1.0001, y), |y| < 2·10^6", f: (y) => d.pow(1.0001, y), math: (y) => Math.pow(1.0001, y), ref: (y) => powRef(1.0001, y), gen: uniform(-2e6, 2e6) },
  { name: "sinTurns on [0, 1)", f: d.sinTurns, math: null, ref: (t) => turnsRef(t).sin, gen: () => rng.float() },
  { name: "cosTurns on [0, 1)", f: d.cosTurns, math: null, ref: (t) => turnsRef(t).cos, gen: () => rng.float() },
  { name: "sinTurns on [-1000, 1000]", f: d.sinTurns, math: null, ref: (t) => turnsRef(t).sin, gen: uniform(-1000, 1000) },
  { name: "cosTurns on [-1000, 1000]", f: d.cosTurns, math: null, ref: (t) => turnsRef(t).cos, gen: uniform(-1000, 1000) },
];

const SAMPLES = 1500;

describe("dmath against the BigInt reference and Math", () => {
  for (const c of CASES) {
    it(`${c.name}: within 1 ulp of the true value${c.math ? " and of Math" : ""}`, () => {
      let worst = 0, worstX = NaN, worstMath = 0, apart = 0, refWorstMath = 0;
      for (let i = 0; i < SAMPLES; i++) {
        const x = c.gen();
        const got = c.f(x), ref = c.ref(x);
        const e = ulpError(got, ref);
        if (e > worst) { worst = e; worstX = x; }
        if (c.math) {
          const m = c.math(x);
          refWorstMath = Math.max(refWorstMath, ulpError(m, ref));
          const a = ulpsApart(got, m);
          worstMath = Math.max(worstMath, a);
          if (a > 0) apart++;
        }
      }
      expect(worst, `worst at x = ${worstX}`).toBeLessThanOrEqual(1);
      if (c.math) {
        expect(worstMath).toBeLessThanOrEqual(1);
        // the reference is sound: Math's own results land within an ulp of it too
        expect(refWorstMath).toBeLessThanOrEqual(1);
        expect(apart).toBeLessThan(SAMPLES); // (Math and dmath round differently now and then, by that one ulp)
      }
    });
  }

  it("Math.sin(2π·t) is no reference for the turn functions: its rounded argument costs it thousands of ulps near sin's zeros", () => {
    // the motivating case for sinTurns: t just below 1/2, where sin(2πt) is tiny
    const t = 0.5 - 2 ** -40;
    const ref = turnsRef(t).sin;
    expect(ulpError(d.sinTurns(t), ref)).toBeLessThanOrEqual(1);
    expect(ulpError(Math.sin(2 * Math.PI * t), ref)).toBeGreaterThan(1000);
  });

  it("tanh and logistic within 2 ulps of Math", () => {
    let worstTanh = 0, worstLogistic = 0;
    for (let i = 0; i < 20_000; i++) {
      const x = (rng.float() - 0.5) * (i % 2 ? 50 : 4);
      worstTanh = Math.max(worstTanh, ulpsApart(d.tanh(x), Math.tanh(x)));
      worstLogistic = Math.max(worstLogistic, ulpsApart(d.logistic(x), 1 / (1 + Math.exp(-x))));
    }
    expect(worstTanh).toBeLessThanOrEqual(2);
    expect(worstLogistic).toBeLessThanOrEqual(2);
    expect(d.tanh(1e-12)).toBe(1e-12);
    expect(d.tanh(30)).toBe(1);
    expect(d.tanh(-30)).toBe(-1);
  });

  it("exact where the true value is a double", () => {
    expect(d.exp(0)).toBe(1);
    expect(d.log(1)).toBe(0);
    expect(d.log1p(0)).toBe(0);
    expect(d.expm1(0)).toBe(0);
    for (let p = -60; p <= 60; p++) {
      expect(d.pow(0.5, p), `0.5^${p}`).toBe(2 ** -p);
      expect(d.pow(2, p), `2^${p}`).toBe(2 ** p);
    }
    for (let k = -1074; k <= 1023; k += 7) expect(d.log(2 ** k), `log 2^${k}`).toBe(Math.log(2 ** k)); // k·ln2, one rounding
    for (let b = 2; b < 50; b++) for (let e = 2; e <= 9; e++) if (b ** e < 2 ** 53) expect(d.pow(b, e), `${b}^${e}`).toBe(Number(BigInt(b) ** BigInt(e)));
    expect(d.sinTurns(0.25)).toBe(1);
    expect(d.cosTurns(0.5)).toBe(-1);
    expect(d.cosTurns(0)).toBe(1);
    expect(d.sinTurns(0.75)).toBe(-1);
    expect(Math.abs(d.sinTurns(0.5))).toBe(0);
    expect(Math.abs(d.cosTurns(0.25))).toBe(0);
  });

  it("special values as Math", () => {
    const xs = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 2, -2, 0.5, -0.5, 1e-310, 710, -746, 1e308];
    // the same value (signed zeros, infinities and NaN included), or finite results an ulp apart at most
    const same = (got: number, want: number): boolean => Object.is(got, want) || (Number.isFinite(want) && want !== 0 && ulpsApart(got, want) <= 1);
    for (const x of xs) {
      expect(same(d.exp(x), Math.exp(x)), `exp(${x}) = ${d.exp(x)}`).toBe(true);
      expect(same(d.log(x), Math.log(x)), `log(${x}) = ${d.log(x)}`).toBe(true);
      expect(same(d.expm1(x), Math.expm1(x)), `expm1(${x}) = ${d.expm1(x)}`).toBe(true);
      expect(same(d.log1p(x), Math.log1p(x)), `log1p(${x}) = ${d.log1p(x)}`).toBe(true);
      for (const y of [NaN, Infinity, -Infinity, 0, -0, 1, -1, 2, 3, -3, 0.5, -0.5]) {
        expect(same(d.pow(x, y), Math.pow(x, y)), `pow(${x}, ${y}) = ${d.pow(x, y)}, Math ${Math.pow(x, y)}`).toBe(true);
      }
    }
    expect(d.log1p(-2)).toBeNaN();
    expect(d.sinTurns(Infinity)).toBeNaN();
    expect(d.cosTurns(NaN)).toBeNaN();
  });
});
