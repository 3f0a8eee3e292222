import type { CovarianceType, MatrixInput } from './types.js';
import type { GaussianMixtureOptions } from './options.js';
import { GaussianMixture } from './model.js';
import { GaussianMixtureError, describe } from './errors.js';
import { toMatrix } from './input.js';

export interface SelectionOptions extends Omit<GaussianMixtureOptions, 'nComponents' | 'covarianceType'> {
  /** Candidate numbers of components. Default 1..9 (mclust's default range). */
  nComponents?: number[];
  /** Candidate covariance types. Default all four. */
  covarianceTypes?: CovarianceType[];
  /** 'bic' (default) or 'aic'; lower is better. */
  criterion?: 'bic' | 'aic';
}

export interface SelectionRow {
  nComponents: number;
  covarianceType: CovarianceType;
  /** NaN when the fit failed (see `error`). */
  bic: number;
  aic: number;
  meanLogLikelihood: number;
  converged: boolean;
  /** Why this candidate could not be fitted (e.g. ILL_DEFINED_COVARIANCE), as mclust reports NA. */
  error?: string;
}

export interface Selection {
  /** The fitted model with the lowest criterion. */
  best: GaussianMixture;
  /** Every candidate, in the order fitted. */
  table: SelectionRow[];
}

/**
 * Fits every (nComponents, covarianceType) candidate with the shared options and keeps the one with
 * the lowest BIC (or AIC), like mclust's `Mclust()`. Candidates whose covariance becomes ill-defined
 * are recorded with their error instead of aborting the search; other errors propagate.
 */
export async function selectModel(X: MatrixInput, options: SelectionOptions = {}): Promise<Selection> {
  const { nComponents = [1, 2, 3, 4, 5, 6, 7, 8, 9], covarianceTypes = ['full', 'tied', 'diag', 'spherical'], criterion = 'bic', ...shared } = options;
  if (!Array.isArray(nComponents) || nComponents.length === 0) {
    throw new TypeError(`nComponents must be a non-empty array of integers >= 1, got ${describe(nComponents)}.`);
  }
  if (!Array.isArray(covarianceTypes) || covarianceTypes.length === 0) {
    throw new TypeError(`covarianceTypes must be a non-empty array of covariance types, got ${describe(covarianceTypes)}.`);
  }
  if (criterion !== 'bic' && criterion !== 'aic') throw new RangeError(`criterion must be 'bic' or 'aic', got ${describe(criterion)}.`);
  const data = toMatrix(X);
  const table: SelectionRow[] = [];
  let best: GaussianMixture | null = null;
  let bestValue = Infinity;
  for (const covarianceType of covarianceTypes) {
    for (const k of nComponents) {
      if (k > data.rows) continue;
      const model = new GaussianMixture({ ...shared, nComponents: k, covarianceType });
      try {
        await model.fit(data);
      } catch (err) {
        model.dispose();
        if (err instanceof GaussianMixtureError && err.code === 'ILL_DEFINED_COVARIANCE') {
          table.push({ nComponents: k, covarianceType, bic: NaN, aic: NaN, meanLogLikelihood: NaN, converged: false, error: err.message });
          continue;
        }
        throw err;
      }
      const row = {
        nComponents: k,
        covarianceType,
        bic: model.bic(data),
        aic: model.aic(data),
        meanLogLikelihood: model.score(data),
        converged: model.converged,
      };
      table.push(row);
      if (row[criterion] < bestValue) {
        best?.dispose();
        best = model;
        bestValue = row[criterion];
      } else {
        model.dispose();
      }
    }
  }
  if (best === null) {
    throw new GaussianMixtureError(
      'ILL_DEFINED_COVARIANCE',
      'No candidate model could be fitted: every covariance became ill-defined. Increase regCovar or scale the data.',
    );
  }
  return { best, table };
}
