// Precision Cholesky factors, the same algorithm and operation order as js.ts precisionCholesky.

import { at, get, set } from './memory';

/**
 * For each of k symmetric d x d covariances: A = L L^T (lower), then U = (L^-1)^T (upper, zeros
 * below) into precChol and sum_j ln U_jj into logDet. L is d x d scratch. precChol may equal cov:
 * a component's covariance is no longer read once its L is complete, which lets JS factor in place.
 * Returns -1, or the index of the first component that is not positive definite.
 */
export function precisionCholesky(cov: usize, k: i32, d: i32, precChol: usize, logDet: usize, L: usize): i32 {
  for (let c = 0; c < k; c++) {
    const A = at(cov, <usize>c * d * d);
    const P = at(precChol, <usize>c * d * d);
    for (let j = 0; j < d; j++) {
      const Lj = at(L, <usize>j * d);
      let s = get(A, <usize>j * d + j);
      for (let m = 0; m < j; m++) s -= get(Lj, m) * get(Lj, m);
      if (!(s > 0)) return c;
      const ljj = Math.sqrt(s);
      set(Lj, j, ljj);
      for (let i = j + 1; i < d; i++) {
        const Li = at(L, <usize>i * d);
        let t = get(A, <usize>i * d + j);
        for (let m = 0; m < j; m++) t -= get(Li, m) * get(Lj, m);
        set(Li, j, t / ljj);
      }
    }
    // Row j of U is column j of L^-1, by forward substitution.
    let ld = 0.0;
    for (let j = 0; j < d; j++) {
      const Pj = at(P, <usize>j * d);
      memory.fill(Pj, 0, <usize>j << 3);
      const ujj = 1 / get(L, <usize>j * d + j);
      set(Pj, j, ujj);
      ld += Math.log(ujj);
      for (let i = j + 1; i < d; i++) {
        const Li = at(L, <usize>i * d);
        let t = 0.0;
        for (let m = j; m < i; m++) t -= get(Li, m) * get(Pj, m);
        set(Pj, i, t / get(Li, i));
      }
    }
    set(logDet, c, ld);
  }
  return -1;
}
