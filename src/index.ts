// encore as a library for browsers, Web Workers and edge runtimes: the package's main entry.
//
// Everything here runs wherever WebAssembly and fetch exist; nothing reachable from this file
// imports `node:` (test/lib.test.ts bundles it for the browser platform, which fails on Node
// built-ins). Inputs are taken as bytes, a Blob, a fetch Response, or a URL to fetch, so the
// same calls work on a page (URLs, file pickers), in a Worker and in Node.
//
//   const rec = await createRecommender({ wasm: "encore.wasm", model: "model.encore", embeddings: "embeddings.bin" });
//   rec.recommend(history)        // → [{ trackId, score, index }] × K, history = ≥ N track ids, oldest first
//
//   const t = await createTrainer({ wasm, embeddings, listener: { seed: 0, model: { numTracks: 10000 } } });
//   await t.run(50, (m) => draw(m.reward));   // yields to the event loop between episodes
//   const bytes = t.saveModel();               // a model file, loadable by createRecommender and the CLI
//
// The recommender is what `encore recommend` and `encore serve` run (they open it through
// src/cli/library.ts): the model loaded by src/load.ts, which the CLI's training and evaluation
// use too, the engine compiled by src/engine/engine.ts whatever the source. Its HTTP API
// (src/api.ts) is exported for Workers and fetch-style servers.

import { compileSource, type EngineBuilds, type EngineOptions, type WasmSource } from "./engine/engine.js";
import { DdpgAgent, type DdpgConfig } from "./agent/ddpg.js";
import { Trainer, type TrainOptions } from "./agent/train.js";
import { decodeModel, encodeModel, type ModelHeader } from "./agent/checkpoint.js";
import { agentOn, identityOf, listenerCatalog, loadAgent } from "./load.js";
import { decodeEmbeddings, type LoadedEmbeddings } from "./embed/format.js";
import { ListenerModel, type SynthModelOptions } from "./data/synth.js";
import { ListenerEnv } from "./rl/listener-env.js";
import { Rng } from "./rng.js";
import { historyState, type HistoryItem } from "./core/history.js";
import { allocStates } from "./core/state.js";
import type { EpisodeMetrics } from "./core/episode.js";
import { slotScales, type SlotScale } from "./core/score-scale.js";

export type { WasmSource } from "./engine/engine.js";
export type { DdpgConfig } from "./agent/ddpg.js";
export type { TrainOptions } from "./agent/train.js";
export type { EpisodeMetrics } from "./core/episode.js";
export type { HistoryItem } from "./core/history.js";
export type { ModelHeader } from "./agent/checkpoint.js";
export type { SynthModelOptions } from "./data/synth.js";
export { RERANK_EXPLANATION, SCORE_EXPLANATION, type SlotScale } from "./core/score-scale.js";
import { RERANK_EXPLANATION, SCORE_EXPLANATION } from "./core/score-scale.js";
export { Engine } from "./engine/engine.js";
// The engine's builds and threads: Engine.load(engineBuilds(folder), plan, { threads, threadWorker: webThreads(url) }).
export { engineBuilds, relaxedSimdSupported, type EngineBuilds, type EngineOptions, type SimdBuild } from "./engine/engine.js";
export { webThreads, type ThreadSpawner } from "./engine/threads.js";
// The HTTP recommend API (`encore serve`, the example Worker): fetch handler and its pieces.
export { API_MAX_BODY, apiError, handleApi, healthResponse, readLimited, recommendResponse, type ApiResponse } from "./api.js";

/** Where a model, embeddings or JSON file comes from: bytes, a Blob (e.g. a picked File), a Response, or a URL to fetch. */
export type DataSource = ArrayBufferLike | ArrayBufferView | Blob | Response | Promise<Response> | URL | string;

/**
 * The engine (encore.wasm): its bytes, a compiled WebAssembly.Module (compile once, share it), a
 * Response, or a URL; or the set of builds (engineBuilds(folder)) for the engine to choose from.
 */
export type EngineSource = WasmSource | EngineBuilds;

/** Read a DataSource into bytes; `what` names it in errors. */
export async function readBytes(source: DataSource, what = "input"): Promise<Uint8Array> {
  if (typeof source === "string" || source instanceof URL) return new Uint8Array(await (await fetchOk(source, what)).arrayBuffer());
  const s = await source;
  if (typeof Response !== "undefined" && s instanceof Response) {
    if (!s.ok) throw new Error(`${what}: HTTP ${s.status} from ${s.url || "a response"}`);
    return new Uint8Array(await s.arrayBuffer());
  }
  if (typeof Blob !== "undefined" && s instanceof Blob) return new Uint8Array(await s.arrayBuffer());
  if (s instanceof Uint8Array) return s;
  if (ArrayBuffer.isView(s)) return new Uint8Array(s.buffer, s.byteOffset, s.byteLength);
  if (s instanceof ArrayBuffer || (typeof SharedArrayBuffer !== "undefined" && s instanceof SharedArrayBuffer)) return new Uint8Array(s);
  throw new Error(`${what}: expected bytes, a Blob, a Response or a URL, got ${Object.prototype.toString.call(s)}`);
}

/** Compile the engine once, to share one WebAssembly.Module between several recommenders and trainers. */
export function compileEngine(wasm: WasmSource): Promise<WebAssembly.Module> {
  return compileSource(wasm); // the one place the engine is compiled (src/engine/engine.ts)
}

async function fetchOk(url: URL | string, what: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`${what}: could not fetch ${String(url)}: ${(e as Error).message}`, { cause: e });
  }
  if (!response.ok) throw new Error(`${what}: could not fetch ${String(url)}: HTTP ${response.status}`);
  return response;
}

/** Load and verify an embeddings file (src/embed/format.ts): it must carry its track ids (the catalog). */
export async function loadEmbeddings(source: DataSource | LoadedEmbeddings, name = "embeddings"): Promise<LoadedEmbeddings> {
  if (isLoadedEmbeddings(source)) return source;
  const emb = decodeEmbeddings(await readBytes(source, name), { name });
  if (!emb.vocab) throw new Error(`${name}: saved without track ids; re-run 'encore embed' to get a file that can map ids`);
  return emb;
}

function isLoadedEmbeddings(x: unknown): x is LoadedEmbeddings {
  return typeof x === "object" && x !== null && (x as LoadedEmbeddings).E instanceof Float32Array && "vocabHash" in x;
}

/** One recommended track. */
export interface ScoredTrack {
  /** The track id from the embeddings file. */
  trackId: string;
  /** The slot's score: its weight vector · the track's embedding. */
  score: number;
  /** The track's row in the catalog (embeddings order). */
  index: number;
}

export interface Recommender {
  /** History length the model reads (the last N tracks). */
  readonly N: number;
  /** Tracks per recommended list. */
  readonly K: number;
  /** Tracks in the catalog (rows of the embeddings). */
  readonly catalogSize: number;
  /** Embedding width. */
  readonly d: number;
  /** The model file's header (config, identity, provenance in meta). */
  readonly header: ModelHeader;
  /** Track id of catalog row i. */
  trackId(i: number): string;
  /** Catalog row of a track id, or -1. */
  indexOf(trackId: string): number;
  /**
   * The first k (default K, at most K) tracks of the list the model recommends after `history`
   * (track ids, oldest first; at least N, the last N are used), none of them in those N.
   * Throws naming the first unknown id, or when the history is shorter than N.
   */
  recommend(history: readonly HistoryItem[], k?: number): ScoredTrack[];
  /** Catalog ids that start with `prefix` (case-insensitive), then ids that contain it, up to `limit` (default 20). */
  searchTracks(prefix: string, limit?: number): string[];
  /**
   * The list recommend(history) gives, each score on its own slot's scale: the slot's score
   * range over the catalog (minus the history) and the track's rank there (src/core/score-scale.ts).
   * Null when the model scores with more than w · e. Scans the catalog K times in JS.
   */
  scoreScales(history: readonly HistoryItem[]): SlotScale[] | null;
  /** What this model's scores mean, in a sentence for people (RERANK_EXPLANATION or SCORE_EXPLANATION). */
  readonly scoreExplanation: string;
}

export interface RecommenderOptions {
  /** The engine (encore.wasm): bytes, Module, Response or URL, or the set of builds (engineBuilds). */
  wasm: EngineSource;
  /** Engine options: `simd` ("simd128" | "relaxed" | "auto"), `threads` and `threadWorker` (webThreads(url)). */
  engine?: EngineOptions;
  /** A model file from `encore train` / `encore demo` or Trainer.saveModel(). */
  model: DataSource;
  /** The embeddings file the model was trained with (it must carry the track ids). */
  embeddings: DataSource | LoadedEmbeddings;
  /** How errors name the model file (default: its URL, or "model"). */
  modelName?: string;
}

/** Load the engine, a model and its embeddings into a ready recommender (checks that they belong together). */
export async function createRecommender(o: RecommenderOptions): Promise<Recommender> {
  const name = o.modelName ?? (typeof o.model === "string" ? o.model : "model");
  const [emb, modelBytes] = await Promise.all([loadEmbeddings(o.embeddings), readBytes(o.model, o.modelName ?? "model")]);
  const { agent, header } = await loadAgent(o.wasm, emb, modelBytes, name, { engine: o.engine });
  return recommenderOf(agent, emb, header);
}

function recommenderOf(agent: DdpgAgent, emb: LoadedEmbeddings, header: ModelHeader): Recommender {
  const vocab = emb.vocab!;
  const { N, K } = agent.config;
  const state = allocStates(1, N);
  const out = new Int32Array(K);
  let lower: string[] | null = null;
  return {
    N, K, catalogSize: emb.V, d: emb.d, header,
    trackId: (i) => vocab.id(i),
    indexOf: (id) => vocab.indexOf(id),
    recommend(history, k = K) {
      if (!Number.isInteger(k) || k < 1 || k > K) throw new Error(`recommend: k must be an integer in 1..${K} (the model's list size), got ${k}`);
      historyState(history, N, (id) => vocab.indexOf(id), state);
      agent.recommend(state, 1, out);
      const scores = agent.lastScores;
      const res: ScoredTrack[] = [];
      for (let i = 0; i < k; i++) res.push({ trackId: vocab.id(out[i]), score: scores[i], index: out[i] });
      return res;
    },
    scoreExplanation: agent.config.rerank > 0 ? RERANK_EXPLANATION : SCORE_EXPLANATION,
    scoreScales(history) {
      if (agent.config.rerank > 0) return null; // re-ranked lists are scored by the critic, not by w · e
      this.recommend(history); // fills `state` and `out`, and the top-k's scores
      return slotScales(agent.weights(state, 1), K, emb.d, emb.E, emb.V, state.tracks, out, agent.topk.scores.slice(0, K));
    },
    searchTracks(prefix, limit = 20) {
      lower ??= vocab.ids().map((s) => s.toLowerCase());
      const q = prefix.trim().toLowerCase();
      const starts: string[] = [], contains: string[] = [];
      for (let i = 0; i < lower.length && starts.length < limit; i++) {
        const j = lower[i].indexOf(q);
        if (j === 0) starts.push(vocab.id(i));
        else if (j > 0 && contains.length < limit) contains.push(vocab.id(i));
      }
      return [...starts, ...contains].slice(0, limit);
    },
  };
}

// ---------------------------------------------------------------------------------------
// Training against the synthetic ground-truth listener

/** The ground-truth listener of a synthetic data set: `synth.json` as `encore generate` writes it ({ seed, model }). */
export interface ListenerSpec {
  seed: number;
  model?: Partial<SynthModelOptions>;
}

export interface TrainerOptions {
  wasm: EngineSource;
  /** Engine options: `simd` ("simd128" | "relaxed" | "auto"), `threads` and `threadWorker` (webThreads(url)). */
  engine?: EngineOptions;
  /** Embeddings of a synthetic catalog (their track ids must be the listener's). */
  embeddings: DataSource | LoadedEmbeddings;
  /** The listener: its spec, or a DataSource of synth.json. */
  listener: ListenerSpec | DataSource;
  /** Network and DDPG settings (see TRAINER_DEFAULTS for what differs from the CLI's defaults). */
  config?: Partial<DdpgConfig>;
  /** Training loop settings. */
  train?: Partial<TrainOptions>;
  /** Recommended lists per episode. Default 4. */
  steps?: number;
  /** Seed of the initial weights and of training. Default 0. */
  seed?: number;
}

/** Settings of a small in-browser run: those of `encore demo` (actor lr 1e-3, τ 0.01, 4 steps), with batch 32. */
export const TRAINER_DEFAULTS: { config: Partial<DdpgConfig>; steps: number } = {
  config: { actorLr: 1e-3, tau: 0.01, batch: 32 },
  steps: 4,
};

export interface BrowserTrainer {
  readonly N: number;
  readonly K: number;
  /** Episodes finished. */
  readonly episode: number;
  /** Every episode's metrics so far. */
  readonly history: readonly EpisodeMetrics[];
  /** One episode, synchronously. */
  runEpisode(): EpisodeMetrics;
  /**
   * `episodes` more episodes, calling onEpisode after each and yielding to the event loop
   * between them (the page stays responsive; a Worker can receive a stop message). Stops
   * early, without error, when `signal` is aborted.
   */
  run(episodes: number, onEpisode?: (m: EpisodeMetrics) => void, signal?: AbortSignal): Promise<EpisodeMetrics[]>;
  /** The trained model as model-file bytes (with the trainer state, so the CLI can resume it). */
  saveModel(meta?: Record<string, unknown>): Uint8Array;
  /** A recommender over the live agent (it follows further training). */
  recommender(): Recommender;
}

/** Load the engine and embeddings, build the listener environment and a freshly initialised agent. */
export async function createTrainer(o: TrainerOptions): Promise<BrowserTrainer> {
  const emb = await loadEmbeddings(o.embeddings);
  const spec = await listenerSpecOf(o.listener);
  const listener = new ListenerModel({ ...spec.model, seed: spec.seed });
  const vocab = emb.vocab!;
  const catalog = listenerCatalog(listener, emb.V, (t) => vocab.id(t), (id) => `createTrainer: track ${id} of the embeddings is not in the listener's catalog (seed ${spec.seed}): not the synthetic data set these embeddings came from`);
  const steps = o.steps ?? TRAINER_DEFAULTS.steps;
  const seed = o.seed ?? 0;
  const config = { ...TRAINER_DEFAULTS.config, ...o.config };
  const agent = await agentOn(o.wasm, emb, config, { engine: o.engine });
  agent.initialize(new Rng(seed));
  const env = new ListenerEnv(listener, { catalog, steps, N: agent.config.N, K: agent.config.K });
  const trainer = new Trainer(agent, env, { ...o.train, seed, maxSteps: steps });
  const history: EpisodeMetrics[] = [];
  const identity = identityOf(emb);
  const header = (): ModelHeader => decodeModel(encodeModel(agent, identity)).header;
  const step = (): EpisodeMetrics => {
    const m = trainer.runEpisode();
    history.push(m);
    return m;
  };
  return {
    N: agent.config.N, K: agent.config.K,
    get episode() { return trainer.episode; },
    history,
    runEpisode: step,
    async run(episodes, onEpisode, signal) {
      const out: EpisodeMetrics[] = [];
      for (let e = 0; e < episodes && !signal?.aborted; e++) {
        const m = step();
        out.push(m);
        onEpisode?.(m);
        await yieldToEventLoop();
      }
      return out;
    },
    saveModel(meta = {}) {
      return encodeModel(agent, identity, trainer, { env: "listener", steps, seed, train: trainer.options, training: history, ...meta });
    },
    recommender: () => recommenderOf(agent, emb, header()),
  };
}

async function listenerSpecOf(x: ListenerSpec | DataSource): Promise<ListenerSpec> {
  const isSpec = typeof x === "object" && x !== null && typeof (x as ListenerSpec).seed === "number";
  const spec = isSpec ? (x as ListenerSpec) : (JSON.parse(new TextDecoder().decode(await readBytes(x as DataSource, "listener"))) as ListenerSpec);
  if (!Number.isInteger(spec.seed)) throw new Error(`listener: expected { seed, model } as in synth.json from 'encore generate', got seed ${JSON.stringify(spec.seed)}`);
  return spec;
}

/** Let pending events run: a macrotask (MessageChannel, which is not throttled like setTimeout), or setTimeout where absent. */
function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel === "undefined") return new Promise((r) => setTimeout(r, 0));
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}
