// Plain f64 reference for assembly/gemm.ts, written to be obviously right, not fast.
//
//   nn: C(M,N) (+)= A(M,K)  · B(K,N)     A[i,p] = a[i*lda + p], B[p,j] = b[p*ldb + j]
//   nt: C(M,N) (+)= A(M,K)  · B(N,K)ᵀ    A[i,p] = a[i*lda + p], B[p,j] = b[j*ldb + p]
//   tn: C(M,N) (+)= A(K,M)ᵀ · B(K,N)     A[i,p] = a[p*lda + i], B[p,j] = b[p*ldb + j]
// C[i,j] = c[i*ldc + j]; acc = 0 overwrites C, 1 adds to it. Offsets into a, b, c are
// the caller's (pass subarrays); elements outside the M x N block of C are not touched.

export type GemmForm = "nn" | "nt" | "tn";

export function gemmRef(form: GemmForm, M: number, N: number, K: number,
                        a: ArrayLike<number>, lda: number, b: ArrayLike<number>, ldb: number,
                        c: { [i: number]: number }, ldc: number, acc: 0 | 1): void {
  const A = (i: number, p: number): number => (form === "tn" ? a[p * lda + i] : a[i * lda + p]);
  const B = (p: number, j: number): number => (form === "nt" ? b[j * ldb + p] : b[p * ldb + j]);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let p = 0; p < K; p++) s += A(i, p) * B(p, j);
      c[i * ldc + j] = acc ? c[i * ldc + j] + s : s;
    }
  }
}
