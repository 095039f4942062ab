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
import { LoggedTransitions, type LoggedBatch } from "../rl/logged.js";
import { LoggedStream, type LoggedStreamState } from "../rl/logged-stream.js";
import { ReplayBuffer, type ReplayBatch, type ReplayState } from "../rl/replay.js";
import { GaussianNoise, OUNoise, type ExplorationNoise, type NoiseKind, type NoiseState } from "../rl/noise.js";
import type { EpisodeMetrics } from "../core/episode.js";
import { allocStates, type States } from "../core/state.js";
import type { DdpgAgent, Exploration } from "./ddpg.js";

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
  /** Re-ranking agents: Gumbel temperature of the critic's choice while training (0: greedy). Default 0.1. */
  temperature: number;
  /** Run the periodic evaluation after every this many episodes (0: never). Default 0. */
  evalEvery: number;
  /** Greedy episodes per evaluation. Default 20. */
  evalEpisodes: number;
  /** Seed of every random choice of training (episode starts, replay sampling, noise). Default 0. */
  seed: number;
}

export const TRAIN_DEFAULTS: TrainOptions = {
  maxSteps: 20,
  warmup: -1, // resolved to the agent's batch size
  updatesPerStep: 1,
  replayCapacity: 10_000,
  noise: { kind: "gaussian", sigma: 0.2, sigmaMin: 0.02, decay: 0.9999 },
  temperature: 0.1,
  evalEvery: 0,
  evalEpisodes: 20,
  seed: 0,
};

/** Everything a resumed run needs, besides the agent's parameter arenas. */
export interface TrainerState {
  episode: number;
  totalSteps: number;
  totalUpdates: number;
  rng: RngState;
  replayRng: RngState;
  exploreRng: RngState;
  noise: NoiseState;
  replay: ReplayState;
  actorAdamT: number;
  criticAdamT: number;
  /** Learning from a LoggedStream: where it stands (its window and the batches drawn from it). */
  stream?: LoggedStreamState;
}

/** What offline training draws its batches from: the logged samples in memory, or streamed window by window. */
export type LoggedSource = LoggedTransitions | LoggedStream;

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
  /** Gumbel noise of the critic's choice and TD3's target smoothing. */
  private readonly exploreRng: Rng;
  private readonly exploration: Exploration;
  private readonly batch: ReplayBatch;
  /** Learning from logged sessions: the transitions and their reused batch (null online). */
  private readonly logged: LoggedSource | null;
  private readonly loggedBatch: LoggedBatch | null;
  private readonly list: Int32Array;
  private readonly state: States;

  /**
   * `env`: an Environment to act in (DDPG online), or LoggedTransitions (or a LoggedStream,
   * src/rl/logged-stream.ts) to learn from what listeners did (offline: each episode is maxSteps
   * updates of DdpgAgent.updateOffline on batches drawn from the log; no acting, no
   * exploration, no replay).
   */
  constructor(readonly agent: DdpgAgent, readonly env: Environment | LoggedSource, options: Partial<TrainOptions> = {}) {
    const o: TrainOptions = { ...TRAIN_DEFAULTS, ...options, noise: { ...TRAIN_DEFAULTS.noise, ...options.noise } };
    const { N, K, batch } = agent.config;
    if (o.warmup < 0) o.warmup = batch;
    if (env.N !== N || env.K !== K) throw new Error(`Trainer: the environment has N = ${env.N}, K = ${env.K}; the agent N = ${N}, K = ${K}`);
    this.logged = env instanceof LoggedTransitions || env instanceof LoggedStream ? env : null;
    this.loggedBatch = this.logged ? this.logged.createBatch(batch) : null;
    if (!(Number.isInteger(o.maxSteps) && o.maxSteps >= 1)) throw new Error(`Trainer: maxSteps must be a positive integer, got ${o.maxSteps}`);
    if (!(Number.isInteger(o.updatesPerStep) && o.updatesPerStep >= 0)) throw new Error(`Trainer: updatesPerStep must be an integer ≥ 0, got ${o.updatesPerStep}`);
    if (o.replayCapacity < batch) throw new Error(`Trainer: replay capacity ${o.replayCapacity} is below the batch size ${batch}`);
    this.options = o;
    this.rng = new Rng(o.seed);
    this.replayRng = this.rng.fork();
    const noiseRng = this.rng.fork();
    this.exploreRng = this.rng.fork();
    if (!(o.temperature >= 0)) throw new Error(`Trainer: temperature must be ≥ 0, got ${o.temperature}`);
    if (!(Number.isInteger(o.evalEvery) && o.evalEvery >= 0 && Number.isInteger(o.evalEpisodes) && o.evalEpisodes >= 1)) throw new Error(`Trainer: evalEvery must be an integer ≥ 0 and evalEpisodes ≥ 1, got ${o.evalEvery}, ${o.evalEpisodes}`);
    const dim = K * agent.A;
    const sched = { sigma: o.noise.sigma, sigmaMin: o.noise.sigmaMin, decay: o.noise.decay };
    this.noise = o.noise.kind === "ou" ? new OUNoise(dim, noiseRng, { ...sched, theta: o.noise.theta }) : new GaussianNoise(dim, noiseRng, sched);
    this.replay = new ReplayBuffer(N, K, o.replayCapacity, agent.featureWidth);
    this.batch = this.replay.createBatch(batch);
    this.list = new Int32Array(K);
    this.state = allocStates(1, N);
    const noise = this.noise;
    this.exploration = { rng: this.exploreRng, perturb: (w) => noise.sample(w), temperature: o.temperature };
  }

  /** Run one episode: act with noise, store transitions, update; returns its metrics. */
  runEpisode(): EpisodeMetrics {
    if (this.logged) return this.runLoggedEpisode(this.logged, this.loggedBatch!);
    const { agent, replay, noise, options: o } = this;
    const env = this.env as Environment;
    const batchSize = agent.config.batch;
    noise.reset();
    copyState(env.reset(this.rng), this.state);
    let reward = 0, steps = 0, updates = 0, sumQ = 0, sumLoss = 0, sumObj = 0, actorSteps = 0;
    for (let t = 0; t < o.maxSteps; t++) {
      agent.recommend(this.state, 1, this.list, this.exploration);
      const r = env.step(this.list);
      replay.push(this.state, this.list, r.rewards, r.reward, r.next, r.done, agent.lastFeatures);
      reward += r.reward;
      steps++;
      this.totalSteps++;
      if (replay.size >= Math.max(o.warmup, batchSize)) {
        for (let u = 0; u < o.updatesPerStep; u++) {
          replay.sampleInto(this.replayRng, this.batch);
          const m = agent.update(this.batch, this.exploreRng);
          sumLoss += m.criticLoss;
          if (!Number.isNaN(m.actorObjective)) {
            sumObj += m.actorObjective;
            actorSteps++;
          }
          sumQ += m.meanQ;
          updates++;
          this.totalUpdates++;
        }
      }
      if (r.done) break;
      copyState(r.next, this.state);
    }
    this.episode++;
    const m: EpisodeMetrics = {
      episode: this.episode,
      steps,
      reward,
      meanQ: updates > 0 ? sumQ / updates : NaN,
      criticLoss: updates > 0 ? sumLoss / updates : NaN,
      actorObjective: actorSteps > 0 ? sumObj / actorSteps : NaN,
      updates,
      noise: noise.sigma(),
    };
    if (o.evalEvery > 0 && this.episode % o.evalEvery === 0 && !this.logged) {
      const e = this.evaluate(o.evalEpisodes);
      m.evalPredictedQ = e.predictedQ;
      m.evalReturn = e.measuredReturn;
    }
    return m;
  }

  /**
   * Offline: maxSteps updates on batches drawn from the log. The episode's reward is the mean
   * logged list reward of its batches (what the listeners' own lists earned: a property of the
   * data, not of the agent); its losses and Q are the updates'.
   */
  private runLoggedEpisode(log: LoggedSource, batch: LoggedBatch): EpisodeMetrics {
    const { agent, options: o } = this;
    let reward = 0, sumQ = 0, sumLoss = 0, sumObj = 0, actorSteps = 0;
    for (let t = 0; t < o.maxSteps; t++) {
      log.sampleInto(this.replayRng, batch);
      const m = agent.updateOffline(batch, this.exploreRng);
      for (let b = 0; b < batch.B; b++) reward += batch.reward[b] / batch.B;
      sumLoss += m.criticLoss;
      sumQ += m.meanQ;
      if (!Number.isNaN(m.actorObjective)) {
        sumObj += m.actorObjective;
        actorSteps++;
      }
      this.totalSteps++;
      this.totalUpdates++;
    }
    this.episode++;
    return {
      episode: this.episode, steps: o.maxSteps, reward: reward / o.maxSteps,
      meanQ: sumQ / o.maxSteps, criticLoss: sumLoss / o.maxSteps, actorObjective: actorSteps > 0 ? sumObj / actorSteps : NaN,
      updates: o.maxSteps, noise: 0,
    };
  }

  /**
   * Greedy episodes (no exploration) from fixed seeded starts, the same at every call: the mean
   * Q the critic predicts for each (state, list) it acts on, beside the discounted return
   * Σ_j γ^j r_{t+j} actually measured from there to the episode's end (γ the agent's discount, so
   * with γ = 0 it is the list's own reward). Their gap shows over- or under-estimation. Uses
   * only its own random stream: training continues exactly as without it.
   */
  evaluate(episodes: number): { predictedQ: number; measuredReturn: number; episodes: number } {
    const { agent, options: o } = this;
    if (this.logged) throw new Error("Trainer.evaluate: learning from logged sessions has no environment to act in");
    const env = this.env as Environment;
    const gamma = agent.config.gamma, rng = new Rng(0x5eed0e7a ^ o.seed);
    const qs: number[] = [], rs: number[] = [];
    let sumQ = 0, sumG = 0, n = 0;
    for (let e = 0; e < episodes; e++) {
      copyState(env.reset(rng), this.state);
      qs.length = 0;
      rs.length = 0;
      for (let t = 0; t < o.maxSteps; t++) {
        agent.recommend(this.state, 1, this.list);
        qs.push(agent.q(this.state, this.list, 1)[0]);
        const r = env.step(this.list);
        rs.push(r.reward);
        if (r.done) break;
        copyState(r.next, this.state);
      }
      let g = 0;
      for (let t = rs.length - 1; t >= 0; t--) {
        g = rs[t] + gamma * g;
        sumG += g;
        sumQ += qs[t];
        n++;
      }
    }
    return { predictedQ: sumQ / n, measuredReturn: sumG / n, episodes };
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
      exploreRng: this.exploreRng.getState(),
      noise: this.noise.getState(),
      replay: this.replay.getState(),
      actorAdamT: this.agent.actorOpt.t,
      criticAdamT: this.agent.criticOpt.t,
      ...(this.logged instanceof LoggedStream ? { stream: this.logged.getState() } : {}),
    };
  }

  setState(s: TrainerState): void {
    const streaming = this.logged instanceof LoggedStream;
    if (streaming !== (s.stream !== undefined)) {
      throw new Error(streaming ? "Trainer: the checkpoint was trained from logged samples in memory (a dataset cache), not streamed from a sharded dataset" : "Trainer: the checkpoint was streamed from a sharded dataset's shards; resume it from the same sharded dataset");
    }
    if (s.stream) (this.logged as LoggedStream).setState(s.stream);
    this.episode = s.episode;
    this.totalSteps = s.totalSteps;
    this.totalUpdates = s.totalUpdates;
    this.rng.setState(s.rng);
    this.replayRng.setState(s.replayRng);
    this.exploreRng.setState(s.exploreRng);
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
