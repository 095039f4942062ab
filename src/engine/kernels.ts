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

  // assembly/gru.ts (return 0 on success, 1 = act not relu/tanh, 2 = a dimension < 1)
  gru_activation_floats(B: number, T: number, H: number): number;
  gru_workspace_bytes(B: number, T: number, I: number, H: number): number;
  gru_forward(B: number, T: number, I: number, H: number, x: number, wx: number, wh: number,
              bx: number, bh: number, h0: number, hs: number, saved: number, act: number, ws: number): number;
  gru_backward(B: number, T: number, I: number, H: number, x: number, wx: number, wh: number, h0: number,
               hs: number, saved: number, dhs: number, dx: number, dwx: number, dwh: number,
               dbx: number, dbh: number, dh0: number, act: number, ws: number): number;
}
