import { describe, it, expect } from "vitest";
import { Rng } from "../src/rng.js";
import { GaussianNoise, OUNoise, NOISE_DEFAULTS, OU_DEFAULTS, scheduledSigma, type ExplorationNoise } from "../src/rl/noise.js";

// Statistical tolerances are 5 standard errors: a correct implementation fails with
// probability < 1e-6 per check, and every draw is seeded, so the outcome is fixed.
const Z = 5;

/** Collect n draws of every coordinate (noise only: out starts at 0 each time). */
function collect(noise: ExplorationNoise, n: number): Float64Array[] {
  const out = new Float32Array(noise.dim);
  const series = Array.from({ length: noise.dim }, () => new Float64Array(n));
  for (let t = 0; t < n; t++) {
    out.fill(0);
    noise.sample(out);
    for (let i = 0; i < noise.dim; i++) series[i][t] = out[i];
  }
  return series;
}

function meanOf(xs: Float64Array[]): { mean: number; n: number; variance: number; positive: number } {
  let s = 0, s2 = 0, n = 0, pos = 0;
  for (const x of xs) for (const v of x) { s += v; s2 += v * v; n++; if (v > 0) pos++; }
  const mean = s / n;
  return { mean, n, variance: s2 / n - mean * mean, positive: pos / n };
}

describe("GaussianNoise", () => {
  it("has mean 0 and variance σ² over 100,000 draws, and both signs equally often", () => {
    const sigma = 0.3;
    const noise = new GaussianNoise(4, new Rng(1), { sigma });
    const { mean, n, variance, positive } = meanOf(collect(noise, 25_000)); // 4 × 25,000 = 100,000 draws
    expect(n).toBe(100_000);
    // Standard error of the mean σ/√n ≈ 9.5e-4.
    expect(Math.abs(mean)).toBeLessThan(Z * sigma / Math.sqrt(n));
    // Standard error of the sample variance of a normal: σ²·sqrt(2/n).
    expect(Math.abs(variance - sigma * sigma)).toBeLessThan(Z * sigma * sigma * Math.sqrt(2 / n));
    // Fraction positive: Binomial(n, 1/2)/n, standard error 0.5/√n.
    expect(Math.abs(positive - 0.5)).toBeLessThan(Z * 0.5 / Math.sqrt(n));
  });

  it("adds σ_t·z to out, with z the seeded normal stream and σ_t the schedule", () => {
    const o = { sigma: 0.2, sigmaMin: 0.03, decay: 0.5 };
    const noise = new GaussianNoise(3, new Rng(7), o);
    const z = new Rng(7);
    const out = new Float32Array(3);
    const sigmas = [0.2, 0.1, 0.05, 0.03, 0.03];
    for (let t = 0; t < sigmas.length; t++) {
      expect(noise.step).toBe(t);
      expect(noise.sigma()).toBeCloseTo(sigmas[t], 15);
      expect(scheduledSigma({ ...o }, t)).toBeCloseTo(sigmas[t], 15);
      out.fill(1);
      noise.sample(out);
      const sig = Math.max(o.sigmaMin, o.sigma * Math.pow(o.decay, t));
      for (let i = 0; i < 3; i++) expect(out[i]).toBe(Math.fround(1 + sig * z.normal()));
    }
  });

  it("documents its defaults: σ = 0.2, no decay", () => {
    expect(NOISE_DEFAULTS).toEqual({ sigma: 0.2, sigmaMin: 0, decay: 1 });
    const noise = new GaussianNoise(2, new Rng(0));
    for (let i = 0; i < 10; i++) noise.sample(new Float32Array(2));
    expect(noise.sigma()).toBe(0.2);
  });
});

describe("OUNoise", () => {
  const theta = OU_DEFAULTS.theta, sigma = OU_DEFAULTS.sigma; // 0.15, 0.2: the DDPG paper's values
  const rho = Math.exp(-theta * OU_DEFAULTS.dt);

  it("has mean 0 over 100,000 draws, both signs equally often, and stationary variance σ²/(2θ)", () => {
    expect(OU_DEFAULTS).toEqual({ sigma: 0.2, sigmaMin: 0, decay: 1, theta: 0.15, dt: 1 });
    const noise = new OUNoise(4, new Rng(3));
    // Burn in 200 steps (ρ^200 ≈ 1e-13) so every counted draw is from the stationary law.
    collect(noise, 200);
    const series = collect(noise, 25_000);
    const { mean, n, variance, positive } = meanOf(series);
    expect(n).toBe(100_000);
    const stationary = sigma * sigma / (2 * theta);
    expect(noise.stationaryVariance()).toBeCloseTo(stationary, 15);
    // Draws are AR(1) with correlation ρ = e^{−θ dt} ≈ 0.861, so the mean's standard error is
    // (σ/√(2θ))·sqrt((1 + ρ)/(1 − ρ))/√n ≈ 4.2e-3 (13× fewer effective draws than n).
    const seMean = Math.sqrt(stationary * (1 + rho) / (1 - rho) / n);
    expect(Math.abs(mean)).toBeLessThan(Z * seMean);
    // Sample variance of a stationary Gaussian AR(1): relative standard error sqrt(2(1 + ρ²)/((1 − ρ²) n)) ≈ 1.2%.
    const seVar = stationary * Math.sqrt(2 * (1 + rho * rho) / ((1 - rho * rho) * n));
    expect(Math.abs(variance - stationary)).toBeLessThan(Z * seVar);
    // The Euler–Maruyama value σ²/(θ(2 − θ dt)) is 8% larger: far outside this tolerance.
    expect(Math.abs(sigma * sigma / (theta * (2 - theta)) - stationary)).toBeGreaterThan(Z * seVar);
    // Sign balance: effective sample size n(1 − ρ)/(1 + ρ); generous with that correction.
    expect(Math.abs(positive - 0.5)).toBeLessThan(Z * 0.5 * Math.sqrt((1 + rho) / (1 - rho) / n));
    // Lag-one autocorrelation e^{−θ dt}.
    let c = 0, v = 0;
    for (const x of series) for (let t = 1; t < x.length; t++) { c += x[t] * x[t - 1]; v += x[t - 1] * x[t - 1]; }
    expect(Math.abs(c / v - rho)).toBeLessThan(0.01);
  });

  it("keeps the stationary variance σ²/(2θ) at another step size", () => {
    const th = 0.5, dt = 0.3, s = 0.5;
    const noise = new OUNoise(4, new Rng(4), { theta: th, dt, sigma: s });
    collect(noise, 200);
    const { variance, n } = meanOf(collect(noise, 25_000));
    const r = Math.exp(-th * dt), stationary = s * s / (2 * th);
    expect(Math.abs(variance - stationary)).toBeLessThan(Z * stationary * Math.sqrt(2 * (1 + r * r) / ((1 - r * r) * n)));
  });

  it("follows x ← ρx + σ_t·sqrt((1 − ρ²)/(2θ))·z, adds x to out, and reset() returns x to 0", () => {
    const o = { theta: 0.4, dt: 0.5, sigma: 0.3, sigmaMin: 0.1, decay: 0.7 };
    const noise = new OUNoise(2, new Rng(5), o);
    const z = new Rng(5);
    const r = Math.exp(-o.theta * o.dt), c = Math.sqrt((1 - r * r) / (2 * o.theta));
    const x = [0, 0];
    const out = new Float32Array(2);
    for (let t = 0; t < 12; t++) {
      if (t === 6) { noise.reset(); x.fill(0); }
      const sig = Math.max(o.sigmaMin, o.sigma * Math.pow(o.decay, t));
      out.fill(2);
      noise.sample(out);
      for (let i = 0; i < 2; i++) {
        x[i] = r * x[i] + sig * c * z.normal();
        expect(noise.x[i]).toBeCloseTo(x[i], 14);
        expect(out[i]).toBe(Math.fround(2 + x[i]));
      }
    }
    expect(noise.step).toBe(12); // reset() does not restart the schedule
  });
});

describe("noise state", () => {
  for (const make of [
    (rng: Rng) => new GaussianNoise(5, rng, { decay: 0.99, sigmaMin: 0.05 }),
    (rng: Rng) => new OUNoise(5, rng, { decay: 0.99, sigmaMin: 0.05 }),
  ]) {
    it(`${make(new Rng(0)).kind}: a copy restored through JSON continues the same draws`, () => {
      // 7 draws = 35 normals (a Box–Muller spare is cached), 8 draws = 40 (none: spare is null, not NaN).
      for (const draws of [7, 8]) {
        const a = make(new Rng(11));
        const out = new Float32Array(5);
        for (let t = 0; t < draws; t++) a.sample(out);
        const st = a.getState();
        expect(st.step).toBe(draws);
        expect(st.rng.spare === null).toBe(draws === 8);
        const json = JSON.parse(JSON.stringify({ ...st, x: Array.from(st.x) }));
        const b = make(new Rng(999));
        b.setState({ ...json, x: Float64Array.from(json.x) });
        expect(b.sigma()).toBe(a.sigma());
        for (let t = 0; t < 5; t++) {
          const oa = new Float32Array(5), ob = new Float32Array(5);
          a.sample(oa);
          b.sample(ob);
          expect(Array.from(ob)).toEqual(Array.from(oa));
        }
      }
    });
  }

  it("rejects a state of another kind or size, and bad options and outputs", () => {
    const g = new GaussianNoise(3, new Rng(0)), ou = new OUNoise(3, new Rng(0));
    expect(() => ou.setState(g.getState())).toThrow(/saved noise is "gaussian", this one is "ou"/);
    expect(() => new OUNoise(4, new Rng(0)).setState(ou.getState())).toThrow(/saved dim 3, this one has 4/);
    expect(() => g.sample(new Float32Array(2))).toThrow(/GaussianNoise.sample: out has length 2, expected dim = 3/);
    expect(() => new OUNoise(3, new Rng(0), { theta: 0 })).toThrow(/theta must be > 0/);
    expect(() => new GaussianNoise(3, new Rng(0), { decay: 1.5 })).toThrow(/decay must be in \(0, 1\]/);
    expect(() => new GaussianNoise(3, new Rng(0), { sigma: -1 })).toThrow(/sigma must be/);
    expect(() => new GaussianNoise(0, new Rng(0))).toThrow(/dim must be a positive integer/);
  });
});
