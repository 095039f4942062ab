// The probe under Node, Deno and Bun: `<runtime> run-cli.mjs <folder>` reads the files the
// matrix prepared in <folder> (encore.js, encore.wasm, model.encore, embeddings.bin, synth.json,
// histories.json) and prints the probe's result as one JSON line. Uses only node:fs, node:path,
// node:url and node:process, which all three provide.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import process from "node:process";
import { probe } from "./probe.mjs";

const dir = process.argv[2];
const encore = await import(pathToFileURL(join(dir, "encore.js")).href);
const read = (name) => new Uint8Array(readFileSync(join(dir, name)));
const result = await probe(encore, {
  wasm: read("encore.wasm"),
  model: read("model.encore"),
  embeddings: read("embeddings.bin"),
  listener: read("synth.json"),
  histories: JSON.parse(readFileSync(join(dir, "histories.json"), "utf8")),
}, Number(process.argv[3] ?? 50));
process.stdout.write(JSON.stringify(result) + "\n");
