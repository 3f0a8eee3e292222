import type { KernelFamily, Matrix } from '../types.js';

/**
 * Parameters in the layout the kernels read. For family 'tri', `precChol` holds k upper-triangular
 * d x d factors U_k (row-major, zeros below the diagonal) with U_k U_k^T = Sigma_k^-1 (scikit-learn's
 * `precisions_cholesky_`); a tied model repeats its one factor k times. For family 'diag',
 * `precChol` holds k x d entries 1/sqrt(sigma^2_kj); spherical repeats its one value d times.
 * `logDet[k]` = sum_j ln U_k[j][j] (the log-determinant of the precision Cholesky factor).
 */
export interface KernelParams {
  k: number;
  d: number;
  family: KernelFamily;
  logWeights: Float64Array; // k
  means: Float64Array; // k * d
  precChol: Float64Array; // k * d * d ('tri') or k * d ('diag')
  logDet: Float64Array; // k
}

/**
 * Sufficient statistics of one pass, summed over the rows (and over shards: they add up).
 * S1 and S2 are taken about a shift c_k (the means the E-step used, or the caller's shift):
 *   N[k]  = sum_i w_i r_ik
 *   S1[k] = sum_i w_i r_ik (x_i - c_k)                           (k * d)
 *   S2[k] = sum_i w_i r_ik (x_i - c_k)(x_i - c_k)^T             ('tri': k * d * d, upper triangle
 *                                                                 a <= b filled; 'diag': k * d)
 *   logLik = sum_i w_i log p(x_i),  weightSum = sum_i w_i (w_i = 1 without sample weights).
 */
export interface Stats {
  k: number;
  d: number;
  family: KernelFamily;
  N: Float64Array;
  S1: Float64Array;
  S2: Float64Array;
  logLik: number;
  weightSum: number;
}

export function createStats(k: number, d: number, family: KernelFamily): Stats {
  return {
    k,
    d,
    family,
    N: new Float64Array(k),
    S1: new Float64Array(k * d),
    S2: new Float64Array(family === 'tri' ? k * d * d : k * d),
    logLik: 0,
    weightSum: 0,
  };
}

export type BackendName = 'wasm' | 'wasm-scalar' | 'js';

/**
 * The boundary between the EM loop (TypeScript, written once) and the hot loops. A backend holds one
 * data set at a time (set with `setData`), plus the current parameters (set with `setParams`).
 * All outputs are written into caller-owned arrays: nothing returned aliases backend memory.
 * Every method is synchronous; `dispose` releases the backend's memory and it must not be used after.
 */
export interface Backend {
  readonly name: BackendName;

  /**
   * Load the rows to work on. `weights` (length rows, non-negative) are per-sample weights, or null
   * for all ones. `k` and `family` size the parameter and statistics storage. The backend copies what
   * it needs: the caller may reuse or mutate `X` afterwards.
   */
  setData(X: Matrix<Float64Array> | Matrix<Float32Array>, weights: Float64Array | null, k: number, family: KernelFamily): void;

  /** Set the parameters used by the next `emPass`/`score` call (copied in). */
  setParams(p: KernelParams): void;

  /**
   * The fused EM pass: for every row, log-densities of all components, log-sum-exp, responsibilities,
   * and immediately the centred statistics about c_k = the current means. No n x k matrix is kept.
   * Overwrites `out` (N, S1, S2, logLik, weightSum).
   */
  emPass(out: Stats): void;

  /**
   * Statistics from given responsibilities (n x k row-major) about the given shift (k x d).
   * Used by initialisation from hard labels. Overwrites `out`; `out.logLik` is set to 0.
   */
  accumulate(resp: Float64Array, shift: Float64Array, out: Stats): void;

  /**
   * Score the loaded rows with the current parameters: `logProb[i]` = log p(x_i) (length n) and, when
   * `resp` is given, `resp[i*k + j]` = r_ij. Returns sum_i w_i log p(x_i).
   */
  score(logProb: Float64Array, resp: Float64Array | null): number;

  /**
   * Precision-Cholesky factors of k symmetric d x d covariances (row-major, k * d * d):
   * writes U_k (upper, zeros below) into `precChol` and sum_j ln U_k[j][j] into `logDet`.
   * Returns -1 on success, or the index of the first component whose covariance is not positive
   * definite (then the outputs are unspecified).
   */
  precisionCholesky(cov: Float64Array, k: number, d: number, precChol: Float64Array, logDet: Float64Array): number;

  /**
   * Optional: a rows x cols matrix living in the backend's own memory, which `setData` then uses
   * without a copy (WebAssembly: a view of linear memory, with room reserved for fitting k components
   * of `family`). Only the WASM backend implements it.
   */
  allocateData?(rows: number, cols: number, k: number, family: KernelFamily): Matrix<Float64Array>;

  dispose(): void;
}
