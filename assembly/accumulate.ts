// Centred weighted sufficient statistics: N[c] += w r_c, S1[c] += w r_c diff_c,
// S2[c] += w r_c diff_c diff_c^T (upper triangle a <= b for 'tri', the diagonal for 'diag').

import { at, get, set, weightAt, scratchDiff } from './memory';
import { centre } from './estep';
import { axpy, axpySquare } from './vec';

/** Adds row weight wi times responsibilities r[0..k) to the statistics, using diff = x - c_k. */
@inline export function accumulateRow(
  tri: bool, r: usize, wi: f64, d: i32, k: i32, diff: usize, N: usize, S1: usize, S2: usize,
): void {
  for (let c = 0; c < k; c++) {
    const wr = wi * get(r, c);
    if (wr == 0) continue;
    const off = <usize>c * d;
    const dc = at(diff, off);
    set(N, c, get(N, c) + wr);
    axpy(wr, dc, at(S1, off), d);
    if (tri) {
      const S2c = at(S2, off * d);
      for (let a = 0; a < d; a++) {
        axpy(wr * get(dc, a), at(dc, a), at(S2c, <usize>a * d + a), d - a);
      }
    } else {
      axpySquare(wr, dc, at(S2, off), d);
    }
  }
}

@inline function accumulateRows(
  tri: bool, X: usize, w: usize, n: i32, d: i32, k: i32, resp: usize, shift: usize,
  N: usize, S1: usize, S2: usize, sums: usize, scratch: usize,
): void {
  const diff = scratchDiff(scratch, k);
  let weightSum = get(sums, 1);
  for (let i = 0; i < n; i++) {
    const wi = weightAt(w, i);
    centre(at(X, <usize>i * d), shift, d, k, diff);
    accumulateRow(tri, at(resp, <usize>i * k), wi, d, k, diff, N, S1, S2);
    weightSum += wi;
  }
  set(sums, 1, weightSum);
}

/**
 * Adds the statistics of n rows with given responsibilities (n x k) about `shift` (k x d) into
 * N, S1, S2 and sums[1] (weight sum). Adds rather than overwrites so chunks chain exactly.
 */
export function accumulate(
  tri: bool, X: usize, w: usize, n: i32, d: i32, k: i32, resp: usize, shift: usize,
  N: usize, S1: usize, S2: usize, sums: usize, scratch: usize,
): void {
  if (tri) accumulateRows(true, X, w, n, d, k, resp, shift, N, S1, S2, sums, scratch);
  else accumulateRows(false, X, w, n, d, k, resp, shift, N, S1, S2, sums, scratch);
}
