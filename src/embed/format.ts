// The saved form of track embeddings: a binary container (src/io/binfile.ts) of kind
// "ENCEMBED", format version EMBEDDINGS_VERSION, and the CSV export rows.
//
// Header (JSON): { kind, d, V, method, options, counts: {item2vec, features, unknown},
//                  vocabHash, embeddingHash }
// Sections:      "E"            f32 (V·d), row-major
//                "ids.bytes"    u8, the track ids' UTF-8 bytes back to back   (optional)
//                "ids.offsets"  i32 (V + 1)                                     (optional)
// vocabHash (src/embed/hash.ts) names the vocabulary the rows are indexed by: a model stores
// it and refuses embeddings of another vocabulary; the ids themselves are stored by default so
// the file alone can be exported or re-joined. embeddingHash lets a model check it is paired
// with these exact vectors.
// decodeEmbeddings() rejects, each with its own code: what the container rejects (truncated,
// corrupted, magic, version), a header that does not match the payload (format), and, when the
// caller says what it expects, another vocabulary / width / kind / embedding.
//
// No `node:` imports (src/embed/file.ts does the file I/O).

import { BinFileError, decode, encode, type BinFileErrorCode } from "../io/binfile.js";
import { TrackVocab } from "../data/vocab.js";
import { embeddingHash, vocabHash } from "./hash.js";
import { EMBEDDING_KINDS, type EmbeddingKind } from "./kinds.js";
import type { FallbackCounts } from "./fallback.js";

export const EMBEDDINGS_MAGIC = "ENCEMBED";
export const EMBEDDINGS_VERSION = 1;

export interface EmbeddingsHeader {
  kind: EmbeddingKind;
  d: number;
  V: number;
  method: string;
  options: Record<string, unknown>;
  counts: FallbackCounts;
  vocabHash: string;
  embeddingHash: string;
}

/** What a file holds. */
export interface SavedEmbeddings {
  /** (V, d) row-major. */
  E: Float32Array;
  d: number;
  V: number;
  kind: EmbeddingKind;
  /** A short description of how E was made, e.g. "item2vec-sgns+ridge-fallback". */
  method: string;
  /** The resolved options, JSON-safe (what the saved header records). */
  options: Record<string, unknown>;
  /** Tracks per path: learned item2vec vector, features (mapped), unknown. */
  counts: FallbackCounts;
}

export type EmbeddingsErrorCode = BinFileErrorCode | "vocabulary" | "shape" | "kind" | "embedding";

export class EmbeddingsFileError extends Error {
  constructor(readonly code: EmbeddingsErrorCode, message: string) {
    super(message);
    this.name = "EmbeddingsFileError";
  }
}

function idsOf(vocab: TrackVocab | readonly string[]): TrackVocab {
  if (vocab instanceof TrackVocab) return vocab;
  const v = new TrackVocab(vocab.length);
  vocab.forEach((id, i) => {
    if (v.intern(id) !== i) throw new Error(`embeddings: track id ${JSON.stringify(id)} appears twice (index ${i})`);
  });
  return v;
}

/** Serialise embeddings indexed by `vocab` (a TrackVocab or the ids in index order). */
export function encodeEmbeddings(emb: SavedEmbeddings, vocab: TrackVocab | readonly string[], opts: { ids?: boolean } = {}): Uint8Array {
  const { E, d, V } = emb;
  if (!Number.isInteger(d) || d < 1 || !Number.isInteger(V) || V < 1) throw new Error(`embeddings: d and V must be positive integers, got d = ${d}, V = ${V}`);
  if (E.length !== V * d) throw new Error(`embeddings: E has ${E.length} values, expected V × d = ${V} × ${d}`);
  const voc = idsOf(vocab);
  if (voc.size !== V) throw new Error(`embeddings: the vocabulary has ${voc.size} tracks, E has V = ${V} rows`);
  const header: EmbeddingsHeader = {
    kind: emb.kind, d, V, method: emb.method, options: emb.options, counts: emb.counts,
    vocabHash: vocabHash(voc), embeddingHash: embeddingHash(E, d),
  };
  const sections: [string, Float32Array | Uint8Array | Int32Array][] = [["E", E]];
  if (opts.ids ?? true) {
    const { arena, offsets } = voc.toBytes();
    sections.push(["ids.bytes", arena], ["ids.offsets", offsets]);
  }
  return encode({ magic: EMBEDDINGS_MAGIC, version: EMBEDDINGS_VERSION, header, sections });
}

export interface EmbeddingsExpectation {
  /** The vocabulary the embeddings must be indexed by: the ids, a TrackVocab, or its vocabHash. */
  vocab?: TrackVocab | readonly string[] | string;
  d?: number;
  kind?: EmbeddingKind;
  /** The embeddingHash a model recorded. */
  embeddingHash?: string;
  /** The file's name in error messages. Default "<bytes>". */
  name?: string;
}

export interface LoadedEmbeddings extends SavedEmbeddings {
  vocabHash: string;
  embeddingHash: string;
  /** The stored track ids, or null when saved without them. */
  vocab: TrackVocab | null;
}

/** Parse, verify and check against the expectation (see the file header). */
export function decodeEmbeddings(bytes: Uint8Array, expect: EmbeddingsExpectation = {}): LoadedEmbeddings {
  const name = expect.name ?? "<bytes>";
  let file;
  try {
    file = decode(bytes, { expectMagic: EMBEDDINGS_MAGIC, expectVersion: EMBEDDINGS_VERSION, name });
  } catch (e) {
    if (e instanceof BinFileError) throw new EmbeddingsFileError(e.code, e.message);
    throw e;
  }
  const bad = (code: EmbeddingsErrorCode, msg: string): never => { throw new EmbeddingsFileError(code, `${name}: ${msg}`); };
  const h = file.header as Partial<EmbeddingsHeader> | null;
  if (!h || typeof h !== "object") return bad("format", "no embeddings header");
  const { d, V } = h;
  if (!Number.isInteger(d) || d! < 1 || !Number.isInteger(V) || V! < 1) bad("format", `header d = ${d}, V = ${V}: expected positive integers`);
  if (typeof h.vocabHash !== "string" || typeof h.embeddingHash !== "string") bad("format", "header lacks vocabHash or embeddingHash");
  if (!file.has("E")) bad("format", "no \"E\" section");
  const E = file.f32("E");
  if (E.length !== V! * d!) bad("format", `section "E" has ${E.length} values, the header says V × d = ${V} × ${d}`);
  const got = embeddingHash(E, d!);
  if (got !== h.embeddingHash) bad("format", `embedding hash ${got} does not match the header's ${h.embeddingHash}`);
  if (!(EMBEDDING_KINDS as readonly unknown[]).includes(h.kind)) bad("format", `header kind ${JSON.stringify(h.kind)} is not one of ${EMBEDDING_KINDS.join(", ")}`);
  const c = h.counts as Partial<FallbackCounts> | undefined;
  if (typeof c !== "object" || c === null || ![c.item2vec, c.features, c.unknown].every((x) => Number.isInteger(x) && x! >= 0)) bad("format", "header lacks its counts (item2vec, features, unknown)");
  if (h.options !== undefined && (typeof h.options !== "object" || h.options === null || Array.isArray(h.options))) bad("format", "header options are not an object");
  const split = (h.options as { split?: { seed?: unknown; trainFraction?: unknown } } | undefined)?.split;
  if (split !== undefined && !(typeof split === "object" && split !== null && Number.isInteger(split.seed) && (split.seed as number) >= 0 && (split.seed as number) <= 0xffffffff
    && typeof split.trainFraction === "number" && split.trainFraction >= 0 && split.trainFraction <= 1)) bad("format", "header options.split lacks a u32 seed and a trainFraction in [0, 1]");
  let vocab: TrackVocab | null = null;
  if (file.has("ids.bytes")) {
    if (!file.has("ids.offsets")) bad("format", "\"ids.bytes\" without \"ids.offsets\"");
    let ids: TrackVocab;
    try {
      ids = TrackVocab.fromBytes(file.u8("ids.bytes"), file.i32("ids.offsets"));
    } catch (e) {
      return bad("format", `the stored ids are unusable (${(e as Error).message})`);
    }
    vocab = ids;
    if (vocab.size !== V) bad("format", `the stored ids list ${vocab.size} tracks, the header says V = ${V}`);
    if (vocabHash(vocab) !== h.vocabHash) bad("format", "the stored ids do not hash to the header's vocabHash");
  }
  if (expect.d !== undefined && expect.d !== d) bad("shape", `embeddings have d = ${d}, expected d = ${expect.d}`);
  if (expect.kind !== undefined && expect.kind !== h.kind) bad("kind", `embeddings are of kind "${h.kind}", expected "${expect.kind}"`);
  if (expect.vocab !== undefined) {
    const want = typeof expect.vocab === "string" ? expect.vocab : vocabHash(expect.vocab);
    if (want !== h.vocabHash) {
      const size = typeof expect.vocab === "string" ? "" : ` of ${expect.vocab instanceof TrackVocab ? expect.vocab.size : expect.vocab.length} tracks`;
      bad("vocabulary", `embeddings are for another vocabulary (${V} tracks, ${h.vocabHash}), expected the vocabulary${size} with hash ${want}`);
    }
  }
  if (expect.embeddingHash !== undefined && expect.embeddingHash !== h.embeddingHash) {
    bad("embedding", `embedding hash ${h.embeddingHash}, expected ${expect.embeddingHash} (not the embeddings the model was trained with)`);
  }
  return {
    E, d: d!, V: V!, kind: h.kind as EmbeddingKind, method: String(h.method ?? ""), options: (h.options ?? {}) as Record<string, unknown>,
    counts: h.counts as FallbackCounts, vocabHash: h.vocabHash!, embeddingHash: h.embeddingHash!, vocab,
  };
}

/** A CSV field: quoted (RFC 4180) when it holds a comma, quote, CR or LF. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The CSV header line: track_id,e0,..,e{d−1}\n. */
export function csvHeader(d: number): string {
  let s = "track_id";
  for (let j = 0; j < d; j++) s += `,e${j}`;
  return s + "\n";
}

/**
 * CSV rows of E in chunks of about `chunkBytes` characters (header first), for streaming
 * writers. Values are written with 9 significant digits, enough to read back every f32
 * exactly (IEEE 754 §5.12.2); `digits` trades exactness for size.
 */
export function* embeddingsCsvChunks(E: Float32Array, d: number, id: (t: number) => string, opts: { digits?: number; chunkBytes?: number } = {}): Generator<string> {
  const digits = opts.digits ?? 9, chunk = opts.chunkBytes ?? 1 << 20;
  if (!Number.isInteger(digits) || digits < 1 || digits > 17) throw new Error(`embeddings csv: digits must be an integer in 1..17, got ${digits}`);
  if (!Number.isInteger(d) || d < 1 || E.length % d !== 0) throw new Error(`embeddings csv: ${E.length} values do not form rows of width d = ${d}`);
  const V = E.length / d;
  const parts: string[] = [csvHeader(d)];
  let size = parts[0].length;
  for (let t = 0; t < V; t++) {
    let line = csvField(id(t));
    for (let j = 0; j < d; j++) line += "," + formatValue(E[t * d + j], digits);
    line += "\n";
    parts.push(line);
    size += line.length;
    if (size >= chunk) {
      yield parts.join("");
      parts.length = 0;
      size = 0;
    }
  }
  if (parts.length > 0) yield parts.join("");
}

function formatValue(x: number, digits: number): string {
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  if (!Number.isFinite(x)) return String(x);
  // toPrecision then Number() drops trailing zeros and needless exponents ("1.00000000" → "1")
  return String(Number(x.toPrecision(digits)));
}
