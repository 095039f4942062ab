// Saved embeddings: hashes, save → load round trip, every rejection, CSV export.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../src/rng.js";
import { TrackVocab } from "../src/data/vocab.js";
import { embeddingHash, fnv1a64, vocabHash } from "../src/embed/hash.js";
import { decodeEmbeddings, embeddingsCsvChunks, encodeEmbeddings, EmbeddingsFileError, EMBEDDINGS_VERSION, type SavedEmbeddings } from "../src/embed/format.js";
import { exportEmbeddingsCsv, loadEmbeddings, saveEmbeddings } from "../src/embed/file.js";
import { encode } from "../src/io/binfile.js";

let dir = "";
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), "encore-embed-")); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sample(V: number, d: number, seed = 1): { emb: SavedEmbeddings; ids: string[] } {
  const rng = new Rng(seed);
  const E = Float32Array.from({ length: V * d }, () => rng.normal());
  E[0] = -0; // sign of zero must survive
  E[1] = 1e-40; // a subnormal
  const ids = Array.from({ length: V }, (_, i) => `t_${i.toString(16).padStart(4, "0")}-${seed}`);
  return {
    emb: { E, d, V, kind: "item2vec", method: "item2vec-sgns+ridge-fallback", options: { d, seed: 3 }, counts: { item2vec: V - 3, features: 2, unknown: 1 } },
    ids,
  };
}

const codeOf = (f: () => unknown): string => {
  try { f(); } catch (e) { return e instanceof EmbeddingsFileError ? e.code : `other: ${(e as Error).message}`; }
  return "no error";
};

describe("hashes", () => {
  it("FNV-1a 64 matches the published test vectors", () => {
    const enc = new TextEncoder();
    expect(fnv1a64(new Uint8Array(0))).toBe("fnv1a64:cbf29ce484222325");
    expect(fnv1a64(enc.encode("a"))).toBe("fnv1a64:af63dc4c8601ec8c");
    expect(fnv1a64(enc.encode("foobar"))).toBe("fnv1a64:85944171f73967e8");
  });

  it("vocabHash: stable, same for a TrackVocab and its ids, sensitive to order and to id boundaries", () => {
    const ids = ["t_a", "t_b", "t_c"];
    const v = new TrackVocab();
    ids.forEach((id) => v.intern(id));
    expect(vocabHash(ids)).toBe(vocabHash(v));
    expect(vocabHash(ids)).toBe(vocabHash([...ids]));
    expect(vocabHash(["t_b", "t_a", "t_c"])).not.toBe(vocabHash(ids));
    expect(vocabHash(["ab", "c"])).not.toBe(vocabHash(["a", "bc"]));
    expect(vocabHash([])).not.toBe(vocabHash([""]));
  });

  it("embeddingHash: bit-exact (−0 vs 0), shape-sensitive, same for a copy", () => {
    const E = new Float32Array([1, 2, 3, 4, 0, 6]);
    expect(embeddingHash(E.slice(), 2)).toBe(embeddingHash(E, 2));
    expect(embeddingHash(E, 3)).not.toBe(embeddingHash(E, 2));
    const F = E.slice();
    F[4] = -0;
    expect(embeddingHash(F, 2)).not.toBe(embeddingHash(E, 2));
    expect(() => embeddingHash(E, 4)).toThrow(/width d = 4/);
  });
});

describe("embeddings file", () => {
  it("save → load round trip is bit-exact, with ids, header and hashes; atomic write leaves no temp file", async () => {
    const { emb, ids } = sample(37, 5);
    const path = join(dir, "a.emb");
    await saveEmbeddings(path, emb, ids);
    expect(readdirSync(dir).filter((f) => f.includes(".tmp"))).toEqual([]);
    const got = await loadEmbeddings(path, { vocab: ids, d: 5, kind: "item2vec", embeddingHash: embeddingHash(emb.E, 5) });
    expect(Buffer.from(got.E.buffer, got.E.byteOffset, got.E.byteLength).equals(Buffer.from(emb.E.buffer))).toBe(true);
    expect(Object.is(got.E[0], -0)).toBe(true);
    expect({ d: got.d, V: got.V, kind: got.kind, method: got.method, options: got.options, counts: got.counts })
      .toEqual({ d: emb.d, V: emb.V, kind: emb.kind, method: emb.method, options: emb.options, counts: emb.counts });
    expect(got.vocab!.ids()).toEqual(ids);
    expect(got.vocabHash).toBe(vocabHash(ids));
    // without ids: the hash still pairs it with the vocabulary
    await saveEmbeddings(join(dir, "b.emb"), emb, ids, { ids: false });
    const noIds = await loadEmbeddings(join(dir, "b.emb"), { vocab: vocabHash(ids) });
    expect(noIds.vocab).toBeNull();
    expect(readFileSync(join(dir, "b.emb")).length).toBeLessThan(readFileSync(path).length);
  });

  it("rejects truncated, corrupted, other-version, other-vocabulary, other-shape/kind/embedding files with their own codes", () => {
    const { emb, ids } = sample(20, 4);
    const bytes = encodeEmbeddings(emb, ids);
    expect(codeOf(() => decodeEmbeddings(bytes.subarray(0, bytes.length - 9)))).toBe("truncated");
    expect(codeOf(() => decodeEmbeddings(new Uint8Array(0)))).toBe("truncated");
    const flipped = bytes.slice();
    flipped[bytes.length - 40] ^= 1; // one bit of E
    expect(codeOf(() => decodeEmbeddings(flipped))).toBe("corrupted");
    expect(() => decodeEmbeddings(flipped, { name: "x.emb" })).toThrow(/x\.emb: corrupted: checksum mismatch/);
    const v2 = encode({ magic: "ENCEMBED", version: EMBEDDINGS_VERSION + 1, header: {}, sections: { E: emb.E } });
    expect(codeOf(() => decodeEmbeddings(v2))).toBe("version");
    expect(() => decodeEmbeddings(v2)).toThrow(/format version 2, this reader understands 1/);
    const other = encode({ magic: "ENCMODEL", version: 1, header: {}, sections: {} });
    expect(codeOf(() => decodeEmbeddings(other))).toBe("magic");
    const otherIds = [...ids];
    otherIds[7] = "t_other";
    expect(codeOf(() => decodeEmbeddings(bytes, { vocab: otherIds }))).toBe("vocabulary");
    expect(() => decodeEmbeddings(bytes, { vocab: otherIds })).toThrow(/another vocabulary \(20 tracks/);
    expect(codeOf(() => decodeEmbeddings(bytes, { vocab: ids.slice(0, 19) }))).toBe("vocabulary");
    expect(codeOf(() => decodeEmbeddings(bytes, { d: 8 }))).toBe("shape");
    expect(codeOf(() => decodeEmbeddings(bytes, { kind: "hybrid" }))).toBe("kind");
    expect(codeOf(() => decodeEmbeddings(bytes, { embeddingHash: "fnv1a64:0000000000000000" }))).toBe("embedding");
    // a well-formed container whose header lies about its payload (a faulty writer)
    const lying = encode({ magic: "ENCEMBED", version: 1, header: { kind: "item2vec", d: 4, V: 20, vocabHash: vocabHash(ids), embeddingHash: "fnv1a64:0123456789abcdef" }, sections: { E: emb.E } });
    expect(codeOf(() => decodeEmbeddings(lying))).toBe("format");
    const short = encode({ magic: "ENCEMBED", version: 1, header: { kind: "item2vec", d: 4, V: 21, vocabHash: "x", embeddingHash: "y" }, sections: { E: emb.E } });
    expect(() => decodeEmbeddings(short)).toThrow(/80 values, the header says V × d = 21 × 4/);
    // and the original still loads
    expect(codeOf(() => decodeEmbeddings(bytes, { vocab: ids, d: 4, kind: "item2vec" }))).toBe("no error");
  });

  it("refuses to save mismatched shapes and duplicate ids; a missing file names its path", async () => {
    const { emb, ids } = sample(10, 3);
    expect(() => encodeEmbeddings({ ...emb, V: 11 }, ids)).toThrow(/E has 30 values, expected V × d = 11 × 3/);
    expect(() => encodeEmbeddings(emb, ids.slice(1))).toThrow(/vocabulary has 9 tracks, E has V = 10/);
    expect(() => encodeEmbeddings(emb, [...ids.slice(1), ids[0]].map((x, i) => (i === 9 ? ids[1] : x)))).toThrow(/appears twice/);
    await expect(loadEmbeddings(join(dir, "nope.emb"))).rejects.toThrow(/nope\.emb: no such file/);
    writeFileSync(join(dir, "junk.emb"), "hello world, not an embedding file at all");
    await expect(loadEmbeddings(join(dir, "junk.emb"))).rejects.toThrow(/junk\.emb: not a "ENCEMBED" file/);
  });
});

describe("CSV export", () => {
  it("streams track_id,e0..e{d−1} that parses back to the same f32 values (quoted ids included)", async () => {
    const { emb, ids } = sample(3000, 7, 4); 
    ids[5] = 'odd,"id"';
    const path = join(dir, "e.csv");
    const r = await exportEmbeddingsCsv(path, emb.E, 7, ids);
    const text = readFileSync(path, "utf8");
    expect(r).toEqual({ rows: 3000, bytes: Buffer.byteLength(text) });
    const lines = text.split("\n");
    expect(lines.pop()).toBe("");
    expect(lines[0]).toBe("track_id,e0,e1,e2,e3,e4,e5,e6");
    expect(lines.length).toBe(3001);
    const back = new Float32Array(3000 * 7);
    for (let t = 0; t < 3000; t++) {
      const line = lines[t + 1];
      let id: string, rest: string;
      if (line.startsWith('"')) {
        const end = line.indexOf('",', 1);
        id = line.slice(1, end).replace(/""/g, '"');
        rest = line.slice(end + 2);
      } else {
        id = line.slice(0, line.indexOf(","));
        rest = line.slice(id.length + 1);
      }
      expect(id).toBe(ids[t]);
      const vals = rest.split(",");
      expect(vals.length).toBe(7);
      vals.forEach((v, j) => { back[t * 7 + j] = Number(v); });
    }
    expect(Buffer.from(back.buffer).equals(Buffer.from(emb.E.buffer))).toBe(true);
    // the writer streams chunks: small chunks join to the same text
    const chunks = [...embeddingsCsvChunks(emb.E, 7, (t) => ids[t], { chunkBytes: 1000 })];
    expect(chunks.length).toBeGreaterThan(100);
    expect(chunks.every((c) => c.length < 1000 + 200)).toBe(true);
    expect(chunks.join("")).toBe(text);
    // fewer digits: smaller file, values within the rounding
    const p4 = join(dir, "e4.csv");
    await exportEmbeddingsCsv(p4, emb.E, 7, ids, { digits: 4 });
    expect(readFileSync(p4).length).toBeLessThan(text.length);
    expect(existsSync(path)).toBe(true);
    await expect(exportEmbeddingsCsv(join(dir, "bad.csv"), emb.E, 7, ids.slice(1))).rejects.toThrow(/2999 track ids for 3000 rows/);
    expect(readdirSync(dir).filter((f) => f.includes(".tmp"))).toEqual([]);
  });
});
