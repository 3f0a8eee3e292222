import { fusedScratchBytes } from './block';

// Arena conventions shared by every kernel. JS owns the layout; the kernels only ever read and
// write where they are pointed, so nothing here allocates.

/** First free byte after static data: JS starts its arena here (rounded up to 16). */
export function heapBase(): usize {
  return __heap_base;
}

// 16-byte alignment keeps every f64 array on a v128 boundary.
@inline export function align16(bytes: usize): usize {
  return (bytes + 15) & ~(<usize>15);
}

@inline export function at(p: usize, i: usize): usize {
  return p + (i << 3);
}

@inline export function get(p: usize, i: usize): f64 {
  return load<f64>(p + (i << 3));
}

@inline export function set(p: usize, i: usize, v: f64): void {
  store<f64>(p + (i << 3), v);
}

/** Row weight, or 1 when the caller passed no weights (pointer 0, below any arena). */
@inline export function weightAt(w: usize, i: usize): f64 {
  return w ? get(w, i) : 1.0;
}

/**
 * Scratch bytes for d features and k components: the fused kernels' wide accumulators and block
 * buffers (block.ts), or accumulate's per-row differences (k x d) and widened row (d), whichever is larger.
 */
export function scratchBytes(d: i32, k: i32, tri: bool): usize {
  const acc = align16((<usize>k * d) << 3) + align16(<usize>d << 3);
  const fused = fusedScratchBytes(d, k, tri);
  return fused > acc ? fused : acc;
}
