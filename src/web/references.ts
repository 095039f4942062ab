// Reference lines for the demo page's live training curve: the mean episode reward of the
// random and popular policies on the same synthetic listener, with the same episode length as
// the in-page training, measured in the Worker by the CLI's own online protocol
// (src/eval/protocols/online.ts) and the CLI's own baselines (src/eval/baselines.ts). The
// popular policy is fitted as `encore evaluate` fits it: on the training split (70%, split
// seed 0, the CLI's default) of the sessions `encore generate` wrote, which are re-simulated
// here from the listener (the generator is deterministic in its seed and session count).
// No `node:` imports: it runs in the Worker.
import { ListenerModel, type SynthModelOptions } from "../data/synth.js";
import { SessionSimulator } from "../data/synth-log.js";
import { splitSessions } from "../data/split.js";
import { ListenerEnv } from "../rl/listener-env.js";
import { PopularPolicy, RandomPolicy } from "../eval/baselines.js";
import { runOnline } from "../eval/protocols/online.js";
import { listenerCatalog } from "../load.js";

/** The listener as synth.json holds it (seed, model options, and the generated session count). */
export interface ReferenceListener {
  seed: number;
  model?: Partial<SynthModelOptions>;
  /** Sessions `encore generate` wrote (synth.json's `sessions`). Default 10,000 (the demo's). */
  sessions?: number;
}

export interface ListenerReferences {
  /** Policy → mean episode reward. */
  values: { random: number; popular: number };
  /** Episodes each policy was run for. */
  episodes: number;
  steps: number;
}

/** The CLI's default session split (src/cli/pipeline.ts DEFAULT_SPLIT). */
const CLI_SPLIT = { seed: 0, trainFraction: 0.7 };

/**
 * Training play counts of the catalog's tracks (catalog order, by their ids): the sessions of
 * the CLI's training split, re-simulated from the listener.
 */
export function trainingPlayCounts(spec: ReferenceListener, model: ListenerModel, ids: readonly string[]): Int32Array {
  const S = spec.sessions ?? 10_000;
  const sim = new SessionSimulator(model, { numSessions: S });
  const index = new Map<number, number>();
  ids.forEach((id, i) => {
    const t = model.trackIndex(id);
    if (t >= 0) index.set(t, i);
  });
  const counts = new Int32Array(ids.length);
  for (const s of splitSessions(S, CLI_SPLIT).train) {
    const session = sim.simulate(s);
    for (let r = 0; r < session.length; r++) {
      const i = index.get(session.track[r]);
      if (i !== undefined) counts[i]++;
    }
  }
  return counts;
}

/**
 * Mean episode reward of random and popular on the listener (`episodes` seeded episodes each,
 * the same starts for both), in the catalog given by `ids` (the embeddings' track ids).
 */
export function listenerReferences(spec: ReferenceListener, ids: readonly string[], o: { N: number; K: number; steps: number; episodes?: number; seed?: number }): ListenerReferences {
  const model = new ListenerModel({ ...spec.model, seed: spec.seed });
  const catalog = listenerCatalog(model, ids.length, (i) => ids[i], (id) => `references: track ${id} is not in the listener's catalog (seed ${spec.seed})`);
  const env = new ListenerEnv(model, { catalog, steps: o.steps, N: o.N, K: o.K });
  const policies = [new RandomPolicy(ids.length), new PopularPolicy(trainingPlayCounts(spec, model, ids))];
  const episodes = o.episodes ?? 48;
  const r = runOnline(env, policies, { seeds: [o.seed ?? 0], episodes, bootstrap: { B: 100 } });
  const reward = r.metrics.find((m) => m.metric === "episode_reward")!.values;
  return { values: { random: reward.random.mean, popular: reward.popular.mean }, episodes, steps: o.steps };
}
