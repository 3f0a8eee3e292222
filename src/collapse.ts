import type { Mixture } from './params.js';
import { expandToFull } from './params.js';
import { choleskyLower } from './linalg.js';
import { storageType } from './types.js';

/**
 * A covariance eigenvalue below COLLAPSE_FACTOR x regCovar marks a collapsed component. An
 * unconstrained component on a subspace sits at regCovar exactly; a constrained one (a shared shape or
 * orientation) sits slightly above it, because the shared directions are not exactly its null ones.
 */
export const COLLAPSE_FACTOR = 10;

/**
 * The first component whose covariance has an eigenvalue at the regCovar floor, or null: Sigma_k - f I
 * is not positive definite for f = COLLAPSE_FACTOR regCovar + 1e-12 times the mean column variance of
 * the data (`dataVariance`; the term that still catches a collapse when regCovar is 0; NaN, from data
 * with missing values, counts as 0).
 */
export function collapsedComponent(m: Mixture, regCovar: number, dataVariance: number): number | null {
  const { k, d, type, covariances } = m;
  const floor = COLLAPSE_FACTOR * regCovar + (Number.isFinite(dataVariance) ? 1e-12 * dataVariance : 0);
  const full = expandToFull(covariances, type, k, d);
  const shifted = new Float64Array(d * d);
  const L = new Float64Array(d * d);
  const blocks = storageType(type) === 'tied' ? 1 : k;
  for (let c = 0; c < blocks; c++) {
    shifted.set(full.subarray(c * d * d, (c + 1) * d * d));
    for (let j = 0; j < d; j++) shifted[j * d + j] -= floor;
    if (!choleskyLower(shifted, 0, d, L)) return c;
  }
  return null;
}

/** What a collapsed component means, for selectModel's table and a single fit's warnings. */
export function collapseReason(component: number, regCovar: number): string {
  return (
    `component ${component} collapsed: a covariance eigenvalue is below ${COLLAPSE_FACTOR} x regCovar (${regCovar}), so the ridge, not the data, ` +
    'sets its spread in some direction (it sits on fewer than d + 1 distinct points, on a constant column, or on nearly collinear points)'
  );
}
