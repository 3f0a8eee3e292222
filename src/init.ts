import type { CovarianceType, Matrix, SklearnCovarianceType } from './types.js';
import { isMclustName, kernelFamily } from './types.js';
import type { Backend, DataHandle, Stats } from './backend/types.js';
import { createStats } from './backend/types.js';
import type { InitOption, InitParameters, InitStrategy } from './options.js';
import type { Estimate } from './params.js';
import { compressFromFull, covarianceSize } from './params.js';
import { componentMeans, mStep } from './mstep.js';
import { assignNearest, kmeans, kmeansPlusPlus } from './kmeans.js';
import { choleskyLower } from './linalg.js';
import type { Random } from './random.js';
import { describe } from './errors.js';

type Rows = Matrix<Float64Array> | Matrix<Float32Array>;

export interface InitContext {
  X: Rows;
  weights: Float64Array | null;
  k: number;
  type: CovarianceType;
  regCovar: number;
  rng: Random;
  /** Computes the statistics of the initial partition of X, loaded as `handle`. */
  backend: Backend;
  handle: DataHandle;
}

/**
 * The initialisations initialEstimate computes by itself; the fit driver resolves 'auto' and 'hc'
 * from the candidate starts a StartSet shares (fit.ts).
 */
export type EstimateInit = Exclude<InitOption, 'auto' | 'hc'>;

/**
 * Initial parameters for one EM run.
 * - 'kmeans': Lloyd's k-means from k-means++ seeds; parameters of the resulting partition.
 * - 'kmeans++': k-means++ seeds, every row assigned to its nearest seed (one assignment, no Lloyd).
 * - 'random_from_data': k distinct random rows as seeds, every row assigned to its nearest seed.
 * - 'random': random soft responsibilities (scikit-learn's 'random').
 * - { labels }: parameters of the given partition (group fractions, means, ML covariances + regCovar).
 * - { weights?, means?, covariances? }: given parts are used as they are; missing ones come from the
 *   partition by nearest given mean (when means are given) or from 'kmeans'.
 */
export function initialEstimate(init: EstimateInit, ctx: InitContext): Estimate {
  if (typeof init === 'string' || 'labels' in init) return fromResponsibilities(initialResponsibilities(init, ctx), ctx);
  return fromParts(init, ctx);
}

/** The strategies that start from responsibilities: hard partitions, or 'random' soft ones. */
export type PartitionInit = InitStrategy | { labels: ArrayLike<number> };

/** The responsibilities (X.rows x k, row-major) a strategy starts from (initialEstimate describes them). */
export function initialResponsibilities(init: Exclude<PartitionInit, 'auto' | 'hc'>, ctx: InitContext): Float64Array {
  const { X, k, rng } = ctx;
  if (typeof init !== 'string') return oneHot(checkLabels(init.labels, X.rows, k), k);
  switch (init) {
    case 'kmeans':
      return oneHot(kmeans(X, ctx.weights, k, rng), k);
    case 'kmeans++':
      return oneHot(nearestLabels(X, kmeansPlusPlus(X, ctx.weights, k, rng), k), k);
    case 'random_from_data':
      return oneHot(nearestLabels(X, distinctRows(X, ctx.weights, k, rng), k), k);
    case 'random': {
      const resp = new Float64Array(X.rows * k);
      for (let i = 0; i < X.rows; i++) {
        let s = 0;
        for (let c = 0; c < k; c++) s += resp[i * k + c] = rng.uniform();
        for (let c = 0; c < k; c++) resp[i * k + c] /= s;
      }
      return resp;
    }
  }
}

function fromParts(init: InitParameters, ctx: InitContext): Estimate {
  const { X, k, type } = ctx;
  const d = X.cols;
  const means = init.means !== undefined ? checkMeans(init.means, k, d) : null;
  const weights = init.weights !== undefined ? checkWeights(init.weights, k) : null;
  const covariances = init.covariances !== undefined ? checkCovariances(init.covariances, type, k, d) : null;
  const base =
    means && weights && covariances
      ? null
      : fromLabels(means ? nearestLabels(X, means, k) : kmeans(X, ctx.weights, k, ctx.rng), ctx);
  return {
    type,
    k,
    d,
    weights: weights ?? base!.weights,
    means: means ?? base!.means,
    covariances: covariances ?? base!.covariances,
  };
}

function nearestLabels(X: Rows, centers: Float64Array, k: number): Int32Array {
  const labels = new Int32Array(X.rows);
  assignNearest(X, centers, k, labels);
  return labels;
}

/** k distinct rows drawn uniformly among those with positive weight (the model checks there are k). */
function distinctRows(X: Rows, w: Float64Array | null, k: number, rng: Random): Float64Array {
  const d = X.cols;
  const eligible: number[] = [];
  for (let i = 0; i < X.rows; i++) if (!w || w[i] > 0) eligible.push(i);
  const chosen = new Set<number>();
  while (chosen.size < k) chosen.add(eligible[rng.int(eligible.length)]);
  const centers = new Float64Array(k * d);
  let c = 0;
  for (const i of chosen) {
    for (let j = 0; j < d; j++) centers[c * d + j] = X.data[i * d + j];
    c++;
  }
  return centers;
}

function oneHot(labels: Int32Array, k: number): Float64Array {
  const resp = new Float64Array(labels.length * k);
  for (let i = 0; i < labels.length; i++) resp[i * k + labels[i]] = 1;
  return resp;
}

function fromLabels(labels: Int32Array, ctx: InitContext): Estimate {
  return fromResponsibilities(oneHot(labels, ctx.k), ctx);
}

/** One M-step from given responsibilities (responsibilityStatistics). */
function fromResponsibilities(resp: Float64Array, ctx: InitContext): Estimate {
  const { stats, centres } = responsibilityStatistics(resp, ctx);
  return mStep(stats, centres, ctx.type, ctx.regCovar);
}

/**
 * The statistics of X under responsibilities `resp` (rows x k), in two passes so the scatter is
 * centred: the first pass finds the component means (statistics about 0), the second accumulates
 * about them (`centres`, which is also `stats.shift`).
 */
export function responsibilityStatistics(resp: Float64Array, ctx: InitContext): { stats: Stats; centres: Float64Array } {
  const { X, k, type, backend, handle } = ctx;
  const d = X.cols;
  const stats = createStats(k, d, kernelFamily(type));
  backend.accumulate(handle, resp, new Float64Array(k * d), stats);
  const centres = componentMeans(stats, new Float64Array(k * d));
  backend.accumulate(handle, resp, centres, stats);
  return { stats, centres };
}

function checkLabels(labels: unknown, n: number, k: number): Int32Array {
  const a = labels as ArrayLike<number>;
  if (a === null || typeof a !== 'object' || typeof a.length !== 'number') {
    throw new TypeError(`init.labels must be an array of ${n} integers in [0, ${k - 1}], got ${describe(labels)}.`);
  }
  if (a.length !== n) throw new RangeError(`init.labels has length ${a.length}, but X has ${n} rows; give one label per row.`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = a[i];
    if (!Number.isInteger(v) || v < 0 || v >= k) {
      throw new RangeError(`init.labels[${i}] must be an integer in [0, ${k - 1}] (nComponents = ${k}), got ${describe(v)}.`);
    }
    out[i] = v;
  }
  return out;
}

function checkWeights(w: ArrayLike<number>, k: number): Float64Array {
  const out = numbers('init.weights', w, k);
  let sum = 0;
  for (let c = 0; c < k; c++) {
    if (out[c] < 0) throw new RangeError(`init.weights[${c}] must be >= 0, got ${out[c]}.`);
    sum += out[c];
  }
  if (Math.abs(sum - 1) > 1e-8) throw new RangeError(`init.weights must sum to 1, got a sum of ${sum}; normalise them first.`);
  return out;
}

function checkMeans(m: ArrayLike<ArrayLike<number>>, k: number, d: number): Float64Array {
  if (m === null || typeof m !== 'object' || m.length !== k) {
    throw new RangeError(`init.means must have ${k} rows (nComponents) of ${d} numbers, got ${describe(m)}.`);
  }
  const out = new Float64Array(k * d);
  for (let c = 0; c < k; c++) out.set(numbers(`init.means[${c}]`, m[c], d), c * d);
  return out;
}

/**
 * Shapes per covariance type (the mclust names: k x d x d, with the structure their storage needs);
 * every matrix must be symmetric positive definite.
 */
function checkCovariances(cov: unknown, type: CovarianceType, k: number, d: number): Float64Array {
  if (!isMclustName(type)) return checkSklearnCovariances(cov, type, type, k, d);
  const stored = compressFromFull(checkSklearnCovariances(cov, 'full', type, k, d), type, k, d);
  if (typeof stored === 'string') throw new RangeError(`init.covariances: ${stored}.`);
  return stored;
}

/** `type` is the shape to check ('full' for the mclust names), `name` the covariance type for messages. */
function checkSklearnCovariances(cov: unknown, type: SklearnCovarianceType, name: CovarianceType, k: number, d: number): Float64Array {
  const out = new Float64Array(covarianceSize(type, k, d));
  const matrix = (label: string, m: unknown, o: number): void => {
    const rows = m as ArrayLike<ArrayLike<number>>;
    if (rows === null || typeof rows !== 'object' || rows.length !== d) {
      throw new RangeError(`${label} must be a ${d} x ${d} matrix, got ${describe(m)}.`);
    }
    for (let a = 0; a < d; a++) out.set(numbers(`${label}[${a}]`, rows[a], d), o + a * d);
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < a; b++) {
        const x = out[o + a * d + b];
        const y = out[o + b * d + a];
        if (Math.abs(x - y) > 1e-12 * Math.max(1, Math.abs(x), Math.abs(y))) {
          throw new RangeError(`${label} is not symmetric: [${a}][${b}] = ${x} but [${b}][${a}] = ${y}.`);
        }
      }
    }
    if (!choleskyLower(out, o, d, new Float64Array(d * d))) {
      throw new RangeError(`${label} is not positive definite; give covariance matrices (not precisions), e.g. add a small ridge to the diagonal.`);
    }
  };
  const list = cov as ArrayLike<unknown>;
  const expect = { full: `${k} matrices of ${d} x ${d}`, tied: `one ${d} x ${d} matrix`, diag: `${k} rows of ${d} variances`, spherical: `${k} variances` }[type];
  if (list === null || typeof list !== 'object' || typeof list.length !== 'number') {
    throw new TypeError(`init.covariances must be ${expect} for covarianceType '${name}', got ${describe(cov)}.`);
  }
  switch (type) {
    case 'full':
      if (list.length !== k) throw new RangeError(`init.covariances must be ${expect} for covarianceType '${name}', got ${describe(cov)}.`);
      for (let c = 0; c < k; c++) matrix(`init.covariances[${c}]`, list[c], c * d * d);
      break;
    case 'tied':
      matrix('init.covariances', list, 0);
      break;
    case 'diag':
      if (list.length !== k) throw new RangeError(`init.covariances must be ${expect} for covarianceType 'diag', got ${describe(cov)}.`);
      for (let c = 0; c < k; c++) out.set(numbers(`init.covariances[${c}]`, list[c] as ArrayLike<number>, d), c * d);
      break;
    case 'spherical':
      out.set(numbers('init.covariances', list as ArrayLike<number>, k));
      break;
  }
  if (type === 'diag' || type === 'spherical') {
    for (let i = 0; i < out.length; i++) {
      if (!(out[i] > 0)) throw new RangeError(`init.covariances must be positive variances for covarianceType '${type}', got ${out[i]}.`);
    }
  }
  return out;
}

function numbers(name: string, a: ArrayLike<number> | undefined, len: number): Float64Array {
  if (a === null || typeof a !== 'object' || a.length !== len) {
    throw new RangeError(`${name} must be ${len} numbers, got ${describe(a)}.`);
  }
  const out = new Float64Array(len);
  for (let i = 0; i < len; i++) {
    if (typeof a[i] !== 'number' || !Number.isFinite(a[i])) throw new RangeError(`${name}[${i}] must be a finite number, got ${describe(a[i])}.`);
    out[i] = a[i];
  }
  return out;
}
