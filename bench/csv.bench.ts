// MSSD log parsing throughput, in bytes of uncompressed CSV per second: the byte-level
// streaming reader (every field validated, track ids interned, sessions assembled) from a
// plain file and from gzip, against a `readline` + `split` baseline doing the same checks
// (column count, integers, booleans, hour, context type, track-id interning) in the same run.
// Data: the real log_mini_100k slice when it is beside the repository (ENCORE_MSSD_DIR
// overrides), else a seeded synthetic log of the same shape.
import { createReadStream, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync, createGunzip } from "node:zlib";
import type { BenchCase } from "./harness.js";
import { noEngine, type CaseBody } from "./common.js";
import { readLog } from "../src/data/node-io.js";
import { CONTEXT_TYPES, LOG_COLUMNS } from "../src/data/schema.js";
import { Rng } from "../src/rng.js";

// bench/ compiles to build/js/bench/: the repository root is three levels up.
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const MSSD = process.env.ENCORE_MSSD_DIR ?? join(ROOT, "..", "shared", "data", "mssd");

function uuid(rng: Rng): string {
  const h = (n: number) => Array.from({ length: n }, () => "0123456789abcdef"[rng.int(16)]).join("");
  return `${h(8)}-${h(4)}-${h(4)}-${h(4)}-${h(12)}`;
}

/** A seeded synthetic log shaped like log_mini: sessions of 10..20, ~35k tracks, skewed popularity. */
function syntheticLog(rows: number): string {
  const rng = new Rng(7);
  const tracks = Array.from({ length: 35000 }, () => `t_${uuid(rng)}`);
  const bool = () => (rng.int(2) ? "True" : "False");
  const out = [LOG_COLUMNS.join(",")];
  while (out.length <= rows) {
    const sid = `0_${uuid(rng)}`, len = 10 + rng.int(11), ctx = CONTEXT_TYPES[rng.int(6)];
    for (let p = 1; p <= len && out.length <= rows; p++) {
      const t = tracks[Math.floor(35000 * rng.float() ** 3)];
      out.push([sid, p, len, t, bool(), bool(), bool(), bool(), 0, rng.int(2), 0, 0, rng.int(3), 0, bool(), rng.int(24), "2018-07-15", bool(), ctx, "trackdone", "fwdbtn"].join(","));
    }
  }
  return out.join("\n") + "\n";
}

interface Counts {
  rows: number;
  sessions: number;
  tracks: number;
}

const HEADER = LOG_COLUMNS.join(",");
const BOOL_COLS = [4, 5, 6, 7, 14, 17];
const INT_COLS = [8, 9, 10, 11, 12, 13];
const CONTEXTS = new Set<string>(CONTEXT_TYPES);

/** The baseline: readline lines, String.split fields, Number() and string compares, a Map vocabulary. */
async function readlineSplit(path: string, gzip: boolean): Promise<Counts> {
  const file = createReadStream(path);
  const input = gzip ? file.pipe(createGunzip()) : file;
  const rl = createInterface({ input, crlfDelay: Infinity });
  const vocab = new Map<string, number>();
  let rows = 0, sessions = 0, prev = "", line = 0;
  for await (const text of rl) {
    line++;
    if (line === 1) {
      if (text !== HEADER) throw new Error("baseline: bad header");
      continue;
    }
    const f = text.split(",");
    if (f.length !== 21) throw new Error(`baseline: line ${line}: ${f.length} columns`);
    const pos = Number(f[1]), len = Number(f[2]);
    if (!Number.isInteger(pos) || !Number.isInteger(len) || pos < 1 || pos > len) throw new Error(`baseline: line ${line}: bad position`);
    for (const c of BOOL_COLS) if (f[c] !== "True" && f[c] !== "False") throw new Error(`baseline: line ${line}: bad boolean`);
    for (const c of INT_COLS) if (!Number.isInteger(Number(f[c]))) throw new Error(`baseline: line ${line}: bad integer`);
    const hour = Number(f[15]);
    if (!(hour >= 0 && hour <= 23)) throw new Error(`baseline: line ${line}: bad hour`);
    if (!CONTEXTS.has(f[18])) throw new Error(`baseline: line ${line}: bad context`);
    if (!vocab.has(f[3])) vocab.set(f[3], vocab.size);
    if (f[0] !== prev) {
      sessions++;
      prev = f[0];
    }
    rows++;
  }
  return { rows, sessions, tracks: vocab.size };
}

async function encore(path: string): Promise<Counts> {
  const st = await readLog(path);
  return { rows: st.rows, sessions: st.sessions, tracks: st.vocab.size };
}

async function engineFree(): Promise<CaseBody[]> {
  const dir = mkdtempSync(join(tmpdir(), "encore-csv-bench-"));
  const real = join(MSSD, "log_mini_100k.csv.gz");
  const data = existsSync(real) ? "mssd log_mini_100k" : "synthetic 100k rows";
  const gz = join(dir, "log.csv.gz"), plain = join(dir, "log.csv");
  if (existsSync(real)) {
    const bytes = readFileSync(real);
    writeFileSync(gz, bytes);
    writeFileSync(plain, gunzipSync(bytes));
  } else {
    const text = Buffer.from(syntheticLog(100_000));
    writeFileSync(plain, text);
    writeFileSync(gz, gzipSync(text));
  }
  const bytes = readFileSync(plain).length;
  const out: CaseBody[] = [];
  for (const gzip of [false, true]) {
    const path = gzip ? gz : plain;
    const want = await readlineSplit(path, gzip);
    const got = await encore(path);
    const check = (c: Counts) => {
      if (c.rows !== want.rows || c.sessions !== want.sessions || c.tracks !== want.tracks) {
        throw new Error(`counts ${JSON.stringify(c)} differ from the baseline's ${JSON.stringify(want)}`);
      }
    };
    // Process CPU time per call (all threads, so zlib's threadpool work counts): wall time
    // on a shared machine is noisy, CPU time much less so.
    let cpuUs = 0, calls = 0;
    out.push({
      name: `csv log ${gzip ? "gzip" : "plain"}`,
      subject: {
        label: "encore byte parser",
        fn: async () => {
          const c0 = process.cpuUsage();
          check(await encore(path));
          const c = process.cpuUsage(c0);
          cpuUs += c.user + c.system;
          calls++;
        },
      },
      baseline: { label: "readline + split", fn: async () => void (await readlineSplit(path, gzip)) },
      bytes,
      validate: () => {
        check(got);
        if (data.startsWith("mssd") && got.rows !== 100_000) throw new Error(`expected 100000 rows, got ${got.rows}`);
      },
      extra: (ms) => ({ mb_per_s: Math.round(bytes / ms / 1e3), cpu_mb_per_s: Math.round(bytes / (cpuUs / calls / 1e3) / 1e3), rows: got.rows, real_mssd: data.startsWith("mssd") ? 1 : 0 }),
    });
  }
  return out;
}

export async function cases(): Promise<BenchCase[]> {
  return noEngine(await engineFree());
}
