// One training step (forward + backward + Adam) of the W1 networks at batch 64:
//   actor  320 → 256 → 256 → 96   (relu, relu, tanh)
//   critic 416 → 256 → 256 → 1    (relu, relu, identity)
// Baseline: the plain-JS f64 reference MLP (test/reference/mlp.ts) doing the same step. Peer:
// TensorFlow.js-wasm doing the same step (dense layers as matMul + add + activation, the mean
// squared error, tf.train.adam with the same hyperparameters) from the same weights and inputs.
import type { BenchCase } from "./harness.js";
import type { SimdBuild } from "../src/engine/engine.js";
import { loadEngine, randomFill, perSimd, type CaseBody } from "./common.js";
import { MemoryPlan } from "../src/engine/plan.js";
import { Mlp } from "../src/nn/mlp.js";
import { Adam } from "../src/nn/adam.js";
import { ACTIVATION_CODES, type Activation } from "../src/nn/activation.js";
import { Rng } from "../src/rng.js";
import { RefMlp } from "../test/reference/mlp.js";
import { PEER_LABEL, tfPeer, type Tf } from "./peer.js";

// One peer network per case name, shared by the engine builds' rows (its timing is keyed).
const peers = new Map<string, { step: () => void; loss: () => number }>();
const peerChecked = new Set<string>();

// The step in TensorFlow.js ops, backward written out (tfjs-core's Node bundle registers no
// gradients, and the union package with them pulls in every backend): forward, the MSE gradient,
// per layer dZ = dH ⊙ act'(·), dW = Hᵀ·dZ, db = Σ dZ, dH = dZ·Wᵀ, and Adam with bias correction,
// all as wasm-backend kernels (matMul on XNNPACK) — the same arithmetic as encore's step.
function tfMlp(tf: Tf, acts: Activation[], layers: { I: number; O: number; w: Float32Array; b: Float32Array }[], x: Float32Array, y: Float32Array): { step: () => void; loss: () => number } {
  type T = ReturnType<typeof tf.tensor2d>;
  const ws = layers.map((l) => tf.variable(tf.tensor2d(l.w, [l.I, l.O])));
  const bs = layers.map((l) => tf.variable(tf.tensor1d(l.b)));
  const moments = [...ws, ...bs].map((p) => ({ p, m: tf.variable(tf.zerosLike(p)), v: tf.variable(tf.zerosLike(p)) }));
  const xs = tf.tensor2d(x, [B, layers[0].I]), ys = tf.tensor2d(y, [B, layers[layers.length - 1].O]);
  const n = B * layers[layers.length - 1].O;
  const forward = (): T[] => {
    const hs: T[] = [xs];
    layers.forEach((_, i) => {
      const z = tf.add(tf.matMul(hs[i], ws[i]), bs[i]) as T;
      hs.push(acts[i] === "relu" ? tf.relu(z) : acts[i] === "tanh" ? tf.tanh(z) : acts[i] === "sigmoid" ? tf.sigmoid(z) : z);
    });
    return hs;
  };
  let t = 0;
  const { lr, beta1, beta2, eps } = HYPER;
  const adam = (k: number, g: ReturnType<typeof tf.tensor>): void => {
    const { p, m, v } = moments[k];
    m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
    v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
    const mhat = tf.div(m, 1 - beta1 ** t), vhat = tf.div(v, 1 - beta2 ** t);
    p.assign(tf.sub(p, tf.mul(tf.div(mhat, tf.add(tf.sqrt(vhat), eps)), lr)));
  };
  return {
    step: () => tf.tidy(() => {
      t++;
      const hs = forward();
      let g = tf.mul(tf.sub(hs[layers.length], ys), 2 / n) as T;
      for (let i = layers.length - 1; i >= 0; i--) {
        const h = hs[i + 1];
        const dz = (acts[i] === "relu" ? tf.mul(g, tf.step(h)) : acts[i] === "tanh" ? tf.mul(g, tf.sub(1, tf.square(h)))
          : acts[i] === "sigmoid" ? tf.mul(g, tf.mul(h, tf.sub(1, h))) : g) as T;
        const dw = tf.matMul(hs[i], dz, true, false), db = tf.sum(dz, 0);
        if (i > 0) g = tf.matMul(dz, ws[i], false, true);
        adam(i, dw);
        adam(layers.length + i, db);
      }
    }),
    loss: () => tf.tidy(() => tf.mean(tf.square(tf.sub(forward()[layers.length], ys))).dataSync()[0]),
  };
}

const B = 64;
const NETS: { name: string; sizes: number[]; acts: Activation[] }[] = [
  { name: "actor", sizes: [320, 256, 256, 96], acts: ["relu", "relu", "tanh"] },
  { name: "critic", sizes: [416, 256, 256, 1], acts: ["relu", "relu", "identity"] },
];
const HYPER = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

/** Multiply-adds of forward (1×) and backward (2×: dinp and dw) over all layers, 2 flops each. */
function stepFlops(sizes: number[]): number {
  let macs = 0;
  for (let l = 0; l + 1 < sizes.length; l++) macs += B * sizes[l] * sizes[l + 1];
  return 2 * 3 * macs;
}

async function casesOn(simd: SimdBuild): Promise<CaseBody[]> {
  const plan = new MemoryPlan();
  const built = NETS.map((n) => {
    const group = plan.paramGroup(n.name);
    const mlp = new Mlp(plan, group, n.name, { sizes: n.sizes, activations: n.acts }, B);
    const target = plan.f32(`${n.name}.target`, "io", B * n.sizes[n.sizes.length - 1]);
    return { ...n, group, mlp, target };
  });
  const engine = await loadEngine(plan, { simd });
  const rng = new Rng(11);
  const tf = await tfPeer();
  return built.map(({ name, sizes, acts, group, mlp, target }) => {
    mlp.initialize(rng);
    randomFill(mlp.input.f32(), rng);
    randomFill(target.f32(), rng, 0.5);
    const adam = new Adam(group, HYPER);
    const nOut = B * mlp.outputs;
    const step = (): number => {
      adam.zeroGrad();
      mlp.forward(B);
      const loss = engine.x.mse_forward(nOut, mlp.output.ptr, target.ptr);
      engine.x.mse_backward(nOut, mlp.output.ptr, target.ptr, mlp.dout.ptr);
      mlp.backward(B);
      adam.step();
      return loss;
    };
    const x = Float64Array.from(mlp.input.f32());
    const y = Float64Array.from(target.f32());
    const ref = new RefMlp(mlp.layers.map((l, i) => ({
      I: l.inputs, O: l.outputs, act: ACTIVATION_CODES[acts[i]], w: Array.from(l.w.view()), b: Array.from(l.b!.view()),
    })));
    const caseName = `mlp_step W1 ${name} ${sizes.join("-")} B=${B}`;
    const x32 = mlp.input.f32().slice(), y32 = target.f32().slice();
    let peer = peers.get(caseName);
    if (!peer && tf) {
      // before the first step: the same initial weights on both sides (the rng seed is fixed, so every build's rows start alike)
      peer = tfMlp(tf, acts, mlp.layers.map((l) => ({ I: l.inputs, O: l.outputs, w: l.w.view().slice(), b: l.b!.view().slice() })), x32, y32);
      peers.set(caseName, peer);
    }
    // the peer's first loss, and its loss after one step (checks its backward pass and Adam), once per network
    const peerLosses = peer && !peerChecked.has(caseName) ? [peer.loss(), (peer.step(), peer.loss())] : undefined;
    peerChecked.add(caseName);
    return {
      name: caseName,
      peer: peer ? { label: PEER_LABEL, key: `${caseName} tfjs`, fn: peer.step } : undefined,
      subject: { label: "wasm simd", fn: step },
      baseline: { label: "plain JS reference", fn: () => ref.trainStep(B, x, y, HYPER) },
      flops: stepFlops(sizes),
      validate: () => {
        // wasm and the reference start from the same weights: their first losses agree
        const fresh = new RefMlp(ref.layers.map((l) => ({ ...l, w: [...l.w], b: [...l.b] })));
        const lr = fresh.trainStep(B, x, y, HYPER);
        const lw = step();
        if (!(Math.abs(lw - lr) <= 1e-4 * (1 + lr))) throw new Error(`loss ${lw} vs reference ${lr}`);
        if (peerLosses) {
          const second = fresh.trainStep(B, x, y, HYPER);
          if (!(Math.abs(peerLosses[0] - lr) <= 1e-4 * (1 + lr))) throw new Error(`TensorFlow.js loss ${peerLosses[0]} vs reference ${lr}`);
          if (!(Math.abs(peerLosses[1] - second) <= 1e-3 * (1 + second))) throw new Error(`TensorFlow.js loss after one step ${peerLosses[1]} vs reference ${second}`);
        }
      },
    };
  });
}

export function cases(): Promise<BenchCase[]> {
  return perSimd(casesOn);
}
