// The online protocol: policies acting in any Environment (src/rl/env.ts), E episodes per
// seed per policy; per episode the total list reward and the mean over steps of the mean of
// the K per-slot reward flags. Each policy replays the same seeded episode starts, so episode
// e of seed s is one cluster shared by every policy, and the agent's paired differences
// (./paired.ts) compare policies episode by episode. Headline: episode_reward and
// reward_flags. Steps per episode is reported as a neutral figure (most environments fix it).
// Several environments run their episodes in lockstep: each step is one batched recommend() over
// the active ones (on the worker-thread engine, one batched forward and one multi-listener top-k
// the threads split); a policy that reads the environments (the oracle) is told which environment
// each row comes from (Policy.onlineRows).
//
// This file imports nothing from Node.
import { Rng } from "../../rng.js";
import type { Environment } from "../../rl/env.js";
import { allocStates, stateRows, type States } from "../../core/state.js";
import { AGENT_POLICY, type Estimate, type ProtocolResult } from "../types.js";
import { UnitPool, type BootstrapOptions } from "../bootstrap.js";
import { metric, policiesFor, policyRng, RunCounter, type PolicySource, type ProgressFn } from "./common.js";
import { pairedDifferences } from "./paired.js";

/** One environment, several (episodes run in lockstep, one batched recommend() per step), or made per seed. */
export type EnvSource = Environment | readonly Environment[] | ((seed: number) => Environment | readonly Environment[]);

export interface OnlineOptions {
  seeds?: number[];
  /** Episodes per seed per policy. Default 100. */
  episodes?: number;
  /** Steps after which an episode that has not ended is an error. Default 10000. */
  maxSteps?: number;
  bootstrap?: BootstrapOptions;
  /** Human description of the environment for the report (e.g. "LIRD simulator, groups"). */
  envLabel?: string;
  /** The policy paired with every other one. Default "ddpg". */
  agent?: string;
  /** Progress callback (policy runs). */
  progress?: ProgressFn;
}

/** The online protocol (see the file header). */
export function runOnline(envs: EnvSource, policies: PolicySource, opts: OnlineOptions = {}): ProtocolResult {
  const seeds = opts.seeds ?? [0], E = opts.episodes ?? 100, maxSteps = opts.maxSteps ?? 10000, bootstrap = opts.bootstrap ?? {};
  if (seeds.length === 0) throw new Error("online protocol: no seeds given");
  if (!(Number.isInteger(E) && E >= 1)) throw new Error(`online protocol: episodes must be a positive integer, got ${E}`);
  const C = seeds.length * E, agent = opts.agent ?? AGENT_POLICY;
  const progress = new RunCounter(opts.progress, seeds.length);
  const names: string[] = [];
  const reward = new Map<string, UnitPool>(), flags = new Map<string, UnitPool>(), steps = new Map<string, UnitPool>();
  let NK = "";
  seeds.forEach((seed, si) => {
    const got = typeof envs === "function" ? envs(seed) : envs;
    const list: readonly Environment[] = Array.isArray(got) ? got : [got as Environment];
    if (list.length === 0) throw new Error("online protocol: no environment given");
    const N = list[0].N, K = list[0].K;
    for (const e of list) if (e.N !== N || e.K !== K) throw new Error(`online protocol: environments disagree on N, K (${e.N}, ${e.K} vs ${N}, ${K})`);
    NK = `N = ${N}, K = ${K}`;
    const P = list.length;
    const st = allocStates(P, N), out = new Int32Array(P * K);
    const lists = list.map((_, j) => out.subarray(j * K, (j + 1) * K));
    const cur: States[] = new Array(P);
    const epOf = new Int32Array(P), stepN = new Int32Array(P), total = new Float64Array(P), flagSum = new Float64Array(P);
    const active = new Int32Array(P);
    const ps = policiesFor(policies, seed);
    progress.plan(ps.length);
    for (const policy of ps) {
      if (!reward.has(policy.name)) {
        names.push(policy.name);
        reward.set(policy.name, new UnitPool(C));
        flags.set(policy.name, new UnitPool(C));
        steps.set(policy.name, new UnitPool(C));
      }
      const envRng = new Rng(seed), prng = policyRng(seed, policy.name);
      let next = 0, done = 0;
      const start = (j: number): void => {
        epOf[j] = next++;
        stepN[j] = 0;
        total[j] = 0;
        flagSum[j] = 0;
        cur[j] = list[j].reset(envRng);
      };
      let A = 0;
      for (let j = 0; j < P && next < E; j++) {
        start(j);
        active[A++] = j;
      }
      while (A > 0) {
        for (let q = 0; q < A; q++) {
          st.tracks.set(cur[active[q]].tracks, q * N);
          st.kept.set(cur[active[q]].kept, q * N);
        }
        policy.onlineRows?.(active, A);
        policy.recommend(stateRows(st, N, 0, A), A, K, out.subarray(0, A * K), prng);
        // out row q belongs to env active[q]: move rows into each env's list slot (descending q
        // never overwrites a row not yet moved, since active[q] >= q).
        for (let q = A - 1; q >= 0; q--) if (active[q] !== q) out.copyWithin(active[q] * K, q * K, (q + 1) * K);
        let A2 = 0;
        for (let q = 0; q < A; q++) {
          const j = active[q];
          const r = list[j].step(lists[j]);
          stepN[j]++;
          total[j] += r.reward;
          let f = 0;
          for (let k = 0; k < K; k++) f += r.rewards[k];
          flagSum[j] += f / K;
          if (r.done) {
            const c = si * E + epOf[j];
            reward.get(policy.name)!.addValue(c, total[j]);
            flags.get(policy.name)!.addValue(c, flagSum[j] / stepN[j]);
            steps.get(policy.name)!.addValue(c, stepN[j]);
            done++;
            progress.at(done / E);
            if (next < E) {
              start(j);
              active[A2++] = j;
            }
          } else {
            if (stepN[j] >= maxSteps) throw new Error(`online protocol: episode ${epOf[j]} of policy ${policy.name} has not ended after ${maxSteps} steps`);
            cur[j] = r.next;
            active[A2++] = j;
          }
        }
        A = A2;
      }
      if (done !== E) throw new Error(`online protocol: ran ${done} of ${E} episodes`);
      progress.next();
    }
  });
  const est = (m: Map<string, UnitPool>): Record<string, Estimate> => {
    const r: Record<string, Estimate> = {};
    for (const n of names) r[n] = m.get(n)!.estimate(bootstrap);
    return r;
  };
  return {
    protocol: "online",
    description: `Policies acting in ${opts.envLabel ?? "the environment"} (${NK}): ${E} episodes per seed, each policy replaying the same seeded episode starts; per-episode figures, bootstrapped over episodes.`,
    unit: "episode",
    seeds,
    headline: ["episode_reward", "reward_flags"],
    paired: pairedDifferences(agent, [
      { metric: "episode_reward", direction: "higher", pools: reward },
      { metric: "reward_flags", direction: "higher", pools: flags },
    ], bootstrap),
    metrics: [
      metric("episode_reward", "Total list reward per episode", "higher", est(reward)),
      metric("reward_flags", "Mean per-slot reward per step (share not skipped)", "higher", est(flags), "per episode: mean over steps of the mean of the K per-slot rewards"),
      metric("episode_steps", "Steps per episode", "neutral", est(steps), "the environment's episode length: a description, not a score"),
    ],
  };
}
