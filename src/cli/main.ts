#!/usr/bin/env node
// The encore command line. Every command exits non-zero with a one-line message on bad
// arguments or files; --verbose adds the stack trace.
import { join } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { DEFAULT_SPLIT, NETWORKS, RECENT_SESSIONS_DEFAULT, isShardedDataset, presetConfig, type TrainEnv, datasetSummary, embed, evaluateCommand, generate, prepare, prepareSharded, shardedSummary, recommend, train, type NetworkChoice } from "./pipeline.js";
import { DDPG_DEFAULTS, LISTWISE_NETWORKS, type DdpgConfig } from "../agent/ddpg.js";
import { SOURCE_NAMES } from "../eval/sources.js";
import { checkResume, type ResumeSetting } from "./resume.js";
import { EMBEDDING_KINDS, type EmbeddingKind } from "../embed/build.js";
import type { ProtocolId } from "../eval/protocols.js";
import type { EpisodeMetrics } from "../eval/types.js";
import { Progress, ProtocolBars, formatSeconds } from "./progress.js";
import { parseHistoryText } from "../core/history.js";
import { installSignalCleanup } from "../io/temp.js";
import { MAX_SESSION_LENGTH } from "../data/schema.js";
import { ORIGINAL_PRESET, type DatasetOptions } from "../data/dataset.js";
import { formatSkipped, skippedSummary } from "../data/skipped.js";
import { SEED, choiceListOption, choiceOption, defaultText, intListOption, intOption, realOption } from "./options.js";
import { formatReport } from "../report/text.js";
import { formatRecommendations } from "./print.js";
import { formatField, formatFigure } from "../report/format.js";
import { configureEngine, machineThreads } from "./wasm.js";

const program = new Command();
program
  .name("encore")
  .description("List-wise music recommendation with DDPG on a WebAssembly SIMD engine")
  .option("--verbose", "print stack traces on errors")
  .addOption(intOption("--threads <n>", "threads the engine runs kernels on (top-k, GEMM, item2vec); default: the machine's cores", { min: 1, max: 256 }, machineThreads()))
  .showHelpAfterError("(run with --help for usage)");
// Before any engine is compiled: the relaxed-SIMD flag on Node 20, the build (ENCORE_SIMD=simd128|relaxed forces one) and --threads.
program.hook("preAction", () => configureEngine({ threads: program.opts().threads as number }));

function print(json: boolean | undefined, obj: Record<string, unknown>, text: string): void {
  process.stdout.write(json ? JSON.stringify(obj, null, 2) + "\n" : text + "\n");
}

/** Fields as aligned "key  value" lines, numbers formatted as everywhere else (format.ts). */
function table(obj: Record<string, unknown>): string {
  const w = Math.max(...Object.keys(obj).map((k) => k.length));
  return Object.entries(obj).map(([k, v]) => `  ${k.padEnd(w)}  ${formatField(k, v)}`).join("\n");
}

program
  .command("generate")
  .description("write a synthetic MSSD session log and track-feature file from the ground-truth listener model")
  .option("--out <dir>", "output folder", ".encore/data")
  .addOption(intOption("--sessions <n>", "sessions to simulate (MSSD has 130 million)", { min: 1, max: 200_000_000 }, 10_000))
  .addOption(intOption("--tracks <n>", "catalog size (MSSD has 3.7 million tracks)", { min: 50, max: 4_000_000 }, 10_000))
  .addOption(intOption("--seed <n>", "random seed", SEED, 0))
  .option("--gzip", "gzip the CSV files (default: plain CSV)")
  .option("--json", "print machine-readable output")
  .addHelpText("after", "\nExamples:\n  npx encore generate\n  npx encore generate --sessions 1000000 --gzip --out data/big\n")
  .action(async (o: { out: string; sessions: number; tracks: number; seed: number; gzip?: boolean; json?: boolean }) => {
    const t0 = Date.now();
    const r = await generate({ dir: o.out, sessions: o.sessions, tracks: o.tracks, seed: o.seed, gzip: Boolean(o.gzip) });
    const res = { ...r, seconds: (Date.now() - t0) / 1000 };
    print(o.json, res, `wrote ${join(r.dir, r.log)} (${(r.logBytes / 1e6).toFixed(1)} MB, ${r.sessions} sessions) and ${join(r.dir, r.tf)} (${(r.tfBytes / 1e6).toFixed(1)} MB, ${o.tracks} tracks) in ${res.seconds.toFixed(1)} s`);
  });

program
  .command("prepare")
  .description("ingest MSSD session logs (and track features) into the dataset cache")
  .argument("<logs...>", "session log files log_*.csv or log_*.csv.gz")
  .addOption(defaultText(new Option("--tf <files...>", "track-feature files tf_*.csv[.gz]").default([] as string[]), "none (no audio features)"))
  .option("--cache <path>", "dataset cache file", ".encore/dataset.bin")
  .addOption(defaultText(choiceOption("--preset <name>", "original: the original project's selection (tracks with popularity ≥ 95, sessions keeping all 20 tracks)", ["original"] as const), "none"))
  .addOption(defaultText(intOption("--min-length <n>", "keep sessions with session_length ≥ n", { min: 1, max: MAX_SESSION_LENGTH }), "no minimum; 20 with --preset original"))
  .addOption(defaultText(intOption("--max-length <n>", "keep sessions with session_length ≤ n", { min: 1, max: MAX_SESSION_LENGTH }), "no maximum; 20 with --preset original"))
  .addOption(defaultText(intOption("--min-plays <n>", "keep tracks played at least n times", { min: 1, max: 2_147_483_647 }), "no minimum"))
  .addOption(defaultText(realOption("--min-popularity <x>", "keep tracks with us_popularity_estimate ≥ x (where features exist)", { min: 0, max: 100 }), "no minimum; 95 with --preset original"))
  .option("--keep-incomplete", "keep sessions with missing positions (cut off at the end of a file) (default: dropped)")
  .option("--lenient", "skip bad rows and duplicate sessions, count them by kind and show where the first ones are (default: stop at the first)")
  .addOption(intOption("--id-memory <MiB>", "memory for the session-id duplicate check before it spills sorted runs to disk beside the cache (without --shards)", { min: 16, max: 65_536 }, 256))
  .addOption(defaultText(new Option("--shards <dir>", "write a sharded, out-of-core dataset to this folder instead of the cache: a manifest, the vocabulary and shard files of bounded size, built in --memory-budget"), "none: the single-file cache"))
  .addOption(defaultText(intOption("--memory-budget <MiB>", "with --shards: the build's peak memory (resident set), this process included: what is left beside the runtime goes half to the session-id check and a quarter to one staged shard; the vocabularies come on top (100–200 bytes a track)", { min: 64, max: 65_536 }), "512"))
  .option("--json", "print machine-readable output")
  .addHelpText("after", "\nExamples:\n  npx encore prepare .encore/data/log_synth.csv --tf .encore/data/tf_synth.csv\n  npx encore prepare log_mini.csv.gz --tf tf_mini.csv --preset original\n  npx encore prepare training_set/log_*.csv.gz --tf track_features/tf_*.csv.gz --lenient --id-memory 1024\n  npx encore prepare training_set/log_*.csv.gz --tf track_features/tf_*.csv.gz --shards .encore/mssd --memory-budget 1024\n")
  .action(async (logs: string[], o: { tf: string[]; cache: string; preset?: "original"; minLength?: number; maxLength?: number; minPlays?: number; minPopularity?: number; keepIncomplete?: boolean; lenient?: boolean; idMemory: number; shards?: string; memoryBudget?: number; json?: boolean }) => {
    const filters: DatasetOptions = {};
    if (o.minLength !== undefined) filters.minLength = o.minLength;
    if (o.maxLength !== undefined) filters.maxLength = o.maxLength;
    if (o.minPlays !== undefined) filters.minPlays = o.minPlays;
    if (o.minPopularity !== undefined) filters.minPopularity = o.minPopularity;
    if (o.keepIncomplete) filters.completeOnly = false;
    const lo = filters.minLength ?? (o.preset ? ORIGINAL_PRESET.minLength : 1), hi = filters.maxLength ?? (o.preset ? ORIGINAL_PRESET.maxLength : Infinity);
    if (lo > hi) throw new Error(`--min-length ${lo} is above --max-length ${hi}${o.preset ? " (with --preset original's 20..20)" : ""}`);
    if (o.memoryBudget !== undefined && o.shards === undefined) throw new Error("--memory-budget sizes a sharded build: give --shards <dir> (the single-file cache holds the whole dataset; its id check takes --id-memory)");
    if (o.shards !== undefined) {
      const t0 = Date.now();
      const r = await prepareSharded({ logs, trackFeatures: o.tf, dir: o.shards, preset: o.preset, lenient: Boolean(o.lenient), filters, memoryBudgetMiB: o.memoryBudget ?? 512 });
      const skipped = skippedSummary(r.dataset.report);
      const summary = shardedSummary(r.dataset);
      const skippedText = formatSkipped(skipped);
      const seconds = (Date.now() - t0) / 1000;
      print(o.json, { shards: o.shards, status: r.cache, reason: r.reason, ...summary, seconds, skipped }, `sharded dataset ${o.shards} (${r.cache}${r.reason ? `: ${r.reason}` : ""}; ${seconds.toFixed(1)} s)\n${table(summary)}${skippedText ? "\n" + skippedText : ""}`);
      return;
    }
    const r = await prepare({ logs, trackFeatures: o.tf, cache: o.cache, preset: o.preset, lenient: Boolean(o.lenient), filters, idMemoryMiB: o.idMemory });
    const skipped = skippedSummary(r.dataset.report);
    const summary = datasetSummary(r.dataset);
    const skippedText = formatSkipped(skipped);
    print(o.json, { cache: o.cache, status: r.cache, reason: r.reason, ...summary, skipped }, `dataset ${o.cache} (${r.cache}${r.reason ? `: ${r.reason}` : ""})\n${table(summary)}${skippedText ? "\n" + skippedText : ""}`);
  });

const PROTOCOLS: readonly ProtocolId[] = ["original", "next-tracks", "online"];
const WS = ".encore";

program
  .command("embed")
  .description("learn track embeddings (item2vec over the training sessions, audio features, or a hybrid)")
  .option("--dataset <path>", "dataset cache, or a sharded dataset's folder from 'encore prepare --shards' (item2vec then streams the training part one shard at a time)", `${WS}/dataset.bin`)
  .option("--out <path>", "embeddings file to write", `${WS}/embeddings.bin`)
  .addOption(choiceOption("--kind <kind>", "item2vec (skip-gram over the training sessions), features (the tracks' audio features, projected to --dim) or hybrid (item2vec, with features mapped into its space for tracks played fewer than --min-count times)", EMBEDDING_KINDS, "hybrid" as EmbeddingKind))
  .addOption(intOption("--dim <d>", "embedding width", { min: 1, max: 256 }, 32))
  .addOption(intOption("--epochs <n>", "item2vec epochs", { min: 1, max: 1000 }, 5))
  .addOption(intOption("--min-count <n>", "tracks played fewer times in the training split take the feature (or unknown) fallback; 1 gives every track played in training its own vector", { min: 1, max: 1_000_000_000 }, 1))
  .addOption(intOption("--split-seed <n>", "seed of the 70/30 session split (shared by train and evaluate; on a sharded dataset the per-session hash split)", SEED, DEFAULT_SPLIT.seed))
  .addOption(intOption("--seed <n>", "random seed", SEED, 0))
  .addOption(defaultText(new Option("--csv <path>", "also export the embeddings as CSV (track_id, e0..)"), "none"))
  .option("--json", "print machine-readable output")
  .addHelpText("after", `\nExamples:\n  npx encore embed\n  npx encore embed --kind item2vec --dim 64 --epochs 10 --csv ${WS}/embeddings.csv\n  npx encore embed --dataset ${WS}/shards\n`)
  .action(async (o: { dataset: string; out: string; kind: EmbeddingKind; dim: number; epochs: number; minCount: number; splitSeed: number; seed: number; csv?: string; json?: boolean }) => {
    const t0 = Date.now();
    const b = await embed({ dataset: o.dataset, out: o.out, kind: o.kind, d: o.dim, epochs: o.epochs, minCount: o.minCount, seed: o.seed, split: { ...DEFAULT_SPLIT, seed: o.splitSeed }, csv: o.csv });
    const res = { out: o.out, kind: b.kind, method: b.method, V: b.V, d: b.d, counts: b.counts, fallback_share_of_training_plays: b.fallbackPlays, warnings: b.warnings, seconds: (Date.now() - t0) / 1000 };
    for (const w of b.warnings) process.stderr.write(`warning: ${w}\n`);
    print(o.json, res, `wrote ${o.out}: ${b.V} tracks × ${b.d} (${b.method}); vectors from item2vec ${b.counts.item2vec}, from features ${b.counts.features}, unknown ${b.counts.unknown}; ${res.seconds.toFixed(1)} s`);
  });

interface TrainFlags {
  dataset: string; embeddings: string; out: string; env: TrainEnv; episodes: number; steps: number; networks: NetworkChoice;
  seed: number; noise: number; noiseKind?: "gaussian" | "ou"; resume?: string; checkpointEvery: number; recentSessions: number; json?: boolean;
  [configFlag: string]: unknown;
}

/** Learning rates: any positive f32-representable step; the divergence guard stops runs that blow up. */
const LR = { min: 0, max: 1e30, minExclusive: true };

/** DDPG hyperparameters set by flags, one line each: the DdpgConfig key and its option. */
const TRAIN_CONFIG: { key: keyof DdpgConfig; option: Option }[] = [
  { key: "batch", option: intOption("--batch <n>", "batch size", { min: 1, max: 4096 }, DDPG_DEFAULTS.batch) },
  { key: "actorLr", option: realOption("--actor-lr <x>", "actor learning rate", LR, 1e-3) },
  { key: "criticLr", option: defaultText(realOption("--critic-lr <x>", "critic learning rate (also of the per-track bias)", LR), "3e-4 with the listwise networks, 1e-3 with original and w1") },
  { key: "gamma", option: realOption("--gamma <x>", "discount: 0 learns each list's own reward; > 0 bootstraps from the target networks (see README)", { min: 0, max: 1 }, 0) },
  { key: "tau", option: realOption("--tau <x>", "soft target update rate", { min: 0, max: 1, minExclusive: true }, 0.01) },
  { key: "rerank", option: defaultText(intOption("--rerank <m>", "candidates per slot the actor proposes for the critic to re-rank (0: the paper's slot-wise choice; listwise networks only)", { min: 0, max: 1000 }), "10 with the listwise networks, 0 otherwise") },
  { key: "sources", option: defaultText(choiceListOption("--sources <list>", `comma-separated candidate sources the re-ranking also pools, fitted on the training sessions: ${SOURCE_NAMES.join(", ")}, or none`, [...SOURCE_NAMES, "none"]), `${LISTWISE_NETWORKS.sources.join(",")} with the listwise networks`) },
];

const trainCommand = program
  .command("train")
  .description("train the list-wise DDPG agent (episodes × steps): from the logged sessions, against the LIRD simulator or against the ground-truth listener")
  .option("--dataset <path>", "dataset cache, or a sharded dataset's folder from 'encore prepare --shards' (--env logged streams its shards, one shard's samples in memory at a time; the candidate sources see the most recent --recent-sessions training sessions)", `${WS}/dataset.bin`)
  .option("--embeddings <path>", "embeddings file from 'encore embed'", `${WS}/embeddings.bin`)
  .option("--out <path>", "model file to write (also the checkpoint)", `${WS}/model.encore`)
  .addOption(choiceOption("--env <env>", "logged (learn offline from the training sessions' logged transitions: what listeners played next and kept; an episode is --steps updates; any data), listener (online against the ground-truth listener; synthetic data only) or lird (the original's LIRD offline simulator built from the training sessions; warns when its reward barely varies)", ["logged", "listener", "lird"] as const, "logged"))
  .addOption(intOption("--episodes <n>", "episodes in total (with --resume: the total to reach)", { min: 1, max: 1_000_000 }, 200))
  .addOption(intOption("--steps <n>", "steps per episode", { min: 1, max: 1000 }, 10))
  .addOption(choiceOption("--networks <name>", "listwise (encore's: skip-aware history pools → 64 → 64 → K L2-normalised weight vectors with a per-track bias; an item critic re-ranking the actor's and the candidate sources' tracks; TD3 when --gamma > 0), original (the original project's: GRU actor 32 → K·d, GRU critic 10 → 32 → 16 → 1) or w1 (the larger benchmark networks: actor and critic MLPs 256 → 256 over the flattened history)", ["listwise", "original", "w1"] as const, "listwise"));
for (const c of TRAIN_CONFIG) trainCommand.addOption(c.option);
trainCommand
  .addOption(realOption("--noise <sigma>", "exploration noise σ per component of the weight vectors, constant over training", { min: 0, max: 1000 }, 0.5))
  .addOption(realOption("--temperature <t>", "exploration of the re-ranking: the list is sampled from softmax(critic value / t) without replacement (0: greedy)", { min: 0, max: 1000 }, 0.1))
  .addOption(intOption("--eval-every <n>", "every n episodes, run 20 greedy episodes and log the critic's predicted Q beside the measured discounted return (0: never)", { min: 0, max: 1_000_000 }, 500))
  .addOption(choiceOption("--noise-kind <kind>", "gaussian (independent normal noise at every step) or ou (Ornstein–Uhlenbeck: noise correlated across steps)", ["gaussian", "ou"] as const, "gaussian"))
  .addOption(intOption("--seed <n>", "random seed", SEED, 0))
  .addOption(defaultText(new Option("--resume <path>", "continue from a checkpoint (same result as an uninterrupted run; its settings apply)"), "none: a fresh run"))
  .addOption(intOption("--checkpoint-every <n>", "write the checkpoint every n episodes (0: only at the end)", { min: 0, max: 1_000_000 }, 50))
  .addOption(intOption("--recent-sessions <n>", "on a sharded dataset: the candidate sources (popular, item-kNN, Markov, SKNN, V-SKNN) fit on the most recent n training sessions, which the model file carries (a cache's sources fit on all its training sessions)", { min: 1, max: 2 ** 31 - 1 }, RECENT_SESSIONS_DEFAULT))
  .option("--json", "print one JSON line of metrics per episode (default: a progress bar and a summary)")
  .addHelpText("after", "\nExamples:\n  npx encore train --episodes 300\n  npx encore train --env listener --steps 4 --episodes 1000 --actor-lr 1e-3\n  npx encore train --resume .encore/model.encore --episodes 600\n  npx encore train --dataset .encore/mssd --episodes 1000 --steps 20 --recent-sessions 100000\n")
  .action(async (o: TrainFlags) => {
    const config: Partial<DdpgConfig> = {};
    for (const c of TRAIN_CONFIG) {
      const v = o[c.option.attributeName()];
      if (v !== undefined) (config as Record<string, unknown>)[c.key] = v;
    }
    if (Array.isArray(config.sources) && (config.sources as string[]).includes("none")) config.sources = [];
    if (trainCommand.getOptionValueSource("recentSessions") === "cli" && !isShardedDataset(o.dataset)) {
      throw new Error(`--recent-sessions bounds what the candidate sources hold on a sharded dataset; ${o.dataset} is a dataset cache, whose sources fit on all its training sessions`);
    }
    if (o.resume) await checkResumeFlags(o, config);
    const progress = new Progress("train", o.episodes);
    const r = await train({
      dataset: o.dataset, embeddings: o.embeddings, out: o.out, env: o.env, episodes: o.episodes, steps: o.steps, networks: o.networks, seed: o.seed,
      config,
      train: { noise: { kind: o.noiseKind ?? "gaussian", sigma: o.noise, sigmaMin: o.noise, decay: 1 }, temperature: o.temperature as number, evalEvery: o.evalEvery as number },
      resume: o.resume, checkpointEvery: o.checkpointEvery, recentSessions: o.recentSessions, command: commandLine(),
      onWarning: (text) => process.stderr.write(`warning: ${text}\n`),
      onEpisode: (m, done, total) => {
        if (o.json) process.stdout.write(JSON.stringify(m) + "\n");
        progress.update(done, `reward ${formatFigure(m.reward)} Q ${formatFigure(m.meanQ)} loss ${formatFigure(m.criticLoss)}`);
        void total;
      },
    });
    progress.done();
    if (!o.json) {
      const last = r.metrics.slice(-Math.min(20, r.metrics.length));
      const mean = (f: (m: EpisodeMetrics) => number) => {
        const v = last.map(f).filter(Number.isFinite);
        return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
      };
      process.stdout.write(`wrote ${r.model} after ${r.metrics.length} episodes (${formatSeconds(r.seconds)}${r.resumedFrom !== undefined ? `, resumed at episode ${r.resumedFrom}` : ""}); mean of the last ${last.length} episodes: reward ${formatFigure(mean((m) => m.reward))}, Q ${formatFigure(mean((m) => m.meanQ))}, critic loss ${formatFigure(mean((m) => m.criticLoss))}\n`);
      if (r.excluded > 0) process.stdout.write(`${r.excluded} tracks are left out of recommendation: never played in the training sessions and without audio features, nothing is known about them\n`);
    }
  });

/** Before resuming: refuse flags the checkpoint contradicts, and list the settings it imposes. */
async function checkResumeFlags(o: TrainFlags, config: Partial<DdpgConfig>): Promise<void> {
  const { readFileNamed } = await import("../io/atomic.js");
  const { decodeModel } = await import("../agent/checkpoint.js");
  const h = decodeModel(await readFileNamed(o.resume!), o.resume!).header;
  const meta = h.meta ?? {};
  const given = (name: string): boolean => trainCommand.getOptionValueSource(name) === "cli";
  const stored = meta.train as { noise?: { sigma?: number; kind?: string } } | undefined;
  const networks = (Object.keys(NETWORKS) as NetworkChoice[]).find((n) => JSON.stringify({ actor: NETWORKS[n].actor, critic: NETWORKS[n].critic }) === JSON.stringify({ actor: h.config.actor, critic: h.config.critic }));
  const preset = presetConfig(o.networks, {}, o.env);
  const settings: ResumeSetting[] = [
    { flag: "--env", given: given("env"), value: o.env, stored: meta.env },
    { flag: "--steps", given: given("steps"), value: o.steps, stored: meta.steps },
    { flag: "--seed", given: given("seed"), value: o.seed, stored: meta.seed },
    { flag: "--networks", given: given("networks"), value: o.networks, stored: networks ?? "custom" },
    ...TRAIN_CONFIG.map((c) => {
      const name = c.option.attributeName();
      return { flag: c.option.long!, given: given(name), value: config[c.key] ?? preset[c.key] ?? DDPG_DEFAULTS[c.key], stored: h.config[c.key] };
    }),
    { flag: "--noise", given: given("noise"), value: o.noise, stored: stored?.noise?.sigma },
    { flag: "--noise-kind", given: given("noiseKind"), value: o.noiseKind ?? "gaussian", stored: stored?.noise?.kind },
    { flag: "--recent-sessions", given: given("recentSessions"), value: o.recentSessions, stored: meta.recentSessions },
  ];
  const done = h.trainer?.episode ?? 0;
  const overrides = checkResume(o.resume!, done, o.episodes, settings);
  process.stderr.write(`resuming ${o.resume} at episode ${done} of ${o.episodes}${overrides.length ? `; the checkpoint's settings override this command's defaults: ${overrides.join(", ")}` : ""}\n`);
}

function commandLine(): string {
  return ["encore", ...process.argv.slice(2)].join(" ");
}

program
  .command("evaluate")
  .description("evaluate the model beside the baselines on held-out sessions; write report.json and report.html")
  .option("--dataset <path>", "dataset cache, or a sharded dataset's folder from 'encore prepare --shards'", `${WS}/dataset.bin`)
  .option("--embeddings <path>", "embeddings file", `${WS}/embeddings.bin`)
  .option("--model <path>", "model file from 'encore train'", `${WS}/model.encore`)
  .option("--out <dir>", "report folder", `${WS}/report`)
  .addOption(defaultText(choiceListOption("--protocols <list>", "comma-separated, any of: original (the original project's offline protocol), next-tracks (the tracks played next in held-out sessions), online (episodes against the ground-truth listener; synthetic data only)", PROTOCOLS), "all three on synthetic data, original,next-tracks on MSSD"))
  .addOption(intListOption("--seeds <list>", "comma-separated seeds pooled into every figure", SEED, 64, [0, 1, 2]))
  .addOption(intOption("--max-sessions <n>", "evaluate at most n test sessions per seed (0: all); on a sharded dataset about n, chosen by a hash of each session's index", { min: 0, max: 1_000_000_000 }, 2000))
  .addOption(intOption("--recent-sessions <n>", "on a sharded dataset: the most recent training sessions SKNN and V-SKNN hold in memory", { min: 1, max: 1_000_000_000 }, RECENT_SESSIONS_DEFAULT))
  .addOption(intOption("--episodes <n>", "online episodes per seed and policy", { min: 1, max: 1_000_000 }, 200))
  .addOption(intOption("--bootstrap <n>", "bootstrap resamples for the 95% intervals", { min: 100, max: 100_000 }, 1000))
  .option("--json", "print the report as JSON (default: the summary and tables, with a progress bar)")
  .addHelpText("after", "\nExamples:\n  npx encore evaluate\n  npx encore evaluate --protocols original,next-tracks --seeds 0,1,2,3,4\n")
  .action(async (o: { dataset: string; embeddings: string; model: string; out: string; protocols?: ProtocolId[]; seeds: number[]; maxSessions: number; recentSessions: number; episodes: number; bootstrap: number; json?: boolean }) => {
    const protocols = o.protocols ?? (await defaultProtocols(o.dataset));
    const bars = new ProtocolBars();
    const { report, files } = await evaluateCommand({
      ...o, protocols, command: commandLine(), onProgress: (p, done, total) => bars.update(p, done, total),
      onWarning: (text) => process.stderr.write(`warning: ${text}\n`),
    });
    bars.done();
    if (o.json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
    else process.stdout.write(formatReport(report) + `\nwrote ${files.html} and ${files.json}\n`);
  });

async function defaultProtocols(dataset: string): Promise<ProtocolId[]> {
  const { openDataset, findSynthManifest } = await import("./pipeline.js");
  const { logs } = openDataset(dataset);
  return logs.length === 1 && findSynthManifest(logs[0]) ? ["original", "next-tracks", "online"] : ["original", "next-tracks"];
}

program
  .command("recommend")
  .description("recommend K tracks for a listening history (track ids, oldest first, each optionally marked skipped)")
  .option("--model <path>", "model file", `${WS}/model.encore`)
  .option("--embeddings <path>", "embeddings file (with track ids)", `${WS}/embeddings.bin`)
  .requiredOption("--history <ids>", "comma-separated track ids, oldest first (the last N are used); 'id:s' marks a play that was skipped, 'id' or 'id:k' one that was kept")
  .option("--json", "print machine-readable output")
  .addHelpText("after", "\nExample:\n  npx encore recommend --history t_0a1b...,t_2c3d...:s,...   (10 ids; the second was skipped)\n")
  .action(async (o: { model: string; embeddings: string; history: string; json?: boolean }) => {
    const recs = await recommend({ model: o.model, embeddings: o.embeddings, history: parseHistoryText(o.history) });
    if (o.json) process.stdout.write(JSON.stringify(recs, null, 2) + "\n");
    else process.stdout.write(formatRecommendations(recs) + "\n");
  });

program
  .command("demo")
  .description("the whole job on built-in synthetic data (or on real MSSD files with --mssd): generate, embed, train, evaluate against the baselines, write the report")
  .addOption(defaultText(new Option("--dir <dir>", "working folder"), `${WS}/demo, or ${WS}/demo-mssd with --mssd`))
  .addOption(defaultText(new Option("--mssd <dir>", "run on the real MSSD files in this folder (log_*.csv[.gz] and tf_*.csv[.gz]): item2vec embeddings, learning from the logged sessions, the offline protocols"), "the built-in synthetic data"))
  .addOption(intOption("--sessions <n>", "synthetic sessions", { min: 100, max: 10_000_000 }, 10_000))
  .addOption(intOption("--tracks <n>", "synthetic catalog size", { min: 100, max: 4_000_000 }, 10_000))
  .addOption(defaultText(intOption("--episodes <n>", "training episodes", { min: 1, max: 1_000_000 }), "8000 online on synthetic data; 100 of 20 updates with --mssd"))
  .addOption(intOption("--seed <n>", "random seed", SEED, 0))
  .addOption(intOption("--split-seed <n>", "seed of the 70/30 session split", SEED, DEFAULT_SPLIT.seed))
  .option("--json", "print the report as JSON")
  .addHelpText("after", "\nExamples:\n  npx encore demo                        (about a minute on 2 cores; open .encore/demo/report/report.html afterwards)\n  npx encore demo --mssd path/to/mssd    (real MSSD files; .encore/demo-mssd/report/report.html)\n")
  .action(async (o: { dir?: string; mssd?: string; sessions: number; tracks: number; episodes?: number; seed: number; splitSeed: number; json?: boolean }) => {
    const { runDemo } = await import("./demo.js");
    const dir = o.dir ?? (o.mssd !== undefined ? `${WS}/demo-mssd` : `${WS}/demo`);
    const r = await runDemo({ ...o, dir, command: commandLine(), log: (s) => process.stderr.write(s + "\n") });
    if (o.json) process.stdout.write(JSON.stringify(r.report, null, 2) + "\n");
    else process.stdout.write(formatReport(r.report) + `\n\nreport: ${r.files.html}\n`);
  });

program
  .command("bench")
  .description("run the engine's micro-benchmarks beside their baselines")
  .option("--json", "print one JSON array of results (default: a table)")
  .addOption(defaultText(new Option("--filter <substring>", "only cases whose name contains this"), "every case"))
  .option("--quick", "shorter timing, less precise (default: full timing)")
  .addHelpText("after", "\nExamples:\n  npx encore bench\n  npx encore bench --filter gemm --json\n")
  .action(async (opts: { json?: boolean; filter?: string; quick?: boolean }) => {
    // The benchmarks are their own entry (build/js/bench/run.js): their baselines use the test
    // references, which the CLI itself never loads (their multi-thread rows take ENCORE_BENCH_THREADS, default 2).
    const { spawn } = await import("node:child_process");
    const { fileURLToPath } = await import("node:url");
    const entry = fileURLToPath(new URL("../../bench/run.js", import.meta.url));
    const args = [...(opts.json ? ["--json"] : []), ...(opts.filter !== undefined ? ["--filter", opts.filter] : []), ...(opts.quick ? ["--quick"] : [])];
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, [entry, ...args], { stdio: "inherit" });
      child.on("error", reject);
      child.on("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0)));
    });
    if (code !== 0) throw new Error(`the benchmarks exited with status ${code}`);
  });

program
  .command("serve")
  .description("serve the browser demo page (built by 'npm run build:web') and, given a model, the HTTP recommend API (POST /api/recommend, GET /api/health); print the address")
  .option("--dir <dir>", "folder to serve", "build/web")
  .addOption(defaultText(new Option("--model <path>", "model file: answer POST /api/recommend with it (needs --embeddings)"), "no API, the page only"))
  .addOption(defaultText(new Option("--embeddings <path>", "the model's embeddings file (with track ids)"), "none"))
  .addOption(intOption("--max-body <bytes>", "largest API request body; larger ones get 413", { min: 256, max: 64 * 1024 * 1024 }, 64 * 1024))
  .addOption(intOption("--port <n>", "port (0: any free port)", { min: 0, max: 65_535 }, 0))
  .option("--host <host>", "interface to listen on", "127.0.0.1")
  .option("--json", "print the address as one JSON line {\"url\", \"dir\", \"api\"} (default: a sentence)")
  .addHelpText("after", "\nExamples:\n  npx encore demo && npm run build:web && npx encore serve\n  npx encore serve --model .encore/demo/model.encore --embeddings .encore/demo/embeddings.bin --port 8080\n  curl -s localhost:8080/api/recommend -d '{\"history\": [\"t_…\", …], \"k\": 3}'\n")
  .action(async (o: { dir: string; model?: string; embeddings?: string; maxBody: number; port: number; host: string; json?: boolean }) => {
    const { existsSync } = await import("node:fs");
    if ((o.model === undefined) !== (o.embeddings === undefined)) throw new Error("--model and --embeddings go together (the API needs both)");
    const page = existsSync(join(o.dir, "index.html"));
    if (!page && !o.model) throw new Error(`${join(o.dir, "index.html")}: no page to serve (run 'npm run build:web' first)`);
    const { openRecommender } = await import("./library.js");
    const recommender = o.model ? await openRecommender(o.model, o.embeddings!) : undefined;
    const { serveStatic } = await import("../web/serve.js");
    const s = await serveStatic({ dir: page ? o.dir : null, recommender, maxBody: o.maxBody, port: o.port, host: o.host });
    const api = recommender ? `${s.url}api/recommend` : null;
    const text = `serving ${page ? o.dir : "no page"} at ${s.url}${api ? `, POST ${api}` : ""}  (Ctrl-C to stop)`;
    process.stdout.write(o.json ? JSON.stringify({ url: s.url, dir: page ? o.dir : null, api }) + "\n" : text + "\n");
    await new Promise<void>((resolve) => {
      const stop = (): void => void s.close().then(resolve);
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
  });

async function main(): Promise<void> {
  installSignalCleanup(); // SIGINT / SIGTERM remove this process's temporary files
  program.exitOverride();
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode);
    const verbose = program.opts().verbose as boolean | undefined;
    process.stderr.write(`encore: ${verbose ? (e as Error).stack : (e as Error).message}\n`);
    process.exit(1);
  }
}

void main();
