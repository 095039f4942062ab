// `encore train` on a sharded dataset (src/data/shards.ts): what it reads from the shards, one
// at a time. The per-track figures (play counts for the track bias and the recommendable mask)
// stream over the training part once; the logged transitions stream window by window, a
// window being one shard's training samples (src/rl/logged-stream.ts); the candidate sources
// fit on the most recent training sessions (ShardedDataset.recent), which the model file
// carries. In memory: the vocabulary and per-track arrays, one shard and its samples, and the
// recent sessions.
import type { SplitOptions } from "../data/split.js";
import { buildSamples, type Samples } from "../data/samples.js";
import { sessionsInPart, type ShardedDataset } from "../data/shards.js";
import type { SampleWindows } from "../rl/logged-stream.js";
import { trainingPlayCountsStream } from "../eval/baselines.js";

/** The training sessions' plays per track, streamed over the shards (trainingPlayCounts on the in-memory twin, bit for bit). */
export function shardedPlayCounts(ds: ShardedDataset, split: SplitOptions): Int32Array {
  return trainingPlayCountsStream(ds.chunks({ split: { part: "train", ...split } }), ds.trackCount);
}

/** Shard k's training samples, shard by shard: the windows a LoggedStream cycles over. */
export function shardWindows(ds: ShardedDataset, split: SplitOptions, o: { N: number; K: number }): SampleWindows {
  return {
    count: ds.shardCount,
    load(k: number): Samples {
      const c = ds.shard(k);
      return buildSamples(c, sessionsInPart(c, "train", split), o); // the shard's rows are let go when this returns
    },
  };
}
