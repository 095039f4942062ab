// The model file: one versioned, checksummed binary (src/io/binfile.ts) holding the
// hyperparameters, the vocabulary and embedding hashes it was trained with, every parameter
// arena (weights, Adam moments, target weights) and, for a training checkpoint, the trainer's
// state: step counters, random streams, exploration noise and the replay buffer. Loading
// checks everything before touching the agent: format, version, checksum (in decode), the
// network layout, and that the vocabulary and embeddings are the ones it was trained for.
//
// Encoding and decoding are pure (no `node:`): a browser loads a model from fetched bytes.
// Writing to disk goes through src/io/atomic.ts (temp file + fsync + rename).

import { decode, encode, type BinFile, type SectionArray } from "../io/binfile.js";
import { modelProblem } from "./model-check.js";
import type { Arena, ParamGroup } from "../engine/plan.js";
import type { NoiseState } from "../rl/noise.js";
import type { DdpgAgent, DdpgConfig } from "./ddpg.js";
import type { SourceSessions } from "../core/candidates.js";
import type { Trainer, TrainerState } from "./train.js";

export const MODEL_MAGIC = "ENCOREMD";
export const MODEL_VERSION = 2;

/** What a model was trained against: it must be used with the same tracks and embeddings. */
export interface ModelIdentity {
  /** Hash of the track vocabulary (ordered track ids). */
  vocabHash: string;
  /** Hash of the embedding matrix bytes. */
  embeddingHash: string;
  V: number;
  d: number;
}

interface GroupLayout {
  name: string;
  size: number;
  tensors: { name: string; shape: number[] }[];
}

interface TrainerHeader extends Omit<TrainerState, "replay" | "noise" | "actorAdamT" | "criticAdamT"> {
  noise: Omit<NoiseState, "x">;
  replay: { N: number; K: number; capacity: number; size: number; head: number };
}

export interface ModelHeader {
  format: "encore-model";
  identity: ModelIdentity;
  config: DdpgConfig;
  groups: GroupLayout[];
  /** Adam step counts (bias correction resumes where it stopped) and the critic updates made (TD3's policy delay counts them). */
  adam: { actor: number; critic: number; criticSteps?: number };
  /** Present in training checkpoints. */
  trainer?: TrainerHeader;
  /** Free-form provenance: command, created, dataset, train options. */
  meta?: Record<string, unknown>;
}

const SAVED_ARENAS: Arena[] = ["value", "m", "v", "target"];

function layoutOf(g: ParamGroup): GroupLayout {
  return { name: g.name, size: g.size, tensors: g.tensors.map((t) => ({ name: t.name, shape: [...t.shape] })) };
}

/** Encode the agent (and, for a training checkpoint, the trainer) into model-file bytes. */
export function encodeModel(agent: DdpgAgent, identity: ModelIdentity, trainer?: Trainer, meta?: Record<string, unknown>): Uint8Array {
  const groups = agent.groups;
  const sections: [string, SectionArray][] = [];
  for (const g of groups) for (const a of SAVED_ARENAS) sections.push([`${g.name}.${a}`, g.arenaView(a)]);
  if (agent.bias) for (const a of SAVED_ARENAS) sections.push([`bias.${a}`, agent.bias.view(a)]);
  if (agent.config.rerank > 0) sections.push(["recommendable", agent.recommendable]);
  if (agent.sourceSessions) {
    const s = agent.sourceSessions;
    // the skip flags are LOG_FLAG's low byte (skip_1..3, not_skipped): all a source reads of a row
    sections.push(["sources.offsets", s.sessionOffsets], ["sources.tracks", s.tracks], ["sources.flags", Uint8Array.from(s.flags, (f) => f & 0xff)]);
  }
  if (agent.embeddings) {
    void agent.catalogPtr; // the tuned catalog exists once used; an untrained agent saves the catalog it starts from
    for (const a of ["value", "m", "v"] as const) sections.push([`embeddings.${a}`, agent.embeddings.view(a)]);
  }
  const header: ModelHeader = {
    format: "encore-model", identity, config: agent.config, groups: groups.map(layoutOf),
    adam: { actor: agent.actorOpt.t, critic: agent.criticOpt.t, criticSteps: agent.criticSteps }, meta,
  };
  if (trainer) {
    const s = trainer.getState();
    const { x, ...noise } = s.noise;
    const r = s.replay;
    header.trainer = {
      episode: s.episode, totalSteps: s.totalSteps, totalUpdates: s.totalUpdates,
      rng: s.rng, replayRng: s.replayRng, exploreRng: s.exploreRng,
      noise, replay: { N: r.N, K: r.K, capacity: r.capacity, size: r.size, head: r.head },
      ...(s.stream ? { stream: s.stream } : {}),
    };
    sections.push(["noise.x", Float64Array.from(x)]);
    sections.push(["replay.states", r.states], ["replay.kept", r.kept], ["replay.actions", r.actions], ["replay.rewards", r.rewards],
      ["replay.reward", r.reward], ["replay.nexts", r.nexts], ["replay.nextKept", r.nextKept], ["replay.dones", r.dones], ["replay.features", r.features]);
  }
  return encode({ magic: MODEL_MAGIC, version: MODEL_VERSION, header, sections });
}

export interface DecodedModel {
  header: ModelHeader;
  file: BinFile;
}

/** Decode and validate model-file bytes (magic, version, checksum, header shape). */
export function decodeModel(bytes: Uint8Array, name = "<model>"): DecodedModel {
  const file = decode(bytes, { expectMagic: MODEL_MAGIC, expectVersion: MODEL_VERSION, name });
  const header = file.header as ModelHeader;
  const problem = modelProblem(header, file); // src/agent/model-check.ts: header vs sections, before anything is built
  if (problem) throw new Error(`${name}: ${problem}`);
  return { header, file };
}

/**
 * Check a decoded model against the identity the caller has (its vocabulary and embeddings)
 * and against the agent's network layout; throws a clear error naming the mismatch.
 */
export function checkModel(model: DecodedModel, agent: DdpgAgent, identity: ModelIdentity, name = "<model>"): void {
  const h = model.header;
  if (h.identity.vocabHash !== identity.vocabHash) {
    throw new Error(`${name}: the model was trained for another track vocabulary (hash ${h.identity.vocabHash}, this data has ${identity.vocabHash})`);
  }
  if (h.identity.embeddingHash !== identity.embeddingHash) {
    throw new Error(`${name}: the model was trained with other track embeddings (hash ${h.identity.embeddingHash}, these are ${identity.embeddingHash})`);
  }
  if (h.identity.V !== identity.V || h.identity.d !== identity.d) {
    throw new Error(`${name}: the model expects ${h.identity.V} tracks of dimension ${h.identity.d}, got ${identity.V} × ${identity.d}`);
  }
  const groups = agent.groups;
  const want = JSON.stringify(groups.map(layoutOf));
  if (JSON.stringify(h.groups) !== want) {
    throw new Error(`${name}: the model's networks (${describe(h.groups)}) differ from this agent's (${describe(groups.map(layoutOf))})`);
  }
}

function describe(gs: GroupLayout[]): string {
  return gs.map((g) => `${g.name}: ${g.tensors.map((t) => `${t.name}[${t.shape.join("x")}]`).join(" ")}`).join("; ");
}

/** Load the parameter arenas (and, when given and present, the trainer state) into a checked agent. */
export function applyModel(model: DecodedModel, agent: DdpgAgent, trainer?: Trainer): void {
  const { file, header } = model;
  for (const g of agent.groups) {
    for (const a of SAVED_ARENAS) g.arenaView(a).set(file.f32(`${g.name}.${a}`));
    g.arenaView("grad").fill(0);
  }
  if (agent.bias) {
    for (const a of SAVED_ARENAS) agent.bias.view(a).set(file.f32(`bias.${a}`));
    agent.bias.zeroGrad();
  }
  if (agent.config.rerank > 0 && file.has("recommendable")) agent.setRecommendable(file.u8("recommendable"));
  if (agent.embeddings) {
    for (const a of ["value", "m", "v"] as const) agent.embeddings.view(a).set(file.f32(`embeddings.${a}`));
    agent.embeddings.zeroGrad();
    agent.embeddingsReady = true;
  }
  if (trainer) {
    const t = header.trainer;
    if (!t) throw new Error("this model file has no trainer state (it is a model, not a training checkpoint)");
    trainer.setState({
      episode: t.episode, totalSteps: t.totalSteps, totalUpdates: t.totalUpdates,
      rng: t.rng, replayRng: t.replayRng, exploreRng: t.exploreRng, actorAdamT: header.adam.actor, criticAdamT: header.adam.critic,
      ...(t.stream ? { stream: t.stream } : {}),
      noise: { ...t.noise, x: file.f64("noise.x") },
      replay: {
        ...t.replay,
        states: file.i32("replay.states"), kept: file.u8("replay.kept"), actions: file.i32("replay.actions"), rewards: file.f32("replay.rewards"),
        reward: file.f32("replay.reward"), nexts: file.i32("replay.nexts"), nextKept: file.u8("replay.nextKept"), dones: file.u8("replay.dones"), features: file.f32("replay.features"),
      },
    });
  }
  agent.actorOpt.t = header.adam.actor;
  agent.criticOpt.t = header.adam.critic;
  if (agent.critic2Opt) agent.critic2Opt.t = header.adam.critic;
  agent.criticSteps = header.adam.criticSteps ?? 0;
}

/**
 * The sessions a model's candidate sources were fitted on (config.sources), from its file, or
 * null when it re-ranks with none. Checked: offsets ascending from 0, tracks in the catalog.
 */
export function sourceSessionsOf(model: DecodedModel, name = "<model>"): SourceSessions | null {
  const { file, header } = model;
  if (!(header.config.sources ?? []).length) return null;
  const sessionOffsets = file.i32("sources.offsets"), tracks = file.i32("sources.tracks"), flags = Uint16Array.from(file.u8("sources.flags"));
  const V = header.identity.V, R = tracks.length;
  if (sessionOffsets.length < 1 || sessionOffsets[0] !== 0 || sessionOffsets[sessionOffsets.length - 1] !== R || flags.length !== R) throw new Error(`${name}: the candidate sources' sessions are malformed (offsets do not span the ${R} rows)`);
  for (let i = 1; i < sessionOffsets.length; i++) if (sessionOffsets[i] < sessionOffsets[i - 1]) throw new Error(`${name}: the candidate sources' session offsets decrease at session ${i - 1}`);
  for (let r = 0; r < R; r++) if (!(tracks[r] >= 0 && tracks[r] < V)) throw new Error(`${name}: the candidate sources' sessions name track ${tracks[r]} of ${V}`);
  return { V, sessionOffsets, tracks, flags };
}
