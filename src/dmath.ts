// Deterministic elementary functions: the same bits in every JavaScript engine.
//
// ECMAScript leaves Math.exp, log, pow, sin, cos, tanh, … "implementation-approximated": V8
// 11.3/12.4, V8 13.6+ and JavaScriptCore return different last bits for some arguments (e.g.
// Math.pow(0.9999, t), the old exploration-noise schedule). Anything that feeds training state
// or the synthetic listener's draws therefore uses these instead. They are built only from what
// IEEE 754 rounds correctly and JavaScript never contracts or widens (+, −, ×, ÷, sqrt), exact
// reads of a double's exponent bits, exact scaling by powers of two and exact integer rounding
// (Math.round, Math.floor), so one argument gives one result everywhere. Accuracy
// (test/dmath.test.ts, against Math and a BigInt reference): exp, expm1, log, log1p, sinTurns,
// cosTurns within 1 ulp of the true value; pow within 1 ulp while |y · ln x| ≤ 200; tanh and
// logistic within 2 ulps of Math. Speed: about 1–3× the time of Math's in V8 (2·10⁶ calls each of
// exp, log, log1p, pow, sin; noisy on a shared machine, 0.7–4.8× over runs).
//
// Methods: exp reduces x = k·ln2 + r, |r| ≤ ln2/2, and sums the Taylor series of e^r − 1 to r^14
// (truncation < 2^-56); log takes x = 2^k·(1 + f), √2/2 ≤ 1 + f < √2, and
// log(1 + f) = 2 atanh(s), s = f/(2 + f), written f − f²/2 + s(f²/2 + R(s²)) so that f, which is
// exact, carries the result; pow is exp(y · log x) with log x in double-double precision; the
// turn functions reduce t turns exactly to a quarter turn f ∈ [−1/2, 1/2] and sum the Taylor
// series of sin and cos over |θ| ≤ π/4. Series coefficients are exact integer ratios (1/n!,
// 2/(2n+1)), each rounded once by the division that makes it. Long series are evaluated as two
// interleaved Horner chains in z² (Estrin's split) so they do not wait on one another.
//
// No imports; nothing here allocates after module load.

// 2^k for every double exponent, k = −1074..1023, at POW2[k + 1074] (halving and doubling are exact).
const POW2 = new Float64Array(2098);
{
  let v = 1;
  for (let k = 0; k <= 1023; k++, v *= 2) POW2[k + 1074] = v;
  v = 1;
  for (let k = 0; k >= -1074; k--, v *= 0.5) POW2[k + 1074] = v;
}

/** 2^k, −1074 ≤ k ≤ 1023. */
function pow2(k: number): number {
  return POW2[k + 1074];
}

/** x · 2^k for any integer k: exact unless the result is subnormal (then rounded the same everywhere). */
function scale(x: number, k: number): number {
  if (k > 1023) return x * POW2[1023 + 1074] * POW2[Math.min(k - 1023, 1023) + 1074];
  if (k < -1022) return x * POW2[-1022 + 1074] * POW2[Math.max(k + 1022, -1074) + 1074];
  return x * POW2[k + 1074];
}

// A double's biased exponent, read from its high 32-bit word.
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // little- or big-endian host

/** The unbiased exponent e of a positive normal double (2^e ≤ x < 2^(e+1)); −1023 for subnormals. */
function exponentOf(x: number): number {
  F64[0] = x;
  return (U32[HI] >>> 20) - 1023;
}

// ln 2 split so that k · LN2_HI is exact for |k| < 2^11 (LN2_HI has 32 significant bits).
const LN2_HI = 0.6931471803691238; // 0x3FE62E42FEE00000
const LN2_LO = 1.9082149292705877e-10; // ln 2 − LN2_HI
const INV_LN2 = 1.4426950408889634; // 1 / ln 2 (only picks k; any nearby value works)
const SQRT2 = 1.4142135623730951;
const SPLIT = 134217729; // 2^27 + 1, Dekker's splitter

// Series coefficients, exact integer ratios rounded once (n! is exact in a double up to 22!).
const F2 = 1 / 2, F3 = 1 / 6, F4 = 1 / 24, F5 = 1 / 120, F6 = 1 / 720, F7 = 1 / 5040, F8 = 1 / 40320;
const F9 = 1 / 362880, F10 = 1 / 3628800, F11 = 1 / 39916800, F12 = 1 / 479001600, F13 = 1 / 6227020800;
const F14 = 1 / 87178291200, F15 = 1 / 1307674368000, F16 = 1 / 20922789888000, F17 = 1 / 355687428096000;
const F18 = 1 / 6402373705728000, F19 = 1 / 121645100408832000;
/** 2/(2n+1): the atanh series of log in s² after its first term. */
const A1 = 2 / 3, A2 = 2 / 5, A3 = 2 / 7, A4 = 2 / 9, A5 = 2 / 11, A6 = 2 / 13, A7 = 2 / 15, A8 = 2 / 17;
const A9 = 2 / 19, A10 = 2 / 21, A11 = 2 / 23;

// Double-double helpers for the cold paths; results in two module variables (no allocation).
let ddHi = 0, ddLo = 0;

/** ddHi + ddLo = a + b exactly (Knuth's TwoSum). */
function twoSum(a: number, b: number): void {
  const s = a + b;
  const bb = s - a;
  ddHi = s;
  ddLo = (a - (s - bb)) + (b - bb);
}

/** ddHi + ddLo = a · b exactly (Dekker's TwoProduct; |a|, |b| < 2^996). */
function twoProd(a: number, b: number): void {
  const p = a * b;
  let t = SPLIT * a;
  const ah = t - (t - a), al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b), bl = b - bh;
  ddHi = p;
  ddLo = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

/** e^r − 1 − r for |r| ≤ 0.35: Σ_{n=2..14} r^n/n!. */
function expTail(r: number): number {
  const w = r * r;
  const even = F2 + w * (F4 + w * (F6 + w * (F8 + w * (F10 + w * (F12 + w * F14)))));
  const odd = F3 + w * (F5 + w * (F7 + w * (F9 + w * (F11 + w * F13))));
  return w * (even + r * odd);
}

/** e^(hi + lo), lo a low-order correction (|lo| ≤ 2^-40 |hi| or so). */
function expDD(hi: number, lo: number): number {
  if (!(hi <= 709.8)) return hi !== hi ? NaN : Infinity;
  if (hi < -745.2) return 0;
  const k = Math.round(hi * INV_LN2);
  const rHi = hi - k * LN2_HI; // exact: k·LN2_HI is exact and close to hi
  const c = lo - k * LN2_LO;
  const r = rHi + c;
  const rLo = c - (r - rHi); // Fast2Sum: |rHi| ≥ |c|, or rHi = 0
  // e^(r + rLo) = e^r (1 + rLo) to first order; e^r = 1 + em, 1 + em summed exactly (|em| < 1/2)
  const em = r + expTail(r);
  const one = 1 + em;
  const m = one + (((1 - one) + em) + rLo * one);
  return k > -1022 && k < 1024 ? m * POW2[k + 1074] : scale(m, k);
}

/** e^x. */
export function exp(x: number): number {
  return expDD(x, 0);
}

/** e^x − 1, accurate near 0. */
export function expm1(x: number): number {
  if (x !== x) return NaN;
  const ax = x < 0 ? -x : x;
  if (ax < 5.551115123125783e-17) return x; // 2^-54: x²/2 is below half an ulp of x
  if (ax <= 0.34657359027997264) return x + expTail(x); // |x| ≤ ln2/2: the series, relative error ~2^-53
  if (x > 709.8) return Infinity;
  if (x < -40) return -1; // e^x < 2^-57: the result rounds to −1
  const k = Math.round(x * INV_LN2);
  const rHi = x - k * LN2_HI;
  const c = -k * LN2_LO;
  const r = rHi + c;
  const rLo = c - (r - rHi);
  const tail = expTail(r);
  const em = r + tail;
  const emLo = (r - em) + tail + rLo * (1 + em); // e^(r + rLo) − 1 = em + emLo (|r| ≥ |tail|: Fast2Sum)
  if (k > 56) return scale(1 + (em + emLo), k); // the −1 is below half an ulp
  // 2^k (1 + e) − 1 = (2^k − 1) + 2^k·em + 2^k·emLo; the first two summed exactly, then rounded once
  const t = pow2(k);
  twoSum(t - 1, t * em);
  return ddHi + (ddLo + t * emLo);
}

/** x = 2^k · m, √2/2 ≤ m < √2, for finite x > 0: m returned, k in `splitK`. */
let splitK = 0;
function splitLog(x: number): number {
  let k = 0;
  if (x < 2.2250738585072014e-308) {
    x *= 18014398509481984; // subnormal: 2^54 brings it into the normal range, exactly
    k = -54;
  }
  const e = exponentOf(x);
  let m = x * POW2[1074 - e]; // m ∈ [1, 2), exact
  k += e;
  if (m >= SQRT2) {
    m *= 0.5;
    k += 1;
  }
  splitK = k;
  return m;
}

/** log(1 + f) − f + f²/2 = s(f²/2 + R(s²)), s = f/(2 + f), |f| ≤ √2 − 1. */
function logCorrection(f: number, hfsq: number): number {
  const s = f / (2 + f);
  const z = s * s;
  const w = z * z;
  const R = z * ((A1 + w * (A3 + w * (A5 + w * (A7 + w * (A9 + w * A11))))) + z * (A2 + w * (A4 + w * (A6 + w * (A8 + w * A10)))));
  return s * (hfsq + R);
}

/** log x for x > 0 (NaN below 0, −Infinity at 0), `lowAdd` added to the low-order part. */
function logWith(x: number, lowAdd: number): number {
  if (!(x > 0 && x < Infinity)) return x === 0 ? -Infinity : x === Infinity ? Infinity : NaN;
  const f = splitLog(x) - 1; // exact (Sterbenz)
  const k = splitK;
  const hfsq = 0.5 * f * f;
  return k * LN2_HI + (f - (hfsq - (logCorrection(f, hfsq) + (k * LN2_LO + lowAdd))));
}

/** Natural logarithm. */
export function log(x: number): number {
  return logWith(x, 0);
}

/** log(1 + x), accurate near 0. */
export function log1p(x: number): number {
  if (!(x > -1 && x < Infinity)) return x === -1 ? -Infinity : x === Infinity ? Infinity : NaN;
  const ax = x < 0 ? -x : x;
  if (ax < 5.551115123125783e-17) return x;
  if (x >= -0.2928932188134524 && x < 0.41421356237309503) {
    // 1 + x already in [√2/2, √2): f = x exactly, k = 0
    const hfsq = 0.5 * x * x;
    return x - (hfsq - logCorrection(x, hfsq));
  }
  const u = 1 + x;
  // the part of x that 1 + x rounded away, relative to u (first order: log(u + c) = log u + c/u)
  const c = u < 9007199254740992 ? (x - (u - 1)) / u : 0;
  return logWith(u, c);
}

/** log2(x), as log(x) · (1/ln 2) (within 2 ulps). */
export function log2(x: number): number {
  return log(x) * INV_LN2;
}

// pow: log x in double-double (ddHi + ddLo ≈ log x to ~2^-64 relative), times y, then expDD.
const TT_HI = A1;
let TT_LO = 0; // 2/3 − TT_HI
{
  twoProd(3, TT_HI);
  TT_LO = ((2 - ddHi) - ddLo) / 3;
}

function logDD(x: number): void {
  const f = splitLog(x) - 1;
  const k = splitK;
  // log(1 + f) = 2s + (2/3)s³ + s⁵·R2(s²), s = f/(2 + f): s and the (2/3)s³ term in double-double
  const d = 2 + f;
  const dLo = f - (d - 2); // exact: 2 + f = d + dLo
  const sHi = f / d;
  twoProd(sHi, d);
  const sLo = (((f - ddHi) - ddLo) - sHi * dLo) / d;
  twoProd(sHi, sHi);
  const zHi = ddHi, zLo = ddLo + 2 * sHi * sLo; // s²
  twoProd(sHi, zHi);
  const cHi = ddHi, cLo = ddLo + sHi * zLo + sLo * zHi; // s³
  twoProd(cHi, TT_HI);
  const tHi = ddHi, tLo = ddLo + cLo * TT_HI + cHi * TT_LO; // (2/3)s³
  const R = A2 + zHi * (A3 + zHi * (A4 + zHi * (A5 + zHi * (A6 + zHi * (A7 + zHi * (A8 + zHi * (A9 + zHi * (A10 + zHi * A11))))))));
  const rest = cHi * zHi * R; // s⁵ (2/5 + 2s²/7 + …), below 2^-12 of the result
  // k·ln2 + 2 sHi + tHi, then every low-order part
  twoSum(k * LN2_HI, 2 * sHi);
  const a = ddHi, aLo = ddLo;
  twoSum(a, tHi);
  const hi = ddHi;
  const lo = ddLo + (aLo + (2 * sLo + tLo + rest + k * LN2_LO));
  ddHi = hi + lo;
  ddLo = lo - (ddHi - hi);
}

function isOddInteger(y: number): boolean {
  if (Math.floor(y) !== y) return false;
  const h = y * 0.5;
  return Math.floor(h) !== h;
}

/** x^y (Math.pow's special cases for zeros, infinities, negative bases and NaN). */
export function pow(x: number, y: number): number {
  if (y === 0) return 1;
  if (x !== x || y !== y) return NaN;
  const ay = y < 0 ? -y : y;
  if (ay === Infinity) {
    const ax = x < 0 ? -x : x;
    if (ax === 1) return NaN;
    return (ax > 1) === (y > 0) ? Infinity : 0;
  }
  if (x === 1) return 1;
  if (y === 1) return x;
  if (y === 2) return x * x; // correctly rounded, as a correctly rounded pow would give
  const integer = Math.floor(y) === y;
  const odd = integer && isOddInteger(y);
  if (x === 0) {
    const negZero = 1 / x < 0 && odd;
    return y > 0 ? (negZero ? -0 : 0) : negZero ? -Infinity : Infinity;
  }
  let sign = 1;
  if (x < 0) {
    if (!integer && x !== -Infinity) return NaN;
    if (odd) sign = -1;
    x = -x;
  }
  if (x === Infinity) return y > 0 ? sign * Infinity : sign < 0 ? -0 : 0;
  logDD(x);
  const lHi = ddHi, lLo = ddLo;
  const guess = y * lHi;
  if (guess > 1000) return sign * Infinity; // also keeps twoProd's operands below 2^996
  if (guess < -1000) return sign < 0 ? -0 : 0;
  twoProd(y, lHi);
  const pHi = ddHi, pLo = ddLo + y * lLo;
  const p = pHi + pLo;
  return sign * expDD(p, pLo - (p - pHi));
}

/** tanh x (within 2 ulps). */
export function tanh(x: number): number {
  if (x !== x) return NaN;
  const ax = x < 0 ? -x : x;
  let t: number;
  if (ax < 3.725290298461914e-9) return x; // 2^-28: x³/3 is below half an ulp
  if (ax >= 22) t = 1; // tanh rounds to 1
  else if (ax >= 0.55) t = 1 - 2 / (expm1(2 * ax) + 2); // tanh ≥ 1/2: the error of expm1 shrinks in 2/(E + 2)
  else {
    // E/(E + 2), E = e^2x − 1 ∈ (0, 2), the division corrected once (E + 2 is not exact)
    const E = expm1(2 * ax);
    twoSum(E, 2);
    const D = ddHi, dLo = ddLo;
    const q = E / D;
    twoProd(q, D);
    t = q + (((E - ddHi) - ddLo) - q * dLo) / D;
  }
  return x < 0 ? -t : t;
}

/** The logistic function 1 / (1 + e^−x) (within 2 ulps). */
export function logistic(x: number): number {
  return 1 / (1 + exp(-x));
}

// Turns: sin and cos of 2π·t, reduced exactly to θ = f·π/2, f ∈ [−1/2, 1/2], in quadrant q.
const PIO2_HI = 1.5707963267948966; // π/2 rounded to a double
const PIO2_LO = 6.123233995736766e-17; // π/2 − PIO2_HI
const PIO2_C = SPLIT * PIO2_HI;
const PIO2_H = PIO2_C - (PIO2_C - PIO2_HI); // PIO2_HI's Dekker split, for θ = f·PIO2_HI exactly
const PIO2_L = PIO2_HI - PIO2_H;

/** sin(x + lo), |x| ≤ π/4, |lo| tiny. */
function sinKernel(x: number, lo: number): number {
  const z = x * x, w = z * z;
  // sin x = x + x³·p, p = −1/3! + z/5! − z²/7! + … − z⁸/19!
  const p = (-F3 + w * (-F7 + w * (-F11 + w * (-F15 - w * F19)))) + z * (F5 + w * (F9 + w * (F13 + w * F17)));
  return x + (lo * (1 - 0.5 * z) + x * z * p);
}

/** cos(x + lo), |x| ≤ π/4, |lo| tiny. */
function cosKernel(x: number, lo: number): number {
  twoProd(x, x);
  const z = ddHi, zLo = ddLo, w = z * z;
  // cos x = 1 − x²/2 + x⁴·p, p = 1/4! − z/6! + z²/8! − … − z⁷/18!
  const p = (F4 + w * (F8 + w * (F12 + w * F16))) - z * (F6 + w * (F10 + w * (F14 + w * F18)));
  const hz = 0.5 * z;
  const one = 1 - hz;
  const err = (1 - one) - hz; // exact: the rounding of 1 − hz
  return one + ((err - 0.5 * zLo) + (w * p - x * lo));
}

/** sin or cos (cosine: 1) of 2π·t. */
function turns(t: number, cosine: number): number {
  if (!(t - t === 0)) return NaN; // NaN and ±Infinity
  const y = 4 * t; // quarter turns, exact
  const q = Math.round(y);
  const f = y - q; // exact, in [−1/2, 1/2]
  const quadrant = (q - 4 * Math.floor(q * 0.25) + cosine) % 4; // exact; cos(θ) = sin(θ + a quarter turn)
  // θ = f · π/2 as th + thLo (f·PIO2_HI exactly by Dekker's product, plus f·PIO2_LO)
  const th = f * PIO2_HI;
  const c = SPLIT * f, fh = c - (c - f), fl = f - fh;
  const thLo = (((fh * PIO2_H - th) + fh * PIO2_L + fl * PIO2_H) + fl * PIO2_L) + f * PIO2_LO;
  switch (quadrant) {
    case 0: return sinKernel(th, thLo);
    case 1: return cosKernel(th, thLo);
    case 2: return -sinKernel(th, thLo);
    default: return -cosKernel(th, thLo);
  }
}

/** sin(2π·t): t in turns (sinTurns(0.25) = 1), exactly reduced for any finite t. */
export function sinTurns(t: number): number {
  return turns(t, 0);
}

/** cos(2π·t): t in turns (cosTurns(0.5) = −1), exactly reduced for any finite t. */
export function cosTurns(t: number): number {
  return turns(t, 1);
}
