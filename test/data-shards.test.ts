// The sharded dataset (src/data/shards.ts) against the in-memory build (src/data/dataset.ts):
// the same vocabulary, sessions, rows, flags, counts and features for shard sizes that cut
// the sessions unevenly, over several synthetic log files and the real slice; every file
// checked on load (corrupt, truncated, missing, swapped or foreign shards name the file);
// the memory budget sizing the shards and the session-id check (a tiny budget spills the
// ids and writes many shards, with the same data); duplicates across files; the
// per-session hash split.
import { HAVE_REAL_LOG, HAVE_REAL_TF, REAL_LOG, REAL_TF } from "./util/mssd.js";
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { LOG_COLUMNS } from "../src/data/schema.js";
import { buildDataset, ORIGINAL_PRESET, type DatasetOptions, type MssdDataset } from "../src/data/dataset.js";
import { buffersOfProcessBudget, BUILD_HEADROOM_BYTES, MIN_BUFFER_BYTES, buildShardedDataset, openShardedDataset, shardBudget, shardFile, MANIFEST_FILE, VOCAB_FILE, type ShardedDataset } from "../src/data/shards.js";
import { writeSynthetic } from "../src/data/synth-write.js";
import { hashSplit, hashUnit, inHashTrain } from "../src/data/split.js";
import { MssdCacheError, MssdFormatError } from "../src/data/errors.js";
import { LOG_FLAG } from "../src/data/log-parser.js";
import { ItemKnnPolicy, trainingPlayCountsStream } from "../src/eval/baselines.js";
import { MarkovSource } from "../src/eval/session-baselines.js";
import { itemKnnFitReference, markovFitReference, playCountsReference } from "./reference/baselines.js";

const haveReal = HAVE_REAL_LOG && HAVE_REAL_TF;
if (!haveReal) console.log(`skipping real-data sharded dataset tests: ${REAL_LOG} or ${REAL_TF} not found`);

let dir = "";
let synth: { logs: string[]; tfs: string[] };
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "encore-shards-"));
  // Three log files of different sizes (one gzipped, as MSSD's training_set is), their catalogs from different seeds.
  const a = await writeSynthetic({ dir, prefix: "a", seed: 1, numSessions: 700, model: { numTracks: 400 } });
  const b = await writeSynthetic({ dir, prefix: "b", seed: 2, numSessions: 300, model: { numTracks: 400 }, gzip: true });
  const c = await writeSynthetic({ dir, prefix: "c", seed: 1, numSessions: 450, model: { numTracks: 400 }, sessions: { homeGenreRate: 0.5 } });
  // c has seed 1 like a: its session ids would repeat a's; rename them.
  const cText = readFileSync(c.logPath, "utf8").replace(/^0_/gm, "c_");
  writeFileSync(c.logPath, cText);
  synth = { logs: [a.logPath, b.logPath, c.logPath], tfs: [a.tfPath, b.tfPath] };
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Index of the first difference of two arrays, -1 when equal (length included). */
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  return a.length === b.length ? -1 : n;
}

/** Streams the shards and checks them against the in-memory dataset: everything equal. */
function expectSame(sh: ShardedDataset, mem: MssdDataset): void {
  expect(sh.trackCount).toBe(mem.trackCount);
  expect(sh.vocab.ids()).toEqual(mem.vocab.ids());
  expect(sh.sessionCount).toBe(mem.sessionCount);
  expect(sh.rowCount).toBe(mem.rowCount);
  let s0 = 0, r0 = 0, k = 0;
  for (const c of sh.chunks()) {
    expect(c.index).toBe(k++);
    expect(c.firstSession).toBe(s0);
    expect(c.V).toBe(mem.trackCount);
    const S = c.sessionLength.length, R = c.tracks.length;
    expect(c.sessionOffsets[0]).toBe(0);
    expect(firstDiff(Array.from(c.sessionOffsets, (o) => o + r0), mem.sessionOffsets.subarray(s0, s0 + S + 1))).toBe(-1);
    expect(firstDiff(c.sessionLength, mem.sessionLength.subarray(s0, s0 + S))).toBe(-1);
    expect(firstDiff(c.tracks, mem.tracks.subarray(r0, r0 + R))).toBe(-1);
    expect(firstDiff(c.flags, mem.flags.subarray(r0, r0 + R))).toBe(-1);
    s0 += S;
    r0 += R;
  }
  expect([s0, r0]).toEqual([mem.sessionCount, mem.rowCount]);
  expect(firstDiff(sh.playCount, mem.playCount)).toBe(-1);
  expect(firstDiff(sh.skipCount, mem.skipCount)).toBe(-1);
  expect(firstDiff(sh.featureRow, mem.featureRow)).toBe(-1);
  expect(firstDiff(sh.features, mem.features)).toBe(-1);
  expect(sh.options).toEqual(mem.options);
  expect(JSON.stringify(sh.report)).toBe(JSON.stringify(mem.report));
  // and the assembled form
  const back = sh.toDataset();
  expect(firstDiff(back.sessionOffsets, mem.sessionOffsets)).toBe(-1);
  expect(firstDiff(back.tracks, mem.tracks)).toBe(-1);
}

let built = 0;
async function buildBoth(logs: string[], tfs: string[], options: DatasetOptions, build: Parameters<typeof buildShardedDataset>[3]) {
  const out = join(dir, `ds${built++}`);
  const r = await buildShardedDataset({ logs, trackFeatures: tfs }, out, options, build);
  const mem = await buildDataset({ logs, trackFeatures: tfs }, options);
  return { out, manifest: r.manifest, sh: openShardedDataset(out), mem };
}

describe("sharded dataset = in-memory dataset", () => {
  it("over three synthetic logs, for shard sizes that cut the sessions unevenly", async () => {
    const cases: [DatasetOptions, { shardRows?: number; shardSessions?: number }][] = [
      [{}, { shardRows: 211 }],
      [{}, { shardSessions: 7 }],
      [{ minPlays: 3, completeOnly: false }, { shardRows: 1009, shardSessions: 50 }],
      [{ minPopularity: 60, minLength: 12, completeOnly: true }, { shardRows: 4999 }],
      [{ minPlays: 2, requireFeatures: true, completeOnly: false }, {}],
    ];
    for (const [options, build] of cases) {
      const { sh, mem, manifest } = await buildBoth(synth.logs, synth.tfs, options, build);
      expect(mem.sessionCount).toBeGreaterThan(100);
      expectSame(sh, mem);
      const sizes = manifest.shards.map((s) => s.sessions);
      if (build.shardRows || build.shardSessions) {
        expect(sizes.length).toBeGreaterThan(2);
        if (!build.shardSessions) expect(new Set(sizes).size).toBeGreaterThan(1); // cut by rows: sessions per shard vary
      }
      for (const s of manifest.shards) {
        if (build.shardSessions) expect(s.sessions).toBeLessThanOrEqual(build.shardSessions);
        if (build.shardRows && s.sessions > 1) expect(s.rows).toBeLessThanOrEqual(build.shardRows);
      }
    }
  });

  it("the filters drop tracks and sessions in both builds alike (the filters have work to do)", async () => {
    const { sh, mem } = await buildBoth(synth.logs, synth.tfs, { minPlays: 40, completeOnly: true }, { shardSessions: 11 });
    expect(mem.report.tracksDropped.plays).toBeGreaterThan(0);
    expect(mem.report.dropped.trackFilter).toBeGreaterThan(0);
    expectSame(sh, mem);
  });

  it("a rebuild into the same folder replaces the set and removes shards it no longer lists", async () => {
    const out = join(dir, "rebuild");
    await buildShardedDataset({ logs: synth.logs, trackFeatures: synth.tfs }, out, {}, { shardSessions: 40 });
    const many = openShardedDataset(out).shardCount;
    await buildShardedDataset({ logs: synth.logs.slice(0, 1), trackFeatures: synth.tfs }, out, {}, { shardSessions: 400 });
    const few = openShardedDataset(out);
    expect(few.shardCount).toBeLessThan(many);
    expect(readdirSync(out).filter((n) => n.startsWith("shard-")).length).toBe(few.shardCount);
    expect(readdirSync(out).filter((n) => n.startsWith("."))).toEqual([]); // no temporaries left
    expectSame(few, await buildDataset({ logs: synth.logs.slice(0, 1), trackFeatures: synth.tfs }));
  });
});

describe("a second prepare of the same inputs", () => {
  it("reuses the folder when inputs (paths, sizes, times) and options match; rebuilds, saying why, when they do not or the set is damaged", async () => {
    const out = join(dir, "reuse"), inputs = { logs: synth.logs.slice(0, 2), trackFeatures: synth.tfs };
    const first = await buildShardedDataset(inputs, out, {}, { shardSessions: 50 });
    expect(first.cache).toBe("built");
    const manifest = readFileSync(join(out, MANIFEST_FILE));
    expect(existsSync(join(out, MANIFEST_FILE + ".stamp.json"))).toBe(true);
    // the same inputs and options: a hit, whatever the budget (it shapes shards, not data); nothing rewritten
    const again = await buildShardedDataset(inputs, out, {}, { shardSessions: 7 });
    expect(again.cache).toBe("hit");
    expect(again.manifest.shards.length).toBe(first.manifest.shards.length);
    expect(readFileSync(join(out, MANIFEST_FILE)).equals(manifest)).toBe(true);
    // asked to rebuild: the same manifest bytes (no time or budget inside it changes the data's description)
    const forced = await buildShardedDataset(inputs, out, {}, { shardSessions: 50, rebuild: true });
    expect([forced.cache, forced.reason]).toEqual(["rebuilt", "rebuild asked for"]);
    expect(readFileSync(join(out, MANIFEST_FILE)).equals(manifest)).toBe(true);
    // other options
    const opts = await buildShardedDataset(inputs, out, { minPlays: 2 }, { shardSessions: 50 });
    expect([opts.cache, opts.reason]).toEqual(["rebuilt", "options changed"]);
    // an input touched (same bytes, a new modification time)
    const t = new Date(Date.now() + 5000);
    utimesSync(inputs.logs[1], t, t);
    const touched = await buildShardedDataset(inputs, out, { minPlays: 2 }, { shardSessions: 50 });
    expect([touched.cache, touched.reason]).toEqual(["rebuilt", "inputs changed"]);
    expect((await buildShardedDataset(inputs, out, { minPlays: 2 }, { shardSessions: 50 })).cache).toBe("hit");
    // another input list
    const fewer = await buildShardedDataset({ logs: inputs.logs.slice(0, 1), trackFeatures: synth.tfs }, out, { minPlays: 2 }, { shardSessions: 50 });
    expect([fewer.cache, fewer.reason]).toEqual(["rebuilt", "inputs changed"]);
    // a damaged set (a shard truncated): the reused set's checks fail, so it is rebuilt, not trusted
    expect((await buildShardedDataset(inputs, out, {}, { shardSessions: 50 })).cache).toBe("rebuilt");
    truncateSync(join(out, shardFile(0)), 10);
    const damaged = await buildShardedDataset(inputs, out, {}, { shardSessions: 50 });
    expect(damaged.cache).toBe("rebuilt");
    expect(damaged.reason).toMatch(/shard-000000\.bin|size|CRC|truncated/i);
    // a missing stamp: the times are unknown, so it rebuilds
    unlinkSync(join(out, MANIFEST_FILE + ".stamp.json"));
    const stampless = await buildShardedDataset(inputs, out, {}, { shardSessions: 50 });
    expect(stampless.cache).toBe("rebuilt");
    expect(stampless.reason).toMatch(/input times unknown/);
    expectSame(openShardedDataset(out), await buildDataset(inputs));
  });
});

describe.skipIf(!haveReal)("sharded dataset on the real slice", () => {
  it("log_mini cut into two files at a session boundary: the same as the in-memory build", async () => {
    const lines = gunzipSync(readFileSync(REAL_LOG)).toString("utf8").split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    let cut = Math.floor(lines.length / 2);
    while (lines[cut].split(",", 1)[0] === lines[cut - 1].split(",", 1)[0]) cut++;
    const p1 = join(dir, "real_1.csv"), p2 = join(dir, "real_2.csv");
    writeFileSync(p1, lines.slice(0, cut).join("\n") + "\n");
    writeFileSync(p2, [lines[0], ...lines.slice(cut)].join("\n") + "\n");
    for (const [options, build] of [[{ completeOnly: false }, { shardRows: 7919 }], [{ ...ORIGINAL_PRESET, minPlays: 2 }, { shardSessions: 13 }]] as const) {
      const { sh, mem, manifest } = await buildBoth([p1, p2], [REAL_TF], options, build);
      expect(mem.sessionCount).toBeGreaterThan(10);
      expectSame(sh, mem);
      if (build !== undefined && Object.keys(build).length > 0) expect(manifest.shards.length).toBeGreaterThan(2);
    }
  });
});

describe("memory budget", () => {
  it("sizes the shards and the session-id table; a tiny budget spills the ids and writes many shards, with the same data", async () => {
    const big = shardBudget({ memoryBytes: 512 * 1024 * 1024 }), half = shardBudget({ memoryBytes: 256 * 1024 * 1024 });
    expect(half.shardRows).toBe(Math.floor(big.shardRows / 2));
    expect(half.idBytes).toBe(big.idBytes / 2);
    expect(() => shardBudget({ memoryBytes: 1000 })).toThrow(/at least 64 KiB/);
    // a whole-process budget: the buffers get what the runtime and the parsing headroom leave
    const MiB = 1024 * 1024;
    expect(buffersOfProcessBudget(512 * MiB, 70 * MiB)).toBe(512 * MiB - 70 * MiB - BUILD_HEADROOM_BYTES);
    expect(buffersOfProcessBudget(256 * MiB, 70 * MiB)).toBe(256 * MiB - 70 * MiB - BUILD_HEADROOM_BYTES);
    const least = 70 + BUILD_HEADROOM_BYTES / MiB + MIN_BUFFER_BYTES / MiB;
    expect(buffersOfProcessBudget(least * MiB, 70 * MiB)).toBe(MIN_BUFFER_BYTES);
    expect(() => buffersOfProcessBudget((least - 1) * MiB, 70 * MiB)).toThrow(new RegExp(`give at least ${least}$`));
    const tiny = 64 * 1024;
    const { sh, mem, manifest } = await buildBoth(synth.logs, synth.tfs, { completeOnly: false }, { memoryBytes: tiny });
    const rowsCap = shardBudget({ memoryBytes: tiny }).shardRows;
    expect(manifest.build.idRuns).toBeGreaterThan(0); // the id check spilled sorted runs
    expect(manifest.shards.length).toBeGreaterThan(mem.rowCount / rowsCap - 1);
    for (const s of manifest.shards) expect(s.rows).toBeLessThanOrEqual(rowsCap);
    expectSame(sh, mem);
    // the default budget holds all of it in one shard and never spills
    const roomy = await buildBoth(synth.logs, synth.tfs, { completeOnly: false }, {});
    expect(roomy.manifest.shards.length).toBe(1);
    expect(roomy.manifest.build.idRuns).toBe(0);
  });
});

/** A log of sessions [id, tracks] (all rows unskipped). */
function writeLog(name: string, sessions: [string, string[]][]): string {
  const lines = [LOG_COLUMNS.join(",")];
  for (const [sid, tracks] of sessions) {
    tracks.forEach((t, i) => {
      const v: Record<string, string> = {
        session_id: sid, session_position: String(i + 1), session_length: String(tracks.length), track_id_clean: t,
        skip_1: "False", skip_2: i % 3 === 0 ? "True" : "False", skip_3: "False", not_skipped: "True", context_switch: "0",
        no_pause_before_play: "0", short_pause_before_play: "0", long_pause_before_play: "0", hist_user_behavior_n_seekfwd: "0",
        hist_user_behavior_n_seekback: "0", hist_user_behavior_is_shuffle: "False", hour_of_day: "3", date: "2018-07-01",
        premium: "False", context_type: "radio", hist_user_behavior_reason_start: "fwdbtn", hist_user_behavior_reason_end: "fwdbtn",
      };
      lines.push(LOG_COLUMNS.map((c) => v[c]).join(","));
    });
  }
  const p = join(dir, name);
  writeFileSync(p, lines.join("\n") + "\n");
  return p;
}

describe("duplicate sessions across files", () => {
  it("a session id of one file repeated in another is a located error; lenient drops and counts it", async () => {
    const A = writeLog("dupA.csv", [["s1", ["x1", "x2"]], ["s2", ["x3", "x4", "x5"]], ["s3", ["x1"]]]);
    const B = writeLog("dupB.csv", [["s4", ["x2", "x9"]], ["s2", ["x3", "x4", "x5"]], ["s5", ["x6"]]]);
    await expect(buildShardedDataset({ logs: [A, B] }, join(dir, "dup1"), {}, {})).rejects.toThrow(/dupB\.csv:4: column session_id: expected each session id once in the input, found session "s2" again \(first at dupA\.csv:4\)/);
    expect(existsSync(join(dir, "dup1", MANIFEST_FILE))).toBe(false);
    const { sh, mem } = await buildBoth([A, B], [], { lenient: true }, { shardSessions: 2 });
    expect(sh.report.dropped.duplicates).toBe(1);
    expect(sh.sessionCount).toBe(6 - 1);
    expectSame(sh, mem);
  });

  it("found after the ids spilled to disk (tiny budget): strict names both places, lenient reads again and drops it", async () => {
    // The first session of log_a again, in a file read after log_a's ids were spilled.
    const aLines = readFileSync(synth.logs[0], "utf8").split("\n");
    const first = aLines[1].split(",", 1)[0];
    const rows = aLines.slice(1).filter((l) => l.split(",", 1)[0] === first);
    const dup = join(dir, "dup_late.csv");
    writeFileSync(dup, [aLines[0], ...rows].join("\n") + "\n");
    const logs = [synth.logs[0], synth.logs[2], dup];
    const tiny = { memoryBytes: 64 * 1024 };
    const err = await buildShardedDataset({ logs }, join(dir, "dup2"), {}, tiny).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MssdFormatError);
    expect((err as Error).message).toMatch(/^dup_late\.csv:2: column session_id: expected each session id once in the input, found a session id again \(first at log_a\.csv:2\)/);
    const r = await buildShardedDataset({ logs }, join(dir, "dup3"), { lenient: true }, tiny);
    expect(r.manifest.build.idRuns).toBeGreaterThan(0);
    expect(r.manifest.report.dropped.duplicates).toBe(1);
    expectSame(openShardedDataset(join(dir, "dup3")), await buildDataset({ logs }, { lenient: true }));
  });
});

describe("every file is checked on load", () => {
  /** Equal-length sessions, one a shard: every shard file has the same size. */
  async function evenSet(name: string, prefix: string, shift = 1): Promise<string> {
    const log = writeLog(`${name}.csv`, Array.from({ length: 5 }, (_, s) => [`${prefix}${s}`, [`${prefix}t${s}`, `${prefix}u${s}`, `${prefix}t${(s + shift) % 5}`]] as [string, string[]]));
    const out = join(dir, name);
    await buildShardedDataset({ logs: [log] }, out, {}, { shardSessions: 1 });
    return out;
  }
  const shardErr = (out: string): unknown => {
    try {
      openShardedDataset(out).verify();
      return null;
    } catch (e) {
      return e;
    }
  };

  it("a corrupted, truncated or missing shard, a corrupted vocabulary or manifest, a missing manifest: errors naming the file", async () => {
    const out = await evenSet("checks", "k");
    expect(shardErr(out)).toBeNull();
    const sizes = readdirSync(out).filter((n) => n.startsWith("shard-")).map((n) => readFileSync(join(out, n)).length);
    expect(new Set(sizes).size).toBe(1);

    const s1 = join(out, shardFile(1)), keep = readFileSync(s1);
    const bad = Uint8Array.from(keep);
    bad[bad.length - 9] ^= 0x40; // a track index byte: only the checksum can tell
    writeFileSync(s1, bad);
    let e = shardErr(out);
    expect(e).toBeInstanceOf(MssdCacheError);
    expect((e as Error).message).toMatch(new RegExp(`^${s1}: corrupted: checksum mismatch .*\\(shard 1 of 5 in manifest\\.bin\\)`));
    writeFileSync(s1, keep);

    truncateSync(s1, keep.length - 3);
    expect(() => openShardedDataset(out)).toThrow(new RegExp(`^${s1}: ${keep.length - 3} bytes, the manifest says ${keep.length} \\(shard 1 of 5`));
    writeFileSync(s1, keep);

    const s4 = join(out, shardFile(4)), keep4 = readFileSync(s4);
    unlinkSync(s4);
    expect(() => openShardedDataset(out)).toThrow(new RegExp(`^${s4}: no such file \\(shard 4 of 5`));
    writeFileSync(s4, keep4);
    expect(shardErr(out)).toBeNull();

    const vp = join(out, VOCAB_FILE), v = readFileSync(vp);
    v[v.length - 20] ^= 1;
    writeFileSync(vp, v);
    expect(() => openShardedDataset(out)).toThrow(new RegExp(`^${vp}: `));

    const mp = join(out, MANIFEST_FILE), m = readFileSync(mp);
    m[40] ^= 1;
    writeFileSync(mp, m);
    expect(() => openShardedDataset(out)).toThrow(new RegExp(`^${mp}: corrupted: checksum mismatch`));
    unlinkSync(mp);
    expect(() => openShardedDataset(out)).toThrow(new RegExp(`^${mp}: no such file \\(not a sharded dataset`));
  });

  it("swapped shards and a shard of another build (same sizes, valid containers) are caught by the manifest's CRC-32", async () => {
    const out = await evenSet("swap", "w"), other = await evenSet("other", "o", 3);
    const p0 = join(out, shardFile(0)), p1 = join(out, shardFile(1));
    const b0 = readFileSync(p0), b1 = readFileSync(p1);
    writeFileSync(p0, b1);
    writeFileSync(p1, b0);
    const e = shardErr(out);
    expect(e).toBeInstanceOf(MssdCacheError);
    expect((e as Error).message).toMatch(new RegExp(`^${p0}: CRC-32 0x[0-9a-f]{8}, the manifest says 0x[0-9a-f]{8} \\(shard 0 of 5 in manifest\\.bin: files swapped, or from another build\\)`));
    writeFileSync(p0, b0);
    writeFileSync(p1, b1);
    expect(shardErr(out)).toBeNull();
    copyFileSync(join(other, shardFile(2)), join(out, shardFile(2)));
    expect((shardErr(out) as Error).message).toMatch(new RegExp(`^${join(out, shardFile(2))}: CRC-32 .*files swapped, or from another build`));
  });
});

describe("per-session hash split", () => {
  it("is deterministic, seeded, about trainFraction, and the chunks' sessions are its parts", async () => {
    expect(hashUnit(3, 12345)).toBe(hashUnit(3, 12345));
    const u = Array.from({ length: 20_000 }, (_, i) => hashUnit(7, i));
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    const share = u.filter((x) => x < 0.7).length / u.length;
    expect(Math.abs(share - 0.7)).toBeLessThan(0.02);
    const other = Array.from({ length: 2000 }, (_, i) => inHashTrain(i, { seed: 8 }));
    const same = Array.from({ length: 2000 }, (_, i) => inHashTrain(i, { seed: 7 }));
    expect(other.filter((x, i) => x !== same[i]).length).toBeGreaterThan(400);

    const { sh } = await buildBoth(synth.logs, synth.tfs, {}, { shardSessions: 97 });
    const spec = { seed: 5, trainFraction: 0.7 };
    const want = hashSplit(sh.sessionCount, spec);
    const got = { train: [] as number[], test: [] as number[] };
    for (const part of ["train", "test"] as const) {
      for (const c of sh.chunks({ split: { ...spec, part } })) for (const s of Array.from(c.sessions!)) got[part].push(c.firstSession + s);
    }
    expect(got.train).toEqual(Array.from(want.train));
    expect(got.test).toEqual(Array.from(want.test));
    expect(got.train.length + got.test.length).toBe(sh.sessionCount);
    expect(Math.abs(got.train.length / sh.sessionCount - 0.7)).toBeLessThan(0.05);
    // a chunk's skip flags feed a fit as they are
    let skips = 0;
    for (const c of sh.chunks()) for (let i = 0; i < c.flags.length; i++) if (c.flags[i] & LOG_FLAG.skip_2) skips++;
    expect(skips).toBe(sh.skipCount.reduce((a, b) => a + b, 0));
  });
});

describe("the most recent sessions of a part", () => {
  it("are the part's last sessions in dataset order, read back from the last shard, rows and flags as the in-memory dataset's", async () => {
    const { sh, mem } = await buildBoth(synth.logs, synth.tfs, {}, { shardSessions: 41 });
    const spec = { seed: 2, trainFraction: 0.7 };
    const split = hashSplit(sh.sessionCount, spec);
    for (const part of ["train", "test"] as const) {
      const all = split[part];
      for (const max of [0, 1, 40, 41, 97, all.length - 1, all.length, all.length + 5]) {
        const { sessions: got, indices } = sh.recent(part, spec, max);
        const want = all.subarray(Math.max(0, all.length - max));
        expect(Array.from(indices)).toEqual(Array.from(want));
        expect(got.V).toBe(sh.V);
        expect(got.sessionOffsets.length).toBe(want.length + 1);
        const tracks: number[] = [], flags: number[] = [], lens: number[] = [];
        for (const s of Array.from(want)) {
          for (let r = mem.sessionOffsets[s]; r < mem.sessionOffsets[s + 1]; r++) {
            tracks.push(mem.tracks[r]);
            flags.push(mem.flags[r]);
          }
          lens.push(mem.sessionLength[s]);
        }
        expect(firstDiff(got.tracks, tracks)).toBe(-1);
        expect(firstDiff(got.flags, flags)).toBe(-1);
        expect(firstDiff(got.sessionLength, lens)).toBe(-1);
        for (let i = 0; i < want.length; i++) expect(got.sessionOffsets[i + 1] - got.sessionOffsets[i]).toBe(mem.sessionOffsets[want[i] + 1] - mem.sessionOffsets[want[i]]);
      }
    }
    expect(() => sh.recent("train", spec, -1)).toThrow(/max must be a non-negative integer/);
  });
});

describe("the streaming fits read the shards", () => {
  it("popularity, item-kNN and Markov fitted from the shards' training part equal the fits on the in-memory dataset's same sessions (the in-memory reference fits)", async () => {
    const { sh, mem } = await buildBoth(synth.logs, synth.tfs, { completeOnly: false }, { shardSessions: 83 });
    const spec = { seed: 2, trainFraction: 0.7 };
    const whole = { V: mem.trackCount, sessionOffsets: mem.sessionOffsets, tracks: mem.tracks, flags: mem.flags, sessions: hashSplit(mem.sessionCount, spec).train };
    const train = () => sh.chunks({ split: { ...spec, part: "train" } });
    expect(firstDiff(trainingPlayCountsStream(train(), sh.V, { skipped: "ignore" }), playCountsReference(whole, { skipped: "ignore" }))).toBe(-1);
    const a = ItemKnnPolicy.fitStream(train(), sh.V), b = itemKnnFitReference(whole);
    expect(a.nbr.length).toBeGreaterThan(sh.V);
    expect(firstDiff(a.nbrStart, b.nbrStart)).toBe(-1);
    expect(firstDiff(a.nbr, b.nbr)).toBe(-1);
    expect(firstDiff(a.sim, b.sim)).toBe(-1);
    const m1 = MarkovSource.fitStream(train(), sh.V), m2 = markovFitReference(whole);
    expect(m1.next.length).toBeGreaterThan(sh.V);
    expect(firstDiff(m1.start, m2.start)).toBe(-1);
    expect(firstDiff(m1.next, m2.next)).toBe(-1);
    expect(firstDiff(m1.prob, m2.prob)).toBe(-1);
  });
});
