// The session baselines on the real MSSD slice (log_mini_100k): fitted on the training
// sessions of the seeded 70/30 split, next-tracks protocol on a seeded subsample of the test
// sessions (for speed). Figures are printed (with kept hit rate@3 from eval/validation.ts);
// the assertion is that Markov, SKNN and V-SKNN each beat popular on hit rate@3 with disjoint
// 95% intervals.
import { HAVE_REAL_LOG, HAVE_REAL_TF, REAL_LOG, REAL_TF } from "./util/mssd.js";
import { describe, expect, it } from "vitest";
import { buildDataset } from "../src/data/dataset.js";
import { splitSessions } from "../src/data/split.js";
import { ItemKnnPolicy, PopularPolicy } from "../src/eval/baselines.js";
import { fitMarkov, fitSknn, fitVsknn } from "../src/eval/session-baselines.js";
import { runNextTracks, subsampleSessions } from "../src/eval/protocols.js";
import { nextTrackHitRates } from "../src/eval/validation.js";

const haveReal = HAVE_REAL_LOG && HAVE_REAL_TF;
if (!haveReal) console.log(`skipping the session baselines' real-data test: ${REAL_LOG} or ${REAL_TF} not found`);

describe.skipIf(!haveReal)("session baselines on the real MSSD slice", () => {
  it("Markov, SKNN and V-SKNN beat popular on next-track hit rate@3", async () => {
    const ds = await buildDataset({ logs: [REAL_LOG], trackFeatures: [REAL_TF] });
    const split = splitSessions(ds.sessionCount, { trainFraction: 0.7, seed: 0 });
    const tr = { V: ds.trackCount, sessionOffsets: ds.sessionOffsets, tracks: ds.tracks, flags: ds.flags, sessions: split.train };
    const policies = [PopularPolicy.fit(tr), ItemKnnPolicy.fit(tr), fitMarkov(tr), fitSknn(tr), fitVsknn(tr)];
    const test = subsampleSessions(split.test, 600, 1);
    const r = runNextTracks(ds, { train: split.train, test }, policies, { N: 10, K: 3, seeds: [0], bootstrap: { B: 1000 } });
    const hit = r.metrics.find((m) => m.metric === "hit_rate@3")!.values;
    const kept = nextTrackHitRates(ds, test, policies);
    for (const p of policies) {
      const e = hit[p.name];
      console.log(`${p.name.padEnd(9)} hit rate@3 ${e.mean.toFixed(4)} [${e.lo.toFixed(4)}, ${e.hi.toFixed(4)}]  kept hit rate@3 ${kept.get(p.name)!.keptHit.toFixed(4)}  (${e.n} sessions)`);
      // the quick measurement and the protocol agree on the hit rate
      expect(kept.get(p.name)!.hit).toBeCloseTo(e.mean, 12);
    }
    for (const name of ["markov", "sknn", "vsknn"]) {
      expect(hit[name].lo, name).toBeGreaterThan(hit.popular.hi);
      expect(kept.get(name)!.keptHit, name).toBeGreaterThan(kept.get("popular")!.keptHit);
    }
  }, 60_000);
});
