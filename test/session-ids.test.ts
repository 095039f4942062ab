// Global session-id deduplication (src/data/session-ids.ts): the in-memory hash set, the
// radix sort, spilling sorted runs (in memory and on disk) under a memory budget and merging
// them, and the dataset build over logs with repeated sessions — the same file twice, a
// session repeated far from its first rows, and the same across spilled runs — strict (a
// located error) and lenient (counted and dropped, the same result whatever the budget).
// Issue 11, defect 1.
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BYTES_PER_ENTRY, MemoryRunStore, SessionIdSet, sortEntries, hash64 } from "../src/data/session-ids.js";
import { FileRunStore } from "../src/data/session-runs.js";
import { buildDataset } from "../src/data/dataset.js";
import { readLog } from "../src/data/node-io.js";
import { MssdFormatError } from "../src/data/errors.js";
import { LOG_COLUMNS } from "../src/data/schema.js";
import { Rng } from "../src/rng.js";
import { HAVE_REAL_LOG, REAL_LOG } from "./util/mssd.js";

const enc = new TextEncoder();
const id = (s: string) => enc.encode(s);

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "encore-ids-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function row(sid: string, pos: number, len: number, track: string): string {
  const v: Record<string, string> = {
    session_id: sid, session_position: String(pos), session_length: String(len), track_id_clean: track,
    skip_1: "False", skip_2: pos % 2 ? "True" : "False", skip_3: "False", not_skipped: "True", context_switch: "0",
    no_pause_before_play: "1", short_pause_before_play: "0", long_pause_before_play: "0",
    hist_user_behavior_n_seekfwd: "0", hist_user_behavior_n_seekback: "0", hist_user_behavior_is_shuffle: "False",
    hour_of_day: "16", date: "2018-07-15", premium: "True", context_type: "radio",
    hist_user_behavior_reason_start: "trackdone", hist_user_behavior_reason_end: "trackdone",
  };
  return LOG_COLUMNS.map((c) => v[c]).join(",");
}
function log(name: string, sessions: string[], len = 3): string {
  const lines = [LOG_COLUMNS.join(",")];
  for (const s of sessions) for (let p = 1; p <= len; p++) lines.push(row(s, p, len, `t_${s}_${p % 2}`));
  const path = join(dir, name);
  writeFileSync(path, lines.join("\n") + "\n");
  return path;
}

describe("SessionIdSet", () => {
  it("finds a repeated id at once while in memory, with where it was first", () => {
    const set = new SessionIdSet();
    set.beginFile("a.csv");
    expect(set.add(id("s1"), 0, 2, 2)).toBeNull();
    expect(set.add(id("s2"), 0, 2, 5)).toBeNull();
    set.beginFile("b.csv");
    expect(set.add(id("s3"), 0, 2, 2)).toBeNull();
    expect(set.add(id("s1"), 0, 2, 9)).toEqual({ file: "a.csv", fileIndex: 0, line: 2, ordinal: 0 });
    expect(set.add(id("s3"), 0, 2, 12)).toEqual({ file: "b.csv", fileIndex: 1, line: 2, ordinal: 2 });
    expect(set.count).toBe(3); // repeats are not registered
    expect(set.finish(true)).toEqual({ duplicates: [], count: 0 });
  });

  it("radix sort orders by 64-bit hash, stably", () => {
    const rng = new Rng(3);
    const n = 5000;
    const e = new Uint32Array(n * 4);
    for (let i = 0; i < n; i++) {
      e[i * 4] = rng.u32() % 7; // many equal high words
      e[i * 4 + 1] = i % 3 === 0 ? 42 : rng.u32();
      e[i * 4 + 2] = i;
      e[i * 4 + 3] = rng.u32();
    }
    const ref = Array.from({ length: n }, (_, i) => Array.from(e.subarray(i * 4, i * 4 + 4)));
    ref.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
    sortEntries(e, n);
    expect(Array.from({ length: n }, (_, i) => Array.from(e.subarray(i * 4, i * 4 + 4)))).toEqual(ref);
  });

  it("keeps within its budget by spilling sorted runs, and finish() finds what the runs hide", () => {
    for (const store of [new MemoryRunStore(), new FileRunStore(join(dir, "ids.cache"))]) {
      const set = new SessionIdSet({ memoryBytes: 16 * BYTES_PER_ENTRY, store }); // 16 entries in memory
      set.beginFile("x.csv");
      const seen: string[] = [];
      const rng = new Rng(9);
      const immediate: number[] = [];
      let maxHeld = 0;
      for (let i = 0; i < 300; i++) {
        // every 7th session repeats an earlier one, mostly long gone to disk
        const s = i % 7 === 6 ? seen[rng.int(seen.length)] : `sess-${i}`;
        if (i % 7 !== 6) seen.push(s);
        const first = set.add(id(s), 0, s.length, i + 2);
        if (first) immediate.push(i);
        maxHeld = Math.max(maxHeld, set.inMemory);
      }
      expect(maxHeld).toBeLessThanOrEqual(16);
      expect(set.spilled).toBeGreaterThan(10);
      const all = set.finish(true);
      // every repeat is found once: at once when its first is still in memory, else by the merge
      expect(immediate.length + all.count).toBe(Math.floor(300 / 7));
      expect(all.duplicates.length).toBe(all.count);
      for (const d of all.duplicates) {
        expect(d.first.ordinal).toBeLessThan(d.ordinal);
        expect(d.first.line).toBeLessThan(d.line);
      }
      const one = set.finish(false);
      expect(one.count).toBe(all.count);
      expect(one.duplicates).toEqual([all.duplicates[0]]); // the first in reading order
      set.dispose();
    }
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]); // runs removed
  });

  it("64-bit hashes: two independently seeded 32-bit halves", () => {
    const h = new Uint32Array(2), g = new Uint32Array(2);
    hash64(id("0_00006f66-33e5-4de7-a324-2d18e439fc1e"), 0, 38, h);
    hash64(id("0_00006f66-33e5-4de7-a324-2d18e439fc1f"), 0, 38, g);
    expect(h[0]).not.toBe(h[1]);
    expect(h[0]).not.toBe(g[0]);
    expect(h[1]).not.toBe(g[1]);
  });
});

async function failure(p: Promise<unknown>): Promise<MssdFormatError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(MssdFormatError);
    return e as MssdFormatError;
  }
  throw new Error("expected a failure");
}

describe("duplicate sessions in a dataset", () => {
  const ids = Array.from({ length: 40 }, (_, i) => `s${i}`);

  it("the same file given twice: a located strict error; lenient counts and drops the copy", async () => {
    const a = log("log_a.csv", ids);
    const e = await failure(buildDataset({ logs: [a, a] }));
    expect(e).toMatchObject({ line: 2, column: "session_id", kind: "duplicate_session" });
    expect(e.message).toBe('log_a.csv:2: column session_id: expected each session id once in the input, found session "s0" again (first at log_a.csv:2, the same file given earlier)');
    const once = await buildDataset({ logs: [a] });
    const twice = await buildDataset({ logs: [a, a] }, { lenient: true });
    expect(twice.sessionCount).toBe(once.sessionCount);
    expect(Array.from(twice.tracks)).toEqual(Array.from(once.tracks));
    expect(twice.report.dropped.duplicates).toBe(40);
    expect(twice.report.logs[1].issues.duplicate_session).toBe(120); // rows
    expect(twice.report.logs[1].examples[0]).toMatchObject({ kind: "duplicate_session", line: 2, column: "session_id" });
  });

  it("a session repeated more than 8 sessions later (the old reader's horizon) is caught too", async () => {
    const far = log("log_far.csv", [...ids.slice(0, 20), "s3"]);
    const e = await failure(readLog(far));
    expect(e).toMatchObject({ line: 62, column: "session_id", kind: "duplicate_session" });
    expect(e.message).toContain('found session "s3" again (first at line 11)');
    const near = log("log_near.csv", [...ids.slice(0, 5), "s3"]);
    expect(await failure(readLog(near))).toMatchObject({ line: 17, kind: "session_interleaved" });
    const other = log("log_b.csv", ["x1", "s7", "x2"]);
    const e2 = await failure(buildDataset({ logs: [log("log_a2.csv", ids), other] }));
    expect(e2.message).toBe('log_b.csv:5: column session_id: expected each session id once in the input, found session "s7" again (first at log_a2.csv:23)');
  });

  it("beyond the memory budget: strict still fails at the first duplicate, lenient gives the in-memory result", async () => {
    const many = Array.from({ length: 400 }, (_, i) => `u${i}`);
    const a = log("log_big_a.csv", many);
    const b = log("log_big_b.csv", [...many.slice(300), "v1", ...many.slice(0, 10)]); // overlaps a at both ends
    const near = join(dir, "spill.cache");
    const small = { sessionIds: { memoryBytes: 32 * BYTES_PER_ENTRY, spillNear: near } }; // 32 ids in memory
    const e = await failure(buildDataset({ logs: [a, b] }, {}, small));
    expect(e).toMatchObject({ file: b, line: 2, column: "session_id", kind: "duplicate_session" });
    expect(e.message).toContain("(first at log_big_a.csv:902)");
    const ref = await buildDataset({ logs: [a, b] }, { lenient: true });
    const spilled = await buildDataset({ logs: [a, b] }, { lenient: true }, small);
    expect(spilled.sessionCount).toBe(401);
    expect(ref.sessionCount).toBe(401);
    expect(Array.from(spilled.tracks)).toEqual(Array.from(ref.tracks));
    expect(spilled.vocab.ids()).toEqual(ref.vocab.ids());
    expect(spilled.report.dropped.duplicates).toBe(110);
    expect(spilled.report).toEqual(ref.report);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it.skipIf(!HAVE_REAL_LOG)("the real slice given twice: 5,955 sessions, not 11,910", async () => {
    const once = await buildDataset({ logs: [REAL_LOG] });
    expect(once.sessionCount).toBe(5955);
    await expect(buildDataset({ logs: [REAL_LOG, REAL_LOG] })).rejects.toThrow(/log_mini_100k\.csv\.gz:2: column session_id: expected each session id once in the input/);
    const twice = await buildDataset({ logs: [REAL_LOG, REAL_LOG] }, { lenient: true });
    expect(twice.sessionCount).toBe(5955);
    expect(twice.report.dropped.duplicates).toBe(once.report.sessionsRead);
  }, 60_000);
});
