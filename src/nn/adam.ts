// Adam over a whole parameter group, plus the other flat-loop group operations: zero_grad,
// clipping by global norm, and the DDPG soft target update. Each is one kernel call over
// the group's contiguous arena, because every tensor of a group shares one layout.
//
// Adam: Kingma & Ba 2015 (arXiv 1412.6980), with bias correction.
// Decoupled weight decay (AdamW): Loshchilov & Hutter 2019 (arXiv 1711.05101).
// Soft update θ' ← τθ + (1 − τ)θ': Lillicrap et al. 2015 (arXiv 1509.02971).

import type { ParamGroup } from "../engine/plan.js";

export interface AdamOptions {
  /** Learning rate. Default 1e-3. */
  lr?: number;
  /** First-moment decay. Default 0.9. */
  beta1?: number;
  /** Second-moment decay. Default 0.999. */
  beta2?: number;
  /** Denominator guard. Default 1e-8. */
  eps?: number;
  /** Decoupled weight decay coefficient (AdamW); 0 turns it off. Default 0. */
  weightDecay?: number;
  /** Clip gradients to this global L2 norm before the step; 0 turns clipping off. Default 0. */
  clipNorm?: number;
}

export const ADAM_DEFAULTS: Required<AdamOptions> = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, clipNorm: 0 };

export class Adam {
  readonly options: Required<AdamOptions>;
  /** Steps taken so far (the t of the bias correction is t after increment). */
  t = 0;

  constructor(readonly group: ParamGroup, options: AdamOptions = {}) {
    this.options = { ...ADAM_DEFAULTS, ...options };
    const o = this.options;
    if (!(o.lr > 0)) throw new Error(`Adam(${group.name}): lr must be > 0, got ${o.lr}`);
    if (!(o.beta1 >= 0 && o.beta1 < 1) || !(o.beta2 >= 0 && o.beta2 < 1)) throw new Error(`Adam(${group.name}): betas must be in [0, 1)`);
    if (!(o.eps > 0)) throw new Error(`Adam(${group.name}): eps must be > 0`);
    if (!(o.weightDecay >= 0) || !(o.clipNorm >= 0)) throw new Error(`Adam(${group.name}): weightDecay and clipNorm must be ≥ 0`);
  }

  /** Clear the group's gradients (backward passes accumulate). */
  zeroGrad(): void {
    const g = this.group;
    g.plan.engine.x.fill_f32(g.size, g.arenaPtr("grad"), 0);
  }

  /** Global L2 norm of the group's gradients. */
  gradNorm(): number {
    const g = this.group;
    return Math.sqrt(g.plan.engine.x.sumsq_f32(g.size, g.arenaPtr("grad")));
  }

  /** Clip (if configured) then take one Adam step. Returns the gradient norm before clipping, or NaN when clipping is off (it is not computed then). */
  step(): number {
    const g = this.group, o = this.options, x = g.plan.engine.x;
    let norm = NaN;
    if (o.clipNorm > 0) {
      norm = this.gradNorm();
      if (norm > o.clipNorm) x.scale_f32(g.size, g.arenaPtr("grad"), o.clipNorm / norm);
    }
    this.t++;
    x.adam_step(g.size, g.arenaPtr("value"), g.arenaPtr("grad"), g.arenaPtr("m"), g.arenaPtr("v"),
      o.lr, o.beta1, o.beta2, o.eps, o.weightDecay, this.t);
    return norm;
  }
}

/** θ' ← τθ + (1 − τ)θ' over the whole group (target arena ← value arena). */
export function softUpdate(group: ParamGroup, tau: number): void {
  if (!(tau >= 0 && tau <= 1)) throw new Error(`softUpdate(${group.name}): tau must be in [0, 1], got ${tau}`);
  group.plan.engine.x.soft_update_f32(group.size, group.arenaPtr("target"), group.arenaPtr("value"), tau);
}

/** θ' ← θ: make the target an exact copy (at initialisation). */
export function hardUpdate(group: ParamGroup): void {
  group.plan.engine.x.copy_f32(group.size, group.arenaPtr("value"), group.arenaPtr("target"));
}
