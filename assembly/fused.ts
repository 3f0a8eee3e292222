// The fused EM pass: E-step and accumulation in one sweep over X, no n x k matrix kept.

import { at, get, set, weightAt, scratchDiff, scratchLp, scratchY } from './memory';
import { logDensities, toResponsibilities } from './estep';
import { accumulateRow } from './accumulate';

@inline function fusedRows(
  tri: bool, X: usize, w: usize, n: i32, d: i32, k: i32,
  logWeights: usize, means: usize, precChol: usize, logDet: usize,
  N: usize, S1: usize, S2: usize, sums: usize, scratch: usize,
): void {
  const lp = scratchLp(scratch);
  const diff = scratchDiff(scratch, k);
  const y = scratchY(scratch, d, k);
  let logLik = get(sums, 0);
  let weightSum = get(sums, 1);
  for (let i = 0; i < n; i++) {
    logDensities(tri, at(X, <usize>i * d), d, k, logWeights, means, precChol, logDet, lp, diff, y);
    const lse = toResponsibilities(lp, k);
    const wi = weightAt(w, i);
    logLik += wi * lse;
    accumulateRow(tri, lp, wi, d, k, diff, N, S1, S2);
    weightSum += wi;
  }
  set(sums, 0, logLik);
  set(sums, 1, weightSum);
}

/**
 * Adds the statistics of n rows about the current means into N, S1, S2, and sum_i w_i log p(x_i)
 * and sum_i w_i into sums[0], sums[1]. The caller zeroes them first.
 */
export function emPass(
  tri: bool, X: usize, w: usize, n: i32, d: i32, k: i32,
  logWeights: usize, means: usize, precChol: usize, logDet: usize,
  N: usize, S1: usize, S2: usize, sums: usize, scratch: usize,
): void {
  if (tri) fusedRows(true, X, w, n, d, k, logWeights, means, precChol, logDet, N, S1, S2, sums, scratch);
  else fusedRows(false, X, w, n, d, k, logWeights, means, precChol, logDet, N, S1, S2, sums, scratch);
}
