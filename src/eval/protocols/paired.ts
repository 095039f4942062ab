// Paired differences of the agent against every other policy on a protocol's headline
// metrics, and their verdicts. Every protocol evaluates all policies on the same units (the
// same held-out sessions, the same seeded episode starts), so the agent's figure minus another
// policy's can be bootstrapped over those shared clusters (bootstrap.ts, pairedDifference):
// the interval says whether the agent differs from that policy, which two overlapping
// marginal intervals cannot.
//
// This file imports nothing from Node.
import type { Direction, Estimate, PairedDifference, Verdict } from "../types.js";
import { pairedDifference, UnitPool, type BootstrapOptions } from "../bootstrap.js";

/**
 * The verdict of a difference agent − other in a metric's direction: "better" or "worse" when
 * its 95% interval excludes 0, "no different" when it holds 0, "not measured" without pairs
 * (or for a neutral metric, which ranks nothing).
 */
export function verdictOf(d: Estimate, direction: Direction): Verdict {
  if (direction === "neutral" || !(d.n > 0) || !Number.isFinite(d.lo) || !Number.isFinite(d.hi)) return "not measured";
  if (d.lo > 0) return direction === "higher" ? "better" : "worse";
  if (d.hi < 0) return direction === "higher" ? "worse" : "better";
  return "no different";
}

/** One headline metric's per-policy pools, all over the protocol's clusters. */
export interface PairedSource {
  metric: string;
  direction: Direction;
  /** Policy (or "logged") → its UnitPool for this metric. */
  pools: ReadonlyMap<string, UnitPool>;
}

/**
 * For each source metric, `agent` against every other entry of its pools, in the pools'
 * order. Empty when the agent is not among them.
 */
export function pairedDifferences(agent: string, sources: readonly PairedSource[], bootstrap: BootstrapOptions): PairedDifference[] {
  const out: PairedDifference[] = [];
  for (const s of sources) {
    const mine = s.pools.get(agent);
    if (!mine) continue;
    for (const [name, pool] of s.pools) {
      if (name === agent) continue;
      const difference = pairedDifference(mine, pool, bootstrap);
      out.push({ metric: s.metric, policy: agent, baseline: name, difference, verdict: verdictOf(difference, s.direction) });
    }
  }
  return out;
}
