/**
 * mclust's default EM start: model-based agglomerative hierarchical clustering under the VVV model
 * on the "SVD" coordinates (`hc(X, modelName = "VVV", use = "SVD")`), cut into K groups as
 * `hclass(tree, K)` does (Fraley 1998, "Algorithms for model-based Gaussian hierarchical
 * clustering", SIAM J. Sci. Comput. 20(1)). Written from mclust 6.0.0's R and Fortran (`hcvvv`),
 * criterion, initial partition and tie rule included, so that the merge sequence is mclust's except
 * where two candidates differ only by rounding (then mclust's choice rests on its LAPACK SVD).
 */
import type { Matrix } from './types.js';
import type { Random } from './random.js';
import { sampleIndices } from './kmeans.js';
import { symmetricEigen } from './eigen.js';

type Rows = Matrix<Float64Array> | Matrix<Float32Array>;

/**
 * Rows above which the tree is built on a seeded subsample of this many rows: mclust's
 * `mclust.options("subset")`, 2000 in mclust 6.0.0 (R/options.R). The tree needs
 * O(rows^2) memory (8 bytes per pair) and roughly O(rows^2 d^3) time.
 */
export const HC_MAX_ROWS = 2000;

/** Directions whose squared singular value is below this fraction of the largest are dropped (numerically collinear columns). */
const RANK_TOL = 1e-10;
const EPS = 2.220446049250313e-16;
const RTHALF = Math.SQRT1_2;

/**
 * mclust's `use = "SVD"` coordinates, fitted on some rows and applicable to any row:
 * z = ((x - center) / scale) V diag(1 / sqrt(s)), with the SVD X_std = U diag(s) V^T of the
 * standardised rows. Note that dividing by sqrt(s), not s, leaves Z with covariance proportional to
 * diag(s): the directions keep a trace of their spread.
 */
export interface SvdTransform {
  /** The columns of X that are used: constant ones are dropped (R's `scale` makes them NaN and mclust's `dropCols` drops them). */
  columns: Int32Array;
  /** Mean of each used column. */
  center: Float64Array;
  /** Standard deviation of each used column (n - 1 denominator, as R's `scale`). */
  scale: Float64Array;
  /** columns.length x p, row-major: the right singular vectors kept. */
  V: Float64Array;
  /** 1 / sqrt(s_j) for the p directions kept, largest s first. */
  weight: Float64Array;
  /** Dimension of the coordinates (0 when every column is constant). */
  p: number;
}

/**
 * Fits the "SVD" transform on the given rows of X (row indices, at least one). Preconditions: finite
 * values. Constant columns are dropped; so are singular directions with s_j^2 <= 1e-10 s_max^2
 * (exactly collinear columns give s_j = 0, where mclust's 1/sqrt(s_j) would be infinite).
 */
export function svdTransform(X: Rows, rows: ArrayLike<number>): SvdTransform {
  const { data, cols: d } = X;
  const m = rows.length;
  const kept: number[] = [];
  const means: number[] = [];
  const sds: number[] = [];
  for (let j = 0; j < d; j++) {
    const first = data[rows[0] * d + j];
    let constant = true;
    // Neumaier-compensated, close to R's long-double colMeans and sum.
    let s = 0;
    let c = 0;
    for (let r = 0; r < m; r++) {
      const x = data[rows[r] * d + j];
      if (x !== first) constant = false;
      const t = s + x;
      c += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s;
      s = t;
    }
    if (constant) continue;
    const mean = (s + c) / m;
    s = 0;
    c = 0;
    for (let r = 0; r < m; r++) {
      const x = data[rows[r] * d + j] - mean;
      const x2 = x * x;
      const t = s + x2;
      c += s >= x2 ? s - t + x2 : x2 - t + s;
      s = t;
    }
    kept.push(j);
    means.push(mean);
    sds.push(Math.sqrt((s + c) / (m - 1)));
  }
  const q = kept.length;
  const columns = Int32Array.from(kept);
  const center = Float64Array.from(means);
  const scale = Float64Array.from(sds);

  // Right singular vectors and singular values from the eigen-decomposition of X_std^T X_std.
  const G = new Float64Array(q * q);
  const row = new Float64Array(q);
  for (let r = 0; r < m; r++) {
    for (let a = 0; a < q; a++) row[a] = (data[rows[r] * d + columns[a]] - center[a]) / scale[a];
    for (let a = 0; a < q; a++) for (let b = a; b < q; b++) G[a * q + b] += row[a] * row[b];
  }
  const lambda = new Float64Array(q);
  const E = new Float64Array(q * q);
  symmetricEigen(G, 0, q, lambda, E);
  // Eigenvalues come largest first; s_j = sqrt(lambda_j).
  let p = 0;
  while (p < q && lambda[p] > RANK_TOL * lambda[0]) p++;
  const V = new Float64Array(q * p);
  const weight = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    weight[j] = 1 / Math.sqrt(Math.sqrt(lambda[j]));
    for (let a = 0; a < q; a++) V[a * p + j] = E[a * q + j];
  }
  return { columns, center, scale, V, weight, p };
}

/** The transformed coordinates of the given rows of X: rows.length x t.p, row-major. */
export function transformRows(t: SvdTransform, X: Rows, rows: ArrayLike<number>): Float64Array {
  const { data, cols: d } = X;
  const { columns, center, scale, V, weight, p } = t;
  const q = columns.length;
  const m = rows.length;
  const Z = new Float64Array(m * p);
  const x = new Float64Array(q);
  for (let r = 0; r < m; r++) {
    for (let a = 0; a < q; a++) x[a] = (data[rows[r] * d + columns[a]] - center[a]) / scale[a];
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let a = 0; a < q; a++) s += x[a] * V[a * p + j];
      // (X V) then the diagonal scaling, in that order, as R's data %*% V %*% diag(1/sqrt(s)).
      Z[r * p + j] = s * weight[j];
    }
  }
  return Z;
}

/**
 * The VVV agglomeration (mclust's Fortran `hcvvv` with `hcVVV`'s defaults alpha = 1, beta = 1,
 * minclus = 1) of the n rows of Z (row-major n x p, n >= 1, p >= 1), every row starting as its own group:
 * `hc` declares `partition = dupPartition(data)` but never passes it on (match.call() omits
 * defaults), so mclust starts from 1:n too, and duplicated rows merge early because their merge
 * costs least, not because they start together. Returns the n - 1 merges as
 * pairs (a, b), a < b, flat: mclust's convention with 0-based labels, where a group is named by its
 * smallest row index (so mclust's `merges` are these plus 1).
 *
 * Criterion. A group of n_k rows with scatter matrix W_k (trace t_k) has the term
 *   1 row:          log(alpha beta)
 *   n_k <= p:       n_k log(beta (t_k + alpha) / n_k)
 *   n_k > p:        n_k log(det(W_k / n_k) + beta (t_k + alpha) / n_k)
 * with alpha = 1 x traceW(Z / sqrt(n p)) (the trace of the scatter of Z, over n p) and beta = 1, so
 * small groups are regularised rather than singular. Two single rows always use the 2 log(beta (t + alpha) / 2)
 * form (also when p = 1), a group whose rows are all equal has n_k log(alpha beta / n_k), and a
 * group whose scatter is singular (fewer than p linearly independent merge vectors, as when it holds
 * duplicated rows) drops the determinant, as `hcvvv`'s triangular factor then has an exact zero pivot
 * (its det2mc returns -FLMAX and vvvtij falls back to the trace term; the fixtures confirm it). Each step merges
 * the pair whose merged term minus the two terms is smallest.
 *
 * Ties and order: groups live in slots 0..g-1; the merged group takes the smaller slot and the last
 * slot moves into the freed one, and among equal criteria the pair (i, j), i < j, with the largest j,
 * then the largest i, wins. That is `hcvvv`'s scan of its packed distance array with `.le.`, and it
 * decides the order in which exactly tied pairs (duplicated rows) merge.
 *
 * Memory n (n - 1) / 2 doubles; time O(n^2) criterion evaluations (O(p) each, O(p^3) once a merged
 * group exceeds p rows) plus the rescans of columns whose best partner took part in a merge.
 */
export function hcMerges(Z: Float64Array, n: number, p: number): Int32Array {
  const merges = new Int32Array(2 * Math.max(0, n - 1));
  if (n >= 2) new Agglomeration(Z, n, p).run(merges);
  return merges;
}

/**
 * State of one `hcMerges` run, as a class rather than closures so that the hot methods keep their
 * optimised code from one call to the next. Groups live in slots 0..groups-1.
 */
class Agglomeration {
  private readonly n: number;
  private readonly p: number;
  /** p (p + 1) / 2: size of a packed lower-triangular p x p matrix. */
  private readonly pp: number;
  private readonly alpha: number;
  private readonly beta = 1;
  private readonly abLog: number;
  private readonly count: Int32Array;
  /** Number of linearly independent merge vectors behind the group's scatter, at most p. */
  private readonly rank: Int32Array;
  /** Smallest row index in the group: mclust's name for it. */
  private readonly label: Int32Array;
  private readonly trace: Float64Array;
  private readonly term: Float64Array;
  /** sqrt(n_k) x mean of group k (hcvvv's group heads), row-major. */
  private readonly head: Float64Array;
  /** Packed lower scatter matrices W_k. */
  private readonly W: Float64Array;
  /** D[j (j - 1) / 2 + i] = criterion of merging slots i < j (hcvvv's packed array). */
  private readonly D: Float64Array;
  /** Best (lowest, last among equals) entry of each column j of D, and its row. */
  private readonly colMin: Float64Array;
  private readonly colArg: Int32Array;
  /** The merge vector sqrt(n_a n_b / n) (mean_a - mean_b) of the last pairCost. */
  private readonly v: Float64Array;
  /** Cholesky scratch (packed p x p). */
  private readonly F: Float64Array;
  // Outputs of pairCost and mergedDet.
  private pairTrace = 0;
  private pairTerm = 0;
  private pairVV = 0;
  private detExp = 0;

  constructor(Z: Float64Array, n: number, p: number) {
    this.n = n;
    this.p = p;
    this.pp = (p * (p + 1)) / 2;
    let ss = 0;
    const scaleZ = 1 / Math.sqrt(n * p);
    for (let j = 0; j < p; j++) {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += Z[i * p + j] * scaleZ;
      mean /= n;
      for (let i = 0; i < n; i++) {
        const t = Z[i * p + j] * scaleZ - mean;
        ss += t * t;
      }
    }
    this.alpha = Math.max(ss, EPS);
    this.abLog = Math.log(this.alpha * this.beta);
    this.count = new Int32Array(n).fill(1);
    this.rank = new Int32Array(n);
    this.label = Int32Array.from({ length: n }, (_, i) => i);
    this.trace = new Float64Array(n);
    this.term = new Float64Array(n).fill(this.abLog);
    this.head = Z.slice(0, n * p);
    this.W = new Float64Array(n * this.pp);
    this.D = new Float64Array((n * (n - 1)) / 2);
    this.colMin = new Float64Array(n).fill(Infinity);
    this.colArg = new Int32Array(n);
    this.v = new Float64Array(p);
    this.F = new Float64Array(this.pp);
  }

  /** Runs all n - 1 merges, writing their label pairs to `merges`. */
  run(merges: Int32Array): void {
    const { n, p, pp, count, rank, label, trace, term, head, W, D, colMin, colArg, v } = this;
    this.firstPass();

    let groups = n;
    let last = -1; // slot of the group formed by the previous merge
    for (let step = 0; step < n - 1; step++) {
      let jopt = 1;
      for (let j = 2; j < groups; j++) if (colMin[j] <= colMin[jopt]) jopt = j;
      const iopt = colArg[jopt];
      const dopt = colMin[jopt];

      // The merged group, into slot iopt.
      this.pairCost(iopt, jopt);
      const nij = count[iopt] + count[jopt];
      // hcvvv keeps the term it computed in the same sweep (first pass, or the previous merge's row), or else rebuilds it from the stored criterion.
      const newTerm = step === 0 || iopt === last || jopt === last ? this.pairTerm : dopt + (term[iopt] + term[jopt]);
      const sa = Math.sqrt(count[iopt] / nij);
      const sb = Math.sqrt(count[jopt] / nij);
      for (let k = 0; k < p; k++) head[iopt * p + k] = sa * head[iopt * p + k] + sb * head[jopt * p + k];
      const wi = iopt * pp;
      const wj = jopt * pp;
      for (let r = 0, o = 0; r < p; r++) for (let c = 0; c <= r; c++, o++) W[wi + o] += W[wj + o] + v[r] * v[c];
      rank[iopt] = Math.min(p, rank[iopt] + rank[jopt] + (this.pairVV > 0 ? 1 : 0));
      trace[iopt] = this.pairTrace;
      term[iopt] = newTerm;
      count[iopt] = nij;
      const la = label[iopt];
      const lb = label[jopt];
      merges[2 * step] = Math.min(la, lb);
      merges[2 * step + 1] = Math.max(la, lb);
      label[iopt] = Math.min(la, lb);

      // The last slot moves into jopt.
      const tail = groups - 1;
      if (jopt !== tail) {
        count[jopt] = count[tail];
        rank[jopt] = rank[tail];
        label[jopt] = label[tail];
        trace[jopt] = trace[tail];
        term[jopt] = term[tail];
        head.copyWithin(jopt * p, tail * p, (tail + 1) * p);
        W.copyWithin(jopt * pp, tail * pp, (tail + 1) * pp);
        const jb = (jopt * (jopt - 1)) / 2;
        const tb = (tail * (tail - 1)) / 2;
        for (let i = 0; i < jopt; i++) D[jb + i] = D[tb + i];
        for (let k = jopt + 1; k < tail; k++) D[(k * (k - 1)) / 2 + jopt] = D[tb + k];
      }
      groups--;
      last = iopt;
      if (groups < 2) break;

      this.updateRow(iopt, jopt, groups);
    }
  }

  /** All pairs of single rows: pairCost's first case, inlined because it is n (n - 1) / 2 calls. */
  private firstPass(): void {
    const { n, p, head, D } = this;
    const singles = this.abLog + this.abLog;
    for (let j = 1; j < n; j++) {
      const base = (j * (j - 1)) / 2;
      for (let i = 0; i < j; i++) {
        let vv = 0;
        for (let k = 0; k < p; k++) {
          const t = (head[i * p + k] - head[j * p + k]) * RTHALF;
          vv += t * t;
        }
        D[base + i] = 2 * Math.log((this.beta * (vv + this.alpha)) / 2) - singles;
      }
      this.rescan(j);
    }
  }

  /**
   * After the merge into slot iopt (and the move of the last slot into jopt, unless jopt was last):
   * the criteria of the new group against all others, and the column minima they affect.
   */
  private updateRow(iopt: number, jopt: number, groups: number): void {
    const { D, colArg } = this;
    const ib = (iopt * (iopt - 1)) / 2;
    for (let i = 0; i < iopt; i++) D[ib + i] = this.pairCost(i, iopt);
    for (let k = iopt + 1; k < groups; k++) D[(k * (k - 1)) / 2 + iopt] = this.pairCost(iopt, k);

    if (iopt > 0) this.rescan(iopt);
    if (jopt < groups) this.rescan(jopt);
    for (let k = iopt + 1; k < groups; k++) {
      if (k === jopt) continue;
      const base = (k * (k - 1)) / 2;
      const moved = jopt < k && jopt < groups;
      if (colArg[k] === iopt || (moved && colArg[k] === jopt)) this.rescan(k);
      else {
        this.offer(k, iopt, D[base + iopt]);
        if (moved) this.offer(k, jopt, D[base + jopt]);
      }
    }
  }

  /** Criterion of merging slots a and b; sets pairTrace, pairTerm, pairVV and the merge vector v. */
  private pairCost(a: number, b: number): number {
    const { p, count, head, v, alpha, beta } = this;
    const na = count[a];
    const nb = count[b];
    const nij = na + nb;
    let vv = 0;
    if (na === 1 && nb === 1) {
      for (let k = 0; k < p; k++) {
        const t = (head[a * p + k] - head[b * p + k]) * RTHALF;
        v[k] = t;
        vv += t * t;
      }
    } else {
      // sqrt(na nb / nij) (mean_a - mean_b) from the sqrt(n)-scaled means.
      const sa = Math.sqrt(na / nij);
      const sb = Math.sqrt(nb / nij);
      for (let k = 0; k < p; k++) {
        const t = sb * head[a * p + k] - sa * head[b * p + k];
        v[k] = t;
        vv += t * t;
      }
    }
    const tr = this.trace[a] + this.trace[b] + vv;
    let trm: number;
    if (na === 1 && nb === 1) trm = 2 * Math.log((beta * (tr + alpha)) / 2);
    else if (nij <= p) trm = nij * Math.log((beta * (tr + alpha)) / nij);
    else if (tr === 0) trm = nij * Math.log((alpha * beta) / nij);
    else {
      const c = (beta * (tr + alpha)) / nij;
      const det = this.rank[a] + this.rank[b] + (vv > 0 ? 1 : 0) >= p ? this.mergedDet(a, b, nij) : 0;
      if (det === 0) trm = nij * Math.log(c);
      else if (this.detExp === 0) trm = nij * Math.log(det + c);
      else {
        // hcvvv's overflow-safe forms of n log(det + c).
        const detLog = Math.log(det) + this.detExp;
        if (detLog <= 0) trm = nij * Math.log(Math.exp(detLog) + c);
        else trm = nij * (Math.log(1 + Math.exp(-detLog) * c) + detLog);
      }
    }
    this.pairTrace = tr;
    this.pairTerm = trm;
    this.pairVV = vv;
    return trm - (this.term[a] + this.term[b]);
  }

  /**
   * det((W_a + W_b + v v^T) / nij) by Cholesky, as the returned value x e^detExp (detExp stays 0
   * unless the running product leaves [1e-280, 1e280]); 0 when the matrix is not positive definite.
   * Each entry of the matrix is formed where the factorisation first reads it (a separate pass that
   * stored them all first made the 2 000-row tree 16 % slower, BENCHMARKS.md), and F keeps the
   * factor's off-diagonal entries.
   */
  private mergedDet(a: number, b: number, nij: number): number {
    const { p, pp, W, v, F } = this;
    const wa = a * pp;
    const wb = b * pp;
    const inv = 1 / nij;
    let det = 1;
    this.detExp = 0;
    for (let j = 0; j < p; j++) {
      const jj = (j * (j + 1)) / 2;
      const vj = v[j];
      let s = W[wa + jj + j] + W[wb + jj + j] + vj * vj;
      for (let k = 0; k < j; k++) s -= F[jj + k] * F[jj + k];
      if (!(s > 0)) return 0;
      const ljj = Math.sqrt(s);
      det *= s * inv;
      if (det < 1e-280 || det > 1e280) {
        this.detExp += Math.log(det);
        det = 1;
      }
      for (let i = j + 1; i < p; i++) {
        const ii = (i * (i + 1)) / 2;
        let t = W[wa + ii + j] + W[wb + ii + j] + v[i] * vj;
        for (let k = 0; k < j; k++) t -= F[ii + k] * F[jj + k];
        F[ii + j] = t / ljj;
      }
    }
    return det;
  }

  /** Recomputes column j's best row from scratch. */
  private rescan(j: number): void {
    const D = this.D;
    const base = (j * (j - 1)) / 2;
    let best = Infinity;
    let arg = 0;
    for (let i = 0; i < j; i++) {
      if (D[base + i] <= best) {
        best = D[base + i];
        arg = i;
      }
    }
    this.colMin[j] = best;
    this.colArg[j] = arg;
  }

  /** Column j's entry at row i changed to `val` while its best row is some other row. */
  private offer(j: number, i: number, val: number): void {
    if (val < this.colMin[j] || (val === this.colMin[j] && i > this.colArg[j])) {
      this.colMin[j] = val;
      this.colArg[j] = i;
    }
  }
}

/**
 * `hclass`: the partitions of m rows into K = 1..maxK groups (maxK <= m) from a merge list of
 * `hcMerges` (the first m - K merges make K groups). Labels 0..K-1 in order of first appearance.
 */
export function cutTree(merges: Int32Array, m: number, maxK: number): Int32Array[] {
  const parent = new Int32Array(m);
  for (let i = 0; i < m; i++) parent[i] = i;
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  };
  const out: Int32Array[] = new Array(maxK);
  const code = new Int32Array(m);
  let step = 0;
  for (let K = maxK; K >= 1; K--) {
    for (; m - step > K; step++) parent[find(merges[2 * step + 1])] = find(merges[2 * step]);
    code.fill(-1);
    const labels = new Int32Array(m);
    let next = 0;
    for (let i = 0; i < m; i++) {
      const r = find(i);
      if (code[r] < 0) code[r] = next++;
      labels[i] = code[r];
    }
    out[K - 1] = labels;
  }
  return out;
}

/** Number of distinct rows among the given rows of X. */
function distinctRows(X: Rows, rows: Int32Array): number {
  const { data, cols: d } = X;
  const cmp = (a: number, b: number): number => {
    for (let j = 0; j < d; j++) {
      const t = data[a * d + j] - data[b * d + j];
      if (t !== 0) return t;
    }
    return 0;
  };
  const sorted = rows.slice().sort(cmp);
  let distinct = sorted.length > 0 ? 1 : 0;
  for (let r = 1; r < sorted.length; r++) if (cmp(sorted[r - 1], sorted[r]) !== 0) distinct++;
  return distinct;
}

/**
 * Partitions into K = 1..maxK groups from one tree: result[K-1] is an Int32Array of length X.rows
 * with labels 0..K-1, every label used, numbered in order of first appearance among the rows the
 * tree was built on.
 *
 * The tree is mclust's `hc(X, modelName = "VVV", use = "SVD")` (see `hcMerges`) and result[K-1] its
 * `hclass(tree, K)`, equal to mclust's up to relabelling. It is built on all rows when
 * X.rows <= maxRows (then `rng` is not used); otherwise on maxRows rows drawn without replacement
 * with `rng` (taken in their original order; the SVD transform is fitted on them too, as mclust's `hc(data[subset, ])`). Those
 * rows keep their tree label, and every other row gets the label of the nearest group mean, by
 * Euclidean distance in the subsample's SVD coordinates (ties to the lower label); mclust instead
 * starts EM with an E-step on all rows from the subsample's M-step.
 *
 * maxK is capped at the number of distinct rows among the rows the tree is built on (a partition
 * with more groups would split identical rows), so the result is shorter when maxK asks for more;
 * it always has at least the one-group partition. Constant columns are ignored (all columns constant:
 * one group). Cost for a tree on m rows: m (m - 1) / 2 doubles (16 MB at m = 2000) and O(m^2)
 * criterion evaluations, those of groups larger than d at O(d^3) each.
 *
 * Preconditions: X has at least one row and finite values; maxK and maxRows are integers >= 1.
 */
export function hcPartitions(X: Rows, maxK: number, rng: Random, maxRows = HC_MAX_ROWS): Int32Array[] {
  const n = X.rows;
  if (!Number.isInteger(maxK) || maxK < 1) throw new RangeError(`maxK must be an integer >= 1, got ${maxK}.`);
  if (!Number.isInteger(maxRows) || maxRows < 1) throw new RangeError(`maxRows must be an integer >= 1, got ${maxRows}.`);
  if (n < 1) throw new RangeError('X must have at least one row.');
  const sampled = n > maxRows;
  const rows = sampled ? sampleIndices(n, maxRows, rng) : Int32Array.from({ length: n }, (_, i) => i);
  const m = rows.length;
  const kMax = Math.min(maxK, distinctRows(X, rows));
  if (kMax === 1) return [new Int32Array(n)];

  const t = svdTransform(X, rows);
  const p = t.p;
  const Z = transformRows(t, X, rows);
  const parts = cutTree(hcMerges(Z, m, p), m, kMax);
  if (!sampled) return parts;

  const all = transformRows(t, X, Int32Array.from({ length: n }, (_, i) => i));
  const inTree = new Int32Array(n).fill(-1);
  for (let r = 0; r < m; r++) inTree[rows[r]] = r;
  const means = new Float64Array(kMax * p);
  const sizes = new Float64Array(kMax);
  return parts.map((part, K1) => {
    const K = K1 + 1;
    means.fill(0, 0, K * p);
    sizes.fill(0, 0, K);
    for (let r = 0; r < m; r++) {
      const g = part[r];
      sizes[g]++;
      for (let j = 0; j < p; j++) means[g * p + j] += Z[r * p + j];
    }
    for (let g = 0; g < K; g++) for (let j = 0; j < p; j++) means[g * p + j] /= sizes[g];
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      if (inTree[i] >= 0) {
        labels[i] = part[inTree[i]];
        continue;
      }
      let best = Infinity;
      let arg = 0;
      for (let g = 0; g < K; g++) {
        let s = 0;
        for (let j = 0; j < p; j++) {
          const dz = all[i * p + j] - means[g * p + j];
          s += dz * dz;
        }
        if (s < best) {
          best = s;
          arg = g;
        }
      }
      labels[i] = arg;
    }
    return labels;
  });
}
