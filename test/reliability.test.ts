// "Nothing lost, nothing silent" (issue 11), through the built CLI as a user runs it: each
// defect the fault-injection run reproduced, now refused with a message naming the file, line
// or option, or handled without losing or corrupting anything. A full disk is simulated with
// the file-size limit (ulimit -f, SIGXFSZ ignored): writes then fail with EFBIG, as they would
// with ENOSPC. Set ENCORE_CLI to run these against another build of the CLI.
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeModel } from "../src/agent/checkpoint.js";

const CLI = process.env.ENCORE_CLI ?? fileURLToPath(new URL("../build/js/src/cli/main.js", import.meta.url));
const HAVE_BASH = spawnSync("bash", ["-c", "ulimit -f 10"]).status === 0;
let dir = "";

function run(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: "utf8", timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
function ok(...args: string[]): string {
  const r = run(...args);
  if (r.code !== 0) throw new Error(`encore ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
/** The CLI with files limited to `kib` KiB: a write beyond fails as on a full disk. */
function full(kib: number, ...args: string[]): { code: number; stderr: string } {
  const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  const r = spawnSync("bash", ["-c", `trap '' XFSZ; ulimit -f ${kib}; exec ${q(process.execPath)} ${q(CLI)} ${args.map(q).join(" ")}`], { cwd: dir, encoding: "utf8", timeout: 120_000 });
  return { code: r.status ?? -1, stderr: r.stderr };
}
const temps = (d: string) => readdirSync(join(dir, d)).filter((f) => f.endsWith(".tmp") || f.includes(".tmp-"));
const bytes = (p: string) => readFileSync(join(dir, p));
const LOG = ".encore/data/log_synth.csv", TF = ".encore/data/tf_synth.csv";
const TRAIN = ["train", "--env", "listener", "--steps", "4", "--batch", "16"];

describe.skipIf(!existsSync(CLI))("issue 11 through the CLI", { timeout: 120_000 }, () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "encore-rel-"));
    ok("generate", "--sessions", "400", "--tracks", "500", "--seed", "2");
    ok("prepare", LOG, "--tf", TF);
    ok("embed", "--epochs", "1");
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("1. the same log twice: strict names the duplicate and its first place; lenient keeps each session once", () => {
    const r = run("prepare", LOG, LOG, "--cache", "twice.bin");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^encore: log_synth\.csv:2: column session_id: expected each session id once in the input, found session "[^"]+" again \(first at log_synth\.csv:2, the same file given earlier\)\n$/);
    expect(existsSync(join(dir, "twice.bin"))).toBe(false);
    const j = JSON.parse(ok("prepare", LOG, LOG, "--cache", "twice.bin", "--lenient", "--json"));
    expect(j.sessions).toBe(400);
    expect(j.duplicate_sessions).toBe(400);
  });

  it("4. --lenient prints and returns what it skipped, by kind, with the first locations", () => {
    const lines = readFileSync(join(dir, LOG), "utf8").trimEnd().split("\n");
    lines[5] = lines[5].replace(/,(True|False),/, ",maybe,"); // a bad boolean
    lines[9] = lines[9].split(",").slice(0, 7).join(","); // a short row
    lines[30] = lines[30].replace(/,(\d\d?),2018/, ",25,2018"); // an hour out of range
    writeFileSync(join(dir, "bad.csv"), lines.join("\n") + "\n");
    const strict = run("prepare", "bad.csv", "--cache", "bad.bin");
    expect(strict.stderr).toMatch(/^encore: bad\.csv:6: column skip_\d: expected True or False, found "maybe"/);
    const text = ok("prepare", "bad.csv", "--cache", "bad.bin", "--lenient");
    expect(text).toMatch(/lenient: skipped 3 rows, dropped \d+ sessions/);
    expect(text).toMatch(/ {2}bad_boolean: 1\n {4}bad\.csv:6: column skip_\d: expected True or False, found "maybe"/);
    expect(text).toMatch(/ {2}column_count: 1\n {4}bad\.csv:10: expected 21 columns, found 7/);
    expect(text).toMatch(/ {2}bad_number: 1\n {4}bad\.csv:31: column hour_of_day: expected an hour 0\.\.23, found "25"/);
    expect(text).toMatch(/ {2}position_missing: \d+/);
    const j = JSON.parse(ok("prepare", "bad.csv", "--cache", "bad.bin", "--lenient", "--json"));
    expect(j.status).toBe("hit"); // the cache keeps the counts and locations
    expect(j.skipped.rows).toBe(3);
    expect(j.skipped.kinds.bad_boolean).toEqual({ count: 1, first: [expect.stringMatching(/^bad\.csv:6: column skip_\d: expected True or False, found "maybe"$/)] });
    expect(j.skipped.kinds.column_count.count).toBe(1);
    expect(j.skipped.sessions).toBe(j.skipped.kinds.position_missing.count);
  });

  it("6. divergent training stops non-zero, names the likely cause and keeps the last good checkpoint", () => {
    ok(...TRAIN, "--episodes", "4", "--out", "good.encore");
    const before = bytes("good.encore");
    const r = run(...TRAIN, "--episodes", "200", "--critic-lr", "1e12", "--checkpoint-every", "2", "--out", "div.encore");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^encore: training diverged in episode \d+: .*likely cause: the critic's learning rate 1e\+12 \(--critic-lr\) is too high\. Training stopped; div\.encore keeps the last good checkpoint \(episode \d+\)\n$/);
    const m = decodeModel(bytes("div.encore"), "div.encore");
    expect(Number.isFinite(m.header.trainer!.episode)).toBe(true);
    for (const name of m.file.names) {
      const a = m.file.get(name);
      if (a instanceof Float32Array) expect(a.every(Number.isFinite), name).toBe(true);
    }
    // the checkpoint resumes and recommends: it is loadable
    const ids = readFileSync(join(dir, LOG), "utf8").split("\n").slice(1, 11).map((l) => l.split(",")[3]);
    expect(JSON.parse(ok("recommend", "--json", "--model", "div.encore", "--history", ids.join(",")))).toHaveLength(3);
    // a fresh run diverging before its first checkpoint leaves the existing file as it was
    const a = run(...TRAIN, "--episodes", "200", "--actor-lr", "1e12", "--out", "good.encore");
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/likely cause: the actor's learning rate 1e\+12 \(--actor-lr\) is too high\. Training stopped; nothing was written to good\.encore/);
    const both = run(...TRAIN, "--episodes", "200", "--actor-lr", "1e30", "--critic-lr", "1e30", "--out", "good.encore");
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/training diverged in episode \d+: the parameters ran away \(.*non-finite/);
    expect(Buffer.compare(bytes("good.encore"), before)).toBe(0);
  });

  it("7. messages name the option or the file", () => {
    mkdirSync(join(dir, "adir"), { recursive: true });
    expect(run("train", "--dataset", "adir").stderr).toBe("encore: adir: is a directory, not a file\n");
    expect(run("prepare", LOG, "--cache", "adir").stderr).toMatch(/^encore: --cache adir: is a directory, not a file/);
    expect(run("prepare", "adir").stderr).toBe("encore: adir: is a directory, not a file\n");
    const hdr = readFileSync(join(dir, LOG), "utf8").split("\n");
    hdr[0] = hdr[0].replace(",skip_3", "");
    writeFileSync(join(dir, "hdr.csv"), hdr.slice(0, 30).join("\n"));
    expect(run("prepare", "hdr.csv", "--cache", "hdr.bin").stderr).toBe('encore: hdr.csv:1: column skip_3: header: expected 21 columns, found 20: column "skip_3" is missing (expected after "skip_2")\n');
  });

  it.skipIf(!HAVE_BASH)("7. a full disk during prepare names the cache file and leaves no temporary", () => {
    const r = full(20, "prepare", LOG, "--tf", TF, "--cache", "full/dataset.bin");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^encore: cannot write full\/dataset\.bin: EFBIG: file too large/);
    expect(temps("full")).toEqual([]);
  });

  it.skipIf(!HAVE_BASH)("8. generate on a full disk keeps the previous complete set; a bad value writes nothing", () => {
    ok("generate", "--sessions", "50", "--tracks", "100", "--out", "gen");
    const before = ["log_synth.csv", "tf_synth.csv", "synth.json"].map((f) => bytes(join("gen", f)));
    const r = full(100, "generate", "--sessions", "2000", "--tracks", "300", "--seed", "9", "--out", "gen");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^encore: cannot write gen\/log_synth\.csv: EFBIG/);
    ["log_synth.csv", "tf_synth.csv", "synth.json"].forEach((f, i) => expect(Buffer.compare(bytes(join("gen", f)), before[i]), f).toBe(0));
    expect(temps("gen")).toEqual([]);
    expect(JSON.parse(ok("prepare", "gen/log_synth.csv", "--cache", "gen.bin", "--json")).sessions).toBe(50);
    expect(run("generate", "--sessions", "1e12", "--out", "gen2").code).toBe(1);
    expect(existsSync(join(dir, "gen2"))).toBe(false);
  });

  it.skipIf(!HAVE_BASH)("8. evaluate on a full disk keeps the old report.json and report.html together", () => {
    ok(...TRAIN, "--episodes", "6");
    const args = ["evaluate", "--max-sessions", "50", "--episodes", "5", "--bootstrap", "100", "--out", "rep"];
    ok(...args, "--seeds", "0");
    const json = bytes("rep/report.json"), html = bytes("rep/report.html");
    // room for the smaller file of the pair, not the larger: the old writer replaced one of the two
    const kib = Math.floor((Math.min(json.length, html.length) + Math.max(json.length, html.length)) / 2 / 1024);
    const r = full(kib, ...args, "--seeds", "1");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot write rep\/report\.(html|json): EFBIG/);
    expect(Buffer.compare(bytes("rep/report.json"), json)).toBe(0);
    expect(Buffer.compare(bytes("rep/report.html"), html)).toBe(0);
    expect(temps("rep")).toEqual([]);
  });

  it("9. an invalid UTF-8 track id is a located error in strict mode, a skipped row in lenient mode", () => {
    const raw = bytes(LOG);
    const at = raw.indexOf(",t_", raw.indexOf("\n", raw.indexOf("\n") + 1)) + 3; // third line's track id
    const bad = Buffer.from(raw);
    bad[at] = 0xff;
    writeFileSync(join(dir, "utf.csv"), bad);
    const r = run("prepare", "utf.csv", "--cache", "utf.bin");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^encore: utf\.csv:3: column track_id_clean: expected a track id in UTF-8, found invalid bytes 74 5f ff /);
    const j = JSON.parse(ok("prepare", "utf.csv", "--cache", "utf.bin", "--lenient", "--json"));
    expect(j.skipped.kinds.bad_utf8.count).toBe(1);
  });

  it("10. --resume refuses contradicting flags and a target below the checkpoint, and says what it overrides", () => {
    ok(...TRAIN, "--episodes", "20", "--checkpoint-every", "5", "--out", "res.encore");
    const below = run(...TRAIN, "--episodes", "5", "--resume", "res.encore", "--out", "res.encore");
    expect(below.code).toBe(1);
    expect(below.stderr).toBe("encore: --resume res.encore: --episodes 5 is not above the 20 episodes the checkpoint has trained (--episodes is the total to reach, e.g. --episodes 25)\n");
    const contra = run(...TRAIN, "--episodes", "25", "--seed", "3", "--steps", "5", "--resume", "res.encore", "--out", "res.encore");
    expect(contra.code).toBe(1);
    expect(contra.stderr).toMatch(/--steps 5 contradicts the checkpoint's 4; --seed 3 contradicts the checkpoint's 0\. A resumed run continues with the checkpoint's settings/);
    const before = bytes("res.encore");
    expect(Buffer.compare(bytes("res.encore"), before)).toBe(0);
    const r = run("train", "--episodes", "22", "--resume", "res.encore", "--out", "res.encore");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("resuming res.encore at episode 20 of 22; the checkpoint's settings override this command's defaults: --env listener, --steps 4, --batch 16\n");
    expect(r.stdout).toMatch(/after 22 episodes .*resumed at episode 20/);
  });

  it("11. the same inputs and seed give byte-identical model, checkpoint, embedding and dataset files", () => {
    ok(...TRAIN, "--episodes", "9", "--checkpoint-every", "0", "--out", "m1.encore");
    ok(...TRAIN, "--episodes", "9", "--checkpoint-every", "0", "--out", "m2.encore");
    expect(Buffer.compare(bytes("m1.encore"), bytes("m2.encore"))).toBe(0);
    expect(bytes("m1.encore").includes(Buffer.from('"created"'))).toBe(false);
    // with checkpoints along the way (the model file is the training checkpoint: replay, noise, random streams)
    ok(...TRAIN, "--episodes", "9", "--checkpoint-every", "5", "--out", "c1.encore");
    ok(...TRAIN, "--episodes", "9", "--checkpoint-every", "5", "--out", "c2.encore");
    expect(Buffer.compare(bytes("c1.encore"), bytes("c2.encore"))).toBe(0);
    ok("embed", "--epochs", "1", "--out", "e1.bin");
    ok("embed", "--epochs", "1", "--out", "e2.bin");
    expect(Buffer.compare(bytes("e1.bin"), bytes("e2.bin"))).toBe(0);
    ok("prepare", LOG, "--tf", TF, "--cache", "d1.bin");
    const later = new Date(statSync(join(dir, LOG)).mtimeMs + 60_000);
    utimesSync(join(dir, LOG), later, later); // same bytes, new time: rebuilt, identical
    expect(JSON.parse(ok("prepare", LOG, "--tf", TF, "--cache", "d2.bin", "--json")).status).toBe("built");
    expect(Buffer.compare(bytes("d1.bin"), bytes("d2.bin"))).toBe(0);
    copyFileSync(join(dir, "d1.bin"), join(dir, "d3.bin"));
    expect(JSON.parse(ok("prepare", LOG, "--tf", TF, "--cache", "d3.bin", "--json")).status).toBe("rebuilt"); // no sidecar: times unknown
    expect(JSON.parse(ok("prepare", LOG, "--tf", TF, "--cache", "d3.bin", "--json")).status).toBe("hit");
  });
});
