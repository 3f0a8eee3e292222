import type { KernelFamily, Matrix } from '../types.js';
import type { Backend, DataHandle, KernelParams, Stats } from './types.js';
import { choleskyLower, inverseTransposeLower } from '../linalg.js';
import type { MatrixSource } from '../input.js';
import { copyRows, denseSource } from '../input.js';

const LOG_2PI = Math.log(2 * Math.PI);
/** Rows per block, as in the WebAssembly kernels (assembly/block.ts). */
const B = 8;

/** A data set of the JS backend: its own copies of the rows and weights. */
interface JsHandle extends DataHandle {
  readonly owner: JsBackend;
  X: Float64Array | Float32Array;
  w: Float64Array | null;
}

/**
 * The pure-TypeScript baseline, with the algorithmic structure of the WebAssembly kernels
 * (assembly/fused.ts) so that the ratio between the two measures the engine, not the algorithm:
 * one fused pass over blocks of 8 rows transposed into a scratch block, each loaded parameter
 * serving 8 rows (4 accumulators in registers for the triangular product), log-sum-exp with one exp
 * per row and component (r = e * (1 / s)), and the statistics accumulated straight from the block, no
 * n x k matrix. Typed arrays only; nothing is allocated per row or per pass. Float32 data stay
 * float32 (widened a block at a time). The log-densities are computed in the kernels' operation
 * order, so the two backends agree to rounding. Integer inputs are widened in `load`'s copy
 * (MatrixSource.float32 says why).
 */
export class JsBackend implements Backend {
  readonly name = 'js' as const;
  // The data set and parameters of the current call (set by `begin`), read by the block methods.
  private X: Float64Array | Float32Array = new Float64Array(0);
  private w: Float64Array | null = null;
  private n = 0;
  private d = 0;
  private k = 0;
  private family: KernelFamily = 'tri';
  private logWeights = new Float64Array(0);
  private means = new Float64Array(0);
  private logDet = new Float64Array(0);
  /** 'tri': U_c^T as packed lower rows (row j = column j of U_c), k * d(d+1)/2; 'diag': k x d. */
  private prec = new Float64Array(0);
  // Block scratch, sized for the largest k and d seen: XT d x 8 (transposed rows), D d x 8 (x - mu),
  // T d x 8 (w r (x - mu)), LP k x 8 (log-densities, then responsibilities), WB 8 (row weights, 0 for
  // padding), MX 8, SQ 8.
  private XT = new Float64Array(0);
  private D = new Float64Array(0);
  private T = new Float64Array(0);
  private LP = new Float64Array(0);
  private WB = new Float64Array(B);
  private MX = new Float64Array(B);
  private SQ = new Float64Array(B);
  private W8 = new Float64Array(B);
  // accumulate(): per-row differences.
  private diff = new Float64Array(0);
  private disposed = false;

  load(X: Matrix<Float64Array> | Matrix<Float32Array> | MatrixSource, weights: Float64Array | null): DataHandle {
    this.live();
    const s = 'blocks' in X ? X : denseSource(X);
    const data = s.float32 ? new Float32Array(s.rows * s.cols) : new Float64Array(s.rows * s.cols);
    copyRows(s, 0, s.rows, data, 0);
    const h: JsHandle = { owner: this, rows: s.rows, cols: s.cols, weighted: weights !== null, X: data, w: weights ? weights.slice() : null };
    return h;
  }

  release(h: DataHandle): void {
    const jh = this.handle(h);
    jh.X = new Float64Array(0);
    jh.w = null;
  }

  emPass(h: DataHandle, p: KernelParams, out: Stats): void {
    this.begin(this.handle(h), p.k, p.family, p);
    out.clear();
    this.sweep(null, null, out);
    out.shift.set(p.means);
  }

  accumulate(h: DataHandle, resp: Float64Array, shift: Float64Array, out: Stats): void {
    this.begin(this.handle(h), out.k, out.family, null);
    out.clear();
    const { n, d, k, X, w, diff } = this;
    for (let i = 0; i < n; i++) {
      const wi = w ? w[i] : 1;
      const row = i * d;
      for (let c = 0; c < k; c++) {
        for (let j = 0; j < d; j++) diff[c * d + j] = X[row + j] - shift[c * d + j];
      }
      this.accumulateRow(resp, i * k, wi, out);
      out.weightSum += wi;
    }
    out.shift.set(shift.subarray(0, k * d));
  }

  score(h: DataHandle, p: KernelParams, logProb: Float64Array, resp: Float64Array | null): number {
    this.begin(this.handle(h), p.k, p.family, p);
    return this.sweep(logProb, resp, null);
  }

  precisionCholesky(cov: Float64Array, k: number, d: number, precChol: Float64Array, logDet: Float64Array): number {
    const L = new Float64Array(d * d);
    for (let c = 0; c < k; c++) {
      if (!choleskyLower(cov, c * d * d, d, L)) return c;
      logDet[c] = inverseTransposeLower(L, d, precChol, c * d * d);
    }
    return -1;
  }

  dispose(): void {
    this.disposed = true;
    this.X = new Float64Array(0);
    this.w = null;
  }

  private live(): void {
    if (this.disposed) throw new Error('JsBackend: used after dispose()');
  }

  private handle(h: DataHandle): JsHandle {
    this.live();
    const jh = h as JsHandle;
    if (jh.owner !== this) throw new Error('JsBackend: a data handle of another backend');
    return jh;
  }

  /** Points the block methods at h and (when given) copies p in, growing the scratch for k and d. */
  private begin(h: JsHandle, k: number, family: KernelFamily, p: KernelParams | null): void {
    const d = h.cols;
    if (p && p.d !== d) throw new Error(`JsBackend: parameters for d=${p.d} do not match the data (d=${d})`);
    this.X = h.X;
    this.w = h.w;
    this.n = h.rows;
    this.d = d;
    this.k = k;
    this.family = family;
    const grow = (a: Float64Array<ArrayBuffer>, size: number): Float64Array<ArrayBuffer> => (a.length >= size ? a : new Float64Array(size));
    this.XT = grow(this.XT, d * B);
    this.D = grow(this.D, d * B);
    this.T = grow(this.T, d * B);
    this.LP = grow(this.LP, k * B);
    this.diff = grow(this.diff, k * d);
    this.logWeights = grow(this.logWeights, k);
    this.means = grow(this.means, k * d);
    this.logDet = grow(this.logDet, k);
    const packed = family === 'tri' ? (k * d * (d + 1)) / 2 : k * d;
    this.prec = grow(this.prec, packed);
    if (!p) return;
    this.logWeights.set(p.logWeights.subarray(0, k));
    this.means.set(p.means.subarray(0, k * d));
    this.logDet.set(p.logDet.subarray(0, k));
    this.prec.set(p.precChol.subarray(0, packed));
  }

  /** One pass over the rows in blocks: log-densities, log-sum-exp, then scoring output or statistics. */
  private sweep(logProb: Float64Array | null, resp: Float64Array | null, out: Stats | null): number {
    const { n, k, LP, WB, MX } = this;
    const tri = this.family === 'tri';
    let total = 0;
    let weightSum = 0;
    for (let i0 = 0; i0 < n; i0 += B) {
      const rows = Math.min(B, n - i0);
      this.loadBlock(i0, rows);
      if (tri) this.eTri();
      else this.eDiag();
      this.logSumExp();
      for (let r = 0; r < rows; r++) {
        total += WB[r] * MX[r];
        weightSum += WB[r];
      }
      if (logProb) for (let r = 0; r < rows; r++) logProb[i0 + r] = MX[r];
      if (resp) {
        for (let r = 0; r < rows; r++) for (let c = 0; c < k; c++) resp[(i0 + r) * k + c] = LP[c * B + r];
      }
      if (out) this.accumulateBlock(out, tri);
    }
    if (out) {
      out.logLik = total;
      out.weightSum = weightSum;
    }
    return total;
  }

  /** XT[j*8 + r] = X[i0 + r][j]; rows past the end repeat the last row with weight 0. */
  private loadBlock(i0: number, rows: number): void {
    const { X, d, XT, WB, w } = this;
    for (let r = 0; r < B; r++) {
      const src = (i0 + (r < rows ? r : rows - 1)) * d;
      for (let j = 0; j < d; j++) XT[j * B + r] = X[src + j];
      WB[r] = r < rows ? (w ? w[i0 + r] : 1) : 0;
    }
  }

  /** LP[c*8 + r] = log w_c + log N(x_r | mu_c, Sigma_c): y = U^T (x - mu) with 4 rows per pass over U. */
  private eTri(): void {
    const { d, k, XT, D, SQ, LP, prec, means, logDet, logWeights } = this;
    const dl = d * LOG_2PI;
    const P = (d * (d + 1)) / 2;
    for (let c = 0; c < k; c++) {
      for (let i = 0; i < d; i++) {
        const m = means[c * d + i];
        for (let r = 0; r < B; r++) D[i * B + r] = XT[i * B + r] - m;
      }
      SQ.fill(0);
      const U = c * P;
      for (let j = 0; j < d; j++) {
        const row = U + (j * (j + 1)) / 2;
        for (let h = 0; h < B; h += 4) {
          let y0 = 0;
          let y1 = 0;
          let y2 = 0;
          let y3 = 0;
          for (let i = 0, o = h; i <= j; i++, o += B) {
            const u = prec[row + i];
            y0 += D[o] * u;
            y1 += D[o + 1] * u;
            y2 += D[o + 2] * u;
            y3 += D[o + 3] * u;
          }
          SQ[h] += y0 * y0;
          SQ[h + 1] += y1 * y1;
          SQ[h + 2] += y2 * y2;
          SQ[h + 3] += y3 * y3;
        }
      }
      const ld = logDet[c];
      const lw = logWeights[c];
      for (let r = 0; r < B; r++) LP[c * B + r] = -0.5 * (dl + SQ[r]) + ld + lw;
    }
  }

  private eDiag(): void {
    const { d, k, XT, LP, prec, means, logDet, logWeights } = this;
    const dl = d * LOG_2PI;
    for (let c = 0; c < k; c++) {
      for (let h = 0; h < B; h += 4) {
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let j = 0, o = h; j < d; j++, o += B) {
          const m = means[c * d + j];
          const q = prec[c * d + j];
          const t0 = (XT[o] - m) * q;
          const t1 = (XT[o + 1] - m) * q;
          const t2 = (XT[o + 2] - m) * q;
          const t3 = (XT[o + 3] - m) * q;
          s0 += t0 * t0;
          s1 += t1 * t1;
          s2 += t2 * t2;
          s3 += t3 * t3;
        }
        const ld = logDet[c];
        const lw = logWeights[c];
        LP[c * B + h] = -0.5 * (dl + s0) + ld + lw;
        LP[c * B + h + 1] = -0.5 * (dl + s1) + ld + lw;
        LP[c * B + h + 2] = -0.5 * (dl + s2) + ld + lw;
        LP[c * B + h + 3] = -0.5 * (dl + s3) + ld + lw;
      }
    }
  }

  /** LP -> responsibilities e_c * (1 / s) (e_c = exp(lp_c - max), s = sum e_c); MX = max + log s. */
  private logSumExp(): void {
    const { k, LP, MX } = this;
    for (let r = 0; r < B; r++) {
      let max = LP[r];
      for (let c = 1; c < k; c++) if (LP[c * B + r] > max) max = LP[c * B + r];
      let s = 0;
      for (let c = 0; c < k; c++) {
        const e = Math.exp(LP[c * B + r] - max);
        LP[c * B + r] = e;
        s += e;
      }
      const inv = 1 / s;
      for (let c = 0; c < k; c++) LP[c * B + r] *= inv;
      MX[r] = max + Math.log(s);
      if (!(MX[r] > -Infinity)) this.farRow(r);
    }
  }

  /**
   * Row r of the block when every log-density is -Infinity or NaN: its squared Mahalanobis distance
   * (or x - mu itself) overflowed for every component, so the row is too far from all of them for
   * float64 (|x| ~ 1e155 and beyond). The rule of assembly/fused.ts farRow (the reasons are written there).
   */
  private farRow(r: number): void {
    const { d, k, XT, LP, MX, prec, means, logDet, logWeights } = this;
    const tri = this.family === 'tri';
    const P = tri ? (d * (d + 1)) / 2 : d;
    let best = -1;
    let bestLogQ = Infinity;
    let bestConst = -Infinity;
    for (let c = 0; c < k; c++) {
      if (logWeights[c] === -Infinity) continue;
      let scale = 0;
      for (let j = 0; j < d; j++) scale = Math.max(scale, Math.abs(XT[j * B + r]), Math.abs(means[c * d + j]));
      let q = 0;
      for (let j = 0; j < d; j++) {
        let y = 0;
        if (tri) {
          const row = c * P + (j * (j + 1)) / 2;
          for (let i = 0; i <= j; i++) y += (XT[i * B + r] / scale - means[c * d + i] / scale) * prec[row + i];
        } else {
          y = (XT[j * B + r] / scale - means[c * d + j] / scale) * prec[c * d + j];
        }
        q += y * y;
      }
      const logQ = 2 * Math.log(scale) + Math.log(q);
      const constant = logDet[c] + logWeights[c];
      if (best < 0 || logQ < bestLogQ || (logQ === bestLogQ && constant > bestConst)) {
        best = c;
        bestLogQ = logQ;
        bestConst = constant;
      }
    }
    for (let c = 0; c < k; c++) LP[c * B + r] = c === best ? 1 : 0;
    MX[r] = -Infinity;
  }

  /** Adds the block's statistics about the current means; skips a component whose 8 weights are all 0. */
  private accumulateBlock(out: Stats, tri: boolean): void {
    const { d, k, XT, D, T, LP, WB, W8, means } = this;
    const { N, S1, S2 } = out;
    for (let c = 0; c < k; c++) {
      let nc = 0;
      for (let r = 0; r < B; r++) {
        const v = WB[r] * LP[c * B + r];
        W8[r] = v;
        nc += v;
      }
      if (nc === 0) continue;
      N[c] += nc;
      for (let a = 0; a < d; a++) {
        const m = means[c * d + a];
        let s = 0;
        for (let r = 0; r < B; r++) {
          const da = XT[a * B + r] - m;
          const t = W8[r] * da;
          D[a * B + r] = da;
          T[a * B + r] = t;
          s += t;
        }
        S1[c * d + a] += s;
      }
      if (tri) {
        for (let a = 0; a < d; a++) {
          const ta = a * B;
          const t0 = T[ta], t1 = T[ta + 1], t2 = T[ta + 2], t3 = T[ta + 3];
          const t4 = T[ta + 4], t5 = T[ta + 5], t6 = T[ta + 6], t7 = T[ta + 7];
          const row = c * d * d + a * d;
          for (let b = a, o = a * B; b < d; b++, o += B) {
            S2[row + b] +=
              t0 * D[o] + t1 * D[o + 1] + t2 * D[o + 2] + t3 * D[o + 3] + t4 * D[o + 4] + t5 * D[o + 5] + t6 * D[o + 6] + t7 * D[o + 7];
          }
        }
      } else {
        for (let a = 0, o = 0; a < d; a++, o += B) {
          S2[c * d + a] +=
            T[o] * D[o] + T[o + 1] * D[o + 1] + T[o + 2] * D[o + 2] + T[o + 3] * D[o + 3] +
            T[o + 4] * D[o + 4] + T[o + 5] * D[o + 5] + T[o + 6] * D[o + 6] + T[o + 7] * D[o + 7];
        }
      }
    }
  }

  /** Adds row weight wi times responsibilities r[r0 + c] to the statistics, using diff = x - c_k. */
  private accumulateRow(r: Float64Array, r0: number, wi: number, out: Stats): void {
    const { d, k, diff } = this;
    const { N, S1, S2 } = out;
    const tri = this.family === 'tri';
    for (let c = 0; c < k; c++) {
      const wr = wi * r[r0 + c];
      if (wr === 0) continue;
      const off = c * d;
      N[c] += wr;
      for (let a = 0; a < d; a++) {
        const t = wr * diff[off + a];
        S1[off + a] += t;
        if (tri) {
          const row = c * d * d + a * d;
          for (let b = a; b < d; b++) S2[row + b] += t * diff[off + b];
        } else {
          S2[off + a] += t * diff[off + a];
        }
      }
    }
  }
}
