// GEMM, f32, row-major, three forms (nn, nt, tn), overwrite or accumulate.
// PLACEHOLDER: scalar reference loops with the final signatures; the tiled SIMD
// kernels replace the bodies. Pointers are byte addresses, leading dimensions in elements.
//
//   gemm_f32_nn: C(M,N) (+)= A(M,K)  · B(K,N)
//   gemm_f32_nt: C(M,N) (+)= A(M,K)  · B(N,K)ᵀ
//   gemm_f32_tn: C(M,N) (+)= A(K,M)ᵀ · B(K,N)
// `acc` = 0 overwrites C, 1 accumulates into C. `ws` is a workspace of
// gemm_workspace_bytes() bytes, 16-byte aligned, owned by the host.

export function gemm_workspace_bytes(): i32 {
  return 0;
}

// C(M,N) (+)= A(M,K) · B(K,N)
export function gemm_f32_nn(M: i32, N: i32, K: i32, a: usize, lda: i32, b: usize, ldb: i32,
                            c: usize, ldc: i32, acc: i32, ws: usize): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s: f32 = 0;
      for (let p = 0; p < K; p++) {
        s += load<f32>(a + (<usize>(i * lda + p) << 2)) * load<f32>(b + (<usize>(p * ldb + j) << 2));
      }
      const cp = c + (<usize>(i * ldc + j) << 2);
      store<f32>(cp, acc ? load<f32>(cp) + s : s);
    }
  }
}

// C(M,N) (+)= A(M,K) · B(N,K)ᵀ
export function gemm_f32_nt(M: i32, N: i32, K: i32, a: usize, lda: i32, b: usize, ldb: i32,
                            c: usize, ldc: i32, acc: i32, ws: usize): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s: f32 = 0;
      for (let p = 0; p < K; p++) {
        s += load<f32>(a + (<usize>(i * lda + p) << 2)) * load<f32>(b + (<usize>(j * ldb + p) << 2));
      }
      const cp = c + (<usize>(i * ldc + j) << 2);
      store<f32>(cp, acc ? load<f32>(cp) + s : s);
    }
  }
}

// C(M,N) (+)= A(K,M)ᵀ · B(K,N)
export function gemm_f32_tn(M: i32, N: i32, K: i32, a: usize, lda: i32, b: usize, ldb: i32,
                            c: usize, ldc: i32, acc: i32, ws: usize): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s: f32 = 0;
      for (let p = 0; p < K; p++) {
        s += load<f32>(a + (<usize>(p * lda + i) << 2)) * load<f32>(b + (<usize>(p * ldb + j) << 2));
      }
      const cp = c + (<usize>(i * ldc + j) << 2);
      store<f32>(cp, acc ? load<f32>(cp) + s : s);
    }
  }
}
