// The encore CLI end to end, as a user runs it (the compiled build/js, as `npm run build` makes
// it): every command on a small synthetic data set, machine output, one-line errors.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("../build/js/src/cli/main.js", import.meta.url));
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

describe.skipIf(!existsSync(CLI))("encore CLI", () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "encore-cli-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("generate → prepare → embed → train → resume → evaluate → recommend", () => {
    const g = JSON.parse(ok("generate", "--sessions", "600", "--tracks", "800", "--seed", "3", "--json"));
    expect(g.sessions).toBe(600);
    const p = JSON.parse(ok("prepare", "--json", ".encore/data/log_synth.csv", "--tf", ".encore/data/tf_synth.csv"));
    expect(p.sessions).toBe(600);
    expect(p.status).toBe("built");
    expect(JSON.parse(ok("prepare", "--json", ".encore/data/log_synth.csv", "--tf", ".encore/data/tf_synth.csv")).status).toBe("hit");
    // the sharded form of the same dataset: the same headline figures
    const sh = JSON.parse(ok("prepare", "--json", ".encore/data/log_synth.csv", "--tf", ".encore/data/tf_synth.csv", "--shards", "shards", "--memory-budget", "256"));
    for (const k of ["sessions", "rows", "tracks", "tracks_with_features", "skip_rate"]) expect(sh[k], k).toBe(p[k]);
    expect(sh.shards).toBeGreaterThanOrEqual(1);
    expect(sh.status).toBe("built");
    const again = JSON.parse(ok("prepare", "--json", ".encore/data/log_synth.csv", "--tf", ".encore/data/tf_synth.csv", "--shards", "shards"));
    expect([again.status, again.sessions, again.shards]).toEqual(["hit", sh.sessions, sh.shards]);
    const e = JSON.parse(ok("embed", "--json", "--epochs", "2"));
    expect(e.V).toBe(p.tracks);
    expect(e.counts.item2vec + e.counts.features + e.counts.unknown).toBe(p.tracks);
    expect(e.warnings).toEqual([]);
    // a min-count most tracks miss: their vectors come from audio features, and embed warns
    const cold = run("embed", "--json", "--epochs", "1", "--min-count", "20", "--out", "cold.bin");
    expect(cold.code, cold.stderr).toBe(0);
    const coldJson = JSON.parse(cold.stdout), share = coldJson.fallback_share_of_training_plays.features;
    expect(share).toBeGreaterThan(0.2);
    expect(coldJson.warnings).toHaveLength(1);
    expect(cold.stderr).toContain(`warning: vectors mapped from audio features stand for ${(100 * share).toFixed(1)}% of the training plays (${coldJson.counts.features} tracks played fewer than --min-count 20 times)`);
    // JSON lines, one per episode
    const lines = ok("train", "--json", "--env", "listener", "--steps", "4", "--episodes", "12", "--batch", "16").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((m) => m.episode)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(lines[11].updates).toBeGreaterThan(0);
    expect(existsSync(join(dir, ".encore/model.encore"))).toBe(true);
    // resuming continues at episode 13
    const more = ok("train", "--json", "--env", "listener", "--steps", "4", "--episodes", "15", "--batch", "16", "--resume", ".encore/model.encore").trim().split("\n").map((l) => JSON.parse(l));
    expect(more.map((m) => m.episode)).toEqual([13, 14, 15]);
    // … exactly as an uninterrupted run of 15 episodes with the same seed
    const straight = ok("train", "--json", "--env", "listener", "--steps", "4", "--episodes", "15", "--batch", "16", "--out", "straight.encore").trim().split("\n").map((l) => JSON.parse(l));
    expect(more).toEqual(straight.slice(12));
    // learning from the logged sessions (the default --env): an episode is --steps updates
    const logged = ok("train", "--json", "--steps", "5", "--episodes", "3", "--batch", "16", "--out", "logged.encore").trim().split("\n").map((l) => JSON.parse(l));
    expect(logged.map((m) => m.updates)).toEqual([5, 5, 5]);
    for (const m of logged) expect(Number.isFinite(m.criticLoss) && Number.isFinite(m.meanQ)).toBe(true);
    const refused = run("train", "--gamma", "0.9", "--episodes", "1", "--out", "refused.encore");
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/--env logged learns each logged list's own reward .* it needs --gamma 0/);
    expect(existsSync(join(dir, "refused.encore"))).toBe(false);
    const report = JSON.parse(ok("evaluate", "--json", "--seeds", "0", "--max-sessions", "100", "--episodes", "20", "--bootstrap", "200"));
    expect(report.protocols.map((x: { protocol: string }) => x.protocol)).toEqual(["original", "next-tracks", "online"]);
    expect(report.training).toHaveLength(15);
    expect(Object.keys(report.protocols[2].metrics[0].values)).toEqual(["ddpg", "random", "popular", "item-knn", "markov", "sknn", "vsknn", "oracle"]);
    // the agent's paired differences against every other policy, on each protocol's headline metrics
    expect(report.protocols[2].paired.map((d: { metric: string; baseline: string }) => `${d.metric}:${d.baseline}`)).toEqual(
      ["episode_reward", "reward_flags"].flatMap((m) => ["random", "popular", "item-knn", "markov", "sknn", "vsknn", "oracle"].map((b) => `${m}:${b}`)));
    expect(report.protocols[1].headline).toEqual(["hit_rate@3", "kept_hit_rate@3", "kept_ndcg@3"]);
    expect(report.protocols[0].paired.map((d: { baseline: string }) => d.baseline)).toContain("logged");
    // configuration only: the model's per-episode records are in `training`, not in the config
    expect(report.config.training.training).toBeUndefined();
    expect(report.config.training.env).toBe("listener");
    // the online protocol ran the training environment: its figures are the reward curve's reference lines
    expect(Object.keys(report.trainingReferences.values)).toEqual(["random", "popular", "oracle"]);
    // as text: the summary first, n in every table, paired differences with verdicts
    const text = ok("evaluate", "--seeds", "0", "--max-sessions", "100", "--episodes", "20", "--bootstrap", "200");
    expect(text.split("\n")[0]).toBe("summary");
    expect(text).toMatch(/\n  metric\s+n\s+ddpg\s+random/);
    expect(text).toMatch(/ddpg − other, paired over episodes/);
    expect(text).toMatch(/(better|no different|worse)/);
    expect(text).toContain("wrote .encore/report/report.html");
    expect(readFileSync(join(dir, ".encore/report/report.html"), "utf8")).toContain("<svg");
    const ids = readFileSync(join(dir, ".encore/data/log_synth.csv"), "utf8").split("\n").slice(1, 11).map((l) => l.split(",")[3]);
    const recs = JSON.parse(ok("recommend", "--json", "--history", ids.join(",")));
    expect(recs).toHaveLength(3);
    expect(new Set(recs.map((r: { track_id: string }) => r.track_id)).size).toBe(3);
    for (const r of recs) {
      expect(ids).not.toContain(r.track_id);
      expect(Number.isFinite(r.score)).toBe(true);
    }
    // the critic re-ranked the list: its item values, highest first
    for (let k = 1; k < recs.length; k++) expect(recs[k].score).toBeLessThanOrEqual(recs[k - 1].score);
    const said = ok("recommend", "--history", ids.join(","));
    expect(said).toMatch(/^The critic chose this list among the tracks/);
    expect(said).toMatch(/\n1\.\s+\S+\s+score \S+/);
  }, 120_000);

  it("fails with a one-line message, and no stack trace, on bad arguments and files", () => {
    const cases: [string[], RegExp][] = [
      [["generate", "--sessions", "x"], /--sessions must be an integer from 1 to 200,000,000, got 'x'/],
      [["prepare", "missing.csv"], /missing\.csv: no such file/],
      [["prepare", "x.csv", "--memory-budget", "64"], /--memory-budget sizes a sharded build: give --shards <dir>/],
      [["prepare", "x.csv", "--shards", "s", "--memory-budget", "64"], /--memory-budget 64 MiB leaves no room for the build's buffers: this process already holds \d+ MiB .* give at least \d+/],
      [["train", "--dataset", "nope.bin"], /nope\.bin: no dataset cache here/],
      [["embed", "--kind", "word2vec"], /--kind must be one of item2vec, features, hybrid/],
      [["recommend", "--history", "a,b"], /at least N = 10 plays|no such file/],
    ];
    for (const [args, re] of cases) {
      const r = run(...args);
      expect(r.code, args.join(" ")).not.toBe(0);
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split("\n").length, r.stderr).toBeLessThanOrEqual(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    writeFileSync(join(dir, "bad.csv"), "session_id,nope\n1,2\n");
    const bad = run("prepare", "bad.csv", "--cache", "bad.bin");
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/bad\.csv:1/);
  }, 60_000);

  it("every command has --help with examples, one defaults style, every value documented, and --json", () => {
    const commands = ["generate", "prepare", "embed", "train", "evaluate", "recommend", "bench", "demo", "serve"];
    for (const c of commands) {
      const h = ok(c, "--help");
      expect(h, c).toMatch(/Usage: encore/);
      expect(h, c).toMatch(/Example/);
      expect(h, c).toMatch(/--json\b/);
      expect(h, c).not.toMatch(/\(default [^:]/); // one style: "(default: …)"
      // every option taking a value shows its default (help wraps long lines: join the continuation lines)
      const options = h.slice(h.indexOf("Options:")).split("\n").reduce<string[]>((acc, line) => {
        if (/^\s{2}-/.test(line)) acc.push(line.trim());
        else if (acc.length && /^\s{4,}\S/.test(line)) acc[acc.length - 1] += " " + line.trim();
        return acc;
      }, []);
      for (const o of options) if (/^(-\w, )?--[a-z-]+ [<[]/.test(o) && !o.startsWith("--history")) expect(o, `${c}: ${o}`).toMatch(/\(default: [^)]+\)/);
    }
    const train = ok("train", "--help").replace(/\s+/g, " ");
    for (const v of ["listwise (", "original (", "w1 (", "gaussian (", "ou (", "lird (", "listener (", "logged ("]) expect(train).toContain(v);
    const evaluate = ok("evaluate", "--help").replace(/\s+/g, " ");
    for (const v of ["original (", "next-tracks (", "online ("]) expect(evaluate).toContain(v);
    expect(evaluate).toContain("(default: all three on synthetic data, original,next-tracks on MSSD)");
    expect(evaluate).toContain("(at most 64, each 0..4,294,967,295) (default: 0,1,2)");
    const embed = ok("embed", "--help").replace(/\s+/g, " ");
    for (const v of ["item2vec (", "features (", "hybrid ("]) expect(embed).toContain(v);
  }, 60_000); // several CLI start-ups: seconds each on a loaded machine

  it("serve --json prints its address as one JSON line", async () => {
    const site = join(dir, "site");
    mkdirSync(site, { recursive: true });
    writeFileSync(join(site, "index.html"), "<!doctype html><title>x</title>");
    const child = spawn(process.execPath, [CLI, "serve", "--json", "--dir", site], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (c: Buffer) => {
          out += c.toString();
          if (out.includes("\n")) resolve(out);
        });
        child.on("exit", (code) => reject(new Error(`encore serve exited ${code}`)));
      });
      const o = JSON.parse(line);
      expect(o.dir).toBe(site);
      expect(await (await fetch(o.url)).text()).toContain("<title>x</title>");
    } finally {
      child.kill("SIGINT");
    }
  }, 20_000);
});
