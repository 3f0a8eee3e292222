// Centred weighted sufficient statistics from given responsibilities (initialisation from labels):
// N[c] += w r_c, S1[c] += w r_c diff_c, S2[c] += w r_c diff_c diff_c^T (upper triangle a <= b for
// 'tri', the diagonal for 'diag'), diff_c = x - shift_c. Row by row; not on the EM hot path.

import { at, get, set, weightAt, align16 } from './memory';
import { axpy, axpySquare, sub } from './vec';

/** Adds row weight wi times responsibilities r[0..k) to the statistics, using diff = x - c_k. */
@inline function accumulateRow(
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
  tri: bool, f32: bool, X: usize, w: usize, n: i32, d: i32, k: i32, resp: usize, shift: usize,
  N: usize, S1: usize, S2: usize, sums: usize, scratch: usize,
): void {
  const diff = scratch;
  const row = scratch + align16((<usize>k * d) << 3);
  let weightSum = get(sums, 1);
  for (let i = 0; i < n; i++) {
    const wi = weightAt(w, i);
    let x = at(X, <usize>i * d);
    if (f32) {
      const src = X + ((<usize>i * d) << 2);
      for (let j = 0; j < d; j++) set(row, j, <f64>load<f32>(src + (<usize>j << 2)));
      x = row;
    }
    for (let c = 0; c < k; c++) {
      const off = <usize>c * d;
      sub(x, at(shift, off), at(diff, off), d);
    }
    accumulateRow(tri, at(resp, <usize>i * k), wi, d, k, diff, N, S1, S2);
    weightSum += wi;
  }
  set(sums, 1, weightSum);
}

/**
 * Adds the statistics of n rows (f64, or f32 when f32 is true) with given responsibilities (n x k)
 * about `shift` (k x d) into N, S1, S2 (full d x d layout for 'tri') and sums[1] (weight sum). Adds
 * rather than overwrites so chunks chain exactly.
 */
export function accumulate(
  tri: bool, f32: bool, X: usize, w: usize, n: i32, d: i32, k: i32, resp: usize, shift: usize,
  N: usize, S1: usize, S2: usize, sums: usize, scratch: usize,
): void {
  if (tri) {
    if (f32) accumulateRows(true, true, X, w, n, d, k, resp, shift, N, S1, S2, sums, scratch);
    else accumulateRows(true, false, X, w, n, d, k, resp, shift, N, S1, S2, sums, scratch);
  } else {
    if (f32) accumulateRows(false, true, X, w, n, d, k, resp, shift, N, S1, S2, sums, scratch);
    else accumulateRows(false, false, X, w, n, d, k, resp, shift, N, S1, S2, sums, scratch);
  }
}
