// The training part of a sharded dataset (src/data/shards.ts) as a SessionSource for item2vec
// (src/embed/item2vec.ts trainStream, src/embed/build.ts): chunk k is shard k as read from
// disk (checked against the manifest), its `sessions` the shard's sessions in the training part
// of the per-session hash split (src/data/split.ts inHashTrain, the same membership as
// ShardedDataset.chunks({ split: { part: "train" } })). Nothing is kept between reads: one shard
// of sessions is in memory at a time, while the trainer works on it.
//
// No `node:` imports here (the dataset, passed in, does the reading).
import type { ShardedDataset } from "../data/shards.js";
import { inHashTrain, type SplitOptions } from "../data/split.js";
import type { SessionChunk, SessionSource } from "./item2vec.js";

export interface ShardSource extends SessionSource {
  /** Shard reads so far, and their bytes (file sizes from the manifest). */
  readonly reads: { shards: number; bytes: number };
}

/** The training part of `ds` under `split` (seed and trainFraction of the hash split), shard by shard. */
export function shardTrainingSource(ds: ShardedDataset, split: SplitOptions): ShardSource {
  const reads = { shards: 0, bytes: 0 };
  return {
    chunkCount: ds.shardCount,
    reads,
    chunk(k: number): SessionChunk {
      const c = ds.shard(k);
      reads.shards++;
      reads.bytes += ds.manifest.shards[k].bytes;
      const S = c.sessionLength.length, list = new Int32Array(S);
      let n = 0;
      for (let s = 0; s < S; s++) if (inHashTrain(c.firstSession + s, split)) list[n++] = s;
      return { sessionOffsets: c.sessionOffsets, tracks: c.tracks, sessions: list.subarray(0, n) };
    },
  };
}
