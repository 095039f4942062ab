import { describe, it, expect } from "vitest";
import { Rng } from "../src/rng.js";

describe("Rng", () => {
  it("is deterministic under a seed and differs across seeds", () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const xa = Array.from({ length: 8 }, () => a.u32());
    const xb = Array.from({ length: 8 }, () => b.u32());
    const xc = Array.from({ length: 8 }, () => c.u32());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
  });

  it("float is in [0,1) with mean 1/2 and int is unbiased", () => {
    const r = new Rng(7);
    let s = 0;
    const n = 200_000;
    const counts = new Array(6).fill(0);
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const f = r.float();
      if (!(f >= 0 && f < 1)) outside++;
      s += f;
      counts[r.int(6)]++;
    }
    expect(outside).toBe(0);
    expect(Math.abs(s / n - 0.5)).toBeLessThan(0.005);
    for (const c of counts) expect(Math.abs(c / n - 1 / 6)).toBeLessThan(0.005);
  });

  it("normal has mean 0 and variance 1", () => {
    const r = new Rng(1);
    let s = 0, s2 = 0;
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      s += x;
      s2 += x * x;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.01);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.02);
  });

  it("saves and restores its state exactly, including the cached normal", () => {
    const r = new Rng(9);
    r.normal(); // leaves a spare cached
    const st = JSON.parse(JSON.stringify(r.getState())); // checkpoints store it as JSON
    const a = [r.normal(), r.u32(), r.float()];
    r.setState(st);
    expect([r.normal(), r.u32(), r.float()]).toEqual(a);
  });
});
