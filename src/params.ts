import type { CovarianceType } from './types.js';
import { kernelFamily } from './types.js';
import type { Backend, KernelParams } from './backend/types.js';
import { GaussianMixtureError } from './errors.js';

/** Mixture parameters as estimated: the inputs of `factorize`. Flat, row-major, scikit-learn shapes. */
export interface Estimate {
  type: CovarianceType;
  k: number;
  d: number;
  weights: Float64Array; // k
  means: Float64Array; // k * d
  covariances: Float64Array; // full k*d*d, tied d*d, diag k*d, spherical k
}

/** Estimate plus its precision-Cholesky factors: what the E-step and the public getters read. */
export interface Mixture extends Estimate {
  /** scikit-learn's precisions_cholesky_, same shape as `covariances`. */
  precChol: Float64Array;
  /** The same parameters in the layout the kernels read (tied and spherical broadcast to k). */
  kernel: KernelParams;
}

/** Number of entries of the covariance array for a covariance type. */
export function covarianceSize(type: CovarianceType, k: number, d: number): number {
  switch (type) {
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

/**
 * Computes the precision-Cholesky factors of `e` (full and tied through the backend's kernel, diag and
 * spherical element-wise) and the kernel layout. Throws ILL_DEFINED_COVARIANCE naming the component
 * when a covariance is not positive definite; `when` says at which point of the fit that happened.
 */
export function factorize(e: Estimate, backend: Backend, regCovar: number, when: string): Mixture {
  const { type, k, d, covariances } = e;
  if (!covariances.every(Number.isFinite)) {
    throw new GaussianMixtureError(
      'NUMERICAL_FAILURE',
      `Fitting failed ${when}: a covariance overflowed to a non-finite value, so the data are too large in magnitude ` +
        `for float64 squares (|x| above ~1e150). Scale the data (e.g. divide each column by its standard deviation).`,
    );
  }
  const precChol = new Float64Array(covariances.length);
  if (kernelFamily(type) === 'tri') {
    const blocks = type === 'tied' ? 1 : k;
    const bad = backend.precisionCholesky(covariances, blocks, d, precChol, new Float64Array(blocks));
    if (bad >= 0) throw illDefined(type === 'tied' ? 'the tied (shared) covariance' : `component ${bad}`, e, regCovar, when);
  } else {
    for (let i = 0; i < covariances.length; i++) {
      const v = covariances[i];
      if (!(v > 0) || !Number.isFinite(v)) throw illDefined(`component ${type === 'diag' ? Math.floor(i / d) : i}`, e, regCovar, when);
      precChol[i] = 1 / Math.sqrt(v);
    }
  }
  return fromPrecisions(e, precChol);
}

/** Rebuilds a Mixture from stored precision factors (no factorisation): what `fromJSON` restores. */
export function fromPrecisions(e: Estimate, precChol: Float64Array): Mixture {
  const { type, k, d } = e;
  const family = kernelFamily(type);
  const kernelPrec = new Float64Array(family === 'tri' ? k * d * d : k * d);
  const logDet = new Float64Array(k);
  const logWeights = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let ld = 0;
    if (family === 'tri') {
      const src = (type === 'tied' ? 0 : c) * d * d;
      kernelPrec.set(precChol.subarray(src, src + d * d), c * d * d);
      for (let j = 0; j < d; j++) ld += Math.log(precChol[src + j * d + j]);
    } else if (type === 'diag') {
      for (let j = 0; j < d; j++) ld += Math.log(precChol[c * d + j]);
      kernelPrec.set(precChol.subarray(c * d, (c + 1) * d), c * d);
    } else {
      // scikit-learn: log det of a spherical precision factor = d ln(prec_chol).
      ld = d * Math.log(precChol[c]);
      kernelPrec.fill(precChol[c], c * d, (c + 1) * d);
    }
    logDet[c] = ld;
    logWeights[c] = Math.log(e.weights[c]);
  }
  return { ...e, precChol, kernel: { k, d, family, logWeights, means: e.means, precChol: kernelPrec, logDet } };
}

function illDefined(what: string, e: Estimate, regCovar: number, when: string): GaussianMixtureError {
  const suggestion = regCovar > 0 ? `increase regCovar (now ${regCovar}, try ${regCovar * 100})` : 'set regCovar > 0 (e.g. 1e-6)';
  return new GaussianMixtureError(
    'ILL_DEFINED_COVARIANCE',
    `Fitting failed ${when}: ${what} of ${e.k} has an ill-defined covariance (not positive definite even with regCovar added), ` +
      `typically a component collapsed onto a single point or onto duplicate or collinear points. ` +
      `To fix it: ${suggestion}, use fewer components (nComponents = ${e.k}), or scale the data so columns have comparable spread.`,
  );
}
