// Bootstrap confidence intervals (Efron & Tibshirani 1993, "An Introduction to the Bootstrap",
// ch. 13: the percentile interval) for the figures of the evaluation protocols.
//
// Every figure is a ratio of sums over units, Σ num_u / Σ den_u:
//   - a mean of per-unit values v_u is num_u = v_u, den_u = 1;
//   - a pooled rate (skips among known recommendations) is num_u = skips in unit u,
//     den_u = known recommendations in unit u, so sessions with more recommendations weigh more,
//     exactly like a rate over all recommendations of the run.
// Units belong to clusters, and the bootstrap resamples clusters with replacement (a cluster
// bootstrap): the evaluation of one test session under several seeds gives one unit per seed,
// all in that session's cluster, so repeating seeds never makes the interval narrower than the
// number of distinct sessions supports. Episodes of an online run are their own clusters.
//
// Percentile interval: sort the B bootstrap statistics and read the 2.5th and 97.5th
// percentiles by linear interpolation between order statistics (Hyndman & Fan 1996, type 7,
// as numpy.percentile / R's default). Resampling draws come from a seeded Rng, so the same
// inputs and seed give the same interval; figures of different policies bootstrapped with the
// same seed over the same clusters use the same resamples (a paired comparison).
//
// Paired differences (pairedDifference): the agent's figure minus another policy's, both over
// the same clusters (the same sessions, or the same seeded episode starts), resampling the
// clusters once for both, so what the two share (an easy session, a lucky episode start)
// cancels and the interval is that of the difference itself, not of two separate figures.
//
// This file imports nothing from Node.
import { Rng } from "../rng.js";
import type { Estimate } from "./types.js";

export interface BootstrapOptions {
  /** Resamples. Default 1000. */
  B?: number;
  /** Seed of the resampling. Default 0. */
  seed?: number;
  /** Two-sided coverage of the interval. Default 0.95. */
  level?: number;
}

interface Resolved {
  B: number;
  seed: number;
  level: number;
}

function resolve(o: BootstrapOptions = {}): Resolved {
  const r = { B: o.B ?? 1000, seed: o.seed ?? 0, level: o.level ?? 0.95 };
  if (!(Number.isInteger(r.B) && r.B >= 1)) throw new Error(`bootstrap: B must be a positive integer, got ${r.B}`);
  if (!(r.level > 0 && r.level < 1)) throw new Error(`bootstrap: level must be in (0, 1), got ${r.level}`);
  return r;
}

/** The q-quantile (0 ≤ q ≤ 1) of ascending `sorted` by linear interpolation (type 7). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q, lo = Math.floor(h), hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

const EMPTY: Readonly<Estimate> = { mean: NaN, lo: NaN, hi: NaN, n: 0 };

/**
 * Σnum/Σden with its percentile interval, resampling the n units (each its own cluster)
 * with replacement. Units with den = 0 carry no information and are dropped first; n in the
 * result counts the others. With no unit left, every field is NaN and n = 0.
 */
export function bootstrapRatio(num: ArrayLike<number>, den: ArrayLike<number>, opts?: BootstrapOptions): Estimate {
  if (num.length !== den.length) throw new Error(`bootstrapRatio: num has ${num.length} units, den ${den.length}`);
  const { B, seed, level } = resolve(opts);
  let n = 0;
  for (let i = 0; i < den.length; i++) {
    if (!(den[i] >= 0) || !Number.isFinite(num[i])) throw new Error(`bootstrapRatio: unit ${i} has num ${num[i]}, den ${den[i]} (need finite num, den >= 0)`);
    if (den[i] > 0) n++;
  }
  if (n === 0) return { ...EMPTY };
  const a = new Float64Array(n), b = new Float64Array(n);
  let sa = 0, sb = 0;
  for (let i = 0, j = 0; i < den.length; i++) {
    if (!(den[i] > 0)) continue;
    a[j] = num[i];
    b[j] = den[i];
    sa += num[i];
    sb += den[i];
    j++;
  }
  const stats = new Float64Array(B);
  const rng = new Rng(seed);
  for (let r = 0; r < B; r++) {
    let x = 0, y = 0;
    for (let i = 0; i < n; i++) {
      const k = rng.int(n);
      x += a[k];
      y += b[k];
    }
    stats[r] = x / y;
  }
  stats.sort();
  const t = (1 - level) / 2;
  return { mean: sa / sb, lo: quantileSorted(stats, t), hi: quantileSorted(stats, 1 - t), n };
}

/** Mean of per-unit values with its percentile interval (bootstrapRatio with den = 1). NaN values are dropped. */
export function bootstrapMean(values: ArrayLike<number>, opts?: BootstrapOptions): Estimate {
  const den = new Float64Array(values.length), num = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) continue;
    num[i] = values[i];
    den[i] = 1;
  }
  return bootstrapRatio(num, den, opts);
}

/**
 * A statistic of the whole run that is not a sum over units (e.g. catalog coverage: distinct
 * tracks recommended over all sessions), bootstrapped over C clusters. `stat(weights)` gets
 * how many times each cluster was drawn (all ones for the point estimate) and must read
 * nothing else that changes. `centre`:
 *   "percentile" (default): the plain percentile interval;
 *   "shift": the percentile interval moved by (point − mean of the bootstrap statistics).
 *     For statistics that a resample can only shrink (a distinct count: a resample holds about
 *     63% of the clusters), the plain interval lies wholly below the figure; the shifted one
 *     keeps the bootstrap spread around the figure instead.
 * `n` in the result is `units` when given, else C.
 */
export function bootstrapStatistic(C: number, stat: (weights: Int32Array) => number, opts?: BootstrapOptions & { centre?: "percentile" | "shift"; units?: number }): Estimate {
  const { B, seed, level } = resolve(opts);
  if (!(Number.isInteger(C) && C >= 0)) throw new Error(`bootstrapStatistic: bad cluster count ${C}`);
  if (C === 0) return { ...EMPTY };
  const w = new Int32Array(C).fill(1);
  const point = stat(w);
  const stats = new Float64Array(B);
  const rng = new Rng(seed);
  let sum = 0;
  for (let r = 0; r < B; r++) {
    w.fill(0);
    for (let i = 0; i < C; i++) w[rng.int(C)]++;
    stats[r] = stat(w);
    sum += stats[r];
  }
  stats.sort();
  const t = (1 - level) / 2;
  const shift = opts?.centre === "shift" ? point - sum / B : 0;
  return { mean: point, lo: quantileSorted(stats, t) + shift, hi: quantileSorted(stats, 1 - t) + shift, n: opts?.units ?? C };
}

/**
 * Collects units into clusters for one figure: `add(cluster, num, den)` adds one unit (a
 * session under one seed, an episode). Units with den = 0 (e.g. a session with no known
 * recommendation) are ignored. `estimate()` is Σnum/Σden over all units with the cluster
 * bootstrap interval; its n is the number of units added with den > 0 (seeds × sessions when
 * seeds are pooled), while the resampling is over the clusters that hold them.
 */
export class UnitPool {
  num: Float64Array;
  den: Float64Array;
  units = 0;

  constructor(public clusters: number) {
    if (!(Number.isInteger(clusters) && clusters >= 0)) throw new Error(`UnitPool: bad cluster count ${clusters}`);
    this.num = new Float64Array(clusters);
    this.den = new Float64Array(clusters);
  }

  add(cluster: number, num: number, den: number): void {
    if (!(cluster >= 0 && cluster < this.clusters)) this.outside(cluster);
    if (!(den >= 0) || !Number.isFinite(num)) throw new Error(`UnitPool: unit of cluster ${cluster} has num ${num}, den ${den}`);
    if (den === 0) return;
    this.num[cluster] += num;
    this.den[cluster] += den;
    this.units++;
  }

  /** A per-unit value (mean of values): add(cluster, value, 1); NaN values are ignored. */
  addValue(cluster: number, value: number): void {
    if (Number.isNaN(value)) return;
    this.add(cluster, value, 1);
  }

  estimate(opts?: BootstrapOptions): Estimate {
    const e = bootstrapRatio(this.num, this.den, opts);
    e.n = this.units;
    return e;
  }

  /** A cluster past the pool's: an error (a GrowingPool makes room instead). */
  protected outside(cluster: number): void {
    throw new Error(`UnitPool: cluster ${cluster} outside 0..${this.clusters - 1}`);
  }
}

/**
 * A UnitPool whose cluster count is not known up front: the offline protocols collect their
 * units chunk by chunk (shards of a dataset too large to hold, ./stream.ts), numbering clusters
 * as the test sessions come, and settle the count once every chunk is in (toPool). The same
 * add() calls in the same order give the same sums, bit for bit, as a UnitPool sized up front:
 * 16 bytes a cluster, capacity doubling.
 */
export class GrowingPool extends UnitPool {
  constructor() {
    super(0);
    this.num = new Float64Array(64);
    this.den = new Float64Array(64);
  }

  protected override outside(cluster: number): void {
    if (!(Number.isInteger(cluster) && cluster >= 0)) throw new Error(`UnitPool: bad cluster ${cluster}`);
    if (cluster >= this.num.length) {
      let n = this.num.length;
      while (n <= cluster) n *= 2;
      const num = new Float64Array(n), den = new Float64Array(n);
      num.set(this.num);
      den.set(this.den);
      this.num = num;
      this.den = den;
    }
    this.clusters = cluster + 1;
  }

  override estimate(): Estimate {
    throw new Error("GrowingPool: settle the cluster count first (toPool)");
  }

  /** The pool over clusters 0..C−1 (every cluster added to must be below C). */
  toPool(C: number): UnitPool {
    for (let c = C; c < this.clusters; c++) if (this.den[c] > 0) throw new Error(`UnitPool: cluster ${c} has units, the pool only ${C} clusters`);
    const p = new UnitPool(C), n = Math.min(C, this.clusters);
    p.num.set(this.num.subarray(0, n));
    p.den.set(this.den.subarray(0, n));
    p.units = this.units;
    return p;
  }
}

/**
 * a − b for two figures collected over the same clusters (UnitPools of equal size): over the
 * clusters where both have units (den > 0), Σnum_a/Σden_a − Σnum_b/Σden_b, with the percentile
 * interval of the same statistic over cluster resamples (one resample serves both). For a mean
 * of per-unit values with the same units in both this is the mean per-cluster difference.
 * n in the result counts the paired clusters; with none, every field is NaN and n = 0.
 */
export function pairedDifference(a: UnitPool, b: UnitPool, opts?: BootstrapOptions): Estimate {
  if (a.clusters !== b.clusters) throw new Error(`pairedDifference: ${a.clusters} clusters against ${b.clusters}`);
  const { B, seed, level } = resolve(opts);
  let n = 0;
  for (let c = 0; c < a.clusters; c++) if (a.den[c] > 0 && b.den[c] > 0) n++;
  if (n === 0) return { ...EMPTY };
  const an = new Float64Array(n), ad = new Float64Array(n), bn = new Float64Array(n), bd = new Float64Array(n);
  let sa = 0, sad = 0, sb = 0, sbd = 0;
  for (let c = 0, j = 0; c < a.clusters; c++) {
    if (!(a.den[c] > 0 && b.den[c] > 0)) continue;
    an[j] = a.num[c];
    ad[j] = a.den[c];
    bn[j] = b.num[c];
    bd[j] = b.den[c];
    sa += an[j];
    sad += ad[j];
    sb += bn[j];
    sbd += bd[j];
    j++;
  }
  const stats = new Float64Array(B);
  const rng = new Rng(seed);
  for (let r = 0; r < B; r++) {
    let x = 0, xd = 0, y = 0, yd = 0;
    for (let i = 0; i < n; i++) {
      const k = rng.int(n);
      x += an[k];
      xd += ad[k];
      y += bn[k];
      yd += bd[k];
    }
    stats[r] = x / xd - y / yd;
  }
  stats.sort();
  const t = (1 - level) / 2;
  return { mean: sa / sad - sb / sbd, lo: quantileSorted(stats, t), hi: quantileSorted(stats, 1 - t), n };
}
