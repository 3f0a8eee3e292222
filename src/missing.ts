/**
 * Missing values (missingValues: 'em'): exact EM on incomplete data (Ghahramani & Jordan 1994).
 *
 * Rows are grouped by which columns they observe. Per pattern (observed o, missing m) and component,
 * with the component's Sigma:
 *   - the E-step needs the marginal of x_o, N(mu_o, Sigma_oo), whose precision factor is packed once
 *     per pattern and iteration, so the unchanged kernels run on the pattern's observed columns;
 *   - the conditional mean of x_m is mu_m + B (x_o - mu_o), B = Sigma_mo Sigma_oo^-1, and its
 *     conditional covariance is C = Sigma_mm - B Sigma_om.
 * About the shift c = mu (what an EM pass uses), a completed row is x̂ - mu = [I; B] (x_o - mu_o), so
 * the sufficient statistics of the completed rows follow from those of the observed sub-matrix
 * (S1_o, S2_oo, from the kernels' fused pass) by S1_m = B S1_o, S2_mo = B S2_oo,
 * S2_mm = B S2_oo B^T + N C. The M-steps (every covariance type) then run unchanged on them.
 */
import type { KernelFamily, Matrix } from './types.js';
import type { Backend, DataHandle, KernelParams, Stats } from './backend/types.js';
import { SufficientStatistics } from './statistics.js';
import type { PassEngine } from './em.js';
import { GaussianMixtureError } from './errors.js';

type Rows = Matrix<Float64Array> | Matrix<Float32Array>;

/** Rows that observe the same columns. */
export interface Pattern {
  observed: Int32Array;
  missing: Int32Array;
  rows: Int32Array;
}

/** The rows of a matrix by missingness: the complete ones, and the others by pattern. */
export interface Patterns {
  complete: Int32Array;
  incomplete: Pattern[];
}

/** Whether X has a missing (NaN) entry. */
export function hasMissing(X: Rows): boolean {
  const { data, rows, cols } = X;
  for (let i = 0; i < rows * cols; i++) if (data[i] !== data[i]) return true;
  return false;
}

/**
 * Groups the rows of X (NaN = missing) by missingness pattern, in order of first appearance.
 * Throws a RangeError naming the first row with every value missing.
 */
export function groupByPattern(X: Rows, name = 'X'): Patterns {
  const { data, rows, cols } = X;
  const complete: number[] = [];
  const groups = new Map<number | string, number[]>();
  // A pattern's key: the bit mask of its missing columns (a string beyond 52 columns).
  const wide = cols > 52;
  for (let i = 0; i < rows; i++) {
    let mask = 0;
    let text = '';
    let nMissing = 0;
    for (let j = 0; j < cols; j++) {
      const v = data[i * cols + j];
      const miss = v !== v;
      if (miss) nMissing++;
      if (wide) text += miss ? '1' : '0';
      else if (miss) mask += 2 ** j;
    }
    if (nMissing === 0) {
      complete.push(i);
      continue;
    }
    if (nMissing === cols) {
      throw new RangeError(`${name} row ${i} has every value missing (NaN or null); with missingValues: 'em' a row needs at least one observed value. Remove the row.`);
    }
    const key = wide ? text : mask;
    const list = groups.get(key);
    if (list) list.push(i);
    else groups.set(key, [i]);
  }
  const incomplete: Pattern[] = [];
  for (const list of groups.values()) {
    const first = list[0] * cols;
    const observed: number[] = [];
    const missing: number[] = [];
    for (let j = 0; j < cols; j++) (data[first + j] !== data[first + j] ? missing : observed).push(j);
    incomplete.push({ observed: Int32Array.from(observed), missing: Int32Array.from(missing), rows: Int32Array.from(list) });
  }
  return { complete: Int32Array.from(complete), incomplete };
}

/** The given rows and columns of X as a new row-major Float64Array matrix. */
function gather(X: Rows, rows: Int32Array, cols: ArrayLike<number>): Matrix<Float64Array> {
  const p = cols.length;
  const out = new Float64Array(rows.length * p);
  for (let r = 0; r < rows.length; r++) {
    const src = rows[r] * X.cols;
    for (let j = 0; j < p; j++) out[r * p + j] = X.data[src + cols[j]];
  }
  return { data: out, rows: rows.length, cols: p };
}

function gatherWeights(weights: Float64Array | null, rows: Int32Array): Float64Array | null {
  if (weights === null) return null;
  const out = new Float64Array(rows.length);
  for (let r = 0; r < rows.length; r++) out[r] = weights[rows[r]];
  return out;
}

/**
 * X with each missing entry replaced by its column's (weighted) observed mean: the data that
 * initialisation works on. Throws a RangeError naming a column with no observed value.
 */
export function meanImputed(X: Rows, weights: Float64Array | null, name = 'X'): Matrix<Float64Array> {
  const { data, rows, cols } = X;
  const sum = new Float64Array(cols);
  const count = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const w = weights ? weights[i] : 1;
    for (let j = 0; j < cols; j++) {
      const v = data[i * cols + j];
      if (v === v) {
        sum[j] += w * v;
        count[j] += w;
      }
    }
  }
  for (let j = 0; j < cols; j++) {
    if (!(count[j] > 0)) {
      throw new RangeError(`${name} column ${j} has no observed value${weights ? ' with positive sampleWeight' : ''}; with missingValues: 'em' every column needs at least one. Remove the column.`);
    }
  }
  const out = Float64Array.from(data.subarray(0, rows * cols));
  for (let i = 0; i < rows * cols; i++) if (out[i] !== out[i]) out[i] = sum[i % cols] / count[i % cols];
  return { data: out, rows, cols };
}

/** Scratch of covariancesOf, grown as needed (it runs once per EM iteration). */
let inverse = new Float64Array(64);

/**
 * The covariances the kernel parameters stand for: 'tri', k x d x d (Sigma_k = V^T V with V = U_k^-1,
 * since U_k U_k^T = Sigma_k^-1); 'diag', k x d variances. `out` has that length.
 */
export function covariancesOf(p: KernelParams, out: Float64Array): void {
  const { k, d, family, precChol } = p;
  if (family === 'diag') {
    for (let i = 0; i < k * d; i++) out[i] = 1 / (precChol[i] * precChol[i]);
    return;
  }
  const packed = (d * (d + 1)) / 2;
  if (inverse.length < d * d) inverse = new Float64Array(d * d);
  const V = inverse;
  // U[i][j] (i <= j) sits at c * packed + j(j+1)/2 + i.
  for (let c = 0; c < k; c++) {
    const base = c * packed;
    const u = (i: number, j: number): number => precChol[base + (j * (j + 1)) / 2 + i];
    V.fill(0);
    for (let b = 0; b < d; b++) {
      V[b * d + b] = 1 / u(b, b);
      for (let i = b - 1; i >= 0; i--) {
        let s = 0;
        for (let j = i + 1; j <= b; j++) s += u(i, j) * V[j * d + b];
        V[i * d + b] = -s / u(i, i);
      }
    }
    const o = c * d * d;
    for (let a = 0; a < d; a++) {
      for (let b = a; b < d; b++) {
        let s = 0;
        for (let j = 0; j <= a; j++) s += V[j * d + a] * V[j * d + b];
        out[o + a * d + b] = s;
        out[o + b * d + a] = s;
      }
    }
  }
}

/**
 * For one pattern and k components: the marginal parameters of x_o in the kernels' layout
 * (`params`, p = |o| features), the regressions B_k = Sigma_k,mo Sigma_k,oo^-1 (k x q x p, q = |m|;
 * 'tri' only, zero for diagonal models) and the conditional covariances C_k (k x q x q; 'diag': k x q).
 */
export class Conditional {
  readonly params: KernelParams;
  readonly B: Float64Array;
  readonly C: Float64Array;
  private readonly L: Float64Array;
  private readonly Linv: Float64Array;
  private readonly G: Float64Array;

  constructor(
    readonly k: number,
    readonly d: number,
    readonly family: KernelFamily,
    readonly observed: Int32Array,
    readonly missing: Int32Array,
  ) {
    const p = observed.length;
    const q = missing.length;
    const tri = family === 'tri';
    this.params = {
      k, d: p, family, logWeights: new Float64Array(k), means: new Float64Array(k * p),
      precChol: new Float64Array(tri ? (k * p * (p + 1)) / 2 : k * p), logDet: new Float64Array(k),
    };
    this.B = new Float64Array(tri ? k * q * p : 0);
    this.C = new Float64Array(tri ? k * q * q : k * q);
    this.L = new Float64Array(tri ? p * p : 0);
    this.Linv = new Float64Array(tri ? p * p : 0);
    this.G = new Float64Array(tri ? q * p : 0);
  }

  /** Recomputes everything from the full parameters `full` and their covariances `cov` (covariancesOf). */
  update(full: KernelParams, cov: Float64Array): void {
    const { k, d, observed: o, missing: m, params, B, C, L, Linv, G } = this;
    const p = o.length;
    const q = m.length;
    params.logWeights.set(full.logWeights);
    for (let c = 0; c < k; c++) for (let j = 0; j < p; j++) params.means[c * p + j] = full.means[c * d + o[j]];
    if (this.family === 'diag') {
      for (let c = 0; c < k; c++) {
        let ld = 0;
        for (let j = 0; j < p; j++) {
          const v = full.precChol[c * d + o[j]];
          params.precChol[c * p + j] = v;
          ld += Math.log(v);
        }
        params.logDet[c] = ld;
        for (let a = 0; a < q; a++) C[c * q + a] = cov[c * d + m[a]];
      }
      return;
    }
    const packed = (p * (p + 1)) / 2;
    for (let c = 0; c < k; c++) {
      const S = c * d * d;
      // L L^T = Sigma_oo.
      for (let i = 0; i < p; i++) {
        for (let j = 0; j <= i; j++) {
          let s = cov[S + o[i] * d + o[j]];
          for (let t = 0; t < j; t++) s -= L[i * p + t] * L[j * p + t];
          if (i === j) {
            if (!(s > 0)) {
              throw new GaussianMixtureError(
                'NUMERICAL_FAILURE',
                `Component ${c}'s covariance restricted to the observed columns [${Array.from(o).join(', ')}] is not positive definite in floating point; increase regCovar or scale the data.`,
              );
            }
            L[i * p + i] = Math.sqrt(s);
          } else {
            L[i * p + j] = s / L[j * p + j];
          }
        }
      }
      // Linv = L^-1 (lower); the marginal precision factor is U_o = Linv^T.
      for (let j = 0; j < p; j++) {
        Linv[j * p + j] = 1 / L[j * p + j];
        for (let i = j + 1; i < p; i++) {
          let s = 0;
          for (let t = j; t < i; t++) s += L[i * p + t] * Linv[t * p + j];
          Linv[i * p + j] = -s / L[i * p + i];
        }
      }
      let ld = 0;
      for (let j = 0; j < p; j++) {
        // Column j of U_o (entries i <= j) = row j of Linv.
        for (let i = 0; i <= j; i++) params.precChol[c * packed + (j * (j + 1)) / 2 + i] = Linv[j * p + i];
        ld += Math.log(Linv[j * p + j]);
      }
      params.logDet[c] = ld;
      // G = Sigma_mo Linv^T, B = G Linv (= Sigma_mo Sigma_oo^-1), C = Sigma_mm - G G^T.
      for (let a = 0; a < q; a++) {
        for (let j = 0; j < p; j++) {
          let s = 0;
          for (let i = 0; i <= j; i++) s += cov[S + m[a] * d + o[i]] * Linv[j * p + i];
          G[a * p + j] = s;
        }
        for (let b = 0; b < p; b++) {
          let s = 0;
          for (let j = b; j < p; j++) s += G[a * p + j] * Linv[j * p + b];
          B[c * q * p + a * p + b] = s;
        }
      }
      for (let a = 0; a < q; a++) {
        for (let b = 0; b <= a; b++) {
          let s = cov[S + m[a] * d + m[b]];
          for (let j = 0; j < p; j++) s -= G[a * p + j] * G[b * p + j];
          C[c * q * q + a * q + b] = s;
          C[c * q * q + b * q + a] = s;
        }
      }
    }
  }
}

/**
 * A pattern with fewer rows than a third of its observed columns takes the row-wise pass: its
 * per-iteration setup there is O(k q^3 + k q^2 p) for q missing columns instead of the O(k p^3)
 * marginal factorisation, and each row costs O(k d^2) in TypeScript instead of O(k p^2) in the
 * kernels (about 5x faster), so the row-wise pass wins for rows < p / 3 (measured at d = 20: 17 000
 * single-row patterns, 43x the complete-data iteration through the kernels).
 */
export const smallPattern = (rows: number, observed: number): boolean => 3 * rows < observed;

/**
 * The E-step and statistics of small patterns row by row, from the full precision P = U U^T of each
 * component: with q missing columns, P_mm = R R^T gives the conditional covariance C = P_mm^-1, the
 * regression x̂_m - mu_m = B (x_o - mu_o) with B = -P_mm^-1 P_mo, and the marginal density of x_o
 * without factorising Sigma_oo: (x_o - mu_o)^T Sigma_oo^-1 (x_o - mu_o) = (x̂ - mu)^T P (x̂ - mu) and
 * log det Sigma_oo = log det Sigma + log det P_mm.
 */
class RowwisePatterns {
  private readonly P: Float64Array;
  private readonly R: Float64Array;
  private readonly Rinv: Float64Array;
  private readonly B: Float64Array;
  private readonly C: Float64Array;
  private readonly cst: Float64Array;
  private readonly Y: Float64Array;
  private readonly lw: Float64Array;
  private readonly Nk: Float64Array;

  /** `groups`: the small patterns with their rows' observed values (rows x p) and weights. */
  constructor(
    readonly k: number,
    readonly d: number,
    readonly family: KernelFamily,
    readonly groups: { observed: Int32Array; missing: Int32Array; X: Float64Array; w: Float64Array | null }[],
  ) {
    const q = groups.reduce((most, g) => Math.max(most, g.missing.length), 0);
    this.P = new Float64Array(family === 'tri' ? k * d * d : k * d);
    this.R = new Float64Array(q * q);
    this.Rinv = new Float64Array(q * q);
    this.B = new Float64Array(k * q * d);
    this.C = new Float64Array(k * q * q);
    this.cst = new Float64Array(k);
    this.Y = new Float64Array(k * d);
    this.lw = new Float64Array(k);
    this.Nk = new Float64Array(k);
  }

  /** Adds the small patterns' statistics about p.means to `out`. */
  pass(p: KernelParams, out: Stats): void {
    const { k, d, P, R, Rinv, B, C, cst, Y, lw, Nk } = this;
    const tri = this.family === 'tri';
    const packed = (d * (d + 1)) / 2;
    // P_c = U U^T ('tri', U[i][j] at c * packed + j(j+1)/2 + i); 'diag': the precisions.
    for (let c = 0; c < k; c++) {
      if (!tri) {
        for (let j = 0; j < d; j++) P[c * d + j] = p.precChol[c * d + j] ** 2;
        continue;
      }
      const u = c * packed;
      for (let a = 0; a < d; a++) {
        for (let b = a; b < d; b++) {
          let v = 0;
          for (let j = b; j < d; j++) v += p.precChol[u + (j * (j + 1)) / 2 + a] * p.precChol[u + (j * (j + 1)) / 2 + b];
          P[c * d * d + a * d + b] = v;
          P[c * d * d + b * d + a] = v;
        }
      }
    }
    for (const { observed: o, missing: m, X, w } of this.groups) {
      const po = o.length;
      const q = m.length;
      for (let c = 0; c < k; c++) {
        let halfLogDetPmm = 0;
        if (tri) {
          const Pc = c * d * d;
          for (let a = 0; a < q; a++) {
            for (let b = 0; b <= a; b++) {
              let v = P[Pc + m[a] * d + m[b]];
              for (let t = 0; t < b; t++) v -= R[a * q + t] * R[b * q + t];
              if (a === b) {
                if (!(v > 0)) throw new GaussianMixtureError('NUMERICAL_FAILURE', `Component ${c}'s precision restricted to the missing columns [${Array.from(m).join(', ')}] is not positive definite in floating point; increase regCovar or scale the data.`);
                R[a * q + a] = Math.sqrt(v);
                halfLogDetPmm += Math.log(R[a * q + a]);
              } else {
                R[a * q + b] = v / R[b * q + b];
              }
            }
          }
          for (let b = 0; b < q; b++) {
            Rinv[b * q + b] = 1 / R[b * q + b];
            for (let a = b + 1; a < q; a++) {
              let v = 0;
              for (let t = b; t < a; t++) v += R[a * q + t] * Rinv[t * q + b];
              Rinv[a * q + b] = -v / R[a * q + a];
            }
          }
          // C = P_mm^-1 = Rinv^T Rinv; B = -C P_mo.
          for (let a = 0; a < q; a++) {
            for (let b = 0; b <= a; b++) {
              let v = 0;
              for (let t = a; t < q; t++) v += Rinv[t * q + a] * Rinv[t * q + b];
              C[c * q * q + a * q + b] = v;
              C[c * q * q + b * q + a] = v;
            }
          }
          for (let a = 0; a < q; a++) {
            for (let j = 0; j < po; j++) {
              let v = 0;
              for (let t = 0; t < q; t++) v += C[c * q * q + a * q + t] * P[Pc + m[t] * d + o[j]];
              B[c * q * d + a * d + j] = -v;
            }
          }
          cst[c] = p.logWeights[c] - 0.5 * po * LOG_2PI + p.logDet[c] - halfLogDetPmm;
        } else {
          let ld = 0;
          for (let j = 0; j < po; j++) ld += Math.log(p.precChol[c * d + o[j]]);
          for (let a = 0; a < q; a++) C[c * q + a] = 1 / P[c * d + m[a]];
          cst[c] = p.logWeights[c] - 0.5 * po * LOG_2PI + ld;
        }
      }
      Nk.fill(0);
      const rows = X.length / po;
      for (let i = 0; i < rows; i++) {
        const x = i * po;
        let top = -Infinity;
        for (let c = 0; c < k; c++) {
          const y = c * d;
          const mu = c * d;
          for (let j = 0; j < po; j++) Y[y + o[j]] = X[x + j] - p.means[mu + o[j]];
          let quad = 0;
          if (tri) {
            for (let a = 0; a < q; a++) {
              let v = 0;
              for (let j = 0; j < po; j++) v += B[c * q * d + a * d + j] * Y[y + o[j]];
              Y[y + m[a]] = v;
            }
            const Pc = c * d * d;
            for (let a = 0; a < d; a++) {
              let v = 0.5 * P[Pc + a * d + a] * Y[y + a];
              for (let b = a + 1; b < d; b++) v += P[Pc + a * d + b] * Y[y + b];
              quad += 2 * Y[y + a] * v;
            }
          } else {
            for (let a = 0; a < q; a++) Y[y + m[a]] = 0;
            for (let j = 0; j < po; j++) quad += P[c * d + o[j]] * Y[y + o[j]] ** 2;
          }
          lw[c] = cst[c] - 0.5 * quad;
          if (lw[c] > top) top = lw[c];
        }
        let sum = 0;
        for (let c = 0; c < k; c++) sum += Math.exp(lw[c] - top);
        const lse = top + Math.log(sum);
        const wi = w ? w[i] : 1;
        out.logLik += wi * lse;
        out.weightSum += wi;
        for (let c = 0; c < k; c++) {
          const r = wi * Math.exp(lw[c] - lse);
          Nk[c] += r;
          out.N[c] += r;
          const y = c * d;
          for (let a = 0; a < d; a++) out.S1[c * d + a] += r * Y[y + a];
          if (tri) {
            for (let a = 0; a < d; a++) {
              const ra = r * Y[y + a];
              for (let b = a; b < d; b++) out.S2[c * d * d + a * d + b] += ra * Y[y + b];
            }
          } else {
            for (let a = 0; a < d; a++) out.S2[c * d + a] += r * Y[y + a] * Y[y + a];
          }
        }
      }
      // The conditional covariance of the missing block, once per pattern: sum_i r_ik C_k = N_k C_k.
      for (let c = 0; c < k; c++) {
        for (let a = 0; a < q; a++) {
          if (!tri) {
            out.S2[c * d + m[a]] += Nk[c] * C[c * q + a];
            continue;
          }
          for (let b = 0; b < q; b++) {
            if (m[a] <= m[b]) out.S2[c * d * d + m[a] * d + m[b]] += Nk[c] * C[c * q * q + a * q + b];
          }
        }
      }
    }
  }
}

const LOG_2PI = Math.log(2 * Math.PI);

/** One pattern's rows in the backend, its conditionals and its statistics (p features). */
interface PatternPass {
  handle: DataHandle;
  cond: Conditional;
  stats: SufficientStatistics;
}

/**
 * The EM pass over incomplete data: one fused kernel pass over the complete rows (today's fast path)
 * and one per missingness pattern on its observed columns, whose statistics are completed with the
 * conditional means and covariances (see the top of this file). Overwrites `out`, shift = p.means.
 * Owns its data handles: `release` frees them.
 */
export class MissingEngine implements PassEngine {
  private readonly complete: DataHandle | null;
  private readonly parts: PatternPass[];
  private readonly rowwise: RowwisePatterns | null;
  private readonly cov: Float64Array;
  private readonly T: Float64Array;
  private readonly BS: Float64Array;

  /**
   * X: n x d with NaN marking missing entries (grouped by `patterns`, default groupByPattern(X));
   * weights: length n or null. Copies the rows into the backend (small patterns, `small`(rows,
   * observed columns) true, into this engine: the row-wise pass).
   */
  constructor(
    readonly backend: Backend,
    X: Rows,
    weights: Float64Array | null,
    readonly k: number,
    readonly family: KernelFamily,
    patterns: Patterns = groupByPattern(X),
    small: (rows: number, observed: number) => boolean = smallPattern,
  ) {
    const d = X.cols;
    const all = Int32Array.from({ length: d }, (_, j) => j);
    this.complete = patterns.complete.length > 0 ? backend.load(gather(X, patterns.complete, all), gatherWeights(weights, patterns.complete)) : null;
    const isSmall = (pat: Pattern): boolean => small(pat.rows.length, pat.observed.length);
    const few = patterns.incomplete.filter(isSmall);
    this.rowwise = few.length === 0 ? null : new RowwisePatterns(k, d, family, few.map(({ observed, missing, rows }) => ({
      observed, missing, X: gather(X, rows, observed).data, w: gatherWeights(weights, rows),
    })));
    this.parts = patterns.incomplete.filter((pat) => !isSmall(pat)).map(({ observed, missing, rows }) => ({
      handle: backend.load(gather(X, rows, observed), gatherWeights(weights, rows)),
      cond: new Conditional(k, d, family, observed, missing),
      stats: new SufficientStatistics(k, observed.length, family),
    }));
    this.cov = new Float64Array(family === 'tri' ? k * d * d : k * d);
    this.T = new Float64Array(d * d);
    this.BS = new Float64Array(d * d);
  }

  emPass(p: KernelParams, out: Stats): void {
    if (this.complete) {
      this.backend.emPass(this.complete, p, out);
    } else {
      out.clear();
      out.shift.set(p.means);
    }
    this.rowwise?.pass(p, out);
    if (this.parts.length === 0) return;
    covariancesOf(p, this.cov);
    for (const part of this.parts) {
      part.cond.update(p, this.cov);
      this.backend.emPass(part.handle, part.cond.params, part.stats);
      this.addCompleted(part, out);
    }
  }

  /** Adds a pattern's statistics, completed with its conditional means and covariances, to `out`. */
  private addCompleted({ cond, stats }: PatternPass, out: Stats): void {
    const { k, d, observed: o, missing: m, B, C } = cond;
    const p = o.length;
    const q = m.length;
    out.logLik += stats.logLik;
    out.weightSum += stats.weightSum;
    for (let c = 0; c < k; c++) {
      const n = stats.N[c];
      out.N[c] += n;
      const s1 = c * p;
      const t1 = c * d;
      if (this.family === 'diag') {
        for (let j = 0; j < p; j++) {
          out.S1[t1 + o[j]] += stats.S1[s1 + j];
          out.S2[t1 + o[j]] += stats.S2[s1 + j];
        }
        for (let a = 0; a < q; a++) out.S2[t1 + m[a]] += n * C[c * q + a];
        continue;
      }
      const Bc = c * q * p;
      const Sp = c * p * p; // upper triangle i <= j filled
      const sp = (i: number, j: number): number => (i <= j ? stats.S2[Sp + i * p + j] : stats.S2[Sp + j * p + i]);
      for (let j = 0; j < p; j++) out.S1[t1 + o[j]] += stats.S1[s1 + j];
      for (let a = 0; a < q; a++) {
        let s = 0;
        for (let j = 0; j < p; j++) s += B[Bc + a * p + j] * stats.S1[s1 + j];
        out.S1[t1 + m[a]] += s;
      }
      // The completed scatter T (d x d, original column order).
      const { T, BS } = this;
      for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) T[o[i] * d + o[j]] = sp(i, j);
      for (let a = 0; a < q; a++) {
        for (let j = 0; j < p; j++) {
          let s = 0;
          for (let i = 0; i < p; i++) s += B[Bc + a * p + i] * sp(i, j);
          BS[a * p + j] = s;
          T[m[a] * d + o[j]] = s;
          T[o[j] * d + m[a]] = s;
        }
      }
      for (let a = 0; a < q; a++) {
        for (let b = 0; b < q; b++) {
          let s = n * C[c * q * q + a * q + b];
          for (let j = 0; j < p; j++) s += BS[a * p + j] * B[Bc + b * p + j];
          T[m[a] * d + m[b]] = s;
        }
      }
      const t2 = c * d * d;
      for (let u = 0; u < d; u++) for (let v = u; v < d; v++) out.S2[t2 + u * d + v] += T[u * d + v];
    }
  }

  release(): void {
    if (this.complete) this.backend.release(this.complete);
    for (const part of this.parts) this.backend.release(part.handle);
  }
}

/**
 * Visits X's complete rows (cond null, the full parameters) and each missingness pattern (its
 * marginal parameters and conditionals), each loaded into the backend for the visit only.
 */
function eachGroup(
  backend: Backend,
  X: Rows,
  p: KernelParams,
  visit: (rows: Int32Array, params: KernelParams, h: DataHandle, cond: Conditional | null) => void,
): void {
  const { complete, incomplete } = groupByPattern(X);
  const d = X.cols;
  const groups: { rows: Int32Array; cond: Conditional | null; cols: ArrayLike<number> }[] = [];
  if (complete.length > 0) groups.push({ rows: complete, cond: null, cols: Int32Array.from({ length: d }, (_, j) => j) });
  let cov: Float64Array | null = null;
  for (const pat of incomplete) {
    if (cov === null) {
      cov = new Float64Array(p.family === 'tri' ? p.k * d * d : p.k * d);
      covariancesOf(p, cov);
    }
    const cond = new Conditional(p.k, d, p.family, pat.observed, pat.missing);
    cond.update(p, cov);
    groups.push({ rows: pat.rows, cond, cols: pat.observed });
  }
  for (const g of groups) {
    const h = backend.load(gather(X, g.rows, g.cols), null);
    try {
      visit(g.rows, g.cond ? g.cond.params : p, h, g.cond);
    } finally {
      backend.release(h);
    }
  }
}

/**
 * score() for rows with missing entries: log p(x_i,o) into `logProb` (length n) and, when given, the
 * responsibilities from the observed coordinates into `resp` (n x k). Returns sum_i log p(x_i,o).
 */
export function scoreIncomplete(backend: Backend, X: Rows, p: KernelParams, logProb: Float64Array, resp: Float64Array | null): number {
  const { k } = p;
  let total = 0;
  eachGroup(backend, X, p, (rows, params, h) => {
    const lp = new Float64Array(rows.length);
    const r = resp ? new Float64Array(rows.length * k) : null;
    total += backend.score(h, params, lp, r);
    for (let i = 0; i < rows.length; i++) {
      logProb[rows[i]] = lp[i];
      if (r) resp!.set(r.subarray(i * k, (i + 1) * k), rows[i] * k);
    }
  });
  return total;
}

/**
 * X with each missing entry replaced by E[x_m | x_o] = sum_k r_k (mu_k,m + B_k (x_o - mu_k,o)) under
 * the mixture p (r_k: responsibilities from x_o); and, when `withVariances`, the conditional
 * variances Var[x_j | x_o] = sum_k r_k (C_k,jj + (x̂_k,j - x̂_j)^2) (0 for observed entries).
 * Observed entries are copied unchanged.
 */
export function imputeRows(backend: Backend, X: Rows, p: KernelParams, withVariances: boolean): { X: Matrix<Float64Array>; variances: Matrix<Float64Array> | null } {
  const { rows: n, cols: d } = X;
  const { k } = p;
  const out = Float64Array.from(X.data.subarray(0, n * d));
  const variances = withVariances ? new Float64Array(n * d) : null;
  eachGroup(backend, X, p, (rows, params, h, cond) => {
    if (cond === null) return;
    const { observed: o, missing: m, B, C } = cond;
    const pp = o.length;
    const q = m.length;
    const r = new Float64Array(rows.length * k);
    backend.score(h, params, new Float64Array(rows.length), r);
    const mean = new Float64Array(q);
    const each = new Float64Array(k * q); // E[x_m | x_o, component c]
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] * d;
      mean.fill(0);
      for (let c = 0; c < k; c++) {
        for (let a = 0; a < q; a++) {
          let v = p.means[c * d + m[a]];
          if (p.family === 'tri') {
            for (let j = 0; j < pp; j++) v += B[c * q * pp + a * pp + j] * (X.data[row + o[j]] - p.means[c * d + o[j]]);
          }
          each[c * q + a] = v;
          mean[a] += r[i * k + c] * v;
        }
      }
      for (let a = 0; a < q; a++) out[row + m[a]] = mean[a];
      if (!variances) continue;
      // Law of total variance, about the mixture mean (no cancellation of large second moments).
      for (let a = 0; a < q; a++) {
        let v = 0;
        for (let c = 0; c < k; c++) {
          const dev = each[c * q + a] - mean[a];
          v += r[i * k + c] * ((p.family === 'tri' ? C[c * q * q + a * q + a] : C[c * q + a]) + dev * dev);
        }
        variances[row + m[a]] = v;
      }
    }
  });
  return { X: { data: out, rows: n, cols: d }, variances: variances && { data: variances, rows: n, cols: d } };
}
