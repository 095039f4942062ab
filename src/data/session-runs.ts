// Sorted runs as files, for the session-id set (src/data/session-ids.ts) and the streaming
// baseline fits' pair counts (src/eval/pair-runs.ts), 16 bytes an entry: each run is a
// temporary beside the dataset cache (src/io/temp.ts names it, removes it on SIGINT / SIGTERM,
// and a later run removes it if this process died), written once and read back in chunks
// while merging. dispose() deletes them all.
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import { removeStaleTemps, removeTemp, tempPath } from "../io/temp.js";
import { writeError } from "../io/atomic.js";
import type { RunStore } from "./session-ids.js";

export class FileRunStore implements RunStore {
  private readonly files: { path: string; entries: number }[] = [];

  /** Runs are temporaries of `near` (e.g. the dataset cache path), tagged `tag` ("ids" for session ids, "pairs" for pair counts). */
  constructor(private readonly near: string, private readonly tag = "ids") {
    removeStaleTemps(near);
  }

  get runs(): number {
    return this.files.length;
  }

  write(entries: Uint32Array, n: number): void {
    const path = tempPath(this.near, this.tag);
    this.files.push({ path, entries: n });
    try {
      const fd = openSync(path, "wx");
      try {
        const bytes = new Uint8Array(entries.buffer, entries.byteOffset, n * 16);
        let o = 0;
        while (o < bytes.length) o += writeSync(fd, bytes, o, bytes.length - o);
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      throw writeError(path, e);
    }
  }

  read(r: number, from: number, into: Uint32Array): number {
    const f = this.files[r];
    const n = Math.max(0, Math.min(into.length / 4, f.entries - from));
    if (n === 0) return 0;
    const fd = openSync(f.path, "r");
    try {
      const bytes = new Uint8Array(into.buffer, into.byteOffset, n * 16);
      let o = 0;
      while (o < bytes.length) {
        const k = readSync(fd, bytes, o, bytes.length - o, from * 16 + o);
        if (k === 0) throw new Error(`${f.path}: run ends after ${(from * 16 + o) / 16} of ${f.entries} entries`);
        o += k;
      }
    } finally {
      closeSync(fd);
    }
    return n;
  }

  dispose(): void {
    for (const f of this.files.splice(0)) removeTemp(f.path);
  }
}
