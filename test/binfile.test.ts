import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { mkdtemp, readdir, rm, writeFile, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as zlib from "node:zlib";
import { BinFileError, crc32, decode, encode, encodeChunks, CONTAINER_VERSION, type BinFileContent } from "../src/io/binfile.js";
import { readBinFile, writeBinFile, writeFileAtomic } from "../src/io/atomic.js";
import { Rng } from "../src/rng.js";
import { ReplayBuffer } from "../src/rl/replay.js";
import { OUNoise } from "../src/rl/noise.js";

const EXPECT = { expectMagic: "ENCTEST", expectVersion: 3 };

function sample(): BinFileContent {
  const rng = new Rng(1);
  return {
    magic: "ENCTEST",
    version: 3,
    header: { hyper: { lr: 1e-3, gamma: 0.9, layers: [32, 64] }, note: "répertoire ♪" },
    sections: {
      // Odd lengths so every later section needs padding to stay 16-byte aligned.
      flags: Uint8Array.from({ length: 13 }, () => rng.int(2)),
      weights: Float32Array.from({ length: 37 }, () => rng.normal()),
      ids: Int32Array.from({ length: 5 }, () => rng.int(1000) - 500),
      empty: new Float32Array(0),
      hashes: Uint32Array.of(0, 1, 0xffffffff, 0xdeadbeef),
      bits: Uint16Array.of(0, 1, 0xffff, 0x8001, 7),
      state: Float64Array.of(Math.PI, -0, 1e-300, Number.MAX_VALUE),
    },
  };
}

/** Expect a BinFileError of this code whose message starts with the file name and matches `re`. */
function expectError(fn: () => unknown, code: string, name: string, re: RegExp): void {
  let err: unknown = null;
  try { fn(); } catch (e) { err = e; }
  expect(err, "expected an error").toBeInstanceOf(BinFileError);
  const e = err as BinFileError;
  expect(e.code).toBe(code);
  expect(e.message.startsWith(`${name}: `), e.message).toBe(true);
  expect(e.message).toMatch(re);
}

describe("crc32", () => {
  it("gives the standard check value and agrees with zlib on awkward lengths", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    const rng = new Rng(2);
    const z = (zlib as unknown as { crc32?: (b: Uint8Array) => number }).crc32;
    for (const n of [1, 3, 7, 8, 9, 15, 16, 17, 100, 1023]) {
      const b = Uint8Array.from({ length: n }, () => rng.int(256));
      // Bytewise reference: the textbook loop.
      let c = 0xffffffff;
      for (const x of b) { c ^= x; for (let k = 0; k < 8; k++) c = c & 1 ? (0xedb88320 ^ (c >>> 1)) >>> 0 : c >>> 1; }
      const ref = (c ^ 0xffffffff) >>> 0;
      expect(crc32(b)).toBe(ref);
      if (z) expect(crc32(b)).toBe(z(b) >>> 0);
      // Incremental in two pieces equals one pass.
      const cut = Math.floor(n / 3);
      expect(crc32(b.subarray(cut), crc32(b.subarray(0, cut)))).toBe(ref);
    }
  });
});

describe("binfile encode/decode", () => {
  it("round-trips header and every section type, 16-byte aligned", () => {
    const c = sample();
    const bytes = encode(c);
    const f = decode(bytes, { ...EXPECT, name: "x.bin" });
    expect(f.magic).toBe("ENCTEST");
    expect(f.version).toBe(3);
    expect(f.header).toEqual(c.header);
    const secs = c.sections as Record<string, ArrayLike<number>>;
    expect(f.names).toEqual(Object.keys(secs));
    for (const name of f.names) {
      const got = f.get(name);
      expect(got.constructor).toBe((secs[name] as object).constructor);
      expect(Array.from(got)).toEqual(Array.from(secs[name]));
      expect(f.info(name).byteOffset % 16).toBe(0);
    }
    expect(Object.is(f.f64("state")[1], -0)).toBe(true);
    expect(f.u32("hashes")[2]).toBe(0xffffffff);
    expect(Array.from(f.u16("bits"))).toEqual([0, 1, 0xffff, 0x8001, 7]);
    // Fixed header fields as documented.
    const v = new DataView(bytes.buffer);
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe("ENCTEST\0");
    expect(v.getUint32(8, true)).toBe(CONTAINER_VERSION);
    expect(v.getUint32(12, true)).toBe(3);
    expect(v.getUint32(16, true)).toBe(bytes.length);
    expect(v.getUint32(bytes.length - 4, true)).toBe(crc32(bytes.subarray(0, bytes.length - 4)));
  });

  it("encodeChunks streams the same bytes: the sections as views of their arrays, the CRC-32 last", () => {
    const c = sample();
    const chunks = encodeChunks(c);
    const joined = new Uint8Array(chunks.reduce((n, x) => n + x.length, 0));
    let at = 0;
    for (const x of chunks) { joined.set(x, at); at += x.length; }
    expect(Array.from(joined)).toEqual(Array.from(encode(c)));
    const w = (c.sections as Record<string, Float32Array>).weights;
    expect(chunks.some((x) => x.buffer === w.buffer && x.byteOffset === w.byteOffset)).toBe(true);
    expect(chunks[chunks.length - 1].length).toBe(4);
  });

  it("decodes from an unaligned buffer (copies) and accepts a list of versions", () => {
    const bytes = encode(sample());
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    const f = decode(shifted, { expectMagic: "ENCTEST", expectVersion: [2, 3] });
    expect(Array.from(f.f32("weights"))).toEqual(Array.from((sample().sections as Record<string, Float32Array>).weights));
    expect(f.f64("state")[0]).toBe(Math.PI);
  });

  it("accepts sections as an ordered list and a null header", () => {
    const bytes = encode({ magic: "M", version: 0, sections: [["b", Int32Array.of(1)], ["a", Uint8Array.of(2)]] });
    const f = decode(bytes, { expectMagic: "M", expectVersion: 0 });
    expect(f.names).toEqual(["b", "a"]);
    expect(f.header).toBe(null);
  });

  it("rejects a truncated file", () => {
    const bytes = encode(sample());
    expectError(() => decode(bytes.subarray(0, bytes.length - 1), { ...EXPECT, name: "model.bin" }), "truncated", "model.bin", new RegExp(`truncated: ${bytes.length - 1} bytes, the file says ${bytes.length}`));
    expectError(() => decode(bytes.subarray(0, 20), { ...EXPECT, name: "model.bin" }), "truncated", "model.bin", /truncated: 20 bytes/);
    expectError(() => decode(bytes.subarray(0, 5), { ...EXPECT, name: "model.bin" }), "truncated", "model.bin", /truncated/);
    expectError(() => decode(new Uint8Array(0), { ...EXPECT, name: "model.bin" }), "truncated", "model.bin", /empty file/);
  });

  it("rejects corruption anywhere (checksum) and trailing bytes", () => {
    const bytes = encode(sample());
    // A flipped bit in the version-independent header fields, the directory JSON, a payload, and the checksum itself.
    for (const at of [24, 40, bytes.length - 20, bytes.length - 2]) {
      const bad = bytes.slice();
      bad[at] ^= 0x10;
      expectError(() => decode(bad, { ...EXPECT, name: "m.bin" }), "corrupted", "m.bin", /corrupted: checksum mismatch \(stored CRC-32 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)/);
    }
    const longer = new Uint8Array(bytes.length + 3);
    longer.set(bytes);
    expectError(() => decode(longer, { ...EXPECT, name: "m.bin" }), "corrupted", "m.bin", /trailing bytes/);
  });

  it("rejects another file kind by its magic", () => {
    const bytes = encode({ ...sample(), magic: "ENCEMB" });
    expectError(() => decode(bytes, { ...EXPECT, name: "e.bin" }), "magic", "e.bin", /not a "ENCTEST" file \(magic bytes 45 4e 43 45 4d 42 00 00, expected 45 4e 43 54 45 53 54 00\)/);
    expectError(() => decode(new TextEncoder().encode("hello world, this is text and long enough to pass"), { ...EXPECT, name: "t.txt" }), "magic", "t.txt", /not a "ENCTEST" file/);
    expectError(() => decode(Uint8Array.of(1, 2), { ...EXPECT, name: "t" }), "magic", "t", /not a "ENCTEST" file/);
  });

  it("rejects another format version after verifying the checksum", () => {
    const bytes = encode({ ...sample(), version: 4 });
    expectError(() => decode(bytes, { ...EXPECT, name: "v.bin" }), "version", "v.bin", /format version 4, this reader understands 3/);
    expectError(() => decode(bytes, { expectMagic: "ENCTEST", expectVersion: [1, 2], name: "v.bin" }), "version", "v.bin", /understands 1 or 2/);
  });

  it("rejects a missing section and a section read as the wrong type", () => {
    const f = decode(encode(sample()), { ...EXPECT, name: "s.bin" });
    expectError(() => f.get("critic"), "missing", "s.bin", /missing section "critic" \(the file has "flags", "weights", /);
    expectError(() => f.f32("ids"), "type", "s.bin", /section "ids" holds Int32Array, expected Float32Array/);
    expect(f.has("ids")).toBe(true);
    expect(f.has("critic")).toBe(false);
  });

  it("refuses to encode bad content", () => {
    expect(() => encode({ ...sample(), magic: "TOOLONGMAGIC" })).toThrow(/magic must be 1–8 printable ASCII/);
    expect(() => encode({ ...sample(), version: -1 })).toThrow(/version must be a u32/);
    expect(() => encode({ magic: "M", version: 1, sections: [["a", new Uint8Array(1)], ["a", new Uint8Array(1)]] })).toThrow(/section "a" appears twice/);
    expect(() => encode({ magic: "M", version: 1, sections: { a: new Int16Array(2) as unknown as Uint8Array } })).toThrow(/unsupported section array type/);
  });

  it("carries a replay buffer and an OU noise state through a checkpoint and restores them exactly", () => {
    const buf = new ReplayBuffer(3, 2, 5);
    const st3 = (a: number[]) => ({ tracks: Int32Array.from(a), kept: Uint8Array.from(a, (x) => x % 2) });
    for (let t = 0; t < 7; t++) buf.push(st3([t, t + 1, t + 2]), [t * 10, t * 10 + 1], [t % 2, 1], t / 3, st3([t + 1, t + 2, t + 3]), t === 6);
    const noise = new OUNoise(4, new Rng(3));
    // 9 draws of 4 normals: an even count, so no Box–Muller spare is cached (the JSON-unsafe NaN case).
    for (let t = 0; t < 9; t++) noise.sample(new Float32Array(4));
    expect(noise.getState().rng.spare).toBe(null);
    const st = buf.getState(), ns = noise.getState();
    const bytes = encode({
      magic: "ENCTEST", version: 3,
      header: { replay: { N: st.N, K: st.K, capacity: st.capacity, size: st.size, head: st.head }, noise: { kind: ns.kind, dim: ns.dim, step: ns.step, rng: ns.rng } },
      sections: { "replay.states": st.states, "replay.kept": st.kept, "replay.actions": st.actions, "replay.rewards": st.rewards, "replay.reward": st.reward, "replay.nexts": st.nexts, "replay.nextKept": st.nextKept, "replay.dones": st.dones, "replay.features": st.features, "noise.x": ns.x },
    });
    const f = decode(bytes, EXPECT);
    const h = f.header as { replay: { N: number; K: number; capacity: number; size: number; head: number }; noise: { kind: "ou"; dim: number; step: number; rng: { words: [number, number, number, number]; spare: number | null } } };
    const back = new ReplayBuffer(3, 2, 5);
    back.setState({ ...h.replay, states: f.i32("replay.states"), kept: f.u8("replay.kept"), actions: f.i32("replay.actions"), rewards: f.f32("replay.rewards"), reward: f.f32("replay.reward"), nexts: f.i32("replay.nexts"), nextKept: f.u8("replay.nextKept"), dones: f.u8("replay.dones"), features: f.f32("replay.features") });
    const noise2 = new OUNoise(4, new Rng(0));
    noise2.setState({ ...h.noise, x: f.f64("noise.x") });
    const sb = back.sample(new Rng(4), 6), sa = buf.sample(new Rng(4), 6);
    expect(Array.from(sb.reward)).toEqual(Array.from(sa.reward));
    expect(Array.from(sb.kept)).toEqual(Array.from(sa.kept));
    expect(Array.from(sb.nextKept)).toEqual(Array.from(sa.nextKept));
    const a = new Float32Array(4), b = new Float32Array(4);
    noise.sample(a);
    noise2.sample(b);
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});

describe("binfile on disk", () => {
  let dir = "";
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), "encore-binfile-")); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it("writes atomically and reads back with checks", async () => {
    const path = join(dir, "model.bin");
    await writeBinFile(path, sample());
    const f = await readBinFile(path, EXPECT);
    expect(f.header).toEqual(sample().header);
    expect(Array.from(f.i32("ids"))).toEqual(Array.from((sample().sections as Record<string, Int32Array>).ids));
    expect(await readdir(dir)).toEqual(["model.bin"]);
    // Overwrite with new content.
    await writeBinFile(path, { ...sample(), header: { second: true } });
    expect((await readBinFile(path, EXPECT)).header).toEqual({ second: true });
    expect(await readdir(dir)).toEqual(["model.bin"]);
  });

  it("a write that fails before the rename leaves the old file intact and no temporary file", async () => {
    const path = join(dir, "model.bin");
    await writeBinFile(path, sample());
    const before = await readFile(path);
    let temp = "";
    await expect(writeBinFile(path, { ...sample(), header: { second: true } }, {
      beforeRename: async (t) => {
        temp = t;
        // The complete new file exists beside the old one at this point.
        expect((await readdir(dir)).sort()).toEqual([t.slice(dir.length + 1), "model.bin"].sort());
        throw new Error("disk full (simulated)");
      },
    })).rejects.toThrow(new RegExp(`cannot write ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: disk full \\(simulated\\)`));
    expect(temp).not.toBe("");
    expect(await readdir(dir)).toEqual(["model.bin"]);
    expect(Buffer.compare(await readFile(path), before)).toBe(0);
    expect((await readBinFile(path, EXPECT)).header).toEqual(sample().header);
    // Content that cannot be encoded never touches the file either.
    await expect(writeBinFile(path, { ...sample(), magic: "" })).rejects.toThrow(/magic/);
    expect(Buffer.compare(await readFile(path), before)).toBe(0);
  });

  it("a write into a missing directory fails with the path and leaves nothing behind", async () => {
    const path = join(dir, "no", "such", "model.bin");
    await expect(writeFileAtomic(path, new Uint8Array(4))).rejects.toThrow(/cannot write .*model\.bin/);
    expect(await readdir(dir)).toEqual([]);
  });

  it("read errors name the file", async () => {
    const missing = join(dir, "missing.bin");
    await expect(readBinFile(missing, EXPECT)).rejects.toThrow(new RegExp(`missing\\.bin: no such file`));
    const path = join(dir, "cut.bin");
    const bytes = encode(sample());
    await writeFile(path, bytes.subarray(0, bytes.length - 7));
    await expect(readBinFile(path, EXPECT)).rejects.toThrow(/cut\.bin: truncated/);
    const bad = bytes.slice();
    bad[bytes.length - 30] ^= 1;
    await writeFile(path, bad);
    await expect(readBinFile(path, EXPECT)).rejects.toThrow(/cut\.bin: corrupted: checksum mismatch/);
  });
});
