// Seeded pseudo-random numbers for everything in encore that is random: initialisation,
// sampling, exploration noise, data generation, splits and bootstraps. The same seed gives
// the same sequence on every platform (32-bit integer arithmetic only, no Math.random; the
// normals' log, sin and cos from src/dmath.ts, which every engine computes alike).
//
// Generator: xoshiro128** 1.1 (Blackman & Vigna, https://prng.di.unimi.it/), state seeded
// by SplitMix32 so that nearby seeds give unrelated streams. The state is four u32 words and
// can be saved and restored exactly (checkpoints resume the same stream).

import { cosTurns, log as dlog, sinTurns } from "./dmath.js";

/** A generator's exact state: xoshiro128** words and the cached Box–Muller normal (null: none). */
export interface RngState {
  words: [number, number, number, number];
  spare: number | null;
}

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** Second normal of the last Box–Muller pair, or NaN when none is cached. */
  private spare = NaN;

  constructor(seed: number = 0) {
    this.seed(seed);
  }

  seed(seed: number): void {
    let x = seed >>> 0;
    const next = (): number => {
      // SplitMix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    this.spare = NaN;
  }

  /** A uniform u32. */
  u32(): number {
    const s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    let n2 = (s2 ^ s0) >>> 0;
    let n3 = (s3 ^ s1) >>> 0;
    const n1 = (s1 ^ n2) >>> 0;
    const n0 = (s0 ^ n3) >>> 0;
    n2 = (n2 ^ t) >>> 0;
    n3 = rotl(n3, 11);
    this.s0 = n0;
    this.s1 = n1;
    this.s2 = n2;
    this.s3 = n3;
    return r;
  }

  /** Uniform in [0, 1), 53 random bits. */
  float(): number {
    const hi = this.u32() >>> 5; // 27 bits
    const lo = this.u32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n), unbiased (rejection sampling). n ≤ 2^32. */
  int(n: number): number {
    if (!(n > 0) || n > 4294967296 || !Number.isInteger(n)) throw new Error(`Rng.int: n must be an integer in 1..2^32, got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.u32();
      if (x < limit) return x % n;
    }
  }

  /** Standard normal (Box–Muller, both values of each pair used). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = NaN;
      return s;
    }
    let u = 0;
    do u = this.float(); while (u === 0);
    const v = this.float();
    // dmath: the same bits in every engine (Math.log/sin/cos differ in their last bit across engines)
    const r = Math.sqrt(-2 * dlog(u));
    this.spare = r * sinTurns(v);
    return r * cosTurns(v);
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T>(a: { length: number; [i: number]: T }): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  /**
   * The full state (for checkpoints): four u32 words and the cached normal, null when none
   * is cached (so the state survives JSON, which has no NaN).
   */
  getState(): RngState {
    return { words: [this.s0, this.s1, this.s2, this.s3], spare: Number.isNaN(this.spare) ? null : this.spare };
  }

  setState(state: RngState): void {
    const w = state.words;
    if (!Array.isArray(w) || w.length !== 4 || !w.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff)) {
      throw new Error(`Rng.setState: words must be four u32 values, got ${JSON.stringify(w)}`);
    }
    const [a, b, c, d] = w;
    if ((a | b | c | d) === 0) throw new Error("Rng.setState: an all-zero xoshiro state is invalid");
    if (state.spare !== null && typeof state.spare !== "number") throw new Error(`Rng.setState: spare must be a number or null, got ${JSON.stringify(state.spare)}`);
    this.s0 = a >>> 0;
    this.s1 = b >>> 0;
    this.s2 = c >>> 0;
    this.s3 = d >>> 0;
    this.spare = state.spare === null ? NaN : state.spare;
  }

  /** An independent generator derived from this one (for sub-tasks that must not share a stream). */
  fork(): Rng {
    return new Rng(this.u32());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
