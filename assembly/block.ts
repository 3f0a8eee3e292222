// Blocks of rows. The fused kernels work on B = 8 rows at a time, transposed so that one f64x2 holds
// one feature of two rows ("rows in lanes"): every parameter element loaded (a mean, an entry of the
// precision factor) then serves 8 rows, and every statistics accumulator updated in memory takes 8
// rows' contributions at once. Lane l of a wide accumulator sums the rows of parity l; the two lanes
// are added once at the end of the pass.
//
// Scratch (one region, JS sizes it with scratchBytes, 16-byte aligned):
//   wide accumulators  NW k x v128 | S1W k*d x v128 | S2W k*P x v128 | SUMW 2 x v128
//                      (P = d(d+1)/2 packed upper rows for 'tri', d for 'diag')
//   block scratch      XT d x 8 | D k x d x 8 ('tri' only) | LP k x 8 | WB 8 | MX 8 | SQ 8   (f64)

export const B: i32 = 8;
/** Bytes of one transposed feature row of a block (8 f64). */
export const RB: usize = 64;

@inline export function packedSize(d: i32, tri: bool): usize {
  return tri ? (<usize>d * (d + 1)) >> 1 : <usize>d;
}

/** Start (in entries) of packed upper row a: sum_{r < a} (d - r). */
@inline export function packedRow(a: i32, d: i32): usize {
  return <usize>a * d - ((<usize>a * (a - 1)) >> 1);
}

/** Start (in entries) of packed lower row j: j(j+1)/2. */
@inline export function lowerRow(j: i32): usize {
  return (<usize>j * (j + 1)) >> 1;
}

@inline export function nwOff(): usize {
  return 0;
}
@inline export function s1wOff(k: i32): usize {
  return <usize>k << 4;
}
@inline export function s2wOff(d: i32, k: i32): usize {
  return s1wOff(k) + ((<usize>k * d) << 4);
}
@inline export function sumwOff(d: i32, k: i32, tri: bool): usize {
  return s2wOff(d, k) + ((<usize>k * packedSize(d, tri)) << 4);
}
@inline export function wideBytes(d: i32, k: i32, tri: bool): usize {
  return sumwOff(d, k, tri) + 32;
}
@inline export function xtOff(d: i32, k: i32, tri: bool): usize {
  return wideBytes(d, k, tri);
}
@inline export function dOff(d: i32, k: i32, tri: bool): usize {
  return xtOff(d, k, tri) + <usize>d * RB;
}
@inline export function lpOff(d: i32, k: i32, tri: bool): usize {
  return dOff(d, k, tri) + (tri ? <usize>k * d * RB : 0);
}
@inline export function wbOff(d: i32, k: i32, tri: bool): usize {
  return lpOff(d, k, tri) + <usize>k * RB;
}
@inline export function mxOff(d: i32, k: i32, tri: bool): usize {
  return wbOff(d, k, tri) + RB;
}
@inline export function sqOff(d: i32, k: i32, tri: bool): usize {
  return mxOff(d, k, tri) + RB;
}

/** Bytes of scratch the fused kernels need for d features and k components. */
export function fusedScratchBytes(d: i32, k: i32, tri: bool): usize {
  return sqOff(d, k, tri) + RB;
}

/**
 * XT[j][r] = X[i0 + r][j] for r < rows; the rows past the end repeat the last row (their weight is
 * 0, so they add exactly nothing). WB[r] = weight of row r (1 without weights, 0 for padding).
 * f32 data are widened here, 8 rows at a time: the matrix is never copied to f64.
 */
@inline export function loadBlock(f32: bool, X: usize, w: usize, i0: i32, rows: i32, d: i32, XT: usize, WB: usize): void {
  let done = false;
  if (ASC_FEATURE_SIMD) {
    if (rows == B) {
      if (f32) transposeSimdF32(X, i0, d, XT);
      else transposeSimd(X, i0, d, XT);
      done = true;
    }
  }
  if (!done) {
    for (let r = 0; r < B; r++) {
      const src = <usize>(i0 + (r < rows ? r : rows - 1)) * d;
      const out = XT + (<usize>r << 3);
      if (f32) {
        for (let j = 0; j < d; j++) store<f64>(out + <usize>j * RB, <f64>load<f32>(X + ((src + j) << 2)));
      } else {
        for (let j = 0; j < d; j++) store<f64>(out + <usize>j * RB, load<f64>(X + ((src + j) << 3)));
      }
    }
  }
  if (rows == B) {
    if (w) for (let r: usize = 0; r < 64; r += 8) store<f64>(WB + r, load<f64>(w + (<usize>i0 << 3) + r));
    else for (let r: usize = 0; r < 64; r += 8) store<f64>(WB + r, 1.0);
  } else {
    for (let r = 0; r < B; r++) {
      store<f64>(WB + (<usize>r << 3), r < rows ? (w ? load<f64>(w + (<usize>(i0 + r) << 3)) : 1.0) : 0.0);
    }
  }
}

@inline function transposeSimd(X: usize, i0: i32, d: i32, XT: usize): void {
  // Row by row: feature j of row r goes to XT[j][r]. Reads are contiguous; each write is 8 bytes.
  const src = X + ((<usize>i0 * d) << 3);
  for (let r = 0; r < B; r++) {
    const p = src + ((<usize>r * d) << 3);
    let out = XT + (<usize>r << 3);
    let j = 0;
    for (; j + 1 < d; j += 2) {
      const a = v128.load(p + (<usize>j << 3));
      v128.store64_lane(out, a, 0);
      v128.store64_lane(out + RB, a, 1);
      out += RB << 1;
    }
    if (j < d) store<f64>(out, load<f64>(p + (<usize>j << 3)));
  }
}

@inline function transposeSimdF32(X: usize, i0: i32, d: i32, XT: usize): void {
  // As transposeSimd, two float32 features at a time widened with f64x2.promote_low_f32x4.
  const src = X + ((<usize>i0 * d) << 2);
  for (let r = 0; r < B; r++) {
    const p = src + ((<usize>r * d) << 2);
    let out = XT + (<usize>r << 3);
    let j = 0;
    for (; j + 1 < d; j += 2) {
      const a = f64x2.promote_low_f32x4(v128.load64_zero(p + (<usize>j << 2)));
      v128.store64_lane(out, a, 0);
      v128.store64_lane(out + RB, a, 1);
      out += RB << 1;
    }
    if (j < d) store<f64>(out, <f64>load<f32>(p + (<usize>j << 2)));
  }
}
