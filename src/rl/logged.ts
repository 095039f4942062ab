// Logged transitions: what listeners did, as training data for the offline learner (`encore
// train --env logged`, DdpgAgent.updateOffline). A transition is a chronological sample of a
// training session (src/data/samples.ts): the state is the N plays before position t with their
// feedback, the action the K tracks played next, the rewards their keep flags (skip_2 false),
// whose discounted sum Σ_k Γ^k r_k is the list reward, as the simulators pay it.
//
// sampleInto() draws B transitions uniformly with replacement from the caller's seeded Rng, into
// reused arrays: nothing is allocated per batch.
//
// This file imports nothing from Node.
import type { Rng } from "../rng.js";
import type { Samples } from "../data/samples.js";

/** B logged transitions in the agent's batch layout (per-slot rewards included). */
export interface LoggedBatch {
  B: number;
  states: Int32Array;
  kept: Uint8Array;
  actions: Int32Array;
  /** (B) list reward Σ_k Γ^k r_k. */
  reward: Float32Array;
  /** (B, K) keep flags. */
  rewards: Float32Array;
  /** Unused by the offline learner (γ = 0): the state again, and done. */
  nexts: Int32Array;
  nextKept: Uint8Array;
  dones: Uint8Array;
}

/** A batch of B logged transitions of N plays and K listed tracks, filled by sampleInto (every transition ends its episode). */
export function loggedBatch(B: number, N: number, K: number): LoggedBatch {
  return {
    B, states: new Int32Array(B * N), kept: new Uint8Array(B * N), actions: new Int32Array(B * K),
    reward: new Float32Array(B), rewards: new Float32Array(B * K),
    nexts: new Int32Array(B * N), nextKept: new Uint8Array(B * N), dones: new Uint8Array(B).fill(1),
  };
}

export class LoggedTransitions {
  readonly N: number;
  readonly K: number;
  readonly count: number;

  constructor(readonly samples: Samples, readonly listGamma = 0.9) {
    if (samples.count < 1) throw new Error("logged transitions: the training sessions give no sample (sessions need N + K plays)");
    if (!(listGamma > 0 && listGamma <= 1)) throw new Error(`logged transitions: listGamma must be in (0, 1], got ${listGamma}`);
    this.N = samples.N;
    this.K = samples.K;
    this.count = samples.count;
  }

  createBatch(B: number): LoggedBatch {
    return loggedBatch(B, this.N, this.K);
  }

  /** Fill `batch` with batch.B transitions drawn uniformly with replacement. */
  sampleInto(rng: Rng, batch: LoggedBatch): LoggedBatch {
    const { N, K } = this, s = this.samples;
    for (let b = 0; b < batch.B; b++) {
      const i = rng.int(this.count);
      batch.states.set(s.states.subarray(i * N, i * N + N), b * N);
      batch.kept.set(s.stateKept.subarray(i * N, i * N + N), b * N);
      batch.nexts.set(s.states.subarray(i * N, i * N + N), b * N);
      batch.nextKept.set(s.stateKept.subarray(i * N, i * N + N), b * N);
      batch.actions.set(s.actions.subarray(i * K, i * K + K), b * K);
      let r = 0, g = 1;
      for (let k = 0; k < K; k++, g *= this.listGamma) {
        batch.rewards[b * K + k] = s.rewards[i * K + k];
        r += g * s.rewards[i * K + k];
      }
      batch.reward[b] = r;
    }
    return batch;
  }
}
