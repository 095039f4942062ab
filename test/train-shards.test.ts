// `encore train --dataset <shards> --env logged`: learning offline from a sharded dataset, the
// logged transitions streamed one shard's samples at a time (src/rl/logged-stream.ts,
// src/cli/train-shards.ts). Against the in-memory path on the same sessions: with one shard
// the stream draws the same batches as LoggedTransitions (bit-identical model); with several,
// the windows together are the in-memory samples, every shard is visited for its share of
// updates in the seeded order, the same seed gives the same bytes, and a checkpoint resumes
// exactly (in the Trainer and through `train --resume`). A model trained from shards loads
// and recommends; the CLI runs end to end and refuses what it cannot do on shards.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeSynthetic } from "../src/data/synth-write.js";
import { buildDataset, type MssdDataset } from "../src/data/dataset.js";
import { buildShardedDataset, openShardedDataset, type ShardedDataset } from "../src/data/shards.js";
import { hashSplit } from "../src/data/split.js";
import { buildSamples } from "../src/data/samples.js";
import { trainingPlayCounts, type TrainingSessions } from "../src/eval/baselines.js";
import { biasFromPlays, type DdpgAgent } from "../src/agent/ddpg.js";
import { Trainer } from "../src/agent/train.js";
import { applyModel, decodeModel, encodeModel, type ModelIdentity } from "../src/agent/checkpoint.js";
import { modelProblem } from "../src/agent/model-check.js";
import { LoggedTransitions } from "../src/rl/logged.js";
import { LoggedStream, shareOf } from "../src/rl/logged-stream.js";
import { shardedPlayCounts, shardWindows } from "../src/cli/train-shards.js";
import { agentFor, embed, prepare, presetConfig, recommend, train, trainingSessionsOf } from "../src/cli/pipeline.js";
import { Rng } from "../src/rng.js";
import { CLI, cliRunner } from "./util/cli.js";

const d = 8, N = 10, K = 3, B = 16, SEED = 7;
const SPLIT = { seed: 3, trainFraction: 0.7 };

let dir = "";
let logs: string[] = [], tfs: string[] = [];
let mem: MssdDataset, one: ShardedDataset, many: ShardedDataset, manyDir = "", cache = "", embPath = "";
let E: Float32Array;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "encore-train-shards-"));
  const a = await writeSynthetic({ dir, prefix: "a", seed: 11, numSessions: 420, model: { numTracks: 300 } });
  const b = await writeSynthetic({ dir, prefix: "b", seed: 12, numSessions: 260, model: { numTracks: 300 }, gzip: true });
  logs = [a.logPath, b.logPath];
  tfs = [a.tfPath, b.tfPath];
  const inputs = { logs, trackFeatures: tfs };
  await buildShardedDataset(inputs, join(dir, "one"), {}, { shardSessions: 1_000_000, shardRows: 100_000_000 });
  manyDir = join(dir, "many");
  await buildShardedDataset(inputs, manyDir, {}, { shardSessions: 70 });
  one = openShardedDataset(join(dir, "one"));
  many = openShardedDataset(manyDir);
  mem = await buildDataset(inputs, {});
  const rng = new Rng(5);
  E = new Float32Array(mem.trackCount * d);
  for (let i = 0; i < E.length; i++) E[i] = rng.normal() / Math.sqrt(d);
  // the embeddings of the pipeline tests: from the cache of the same logs (the same vocabulary)
  cache = join(dir, "dataset.bin");
  await prepare({ logs, trackFeatures: tfs, cache, filters: {}, lenient: false });
  embPath = join(dir, "emb.bin");
  await embed({ dataset: cache, out: embPath, kind: "hybrid", d, epochs: 1, minCount: 1, seed: 1, split: SPLIT });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ID = (): ModelIdentity => ({ vocabHash: "v", embeddingHash: "e", V: mem.trackCount, d });

/** An offline learner as `encore train --env logged` builds it: sources on `sessions`, bias and mask from `plays`. */
async function learner(sessions: TrainingSessions, plays: Int32Array, featureRow: Int32Array): Promise<DdpgAgent> {
  const config = presetConfig("listwise", { batch: B, gamma: 0 }, "logged");
  const agent = await agentFor({ E, V: mem.trackCount, d }, config, { train: sessions });
  agent.initialize(new Rng(SEED));
  if (agent.bias) agent.setTrackBias(biasFromPlays(plays));
  agent.setRecommendable(Uint8Array.from(plays, (c, t) => (c > 0 || featureRow[t] >= 0 ? 1 : 0)));
  return agent;
}

/** The in-memory twin's training part of the hash split, its samples and play counts. */
function inMemory() {
  const train = hashSplit(mem.sessionCount, SPLIT).train;
  const tr = trainingSessionsOf(mem, train);
  return { train, tr, plays: trainingPlayCounts(tr), samples: buildSamples(mem, train, { N, K }) };
}

async function streamLearner(ds: ShardedDataset, onWindow?: (w: number, n: number, pass: number) => void) {
  const agent = await learner(ds.recent("train", SPLIT, 1_000_000).sessions, shardedPlayCounts(ds, SPLIT), ds.featureRow);
  const env = new LoggedStream(shardWindows(ds, SPLIT, { N, K }), N, K, { listGamma: agent.config.listGamma, seed: SEED, onWindow });
  return { agent, env };
}

describe("streaming logged transitions from shards", () => {
  it("one shard holding every sample: the same batches as LoggedTransitions, a bit-identical model", async () => {
    expect(one.shardCount).toBe(1);
    const m = inMemory();
    const a = await learner(m.tr, m.plays, mem.featureRow);
    const envA = new LoggedTransitions(m.samples, a.config.listGamma);
    const { agent: b, env: envB } = await streamLearner(one);
    expect(envB.windowSamples).toBe(m.samples.count);
    // steps per episode such that 6 episodes run past the window's share twice (three passes)
    const share = shareOf(m.samples.count, B), steps = Math.ceil(share / 2) + 1;
    const ta = new Trainer(a, envA, { seed: SEED, maxSteps: steps }), tb = new Trainer(b, envB, { seed: SEED, maxSteps: steps });
    const ra = ta.run(6), rb = tb.run(6);
    expect(envB.getState().pass).toBeGreaterThanOrEqual(2);
    expect(rb).toEqual(ra);
    for (const r of ra) expect(Number.isFinite(r.criticLoss)).toBe(true);
    expect(Buffer.from(encodeModel(b, ID())).equals(Buffer.from(encodeModel(a, ID())))).toBe(true);
  }, 120_000);

  it("several shards: the windows together are the in-memory samples (what differs is the draw order only)", () => {
    expect(many.shardCount).toBeGreaterThanOrEqual(8);
    const m = inMemory(), w = shardWindows(many, SPLIT, { N, K });
    let j = 0;
    for (let k = 0; k < w.count; k++) {
      const s = w.load(k);
      for (let i = 0; i < s.count; i++, j++) {
        expect(Array.from(s.states.subarray(i * N, i * N + N))).toEqual(Array.from(m.samples.states.subarray(j * N, j * N + N)));
        expect(Array.from(s.stateKept.subarray(i * N, i * N + N))).toEqual(Array.from(m.samples.stateKept.subarray(j * N, j * N + N)));
        expect(Array.from(s.actions.subarray(i * K, i * K + K))).toEqual(Array.from(m.samples.actions.subarray(j * K, j * K + K)));
        expect(Array.from(s.rewards.subarray(i * K, i * K + K))).toEqual(Array.from(m.samples.rewards.subarray(j * K, j * K + K)));
      }
    }
    expect(j).toBe(m.samples.count);
    // the streamed play counts are the in-memory ones
    expect(Buffer.from(shardedPlayCounts(many, SPLIT).buffer).equals(Buffer.from(m.plays.buffer))).toBe(true);
  }, 60_000);

  it("visits every shard in the seeded order, each for its share of updates, and reshuffles the next pass", async () => {
    const counts = Array.from({ length: many.shardCount }, (_, k) => shardWindows(many, SPLIT, { N, K }).load(k).count);
    const loads: { w: number; n: number; pass: number; at: number }[] = [];
    let trainer: Trainer | null = null;
    const { agent, env } = await streamLearner(many, (w, n, pass) => loads.push({ w, n, pass, at: trainer?.totalUpdates ?? 0 }));
    trainer = new Trainer(agent, env, { seed: SEED, maxSteps: 25 });
    const total = counts.reduce((s, c) => s + shareOf(c, B), 0);
    trainer.run(Math.ceil(total / 25) + 1); // a full pass and the start of the next
    const pass0 = loads.filter((l) => l.pass === 0);
    expect(pass0.map((l) => l.w)).toEqual(Array.from(env.orderOf(0)));
    expect(new Set(pass0.map((l) => l.w)).size).toBe(many.shardCount);
    expect(pass0.map((l) => l.n)).toEqual(Array.from(env.orderOf(0), (k) => counts[k]));
    // each window served its share before the next was loaded (an empty one is passed over)
    let at = 0;
    for (const l of pass0) {
      expect(l.at).toBe(at);
      at += l.n > 0 ? shareOf(l.n, B) : 0;
    }
    const pass1 = loads.filter((l) => l.pass === 1);
    expect(pass1.length).toBeGreaterThan(0);
    expect(pass1[0].at).toBe(total);
    expect(Array.from(env.orderOf(1))).not.toEqual(Array.from(env.orderOf(0)));
  }, 120_000);

  it("a checkpoint taken mid-window resumes exactly as the uninterrupted run", async () => {
    const straight = await streamLearner(many);
    const ts = new Trainer(straight.agent, straight.env, { seed: SEED, maxSteps: 13 });
    const all = ts.run(10);
    const first = await streamLearner(many);
    const tf = new Trainer(first.agent, first.env, { seed: SEED, maxSteps: 13 });
    tf.run(5);
    const at = first.env.getState();
    expect(at.drawn).toBeGreaterThan(0); // inside a window, past its first shard
    expect(at.pass * many.shardCount + at.position).toBeGreaterThan(0);
    const bytes = encodeModel(first.agent, ID(), tf);
    const again = await streamLearner(many); // a fresh agent, stream and trainer, as in a new process
    const tr = new Trainer(again.agent, again.env, { seed: SEED, maxSteps: 13 });
    applyModel(decodeModel(bytes, "ckpt"), again.agent, tr);
    expect(again.env.getState()).toEqual(at);
    expect(tr.run(5)).toEqual(all.slice(5));
    expect(Buffer.from(encodeModel(again.agent, ID(), tr)).equals(Buffer.from(encodeModel(straight.agent, ID(), ts)))).toBe(true);
    // a streamed checkpoint does not resume against samples in memory, nor the reverse
    const m = inMemory();
    const inMem = new Trainer(again.agent, new LoggedTransitions(m.samples, again.agent.config.listGamma), { seed: SEED, maxSteps: 13 });
    expect(() => applyModel(decodeModel(bytes, "ckpt"), again.agent, inMem)).toThrow(/streamed from a sharded dataset/);
    expect(() => again.env.setState({ ...at, samples: at.samples + 1 })).toThrow(/the checkpoint recorded/);
    // a damaged position is caught when the file is checked, before anything is built
    const decoded = decodeModel(bytes, "ckpt");
    expect(modelProblem(decoded.header, decoded.file)).toBe("");
    const header = JSON.parse(JSON.stringify(decoded.header));
    header.trainer.stream.drawn = -1;
    expect(modelProblem(header, decoded.file)).toMatch(/trainer\.stream lacks/);
  }, 120_000);
});

describe("train --dataset <shards>", () => {
  const base = { embeddings: "", out: "", env: "logged" as const, episodes: 4, steps: 6, networks: "listwise" as const, seed: SEED, config: { batch: B, gamma: 0 }, train: {}, checkpointEvery: 0, command: "test" };

  it("a library call that leaves γ out (the agent's default 0.99) is refused with the clear message, before training", async () => {
    const out = join(dir, "no-gamma.encore");
    await expect(train({ ...base, config: { batch: B }, dataset: manyDir, embeddings: embPath, out })).rejects.toThrow(/--env logged .* needs --gamma 0, .*\(got --gamma 0\.99, --rerank 10,/);
    expect(existsSync(out)).toBe(false);
  });

  it("the same seed gives a byte-identical model file; the model records the hash split, the dataset and the recent sessions", async () => {
    const run = (out: string, seed = SEED) => train({ ...base, dataset: manyDir, embeddings: embPath, out: join(dir, out), seed, recentSessions: 150 });
    const warnings: string[] = [];
    await train({ ...base, dataset: manyDir, embeddings: embPath, out: join(dir, "m1.encore"), recentSessions: 150, onWarning: (w) => warnings.push(w) });
    await run("m2.encore");
    await run("m3.encore", SEED + 1);
    const b1 = readFileSync(join(dir, "m1.encore")), b2 = readFileSync(join(dir, "m2.encore")), b3 = readFileSync(join(dir, "m3.encore"));
    expect(b1.equals(b2)).toBe(true);
    expect(b1.equals(b3)).toBe(false);
    // the embeddings came from the cache (its shuffled split): said, not refused
    expect(warnings.join("\n")).toMatch(/shuffled split.*hash split/);
    const h = decodeModel(b1, "m1").header;
    expect(h.meta?.split).toEqual({ ...SPLIT, kind: "hash" });
    expect(h.meta?.dataset).toBe(manyDir);
    expect(h.meta?.recentSessions).toBe(150);
    expect(h.meta?.sourceSessions).toBe(150);
    // the sources' sessions in the file are the 150 most recent training sessions
    const recent = many.recent("train", SPLIT, 150).sessions;
    expect(Array.from(decodeModel(b1, "m1").file.i32("sources.offsets"))).toEqual(Array.from(recent.sessionOffsets));
  }, 180_000);

  it("a model trained from shards loads and recommends 3 distinct unheard tracks", async () => {
    const model = join(dir, "m1.encore");
    expect(existsSync(model)).toBe(true);
    const s = 5, a = mem.sessionOffsets[s];
    const history = Array.from(mem.tracks.subarray(a, a + N), (t) => mem.vocab.id(t));
    const recs = await recommend({ model, embeddings: embPath, history });
    expect(recs).toHaveLength(3);
    expect(new Set(recs.map((r) => r.track_id)).size).toBe(3);
    for (const r of recs) {
      expect(history).not.toContain(r.track_id);
      expect(Number.isFinite(r.score)).toBe(true);
    }
  }, 60_000);

  it("--resume continues exactly as the uninterrupted run", async () => {
    const o = { ...base, dataset: manyDir, embeddings: embPath, recentSessions: 150, steps: 17 };
    const straight = await train({ ...o, episodes: 6, out: join(dir, "straight.encore") });
    await train({ ...o, episodes: 3, out: join(dir, "half.encore") });
    const rest = await train({ ...o, episodes: 6, out: join(dir, "half.encore"), resume: join(dir, "half.encore") });
    expect(rest.resumedFrom).toBe(3);
    expect(rest.metrics).toEqual(straight.metrics);
    expect(readFileSync(join(dir, "half.encore")).equals(readFileSync(join(dir, "straight.encore")))).toBe(true);
  }, 180_000);

  it("refuses --env lird, and --env listener without the generator's manifest", async () => {
    await expect(train({ ...base, dataset: manyDir, embeddings: embPath, out: join(dir, "lird.encore"), env: "lird" })).rejects.toThrow(/--env lird builds its simulator .* use --env logged/);
    // these logs come from writeSynthetic without synth.json: no ground-truth listener
    await expect(train({ ...base, dataset: manyDir, embeddings: embPath, out: join(dir, "listener.encore"), env: "listener" })).rejects.toThrow(/the listener environment needs synthetic data/);
    expect(existsSync(join(dir, "lird.encore")) || existsSync(join(dir, "listener.encore"))).toBe(false);
  }, 60_000);
});

describe.skipIf(!existsSync(CLI))("encore CLI on a sharded dataset", () => {
  let cwd = "";
  const { run, ok } = cliRunner(() => cwd, 180_000);
  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), "encore-train-shards-cli-"));
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it("prepare --shards → embed (cache) → train --dataset <shards> → resume → recommend, and the refusals", () => {
    ok("generate", "--sessions", "500", "--tracks", "600", "--seed", "4", "--json");
    ok("prepare", "--json", ".encore/data/log_synth.csv", "--tf", ".encore/data/tf_synth.csv");
    const sh = JSON.parse(ok("prepare", "--json", ".encore/data/log_synth.csv", "--tf", ".encore/data/tf_synth.csv", "--shards", "shards", "--memory-budget", "256"));
    expect(sh.sessions).toBe(500);
    ok("embed", "--json", "--epochs", "1");
    const args = ["train", "--json", "--dataset", "shards", "--steps", "5", "--batch", "16", "--recent-sessions", "100"];
    const lines = ok(...args, "--episodes", "4").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((m) => m.updates)).toEqual([5, 5, 5, 5]);
    for (const m of lines) expect(Number.isFinite(m.criticLoss) && Number.isFinite(m.meanQ)).toBe(true);
    const h = decodeModel(readFileSync(join(cwd, ".encore/model.encore")), "model").header;
    expect(h.meta?.split).toMatchObject({ kind: "hash" });
    expect(h.meta?.dataset).toBe("shards");
    expect(h.meta?.sourceSessions).toBe(100);
    // resuming on shards continues at episode 5, as the uninterrupted run
    const more = ok(...args, "--episodes", "6", "--resume", ".encore/model.encore").trim().split("\n").map((l) => JSON.parse(l));
    const straight = ok(...args, "--episodes", "6", "--out", "straight.encore").trim().split("\n").map((l) => JSON.parse(l));
    expect(more.map((m) => m.episode)).toEqual([5, 6]);
    expect(more).toEqual(straight.slice(4));
    const ids = readFileSync(join(cwd, ".encore/data/log_synth.csv"), "utf8").split("\n").slice(1, 11).map((l) => l.split(",")[3]);
    const recs = JSON.parse(ok("recommend", "--json", "--history", ids.join(",")));
    expect(recs).toHaveLength(3);
    expect(new Set(recs.map((r: { track_id: string }) => r.track_id)).size).toBe(3);
    for (const r of recs) expect(ids).not.toContain(r.track_id);
    // the listener environment works from the shards' vocabulary (synth.json beside the log)
    const listener = ok("train", "--json", "--dataset", "shards", "--env", "listener", "--steps", "4", "--episodes", "6", "--batch", "16", "--out", "listener.encore").trim().split("\n");
    expect(listener).toHaveLength(6);
    const lird = run("train", "--dataset", "shards", "--env", "lird", "--episodes", "1", "--out", "lird.encore");
    expect(lird.code).not.toBe(0);
    expect(lird.stderr).toMatch(/--env lird .* on a sharded dataset \(shards\) use --env logged/);
    expect(lird.stderr).not.toMatch(/\n\s+at /);
    const cacheRecent = run("train", "--recent-sessions", "10", "--episodes", "1", "--out", "c.encore");
    expect(cacheRecent.code).not.toBe(0);
    expect(cacheRecent.stderr).toMatch(/--recent-sessions bounds .* is a dataset cache/);
    expect(existsSync(join(cwd, "lird.encore")) || existsSync(join(cwd, "c.encore"))).toBe(false);
    expect(ok("train", "--help").replace(/\s+/g, " ")).toContain("the candidate sources see the most recent --recent-sessions training sessions");
  }, 300_000);
});
