// MSSD readers: the real log_mini slice and track-feature subset (facts computed by the
// reader and compared with the dataset's documented numbers and with a naive split-based
// parse), strict errors on every kind of bad input, lenient counting, and the input forms
// (path, bytes, stream; gzip detected by magic bytes; CRLF and BOM; any chunking).
import { HAVE_REAL_LOG, HAVE_REAL_TF, REAL_LOG, REAL_TF } from "./util/mssd.js";
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gunzipSync, gzipSync } from "node:zlib";
import { LOG_COLUMNS, TF_COLUMNS, CONTEXT_TYPES } from "../src/data/schema.js";
import { CONTEXT_SHIFT, LOG_FLAG, LogParser, type SessionView } from "../src/data/log-parser.js";
import { FEATURE_COLUMNS, MODE_COLUMN, TrackFeatureParser } from "../src/data/tf-parser.js";
import { readLog, readTrackFeatures } from "../src/data/node-io.js";
import { MssdFormatError } from "../src/data/errors.js";
import { hashBytes, parseDecimal } from "../src/data/bytes.js";
import { TrackVocab } from "../src/data/vocab.js";

const LOG = REAL_LOG, TF = REAL_TF;
const haveLog = HAVE_REAL_LOG, haveTf = HAVE_REAL_TF;
if (!haveLog) console.log(`skipping real-log tests: ${LOG} not found`);
if (!haveTf) console.log(`skipping real track-feature tests: ${TF} not found`);

// ---- fixtures -------------------------------------------------------------------------

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "encore-mssd-"));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const HEADER = LOG_COLUMNS.join(",");
/** One valid log row; `over` replaces fields by column name. */
function row(sid: string, pos: number, len: number, track: string, over: Partial<Record<(typeof LOG_COLUMNS)[number], string>> = {}): string {
  const v: Record<string, string> = {
    session_id: sid, session_position: String(pos), session_length: String(len), track_id_clean: track,
    skip_1: "False", skip_2: pos % 2 ? "True" : "False", skip_3: "False", not_skipped: "True", context_switch: "0",
    no_pause_before_play: "1", short_pause_before_play: "0", long_pause_before_play: "0",
    hist_user_behavior_n_seekfwd: "0", hist_user_behavior_n_seekback: "2", hist_user_behavior_is_shuffle: "False",
    hour_of_day: "16", date: "2018-07-15", premium: "True", context_type: "radio",
    hist_user_behavior_reason_start: "trackdone", hist_user_behavior_reason_end: "trackdone", ...over,
  };
  return LOG_COLUMNS.map((c) => v[c]).join(",");
}
/** A session's rows, positions 1..len. */
function session(sid: string, len: number, tracks = (p: number) => `t_${sid}_${p}`): string[] {
  return Array.from({ length: len }, (_, i) => row(sid, i + 1, len, tracks(i + 1)));
}
function fixture(name: string, lines: string[] | string, eol = "\n"): string {
  const p = join(dir, name);
  writeFileSync(p, typeof lines === "string" ? lines : lines.join(eol) + eol);
  return p;
}
async function failure(p: Promise<unknown>): Promise<MssdFormatError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(MssdFormatError);
    return e as MssdFormatError;
  }
  throw new Error("expected an MssdFormatError, but reading succeeded");
}
async function sessionsOf(src: Parameters<typeof readLog>[0], opts: Parameters<typeof readLog>[1] = {}) {
  const vocab = opts.vocab ?? new TrackVocab();
  const got: { id: string; tracks: string[]; flags: number[]; complete: boolean }[] = [];
  const stats = await readLog(src, {
    ...opts,
    vocab,
    onSession: (s: SessionView) => {
      const tracks: string[] = [];
      for (let i = 0; i < s.rows; i++) tracks.push(vocab.id(s.tracks[i]));
      got.push({ id: s.sessionId, tracks, flags: Array.from(s.flags.subarray(0, s.rows)), complete: s.complete });
    },
  });
  return { got, stats };
}

// ---- real data ------------------------------------------------------------------------

describe.skipIf(!haveLog)("log_mini_100k.csv.gz (real MSSD rows)", () => {
  it("has the documented rows, sessions, tracks, skips and cut-off last session, and agrees with a naive parse", async () => {
    let skip2 = 0, rowsSeen = 0;
    const perPosition = new Int32Array(21), skipPerPosition = new Int32Array(21);
    const sessionTracks: number[][] = [];
    const contexts = new Int32Array(CONTEXT_TYPES.length);
    const stats = await readLog(LOG, {
      onSession: (s) => {
        const ts: number[] = [];
        for (let i = 0; i < s.rows; i++) {
          rowsSeen++;
          perPosition[i + 1]++;
          ts.push(s.tracks[i]);
          contexts[s.flags[i] >> CONTEXT_SHIFT]++;
          if (s.flags[i] & LOG_FLAG.skip_2) {
            skip2++;
            skipPerPosition[i + 1]++;
          }
        }
        sessionTracks.push(ts);
      },
    });
    // The dataset's documented facts.
    expect(stats.rows).toBe(100_000);
    expect(rowsSeen).toBe(100_000);
    expect(stats.sessions).toBe(5_956);
    expect(stats.vocab.size).toBe(34_872);
    expect(skip2).toBe(51_736);
    expect(stats.completeSessions).toBe(5_955);
    expect(stats.truncated).toHaveLength(1);
    expect(stats.truncated[0]).toMatchObject({ rows: 11, length: 20, line: 100_001 });
    expect(stats.rowsSkipped).toBe(0);
    expect(stats.lines).toBe(100_001);
    const plays = new Int32Array(stats.vocab.size);
    for (const ts of sessionTracks) for (const t of ts) plays[t]++;
    expect(plays.filter((c) => c === 1).length).toBe(22_633);
    expect(plays.filter((c) => c >= 20).length).toBe(534);
    expect(skipPerPosition[1] / perPosition[1]).toBeCloseTo(0.381, 3);
    expect(contexts[CONTEXT_TYPES.indexOf("user_collection")] / 100_000).toBeCloseTo(0.405, 3);

    // A naive reference: gunzip, split lines and fields, group rows by session id.
    const text = gunzipSync(readFileSync(LOG)).toString("utf8");
    const lines = text.split("\n").filter((l) => l.length > 0);
    expect(lines[0]).toBe(LOG_COLUMNS.join(","));
    const naive = new Map<string, { pos: number; track: string; skip2: boolean }[]>();
    for (let i = 1; i < lines.length; i++) {
      const f = lines[i].split(",");
      const arr = naive.get(f[0]) ?? [];
      arr.push({ pos: Number(f[1]), track: f[3], skip2: f[5] === "True" });
      naive.set(f[0], arr);
    }
    expect(naive.size).toBe(stats.sessions);
    let k = 0;
    for (const rows of naive.values()) {
      rows.sort((a, b) => a.pos - b.pos);
      expect(sessionTracks[k].map((t) => stats.vocab.id(t))).toEqual(rows.map((r) => r.track));
      k++;
    }
  });
});

describe.skipIf(!haveTf)("tf_real_subset.csv (real track features)", () => {
  it("has 214 tracks, 30 columns, mode major/minor, values as parseFloat gives them", async () => {
    const tf = await readTrackFeatures(TF);
    const text = readFileSync(TF, "utf8").trim().split("\n");
    const header = text[0].split(",");
    expect(header).toEqual([...TF_COLUMNS]);
    expect(header.length).toBe(30);
    expect(tf.rows).toBe(214);
    expect(tf.vocab.size).toBe(214);
    expect(tf.columns).toEqual(FEATURE_COLUMNS);
    expect(tf.columns.length + 1).toBe(30);
    let major = 0, minor = 0, checked = 0;
    for (let r = 0; r < tf.rows; r++) {
      const f = text[r + 1].split(",");
      expect(tf.vocab.id(tf.trackIndex[r])).toBe(f[0]);
      for (let c = 1; c < 30; c++) {
        const got = tf.values[r * 29 + c - 1];
        if (c - 1 === MODE_COLUMN) {
          expect(f[c] === "major" || f[c] === "minor").toBe(true);
          expect(got).toBe(f[c] === "major" ? 1 : 0);
          if (got === 1) major++;
          else minor++;
        } else {
          // Correctly rounded to f32, or one f32 ulp away at most.
          const want = Math.fround(parseFloat(f[c]));
          expect(Math.abs(got - want)).toBeLessThanOrEqual(Math.abs(want) * 2 ** -23);
          checked++;
        }
      }
      expect(tf.popularity[r]).toBeCloseTo(parseFloat(f[3]), 9);
    }
    expect(major + minor).toBe(214);
    expect(major).toBeGreaterThan(0);
    expect(minor).toBeGreaterThan(0);
    expect(checked).toBe(214 * 28);
  });
});

// ---- byte-level pieces ----------------------------------------------------------------

describe("hashBytes", () => {
  it("is MurmurHash3 x86_32 (seed 0)", () => {
    const enc = new TextEncoder();
    for (const [str, want] of [["", 0], ["a", 0x3c2569b2], ["abc", 0xb3dd93fa], ["abcd", 0x43ed676a], ["Hello, world!", 0xc0363e43]] as const) {
      const b = enc.encode("xx" + str + "yy");
      expect(hashBytes(b, 2, 2 + str.length)).toBe(want);
    }
  });
});

describe("parseDecimal", () => {
  const enc = new TextEncoder();
  const p = (s: string) => {
    const b = enc.encode(s);
    return parseDecimal(b, 0, b.length);
  };
  it("parses decimal forms like parseFloat", () => {
    for (const s of ["0", "-0.5", "+3", "120.08300018310548", "2.2330170395434837e-05", "9.318345e-01", "1E3", "-25.416", ".5", "5.", "00012", "1e-300"]) {
      const want = parseFloat(s);
      expect(Math.abs(p(s) - want)).toBeLessThanOrEqual(Math.abs(want) * 4e-16);
    }
  });
  it("rejects what is not a finite decimal", () => {
    for (const s of ["", "NaN", "nan", "Infinity", "-inf", "1e", "1e+", "--1", "1.2.3", "0x10", " 1", "1 ", "abc", ".", "-", "1e999"]) expect(p(s)).toBeNaN();
  });
});

describe("input forms", () => {
  const lines = [HEADER, ...session("a", 3), ...session("b", 2)];
  it("reads the same sessions from a path, bytes, a stream, gzip with any name, and in 1-byte chunks", async () => {
    const plain = fixture("forms.csv", lines);
    const ref = await sessionsOf(plain);
    expect(ref.got.map((s) => s.id)).toEqual(["a", "b"]);
    expect(ref.got[0].tracks).toEqual(["t_a_1", "t_a_2", "t_a_3"]);
    expect(ref.got[0].flags.map((f) => (f & LOG_FLAG.skip_2 ? 1 : 0))).toEqual([1, 0, 1]);
    const gz = gzipSync(readFileSync(plain));
    // gzip content under a plain name, plain content under a .gz name: magic bytes decide.
    const gzNoExt = fixture("forms_gz_content.csv", "");
    writeFileSync(gzNoExt, gz);
    const plainGzName = fixture("forms_plain.csv.gz", lines);
    for (const src of [gzNoExt, plainGzName, readFileSync(plain), gz, Readable.from([gz.subarray(0, 1), gz.subarray(1)])]) {
      expect((await sessionsOf(src)).got).toEqual(ref.got);
    }
    const bytes = readFileSync(plain);
    const one: string[] = [];
    const parser = new LogParser({ onSession: (s) => one.push(`${s.sessionId}:${s.rows}`) });
    for (let i = 0; i < bytes.length; i++) parser.push(bytes.subarray(i, i + 1));
    parser.end();
    expect(one).toEqual(["a:3", "b:2"]);
  });
  it("gives the same sessions for a multi-megabyte file read by path, by gzip and in odd-sized stream chunks", async () => {
    const many: string[] = [HEADER];
    for (let k = 0; k < 1000; k++) many.push(...session(`session-${k}-0123456789abcdef`, 20, (q) => `t_track-${(k * 7 + q) % 997}-fedcba9876543210`));
    const p = fixture("big.csv", many);
    const bytes = readFileSync(p);
    expect(bytes.length).toBeGreaterThan(2.5 * (1 << 20));
    const ref = await sessionsOf(p);
    expect(ref.stats.rows).toBe(20_000);
    expect(ref.stats.sessions).toBe(1000);
    expect(ref.stats.vocab.size).toBe(997);
    const odd = Array.from({ length: Math.ceil(bytes.length / 7919) }, (_, i) => bytes.subarray(i * 7919, (i + 1) * 7919));
    expect((await sessionsOf(Readable.from(odd))).got).toEqual(ref.got);
    expect((await sessionsOf(gzipSync(bytes))).got).toEqual(ref.got);
  });
  it("accepts CRLF line ends, a UTF-8 BOM and no final line end", async () => {
    const p = fixture("crlf.csv", "\ufeff" + lines.join("\r\n"));
    const { got, stats } = await sessionsOf(p);
    expect(got.map((s) => s.tracks.length)).toEqual([3, 2]);
    expect(got[1].tracks).toEqual(["t_b_1", "t_b_2"]);
    expect(stats.rows).toBe(5);
  });
  it("assembles rows given out of order within a session in position order", async () => {
    const s = session("c", 4);
    const p = fixture("order.csv", [HEADER, s[2], s[0], s[3], s[1]]);
    const { got } = await sessionsOf(p);
    expect(got[0].tracks).toEqual(["t_c_1", "t_c_2", "t_c_3", "t_c_4"]);
    expect(got[0].complete).toBe(true);
  });
  it("interns repeated track ids to one index", async () => {
    const p = fixture("repeat.csv", [HEADER, ...session("a", 3, (q) => (q === 2 ? "t_x" : "t_y")), ...session("b", 2, () => "t_x")]);
    const { stats } = await sessionsOf(p);
    expect(stats.vocab.size).toBe(2);
    expect(stats.vocab.ids()).toEqual(["t_y", "t_x"]);
    expect(stats.vocab.indexOf("t_x")).toBe(1);
    expect(stats.vocab.indexOf("t_none")).toBe(-1);
  });
});

// ---- strict errors ----------------------------------------------------------------------

describe("strict errors name file, line, column, expected and found", () => {
  const good = session("s1", 3);
  it("wrong header field", async () => {
    const p = fixture("log_hdr.csv", [HEADER.replace("skip_2", "skip2"), ...good]);
    const e = await failure(readLog(p));
    expect(e).toMatchObject({ file: p, line: 1, column: "skip_2", kind: "header" });
    expect(e.message).toBe('log_hdr.csv:1: column skip_2: header: expected "skip_2", found "skip2"');
  });
  it("missing header", async () => {
    const p = fixture("log_nohdr.csv", good);
    const e = await failure(readLog(p));
    expect(e).toMatchObject({ line: 1, column: "session_id", kind: "header" });
    expect(e.message).toContain('found "s1"');
  });
  it("header with a missing column", async () => {
    // The column is named, wherever it is missing (issue 7: the count alone did not say which).
    const p = fixture("log_hdr20.csv", [LOG_COLUMNS.slice(0, 20).join(","), ...good]);
    const e = await failure(readLog(p));
    expect(e).toMatchObject({ line: 1, column: "hist_user_behavior_reason_end", kind: "header" });
    expect(e.message).toBe('log_hdr20.csv:1: column hist_user_behavior_reason_end: header: expected 21 columns, found 20: column "hist_user_behavior_reason_end" is missing at the end');
    const mid = fixture("log_hdr_mid.csv", [LOG_COLUMNS.filter((c) => c !== "skip_3").join(","), ...good]);
    const m = await failure(readLog(mid));
    expect(m).toMatchObject({ line: 1, column: "skip_3", kind: "header" });
    expect(m.message).toBe('log_hdr_mid.csv:1: column skip_3: header: expected 21 columns, found 20: column "skip_3" is missing (expected after "skip_2")');
    const extra = fixture("log_hdr_extra.csv", [[...LOG_COLUMNS.slice(0, 5), "mood", ...LOG_COLUMNS.slice(5)].join(","), ...good]);
    expect((await failure(readLog(extra))).message).toBe('log_hdr_extra.csv:1: column skip_2: header: expected 21 columns, found 22: unexpected column "mood" before "skip_2"');
    const tfMissing = fixture("tf_hdr.csv", TF_COLUMNS.filter((c) => c !== "energy").join(",") + "\n");
    expect((await failure(readTrackFeatures(tfMissing))).message).toBe('tf_hdr.csv:1: column energy: header: expected 30 columns, found 29: column "energy" is missing (expected after "dyn_range_mean")');
  });
  it("wrong column count", async () => {
    const bad = good[1].split(",").slice(0, 20).join(",");
    const p = fixture("log_cols.csv", [HEADER, good[0], bad, good[2]]);
    const e = await failure(readLog(p));
    expect(e).toMatchObject({ line: 3, column: undefined, kind: "column_count" });
    expect(e.message).toBe("log_cols.csv:3: expected 21 columns, found 20");
  });
  it("bad boolean", async () => {
    const p = fixture("log_x.csv", [HEADER, good[0], row("s1", 2, 3, "t", { skip_2: "yes" }), good[2]]);
    const e = await failure(readLog(p));
    expect(e).toMatchObject({ line: 3, column: "skip_2", kind: "bad_boolean" });
    expect(e.message).toBe('log_x.csv:3: column skip_2: expected True or False, found "yes"');
  });
  it("non-numeric log fields", async () => {
    const p = fixture("log_num.csv", [HEADER, row("s1", 1, 3, "t", { hist_user_behavior_n_seekfwd: "1.5" })]);
    const e = await failure(readLog(p));
    expect(e).toMatchObject({ line: 2, column: "hist_user_behavior_n_seekfwd", kind: "bad_number" });
    expect(e.message).toContain('expected a non-negative integer, found "1.5"');
    const p2 = fixture("log_pos.csv", [HEADER, row("s1", 1, 3, "t", { session_position: "one" })]);
    expect((await failure(readLog(p2))).message).toBe('log_pos.csv:2: column session_position: expected a positive integer, found "one"');
  });
  it("non-numeric, NaN and Infinity track features", async () => {
    const tfRow = (over: Record<string, string>) => TF_COLUMNS.map((c) => over[c] ?? (c === "track_id" ? "t_1" : c === "mode" ? "major" : "0.5")).join(",");
    for (const [val, name] of [["abc", "tf_abc.csv"], ["NaN", "tf_nan.csv"], ["Infinity", "tf_inf.csv"], ["", "tf_empty_field.csv"]]) {
      const p = fixture(name, [TF_COLUMNS.join(","), tfRow({}).replace("t_1", "t_0"), tfRow({ energy: val })]);
      const e = await failure(readTrackFeatures(p));
      expect(e).toMatchObject({ line: 3, column: "energy", kind: "bad_number" });
      expect(e.message).toBe(`${name}:3: column energy: expected a finite number, found ${JSON.stringify(val)}`);
    }
    const pm = fixture("tf_mode.csv", [TF_COLUMNS.join(","), tfRow({ mode: "Major" })]);
    expect((await failure(readTrackFeatures(pm))).message).toBe('tf_mode.csv:2: column mode: expected major or minor, found "Major"');
    const pd = fixture("tf_dup.csv", [TF_COLUMNS.join(","), tfRow({}), tfRow({})]);
    expect(await failure(readTrackFeatures(pd))).toMatchObject({ line: 3, column: "track_id", kind: "duplicate_track" });
    const ph = fixture("tf_hdr.csv", [TF_COLUMNS.join(",").replace("valence", "valance"), tfRow({})]);
    expect((await failure(readTrackFeatures(ph))).message).toBe('tf_hdr.csv:1: column valence: header: expected "valence", found "valance"');
  });
  it("session position outside 1..session_length", async () => {
    const p = fixture("log_range.csv", [HEADER, good[0], row("s1", 4, 3, "t"), good[2]]);
    const e = await failure(readLog(p));
    expect(e).toMatchObject({ line: 3, column: "session_position", kind: "position_range" });
    expect(e.message).toBe("log_range.csv:3: column session_position: expected a position in 1..3 (session_length), found 4");
    const p0 = fixture("log_range0.csv", [HEADER, row("s1", 0, 3, "t")]);
    expect(await failure(readLog(p0))).toMatchObject({ line: 2, kind: "position_range" });
  });
  it("position repeated", async () => {
    const p = fixture("log_rep.csv", [HEADER, good[0], good[1], row("s1", 2, 3, "t_other"), good[2]]);
    const e = await failure(readLog(p));
    expect(e).toMatchObject({ line: 4, column: "session_position", kind: "position_repeated" });
    expect(e.message).toBe("log_rep.csv:4: column session_position: expected each position once, found position 2 again (first on line 3)");
  });
  it("position missing (mid-file, and a gap in the last session)", async () => {
    const p = fixture("log_miss.csv", [HEADER, good[0], good[2], ...session("s2", 2), ...session("s3", 2)]);
    const e = await failure(readLog(p));
    expect(e).toMatchObject({ line: 3, column: "session_position", kind: "position_missing" });
    expect(e.message).toBe('log_miss.csv:3: column session_position: session "s1" ends with 2 of 3 rows: expected positions 1..3, position 2 missing');
    const pl = fixture("log_miss_last.csv", [HEADER, ...session("s2", 2), good[0], good[2]]);
    expect(await failure(readLog(pl))).toMatchObject({ line: 5, kind: "position_missing" });
  });
  it("a session interleaved with another", async () => {
    const p = fixture("log_inter.csv", [HEADER, good[0], good[1], ...session("s2", 2), good[2]]);
    const e = await failure(readLog(p));
    expect(e).toMatchObject({ line: 6, column: "session_id", kind: "session_interleaved" });
    expect(e.message).toContain('found session "s1" again, interleaved');
    expect(e.message).toContain("its earlier rows end at line 3");
    // A complete session whose id comes back later.
    const p2 = fixture("log_inter2.csv", [HEADER, ...session("s2", 2), ...good, row("s2", 1, 2, "t")]);
    expect(await failure(readLog(p2))).toMatchObject({ line: 7, column: "session_id", kind: "session_interleaved" });
  });
  it("session_length changing within a session", async () => {
    const p = fixture("log_len.csv", [HEADER, good[0], row("s1", 2, 4, "t"), good[2]]);
    expect(await failure(readLog(p))).toMatchObject({ line: 3, column: "session_length", kind: "length_mismatch" });
  });
  it("bad context type, hour and date", async () => {
    const pc = fixture("log_ctx.csv", [HEADER, row("s1", 1, 3, "t", { context_type: "mixtape" })]);
    expect(await failure(readLog(pc))).toMatchObject({ line: 2, column: "context_type", kind: "bad_value" });
    const ph = fixture("log_hour.csv", [HEADER, row("s1", 1, 3, "t", { hour_of_day: "24" })]);
    expect(await failure(readLog(ph))).toMatchObject({ line: 2, column: "hour_of_day", kind: "bad_number" });
    const pd = fixture("log_date.csv", [HEADER, row("s1", 1, 3, "t", { date: "2018/07/15" })]);
    expect(await failure(readLog(pd))).toMatchObject({ line: 2, column: "date", kind: "bad_value" });
  });
  it("truncated gzip", async () => {
    const full = gzipSync(Buffer.from([HEADER, ...session("a", 20), ...session("b", 20)].join("\n") + "\n"));
    const p = fixture("log_trunc.csv.gz", "");
    writeFileSync(p, full.subarray(0, full.length - 30));
    const e = await failure(readLog(p));
    expect(e).toMatchObject({ file: p, column: undefined, kind: "truncated_gzip" });
    expect(e.line).toBeGreaterThan(1);
    expect(e.message).toMatch(/^log_trunc\.csv\.gz:\d+: truncated gzip: expected more compressed data after line \d+, found the end of the file/);
    const corrupt = Buffer.from(full);
    corrupt[full.length - 6] ^= 0xff; // CRC
    const pc = fixture("log_crc.csv.gz", "");
    writeFileSync(pc, corrupt);
    expect(await failure(readLog(pc))).toMatchObject({ kind: "bad_gzip" });
  });
  it("empty file", async () => {
    const p = fixture("log_empty.csv", "");
    const e = await failure(readLog(p));
    expect(e).toMatchObject({ line: 0, column: undefined, kind: "empty_file" });
    expect(e.message).toBe("log_empty.csv: empty file: expected a header line");
    const pt = fixture("tf_empty.csv", "");
    expect(await failure(readTrackFeatures(pt))).toMatchObject({ kind: "empty_file" });
    const pg = fixture("log_empty.csv.gz", "");
    writeFileSync(pg, gzipSync(Buffer.alloc(0)));
    expect(await failure(readLog(pg))).toMatchObject({ kind: "empty_file" });
  });
  it("an empty line between rows", async () => {
    const p = fixture("log_blank.csv", [HEADER, good[0], "", good[1], good[2]]);
    expect((await failure(readLog(p))).message).toBe("log_blank.csv:3: expected 21 columns, found an empty line");
  });
});

describe("lenient mode", () => {
  it("skips bad rows, drops broken sessions and counts each kind", async () => {
    const s1 = session("s1", 3), s3 = session("s3", 2);
    const p = fixture("log_lenient.csv", [
      HEADER,
      ...s1,
      row("s2", 1, 3, "t", { skip_1: "maybe" }), // bad_boolean -> s2 misses position 1
      row("s2", 2, 3, "t"),
      row("s2", 3, 3, "t"),
      s3[0],
      row("s3", 1, 2, "t_dup"), // position_repeated
      s3[1].split(",").slice(0, 5).join(","), // column_count
      s3[1],
      row("s1", 1, 3, "t"), // session_interleaved
      row("s4", 5, 3, "t"), // position_range
      row("s4", 1, 3, "t", { hour_of_day: "x" }), // bad_number
      ...session("s5", 2),
    ]);
    const { got, stats } = await sessionsOf(p, { lenient: true });
    expect(got.map((s) => s.id)).toEqual(["s1", "s3", "s5"]);
    expect(got[1].tracks).toEqual(["t_s3_1", "t_s3_2"]);
    expect(stats.issues).toMatchObject({
      bad_boolean: 1, position_repeated: 1, column_count: 1, session_interleaved: 1, position_range: 1, bad_number: 1, position_missing: 1,
    });
    expect(stats.rowsSkipped).toBe(6);
    expect(stats.sessionsDropped).toBe(1);
    expect(stats.sessions).toBe(3);
  });
  it("tf: skips bad rows and counts them", async () => {
    const tfRow = (id: string, energy: string) => TF_COLUMNS.map((c) => (c === "track_id" ? id : c === "mode" ? "minor" : c === "energy" ? energy : "1")).join(",");
    const p = fixture("tf_lenient.csv", [TF_COLUMNS.join(","), tfRow("a", "0.1"), tfRow("b", "NaN"), tfRow("c", "0.3"), tfRow("a", "0.4"), "x,y"]);
    const parser = new TrackFeatureParser({ lenient: true, file: p });
    parser.push(readFileSync(p));
    const t = parser.end();
    expect(t.rows).toBe(2);
    expect(t.rowsSkipped).toBe(3);
    expect(t.issues).toMatchObject({ bad_number: 1, duplicate_track: 1, column_count: 1 });
    expect(Array.from(t.trackIndex).map((i) => parser.vocab.id(i))).toEqual(["a", "c"]);
  });
});
