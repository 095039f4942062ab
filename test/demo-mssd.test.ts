// `encore demo --mssd DIR`: the whole job on real MSSD files — finding the files in the folder
// (clear errors when there are none), then prepare, item2vec, learning from the logged sessions
// and the offline protocols, as the README's real-data section runs it. The run itself needs the
// real slice and skips with a printed reason without it; its training is cut to 3 episodes here
// (the README's figures come from the default 100).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { mssdFiles } from "../src/cli/demo.js";
import { HAVE_REAL_LOG, HAVE_REAL_TF, MSSD_DIR } from "./util/mssd.js";

const CLI = fileURLToPath(new URL("../build/js/src/cli/main.js", import.meta.url));
const haveReal = HAVE_REAL_LOG && HAVE_REAL_TF && existsSync(CLI);
if (!haveReal) console.log(`skipping the demo --mssd run: the real slice (${MSSD_DIR}) or the CLI build is missing`);
let dir = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "encore-demo-mssd-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("mssdFiles", () => {
  it("lists a folder's session logs and track features, plain or gzip, sorted by name", () => {
    const d = join(dir, "files");
    mkdirSync(d);
    for (const n of ["log_1.csv.gz", "log_0.csv", "tf_0.csv", "README.md", "log_x.txt", "tf_1.csv.gz"]) writeFileSync(join(d, n), "");
    expect(mssdFiles(d)).toEqual({ logs: [join(d, "log_0.csv"), join(d, "log_1.csv.gz")], tf: [join(d, "tf_0.csv"), join(d, "tf_1.csv.gz")] });
  });

  it("names the folder when it is missing or holds no session log", () => {
    expect(() => mssdFiles(join(dir, "nowhere"))).toThrow(`--mssd ${join(dir, "nowhere")}: no such folder`);
    const empty = join(dir, "empty");
    mkdirSync(empty);
    writeFileSync(join(empty, "tf_0.csv"), "");
    expect(() => mssdFiles(empty)).toThrow(`--mssd ${empty}: no session log (log_*.csv or log_*.csv.gz) in the folder`);
  });
});

describe.skipIf(!haveReal)("encore demo --mssd on the real slice", () => {
  it("prepares, embeds, learns from the logged sessions and evaluates the offline protocols, the agent named ddpg", () => {
    const out = join(dir, "run");
    const r = spawnSync(process.execPath, [CLI, "demo", "--mssd", MSSD_DIR, "--dir", out, "--episodes", "3", "--json"], { encoding: "utf8", timeout: 600_000 });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.dataset.data).toBe("MSSD");
    expect(report.dataset.sessions).toBeGreaterThan(1000);
    expect(report.config.training.env).toBe("logged");
    expect(report.training).toHaveLength(3);
    expect(report.protocols.map((p: { protocol: string }) => p.protocol)).toEqual(["original", "next-tracks"]);
    const next = report.protocols[1];
    expect(next.seeds).toEqual([0, 1, 2]);
    const hit = next.metrics.find((m: { metric: string }) => m.metric === "kept_hit_rate@3").values;
    expect(Object.keys(hit)).toEqual(["ddpg", "random", "popular", "item-knn", "markov", "sknn", "vsknn"]);
    // even 60 updates put the agent far above random and popular (the candidate sources' evidence)
    expect(hit.ddpg.lo).toBeGreaterThan(hit.popular.hi);
    expect(r.stderr).toMatch(/item2vec-sgns\+ridge-fallback: \d+ item2vec, \d+ from features, \d+ unknown/);
    for (const f of ["dataset.bin", "embeddings.bin", "model.encore", "report/report.html", "report/report.json"]) expect(existsSync(join(out, f)), f).toBe(true);
  }, 600_000);
});
