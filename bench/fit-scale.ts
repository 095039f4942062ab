// Peak memory and time of the streaming baseline fits at scale (src/eval/pair-runs.ts): the
// popularity counts, item-kNN and Markov fitted one after the other in one process on
// synthetic sessions read back in chunks from disk, so the figures are the fits' and not the
// generator's. Two steps (build first: `npm run build`):
//
//   npm run bench:fits -- generate --out DIR --sessions 10000000 --tracks 200000 [--part 0/2]
//       simulates the sessions (src/data/synth-log.ts, default listener model with --tracks
//       tracks) and writes DIR/part-K.len (u8 per session), .tracks (i32 per row), .skip (u8
//       per row). Parts split the sessions so several processes can generate at once.
//   npm run bench:fits -- fit --dir DIR [--chunk 100000] [--budget-mib 512] [--spill]
//       fits on every part in order, chunks of --chunk sessions, and prints per fit the time,
//       sessions/s, the output size and the process's peak RSS so far (maxRSS).
//
// Not a tinybench case: one run at one size is the measurement (`/usr/bin/time -v` around it
// gives the same peak).
import { closeSync, mkdirSync, openSync, readSync, readdirSync, writeSync } from "node:fs";
import { join } from "node:path";
import { LOG_FLAG } from "../src/data/log-parser.js";
import { ListenerModel } from "../src/data/synth.js";
import { SessionSimulator } from "../src/data/synth-log.js";
import { FileRunStore } from "../src/data/session-runs.js";
import { ItemKnnPolicy, trainingPlayCountsStream, type TrainingSessions } from "../src/eval/baselines.js";
import { MarkovSource } from "../src/eval/session-baselines.js";

function arg(name: string, dflt?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= process.argv.length) {
    if (dflt === undefined) throw new Error(`fit-scale: --${name} is required`);
    return dflt;
  }
  return process.argv[i + 1];
}

function writeAll(fd: number, a: ArrayBufferView, n: number): void {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, n);
  for (let o = 0; o < n; ) o += writeSync(fd, bytes, o, n - o);
}

function generate(): void {
  const out = arg("out"), S = Number(arg("sessions")), T = Number(arg("tracks", "1000000"));
  const [k, P] = arg("part", "0/1").split("/").map(Number);
  mkdirSync(out, { recursive: true });
  const from = Math.floor((S * k) / P), to = Math.floor((S * (k + 1)) / P);
  const t0 = performance.now();
  const model = new ListenerModel({ numTracks: T });
  const sim = new SessionSimulator(model, { numSessions: S });
  const fl = openSync(join(out, `part-${k}.len`), "w"), ft = openSync(join(out, `part-${k}.tracks`), "w"), fs = openSync(join(out, `part-${k}.skip`), "w");
  const B = 1 << 20, len = new Uint8Array(65536), tracks = new Int32Array(B), skip = new Uint8Array(B);
  let nl = 0, nr = 0, rows = 0;
  for (let i = from; i < to; i++) {
    const s = sim.simulate(i);
    if (nr + s.length > B || nl === len.length) {
      writeAll(fl, len, nl);
      writeAll(ft, tracks, nr * 4);
      writeAll(fs, skip, nr);
      nl = nr = 0;
    }
    len[nl++] = s.length;
    for (let p = 0; p < s.length; p++) {
      tracks[nr] = s.track[p];
      skip[nr++] = s.skip2[p];
    }
    rows += s.length;
  }
  writeAll(fl, len, nl);
  writeAll(ft, tracks, nr * 4);
  writeAll(fs, skip, nr);
  for (const fd of [fl, ft, fs]) closeSync(fd);
  console.log(JSON.stringify({ part: k, sessions: to - from, rows, tracks: T, seconds: Math.round((performance.now() - t0) / 100) / 10 }));
}

function readExact(fd: number, into: ArrayBufferView, n: number, pos: number): void {
  const bytes = new Uint8Array(into.buffer, into.byteOffset, n);
  for (let o = 0; o < n; ) {
    const r = readSync(fd, bytes, o, n - o, pos + o);
    if (r === 0) throw new Error(`fit-scale: a part file ends early`);
    o += r;
  }
}

/** The sessions of every part of `dir`, in chunks of C sessions (buffers reused between chunks: a chunk is used before the next is read). */
function* chunks(dir: string, C: number, V: number): Generator<TrainingSessions> {
  const parts = readdirSync(dir).filter((f) => f.endsWith(".len")).sort((a, b) => parseInt(a.slice(5)) - parseInt(b.slice(5)));
  const len = new Uint8Array(C), off = new Int32Array(C + 1);
  let tracks = new Int32Array(C * 24), skip = new Uint8Array(C * 24), flags = new Uint16Array(C * 24);
  for (const p of parts) {
    const base = join(dir, p.slice(0, -4));
    const fl = openSync(base + ".len", "r"), ft = openSync(base + ".tracks", "r"), fs = openSync(base + ".skip", "r");
    let sPos = 0, rPos = 0;
    for (;;) {
      const n = readSync(fl, len, 0, C, sPos);
      if (n === 0) break;
      sPos += n;
      let rows = 0;
      for (let i = 0; i < n; i++) off[i + 1] = rows += len[i];
      if (rows > tracks.length) {
        tracks = new Int32Array(rows);
        skip = new Uint8Array(rows);
        flags = new Uint16Array(rows);
      }
      readExact(ft, tracks, rows * 4, rPos * 4);
      readExact(fs, skip, rows, rPos);
      rPos += rows;
      for (let r = 0; r < rows; r++) flags[r] = skip[r] ? LOG_FLAG.skip_2 : 0;
      yield { V, sessionOffsets: off.subarray(0, n + 1), tracks: tracks.subarray(0, rows), flags: flags.subarray(0, rows) };
    }
    for (const fd of [fl, ft, fs]) closeSync(fd);
  }
}

function fit(): void {
  const dir = arg("dir"), C = Number(arg("chunk", "100000")), budget = Number(arg("budget-mib", "512")) * 1024 * 1024;
  const spill = process.argv.includes("--spill");
  // the catalog: one past the largest track index in the data
  let V = 0, S = 0;
  for (const tr of chunks(dir, C, 1 << 26)) {
    S += tr.sessionOffsets.length - 1;
    for (let r = 0; r < tr.tracks.length; r++) if (tr.tracks[r] >= V) V = tr.tracks[r] + 1;
  }
  const rss = (): number => Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(JSON.stringify({ sessions: S, catalog: V, chunk: C, budget_mib: budget / 1048576, spill, max_rss_mib: rss() }));
  const near = join(dir, "pairs");
  const store = (): FileRunStore | undefined => (spill ? new FileRunStore(near, "pairs") : undefined);
  const timed = <T>(name: string, f: () => T, size: (x: T) => Record<string, number>): T => {
    const t0 = performance.now();
    const x = f();
    const s = (performance.now() - t0) / 1000;
    console.log(JSON.stringify({ fit: name, seconds: Math.round(s * 10) / 10, sessions_per_s: Math.round(S / s), ...size(x), max_rss_mib: rss() }));
    return x;
  };
  const plays = timed("popularity", () => trainingPlayCountsStream(chunks(dir, C, V), V), (c) => ({ played: c.reduce((n, x) => n + (x > 0 ? 1 : 0), 0) }));
  const knn = timed("item-knn", () => ItemKnnPolicy.fitStream(chunks(dir, C, V), V, { memoryBudget: budget, spill: store() }), (p) => ({ neighbours: p.nbr.length }));
  const markov = timed("markov", () => MarkovSource.fitStream(chunks(dir, C, V), V, { memoryBudget: budget, spill: store() }), (m) => ({ transitions: m.next.length }));
  const left = readdirSync(dir).filter((f) => f.endsWith(".tmp"));
  if (left.length > 0) throw new Error(`fit-scale: spilled runs left behind: ${left.join(", ")}`);
  // kept alive to the end, so the peak covers all three fitted models
  console.log(JSON.stringify({ done: true, plays: plays.length, knn: knn.nbrStart.length - 1, markov: markov.start.length - 1, max_rss_mib: rss() }));
}

const cmd = process.argv[2];
if (cmd === "generate") generate();
else if (cmd === "fit") fit();
else throw new Error("fit-scale: give 'generate' or 'fit' (see the file header)");
