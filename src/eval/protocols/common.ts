// What the three evaluation protocols share (./original.ts, ./next-tracks.ts, ./online.ts):
// their inputs, option checks, the policies' random streams, the batched and checked
// recommend() loop, progress reporting, and small utilities. ../protocols.ts runs them.
//
// Seeds: the same seed gives every policy the same states; a policy's own randomness comes
// from Rng(hash(seed, name)), so results do not depend on the order policies are listed in.
// Pooling: a test session evaluated under S seeds is S units of one cluster; the point
// estimate averages all units, the bootstrap resamples clusters (sessions; for "online",
// episodes), and Estimate.n counts units.
//
// This file imports nothing from Node.
import { Rng } from "../../rng.js";
import type { Policy } from "../../core/policy.js";
import { stateRows, type States } from "../../core/state.js";
import { AGENT_POLICY, type Direction, type Estimate, type MetricResult } from "../types.js";
import type { BootstrapOptions } from "../bootstrap.js";
import { DiversitySpace } from "../metrics.js";

/** The session data the offline protocols read (an MssdDataset, or hand-built parts). */
export interface EvalSessions {
  /** Catalog size V. */
  readonly trackCount: number;
  sessionOffsets: Int32Array;
  tracks: Int32Array;
  /** LOG_FLAG bits per row (skip_2 is read). */
  flags: Uint16Array;
  /** Row of track t in `features`, or −1 (absent: no track has features). */
  featureRow?: Int32Array;
  /** Feature matrix, FEATURE_COLUMNS per row. */
  features?: Float32Array;
}

export interface EvalSplit {
  /** Training sessions (popularity for novelty). */
  train: ArrayLike<number>;
  /** Held-out sessions evaluated. */
  test: ArrayLike<number>;
}

/** The policies, the same for every seed or made per seed (e.g. one DDPG trained per seed). Names must be unique and stable. */
export type PolicySource = readonly Policy[] | ((seed: number) => readonly Policy[]);

/**
 * Progress of one protocol run: `done` of `total` policy runs (a policy under one seed), with
 * fractions while a run goes on. Called often; keep it cheap.
 */
export type ProgressFn = (done: number, total: number) => void;

export interface ProtocolOptions {
  /** Seeds pooled. Default [0]. */
  seeds?: number[];
  /** State length. Default 10. */
  N?: number;
  /** List length. Default 3. */
  K?: number;
  /** States per recommend() call. Default 128. */
  batch?: number;
  /** Resamples, seed and level of the intervals (defaults 1000, 0, 0.95). */
  bootstrap?: BootstrapOptions;
  /** The policy paired with every other one (paired differences). Default "ddpg". */
  agent?: string;
  /** Progress callback (see ProgressFn). */
  progress?: ProgressFn;
}

export interface Common {
  seeds: number[];
  N: number;
  K: number;
  batch: number;
  bootstrap: BootstrapOptions;
  agent: string;
}

export function common(o: ProtocolOptions): Common {
  const c = { seeds: o.seeds ?? [0], N: o.N ?? 10, K: o.K ?? 3, batch: o.batch ?? 128, bootstrap: o.bootstrap ?? {}, agent: o.agent ?? AGENT_POLICY };
  if (c.seeds.length === 0) throw new Error("evaluation: no seeds given");
  for (const s of c.seeds) if (!Number.isInteger(s)) throw new Error(`evaluation: seed ${s} is not an integer`);
  if (!(Number.isInteger(c.N) && c.N >= 1)) throw new Error(`evaluation: N must be a positive integer, got ${c.N}`);
  if (!(Number.isInteger(c.K) && c.K >= 1)) throw new Error(`evaluation: K must be a positive integer, got ${c.K}`);
  if (!(Number.isInteger(c.batch) && c.batch >= 1)) throw new Error(`evaluation: batch must be a positive integer, got ${c.batch}`);
  return c;
}

export function policiesFor(src: PolicySource, seed: number): readonly Policy[] {
  const ps = typeof src === "function" ? src(seed) : src;
  const names = new Set<string>();
  for (const p of ps) {
    if (names.has(p.name)) throw new Error(`evaluation: two policies are named "${p.name}"`);
    if (p.name === "logged") throw new Error('evaluation: "logged" is reserved for the logged reference');
    names.add(p.name);
  }
  return ps;
}

/** The policy's own random stream for a seed: independent of the order policies are listed in. */
export function policyRng(seed: number, name: string): Rng {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return new Rng(Math.imul(h ^ Math.imul(seed | 0, 0x9e3779b1), 0x85ebca6b) >>> 0);
}

/**
 * Each (seed, policy)'s own random stream (policyRng), kept across the calls of a protocol run
 * that comes in parts (chunks, rounds), so a policy's draws do not depend on how its states are cut.
 */
export class PolicyStreams {
  private readonly streams = new Map<string, Rng>();

  get(seed: number, name: string): Rng {
    const key = `${seed}\u0000${name}`;
    let rng = this.streams.get(key);
    if (!rng) this.streams.set(key, (rng = policyRng(seed, name)));
    return rng;
  }
}

/** Progress in (seed, policy) runs: `total` is seeds × the policies of the first seed (a factory gives each seed the same list). */
abstract class SeedRuns {
  protected total = 0;

  constructor(protected readonly fn: ProgressFn | undefined, private readonly seeds: number) {}

  /** The policies of a seed are known: sets the total on the first call. */
  plan(policies: number): void {
    if (this.total === 0) this.total = Math.max(1, this.seeds * policies);
  }
}

/** Counts policy runs for a ProgressFn; `at(fraction)` reports the current run's progress. */
export class RunCounter extends SeedRuns {
  private done = 0;

  /** The current run is `fraction` (0..1) done. */
  at(fraction: number): void {
    this.fn?.(Math.min(this.total, this.done + fraction), this.total);
  }

  /** The current run is finished. */
  next(): void {
    this.done++;
    this.fn?.(Math.min(this.total, this.done), this.total);
  }
}

/**
 * Asks `policy` for K tracks for each of `count` states (count, N), `batch` at a time, into
 * out (count, K), then checks each list: K distinct tracks in [0, V), none in its state.
 * `onBatch(statesDone)` follows the work.
 */
export function recommendAll(policy: Policy, st: States, count: number, N: number, K: number, out: Int32Array, rng: Rng, batch: number, V: number, onBatch?: (done: number) => void): void {
  for (let i = 0; i < count; i += batch) {
    const b = Math.min(batch, count - i);
    policy.recommend(stateRows(st, N, i, i + b), b, K, out.subarray(i * K, (i + b) * K), rng);
    onBatch?.(i + b);
  }
  const states = st.tracks;
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < K; k++) {
      const t = out[i * K + k];
      if (!(Number.isInteger(t) && t >= 0 && t < V)) throw new Error(`policy ${policy.name}: state ${i} slot ${k} holds ${t}, not a track in 0..${V - 1}`);
      for (let j = 0; j < k; j++) if (out[i * K + j] === t) throw new Error(`policy ${policy.name}: state ${i} slot ${k} repeats track ${t} of slot ${j}`);
      for (let n = 0; n < N; n++) if (states[i * N + n] === t) throw new Error(`policy ${policy.name}: state ${i} slot ${k} recommends track ${t}, already in the state`);
    }
  }
}

export function metric(id: string, label: string, direction: Direction, values: Record<string, Estimate>, note?: string): MetricResult {
  const m: MetricResult = { metric: id, label, direction, values };
  if (note) m.note = note;
  return m;
}

export function checkSessions(data: EvalSessions, sessions: ArrayLike<number>, what: string): void {
  const S = data.sessionOffsets.length - 1;
  for (let i = 0; i < sessions.length; i++) {
    const s = sessions[i];
    if (!(Number.isInteger(s) && s >= 0 && s < S)) throw new Error(`evaluation: ${what} session index ${s} outside 0..${S - 1}`);
  }
}

export function audioSpace(data: Pick<EvalSessions, "featureRow" | "features">): DiversitySpace | null {
  if (!data.featureRow || !data.features) return null;
  return DiversitySpace.audio(data.featureRow, data.features);
}

export function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/** A seeded subsample of n sessions (all when n ≥ their count), ascending. */
export function subsampleSessions(sessions: ArrayLike<number>, n: number, seed: number): Int32Array {
  const a = Int32Array.from(sessions);
  if (n >= a.length) return a;
  new Rng(seed).shuffle(a);
  return a.slice(0, n).sort();
}

/** CSR of the units of each cluster. */
export function clusterUnits(unitCluster: Int32Array, C: number): { start: Int32Array; units: Int32Array } {
  const start = new Int32Array(C + 1);
  for (let i = 0; i < unitCluster.length; i++) start[unitCluster[i] + 1]++;
  for (let c = 0; c < C; c++) start[c + 1] += start[c];
  const at = start.slice(0, C), units = new Int32Array(unitCluster.length);
  for (let i = 0; i < unitCluster.length; i++) units[at[unitCluster[i]]++] = i;
  return { start, units };
}

function grow<T extends Float64Array | Int32Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

/** A growable Int32 list (cluster offsets, recommended tracks), amortised doubling. */
export class IntList {
  data = new Int32Array(64);
  length = 0;

  push(x: number): void {
    if (this.length === this.data.length) this.data = grow(this.data, 2 * this.data.length);
    this.data[this.length++] = x;
  }

  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}

/**
 * Progress of a protocol whose work comes in parts (rounds, shards): each add() call covers
 * a span [from, to) of the whole run's work, and within it the (seed, policy) runs in turn.
 * Reports `done` of seeds × policies runs, never going back, ending exactly at the total.
 */
export class SpanProgress extends SeedRuns {
  private last = 0;

  /** The whole run is `fraction` (0..1) done. */
  at(fraction: number): void {
    if (!this.fn || this.total === 0) return;
    const d = Math.min(this.total, Math.max(this.last, fraction * this.total));
    this.last = d;
    this.fn(d, this.total);
  }

  /** Every run is finished. */
  end(): void {
    if (!this.fn || this.total === 0) return;
    this.last = this.total;
    this.fn(this.total, this.total);
  }
}

/** The part of a whole run one add() call covers, as fractions of it (default all of it). */
export interface WorkSpan {
  from: number;
  to: number;
}

/** The catalog-wide inputs of the offline protocols: catalog size and the audio features (no sessions). */
export type EvalCatalog = Pick<EvalSessions, "trackCount" | "featureRow" | "features">;

/** A policy source called once per seed over a whole run, however many parts it comes in. */
export function cachedPolicies(src: PolicySource): (seed: number) => readonly Policy[] {
  const cache = new Map<number, readonly Policy[]>();
  return (seed) => {
    let p = cache.get(seed);
    if (!p) cache.set(seed, (p = policiesFor(src, seed)));
    return p;
  };
}
