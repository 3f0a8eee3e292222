// exp and log for the E-step, vectorised (f64x2, four vectors interleaved by hand so V8, which
// does not schedule across long dependency chains, still overlaps them) with a scalar twin for the
// build without SIMD. Branch-free, no tables.
//
// exp(x): n = round(x / ln 2), r = x - n ln 2 (Cody-Waite, ln 2 split in a 32-bit head and a tail,
// so n * LN2_HI is exact), exp(r) by the degree-12 Taylor polynomial in Horner form (|r| <= 0.3466,
// truncation < 1.7e-16), times 2^n built in the exponent bits. Measured max relative error against
// Math.exp (2^20 random points per range, both builds): 3.2e-16 on [-708.39, 0], [-40, 40] and
// [0, 709.43]; test/wasm-backend.test.ts asserts <= 1e-15. Below -708.39 the result is flushed to +0
// (Math.exp gives a subnormal < 2.3e-308 there); above 709.43 it is +Infinity (Math.exp overflows
// at 709.78); NaN gives NaN.
//
// log(x) for finite x > 0 (normal numbers): x = 2^e m with m in [sqrt(1/2), sqrt(2)),
// log m = 2 atanh(f), f = (m - 1) / (m + 1), |f| <= 0.1716, by the odd series to f^23;
// log x = e ln 2 + log m with ln 2 split as above. Measured max relative error 3.8e-16 on [1, 64]
// and over the normal range (asserted <= 1e-15).
// The kernels only take the log of a log-sum-exp sum s in [1, k].

const LN2_HI: f64 = 6.93147180369123816490e-1; // 0x3fe62e42fee00000
const LN2_LO: f64 = 1.90821492927058770002e-10; // 0x3dea39ef35793c76
const LOG2E: f64 = 1.44269504088896338700;
const ROUND_MAGIC: f64 = 6755399441055744.0; // 1.5 * 2^52
const EXP_LO: f64 = -708.3964185322641; // ln(2^-1022)
const EXP_CLAMP_LO: f64 = -710.0;
const EXP_CLAMP_HI: f64 = 710.0;

// 1/j!, j = 0..12
const E0: f64 = 1.0;
const E1: f64 = 1.0;
const E2: f64 = 0.5;
const E3: f64 = 0.16666666666666666;
const E4: f64 = 0.041666666666666664;
const E5: f64 = 0.008333333333333333;
const E6: f64 = 0.001388888888888889;
const E7: f64 = 0.0001984126984126984;
const E8: f64 = 0.0000248015873015873;
const E9: f64 = 0.0000027557319223985893;
const E10: f64 = 2.755731922398589e-7;
const E11: f64 = 2.505210838544172e-8;
const E12: f64 = 2.08767569878681e-9;

// 2 / (2j + 1), j = 0..11: log m = f * sum_j L_j f^(2j)
const L0: f64 = 2.0;
const L1: f64 = 0.6666666666666666;
const L2: f64 = 0.4;
const L3: f64 = 0.2857142857142857;
const L4: f64 = 0.2222222222222222;
const L5: f64 = 0.18181818181818182;
const L6: f64 = 0.15384615384615385;
const L7: f64 = 0.13333333333333333;
const L8: f64 = 0.11764705882352941;
const L9: f64 = 0.10526315789473684;
const L10: f64 = 0.09523809523809523;
const L11: f64 = 0.08695652173913043;

const SQRT_HALF_BITS: i64 = 0x3fe6a09e667f3bcd;
const MANT_MASK: i64 = 0x000fffffffffffff;
const ONE_BITS: i64 = 0x3ff0000000000000;
/** Bits of 2^52 + 1023: (biased exponent | these bits) as f64 minus this as f64 = unbiased exponent. */
const EXP_TO_F64_BITS: i64 = 0x4330000000000000;
const TWO52_PLUS_BIAS: f64 = 4503599627371519.0; // 2^52 + 1023

// ------------------------------------------------------------------ scalar

@inline export function expScalar(x: f64): f64 {
  // Selects, not min/max (which V8 lowers to NaN-propagating sequences); NaN passes through.
  let xc = x < EXP_CLAMP_LO ? EXP_CLAMP_LO : x;
  xc = xc > EXP_CLAMP_HI ? EXP_CLAMP_HI : xc;
  const t = xc * LOG2E + ROUND_MAGIC;
  const n = t - ROUND_MAGIC;
  const r = (xc - n * LN2_HI) - n * LN2_LO;
  // Horner, in exactly the vector version's order (both builds give the same bits).
  let p = E12 * r + E11;
  p = p * r + E10;
  p = p * r + E9;
  p = p * r + E8;
  p = p * r + E7;
  p = p * r + E6;
  p = p * r + E5;
  p = p * r + E4;
  p = p * r + E3;
  p = p * r + E2;
  p = p * r + E1;
  p = p * r + E0;
  const scale = reinterpret<f64>((reinterpret<i64>(t) << 52) + ONE_BITS);
  const e = p * scale;
  return x < EXP_LO ? 0.0 : e;
}

@inline export function logScalar(x: f64): f64 {
  const u = reinterpret<i64>(x) + (ONE_BITS - SQRT_HALF_BITS);
  const e = reinterpret<f64>((u >>> 52) | EXP_TO_F64_BITS) - TWO52_PLUS_BIAS;
  const m = reinterpret<f64>((u & MANT_MASK) + SQRT_HALF_BITS);
  const f = (m - 1.0) / (m + 1.0);
  const f2 = f * f;
  let p = L11;
  p = p * f2 + L10;
  p = p * f2 + L9;
  p = p * f2 + L8;
  p = p * f2 + L7;
  p = p * f2 + L6;
  p = p * f2 + L5;
  p = p * f2 + L4;
  p = p * f2 + L3;
  p = p * f2 + L2;
  p = p * f2 + L1;
  p = p * f2 + L0;
  return (e * LN2_HI + f * p) + e * LN2_LO;
}

// ------------------------------------------------------------------ f64x2, 4 vectors interleaved
/**
 * In place: the 8 doubles at ptr (4 v128) become their exp. Register budget (V8 spills above ~12
 * live v128): per vector only r, the Horner partial p and the scale 2^n (x and the underflow mask are
 * folded into the scale first), so 12 live plus one constant; constants are v128.const, which V8
 * re-materialises at each use (cheap integer-side work) instead of holding 15 of them in registers.
 * pmin/pmax (one instruction each) instead of min/max (a NaN-propagating 5-instruction sequence);
 * the operand order keeps NaN inputs NaN.
 */
@inline export function exp4(ptr: usize): void {
  const x0 = v128.load(ptr, 0);
  const x1 = v128.load(ptr, 16);
  const x2 = v128.load(ptr, 32);
  const x3 = v128.load(ptr, 48);
  let c = f64x2.splat(EXP_CLAMP_LO);
  let a0 = f64x2.pmax(x0, c), a1 = f64x2.pmax(x1, c), a2 = f64x2.pmax(x2, c), a3 = f64x2.pmax(x3, c);
  c = f64x2.splat(EXP_CLAMP_HI);
  a0 = f64x2.pmin(a0, c); a1 = f64x2.pmin(a1, c); a2 = f64x2.pmin(a2, c); a3 = f64x2.pmin(a3, c);
  c = f64x2.splat(EXP_LO);
  const z0 = f64x2.lt(x0, c), z1 = f64x2.lt(x1, c), z2 = f64x2.lt(x2, c), z3 = f64x2.lt(x3, c);
  c = f64x2.splat(LOG2E);
  let k = f64x2.splat(ROUND_MAGIC);
  const t0 = f64x2.add(f64x2.mul(a0, c), k);
  const t1 = f64x2.add(f64x2.mul(a1, c), k);
  const t2 = f64x2.add(f64x2.mul(a2, c), k);
  const t3 = f64x2.add(f64x2.mul(a3, c), k);
  const n0 = f64x2.sub(t0, k), n1 = f64x2.sub(t1, k), n2 = f64x2.sub(t2, k), n3 = f64x2.sub(t3, k);
  // 2^n: the low bits of t hold n; shifted into the exponent field and biased (+ bits of 1.0);
  // zero where x is below the range, so the product flushes to +0.
  k = i64x2.splat(ONE_BITS);
  const s0 = v128.andnot(i64x2.add(i64x2.shl(t0, 52), k), z0);
  const s1 = v128.andnot(i64x2.add(i64x2.shl(t1, 52), k), z1);
  const s2 = v128.andnot(i64x2.add(i64x2.shl(t2, 52), k), z2);
  const s3 = v128.andnot(i64x2.add(i64x2.shl(t3, 52), k), z3);
  c = f64x2.splat(LN2_HI);
  k = f64x2.splat(LN2_LO);
  const r0 = f64x2.sub(f64x2.sub(a0, f64x2.mul(n0, c)), f64x2.mul(n0, k));
  const r1 = f64x2.sub(f64x2.sub(a1, f64x2.mul(n1, c)), f64x2.mul(n1, k));
  const r2 = f64x2.sub(f64x2.sub(a2, f64x2.mul(n2, c)), f64x2.mul(n2, k));
  const r3 = f64x2.sub(f64x2.sub(a3, f64x2.mul(n3, c)), f64x2.mul(n3, k));
  c = f64x2.splat(E12);
  k = f64x2.splat(E11);
  let p0 = f64x2.add(f64x2.mul(c, r0), k);
  let p1 = f64x2.add(f64x2.mul(c, r1), k);
  let p2 = f64x2.add(f64x2.mul(c, r2), k);
  let p3 = f64x2.add(f64x2.mul(c, r3), k);
  c = f64x2.splat(E10);
  p0 = f64x2.add(f64x2.mul(p0, r0), c); p1 = f64x2.add(f64x2.mul(p1, r1), c); p2 = f64x2.add(f64x2.mul(p2, r2), c); p3 = f64x2.add(f64x2.mul(p3, r3), c);
  c = f64x2.splat(E9);
  p0 = f64x2.add(f64x2.mul(p0, r0), c); p1 = f64x2.add(f64x2.mul(p1, r1), c); p2 = f64x2.add(f64x2.mul(p2, r2), c); p3 = f64x2.add(f64x2.mul(p3, r3), c);
  c = f64x2.splat(E8);
  p0 = f64x2.add(f64x2.mul(p0, r0), c); p1 = f64x2.add(f64x2.mul(p1, r1), c); p2 = f64x2.add(f64x2.mul(p2, r2), c); p3 = f64x2.add(f64x2.mul(p3, r3), c);
  c = f64x2.splat(E7);
  p0 = f64x2.add(f64x2.mul(p0, r0), c); p1 = f64x2.add(f64x2.mul(p1, r1), c); p2 = f64x2.add(f64x2.mul(p2, r2), c); p3 = f64x2.add(f64x2.mul(p3, r3), c);
  c = f64x2.splat(E6);
  p0 = f64x2.add(f64x2.mul(p0, r0), c); p1 = f64x2.add(f64x2.mul(p1, r1), c); p2 = f64x2.add(f64x2.mul(p2, r2), c); p3 = f64x2.add(f64x2.mul(p3, r3), c);
  c = f64x2.splat(E5);
  p0 = f64x2.add(f64x2.mul(p0, r0), c); p1 = f64x2.add(f64x2.mul(p1, r1), c); p2 = f64x2.add(f64x2.mul(p2, r2), c); p3 = f64x2.add(f64x2.mul(p3, r3), c);
  c = f64x2.splat(E4);
  p0 = f64x2.add(f64x2.mul(p0, r0), c); p1 = f64x2.add(f64x2.mul(p1, r1), c); p2 = f64x2.add(f64x2.mul(p2, r2), c); p3 = f64x2.add(f64x2.mul(p3, r3), c);
  c = f64x2.splat(E3);
  p0 = f64x2.add(f64x2.mul(p0, r0), c); p1 = f64x2.add(f64x2.mul(p1, r1), c); p2 = f64x2.add(f64x2.mul(p2, r2), c); p3 = f64x2.add(f64x2.mul(p3, r3), c);
  c = f64x2.splat(E2);
  p0 = f64x2.add(f64x2.mul(p0, r0), c); p1 = f64x2.add(f64x2.mul(p1, r1), c); p2 = f64x2.add(f64x2.mul(p2, r2), c); p3 = f64x2.add(f64x2.mul(p3, r3), c);
  c = f64x2.splat(E1);
  p0 = f64x2.add(f64x2.mul(p0, r0), c); p1 = f64x2.add(f64x2.mul(p1, r1), c); p2 = f64x2.add(f64x2.mul(p2, r2), c); p3 = f64x2.add(f64x2.mul(p3, r3), c);
  c = f64x2.splat(E0);
  p0 = f64x2.add(f64x2.mul(p0, r0), c); p1 = f64x2.add(f64x2.mul(p1, r1), c); p2 = f64x2.add(f64x2.mul(p2, r2), c); p3 = f64x2.add(f64x2.mul(p3, r3), c);
  v128.store(ptr, f64x2.mul(p0, s0), 0);
  v128.store(ptr, f64x2.mul(p1, s1), 16);
  v128.store(ptr, f64x2.mul(p2, s2), 32);
  v128.store(ptr, f64x2.mul(p3, s3), 48);
}

/** In place: the 8 doubles at ptr (4 v128, all > 0 and normal) become their natural log. */
@inline export function log4(ptr: usize): void {
  const u0 = i64x2.add(v128.load(ptr, 0), i64x2.splat(ONE_BITS - SQRT_HALF_BITS));
  const u1 = i64x2.add(v128.load(ptr, 16), i64x2.splat(ONE_BITS - SQRT_HALF_BITS));
  const u2 = i64x2.add(v128.load(ptr, 32), i64x2.splat(ONE_BITS - SQRT_HALF_BITS));
  const u3 = i64x2.add(v128.load(ptr, 48), i64x2.splat(ONE_BITS - SQRT_HALF_BITS));
  const e0 = f64x2.sub(v128.or(i64x2.shr_u(u0, 52), i64x2.splat(EXP_TO_F64_BITS)), f64x2.splat(TWO52_PLUS_BIAS));
  const e1 = f64x2.sub(v128.or(i64x2.shr_u(u1, 52), i64x2.splat(EXP_TO_F64_BITS)), f64x2.splat(TWO52_PLUS_BIAS));
  const e2 = f64x2.sub(v128.or(i64x2.shr_u(u2, 52), i64x2.splat(EXP_TO_F64_BITS)), f64x2.splat(TWO52_PLUS_BIAS));
  const e3 = f64x2.sub(v128.or(i64x2.shr_u(u3, 52), i64x2.splat(EXP_TO_F64_BITS)), f64x2.splat(TWO52_PLUS_BIAS));
  const m0 = i64x2.add(v128.and(u0, i64x2.splat(MANT_MASK)), i64x2.splat(SQRT_HALF_BITS));
  const m1 = i64x2.add(v128.and(u1, i64x2.splat(MANT_MASK)), i64x2.splat(SQRT_HALF_BITS));
  const m2 = i64x2.add(v128.and(u2, i64x2.splat(MANT_MASK)), i64x2.splat(SQRT_HALF_BITS));
  const m3 = i64x2.add(v128.and(u3, i64x2.splat(MANT_MASK)), i64x2.splat(SQRT_HALF_BITS));
  const f0 = f64x2.div(f64x2.sub(m0, f64x2.splat(1.0)), f64x2.add(m0, f64x2.splat(1.0)));
  const f1 = f64x2.div(f64x2.sub(m1, f64x2.splat(1.0)), f64x2.add(m1, f64x2.splat(1.0)));
  const f2 = f64x2.div(f64x2.sub(m2, f64x2.splat(1.0)), f64x2.add(m2, f64x2.splat(1.0)));
  const f3 = f64x2.div(f64x2.sub(m3, f64x2.splat(1.0)), f64x2.add(m3, f64x2.splat(1.0)));
  const s0 = f64x2.mul(f0, f0);
  const s1 = f64x2.mul(f1, f1);
  const s2 = f64x2.mul(f2, f2);
  const s3 = f64x2.mul(f3, f3);
  let p0 = f64x2.add(f64x2.mul(f64x2.splat(L11), s0), f64x2.splat(L10));
  let p1 = f64x2.add(f64x2.mul(f64x2.splat(L11), s1), f64x2.splat(L10));
  let p2 = f64x2.add(f64x2.mul(f64x2.splat(L11), s2), f64x2.splat(L10));
  let p3 = f64x2.add(f64x2.mul(f64x2.splat(L11), s3), f64x2.splat(L10));
  // L9 .. L0 at 4 .. 13
  p0 = f64x2.add(f64x2.mul(p0, s0), f64x2.splat(L9)); p1 = f64x2.add(f64x2.mul(p1, s1), f64x2.splat(L9)); p2 = f64x2.add(f64x2.mul(p2, s2), f64x2.splat(L9)); p3 = f64x2.add(f64x2.mul(p3, s3), f64x2.splat(L9));
  p0 = f64x2.add(f64x2.mul(p0, s0), f64x2.splat(L8)); p1 = f64x2.add(f64x2.mul(p1, s1), f64x2.splat(L8)); p2 = f64x2.add(f64x2.mul(p2, s2), f64x2.splat(L8)); p3 = f64x2.add(f64x2.mul(p3, s3), f64x2.splat(L8));
  p0 = f64x2.add(f64x2.mul(p0, s0), f64x2.splat(L7)); p1 = f64x2.add(f64x2.mul(p1, s1), f64x2.splat(L7)); p2 = f64x2.add(f64x2.mul(p2, s2), f64x2.splat(L7)); p3 = f64x2.add(f64x2.mul(p3, s3), f64x2.splat(L7));
  p0 = f64x2.add(f64x2.mul(p0, s0), f64x2.splat(L6)); p1 = f64x2.add(f64x2.mul(p1, s1), f64x2.splat(L6)); p2 = f64x2.add(f64x2.mul(p2, s2), f64x2.splat(L6)); p3 = f64x2.add(f64x2.mul(p3, s3), f64x2.splat(L6));
  p0 = f64x2.add(f64x2.mul(p0, s0), f64x2.splat(L5)); p1 = f64x2.add(f64x2.mul(p1, s1), f64x2.splat(L5)); p2 = f64x2.add(f64x2.mul(p2, s2), f64x2.splat(L5)); p3 = f64x2.add(f64x2.mul(p3, s3), f64x2.splat(L5));
  p0 = f64x2.add(f64x2.mul(p0, s0), f64x2.splat(L4)); p1 = f64x2.add(f64x2.mul(p1, s1), f64x2.splat(L4)); p2 = f64x2.add(f64x2.mul(p2, s2), f64x2.splat(L4)); p3 = f64x2.add(f64x2.mul(p3, s3), f64x2.splat(L4));
  p0 = f64x2.add(f64x2.mul(p0, s0), f64x2.splat(L3)); p1 = f64x2.add(f64x2.mul(p1, s1), f64x2.splat(L3)); p2 = f64x2.add(f64x2.mul(p2, s2), f64x2.splat(L3)); p3 = f64x2.add(f64x2.mul(p3, s3), f64x2.splat(L3));
  p0 = f64x2.add(f64x2.mul(p0, s0), f64x2.splat(L2)); p1 = f64x2.add(f64x2.mul(p1, s1), f64x2.splat(L2)); p2 = f64x2.add(f64x2.mul(p2, s2), f64x2.splat(L2)); p3 = f64x2.add(f64x2.mul(p3, s3), f64x2.splat(L2));
  p0 = f64x2.add(f64x2.mul(p0, s0), f64x2.splat(L1)); p1 = f64x2.add(f64x2.mul(p1, s1), f64x2.splat(L1)); p2 = f64x2.add(f64x2.mul(p2, s2), f64x2.splat(L1)); p3 = f64x2.add(f64x2.mul(p3, s3), f64x2.splat(L1));
  p0 = f64x2.add(f64x2.mul(p0, s0), f64x2.splat(L0)); p1 = f64x2.add(f64x2.mul(p1, s1), f64x2.splat(L0)); p2 = f64x2.add(f64x2.mul(p2, s2), f64x2.splat(L0)); p3 = f64x2.add(f64x2.mul(p3, s3), f64x2.splat(L0));
  v128.store(ptr, f64x2.add(f64x2.add(f64x2.mul(e0, f64x2.splat(LN2_HI)), f64x2.mul(f0, p0)), f64x2.mul(e0, f64x2.splat(LN2_LO))), 0);
  v128.store(ptr, f64x2.add(f64x2.add(f64x2.mul(e1, f64x2.splat(LN2_HI)), f64x2.mul(f1, p1)), f64x2.mul(e1, f64x2.splat(LN2_LO))), 16);
  v128.store(ptr, f64x2.add(f64x2.add(f64x2.mul(e2, f64x2.splat(LN2_HI)), f64x2.mul(f2, p2)), f64x2.mul(e2, f64x2.splat(LN2_LO))), 32);
  v128.store(ptr, f64x2.add(f64x2.add(f64x2.mul(e3, f64x2.splat(LN2_HI)), f64x2.mul(f3, p3)), f64x2.mul(e3, f64x2.splat(LN2_LO))), 48);
}

/** dst[i] = exp(src[i]) through the kernels' exp (vector in the SIMD build); for tests. */
export function expArray(src: usize, dst: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 8 <= n; i += 8) {
      memory.copy(dst + (<usize>i << 3), src + (<usize>i << 3), 64);
      exp4(dst + (<usize>i << 3));
    }
  }
  for (; i < n; i++) store<f64>(dst + (<usize>i << 3), expScalar(load<f64>(src + (<usize>i << 3))));
}

/** dst[i] = log(src[i]) through the kernels' log; for tests. */
export function logArray(src: usize, dst: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 8 <= n; i += 8) {
      memory.copy(dst + (<usize>i << 3), src + (<usize>i << 3), 64);
      log4(dst + (<usize>i << 3));
    }
  }
  for (; i < n; i++) store<f64>(dst + (<usize>i << 3), logScalar(load<f64>(src + (<usize>i << 3))));
}
