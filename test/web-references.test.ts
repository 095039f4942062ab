// The demo page's reference lines (src/web/references.ts), in Node: the popular policy fitted
// on sessions re-simulated from the listener is the one `encore evaluate` fits on the dataset's
// training split (the same play counts), and the figures are those of the CLI's online
// protocol with the CLI's baselines in the same environment.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { makeTinyModel, type TinyModel } from "./util/tiny-model.js";
import { DEFAULT_SPLIT, listenerEnvFor, loadDataset, splitOf } from "../src/cli/pipeline.js";
import { PopularPolicy, RandomPolicy, trainingPlayCounts as datasetPlayCounts } from "../src/eval/baselines.js";
import { runOnline } from "../src/eval/protocols.js";
import { ListenerModel } from "../src/data/synth.js";
import { listenerReferences, trainingPlayCounts, type ReferenceListener } from "../src/web/references.js";

let tiny: TinyModel;
beforeAll(async () => {
  tiny = await makeTinyModel("encore-refs-");
}, 60_000);
afterAll(async () => {
  if (tiny) await rm(tiny.dir, { recursive: true, force: true });
});

describe("listener references for the demo page", () => {
  it("popularity from re-simulated sessions equals the CLI's fit on the dataset's training split; the figures equal the CLI's online protocol", () => {
    const spec = JSON.parse(readFileSync(tiny.synth, "utf8")) as ReferenceListener;
    const { dataset, logs } = loadDataset(join(tiny.dir, "dataset.bin"));
    const ids = dataset.vocab.ids();
    const split = splitOf(dataset, DEFAULT_SPLIT);
    const cli = datasetPlayCounts({ V: dataset.trackCount, sessionOffsets: dataset.sessionOffsets, tracks: dataset.tracks, sessions: split.train });
    const mine = trainingPlayCounts(spec, new ListenerModel({ ...spec.model, seed: spec.seed }), ids);
    expect(Array.from(mine)).toEqual(Array.from(cli));
    expect(cli.reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);

    const refs = listenerReferences(spec, ids, { N: 10, K: 3, steps: 4, episodes: 24, seed: 0 });
    const env = listenerEnvFor(dataset, logs, 4);
    const r = runOnline(env, [new RandomPolicy(dataset.trackCount), new PopularPolicy(cli)], { seeds: [0], episodes: 24, bootstrap: { B: 100 } });
    const reward = r.metrics.find((m) => m.metric === "episode_reward")!.values;
    expect(refs.values).toEqual({ random: reward.random.mean, popular: reward.popular.mean });
    expect(refs.episodes).toBe(24);
  }, 60_000);
});
