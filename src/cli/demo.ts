// `encore demo`: the main job on the built-in synthetic data, end to end — generate sessions
// from the ground-truth listener, ingest them with the MSSD readers, learn hybrid embeddings
// (item2vec + audio features), train DDPG online against the listener, evaluate it beside the
// baselines under every protocol, and write the report.
import { join } from "node:path";
import { datasetSummary, embed, evaluateCommand, generate, prepare, train, DEFAULT_SPLIT } from "./pipeline.js";
import { Progress, ProtocolBars, formatSeconds } from "./progress.js";
import type { EvaluationReport } from "../eval/types.js";

export interface DemoOptions {
  dir: string;
  sessions: number;
  episodes: number;
  seed: number;
  command: string;
  log: (line: string) => void;
}

export async function runDemo(o: DemoOptions): Promise<{ report: EvaluationReport; files: { json: string; html: string } }> {
  const t0 = Date.now();
  const stage = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    const r = await f();
    o.log(`${name} done in ${formatSeconds((Date.now() - t) / 1000)}`);
    return r;
  };
  const data = join(o.dir, "data"), cache = join(o.dir, "dataset.bin"), emb = join(o.dir, "embeddings.bin"), model = join(o.dir, "model.encore");
  const g = await stage("generate", () => generate({ dir: data, sessions: o.sessions, tracks: 10_000, seed: o.seed, gzip: false }));
  const p = await stage("prepare", () => prepare({ logs: [join(data, g.log)], trackFeatures: [join(data, g.tf)], cache, filters: {}, lenient: false }));
  const s = datasetSummary(p.dataset);
  o.log(`  ${s.sessions} sessions, ${s.rows} plays, ${s.tracks} tracks, skip rate ${(100 * s.skip_rate).toFixed(1)}%`);
  const e = await stage("embed", () => embed({ dataset: cache, out: emb, kind: "hybrid", d: 32, epochs: 5, minCount: 5, seed: o.seed, split: DEFAULT_SPLIT }));
  o.log(`  ${e.method}: ${e.counts.item2vec} item2vec, ${e.counts.features} from features, ${e.counts.unknown} unknown`);
  const progress = new Progress("train", o.episodes);
  await stage("train", () => train({
    dataset: cache, embeddings: emb, out: model, env: "listener", episodes: o.episodes, steps: 4, networks: "listwise", seed: o.seed,
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
