// Element-wise vector primitives over f64 arrays for the standalone accumulate kernel, SIMD when
// compiled with --enable simd. Lane by lane they perform the same scalar operations (a separate mul
// then add, never fused), so the SIMD and scalar builds give the same bits.

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
