// The raw kernel exports of the encore wasm engine, typed. Pointers are byte addresses
// into the engine's memory, sizes are element counts, flags are 0/1. These are called
// through thin host wrappers (src/nn/*, src/engine/topk.ts) that check shapes first, so a
// bad shape is a clear JS error; a kernel called with arguments it cannot honour anyway traps
// with "encore engine: <kernel>: <what>" (assembly/check.ts). Kernels return results (scores,
// losses, sizes), never status codes.
//
// Each kernel's shape comment lives beside its implementation in assembly/. This interface is
// checked against the compiled module (test/kernels.test.ts): every export listed here with
// its parameter count and whether it returns a value, and nothing exported that is not here.

export interface EngineExports {
  /** First byte above the engine's static data. */
  heap_base(): number;
  // assembly/simd.ts: which build this is (immutable globals, 0 or 1)
  /** 1 in the relaxed-SIMD builds (multiply-adds fused where the CPU can), 0 in the SIMD128 ones. */
  BUILD_RELAXED: WebAssembly.Global;
  /** 1 in the builds that import a shared memory (the worker-thread engine's), 0 otherwise. */
  BUILD_SHARED: WebAssembly.Global;

  // assembly/gemm.ts
  gemm_workspace_bytes(): number;
  gemm_f32_nn(M: number, N: number, K: number, a: number, lda: number, b: number, ldb: number,
              c: number, ldc: number, acc: number, ws: number): void;
  gemm_f32_nt(M: number, N: number, K: number, a: number, lda: number, b: number, ldb: number,
              c: number, ldc: number, acc: number, ws: number): void;
  gemm_f32_tn(M: number, N: number, K: number, a: number, lda: number, b: number, ldb: number,
              c: number, ldc: number, acc: number, ws: number): void;

  // assembly/elementwise.ts — activation codes (immutable globals): 0 identity, 1 relu, 2 tanh, 3 sigmoid
  ACT_IDENTITY: WebAssembly.Global;
  ACT_RELU: WebAssembly.Global;
  ACT_TANH: WebAssembly.Global;
  ACT_SIGMOID: WebAssembly.Global;
  fill_f32(n: number, x: number, value: number): void;
  copy_f32(n: number, src: number, dst: number): void;
  scale_f32(n: number, x: number, s: number): void;
  bias_add_f32(B: number, O: number, x: number, bias: number): void;
  exp_f32(n: number, x: number, y: number): void;
  act_forward_f32(n: number, x: number, y: number, act: number): void;
  act_backward_f32(n: number, y: number, dy: number, dx: number, act: number): void;

  // assembly/dense.ts
  dense_forward(B: number, I: number, O: number, inp: number, w: number, bias: number,
                out: number, act: number, ws: number): void;
  dense_backward(B: number, I: number, O: number, inp: number, w: number, out: number,
                 dout: number, dpre: number, dinp: number, dw: number, dbias: number,
                 act: number, acc_dinp: number, ws: number): void;

  // assembly/loss.ts
  mse_forward(n: number, pred: number, target: number): number;
  mse_backward(n: number, pred: number, target: number, dpred: number): void;
  /** Σ_b [T_b > 0]·(−Σ_m (t_bm/T_b) log softmax(z_b)_m); z, t (B, M) f32. */
  softmax_xent_forward_f32(B: number, M: number, z: number, t: number): number;
  /** Writes dz (B, M) = scale·[T_b > 0]·(softmax(z_b) − t_b/T_b), 0 at masked (−Inf) logits; returns the loss. */
  softmax_xent_backward_f32(B: number, M: number, z: number, t: number, scale: number, dz: number): number;

  // assembly/optim.ts
  adam_step(n: number, param: number, grad: number, m: number, v: number, lr: number,
            beta1: number, beta2: number, eps: number, weight_decay: number, t: number): void;
  /** Lazy Adam on rows idx (R, distinct) of (V, W) tables; zeroes those grad rows. Note t before weightDecay. */
  adam_rows_f32(R: number, W: number, idx: number, param: number, grad: number, m: number, v: number,
                lr: number, beta1: number, beta2: number, eps: number, t: number, weightDecay: number): void;
  sumsq_f32(n: number, x: number): number;
  soft_update_f32(n: number, target: number, src: number, tau: number): void;

  // assembly/rl.ts
  td_target_f32(B: number, r: number, done: number, qnext: number, gamma: number, y: number): void;
  sum_f32(n: number, x: number): number;

  // assembly/gather.ts
  gather_rows_f32(R: number, idx: number, E: number, D: number, out: number): void;
  /** dst (V, W)[idx[r], :] += src (R, W)[r, :], in order (duplicates accumulate). */
  scatter_add_rows_f32(R: number, W: number, idx: number, src: number, dst: number): void;
  copy_2d_f32(R: number, C: number, src: number, lds: number, dst: number, ldd: number): void;

  // assembly/gru.ts (sizes exact in f64; a dimension < 1 or act not relu/tanh traps)
  gru_activation_floats(B: number, T: number, H: number): number;
  gru_workspace_bytes(B: number, T: number, I: number, H: number): number;
  gru_forward(B: number, T: number, I: number, H: number, x: number, wx: number, wh: number,
              bx: number, bh: number, h0: number, hs: number, saved: number, act: number, ws: number): void;
  gru_backward(B: number, T: number, I: number, H: number, x: number, wx: number, wh: number, h0: number,
               hs: number, saved: number, dhs: number, dx: number, dwx: number, dwh: number,
               dbx: number, dbh: number, dh0: number, act: number, ws: number): void;

  // assembly/topk.ts (entry points) + topk_scan.ts (scan) + topk_select.ts (selection)
  /** Workspace bytes (exact in f64; topk_f32 accepts at most 2^31 − 1). */
  topk_workspace_bytes(Q: number, G: number, k: number, D: number, distinct: number): number;
  /** bias: per-track b (N) f32 or 0 for none; qbias: per-query weights (Q) f32, read when bias != 0. */
  topk_f32(E: number, N: number, D: number, W: number, Q: number, G: number, k: number,
           excl: number, X: number, distinct: number, out_idx: number, out_score: number, ws: number,
           bias: number, qbias: number): void;
  /** Candidate entries H per part of a split top-k (exact in f64). */
  topk_candidates(Q: number, G: number, k: number, distinct: number): number;
  /** topk_f32's scan over catalog rows [r0, r1) only; writes the part's candidates cand_idx/cand_score (H). */
  topk_part_f32(E: number, N: number, D: number, W: number, Q: number, G: number, k: number,
                excl: number, X: number, distinct: number, r0: number, r1: number,
                cand_idx: number, cand_score: number, ws: number, bias: number, qbias: number): void;
  /** Merges T parts' candidates (T, H) into topk_f32's outputs (Q, k); ws ≥ topk_workspace_bytes(Q, G, k, 1, distinct). */
  topk_merge_f32(Q: number, G: number, k: number, distinct: number, T: number, cand_idx: number,
                 cand_score: number, out_idx: number, out_score: number, ws: number): void;

  // assembly/topk_i8.ts: the same results from an int8 copy of the catalog (quantize_catalog_i8)
  /** Bytes of the codes of an N × D catalog (groups of 4 rows, D padded to a multiple of 4). */
  catalog_i8_bytes(N: number, D: number): number;
  /** Bytes of the per-dimension data (scales, residual bounds, maxima, scratch). */
  catalog_i8_meta_bytes(D: number): number;
  /** Quantise E (N, D) into codes and meta; lists rows with a NaN or an infinity in special (at most maxSpecial); returns their count. */
  quantize_catalog_i8(E: number, N: number, D: number, codes: number, meta: number, special: number, maxSpecial: number): number;
  /** Workspace bytes of topk_i8 / topk_part_i8 (exact in f64; at most 2^31 − 1 accepted). */
  topk_i8_workspace_bytes(Q: number, G: number, k: number, D: number, distinct: number): number;
  /** 1 when this engine computes i32x4.relaxed_dot_i8x16_i7x16_add_s exactly (relaxed build only; pass -127, 126, 1000). */
  topk_i8_dot_ok(a: number, b: number, c: number): number;
  /** topk_f32's result from the int8 copy whose descriptor (codes, meta, special, count, relaxed dot: 5 i32) is at cat. */
  topk_i8(E: number, cat: number, N: number, D: number, W: number, Q: number, G: number, k: number,
          excl: number, X: number, distinct: number, out_idx: number, out_score: number, ws: number,
          bias: number, qbias: number): void;
  /** The int8 scan's integer dot products alone (its arithmetic floor): their i32 wrapping sum over rows and queries. ws: (⌈D/4⌉·Q + 4)·16 bytes. */
  topk_i8_dots(codes: number, N: number, D: number, qcodes: number, Q: number, ws: number): number;
  /** topk_i8 over rows [r0, r1) (r0 a multiple of 4) into a part's candidates, merged by topk_merge_f32. */
  topk_part_i8(E: number, cat: number, N: number, D: number, W: number, Q: number, G: number, k: number,
               excl: number, X: number, distinct: number, r0: number, r1: number,
               cand_idx: number, cand_score: number, ws: number, bias: number, qbias: number): void;

  // assembly/memread.ts
  /** XOR of the n bytes at p (n a multiple of 64), read once as four streams: the memory floor of a scan. */
  read_u8(p: number, n: number): number;

  // assembly/peak.ts
  /** n rounds of acc ← madd(acc, a, b) on 12 chains of 4 lanes starting at c + j: the multiply-add ceiling. Returns Σ_j acc_j. */
  peak_madd_f32(n: number, a: number, b: number, c: number): number;

  // assembly/sgns.ts
  sgns_workspace_bytes(D: number): number;
  sgns_step_f32(P: number, centers: number, contexts: number, negs: number, K: number,
                V_in: number, U_out: number, D: number, lr: number, ws: number): number;

  // assembly/rowwise.ts
  mean_pool_f32(B: number, N: number, D: number, x: number, out: number): void;
  l2norm_forward(R: number, D: number, x: number, y: number, norm: number, radius: number): void;
  l2norm_backward(R: number, D: number, y: number, norm: number, dy: number, dx: number, radius: number): void;
  interact_forward(B: number, K: number, D: number, m: number, a: number, out: number, ldo: number): void;
  interact_backward(B: number, K: number, D: number, m: number, dout: number, ldd: number, da: number): void;

  // assembly/score.ts — the item-wise critic's candidate scores
  rowdot_forward_f32(B: number, P: number, W: number, u: number, x: number, out: number): void;
  rowdot_backward_f32(B: number, P: number, W: number, u: number, x: number, dout: number, du: number, dx: number): void;

  // assembly/pool.ts
  /** out (B, C, D) = Σ_n alpha (C, N, 2)[c, n, kept(b, n)] · x (B, N, D)[b, n, :]; kept (B, N) u8. */
  pool_feedback_forward_f32(B: number, N: number, C: number, D: number, x: number, kept: number,
                            alpha: number, out: number): void;
  /** dalpha (C, N, 2) += …, dx (B, N, D) += … (dx = 0 skips it). */
  pool_feedback_backward_f32(B: number, N: number, C: number, D: number, x: number, kept: number,
                             alpha: number, dout: number, dalpha: number, dx: number): void;
}
