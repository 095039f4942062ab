// Node file I/O for track embeddings: save (atomic, src/io/atomic.ts), load (checked,
// src/embed/format.ts) and streaming CSV export. The only embedding code that imports `node:`.

import { createWriteStream } from "node:fs";
import { rename } from "node:fs/promises";
import { once } from "node:events";
import { readFileNamed, syncFile, writeError, writeFileAtomic } from "../io/atomic.js";
import { forgetTemp, removeStaleTemps, removeTemp, tempPath } from "../io/temp.js";
import { TrackVocab } from "../data/vocab.js";
import { decodeEmbeddings, embeddingsCsvChunks, encodeEmbeddings, type EmbeddingsExpectation, type LoadedEmbeddings, type SavedEmbeddings } from "./format.js";

/** Write embeddings (indexed by `vocab`) to `path` atomically; `ids: false` leaves the track ids out (the header keeps their hash). */
export async function saveEmbeddings(path: string, emb: SavedEmbeddings, vocab: TrackVocab | readonly string[], opts: { ids?: boolean } = {}): Promise<void> {
  await writeFileAtomic(path, encodeEmbeddings(emb, vocab, opts));
}

/** Read and verify an embeddings file; errors (EmbeddingsFileError, or Error for I/O) name `path`. */
export async function loadEmbeddings(path: string, expect: Omit<EmbeddingsExpectation, "name"> = {}): Promise<LoadedEmbeddings> {
  return decodeEmbeddings(await readFileNamed(path), { ...expect, name: path });
}

/**
 * Stream E (V, d) to `path` as CSV: track_id,e0,..,e{d−1}, one row per track in index order,
 * values with `digits` significant digits (default 9: every f32 reads back exactly). Memory is
 * one chunk (~1 MB) whatever V is; the writer waits for the stream to drain. Written to a
 * temporary file renamed over `path` at the end, so a failed export leaves no partial file.
 */
export async function exportEmbeddingsCsv(path: string, E: Float32Array, d: number, ids: TrackVocab | readonly string[], opts: { digits?: number } = {}): Promise<{ rows: number; bytes: number }> {
  const V = E.length / d;
  const size = ids instanceof TrackVocab ? ids.size : ids.length;
  if (!Number.isInteger(V) || size !== V) throw new Error(`embeddings csv: ${size} track ids for ${E.length / d} rows of width ${d}`);
  const id = ids instanceof TrackVocab ? (t: number) => ids.id(t) : (t: number) => (ids as readonly string[])[t];
  removeStaleTemps(path);
  const temp = tempPath(path);
  const out = createWriteStream(temp, { flags: "wx" });
  let bytes = 0;
  try {
    await once(out, "open");
    for (const chunk of embeddingsCsvChunks(E, d, id, opts)) {
      bytes += Buffer.byteLength(chunk);
      if (!out.write(chunk)) await Promise.race([once(out, "drain"), once(out, "error").then(([e]) => { throw e; })]);
    }
    out.end();
    await once(out, "close");
    await syncFile(temp);
    await rename(temp, path);
    forgetTemp(temp);
  } catch (e) {
    out.destroy();
    try {
      removeTemp(temp);
    } catch {
      // the directory is unusable; the error below names the file
    }
    throw writeError(path, e);
  }
  return { rows: V, bytes };
}
