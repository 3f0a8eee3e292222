import type { KernelFamily, Matrix } from '../types.js';
import type { Backend, KernelParams, Stats } from './types.js';
import { choleskyLower, inverseTransposeLower } from '../linalg.js';

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * The pure-TypeScript baseline. Same algorithm and the same operation order as the AssemblyScript
 * kernels (assembly/), so the two agree to rounding; typed arrays only, nothing allocated per row.
 */
export class JsBackend implements Backend {
  readonly name = 'js' as const;
  private X = new Float64Array(0);
  private w: Float64Array | null = null;
  private n = 0;
  private d = 0;
  private k = 0;
  private family: KernelFamily = 'tri';
  private p: KernelParams | null = null;
  // Per-row scratch: log-densities (k), differences x - mu_k (k * d), projected y (d).
  private lp = new Float64Array(0);
  private diff = new Float64Array(0);
  private y = new Float64Array(0);

  setData(X: Matrix<Float64Array> | Matrix<Float32Array>, weights: Float64Array | null, k: number, family: KernelFamily): void {
    const size = X.rows * X.cols;
    if (this.X.length < size) this.X = new Float64Array(size);
    this.X.set(X.data.subarray(0, size));
    this.w = weights ? weights.slice() : null;
    this.n = X.rows;
    this.d = X.cols;
    this.k = k;
    this.family = family;
    this.lp = new Float64Array(k);
    this.diff = new Float64Array(k * X.cols);
    this.y = new Float64Array(X.cols);
  }

  setParams(p: KernelParams): void {
    this.p = {
      ...p,
      logWeights: p.logWeights.slice(),
      means: p.means.slice(),
      precChol: p.precChol.slice(),
      logDet: p.logDet.slice(),
    };
  }

  emPass(out: Stats): void {
    clearStats(out);
    this.sweep(null, null, out);
  }

  accumulate(resp: Float64Array, shift: Float64Array, out: Stats): void {
    clearStats(out);
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
  }

  score(logProb: Float64Array, resp: Float64Array | null): number {
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
    this.X = new Float64Array(0);
    this.w = null;
    this.p = null;
  }

  /** One pass over the rows: log-densities, log-sum-exp, and either scoring output or statistics. */
  private sweep(logProb: Float64Array | null, resp: Float64Array | null, out: Stats | null): number {
    const p = this.p;
    if (!p) throw new Error('JsBackend: setParams was not called');
    const { n, d, k, X, w, lp } = this;
    let total = 0;
    for (let i = 0; i < n; i++) {
      this.logDensities(X, i * d, p);
      let max = -Infinity;
      for (let c = 0; c < k; c++) if (lp[c] > max) max = lp[c];
      let s = 0;
      for (let c = 0; c < k; c++) s += Math.exp(lp[c] - max);
      const lse = max + Math.log(s);
      for (let c = 0; c < k; c++) lp[c] = Math.exp(lp[c] - lse);
      const wi = w ? w[i] : 1;
      total += wi * lse;
      if (logProb) logProb[i] = lse;
      if (resp) resp.set(lp, i * k);
      if (out) {
        this.accumulateRow(lp, 0, wi, out);
        out.weightSum += wi;
      }
    }
    if (out) out.logLik = total;
    return total;
  }

  /** lp[c] = log w_c + log N(x | mu_c, Sigma_c); leaves x - mu_c in diff. */
  private logDensities(X: Float64Array, row: number, p: KernelParams): void {
    const { d, k, lp, diff, y } = this;
    const { means, precChol, logDet, logWeights } = p;
    const tri = this.family === 'tri';
    for (let c = 0; c < k; c++) {
      const off = c * d;
      for (let j = 0; j < d; j++) diff[off + j] = X[row + j] - means[off + j];
      let sq = 0;
      if (tri) {
        // y = U_c^T (x - mu_c): y_j = sum_{i <= j} diff_i U[i][j]
        const U = c * d * d;
        y.fill(0);
        for (let i = 0; i < d; i++) {
          const di = diff[off + i];
          for (let j = i; j < d; j++) y[j] += di * precChol[U + i * d + j];
        }
        for (let j = 0; j < d; j++) sq += y[j] * y[j];
      } else {
        for (let j = 0; j < d; j++) {
          const t = diff[off + j] * precChol[off + j];
          sq += t * t;
        }
      }
      lp[c] = -0.5 * (d * LOG_2PI + sq) + logDet[c] + logWeights[c];
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

function clearStats(s: Stats): void {
  s.N.fill(0);
  s.S1.fill(0);
  s.S2.fill(0);
  s.logLik = 0;
  s.weightSum = 0;
}
