// The fused EM pass and scoring, over blocks of B = 8 rows (see block.ts): per block, the
// log-densities of all components (rows in lanes, each loaded parameter serving 8 rows), the
// log-sum-exp and responsibilities (vectorised exp/log from math.ts), then immediately the centred
// statistics about the current means. No n x k matrix is kept. Two implementations of each step,
// selected at compile time: f64x2 (--enable simd) and scalar; both keep the same memory layout.
//
// Operation order inside one row is the JS baseline's (src/backend/js.ts): y_j = sum_{i<=j} diff_i U_ij
// in increasing i, ||y||^2 in increasing j, the same log-density expression, r = e * (1 / s), so the
// log-densities agree bit for bit; only exp/log (<= 1 ulp or so) and the order of the sums over
// rows differ.

import {
  B, RB, packedRow, lowerRow, packedSize, nwOff, s1wOff, s2wOff, sumwOff, wideBytes,
  xtOff, dOff, lpOff, wbOff, mxOff, sqOff, loadBlock,
} from './block';
import { exp4, log4, expScalar, logScalar } from './math';

// ln(2 pi) as the double js.ts computes with Math.log(2 * Math.PI).
const LOG_2PI: f64 = 1.8378770664093453;

@inline function ld(p: usize): f64 {
  return load<f64>(p);
}
@inline function st(p: usize, v: f64): void {
  store<f64>(p, v);
}

// ================================================================== E-step, one component

/** LPc[r] = log w_c + log N(x_r | mu_c, U_c) for the block's 8 rows; 'tri' (UT packed lower = U^T). */
@inline function eTri(d: i32, mu: usize, UT: usize, XT: usize, D: usize, SQ: usize, logDet: f64, logW: f64, LPc: usize): void {
  if (ASC_FEATURE_SIMD) {
    for (let i = 0; i < d; i++) {
      const m = v128.load64_splat(mu + (<usize>i << 3));
      const s = XT + <usize>i * RB;
      const o = D + <usize>i * RB;
      v128.store(o, f64x2.sub(v128.load(s, 0), m), 0);
      v128.store(o, f64x2.sub(v128.load(s, 16), m), 16);
      v128.store(o, f64x2.sub(v128.load(s, 32), m), 32);
      v128.store(o, f64x2.sub(v128.load(s, 48), m), 48);
    }
    const z = f64x2.splat(0);
    v128.store(SQ, z, 0);
    v128.store(SQ, z, 16);
    v128.store(SQ, z, 32);
    v128.store(SQ, z, 48);
    let j = 0;
    for (; j + 1 < d; j += 2) {
      const row0 = UT + (lowerRow(j) << 3);
      const row1 = row0 + (<usize>(j + 1) << 3);
      let a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z;
      let Di = D;
      for (let i = 0; i <= j; i++) {
        const u0 = v128.load64_splat(row0 + (<usize>i << 3));
        const u1 = v128.load64_splat(row1 + (<usize>i << 3));
        const d0 = v128.load(Di, 0);
        const d1 = v128.load(Di, 16);
        const d2 = v128.load(Di, 32);
        const d3 = v128.load(Di, 48);
        a0 = f64x2.add(a0, f64x2.mul(d0, u0));
        b0 = f64x2.add(b0, f64x2.mul(d0, u1));
        a1 = f64x2.add(a1, f64x2.mul(d1, u0));
        b1 = f64x2.add(b1, f64x2.mul(d1, u1));
        a2 = f64x2.add(a2, f64x2.mul(d2, u0));
        b2 = f64x2.add(b2, f64x2.mul(d2, u1));
        a3 = f64x2.add(a3, f64x2.mul(d3, u0));
        b3 = f64x2.add(b3, f64x2.mul(d3, u1));
        Di += RB;
      }
      const u1 = v128.load64_splat(row1 + (<usize>(j + 1) << 3));
      b0 = f64x2.add(b0, f64x2.mul(v128.load(Di, 0), u1));
      b1 = f64x2.add(b1, f64x2.mul(v128.load(Di, 16), u1));
      b2 = f64x2.add(b2, f64x2.mul(v128.load(Di, 32), u1));
      b3 = f64x2.add(b3, f64x2.mul(v128.load(Di, 48), u1));
      v128.store(SQ, f64x2.add(f64x2.add(v128.load(SQ, 0), f64x2.mul(a0, a0)), f64x2.mul(b0, b0)), 0);
      v128.store(SQ, f64x2.add(f64x2.add(v128.load(SQ, 16), f64x2.mul(a1, a1)), f64x2.mul(b1, b1)), 16);
      v128.store(SQ, f64x2.add(f64x2.add(v128.load(SQ, 32), f64x2.mul(a2, a2)), f64x2.mul(b2, b2)), 32);
      v128.store(SQ, f64x2.add(f64x2.add(v128.load(SQ, 48), f64x2.mul(a3, a3)), f64x2.mul(b3, b3)), 48);
    }
    if (j < d) {
      const row0 = UT + (lowerRow(j) << 3);
      let a0 = z, a1 = z, a2 = z, a3 = z;
      let Di = D;
      for (let i = 0; i <= j; i++) {
        const u0 = v128.load64_splat(row0 + (<usize>i << 3));
        a0 = f64x2.add(a0, f64x2.mul(v128.load(Di, 0), u0));
        a1 = f64x2.add(a1, f64x2.mul(v128.load(Di, 16), u0));
        a2 = f64x2.add(a2, f64x2.mul(v128.load(Di, 32), u0));
        a3 = f64x2.add(a3, f64x2.mul(v128.load(Di, 48), u0));
        Di += RB;
      }
      v128.store(SQ, f64x2.add(v128.load(SQ, 0), f64x2.mul(a0, a0)), 0);
      v128.store(SQ, f64x2.add(v128.load(SQ, 16), f64x2.mul(a1, a1)), 16);
      v128.store(SQ, f64x2.add(v128.load(SQ, 32), f64x2.mul(a2, a2)), 32);
      v128.store(SQ, f64x2.add(v128.load(SQ, 48), f64x2.mul(a3, a3)), 48);
    }
    finishLogDensity(d, SQ, logDet, logW, LPc);
  } else {
    for (let i = 0; i < d; i++) {
      const m = ld(mu + (<usize>i << 3));
      const s = XT + <usize>i * RB;
      const o = D + <usize>i * RB;
      for (let r: usize = 0; r < 64; r += 8) st(o + r, ld(s + r) - m);
    }
    memory.fill(SQ, 0, 64);
    for (let j = 0; j < d; j++) {
      const row = UT + (lowerRow(j) << 3);
      for (let h: usize = 0; h < 64; h += 32) {
        let y0 = 0.0, y1 = 0.0, y2 = 0.0, y3 = 0.0;
        let Di = D + h;
        for (let i = 0; i <= j; i++) {
          const u = ld(row + (<usize>i << 3));
          y0 += ld(Di) * u;
          y1 += ld(Di + 8) * u;
          y2 += ld(Di + 16) * u;
          y3 += ld(Di + 24) * u;
          Di += RB;
        }
        const q = SQ + h;
        st(q, ld(q) + y0 * y0);
        st(q + 8, ld(q + 8) + y1 * y1);
        st(q + 16, ld(q + 16) + y2 * y2);
        st(q + 24, ld(q + 24) + y3 * y3);
      }
    }
    finishLogDensity(d, SQ, logDet, logW, LPc);
  }
}

/** 'diag': precision factors p (k x d) element-wise. */
@inline function eDiag(d: i32, mu: usize, P: usize, XT: usize, SQ: usize, logDet: f64, logW: f64, LPc: usize): void {
  if (ASC_FEATURE_SIMD) {
    const z = f64x2.splat(0);
    let s0 = z, s1 = z, s2 = z, s3 = z;
    let x = XT;
    for (let j = 0; j < d; j++) {
      const m = v128.load64_splat(mu + (<usize>j << 3));
      const p = v128.load64_splat(P + (<usize>j << 3));
      const t0 = f64x2.mul(f64x2.sub(v128.load(x, 0), m), p);
      const t1 = f64x2.mul(f64x2.sub(v128.load(x, 16), m), p);
      const t2 = f64x2.mul(f64x2.sub(v128.load(x, 32), m), p);
      const t3 = f64x2.mul(f64x2.sub(v128.load(x, 48), m), p);
      s0 = f64x2.add(s0, f64x2.mul(t0, t0));
      s1 = f64x2.add(s1, f64x2.mul(t1, t1));
      s2 = f64x2.add(s2, f64x2.mul(t2, t2));
      s3 = f64x2.add(s3, f64x2.mul(t3, t3));
      x += RB;
    }
    v128.store(SQ, s0, 0);
    v128.store(SQ, s1, 16);
    v128.store(SQ, s2, 32);
    v128.store(SQ, s3, 48);
  } else {
    for (let h: usize = 0; h < 64; h += 32) {
      let s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
      let x = XT + h;
      for (let j = 0; j < d; j++) {
        const m = ld(mu + (<usize>j << 3));
        const p = ld(P + (<usize>j << 3));
        const t0 = (ld(x) - m) * p;
        const t1 = (ld(x + 8) - m) * p;
        const t2 = (ld(x + 16) - m) * p;
        const t3 = (ld(x + 24) - m) * p;
        s0 += t0 * t0;
        s1 += t1 * t1;
        s2 += t2 * t2;
        s3 += t3 * t3;
        x += RB;
      }
      st(SQ + h, s0);
      st(SQ + h + 8, s1);
      st(SQ + h + 16, s2);
      st(SQ + h + 24, s3);
    }
  }
  finishLogDensity(d, SQ, logDet, logW, LPc);
}

/** LPc[r] = -0.5 (d ln 2pi + SQ[r]) + logDet + logW, the expression of js.ts. */
@inline function finishLogDensity(d: i32, SQ: usize, logDet: f64, logW: f64, LPc: usize): void {
  const dl = <f64>d * LOG_2PI;
  if (ASC_FEATURE_SIMD) {
    const h = f64x2.splat(-0.5);
    const c = f64x2.splat(dl);
    const l = f64x2.splat(logDet);
    const w = f64x2.splat(logW);
    v128.store(LPc, f64x2.add(f64x2.add(f64x2.mul(h, f64x2.add(c, v128.load(SQ, 0))), l), w), 0);
    v128.store(LPc, f64x2.add(f64x2.add(f64x2.mul(h, f64x2.add(c, v128.load(SQ, 16))), l), w), 16);
    v128.store(LPc, f64x2.add(f64x2.add(f64x2.mul(h, f64x2.add(c, v128.load(SQ, 32))), l), w), 32);
    v128.store(LPc, f64x2.add(f64x2.add(f64x2.mul(h, f64x2.add(c, v128.load(SQ, 48))), l), w), 48);
  } else {
    for (let r: usize = 0; r < 64; r += 8) st(LPc + r, -0.5 * (dl + ld(SQ + r)) + logDet + logW);
  }
}

// ================================================================== log-sum-exp

/**
 * LP (k x 8) log-densities -> responsibilities e_c * (1 / s) with e_c = exp(lp_c - max), s = sum_c e_c;
 * MX[r] = log p(x_r) = max + log s.
 */
@inline function logSumExp(k: i32, LP: usize, MX: usize, SQ: usize): void {
  if (ASC_FEATURE_SIMD) {
    let m0 = v128.load(LP, 0), m1 = v128.load(LP, 16), m2 = v128.load(LP, 32), m3 = v128.load(LP, 48);
    for (let c = 1; c < k; c++) {
      const p = LP + <usize>c * RB;
      m0 = f64x2.pmax(m0, v128.load(p, 0));
      m1 = f64x2.pmax(m1, v128.load(p, 16));
      m2 = f64x2.pmax(m2, v128.load(p, 32));
      m3 = f64x2.pmax(m3, v128.load(p, 48));
    }
    v128.store(MX, m0, 0);
    v128.store(MX, m1, 16);
    v128.store(MX, m2, 32);
    v128.store(MX, m3, 48);
    for (let c = 0; c < k; c++) {
      const p = LP + <usize>c * RB;
      v128.store(p, f64x2.sub(v128.load(p, 0), m0), 0);
      v128.store(p, f64x2.sub(v128.load(p, 16), m1), 16);
      v128.store(p, f64x2.sub(v128.load(p, 32), m2), 32);
      v128.store(p, f64x2.sub(v128.load(p, 48), m3), 48);
      exp4(p);
    }
    const z = f64x2.splat(0);
    let s0 = z, s1 = z, s2 = z, s3 = z;
    for (let c = 0; c < k; c++) {
      const p = LP + <usize>c * RB;
      s0 = f64x2.add(s0, v128.load(p, 0));
      s1 = f64x2.add(s1, v128.load(p, 16));
      s2 = f64x2.add(s2, v128.load(p, 32));
      s3 = f64x2.add(s3, v128.load(p, 48));
    }
    const one = f64x2.splat(1.0);
    const i0 = f64x2.div(one, s0), i1 = f64x2.div(one, s1), i2 = f64x2.div(one, s2), i3 = f64x2.div(one, s3);
    for (let c = 0; c < k; c++) {
      const p = LP + <usize>c * RB;
      v128.store(p, f64x2.mul(v128.load(p, 0), i0), 0);
      v128.store(p, f64x2.mul(v128.load(p, 16), i1), 16);
      v128.store(p, f64x2.mul(v128.load(p, 32), i2), 32);
      v128.store(p, f64x2.mul(v128.load(p, 48), i3), 48);
    }
    v128.store(SQ, s0, 0);
    v128.store(SQ, s1, 16);
    v128.store(SQ, s2, 32);
    v128.store(SQ, s3, 48);
    log4(SQ);
    v128.store(MX, f64x2.add(v128.load(MX, 0), v128.load(SQ, 0)), 0);
    v128.store(MX, f64x2.add(v128.load(MX, 16), v128.load(SQ, 16)), 16);
    v128.store(MX, f64x2.add(v128.load(MX, 32), v128.load(SQ, 32)), 32);
    v128.store(MX, f64x2.add(v128.load(MX, 48), v128.load(SQ, 48)), 48);
  } else {
    for (let r: usize = 0; r < 64; r += 8) {
      let mx = ld(LP + r);
      for (let c = 1; c < k; c++) {
        const v = ld(LP + <usize>c * RB + r);
        mx = v > mx ? v : mx;
      }
      let s = 0.0;
      for (let c = 0; c < k; c++) {
        const p = LP + <usize>c * RB + r;
        const e = expScalar(ld(p) - mx);
        st(p, e);
        s += e;
      }
      const inv = 1.0 / s;
      for (let c = 0; c < k; c++) {
        const p = LP + <usize>c * RB + r;
        st(p, ld(p) * inv);
      }
      st(MX + r, mx + logScalar(s));
    }
  }
}

// ================================================================== accumulation, one component

/**
 * The weighted responsibilities W = WB * LPc of the block; adds sum(W) to NWc. Returns false (and
 * adds nothing) when all 8 are 0, so a far component costs nothing more (js.ts skips wr == 0 rows too).
 */
@inline function blockWeights(WB: usize, LPc: usize, T: usize, NWc: usize): bool {
  if (ASC_FEATURE_SIMD) {
    const w0 = f64x2.mul(v128.load(WB, 0), v128.load(LPc, 0));
    const w1 = f64x2.mul(v128.load(WB, 16), v128.load(LPc, 16));
    const w2 = f64x2.mul(v128.load(WB, 32), v128.load(LPc, 32));
    const w3 = f64x2.mul(v128.load(WB, 48), v128.load(LPc, 48));
    const s = f64x2.add(f64x2.add(w0, w1), f64x2.add(w2, w3));
    if (!v128.any_true(f64x2.ne(s, f64x2.splat(0)))) return false;
    v128.store(NWc, f64x2.add(v128.load(NWc), s));
    v128.store(T, w0, 0);
    v128.store(T, w1, 16);
    v128.store(T, w2, 32);
    v128.store(T, w3, 48);
  } else {
    let s0 = 0.0, s1 = 0.0;
    for (let r: usize = 0; r < 64; r += 16) {
      const a = ld(WB + r) * ld(LPc + r);
      const b = ld(WB + r + 8) * ld(LPc + r + 8);
      st(T + r, a);
      st(T + r + 8, b);
      s0 += a;
      s1 += b;
    }
    if (s0 == 0 && s1 == 0) return false;
    st(NWc, ld(NWc) + s0);
    st(NWc + 8, ld(NWc + 8) + s1);
  }
  return true;
}

/**
 * 'tri': with t_a = W * D[a] (W the block's weighted responsibilities, D = x - mu from the E-step):
 * S1W[a] += sum over the block of t_a and S2W[a][b] (packed upper rows) += sum of t_a D[b], b >= a.
 * Rows a are taken in pairs, so each D[b] loaded serves two accumulators (16 madds per 4 loads).
 */
@inline function mTri(d: i32, D: usize, W: usize, S1Wc: usize, S2Wc: usize): void {
  if (ASC_FEATURE_SIMD) {
    let a = 0;
    for (; a + 1 < d; a += 2) {
      const Da = D + <usize>a * RB;
      const t00 = f64x2.mul(v128.load(W, 0), v128.load(Da, 0));
      const t01 = f64x2.mul(v128.load(W, 16), v128.load(Da, 16));
      const t02 = f64x2.mul(v128.load(W, 32), v128.load(Da, 32));
      const t03 = f64x2.mul(v128.load(W, 48), v128.load(Da, 48));
      const t10 = f64x2.mul(v128.load(W, 0), v128.load(Da, 64));
      const t11 = f64x2.mul(v128.load(W, 16), v128.load(Da, 80));
      const t12 = f64x2.mul(v128.load(W, 32), v128.load(Da, 96));
      const t13 = f64x2.mul(v128.load(W, 48), v128.load(Da, 112));
      const s = S1Wc + (<usize>a << 4);
      v128.store(s, f64x2.add(v128.load(s, 0), f64x2.add(f64x2.add(t00, t01), f64x2.add(t02, t03))), 0);
      v128.store(s, f64x2.add(v128.load(s, 16), f64x2.add(f64x2.add(t10, t11), f64x2.add(t12, t13))), 16);
      let r0 = S2Wc + (packedRow(a, d) << 4);
      let r1 = r0 + (<usize>(d - a) << 4);
      // (a, a)
      v128.store(r0, f64x2.add(v128.load(r0), f64x2.add(
        f64x2.add(f64x2.mul(t00, v128.load(Da, 0)), f64x2.mul(t01, v128.load(Da, 16))),
        f64x2.add(f64x2.mul(t02, v128.load(Da, 32)), f64x2.mul(t03, v128.load(Da, 48))))));
      r0 += 16;
      let Db = Da + RB;
      for (let b = a + 1; b < d; b++) {
        const e0 = v128.load(Db, 0), e1 = v128.load(Db, 16), e2 = v128.load(Db, 32), e3 = v128.load(Db, 48);
        const p = f64x2.add(f64x2.add(f64x2.mul(t00, e0), f64x2.mul(t01, e1)), f64x2.add(f64x2.mul(t02, e2), f64x2.mul(t03, e3)));
        const q = f64x2.add(f64x2.add(f64x2.mul(t10, e0), f64x2.mul(t11, e1)), f64x2.add(f64x2.mul(t12, e2), f64x2.mul(t13, e3)));
        v128.store(r0, f64x2.add(v128.load(r0), p));
        v128.store(r1, f64x2.add(v128.load(r1), q));
        r0 += 16;
        r1 += 16;
        Db += RB;
      }
    }
    if (a < d) {
      const Da = D + <usize>a * RB;
      const t0 = f64x2.mul(v128.load(W, 0), v128.load(Da, 0));
      const t1 = f64x2.mul(v128.load(W, 16), v128.load(Da, 16));
      const t2 = f64x2.mul(v128.load(W, 32), v128.load(Da, 32));
      const t3 = f64x2.mul(v128.load(W, 48), v128.load(Da, 48));
      const s = S1Wc + (<usize>a << 4);
      v128.store(s, f64x2.add(v128.load(s), f64x2.add(f64x2.add(t0, t1), f64x2.add(t2, t3))));
      const r0 = S2Wc + (packedRow(a, d) << 4);
      v128.store(r0, f64x2.add(v128.load(r0), f64x2.add(
        f64x2.add(f64x2.mul(t0, v128.load(Da, 0)), f64x2.mul(t1, v128.load(Da, 16))),
        f64x2.add(f64x2.mul(t2, v128.load(Da, 32)), f64x2.mul(t3, v128.load(Da, 48))))));
    }
  } else {
    const w0 = ld(W), w1 = ld(W + 8), w2 = ld(W + 16), w3 = ld(W + 24);
    const w4 = ld(W + 32), w5 = ld(W + 40), w6 = ld(W + 48), w7 = ld(W + 56);
    for (let a = 0; a < d; a++) {
      const Da = D + <usize>a * RB;
      const t0 = w0 * ld(Da), t1 = w1 * ld(Da + 8), t2 = w2 * ld(Da + 16), t3 = w3 * ld(Da + 24);
      const t4 = w4 * ld(Da + 32), t5 = w5 * ld(Da + 40), t6 = w6 * ld(Da + 48), t7 = w7 * ld(Da + 56);
      const s = S1Wc + (<usize>a << 4);
      st(s, ld(s) + ((t0 + t2) + (t4 + t6)));
      st(s + 8, ld(s + 8) + ((t1 + t3) + (t5 + t7)));
      let r0 = S2Wc + (packedRow(a, d) << 4);
      let Db = Da;
      for (let b = a; b < d; b++) {
        st(r0, ld(r0) + ((t0 * ld(Db) + t2 * ld(Db + 16)) + (t4 * ld(Db + 32) + t6 * ld(Db + 48))));
        st(r0 + 8, ld(r0 + 8) + ((t1 * ld(Db + 8) + t3 * ld(Db + 24)) + (t5 * ld(Db + 40) + t7 * ld(Db + 56))));
        r0 += 16;
        Db += RB;
      }
    }
  }
}

/** 'diag': with D = XT - mu and t = W * D: S1W[a] += sum of t, S2W[a] += sum of t D. */
@inline function mDiag(d: i32, mu: usize, XT: usize, W: usize, S1Wc: usize, S2Wc: usize): void {
  if (ASC_FEATURE_SIMD) {
    for (let a = 0; a < d; a++) {
      const m = v128.load64_splat(mu + (<usize>a << 3));
      const x = XT + <usize>a * RB;
      const d0 = f64x2.sub(v128.load(x, 0), m);
      const d1 = f64x2.sub(v128.load(x, 16), m);
      const d2 = f64x2.sub(v128.load(x, 32), m);
      const d3 = f64x2.sub(v128.load(x, 48), m);
      const t0 = f64x2.mul(v128.load(W, 0), d0);
      const t1 = f64x2.mul(v128.load(W, 16), d1);
      const t2 = f64x2.mul(v128.load(W, 32), d2);
      const t3 = f64x2.mul(v128.load(W, 48), d3);
      const s = S1Wc + (<usize>a << 4);
      v128.store(s, f64x2.add(v128.load(s), f64x2.add(f64x2.add(t0, t1), f64x2.add(t2, t3))));
      const r = S2Wc + (<usize>a << 4);
      v128.store(r, f64x2.add(v128.load(r), f64x2.add(
        f64x2.add(f64x2.mul(t0, d0), f64x2.mul(t1, d1)), f64x2.add(f64x2.mul(t2, d2), f64x2.mul(t3, d3)))));
    }
  } else {
    for (let a = 0; a < d; a++) {
      const m = ld(mu + (<usize>a << 3));
      const x = XT + <usize>a * RB;
      let s0 = 0.0, s1 = 0.0, q0 = 0.0, q1 = 0.0;
      for (let r: usize = 0; r < 64; r += 16) {
        const da = ld(x + r) - m;
        const db = ld(x + r + 8) - m;
        const ta = ld(W + r) * da;
        const tb = ld(W + r + 8) * db;
        s0 += ta;
        s1 += tb;
        q0 += ta * da;
        q1 += tb * db;
      }
      const s = S1Wc + (<usize>a << 4);
      st(s, ld(s) + s0);
      st(s + 8, ld(s + 8) + s1);
      const r = S2Wc + (<usize>a << 4);
      st(r, ld(r) + q0);
      st(r + 8, ld(r + 8) + q1);
    }
  }
}

// ================================================================== passes

/** E-step of one block: LP (k x 8) log-densities -> responsibilities, MX = log p(x). */
@inline function eBlock(
  tri: bool, d: i32, k: i32, logWeights: usize, means: usize, prec: usize, logDet: usize, S: usize,
): void {
  const XT = S + xtOff(d, k, tri);
  const D = S + dOff(d, k, tri);
  const LP = S + lpOff(d, k, tri);
  const SQ = S + sqOff(d, k, tri);
  const P = packedSize(d, tri);
  for (let c = 0; c < k; c++) {
    const mu = means + ((<usize>c * d) << 3);
    const lw = load<f64>(logWeights + (<usize>c << 3));
    const ldet = load<f64>(logDet + (<usize>c << 3));
    const LPc = LP + <usize>c * RB;
    if (tri) eTri(d, mu, prec + ((<usize>c * P) << 3), XT, D + <usize>c * d * RB, SQ, ldet, lw, LPc);
    else eDiag(d, mu, prec + ((<usize>c * P) << 3), XT, SQ, ldet, lw, LPc);
  }
  const MX = S + mxOff(d, k, tri);
  logSumExp(k, LP, MX, SQ);
  for (let r = 0; r < B; r++) {
    if (!(ld(MX + (<usize>r << 3)) > -Infinity)) farRow(tri, d, k, r, logWeights, means, prec, logDet, XT, LP, MX);
  }
}

/**
 * Row r of the block when every log-density is -Infinity or NaN: its squared Mahalanobis distance q_c
 * (or x - mu itself) overflowed for every component, so log p(x) = -q/2 + O(log) is below -1.8e308
 * and -Infinity is its correctly rounded value, the same on both backends. The responsibilities are
 * still well defined: r_c is proportional to exp(-(q_c - q_min)/2 + ...), and two q's above 1e308
 * differ by far more than the ~75 that makes exp(-diff/2) vanish against 1 unless they agree to
 * ~1e-306 relative, below float64 resolution anyway. So the row goes wholly to the component with
 * the smallest q, found from log q_c = 2 ln s + ln ||U^T ((x - mu)/s)||^2 with s = max |x_j|, |mu_j|,
 * which cannot overflow; equal log q (indistinguishable in float64) go to the larger
 * log w_c + log det U_c, then the lower index. Weightless components (log w = -Infinity) never win.
 * A cold path, scalar on both builds, in js.ts's operation order.
 */
function farRow(
  tri: bool, d: i32, k: i32, r: i32, logWeights: usize, means: usize, prec: usize, logDet: usize,
  XT: usize, LP: usize, MX: usize,
): void {
  const P = packedSize(d, tri);
  const x = XT + (<usize>r << 3);
  let best = -1;
  let bestLogQ = Infinity;
  let bestConst = -Infinity;
  for (let c = 0; c < k; c++) {
    const lw = ld(logWeights + (<usize>c << 3));
    if (lw == -Infinity) continue;
    const mu = means + ((<usize>c * d) << 3);
    let scale = 0.0;
    for (let j = 0; j < d; j++) {
      scale = Math.max(scale, Math.max(Math.abs(ld(x + <usize>j * RB)), Math.abs(ld(mu + (<usize>j << 3)))));
    }
    let q = 0.0;
    for (let j = 0; j < d; j++) {
      let y = 0.0;
      if (tri) {
        const row = prec + ((<usize>c * P + lowerRow(j)) << 3);
        for (let i = 0; i <= j; i++) y += (ld(x + <usize>i * RB) / scale - ld(mu + (<usize>i << 3)) / scale) * ld(row + (<usize>i << 3));
      } else {
        y = (ld(x + <usize>j * RB) / scale - ld(mu + (<usize>j << 3)) / scale) * ld(prec + ((<usize>c * P + j) << 3));
      }
      q += y * y;
    }
    const logQ = 2 * Math.log(scale) + Math.log(q);
    const constant = ld(logDet + (<usize>c << 3)) + lw;
    if (best < 0 || logQ < bestLogQ || (logQ == bestLogQ && constant > bestConst)) {
      best = c;
      bestLogQ = logQ;
      bestConst = constant;
    }
  }
  for (let c = 0; c < k; c++) st(LP + <usize>c * RB + (<usize>r << 3), c == best ? 1.0 : 0.0);
  st(MX + (<usize>r << 3), -Infinity);
}

@inline function fusedRows(
  tri: bool, f32: bool, X: usize, w: usize, n: i32, d: i32, k: i32,
  logWeights: usize, means: usize, prec: usize, logDet: usize, S: usize,
): void {
  const XT = S + xtOff(d, k, tri);
  const D = S + dOff(d, k, tri);
  const LP = S + lpOff(d, k, tri);
  const WB = S + wbOff(d, k, tri);
  const MX = S + mxOff(d, k, tri);
  const SQ = S + sqOff(d, k, tri);
  const SUMW = S + sumwOff(d, k, tri);
  const S1W = S + s1wOff(k);
  const S2W = S + s2wOff(d, k);
  const P = packedSize(d, tri);
  for (let i0 = 0; i0 < n; i0 += B) {
    const rows = min(B, n - i0);
    loadBlock(f32, X, w, i0, rows, d, XT, WB);
    eBlock(tri, d, k, logWeights, means, prec, logDet, S);
    // sums: logLik += w * lse, weightSum += w
    if (ASC_FEATURE_SIMD) {
      const w0 = v128.load(WB, 0), w1 = v128.load(WB, 16), w2 = v128.load(WB, 32), w3 = v128.load(WB, 48);
      const l = f64x2.add(
        f64x2.add(f64x2.mul(w0, v128.load(MX, 0)), f64x2.mul(w1, v128.load(MX, 16))),
        f64x2.add(f64x2.mul(w2, v128.load(MX, 32)), f64x2.mul(w3, v128.load(MX, 48))));
      v128.store(SUMW, f64x2.add(v128.load(SUMW, 0), l), 0);
      v128.store(SUMW, f64x2.add(v128.load(SUMW, 16), f64x2.add(f64x2.add(w0, w1), f64x2.add(w2, w3))), 16);
    } else {
      for (let r: usize = 0; r < 64; r += 8) {
        const lane = r & 8;
        st(SUMW + lane, ld(SUMW + lane) + ld(WB + r) * ld(MX + r));
        st(SUMW + 16 + lane, ld(SUMW + 16 + lane) + ld(WB + r));
      }
    }
    for (let c = 0; c < k; c++) {
      // SQ is free once the log-sum-exp is done: it holds this component's weighted responsibilities.
      if (!blockWeights(WB, LP + <usize>c * RB, SQ, S + (<usize>c << 4))) continue;
      if (tri) mTri(d, D + <usize>c * d * RB, SQ, S1W + ((<usize>c * d) << 4), S2W + ((<usize>c * P) << 4));
      else mDiag(d, means + ((<usize>c * d) << 3), XT, SQ, S1W + ((<usize>c * d) << 4), S2W + ((<usize>c * P) << 4));
    }
  }
}

@inline function lanes(p: usize): f64 {
  return load<f64>(p) + load<f64>(p, 8);
}

/** Folds the wide accumulators into N (k), S1 (k x d), S2 (k x d x d upper, zeros below; or k x d), sums. */
function reduceWide(tri: bool, d: i32, k: i32, N: usize, S1: usize, S2: usize, sums: usize, S: usize): void {
  const S1W = S + s1wOff(k);
  const S2W = S + s2wOff(d, k);
  const P = packedSize(d, tri);
  for (let c = 0; c < k; c++) {
    store<f64>(N + (<usize>c << 3), lanes(S + (<usize>c << 4)));
    for (let a = 0; a < d; a++) {
      const i = <usize>c * d + a;
      store<f64>(S1 + (i << 3), lanes(S1W + (i << 4)));
    }
    if (tri) {
      const src = S2W + ((<usize>c * P) << 4);
      const dst = S2 + ((<usize>c * d * d) << 3);
      for (let a = 0; a < d; a++) {
        const row = dst + ((<usize>a * d) << 3);
        memory.fill(row, 0, <usize>a << 3);
        const prow = src + (packedRow(a, d) << 4);
        for (let b = a; b < d; b++) store<f64>(row + (<usize>b << 3), lanes(prow + (<usize>(b - a) << 4)));
      }
    } else {
      for (let a = 0; a < d; a++) {
        const i = <usize>c * d + a;
        store<f64>(S2 + (i << 3), lanes(S2W + (i << 4)));
      }
    }
  }
  const SUMW = S + sumwOff(d, k, tri);
  store<f64>(sums, lanes(SUMW));
  store<f64>(sums, lanes(SUMW + 16), 8);
}

/**
 * The fused EM pass over n rows (f64, or f32 when f32 is true) about the current means: overwrites
 * N, S1, S2 and sums = [sum_i w_i log p(x_i), sum_i w_i]. `prec`: for 'tri' the k factors U_c^T
 * as packed lower triangles (row j = column j of U, d(d+1)/2 entries per component); for 'diag' k x d.
 * `scratch`: scratchBytes(d, k, tri) bytes.
 */
export function emPass(
  tri: bool, f32: bool, X: usize, w: usize, n: i32, d: i32, k: i32,
  logWeights: usize, means: usize, prec: usize, logDet: usize,
  N: usize, S1: usize, S2: usize, sums: usize, scratch: usize,
  first: bool, last: bool,
): void {
  // A pass may be split into several calls over consecutive row ranges (each starting at a multiple
  // of B rows): the lane accumulators are cleared by the first call and reduced by the last, so the
  // sums are the same as in one call. Short calls let V8 tier the kernel up within the first pass.
  if (first) memory.fill(scratch, 0, wideBytes(d, k, tri));
  if (tri) {
    if (f32) fusedRows(true, true, X, w, n, d, k, logWeights, means, prec, logDet, scratch);
    else fusedRows(true, false, X, w, n, d, k, logWeights, means, prec, logDet, scratch);
  } else {
    if (f32) fusedRows(false, true, X, w, n, d, k, logWeights, means, prec, logDet, scratch);
    else fusedRows(false, false, X, w, n, d, k, logWeights, means, prec, logDet, scratch);
  }
  if (last) reduceWide(tri, d, k, N, S1, S2, sums, scratch);
}

@inline function scoreRows(
  tri: bool, f32: bool, X: usize, w: usize, n: i32, d: i32, k: i32,
  logWeights: usize, means: usize, prec: usize, logDet: usize,
  logProb: usize, resp: usize, S: usize, total: f64,
): f64 {
  const XT = S + xtOff(d, k, tri);
  const LP = S + lpOff(d, k, tri);
  const WB = S + wbOff(d, k, tri);
  const MX = S + mxOff(d, k, tri);
  for (let i0 = 0; i0 < n; i0 += B) {
    const rows = min(B, n - i0);
    loadBlock(f32, X, w, i0, rows, d, XT, WB);
    eBlock(tri, d, k, logWeights, means, prec, logDet, S);
    for (let r = 0; r < rows; r++) {
      const lse = load<f64>(MX + (<usize>r << 3));
      total += load<f64>(WB + (<usize>r << 3)) * lse;
      store<f64>(logProb + (<usize>(i0 + r) << 3), lse);
      if (resp) {
        const out = resp + ((<usize>(i0 + r) * k) << 3);
        for (let c = 0; c < k; c++) store<f64>(out + (<usize>c << 3), load<f64>(LP + <usize>c * RB + (<usize>r << 3)));
      }
    }
  }
  return total;
}

/**
 * Scores n rows: logProb[i] = log p(x_i) and, unless resp is 0, resp[i, :] = responsibilities.
 * Returns total + sum_i w_i log p(x_i), added row by row so that chunked calls chained through
 * `total` sum in the same order as one call over all rows.
 */
export function score(
  tri: bool, f32: bool, X: usize, w: usize, n: i32, d: i32, k: i32,
  logWeights: usize, means: usize, prec: usize, logDet: usize,
  logProb: usize, resp: usize, scratch: usize, total: f64,
): f64 {
  if (tri) {
    return f32
      ? scoreRows(true, true, X, w, n, d, k, logWeights, means, prec, logDet, logProb, resp, scratch, total)
      : scoreRows(true, false, X, w, n, d, k, logWeights, means, prec, logDet, logProb, resp, scratch, total);
  }
  return f32
    ? scoreRows(false, true, X, w, n, d, k, logWeights, means, prec, logDet, logProb, resp, scratch, total)
    : scoreRows(false, false, X, w, n, d, k, logWeights, means, prec, logDet, logProb, resp, scratch, total);
}
