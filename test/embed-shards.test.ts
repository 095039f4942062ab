// item2vec streamed from chunks (Item2Vec.trainStream, src/embed/item2vec.ts) and `encore embed`
// from a sharded dataset: one chunk (one shard) is the in-memory trainer bit for bit; a source
// that re-reads its chunks replays the same orders as one that keeps them; several chunks are
// visited in a seeded shard-then-session order (same seed, same bytes); the streaming
// embeddings' next-track hit rate is the in-memory trainer's within a stated tolerance; the
// CLI end to end.
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildDataset, type MssdDataset } from "../src/data/dataset.js";
import { buildShardedDataset, openShardedDataset, type ShardedDataset } from "../src/data/shards.js";
import { writeSynthetic } from "../src/data/synth-write.js";
import { hashSplit } from "../src/data/split.js";
import { MemoryPlan } from "../src/engine/plan.js";
import { Item2Vec, type Item2VecResult, type SessionChunk, type SessionSource, type Sessions } from "../src/embed/item2vec.js";
import { buildEmbeddings, selectSessions } from "../src/embed/build.js";
import { shardTrainingSource } from "../src/embed/shard-source.js";
import { loadEmbeddings } from "../src/embed/file.js";
import { embed, type EmbedOptions } from "../src/cli/pipeline.js";
import { Rng } from "../src/rng.js";
import { engineModule, loadEngine } from "./util/engine.js";
import { Fnv1a64 } from "../src/embed/hash.js";
import { CLI, cliRunner } from "./util/cli.js";

const SPLIT = { seed: 0, trainFraction: 0.7 };
const D = 32;

/** Raw bytes of a float array (bit-for-bit comparison, -0 and NaN included). */
function bytesOf(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** Random sessions over V tracks, topic-clustered so item2vec has something to learn. */
function randomSessions(seed: number, S: number, V: number): Sessions {
  const r = new Rng(seed), offsets = [0], tracks: number[] = [];
  for (let s = 0; s < S; s++) {
    const L = 1 + r.int(22), topic = r.int(8);
    for (let i = 0; i < L; i++) tracks.push(r.float() < 0.8 ? (topic * 41 + r.int(41)) % V : r.int(V));
    offsets.push(tracks.length);
  }
  return { offsets: Int32Array.from(offsets), tracks: Int32Array.from(tracks) };
}

/**
 * `sessions` cut into chunks at the given session boundaries, each chunk's `sessions` the
 * listed global sessions inside it (chunk-local); `resident` as given. Records every read.
 */
function chunked(sessions: Sessions, cuts: number[], list: ArrayLike<number> | null, resident: boolean): SessionSource & { log: number[] } {
  const S = sessions.offsets.length - 1, bounds = [0, ...cuts, S], log: number[] = [];
  const chunks: SessionChunk[] = [];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const s0 = bounds[k], s1 = bounds[k + 1], r0 = sessions.offsets[s0];
    const sessionOffsets = Int32Array.from(sessions.offsets.subarray(s0, s1 + 1), (o) => o - r0);
    const tracks = sessions.tracks.slice(r0, sessions.offsets[s1]);
    const chunk: SessionChunk = { sessionOffsets, tracks };
    if (list) chunk.sessions = Int32Array.from(Array.from(list).filter((s) => s >= s0 && s < s1), (s) => s - s0);
    chunks.push(chunk);
  }
  return { chunkCount: chunks.length, resident, log, chunk: (k) => (log.push(k), chunks[k]) };
}

function expectSameResult(a: Item2VecResult, b: Item2VecResult): void {
  expect(a.losses).toEqual(b.losses);
  expect(a.pairs).toBe(b.pairs);
  expect(a.sessions).toBe(b.sessions);
  expect(Buffer.from(a.counts.buffer).equals(Buffer.from(b.counts.buffer))).toBe(true);
  expect(Array.from(a.excluded)).toEqual(Array.from(b.excluded));
}

describe("item2vec trainStream over in-memory chunks", { timeout: 60_000 }, async () => {
  const V = 300;
  const all = randomSessions(11, 1200, V);
  const S = all.offsets.length - 1;
  const list = Int32Array.from({ length: S }, (_, s) => s).filter((s) => s % 3 !== 1); // a "training part"
  const plan = new MemoryPlan();
  const model = new Item2Vec(plan, V, { d: 17, negatives: 4, batchPairs: 509 });
  await loadEngine(plan);
  const run = (f: () => Item2VecResult): { r: Item2VecResult; E: Buffer; U: Buffer } => {
    const r = f();
    return { r, E: Buffer.from(bytesOf(model.embeddings())), U: Buffer.from(bytesOf(model.outputVectors())) };
  };

  it("one chunk with a session list is train() on those sessions, bit for bit (shuffled or not)", () => {
    for (const opts of [{ epochs: 3, seed: 5 }, { epochs: 2, seed: 6, shuffle: false, minCount: 3 }]) {
      const mem = run(() => model.train(selectSessions({ sessionOffsets: all.offsets, tracks: all.tracks }, list), opts));
      for (const resident of [true, false]) {
        const st = run(() => model.trainStream(chunked(all, [], list, resident), opts));
        expectSameResult(st.r, mem.r);
        expect(st.E.equals(mem.E)).toBe(true);
        expect(st.U.equals(mem.U)).toBe(true);
      }
    }
  });

  it("a source that re-reads its chunks replays each chunk's order: the same bytes as one that keeps them", () => {
    const cuts = [100, 101, 450, 700, 1111]; // six chunks, one of a single session
    const opts = { epochs: 4, seed: 9 };
    const kept = chunked(all, cuts, list, true), reread = chunked(all, cuts, list, false);
    const a = run(() => model.trainStream(kept, opts));
    const b = run(() => model.trainStream(reread, opts));
    expectSameResult(a.r, b.r);
    expect(a.E.equals(b.E)).toBe(true);
    // the vocabulary pass reads the chunks in order, then each epoch all six, in a seeded order
    expect(reread.log.slice(0, 6)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(reread.log).toEqual(kept.log);
    const epochs = [0, 1, 2, 3].map((e) => reread.log.slice(6 + 6 * e, 12 + 6 * e));
    for (const o of epochs) expect([...o].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(new Set(epochs.map((o) => o.join())).size).toBeGreaterThan(1); // the order changes between epochs
    // not shuffled: in order, every epoch
    const plain = chunked(all, cuts, list, false);
    model.trainStream(plain, { ...opts, shuffle: false });
    expect(plain.log).toEqual(Array.from({ length: 30 }, (_, i) => i % 6));
  });

  it("several chunks change only the visiting order: the same counts and pairs, other vectors; the seed fixes the bytes", () => {
    const cuts = [300, 600, 900];
    // a fixed window and no subsampling: the pairs are a function of the sessions, not of the order
    const opts = { epochs: 2, seed: 3, shrinkWindow: false, subsample: 0 };
    const one = run(() => model.trainStream(chunked(all, [], list, false), opts));
    const four = run(() => model.trainStream(chunked(all, cuts, list, false), opts));
    const again = run(() => model.trainStream(chunked(all, cuts, list, false), opts));
    const other = run(() => model.trainStream(chunked(all, cuts, list, false), { ...opts, seed: 4 }));
    expect(four.r.pairs).toBe(one.r.pairs);
    expect(Buffer.from(four.r.counts.buffer).equals(Buffer.from(one.r.counts.buffer))).toBe(true);
    expect(four.E.equals(one.E)).toBe(false);
    expect(again.E.equals(four.E)).toBe(true);
    expect(other.E.equals(four.E)).toBe(false);
  });

  it("on the worker-thread engine (one worker applies, this thread draws): several chunks give one thread's bytes", async () => {
    const cuts = [250, 251, 800];
    const opts = { epochs: 2, seed: 12 };
    const one = run(() => model.trainStream(chunked(all, cuts, list, false), opts));
    const plan2 = new MemoryPlan();
    const model2 = new Item2Vec(plan2, V, { d: 17, negatives: 4, batchPairs: 509 });
    const engine2 = await loadEngine(plan2, { threads: 2 });
    try {
      const r2 = model2.trainStream(chunked(all, cuts, list, false), opts);
      expectSameResult(r2, one.r);
      expect(Buffer.from(bytesOf(model2.embeddings())).equals(one.E)).toBe(true);
    } finally {
      engine2.close();
    }
  });

  it("checks each chunk as it is read, naming the chunk", () => {
    const bad = chunked(all, [600], list, false);
    const c1 = bad.chunk(1);
    bad.chunk = (k) => (k === 1 ? { ...c1, tracks: Int32Array.from(c1.tracks, (t, j) => (j === 7 ? V : t)) } : chunked(all, [600], list, false).chunk(k));
    expect(() => model.trainStream(bad)).toThrow(/chunk 1: tracks\[7\] = 300 is outside \[0, 300\)/);
    const badList: SessionSource = { chunkCount: 1, chunk: () => ({ sessionOffsets: all.offsets, tracks: all.tracks, sessions: [0, S] }) };
    expect(() => model.trainStream(badList)).toThrow(/chunk 0: sessions\[1\] = 1200 is not a session index/);
    const empty: SessionSource = { chunkCount: 0, chunk: () => { throw new Error("never read"); } };
    expect(() => model.trainStream(empty)).toThrow(/no track has at least minCount/);
  });
});

let dir = "";
let mem: MssdDataset, one: ShardedDataset, many: ShardedDataset, manyDir = "";
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "encore-embed-shards-"));
  const w = await writeSynthetic({ dir, seed: 5, numSessions: 4000, model: { numTracks: 1500 } });
  const inputs = { logs: [w.logPath], trackFeatures: [w.tfPath] };
  mem = await buildDataset(inputs);
  await buildShardedDataset(inputs, join(dir, "one"), {}, {});
  one = openShardedDataset(join(dir, "one"));
  manyDir = join(dir, "many");
  await buildShardedDataset(inputs, manyDir, {}, { shardSessions: 450 });
  many = openShardedDataset(manyDir);
}, 120_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The in-memory twin of a shard source: the dataset's sessions of the hash split's training part. */
function memTrain(): Sessions {
  return selectSessions(mem, hashSplit(mem.sessionCount, SPLIT).train);
}

/**
 * Next-track hit rate@10 over the test part's transitions (last → next): a hit when `next` is
 * among the 10 nearest learned tracks (cosine) of `last`; a `last` without a learned vector
 * misses. The same measure as the item2vec trainer's test (test/sgns.test.ts).
 */
function hitRate(E: Float32Array, excluded: Int32Array, test: Sessions, V: number): { rate: number; n: number } {
  const learned = new Uint8Array(V).fill(1);
  for (const t of excluded) learned[t] = 0;
  const unit = new Float32Array(E.length);
  for (let t = 0; t < V; t++) {
    let nn = 0;
    for (let j = 0; j < D; j++) nn += E[t * D + j] ** 2;
    const s = nn > 0 ? 1 / Math.sqrt(nn) : 0;
    for (let j = 0; j < D; j++) unit[t * D + j] = E[t * D + j] * s;
  }
  const nbrs = new Map<number, Set<number>>();
  const neighbours = (q: number): Set<number> => {
    let set = nbrs.get(q);
    if (set) return set;
    const top: [number, number][] = [];
    for (let t = 0; t < V; t++) {
      if (t === q || !learned[t]) continue;
      let c = 0;
      for (let j = 0; j < D; j++) c += unit[q * D + j] * unit[t * D + j];
      if (top.length < 10 || c > top[9][0]) {
        top.push([c, t]);
        top.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
        if (top.length > 10) top.pop();
      }
    }
    nbrs.set(q, (set = new Set(top.map((x) => x[1]))));
    return set;
  };
  let hits = 0, n = 0;
  const { offsets, tracks } = test;
  for (let s = 0; s + 1 < offsets.length; s++) {
    for (let j = offsets[s]; j + 1 < offsets[s + 1]; j++) {
      n++;
      if (learned[tracks[j]] && neighbours(tracks[j]).has(tracks[j + 1])) hits++;
    }
  }
  return { rate: hits / n, n };
}

describe("item2vec from a sharded dataset", { timeout: 300_000 }, () => {
  it("one shard = the in-memory trainer on the same training sessions, bit for bit (trainer and buildEmbeddings)", async () => {
    expect(one.shardCount).toBe(1);
    const V = mem.trackCount;
    expect(one.vocab.ids()).toEqual(mem.vocab.ids());
    const plan = new MemoryPlan();
    const trainer = new Item2Vec(plan, V, { d: D });
    await loadEngine(plan);
    const opts = { epochs: 3, seed: 2, minCount: 2 };
    const a = trainer.train(memTrain(), opts);
    const Ea = Buffer.from(bytesOf(trainer.embeddings()));
    const source = shardTrainingSource(one, SPLIT);
    const b = trainer.trainStream(source, opts);
    expectSameResult(b, a);
    expect(Buffer.from(bytesOf(trainer.embeddings())).equals(Ea)).toBe(true);
    expect(source.reads.shards).toBe(1 + 3); // the vocabulary pass and three epochs
    // buildEmbeddings, item2vec and hybrid: the same vectors, options and trainSessionsHash
    for (const kind of ["item2vec", "hybrid"] as const) {
      const common = { kind, d: D, seed: 4, trainer: kind === "item2vec" ? trainer : undefined, wasm: kind === "hybrid" ? engineModule() : undefined, item2vec: { epochs: 2 } };
      const x = await buildEmbeddings(mem, { ...common, trainSessions: hashSplit(mem.sessionCount, SPLIT).train });
      const y = await buildEmbeddings({ source: shardTrainingSource(one, SPLIT), featureRow: one.featureRow, features: one.features, vocab: one.vocab }, common);
      expect(bytesOf(y.E).equals(bytesOf(x.E))).toBe(true);
      expect(JSON.stringify(y.options)).toBe(JSON.stringify(x.options));
      expect(y.counts).toEqual(x.counts);
      expect(y.vocabHash).toBe(x.vocabHash);
    }
    await expect(buildEmbeddings({ source, featureRow: one.featureRow, features: one.features }, { kind: "item2vec", trainer, trainSessions: [0] }))
      .rejects.toThrow(/a streamed input's source picks its own/);
  });

  it("several shards: the same seed gives a byte-identical embeddings file, another seed another; the hash split recorded; CSV export", async () => {
    expect(many.shardCount).toBeGreaterThanOrEqual(6);
    const base: EmbedOptions = { dataset: manyDir, out: join(dir, "a.bin"), kind: "hybrid", d: D, epochs: 2, minCount: 1, seed: 0, split: SPLIT };
    const a = await embed(base);
    const b = await embed({ ...base, out: join(dir, "b.bin"), csv: join(dir, "b.csv") });
    const c = await embed({ ...base, out: join(dir, "c.bin"), seed: 1 });
    const fa = readFileSync(join(dir, "a.bin")), fb = readFileSync(join(dir, "b.bin")), fc = readFileSync(join(dir, "c.bin"));
    expect(fa.equals(fb)).toBe(true);
    expect(fa.equals(fc)).toBe(false);
    expect(bytesOf(a.E).equals(bytesOf(b.E))).toBe(true);
    expect(bytesOf(a.E).equals(bytesOf(c.E))).toBe(false);
    const loaded = await loadEmbeddings(join(dir, "a.bin"), { vocab: many.vocab });
    expect(loaded.options.split).toEqual({ seed: 0, trainFraction: 0.7, kind: "hash" });
    // what item2vec trained on: the hash split's training part, as the in-memory twin holds it
    const tr = memTrain();
    expect(loaded.options.trainSessions).toBe(tr.offsets.length - 1);
    const h = new Fnv1a64().update(new Uint8Array(tr.offsets.buffer)).update(new Uint8Array(tr.tracks.buffer)).digest();
    expect(loaded.options.trainSessionsHash).toBe(h);
    // the fallback shares over the training plays, streamed = counted in memory
    let plays = 0, features = 0, unknown = 0;
    for (const t of tr.tracks) {
      plays++;
      if (a.path[t] === 1) features++;
      else if (a.path[t] === 2) unknown++;
    }
    expect(a.fallbackPlays).toEqual({ features: features / plays, unknown: unknown / plays });
    const csv = readFileSync(join(dir, "b.csv"), "utf8").trimEnd().split("\n");
    expect(csv.length).toBe(many.V + 1);
    expect(csv[1].split(",")[0]).toBe(many.vocab.id(0));
    expect(Math.fround(Number(csv[1].split(",")[1]))).toBe(b.E[0]); // 9 digits read back to the same f32
    // the features kind reads no sessions for its vectors, only for the fallback shares
    const f = await embed({ ...base, out: join(dir, "f.bin"), kind: "features" });
    expect(f.counts.item2vec).toBe(0);
    expect((await loadEmbeddings(join(dir, "f.bin"))).options.split).toEqual({ seed: 0, trainFraction: 0.7, kind: "hash" });
  });

  it("quality: next-track hit rate@10 of the streamed embeddings is the in-memory trainer's within 0.01 (seeds 0–2), over 10× random", async () => {
    const V = mem.trackCount;
    const plan = new MemoryPlan();
    const trainer = new Item2Vec(plan, V, { d: D });
    await loadEngine(plan);
    const sp = hashSplit(mem.sessionCount, SPLIT);
    const test = selectSessions(mem, sp.test), train = memTrain();
    const seeds = [0, 1, 2];
    const memRates: number[] = [], streamRates: number[] = [];
    let n = 0;
    for (const seed of seeds) {
      const a = trainer.train(train, { seed });
      const ha = hitRate(trainer.embeddings(), a.excluded, test, V);
      const b = trainer.trainStream(shardTrainingSource(many, SPLIT), { seed });
      const hb = hitRate(trainer.embeddings(), b.excluded, test, V);
      memRates.push(ha.rate);
      streamRates.push(hb.rate);
      n = ha.n;
    }
    const mean = (x: number[]): number => x.reduce((p, q) => p + q, 0) / x.length;
    const random = 10 / (V - 1);
    console.log(`hit@10 over ${n} test transitions, seeds ${seeds.join(", ")}: in memory ${memRates.map((x) => x.toFixed(4)).join(", ")} (mean ${mean(memRates).toFixed(4)}); `
      + `from ${many.shardCount} shards ${streamRates.map((x) => x.toFixed(4)).join(", ")} (mean ${mean(streamRates).toFixed(4)}); random ${random.toFixed(4)}`);
    expect(Math.abs(mean(streamRates) - mean(memRates))).toBeLessThanOrEqual(0.01); // the seeds spread by ±0.002 either way (about 0.081 here)
    for (const r of streamRates) expect(r).toBeGreaterThan(10 * random);
  });
});

// The CLI as a user runs it (the compiled build, as test/cli.test.ts does).
describe.skipIf(!existsSync(CLI))("encore embed --dataset <shards>", { timeout: 300_000 }, () => {
  it("streams the training part, records the hash split, exports CSV; a folder without manifest.bin is a clear error", async () => {
    const cwd = join(dir, "cli");
    mkdirSync(cwd, { recursive: true });
    const { run, ok } = cliRunner(() => cwd);
    ok("generate", "--sessions", "600", "--tracks", "800", "--seed", "3", "--json");
    const p = JSON.parse(ok("prepare", "--json", ".encore/data/log_synth.csv", "--tf", ".encore/data/tf_synth.csv", "--shards", "shards", "--memory-budget", "256"));
    const e = JSON.parse(ok("embed", "--json", "--dataset", "shards", "--epochs", "2", "--split-seed", "3", "--out", "emb.bin", "--csv", "emb.csv"));
    expect(e.V).toBe(p.tracks);
    expect(e.counts.item2vec + e.counts.features + e.counts.unknown).toBe(p.tracks);
    expect(e.counts.item2vec).toBeGreaterThan(0);
    const f = await loadEmbeddings(join(cwd, "emb.bin"));
    expect(f.options.split).toEqual({ seed: 3, trainFraction: 0.7, kind: "hash" });
    expect(f.V).toBe(p.tracks);
    expect(readFileSync(join(cwd, "emb.csv"), "utf8").trimEnd().split("\n").length).toBe(p.tracks + 1);
    // the same command again: the same bytes
    ok("embed", "--json", "--dataset", "shards", "--epochs", "2", "--split-seed", "3", "--out", "emb2.bin");
    expect(readFileSync(join(cwd, "emb2.bin")).equals(readFileSync(join(cwd, "emb.bin")))).toBe(true);
    mkdirSync(join(cwd, "empty"));
    const bad = run("embed", "--dataset", "empty");
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/empty: a folder without manifest\.bin \(neither a dataset cache nor a sharded dataset; build one with 'encore prepare <logs\.\.\.> --shards empty'\)/);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(existsSync(join(cwd, ".encore/embeddings.bin"))).toBe(false);
  });
});
