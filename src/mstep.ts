import type { CovarianceType } from './types.js';
import { isConstrainedModel, storageType } from './types.js';
import type { Stats } from './backend/types.js';
import type { Estimate } from './params.js';
import { covarianceSize } from './params.js';
import type { CovarianceModelState, MclustModel } from './covariance-models.js';
import { constrainedCovariances } from './covariance-models.js';

/** scikit-learn adds 10 machine epsilons to every N_k so an empty component does not divide by zero. */
const EMPTY_GUARD = 10 * 2.220446049250313e-16;

/** Scratch for delta_k, grown as needed: the M-step runs every iteration and allocates nothing. */
let delta = new Float64Array(16);

/**
 * The M-step: parameters from sufficient statistics taken about `shift` (k x d, the means the E-step
 * used). With delta_k = S1_k / N'_k (N'_k = N_k + 10 eps):
 *   mean_k = c_k + delta_k,
 *   sum_i r_ik (x_i - mean_k)(x_i - mean_k)^T = S2_k - (2 N'_k - N_k) delta_k delta_k^T,
 * so the covariance is centred exactly, whatever the data's offset from the origin.
 * `regCovar` is added to the diagonal (spherical: to the variance), as scikit-learn does. The mclust
 * models other than the four aliases impose their structure on the regularised scatter
 * W_k + N'_k regCovar I (constrainedM), which for the aliases would give the same numbers.
 * The result is written into `out` (an Estimate of this type, k and d, not aliasing `shift`) when
 * given, else into fresh arrays; `inner` is the warm start of an iterative mclust M-step.
 */
export function mStep(
  stats: Stats, shift: Float64Array, type: CovarianceType, regCovar: number, inner?: CovarianceModelState, out?: Estimate,
): Estimate {
  const { k, d, N, S2 } = stats;
  const e: Estimate = out ?? { type, k, d, weights: new Float64Array(k), means: new Float64Array(k * d), covariances: new Float64Array(covarianceSize(type, k, d)) };
  if (delta.length < k * d) delta = new Float64Array(k * d);
  const total = weightsAndMeans(stats, shift, e);
  if (isConstrainedModel(type)) {
    constrainedM(stats, type, regCovar, inner ?? {}, e);
    return e;
  }
  const storage = storageType(type);
  const covariances = e.covariances;
  covariances.fill(0);
  for (let c = 0; c < k; c++) {
    const nk = N[c] + EMPTY_GUARD;
    const excess = 2 * nk - N[c];
    const dc = c * d;
    switch (storage) {
      case 'full':
      case 'tied': {
        // Full: divide by this component's N'_k. Tied: sum the centred scatter, divide by sum N' below.
        const o = storage === 'full' ? c * d * d : 0;
        const scale = storage === 'full' ? 1 / nk : 1;
        for (let a = 0; a < d; a++) {
          for (let b = a; b < d; b++) {
            const v = (S2[c * d * d + a * d + b] - excess * delta[dc + a] * delta[dc + b]) * scale;
            covariances[o + a * d + b] += v;
          }
        }
        break;
      }
      case 'diag':
      case 'spherical':
        for (let a = 0; a < d; a++) {
          const v = (S2[c * d + a] - excess * delta[dc + a] * delta[dc + a]) / nk + regCovar;
          if (storage === 'diag') covariances[c * d + a] = v;
          else covariances[c] += v / d;
        }
        break;
    }
  }

  if (storage === 'full' || storage === 'tied') {
    const blocks = storage === 'full' ? k : 1;
    const scale = storage === 'full' ? 1 : 1 / total;
    for (let c = 0; c < blocks; c++) {
      const o = c * d * d;
      for (let a = 0; a < d; a++) {
        covariances[o + a * d + a] = covariances[o + a * d + a] * scale + regCovar;
        for (let b = a + 1; b < d; b++) {
          const v = covariances[o + a * d + b] * scale;
          covariances[o + a * d + b] = v;
          covariances[o + b * d + a] = v;
        }
      }
    }
  }
  return e;
}

/**
 * Weights N'_k / sum N' and means c_k + delta_k into `e`, delta_k = S1_k / N'_k into the scratch;
 * returns sum_k N'_k.
 */
function weightsAndMeans(stats: Stats, shift: Float64Array, e: Estimate): number {
  const { k, d, N, S1 } = stats;
  let total = 0;
  for (let c = 0; c < k; c++) total += N[c] + EMPTY_GUARD;
  for (let c = 0; c < k; c++) {
    const nk = N[c] + EMPTY_GUARD;
    e.weights[c] = nk / total;
    for (let a = 0; a < d; a++) {
      const i = c * d + a;
      delta[i] = S1[i] / nk;
      e.means[i] = shift[i] + delta[i];
    }
  }
  return total;
}

/** The means c_k + S1_k / N'_k of the M-step, alone (the first pass of a two-pass initialisation). */
export function componentMeans(stats: Stats, shift: Float64Array): Float64Array {
  const { k, d, N, S1 } = stats;
  const means = new Float64Array(k * d);
  for (let c = 0; c < k; c++) {
    const nk = N[c] + EMPTY_GUARD;
    for (let a = 0; a < d; a++) means[c * d + a] = shift[c * d + a] + S1[c * d + a] / nk;
  }
  return means;
}

/**
 * Inner loop of the iterative mclust M-steps inside EM. Each inner iteration improves the expected
 * complete-data log-likelihood and the loop starts from the previous M-step's answer (Estimate.inner),
 * so however it ends it is a generalised EM step and EM stays monotone. It is still solved tightly,
 * as mclust's reference fixtures were made: the conformance tests compare whole EM trajectories with
 * exact M-steps, and capping the warm M-steps (at 3 steps) slowed EM itself down (EVE, boston K = 9:
 * 574 EM iterations instead of 20), since the work of the early M-steps then recurs in later ones.
 * EVE and VVE's warm M-steps converge quadratically (Newton), so the tight tolerance costs them a
 * step more than a loose one would; the cap only bounds pathological cases.
 */
const INNER_TOL = 1e-13;
const INNER_MAX_ITER = 10_000;

/**
 * The covariances of a constrained mclust model's M-step into `e` (whose weights and means, and the
 * delta scratch, weightsAndMeans has written), from N'_k and the centred scatter W_k + N'_k regCovar I (full symmetric for the 'tri' family, the
 * diagonal for the diagonal models). When the model is undefined for this scatter (a zero
 * determinant, possible only with regCovar = 0) the covariances are left at zero, which the
 * factorisation reports as ill-defined with the component and the advice to raise regCovar.
 * `inner` is read as the inner loop's start and updated to its end (see Estimate.inner).
 */
function constrainedM(stats: Stats, type: MclustModel, regCovar: number, inner: CovarianceModelState, e: Estimate): void {
  const { k, d, N, S2, family } = stats;
  const nk = new Float64Array(k);
  const tri = family === 'tri';
  const W = new Float64Array(tri ? k * d * d : k * d);
  for (let c = 0; c < k; c++) {
    const n = N[c] + EMPTY_GUARD;
    nk[c] = n;
    const excess = 2 * n - N[c];
    const dc = c * d;
    for (let a = 0; a < d; a++) {
      if (!tri) {
        W[dc + a] = S2[dc + a] - excess * delta[dc + a] * delta[dc + a] + n * regCovar;
        continue;
      }
      const o = c * d * d;
      W[o + a * d + a] = S2[o + a * d + a] - excess * delta[dc + a] * delta[dc + a] + n * regCovar;
      for (let b = a + 1; b < d; b++) {
        const v = S2[o + a * d + b] - excess * delta[dc + a] * delta[dc + b];
        W[o + a * d + b] = v;
        W[o + b * d + a] = v;
      }
    }
  }
  const covariances = constrainedCovariances(type, nk, W, k, d, { state: inner, tol: INNER_TOL, maxIter: INNER_MAX_ITER });
  if (covariances) e.covariances.set(covariances);
  else e.covariances.fill(0);
  e.inner = inner;
}
