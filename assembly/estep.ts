// E-step: per-row log-densities, log-sum-exp and responsibilities, for the two kernel families
// ('tri': full/tied triangular factors; 'diag': diagonal/spherical element-wise factors).

import { at, get, set, weightAt, scratchDiff, scratchLp, scratchY } from './memory';
import { axpy, sub, sumSquaredProducts, sumSquares } from './vec';

// ln(2 pi) as the double js.ts computes with Math.log(2 * Math.PI).
const LOG_2PI: f64 = 1.8378770664093453;

/** diff[c, :] = x - centres[c, :] for every component c. */
@inline export function centre(x: usize, centres: usize, d: i32, k: i32, diff: usize): void {
  for (let c = 0; c < k; c++) {
    const off = <usize>c * d;
    sub(x, at(centres, off), at(diff, off), d);
  }
}

/**
 * lp[c] = log w_c + log N(x | mu_c, Sigma_c) for every component; leaves x - mu_c in diff, which
 * the fused pass then accumulates without recomputing it.
 */
@inline export function logDensities(
  tri: bool, x: usize, d: i32, k: i32,
  logWeights: usize, means: usize, precChol: usize, logDet: usize,
  lp: usize, diff: usize, y: usize,
): void {
  centre(x, means, d, k, diff);
  for (let c = 0; c < k; c++) {
    const dc = at(diff, <usize>c * d);
    let sq: f64;
    if (tri) {
      // y = U_c^T (x - mu_c), built row by row of U so each step is a contiguous axpy; the
      // additions into y_j happen in increasing i, as in js.ts.
      const U = at(precChol, <usize>c * d * d);
      memory.fill(y, 0, <usize>d << 3);
      for (let i = 0; i < d; i++) {
        axpy(get(dc, i), at(U, <usize>i * d + i), at(y, i), d - i);
      }
      sq = sumSquares(y, d);
    } else {
      sq = sumSquaredProducts(dc, at(precChol, <usize>c * d), d);
    }
    set(lp, c, -0.5 * (<f64>d * LOG_2PI + sq) + get(logDet, c) + get(logWeights, c));
  }
}

/** Turns lp into responsibilities in place and returns log p(x) = log-sum-exp of lp. */
@inline export function toResponsibilities(lp: usize, k: i32): f64 {
  let max = -Infinity;
  for (let c = 0; c < k; c++) max = get(lp, c) > max ? get(lp, c) : max;
  let s = 0.0;
  for (let c = 0; c < k; c++) s += Math.exp(get(lp, c) - max);
  const lse = max + Math.log(s);
  for (let c = 0; c < k; c++) set(lp, c, Math.exp(get(lp, c) - lse));
  return lse;
}

@inline function scoreRows(
  tri: bool, X: usize, w: usize, n: i32, d: i32, k: i32,
  logWeights: usize, means: usize, precChol: usize, logDet: usize,
  logProb: usize, resp: usize, scratch: usize, total: f64,
): f64 {
  const lp = scratchLp(scratch);
  const diff = scratchDiff(scratch, k);
  const y = scratchY(scratch, d, k);
  for (let i = 0; i < n; i++) {
    logDensities(tri, at(X, <usize>i * d), d, k, logWeights, means, precChol, logDet, lp, diff, y);
    const lse = toResponsibilities(lp, k);
    total += weightAt(w, i) * lse;
    set(logProb, i, lse);
    if (resp) memory.copy(at(resp, <usize>i * k), lp, <usize>k << 3);
  }
  return total;
}

/**
 * Scores n rows: logProb[i] = log p(x_i) and, unless resp is 0, resp[i, :] = responsibilities.
 * Returns total + sum_i w_i log p(x_i), added row by row so that chunked calls chained through
 * `total` sum in the same order as one call over all rows.
 */
export function score(
  tri: bool, X: usize, w: usize, n: i32, d: i32, k: i32,
  logWeights: usize, means: usize, precChol: usize, logDet: usize,
  logProb: usize, resp: usize, scratch: usize, total: f64,
): f64 {
  return tri
    ? scoreRows(true, X, w, n, d, k, logWeights, means, precChol, logDet, logProb, resp, scratch, total)
    : scoreRows(false, X, w, n, d, k, logWeights, means, precChol, logDet, logProb, resp, scratch, total);
}
