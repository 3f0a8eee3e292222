/**
 * Recovery of degenerate components (`onDegenerate: 'reseed'`): when the M-step leaves a component
 * empty (no weight) or collapsed (a covariance that is not positive definite even with regCovar), the
 * component is moved to the row the current mixture explains worst, given the mean covariance of the
 * other components and weight 1/k, and EM continues. Each re-seed is reported in the fit's warnings;
 * the log-likelihood may drop at a re-seed and is monotone between re-seeds.
 */
import type { Matrix } from './types.js';
import { isConstrainedModel, storageType } from './types.js';
import type { Backend, DataHandle, Stats } from './backend/types.js';
import type { Mixture } from './params.js';
import { factorizeInPlace } from './params.js';
import { GaussianMixtureError } from './errors.js';
import type { MatrixSource } from './input.js';
import { copyRows } from './input.js';

/**
 * A component whose responsibilities sum to less than this is empty. Sample weights are normalised
 * to a mean near 1 (input.ts), so this is a hundred-millionth of a row: nothing a fit can estimate from.
 */
export const EMPTY_COMPONENT_WEIGHT = 1e-8;

/** Re-seeds allowed per fit, per component: a component that collapses again every time is an error. */
export const RESEEDS_PER_COMPONENT = 5;

/** The data and the place to report what the Reseeder does. */
export interface ReseedContext {
  backend: Backend;
  /** All rows of the fit (or the sample a chunked fit initialises on), loaded in `backend`. */
  handle: DataHandle;
  data: Matrix<Float64Array> | Matrix<Float32Array> | MatrixSource;
  weights: Float64Array | null;
  regCovar: number;
  warnings: string[];
}

export class Reseeder {
  private reseeds = 0;

  constructor(private readonly ctx: ReseedContext) {}

  /**
   * factorizeInPlace(next) with recovery: empty or collapsed components of `next` (the M-step's
   * output from `stats`) are re-seeded at the rows `previous` (the parameters of this E-step) gives
   * the lowest log-likelihood, distinct rows for distinct components. Returns whether any was.
   * Throws the ILL_DEFINED_COVARIANCE error when recovery is impossible: one component, a tied
   * covariance (it is every component's), an mclust model with constraints across components
   * (re-seeding one would break them), or a component that keeps collapsing.
   */
  factorize(next: Mixture, previous: Mixture, stats: Stats, iter: number, when: string): boolean {
    const { k } = next;
    let worst: number[] | null = null; // one score pass, only once something is degenerate
    let used = 0;
    let pending: { c: number; why: string }[] = [];
    for (let c = 0; c < k; c++) {
      if (stats.N[c] < EMPTY_COMPONENT_WEIGHT && this.recoverable(next)) pending.push({ c, why: `emptied (its weight fell to ${stats.N[c] / stats.weightSum})` });
    }
    for (;;) {
      for (const { c, why } of pending) {
        worst ??= this.rowsByLogLikelihood(previous);
        if (this.reseeds >= RESEEDS_PER_COMPONENT * k || used >= worst.length) return this.giveUp(next, c, why, when);
        this.reseeds++;
        const row = worst[used++];
        this.move(next, c, row);
        this.ctx.warnings.push(
          `Component ${c} ${why} in the M-step of iteration ${iter}; onDegenerate 'reseed' moved it to row ${row} ` +
            `(the lowest log-likelihood under the current mixture) with the mean covariance of the other components and weight 1/${k}. ` +
            `The log-likelihood history may drop at this iteration; it is monotone between re-seeds.`,
        );
      }
      const reseeded = used > 0;
      try {
        factorizeInPlace(next, this.ctx.backend, this.ctx.regCovar, when);
        return reseeded;
      } catch (err) {
        if (!(err instanceof GaussianMixtureError) || err.code !== 'ILL_DEFINED_COVARIANCE' || err.component === undefined || !this.recoverable(next)) throw err;
        pending = [{ c: err.component, why: 'collapsed (its covariance is not positive definite even with regCovar added)' }];
      }
    }
  }

  private recoverable(m: Mixture): boolean {
    return m.k > 1 && storageType(m.type) !== 'tied' && !isConstrainedModel(m.type);
  }

  private giveUp(next: Mixture, c: number, why: string, when: string): never {
    throw new GaussianMixtureError(
      'ILL_DEFINED_COVARIANCE',
      `Fitting failed ${when}: component ${c} of ${next.k} ${why} again after ${this.reseeds} re-seeds (onDegenerate 'reseed'). ` +
        `The data support fewer components: use fewer (nComponents = ${next.k}), increase regCovar (now ${this.ctx.regCovar}), or scale the data.`,
      c,
    );
  }

  /** Indices of the rows with positive weight, lowest log p(x_i) under m first (one score pass). */
  private rowsByLogLikelihood(m: Mixture): number[] {
    const { backend, handle, data, weights } = this.ctx;
    const logProb = new Float64Array(data.rows);
    backend.score(handle, m.kernel, logProb, null);
    const rows: number[] = [];
    for (let i = 0; i < data.rows; i++) if (!weights || weights[i] > 0) rows.push(i);
    return rows.sort((a, b) => logProb[a] - logProb[b] || a - b);
  }

  /** Component c of m: mean at row `row`, the other components' mean covariance, weight 1/k (the others rescaled). */
  private move(m: Mixture, c: number, row: number): void {
    const { k, d, means, covariances, weights } = m;
    const { data } = this.ctx;
    const x = means.subarray(c * d, (c + 1) * d);
    if ('blocks' in data) copyRows(data, row, row + 1, x, 0);
    else x.set(data.data.subarray(row * d, (row + 1) * d));
    const block = covariances.length / k;
    const o = c * block;
    for (let t = 0; t < block; t++) {
      let sum = 0;
      for (let other = 0; other < k; other++) if (other !== c) sum += covariances[other * block + t];
      covariances[o + t] = sum / (k - 1);
    }
    let rest = 0;
    for (let other = 0; other < k; other++) if (other !== c) rest += weights[other];
    for (let other = 0; other < k; other++) weights[other] = other === c ? 1 / k : (weights[other] / rest) * (1 - 1 / k);
  }
}
