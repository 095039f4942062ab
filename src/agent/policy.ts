// DDPG as a Policy (src/core/policy.ts), so every evaluation protocol treats it exactly like
// the baselines: the actor's K weight vectors scored against the catalog, no exploration noise.

import type { Policy } from "../core/policy.js";
import { stateRows, type States } from "../core/state.js";
import type { Rng } from "../rng.js";
import type { DdpgAgent } from "./ddpg.js";

export class DdpgPolicy implements Policy {
  readonly name: string;

  constructor(readonly agent: DdpgAgent, name = "ddpg") {
    this.name = name;
  }

  recommend(states: States, B: number, K: number, out: Int32Array, _rng: Rng, exclude?: { ids: Int32Array; X: number }): void {
    const a = this.agent, N = a.config.N;
    if (K !== a.config.K) throw new Error(`${this.name}: the model recommends lists of K = ${a.config.K}, asked for ${K}`);
    const step = a.maxActBatch;
    for (let b0 = 0; b0 < B; b0 += step) {
      const n = Math.min(step, B - b0);
      const extra = exclude ? { ids: exclude.ids.subarray(b0 * exclude.X, (b0 + n) * exclude.X), X: exclude.X } : undefined;
      a.recommend(stateRows(states, N, b0, b0 + n), n, out.subarray(b0 * K, (b0 + n) * K), undefined, extra);
    }
  }
}
