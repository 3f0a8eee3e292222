/** Covariance structure of the mixture components (scikit-learn names). */
export type CovarianceType = 'full' | 'tied' | 'diag' | 'spherical';

/**
 * Kernel family: 'full' and 'tied' share the triangular kernels (a tied model hands every component
 * the same factor); 'diag' and 'spherical' share the element-wise ones (spherical broadcasts its one
 * variance to d entries). Two kernel shapes serve four covariance types.
 */
export type KernelFamily = 'tri' | 'diag';

/** Row-major dense matrix. `data.length === rows * cols`. */
export interface Matrix<T extends Float64Array | Float32Array = Float64Array> {
  data: T;
  rows: number;
  cols: number;
}

/** What `fit`, `predict` and friends accept as X. */
export type MatrixInput =
  | number[][]
  | ArrayLike<number>[]
  | { data: Float64Array | Float32Array; rows: number; cols: number };

export function kernelFamily(type: CovarianceType): KernelFamily {
  return type === 'full' || type === 'tied' ? 'tri' : 'diag';
}
