// Synthetic MSSD, part 2: sessions and the CSV text of log_*.csv and tf_*.csv.
//
// A session is simulated by a logging policy (the context: a genre-focused source with popularity
// bias, like a playlist, album, radio or the user's collection) playing tracks to a ListenerModel
// listener, who skips according to the ground-truth model. Everything around the skip (skip_1 /
// skip_3 / not_skipped, reasons, pauses, seeks, context switches, hour and date) is drawn from
// conditional frequencies measured on the real log_mini slice, so the columns relate like the real
// ones: skip_1 ⇒ skip_2 ⇒ skip_3, not_skipped ⇒ ¬skip_3 (and ~2% of rows have all four False),
// reason_start follows the previous reason_end, position 1 has no pause and no context switch.
//
// Sessions are generated one at a time into reused buffers and emitted as text chunks, so any
// number of sessions streams in bounded memory. Session i draws from its own Rng seeded by
// (seed, i). Pure TypeScript, no `node:` imports.

import { Rng } from "../rng.js";
import { log, pow } from "../dmath.js"; // the same draws in every engine
import { CONTEXT_TYPES, LOG_COLUMNS, TF_COLUMNS } from "./schema.js";
import { F, ListenerModel, ListenerState, mixSeed, sampleCumulative, uuidFrom } from "./synth.js";

export interface SessionLogOptions {
  /** Number of sessions. Default 10,000. */
  numSessions: number;
  /** Seed of the sessions (independent of the catalog seed). Default: the model's seed. */
  seed: number;
  /** Rows per emitted text chunk (bounds memory; ~230 bytes a row). Default 4096. */
  rowsPerChunk: number;
  /** Probability that a session's source genre is the listener's home genre. Default 0.75. */
  homeGenreRate: number;
  /** Probability that a track comes from the session's source genre (else the whole catalog). Default 0.7. */
  focus: number;
}

export const DEFAULT_SESSION_LOG_OPTIONS: Readonly<Omit<SessionLogOptions, "seed">> = Object.freeze({
  numSessions: 10_000,
  rowsPerChunk: 4096,
  homeGenreRate: 0.75,
  focus: 0.7,
});

/** Session lengths 10..20: counts of the real slice (half the sessions have 20 tracks). */
const LENGTH_WEIGHTS = [500, 430, 386, 338, 270, 256, 199, 183, 178, 186, 3030];
const MIN_LENGTH = 10;
export const MAX_SESSION_LENGTH = 20;

/** hour_of_day row shares 0..23 of the real slice. */
const HOUR_WEIGHTS = [
  361, 229, 177, 140, 80, 67, 100, 140, 209, 323, 458, 517, 597, 665, 683, 715, 652, 628, 594, 584, 552, 600, 513, 420,
];

/** Session start day, as offsets from 2018-07-15, with real row shares. */
const DAY_OFFSETS = [0, -1, -2, -3, -4, -5, -8, -9, -10, -11, -40, -58];
const DAY_WEIGHTS = [71397, 27733, 338, 156, 89, 91, 51, 40, 32, 25, 20, 18];
const EPOCH_DAY_2018_07_15 = 17727; // days from 1970-01-01

export const REASONS = ["appload", "backbtn", "clickrow", "endplay", "fwdbtn", "logout", "playbtn", "remote", "trackdone", "trackerror"] as const;
const [APPLOAD, BACKBTN, CLICKROW, ENDPLAY, FWDBTN, LOGOUT, PLAYBTN, REMOTE, TRACKDONE, TRACKERROR] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

type Table = Float64Array; // cumulative weights over REASONS (or another code list)
function table(pairs: [number, number][], n: number = REASONS.length): Table {
  const w = new Float64Array(n);
  for (const [code, weight] of pairs) w[code] += weight;
  for (let i = 1; i < n; i++) w[i] += w[i - 1];
  return w;
}

/** reason_start at position 1 (real counts). */
const START_FIRST = table([[TRACKDONE, 1642], [CLICKROW, 1590], [FWDBTN, 1527], [APPLOAD, 844], [BACKBTN, 259], [PLAYBTN, 65], [REMOTE, 20], [ENDPLAY, 5], [TRACKERROR, 4]]);
/** reason_start given the previous row's reason_end (real transition counts). */
const START_AFTER: Table[] = [];
START_AFTER[FWDBTN] = table([[FWDBTN, 46115], [CLICKROW, 168], [TRACKDONE, 67], [TRACKERROR, 25], [BACKBTN, 5], [APPLOAD, 3]]);
START_AFTER[TRACKDONE] = table([[TRACKDONE, 30900], [CLICKROW, 595], [FWDBTN, 20], [APPLOAD, 17], [TRACKERROR, 16], [BACKBTN, 3]]);
START_AFTER[ENDPLAY] = table([[CLICKROW, 8032], [APPLOAD, 228], [TRACKDONE, 35], [PLAYBTN, 35], [FWDBTN, 27], [REMOTE, 17]]);
START_AFTER[BACKBTN] = table([[BACKBTN, 7452], [TRACKDONE, 18]]);
START_AFTER[LOGOUT] = table([[APPLOAD, 75], [CLICKROW, 29], [FWDBTN, 11], [PLAYBTN, 2]]);
START_AFTER[REMOTE] = table([[CLICKROW, 66], [REMOTE, 36], [APPLOAD, 9], [TRACKDONE, 9], [FWDBTN, 7], [ENDPLAY, 4]]);

/** Skip classes: which of skip_1, skip_2, skip_3, not_skipped hold. */
const CLASS_S1 = 0, CLASS_S2 = 1, CLASS_S3 = 2, CLASS_DONE = 3, CLASS_NONE = 4;
/** reason_end given the skip class (real counts). */
const END_BY_CLASS: Table[] = [
  table([[FWDBTN, 33237], [BACKBTN, 6325], [ENDPLAY, 2508], [TRACKDONE, 48], [LOGOUT, 39], [REMOTE, 33]]),
  table([[FWDBTN, 6118], [ENDPLAY, 2557], [BACKBTN, 696], [TRACKDONE, 77], [LOGOUT, 61], [REMOTE, 36]]),
  table([[FWDBTN, 8339], [ENDPLAY, 3329], [BACKBTN, 664], [TRACKDONE, 522], [LOGOUT, 206], [REMOTE, 78]]),
  table([[TRACKDONE, 32932], [ENDPLAY, 138], [FWDBTN, 120], [BACKBTN, 35], [LOGOUT, 5]]),
  table([[FWDBTN, 758], [TRACKDONE, 701], [ENDPLAY, 354], [BACKBTN, 59], [LOGOUT, 21], [REMOTE, 3]]),
];
/** Pause kind before play given the previous reason_end: 0 none (1,0,0), 1 short+long (0,1,1), 2 long only (0,0,1). */
const PAUSE_AFTER: Table[] = [];
PAUSE_AFTER[TRACKDONE] = table([[0, 20449], [1, 9866], [2, 1238]], 3);
PAUSE_AFTER[FWDBTN] = table([[0, 42212], [1, 3531], [2, 642]], 3);
PAUSE_AFTER[BACKBTN] = table([[0, 6833], [1, 473], [2, 170]], 3);
PAUSE_AFTER[ENDPLAY] = table([[0, 7229], [1, 715], [2, 432]], 3);
PAUSE_AFTER[LOGOUT] = table([[0, 3], [1, 53], [2, 65]], 3);
PAUSE_AFTER[REMOTE] = table([[0, 82], [1, 38], [2, 13]], 3);
for (const r of [APPLOAD, CLICKROW, PLAYBTN, TRACKERROR]) PAUSE_AFTER[r] = PAUSE_AFTER[ENDPLAY];
for (const r of [APPLOAD, CLICKROW, PLAYBTN, TRACKERROR]) START_AFTER[r] = START_AFTER[ENDPLAY];

/** One simulated session in reused per-row buffers (valid until the next simulate call). */
export interface SynthSession {
  index: number;
  id: string;
  length: number;
  premium: boolean;
  track: Int32Array;
  skip1: Uint8Array;
  skip2: Uint8Array;
  skip3: Uint8Array;
  notSkipped: Uint8Array;
  contextSwitch: Uint8Array;
  /** Pause kind: 0 no pause, 1 short (and long) pause, 2 long pause; position 1: 3 (none flagged). */
  pause: Uint8Array;
  seekFwd: Int32Array;
  seekBack: Int32Array;
  shuffle: Uint8Array;
  hour: Uint8Array;
  /** Day number since 1970-01-01 (UTC). */
  day: Int32Array;
  context: Uint8Array;
  reasonStart: Uint8Array;
  reasonEnd: Uint8Array;
  /** p(skip_2) the ground-truth model gave each played track (for oracle checks). */
  skipProb: Float64Array;
}

/** Simulates sessions of a ListenerModel, one at a time, into reused buffers. */
export class SessionSimulator {
  readonly options: Readonly<SessionLogOptions>;
  private readonly s: SynthSession;
  private readonly lengthCum = table(LENGTH_WEIGHTS.map((w, i): [number, number] => [i, w]), LENGTH_WEIGHTS.length);
  private readonly hourCum = table(HOUR_WEIGHTS.map((w, i): [number, number] => [i, w]), 24);
  private readonly dayCum = table(DAY_WEIGHTS.map((w, i): [number, number] => [i, w]), DAY_WEIGHTS.length);

  constructor(readonly model: ListenerModel, options: Partial<SessionLogOptions> = {}) {
    const o: SessionLogOptions = { ...DEFAULT_SESSION_LOG_OPTIONS, seed: model.options.seed, ...options };
    if (!Number.isInteger(o.numSessions) || o.numSessions < 0 || o.numSessions > 4294967296) throw new Error(`SessionSimulator: numSessions must be an integer in 0..2^32, got ${o.numSessions}`);
    if (!Number.isInteger(o.rowsPerChunk) || o.rowsPerChunk < 1) throw new Error(`SessionSimulator: rowsPerChunk must be a positive integer, got ${o.rowsPerChunk}`);
    for (const k of ["homeGenreRate", "focus"] as const) {
      if (!(o[k] >= 0 && o[k] <= 1)) throw new Error(`SessionSimulator: ${k} must be in [0,1], got ${o[k]}`);
    }
    if (!Number.isFinite(o.seed)) throw new Error(`SessionSimulator: seed must be a finite number, got ${o.seed}`);
    this.options = Object.freeze(o);
    const L = MAX_SESSION_LENGTH;
    this.s = {
      index: 0, id: "", length: 0, premium: false,
      track: new Int32Array(L), skip1: new Uint8Array(L), skip2: new Uint8Array(L), skip3: new Uint8Array(L),
      notSkipped: new Uint8Array(L), contextSwitch: new Uint8Array(L), pause: new Uint8Array(L),
      seekFwd: new Int32Array(L), seekBack: new Int32Array(L), shuffle: new Uint8Array(L), hour: new Uint8Array(L),
      day: new Int32Array(L), context: new Uint8Array(L), reasonStart: new Uint8Array(L), reasonEnd: new Uint8Array(L),
      skipProb: new Float64Array(L),
    };
  }

  /** Session `index` (0-based, < numSessions). Deterministic in (model, seed, numSessions, index). */
  simulate(index: number): SynthSession {
    const o = this.options, m = this.model, s = this.s;
    if (!(Number.isInteger(index) && index >= 0 && index < o.numSessions)) throw new Error(`SessionSimulator.simulate: index ${index} out of range 0..${o.numSessions - 1}`);
    const rng = new Rng(mixSeed(mixSeed(o.seed, 0x5e55_1095), index)); // a stream apart from the catalog's
    // Ids sorted like the real file: the first 32 bits rise with the index (and are distinct).
    s.index = index;
    s.id = "0_" + uuidFrom(rng, Math.floor(((index + rng.float()) * 4294967296) / o.numSessions));
    const L = (s.length = MIN_LENGTH + sampleCumulative(this.lengthCum, rng.float()));
    const listener: ListenerState = m.newListener(rng);
    s.premium = listener.premium;
    let genre = rng.float() < o.homeGenreRate ? listener.homeGenre : m.sampleGenre(rng);
    let day = EPOCH_DAY_2018_07_15 + DAY_OFFSETS[sampleCumulative(this.dayCum, rng.float())];
    let second = sampleCumulative(this.hourCum, rng.float()) * 3600 + rng.float() * 3600;
    let prevEnd = -1;
    for (let p = 0; p < L; p++) {
      // Context switches happen when the listener clicks into a new context.
      let start: number, pause: number, cs = 0;
      if (p === 0) {
        start = sampleCumulative(START_FIRST, rng.float());
        pause = 3;
      } else {
        start = sampleCumulative(START_AFTER[prevEnd], rng.float());
        pause = sampleCumulative(PAUSE_AFTER[prevEnd], rng.float());
        const csRate = start === CLICKROW ? 0.436 : start === APPLOAD ? 0.365 : 0;
        if (csRate > 0 && rng.float() < csRate) {
          cs = 1;
          // Redraw the context from the real proportions (which keeps them stationary); with
          // p = 0.83 about 60% of switches land in a different context type, as in the real log.
          if (rng.float() < 0.83) listener.context = m.sampleContext(rng);
          if (rng.float() < 0.5) genre = rng.float() < o.homeGenreRate ? listener.homeGenre : m.sampleGenre(rng);
          if (rng.float() < 0.15) listener.shuffle = !listener.shuffle;
        }
      }
      // Pause before play, then the clock gives hour and date of this play.
      second += pause === 0 ? rng.float() * 2 : pause === 1 ? 3 + 20 * -log(1 - rng.float()) : pause === 2 ? 60 + 240 * rng.float() : 0;
      while (second >= 86400) { second -= 86400; day++; }
      s.hour[p] = Math.floor(second / 3600);
      s.day[p] = day;
      // The track: from the source genre (focus) or the whole catalog, popularity-biased, no repeats.
      const focus = CONTEXT_TYPES[listener.context] === "charts" ? 0.5 * o.focus : o.focus; // charts: mostly the global head
      let track = 0;
      for (let tries = 0; tries < 8; tries++) {
        track = m.sampleTrack(rng, rng.float() < focus ? genre : -1);
        let repeated = false;
        for (let q = 0; q < p; q++) if (s.track[q] === track) repeated = true;
        if (!repeated) break;
      }
      const prob = m.skipProbability(listener, track);
      const skipped = listener.rng.float() < prob; // = m.sampleSkip(listener, track)
      m.observe(listener, track, skipped);
      // Skip depth, like the real data: skip_2 ⇒ skip_3; skip_1 | skip_2 rises from 69% at position 1 to ~83%.
      let cls: number;
      if (skipped) cls = rng.float() < 0.83 - 0.14 * pow(0.5, p) ? CLASS_S1 : CLASS_S2;
      else cls = rng.float() < 0.272 ? CLASS_S3 : rng.float() < 0.946 ? CLASS_DONE : CLASS_NONE;
      const end = sampleCumulative(END_BY_CLASS[cls], rng.float());
      const duration = m.features[track * F]; // seconds
      second +=
        cls === CLASS_S1 ? 1 + 9 * rng.float()
        : cls === CLASS_S2 ? 10 + 20 * rng.float()
        : cls === CLASS_S3 ? duration * (0.3 + 0.6 * rng.float())
        : cls === CLASS_DONE ? duration : duration * (0.85 + 0.15 * rng.float());
      const fwd = rng.float() < (skipped ? 0.0304 : 0.0246) ? 1 + geometric(rng, 0.22) : 0;
      const back = rng.float() < (skipped ? 0.0207 : 0.042) ? 1 + geometric(rng, 0.22) : 0;
      s.track[p] = track;
      s.skip1[p] = cls === CLASS_S1 ? 1 : 0;
      s.skip2[p] = skipped ? 1 : 0;
      s.skip3[p] = cls <= CLASS_S3 ? 1 : 0;
      s.notSkipped[p] = cls === CLASS_DONE ? 1 : 0;
      s.contextSwitch[p] = cs;
      s.pause[p] = pause;
      s.seekFwd[p] = fwd;
      s.seekBack[p] = back;
      s.shuffle[p] = listener.shuffle ? 1 : 0;
      s.context[p] = listener.context;
      s.reasonStart[p] = start;
      s.reasonEnd[p] = end;
      s.skipProb[p] = prob;
      prevEnd = end;
    }
    return s;
  }
}

function geometric(rng: Rng, p: number): number {
  let n = 0;
  while (rng.float() < p && n < 1000) n++;
  return n;
}

const dateCache = new Map<number, string>();
/** YYYY-MM-DD of a day number since 1970-01-01 (proleptic Gregorian, H. Hinnant's civil_from_days). */
export function formatDay(days: number): string {
  let out = dateCache.get(days);
  if (out !== undefined) return out;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const mo = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (mo <= 2 ? 1 : 0);
  out = `${y}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
  if (dateCache.size < 10_000) dateCache.set(days, out);
  return out;
}

const BOOL = ["False", "True"];
const PAUSE_COLS = ["1,0,0", "0,1,1", "0,0,1", "0,0,0"];

/** The CSV rows (no header) of one simulated session, in LOG_COLUMNS order. */
export function formatSession(m: ListenerModel, s: SynthSession): string {
  let out = "";
  const head = `${s.id},`, tail = `,${s.length},`;
  const premium = BOOL[s.premium ? 1 : 0];
  for (let p = 0; p < s.length; p++) {
    out +=
      head + (p + 1) + tail + m.trackIds[s.track[p]] + "," + BOOL[s.skip1[p]] + "," + BOOL[s.skip2[p]] + "," +
      BOOL[s.skip3[p]] + "," + BOOL[s.notSkipped[p]] + "," + s.contextSwitch[p] + "," + PAUSE_COLS[s.pause[p]] + "," +
      s.seekFwd[p] + "," + s.seekBack[p] + "," + BOOL[s.shuffle[p]] + "," + s.hour[p] + "," + formatDay(s.day[p]) + "," +
      premium + "," + CONTEXT_TYPES[s.context[p]] + "," + REASONS[s.reasonStart[p]] + "," + REASONS[s.reasonEnd[p]] + "\n";
  }
  return out;
}

export const LOG_HEADER = LOG_COLUMNS.join(",") + "\n";
export const TF_HEADER = TF_COLUMNS.join(",") + "\n";

/**
 * The log CSV as text chunks: the header, then about `rowsPerChunk` rows per chunk (whole sessions).
 * Lazy: each chunk is produced when the consumer asks for it, so memory stays bounded.
 */
export function* logCsvChunks(model: ListenerModel, options: Partial<SessionLogOptions> = {}): Generator<string, void, undefined> {
  const sim = new SessionSimulator(model, options);
  const { numSessions, rowsPerChunk } = sim.options;
  let chunk = LOG_HEADER, rows = 0;
  for (let i = 0; i < numSessions; i++) {
    const s = sim.simulate(i);
    chunk += formatSession(model, s);
    rows += s.length;
    if (rows >= rowsPerChunk) {
      yield chunk;
      chunk = "";
      rows = 0;
    }
  }
  if (chunk.length > 0) yield chunk;
}

function exp6(x: number): string {
  // printf("%.6e") style: two-digit exponent, like the real file (9.318345e-01).
  const [mant, e] = x.toExponential(6).split("e");
  const sign = e[0] === "-" ? "-" : "+";
  const digits = e.replace(/^[+-]/, "");
  return `${mant}e${sign}${digits.padStart(2, "0")}`;
}

/** The CSV row (no newline) of track i in TF_COLUMNS order. */
export function formatTrack(m: ListenerModel, i: number): string {
  const f = m.trackFeatures(i);
  let out = m.trackIds[i];
  for (let c = 0; c < F; c++) {
    const v = f[c];
    let text: string;
    switch (c) {
      case 1: case 11: case 19: text = String(Math.round(v)); break; // release_year, key, time_signature
      case 10: text = exp6(v); break; // instrumentalness
      case 13: text = v.toFixed(3); break; // loudness
      case 15: text = v >= 0.5 ? "major" : "minor"; break; // mode
      default: text = v.toFixed(6);
    }
    out += "," + text;
  }
  return out;
}

/** The tf CSV (every catalog track, in catalog index order) as text chunks of `rowsPerChunk` rows. */
export function* tfCsvChunks(model: ListenerModel, rowsPerChunk = 4096): Generator<string, void, undefined> {
  if (!Number.isInteger(rowsPerChunk) || rowsPerChunk < 1) throw new Error(`tfCsvChunks: rowsPerChunk must be a positive integer, got ${rowsPerChunk}`);
  let chunk = TF_HEADER;
  for (let i = 0; i < model.numTracks; i++) {
    chunk += formatTrack(model, i) + "\n";
    if ((i + 1) % rowsPerChunk === 0) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk.length > 0) yield chunk;
}
