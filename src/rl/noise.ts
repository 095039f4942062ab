// Exploration noise added to the actor's K weight vectors (K·d floats) before the list is
// chosen: zero-mean Gaussian, or Ornstein–Uhlenbeck (the DDPG paper's choice, Lillicrap et al.
// 2015, arXiv 1509.02971, θ = 0.15, σ = 0.2). Both are zero-mean: the noise is symmetric, so
// it explores in every direction of the weight space (never a constant positive push).
//
// Schedule (both kinds): σ_t = max(σ_min, σ_0 · decay^t), t = draws taken so far. Defaults
// σ_0 = 0.2, σ_min = 0, decay = 1 (constant σ, as in the DDPG paper); e.g. decay = 0.9999
// halves σ about every 6,900 draws.
//
// Gaussian:  ε_t ~ N(0, σ_t² I), independent across draws.
// OU (μ = 0), exact discretisation of dx = −θ x dt + σ dW over a step dt:
//     x ← x·e^{−θ·dt} + σ_t·sqrt((1 − e^{−2θ·dt}) / (2θ))·z,   z ~ N(0, I)
//   For constant σ its stationary variance is exactly σ²/(2θ) whatever dt (Euler–Maruyama,
//   x ← x − θ x dt + σ√dt z, would give σ²/(θ(2 − θ dt)), 8% more at θ = 0.15, dt = 1, and
//   diverges for θ·dt ≥ 2). Lag-one autocorrelation e^{−θ·dt}. Defaults θ = 0.15, dt = 1.
//   reset() returns x to μ = 0 (call it at episode starts); the schedule's t is not reset.
//
// sample(out) ADDS one draw to `out` (out += ε) and advances t; to read the noise itself,
// pass zeros. It allocates nothing. Each noise owns the Rng it is given (pass rng.fork()):
// getState()/setState() include that Rng's state so a resumed run draws the same numbers.
//
// This file imports nothing from Node. Powers and exponentials come from src/dmath.ts, so the
// schedule and the OU constants have the same bits in every JavaScript engine.

import { Rng, type RngState } from "../rng.js";
import { exp, expm1, pow } from "../dmath.js";

export interface NoiseSchedule {
  /** σ_0, the scale at t = 0. Default 0.2. */
  sigma?: number;
  /** Floor of the decayed σ. Default 0. */
  sigmaMin?: number;
  /** Per-draw decay factor in (0, 1]; 1 keeps σ constant. Default 1. */
  decay?: number;
}

export interface OUOptions extends NoiseSchedule {
  /** Mean-reversion rate θ > 0. Default 0.15. */
  theta?: number;
  /** Time step dt > 0 per draw. Default 1. */
  dt?: number;
}

export const NOISE_DEFAULTS = { sigma: 0.2, sigmaMin: 0, decay: 1 };
export const OU_DEFAULTS = { ...NOISE_DEFAULTS, theta: 0.15, dt: 1 };

export type NoiseKind = "gaussian" | "ou";

/** Checkpoint form of a noise process. */
export interface NoiseState {
  kind: NoiseKind;
  dim: number;
  /** Draws taken (the schedule's t). */
  step: number;
  /** OU state x (dim); empty for Gaussian. */
  x: Float64Array;
  /** The owned Rng's state (JSON-safe). */
  rng: RngState;
}

export interface ExplorationNoise {
  readonly kind: NoiseKind;
  /** Length of every draw (K·d for the actor's weight vectors). */
  readonly dim: number;
  /** Draws taken so far. */
  readonly step: number;
  /** σ_t for the next draw. */
  sigma(): number;
  /** out (dim) += one noise draw; advances the schedule. */
  sample(out: Float32Array): void;
  /** Start of an episode: OU returns to 0; Gaussian has no state. */
  reset(): void;
  getState(): NoiseState;
  setState(state: NoiseState): void;
}

/** σ_t = max(σ_min, σ_0 · decay^t). */
export function scheduledSigma(s: Required<NoiseSchedule>, t: number): number {
  return Math.max(s.sigmaMin, s.sigma * pow(s.decay, t)); // dmath's pow: the same σ in every engine
}

function checkSchedule(who: string, s: Required<NoiseSchedule>): void {
  if (!(s.sigma >= 0 && Number.isFinite(s.sigma))) throw new Error(`${who}: sigma must be a finite number ≥ 0, got ${s.sigma}`);
  if (!(s.sigmaMin >= 0 && s.sigmaMin <= s.sigma)) throw new Error(`${who}: sigmaMin must be in [0, sigma = ${s.sigma}], got ${s.sigmaMin}`);
  if (!(s.decay > 0 && s.decay <= 1)) throw new Error(`${who}: decay must be in (0, 1], got ${s.decay}`);
}

function checkDim(who: string, dim: number): void {
  if (!(Number.isInteger(dim) && dim >= 1)) throw new Error(`${who}: dim must be a positive integer, got ${dim}`);
}

abstract class NoiseBase implements ExplorationNoise {
  abstract readonly kind: NoiseKind;
  protected t = 0;

  constructor(readonly dim: number, protected readonly schedule: Required<NoiseSchedule>, protected readonly rng: Rng) {}

  get step(): number {
    return this.t;
  }

  sigma(): number {
    return scheduledSigma(this.schedule, this.t);
  }

  protected checkOut(out: Float32Array): void {
    if (out.length !== this.dim) throw new Error(`${this.constructor.name}.sample: out has length ${out.length}, expected dim = ${this.dim}`);
  }

  abstract sample(out: Float32Array): void;
  abstract reset(): void;
  protected abstract stateVector(): Float64Array;

  getState(): NoiseState {
    return { kind: this.kind, dim: this.dim, step: this.t, x: this.stateVector().slice(), rng: this.rng.getState() };
  }

  setState(st: NoiseState): void {
    const who = `${this.constructor.name}.setState`;
    if (st.kind !== this.kind) throw new Error(`${who}: saved noise is "${st.kind}", this one is "${this.kind}"`);
    if (st.dim !== this.dim) throw new Error(`${who}: saved dim ${st.dim}, this one has ${this.dim}`);
    if (!(Number.isInteger(st.step) && st.step >= 0)) throw new Error(`${who}: step must be an integer ≥ 0, got ${st.step}`);
    const x = this.stateVector();
    if (st.x.length !== x.length) throw new Error(`${who}: state vector has ${st.x.length} entries, expected ${x.length}`);
    x.set(st.x);
    this.t = st.step;
    this.rng.setState(st.rng);
  }
}

/** ε ~ N(0, σ_t² I) per draw. */
export class GaussianNoise extends NoiseBase {
  readonly kind = "gaussian" as const;
  private static readonly EMPTY = new Float64Array(0);

  constructor(dim: number, rng: Rng, options: NoiseSchedule = {}) {
    const s = { ...NOISE_DEFAULTS, ...options };
    checkDim("GaussianNoise", dim);
    checkSchedule("GaussianNoise", s);
    super(dim, s, rng);
  }

  sample(out: Float32Array): void {
    this.checkOut(out);
    const sigma = this.sigma(), rng = this.rng;
    for (let i = 0; i < this.dim; i++) out[i] += sigma * rng.normal();
    this.t++;
  }

  reset(): void {}

  protected stateVector(): Float64Array {
    return GaussianNoise.EMPTY;
  }
}

/** Ornstein–Uhlenbeck process with μ = 0, exactly discretised (see the file header). */
export class OUNoise extends NoiseBase {
  readonly kind = "ou" as const;
  readonly theta: number;
  readonly dt: number;
  /** The process state x (dim), f64 so long runs do not accumulate f32 rounding. */
  readonly x: Float64Array;
  private readonly keep: number;
  private readonly scale: number;

  constructor(dim: number, rng: Rng, options: OUOptions = {}) {
    const o = { ...OU_DEFAULTS, ...options };
    checkDim("OUNoise", dim);
    checkSchedule("OUNoise", o);
    if (!(o.theta > 0 && Number.isFinite(o.theta))) throw new Error(`OUNoise: theta must be > 0, got ${o.theta}`);
    if (!(o.dt > 0 && Number.isFinite(o.dt))) throw new Error(`OUNoise: dt must be > 0, got ${o.dt}`);
    super(dim, { sigma: o.sigma, sigmaMin: o.sigmaMin, decay: o.decay }, rng);
    this.theta = o.theta;
    this.dt = o.dt;
    this.x = new Float64Array(dim);
    this.keep = exp(-o.theta * o.dt);
    // sqrt((1 − e^{−2θdt}) / (2θ)); -expm1 keeps precision when θ·dt is small.
    this.scale = Math.sqrt(-expm1(-2 * o.theta * o.dt) / (2 * o.theta));
  }

  /** σ²/(2θ): the stationary variance at the current σ_t. */
  stationaryVariance(): number {
    const s = this.sigma();
    return (s * s) / (2 * this.theta);
  }

  sample(out: Float32Array): void {
    this.checkOut(out);
    const x = this.x, keep = this.keep, c = this.sigma() * this.scale, rng = this.rng;
    for (let i = 0; i < this.dim; i++) {
      x[i] = keep * x[i] + c * rng.normal();
      out[i] += x[i];
    }
    this.t++;
  }

  reset(): void {
    this.x.fill(0);
  }

  protected stateVector(): Float64Array {
    return this.x;
  }
}
