// From files to a ready agent: the one path the library entry (createRecommender,
// createTrainer) and the CLI (`encore recommend`, `serve`, `evaluate`, `train`) share. An agent
// on a fresh engine whose catalog region holds the embeddings, its candidate sources fitted on
// the sessions given (a model file carries them); a model file checked against the embeddings
// and applied; the listener's catalog mapped onto the embeddings' rows. The engine is compiled
// in src/engine/engine.ts (compileSource), whatever the source. No imports from Node.
import { Engine, type EngineBuilds, type EngineOptions, type WasmSource } from "./engine/engine.js";
import { MemoryPlan } from "./engine/plan.js";
import { DdpgAgent, type DdpgConfig } from "./agent/ddpg.js";
import { applyModel, checkModel, decodeModel, sourceSessionsOf, type DecodedModel, type ModelIdentity } from "./agent/checkpoint.js";
import type { LoadedEmbeddings } from "./embed/format.js";
import type { SourceSessions } from "./core/candidates.js";
import { fitSources } from "./eval/sources.js";
import type { ListenerModel } from "./data/synth.js";

/** The identity a model file records of the embeddings it was trained with. */
export function identityOf(emb: LoadedEmbeddings): ModelIdentity {
  return { vocabHash: emb.vocabHash, embeddingHash: emb.embeddingHash, V: emb.V, d: emb.d };
}

export interface AgentOnOptions {
  /** Engine options (threads, simd); absent: Engine.defaults. */
  engine?: EngineOptions;
  /** The sessions config.sources are fitted on (none: the agent has no candidate sources). */
  sessions?: SourceSessions | null;
  /** Largest batch act() takes (the evaluation's parallel listeners); default DdpgAgent's. */
  maxActBatch?: number;
}

/** A DDPG agent on a fresh engine whose catalog region holds the embeddings. */
export async function agentOn(wasm: WasmSource | EngineBuilds, emb: { E: Float32Array; V: number; d: number }, config: Partial<DdpgConfig>, o: AgentOnOptions = {}): Promise<DdpgAgent> {
  const plan = new MemoryPlan();
  const catalog = plan.f32("catalog", "data", emb.V * emb.d);
  const sessions = o.sessions ?? undefined;
  const sources = sessions ? fitSources(config.sources ?? [], sessions) : [];
  const agent = new DdpgAgent(plan, { region: catalog, V: emb.V, d: emb.d }, config, { sources, sourceSessions: sessions, ...(o.maxActBatch ? { maxActBatch: o.maxActBatch } : {}) });
  await Engine.load(wasm, plan, o.engine);
  catalog.f32().set(emb.E);
  return agent;
}

/**
 * A trained model's agent: the file decoded, an agent built from its config (sources fitted on
 * the sessions it carries), checked against the embeddings' identity and the weights applied.
 * `name` names the file in every error.
 */
export async function loadAgent(wasm: WasmSource | EngineBuilds, emb: LoadedEmbeddings, modelBytes: Uint8Array, name: string, o: Omit<AgentOnOptions, "sessions"> = {}): Promise<{ agent: DdpgAgent; header: DecodedModel["header"] }> {
  const model = decodeModel(modelBytes, name);
  const agent = await agentOn(wasm, emb, model.header.config, { ...o, sessions: sourceSessionsOf(model, name) }).catch((e: Error) => {
    throw new Error(`${name}: ${e.message}`, { cause: e });
  });
  checkModel(model, agent, identityOf(emb), name);
  applyModel(model, agent);
  return { agent, header: model.header };
}

/** The listener's track index of each catalog row (ids through `id`); throws `mismatch(id)` for a track the listener lacks. */
export function listenerCatalog(listener: ListenerModel, V: number, id: (row: number) => string, mismatch: (id: string) => string): Int32Array {
  const catalog = new Int32Array(V);
  for (let t = 0; t < V; t++) {
    catalog[t] = listener.trackIndex(id(t));
    if (catalog[t] < 0) throw new Error(mismatch(id(t)));
  }
  return catalog;
}
