// The next-tracks evaluation of a DDPG agent (what `encore evaluate` runs for the agent), on one
// thread and on BENCH_THREADS threads of the fastest build, in the same process: 100 held-out
// synthetic sessions of 20 rows (800 states, N = 10, K = 3) in batches of 128 states, a catalog of
// 20,000 random track vectors (d = 32; too few rows for the top-k's row split, so the threads
// split each batch's 384-query top-k by listeners), encore's re-ranking networks (pooled history,
// actor 64-64, item critic, per-track bias, 10 candidates per slot). Two rows: the actor's
// candidates only (the engine's share of the work), and with the CLI's five candidate sources,
// whose JS (fitted tables, per-state features and the list choice) stays on the calling thread.
// Subject: the run on BENCH_THREADS threads; baseline: the same run on one thread (its ratio is
// the speedup column, and speedup_vs_1_thread is the paired median ratio). Validation: both give
// the same metrics, as exact doubles.
import type { BenchCase } from "./harness.js";
import { pairedRatio } from "./harness.js";
import { BENCH_THREADS, bestSimd, loadEngine } from "./common.js";
import { MemoryPlan } from "../src/engine/plan.js";
import { DdpgAgent, LISTWISE_NETWORKS } from "../src/agent/ddpg.js";
import { DdpgPolicy } from "../src/agent/policy.js";
import { fitSources } from "../src/eval/sources.js";
import { runNextTracks } from "../src/eval/protocols/next-tracks.js";
import type { EvalSessions } from "../src/eval/protocols/common.js";
import { Rng } from "../src/rng.js";

const V = 20_000, d = 32, N = 10, K = 3, TRAIN = 400, TEST = 100, LEN = 20, BATCH = 128;
const ALL_SOURCES = ["popular", "item-knn", "markov", "sknn", "vsknn"];

/** Seeded sessions: random walks through neighbourhoods of track indices, a third of the rows skipped. */
function sessions(): EvalSessions {
  const rng = new Rng(5), off = [0], tracks: number[] = [], flags: number[] = [];
  for (let s = 0; s < TRAIN + TEST; s++) {
    let t = rng.int(V);
    for (let r = 0; r < LEN; r++) {
      t = (t + 1 + rng.int(40)) % V;
      tracks.push(t);
      flags.push(rng.int(3) === 0 ? 2 : 0); // LOG_FLAG.skip_2
    }
    off.push(tracks.length);
  }
  return { trackCount: V, sessionOffsets: Int32Array.from(off), tracks: Int32Array.from(tracks), flags: Uint16Array.from(flags) };
}

async function evaluator(data: EvalSessions, sources: string[], threads: number): Promise<() => string> {
  const sourceSessions = { V, sessionOffsets: data.sessionOffsets, tracks: data.tracks, flags: data.flags };
  const plan = new MemoryPlan();
  const catalog = plan.f32("catalog", "data", V * d);
  const agent = new DdpgAgent(plan, { region: catalog, V, d }, { ...LISTWISE_NETWORKS, sources },
    { maxActBatch: BATCH, sources: fitSources(sources, sourceSessions), sourceSessions });
  await loadEngine(plan, { simd: bestSimd(), threads });
  const rng = new Rng(17);
  const e = catalog.f32();
  for (let i = 0; i < e.length; i++) e[i] = rng.normal() / Math.sqrt(d);
  agent.initialize(rng);
  const b = agent.bias!.value.f32();
  for (let t = 0; t < V; t++) b[t] = rng.normal() * 0.1;
  const train = Array.from({ length: TRAIN }, (_, i) => i), test = Array.from({ length: TEST }, (_, i) => TRAIN + i);
  const policies = [new DdpgPolicy(agent)];
  return () => JSON.stringify(runNextTracks(data, { train, test }, policies, { N, K, batch: BATCH, bootstrap: { B: 20 } }).metrics,
    (_k, v) => (typeof v === "number" ? String(v) : v));
}

export async function cases(): Promise<BenchCase[]> {
  const data = sessions();
  const out: BenchCase[] = [];
  for (const [label, sources] of [["actor candidates", []], ["5 sources", ALL_SOURCES]] as [string, string[]][]) {
    const one = await evaluator(data, sources, 1), many = await evaluator(data, sources, BENCH_THREADS);
    out.push({
      name: `evaluate next-tracks ddpg ${label} V=${V} states=${TEST * (LEN - N - K + 1)}`,
      simd: bestSimd(),
      threads: BENCH_THREADS,
      subject: { label: `${BENCH_THREADS} threads (top-k by listeners, dense layers by rows)`, fn: () => void many() },
      baseline: { label: "the same evaluation on 1 thread", fn: () => void one() },
      extra: () => ({ speedup_vs_1_thread: pairedRatio(() => void one(), () => void many(), 5) }),
      validate: () => {
        const a = one(), z = many();
        if (a !== z) throw new Error(`the ${BENCH_THREADS}-thread evaluation's metrics differ from one thread's`);
      },
    });
  }
  return out;
}
