#!/usr/bin/env node
// Build only when the build is out of date. `npm install` (and `npm ci`) in the repository run
// the `prepare` script, which is this file with --prepare: it runs `npm run build` (the wasm
// engine and the TypeScript) when an output is missing or the sources changed since the last
// build, and otherwise says so and returns at once. Why: `npx encore` links the repository
// into npx's cache and runs its `prepare` there, without showing its output; with a full
// build that was a silent 30–60 s wait on the first call. After `npm install`, `npx encore`
// now starts in about a second.
//
// "Changed" is decided by content, not by modification times (a fresh clone or a checkout
// gives every file a new time): `npm run build` ends with --write, which records a SHA-256 over
// the build's inputs (paths and bytes) in build/.inputs.sha256; --prepare and --check compare
// it with the inputs as they are now.
//
//   node src/tools/build-stamp.mjs --prepare   build if stale (the `prepare` script)
//   node src/tools/build-stamp.mjs --check     exit 0 when up to date, 1 (saying why) when not
//   node src/tools/build-stamp.mjs --write     record the inputs of the build just made
//   --root <dir>                             the repository (default: this script's parent)
//
// Plain Node, no dependencies: it runs before anything is built.
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** What the build reads: folders (every file under them) and single files. */
export const INPUTS = ["assembly", "src", "bench", "test/reference", "asconfig.json", "package.json", "package-lock.json"];
/** What the build writes; any of them missing means a build is needed. */
export const OUTPUTS = ["build/encore.wasm", "build/encore.relaxed.wasm", "build/encore.shared.wasm", "build/encore.relaxed.shared.wasm", "build/encore.debug.wasm", "build/js/src/cli/main.js", "build/js/src/index.js", "build/js/bench/run.js", "build/encore.mjs"];
export const STAMP = "build/.inputs.sha256";
/** The package's `bin` entry. npm makes a bin executable only when it links the package; `npx
 * encore` in a clone whose npx cache already holds the link ("up to date") does not, so the
 * build marks it executable itself. */
export const BIN = "build/js/src/cli/main.js";
const NOT_EXECUTABLE = `${BIN} is not executable`;

function files(root, rel) {
  const p = join(root, rel);
  if (!existsSync(p)) return [];
  if (!statSync(p).isDirectory()) return [rel];
  return readdirSync(p).sort().flatMap((name) => files(root, join(rel, name)));
}

/** SHA-256 over the inputs' relative paths and bytes, in a fixed order. */
export function inputsHash(root) {
  const h = createHash("sha256");
  for (const rel of INPUTS.flatMap((r) => files(root, r)).sort()) {
    h.update(rel.split(sep).join("/") + "\0");
    h.update(readFileSync(join(root, rel)));
    h.update("\0");
  }
  return h.digest("hex");
}

/** Null when the build is up to date, else why not. */
export function staleness(root) {
  const missing = OUTPUTS.filter((o) => !existsSync(join(root, o)));
  if (missing.length) return `${missing.join(", ")} missing`;
  const stamp = join(root, STAMP);
  if (!existsSync(stamp)) return `no ${STAMP} (built by something else than 'npm run build')`;
  if (readFileSync(stamp, "utf8").trim() !== inputsHash(root)) return `sources changed since the last build`;
  if ((statSync(join(root, BIN)).mode & 0o111) === 0) return NOT_EXECUTABLE;
  return null;
}

function main(argv) {
  const i = argv.indexOf("--root");
  const root = resolve(i >= 0 ? argv[i + 1] : join(dirname(fileURLToPath(import.meta.url)), "..", ".."));
  const mode = argv.find((a) => a === "--prepare" || a === "--check" || a === "--write");
  if (!mode) {
    process.stderr.write("usage: build-stamp.mjs --prepare | --check | --write [--root dir]\n");
    return 2;
  }
  if (mode === "--write") {
    mkdirSync(join(root, "build"), { recursive: true });
    writeFileSync(join(root, STAMP), inputsHash(root) + "\n");
    chmodSync(join(root, BIN), 0o755);
    return 0;
  }
  const why = staleness(root);
  if (mode === "--check") {
    process.stdout.write(why ? `stale: ${why}\n` : "up to date\n");
    return why ? 1 : 0;
  }
  if (!why || why === NOT_EXECUTABLE) {
    if (why) chmodSync(join(root, BIN), 0o755);
    process.stderr.write(`encore: the build in ${relative(process.cwd(), join(root, "build")) || "build"} is up to date with the sources; not rebuilding\n`);
    return 0;
  }
  process.stderr.write(`encore: building (${why})\n`);
  // npm sets npm_execpath when it runs a script: run the same npm
  const npm = process.env.npm_execpath;
  const r = npm ? spawnSync(process.execPath, [npm, "run", "build"], { cwd: root, stdio: "inherit" }) : spawnSync("npm", ["run", "build"], { cwd: root, stdio: "inherit", shell: process.platform === "win32" });
  return r.status ?? 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exit(main(process.argv.slice(2)));
