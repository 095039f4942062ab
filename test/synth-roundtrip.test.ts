// Generator → readers round trip: the synthetic MSSD files load through the same strict
// readers as the real ones, and what the readers see is exactly what the generator simulated.
import { describe, it, expect } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeSynthetic } from "../src/data/synth-write.js";
import { SessionSimulator, formatTrack } from "../src/data/synth-log.js";
import { buildDataset } from "../src/data/dataset.js";
import { LOG_FLAG, CONTEXT_SHIFT } from "../src/data/log-parser.js";
import { FEATURE_COLUMNS } from "../src/data/tf-parser.js";
import { TF_NUMERIC_COLUMNS } from "../src/data/synth.js";

describe("synthetic MSSD through the readers", () => {
  it.each([false, true])("gzip %s: sessions, tracks, skips and features survive the trip exactly", async (gzip) => {
    const dir = mkdtempSync(join(tmpdir(), "encore-synth-"));
    try {
      const S = 800;
      const w = await writeSynthetic({ dir, seed: 12, numSessions: S, gzip, model: { numTracks: 2000 } });
      const ds = await buildDataset({ logs: [w.logPath], trackFeatures: [w.tfPath] });
      expect(ds.sessionCount).toBe(S);
      const sim = new SessionSimulator(w.model, { seed: 12, numSessions: S });
      let rows = 0;
      for (let s = 0; s < S; s++) {
        const g = sim.simulate(s);
        const tracks = ds.sessionTracks(s), flags = ds.sessionFlags(s);
        expect(tracks.length).toBe(g.length);
        for (let p = 0; p < g.length; p++) {
          // dataset indices map back to the generator's tracks through the ids
          expect(ds.vocab.id(tracks[p])).toBe(w.model.trackId(g.track[p]));
          expect((flags[p] & LOG_FLAG.skip_2) !== 0).toBe(g.skip2[p] === 1);
          expect((flags[p] & LOG_FLAG.not_skipped) !== 0).toBe(g.notSkipped[p] === 1);
          expect(flags[p] >> CONTEXT_SHIFT).toBe(g.context[p]);
        }
        rows += g.length;
      }
      expect(ds.rowCount).toBe(rows);
      // every played track has its features: exactly the f32 of the value the generator printed
      expect(FEATURE_COLUMNS).toEqual(TF_NUMERIC_COLUMNS);
      const F = FEATURE_COLUMNS.length;
      for (let t = 0; t < ds.trackCount; t += 7) {
        const row = ds.featureRow[t];
        expect(row).toBeGreaterThanOrEqual(0);
        const printed = formatTrack(w.model, w.model.trackIndex(ds.vocab.id(t))).split(",").slice(1);
        const want = printed.map((v) => Math.fround(v === "major" ? 1 : v === "minor" ? 0 : Number(v)));
        expect(Array.from(ds.features.subarray(row * F, row * F + F))).toEqual(want);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
