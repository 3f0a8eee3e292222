import type { CovarianceType } from './types.js';
import { isConstrainedModel, kernelFamily, storageType } from './types.js';
import type { Backend, KernelParams } from './backend/types.js';
import { GaussianMixtureError } from './errors.js';
import { choleskyLower } from './linalg.js';
import type { CovarianceModelState } from './covariance-models.js';

/** Mixture parameters as estimated: the inputs of `factorize`. Flat, row-major, scikit-learn shapes. */
export interface Estimate {
  type: CovarianceType;
  k: number;
  d: number;
  weights: Float64Array; // k
  means: Float64Array; // k * d
  covariances: Float64Array; // by storageType(type): full k*d*d, tied d*d, diag k*d, spherical k
  /**
   * The inner state of an iterative mclust M-step (VEI, VEE, EVE, VVE, VEV) that produced these
   * covariances: the next M-step of the same run starts from it, which makes each M-step improve on
   * the current parameters (so EM stays monotone) and converge in a few inner iterations.
   */
  inner?: CovarianceModelState;
}

/** Estimate plus its precision-Cholesky factors: what the E-step and the public getters read. */
export interface Mixture extends Estimate {
  /** scikit-learn's precisions_cholesky_, same shape as `covariances`. */
  precChol: Float64Array;
  /** The same parameters in the layout the kernels read (tied and spherical broadcast to k). */
  kernel: KernelParams;
}

/** Number of entries of the (internal) covariance array for a covariance type. */
export function covarianceSize(type: CovarianceType, k: number, d: number): number {
  switch (storageType(type)) {
    case 'full':
      return k * d * d;
    case 'tied':
      return d * d;
    case 'diag':
      return k * d;
    case 'spherical':
      return k;
  }
}

/** A Mixture of this shape with zeroed arrays, to be filled in place (mStep's `out`, factorizeInPlace). */
export function allocateMixture(type: CovarianceType, k: number, d: number): Mixture {
  const size = covarianceSize(type, k, d);
  const family = kernelFamily(type);
  const means = new Float64Array(k * d);
  return {
    type, k, d, weights: new Float64Array(k), means, covariances: new Float64Array(size), precChol: new Float64Array(size),
    kernel: {
      k, d, family, logWeights: new Float64Array(k), means, precChol: new Float64Array(family === 'tri' ? (k * d * (d + 1)) / 2 : k * d), logDet: new Float64Array(k),
    },
  };
}

/**
 * Computes the precision-Cholesky factors of `e` (full and tied through the backend's kernel, diag and
 * spherical element-wise) and the kernel layout. Throws ILL_DEFINED_COVARIANCE naming the component
 * when a covariance is not positive definite; `when` says at which point of the fit that happened.
 */
export function factorize(e: Estimate, backend: Backend, regCovar: number, when: string): Mixture {
  const m = allocateMixture(e.type, e.k, e.d);
  m.weights.set(e.weights);
  m.means.set(e.means);
  m.covariances.set(e.covariances);
  m.inner = e.inner;
  factorizeInPlace(m, backend, regCovar, when);
  return m;
}

/** factorize() into the mixture's own arrays: its estimate part (weights, means, covariances) is read, the rest written. */
export function factorizeInPlace(m: Mixture, backend: Backend, regCovar: number, when: string): void {
  const { type, k, d, covariances, precChol } = m;
  const storage = storageType(type);
  for (let i = 0; i < covariances.length; i++) {
    if (!Number.isFinite(covariances[i])) {
      throw new GaussianMixtureError(
        'NUMERICAL_FAILURE',
        `Fitting failed ${when}: a covariance overflowed to a non-finite value, so the data are too large in magnitude ` +
          `for float64 squares (|x| above ~1e150). Scale the data (e.g. divide each column by its standard deviation).`,
      );
    }
  }
  if (kernelFamily(type) === 'tri') {
    const blocks = storage === 'tied' ? 1 : k;
    // kernel.logDet is scratch here: fillKernel recomputes it from the factors.
    const bad = backend.precisionCholesky(covariances, blocks, d, precChol, m.kernel.logDet);
    if (bad >= 0) throw illDefined(storage === 'tied' ? 'the tied (shared) covariance' : `component ${bad}`, bad, m, regCovar, when);
  } else {
    for (let i = 0; i < covariances.length; i++) {
      const v = covariances[i];
      const c = storage === 'diag' ? Math.floor(i / d) : i;
      if (!(v > 0)) throw illDefined(`component ${c}`, c, m, regCovar, when);
      precChol[i] = 1 / Math.sqrt(v);
    }
  }
  fillKernel(m);
}

/** Rebuilds a Mixture from stored precision factors (no factorisation): what `fromJSON` restores. */
export function fromPrecisions(e: Estimate, precChol: Float64Array): Mixture {
  const m = allocateMixture(e.type, e.k, e.d);
  m.weights.set(e.weights);
  m.means.set(e.means);
  m.covariances.set(e.covariances);
  m.precChol.set(precChol);
  m.inner = e.inner;
  fillKernel(m);
  return m;
}

/**
 * The kernel layout of m's weights and precision factors, in place, once per parameter set: 'tri'
 * factors packed as the lower rows of U^T (KernelParams), tied and spherical broadcast to k.
 */
export function fillKernel(m: Mixture): void {
  const { type, k, d, precChol } = m;
  const { family, precChol: kernelPrec, logDet, logWeights } = m.kernel;
  const storage = storageType(type);
  const packed = (d * (d + 1)) / 2;
  for (let c = 0; c < k; c++) {
    let ld = 0;
    if (family === 'tri') {
      const src = (storage === 'tied' ? 0 : c) * d * d;
      packUpper(precChol, src, d, kernelPrec, c * packed);
      for (let j = 0; j < d; j++) ld += Math.log(precChol[src + j * d + j]);
    } else if (storage === 'diag') {
      for (let j = 0; j < d; j++) {
        ld += Math.log(precChol[c * d + j]);
        kernelPrec[c * d + j] = precChol[c * d + j];
      }
    } else {
      // scikit-learn: log det of a spherical precision factor = d ln(prec_chol).
      ld = d * Math.log(precChol[c]);
      kernelPrec.fill(precChol[c], c * d, (c + 1) * d);
    }
    logDet[c] = ld;
    logWeights[c] = Math.log(m.weights[c]);
  }
}

function illDefined(what: string, block: number, e: Estimate, regCovar: number, when: string): GaussianMixtureError {
  const working = workingRegCovar(e, block, regCovar);
  const fixes = [
    working !== null
      ? `increase regCovar (now ${regCovar}; regCovar = ${working} makes this covariance positive definite)`
      : `scale the data (no regCovar up to ${MAX_SUGGESTED_REG_DECADES} decades above ${regCovar || 1e-6} makes this covariance positive definite: its spread is too wide for float64 next to its smallest direction)`,
    ...(e.k > 1 ? [`use fewer components (nComponents = ${e.k})`] : []),
    // What degenerate.ts can recover: a component of its own (not tied, no cross-component constraint) in an M-step.
    ...(e.k > 1 && storageType(e.type) !== 'tied' && !isConstrainedModel(e.type) && when.startsWith('in the M-step')
      ? [`set onDegenerate: 'reseed' to move the collapsed component to the worst-fitted row and continue`]
      : []),
    ...(working !== null ? ['scale the data so columns have comparable spread'] : []),
  ];
  return new GaussianMixtureError(
    'ILL_DEFINED_COVARIANCE',
    `Fitting failed ${when}: ${what} of ${e.k} has an ill-defined covariance (not positive definite even with regCovar added), ` +
      `typically a component collapsed onto a single point or onto duplicate or collinear points, or data whose spread spans too many ` +
      `orders of magnitude (an outlier far away). To fix it: ${fixes.join(', or ')}.`,
    block,
  );
}

/** How far above the current regCovar (in powers of ten) a suggested one may be. */
const MAX_SUGGESTED_REG_DECADES = 30;

/**
 * The smallest power of ten above regCovar (from 1e-6 when regCovar is 0) with which covariance
 * block `block` of e would be positive definite, i.e. the block with regCovar replaced by it passes
 * the Cholesky factorisation the kernels use; null when none within MAX_SUGGESTED_REG_DECADES does.
 * The error message suggests only a value checked here, never a guess.
 */
function workingRegCovar(e: Estimate, block: number, regCovar: number): number | null {
  const { type, d, covariances } = e;
  const storage = storageType(type);
  const first = regCovar > 0 ? Math.ceil(Math.log10(regCovar) + 1e-9) : -6;
  const full = kernelFamily(type) === 'tri';
  const A = new Float64Array(d * d);
  const L = new Float64Array(d * d);
  for (let j = first; j <= first + MAX_SUGGESTED_REG_DECADES; j++) {
    const r = Number(`1e${j}`);
    if (!(r > regCovar)) continue;
    if (full) {
      A.set(covariances.subarray(block * d * d, (block + 1) * d * d));
      for (let a = 0; a < d; a++) A[a * d + a] += r - regCovar;
      if (choleskyLower(A, 0, d, L)) return r;
    } else {
      const size = storage === 'diag' ? d : 1;
      let ok = true;
      for (let a = 0; a < size; a++) ok &&= covariances[block * size + a] + (r - regCovar) > 0;
      if (ok) return r;
    }
  }
  return null;
}

/**
 * The k x d x d form (flat, row-major) of covariances or precision factors stored for `type`:
 * what the public getters show for the mclust names, whatever the storage.
 */
export function expandToFull(a: Float64Array, type: CovarianceType, k: number, d: number): Float64Array {
  const storage = storageType(type);
  if (storage === 'full') return a.slice();
  const out = new Float64Array(k * d * d);
  for (let c = 0; c < k; c++) {
    const o = c * d * d;
    if (storage === 'tied') out.set(a.subarray(0, d * d), o);
    else for (let j = 0; j < d; j++) out[o + j * d + j] = storage === 'diag' ? a[c * d + j] : a[c];
  }
  return out;
}

/**
 * The inverse of expandToFull: the stored form of k x d x d matrices for `type`, or a message saying
 * which matrix breaks the structure the storage needs (off-diagonal entries of a diagonal model,
 * unequal matrices of a tied one, unequal variances of a spherical one).
 */
export function compressFromFull(full: Float64Array, type: CovarianceType, k: number, d: number): Float64Array | string {
  const storage = storageType(type);
  if (storage === 'full') return full.slice();
  const out = new Float64Array(covarianceSize(type, k, d));
  for (let c = 0; c < k; c++) {
    const o = c * d * d;
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) {
        const v = full[o + a * d + b];
        if (storage === 'tied') {
          if (c === 0) out[a * d + b] = v;
          else if (v !== out[a * d + b]) return `matrix ${c} differs from matrix 0 at [${a}][${b}], but '${type}' has one shared covariance`;
        } else if (a !== b) {
          if (v !== 0) return `matrix ${c} has a non-zero off-diagonal entry [${a}][${b}] = ${v}, but '${type}' is diagonal`;
        } else if (storage === 'diag') {
          out[c * d + a] = v;
        } else if (a === 0) {
          out[c] = v;
        } else if (v !== out[c]) {
          return `matrix ${c} has unequal diagonal entries, but '${type}' is spherical (lambda_k I)`;
        }
      }
    }
  }
  return out;
}

/** The upper-triangular d x d block U at u0 as the kernels read it: row j of U^T (column j of U, i <= j) at out[o0 + j(j+1)/2 ..]. */
export function packUpper(U: Float64Array, u0: number, d: number, out: Float64Array, o0: number): void {
  let o = o0;
  for (let j = 0; j < d; j++) for (let i = 0; i <= j; i++) out[o++] = U[u0 + i * d + j];
}
