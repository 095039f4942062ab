// The online environment: the synthetic generator's ground-truth listener (src/data/synth.ts)
// plays what encore recommends. Each episode is one listening session: a new listener (taste
// near a home genre, personal skip propensity, mood), a history of N tracks played the way
// the generator's logging policy plays them (mostly from the home genre, popularity-biased),
// then `steps` lists of K recommended tracks. The listener keeps or skips each recommended
// track by the ground-truth skip model, in list order, and its taste drifts with what it hears;
// the state advances with every played track and its feedback (kept or skipped): the history's
// own plays carry the feedback the listener gave them too.
//
// Rewards: flags r_k = 1 for "not skipped"; the scalar list reward is Σ_k Γ^k r_k with the
// LIRD list discount Γ (default 0.9), as in the offline simulator, so both environments train
// the same objective.
//
// The oracle policy knows the listener's true skip probabilities: at each step it recommends
// the K unheard tracks least likely to be skipped at the next position (ListenerEnv.oracleOf: of
// each row's own listener, when several environments run in lockstep). It is the ceiling of
// the online protocol (a greedy one: it does not plan for drift inside the list).
//
// No `node:` imports.

import type { Rng } from "../rng.js";
import type { ListenerModel, ListenerState } from "../data/synth.js";
import type { Policy } from "../core/policy.js";
import { allocStates, type States } from "../core/state.js";
import { advanceState, checkList, type Environment, type StepResult } from "./env.js";

export interface ListenerEnvOptions {
  /** History length N. Default 10. */
  N: number;
  /** List size K. Default 3. */
  K: number;
  /** Recommended lists per episode. Default 4 (10 + 4·3 = 22 tracks, about an MSSD session). */
  steps: number;
  /** List discount Γ of the scalar reward. Default 0.9. */
  listGamma: number;
  /** Share of history tracks drawn from the listener's home genre (else the whole catalog). Default 0.7. */
  focus: number;
  /**
   * The catalog the agent sees, as model track indices: catalog index i is model track
   * catalog[i] (e.g. a dataset vocabulary built from generated logs, mapped through the track
   * ids). States and lists are in catalog indices; model tracks outside it are never played.
   * Default: the model's own order (catalog index = model index).
   */
  catalog?: Int32Array;
}

export const LISTENER_ENV_DEFAULTS: ListenerEnvOptions = { N: 10, K: 3, steps: 4, listGamma: 0.9, focus: 0.7 };

/** Bidirectional map between catalog indices and model track indices. */
class TrackMap {
  readonly toModel: Int32Array;
  readonly toCatalog: Int32Array;
  constructor(catalog: Int32Array | undefined, numTracks: number) {
    this.toModel = catalog ?? Int32Array.from({ length: numTracks }, (_, i) => i);
    this.toCatalog = new Int32Array(numTracks).fill(-1);
    this.toModel.forEach((m, c) => {
      if (!(Number.isInteger(m) && m >= 0 && m < numTracks)) throw new Error(`ListenerEnv: catalog[${c}] = ${m} is not a model track in [0, ${numTracks})`);
      if (this.toCatalog[m] >= 0) throw new Error(`ListenerEnv: model track ${m} appears twice in the catalog (at ${this.toCatalog[m]} and ${c})`);
      this.toCatalog[m] = c;
    });
  }
  get size(): number {
    return this.toModel.length;
  }
}

export class ListenerEnv implements Environment {
  readonly N: number;
  readonly K: number;
  readonly options: ListenerEnvOptions;
  /** The current listener (valid after reset). */
  listener: ListenerState | null = null;
  /** Steps taken in the current episode. */
  t = 0;
  private readonly bufA: States;
  private readonly bufB: States;
  private cur: States;
  private readonly result: StepResult;
  private done = true;
  /** Catalog index ↔ model track index. */
  readonly map: TrackMap;

  constructor(readonly model: ListenerModel, options: Partial<ListenerEnvOptions> = {}) {
    const o = { ...LISTENER_ENV_DEFAULTS, ...options };
    if (!(Number.isInteger(o.N) && o.N >= 1 && Number.isInteger(o.K) && o.K >= 1)) throw new Error(`ListenerEnv: N and K must be positive integers, got N = ${o.N}, K = ${o.K}`);
    if (!(Number.isInteger(o.steps) && o.steps >= 1)) throw new Error(`ListenerEnv: steps must be a positive integer, got ${o.steps}`);
    if (!(o.focus >= 0 && o.focus <= 1)) throw new Error(`ListenerEnv: focus must be in [0, 1], got ${o.focus}`);
    this.map = new TrackMap(o.catalog, model.numTracks);
    if (this.map.size < o.N + o.K * o.steps) throw new Error(`ListenerEnv: the catalog has ${this.map.size} tracks, too few for N + K·steps = ${o.N + o.K * o.steps}`);
    this.options = o;
    this.N = o.N;
    this.K = o.K;
    this.bufA = allocStates(1, o.N);
    this.bufB = allocStates(1, o.N);
    this.cur = this.bufA;
    this.result = { rewards: new Float32Array(o.K), reward: 0, next: this.bufB, done: false };
  }

  reset(rng: Rng): States {
    const m = this.model, o = this.options;
    const listener = m.newListener(rng);
    const st = this.bufA, s = st.tracks;
    const map = this.map;
    for (let n = 0; n < o.N; n++) {
      let track = -1;
      for (let tries = 0; tries < 32 && track < 0; tries++) {
        const c = map.toCatalog[m.sampleTrack(rng, rng.float() < o.focus ? listener.homeGenre : -1)];
        if (c >= 0 && !contains(s, 0, n, c)) track = c;
      }
      if (track < 0) track = firstUnused(s, n, map.size);
      s[n] = track;
      st.kept[n] = m.play(listener, map.toModel[track]) ? 0 : 1;
    }
    this.listener = listener;
    this.cur = st;
    this.t = 0;
    this.done = false;
    return st;
  }

  step(list: Int32Array): StepResult {
    if (this.done || this.listener === null) throw new Error("ListenerEnv: step() needs a reset() first (the episode has ended)");
    const m = this.model, o = this.options, r = this.result;
    checkList(list, this.cur.tracks, o.K, this.map.size, "ListenerEnv.step");
    let reward = 0, discount = 1;
    for (let k = 0; k < o.K; k++) {
      const skipped = m.play(this.listener, this.map.toModel[list[k]]);
      r.rewards[k] = skipped ? 0 : 1;
      reward += discount * r.rewards[k];
      discount *= o.listGamma;
    }
    const next = this.cur === this.bufA ? this.bufB : this.bufA;
    advanceState(this.cur, list, r.rewards, next);
    this.cur = next;
    this.t++;
    r.reward = reward;
    r.next = next;
    r.done = this.done = this.t >= o.steps;
    return r;
  }

  /** The oracle: for the current listener, the K unheard tracks least likely to be skipped next. */
  oracle(name = "oracle"): Policy {
    return ListenerEnv.oracleOf([this], name);
  }

  /**
   * The oracle of several environments run in lockstep (the online protocol with a list of
   * environments, which tells it each row's environment through onlineRows): row b of a
   * recommend() gets the K unheard tracks its own environment's listener is least likely to skip.
   * With one environment it takes one state at a time and needs no onlineRows. The environments
   * must share one model and catalog.
   */
  static oracleOf(envs: readonly ListenerEnv[], name = "oracle"): Policy {
    if (envs.length === 0) throw new Error("oracle: no environment given");
    const first = envs[0];
    for (const e of envs) if (e.model !== first.model || !sameTracks(e.map.toModel, first.map.toModel)) throw new Error("oracle: the environments must share one listener model and catalog");
    const probs = new Float64Array(first.model.numTracks);
    const rowEnv = new Int32Array(envs.length);
    let rows = -1;
    return {
      name,
      onlineRows(envOfRow: Int32Array, count: number): void {
        if (!(count >= 0 && count <= envs.length)) throw new Error(`oracle: ${count} rows, for ${envs.length} environments`);
        for (let b = 0; b < count; b++) {
          const j = envOfRow[b];
          if (!(j >= 0 && j < envs.length)) throw new Error(`oracle: row ${b} comes from environment ${j}, not one of its ${envs.length}`);
          rowEnv[b] = j;
        }
        rows = count;
      },
      recommend(s: States, B: number, K: number, out: Int32Array, _rng: Rng, exclude?: { ids: Int32Array; X: number }): void {
        const states = s.tracks;
        if (envs.length === 1) {
          if (B !== 1) throw new Error(`oracle: it knows only the environment's current listener, so it takes one state at a time (got ${B})`);
          rowEnv[0] = 0;
        } else if (rows !== B) {
          throw new Error(`oracle: ${B} states, but the rows' environments were given for ${rows} (run it in the online protocol, which calls onlineRows first)`);
        }
        rows = -1;
        const N = first.N, X = exclude ? exclude.X : 0, toModel = first.map.toModel;
        for (let b = 0; b < B; b++) {
          const env = envs[rowEnv[b]], listener = env.listener;
          if (listener === null) throw new Error("oracle: the environment has no listener yet (reset it first)");
          env.model.skipProbabilities(listener, probs);
          for (let k = 0; k < K; k++) {
            let best = -1, bestP = Infinity;
            for (let i = 0; i < toModel.length; i++) {
              const p = probs[toModel[i]];
              if (!(p < bestP)) continue;
              if (contains(states, b * N, b * N + N, i) || contains(out, b * K, b * K + k, i)) continue;
              if (exclude && contains(exclude.ids, b * X, b * X + X, i)) continue;
              best = i;
              bestP = p;
            }
            out[b * K + k] = best;
          }
        }
      },
    };
  }
}

function sameTracks(a: Int32Array, b: Int32Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function contains(a: Int32Array, from: number, to: number, x: number): boolean {
  for (let i = from; i < to; i++) if (a[i] === x) return true;
  return false;
}

function firstUnused(s: Int32Array, n: number, V: number): number {
  for (let t = 0; t < V; t++) if (!contains(s, 0, n, t)) return t;
  throw new Error("ListenerEnv: no unused track left");
}
