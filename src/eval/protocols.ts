// The evaluation protocols, one file each under ./protocols/, with what they share beside
// them (./protocols/common.ts) and the agent's paired differences (./protocols/paired.ts):
//
//   "original"     the original DDPG project's offline protocol (./protocols/original.ts)
//   "next-tracks"  chronological next-track prediction on held-out sessions (./protocols/next-tracks.ts)
//   "online"       policies acting in an environment, episode by episode (./protocols/online.ts)
//
// Every policy (DDPG, baselines, oracle) is asked through the one Policy interface, in batches
// of up to `batch` states, on exactly the same states, and every figure is a mean over units
// with a cluster-bootstrap 95% interval (bootstrap.ts). Each protocol returns one
// ProtocolResult (types.ts): its metrics, its unit, its headline metrics and the agent's paired
// differences; the CLI and the report read nothing else. This file runs the chosen protocols
// (evaluate) and re-exports the pieces.
//
// This file imports nothing from Node.
import type { Policy } from "../core/policy.js";
import type { ProtocolResult } from "./types.js";
import { common, policiesFor, type EvalSessions, type EvalSplit, type PolicySource, type ProtocolOptions } from "./protocols/common.js";
import { runOriginal, type OriginalOptions } from "./protocols/original.js";
import { runNextTracks, type NextTracksOptions } from "./protocols/next-tracks.js";
import { runOnline, type EnvSource, type OnlineOptions } from "./protocols/online.js";

export { policyRng, recommendAll, subsampleSessions, type EvalSessions, type EvalSplit, type PolicySource, type ProgressFn, type ProtocolOptions } from "./protocols/common.js";
export { runOriginal, type OriginalOptions } from "./protocols/original.js";
export { runNextTracks, type NextTracksOptions } from "./protocols/next-tracks.js";
export { runOnline, type EnvSource, type OnlineOptions } from "./protocols/online.js";
export { pairedDifferences, verdictOf } from "./protocols/paired.js";

export type ProtocolId = "original" | "next-tracks" | "online";

export interface EvaluateOptions extends Omit<ProtocolOptions, "progress"> {
  protocols: ProtocolId[];
  policies: PolicySource;
  /** Sessions and split for "original" and "next-tracks". */
  data?: EvalSessions;
  split?: EvalSplit;
  /** Environment(s) for "online". */
  env?: EnvSource;
  original?: Omit<OriginalOptions, keyof ProtocolOptions>;
  nextTracks?: Omit<NextTracksOptions, keyof ProtocolOptions>;
  online?: Omit<OnlineOptions, "seeds" | "bootstrap" | "agent" | "progress">;
  /** Progress of each protocol in turn: `done` of `total` policy runs of `protocol`. */
  onProgress?: (protocol: ProtocolId, done: number, total: number) => void;
}

/**
 * Runs the chosen protocols, in the order given, for the policies over the seeds. A policy
 * factory is called once per seed and its policies are shared by the protocols.
 */
export function evaluate(o: EvaluateOptions): ProtocolResult[] {
  const c = common(o);
  const cache = new Map<number, readonly Policy[]>();
  const policies: PolicySource = (seed) => {
    let p = cache.get(seed);
    if (!p) cache.set(seed, (p = policiesFor(o.policies, seed)));
    return p;
  };
  const base = (p: ProtocolId): ProtocolOptions => ({
    seeds: c.seeds, N: c.N, K: c.K, batch: c.batch, bootstrap: c.bootstrap, agent: c.agent,
    progress: o.onProgress ? (done, total) => o.onProgress!(p, done, total) : undefined,
  });
  const needData = (p: string): { data: EvalSessions; split: EvalSplit } => {
    if (!o.data || !o.split) throw new Error(`evaluate: protocol "${p}" needs data and split`);
    return { data: o.data, split: o.split };
  };
  return o.protocols.map((p) => {
    if (p === "original") {
      const { data, split } = needData(p);
      return runOriginal(data, split, policies, { ...o.original, ...base(p) });
    }
    if (p === "next-tracks") {
      const { data, split } = needData(p);
      return runNextTracks(data, split, policies, { ...o.nextTracks, ...base(p) });
    }
    if (p === "online") {
      if (!o.env) throw new Error('evaluate: protocol "online" needs env');
      const b = base(p);
      return runOnline(o.env, policies, { ...o.online, seeds: b.seeds, bootstrap: b.bootstrap, agent: b.agent, progress: b.progress });
    }
    throw new Error(`evaluate: unknown protocol ${String(p)}`);
  });
}
