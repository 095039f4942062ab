// The DDPG training loop: episodes × steps against any Environment, exploration noise on
// the actor's weight vectors, a replay buffer of track indices, one or more updates per step,
// and per-episode metrics. Its whole state (networks, optimisers, targets, replay, noise,
// random streams, counters) can be captured and restored exactly, so resuming from a
// checkpoint gives the same result as an uninterrupted run with the same seed
// (src/agent/checkpoint.ts writes it to disk).
//
// No `node:` imports: training runs in browsers and Web Workers too.

import { Rng, type RngState } from "../rng.js";
import type { Environment } from "../rl/env.js";
import { ReplayBuffer, type ReplayBatch, type ReplayState } from "../rl/replay.js";
import { GaussianNoise, OUNoise, type ExplorationNoise, type NoiseKind, type NoiseState } from "../rl/noise.js";
import type { EpisodeMetrics } from "../core/episode.js";
import { allocStates, type States } from "../core/state.js";
import type { DdpgAgent } from "./ddpg.js";

export interface TrainOptions {
  /** Steps per episode at most (the environment may end it sooner). Default 20. */
  maxSteps: number;
  /** Transitions in the replay buffer before updates start. Default: the batch size. */
  warmup: number;
  /** Updates per environment step. Default 1. */
  updatesPerStep: number;
  /** Replay capacity in transitions. Default 10,000. */
  replayCapacity: number;
  /** Exploration noise on the weight vectors. Default Gaussian, σ 0.2 decaying 0.9999 per draw to 0.02. */
  noise: { kind: NoiseKind; sigma: number; sigmaMin: number; decay: number; theta?: number };
  /** Seed of every random choice of training (episode starts, replay sampling, noise). Default 0. */
  seed: number;
}

export const TRAIN_DEFAULTS: TrainOptions = {
  maxSteps: 20,
  warmup: -1, // resolved to the agent's batch size
  updatesPerStep: 1,
  replayCapacity: 10_000,
  noise: { kind: "gaussian", sigma: 0.2, sigmaMin: 0.02, decay: 0.9999 },
  seed: 0,
};

/** Everything a resumed run needs, besides the agent's parameter arenas. */
export interface TrainerState {
  episode: number;
  totalSteps: number;
  totalUpdates: number;
  rng: RngState;
  replayRng: RngState;
  noise: NoiseState;
  replay: ReplayState;
  actorAdamT: number;
  criticAdamT: number;
}

export class Trainer {
  readonly options: TrainOptions;
  readonly replay: ReplayBuffer;
  readonly noise: ExplorationNoise;
  /** Episodes finished. */
  episode = 0;
  totalSteps = 0;
  totalUpdates = 0;
  private readonly rng: Rng;
  private readonly replayRng: Rng;
  private readonly batch: ReplayBatch;
  private readonly list: Int32Array;
  private readonly state: States;

  constructor(readonly agent: DdpgAgent, readonly env: Environment, options: Partial<TrainOptions> = {}) {
    const o: TrainOptions = { ...TRAIN_DEFAULTS, ...options, noise: { ...TRAIN_DEFAULTS.noise, ...options.noise } };
    const { N, K, batch } = agent.config;
    if (o.warmup < 0) o.warmup = batch;
    if (env.N !== N || env.K !== K) throw new Error(`Trainer: the environment has N = ${env.N}, K = ${env.K}; the agent N = ${N}, K = ${K}`);
    if (!(Number.isInteger(o.maxSteps) && o.maxSteps >= 1)) throw new Error(`Trainer: maxSteps must be a positive integer, got ${o.maxSteps}`);
    if (!(Number.isInteger(o.updatesPerStep) && o.updatesPerStep >= 0)) throw new Error(`Trainer: updatesPerStep must be an integer ≥ 0, got ${o.updatesPerStep}`);
    if (o.replayCapacity < batch) throw new Error(`Trainer: replay capacity ${o.replayCapacity} is below the batch size ${batch}`);
    this.options = o;
    this.rng = new Rng(o.seed);
    this.replayRng = this.rng.fork();
    const noiseRng = this.rng.fork();
    const dim = K * agent.catalog.d;
    const sched = { sigma: o.noise.sigma, sigmaMin: o.noise.sigmaMin, decay: o.noise.decay };
    this.noise = o.noise.kind === "ou" ? new OUNoise(dim, noiseRng, { ...sched, theta: o.noise.theta }) : new GaussianNoise(dim, noiseRng, sched);
    this.replay = new ReplayBuffer(N, K, o.replayCapacity);
    this.batch = this.replay.createBatch(batch);
    this.list = new Int32Array(K);
    this.state = allocStates(1, N);
  }

  /** Run one episode: act with noise, store transitions, update; returns its metrics. */
  runEpisode(): EpisodeMetrics {
    const { agent, env, replay, noise, options: o } = this;
    const batchSize = agent.config.batch;
    const addNoise = (w: Float32Array): void => noise.sample(w);
    noise.reset();
    copyState(env.reset(this.rng), this.state);
    let reward = 0, steps = 0, updates = 0, sumQ = 0, sumLoss = 0, sumObj = 0;
    for (let t = 0; t < o.maxSteps; t++) {
      agent.recommend(this.state, 1, this.list, addNoise);
      const r = env.step(this.list);
      replay.push(this.state, this.list, r.rewards, r.reward, r.next, r.done);
      reward += r.reward;
      steps++;
      this.totalSteps++;
      if (replay.size >= Math.max(o.warmup, batchSize)) {
        for (let u = 0; u < o.updatesPerStep; u++) {
          replay.sampleInto(this.replayRng, this.batch);
          const m = agent.update(this.batch);
          sumLoss += m.criticLoss;
          sumObj += m.actorObjective;
          sumQ += m.meanQ;
          updates++;
          this.totalUpdates++;
        }
      }
      if (r.done) break;
      copyState(r.next, this.state);
    }
    this.episode++;
    return {
      episode: this.episode,
      steps,
      reward,
      meanQ: updates > 0 ? sumQ / updates : NaN,
      criticLoss: updates > 0 ? sumLoss / updates : NaN,
      actorObjective: updates > 0 ? sumObj / updates : NaN,
      updates,
      noise: noise.sigma(),
    };
  }

  /** Run `episodes` more episodes, calling onEpisode after each. */
  run(episodes: number, onEpisode?: (m: EpisodeMetrics) => void): EpisodeMetrics[] {
    const out: EpisodeMetrics[] = [];
    for (let e = 0; e < episodes; e++) {
      const m = this.runEpisode();
      out.push(m);
      onEpisode?.(m);
    }
    return out;
  }

  /** The trainer's state (views into live buffers: encode it before training on). */
  getState(): TrainerState {
    return {
      episode: this.episode,
      totalSteps: this.totalSteps,
      totalUpdates: this.totalUpdates,
      rng: this.rng.getState(),
      replayRng: this.replayRng.getState(),
      noise: this.noise.getState(),
      replay: this.replay.getState(),
      actorAdamT: this.agent.actorOpt.t,
      criticAdamT: this.agent.criticOpt.t,
    };
  }

  setState(s: TrainerState): void {
    this.episode = s.episode;
    this.totalSteps = s.totalSteps;
    this.totalUpdates = s.totalUpdates;
    this.rng.setState(s.rng);
    this.replayRng.setState(s.replayRng);
    this.noise.setState(s.noise);
    this.replay.setState(s.replay);
    this.agent.actorOpt.t = s.actorAdamT;
    this.agent.criticOpt.t = s.criticAdamT;
  }
}

function copyState(src: States, dst: States): void {
  dst.tracks.set(src.tracks);
  dst.kept.set(src.kept);
}
