// The streaming baseline fits (ItemKnnPolicy.fitStream, MarkovSource.fitStream,
// trainingPlayCountsStream over src/eval/pair-runs.ts) against the in-memory fits they replaced
// (test/reference/baselines.ts), bit for bit: random sessions with repeated tracks, windows,
// skipped "ignore", many similarity ties, a training subset; the same sessions cut into
// arbitrary chunks (copied shards and `sessions` selections); budgets small enough to force
// many runs, merges and spills to memory and file stores.
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LOG_FLAG } from "../src/data/log-parser.js";
import { MemoryRunStore, type RunStore } from "../src/data/session-ids.js";
import { FileRunStore } from "../src/data/session-runs.js";
import { ItemKnnPolicy, PopularPolicy, trainingPlayCounts, trainingPlayCountsStream, type TrainingSessions } from "../src/eval/baselines.js";
import { MarkovSource } from "../src/eval/session-baselines.js";
import { MAX_PAIR_CATALOG, PairCounts, sortPairs } from "../src/eval/pair-runs.js";
import { Rng } from "../src/rng.js";
import { itemKnnFitReference, markovFitReference, playCountsReference } from "./reference/baselines.js";

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "encore-pairs-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * S random sessions over V tracks: lengths 0..L, a few "hub" tracks and runs of repeats so
 * pairs recur within and across sessions, skip_2 on about half the rows; `sessions` lists
 * about 80% of them, shuffled.
 */
function randomSessions(seed: number, V: number, S: number, L = 24): TrainingSessions {
  const rng = new Rng(seed);
  const off = [0], tracks: number[] = [], flags: number[] = [];
  for (let s = 0; s < S; s++) {
    const n = rng.int(L + 1);
    for (let i = 0; i < n; i++) {
      const r = rng.float();
      const t = r < 0.15 && tracks.length > off[s] ? tracks[tracks.length - 1 - rng.int(Math.min(3, tracks.length - off[s]))] : r < 0.35 ? rng.int(Math.min(4, V)) : rng.int(V);
      tracks.push(t);
      flags.push(rng.float() < 0.5 ? LOG_FLAG.skip_2 : 0);
    }
    off.push(tracks.length);
  }
  const ids: number[] = [];
  for (let s = 0; s < S; s++) if (rng.float() < 0.8) ids.push(s);
  for (let i = ids.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [ids[i], ids[j]] = [ids[j], ids[i]];
  }
  return { V, sessionOffsets: Int32Array.from(off), tracks: Int32Array.from(tracks), flags: Uint16Array.from(flags), sessions: Int32Array.from(ids) };
}

/** The training sessions of `tr` in order, cut at random points into chunks: copied shards (own CSR) or selections of the same CSR. */
function chunksOf(tr: TrainingSessions, seed: number, copy: boolean): TrainingSessions[] {
  const rng = new Rng(seed), ss = Array.from(tr.sessions ?? Int32Array.from({ length: tr.sessionOffsets.length - 1 }, (_, s) => s));
  const out: TrainingSessions[] = [];
  for (let i = 0; i < ss.length; ) {
    const n = rng.int(Math.max(2, ss.length >> 2)); // empty chunks too
    const part = ss.slice(i, i + n);
    i += n;
    if (!copy) {
      out.push({ ...tr, sessions: Int32Array.from(part) });
      continue;
    }
    const off = [0], tracks: number[] = [], flags: number[] = [];
    for (const s of part) {
      for (let r = tr.sessionOffsets[s]; r < tr.sessionOffsets[s + 1]; r++) {
        tracks.push(tr.tracks[r]);
        flags.push(tr.flags![r]);
      }
      off.push(tracks.length);
    }
    out.push({ V: tr.V, sessionOffsets: Int32Array.from(off), tracks: Int32Array.from(tracks), flags: Uint16Array.from(flags) });
  }
  return out;
}

/** A store that counts what was written to it. */
class CountingStore implements RunStore {
  written = 0;
  constructor(private readonly inner: RunStore) {}
  get runs(): number {
    return this.inner.runs;
  }
  write(entries: Uint32Array, n: number): void {
    this.written++;
    this.inner.write(entries, n);
  }
  read(r: number, from: number, into: Uint32Array): number {
    return this.inner.read(r, from, into);
  }
  dispose(): void {
    this.inner.dispose();
  }
}

/** Chunks handed over by a generator: it can be iterated only once. */
function* once<T>(xs: T[]): Generator<T> {
  yield* xs;
}

function knnParts(p: ItemKnnPolicy): { nbrStart: number[]; nbr: number[]; sim: number[]; popular: number[] } {
  return { nbrStart: Array.from(p.nbrStart), nbr: Array.from(p.nbr), sim: Array.from(p.sim), popular: Array.from(p.popular) };
}

function refKnnParts(tr: TrainingSessions, opts: Parameters<typeof itemKnnFitReference>[1]): ReturnType<typeof knnParts> {
  const r = itemKnnFitReference(tr, opts);
  return { nbrStart: Array.from(r.nbrStart), nbr: Array.from(r.nbr), sim: Array.from(r.sim), popular: Array.from(new PopularPolicy(r.popularCounts).order) };
}

describe("item-kNN fitStream", () => {
  it("equals the in-memory fit bit for bit: windows, skipped, neighbour counts, ties", () => {
    let ties = 0, kept = 0;
    // the last: short sessions over a large catalog, mostly without repeated tracks
    for (const [seed, V, S, L] of [[1, 30, 120, 24], [2, 7, 60, 24], [3, 200, 300, 24], [4, 1, 10, 24], [15, 3000, 300, 8]] as const) {
      const tr = randomSessions(seed, V, S, L);
      for (const window of [1, 2, 5, Infinity]) {
        for (const skipped of ["count", "ignore"] as const) {
          for (const neighbours of [1, 3, 200]) {
            const opts = { window, skipped, neighbours };
            const ref = refKnnParts(tr, opts);
            expect(knnParts(ItemKnnPolicy.fit(tr, opts)), `seed ${seed} ${JSON.stringify(opts)}`).toEqual(ref);
            kept += ref.nbr.length;
            for (let q = 1; q < ref.sim.length; q++) if (ref.sim[q] === ref.sim[q - 1]) ties++;
          }
        }
      }
    }
    // the data exercise the tie rule and keep real lists
    expect(ties).toBeGreaterThan(1000);
    expect(kept).toBeGreaterThan(10_000);
  });

  it("gives the same fit for any cut of the sessions into chunks, under any budget and store", () => {
    const tr = randomSessions(5, 50, 250);
    const opts = { window: 3, neighbours: 6 };
    const ref = refKnnParts(tr, opts);
    for (const [k, copy] of [[0, true], [1, false], [2, true]] as const) {
      const chunks = chunksOf(tr, 10 + k, copy);
      expect(chunks.length).toBeGreaterThan(3);
      expect(knnParts(ItemKnnPolicy.fitStream(once(chunks), tr.V, opts))).toEqual(ref);
      // 1 KiB: a key buffer of 16 keys, so hundreds of runs, merged and spilled
      const mem = new CountingStore(new MemoryRunStore()), file = new CountingStore(new FileRunStore(join(dir, "knn.cache"), "pairs"));
      expect(knnParts(ItemKnnPolicy.fitStream(once(chunks), tr.V, { ...opts, memoryBudget: 1024 }))).toEqual(ref);
      expect(knnParts(ItemKnnPolicy.fitStream(once(chunks), tr.V, { ...opts, memoryBudget: 1024, spill: mem }))).toEqual(ref);
      expect(knnParts(ItemKnnPolicy.fitStream(once(chunks), tr.V, { ...opts, memoryBudget: 4096, spill: file }))).toEqual(ref);
      expect(mem.written).toBeGreaterThan(5);
      expect(file.written).toBeGreaterThan(2);
      expect(mem.runs + file.runs).toBe(0); // disposed after the fit
      expect(readdirSync(dir)).toEqual([]); // the run files removed
    }
  });

  it("checks the chunks' catalog and the catalog size", () => {
    const tr = randomSessions(6, 10, 20);
    expect(() => ItemKnnPolicy.fitStream([tr, { ...tr, V: 11 }], 10)).toThrow(/ItemKnnPolicy: chunk 1 has a catalog of 11 tracks, the fit 10/);
    expect(() => ItemKnnPolicy.fitStream([], MAX_PAIR_CATALOG + 1)).toThrow(/catalog of 67108865 tracks is over 67108864/);
    expect(() => ItemKnnPolicy.fitStream([{ ...tr, V: 5 }], 5)).toThrow(/baselines: row \d+ has track \d+ outside the catalog 0..4/);
    const empty = ItemKnnPolicy.fitStream([], 4);
    expect(Array.from(empty.nbrStart)).toEqual([0, 0, 0, 0, 0]);
  });
});

describe("Markov fitStream", () => {
  const parts = (m: MarkovSource) => ({ start: Array.from(m.start), next: Array.from(m.next), prob: Array.from(m.prob) });
  const refParts = (tr: TrainingSessions, o: Parameters<typeof markovFitReference>[1]) => {
    const r = markovFitReference(tr, o);
    return { start: Array.from(r.start), next: Array.from(r.next), prob: Array.from(r.prob) };
  };

  it("equals the in-memory fit bit for bit for weights whose sums are exact (1, 0, ½, ¼)", () => {
    let edges = 0;
    for (const [seed, V, S] of [[7, 30, 150], [8, 5, 80], [9, 300, 300]] as const) {
      const tr = randomSessions(seed, V, S);
      for (const skipped of ["count", "ignore"] as const) {
        for (const skippedNextWeight of [1, 0, 0.5, 0.25]) {
          const o = { skipped, skippedNextWeight };
          const ref = refParts(tr, o);
          expect(parts(MarkovSource.fit(tr, o)), `seed ${seed} ${JSON.stringify(o)}`).toEqual(ref);
          edges += ref.next.length;
        }
      }
    }
    expect(edges).toBeGreaterThan(5000);
  });

  it("agrees within rounding for other weights (the counts are weighed once, not summed in log order)", () => {
    const tr = randomSessions(10, 40, 300);
    for (const skippedNextWeight of [0.3, 0.7]) {
      const ref = refParts(tr, { skippedNextWeight }), got = parts(MarkovSource.fit(tr, { skippedNextWeight }));
      expect(got.start).toEqual(ref.start);
      // successors equal as sets per track; the reference's sums of up to a few hundred terms are off by at most that many ulps
      for (let a = 0; a + 1 < ref.start.length; a++) {
        const r = new Map<number, number>(), g = new Map<number, number>();
        for (let q = ref.start[a]; q < ref.start[a + 1]; q++) {
          r.set(ref.next[q], ref.prob[q]);
          g.set(got.next[q], got.prob[q]);
        }
        for (const [b, p] of r) {
          expect(Math.abs(g.get(b)! - p)).toBeLessThanOrEqual(1e-13 * p);
        }
      }
    }
  });

  it("gives the same fit for any cut into chunks, under any budget and store", () => {
    const tr = randomSessions(11, 60, 400);
    for (const o of [{ skippedNextWeight: 0.5 }, { skipped: "ignore" as const }]) {
      const ref = refParts(tr, o);
      for (const [k, copy] of [[0, true], [1, false]] as const) {
        const chunks = chunksOf(tr, 20 + k, copy);
        expect(parts(MarkovSource.fitStream(once(chunks), tr.V, o))).toEqual(ref);
        const mem = new CountingStore(new MemoryRunStore()), file = new CountingStore(new FileRunStore(join(dir, "markov.cache"), "pairs"));
        expect(parts(MarkovSource.fitStream(once(chunks), tr.V, { ...o, memoryBudget: 1024 }))).toEqual(ref);
        expect(parts(MarkovSource.fitStream(once(chunks), tr.V, { ...o, memoryBudget: 1024, spill: mem }))).toEqual(ref);
        expect(parts(MarkovSource.fitStream(once(chunks), tr.V, { ...o, memoryBudget: 2048, spill: file }))).toEqual(ref);
        expect(mem.written).toBeGreaterThan(5);
        expect(file.written).toBeGreaterThan(2);
        expect(readdirSync(dir)).toEqual([]);
      }
    }
  });

  it("checks the weight, the flags and the chunks' catalog", () => {
    const tr = randomSessions(12, 10, 20);
    expect(() => MarkovSource.fitStream([tr], 10, { skippedNextWeight: 2 })).toThrow(/markov: skippedNextWeight must be in \[0, 1\], got 2/);
    expect(() => MarkovSource.fitStream([tr, { ...tr, flags: undefined }], 10, { skippedNextWeight: 0.5 })).toThrow(/markov: skippedNextWeight needs per-row flags/);
    expect(() => MarkovSource.fitStream([{ ...tr, V: 9 }], 10)).toThrow(/markov: chunk 0 has a catalog of 9 tracks, the fit 10/);
  });
});

describe("trainingPlayCountsStream", () => {
  it("equals the in-memory counts, for any cut into chunks", () => {
    const tr = randomSessions(13, 40, 200);
    for (const skipped of ["count", "ignore"] as const) {
      const ref = Array.from(playCountsReference(tr, { skipped }));
      expect(ref.reduce((x, y) => x + y, 0)).toBeGreaterThan(500);
      expect(Array.from(trainingPlayCounts(tr, { skipped }))).toEqual(ref);
      expect(Array.from(trainingPlayCountsStream(once(chunksOf(tr, 30, true)), tr.V, { skipped }))).toEqual(ref);
      expect(Array.from(trainingPlayCountsStream(once(chunksOf(tr, 31, false)), tr.V, { skipped }))).toEqual(ref);
    }
    expect(() => trainingPlayCountsStream([tr], 41)).toThrow(/trainingPlayCounts: chunk 0 has a catalog of 40 tracks, the fit 41/);
  });
});

describe("PairCounts", () => {
  it("sums every pair's occurrences, flags apart, in (a, b) order, whatever the budget", () => {
    const V = 1000, rng = new Rng(14);
    const occ: [number, number, number][] = [];
    for (let i = 0; i < 20_000; i++) {
      const a = rng.float() < 0.5 ? rng.int(5) : rng.int(V), b = rng.float() < 0.5 ? V - 1 - rng.int(5) : rng.int(V);
      occ.push([a, b, rng.float() < 0.3 ? 1 : 0]);
    }
    const want = new Map<number, [number, number]>();
    for (const [a, b, f] of occ) {
      const e = want.get(a * V + b) ?? [0, 0];
      e[f]++;
      want.set(a * V + b, e);
    }
    const order = [...want.keys()].sort((x, y) => x - y);
    for (const opts of [{}, { memoryBudget: 1024 }, { memoryBudget: 1024, spill: new MemoryRunStore() }, { memoryBudget: 8192, spill: new FileRunStore(join(dir, "pc.cache"), "pairs") }]) {
      const pc = new PairCounts("test", V, true, opts);
      for (const [a, b, f] of occ) pc.add(a, 2 * b + f);
      expect(() => pc.cursor()).toThrow(/test: pair counts read before finish\(\)/);
      pc.finish();
      for (let pass = 0; pass < 2; pass++) {
        const got: number[][] = [];
        for (const c = pc.cursor(); c.next(); ) got.push([c.a * V + c.b, c.c0, c.c1]);
        expect(got).toEqual(order.map((p) => [p, ...want.get(p)!]));
      }
      if (opts.spill) expect(pc.spilled).toBeGreaterThan(1);
      pc.dispose();
      expect(() => pc.finish()).toThrow(/test: pair counts finished twice/);
    }
  });
});

describe("sortPairs", () => {
  it("orders pairs by (first, second) word over odd sizes and every range width", () => {
    const rng = new Rng(16);
    for (const n of [0, 1, 3, 17, 1001]) {
      for (const [max0, max1] of [[0, 0], [1, 5], [9, 65_535], [65_536, 3], [MAX_PAIR_CATALOG - 1, 2 * MAX_PAIR_CATALOG - 1]]) {
        const src = new Uint32Array(2 * n + 2).fill(7), dst = new Uint32Array(2 * n + 2);
        const ref: [number, number][] = [];
        for (let i = 0; i < n; i++) {
          const x = rng.int(max0 + 1), y = rng.float() < 0.3 ? max1 : rng.int(max1 + 1);
          src[2 * i] = x;
          src[2 * i + 1] = y;
          ref.push([x, y]);
        }
        ref.sort((p, q) => p[0] - q[0] || p[1] - q[1]);
        const out = sortPairs(src, dst, n, max0, max1);
        expect(Array.from({ length: n }, (_, i) => [out[2 * i], out[2 * i + 1]]), `n ${n} max ${max0} ${max1}`).toEqual(ref);
      }
    }
  });
});
