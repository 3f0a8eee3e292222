/**
 * Small dense kernels on row-major d x d blocks inside flat Float64Arrays (offset `a0`).
 * Used by the JS backend's precision Cholesky, by initial-parameter checks and by `sample`.
 */

/**
 * Cholesky factor A = L L^T of the symmetric block A[a0 .. a0 + d*d) into L (lower, row-major, the
 * strict upper part is left untouched). Returns false when A is not positive definite.
 */
export function choleskyLower(A: Float64Array, a0: number, d: number, L: Float64Array): boolean {
  for (let j = 0; j < d; j++) {
    let s = A[a0 + j * d + j];
    for (let m = 0; m < j; m++) s -= L[j * d + m] * L[j * d + m];
    if (!(s > 0)) return false;
    const ljj = Math.sqrt(s);
    L[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = A[a0 + i * d + j];
      for (let m = 0; m < j; m++) t -= L[i * d + m] * L[j * d + m];
      L[i * d + j] = t / ljj;
    }
  }
  return true;
}

/**
 * U = (L^-1)^T for lower-triangular L, written (upper, zeros below) at U[u0 ..]. Returns sum_j ln U_jj.
 * Column j of L^-1 comes from forward substitution and is stored as row j of U.
 */
export function inverseTransposeLower(L: Float64Array, d: number, U: Float64Array, u0: number): number {
  let logDet = 0;
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < j; i++) U[u0 + j * d + i] = 0;
    const ujj = 1 / L[j * d + j];
    U[u0 + j * d + j] = ujj;
    logDet += Math.log(ujj);
    for (let i = j + 1; i < d; i++) {
      let t = 0;
      for (let m = j; m < i; m++) t -= L[i * d + m] * U[u0 + j * d + m];
      U[u0 + j * d + i] = t / L[i * d + i];
    }
  }
  return logDet;
}
