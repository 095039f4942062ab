// A BigInt reference for src/dmath.ts: exp, log, pow and the sine and cosine of turns of a
// double, computed in fixed point with 256 fractional bits (errors far below 2^-200), and the
// distance of a double from such a value in units in the last place. Slow (BigInt series) and
// exact enough to tell which of two doubles is the better result.

/** A real number v = n · 2^-e (n a BigInt). */
export interface Big {
  n: bigint;
  e: number;
}

const P = 256; // fractional bits of every fixed-point computation
const ONE = 1n << BigInt(P);

/** The exact value of a finite double as n · 2^-e. */
export function exact(x: number): Big {
  if (!Number.isFinite(x)) throw new Error(`bigmath: ${x} is not finite`);
  if (x === 0) return { n: 0n, e: 0 };
  const f = new Float64Array([x]);
  const u = new BigUint64Array(f.buffer)[0];
  const sign = u >> 63n ? -1n : 1n;
  const be = Number((u >> 52n) & 0x7ffn);
  const frac = u & ((1n << 52n) - 1n);
  const m = be === 0 ? frac : frac | (1n << 52n);
  const e2 = (be === 0 ? 1 : be) - 1075; // x = m · 2^e2
  return e2 >= 0 ? { n: sign * (m << BigInt(e2)), e: 0 } : { n: sign * m, e: -e2 };
}

/** v as a fixed-point BigInt with P fractional bits (rounded toward −∞ below 2^-P). */
function fixed(v: Big): bigint {
  const s = P - v.e;
  return s >= 0 ? v.n << BigInt(s) : v.n >> BigInt(-s);
}

function mul(a: bigint, b: bigint): bigint {
  return (a * b) >> BigInt(P);
}

function div(a: bigint, b: bigint): bigint {
  return (a << BigInt(P)) / b;
}

/** atanh(1/q) for an integer q ≥ 2 (fixed point). */
function atanhInv(q: bigint): bigint {
  let sum = 0n, term = ONE / q, k = 1n;
  const q2 = q * q;
  while (term !== 0n) {
    sum += term / k;
    term /= q2;
    k += 2n;
  }
  return sum;
}

/** atan(1/q) for an integer q ≥ 2 (fixed point). */
function atanInv(q: bigint): bigint {
  let sum = 0n, term = ONE / q, k = 1n, sign = 1n;
  const q2 = q * q;
  while (term !== 0n) {
    sum += sign * (term / k);
    term /= q2;
    k += 2n;
    sign = -sign;
  }
  return sum;
}

const LN2 = 2n * atanhInv(3n);
const PI = 16n * atanInv(5n) - 4n * atanInv(239n);

/** e^x for |x| ≤ 1 (fixed point, Taylor). */
function expSmall(x: bigint): bigint {
  let sum = ONE, term = ONE;
  for (let k = 1n; term !== 0n; k++) {
    term = mul(term, x) / k;
    sum += term;
  }
  return sum;
}

/** e^x as a Big. */
export function expRef(x: number): Big {
  const X = fixed(exact(x));
  const k = floorDiv(X + LN2 / 2n, LN2); // nearest multiple of ln2
  const r = X - k * LN2;
  return { n: expSmall(r), e: P - Number(k) };
}

/** log of a positive finite double, fixed point. */
function logFixed(x: number): bigint {
  if (!(x > 0)) throw new Error(`bigmath: log of ${x}`);
  const v = exact(x);
  // v = n · 2^-e with n > 0: log = log(n / 2^b) + (b − e) ln2, n / 2^b ∈ [1, 2)
  const b = v.n.toString(2).length - 1;
  const y = (v.n << BigInt(P)) >> BigInt(b); // n / 2^b in fixed point
  const s = div(y - ONE, y + ONE); // log y = 2 atanh(s), s ≤ 1/3
  const s2 = mul(s, s);
  let sum = 0n, term = s;
  for (let k = 1n; term !== 0n; k += 2n) {
    sum += term / k;
    term = mul(term, s2);
  }
  return 2n * sum + BigInt(b - v.e) * LN2;
}

/** log x as a Big. */
export function logRef(x: number): Big {
  return { n: logFixed(x), e: P };
}

/** x^y for x > 0 as a Big: e^(y · log x). */
export function powRef(x: number, y: number): Big {
  const L = logFixed(x);
  const Y = exact(y);
  const prod = Y.e >= 0 ? (L * Y.n) >> BigInt(Y.e) : L * Y.n; // y · log x, fixed point
  const k = floorDiv(prod + LN2 / 2n, LN2);
  return { n: expSmall(prod - k * LN2), e: P - Number(k) };
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q;
}

/** sin and cos of 2π·t as Bigs (t reduced exactly modulo 1). */
export function turnsRef(t: number): { sin: Big; cos: Big } {
  const v = exact(t);
  const mod = 1n << BigInt(v.e);
  let frac = v.n % mod; // t mod 1, exactly, as frac · 2^-e
  if (frac < 0n) frac += mod;
  const f = fixed({ n: frac, e: v.e });
  let th = mul(2n * PI, f);
  if (th > PI) th -= 2n * PI; // |θ| ≤ π
  let s = 0n, c = 0n, term = ONE;
  for (let k = 0n; term !== 0n || k < 2n; k++) {
    if (k % 2n === 0n) c += (k / 2n) % 2n === 0n ? term : -term;
    else s += ((k - 1n) / 2n) % 2n === 0n ? term : -term;
    term = mul(term, th) / (k + 1n);
  }
  return { sin: { n: s, e: P }, cos: { n: c, e: P } };
}

/**
 * How far the double `x` is from the real `ref`, in units in the last place of the binade of
 * `ref` (a double's spacing there; the smallest subnormal spacing below 2^-1022).
 */
export function ulpError(x: number, ref: Big): number {
  if (ref.n === 0n) return x === 0 ? 0 : Infinity;
  const X = exact(x);
  // bring both to a common exponent
  const e = Math.max(X.e, ref.e);
  const xn = X.n << BigInt(e - X.e), rn = ref.n << BigInt(e - ref.e);
  const diff = xn - rn;
  const mag = rn < 0n ? -rn : rn;
  const binade = mag.toString(2).length - 1 - e; // floor(log2 |ref|)
  const ulpExp = Math.max(binade - 52, -1074);
  // diff · 2^-e / 2^ulpExp, with 32 more bits kept for the fraction of an ulp
  const shift = -e - ulpExp + 32;
  const scaled = shift >= 0 ? diff << BigInt(shift) : diff >> BigInt(-shift);
  return Math.abs(Number(scaled) / 2 ** 32);
}
