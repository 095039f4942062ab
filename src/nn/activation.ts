// Activation functions by name, and the codes the wasm kernels use for them
// (assembly/elementwise.ts). Backward passes express the derivative through the output y:
// relu: y > 0; tanh: 1 − y²; sigmoid: y(1 − y); identity: 1.

export const ACTIVATION_CODES = { identity: 0, relu: 1, tanh: 2, sigmoid: 3 } as const;
export type Activation = keyof typeof ACTIVATION_CODES;

export function activationCode(a: Activation): number {
  const c = ACTIVATION_CODES[a];
  if (c === undefined) throw new Error(`unknown activation '${String(a)}' (expected one of ${Object.keys(ACTIVATION_CODES).join(", ")})`);
  return c;
}
