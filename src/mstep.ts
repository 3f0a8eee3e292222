import type { CovarianceType } from './types.js';
import type { Stats } from './backend/types.js';
import type { Estimate } from './params.js';
import { covarianceSize } from './params.js';

/** scikit-learn adds 10 machine epsilons to every N_k so an empty component does not divide by zero. */
const EMPTY_GUARD = 10 * 2.220446049250313e-16;

/**
 * The M-step: parameters from sufficient statistics taken about `shift` (k x d, the means the E-step
 * used). With delta_k = S1_k / N'_k (N'_k = N_k + 10 eps):
 *   mean_k = c_k + delta_k,
 *   sum_i r_ik (x_i - mean_k)(x_i - mean_k)^T = S2_k - (2 N'_k - N_k) delta_k delta_k^T,
 * so the covariance is centred exactly, whatever the data's offset from the origin.
 * `regCovar` is added to the diagonal (spherical: to the variance), as scikit-learn does.
 */
export function mStep(stats: Stats, shift: Float64Array, type: CovarianceType, regCovar: number): Estimate {
  const { k, d, N, S1, S2 } = stats;
  const weights = new Float64Array(k);
  const means = new Float64Array(k * d);
  const covariances = new Float64Array(covarianceSize(type, k, d));
  const delta = new Float64Array(d);
  let total = 0;
  for (let c = 0; c < k; c++) total += N[c] + EMPTY_GUARD;

  for (let c = 0; c < k; c++) {
    const nk = N[c] + EMPTY_GUARD;
    weights[c] = nk / total;
    for (let a = 0; a < d; a++) {
      delta[a] = S1[c * d + a] / nk;
      means[c * d + a] = shift[c * d + a] + delta[a];
    }
    const excess = 2 * nk - N[c];
    switch (type) {
      case 'full':
      case 'tied': {
        // Full: divide by this component's N'_k. Tied: sum the centred scatter, divide by sum N' below.
        const out = type === 'full' ? c * d * d : 0;
        const scale = type === 'full' ? 1 / nk : 1;
        for (let a = 0; a < d; a++) {
          for (let b = a; b < d; b++) {
            const v = (S2[c * d * d + a * d + b] - excess * delta[a] * delta[b]) * scale;
            covariances[out + a * d + b] += v;
          }
        }
        break;
      }
      case 'diag':
      case 'spherical':
        for (let a = 0; a < d; a++) {
          const v = (S2[c * d + a] - excess * delta[a] * delta[a]) / nk + regCovar;
          if (type === 'diag') covariances[c * d + a] = v;
          else covariances[c] += v / d;
        }
        break;
    }
  }

  if (type === 'full' || type === 'tied') {
    const blocks = type === 'full' ? k : 1;
    const scale = type === 'full' ? 1 : 1 / total;
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
  return { type, k, d, weights, means, covariances };
}
