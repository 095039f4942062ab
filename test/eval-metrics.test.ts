// Per-list metrics against values worked out by hand from their definitions, and the
// bootstrap: coverage of the true mean at about the nominal rate, shrinking with n,
// determinism under a seed, cluster resampling.
import { describe, expect, it } from "vitest";
import { cosine, DiversitySpace, DIVERSITY_COLUMNS, hitAtK, intraListDiversity, keptHitAtK, keptNdcgAtK, ndcgAtK, novelty, precisionAtK, selfInformation } from "../src/eval/metrics.js";
import { bootstrapMean, bootstrapRatio, bootstrapStatistic, pairedDifference, quantileSorted, UnitPool } from "../src/eval/bootstrap.js";
import { verdictOf } from "../src/eval/protocols.js";
import { NFEAT, FEATURE_COLUMNS } from "../src/data/tf-parser.js";
import { DIVERSITY_FEATURES } from "../src/data/schema.js";
import { Rng } from "../src/rng.js";

const rec = (a: number[]) => Int32Array.from(a);

describe("ranking metrics", () => {
  it("hit@K, precision@K, NDCG@K on hand-built lists", () => {
    // truth: the next three played 7, 3, 9
    const truth = rec([7, 3, 9]);
    // rec 1: [3, 5, 9] -> relevant at ranks 0 and 2
    const r1 = rec([3, 5, 9]);
    expect(hitAtK(r1, 0, 3, truth, 0, 3)).toBe(1);
    expect(precisionAtK(r1, 0, 3, truth, 0, 3)).toBeCloseTo(2 / 3, 15);
    const dcg1 = 1 / Math.log2(2) + 1 / Math.log2(4);
    const idcg3 = 1 / Math.log2(2) + 1 / Math.log2(3) + 1 / Math.log2(4);
    expect(ndcgAtK(r1, 0, 3, truth, 0, 3)).toBeCloseTo(dcg1 / idcg3, 15);
    // rec 2: nothing relevant
    const r2 = rec([1, 2, 4]);
    expect(hitAtK(r2, 0, 3, truth, 0, 3)).toBe(0);
    expect(precisionAtK(r2, 0, 3, truth, 0, 3)).toBe(0);
    expect(ndcgAtK(r2, 0, 3, truth, 0, 3)).toBe(0);
    // rec 3: only the last slot relevant
    const r3 = rec([1, 2, 7]);
    expect(ndcgAtK(r3, 0, 3, truth, 0, 3)).toBeCloseTo(1 / Math.log2(4) / idcg3, 15);
    // perfect list in any order of the truth
    expect(ndcgAtK(rec([9, 7, 3]), 0, 3, truth, 0, 3)).toBeCloseTo(1, 15);
  });

  it("NDCG's ideal DCG counts distinct truth tracks (a repeated play)", () => {
    const truth = rec([5, 5, 6]); // two distinct tracks
    const r = rec([6, 1, 5]);
    const dcg = 1 / Math.log2(2) + 1 / Math.log2(4);
    const idcg = 1 / Math.log2(2) + 1 / Math.log2(3);
    expect(ndcgAtK(r, 0, 3, truth, 0, 3)).toBeCloseTo(dcg / idcg, 15);
    expect(precisionAtK(r, 0, 3, truth, 0, 3)).toBeCloseTo(2 / 3, 15);
  });

  it("reads lists and truths at offsets of flat arrays", () => {
    const recs = rec([0, 0, 0, 3, 5, 9]);
    const truths = rec([1, 1, 1, 7, 3, 9]);
    expect(precisionAtK(recs, 3, 3, truths, 3, 3)).toBeCloseTo(2 / 3, 15);
    expect(hitAtK(recs, 0, 3, truths, 0, 3)).toBe(0);
  });
});

describe("kept ranking metrics: a hit counts only on a next track played and not skipped", () => {
  const l2 = (r: number) => 1 / Math.log2(r + 2); // discount of 0-based rank r

  it("kept_hit@K and kept_NDCG@K on hand-built lists", () => {
    // truth: 7 (kept), 3 (skipped), 9 (kept)
    const truth = rec([7, 3, 9]), kept = Uint8Array.from([1, 0, 1]);
    // [3, 5, 1]: its only hit is the skipped 3 -> an ordinary hit, not a kept one
    expect(hitAtK(rec([3, 5, 1]), 0, 3, truth, 0, 3)).toBe(1);
    expect(keptHitAtK(rec([3, 5, 1]), 0, 3, truth, kept, 0, 3)).toBe(0);
    expect(keptNdcgAtK(rec([3, 5, 1]), 0, 3, truth, kept, 0, 3)).toBe(0);
    // [3, 9, 7]: kept tracks at ranks 1 and 2; ideal: both kept tracks at ranks 0 and 1
    expect(keptHitAtK(rec([3, 9, 7]), 0, 3, truth, kept, 0, 3)).toBe(1);
    expect(keptNdcgAtK(rec([3, 9, 7]), 0, 3, truth, kept, 0, 3)).toBeCloseTo((l2(1) + l2(2)) / (l2(0) + l2(1)), 15);
    // the two kept tracks first: perfect, whatever the skipped one's place
    expect(keptNdcgAtK(rec([9, 7, 3]), 0, 3, truth, kept, 0, 3)).toBeCloseTo(1, 15);
    // plain NDCG of the same list counts the skipped 3 as relevant: ideal over 3 tracks
    expect(ndcgAtK(rec([9, 7, 3]), 0, 3, truth, 0, 3)).toBeCloseTo(1, 15);
  });

  it("a track played twice is kept when one of its rows was kept; the ideal counts it once", () => {
    const truth = rec([5, 5, 6]), kept = Uint8Array.from([0, 1, 0]); // 5 skipped then kept; 6 skipped
    expect(keptHitAtK(rec([6, 5, 1]), 0, 3, truth, kept, 0, 3)).toBe(1);
    // one distinct kept track (5), found at rank 1: DCG 1/log2(3), IDCG 1
    expect(keptNdcgAtK(rec([6, 5, 1]), 0, 3, truth, kept, 0, 3)).toBeCloseTo(l2(1), 15);
    expect(keptHitAtK(rec([6, 1, 2]), 0, 3, truth, kept, 0, 3)).toBe(0);
  });

  it("a truth with every track skipped scores 0 for any list, even a list of those very tracks", () => {
    const truth = rec([1, 2, 3]), none = new Uint8Array(3);
    expect(keptHitAtK(rec([1, 2, 3]), 0, 3, truth, none, 0, 3)).toBe(0);
    expect(keptNdcgAtK(rec([1, 2, 3]), 0, 3, truth, none, 0, 3)).toBe(0);
    // every row kept: the kept metrics are the plain ones
    const all = Uint8Array.from([1, 1, 1]);
    for (const r of [rec([2, 9, 1]), rec([9, 8, 3]), rec([7, 8, 9])]) {
      expect(keptHitAtK(r, 0, 3, truth, all, 0, 3)).toBe(hitAtK(r, 0, 3, truth, 0, 3));
      expect(keptNdcgAtK(r, 0, 3, truth, all, 0, 3)).toBeCloseTo(ndcgAtK(r, 0, 3, truth, 0, 3), 15);
    }
  });

  it("reads the truth's flags at the truth's offset", () => {
    const truths = rec([0, 0, 4, 5]), kept = Uint8Array.from([1, 1, 0, 1]);
    expect(keptHitAtK(rec([9, 4]), 0, 2, truths, kept, 2, 2)).toBe(0);
    expect(keptHitAtK(rec([9, 5]), 0, 2, truths, kept, 2, 2)).toBe(1);
  });
});

describe("diversity and novelty", () => {
  it("cosine and intra-list diversity with known vectors", () => {
    // e0, e1 orthogonal; v = (1, 1)/√2-direction
    const M = Float64Array.from([1, 0, 0, 1, 1, 1, 0, 0]); // rows: (1,0), (0,1), (1,1), (0,0)
    expect(cosine(M, 0, M, 2, 2)).toBe(0);
    expect(cosine(M, 0, M, 4, 2)).toBeCloseTo(Math.SQRT1_2, 15);
    expect(cosine(M, 0, M, 6, 2)).toBe(0); // zero vector
    // list rows 0,1,2: pairs cos = 0, 1/√2, 1/√2
    const expected = 1 - (0 + 2 * Math.SQRT1_2) / 3;
    expect(intraListDiversity(M, 2, rec([0, 1, 2]), 0, 3)).toBeCloseTo(expected, 15);
    // identical vectors: zero diversity
    expect(intraListDiversity(M, 2, rec([2, 2]), 0, 2)).toBeCloseTo(0, 15);
    expect(Number.isNaN(intraListDiversity(M, 2, rec([2]), 0, 1))).toBe(true);
  });

  it("audio space picks the 8 diversity columns and reports missing features as NaN", () => {
    expect(DIVERSITY_COLUMNS.map((j) => FEATURE_COLUMNS[j])).toEqual([...DIVERSITY_FEATURES]);
    // two tracks with features, one without
    const features = new Float32Array(2 * NFEAT).fill(100); // non-diversity columns must not matter
    DIVERSITY_COLUMNS.forEach((j, i) => {
      features[j] = i === 0 ? 1 : 0; // track 0: e_acousticness
      features[NFEAT + j] = i === 1 ? 1 : 0; // track 2: e_beat_strength
    });
    const featureRow = Int32Array.from([0, -1, 1]);
    const space = DiversitySpace.audio(featureRow, features);
    expect(space.countCovered()).toBe(2);
    expect(space.listDiversity(rec([0, 2]), 0, 2)).toBeCloseTo(1, 6);
    expect(Number.isNaN(space.listDiversity(rec([0, 1]), 0, 2))).toBe(true);
  });

  it("novelty is the mean add-one smoothed self-information", () => {
    const plays = Int32Array.from([6, 2, 0, 0]); // total 8, V = 4: p = 7/12, 3/12, 1/12, 1/12
    expect(selfInformation(plays, 8, 0)).toBeCloseTo(-Math.log2(7 / 12), 15);
    expect(novelty(rec([0, 2]), 0, 2, plays, 8)).toBeCloseTo((-Math.log2(7 / 12) - Math.log2(1 / 12)) / 2, 15);
    // rarer is more novel
    expect(novelty(rec([2, 3]), 0, 2, plays, 8)).toBeGreaterThan(novelty(rec([0, 1]), 0, 2, plays, 8));
  });
});

describe("bootstrap", () => {
  it("type-7 quantiles", () => {
    const s = Float64Array.from([1, 2, 3, 4, 5]);
    expect(quantileSorted(s, 0)).toBe(1);
    expect(quantileSorted(s, 1)).toBe(5);
    expect(quantileSorted(s, 0.5)).toBe(3);
    expect(quantileSorted(s, 0.1)).toBeCloseTo(1.4, 15);
  });

  it("the 95% interval covers the true mean in about 95% of 200 simulated data sets", () => {
    const rng = new Rng(11);
    let covered = 0;
    const reps = 200, n = 60;
    const v = new Float64Array(n);
    for (let r = 0; r < reps; r++) {
      // skewed data: exponential with mean 2
      for (let i = 0; i < n; i++) v[i] = -2 * Math.log(1 - rng.float());
      const e = bootstrapMean(v, { B: 400, seed: r });
      if (e.lo <= 2 && 2 <= e.hi) covered++;
      expect(e.lo).toBeLessThanOrEqual(e.mean);
      expect(e.hi).toBeGreaterThanOrEqual(e.mean);
      expect(e.n).toBe(n);
    }
    // nominal 95% (this run: 93%; the percentile interval under-covers a little at n = 60)
    expect(covered / reps).toBeGreaterThanOrEqual(0.9);
    expect(covered / reps).toBeLessThanOrEqual(0.99);
  });

  it("the interval shrinks about as 1/√n and is deterministic under a seed", () => {
    const rng = new Rng(3);
    const width = (n: number): number => {
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) v[i] = rng.normal();
      const e = bootstrapMean(v, { seed: 5 });
      return e.hi - e.lo;
    };
    const w100 = width(100), w1600 = width(1600);
    // 2·1.96/√n: 0.392 and 0.098; ratio ≈ 4
    expect(w100 / w1600).toBeGreaterThan(3);
    expect(w100 / w1600).toBeLessThan(5.3);
    expect(Math.abs(w100 - 0.392)).toBeLessThan(0.08);
    const v = Float64Array.from({ length: 50 }, (_, i) => Math.sin(i));
    expect(bootstrapMean(v, { seed: 9 })).toEqual(bootstrapMean(v, { seed: 9 }));
    expect(bootstrapMean(v, { seed: 9 })).not.toEqual(bootstrapMean(v, { seed: 10 }));
  });

  it("ratio of sums drops empty units; the pool resamples clusters and counts units", () => {
    // units: 1/2, 0/0 (no information), 3/4
    const e = bootstrapRatio([1, 0, 3], [2, 0, 4], { B: 200 });
    expect(e.mean).toBeCloseTo(4 / 6, 15);
    expect(e.n).toBe(2);
    expect(e.lo).toBeGreaterThanOrEqual(0.5 - 1e-12);
    expect(e.hi).toBeLessThanOrEqual(0.75 + 1e-12);
    const none = bootstrapRatio([0], [0]);
    expect(Number.isNaN(none.mean) && none.n === 0).toBe(true);
    // one session seen under 3 seeds = 3 units in one cluster: same mean as the units, but the
    // interval is that of the cluster means, not of 3× as many independent units
    const pool = new UnitPool(2);
    for (let s = 0; s < 3; s++) {
      pool.addValue(0, 0);
      pool.addValue(1, 1);
    }
    const p = pool.estimate({ B: 300 });
    expect(p.mean).toBeCloseTo(0.5, 15);
    expect(p.n).toBe(6);
    // two clusters: resample means are 0, 0.5 or 1, so the interval spans [0, 1]
    expect(p.lo).toBe(0);
    expect(p.hi).toBe(1);
  });

  it("paired difference: a shared per-cluster effect cancels, so the interval is that of the difference", () => {
    // 40 sessions of very different difficulty; the agent scores exactly 0.1 above the other on each
    const rng = new Rng(4);
    const a = new UnitPool(40), b = new UnitPool(40);
    for (let c = 0; c < 40; c++) {
      const v = rng.float() * 0.8;
      b.addValue(c, v);
      a.addValue(c, v + 0.1);
    }
    const d = pairedDifference(a, b, { B: 500 });
    expect(d.mean).toBeCloseTo(0.1, 12);
    expect(d.lo).toBeCloseTo(0.1, 12);
    expect(d.hi).toBeCloseTo(0.1, 12);
    expect(d.n).toBe(40);
    // the separate intervals overlap widely: they could not say which is better
    const ea = a.estimate({ B: 500 }), eb = b.estimate({ B: 500 });
    expect(ea.lo).toBeLessThan(eb.hi);
    expect(verdictOf(d, "higher")).toBe("better");
    expect(verdictOf(d, "lower")).toBe("worse");
    expect(verdictOf(d, "neutral")).toBe("not measured");
  });

  it("paired difference of pooled rates uses only the clusters both have units in, and says how many", () => {
    // cluster 0: a 1/2, b 0/4; cluster 1: a nothing (den 0), b 2/2; cluster 2: a 3/4, b 1/4
    const a = new UnitPool(3), b = new UnitPool(3);
    a.add(0, 1, 2);
    a.add(2, 3, 4);
    b.add(0, 0, 4);
    b.add(1, 2, 2);
    b.add(2, 1, 4);
    const d = pairedDifference(a, b, { B: 300 });
    expect(d.n).toBe(2);
    expect(d.mean).toBeCloseTo(4 / 6 - 1 / 8, 15);
    expect(d.lo).toBeLessThanOrEqual(d.mean);
    expect(d.hi).toBeGreaterThanOrEqual(d.mean);
    // no pairs at all
    const none = pairedDifference(new UnitPool(3), b);
    expect(none.n).toBe(0);
    expect(Number.isNaN(none.mean)).toBe(true);
    expect(verdictOf(none, "higher")).toBe("not measured");
    expect(() => pairedDifference(new UnitPool(2), b)).toThrow(/2 clusters against 3/);
  });

  it("verdicts: better or worse only when the interval excludes 0", () => {
    const e = (lo: number, hi: number) => ({ mean: (lo + hi) / 2, lo, hi, n: 50 });
    expect(verdictOf(e(0.01, 0.2), "higher")).toBe("better");
    expect(verdictOf(e(-0.2, -0.01), "higher")).toBe("worse");
    expect(verdictOf(e(-0.2, -0.01), "lower")).toBe("better");
    expect(verdictOf(e(-0.1, 0.1), "higher")).toBe("no different");
    expect(verdictOf(e(0, 0.1), "higher")).toBe("no different"); // touching 0 is not excluding it
    expect(verdictOf(e(0, 0), "lower")).toBe("no different");
  });

  it("a statistic of the whole run, plain and shifted intervals", () => {
    // distinct count of cluster labels: resamples can only shrink it
    const labels = Int32Array.from({ length: 40 }, (_, i) => i % 20);
    const distinct = (w: Int32Array): number => {
      const seen = new Set<number>();
      for (let c = 0; c < w.length; c++) if (w[c] > 0) seen.add(labels[c]);
      return seen.size;
    };
    const plain = bootstrapStatistic(40, distinct, { B: 300 });
    expect(plain.mean).toBe(20);
    expect(plain.hi).toBeLessThanOrEqual(20);
    const shifted = bootstrapStatistic(40, distinct, { B: 300, centre: "shift" });
    expect(shifted.lo).toBeLessThan(20);
    expect(shifted.hi).toBeGreaterThan(20);
    expect(shifted.hi - shifted.lo).toBeCloseTo(plain.hi - plain.lo, 10);
  });
});
