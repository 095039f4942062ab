// Small dense f64 linear algebra for the embedding pipeline: the eigen-decomposition of a
// P×P covariance (P ≈ 30 audio features) and a ridge solve of the same size. Sizes are tiny,
// so the methods are chosen for determinism and accuracy, not speed.
//
// No `node:` imports.

/**
 * Eigen-decomposition of a symmetric matrix A (n, n) by the cyclic Jacobi method (Golub & Van
 * Loan, Matrix Computations, §8.5; rotation angles as in Numerical Recipes' `jacobi`).
 * Why Jacobi: it is deterministic (a fixed sweep order, no random start as in power or Lanczos
 * iteration), finds all eigenpairs at once to full f64 accuracy with orthonormal vectors even
 * for repeated eigenvalues (power iteration with deflation degrades there), and at n ≈ 30 a
 * few sweeps cost nothing.
 *
 * Returns eigenvalues in descending order and the matching unit eigenvectors as the columns of
 * `vectors` (n, n), vectors[i·n + j] = component i of vector j. Sign convention, so that the
 * result is unique up to ties: the entry of largest magnitude of each vector (lowest index on a
 * tie) is positive.
 */
export function symmetricEigen(A: Float64Array, n: number, maxSweeps = 100): { values: Float64Array; vectors: Float64Array } {
  if (A.length !== n * n) throw new Error(`symmetricEigen: expected ${n}×${n} = ${n * n} values, got ${A.length}`);
  const a = Float64Array.from(A);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) {
    const s = 0.5 * (a[i * n + j] + a[j * n + i]); // symmetrise rounding noise
    a[i * n + j] = s;
    a[j * n + i] = s;
  }
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale += a[i] * a[i];
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
    if (off <= 1e-30 * scale || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const app = a[p * n + p], aqq = a[q * n + q];
        // tan of the rotation angle: the smaller root of t² + 2θt − 1 = 0, θ = (aqq − app)/(2apq)
        const theta = (aqq - app) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        // A ← Jᵀ A J on rows/columns p and q
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        a[p * n + q] = 0;
        a[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j] - a[i * n + i] || i - j);
  const values = new Float64Array(n), vectors = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const src = order[j];
    values[j] = a[src * n + src];
    let big = 0;
    for (let i = 0; i < n; i++) if (Math.abs(v[i * n + src]) > Math.abs(v[big * n + src])) big = i;
    const sign = v[big * n + src] < 0 ? -1 : 1;
    for (let i = 0; i < n; i++) vectors[i * n + j] = sign * v[i * n + src];
  }
  return { values, vectors };
}

/**
 * Solve A X = B for a symmetric positive definite A (n, n) and B (n, m) by Cholesky
 * factorisation A = L Lᵀ; returns X (n, m). Throws when A is not positive definite.
 */
export function choleskySolve(A: Float64Array, n: number, B: Float64Array, m: number): Float64Array {
  if (A.length !== n * n || B.length !== n * m) throw new Error(`choleskySolve: shapes A ${A.length} (expected ${n * n}), B ${B.length} (expected ${n * m})`);
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let s = A[j * n + j];
    for (let k = 0; k < j; k++) s -= L[j * n + k] * L[j * n + k];
    if (!(s > 0)) throw new Error(`choleskySolve: matrix is not positive definite (pivot ${j} is ${s})`);
    const ljj = Math.sqrt(s);
    L[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let t = A[i * n + j];
      for (let k = 0; k < j; k++) t -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = t / ljj;
    }
  }
  const X = Float64Array.from(B);
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < n; i++) { // L y = b
      let t = X[i * m + c];
      for (let k = 0; k < i; k++) t -= L[i * n + k] * X[k * m + c];
      X[i * m + c] = t / L[i * n + i];
    }
    for (let i = n - 1; i >= 0; i--) { // Lᵀ x = y
      let t = X[i * m + c];
      for (let k = i + 1; k < n; k++) t -= L[k * n + i] * X[k * m + c];
      X[i * m + c] = t / L[i * n + i];
    }
  }
  return X;
}
