// A small trained model on synthetic data, made with the CLI's pipeline functions (the same
// files `encore demo` writes): generate → prepare → embed → train against the listener.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embed, generate, loadDataset, prepare, train, DEFAULT_SPLIT } from "../../src/cli/pipeline.js";

export interface TinyModel {
  /** Folder laid out like `encore demo`'s: model.encore, embeddings.bin, data/synth.json. */
  dir: string;
  model: string;
  embeddings: string;
  synth: string;
  /** The first 10 distinct tracks of the first session that has 10: a history every test can use. */
  history: string[];
}

export async function makeTinyModel(prefix: string, o: { sessions?: number; tracks?: number; episodes?: number } = {}): Promise<TinyModel> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const data = join(dir, "data"), cache = join(dir, "dataset.bin"), embeddings = join(dir, "embeddings.bin"), model = join(dir, "model.encore");
  const g = await generate({ dir: data, sessions: o.sessions ?? 300, tracks: o.tracks ?? 400, seed: 5, gzip: false });
  await prepare({ logs: [join(data, g.log)], trackFeatures: [join(data, g.tf)], cache, filters: {}, lenient: false });
  await embed({ dataset: cache, out: embeddings, kind: "hybrid", d: 16, epochs: 1, minCount: 2, seed: 5, split: DEFAULT_SPLIT });
  await train({
    dataset: cache, embeddings, out: model, env: "listener", episodes: o.episodes ?? 8, steps: 4, networks: "original", seed: 5,
    config: { actorLr: 1e-3, tau: 0.01, batch: 16 }, train: {}, checkpointEvery: 0, command: "test",
  });
  const { dataset } = loadDataset(cache);
  let history: string[] = [];
  for (let s = 0; s < dataset.sessionCount && history.length < 10; s++) {
    history = [];
    for (let r = dataset.sessionOffsets[s]; r < dataset.sessionOffsets[s + 1] && history.length < 10; r++) {
      const id = dataset.vocab.id(dataset.tracks[r]);
      if (!history.includes(id)) history.push(id);
    }
  }
  if (history.length < 10) throw new Error("tiny model: no session has 10 distinct tracks");
  return { dir, model, embeddings, synth: join(data, "synth.json"), history };
}
