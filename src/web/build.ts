// Builds the static demo page (`npm run build:web` → build/web/): the page, its script and its
// Worker bundled with esbuild, the library alone as encore.js (what a page embedding encore
// imports), the release engine, and the demo model, embeddings and listener from the folder
// `encore demo` writes. Node only; esbuild is a development dependency.
//
//   node build/js/src/web/build.js [--out build/web] [--demo .encore/demo]
import { existsSync, readFileSync } from "node:fs";
import { copyFile, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

/** The repository root: the nearest folder above this file whose package.json is encore's (works from src/ and build/js/src/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = join(dir, "package.json");
    if (existsSync(p) && (JSON.parse(readFileSync(p, "utf8")) as { name?: string }).name === "encore") return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("could not find the encore repository root above " + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** The files of `encore demo`'s folder the page loads, by their name in build/web/demo/. */
export const DEMO_FILES: Readonly<Record<string, string>> = {
  "model.encore": "model.encore",
  "embeddings.bin": "embeddings.bin",
  "synth.json": join("data", "synth.json"),
};

export interface BuildWebOptions {
  /** Output folder (emptied first). Default build/web under the repository. */
  out?: string;
  /** `encore demo`'s folder; its model, embeddings and synth.json are copied to out/demo/. Null: none (the page then asks for files). Default .encore/demo. */
  demo?: string | null;
}

export interface BuiltFile {
  name: string;
  bytes: number;
  gzip: number;
}

export interface BuildWebResult {
  out: string;
  files: BuiltFile[];
  /** Whether demo files were copied (all of model and embeddings found). */
  demo: boolean;
  /** Why not, when not. */
  demoMissing?: string;
}

export async function buildWeb(o: BuildWebOptions = {}): Promise<BuildWebResult> {
  const { build } = await import("esbuild"); // a development dependency: loaded only when building
  const root = repoRoot();
  const out = resolve(o.out ?? join(root, "build", "web"));
  const wasm = join(root, "build", "encore.wasm");
  if (!existsSync(wasm)) throw new Error(`${wasm} is missing: run 'npm run build' first`);
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const common = { bundle: true, minify: true, platform: "browser" as const, target: "es2022", logLevel: "warning" as const, legalComments: "none" as const };
  await Promise.all([
    build({ ...common, entryPoints: [join(root, "src", "web", "app.ts")], outfile: join(out, "app.js"), format: "esm" }),
    // a classic (non-module) Worker script loads in every browser that has Workers
    build({ ...common, entryPoints: [join(root, "src", "web", "worker.ts")], outfile: join(out, "worker.js"), format: "iife" }),
    build({ ...common, entryPoints: [join(root, "src", "index.ts")], outfile: join(out, "encore.js"), format: "esm" }),
  ]);
  await copyFile(join(root, "src", "web", "index.html"), join(out, "index.html"));
  await copyFile(wasm, join(out, "encore.wasm"));
  let demo = false, demoMissing: string | undefined;
  const demoDir = o.demo === undefined ? join(root, ".encore", "demo") : o.demo;
  if (demoDir !== null) {
    const missing = ["model.encore", "embeddings.bin"].filter((n) => !existsSync(join(demoDir, DEMO_FILES[n])));
    if (missing.length > 0) {
      demoMissing = `${missing.map((n) => join(demoDir, DEMO_FILES[n])).join(" and ")} not found (run 'encore demo' first); the page will ask for files`;
    } else {
      await mkdir(join(out, "demo"), { recursive: true });
      for (const [name, from] of Object.entries(DEMO_FILES)) {
        if (existsSync(join(demoDir, from))) await copyFile(join(demoDir, from), join(out, "demo", name));
      }
      demo = true;
    }
  }
  const files: BuiltFile[] = [];
  for (const name of ["index.html", "app.js", "worker.js", "encore.js", "encore.wasm"]) {
    const bytes = await readFile(join(out, name));
    files.push({ name, bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });
  }
  if (demo) {
    for (const name of Object.keys(DEMO_FILES)) {
      const p = join(out, "demo", name);
      if (existsSync(p)) files.push({ name: `demo/${name}`, bytes: (await stat(p)).size, gzip: gzipSync(await readFile(p), { level: 9 }).length });
    }
  }
  await writeFile(join(out, "sizes.json"), JSON.stringify(files, null, 2) + "\n");
  return { out, files, demo, demoMissing };
}

function kb(n: number): string {
  return `${(n / 1024).toFixed(1)} KiB`;
}

async function main(argv: string[]): Promise<void> {
  const opts: BuildWebOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--out" && argv[i + 1]) opts.out = argv[++i];
    else if (a === "--demo" && argv[i + 1]) opts.demo = argv[++i];
    else if (a === "--no-demo") opts.demo = null;
    else throw new Error(`build-web: unknown argument '${a}' (usage: [--out dir] [--demo dir | --no-demo])`);
  }
  const r = await buildWeb(opts);
  const w = Math.max(...r.files.map((f) => f.name.length));
  process.stdout.write(`built ${relative(process.cwd(), r.out) || "."}/\n`);
  for (const f of r.files) process.stdout.write(`  ${f.name.padEnd(w)}  ${kb(f.bytes).padStart(10)}  gzip ${kb(f.gzip).padStart(10)}\n`);
  if (r.demoMissing) process.stdout.write(`note: ${r.demoMissing}\n`);
  process.stdout.write("serve it with: npx encore serve   (or npm run serve)\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((e: Error) => {
    process.stderr.write(`build-web: ${e.message}\n`);
    process.exit(1);
  });
}
