import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { gunzipSync } from "node:zlib";
import { Rng } from "../src/rng.js";
import { CONTEXT_TYPES, LOG_COLUMNS, TF_COLUMNS } from "../src/data/schema.js";
import { CONTEXT_PROPORTIONS, F, ListenerModel, TF_NUMERIC_COLUMNS } from "../src/data/synth.js";
import { SessionSimulator, logCsvChunks, REASONS } from "../src/data/synth-log.js";
import { writeChunks, writeSynthetic } from "../src/data/synth-write.js";
import { ListenerEnv } from "../src/rl/listener-env.js";

// A default-size catalog and 5,000 sessions, written once and parsed back by the small CSV split
// below. The seed is not the one the intercept and position effect were fitted on (0).
const SEED = 2024;
const N_SESSIONS = 5000;
// Per-test timeout: the machine running the suite may be shared and busy.
const SLOW = 30_000;

let dir = "";
let logText = "";
let tfText = "";
let model: ListenerModel;

function parseCsv(text: string): { header: string[]; rows: string[][] } {
  const lines = text.split("\n");
  expect(lines[lines.length - 1]).toBe(""); // ends with a newline
  lines.pop();
  return { header: lines[0].split(","), rows: lines.slice(1).map((l) => l.split(",")) };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "encore-synth-"));
  const r = await writeSynthetic({ dir, seed: SEED, numSessions: N_SESSIONS });
  model = r.model;
  logText = await readFile(r.logPath, "utf8");
  tfText = await readFile(r.tfPath, "utf8");
  expect(r.logBytes).toBe(Buffer.byteLength(logText));
}, 60_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("synthetic MSSD files", () => {
  it("have the exact MSSD headers, 21 / 30 fields a row, and real formats", () => {
    const log = parseCsv(logText), tf = parseCsv(tfText);
    expect(log.header).toEqual([...LOG_COLUMNS]);
    expect(tf.header).toEqual([...TF_COLUMNS]);
    const col = (name: string): number => LOG_COLUMNS.indexOf(name as (typeof LOG_COLUMNS)[number]);
    const uuid = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
    const sessionRe = new RegExp(`^0_${uuid}$`), trackRe = new RegExp(`^t_${uuid}$`);
    const bools = new Set(["True", "False"]), contexts = new Set<string>(CONTEXT_TYPES), reasons = new Set<string>(REASONS);
    const tfIds = new Set(tf.rows.map((r) => r[0]));
    expect(tfIds.size).toBe(model.numTracks);
    // Count violations per check (one expect per check keeps 80,000 rows fast) and show the first one.
    const bad = new Map<string, string>();
    const check = (ok: boolean, what: string, row: string[]): void => {
      if (!ok && !bad.has(what)) bad.set(what, row.join(","));
    };
    for (const r of log.rows) {
      check(r.length === 21, "21 fields", r);
      check(sessionRe.test(r[0]), "session id", r);
      check(trackRe.test(r[3]) && tfIds.has(r[3]), "track id in tf", r);
      for (const c of ["skip_1", "skip_2", "skip_3", "not_skipped", "hist_user_behavior_is_shuffle", "premium"]) check(bools.has(r[col(c)]), c, r);
      for (const c of ["context_switch", "no_pause_before_play", "short_pause_before_play", "long_pause_before_play"]) check(/^[01]$/.test(r[col(c)]), c, r);
      check(/^\d+$/.test(r[col("hist_user_behavior_n_seekfwd")]) && /^\d+$/.test(r[col("hist_user_behavior_n_seekback")]), "seeks", r);
      check(/^([0-9]|1[0-9]|2[0-3])$/.test(r[col("hour_of_day")]), "hour_of_day", r);
      check(/^2018-0[5-7]-\d\d$/.test(r[col("date")]), "date", r);
      check(contexts.has(r[col("context_type")]), "context_type", r);
      check(reasons.has(r[col("hist_user_behavior_reason_start")]) && reasons.has(r[col("hist_user_behavior_reason_end")]), "reasons", r);
    }
    for (const r of tf.rows) {
      check(r.length === 30 && trackRe.test(r[0]), "tf 30 fields and id", r);
      for (let c = 1; c < 30 && r.length === 30; c++) {
        if (TF_COLUMNS[c] === "mode") check(r[c] === "major" || r[c] === "minor", "mode", r);
        else check(r[c] !== "" && Number.isFinite(Number(r[c])), TF_COLUMNS[c], r);
      }
    }
    expect(Object.fromEntries(bad)).toEqual({});
  }, SLOW);

  it("have sessions like the real ones: sorted unique ids, positions 1..n, consistent skips and reasons", () => {
    const { rows } = parseCsv(logText);
    const idx = (name: string): number => LOG_COLUMNS.indexOf(name as (typeof LOG_COLUMNS)[number]);
    const [sid, pos, len, s1, s2, s3, ns, cs] = ["session_id", "session_position", "session_length", "skip_1", "skip_2", "skip_3", "not_skipped", "context_switch"].map(idx);
    const [np, sp, lp, rs, re] = ["no_pause_before_play", "short_pause_before_play", "long_pause_before_play", "hist_user_behavior_reason_start", "hist_user_behavior_reason_end"].map(idx);
    const ids: string[] = [];
    let allFalse = 0;
    const bad = new Map<string, string>();
    const check = (ok: boolean, what: string, row: string[]): void => {
      if (!ok && !bad.has(what)) bad.set(what, row.join(","));
    };
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i], first = i === 0 || rows[i - 1][sid] !== r[sid];
      if (first) ids.push(r[sid]);
      check(Number(r[pos]) === (first ? 1 : Number(rows[i - 1][pos]) + 1), "positions 1, 2, ...", r);
      if (i + 1 === rows.length || rows[i + 1][sid] !== r[sid]) check(r[pos] === r[len], "last position = session_length", r);
      const [k1, k2, k3, n] = [r[s1], r[s2], r[s3], r[ns]].map((x) => x === "True");
      check(!k1 || k2, "skip_1 => skip_2", r);
      check(!k2 || k3, "skip_2 => skip_3", r);
      check(!n || !k3, "not_skipped => !skip_3", r);
      if (!k3 && !n) allFalse++;
      if (first) {
        check(`${r[cs]},${r[np]},${r[sp]},${r[lp]}` === "0,0,0,0", "position 1: no switch, no pause", r);
      } else {
        check(["1,0,0", "0,1,1", "0,0,1"].includes(`${r[np]},${r[sp]},${r[lp]}`), "pause flags", r);
        // reason_start follows the previous reason_end (the dominant real transitions).
        if (rows[i - 1][re] === "backbtn") check(r[rs] === "backbtn" || r[rs] === "trackdone", "backbtn -> backbtn", r);
        if (r[cs] === "1") check(r[rs] === "clickrow" || r[rs] === "appload", "switch starts by clickrow/appload", r);
      }
      if (n) check(["trackdone", "endplay", "fwdbtn", "backbtn", "logout"].includes(r[re]), "not_skipped reason_end", r);
    }
    expect(Object.fromEntries(bad)).toEqual({});
    expect(ids.length).toBe(N_SESSIONS);
    expect(new Set(ids).size).toBe(N_SESSIONS);
    expect([...ids].sort()).toEqual(ids);
    // Real: 1.9% of rows have skip_3 and not_skipped both False.
    expect(allFalse / rows.length).toBeGreaterThan(0.01);
    expect(allFalse / rows.length).toBeLessThan(0.03);
  }, SLOW);

  it("are calibrated to the real slice (skip_2 rate, position 1, lengths, context types)", () => {
    const { rows } = parseCsv(logText);
    const [pos, len, s2, ctx] = ["session_position", "session_length", "skip_2", "context_type"].map((c) => LOG_COLUMNS.indexOf(c as (typeof LOG_COLUMNS)[number]));
    let skips = 0, firsts = 0, firstSkips = 0, len20 = 0;
    const lengths = new Set<number>();
    const ctxCount = new Map<string, number>();
    for (const r of rows) {
      const skip = r[s2] === "True";
      skips += skip ? 1 : 0;
      ctxCount.set(r[ctx], (ctxCount.get(r[ctx]) ?? 0) + 1);
      if (r[pos] === "1") {
        firsts++;
        firstSkips += skip ? 1 : 0;
        lengths.add(Number(r[len]));
        if (r[len] === "20") len20++;
      }
    }
    const overall = skips / rows.length, first = firstSkips / firsts, half = len20 / firsts;
    console.log(`synthetic seed ${SEED}: skip_2 ${(100 * overall).toFixed(1)}%, position 1 ${(100 * first).toFixed(1)}%, length 20 ${(100 * half).toFixed(1)}%`);
    expect(Math.abs(overall - 0.52)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(first - 0.38)).toBeLessThanOrEqual(0.03);
    expect(Math.min(...lengths)).toBe(10);
    expect(Math.max(...lengths)).toBe(20);
    expect(half).toBeGreaterThanOrEqual(0.45);
    expect(half).toBeLessThanOrEqual(0.55);
    CONTEXT_TYPES.forEach((c, i) => {
      const share = (ctxCount.get(c) ?? 0) / rows.length, real = CONTEXT_PROPORTIONS[i];
      expect(Math.abs(share - real)).toBeLessThanOrEqual(Math.max(0.03, 0.5 * real));
      if (real > 0.1) expect(Math.abs(share - real)).toBeLessThanOrEqual(0.03);
    });
  }, SLOW);

  it("carry signal in the audio features: same-genre tracks are closer than cross-genre ones", () => {
    const { rows } = parseCsv(tfText);
    // Standardise the numeric audio columns (not popularity, key or time signature, which are not derived from taste).
    const skip = new Set(["track_id", "us_popularity_estimate", "key", "time_signature"]);
    const cols = TF_COLUMNS.map((c, i) => [c, i] as const).filter(([c]) => !skip.has(c)).map(([, i]) => i);
    const X = rows.map((r) => cols.map((c) => (r[c] === "major" ? 1 : r[c] === "minor" ? 0 : Number(r[c]))));
    for (let j = 0; j < cols.length; j++) {
      const mu = X.reduce((s, x) => s + x[j], 0) / X.length;
      const sd = Math.sqrt(X.reduce((s, x) => s + (x[j] - mu) ** 2, 0) / X.length);
      for (const x of X) x[j] = (x[j] - mu) / sd;
    }
    const genre = rows.map((r) => model.trackGenre(model.trackIndex(r[0])));
    const rng = new Rng(5);
    let within = 0, nWithin = 0, across = 0, nAcross = 0;
    for (let k = 0; k < 40_000; k++) {
      const a = rng.int(X.length), b = rng.int(X.length);
      if (a === b) continue;
      let d = 0;
      for (let j = 0; j < cols.length; j++) d += (X[a][j] - X[b][j]) ** 2;
      if (genre[a] === genre[b]) { within += Math.sqrt(d); nWithin++; } else { across += Math.sqrt(d); nAcross++; }
    }
    expect(nWithin).toBeGreaterThan(500);
    const ratio = within / nWithin / (across / nAcross);
    console.log(`feature distance within / across genres: ${ratio.toFixed(3)}`);
    expect(ratio).toBeLessThan(0.9);
    // The nearest neighbour in feature space shares the genre far more often than chance.
    const shares = new Map<number, number>();
    for (const g of genre) shares.set(g, (shares.get(g) ?? 0) + 1 / genre.length);
    const chance = [...shares.values()].reduce((s, p) => s + p * p, 0);
    let same = 0;
    const Q = 400, R = 4000;
    for (let q = 0; q < Q; q++) {
      let best = Infinity, bestJ = -1;
      for (let j = Q; j < Q + R; j++) {
        let d = 0;
        for (let c = 0; c < cols.length; c++) d += (X[q][c] - X[j][c]) ** 2;
        if (d < best) { best = d; bestJ = j; }
      }
      if (genre[bestJ] === genre[q]) same++;
    }
    console.log(`1-NN genre agreement ${(same / Q).toFixed(3)} vs chance ${chance.toFixed(3)}`);
    expect(same / Q).toBeGreaterThan(3 * chance);
  }, SLOW);

  it("gives byte-identical files for the same seed, different files for another seed, any chunk size, gzip or not", async () => {
    const small = { numSessions: 300, model: { numTracks: 2000 } };
    const a = await writeSynthetic({ dir: join(dir, "a"), seed: 11, ...small });
    const b = await writeSynthetic({ dir: join(dir, "b"), seed: 11, rowsPerChunk: 7, ...small });
    const c = await writeSynthetic({ dir: join(dir, "c"), seed: 12, ...small });
    const g = await writeSynthetic({ dir: join(dir, "g"), seed: 11, gzip: true, ...small });
    const [la, lb, lc, ta, tb, tc] = await Promise.all([a.logPath, b.logPath, c.logPath, a.tfPath, b.tfPath, c.tfPath].map((p) => readFile(p)));
    expect(la.length).toBeGreaterThan(10_000);
    expect(lb.equals(la)).toBe(true);
    expect(tb.equals(ta)).toBe(true);
    expect(lc.equals(la)).toBe(false);
    expect(tc.equals(ta)).toBe(false);
    expect(g.logPath.endsWith(".csv.gz")).toBe(true);
    expect(gunzipSync(await readFile(g.logPath)).equals(la)).toBe(true);
    expect(gunzipSync(await readFile(g.tfPath)).equals(ta)).toBe(true);
  }, SLOW);
});

describe("ListenerModel", () => {
  it("gives skip probabilities in (0,1) that fall with taste match, as designed", () => {
    const l = model.newListener(new Rng(3));
    const n = model.numTracks;
    const match = new Float64Array(n), logit = new Float64Array(n);
    let home = 0, nHome = 0, other = 0, nOther = 0;
    for (let i = 0; i < n; i++) {
      const p = model.skipProbability(l, i);
      expect(p > 0 && p < 1).toBe(true);
      match[i] = model.tasteMatch(l, i);
      expect(Math.abs(match[i])).toBeLessThanOrEqual(1 + 1e-12);
      logit[i] = Math.log(p / (1 - p));
      if (model.trackGenre(i) === l.homeGenre) { home += p; nHome++; } else { other += p; nOther++; }
    }
    expect(pearson(match, logit)).toBeLessThan(-0.9);
    // The whole-catalog view agrees with the per-track one.
    const all = model.skipProbabilities(l, new Float64Array(n), 3);
    for (let i = 0; i < n; i += 97) expect(all[i]).toBeCloseTo(model.skipProbability(l, i, 3), 12);
    expect(home / nHome).toBeLessThan(other / nOther - 0.15);
    // Position effect: the first track is skipped less than a later one.
    expect(model.skipProbability(l, 0, 1)).toBeLessThan(model.skipProbability(l, 0, 10));
  }, SLOW);

  it("samples skips at the rate it states (logged skips match the model's probabilities)", () => {
    const sim = new SessionSimulator(model, { numSessions: 2000, seed: 99 });
    const bins = new Float64Array(5), hits = new Float64Array(5), counts = new Float64Array(5);
    for (let i = 0; i < 2000; i++) {
      const s = sim.simulate(i);
      for (let p = 0; p < s.length; p++) {
        const b = Math.min(4, Math.floor(s.skipProb[p] * 5));
        bins[b] += s.skipProb[p];
        hits[b] += s.skip2[p];
        counts[b]++;
      }
    }
    for (let b = 0; b < 5; b++) {
      expect(counts[b]).toBeGreaterThan(500);
      expect(Math.abs(hits[b] / counts[b] - bins[b] / counts[b])).toBeLessThan(0.03);
    }
  }, SLOW);

  it("is deterministic under a seed, and drift changes the state", () => {
    const run = (seed: number): string => {
      const l = model.newListener(new Rng(seed));
      const rng = new Rng(seed + 1000);
      const out: number[] = [];
      for (let t = 0; t < 30; t++) {
        const track = model.sampleTrack(rng, rng.float() < 0.7 ? l.homeGenre : -1);
        out.push(track, model.skipProbability(l, track), model.play(l, track) ? 1 : 0);
      }
      return out.join(",") + "|" + Array.from(l.taste).join(",");
    };
    expect(run(1)).toBe(run(1));
    expect(run(1)).not.toBe(run(2));
    // The catalog itself is deterministic in its seed.
    const m1 = new ListenerModel({ seed: 4, numTracks: 500 }), m2 = new ListenerModel({ seed: 4, numTracks: 500 });
    const m3 = new ListenerModel({ seed: 5, numTracks: 500 });
    expect(m2.features).toEqual(m1.features);
    expect(m2.trackIds).toEqual(m1.trackIds);
    expect(m3.trackIds).not.toEqual(m1.trackIds);

    const l = model.newListener(new Rng(8));
    const before = l.taste.slice(), mood = l.mood;
    const copy = model.cloneState(l);
    const p0 = model.skipProbability(l, 42);
    model.observe(l, 42, false);
    expect(l.position).toBe(1);
    expect(Array.from(l.taste)).not.toEqual(Array.from(before));
    expect(l.mood).not.toBe(mood);
    expect(Math.hypot(...l.taste)).toBeCloseTo(1, 12);
    expect(model.skipProbability(l, 42, 1)).not.toBe(p0);
    // The clone is independent and replays the same stream.
    expect(Array.from(copy.taste)).toEqual(Array.from(before));
    expect(copy.position).toBe(0);
    model.observe(copy, 42, false);
    expect(Array.from(copy.taste)).toEqual(Array.from(l.taste));
  }, SLOW);

  it("builds the audio features on first use, the same values whenever that is; the online listener never asks for them", () => {
    const eager = new ListenerModel({ seed: 6, numTracks: 700 }).features.slice();
    const m = new ListenerModel({ seed: 6, numTracks: 700 });
    // A listener environment's episodes (what the online protocol runs) leave them unbuilt ...
    const env = new ListenerEnv(m, { N: 10, K: 3 });
    const rng = new Rng(3);
    for (let e = 0; e < 3; e++) {
      let heard = new Set(env.reset(rng).tracks);
      expect(heard.size).toBeGreaterThan(0);
      for (let t = 0, next = 0; t < 4; t++) {
        const list = new Int32Array(3);
        for (let k = 0; k < 3; next++) if (!heard.has(next)) list[k++] = next;
        heard = new Set(env.step(list).next.tracks);
      }
    }
    expect((m as unknown as { featureTable: Float64Array | null }).featureTable).toBeNull();
    // ... and the values built after other use are those a fresh model builds first.
    expect(m.features).toEqual(eager);
    expect(m.features).toBe(m.features);
    expect(Array.from(m.trackFeatures(5))).toEqual(Array.from(eager.subarray(5 * F, 6 * F)));
  });

  it("drifts the taste towards a track listened to and away from a skipped one", () => {
    const m = new ListenerModel({ numTracks: 400, driftNoise: 0 });
    for (let seed = 0; seed < 20; seed++) {
      const a = m.newListener(new Rng(seed)), b = m.cloneState(a);
      const track = (seed * 37) % m.numTracks;
      const before = m.tasteMatch(a, track);
      m.observe(a, track, false);
      m.observe(b, track, true);
      expect(m.tasteMatch(a, track)).toBeGreaterThan(before);
      expect(m.tasteMatch(b, track)).toBeLessThan(before);
    }
  }, SLOW);

  it("exposes consistent catalog views and rejects bad input with clear errors", () => {
    expect(model.trackLatent(7).length).toBe(model.latentDim);
    expect(Math.hypot(...model.trackLatent(7))).toBeCloseTo(1, 12);
    expect(model.trackFeatures(7).length).toBe(F);
    expect(F).toBe(TF_COLUMNS.length - 1);
    expect(TF_NUMERIC_COLUMNS).toEqual(TF_COLUMNS.slice(1));
    expect(model.trackIndex(model.trackId(123))).toBe(123);
    expect(model.trackIndex("t_unknown")).toBe(-1);
    let total = 0;
    for (let i = 0; i < model.numTracks; i++) total += model.popularity[i];
    expect(total).toBeCloseTo(1, 9);
    const top = model.popularityRank.indexOf(0), last = model.popularityRank.indexOf(model.numTracks - 1);
    expect(model.popularity[top] / model.popularity[last]).toBeGreaterThan(1000); // Zipf head vs tail
    const l = model.newListener(new Rng(1), { context: "radio", shuffle: true, homeGenre: 2 });
    expect([l.context, l.shuffle, l.homeGenre]).toEqual([CONTEXT_TYPES.indexOf("radio"), true, 2]);
    expect(() => model.skipProbability(l, model.numTracks)).toThrow(/track index .* out of range/);
    expect(() => model.skipProbability(l, 0, 0)).toThrow(/position/);
    expect(() => model.newListener(new Rng(1), { context: "nope" as never })).toThrow(/unknown context/);
    expect(() => new ListenerModel({ numTracks: 0 })).toThrow(/numTracks/);
    expect(() => new ListenerModel({ intercept: NaN })).toThrow(/intercept/);
    expect(() => new SessionSimulator(model, { numSessions: 1.5 })).toThrow(/numSessions/);
  }, SLOW);
});

describe("streaming", () => {
  it("produces log text lazily: the first chunks of a billion-session log come at once", () => {
    const m = new ListenerModel({ numTracks: 300 });
    const it = logCsvChunks(m, { numSessions: 1e9, rowsPerChunk: 50 });
    let bytes = 0;
    for (let k = 0; k < 3; k++) {
      const r = it.next();
      expect(r.done).toBe(false);
      bytes += (r.value as string).length;
    }
    expect(bytes).toBeLessThan(3 * 70 * 300); // three chunks of ~50 rows (whole sessions), nothing more
    it.return();
  }, SLOW);

  it("writes with backpressure: the producer never runs more than one chunk ahead of a slow consumer", async () => {
    const m = new ListenerModel({ numTracks: 300 });
    let produced = 0, consumed = 0, maxLead = 0, bytes = 0;
    const source = function* (): Generator<string> {
      for (const c of logCsvChunks(m, { numSessions: 400, rowsPerChunk: 20 })) {
        produced++;
        maxLead = Math.max(maxLead, produced - consumed);
        yield c;
      }
    };
    const slow = new Writable({
      highWaterMark: 256,
      write(chunk: Buffer, _enc, cb): void {
        setTimeout(() => {
          consumed++;
          bytes += chunk.length;
          cb();
        }, 0);
      },
    });
    const written = await writeChunks(source(), slow);
    await new Promise<void>((resolve) => slow.end(resolve));
    expect(produced).toBeGreaterThan(100);
    expect(consumed).toBe(produced);
    expect(bytes).toBe(written);
    expect(maxLead).toBeLessThanOrEqual(1);
  }, SLOW);

  it("keeps memory bounded while streaming many sessions", async () => {
    // A real collector in-process, so that heap figures are live data, not uncollected garbage.
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const m = new ListenerModel({ numTracks: 2000 });
    let bytes = 0, chunks = 0, maxLive = 0;
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb): void {
        bytes += chunk.length;
        if (++chunks % 8 === 0) {
          gc();
          maxLive = Math.max(maxLive, process.memoryUsage().heapUsed);
        }
        cb();
      },
    });
    gc();
    const base = process.memoryUsage().heapUsed;
    await writeChunks(logCsvChunks(m, { numSessions: 4000, rowsPerChunk: 512 }), sink);
    console.log(`streamed ${(bytes / 1e6).toFixed(1)} MB of log text in ${chunks} chunks, peak live heap growth ${((maxLive - base) / 1e6).toFixed(2)} MB`);
    expect(chunks).toBeGreaterThan(50);
    expect(maxLive - base).toBeLessThan(bytes / 10);
  }, SLOW);
});

function pearson(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i]; mb += b[i]; }
  ma /= n; mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}
