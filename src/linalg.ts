/**
 * Small dense kernels on row-major d x d blocks inside flat Float64Arrays (offset `a0`).
 * Used by the JS backend's precision Cholesky, by initial-parameter checks, by `sample` and by the
 * orientation M-steps of EVE / VVE.
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

/**
 * P[p0 ..] = A_block B for d x d row-major matrices (A at offset a0). Each P_ij is the sum over m in
 * ascending order of A_im B_mj from 0, terms with A_im = 0 left out. A block of two rows by four
 * columns of P is summed at once in registers (independent sums, so the order within each, and the
 * bits, are those of one sum at a time); an odd last row is computed twice.
 */
export function mulSquare(A: Float64Array, a0: number, B: Float64Array, d: number, P: Float64Array, p0: number): void {
  const d4 = d & ~3;
  for (let i = 0; i < d; i += 2) {
    const ai = a0 + i * d;
    const ak = i + 1 < d ? ai + d : ai;
    const pi = p0 + i * d;
    const pk = i + 1 < d ? pi + d : pi;
    let j = 0;
    for (; j < d4; j += 4) {
      let t0 = 0;
      let t1 = 0;
      let t2 = 0;
      let t3 = 0;
      let u0 = 0;
      let u1 = 0;
      let u2 = 0;
      let u3 = 0;
      for (let m = 0, bm = j; m < d; m++, bm += d) {
        const x = A[ai + m];
        const y = A[ak + m];
        const b0 = B[bm];
        const b1 = B[bm + 1];
        const b2 = B[bm + 2];
        const b3 = B[bm + 3];
        if (x !== 0) {
          t0 += x * b0;
          t1 += x * b1;
          t2 += x * b2;
          t3 += x * b3;
        }
        if (y !== 0) {
          u0 += y * b0;
          u1 += y * b1;
          u2 += y * b2;
          u3 += y * b3;
        }
      }
      P[pi + j] = t0;
      P[pi + j + 1] = t1;
      P[pi + j + 2] = t2;
      P[pi + j + 3] = t3;
      P[pk + j] = u0;
      P[pk + j + 1] = u1;
      P[pk + j + 2] = u2;
      P[pk + j + 3] = u3;
    }
    for (; j < d; j++) {
      let t = 0;
      let u = 0;
      for (let m = 0, bm = j; m < d; m++, bm += d) {
        const x = A[ai + m];
        const y = A[ak + m];
        if (x !== 0) t += x * B[bm];
        if (y !== 0) u += y * B[bm];
      }
      P[pi + j] = t;
      P[pk + j] = u;
    }
  }
}

/**
 * P[p0 ..] = A^T B for d x d row-major A and B whose product is symmetric (A^T W A from B = W A):
 * the upper triangle P_ij = sum over r ascending of A_ri B_rj, mirrored into the lower one; four
 * entries of a row are summed at once in registers, as in mulSquare.
 */
export function mulTransposeSymmetric(A: Float64Array, B: Float64Array, d: number, P: Float64Array, p0: number): void {
  for (let i = 0; i < d; i++) {
    const pi = p0 + i * d;
    let j = i;
    for (; j + 4 <= d; j += 4) {
      let t0 = 0;
      let t1 = 0;
      let t2 = 0;
      let t3 = 0;
      for (let ri = i, rj = j; ri < d * d; ri += d, rj += d) {
        const x = A[ri];
        t0 += x * B[rj];
        t1 += x * B[rj + 1];
        t2 += x * B[rj + 2];
        t3 += x * B[rj + 3];
      }
      P[pi + j] = P[p0 + j * d + i] = t0;
      P[pi + j + 1] = P[p0 + (j + 1) * d + i] = t1;
      P[pi + j + 2] = P[p0 + (j + 2) * d + i] = t2;
      P[pi + j + 3] = P[p0 + (j + 3) * d + i] = t3;
    }
    for (; j < d; j++) {
      let t = 0;
      for (let ri = i, rj = j; ri < d * d; ri += d, rj += d) t += A[ri] * B[rj];
      P[pi + j] = P[p0 + j * d + i] = t;
    }
  }
}
