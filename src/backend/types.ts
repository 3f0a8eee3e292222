import type { KernelFamily, Matrix } from '../types.js';
import { SufficientStatistics } from '../statistics.js';
import type { MatrixSource } from '../input.js';

/**
 * Parameters in the layout the kernels read, packed once per parameter set (params.ts) and passed
 * with every call. For family 'tri', `precChol` holds the k precision factors U_k (U_k U_k^T =
 * Sigma_k^-1, scikit-learn's `precisions_cholesky_`) as packed lower triangles of U_k^T: row j of
 * U_k^T (= column j of U_k, entries i <= j) at offset c * d(d+1)/2 + j(j+1)/2; a tied model repeats
 * its one factor k times. For family 'diag', `precChol` holds k x d entries 1/sqrt(sigma^2_kj);
 * spherical repeats its one value d times. `logDet[k]` = sum_j ln U_k[j][j].
 */
export interface KernelParams {
  k: number;
  d: number;
  family: KernelFamily;
  logWeights: Float64Array; // k
  means: Float64Array; // k * d
  precChol: Float64Array; // k * d(d+1)/2 ('tri') or k * d ('diag')
  logDet: Float64Array; // k
}

/** The statistics the backends write: SufficientStatistics (statistics.ts). */
export type Stats = SufficientStatistics;

export function createStats(k: number, d: number, family: KernelFamily): Stats {
  return new SufficientStatistics(k, d, family);
}

export type BackendName = 'wasm' | 'wasm-scalar' | 'js';

type Rows = Matrix<Float64Array> | Matrix<Float32Array>;

/**
 * A data set loaded into a backend (`Backend.load`): the rows, their optional weights, in the
 * backend's own storage. A backend holds any number at once, so scoring other rows never touches the
 * data a fit is using; `release` frees one.
 */
export interface DataHandle {
  readonly rows: number;
  readonly cols: number;
  readonly weighted: boolean;
}

/**
 * The boundary between the EM loop (TypeScript, written once) and the hot loops. Every call is
 * synchronous and complete: it takes the data handle and the parameters it works with, so calls on
 * different data sets or parameters interleave safely. All outputs are written into caller-owned
 * arrays: nothing returned aliases backend memory. `dispose` releases the backend's memory and it
 * must not be used after.
 */
export interface Backend {
  readonly name: BackendName;

  /**
   * Loads rows to work on: a dense matrix or a validated MatrixSource (strided, integer, Arrow
   * batches), which the backend gathers and widens into its own storage in the one copy it makes
   * (float32 when `X.float32`, else float64). `weights` (length rows, non-negative) are per-sample
   * weights, or null for all ones. A matrix from `allocateData` is used in place; otherwise the
   * caller may reuse or mutate X afterwards.
   */
  load(X: Rows | MatrixSource, weights: Float64Array | null): DataHandle;

  /** Frees a handle's storage; the handle must not be used afterwards. */
  release(h: DataHandle): void;

  /**
   * The fused EM pass over h at parameters p: for every row, log-densities of all components,
   * log-sum-exp, responsibilities, and immediately the centred statistics about c_k = p.means. No
   * n x k matrix is kept. Overwrites `out` (its shift becomes p.means).
   */
  emPass(h: DataHandle, p: KernelParams, out: Stats): void;

  /**
   * Statistics of h from given responsibilities (rows x k, row-major) about the given shift (k x d).
   * Used by initialisation from hard labels. Overwrites `out`; `out.logLik` is set to 0.
   */
  accumulate(h: DataHandle, resp: Float64Array, shift: Float64Array, out: Stats): void;

  /**
   * Scores h at p: `logProb[i]` = log p(x_i) (length rows) and, when `resp` is given,
   * `resp[i*k + j]` = r_ij. Returns sum_i w_i log p(x_i).
   */
  score(h: DataHandle, p: KernelParams, logProb: Float64Array, resp: Float64Array | null): number;

  /**
   * Precision-Cholesky factors of k symmetric d x d covariances (row-major, k * d * d):
   * writes U_k (upper, zeros below) into `precChol` and sum_j ln U_k[j][j] into `logDet`.
   * Returns -1 on success, or the index of the first component whose covariance is not positive
   * definite (then the outputs are unspecified).
   */
  precisionCholesky(cov: Float64Array, k: number, d: number, precChol: Float64Array, logDet: Float64Array): number;

  /**
   * Optional: a rows x cols matrix living in the backend's own memory, which `load` then uses without
   * a copy (WebAssembly: a view of linear memory, with `room` bytes more reserved for what fitting it
   * allocates). Only the WASM backend implements it; the view is emptied by `dispose`, by another
   * `allocateData`, and when the memory grows beyond the room.
   */
  allocateData?(rows: number, cols: number, room: number): Matrix<Float64Array>;

  /** With allocateData: the bytes of the working set for k components of d features. */
  workBytes?(k: number, d: number, tri: boolean): number;

  dispose(): void;
}
