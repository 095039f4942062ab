// The work behind the CLI commands, as functions: `encore demo` chains them, and each
// command is a thin wrapper that parses options and prints results.
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { writeSynthetic } from "../data/synth-write.js";
import { DEFAULT_SYNTH_MODEL_OPTIONS, ListenerModel, type SynthModelOptions } from "../data/synth.js";
import { loadOrBuildDataset } from "../data/cache.js";
import { ORIGINAL_PRESET, resolveDatasetOptions, type DatasetOptions, type MssdDataset } from "../data/dataset.js";
import { LOG_FLAG } from "../data/log-parser.js";
import { FileSet, readFileNamed, writeFileAtomic } from "../io/atomic.js";
import { readDatasetCache } from "../data/cache.js";
import { buffersOfProcessBudget, buildShardedDataset, MANIFEST_FILE, openShardedDataset, type ShardedDataset } from "../data/shards.js";
import { splitSessions, type SessionSplit } from "../data/split.js";
import { buildSamples } from "../data/samples.js";
import { buildEmbeddings, type BuiltEmbeddings, type EmbeddingInput, type EmbeddingKind, type StreamedEmbeddingInput } from "../embed/build.js";
import { shardTrainingSource } from "../embed/shard-source.js";
import { exportEmbeddingsCsv, loadEmbeddings, saveEmbeddings } from "../embed/file.js";
import type { LoadedEmbeddings } from "../embed/format.js";
import { DdpgAgent, biasFromPlays, DDPG_DEFAULTS, LISTWISE_NETWORKS, ORIGINAL_NETWORKS, W1_NETWORKS, type DdpgConfig } from "../agent/ddpg.js";
import { Trainer, type TrainOptions } from "../agent/train.js";
import { applyModel, checkModel, decodeModel, encodeModel, type DecodedModel } from "../agent/checkpoint.js";
import { DdpgPolicy } from "../agent/policy.js";
import { DivergenceGuard, agentParams } from "../agent/guard.js";
import { LirdSimulator, LIRD_MIN_SPREAD, lirdRewardSpread } from "../rl/lird.js";
import { LoggedTransitions } from "../rl/logged.js";
import { LoggedStream } from "../rl/logged-stream.js";
import { shardedPlayCounts, shardWindows } from "./train-shards.js";
import type { Environment } from "../rl/env.js";
import { ListenerEnv, LISTENER_ENV_DEFAULTS } from "../rl/listener-env.js";
import { evaluate, subsampleSessions, type ProtocolId } from "../eval/protocols.js";
import { ItemKnnPolicy, PopularPolicy, RandomPolicy, trainingPlayCounts, trainingPlayCountsStream } from "../eval/baselines.js";
import { fitMarkov, fitSknn, fitVsknn } from "../eval/session-baselines.js";
import { compactSessions } from "../eval/sources.js";
import type { SourceSessions } from "../core/candidates.js";
import type { TrainingSessions } from "../eval/baselines.js";
import { configOfTraining, trainingReferencesFrom } from "../report/summary.js";
import { ORIGINAL_FIGURES, type EpisodeMetrics, type EvaluationReport, type ProtocolResult } from "../eval/types.js";
import type { Policy } from "../core/policy.js";
import { Rng } from "../rng.js";
import type { HistoryItem } from "../core/history.js";
import { engineModule } from "./wasm.js";
import { openRecommender } from "./library.js";
import { agentOn, identityOf, listenerCatalog, loadAgent } from "../load.js";
import type { ScoredTrack } from "../index.js";

/** What `encore generate` writes beside the CSV files, so later steps can rebuild the ground-truth listener. */
export interface SynthManifest {
  format: "encore-synth";
  seed: number;
  sessions: number;
  model: Partial<SynthModelOptions>;
  log: string;
  tf: string;
  /** Byte size of each file of the set: a log and manifest from different runs do not pair. */
  sizes?: Record<string, number>;
}

export interface GenerateOptions {
  dir: string;
  sessions: number;
  tracks: number;
  seed: number;
  gzip: boolean;
}

/**
 * Generate the synthetic set: log, track features and synth.json, all-or-nothing (a FileSet:
 * the old manifest is removed first and the new one renamed last, so a manifest only ever
 * describes a complete set).
 */
export async function generate(o: GenerateOptions): Promise<SynthManifest & { logBytes: number; tfBytes: number; dir: string }> {
  const model = { numTracks: o.tracks };
  mkdirSync(o.dir, { recursive: true });
  const set = new FileSet();
  const manifestPath = join(o.dir, "synth.json");
  try {
    const w = await writeSynthetic({ dir: o.dir, seed: o.seed, numSessions: o.sessions, gzip: o.gzip, model, set });
    const sizes = { [basename(w.logPath)]: set.stagedSize(w.logPath), [basename(w.tfPath)]: set.stagedSize(w.tfPath) };
    const manifest: SynthManifest = { format: "encore-synth", seed: o.seed, sessions: o.sessions, model, log: basename(w.logPath), tf: basename(w.tfPath), sizes };
    await set.bytes(manifestPath, new TextEncoder().encode(JSON.stringify(manifest, null, 2) + "\n"));
    await set.commit([manifestPath]);
    return { ...manifest, logBytes: w.logBytes, tfBytes: w.tfBytes, dir: o.dir };
  } catch (e) {
    set.abort();
    throw e;
  }
}

/** The synthetic manifest next to a log file, if the log was generated by encore; throws when they do not pair. */
export function findSynthManifest(logPath: string): SynthManifest | null {
  const p = join(dirname(logPath), "synth.json");
  if (!existsSync(p)) return null;
  let m: SynthManifest;
  try {
    m = JSON.parse(readFileSync(p, "utf8")) as SynthManifest;
  } catch (e) {
    throw new Error(`${p}: not a readable synth.json (${(e as Error).message})`, { cause: e });
  }
  if (m?.format !== "encore-synth" || basename(logPath) !== m.log) return null;
  for (const [name, size] of Object.entries(m.sizes ?? {})) {
    const f = join(dirname(logPath), name);
    const actual = existsSync(f) ? statSync(f).size : -1;
    if (actual !== size) throw new Error(`${p}: describes ${name} of ${size} bytes, found ${actual < 0 ? "no such file" : `${actual} bytes`} (files of another 'encore generate' run; generate again)`);
  }
  return m;
}

/** Rebuild the ground-truth listener model a manifest describes. */
export function listenerModelOf(m: SynthManifest): ListenerModel {
  return new ListenerModel({ ...DEFAULT_SYNTH_MODEL_OPTIONS, ...m.model, seed: m.seed });
}

export interface PrepareOptions {
  logs: string[];
  trackFeatures: string[];
  cache: string;
  preset?: "original";
  filters: DatasetOptions;
  lenient: boolean;
  /** Memory for the session-id set in MiB before it spills sorted runs beside the cache (default 256). */
  idMemoryMiB?: number;
}

export async function prepare(o: PrepareOptions): Promise<{ dataset: MssdDataset; cache: string; reason?: string }> {
  if (o.logs.length === 0) throw new Error("no session log given (pass one or more log_*.csv[.gz] files)");
  for (const f of [...o.logs, ...o.trackFeatures]) {
    if (!existsSync(f)) throw new Error(`${f}: no such file`);
    if (statSync(f).isDirectory()) throw new Error(`${f}: is a directory, not a file`);
  }
  if (existsSync(o.cache) && statSync(o.cache).isDirectory()) throw new Error(`--cache ${o.cache}: is a directory, not a file (give the cache file's path, e.g. ${join(o.cache, "dataset.bin")})`);
  const options: DatasetOptions = { ...(o.preset === "original" ? ORIGINAL_PRESET : {}), ...o.filters, lenient: o.lenient };
  resolveDatasetOptions(options); // a bad combination fails before anything is written
  mkdirSync(dirname(o.cache), { recursive: true });
  const r = await loadOrBuildDataset({ logs: o.logs, trackFeatures: o.trackFeatures }, options, { path: o.cache },
    { sessionIds: { memoryBytes: (o.idMemoryMiB ?? 256) * 1024 * 1024 } });
  return { dataset: r.dataset, cache: r.cache, reason: r.reason };
}

export interface PrepareShardedOptions extends Omit<PrepareOptions, "cache" | "idMemoryMiB"> {
  /** The sharded dataset's directory. */
  dir: string;
  /** Memory budget in MiB: the build's peak resident set, the vocabularies excepted (buffersOfProcessBudget, src/data/shards.ts). */
  memoryBudgetMiB: number;
  /** Build even when the folder already holds this build. */
  rebuild?: boolean;
}

/** `encore prepare --shards`: the sharded, out-of-core dataset (src/data/shards.ts). */
export async function prepareSharded(o: PrepareShardedOptions): Promise<{ dataset: ShardedDataset; cache: "hit" | "built" | "rebuilt"; reason?: string }> {
  if (o.logs.length === 0) throw new Error("no session log given (pass one or more log_*.csv[.gz] files)");
  const memoryBytes = buffersOfProcessBudget(o.memoryBudgetMiB * 1024 * 1024, process.memoryUsage().rss);
  for (const f of [...o.logs, ...o.trackFeatures]) {
    if (!existsSync(f)) throw new Error(`${f}: no such file`);
    if (statSync(f).isDirectory()) throw new Error(`${f}: is a directory, not a file`);
  }
  if (existsSync(o.dir) && !statSync(o.dir).isDirectory()) throw new Error(`--shards ${o.dir}: is a file, not a directory`);
  const options: DatasetOptions = { ...(o.preset === "original" ? ORIGINAL_PRESET : {}), ...o.filters, lenient: o.lenient };
  resolveDatasetOptions(options);
  const r = await buildShardedDataset({ logs: o.logs, trackFeatures: o.trackFeatures }, o.dir, options, { memoryBytes, rebuild: o.rebuild });
  return { dataset: openShardedDataset(o.dir), cache: r.cache, reason: r.reason };
}

/** A sharded dataset's headline figures (as datasetSummary's, plus its shards). */
export function shardedSummary(ds: ShardedDataset): Record<string, number> {
  let skips = 0;
  for (let t = 0; t < ds.trackCount; t++) skips += ds.skipCount[t];
  return { ...headline(ds, skips), shards: ds.shardCount, id_runs_spilled: ds.manifest.build.idRuns };
}

/** A dataset's headline figures. */
export function datasetSummary(ds: MssdDataset): Record<string, number> {
  let skips = 0;
  for (let i = 0; i < ds.rowCount; i++) if (ds.flags[i] & LOG_FLAG.skip_2) skips++;
  return headline(ds, skips);
}

/** The figures both dataset forms report, given the skipped rows. */
function headline(ds: MssdDataset | ShardedDataset, skips: number): Record<string, number> {
  let withFeatures = 0;
  for (let t = 0; t < ds.trackCount; t++) if (ds.featureRow[t] >= 0) withFeatures++;
  const r = ds.report;
  return {
    sessions: ds.sessionCount,
    rows: ds.rowCount,
    tracks: ds.trackCount,
    tracks_with_features: withFeatures,
    skip_rate: ds.rowCount > 0 ? skips / ds.rowCount : NaN,
    sessions_read: r.sessionsRead,
    sessions_dropped: r.dropped.length + r.dropped.incomplete + r.dropped.trackFilter,
    duplicate_sessions: r.dropped.duplicates,
    sessions_cut_off: r.logs.reduce((a, l) => a + l.truncated.length, 0),
  };
}

// ---------------------------------------------------------------------------------------
// Shared loading

/** The session split every step uses: embeddings and agents learn from `train` only. */
export interface SplitSpec {
  seed: number;
  trainFraction: number;
}

export const DEFAULT_SPLIT: SplitSpec = { seed: 0, trainFraction: 0.7 };

export function loadDataset(cachePath: string): { dataset: MssdDataset; logs: string[] } {
  if (!existsSync(cachePath)) throw new Error(`${cachePath}: no dataset cache here (run 'encore prepare' or 'encore generate' first)`);
  const { dataset, key } = readDatasetCache(cachePath);
  return { dataset, logs: key.logs.map((l) => l.path) };
}

/** Whether `path` is a sharded dataset's folder (`encore prepare --shards`) rather than a cache file. */
export function isShardedDataset(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory() && existsSync(join(path, MANIFEST_FILE));
}

/**
 * What `--dataset` names: the single-file cache (in memory) or a sharded dataset's folder (read
 * one shard at a time). Each reports its log paths (the listener environment reads the
 * generator's manifest beside a single log).
 */
export type AnyDataset =
  | { kind: "cache"; dataset: MssdDataset; logs: string[] }
  | { kind: "shards"; dataset: ShardedDataset; logs: string[] };

/**
 * On a sharded dataset, what is held in memory to fit session-based models (SKNN, V-SKNN, a
 * model's candidate sources, which its file carries): the most recent training sessions, at
 * most this many (`--recent-sessions`; ShardedDataset.recent).
 */
export const RECENT_SESSIONS_DEFAULT = 200_000;

export function openDataset(path: string): AnyDataset {
  if (isShardedDataset(path)) {
    const dataset = openShardedDataset(path);
    return { kind: "shards", dataset, logs: dataset.manifest.key.logs.map((l) => l.path) };
  }
  if (existsSync(path) && statSync(path).isDirectory()) throw new Error(`${path}: a folder without ${MANIFEST_FILE} (neither a dataset cache nor a sharded dataset; build one with 'encore prepare <logs...> --shards ${path}')`);
  return { kind: "cache", ...loadDataset(path) };
}

export function splitOf(ds: MssdDataset, s: SplitSpec): SessionSplit {
  return splitSessions(ds.sessionCount, { trainFraction: s.trainFraction, seed: s.seed });
}

// ---------------------------------------------------------------------------------------
// embed

export interface EmbedOptions {
  dataset: string;
  out: string;
  kind: EmbeddingKind;
  d: number;
  epochs: number;
  minCount: number;
  seed: number;
  split: SplitSpec;
  csv?: string;
}

/** Above this share of the training plays, a fallback vector is named in a warning. */
export const FALLBACK_WARN_SHARE = 0.2;

/**
 * `encore embed`. On the cache: the dataset in memory, its shuffle split. On a sharded dataset:
 * the training part of the per-session hash split streamed one shard at a time (item2vec reads
 * the shards once for its counts, twice for the hash of what it trained on, once an epoch; one
 * more read counts the training plays for the fallback shares), with the vocabulary and
 * per-track arrays in memory; the file records `split: { seed, trainFraction, kind: "hash" }`.
 */
export async function embed(o: EmbedOptions): Promise<BuiltEmbeddings & { fallbackPlays: { features: number; unknown: number }; warnings: string[] }> {
  const opened = openDataset(o.dataset);
  let input: EmbeddingInput | StreamedEmbeddingInput, trainSessions: Int32Array | undefined, trainCounts: () => Int32Array;
  let split: Record<string, unknown> = { ...o.split };
  if (opened.kind === "shards") {
    const ds = opened.dataset;
    input = { source: shardTrainingSource(ds, o.split), featureRow: ds.featureRow, features: ds.features, vocab: ds.vocab };
    trainCounts = () => trainingPlayCountsStream(ds.chunks({ split: { part: "train", ...o.split } }), ds.V);
    split = { ...split, kind: "hash" };
  } else {
    const ds = opened.dataset;
    trainSessions = splitOf(ds, o.split).train;
    input = ds;
    trainCounts = () => trainingPlayCounts(trainingSessionsOf(ds, trainSessions!));
  }
  const vocab = opened.dataset.vocab;
  const built = await buildEmbeddings(input, {
    kind: o.kind, d: o.d, seed: o.seed, trainSessions, wasm: engineModule(),
    item2vec: { epochs: o.epochs, minCount: o.minCount },
  });
  const options = { ...built.options, split };
  mkdirSync(dirname(o.out), { recursive: true });
  await saveEmbeddings(o.out, { ...built, options }, vocab);
  if (o.csv) await exportEmbeddingsCsv(o.csv, built.E, built.d, vocab);
  // which vectors the training plays land on: the learned one, or a fallback (features mapped
  // into the item2vec space, or the one shared unknown vector)
  const counts = trainCounts();
  let plays = 0, features = 0, unknown = 0;
  for (let t = 0; t < counts.length; t++) {
    const p = built.path[t], c = counts[t];
    plays += c;
    if (p === 1) features += c;
    else if (p === 2) unknown += c;
  }
  const fallbackPlays = { features: plays ? features / plays : 0, unknown: plays ? unknown / plays : 0 };
  const warnings: string[] = [];
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  if (o.kind !== "features" && fallbackPlays.unknown > FALLBACK_WARN_SHARE) warnings.push(`the shared unknown vector stands for ${pct(fallbackPlays.unknown)} of the training plays (${built.counts.unknown} tracks played fewer than --min-count ${o.minCount} times, without audio features): those tracks are indistinguishable; a lower --min-count gives each its own vector`);
  if (o.kind !== "features" && fallbackPlays.features > FALLBACK_WARN_SHARE) warnings.push(`vectors mapped from audio features stand for ${pct(fallbackPlays.features)} of the training plays (${built.counts.features} tracks played fewer than --min-count ${o.minCount} times)`);
  return { ...built, fallbackPlays, warnings };
}

// ---------------------------------------------------------------------------------------
// train

export type NetworkChoice = "listwise" | "original" | "w1";

/**
 * The network presets with the hyperparameters measured to work with them on the ground-truth
 * listener (README: Results). Flags given on the command line override them.
 */
export const NETWORKS: Record<NetworkChoice, Partial<DdpgConfig>> = {
  listwise: { ...LISTWISE_NETWORKS, actorLr: 1e-3, criticLr: 3e-4, tau: 0.01 },
  original: { ...ORIGINAL_NETWORKS, actorLr: 1e-3, criticLr: 1e-3, tau: 0.01 },
  w1: { ...W1_NETWORKS, actorLr: 1e-3, criticLr: 1e-3, tau: 0.01 },
};

/**
 * A preset's config with the command's settings over it. With the item critic and γ > 0 the
 * agent is TD3 unless told otherwise: twin critics (clipped double-Q), actor and target updates
 * every second critic update, and target smoothing noise 0.05 per component of the
 * (unit-norm) weight vectors, clipped at 0.5 (Fujimoto et al. 2018).
 */
export function presetConfig(networks: NetworkChoice, over: Partial<DdpgConfig>, env?: TrainEnv): Partial<DdpgConfig> {
  const c: Partial<DdpgConfig> = { ...NETWORKS[networks], ...over };
  if (env === "logged" && c.critic?.kind === "item") {
    // On logged sessions the candidate sources' evidence ranks; the embedding-similarity start
    // that suits the listener's taste misleads there, candidates not played next weigh 0.3, and
    // each source proposes 20 candidates, not 10 (each measured on validation cuts of the real
    // slice's training sessions; README: Results)
    return { negWeight: 0.3, sourceCandidates: 20, ...c, critic: { ...c.critic, tasteInit: over.critic?.tasteInit ?? 0 } };
  }
  if (c.critic?.kind === "item" && (c.gamma ?? 0) > 0) return { twin: true, policyDelay: 2, targetNoise: 0.05, ...c };
  return c;
}

/** Where training learns: the LIRD offline simulator, the ground-truth listener (synthetic data), or the logged sessions themselves. */
export type TrainEnv = "lird" | "listener" | "logged";

export interface TrainCommandOptions {
  dataset: string;
  embeddings: string;
  out: string;
  env: TrainEnv;
  episodes: number;
  /** Steps per episode (the environment's episode length). */
  steps: number;
  networks: NetworkChoice;
  seed: number;
  config: Partial<DdpgConfig>;
  train: Partial<TrainOptions>;
  resume?: string;
  checkpointEvery: number;
  /**
   * On a sharded dataset: the candidate sources fit on the most recent this many training
   * sessions (default RECENT_SESSIONS_DEFAULT), which the model file carries. A cache's sources
   * fit on all its training sessions.
   */
  recentSessions?: number;
  command: string;
  onEpisode?: (m: EpisodeMetrics, done: number, total: number) => void;
  /** Something the user should know (e.g. a simulator that barely tells lists apart). */
  onWarning?: (text: string) => void;
}

interface Loaded {
  dataset: MssdDataset;
  logs: string[];
  emb: LoadedEmbeddings;
  /** The split the embeddings were trained on: every later step uses the same. */
  split: SplitSpec;
}

async function loadAll(datasetPath: string, embeddingsPath: string): Promise<Loaded> {
  const { dataset, logs } = loadDataset(datasetPath);
  const emb = await loadEmbeddings(embeddingsPath, { vocab: dataset.vocab });
  const split = (emb.options.split as SplitSpec | undefined) ?? DEFAULT_SPLIT;
  return { dataset, logs, emb, split };
}

/** What the listener environment reads of a dataset (a cache's or a sharded dataset's): its catalog. */
type ListenerCatalogSource = Pick<MssdDataset, "trackCount" | "vocab">;

/** The ground-truth listener environment for a dataset generated by `encore generate`. */
export function listenerEnvFor(dataset: ListenerCatalogSource, logs: string[], steps: number): ListenerEnv {
  return listenerEnvsFor(dataset, logs, steps, 1)[0];
}

/** `count` listener environments on one model and catalog (the online protocol runs them in lockstep). */
export function listenerEnvsFor(dataset: ListenerCatalogSource, logs: string[], steps: number, count: number): ListenerEnv[] {
  const manifest = logs.length === 1 ? findSynthManifest(logs[0]) : null;
  if (!manifest) throw new Error("the listener environment needs synthetic data from 'encore generate' (its synth.json beside the log); on real MSSD data use --env logged");
  const model = listenerModelOf(manifest);
  const catalog = listenerCatalog(model, dataset.trackCount, (t) => dataset.vocab.id(t), (id) => `track ${id} of the dataset is not in the generator's catalog (was synth.json overwritten?)`);
  return Array.from({ length: count }, () => new ListenerEnv(model, { catalog, steps }));
}

/**
 * Listener environments the online evaluation runs in lockstep: each step is one batched
 * recommend() over them (one batched forward and one multi-listener top-k, which the engine's
 * threads split). Fixed, so the figures do not depend on the machine.
 */
export const ONLINE_LOCKSTEP = 64;

/**
 * An agent on a fresh engine whose catalog holds the embeddings; its candidate sources
 * (config.sources) fitted on `train` (the training split, or the sessions a model file carries).
 * The library's agentOn (src/load.ts) on this process's engine build.
 */
export async function agentFor(emb: { E: Float32Array; V: number; d: number }, config: Partial<DdpgConfig>, options: { maxActBatch?: number; train?: TrainingSessions | SourceSessions } = {}): Promise<DdpgAgent> {
  const names = config.sources ?? [];
  if (names.length > 0 && !options.train) throw new Error(`the model re-ranks with candidate sources (${names.join(", ")}) fitted on training sessions: a dataset is needed`);
  const sessions = names.length > 0 ? compactSessions(options.train!) : null;
  return agentOn(engineModule(), emb, config, { sessions, maxActBatch: options.maxActBatch ?? 128 });
}

export interface TrainResult {
  model: string;
  /** Tracks left out of recommendation: never played in the training sessions and without audio features. */
  excluded: number;
  metrics: EpisodeMetrics[];
  seconds: number;
  resumedFrom?: number;
}

export async function train(o: TrainCommandOptions): Promise<TrainResult> {
  const t0 = Date.now();
  // anything but a sharded dataset's folder is read as a cache, with the cache's errors
  const opened: AnyDataset = isShardedDataset(o.dataset) ? openDataset(o.dataset) : { kind: "cache", ...loadDataset(o.dataset) };
  const { logs } = opened;
  const emb = await loadEmbeddings(o.embeddings, { vocab: opened.dataset.vocab });
  const split = (emb.options.split as SplitSpec | undefined) ?? DEFAULT_SPLIT;
  const config = presetConfig(o.networks, o.config, o.env);
  let history: EpisodeMetrics[] = [];
  let resumed: DecodedModel | null = null;
  // a resumed run continues exactly: hyperparameters, environment and training options come
  // from the checkpoint, not from this command's flags
  let { env: envKind, steps, seed } = o;
  let trainOptions: Partial<TrainOptions> = o.train;
  let recentSessions = o.recentSessions ?? RECENT_SESSIONS_DEFAULT;
  if (o.resume) {
    resumed = decodeModel(await readFileNamed(o.resume), o.resume);
    const m = resumed.header.meta ?? {};
    if (m.env !== "lird" && m.env !== "listener" && m.env !== "logged") throw new Error(`${o.resume}: not a training checkpoint of 'encore train' (no environment recorded)`);
    Object.assign(config, resumed.header.config);
    history = (m.training as EpisodeMetrics[] | undefined) ?? [];
    envKind = m.env;
    steps = m.steps as number;
    seed = m.seed as number;
    trainOptions = m.train as Partial<TrainOptions>;
    if (typeof m.recentSessions === "number") recentSessions = m.recentSessions;
  }
  // unset settings are the agent's defaults (γ 0.99): a library caller who leaves γ out gets this message too
  const gammaSet = config.gamma ?? DDPG_DEFAULTS.gamma, rerankSet = config.rerank ?? DDPG_DEFAULTS.rerank;
  if (envKind === "logged" && (gammaSet !== 0 || rerankSet === 0 || config.critic?.kind !== "item")) {
    throw new Error(`--env logged learns each logged list's own reward with the listwise networks' item critic and re-ranking: it needs --gamma 0, --rerank > 0 and --networks listwise (got --gamma ${gammaSet}, --rerank ${rerankSet}, --networks ${o.networks})`);
  }
  if (opened.kind === "shards" && envKind === "lird") {
    throw new Error(`--env lird builds its simulator from every training session in memory: on a sharded dataset (${o.dataset}) use --env logged, which streams the shards`);
  }
  const hashSpec = { seed: split.seed, trainFraction: split.trainFraction };
  const splitKind = (emb.options.split as { kind?: string } | undefined)?.kind === "hash" ? "hash" : "shuffle";
  if ((opened.kind === "shards") !== (splitKind === "hash")) {
    o.onWarning?.(`the embeddings (${o.embeddings}) were learned on ${splitKind === "hash" ? "a sharded dataset's per-session hash split" : "a dataset cache's shuffled split"}, this training reads ${opened.kind === "shards" ? "a sharded dataset: its hash split" : "a cache: its shuffled split"} (same seed and fraction, other sessions): the embeddings may have seen some of the test sessions`);
  }
  const sources = (config.sources?.length ?? 0) > 0;
  let sourceSessions: TrainingSessions | undefined, plays: Int32Array, sp: SessionSplit | null = null;
  if (opened.kind === "cache") {
    sp = splitOf(opened.dataset, split);
    sourceSessions = trainingSessionsOf(opened.dataset, sp.train);
    plays = trainingPlayCounts(sourceSessions);
  } else {
    // streaming: the play counts over every training session; the sources on the recent ones
    sourceSessions = sources ? opened.dataset.recent("train", hashSpec, recentSessions).sessions : undefined;
    plays = shardedPlayCounts(opened.dataset, hashSpec);
  }
  const featureRow = opened.dataset.featureRow;
  const agent = await agentFor(emb, config, { train: sourceSessions });
  agent.initialize(new Rng(seed));
  if (agent.bias) agent.setTrackBias(biasFromPlays(plays));
  // tracks with no usable signal: never played in training and no audio features (the unknown vector)
  const excluded = agent.config.rerank > 0 ? agent.setRecommendable(Uint8Array.from(plays, (c, t) => (c > 0 || featureRow[t] >= 0 ? 1 : 0))) : 0;
  const { N, K } = agent.config;
  let env: Environment | LoggedTransitions | LoggedStream;
  if (envKind === "listener") env = listenerEnvFor(opened.dataset, logs, steps);
  else if (opened.kind === "shards") env = new LoggedStream(shardWindows(opened.dataset, hashSpec, { N, K }), N, K, { listGamma: agent.config.listGamma, seed });
  else if (envKind === "logged") env = new LoggedTransitions(buildSamples(opened.dataset, sp!.train, { N, K }), agent.config.listGamma);
  else {
    const sim = new LirdSimulator(buildSamples(opened.dataset, sp!.train, { N, K }), { V: emb.V, d: emb.d, E: emb.E }, { episodeLength: steps });
    const spread = lirdRewardSpread(sim, new Rng(seed));
    if (spread.sd < LIRD_MIN_SPREAD) o.onWarning?.(`the LIRD simulator barely tells lists apart here: over ${spread.lists} random lists its reward has standard deviation ${spread.sd.toPrecision(2)} (range ${spread.min.toFixed(4)}..${spread.max.toFixed(4)}; below ${LIRD_MIN_SPREAD}, training learns little); --env logged learns from the sessions themselves`);
    env = sim;
  }
  const trainer = new Trainer(agent, env, { ...trainOptions, seed, maxSteps: steps });
  const identity = identityOf(emb);
  if (resumed) {
    checkModel(resumed, agent, identity, o.resume);
    applyModel(resumed, agent, trainer);
  }
  const start = trainer.episode;
  // no timestamp or command line: the same inputs and seed give a byte-identical file
  // on shards, the split is the per-session hash split and the sources saw the recent sessions
  const shardMeta = opened.kind === "shards" ? { recentSessions, sourceSessions: sourceSessions ? sourceSessions.sessionOffsets.length - 1 : 0 } : {};
  const meta = (): Record<string, unknown> => ({
    env: envKind, steps, seed, split: opened.kind === "shards" ? { ...hashSpec, kind: "hash" } : split, dataset: o.dataset, embeddings: o.embeddings,
    ...shardMeta, train: trainer.options, training: history,
  });
  mkdirSync(dirname(o.out), { recursive: true });
  const { gamma, actorLr, criticLr } = agent.config;
  const guard = new DivergenceGuard(agentParams(agent), { gamma, actorLr, criticLr, out: o.out, resumedAt: resumed ? start : undefined });
  for (let e = start; e < o.episodes; e++) {
    const m = guard.run(e + 1, () => trainer.runEpisode()); // throws DivergenceError: the file keeps the last good checkpoint
    history.push(m);
    o.onEpisode?.(m, e + 1, o.episodes);
    if (o.checkpointEvery > 0 && (e + 1) % o.checkpointEvery === 0 && e + 1 < o.episodes) {
      await writeFileAtomic(o.out, encodeModel(agent, identity, trainer, meta()));
      guard.saved(e + 1);
    }
  }
  await writeFileAtomic(o.out, encodeModel(agent, identity, trainer, meta()));
  return { model: o.out, excluded, metrics: history, seconds: (Date.now() - t0) / 1000, resumedFrom: resumed ? start : undefined };
}

/** The training sessions of a split, as the baselines and candidate sources fit them. */
export function trainingSessionsOf(ds: MssdDataset, train: ArrayLike<number>): TrainingSessions {
  return { V: ds.trackCount, sessionOffsets: ds.sessionOffsets, tracks: ds.tracks, flags: ds.flags, sessions: train };
}

/** Load a trained model for the embeddings it was trained with: a ready agent (the library's loadAgent, src/load.ts, on this process's engine build). */
export async function loadModel(modelPath: string, emb: LoadedEmbeddings): Promise<{ agent: DdpgAgent; header: DecodedModel["header"] }> {
  return loadAgent(engineModule(), emb, await readFileNamed(modelPath), modelPath, { maxActBatch: 128 });
}

// ---------------------------------------------------------------------------------------
// evaluate

export interface EvaluateCommandOptions {
  dataset: string;
  embeddings: string;
  model: string;
  out: string;
  protocols: ProtocolId[];
  seeds: number[];
  /** Test sessions evaluated per seed at most (seeded subsample); 0 = all. */
  maxSessions: number;
  episodes: number;
  bootstrap: number;
  command: string;
  /** Progress of each protocol: `done` of `total` policy runs (for a progress bar). */
  onProgress?: (protocol: ProtocolId, done: number, total: number) => void;
  /** On a sharded dataset: the most recent training sessions SKNN and V-SKNN hold (default RECENT_SESSIONS_DEFAULT). */
  recentSessions?: number;
  /** Something the user should know (e.g. embeddings built on another split). */
  onWarning?: (text: string) => void;
}

export async function evaluateCommand(o: EvaluateCommandOptions): Promise<{ report: EvaluationReport; files: { json: string; html: string } }> {
  if (existsSync(o.dataset) && statSync(o.dataset).isDirectory()) {
    // a sharded dataset's folder (openDataset says what is wrong with any other folder): the test
    // part streamed shard by shard, the baselines fitted streaming (src/cli/shards-evaluate.ts)
    const { dataset, logs } = openDataset(o.dataset) as Extract<AnyDataset, { kind: "shards" }>;
    const { evaluateSharded } = await import("./shards-evaluate.js");
    return evaluateSharded(o, dataset, logs);
  }
  const { dataset, logs, emb, split } = await loadAll(o.dataset, o.embeddings);
  const sp = splitOf(dataset, split);
  const tr = trainingSessionsOf(dataset, sp.train);
  const { agent, header } = await loadModel(o.model, emb);
  const test = o.maxSessions > 0 && sp.test.length > o.maxSessions ? subsampleSessions(sp.test, o.maxSessions, split.seed) : sp.test;
  const ddpg = new DdpgPolicy(agent);
  const random = new RandomPolicy(dataset.trackCount);
  const popular = PopularPolicy.fit(tr);
  const knn = ItemKnnPolicy.fit(tr);
  // Session baselines (eval/session-baselines.ts), fitted on the same training sessions.
  const sessionBaselines = [fitMarkov(tr), fitSknn(tr), fitVsknn(tr)];
  const { N, K } = agent.config;
  const protocols: ProtocolId[] = [...o.protocols];
  const synthetic = logs.length === 1 && findSynthManifest(logs[0]) !== null;
  if (protocols.includes("online") && !synthetic) throw new Error("the online protocol needs synthetic data from 'encore generate' (the ground-truth listener); drop 'online' on real MSSD data");
  const common = { seeds: o.seeds, N, K, bootstrap: { B: o.bootstrap }, onProgress: o.onProgress };
  const offline = protocols.filter((p) => p !== "online");
  const policies = [ddpg, random, popular, knn, ...sessionBaselines];
  const results = offline.length === 0 ? [] : evaluate({
    ...common, protocols: offline, data: dataset, split: { train: sp.train, test }, policies,
    nextTracks: { embeddings: { E: emb.E, d: emb.d } },
  });
  if (protocols.includes("online")) results.push(...evaluateOnline(o, dataset, logs, header, common, policies));
  return writeEvaluation(o, header, results, {
    title: `encore evaluation: ${synthetic ? "synthetic MSSD" : "MSSD"} (${basename(o.dataset)})`,
    dataset: { ...datasetSummary(dataset), data: synthetic ? "synthetic (encore generate)" : "MSSD", train_sessions: sp.train.length, test_sessions: sp.test.length, evaluated_test_sessions: test.length, embeddings: embeddingsLabel(emb) },
  });
}

/** How a report names the embeddings it was evaluated with. */
export function embeddingsLabel(emb: LoadedEmbeddings): string {
  return `${emb.kind} d=${emb.d} (${emb.counts.item2vec} item2vec, ${emb.counts.features} from features, ${emb.counts.unknown} unknown)`;
}

/**
 * The online protocol (either dataset form): these policies and the oracle against
 * ONLINE_LOCKSTEP ground-truth listeners per seed, episodes as long as the model's training
 * environment's when it learnt against the listener.
 */
export function evaluateOnline(o: EvaluateCommandOptions, dataset: ListenerCatalogSource, logs: string[], header: DecodedModel["header"],
                               common: { seeds: number[]; N: number; K: number; bootstrap: { B: number }; onProgress?: EvaluateCommandOptions["onProgress"] }, policies: Policy[]): ProtocolResult[] {
  const steps = typeof header.meta?.steps === "number" && header.meta.env === "listener" ? header.meta.steps : LISTENER_ENV_DEFAULTS.steps;
  const envs = new Map<number, ListenerEnv[]>();
  const envFor = (seed: number): ListenerEnv[] => {
    let env = envs.get(seed);
    if (!env) envs.set(seed, (env = listenerEnvsFor(dataset, logs, steps, Math.min(o.episodes, ONLINE_LOCKSTEP))));
    return env;
  };
  // the oracle reads the environments' current listeners, so it joins only the online protocol
  return evaluate({
    ...common, protocols: ["online"], env: (seed) => envFor(seed),
    policies: (seed) => [...policies, ListenerEnv.oracleOf(envFor(seed))],
    online: { episodes: o.episodes, envLabel: "ground-truth listener (synthetic)" },
  });
}

/** The evaluation report of these results (either dataset form), written as JSON and HTML at o.out. */
export async function writeEvaluation(o: EvaluateCommandOptions, header: DecodedModel["header"], results: ProtocolResult[],
                                      form: { title: string; dataset: EvaluationReport["dataset"]; config?: Record<string, unknown> }): Promise<{ report: EvaluationReport; files: { json: string; html: string } }> {
  const report: EvaluationReport = {
    title: form.title,
    created: new Date().toISOString(),
    command: o.command,
    dataset: form.dataset,
    // configuration only: the per-episode records go to `training` (report.json), not into the config
    config: { ddpg: header.config, training: configOfTraining(header.meta), seeds: o.seeds, bootstrap: o.bootstrap, ...form.config },
    training: ((header.meta?.training as EpisodeMetrics[] | undefined) ?? []),
    // the online protocol ran the training environment (listener, same steps): its figures are the reward curve's reference lines
    trainingReferences: header.meta?.env === "listener" ? trainingReferencesFrom(results) : undefined,
    protocols: results,
    reference: ORIGINAL_FIGURES,
  };
  const { writeReport } = await import("../report/write.js"); // ECharts loads only when a report is written
  const files = await writeReport(o.out, report);
  return { report, files };
}

// ---------------------------------------------------------------------------------------
// recommend

export interface Recommendation {
  rank: number;
  track_id: string;
  /** The slot's score: its own weight vector · the track's embedding (slots have different scales). */
  score: number;
  /** The track's rank among the eligible catalog under its own slot's vector, and that slot's score range (absent when the model scores with more than w · e). */
  slot_rank?: number;
  slot_min?: number;
  slot_max?: number;
  eligible?: number;
}

/** `encore recommend`: the library's recommender (src/cli/library.ts), each score with its slot's scale when the model scores with w · e. */
export async function recommend(o: { model: string; embeddings: string; history: HistoryItem[] }): Promise<Recommendation[]> {
  const rec = await openRecommender(o.model, o.embeddings);
  let list: ScoredTrack[];
  try {
    list = rec.recommend(o.history);
  } catch (e) {
    throw new Error((e as Error).message.replace(/^recommend:/, "--history:"), { cause: e });
  }
  // without re-ranking, each slot's score w_k · e on its own slot's scale (src/core/score-scale.ts);
  // with it, the scores are the critic's item values, already in rank order
  const scales = rec.scoreScales(o.history);
  return list.map((r, k) => ({
    rank: k + 1, track_id: r.trackId, score: r.score,
    ...(scales ? { slot_rank: scales[k].rank, slot_min: scales[k].min, slot_max: scales[k].max, eligible: scales[k].eligible } : {}),
  }));
}
