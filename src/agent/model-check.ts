// The shape check of a model file's header against its sections, before anything is built
// from it: a file whose checksum passes but whose header a faulty writer (or a deliberate
// edit) got wrong is rejected here with a message, rather than failing later inside the
// agent, the replay buffer or the engine. decodeModel (src/agent/checkpoint.ts) calls it.
//
// No `node:` imports.
import type { BinFile } from "../io/binfile.js";

const ARENAS = ["value", "m", "v", "target"] as const;
/** Bounds far beyond any trained model, that keep a bogus header from sizing memory. */
const MAX_DIM = 1 << 16;

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);
const isInt = (x: unknown, lo: number, hi: number): x is number => Number.isInteger(x) && (x as number) >= lo && (x as number) <= hi;
const isNum = (x: unknown, lo: number, hi: number): x is number => typeof x === "number" && x >= lo && x <= hi;

function networkProblem(name: string, n: unknown): string {
  if (!isObj(n) || !isObj(n.encoder) || typeof n.encoder.kind !== "string") return `config.${name} lacks an encoder`;
  if (n.encoder.hidden !== undefined && !isInt(n.encoder.hidden, 1, MAX_DIM)) return `config.${name}.encoder.hidden is ${JSON.stringify(n.encoder.hidden)}`;
  if (n.encoder.channels !== undefined && !isInt(n.encoder.channels, 1, 64)) return `config.${name}.encoder.channels is ${JSON.stringify(n.encoder.channels)}`;
  if (n.encoder.normalize !== undefined && typeof n.encoder.normalize !== "boolean") return `config.${name}.encoder.normalize is ${JSON.stringify(n.encoder.normalize)}`;
  if (!Array.isArray(n.hidden) || !n.hidden.every((h) => isInt(h, 1, MAX_DIM))) return `config.${name}.hidden must list layer widths`;
  return "";
}

function rngProblem(name: string, r: unknown): string {
  if (!isObj(r) || !Array.isArray(r.words) || r.words.length !== 4 || !r.words.every((w) => isInt(w, 0, 0xffffffff))) return `trainer.${name} is not a generator state`;
  if ((r.words as number[]).every((w) => w === 0)) return `trainer.${name} is the all-zero state`;
  if (r.spare !== null && typeof r.spare !== "number") return `trainer.${name}.spare is ${JSON.stringify(r.spare)}`;
  return "";
}

/** What is wrong with a decoded model header and its sections, or "" when nothing is. */
export function modelProblem(h: unknown, file: BinFile): string {
  if (!isObj(h) || h.format !== "encore-model") return "not an encore model (no \"format\": \"encore-model\" header)";
  const id = h.identity, c = h.config;
  if (!isObj(id) || typeof id.vocabHash !== "string" || typeof id.embeddingHash !== "string" || !isInt(id.V, 1, 2 ** 31 - 1) || !isInt(id.d, 1, MAX_DIM)) return "header lacks a valid identity (vocabHash, embeddingHash, V, d)";
  if (!isObj(c)) return "header lacks its config";
  if (!isInt(c.N, 1, MAX_DIM) || !isInt(c.K, 1, MAX_DIM) || !isInt(c.batch, 1, MAX_DIM)) return `config N = ${c.N}, K = ${c.K}, batch = ${c.batch}: expected positive integers`;
  if (!isNum(c.gamma, 0, 1) || !isNum(c.tau, Number.MIN_VALUE, 1)) return `config gamma = ${c.gamma}, tau = ${c.tau}: out of range`;
  for (const k of ["actorLr", "criticLr", "clipNorm", "actionRadius"]) if (!isNum(c[k], 0, Number.MAX_VALUE)) return `config ${k} = ${c[k]}: expected a finite number ≥ 0`;
  if (c.targetAction !== "selected" && c.targetAction !== "proto") return `config targetAction = ${JSON.stringify(c.targetAction)}`;
  const net = networkProblem("actor", c.actor) || networkProblem("critic", c.critic);
  if (net) return net;
  // encore's additions (absent in the original's configs means their defaults)
  for (const k of ["trackBias", "twin", "trainEmbeddings"]) if (c[k] !== undefined && typeof c[k] !== "boolean") return `config ${k} = ${JSON.stringify(c[k])}: expected true or false`;
  if (c.listGamma !== undefined && !isNum(c.listGamma, Number.MIN_VALUE, 1)) return `config listGamma = ${c.listGamma}: expected (0, 1]`;
  if (c.rerank !== undefined && !isInt(c.rerank, 0, MAX_DIM)) return `config rerank = ${c.rerank}: expected an integer ≥ 0`;
  if (c.sourceCandidates !== undefined && !isInt(c.sourceCandidates, 1, 63)) return `config sourceCandidates = ${c.sourceCandidates}: expected 1..63`;
  if (c.policyDelay !== undefined && !isInt(c.policyDelay, 1, MAX_DIM)) return `config policyDelay = ${c.policyDelay}: expected a positive integer`;
  for (const k of ["targetNoise", "targetNoiseClip", "embeddingLr"]) if (c[k] !== undefined && !isNum(c[k], 0, Number.MAX_VALUE)) return `config ${k} = ${c[k]}: expected a finite number ≥ 0`;
  if (c.sources !== undefined && !(Array.isArray(c.sources) && c.sources.length <= 16 && c.sources.every((n) => typeof n === "string"))) return "config sources must list candidate source names";
  if (Array.isArray(c.sources) && c.sources.length > 0) {
    for (const s of ["sources.offsets", "sources.tracks", "sources.flags"]) if (!file.has(s)) return `section "${s}" (the sessions the candidate sources fit on) is missing`;
  }
  const critic = c.critic as Obj;
  if (critic.kind !== undefined && critic.kind !== "concat" && critic.kind !== "item") return `config.critic.kind ${JSON.stringify(critic.kind)} is not concat or item`;
  if (critic.link !== undefined && critic.link !== "identity" && critic.link !== "logistic") return `config.critic.link ${JSON.stringify(critic.link)} is not identity or logistic`;
  if (critic.tasteInit !== undefined && !isNum(critic.tasteInit, 0, 1e6)) return `config.critic.tasteInit = ${critic.tasteInit}: expected a number ≥ 0`;
  if (!isObj(h.adam) || !isInt(h.adam.actor, 0, Number.MAX_SAFE_INTEGER) || !isInt(h.adam.critic, 0, Number.MAX_SAFE_INTEGER)) return "header lacks the Adam step counts";
  if (h.meta !== undefined && !isObj(h.meta)) return "meta is not an object";
  const training = isObj(h.meta) ? h.meta.training : undefined;
  if (training !== undefined && !(Array.isArray(training) && training.every((e) => isObj(e) && ["episode", "steps", "reward", "updates"].every((k) => typeof e[k] === "number")))) return "meta.training is not a list of episode metrics";
  if (!Array.isArray(h.groups) || h.groups.length === 0 || h.groups.length > 64) return "header must list its parameter groups";
  for (const g of h.groups) {
    if (!isObj(g) || typeof g.name !== "string" || !isInt(g.size, 0, 2 ** 31 - 1) || !Array.isArray(g.tensors)) return "a parameter group lacks its name, size or tensors";
    for (const t of g.tensors) if (!isObj(t) || typeof t.name !== "string" || !Array.isArray(t.shape) || !t.shape.every((s) => isInt(s, 0, 2 ** 31 - 1))) return `group ${g.name} has a bad tensor entry`;
    for (const a of ARENAS) {
      const s = `${g.name}.${a}`;
      if (!file.has(s) || file.info(s).type !== "f32") return `section "${s}" is missing or not f32`;
      if (file.info(s).length !== g.size) return `section "${s}" holds ${file.info(s).length} values, the group has ${g.size}`;
    }
  }
  if (c.trackBias === true) {
    for (const a of ARENAS) {
      const s = `bias.${a}`;
      if (!file.has(s) || file.info(s).type !== "f32" || file.info(s).length !== id.V) return `section "${s}" must hold ${id.V} f32 values (one bias per track)`;
    }
  }
  if (file.has("recommendable") && (file.info("recommendable").type !== "u8" || file.info("recommendable").length !== id.V)) return `section "recommendable" must hold ${id.V} u8 flags`;
  if (h.adam.criticSteps !== undefined && !isInt(h.adam.criticSteps, 0, Number.MAX_SAFE_INTEGER)) return "header adam.criticSteps is not a count";
  const t = h.trainer;
  if (t === undefined) return "";
  if (!isObj(t)) return "trainer is not an object";
  for (const k of ["episode", "totalSteps", "totalUpdates"]) if (!isInt(t[k], 0, Number.MAX_SAFE_INTEGER)) return `trainer.${k} = ${t[k]}: expected a count`;
  const rng = rngProblem("rng", t.rng) || rngProblem("replayRng", t.replayRng) || rngProblem("exploreRng", t.exploreRng);
  if (rng) return rng;
  const r = t.replay, n = t.noise;
  if (!isObj(r) || !isInt(r.N, 1, MAX_DIM) || !isInt(r.K, 1, MAX_DIM) || !isInt(r.capacity, 1, 2 ** 31 - 1) || !isInt(r.size, 0, r.capacity as number) || !isInt(r.head, 0, (r.capacity as number) - 1)) {
    return "trainer.replay lacks a consistent N, K, capacity, size and head";
  }
  if (r.N !== c.N || r.K !== c.K) return `trainer.replay has N = ${r.N}, K = ${r.K}; the config N = ${c.N}, K = ${c.K}`;
  const S = r.size as number, N = r.N as number, K = r.K as number;
  const cols: [string, string, number][] = [["replay.states", "i32", S * N], ["replay.kept", "u8", S * N], ["replay.actions", "i32", S * K], ["replay.rewards", "f32", S * K], ["replay.reward", "f32", S], ["replay.nexts", "i32", S * N], ["replay.nextKept", "u8", S * N], ["replay.dones", "u8", S], ["replay.features", "f32", S * K * 2 * (Array.isArray(c.sources) ? c.sources.length : 0)]];
  for (const [s, type, len] of cols) {
    if (!file.has(s) || file.info(s).type !== type) return `section "${s}" is missing or not ${type}`;
    if (file.info(s).length !== len) return `section "${s}" holds ${file.info(s).length} values, expected ${len} for ${S} transitions`;
  }
  const V = id.V as number;
  for (const s of ["replay.states", "replay.actions", "replay.nexts"]) {
    const a = file.i32(s);
    for (let i = 0; i < a.length; i++) if (!(a[i] >= 0 && a[i] < V)) return `section "${s}" names track ${a[i]} of ${V}`;
  }
  const dim = K * ((id.d as number) + (c.trackBias === true ? 1 : 0));
  if (!isObj(n) || (n.kind !== "gaussian" && n.kind !== "ou")) return "trainer.noise lacks its kind";
  if (n.dim !== dim || !isInt(n.step, 0, Number.MAX_SAFE_INTEGER)) return `trainer.noise has dim ${n.dim} and step ${n.step}; expected dim K · A = ${dim} (A = d, plus 1 with the per-track bias)`;
  const nr = rngProblem("noise.rng", n.rng);
  if (nr) return nr;
  // a stream's position (src/rl/logged-stream.ts): counts; the window is checked against the data on resume
  const st = t.stream;
  if (st !== undefined && (!isObj(st) || !["pass", "position", "window", "samples", "drawn"].every((k) => isInt(st[k], 0, Number.MAX_SAFE_INTEGER)))) return "trainer.stream lacks its pass, position, window, samples and drawn counts";
  // The CLI's checkpoints record how to rebuild the trainer (meta.train, env, steps, seed); a
  // resume builds from them, so they must agree with the trainer state. The library's carry none.
  const m = isObj(h.meta) ? h.meta : {};
  const o = m.train;
  if (o !== undefined && !isObj(o)) return "meta.train is not the training options";
  if (isObj(o)) {
    if (!isInt(o.maxSteps, 1, 1 << 20) || !isInt(o.warmup, 0, 2 ** 31 - 1) || !isInt(o.updatesPerStep, 0, 1 << 20) || !isInt(o.seed, 0, 0xffffffff)) return "meta.train has a bad maxSteps, warmup, updatesPerStep or seed";
    if (o.replayCapacity !== r.capacity || (o.replayCapacity as number) < (c.batch as number)) return `meta.train.replayCapacity ${o.replayCapacity} does not match the replay buffer's ${r.capacity} (or is below the batch)`;
    const on = o.noise;
    if (!isObj(on) || on.kind !== n.kind || !isNum(on.sigma, 0, Number.MAX_VALUE) || !isNum(on.sigmaMin, 0, on.sigma as number) || !isNum(on.decay, Number.MIN_VALUE, 1)) return "meta.train.noise is not a consistent schedule";
    if (on.theta !== undefined && !isNum(on.theta, Number.MIN_VALUE, Number.MAX_VALUE)) return "meta.train.noise.theta must be positive";
    if (o.temperature !== undefined && !isNum(o.temperature, 0, 1e6)) return `meta.train.temperature ${o.temperature}: expected a number ≥ 0`;
    if (o.evalEvery !== undefined && !isInt(o.evalEvery, 0, 1 << 30)) return `meta.train.evalEvery ${o.evalEvery}: expected a count`;
    if (o.evalEpisodes !== undefined && !isInt(o.evalEpisodes, 1, 1 << 20)) return `meta.train.evalEpisodes ${o.evalEpisodes}: expected a positive count`;
  }
  if (m.env !== undefined && m.env !== "lird" && m.env !== "listener" && m.env !== "logged") return `meta.env ${JSON.stringify(m.env)} is not lird, listener or logged`;
  if (m.steps !== undefined && !isInt(m.steps, 1, 1 << 20)) return `meta.steps ${m.steps}: expected a positive integer`;
  if (m.seed !== undefined && !isInt(m.seed, 0, 0xffffffff)) return `meta.seed ${m.seed}: expected a u32`;
  if (m.training !== undefined && !Array.isArray(m.training)) return "meta.training is not a list of episodes";
  if (m.split !== undefined && (!isObj(m.split) || !isInt(m.split.seed, 0, 0xffffffff) || !isNum(m.split.trainFraction, 0, 1))) return "meta.split lacks its seed and trainFraction";
  const xLen = n.kind === "ou" ? dim : 0;
  if (!file.has("noise.x") || file.info("noise.x").type !== "f64" || file.info("noise.x").length !== xLen) return `section "noise.x" must hold ${xLen} f64 values for ${n.kind} noise`;
  return "";
}
