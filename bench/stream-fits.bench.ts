// Fitting the item-kNN baseline on synthetic sessions (the default 10,000-track catalog): the
// streaming fit (ItemKnnPolicy.fitStream over chunks of sessions, pair counts in sorted runs,
// src/eval/pair-runs.ts) beside the in-memory fit it replaced (test/reference/baselines.ts),
// validated to give the same neighbour lists. Peak memory at scale is measured by
// bench/fit-scale.ts, not here.
import { type BenchCase } from "./harness.js";
import { noEngine } from "./common.js";
import { LOG_FLAG } from "../src/data/log-parser.js";
import { ListenerModel } from "../src/data/synth.js";
import { SessionSimulator } from "../src/data/synth-log.js";
import { ItemKnnPolicy, type TrainingSessions } from "../src/eval/baselines.js";
import { itemKnnFitReference } from "../test/reference/baselines.js";

/** Sessions [from, from + n) of the simulator as training sessions (skip_2 in the flags). */
export function simulatedSessions(sim: SessionSimulator, from: number, n: number): TrainingSessions {
  const off = new Int32Array(n + 1);
  let rows = 0;
  const tracks: number[] = [], flags: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = sim.simulate(from + i);
    for (let p = 0; p < s.length; p++) {
      tracks.push(s.track[p]);
      flags.push(s.skip2[p] ? LOG_FLAG.skip_2 : 0);
    }
    rows += s.length;
    off[i + 1] = rows;
  }
  return { V: sim.model.numTracks, sessionOffsets: off, tracks: Int32Array.from(tracks), flags: Uint16Array.from(flags) };
}

const SESSIONS = 20_000, CHUNK = 2_000;

export async function cases(): Promise<BenchCase[]> {
  const model = new ListenerModel();
  const sim = new SessionSimulator(model, { numSessions: SESSIONS });
  const chunks: TrainingSessions[] = [];
  for (let from = 0; from < SESSIONS; from += CHUNK) chunks.push(simulatedSessions(sim, from, CHUNK));
  const whole = simulatedSessions(sim, 0, SESSIONS);
  const V = model.numTracks;
  let streamed: ItemKnnPolicy | null = null;
  let reference: ReturnType<typeof itemKnnFitReference> | null = null;
  const stream = (): void => {
    streamed = ItemKnnPolicy.fitStream(chunks, V);
  };
  const inMemory = (): void => {
    reference = itemKnnFitReference(whole);
  };
  return noEngine([
    {
      name: `item-knn fit ${SESSIONS} sessions (10k-track catalog, window 5, 200 neighbours)`,
      subject: { label: `streaming fit, chunks of ${CHUNK}`, fn: stream },
      baseline: { label: "in-memory fit (before streaming)", fn: inMemory },
      validate: () => {
        stream();
        inMemory();
        const s = streamed!, r = reference!;
        const same = (x: ArrayLike<number>, y: ArrayLike<number>): boolean => x.length === y.length && Array.prototype.every.call(x, (v: number, i: number) => v === y[i]);
        if (!same(s.nbrStart, r.nbrStart) || !same(s.nbr, r.nbr) || !same(s.sim, r.sim)) throw new Error("streaming and in-memory item-kNN fits differ");
        if (s.nbr.length < V * 50) throw new Error(`only ${s.nbr.length} neighbours kept over ${V} tracks`);
      },
      extra: (ms) => ({ sessions_per_s: Math.round((SESSIONS / ms) * 1000), neighbours: (streamed as ItemKnnPolicy | null)?.nbr.length ?? 0 }),
    },
  ]);
}
