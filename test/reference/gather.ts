// f64 references for assembly/gather.ts.

export function gatherRowsRef(idx: ArrayLike<number>, E: ArrayLike<number>, D: number): Float64Array {
  const out = new Float64Array(idx.length * D);
  for (let r = 0; r < idx.length; r++) for (let j = 0; j < D; j++) out[r * D + j] = E[idx[r] * D + j];
  return out;
}

export function copy2dRef(R: number, C: number, src: ArrayLike<number>, lds: number, dst: ArrayLike<number>, ldd: number): Float64Array {
  const out = Float64Array.from(dst);
  for (let r = 0; r < R; r++) for (let j = 0; j < C; j++) out[r * ldd + j] = src[r * lds + j];
  return out;
}
