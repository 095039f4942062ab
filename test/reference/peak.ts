// f64 reference for assembly/peak.ts.

/** Σ over 12 chains j of v_n, v_0 = fl32(c + j), v_{i+1} = v_i·a + b. */
export function peakMaddRef(n: number, a: number, b: number, c: number): number {
  let sum = 0;
  for (let j = 0; j < 12; j++) {
    let v = Math.fround(c + j);
    for (let i = 0; i < n; i++) v = v * a + b;
    sum += v;
  }
  return sum;
}
