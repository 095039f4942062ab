// f64 reference for assembly/dense.ts, written for clarity: plain loops, no aliasing, and
// gradients returned fresh (the caller adds them where the kernel accumulates).
//   forward:  pre(B,O) = inp(B,I)·w(I,O) + bias(O);  out = act(pre)
//   backward: dpre = dout ⊙ act'(out);  dw = inpᵀ·dpre;  dbias = Σ_b dpre;  dinp = dpre·wᵀ
import { actScalar, actGradFromOutput, ACT } from "./elementwise.js";

type Arr = ArrayLike<number>;

export function denseForward(B: number, I: number, O: number, inp: Arr, w: Arr, bias: Arr | null, act: number): { pre: number[]; out: number[] } {
  const pre: number[] = new Array(B * O).fill(0);
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < O; o++) {
      let s = bias ? bias[o] : 0;
      for (let i = 0; i < I; i++) s += inp[b * I + i] * w[i * O + o];
      pre[b * O + o] = s;
    }
  }
  return { pre, out: pre.map((v) => actScalar(v, act)) };
}

export function denseBackward(B: number, I: number, O: number, inp: Arr, w: Arr, out: Arr, dout: Arr, act: number) {
  const dpre: number[] = [];
  for (let k = 0; k < B * O; k++) {
    dpre.push(act === ACT.relu ? (out[k] > 0 ? dout[k] : 0) : dout[k] * actGradFromOutput(out[k], act));
  }
  const dw: number[] = new Array(I * O).fill(0);
  const dbias: number[] = new Array(O).fill(0);
  const dinp: number[] = new Array(B * I).fill(0);
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < O; o++) {
      const g = dpre[b * O + o];
      dbias[o] += g;
      for (let i = 0; i < I; i++) {
        dw[i * O + o] += inp[b * I + i] * g;
        dinp[b * I + i] += g * w[i * O + o];
      }
    }
  }
  return { dpre, dw, dbias, dinp };
}
