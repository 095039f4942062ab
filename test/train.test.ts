// The DDPG training loop and the model file: metrics, exact resume from a checkpoint,
// rejection of corrupted or mismatched model files.
import { describe, it, expect } from "vitest";
import { MemoryPlan } from "../src/engine/plan.js";
import { DdpgAgent } from "../src/agent/ddpg.js";
import { Trainer, type TrainOptions } from "../src/agent/train.js";
import { applyModel, checkModel, decodeModel, encodeModel, MODEL_MAGIC, MODEL_VERSION, type ModelIdentity } from "../src/agent/checkpoint.js";
import { LirdSimulator } from "../src/rl/lird.js";
import { BinFileError, encode } from "../src/io/binfile.js";
import { Rng } from "../src/rng.js";
import { loadEngine } from "./util/engine.js";

const V = 120, d = 8, N = 10, K = 3, S = 200;
const TRAIN: Partial<TrainOptions> = { maxSteps: 6, seed: 42 };
const IDENTITY: ModelIdentity = { vocabHash: "vocab-test", embeddingHash: "emb-test", V, d };

/** Deterministic random data: embeddings and logged LIRD samples (state, action, reward flags). */
function data(seed: number) {
  const rng = new Rng(seed);
  const E = new Float32Array(V * d);
  for (let i = 0; i < E.length; i++) E[i] = rng.normal() / Math.sqrt(d);
  const states = new Int32Array(S * N), actions = new Int32Array(S * K), rewards = new Uint8Array(S * K);
  for (let s = 0; s < S; s++) {
    const seen = new Set<number>();
    const pick = () => { let t; do t = rng.int(V); while (seen.has(t)); seen.add(t); return t; };
    for (let n = 0; n < N; n++) states[s * N + n] = pick();
    for (let k = 0; k < K; k++) {
      actions[s * K + k] = pick();
      rewards[s * K + k] = rng.float() < 0.5 ? 1 : 0;
    }
  }
  return { E, samples: { N, K, states, actions, rewards } };
}

async function setup(seed = 1) {
  const { E, samples } = data(seed);
  const plan = new MemoryPlan();
  const cat = plan.f32("catalog", "data", V * d);
  const agent = new DdpgAgent(plan, { region: cat, V, d }, { batch: 16, actorLr: 1e-3 });
  await loadEngine(plan);
  cat.f32().set(E);
  agent.initialize(new Rng(seed));
  const env = new LirdSimulator(samples, { V, d, E }, { episodeLength: 6 });
  const trainer = new Trainer(agent, env, TRAIN);
  return { agent, trainer };
}

function params(agent: DdpgAgent): Buffer[] {
  return [agent.actor.group, agent.critic.group].flatMap((g) =>
    (["value", "m", "v", "target"] as const).map((a) => Buffer.from(Float32Array.from(g.arenaView(a)).buffer)));
}

describe("DDPG training", () => {
  it("runs episodes with finite metrics once the replay buffer holds a batch", async () => {
    const { trainer } = await setup();
    const ms = trainer.run(8);
    expect(ms.map((m) => m.episode)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const m of ms) {
      expect(m.steps).toBe(6);
      expect(Number.isFinite(m.reward)).toBe(true);
    }
    // 16 transitions are needed before the first update: episodes 1-2 have 12, episode 3 starts updating
    expect(ms[0].updates).toBe(0);
    expect(ms[2].updates).toBeGreaterThan(0);
    for (const m of ms.slice(3)) {
      expect(m.updates).toBe(6);
      for (const v of [m.meanQ, m.criticLoss, m.actorObjective, m.noise]) expect(Number.isFinite(v)).toBe(true);
    }
    expect(trainer.replay.size).toBe(48);
  });

  it("resuming from a checkpoint gives exactly the uninterrupted run", async () => {
    const straight = await setup();
    const all = straight.trainer.run(8);

    const first = await setup();
    first.trainer.run(4);
    const bytes = encodeModel(first.agent, IDENTITY, first.trainer);

    const resumed = await setup(); // a fresh engine, agent and trainer, as in a new process
    const model = decodeModel(bytes, "ckpt.encore");
    checkModel(model, resumed.agent, IDENTITY, "ckpt.encore");
    applyModel(model, resumed.agent, resumed.trainer);
    const rest = resumed.trainer.run(4);

    expect(rest).toEqual(all.slice(4));
    const a = params(straight.agent), b = params(resumed.agent);
    for (let i = 0; i < a.length; i++) expect(b[i].equals(a[i]), `arena ${i}`).toBe(true);
  });

  it("rejects truncated, corrupted, other-version and mismatched model files with clear errors", async () => {
    const { agent, trainer } = await setup();
    trainer.run(3);
    const bytes = encodeModel(agent, IDENTITY, trainer);
    expect(() => decodeModel(bytes.subarray(0, bytes.length - 100), "m.encore")).toThrow(BinFileError);
    expect(() => decodeModel(bytes.subarray(0, bytes.length - 100), "m.encore")).toThrow(/m\.encore.*truncated/);
    const flipped = bytes.slice();
    flipped[Math.floor(bytes.length / 2)] ^= 0x40;
    expect(() => decodeModel(flipped, "m.encore")).toThrow(/m\.encore.*(checksum|corrupt)/i);
    const model = decodeModel(bytes, "m.encore");
    const otherVersion = encode({ magic: MODEL_MAGIC, version: MODEL_VERSION + 1, header: model.header, sections: [] });
    expect(() => decodeModel(otherVersion, "m.encore")).toThrow(new RegExp(`m\\.encore.*version ${MODEL_VERSION + 1}`));
    const notAModel = encode({ magic: "OTHERFMT", version: 1, header: null, sections: [] });
    expect(() => decodeModel(notAModel, "m.encore")).toThrow(/m\.encore.*magic/);
    expect(() => checkModel(model, agent, { ...IDENTITY, vocabHash: "other" }, "m.encore")).toThrow(/another track vocabulary/);
    expect(() => checkModel(model, agent, { ...IDENTITY, embeddingHash: "other" }, "m.encore")).toThrow(/other track embeddings/);
    const plan = new MemoryPlan();
    const cat = plan.f32("catalog", "data", V * d);
    const wide = new DdpgAgent(plan, { region: cat, V, d }, { batch: 16, actor: { encoder: { kind: "gru", hidden: 16 }, hidden: [] } });
    await loadEngine(plan);
    expect(() => checkModel(model, wide, IDENTITY, "m.encore")).toThrow(/networks .* differ/);
  });
});
