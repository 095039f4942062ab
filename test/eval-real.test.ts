// The baselines on the real MSSD slice (log_mini_100k, the original project's session file):
// next-tracks protocol on a seeded 70/30 split, test sessions subsampled (seeded) to keep the
// test fast, and the original protocol's figures beside the logged reference.
// Figures are printed; the assertions are the orderings observed (item-kNN > popular > random
// on hit rate@3 with disjoint intervals).
import { HAVE_REAL_LOG, HAVE_REAL_TF, REAL_LOG, REAL_TF } from "./util/mssd.js";
import { describe, expect, it } from "vitest";

import { buildDataset, type MssdDataset } from "../src/data/dataset.js";
import { splitSessions } from "../src/data/split.js";
import { ItemKnnPolicy, PopularPolicy, RandomPolicy } from "../src/eval/baselines.js";
import { runNextTracks, runOriginal, subsampleSessions } from "../src/eval/protocols.js";
import type { ProtocolResult } from "../src/eval/types.js";

const LOG = REAL_LOG, TF = REAL_TF;
const haveReal = HAVE_REAL_LOG && HAVE_REAL_TF;
if (!haveReal) console.log(`skipping real-data evaluation tests: ${LOG} or ${TF} not found`);

function show(r: ProtocolResult): string {
  const lines = [`${r.protocol} (seeds ${r.seeds.join(",")})`];
  for (const m of r.metrics) {
    const v = Object.entries(m.values).map(([k, e]) => `${k} ${e.mean.toFixed(4)} [${e.lo.toFixed(4)}, ${e.hi.toFixed(4)}] n=${e.n}`);
    lines.push(`  ${m.metric}: ${v.join("; ")}${m.note ? ` ({note} ${m.note})` : ""}`);
  }
  return lines.join("\n");
}

describe.skipIf(!haveReal)("baselines on the real MSSD slice", () => {
  let ds: MssdDataset;
  let split: { train: Int32Array; test: Int32Array };
  let policies: [RandomPolicy, PopularPolicy, ItemKnnPolicy];

  it("builds, splits 70/30 and fits the baselines on training sessions", async () => {
    ds = await buildDataset({ logs: [LOG], trackFeatures: [TF] });
    split = splitSessions(ds.sessionCount, { trainFraction: 0.7, seed: 0 });
    const train = { V: ds.trackCount, sessionOffsets: ds.sessionOffsets, tracks: ds.tracks, flags: ds.flags, sessions: split.train };
    policies = [new RandomPolicy(ds.trackCount), PopularPolicy.fit(train), ItemKnnPolicy.fit(train)];
    console.log(`real slice: ${ds.sessionCount} sessions, ${ds.trackCount} tracks, ${ds.rowCount} rows; train ${split.train.length}, test ${split.test.length}`);
    expect(split.train.length + split.test.length).toBe(ds.sessionCount);
  }, 60_000);

  it("next-tracks: item-kNN > popular > random on hit rate@3", () => {
    const test = subsampleSessions(split.test, 600, 1);
    const r = runNextTracks(ds, { train: split.train, test }, policies, { N: 10, K: 3, seeds: [0], bootstrap: { B: 1000 } });
    console.log(show(r));
    const hit = r.metrics.find((m) => m.metric === "hit_rate@3")!.values;
    expect(hit["item-knn"].lo).toBeGreaterThan(hit.popular.hi);
    expect(hit.popular.lo).toBeGreaterThan(hit.random.hi);
  }, 60_000);

  it("original protocol: figures beside the logged reference", () => {
    const test = subsampleSessions(split.test, 600, 1);
    const r = runOriginal(ds, { test }, policies, { N: 10, K: 3, seeds: [0], bootstrap: { B: 1000 } });
    console.log(show(r));
    const skip = r.metrics.find((m) => m.metric === "skip_rate")!.values;
    const unknown = r.metrics.find((m) => m.metric === "unknown")!.values;
    // random almost never lands in the session: nearly every recommendation is unknown
    expect(unknown.random.mean).toBeGreaterThan(0.99);
    expect(skip.logged.mean).toBeGreaterThan(0.4);
    expect(skip.logged.mean).toBeLessThan(0.65);
  }, 60_000);
});
