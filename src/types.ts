import type { MclustModel } from './covariance-models.js';
import { MCLUST_MODELS, isDiagonalModel } from './covariance-models.js';

/** scikit-learn's four covariance types. */
export type SklearnCovarianceType = 'full' | 'tied' | 'diag' | 'spherical';

/**
 * Covariance structure of the mixture components: scikit-learn's four names or mclust's fourteen
 * (Sigma_k = lambda_k D_k A_k D_k^T; see covariance-models.ts). full = VVV, tied = EEE, diag = VVI and
 * spherical = VII compute the same model; only the shape of `covariances` differs.
 */
export type CovarianceType = SklearnCovarianceType | MclustModel;

export const SKLEARN_TYPES: readonly SklearnCovarianceType[] = ['full', 'tied', 'diag', 'spherical'];
export const COVARIANCE_TYPES: readonly CovarianceType[] = [...SKLEARN_TYPES, ...MCLUST_MODELS];

/** The mclust models that are scikit-learn's four under another name. */
const ALIASES: Partial<Record<MclustModel, SklearnCovarianceType>> = { VVV: 'full', EEE: 'tied', VVI: 'diag', VII: 'spherical' };
const MCLUST_OF: Record<SklearnCovarianceType, MclustModel> = { full: 'VVV', tied: 'EEE', diag: 'VVI', spherical: 'VII' };

export function isMclustName(type: CovarianceType): type is MclustModel {
  return !(SKLEARN_TYPES as readonly string[]).includes(type);
}

/** What the hot paths ask of a covariance type, computed once per name. */
interface Descriptor {
  storage: SklearnCovarianceType;
  family: KernelFamily;
  constrained: boolean;
}
const DESCRIPTORS = new Map<CovarianceType, Descriptor>(
  COVARIANCE_TYPES.map((t) => {
    const alias = isMclustName(t) ? ALIASES[t] : t;
    const storage = alias ?? (isDiagonalModel(t as MclustModel) ? 'diag' : 'full');
    return [t, { storage, family: storage === 'full' || storage === 'tied' ? 'tri' : 'diag', constrained: alias === undefined }];
  }),
);

/**
 * How a type's covariances are stored internally, and for the scikit-learn names and their aliases
 * also which M-step computes them: 'full' k*d*d, 'tied' d*d, 'diag' k*d, 'spherical' k. The other mclust
 * models are stored as 'diag' (the six diagonal ones) or 'full', with their own M-step.
 */
export function storageType(type: CovarianceType): SklearnCovarianceType {
  return DESCRIPTORS.get(type)!.storage;
}

/** True for the mclust models whose M-step is not one of scikit-learn's four. */
export function isConstrainedModel(type: CovarianceType): type is MclustModel {
  return DESCRIPTORS.get(type)!.constrained;
}

/** mclust's name of a covariance type (full -> VVV, ...). */
export function mclustName(type: CovarianceType): MclustModel {
  return isMclustName(type) ? type : MCLUST_OF[type];
}

/**
 * Kernel family: full and tied storage share the triangular kernels (a tied model hands every
 * component the same factor); diag and spherical share the element-wise ones (spherical broadcasts
 * its one variance to d entries). Two kernel shapes serve every covariance type.
 */
export type KernelFamily = 'tri' | 'diag';

/** Row-major dense matrix. `data.length === rows * cols`. */
export interface Matrix<T extends Float64Array | Float32Array = Float64Array> {
  data: T;
  rows: number;
  cols: number;
}

/**
 * The typed arrays a matrix input may hold. Float32 keeps float32; the integer types are widened
 * where the backends copy the rows (input.ts).
 */
export type NumericArray =
  | Float64Array
  | Float32Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray;

/**
 * A row-major matrix in a typed array, optionally strided and with a column selection: row i starts
 * at `data[i * stride]` (`stride` defaults to `cols`, and must be >= cols), its columns are the next
 * `cols` elements, and `columns` (default all) picks which of them, in which order, are the features.
 * RGBA pixels fitted as RGB: `{ data, rows, cols: 3, stride: 4 }` or `{ data, rows, cols: 4, columns: [0, 1, 2] }`.
 */
export interface TypedMatrixInput {
  data: NumericArray;
  rows: number;
  cols: number;
  stride?: number;
  columns?: ArrayLike<number>;
}

/** A canvas ImageData (or anything shaped like it): RGBA pixels, fitted as RGB unless `columns` says otherwise. */
export interface ImageDataInput {
  data: Uint8ClampedArray | Uint8Array;
  width: number;
  height: number;
  columns?: ArrayLike<number>;
}

/**
 * An Apache Arrow Table or RecordBatch (`apache-arrow`, detected by shape, never imported), with a
 * selection of its columns by name: `{ table, columns: ['x', 'y'] }`.
 */
export interface ArrowInput {
  table: ArrowTableLike;
  columns?: readonly string[];
}

/** The part of apache-arrow's Table / RecordBatch that is read (input.ts). */
export interface ArrowTableLike {
  readonly numRows: number;
  readonly schema: { readonly fields: readonly { readonly name: string }[] };
  getChildAt(index: number): unknown;
}

/** What `fit`, `predict` and friends accept as X (README, "Inputs"). */
export type MatrixInput =
  | number[][]
  | ArrayLike<number>[]
  /** One feature: n rows of one column. */
  | number[]
  | NumericArray
  | TypedMatrixInput
  | ImageDataInput
  | ArrowTableLike
  | ArrowInput
  /** A matrix object of another library (ml-matrix), read through its rows. */
  | { to2DArray(): ArrayLike<ArrayLike<number>> };

export function kernelFamily(type: CovarianceType): KernelFamily {
  return DESCRIPTORS.get(type)!.family;
}
