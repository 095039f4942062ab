// Property: every binary file decoder, given mutated bytes of a valid file, either returns a
// usable result or rejects it with an Error whose message starts with the file's name —
// never a crash (TypeError, RangeError, an unnamed message), never a hang. Decoders: the
// container (src/io/binfile.ts), the model file (decodeModel, then loading it into an agent
// and, for a checkpoint, into a trainer, as `encore train --resume` does), embeddings
// (decodeEmbeddings) and the dataset cache (decodeDatasetCache).
//
// Mutations: bit flips, byte overwrites, truncation, insertion, deletion and duplication of
// ranges — then, half the time, the checksum (and the container's length field) recomputed,
// so that the mutation reaches the structural checks behind the checksum; and structured
// mutations of the JSON header (a value replaced by another JSON value), re-encoded.
// Seeds are fixed (test/util/props.ts); ENCORE_FC_RUNS=10000 runs a campaign.
import { describe, expect, beforeAll, afterAll } from "vitest";
import { fc, test } from "@fast-check/vitest";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32, decode, encode, type SectionArray } from "../src/io/binfile.js";
import { decodeModel, applyModel, MODEL_MAGIC, MODEL_VERSION } from "../src/agent/checkpoint.js";
import { decodeEmbeddings, type LoadedEmbeddings } from "../src/embed/format.js";
import { CACHE_VERSION, decodeDatasetCache } from "../src/data/cache.js";
import { loadModel } from "../src/cli/pipeline.js";
import { Trainer } from "../src/agent/train.js";
import type { Environment, StepResult } from "../src/rl/env.js";
import { allocStates } from "../src/core/state.js";
import { makeTinyModel, type TinyModel } from "./util/tiny-model.js";
import { props, propTimeout } from "./util/props.js";

let tiny: TinyModel;
let files: { model: Uint8Array; embeddings: Uint8Array; cache: Uint8Array };
let emb: LoadedEmbeddings;

beforeAll(async () => {
  tiny = await makeTinyModel("encore-props-dec-", { sessions: 200, tracks: 300, episodes: 6 });
  // plain Uint8Array copies: a Node Buffer's slice() is a view, and mutations must not reach the originals
  files = {
    model: new Uint8Array(readFileSync(tiny.model)),
    embeddings: new Uint8Array(readFileSync(tiny.embeddings)),
    cache: new Uint8Array(readFileSync(join(tiny.dir, "dataset.bin"))),
  };
  emb = decodeEmbeddings(files.embeddings, { name: "embeddings.bin" });
}, 120_000);
afterAll(() => rmSync(tiny.dir, { recursive: true, force: true }));

type Mutation =
  | { op: "flip"; at: number; bit: number }
  | { op: "set"; at: number; value: number }
  | { op: "truncate"; at: number }
  | { op: "insert"; at: number; bytes: Uint8Array }
  | { op: "delete"; at: number; len: number }
  | { op: "duplicate"; at: number; len: number }
  | { op: "overwrite"; at: number; bytes: Uint8Array };

// Positions as fractions of the length, biased to the start (fixed header and JSON directory).
const pos = fc.oneof(fc.integer({ min: 0, max: 400 }).map((i) => -(i + 1)), fc.double({ min: 0, max: 1, noNaN: true }));
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("flip" as const), at: pos, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant("set" as const), at: pos, value: fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0x22, 0x2c, 0x7b, 0x7d, 0x30, 0x39) }),
  fc.record({ op: fc.constant("truncate" as const), at: pos }),
  fc.record({ op: fc.constant("insert" as const), at: pos, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ op: fc.constant("delete" as const), at: pos, len: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ op: fc.constant("duplicate" as const), at: pos, len: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ op: fc.constant("overwrite" as const), at: pos, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
) as fc.Arbitrary<Mutation>;

function place(at: number, n: number): number {
  // negative: a byte among the first 400 (where the headers are); else a fraction of the file
  return at < 0 ? Math.min(n, -at - 1) : Math.min(n, Math.floor(at * n));
}

function mutate(b: Uint8Array, ms: Mutation[]): Uint8Array {
  let x = b;
  for (const m of ms) {
    const i = place(m.at, x.length);
    switch (m.op) {
      case "flip": if (i < x.length) { x = x.slice(); x[i] ^= 1 << m.bit; } break;
      case "set": if (i < x.length) { x = x.slice(); x[i] = m.value; } break;
      case "truncate": x = x.slice(0, i); break;
      case "insert": x = concat(x.subarray(0, i), m.bytes, x.subarray(i)); break;
      case "delete": x = concat(x.subarray(0, i), x.subarray(Math.min(x.length, i + m.len))); break;
      case "duplicate": x = concat(x.subarray(0, Math.min(x.length, i + m.len)), x.subarray(i)); break;
      case "overwrite": x = x.slice(); x.set(m.bytes.subarray(0, Math.max(0, x.length - i)), i); break;
    }
  }
  return x;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Make a mutated container pass its length and checksum checks again (so the structure behind them is tested). */
function refixContainer(b: Uint8Array): Uint8Array {
  if (b.length < 36) return b;
  const x = b.slice(), v = new DataView(x.buffer);
  v.setUint32(16, x.length, true);
  v.setUint32(20, 0, true);
  v.setUint32(x.length - 4, crc32(x.subarray(0, x.length - 4)), true);
  return x;
}

// A structured mutation: one value of the JSON header replaced.
const jsonValue = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1, 2, 3, 1e9, -1e9, 2 ** 31, 0.5, Number.MAX_SAFE_INTEGER, "", "x", "gaussian", "ou", "selected", "proto", "relu", "encore-model"),
  fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ maxLength: 8 }),
  fc.constant([]), fc.constant({}), fc.array(fc.integer({ min: -2, max: 70 }), { maxLength: 5 }),
);

function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (typeof v === "object" && v !== null) {
    const entries = Array.isArray(v) ? v.map((x, i) => [i, x] as const) : Object.entries(v);
    for (const [k, x] of entries.slice(0, 40)) {
      out.push([...prefix, k]);
      if (out.length < 2000) paths(x, [...prefix, k], out);
    }
  }
  return out;
}

function withHeaderValue(bytes: Uint8Array, magic: string, version: number, pick: number, value: unknown): Uint8Array {
  const f = decode(bytes, { expectMagic: magic, expectVersion: version });
  const header = JSON.parse(JSON.stringify(f.header));
  const all = paths(header);
  if (all.length === 0) return bytes;
  const path = all[pick % all.length];
  let o = header;
  for (const k of path.slice(0, -1)) o = o[k];
  o[path[path.length - 1]] = value;
  const sections: [string, SectionArray][] = f.names.map((n) => [n, f.get(n)]);
  return encode({ magic, version, header, sections });
}

/** The property: a named rejection or a usable result. */
async function namedOrUsable(name: string, f: () => unknown | Promise<unknown>): Promise<void> {
  let r: unknown;
  try {
    r = await f();
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    const err = e as Error;
    expect(err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError, `${err.name}: ${err.message}`).toBe(false);
    expect(err.message.startsWith(`${name}:`), err.message).toBe(true);
    return;
  }
  void r;
}

const stubEnv = (N: number, K: number): Environment => {
  const state = allocStates(1, N), next = allocStates(1, N), rewards = new Float32Array(K);
  const result: StepResult = { rewards, reward: 0, next, done: true };
  return { N, K, reset: () => state, step: () => result };
};

/** Load model bytes the way `encore evaluate` (loadModel) and `encore train --resume` do. */
async function loadModelBytes(bytes: Uint8Array, dir: string): Promise<void> {
  const path = join(dir, "mutated.encore");
  writeFileSync(path, bytes);
  const { agent } = await loadModel(path, emb);
  const model = decodeModel(bytes, path);
  if (model.header.trainer) {
    const m = model.header.meta ?? {};
    const trainer = new Trainer(agent, stubEnv(agent.config.N, agent.config.K), { ...(m.train as object), seed: 0, maxSteps: 4 });
    try {
      applyModel(model, agent, trainer);
    } catch (e) {
      throw new Error(`${path}: ${(e as Error).message}`); // what train() would report; the property demands it never happens
    }
  }
}

describe("binary decoders on mutated bytes", () => {
  const ms = fc.array(mutation, { minLength: 1, maxLength: 4 });

  test.prop([ms, fc.boolean()], props(150))("the container", async (m, fix) => {
    let b = mutate(files.embeddings, m);
    if (fix) b = refixContainer(b);
    await namedOrUsable("c.bin", () => decode(b, { expectMagic: "ENCEMBED", expectVersion: 1, name: "c.bin" }));
  }, propTimeout(150, 50));

  test.prop([ms, fc.boolean()], props(150))("embeddings", async (m, fix) => {
    let b = mutate(files.embeddings, m);
    if (fix) b = refixContainer(b);
    await namedOrUsable("e.bin", () => {
      const e = decodeEmbeddings(b, { name: "e.bin" });
      expect(e.E.length).toBe(e.V * e.d);
      if (e.vocab) expect(e.vocab.size).toBe(e.V);
    });
  }, propTimeout(150, 50));

  test.prop([fc.nat(), jsonValue], props(150))("embeddings: one header value replaced", async (pick, value) => {
    const b = withHeaderValue(files.embeddings, "ENCEMBED", 1, pick, value);
    await namedOrUsable("e.bin", () => {
      const e = decodeEmbeddings(b, { name: "e.bin" });
      expect(e.E.length).toBe(e.V * e.d);
      expect(e.counts.item2vec + e.counts.features + e.counts.unknown).toBeGreaterThanOrEqual(0);
    });
  }, propTimeout(150, 50));

  test.prop([ms, fc.boolean()], props(100))("model files, loaded into an agent and a trainer", async (m, fix) => {
    let b = mutate(files.model, m);
    if (fix) b = refixContainer(b);
    await namedOrUsable(join(tiny.dir, "mutated.encore"), () => loadModelBytes(b, tiny.dir));
  }, propTimeout(100, 300));

  test.prop([fc.nat(), jsonValue], props(150))("model files: one header value replaced", async (pick, value) => {
    const b = withHeaderValue(files.model, MODEL_MAGIC, MODEL_VERSION, pick, value);
    await namedOrUsable(join(tiny.dir, "mutated.encore"), () => loadModelBytes(b, tiny.dir));
  }, propTimeout(150, 300));

  test.prop([ms, fc.boolean()], props(150))("the dataset cache", async (m, fix) => {
    let b = mutate(files.cache, m);
    if (fix) b = refixContainer(b);
    await namedOrUsable("dataset.bin", () => {
      const { dataset } = decodeDatasetCache(b, "dataset.bin");
      for (let s = 0; s < dataset.sessionCount; s++) dataset.sessionTracks(s).forEach((t) => dataset.vocab.id(t));
    });
  }, propTimeout(150, 50));

  test.prop([fc.nat(), jsonValue], props(150))("the dataset cache: one header value replaced", async (pick, value) => {
    const b = withHeaderValue(files.cache, "ENCMSSD", CACHE_VERSION, pick, value);
    await namedOrUsable("dataset.bin", () => {
      const { dataset } = decodeDatasetCache(b, "dataset.bin");
      for (let s = 0; s < dataset.sessionCount; s++) dataset.sessionTracks(s).forEach((t) => dataset.vocab.id(t));
    });
  }, propTimeout(150, 50));
});
