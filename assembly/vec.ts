// Vector primitives over f64 arrays, SIMD when compiled with --enable simd. The element-wise ones
// perform, lane by lane, the very scalar operations js.ts performs (a separate mul then add, never
// fused), so both builds reproduce the JS baseline bit for bit; only the reductions reorder sums.

import { get, set } from './memory';

/** out[j] = a[j] - b[j] */
@inline export function sub(a: usize, b: usize, out: usize, len: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 1 < len; j += 2) {
      const o = <usize>j << 3;
      v128.store(out + o, f64x2.sub(v128.load(a + o), v128.load(b + o)));
    }
  }
  for (; j < len; j++) set(out, j, get(a, j) - get(b, j));
}

/** y[j] += s * x[j] */
@inline export function axpy(s: f64, x: usize, y: usize, len: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const sv = f64x2.splat(s);
    for (; j + 1 < len; j += 2) {
      const o = <usize>j << 3;
      v128.store(y + o, f64x2.add(v128.load(y + o), f64x2.mul(sv, v128.load(x + o))));
    }
  }
  for (; j < len; j++) set(y, j, get(y, j) + s * get(x, j));
}

/** y[j] += (s * x[j]) * x[j] */
@inline export function axpySquare(s: f64, x: usize, y: usize, len: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const sv = f64x2.splat(s);
    for (; j + 1 < len; j += 2) {
      const o = <usize>j << 3;
      const xv = v128.load(x + o);
      v128.store(y + o, f64x2.add(v128.load(y + o), f64x2.mul(f64x2.mul(sv, xv), xv)));
    }
  }
  for (; j < len; j++) {
    const xj = get(x, j);
    set(y, j, get(y, j) + s * xj * xj);
  }
}

/** sum_j (a[j] * b[j])^2 */
@inline export function sumSquaredProducts(a: usize, b: usize, len: i32): f64 {
  let j = 0;
  let s = 0.0;
  if (ASC_FEATURE_SIMD) {
    let acc = f64x2.splat(0);
    for (; j + 1 < len; j += 2) {
      const o = <usize>j << 3;
      const t = f64x2.mul(v128.load(a + o), v128.load(b + o));
      acc = f64x2.add(acc, f64x2.mul(t, t));
    }
    s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  }
  for (; j < len; j++) {
    const t = get(a, j) * get(b, j);
    s += t * t;
  }
  return s;
}

/** sum_j a[j]^2 */
@inline export function sumSquares(a: usize, len: i32): f64 {
  let j = 0;
  let s = 0.0;
  if (ASC_FEATURE_SIMD) {
    let acc = f64x2.splat(0);
    for (; j + 1 < len; j += 2) {
      const v = v128.load(a + (<usize>j << 3));
      acc = f64x2.add(acc, f64x2.mul(v, v));
    }
    s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  }
  for (; j < len; j++) {
    const v = get(a, j);
    s += v * v;
  }
  return s;
}
