// `encore evaluate` on a sharded dataset (`encore prepare --shards`): the offline protocols
// over the test part of the per-session hash split, streamed shard by shard
// (src/eval/stream.ts), with the baselines fitted on the training part in bounded memory, and
// the same report as the single-file cache gives.
//
// The split is the hash split (src/data/split.ts) with the seed and train fraction the
// embeddings file records. Reads of the shards, in order: the training part three times
// (play counts, the item-kNN fit, the Markov fit), the last shards once more for the most
// recent training sessions (SKNN and V-SKNN, at most --recent-sessions of them), then the test
// part once for next-tracks and once per round (2) for original.
//
// Held in memory: one shard; the per-track arrays (vocabulary, play counts, features, the
// embeddings); the fitted baselines (item-kNN's neighbour lists, Markov's transitions, within
// their fits' budgets, spilling sorted runs beside the dataset while fitting); the recent
// training sessions; the model; and the protocols' per-session records (src/eval/stream.ts: a
// about 3 KB a 16-row test session under 7 policies and 3 seeds, bounded by --max-sessions).
import { basename, join } from "node:path";
import type { ShardedDataset, ShardChunk } from "../data/shards.js";
import { loadEmbeddings } from "../embed/file.js";
import { DdpgPolicy } from "../agent/policy.js";
import { ItemKnnPolicy, PopularPolicy, RandomPolicy, popularityOrder, trainingPlayCountsStream } from "../eval/baselines.js";
import { MarkovSource, SessionKnnSource, SKNN_DEFAULTS, VSKNN_DEFAULTS } from "../eval/session-baselines.js";
import { SourcePolicy } from "../core/candidates.js";
import { FileRunStore } from "../data/session-runs.js";
import { evaluateStream, inHashSubsample, type StreamProtocolId, type TestChunk } from "../eval/stream.js";
import type { EvaluationReport, ProtocolResult } from "../eval/types.js";
import { DEFAULT_SPLIT, embeddingsLabel, evaluateOnline, findSynthManifest, loadModel, RECENT_SESSIONS_DEFAULT, shardedSummary, writeEvaluation, type EvaluateCommandOptions, type SplitSpec } from "./pipeline.js";

/** What the sharded evaluation read, besides the report: for the CLI and tests. */
export interface ShardedEvaluation {
  report: EvaluationReport;
  files: { json: string; html: string };
}

export async function evaluateSharded(o: EvaluateCommandOptions, ds: ShardedDataset, logs: string[]): Promise<ShardedEvaluation> {
  const recentMax = o.recentSessions ?? RECENT_SESSIONS_DEFAULT;
  if (!(Number.isSafeInteger(recentMax) && recentMax >= 1)) throw new Error(`--recent-sessions must be a positive integer, got ${recentMax}`);
  const protocols = [...o.protocols];
  const synthetic = logs.length === 1 && findSynthManifest(logs[0]) !== null;
  // the online protocol reads no session: it needs only the generator's manifest beside a single log, as on the cache
  if (protocols.includes("online") && !synthetic) throw new Error(`the online protocol needs synthetic data from 'encore generate' (the ground-truth listener; a sharded dataset of its single log, synth.json beside it); drop 'online' on real MSSD data (${o.dataset} was built from ${logs.length === 1 ? logs[0] : `${logs.length} logs`})`);
  const emb = await loadEmbeddings(o.embeddings, { vocab: ds.vocab });
  const recorded = emb.options.split as (SplitSpec & { kind?: string }) | undefined;
  const split: SplitSpec = { seed: recorded?.seed ?? DEFAULT_SPLIT.seed, trainFraction: recorded?.trainFraction ?? DEFAULT_SPLIT.trainFraction };
  if (recorded?.kind !== "hash") {
    o.onWarning?.(`${o.embeddings} was built on the dataset cache's shuffle split; a sharded dataset is split per session by hash (seed ${split.seed}, train fraction ${split.trainFraction}), a different split: some test sessions here were training sessions of the embeddings (and of a model trained on the cache), which flatters them. Embed and train from the sharded dataset for a clean evaluation`);
  }
  const { agent, header } = await loadModel(o.model, emb);
  const V = ds.trackCount;
  const trainChunks = (): Generator<ShardChunk> => ds.chunks({ split: { part: "train", ...split } });

  // Baselines on the training part, streamed (each equal to its in-memory fit on the same sessions).
  let trainSessions = 0;
  const plays = trainingPlayCountsStream((function* () {
    for (const c of trainChunks()) {
      trainSessions += c.sessions!.length;
      yield c;
    }
  })(), V);
  const popular = new PopularPolicy(plays);
  const fill = popularityOrder(plays);
  // pair counts beyond the fits' memory budget spill sorted runs beside the dataset, removed after
  const fitSpilling = <T>(fit: (spill: FileRunStore) => T): T => {
    const spill = new FileRunStore(join(ds.dir, "evaluate"), "pairs");
    try {
      return fit(spill);
    } finally {
      spill.dispose();
    }
  };
  const knn = fitSpilling((spill) => ItemKnnPolicy.fitStream(trainChunks(), V, { spill }));
  const markov = new SourcePolicy(fitSpilling((spill) => MarkovSource.fitStream(trainChunks(), V, { spill })), fill);
  // SKNN and V-SKNN hold their sessions: the most recent training sessions; the list's fill
  // is the whole training part's popularity, as with every session in memory
  const recent = ds.recent("train", split, recentMax).sessions;
  const sknn = new SourcePolicy(SessionKnnSource.fit(recent, SKNN_DEFAULTS), fill);
  const vsknn = new SourcePolicy(SessionKnnSource.fit(recent, VSKNN_DEFAULTS), fill);
  const ddpg = new DdpgPolicy(agent);
  const random = new RandomPolicy(V);
  const policies = [ddpg, random, popular, knn, markov, sknn, vsknn];
  const { N, K } = agent.config;

  // The test part, shard by shard, subsampled by hash when --max-sessions asks.
  const shardStart: number[] = [0];
  for (const sh of ds.manifest.shards) shardStart.push(shardStart[shardStart.length - 1] + sh.sessions);
  const S = ds.sessionCount;
  let passes = 0, testSessions = 0, evaluated = 0;
  const testChunks = (): Iterable<TestChunk> => {
    const first = passes++ === 0;
    return (function* () {
      for (const c of ds.chunks({ split: { part: "test", ...split } })) {
        const all = c.sessions!;
        let test: Int32Array = all as Int32Array;
        if (o.maxSessions > 0) {
          const keep = new Int32Array(all.length);
          let n = 0;
          for (let i = 0; i < all.length; i++) if (inHashSubsample(c.firstSession + all[i], split.seed, split.trainFraction, o.maxSessions, S)) keep[n++] = all[i];
          test = keep.subarray(0, n);
        }
        if (first) {
          testSessions += all.length;
          evaluated += test.length;
        }
        const span = S > 0 ? { from: shardStart[c.index] / S, to: shardStart[c.index + 1] / S } : { from: 0, to: 1 };
        yield { data: { ...c, trackCount: V, featureRow: ds.featureRow, features: ds.features }, test, span };
      }
    })();
  };
  const offline = protocols.filter((p): p is StreamProtocolId => p !== "online");
  const common = { seeds: o.seeds, N, K, bootstrap: { B: o.bootstrap } };
  const results: ProtocolResult[] = offline.length === 0 ? [] : evaluateStream({
    ...common, protocols: offline, policies, catalog: { trackCount: V, featureRow: ds.featureRow, features: ds.features },
    chunks: testChunks, playCount: plays, nextTracks: { embeddings: { E: emb.E, d: emb.d } }, onProgress: o.onProgress,
  });
  if (passes === 0) for (const _ of testChunks()) void _; // counts the test part for the report
  if (protocols.includes("online")) results.push(...evaluateOnline(o, ds, logs, header, { ...common, onProgress: o.onProgress }, policies));
  return writeEvaluation(o, header, results, {
    title: `encore evaluation: ${synthetic ? "synthetic MSSD" : "MSSD"} (${basename(o.dataset)}, sharded)`,
    dataset: {
      ...shardedSummary(ds), data: synthetic ? "synthetic (encore generate)" : "MSSD",
      form: `sharded (${ds.shardCount} shard${ds.shardCount === 1 ? "" : "s"}, read one at a time)`,
      split: `hash per session (seed ${split.seed}, train fraction ${split.trainFraction})`,
      train_sessions: trainSessions, test_sessions: testSessions, evaluated_test_sessions: evaluated,
      recent_training_sessions: recent.sessionLength.length,
      embeddings: embeddingsLabel(emb),
    },
    config: { max_sessions: o.maxSessions, recent_sessions: recentMax },
  });
}
