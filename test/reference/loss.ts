// f64 reference for assembly/loss.ts.
type Arr = ArrayLike<number>;

/** (1/n) Σ (pred − target)²; 0 for n = 0. */
export function mseForward(pred: Arr, target: Arr): number {
  const n = pred.length;
  if (n === 0) return 0;
  let s = 0;
  for (let i = 0; i < n; i++) s += (pred[i] - target[i]) ** 2;
  return s / n;
}

/** dL/dpred = 2 (pred − target) / n. */
export function mseBackward(pred: Arr, target: Arr): number[] {
  const n = pred.length;
  return Array.from(pred, (p, i) => (2 * (p - target[i])) / n);
}
