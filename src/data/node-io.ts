// Node adapter for the MSSD readers: turns a path, a byte array or a stream into
// decompressed chunks (gzip detected by its magic bytes 1f 8b, whatever the name says) and
// feeds them to the node:-free parsers. zlib failures become MssdFormatErrors naming the
// file and the last complete line (truncated gzip, corrupt gzip).
import { closeSync, createReadStream, openSync, readSync } from "node:fs";
import { open } from "node:fs/promises";
import { Readable, pipeline } from "node:stream";
import { createGunzip } from "node:zlib";
import { MssdFormatError } from "./errors.js";
import { readError } from "../io/atomic.js";
import { LogParser, type LogParserOptions, type LogStats } from "./log-parser.js";
import { TrackFeatureParser, type TrackFeatureParserOptions, type TrackFeatureTable } from "./tf-parser.js";
import type { TrackVocab } from "./vocab.js";

/** A file path, the file's bytes, or a byte stream (e.g. a Node Readable). */
export type MssdSource = string | Uint8Array | AsyncIterable<Uint8Array>;

const READ_CHUNK = 1 << 20;
const GUNZIP_CHUNK = 1 << 18;

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** The source's decompressed bytes as chunks (a chunk may be reused once the next is requested); `gzip` tells whether it was gzip. */
export async function openChunks(source: MssdSource): Promise<{ chunks: AsyncIterable<Uint8Array>; gzip: boolean }> {
  if (typeof source === "string") {
    const fh = await open(source, "r");
    const magic = new Uint8Array(2);
    try {
      await fh.read(magic, 0, 2, 0);
    } finally {
      await fh.close();
    }
    if (isGzip(magic)) return { chunks: gunzip(createReadStream(source, { highWaterMark: READ_CHUNK })), gzip: true };
    return { chunks: readPlain(source), gzip: false };
  }
  if (source instanceof Uint8Array) {
    if (isGzip(source)) return { chunks: gunzip(Readable.from([source])), gzip: true };
    return { chunks: slices(source), gzip: false };
  }
  // A stream: look at its first bytes, then replay them ahead of the rest.
  const it = source[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let headLen = 0, done = false;
  while (headLen < 2) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    head.push(r.value);
    headLen += r.value.length;
  }
  const first = new Uint8Array(Math.min(headLen, 2));
  let k = 0;
  for (const h of head) for (let i = 0; i < h.length && k < first.length; i++) first[k++] = h[i];
  async function* replay(): AsyncGenerator<Uint8Array> {
    yield* head;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return isGzip(first) ? { chunks: gunzip(Readable.from(replay())), gzip: true } : { chunks: replay(), gzip: false };
}

/**
 * A plain file's bytes in 1 MiB chunks, read synchronously into ONE reused buffer: each chunk
 * is valid until the consumer asks for the next (the parsers copy what they keep). Reading
 * from the page cache this way avoids a thread-pool round trip per chunk, which on a busy
 * machine cost as much as the parsing itself.
 */
async function* readPlain(path: string): AsyncGenerator<Uint8Array> {
  const fd = openSync(path, "r");
  try {
    const buf = new Uint8Array(READ_CHUNK);
    for (;;) {
      const n = readSync(fd, buf, 0, READ_CHUNK, null);
      if (n === 0) return;
      yield buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

function gunzip(input: NodeJS.ReadableStream): AsyncIterable<Uint8Array> {
  const z = createGunzip({ chunkSize: GUNZIP_CHUNK });
  // pipeline destroys z with the first error, which then surfaces in the consumer's loop.
  pipeline(input, z, () => {});
  return z;
}

async function* slices(b: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < b.length; i += READ_CHUNK) yield b.subarray(i, Math.min(b.length, i + READ_CHUNK));
}

/** Feeds every decompressed chunk to `push`; converts zlib failures into MssdFormatErrors. */
export async function pump(source: MssdSource, name: string, push: (chunk: Uint8Array) => void, line: () => number): Promise<void> {
  let opened: Awaited<ReturnType<typeof openChunks>>;
  try {
    opened = await openChunks(source);
  } catch (e) {
    throw readError(name, e);
  }
  const { chunks, gzip } = opened;
  try {
    for await (const chunk of chunks) push(chunk);
  } catch (e) {
    if (e instanceof MssdFormatError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (!gzip || typeof err.code !== "string" || !err.code.startsWith("Z_")) throw typeof err.code === "string" ? readError(name, e) : e;
    const truncated = err.code === "Z_BUF_ERROR";
    throw new MssdFormatError(name, line(), undefined, truncated ? "truncated_gzip" : "bad_gzip",
      truncated
        ? `truncated gzip: expected more compressed data after line ${line()}, found the end of the file (zlib: ${err.message})`
        : `corrupt gzip: expected valid compressed data after line ${line()}, found an error (zlib: ${err.message})`);
  }
}

function sourceName(source: MssdSource, name: string | undefined, fallback: string): string {
  return name ?? (typeof source === "string" ? source : fallback);
}

export interface ReadLogOptions extends Omit<LogParserOptions, "file"> {
  /** Name for messages; default: the path, or "<log>" for bytes and streams. */
  name?: string;
}

/** Parses a whole session log, handing each session to opts.onSession. */
export async function readLog(source: MssdSource, opts: ReadLogOptions = {}): Promise<LogStats & { vocab: TrackVocab }> {
  const file = sourceName(source, opts.name, "<log>");
  const parser = new LogParser({ ...opts, file });
  await pump(source, file, (c) => parser.push(c), () => parser.line);
  return { ...parser.end(), vocab: parser.vocab };
}

export interface ReadTrackFeaturesOptions extends Omit<TrackFeatureParserOptions, "file"> {
  name?: string;
}

/** Parses a whole track-feature file into a TrackFeatureTable. */
export async function readTrackFeatures(source: MssdSource, opts: ReadTrackFeaturesOptions = {}): Promise<TrackFeatureTable & { vocab: TrackVocab }> {
  const file = sourceName(source, opts.name, "<tf>");
  const parser = new TrackFeatureParser({ ...opts, file });
  await pump(source, file, (c) => parser.push(c), () => parser.line);
  return { ...parser.end(), vocab: parser.vocab };
}
