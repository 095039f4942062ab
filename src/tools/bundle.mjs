#!/usr/bin/env node
// The library entry (src/index.ts) bundled as one ES module with no bare imports:
// build/encore.mjs, exported as "encore/bundle" and as the package entry's "deno", "workerd"
// and "worker" conditions. Deno (from any folder, without --node-modules-dir), Bun, workerd,
// browsers and bundlers load it as it is: `import { createRecommender } from "./encore.mjs"`.
// Part of `npm run build:js`; test/runtimes.test.ts runs the same bundle in every runtime.
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Bundle src/index.ts to `outfile` (ESM, ES2022, platform neutral: no Node built-ins, no bare imports left). */
export async function bundleLibrary(outfile = join(ROOT, "build", "encore.mjs")) {
  await build({ entryPoints: [join(ROOT, "src", "index.ts")], bundle: true, format: "esm", platform: "neutral", target: "es2022", outfile, logLevel: "warning", legalComments: "none" });
  return outfile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundleLibrary(process.argv[2]);
