// `encore demo`: the main job on the built-in synthetic data, end to end — generate sessions
// from the ground-truth listener, ingest them with the MSSD readers, learn hybrid embeddings
// (item2vec + audio features), train DDPG online against the listener, evaluate it beside the
// baselines under every protocol, and write the report.
//
// `encore demo --mssd DIR`: the same on real MSSD files (log_*.csv[.gz] and tf_*.csv[.gz] in
// DIR): prepare, item2vec embeddings with a vector for every track played in training (min-count
// 1), learning from the logged sessions (--env logged: no simulator stands in for the
// listeners), and evaluation under the original's protocol and next-tracks.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { datasetSummary, embed, evaluateCommand, generate, prepare, train, DEFAULT_SPLIT } from "./pipeline.js";
import { Progress, ProtocolBars, formatSeconds } from "./progress.js";
import type { EvaluationReport } from "../eval/types.js";

export interface DemoOptions {
  dir: string;
  sessions: number;
  /** Synthetic catalog size. Default 10,000. */
  tracks?: number;
  /** Training episodes (default: 8,000 online on synthetic data; 100 of 20 updates on MSSD). */
  episodes?: number;
  seed: number;
  /** A folder of real MSSD files: run on them instead of synthetic data. */
  mssd?: string;
  /** Seed of the 70/30 session split. Default 0. */
  splitSeed?: number;
  command: string;
  log: (line: string) => void;
}

/** The MSSD files of a folder: session logs log_*.csv[.gz] and track features tf_*.csv[.gz], sorted by name. */
export function mssdFiles(dir: string): { logs: string[]; tf: string[] } {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (e) {
    throw new Error(`--mssd ${dir}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such folder" : (e as Error).message}`);
  }
  const logs = names.filter((n) => /^log_.*\.csv(\.gz)?$/.test(n)).map((n) => join(dir, n));
  const tf = names.filter((n) => /^tf_.*\.csv(\.gz)?$/.test(n)).map((n) => join(dir, n));
  if (logs.length === 0) throw new Error(`--mssd ${dir}: no session log (log_*.csv or log_*.csv.gz) in the folder`);
  return { logs, tf };
}

/** Runs a named stage and logs how long it took. */
function stager(log: (line: string) => void) {
  return async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    const r = await f();
    log(`${name} done in ${formatSeconds((Date.now() - t) / 1000)}`);
    return r;
  };
}

export async function runDemo(o: DemoOptions): Promise<{ report: EvaluationReport; files: { json: string; html: string } }> {
  if (o.mssd !== undefined) return runMssdDemo(o, o.mssd);
  const t0 = Date.now();
  const stage = stager(o.log);
  const data = join(o.dir, "data"), cache = join(o.dir, "dataset.bin"), emb = join(o.dir, "embeddings.bin"), model = join(o.dir, "model.encore");
  const g = await stage("generate", () => generate({ dir: data, sessions: o.sessions, tracks: o.tracks ?? 10_000, seed: o.seed, gzip: false }));
  const p = await stage("prepare", () => prepare({ logs: [join(data, g.log)], trackFeatures: [join(data, g.tf)], cache, filters: {}, lenient: false }));
  const s = datasetSummary(p.dataset);
  o.log(`  ${s.sessions} sessions, ${s.rows} plays, ${s.tracks} tracks, skip rate ${(100 * s.skip_rate).toFixed(1)}%`);
  const split = { ...DEFAULT_SPLIT, seed: o.splitSeed ?? DEFAULT_SPLIT.seed };
  const e = await stage("embed", () => embed({ dataset: cache, out: emb, kind: "hybrid", d: 32, epochs: 5, minCount: 5, seed: o.seed, split }));
  o.log(`  ${e.method}: ${e.counts.item2vec} item2vec, ${e.counts.features} from features, ${e.counts.unknown} unknown`);
  const episodes = o.episodes ?? 8000;
  const progress = new Progress("train", episodes);
  await stage("train", () => train({
    dataset: cache, embeddings: emb, out: model, env: "listener", episodes, steps: 4, networks: "listwise", seed: o.seed,
    config: { gamma: 0 }, train: { noise: { kind: "gaussian", sigma: 0.5, sigmaMin: 0.5, decay: 1 }, temperature: 0.1, evalEvery: 500 },
    checkpointEvery: 0, command: o.command,
    onEpisode: (m, done) => progress.update(done, `reward ${m.reward.toFixed(2)}`),
  }));
  progress.done();
  const bars = new ProtocolBars();
  const r = await stage("evaluate", () => evaluateCommand({
    dataset: cache, embeddings: emb, model, out: join(o.dir, "report"), protocols: ["original", "next-tracks", "online"],
    seeds: [0, 1, 2], maxSessions: 1000, episodes: 200, bootstrap: 1000, command: o.command,
    onProgress: (p, done, total) => bars.update(p, done, total),
  }).finally(() => bars.done()));
  o.log(`demo finished in ${formatSeconds((Date.now() - t0) / 1000)}`);
  return r;
}

/** The whole job on real MSSD files (see the file header). */
async function runMssdDemo(o: DemoOptions, dir: string): Promise<{ report: EvaluationReport; files: { json: string; html: string } }> {
  const t0 = Date.now();
  const stage = stager(o.log);
  const files = mssdFiles(dir);
  const cache = join(o.dir, "dataset.bin"), emb = join(o.dir, "embeddings.bin"), model = join(o.dir, "model.encore");
  const p = await stage("prepare", () => prepare({ logs: files.logs, trackFeatures: files.tf, cache, filters: {}, lenient: false }));
  const s = datasetSummary(p.dataset);
  o.log(`  ${s.sessions} sessions, ${s.rows} plays, ${s.tracks} tracks (${s.tracks_with_features} with features), skip rate ${(100 * s.skip_rate).toFixed(1)}%`);
  const split = { ...DEFAULT_SPLIT, seed: o.splitSeed ?? DEFAULT_SPLIT.seed };
  const e = await stage("embed", () => embed({ dataset: cache, out: emb, kind: "item2vec", d: 32, epochs: 10, minCount: 1, seed: o.seed, split }));
  o.log(`  ${e.method}: ${e.counts.item2vec} item2vec, ${e.counts.features} from features, ${e.counts.unknown} unknown (tracks never played in the training split)`);
  for (const w of e.warnings) o.log(`warning: ${w}`);
  const episodes = o.episodes ?? 100;
  const progress = new Progress("train", episodes);
  await stage("train", () => train({
    dataset: cache, embeddings: emb, out: model, env: "logged", episodes, steps: 20, networks: "listwise", seed: o.seed,
    config: { gamma: 0 }, train: {}, checkpointEvery: 0, command: o.command,
    onEpisode: (m, done) => progress.update(done, `critic loss ${m.criticLoss.toPrecision(3)}`),
  }));
  progress.done();
  const bars = new ProtocolBars();
  const r = await stage("evaluate", () => evaluateCommand({
    dataset: cache, embeddings: emb, model, out: join(o.dir, "report"), protocols: ["original", "next-tracks"],
    seeds: [0, 1, 2], maxSessions: 0, episodes: 1, bootstrap: 1000, command: o.command,
    onProgress: (pr, done, total) => bars.update(pr, done, total),
  }).finally(() => bars.done()));
  o.log(`demo finished in ${formatSeconds((Date.now() - t0) / 1000)}`);
  return r;
}
