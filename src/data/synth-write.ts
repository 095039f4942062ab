// Synthetic MSSD, part 3: writing log_<prefix>.csv[.gz] and tf_<prefix>.csv[.gz] to disk (Node only).
//
// Both files are written to temporaries and renamed only when both are complete (a FileSet,
// src/io/atomic.ts): a failure — a full disk, an interrupt — leaves the previous pair or
// nothing, never a truncated log. A caller with more members (encore generate's synth.json)
// passes its own FileSet and commits it.
//
// Text chunks from synth-log.ts go through a stream with backpressure: a chunk is produced only
// after the previous one was accepted (write() returned true, or 'drain' fired), so at most one
// chunk plus the stream's buffer is in memory whatever the number of sessions.

import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { FileSet } from "../io/atomic.js";
import { logCsvChunks, tfCsvChunks, type SessionLogOptions } from "./synth-log.js";
import { ListenerModel, type SynthModelOptions } from "./synth.js";

export interface WriteSyntheticOptions {
  /** Output directory (created if missing). */
  dir: string;
  /** File names are log_<prefix>.csv and tf_<prefix>.csv. Default "synth". */
  prefix?: string;
  /** gzip both files (adds .gz). Default false. */
  gzip?: boolean;
  /** Seed of catalog and sessions. Default 0. */
  seed?: number;
  /** Number of sessions. Default 10,000. */
  numSessions?: number;
  /** Rows per text chunk. Default 4096. */
  rowsPerChunk?: number;
  /** Catalog and listener-model options (numTracks, ...). */
  model?: Partial<Omit<SynthModelOptions, "seed">>;
  /** Session options (homeGenreRate, focus). */
  sessions?: Partial<Omit<SessionLogOptions, "seed" | "numSessions" | "rowsPerChunk">>;
  /** Stage both files into this set and leave the commit to the caller. Default: a set of their own, committed here. */
  set?: FileSet;
}

export interface WriteSyntheticResult {
  logPath: string;
  tfPath: string;
  /** Uncompressed bytes written to each file. */
  logBytes: number;
  tfBytes: number;
  numSessions: number;
  numTracks: number;
  /** The ground-truth model the files were generated from. */
  model: ListenerModel;
}

/**
 * Writes string chunks to a writable stream, honouring backpressure: after a write() that returns
 * false it waits for 'drain' before pulling the next chunk from the iterable. Rejects on a stream
 * error. Does not end the stream. Returns the number of UTF-8 bytes written.
 */
export async function writeChunks(chunks: Iterable<string>, out: Writable): Promise<number> {
  let bytes = 0;
  for (const chunk of chunks) {
    if (out.destroyed || out.writableEnded) throw new Error("writeChunks: the output stream was closed before all chunks were written");
    bytes += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await waitDrain(out);
  }
  return bytes;
}

function waitDrain(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = (): void => { cleanup(); resolve(); };
    const onError = (err: Error): void => { cleanup(); reject(err); };
    const onClose = (): void => { cleanup(); reject(new Error("writeChunks: the output stream closed while waiting for 'drain'")); };
    const cleanup = (): void => {
      out.off("drain", onDrain);
      out.off("error", onError);
      out.off("close", onClose);
    };
    out.on("drain", onDrain);
    out.on("error", onError);
    out.on("close", onClose);
  });
}

/** Writes chunks to a file, optionally gzipped, and resolves when the file is flushed and closed. */
export async function writeChunksToFile(path: string, chunks: Iterable<string>, gzip = false): Promise<number> {
  const file = createWriteStream(path, { flags: "wx" });
  const gz = gzip ? createGzip() : null;
  const head: Writable = gz ?? file;
  const done = gz ? pipeline(gz, file) : finished(file);
  // Attach a handler so an error is reported through `done` / writeChunks, never left unhandled.
  done.catch(() => undefined);
  try {
    const bytes = await writeChunks(chunks, head);
    head.end();
    await done;
    return bytes;
  } catch (err) {
    head.destroy();
    file.destroy();
    throw err; // the caller names the file (the path here may be a temporary)
  }
}

/** Generates the synthetic MSSD files (log and tf) into `dir`. */
export async function writeSynthetic(options: WriteSyntheticOptions): Promise<WriteSyntheticResult> {
  const prefix = options.prefix ?? "synth";
  if (!/^[A-Za-z0-9_.-]+$/.test(prefix)) throw new Error(`writeSynthetic: prefix must be a plain file-name fragment, got "${prefix}"`);
  const seed = options.seed ?? 0;
  const ext = options.gzip ? ".csv.gz" : ".csv";
  const model = new ListenerModel({ ...options.model, seed });
  const logOptions: Partial<SessionLogOptions> = {
    ...options.sessions,
    seed,
    numSessions: options.numSessions ?? 10_000,
    rowsPerChunk: options.rowsPerChunk ?? 4096,
  };
  await mkdir(options.dir, { recursive: true });
  const logPath = join(options.dir, `log_${prefix}${ext}`);
  const tfPath = join(options.dir, `tf_${prefix}${ext}`);
  const set = options.set ?? new FileSet();
  let tfBytes = 0, logBytes = 0;
  try {
    await set.file(tfPath, async (temp) => { tfBytes = await writeChunksToFile(temp, tfCsvChunks(model, logOptions.rowsPerChunk), options.gzip); });
    await set.file(logPath, async (temp) => { logBytes = await writeChunksToFile(temp, logCsvChunks(model, logOptions), options.gzip); });
  } catch (e) {
    set.abort();
    throw e;
  }
  if (!options.set) await set.commit();
  return { logPath, tfPath, logBytes, tfBytes, numSessions: logOptions.numSessions!, numTracks: model.numTracks, model };
}
