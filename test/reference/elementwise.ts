// f64 references for assembly/elementwise.ts and assembly/mathx.ts, written for clarity.
// Arrays are plain number arrays or typed arrays read as f64.

export const ACT = { identity: 0, relu: 1, tanh: 2, sigmoid: 3 } as const;
export type ActCode = (typeof ACT)[keyof typeof ACT];
export const ACT_NAMES: Record<number, string> = { 0: "identity", 1: "relu", 2: "tanh", 3: "sigmoid" };

export function sigmoid(x: number): number {
  // the two-branch form keeps f64 accuracy for large |x|
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

export function relu(x: number): number {
  return x < 0 ? 0 : x; // NaN stays NaN
}

/** act(x) in f64. */
export function actScalar(x: number, act: number): number {
  switch (act) {
    case ACT.identity: return x;
    case ACT.relu: return relu(x);
    case ACT.tanh: return Math.tanh(x);
    case ACT.sigmoid: return sigmoid(x);
    default: throw new Error(`unknown activation code ${act}`);
  }
}

/** act'(x) written through the output y = act(x). */
export function actGradFromOutput(y: number, act: number): number {
  switch (act) {
    case ACT.identity: return 1;
    case ACT.relu: return y > 0 ? 1 : 0;
    case ACT.tanh: return 1 - y * y;
    case ACT.sigmoid: return y * (1 - y);
    default: throw new Error(`unknown activation code ${act}`);
  }
}

export function actForward(x: ArrayLike<number>, act: number): number[] {
  return Array.from(x, (v) => actScalar(v, act));
}

/** dx = dy ⊙ act'(x) through y; relu selects (0 where y ≤ 0, even for a NaN dy). */
export function actBackward(y: ArrayLike<number>, dy: ArrayLike<number>, act: number): number[] {
  const dx: number[] = [];
  for (let i = 0; i < y.length; i++) {
    dx.push(act === ACT.relu ? (y[i] > 0 ? dy[i] : 0) : dy[i] * actGradFromOutput(y[i], act));
  }
  return dx;
}

/** x(B,O) + bias(O) broadcast over rows. */
export function biasAdd(B: number, O: number, x: ArrayLike<number>, bias: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let b = 0; b < B; b++) for (let o = 0; o < O; o++) out.push(x[b * O + o] + bias[o]);
  return out;
}
