import type { CovarianceType } from './types.js';
import { kernelFamily } from './types.js';
import type { Backend, KernelParams, Stats } from './backend/types.js';
import { createStats } from './backend/types.js';
import type { IterationInfo } from './options.js';
import type { Mixture } from './params.js';
import { factorize } from './params.js';
import { mStep } from './mstep.js';
import { GaussianMixtureError, abortError } from './errors.js';

/**
 * Where the E-step + accumulation pass runs: a backend over all rows, or shards in workers whose
 * statistics are added up. Either may be asynchronous.
 */
export interface PassEngine {
  setParams(p: KernelParams): void | Promise<void>;
  emPass(out: Stats): void | Promise<void>;
}

export interface EmSettings {
  type: CovarianceType;
  regCovar: number;
  tol: number;
  relTol: number;
  maxIter: number;
  /** Restart index reported to onIteration. */
  init: number;
  onIteration?: (info: IterationInfo) => boolean | void;
  signal?: AbortSignal;
}

export interface EmRun {
  mixture: Mixture;
  converged: boolean;
  nIter: number;
  /** Mean log-likelihood at the parameters before the last M-step (scikit-learn's lower_bound_). */
  lowerBound: number;
  /** Mean log-likelihood at the start parameters and after each update but the last (the last comes from the final E-step). */
  history: number[];
  /** onIteration returned false: the caller runs no further restarts. */
  stopped: boolean;
}

/** How long the loop may run without letting the event loop deliver an abort. */
const YIELD_EVERY_MS = 25;

/**
 * One EM run from `start` with scikit-learn's semantics: iteration t runs the E-step at the current
 * parameters (giving L_t), then the M-step; it stops when |L_t - L_{t-1}| < tol (or the relative change
 * < relTol), after maxIter iterations, when onIteration returns false, or throws when aborted.
 * `backend` factorises the new covariances (it need not be the engine that runs the passes).
 */
export async function runEm(
  engine: PassEngine,
  backend: Backend,
  start: Mixture,
  s: EmSettings,
  previousLowerBound = -Infinity,
): Promise<EmRun> {
  const stats = createStats(start.k, start.d, kernelFamily(s.type));
  const history: number[] = [];
  let mixture = start;
  let lowerBound = previousLowerBound;
  let converged = false;
  let nIter = 0;
  let stopped = false;
  let lastYield = Date.now();

  for (let iter = 1; iter <= s.maxIter; iter++) {
    if (s.signal?.aborted) throw abortError(s.signal);
    await engine.setParams(mixture.kernel);
    await engine.emPass(stats);
    const L = stats.logLik / stats.weightSum;
    if (!Number.isFinite(L)) {
      throw new GaussianMixtureError(
        'NUMERICAL_FAILURE',
        `The mean log-likelihood became ${L} at iteration ${iter}: every component density underflowed or overflowed. ` +
          `Scale the data (columns with standard deviation near 1) or increase regCovar (now ${s.regCovar}).`,
      );
    }
    history.push(L);
    mixture = factorize(mStep(stats, mixture.means, s.type, s.regCovar), backend, s.regCovar, `in the M-step of iteration ${iter}`);
    const previous = lowerBound;
    const change = L - previous;
    lowerBound = L;
    nIter = iter;
    const proceed = s.onIteration?.({ init: s.init, iter, meanLogLikelihood: L, change });
    stopped = proceed === false;
    if (Math.abs(change) < s.tol || (s.relTol > 0 && Math.abs(change / previous) < s.relTol)) {
      converged = true;
      break;
    }
    if (stopped) break;
    if (s.signal && Date.now() - lastYield > YIELD_EVERY_MS) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      lastYield = Date.now();
    }
  }
  if (s.signal?.aborted) throw abortError(s.signal);
  return { mixture, converged, nIter, lowerBound, history, stopped };
}
