// f64 references for assembly/rl.ts.

/** y = r + γ (1 − done) q'. */
export function tdTargetRef(r: ArrayLike<number>, done: ArrayLike<number>, qnext: ArrayLike<number>, gamma: number): number[] {
  return Array.from(r, (ri, i) => ri + gamma * (1 - done[i]) * qnext[i]);
}
