import type { Backend, Stats } from './backend/types.js';
import type { FitState } from './fit.js';
import { allocateMixture, factorizeInPlace } from './params.js';
import { mStep } from './mstep.js';
import { kernelFamily } from './types.js';
import { GaussianMixtureError } from './errors.js';

/**
 * One M-step from statistics gathered anywhere (one pass, shards added up, a stepwise average):
 * returns the state after the update. `stats` must be taken at `state`'s parameters for the history
 * to mean what it says: its logLik / weightSum is the mean log-likelihood before this update, as
 * in a batch EM iteration (partialFit passes its chunk's own value as L). `tol` marks the state converged when that value changed less than tol.
 */
export function updateState(
  state: FitState, stats: Stats, backend: Backend, regCovar: number, tol: number, where: string, L = stats.logLik / stats.weightSum,
): FitState {
  const { type, k, d } = state.mixture;
  if (stats.k !== k || stats.d !== d || stats.family !== kernelFamily(type)) {
    throw new RangeError(
      `${where}: statistics for k = ${stats.k}, d = ${stats.d}, family '${stats.family}' do not fit this model ` +
        `(nComponents = ${k}, ${d} features, covarianceType '${type}', family '${kernelFamily(type)}').`,
    );
  }
  if (!(stats.weightSum > 0) || !Number.isFinite(stats.weightSum)) {
    throw new RangeError(`${where}: the statistics have weightSum = ${stats.weightSum}; they must cover rows with a positive total weight.`);
  }
  if (!Number.isFinite(L)) {
    throw new GaussianMixtureError('NUMERICAL_FAILURE', `${where}: the mean log-likelihood of the statistics is ${L}; scale the data or increase regCovar (now ${regCovar}).`);
  }
  const next = allocateMixture(type, k, d);
  mStep(stats, stats.shift, type, regCovar, state.mixture.inner, next);
  factorizeInPlace(next, backend, regCovar, where);
  const change = L - state.lowerBound;
  return {
    mixture: next,
    converged: Math.abs(change) < tol,
    nIter: state.nIter + 1,
    lowerBound: L,
    history: [...state.history, L],
  };
}

/**
 * Stepwise EM's running statistics (Cappé and Moulines 2009): s_t = (1 - eta_t) s_{t-1} + eta_t
 * s(chunk_t) with eta_t = (t + offset)^-decay, every s a per-row average (statistics divided by
 * their weight sum), so chunks of any size weigh by the schedule alone. The first chunk's statistics
 * are s_0.
 */
export class StepwiseStatistics {
  private running: Stats | null = null;
  /** Chunks absorbed so far. */
  steps = 0;

  constructor(
    readonly decay: number,
    readonly offset: number,
  ) {}

  /** Folds in one chunk's statistics (consumed: scaled in place) and returns the running average. */
  absorb(chunk: Stats): Stats {
    chunk.scale(1 / chunk.weightSum);
    if (this.running === null) {
      this.running = chunk.clone();
    } else {
      const eta = Math.pow(this.steps + this.offset, -this.decay);
      this.running.scale(1 - eta).add(chunk.scale(eta));
    }
    this.steps++;
    return this.running;
  }
}
