// Shared set-up for benchmarks: the release engine, seeded data.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Engine } from "../src/engine/engine.js";
import { MemoryPlan } from "../src/engine/plan.js";
import { Rng } from "../src/rng.js";

// bench/ compiles to build/js/bench/, beside build/encore.wasm two levels up.
const RELEASE = fileURLToPath(new URL("../../encore.wasm", import.meta.url));
let module: WebAssembly.Module | null = null;

export function releaseModule(): WebAssembly.Module {
  module ??= new WebAssembly.Module(readFileSync(RELEASE));
  return module;
}

export function loadEngine(plan: MemoryPlan): Promise<Engine> {
  return Engine.load(releaseModule(), plan);
}

export function randomFill(a: Float32Array, rng: Rng, scale = 1): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] = (rng.float() * 2 - 1) * scale;
  return a;
}

/** Largest |a-b| / (1 + |b|): one number to validate a fast result against a reference. */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i]));
    if (!(e <= m)) m = e;
  }
  return m;
}
