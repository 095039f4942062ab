// The raw kernel exports of the encore wasm engine, typed. Pointers are byte addresses
// into the engine's memory, sizes are element counts, flags are 0/1. These are called
// through thin host wrappers (src/nn/*, src/engine/topk.ts) that check shapes first, so a
// bad shape is a clear JS error, never a wasm trap.
//
// Each kernel's shape comment lives beside its implementation in assembly/.

export interface EngineExports {
  /** First byte above the engine's static data. */
  heap_base(): number;

  // assembly/gemm.ts
  gemm_workspace_bytes(): number;
  gemm_f32_nn(M: number, N: number, K: number, a: number, lda: number, b: number, ldb: number,
              c: number, ldc: number, acc: number, ws: number): void;
  gemm_f32_nt(M: number, N: number, K: number, a: number, lda: number, b: number, ldb: number,
              c: number, ldc: number, acc: number, ws: number): void;
  gemm_f32_tn(M: number, N: number, K: number, a: number, lda: number, b: number, ldb: number,
              c: number, ldc: number, acc: number, ws: number): void;

  // assembly/topk.ts
  topk_workspace_bytes(Q: number, G: number, k: number, D: number, distinct: number): number;
  topk_f32(E: number, N: number, D: number, W: number, Q: number, G: number, k: number,
           excl: number, X: number, distinct: number, out_idx: number, out_score: number, ws: number): number;
}
