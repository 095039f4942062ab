// Property: the streaming MSSD readers agree with the reference validator
// (test/reference/mssd.ts) on generated session logs and track-feature files, valid and
// mutated, fed in random chunks: strict mode stops at the same file, line, column and kind,
// or accepts the same sessions (ids, lengths, completeness, tracks, skips) and vocabulary;
// lenient mode keeps the same sessions and counts the same problems. Logs come one or two to
// a dataset, sharing their session ids (a duplicate across files is a duplicate). And the
// dataset build gives the same result or the same error whether session ids fit in memory or
// spill to disk. Seeds are fixed (test/util/props.ts); ENCORE_FC_RUNS=10000 runs a campaign.
import { describe, expect, afterAll } from "vitest";
import { fc, test } from "@fast-check/vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CONTEXT_TYPES, LOG_COLUMNS, TF_COLUMNS } from "../src/data/schema.js";
import { LOG_FLAG, LogParser, type SessionView } from "../src/data/log-parser.js";
import { TrackFeatureParser } from "../src/data/tf-parser.js";
import { MssdFormatError, ISSUE_KINDS } from "../src/data/errors.js";
import { SessionIdSet, BYTES_PER_ENTRY } from "../src/data/session-ids.js";
import { TrackVocab } from "../src/data/vocab.js";
import { buildDataset } from "../src/data/dataset.js";
import { referenceLogs, referenceTf, type RefIssue, type RefSession } from "./reference/mssd.js";
import { props, propTimeout } from "./util/props.js";

const enc = new TextEncoder();
const dir = mkdtempSync(join(tmpdir(), "encore-props-read-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// ---------------------------------------------------------------- generators

const SESSION_IDS = ["s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "sé", "日本", "0_0a1b"];
const TRACKS = ["t1", "t2", "t3", "t4", "t5", "t_é", "t7", "8"];
const REASONS = ["trackdone", "fwdbtn", "clickrow", "backbtn"];
/** Field values near and beyond every rule; \x01..\x04 stand for invalid UTF-8 (see RAW). */
const ODD = ["t\x01", "s\x02", "\x03", "x\x04y", "", "True", "False", "true", "x", "-1", "0", "1", "2", "5", "9", "23", "24", "1000", "1001", "999999999", "1234567890", "2018-07-15", "2018-13-01", "2018-7-15",
  "2018-00-10", "2018-12-32", "radio", "catalog", "mixtape", "é", "t1", "s1", "1.5", " 1", "0001", "major", "NaN", "1e5", "s2,x"];

type Row = string[];

/** Bytes no string can encode: a stray continuation byte, a truncated sequence, a surrogate, an overlong form. */
const RAW: Record<number, number[]> = { 1: [0xff], 2: [0xc3], 3: [0xed, 0xa0, 0x80], 4: [0xc0, 0xaf] };

const boolText = fc.constantFrom("True", "False");
const logRow = (sid: string, pos: number, len: number) => fc.record({
  track: fc.constantFrom(...TRACKS), b: fc.array(boolText, { minLength: 6, maxLength: 6 }), n: fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 6, maxLength: 6 }),
  hour: fc.integer({ min: 0, max: 23 }), day: fc.integer({ min: 1, max: 28 }), ctx: fc.constantFrom(...CONTEXT_TYPES), r1: fc.constantFrom(...REASONS), r2: fc.constantFrom(...REASONS),
}).map((x): Row => [sid, String(pos), String(len), x.track, x.b[0], x.b[1], x.b[2], x.b[3], String(x.n[0]), String(x.n[1]), String(x.n[2]), String(x.n[3]), String(x.n[4]), String(x.n[5]),
  x.b[4], String(x.hour), `2018-07-${String(x.day).padStart(2, "0")}`, x.b[5], x.ctx, x.r1, x.r2]);

/** A valid log: distinct session ids, each block's positions in some order, the last maybe cut off. */
const validLog = fc.record({
  ids: fc.shuffledSubarray(SESSION_IDS, { minLength: 0, maxLength: 10 }),
  lens: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 10, maxLength: 10 }),
  orders: fc.array(fc.nat(), { minLength: 10, maxLength: 10 }),
  cut: fc.nat({ max: 5 }),
}).chain(({ ids, lens, orders, cut }) => {
  const blocks = ids.map((sid, k) => {
    const len = lens[k];
    let pos = Array.from({ length: len }, (_, i) => i + 1);
    if (orders[k] % 3 === 0) pos = pos.reverse(); // positions need not be in order within a block
    if (k === ids.length - 1 && cut > 0) pos = Array.from({ length: Math.max(1, len - cut) }, (_, i) => i + 1);
    return fc.tuple(...pos.map((p) => logRow(sid, p, len)));
  });
  return blocks.length === 0 ? fc.constant([] as Row[]) : fc.tuple(...blocks).map((bs) => bs.flat() as Row[]);
});

type RowMutation =
  | { op: "delete" | "duplicate" | "moveTo" | "swap" | "empty"; i: number; j: number }
  | { op: "field"; i: number; c: number; value: string }
  | { op: "copyBlock"; i: number; j: number }
  | { op: "relength"; i: number; len: number }
  | { op: "badId"; i: number; track: boolean; raw: number };

const rowMutation: fc.Arbitrary<RowMutation> = fc.oneof(
  fc.record({ op: fc.constantFrom("delete" as const, "duplicate" as const, "moveTo" as const, "swap" as const, "empty" as const), i: fc.nat(), j: fc.nat() }),
  fc.record({ op: fc.constant("field" as const), i: fc.nat(), c: fc.nat({ max: 20 }), value: fc.oneof(fc.constantFrom(...ODD), fc.constantFrom(...SESSION_IDS), fc.string({ maxLength: 4 })) }),
  fc.record({ op: fc.constant("copyBlock" as const), i: fc.nat(), j: fc.nat() }),
  fc.record({ op: fc.constant("relength" as const), i: fc.nat(), len: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ op: fc.constant("badId" as const), i: fc.nat(), track: fc.boolean(), raw: fc.integer({ min: 1, max: 4 }) }),
) as fc.Arbitrary<RowMutation>;

function applyRowMutations(rows: Row[], ms: RowMutation[]): (Row | null)[] {
  const out: (Row | null)[] = rows.map((r) => [...r]);
  for (const m of ms) {
    if (out.length === 0) break;
    const i = m.i % out.length, j = m.j % (out.length + 1);
    switch (m.op) {
      case "delete": out.splice(i, 1); break;
      case "duplicate": out.splice(j, 0, out[i] ? [...out[i]!] : null); break;
      case "moveTo": { const [r] = out.splice(i, 1); out.splice(Math.min(j, out.length), 0, r); break; }
      case "swap": { const k = Math.min(j, out.length - 1); [out[i], out[k]] = [out[k], out[i]]; break; }
      case "empty": out.splice(j, 0, null); break; // an empty line
      case "field": if (out[i]) out[i]![m.c % out[i]!.length] = m.value; break;
      case "relength": if (out[i]) out[i]![2] = String(m.len); break;
      case "badId": if (out[i]) out[i]![m.track ? 3 : 0] += String.fromCharCode(m.raw); break; // invalid UTF-8 inside an id
      case "copyBlock": { // a whole session repeated elsewhere, near or far
        const sid = out[i]?.[0];
        const block = out.filter((r) => r && r[0] === sid).map((r) => [...r!]);
        out.splice(j, 0, ...block);
        break;
      }
    }
  }
  return out;
}

type ByteMutation = { op: "set" | "truncate" | "insert"; at: number; value: number };
const byteMutation: fc.Arbitrary<ByteMutation> = fc.record({
  op: fc.constantFrom("set" as const, "truncate" as const, "insert" as const),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  value: fc.constantFrom(0xff, 0xc3, 0x80, 0xe6, 0xed, 0xf4, 0xc0, 0x2c, 0x0a, 0x0d, 0x22, 0x41, 0x30, 0x00),
}) as fc.Arbitrary<ByteMutation>;

interface Layout { crlf: boolean; bom: boolean; finalNewline: boolean }
const layout = fc.record({ crlf: fc.boolean(), bom: fc.boolean(), finalNewline: fc.boolean() });

function serialize(header: string[], rows: (Row | null)[], l: Layout, bytesM: ByteMutation[]): Uint8Array {
  const eol = l.crlf ? "\r\n" : "\n";
  let text = [header.join(","), ...rows.map((r) => (r ? r.join(",") : ""))].join(eol);
  if (l.finalNewline) text += eol;
  let b = enc.encode(text);
  if (b.some((x) => x >= 1 && x <= 4)) b = new Uint8Array([...b].flatMap((x) => RAW[x] ?? [x]));
  if (l.bom) b = new Uint8Array([0xef, 0xbb, 0xbf, ...b]);
  for (const m of bytesM) {
    const i = Math.min(b.length, Math.floor(m.at * b.length));
    if (m.op === "truncate") b = b.slice(0, i);
    else if (m.op === "insert") b = new Uint8Array([...b.subarray(0, i), m.value, ...b.subarray(i)]);
    else if (i < b.length) { b = b.slice(); b[i] = m.value; }
  }
  return b;
}

/** A header, mostly right. */
const logHeader = fc.oneof(
  { weight: 40, arbitrary: fc.constant([...LOG_COLUMNS] as string[]) },
  { weight: 1, arbitrary: fc.nat({ max: 20 }).map((k) => LOG_COLUMNS.filter((_, i) => i !== k) as string[]) },
  { weight: 1, arbitrary: fc.nat({ max: 20 }).map((k) => LOG_COLUMNS.map((c, i) => (i === k ? c + "x" : c)) as string[]) },
);

const logFile = fc.record({
  header: logHeader, rows: validLog, mutations: fc.array(rowMutation, { maxLength: 4 }), bytes: fc.array(byteMutation, { maxLength: 2 }), layout,
  mutate: fc.integer({ min: 0, max: 4 }), // 0: valid as generated; 1–3: rows mutated; 4: bytes too
}).map((f) => serialize(f.header, f.mutate === 0 ? f.rows : applyRowMutations(f.rows, f.mutations), f.layout, f.mutate === 4 ? f.bytes : []));

const chunking = fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 6 });

function chunks(b: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0, k = 0; i < b.length; k++) {
    const n = sizes[k % sizes.length];
    out.push(b.slice(i, i + n)); // copies: the reader must not keep views of a chunk
    i += n;
  }
  return out;
}

// ---------------------------------------------------------------- the readers, as the reference sees them

interface Observed {
  error?: RefIssue;
  sessions: RefSession[];
  vocab: string[];
  counts: Record<string, number>;
  rowsSkipped: number;
}

function readLogs(files: { name: string; bytes: Uint8Array }[], lenient: boolean, sizes: number[]): Observed {
  const vocab = new TrackVocab(), ids = new SessionIdSet();
  const sessions: RefSession[] = [];
  const counts: Record<string, number> = {};
  let rowsSkipped = 0;
  const onSession = (s: SessionView): void => {
    const tracks: string[] = [], skip2: boolean[] = [];
    for (let i = 0; i < s.rows; i++) {
      tracks.push(vocab.id(s.tracks[i]));
      skip2.push((s.flags[i] & LOG_FLAG.skip_2) !== 0);
    }
    sessions.push({ id: s.sessionId, length: s.length, complete: s.complete, tracks, skip2 });
  };
  try {
    for (const f of files) {
      const p = new LogParser({ file: f.name, vocab, lenient, onSession, sessionIds: ids });
      for (const c of chunks(f.bytes, sizes)) p.push(c);
      const st = p.end();
      rowsSkipped += st.rowsSkipped;
      for (const k of ISSUE_KINDS) if (st.issues[k]) counts[k] = (counts[k] ?? 0) + st.issues[k];
      expect(st.rows + st.rowsSkipped).toBe(st.lines - 1); // every data line is a row or a skipped row
    }
  } catch (e) {
    if (!(e instanceof MssdFormatError)) throw e;
    return { error: { file: e.file, line: e.line, column: e.column, kind: e.kind }, sessions, vocab: vocab.ids(), counts, rowsSkipped };
  }
  return { sessions, vocab: vocab.ids(), counts, rowsSkipped };
}

function agree(got: Observed, ref: ReturnType<typeof referenceLogs>, lenient: boolean): void {
  if (ref.error || got.error) {
    expect(got.error ? { ...got.error, column: got.error.kind === "header" ? undefined : got.error.column } : undefined)
      .toEqual(ref.error ? { ...ref.error, column: ref.error.kind === "header" ? undefined : ref.error.column } : undefined);
    return;
  }
  expect(got.sessions).toEqual(ref.sessions);
  expect(got.vocab).toEqual(ref.vocab);
  if (lenient) {
    expect(got.counts).toEqual(ref.counts);
    expect(got.rowsSkipped).toBe(ref.rowsSkipped);
  } else expect(got.counts).toEqual({});
}

describe("session log readers against the reference validator", () => {
  test.prop([fc.array(logFile, { minLength: 1, maxLength: 2 }), fc.boolean(), chunking], props(400))("strict and lenient, one or two files", (logs, lenient, sizes) => {
    const files = logs.map((bytes, i) => ({ name: `log_${i}.csv`, bytes }));
    agree(readLogs(files, lenient, sizes), referenceLogs(files, lenient), lenient);
  }, propTimeout(400, 30));

  test.prop([validLog, layout, chunking], props(150))("valid logs are accepted whole", (rows, l, sizes) => {
    const files = [{ name: "log_v.csv", bytes: serialize([...LOG_COLUMNS], rows, l, []) }];
    const got = readLogs(files, false, sizes);
    expect(got.error).toBeUndefined();
    expect(got.sessions.map((s) => s.id)).toEqual([...new Set(rows.map((r) => r[0]))]);
    agree(got, referenceLogs(files, false), false);
  }, propTimeout(150, 30));

  test.prop([fc.array(logFile, { minLength: 1, maxLength: 2 }), fc.boolean()], props(60))("the dataset build: the same result or error whether session ids fit in memory or spill to disk", async (logs, lenient) => {
    const paths = logs.map((b, i) => {
      const p = join(dir, `ds_${i}.csv`);
      writeFileSync(p, b);
      return p;
    });
    const outcome = async (memoryBytes?: number): Promise<unknown> => {
      try {
        const ds = await buildDataset({ logs: paths }, { lenient, completeOnly: false }, memoryBytes ? { sessionIds: { memoryBytes, spillNear: join(dir, "spill") } } : {});
        return { ids: ds.vocab.ids(), tracks: Array.from(ds.tracks), offsets: Array.from(ds.sessionOffsets), report: ds.report };
      } catch (e) {
        if (!(e instanceof MssdFormatError)) throw e;
        return { file: e.file, line: e.line, kind: e.kind };
      }
    };
    const inMemory = await outcome();
    const spilled = await outcome(16 * BYTES_PER_ENTRY); // 16 ids in memory: most duplicates found by the merge
    if (lenient || !("kind" in (inMemory as object)) || (inMemory as { kind: string }).kind !== "duplicate_session") expect(spilled).toEqual(inMemory);
    else expect(spilled).toMatchObject({ kind: "duplicate_session" }); // strict: found at the end, at the first duplicate in reading order
  }, propTimeout(60, 200));
});

// ---------------------------------------------------------------- track features

const NUM = fc.oneof(fc.integer({ min: -1000, max: 1000 }).map(String), fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }).map((x) => String(x)),
  fc.constantFrom("0.5", "-0", "1e-5", "3.", ".25", "+7", "1E3"));
const tfRow = fc.record({ id: fc.constantFrom(...TRACKS, "u1", "u2", "ü"), nums: fc.array(NUM, { minLength: 28, maxLength: 28 }), mode: fc.constantFrom("major", "minor") })
  .map((x): Row => {
    const v: string[] = [x.id];
    let k = 0;
    for (let c = 1; c < TF_COLUMNS.length; c++) v.push(TF_COLUMNS[c] === "mode" ? x.mode : x.nums[k++]);
    return v;
  });
const tfFile = fc.record({
  rows: fc.uniqueArray(tfRow, { maxLength: 8, selector: (r) => r[0] }), mutations: fc.array(rowMutation, { maxLength: 3 }), bytes: fc.array(byteMutation, { maxLength: 2 }), layout,
  mutate: fc.integer({ min: 0, max: 3 }),
  header: fc.oneof({ weight: 40, arbitrary: fc.constant([...TF_COLUMNS] as string[]) }, { weight: 1, arbitrary: fc.nat({ max: 29 }).map((k) => TF_COLUMNS.filter((_, i) => i !== k) as string[]) }),
}).map((f) => serialize(f.header, f.mutate === 0 ? f.rows : applyRowMutations(f.rows, f.mutations), f.layout, f.mutate === 3 ? f.bytes : []));

describe("track-feature reader against the reference validator", () => {
  test.prop([tfFile, fc.boolean(), chunking], props(300))("strict and lenient", (bytes, lenient, sizes) => {
    const ref = referenceTf("tf.csv", bytes, lenient);
    const p = new TrackFeatureParser({ file: "tf.csv", lenient });
    let error: RefIssue | undefined;
    let t;
    try {
      for (const c of chunks(bytes, sizes)) p.push(c);
      t = p.end();
    } catch (e) {
      if (!(e instanceof MssdFormatError)) throw e;
      error = { file: e.file, line: e.line, column: e.kind === "header" ? undefined : e.column, kind: e.kind };
    }
    if (ref.error || error) {
      expect(error).toEqual(ref.error ? { ...ref.error, column: ref.error.kind === "header" ? undefined : ref.error.column } : undefined);
      return;
    }
    expect(Array.from(t!.trackIndex, (i) => p.vocab.id(i))).toEqual(ref.rows.map((r) => r.id));
    ref.rows.forEach((r, i) => r.values.forEach((x, c) => {
      const got = t!.values[i * r.values.length + c];
      expect(Math.abs(got - Math.fround(x)), `${r.id} column ${c}`).toBeLessThanOrEqual(1e-6 * Math.abs(x) + 1e-30);
    }));
    const counts: Record<string, number> = {};
    for (const k of ISSUE_KINDS) if (t!.issues[k]) counts[k] = t!.issues[k];
    expect(counts).toEqual(ref.counts);
  }, propTimeout(300, 30));
});
