// The MSSD dataset: filters and the original project's popularity preset, the feature join,
// seeded session splits, list-wise samples (checked against hand-built sessions), and the
// binary cache (hit, rebuild on changed input or option, corrupted-cache detection).
import { HAVE_REAL_LOG, HAVE_REAL_TF, REAL_LOG, REAL_TF } from "./util/mssd.js";
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { appendFileSync, mkdtempSync, readdirSync as readdir, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LOG_COLUMNS, TF_COLUMNS } from "../src/data/schema.js";
import { LOG_FLAG } from "../src/data/log-parser.js";
import { POPULARITY_COLUMN, NFEAT } from "../src/data/tf-parser.js";
import { readTrackFeatures } from "../src/data/node-io.js";
import { buildDataset, ORIGINAL_PRESET, trackCounts, type MssdDataset } from "../src/data/dataset.js";
import { splitSessions } from "../src/data/split.js";
import { buildSamples, type SessionRows } from "../src/data/samples.js";
import { loadOrBuildDataset, readDatasetCache, CACHE_VERSION } from "../src/data/cache.js";
import { MssdCacheError } from "../src/data/errors.js";
import { crc32 } from "../src/io/binfile.js";

const LOG = REAL_LOG, TF = REAL_TF;
const haveReal = HAVE_REAL_LOG && HAVE_REAL_TF;
if (!haveReal) console.log(`skipping real-data dataset tests: ${LOG} or ${TF} not found`);

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "encore-dataset-"));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A log file from sessions given as [id, tracks, skip_2 per row?]; `cut` drops trailing rows of the last session. */
function writeLog(name: string, sessions: [string, string[], boolean[]?][], cut = 0): string {
  const lines = [LOG_COLUMNS.join(",")];
  for (const [sid, tracks, skips] of sessions) {
    tracks.forEach((t, i) => {
      const v: Record<string, string> = {
        session_id: sid, session_position: String(i + 1), session_length: String(tracks.length), track_id_clean: t,
        skip_1: "False", skip_2: skips?.[i] ? "True" : "False", skip_3: "False", not_skipped: "True", context_switch: "0",
        no_pause_before_play: "0", short_pause_before_play: "0", long_pause_before_play: "0", hist_user_behavior_n_seekfwd: "0",
        hist_user_behavior_n_seekback: "0", hist_user_behavior_is_shuffle: "False", hour_of_day: "3", date: "2018-07-01",
        premium: "False", context_type: "catalog", hist_user_behavior_reason_start: "fwdbtn", hist_user_behavior_reason_end: "fwdbtn",
      };
      lines.push(LOG_COLUMNS.map((c) => v[c]).join(","));
    });
  }
  const p = join(dir, name);
  writeFileSync(p, lines.slice(0, lines.length - cut).join("\n") + "\n");
  return p;
}
function writeTf(name: string, tracks: [string, number][]): string {
  const lines = [TF_COLUMNS.join(",")];
  for (const [id, pop] of tracks) lines.push(TF_COLUMNS.map((c, j) => (c === "track_id" ? id : c === "mode" ? "major" : c === "us_popularity_estimate" ? String(pop) : String(j / 10))).join(","));
  const p = join(dir, name);
  writeFileSync(p, lines.join("\n") + "\n");
  return p;
}
const ids = (ds: MssdDataset, s: number) => Array.from(ds.sessionTracks(s), (t) => ds.vocab.id(t));
const range = (p: string, n: number) => Array.from({ length: n }, (_, i) => `${p}${i + 1}`);

// ---- real data ----------------------------------------------------------------------------

describe.skipIf(!haveReal)("dataset on the real log_mini slice", () => {
  it("keeps every row when asked, drops the cut-off session by default, joins features for 188 tracks", async () => {
    const all = await buildDataset({ logs: [LOG], trackFeatures: [TF] }, { completeOnly: false });
    expect(all.sessionCount).toBe(5_956);
    expect(all.rowCount).toBe(100_000);
    expect(all.trackCount).toBe(34_872);
    expect(all.skipCount.reduce((a, b) => a + b, 0)).toBe(51_736);
    expect(all.playCount.reduce((a, b) => a + b, 0)).toBe(100_000);
    // 188 of the 214 feature rows are log tracks; together they cover the first 11 sessions.
    expect(all.features.length / NFEAT).toBe(188);
    expect(all.report.trackFiles[0]).toMatchObject({ tracks: 188, unknownTracks: 26 });
    const covered = (s: number) => Array.from(all.sessionTracks(s)).every((t) => all.featureRow[t] >= 0);
    for (let s = 0; s < 11; s++) expect(covered(s)).toBe(true);
    expect(covered(11)).toBe(false);
    const last = all.sessionCount - 1;
    expect(all.sessionTracks(last).length).toBe(11);
    expect(all.sessionLength[last]).toBe(20);
    // Features match the tf file by track id.
    const tf = await readTrackFeatures(TF);
    for (let r = 0; r < tf.rows; r++) {
      const t = all.vocab.indexOf(tf.vocab.id(tf.trackIndex[r]));
      if (t < 0) continue;
      expect(Array.from(all.trackFeatures(t)!)).toEqual(Array.from(tf.values.subarray(r * NFEAT, (r + 1) * NFEAT)));
    }

    const def = await buildDataset({ logs: [LOG] });
    expect(def.sessionCount).toBe(5_955);
    expect(def.report.dropped.incomplete).toBe(1);
    expect(def.report.logs[0].truncated).toEqual([expect.objectContaining({ rows: 11, length: 20 })]);
    expect(def.rowCount).toBe(100_000 - 11);
  });

  it("the original preset keeps complete 20-track sessions whose tracks all pass popularity >= 95", async () => {
    const tf = await readTrackFeatures(TF);
    const pop = new Map<string, number>();
    for (let r = 0; r < tf.rows; r++) pop.set(tf.vocab.id(tf.trackIndex[r]), tf.popularity[r]);
    const all = await buildDataset({ logs: [LOG] }, { completeOnly: false });
    // Naive selection over the unfiltered dataset.
    const expected: number[] = [];
    for (let s = 0; s < all.sessionCount; s++) {
      const ts = ids(all, s);
      if (all.sessionLength[s] === 20 && ts.length === 20 && ts.every((id) => !pop.has(id) || pop.get(id)! >= 95)) expected.push(s);
    }
    const ds = await buildDataset({ logs: [LOG], trackFeatures: [TF] }, ORIGINAL_PRESET);
    expect(ds.sessionCount).toBe(expected.length);
    expect(ds.report.tracksDropped.popularity).toBeGreaterThan(0);
    expect(ds.report.dropped.trackFilter).toBeGreaterThan(0);
    for (let k = 0; k < expected.length; k += 97) expect(ids(ds, k)).toEqual(ids(all, expected[k]));
    for (let t = 0; t < ds.trackCount; t++) {
      const f = ds.trackFeatures(t);
      if (f) expect(f[POPULARITY_COLUMN]).toBeGreaterThanOrEqual(95);
    }
  });
});

// ---- filters on hand-built logs --------------------------------------------------------

describe("dataset filters", () => {
  it("length range, completeness, minPlays, minPopularity, requireFeatures", async () => {
    const log = writeLog("filters.csv", [
      ["A", ["x", "y", "z"]],
      ["B", ["x", "y"]],
      ["C", ["x", "w", "v", "u"]],
      ["D", ["y", "x", "q", "r", "s"]], // cut to 3 rows below
    ], 2);
    const tf = writeTf("filters_tf.csv", [["x", 99], ["y", 50], ["w", 96], ["nope", 10]]);

    let ds = await buildDataset({ logs: [log] });
    expect(ds.sessionCount).toBe(3);
    expect(ds.vocab.ids()).toEqual(["x", "y", "z", "w", "v", "u"]);
    expect(Array.from(ds.playCount)).toEqual([3, 2, 1, 1, 1, 1]);

    ds = await buildDataset({ logs: [log] }, { completeOnly: false });
    expect(ds.sessionCount).toBe(4);
    expect(ids(ds, 3)).toEqual(["y", "x", "q"]);

    ds = await buildDataset({ logs: [log] }, { minLength: 3, maxLength: 4 });
    expect([0, 1].map((s) => ids(ds, s))).toEqual([["x", "y", "z"], ["x", "w", "v", "u"]]);
    expect(ds.report.dropped).toEqual({ length: 2, incomplete: 0, trackFilter: 0, duplicates: 0 });

    // minPlays counts every row read (x: 4 plays incl. the cut session, y: 3).
    ds = await buildDataset({ logs: [log] }, { minPlays: 3, completeOnly: false });
    expect(ds.vocab.ids()).toEqual(["x", "y"]);
    expect([0, 1, 2, 3].map((s) => ids(ds, s))).toEqual([["x", "y"], ["x", "y"], ["x"], ["y", "x"]]);
    ds = await buildDataset({ logs: [log] }, { minPlays: 3 });
    expect(ds.sessionCount).toBe(1); // only B keeps all its tracks
    expect(ids(ds, 0)).toEqual(["x", "y"]);

    // Popularity where features exist: y (50) goes; z, v, u have no features and stay.
    ds = await buildDataset({ logs: [log], trackFeatures: [tf] }, { minPopularity: 95, completeOnly: false });
    expect(ds.vocab.indexOf("y")).toBe(-1);
    expect(ids(ds, 0)).toEqual(["x", "z"]);
    expect(ds.report.tracksDropped.popularity).toBe(1);
    expect(ds.trackFeatures(ds.vocab.indexOf("x"))![POPULARITY_COLUMN]).toBe(99);
    expect(ds.trackFeatures(ds.vocab.indexOf("z"))).toBeNull();
    ds = await buildDataset({ logs: [log], trackFeatures: [tf] }, { minPopularity: 95 });
    expect(ds.sessionCount).toBe(1);
    expect(ids(ds, 0)).toEqual(["x", "w", "v", "u"]);
    ds = await buildDataset({ logs: [log], trackFeatures: [tf] }, { requireFeatures: true, completeOnly: false });
    expect(ds.vocab.ids().sort()).toEqual(["w", "x", "y"]);
    expect(ds.features.length).toBe(3 * NFEAT);
  });

  it("per-track counts over a subset of sessions", async () => {
    const log = writeLog("counts.csv", [["A", ["x", "y"], [true, false]], ["B", ["x", "z"], [true, true]]]);
    const ds = await buildDataset({ logs: [log] });
    expect(Array.from(ds.skipCount)).toEqual([2, 0, 1]);
    const c = trackCounts(ds, [1]);
    expect(Array.from(c.playCount)).toEqual([1, 0, 1]);
    expect(Array.from(c.skipCount)).toEqual([1, 0, 1]);
  });
});

// ---- split --------------------------------------------------------------------------------

describe("splitSessions", () => {
  it("is deterministic under a seed, 70/30 by default, a partition of all sessions", () => {
    for (const S of [0, 1, 7, 10, 1001]) {
      const a = splitSessions(S, { seed: 5 }), b = splitSessions(S, { seed: 5 });
      expect(a).toEqual(b);
      expect(a.train.length).toBe(Math.round(0.7 * S));
      const all = [...a.train, ...a.test].sort((x, y) => x - y);
      expect(all).toEqual(Array.from({ length: S }, (_, i) => i));
      for (let i = 1; i < a.train.length; i++) expect(a.train[i]).toBeGreaterThan(a.train[i - 1]);
    }
    expect(splitSessions(1001, { seed: 5 }).train).not.toEqual(splitSessions(1001, { seed: 6 }).train);
    expect(splitSessions(100, { trainFraction: 0.25, seed: 1 }).train.length).toBe(25);
    expect(() => splitSessions(10, { trainFraction: 1.5 })).toThrow(/trainFraction/);
  });
});

// ---- samples --------------------------------------------------------------------------

/** Sessions whose track at position p of session s is s·100 + p, skip_2 on when (s + p) % 3 == 0. */
function handBuilt(lengths: number[]): SessionRows {
  const off = [0];
  const tracks: number[] = [], flags: number[] = [];
  lengths.forEach((m, s) => {
    for (let p = 0; p < m; p++) {
      tracks.push(s * 100 + p);
      flags.push((s + p) % 3 === 0 ? LOG_FLAG.skip_2 | LOG_FLAG.skip_1 : LOG_FLAG.not_skipped);
    }
    off.push(tracks.length);
  });
  return { sessionOffsets: Int32Array.from(off), tracks: Int32Array.from(tracks), flags: Uint16Array.from(flags) };
}

describe("buildSamples", () => {
  it("chronological: state = the N previous tracks, action = the next K, rewards = not skipped", () => {
    const rows = handBuilt([15, 12, 13, 20]);
    const smp = buildSamples(rows, [0, 1, 2, 3]);
    expect(smp.N).toBe(10);
    expect(smp.K).toBe(3);
    // m - N - K + 1 per session: 3, 0, 1, 8.
    expect(smp.count).toBe(12);
    expect(Array.from(smp.session)).toEqual([0, 0, 0, 2, 3, 3, 3, 3, 3, 3, 3, 3]);
    // Sample 1: session 0, action starts at position 11 (0-based t = 11).
    expect(Array.from(smp.states.subarray(10, 20))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(Array.from(smp.actions.subarray(3, 6))).toEqual([11, 12, 13]);
    // (0 + 11) % 3 = 2 -> kept; 12 % 3 = 0 -> skipped; 13 % 3 = 1 -> kept.
    expect(Array.from(smp.rewards.subarray(3, 6))).toEqual([1, 0, 1]);
    // Session 2 (length 13): one sample, state 200..209, action 210..212.
    expect(Array.from(smp.states.subarray(30, 40))).toEqual([200, 201, 202, 203, 204, 205, 206, 207, 208, 209]);
    expect(Array.from(smp.actions.subarray(9, 12))).toEqual([210, 211, 212]);
    expect(Array.from(smp.rewards.subarray(9, 12))).toEqual([0, 1, 1]);
    // Every sample, generically.
    for (let j = 0; j < smp.count; j++) {
      const s = smp.session[j], a = smp.actions[j * 3] - s * 100;
      for (let n = 0; n < 10; n++) expect(smp.states[j * 10 + n]).toBe(s * 100 + a - 10 + n);
      for (let k = 0; k < 3; k++) {
        expect(smp.actions[j * 3 + k]).toBe(s * 100 + a + k);
        expect(smp.rewards[j * 3 + k]).toBe((s + a + k) % 3 === 0 ? 0 : 1);
      }
    }
    // Subsets and other N, K.
    expect(buildSamples(rows, [3], { N: 2, K: 5 }).count).toBe(14);
    expect(buildSamples(rows, [1]).count).toBe(0);
    expect(() => buildSamples(rows, [4])).toThrow(/outside/);
  });

  it("random (original): state from the first 80%, action from the rest, seeded", () => {
    const rows = handBuilt([20, 12, 13, 16]);
    const opts = { mode: "random" as const, seed: 3, samplesPerSession: 4 };
    const smp = buildSamples(rows, [0, 1, 2, 3], opts);
    // sep = floor(0.8 m): 16, 9 (< N: no sample), 10, 12.
    expect(smp.count).toBe(12);
    expect(Array.from(smp.session)).toEqual([0, 0, 0, 0, 2, 2, 2, 2, 3, 3, 3, 3]);
    expect(buildSamples(rows, [0, 1, 2, 3], opts)).toEqual(smp);
    expect(buildSamples(rows, [0, 1, 2, 3], { ...opts, seed: 4 }).states).not.toEqual(smp.states);
    const lengths = [20, 12, 13, 16];
    for (let j = 0; j < smp.count; j++) {
      const s = smp.session[j], sep = Math.floor(0.8 * lengths[s]);
      const st = Array.from(smp.states.subarray(j * 10, j * 10 + 10), (t) => t - s * 100);
      const ac = Array.from(smp.actions.subarray(j * 3, j * 3 + 3), (t) => t - s * 100);
      for (let n = 0; n < 10; n++) {
        expect(st[n]).toBeGreaterThanOrEqual(0);
        expect(st[n]).toBeLessThan(sep);
        if (n > 0) expect(st[n]).toBeGreaterThan(st[n - 1]);
      }
      for (let k = 0; k < 3; k++) {
        expect(ac[k]).toBeGreaterThanOrEqual(sep);
        expect(ac[k]).toBeLessThan(lengths[s]);
        if (k > 0) expect(ac[k]).toBeGreaterThan(ac[k - 1]);
        expect(smp.rewards[j * 3 + k]).toBe((s + ac[k]) % 3 === 0 ? 0 : 1);
      }
    }
    // Session 2 has sep = 10 = N: its state is always the first 10 tracks.
    expect(Array.from(smp.states.subarray(40, 50))).toEqual([200, 201, 202, 203, 204, 205, 206, 207, 208, 209]);
  });
});

// ---- cache -----------------------------------------------------------------------------

function sameDataset(a: MssdDataset, b: MssdDataset): void {
  expect(b.vocab.ids()).toEqual(a.vocab.ids());
  for (const k of ["sessionOffsets", "sessionLength", "tracks", "flags", "playCount", "skipCount", "featureRow", "features"] as const) expect(b[k]).toEqual(a[k]);
  expect(b.options).toEqual(a.options);
  expect(b.report).toEqual(a.report);
}

describe("dataset cache", () => {
  it("hits on a second run, rebuilds on a changed input or option, detects corruption", async () => {
    const log = writeLog("cache_log.csv", [["A", range("a", 14), [true, false]], ["B", range("b", 13)], ["C", range("c", 3)]]);
    const tf = writeTf("cache_tf.csv", [["a1", 97], ["b2", 12]]);
    const path = join(dir, "ds.cache");
    const inputs = { logs: [log], trackFeatures: [tf] };

    const r1 = await loadOrBuildDataset(inputs, {}, { path });
    expect(r1.cache).toBe("built");
    expect(r1.dataset.sessionCount).toBe(3);
    const r2 = await loadOrBuildDataset(inputs, {}, { path });
    expect(r2.cache).toBe("hit");
    sameDataset(r1.dataset, r2.dataset);
    expect(r2.dataset.options.maxLength).toBe(Infinity);
    expect(r2.dataset.trackFeatures(r2.dataset.vocab.indexOf("a1"))![POPULARITY_COLUMN]).toBe(97);

    // Option change.
    const r3 = await loadOrBuildDataset(inputs, { minLength: 10 }, { path });
    expect(r3).toMatchObject({ cache: "rebuilt", reason: "options changed" });
    expect(r3.dataset.sessionCount).toBe(2);
    expect((await loadOrBuildDataset(inputs, { minLength: 10 }, { path })).cache).toBe("hit");

    // Input change: another session appended.
    appendFileSync(log, readFileSync(writeLog("extra.csv", [["D", range("d", 2)]]), "utf8").split("\n").slice(1).join("\n"));
    const r4 = await loadOrBuildDataset(inputs, { minLength: 10 }, { path });
    expect(r4).toMatchObject({ cache: "rebuilt", reason: "inputs changed" });
    const r5 = await loadOrBuildDataset(inputs, {}, { path });
    expect(r5.dataset.sessionCount).toBe(4);

    // Same size, new mtime: "stat" rebuilds, "content" does not.
    const later = new Date(Date.now() + 60_000);
    utimesSync(tf, later, later);
    expect((await loadOrBuildDataset(inputs, {}, { path })).reason).toBe("inputs changed");
    await loadOrBuildDataset(inputs, {}, { path, fingerprint: "content" });
    utimesSync(tf, new Date(Date.now() + 120_000), new Date(Date.now() + 120_000));
    expect((await loadOrBuildDataset(inputs, {}, { path, fingerprint: "content" })).cache).toBe("hit");

    // Corruption: a flipped byte in the data, a truncated file, bad magic, another version.
    const good = readFileSync(path);
    const flipped = Buffer.from(good);
    flipped[good.length - 40] ^= 0x55;
    writeFileSync(path, flipped);
    expect(() => readDatasetCache(path)).toThrow(MssdCacheError);
    expect(() => readDatasetCache(path)).toThrow(/checksum mismatch/);
    const r6 = await loadOrBuildDataset(inputs, {}, { path, fingerprint: "content" });
    expect(r6.cache).toBe("rebuilt");
    expect(r6.reason).toMatch(/checksum mismatch/);
    sameDataset(r5.dataset, r6.dataset);
    expect((await loadOrBuildDataset(inputs, {}, { path, fingerprint: "content" })).cache).toBe("hit");

    writeFileSync(path, good.subarray(0, good.length - 100));
    await expect(loadOrBuildDataset(inputs, {}, { path, onInvalid: "error" })).rejects.toThrow(new RegExp(`truncated: ${good.length - 100} bytes, the file says ${good.length}`));
    const magic = Buffer.from(good);
    magic[0] = 0x58;
    writeFileSync(path, magic);
    expect(() => readDatasetCache(path)).toThrow(/bad magic/);
    const version = Buffer.from(good);
    version.writeUInt32LE(CACHE_VERSION + 1, 12); // the cache's format version, in the container's header
    version.writeUInt32LE(crc32(version.subarray(0, version.length - 4)), version.length - 4);
    writeFileSync(path, version);
    expect(() => readDatasetCache(path)).toThrow(new RegExp(`format version ${CACHE_VERSION + 1}, this reader understands ${CACHE_VERSION}`));
    const older = Buffer.from(good);
    older.writeUInt32LE(2, 8); // where a version-2 cache (its own layout) kept its version
    writeFileSync(path, older);
    expect(() => readDatasetCache(path)).toThrow(/a dataset cache of an older format \(version 2\); run 'encore prepare' again/);
    writeFileSync(path, "not a cache");
    expect(() => readDatasetCache(path)).toThrow(/not a dataset cache/);
    writeFileSync(path, good.subarray(0, 20)); // the right magic, then too short for the container
    expect(() => readDatasetCache(path)).toThrow(/truncated/);
    expect((await loadOrBuildDataset(inputs, {}, { path })).cache).toBe("rebuilt");
    // No temp files left behind.
    expect(readdir(dir).filter((f) => f.includes(".tmp"))).toEqual([]);
  });
});
