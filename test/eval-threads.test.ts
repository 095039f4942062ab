// Evaluation on the worker-thread engine: the same seeds give bit-identical metrics and lists on 1,
// 2 and 3 threads. A small DDPG agent (encore's re-ranking networks, two candidate sources) is built
// from the same seed on each engine, trained a few updates, then evaluated by the next-tracks
// protocol (batches of states: one batched actor forward, one multi-listener top-k, one critic
// forward per batch) and the online protocol (several listener environments stepped in lockstep,
// with their oracle).
// The split thresholds are lowered to 0 so every top-k call over several listeners is split by
// listener groups and every dense layer by batch rows, on this small setup; the pool's call counts
// prove the splits ran. Metrics are compared as exact number strings (NaN included).
import { afterAll, describe, expect, it } from "vitest";
import { MemoryPlan } from "../src/engine/plan.js";
import type { Engine } from "../src/engine/engine.js";
import { DdpgAgent, LISTWISE_NETWORKS, type TransitionBatch } from "../src/agent/ddpg.js";
import { DdpgPolicy } from "../src/agent/policy.js";
import { fitSources } from "../src/eval/sources.js";
import { PopularPolicy } from "../src/eval/baselines.js";
import { recommendAll, runNextTracks, runOnline, type EvalSessions } from "../src/eval/protocols.js";
import { ListenerModel } from "../src/data/synth.js";
import { ListenerEnv } from "../src/rl/listener-env.js";
import { Rng } from "../src/rng.js";
import { loadEngine } from "./util/engine.js";

const V = 400, N = 10, K = 3, SESSIONS = 90, LEN = 16;

/** Seeded sessions over the catalog (a random walk in track neighbourhoods), some rows skipped. */
function sessions(): EvalSessions {
  const rng = new Rng(5), off = [0], tracks: number[] = [], flags: number[] = [];
  for (let s = 0; s < SESSIONS; s++) {
    let t = rng.int(V);
    for (let r = 0; r < LEN; r++) {
      t = (t + 1 + rng.int(7)) % V;
      tracks.push(t);
      flags.push(rng.int(3) === 0 ? 2 : 0); // LOG_FLAG.skip_2
    }
    off.push(tracks.length);
  }
  return { trackCount: V, sessionOffsets: Int32Array.from(off), tracks: Int32Array.from(tracks), flags: Uint16Array.from(flags) };
}

function randomBatch(rng: Rng, B: number): TransitionBatch & { rewards: Float32Array } {
  const states = new Int32Array(B * N), nexts = new Int32Array(B * N), actions = new Int32Array(B * K);
  for (let b = 0; b < B; b++) for (let n = 0; n < N; n++) { states[b * N + n] = (b * 37 + n * 11 + rng.int(5)) % V; nexts[b * N + n] = (b * 41 + n * 13 + rng.int(5)) % V; }
  for (let i = 0; i < B * K; i++) actions[i] = rng.int(V);
  const kept = Uint8Array.from({ length: B * N }, () => rng.int(2)), nextKept = Uint8Array.from({ length: B * N }, () => rng.int(2));
  const reward = Float32Array.from({ length: B }, () => rng.int(K + 1)), dones = Uint8Array.from({ length: B }, () => (rng.int(10) === 0 ? 1 : 0));
  return { B, states, kept, actions, reward, nexts, nextKept, dones, rewards: Float32Array.from({ length: B * K }, () => rng.int(2)) };
}

/** Exact number strings: two results are equal only when every figure is the same double (NaN too). */
function exact(x: unknown): string {
  return JSON.stringify(x, (_k, v) => (typeof v === "number" ? (Object.is(v, -0) ? "-0" : String(v)) : v));
}

interface Run { results: string; lists: Int32Array; engine: Engine; groupSplits: number }

const engines: Engine[] = [];
afterAll(() => { for (const e of engines) e.close(); });

async function evaluateOn(threads: number): Promise<Run> {
  const data = sessions();
  const train = Array.from({ length: 60 }, (_, i) => i), test = Array.from({ length: SESSIONS - 60 }, (_, i) => 60 + i);
  const model = new ListenerModel({ numTracks: V, seed: 4 });
  const d = model.latentDim;
  const sourceSessions = { V, sessionOffsets: data.sessionOffsets, tracks: data.tracks, flags: data.flags };
  const names = ["popular", "item-knn"];
  const plan = new MemoryPlan();
  const catalog = plan.f32("catalog", "data", V * d);
  const agent = new DdpgAgent(plan, { region: catalog, V, d },
    { ...LISTWISE_NETWORKS, actor: { ...LISTWISE_NETWORKS.actor, hidden: [48, 40] }, sources: names, batch: 16, gamma: 0.5 },
    { maxActBatch: 45, sources: fitSources(names, sourceSessions), sourceSessions });
  const engine = await loadEngine(plan, { threads });
  engines.push(engine);
  expect(engine.threads).toBe(threads);
  engine.gemmParallelMin = 0;
  agent.topk.parallelMinWork = 0;
  catalog.f32().set(model.latents.map((x) => x / Math.sqrt(d)));
  const rng = new Rng(9);
  agent.initialize(rng);
  // a learned per-track bias (zero at initialisation), so the top-k's per-listener bias weights matter
  const b = agent.bias!.value.f32();
  for (let t = 0; t < V; t++) b[t] = rng.normal() * 0.3;
  for (let i = 0; i < 6; i++) agent.update(randomBatch(rng, 16), rng);

  const policies = [new DdpgPolicy(agent), new PopularPolicy(Int32Array.from({ length: V }, (_, t) => (t * 7919) % 97))];
  const next = runNextTracks(data, { train, test }, policies, { seeds: [0, 1], N, K, batch: 37, bootstrap: { B: 50 } });
  const envs = Array.from({ length: 7 }, () => new ListenerEnv(model, { N, K, steps: 5 }));
  const online = runOnline(envs, [...policies, ListenerEnv.oracleOf(envs)], { seeds: [3], episodes: 16, maxSteps: 5, bootstrap: { B: 50 } });
  // the lists themselves, for every test state
  const states = { tracks: new Int32Array(test.length * N), kept: new Uint8Array(test.length * N) };
  test.forEach((s, i) => {
    for (let n = 0; n < N; n++) {
      states.tracks[i * N + n] = data.tracks[data.sessionOffsets[s] + n];
      states.kept[i * N + n] = data.flags[data.sessionOffsets[s] + n] === 0 ? 1 : 0;
    }
  });
  const lists = new Int32Array(test.length * K);
  recommendAll(policies[0], states, test.length, N, K, lists, new Rng(0), 30, V);
  return { results: exact([next, online]), lists, engine, groupSplits: engine.pool?.calls("topk_f32") ?? 0 };
}

describe("evaluation on threads", () => {
  it("next-tracks and online give bit-identical metrics and lists on 1, 2 and 3 threads, with the splits running", async () => {
    const one = await evaluateOn(1), two = await evaluateOn(2), three = await evaluateOn(3);
    expect(one.engine.pool).toBeNull();
    for (const r of [two, three]) {
      expect(r.results).toBe(one.results);
      expect(Array.from(r.lists)).toEqual(Array.from(one.lists));
      // the multi-listener top-k was split by groups, the dense layers by rows
      expect(r.groupSplits).toBeGreaterThan(0);
      expect(r.engine.pool!.calls("dense_forward")).toBeGreaterThan(0);
    }
    // the results are not trivially equal: the agent's figures are numbers, its lists real tracks
    expect(one.results).toMatch(/"ddpg":\{"mean":"0\.\d+/);
    expect(new Set(one.lists).size).toBeGreaterThan(K);
  }, 120_000);
});
