// `encore evaluate` on a sharded dataset (src/cli/shards-evaluate.ts, src/eval/stream.ts)
// against the in-memory evaluation of the same sessions: synthetic logs built both as a
// dataset cache and as shards, embeddings and a small model trained on the cache (the same
// vocabulary), then
//   (a) the sharded evaluation, with --recent-sessions covering every training session, gives
//       the in-memory evaluate() figures over the same hash split, bit for bit;
//   (b) how the sessions are cut into shards changes nothing;
//   (c) the --max-sessions subsample is the hash rule's, deterministic, and about the size asked;
//   (d) the CLI end to end on shards, and its refusals.
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildShardedDataset, openShardedDataset } from "../src/data/shards.js";
import { writeSynthetic } from "../src/data/synth-write.js";
import { hashSplit, hashUnit } from "../src/data/split.js";
import { DEFAULT_SPLIT, embed, evaluateCommand, loadDataset, loadModel, prepare, train, trainingSessionsOf, type EvaluateCommandOptions } from "../src/cli/pipeline.js";
import { loadEmbeddings } from "../src/embed/file.js";
import { DdpgPolicy } from "../src/agent/policy.js";
import { ItemKnnPolicy, PopularPolicy, RandomPolicy } from "../src/eval/baselines.js";
import { fitMarkov, fitSknn, fitVsknn } from "../src/eval/session-baselines.js";
import { evaluate } from "../src/eval/protocols.js";
import { inHashSubsample } from "../src/eval/stream.js";
import type { ProtocolResult } from "../src/eval/types.js";
import { CLI, cliRunner } from "./util/cli.js";


/** Exact number strings: two results are equal only when every figure is the same double (NaN too). */
function exact(x: unknown): string {
  return JSON.stringify(x, (_k, v) => (typeof v === "number" ? (Object.is(v, -0) ? "-0" : String(v)) : v));
}

let dir = "";
let log = "", tf = "", cache = "", embPath = "", modelPath = "";
const SESSIONS = 700;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "encore-eval-shards-"));
  const w = await writeSynthetic({ dir: join(dir, "data"), seed: 7, numSessions: SESSIONS, model: { numTracks: 300 } });
  log = w.logPath;
  tf = w.tfPath;
  cache = join(dir, "dataset.bin");
  await prepare({ logs: [log], trackFeatures: [tf], cache, filters: {}, lenient: false });
  embPath = join(dir, "embeddings.bin");
  await embed({ dataset: cache, out: embPath, kind: "hybrid", d: 16, epochs: 1, minCount: 1, seed: 0, split: DEFAULT_SPLIT });
  modelPath = join(dir, "model.encore");
  // listwise networks re-ranking with candidate sources (fitted from the sessions the model file carries)
  await train({ dataset: cache, embeddings: embPath, out: modelPath, env: "logged", episodes: 2, steps: 3, networks: "listwise", seed: 0, config: { batch: 16, gamma: 0 }, train: {}, checkpointEvery: 0, command: "test" });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function shards(name: string, shardSessions: number): Promise<string> {
  const out = join(dir, name);
  await buildShardedDataset({ logs: [log], trackFeatures: [tf] }, out, {}, { shardSessions });
  return out;
}

function options(dataset: string, out: string, over: Partial<EvaluateCommandOptions> = {}): EvaluateCommandOptions {
  return {
    dataset, embeddings: embPath, model: modelPath, out: join(dir, out), protocols: ["original", "next-tracks"], seeds: [0, 1],
    maxSessions: 0, episodes: 4, bootstrap: 200, command: "test", recentSessions: 1_000_000, ...over,
  };
}

/** The in-memory evaluation over the hash split: evaluateCommand's policies, fitted on every training session in memory. */
async function inMemory(protocols: ("original" | "next-tracks")[]): Promise<ProtocolResult[]> {
  const { dataset } = loadDataset(cache);
  const emb = await loadEmbeddings(embPath, { vocab: dataset.vocab });
  const split = hashSplit(dataset.sessionCount, DEFAULT_SPLIT);
  const tr = trainingSessionsOf(dataset, split.train);
  const { agent } = await loadModel(modelPath, emb);
  const { N, K } = agent.config;
  return evaluate({
    protocols, seeds: [0, 1], N, K, bootstrap: { B: 200 }, data: dataset, split,
    policies: [new DdpgPolicy(agent), new RandomPolicy(dataset.trackCount), PopularPolicy.fit(tr), ItemKnnPolicy.fit(tr), fitMarkov(tr), fitSknn(tr), fitVsknn(tr)],
    nextTracks: { embeddings: { E: emb.E, d: emb.d } },
  });
}

describe("evaluate from a sharded dataset", () => {
  it("(a) gives the in-memory figures over the same hash split, bit for bit, and says it is sharded", async () => {
    const ds = await shards("s50", 50);
    expect(openShardedDataset(ds).shardCount).toBeGreaterThan(5);
    const warnings: string[] = [];
    const { report, files } = await evaluateCommand(options(ds, "rep-a", { onWarning: (w) => warnings.push(w) }));
    const mem = await inMemory(["original", "next-tracks"]);
    expect(report.protocols.map((p) => p.protocol)).toEqual(["original", "next-tracks"]);
    expect(exact(report.protocols)).toBe(exact(mem));
    // the figures are not degenerate: every policy has a next-tracks hit rate over the test sessions
    const hit = report.protocols[1].metrics.find((m) => m.metric === "hit_rate@3")!;
    expect(Object.keys(hit.values)).toEqual(["ddpg", "random", "popular", "item-knn", "markov", "sknn", "vsknn"]);
    const split = hashSplit(SESSIONS, DEFAULT_SPLIT);
    expect(report.dataset.train_sessions).toBe(split.train.length);
    expect(report.dataset.test_sessions).toBe(split.test.length);
    expect(report.dataset.evaluated_test_sessions).toBe(split.test.length);
    expect(report.dataset.recent_training_sessions).toBe(split.train.length);
    expect(report.dataset.form).toMatch(/^sharded \(\d+ shards/);
    expect(report.dataset.split).toBe(`hash per session (seed ${DEFAULT_SPLIT.seed}, train fraction ${DEFAULT_SPLIT.trainFraction})`);
    expect(report.dataset.shards).toBe(openShardedDataset(ds).shardCount);
    expect(existsSync(files.json) && existsSync(files.html)).toBe(true);
    // embeddings built on the cache's shuffle split: said, not refused
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/shuffle split; a sharded dataset is split per session by hash/);
    // the item-kNN and Markov fits' spill files are gone
    expect(readdirSync(ds).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  }, 120_000);

  it("(b) does not depend on how the sessions are cut into shards", async () => {
    const a = await evaluateCommand(options(await shards("s1", 1), "rep-b1"));
    const b = await evaluateCommand(options(await shards("s123", 123), "rep-b2"));
    const c = await evaluateCommand(options(await shards("sall", 10_000), "rep-b3"));
    expect(openShardedDataset(join(dir, "s1")).shardCount).toBe(SESSIONS);
    expect(openShardedDataset(join(dir, "sall")).shardCount).toBe(1);
    expect(exact(b.report.protocols)).toBe(exact(a.report.protocols));
    expect(exact(c.report.protocols)).toBe(exact(a.report.protocols));
  }, 180_000);

  it("fits SKNN and V-SKNN on the most recent training sessions only when --recent-sessions is below their count", async () => {
    const ds = join(dir, "s123");
    const few = await evaluateCommand(options(ds, "rep-recent", { recentSessions: 40, protocols: ["next-tracks"] }));
    expect(few.report.dataset.recent_training_sessions).toBe(40);
    const all = await evaluateCommand(options(ds, "rep-all", { protocols: ["next-tracks"] }));
    const v = (r: ProtocolResult[], p: string) => r[0].metrics.find((m) => m.metric === "hit_rate@3")!.values[p];
    // the other policies are unchanged; SKNN, fitted on 40 sessions, is not
    expect(exact(v(few.report.protocols, "item-knn"))).toBe(exact(v(all.report.protocols, "item-knn")));
    expect(exact(v(few.report.protocols, "sknn"))).not.toBe(exact(v(all.report.protocols, "sknn")));
  }, 120_000);

  it("(c) --max-sessions subsamples the test part by the hash rule: deterministic, about the size asked", async () => {
    const ds = join(dir, "s123");
    const want = 120;
    const r1 = await evaluateCommand(options(ds, "rep-c1", { maxSessions: want }));
    const r2 = await evaluateCommand(options(ds, "rep-c2", { maxSessions: want }));
    expect(exact(r2.report.protocols)).toBe(exact(r1.report.protocols));
    const test = hashSplit(SESSIONS, DEFAULT_SPLIT).test;
    const kept = Array.from(test).filter((s) => hashUnit(DEFAULT_SPLIT.seed, s) < DEFAULT_SPLIT.trainFraction + want / SESSIONS);
    expect(r1.report.dataset.evaluated_test_sessions).toBe(kept.length);
    // binomial(test, want/test): within 4 standard deviations
    expect(Math.abs(kept.length - want)).toBeLessThan(4 * Math.sqrt(want));
    // the same sessions as the in-memory evaluation of that subsample
    const { dataset } = loadDataset(cache);
    const emb = await loadEmbeddings(embPath, { vocab: dataset.vocab });
    const { agent } = await loadModel(modelPath, emb);
    const split = hashSplit(dataset.sessionCount, DEFAULT_SPLIT), tr = trainingSessionsOf(dataset, split.train);
    const mem = evaluate({
      protocols: ["original", "next-tracks"], seeds: [0, 1], N: agent.config.N, K: agent.config.K, bootstrap: { B: 200 }, data: dataset, split: { train: split.train, test: kept },
      policies: [new DdpgPolicy(agent), new RandomPolicy(dataset.trackCount), PopularPolicy.fit(tr), ItemKnnPolicy.fit(tr), fitMarkov(tr), fitSknn(tr), fitVsknn(tr)],
      nextTracks: { embeddings: { E: emb.E, d: emb.d } },
    });
    expect(exact(r1.report.protocols)).toBe(exact(mem));
    // the rule on a large index range: the share kept is max / expected test sessions
    const S = 200_000, max = 5_000;
    let n = 0, test2 = 0;
    for (let s = 0; s < S; s++) {
      if (hashUnit(3, s) < 0.7) continue;
      test2++;
      if (inHashSubsample(s, 3, 0.7, max, S)) n++;
    }
    expect(Math.abs(test2 - 0.3 * S)).toBeLessThan(4 * Math.sqrt(S * 0.21));
    expect(Math.abs(n - max)).toBeLessThan(4 * Math.sqrt(max));
    expect(inHashSubsample(12, 3, 0.7, 0, S)).toBe(true);
  }, 180_000);
});

describe.skipIf(!existsSync(CLI))("encore evaluate --dataset <shards folder>", () => {
  it("(d) prepare --shards → evaluate writes the report; the online protocol runs on synthetic shards and is refused on others", () => {
    const cwd = join(dir, "cli");
    mkdirSync(cwd, { recursive: true });
    const { run, ok } = cliRunner(() => cwd, 300_000);
    ok("generate", "--sessions", "500", "--tracks", "300", "--seed", "4", "--json");
    ok("prepare", "--json", ".encore/data/log_synth.csv", "--tf", ".encore/data/tf_synth.csv");
    const sh = JSON.parse(ok("prepare", "--json", ".encore/data/log_synth.csv", "--tf", ".encore/data/tf_synth.csv", "--shards", "shards", "--memory-budget", "256"));
    ok("embed", "--json", "--epochs", "1");
    ok("train", "--json", "--steps", "3", "--episodes", "2", "--batch", "16");
    const r = run("evaluate", "--json", "--dataset", "shards", "--seeds", "0", "--episodes", "8", "--bootstrap", "100", "--recent-sessions", "100", "--out", "rep");
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    // synthetic shards of one generated log: all three protocols by default
    expect(report.protocols.map((p: ProtocolResult) => p.protocol)).toEqual(["original", "next-tracks", "online"]);
    expect(report.dataset.shards).toBe(sh.shards);
    expect(report.dataset.sessions).toBe(500);
    expect(report.dataset.form).toMatch(/^sharded/);
    expect(report.dataset.split).toMatch(/^hash per session/);
    expect(report.dataset.recent_training_sessions).toBe(100);
    expect(report.dataset.evaluated_test_sessions).toBeGreaterThan(0);
    expect(report.title).toMatch(/\(shards, sharded\)$/);
    expect(r.stderr).toMatch(/warning: .*shuffle split/);
    expect(JSON.parse(readFileSync(join(cwd, "rep/report.json"), "utf8")).protocols).toHaveLength(3);
    expect(readFileSync(join(cwd, "rep/report.html"), "utf8")).toContain("<svg");
    // the same log away from its synth.json: real-data shards, where the online protocol is refused
    mkdirSync(join(cwd, "real"), { recursive: true });
    copyFileSync(join(cwd, ".encore/data/log_synth.csv"), join(cwd, "real/log_x.csv"));
    ok("prepare", "--json", "real/log_x.csv", "--tf", ".encore/data/tf_synth.csv", "--shards", "real-shards");
    const refused = run("evaluate", "--dataset", "real-shards", "--protocols", "online", "--seeds", "0", "--out", "rep-refused");
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/the online protocol needs synthetic data from 'encore generate'.*drop 'online' on real MSSD data \(real-shards was built from .*log_x\.csv\)/);
    expect(existsSync(join(cwd, "rep-refused"))).toBe(false);
    // by default, real-data shards get the offline protocols only
    const offline = JSON.parse(ok("evaluate", "--json", "--dataset", "real-shards", "--seeds", "0", "--max-sessions", "50", "--bootstrap", "100", "--out", "rep-real"));
    expect(offline.protocols.map((p: ProtocolResult) => p.protocol)).toEqual(["original", "next-tracks"]);
    expect(offline.title).toMatch(/^encore evaluation: MSSD/);
    // a folder that is not a sharded dataset
    mkdirSync(join(cwd, "empty"));
    const bad = run("evaluate", "--dataset", "empty", "--seeds", "0");
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/empty: a folder without manifest\.bin/);
  }, 240_000);
});
