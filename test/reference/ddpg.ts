// f64 reference of one DDPG update (src/agent/ddpg.ts), written for clarity from the layer
// references (dense, gru, loss) and the Adam formula of optim.ts. Used to check the agent's
// update step by step (losses, gradients, parameters) and as the plain-JS benchmark baseline.
//
//   y = r + γ (1 − done) Q'(s', π'(s'))              critic:  minimise mean (y − Q(s, e(a)))², Adam
//   actor: backpropagate −(1/B)·∂Q(s, π(s))/∂a through the actor (critic already stepped), Adam
//   θ' ← τθ + (1 − τ)θ' for both networks
//
// A network's parameters are one flat f64 array laid out like the agent's parameter group
// (tensor offsets by name), so gradients and Adam moments compare element by element.
import { denseBackward, denseForward } from "./dense.js";
import { gruBackwardRef, gruForwardRef, type GruForward } from "./gru.js";
import { ACTIVATION_CODES } from "../../src/nn/activation.js";
import type { DdpgAgent } from "../../src/agent/ddpg.js";

type Arr = ArrayLike<number>;

export interface RefNetSpec {
  /** Tensor-name prefix: "actor" or "critic". */
  name: string;
  /** null: flat encoder (the N embeddings concatenated); else a GRU of H hidden units, act 1 relu / 2 tanh. */
  gru: { H: number; act: number } | null;
  /** Head layer widths, input first. */
  sizes: number[];
  /** Head activation codes, one per layer. */
  acts: number[];
  /** Width of the action concatenated after the encoding (critic), 0 for the actor. */
  A: number;
  /** Actor: each of the K output vectors (dims.A wide) is scaled to this L2 norm; 0 leaves them as they are. */
  l2Radius?: number;
}

interface Cache {
  gru: GruForward | null;
  /** Actor with l2Radius: the normalised output (B, O) and each vector's norm before it. */
  normed: number[] | null;
  norms: number[] | null;
  /** Head input (B, E + A). */
  input: Float64Array;
  /** Each head layer's output. */
  outs: number[][];
}

export interface AdamRef { lr: number; beta1: number; beta2: number; eps: number }

export class RefNet {
  readonly value: Float64Array;
  readonly target: Float64Array;
  readonly grad: Float64Array;
  readonly m: Float64Array;
  readonly v: Float64Array;
  t = 0;
  readonly E: number;

  /**
   * `dims`: N plays per state of I inputs each (the embedding and the kept flag: d + 1), A floats
   * per action vector. `offsets`: float offset of each tensor by its full name (e.g. "actor.head.0.w").
   */
  constructor(readonly spec: RefNetSpec, readonly dims: { N: number; I: number; A: number }, readonly offsets: Map<string, number>,
              value: Arr, target: Arr, m?: Arr, v?: Arr, t = 0) {
    this.value = Float64Array.from(value);
    this.target = Float64Array.from(target);
    this.grad = new Float64Array(value.length);
    this.m = m ? Float64Array.from(m) : new Float64Array(value.length);
    this.v = v ? Float64Array.from(v) : new Float64Array(value.length);
    this.t = t;
    this.E = spec.gru ? spec.gru.H : dims.N * dims.I;
  }

  private tensor(params: Float64Array, name: string, length: number): Float64Array {
    const o = this.offsets.get(`${this.spec.name}.${name}`);
    if (o === undefined) throw new Error(`reference: no tensor ${this.spec.name}.${name}`);
    return params.subarray(o, o + length);
  }

  private gruParams(params: Float64Array) {
    const { I } = this.dims, H = this.spec.gru!.H, G = 3 * H;
    return {
      wx: this.tensor(params, "gru.wx", I * G), wh: this.tensor(params, "gru.wh", H * G),
      bx: this.tensor(params, "gru.bx", G), bh: this.tensor(params, "gru.bh", G),
    };
  }

  /** Forward B states (B, N·I: each play's embedding and kept flag, see withFlagsRef) and, for the critic, actions (B, A). */
  forward(B: number, state: Arr, action: Arr | null, which: "value" | "target"): Cache {
    const params = which === "value" ? this.value : this.target;
    const { N, I } = this.dims, { E } = this, A = this.spec.A, W = E + A;
    let enc: Arr = state, gru: GruForward | null = null;
    if (this.spec.gru) {
      const H = this.spec.gru.H;
      gru = gruForwardRef({ B, T: N, I, H }, state, this.gruParams(params), null, this.spec.gru.act);
      const last = new Float64Array(B * H);
      for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) last[b * H + j] = gru.hs[(b * N + N - 1) * H + j];
      enc = last;
    }
    const input = new Float64Array(B * W);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < E; j++) input[b * W + j] = enc[b * E + j];
      for (let j = 0; j < A; j++) input[b * W + E + j] = action![b * A + j];
    }
    const outs: number[][] = [];
    let x: Arr = input;
    const { sizes, acts } = this.spec;
    for (let l = 0; l + 1 < sizes.length; l++) {
      const I = sizes[l], O = sizes[l + 1];
      const { out } = denseForward(B, I, O, x, this.tensor(params, `head.${l}.w`, I * O), this.tensor(params, `head.${l}.b`, O), acts[l]);
      outs.push(out);
      x = out;
    }
    let normed: number[] | null = null, norms: number[] | null = null;
    const R = this.spec.l2Radius ?? 0;
    if (R > 0) {
      const raw = outs[outs.length - 1];
      normed = new Array(raw.length).fill(0);
      norms = [];
      const d = this.dims.A;
      for (let r = 0; r < raw.length / d; r++) {
        let s2 = 0;
        for (let j = 0; j < d; j++) s2 += raw[r * d + j] ** 2;
        const nrm = Math.sqrt(s2);
        norms.push(nrm);
        for (let j = 0; j < d; j++) normed[r * d + j] = nrm > 0 ? (R * raw[r * d + j]) / nrm : 0;
      }
    }
    return { gru, input, outs, normed, norms };
  }

  /** Output of a forward pass (B, O): the normalised vectors for an actor with l2Radius. */
  static output(c: Cache): number[] {
    return c.normed ?? c.outs[c.outs.length - 1];
  }

  /**
   * Backward from dout (B, O) of the value forward `c` over `state`: adds parameter gradients
   * into `grad` (and through the GRU encoder when `encoder`); returns ∂/∂(head input) (B, E + A).
   */
  backward(B: number, state: Arr, c: Cache, dout: Arr, encoder: boolean): number[] {
    const { sizes, acts } = this.spec;
    let dy: Arr = dout;
    if (c.normed) {
      // y = R·x/|x|: ∂L/∂x = (R/|x|)·(g − ŷ (ŷ·g)), ŷ = y/R
      const R = this.spec.l2Radius!, d = this.dims.A, g = dout, dx = new Array(g.length).fill(0);
      for (let r = 0; r < c.norms!.length; r++) {
        const nrm = c.norms![r];
        if (!(nrm > 0)) continue;
        let dot = 0;
        for (let j = 0; j < d; j++) dot += (c.normed[r * d + j] / R) * g[r * d + j];
        for (let j = 0; j < d; j++) dx[r * d + j] = (R / nrm) * (g[r * d + j] - (c.normed[r * d + j] / R) * dot);
      }
      dy = dx;
    }
    for (let l = sizes.length - 2; l >= 0; l--) {
      const I = sizes[l], O = sizes[l + 1];
      const inp = l === 0 ? c.input : c.outs[l - 1];
      const g = denseBackward(B, I, O, inp, this.tensor(this.value, `head.${l}.w`, I * O), c.outs[l], dy, acts[l]);
      const dw = this.tensor(this.grad, `head.${l}.w`, I * O), db = this.tensor(this.grad, `head.${l}.b`, O);
      for (let i = 0; i < dw.length; i++) dw[i] += g.dw[i];
      for (let i = 0; i < db.length; i++) db[i] += g.dbias[i];
      dy = g.dinp;
    }
    const dinput = Array.from(dy);
    if (this.spec.gru && encoder) {
      const { N, I } = this.dims, H = this.spec.gru.H, W = sizes[0];
      const dhs = new Float64Array(B * N * H);
      for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) dhs[(b * N + N - 1) * H + j] = dinput[b * W + j];
      const g = gruBackwardRef({ B, T: N, I, H }, state, this.gruParams(this.value), null, c.gru!, dhs, this.spec.gru.act);
      const pairs: [string, Float64Array, number][] = [["gru.wx", g.dwx, I * 3 * H], ["gru.wh", g.dwh, H * 3 * H], ["gru.bx", g.dbx, 3 * H], ["gru.bh", g.dbh, 3 * H]];
      for (const [name, src, n] of pairs) {
        const dst = this.tensor(this.grad, name, n);
        for (let i = 0; i < n; i++) dst[i] += src[i];
      }
    }
    return dinput;
  }

  zeroGrad(): void {
    this.grad.fill(0);
  }

  /** Adam with bias correction over the whole flat arena (Kingma & Ba 2015, Algorithm 1). */
  adam(h: AdamRef): void {
    this.t++;
    const bc1 = 1 - h.beta1 ** this.t, bc2 = 1 - h.beta2 ** this.t;
    for (let i = 0; i < this.value.length; i++) {
      const g = this.grad[i];
      this.m[i] = h.beta1 * this.m[i] + (1 - h.beta1) * g;
      this.v[i] = h.beta2 * this.v[i] + (1 - h.beta2) * g * g;
      this.value[i] -= h.lr * ((this.m[i] / bc1) / (Math.sqrt(this.v[i] / bc2) + h.eps));
    }
  }

  /** θ' ← τθ + (1 − τ)θ'. */
  softUpdate(tau: number): void {
    for (let i = 0; i < this.value.length; i++) this.target[i] = tau * this.value[i] + (1 - tau) * this.target[i];
  }
}

export interface RefBatch {
  B: number;
  states: Arr;
  kept: Arr;
  nextKept: Arr;
  actions: Arr;
  reward: Arr;
  nexts: Arr;
  dones: Arr;
}

export interface RefDdpgHyper {
  N: number; K: number; d: number; gamma: number; tau: number; actorLr: number; criticLr: number;
  /** "selected": the TD target's action is the embeddings of the tracks π'(s') selects; "proto": π'(s') itself. */
  targetAction: "selected" | "proto";
}

/**
 * The list-wise selection, by brute force: for each of B states (B, N), slot k takes the track
 * with the highest score w_k · e_i that is not in the state nor taken by slots 0..k−1 (ties by
 * lower index). Returns (B, K) track indices.
 */
export function selectRef(w: Arr, states: Arr, B: number, N: number, K: number, catalog: Arr, d: number): number[] {
  const V = catalog.length / d, out: number[] = [];
  for (let b = 0; b < B; b++) {
    const taken = new Set<number>(Array.from({ length: N }, (_, n) => states[b * N + n]));
    for (let k = 0; k < K; k++) {
      let best = -1, bestScore = -Infinity;
      for (let i = 0; i < V; i++) {
        if (taken.has(i)) continue;
        let sc = 0;
        for (let j = 0; j < d; j++) sc += w[(b * K + k) * d + j] * catalog[i * d + j];
        if (sc > bestScore) { best = i; bestScore = sc; }
      }
      taken.add(best);
      out.push(best);
    }
  }
  return out;
}

/** Embeddings (B, n·d) of B·n track indices in a (V, d) catalog. */
export function gatherRef(idx: Arr, count: number, catalog: Arr, d: number): Float64Array {
  const out = new Float64Array(count * d);
  for (let r = 0; r < count; r++) for (let j = 0; j < d; j++) out[r * d + j] = catalog[idx[r] * d + j];
  return out;
}

/** The networks' state input (B, N·(d + 1)): each play's embedding (from `emb`, (B·N, d)) followed by its kept flag. */
export function withFlagsRef(emb: Arr, kept: Arr, B: number, N: number, d: number): Float64Array {
  const out = new Float64Array(B * N * (d + 1));
  for (let r = 0; r < B * N; r++) {
    for (let j = 0; j < d; j++) out[r * (d + 1) + j] = emb[r * d + j];
    out[r * (d + 1) + d] = kept[r] ? 1 : 0;
  }
  return out;
}

/** Critic gradients after its step and actor gradients after its step, for comparison. */
export interface RefUpdate { criticLoss: number; meanTarget: number; actorObjective: number; criticGrad: Float64Array; actorGrad: Float64Array }

/** One DDPG update of the reference networks in place (the order of DdpgAgent.update). */
export function ddpgUpdateRef(actor: RefNet, critic: RefNet, catalog: Arr, h: RefDdpgHyper, batch: RefBatch): RefUpdate {
  const { B } = batch, { N, K, d } = h;
  const adam = (lr: number): AdamRef => ({ lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  // y = r + γ (1 − done) Q'(s', a'), a' = π'(s') or the embeddings of the tracks it selects
  const sNext = withFlagsRef(gatherRef(batch.nexts, B * N, catalog, d), batch.nextKept, B, N, d);
  const wNext = RefNet.output(actor.forward(B, sNext, null, "target"));
  const aNext = h.targetAction === "selected" ? gatherRef(selectRef(wNext, batch.nexts, B, N, K, catalog, d), B * K, catalog, d) : wNext;
  const qNext = RefNet.output(critic.forward(B, sNext, aNext, "target"));
  const y = Array.from({ length: B }, (_, b) => batch.reward[b] + h.gamma * (1 - (batch.dones[b] ? 1 : 0)) * qNext[b]);
  const meanTarget = y.reduce((s, v) => s + v, 0) / B;
  // critic: mean (y − Q(s, e(a)))²
  const s = withFlagsRef(gatherRef(batch.states, B * N, catalog, d), batch.kept, B, N, d);
  const a = gatherRef(batch.actions, B * K, catalog, d);
  const cq = critic.forward(B, s, a, "value");
  const q = RefNet.output(cq);
  let criticLoss = 0;
  for (let b = 0; b < B; b++) criticLoss += (q[b] - y[b]) ** 2;
  criticLoss /= B;
  critic.zeroGrad();
  critic.backward(B, s, cq, q.map((v, b) => (2 * (v - y[b])) / B), true);
  const criticGrad = Float64Array.from(critic.grad);
  critic.adam(adam(h.criticLr));
  // actor: ascend mean Q(s, π(s)) under the stepped critic
  const ca = actor.forward(B, s, null, "value");
  const w = RefNet.output(ca);
  const cq2 = critic.forward(B, s, w, "value");
  const actorObjective = RefNet.output(cq2).reduce((acc, v) => acc + v, 0) / B;
  const dinput = critic.backward(B, s, cq2, new Array(B).fill(-1 / B), false);
  const E = critic.E, A = K * d, Wd = E + A;
  const dw = new Float64Array(B * A);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < A; j++) {
      dw[b * A + j] = dinput[b * Wd + E + j];
    }
  }
  actor.zeroGrad();
  actor.backward(B, s, ca, dw, true);
  const actorGrad = Float64Array.from(actor.grad);
  actor.adam(adam(h.actorLr));
  actor.softUpdate(h.tau);
  critic.softUpdate(h.tau);
  return { criticLoss, meanTarget, actorObjective, criticGrad, actorGrad };
}

/** The f64 twin of one of an agent's networks: same structure, a copy of its weights, Adam state and targets. */
export function refTwin(agent: DdpgAgent, name: "actor" | "critic"): RefNet {
  const cfg = agent.config, { N, K } = cfg, d = agent.catalog.d;
  const net = name === "actor" ? agent.actor : agent.critic, spec = name === "actor" ? cfg.actor : cfg.critic, g = net.group;
  return new RefNet({
    name,
    gru: spec.encoder.kind === "gru" ? { H: spec.encoder.hidden, act: ACTIVATION_CODES[spec.encoder.activation ?? "tanh"] } : null,
    sizes: net.head.layers.map((l) => l.inputs).concat(net.head.outputs),
    acts: net.head.layers.map((l) => ACTIVATION_CODES[l.activation]),
    A: name === "critic" ? K * d : 0,
    l2Radius: name === "actor" && spec.output === "l2" ? agent.actor.radius : 0,
  }, { N, I: d + 1, A: d }, new Map(g.tensors.map((t) => [t.name, t.offset])), g.arenaView("value"), g.arenaView("target"), g.arenaView("m"), g.arenaView("v"),
  name === "actor" ? agent.actorOpt.t : agent.criticOpt.t);
}
