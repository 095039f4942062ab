// One code path from the CLI to the engine: the CLI loads no file under test/ or bench/ (the
// benchmarks, whose baselines use the test references, are their own entry, bench/run.ts, which
// `encore bench` starts); the engine is compiled in one function of src/engine/engine.ts; the
// agent loading, the model identity and the listener's catalog mapping are defined once
// (src/load.ts) and used by both the library entry and the CLI; `encore recommend` is the
// library's recommender.
import { describe, it, expect } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** The files of src/ whose text matches `re`, relative to the repository. */
function filesMatching(re: RegExp): string[] {
  return sources(join(ROOT, "src")).filter((f) => re.test(readFileSync(f, "utf8"))).map((f) => relative(ROOT, f));
}

describe("one code path", () => {
  it("the CLI's module graph (dynamic imports included) has no file under test/ or bench/", async () => {
    const r = await build({ entryPoints: [join(ROOT, "src/cli/main.ts")], bundle: true, platform: "node", format: "esm", packages: "external", write: false, metafile: true, logLevel: "silent" });
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs).toContain("src/cli/pipeline.ts");
    expect(inputs).toContain("src/load.ts");
    expect(inputs.filter((f) => /^(test|bench)\//.test(f))).toEqual([]);
    // the check can fail: the benchmarks' own entry does reach the test references
    const b = await build({ entryPoints: [join(ROOT, "bench/run.ts")], bundle: true, platform: "node", format: "esm", packages: "external", write: false, metafile: true, logLevel: "silent" });
    expect(Object.keys(b.metafile.inputs).some((f) => f.startsWith("test/reference/"))).toBe(true);
  });

  it("the engine is compiled in src/engine/engine.ts only", () => {
    expect(filesMatching(/new WebAssembly\.Module\(|WebAssembly\.compile(Streaming)?\(/)).toEqual(["src/engine/engine.ts"]);
  });

  it("agentOn, loadAgent, identityOf and the listener catalog mapping are defined once, and both entries use them", () => {
    for (const name of ["agentOn", "loadAgent", "identityOf", "listenerCatalog"]) {
      expect(filesMatching(new RegExp(`function ${name}\\b`)), name).toEqual(["src/load.ts"]);
    }
    // no other catalog-wide mapping loop onto the listener's tracks (the page looks up single tracks only)
    expect(filesMatching(/catalog\[\w+\] = \w+\.trackIndex\(/)).toEqual(["src/load.ts"]);
    const index = readFileSync(join(ROOT, "src/index.ts"), "utf8"), pipeline = readFileSync(join(ROOT, "src/cli/pipeline.ts"), "utf8");
    for (const text of [index, pipeline]) expect(text).toMatch(/from "\.\.?\/load\.js"/);
    // `encore recommend` and `encore serve` open the library's recommender
    expect(pipeline).toMatch(/openRecommender\(o\.model, o\.embeddings\)/);
    expect(readFileSync(join(ROOT, "src/cli/library.ts"), "utf8")).toMatch(/createRecommender\(/);
  });
});
