import type { CovarianceType } from './types.js';
import { kernelFamily } from './types.js';
import type { Backend, DataHandle, KernelParams, Stats } from './backend/types.js';
import { createStats } from './backend/types.js';
import type { IterationInfo } from './options.js';
import type { Mixture } from './params.js';
import { allocateMixture, factorizeInPlace } from './params.js';
import { mStep } from './mstep.js';
import { GaussianMixtureError, abortError } from './errors.js';
import type { Reseeder } from './degenerate.js';

/**
 * What the fit driver needs from a kind of mixture model (scikit-learn's BaseMixture subclasses):
 * its parameters P are a Mixture, whose `kernel` is what the E-step reads, plus whatever else the
 * estimator keeps. `update` turns the statistics of an E-step at `current` into the next parameters
 * and returns the bound the driver monitors for this iteration.
 */
export interface Estimator<P extends Mixture = Mixture> {
  /**
   * Whether the monitored bound belongs to the parameters before the update (maximum likelihood: the
   * E-step's log-likelihood) or after it (variational: the ELBO). In the first case the fit driver's
   * final E-step supplies the bound of the returned parameters to close the history.
   */
  readonly boundAfterUpdate: boolean;
  /**
   * The next parameters from `stats` (taken at `current.kernel`, about its means), written into
   * `spare` (a previous parameter set of this run, or null: allocate) and the bound. `iter` and the
   * regularisation are for error messages. `current` must not be written. `reseeded`: the update
   * moved a degenerate component (onDegenerate 'reseed'), so a new segment of the history starts.
   */
  update(stats: Stats, current: P, spare: P | null, iter: number): { next: P; bound: number; reseeded?: boolean };
}

/** GaussianMixture's estimator: the maximum-likelihood M-step; the bound is the mean log-likelihood. */
export class MaximumLikelihood implements Estimator<Mixture> {
  readonly boundAfterUpdate = false;

  constructor(
    readonly type: CovarianceType,
    readonly regCovar: number,
    /** Factorises the new covariances (it need not be the engine that runs the passes). */
    readonly backend: Backend,
    /** onDegenerate 'reseed': factorises with recovery of empty or collapsed components. */
    readonly reseeder?: Reseeder,
  ) {}

  update(stats: Stats, current: Mixture, spare: Mixture | null, iter: number): { next: Mixture; bound: number; reseeded: boolean } {
    const next = spare ?? allocateMixture(this.type, current.k, current.d);
    mStep(stats, current.means, this.type, this.regCovar, current.inner, next);
    const when = `in the M-step of iteration ${iter}`;
    const reseeded = this.reseeder ? this.reseeder.factorize(next, current, stats, iter, when) : (factorizeInPlace(next, this.backend, this.regCovar, when), false);
    return { next, bound: stats.logLik / stats.weightSum, reseeded };
  }
}

/**
 * Where the E-step + accumulation pass over all rows runs: a data set in a backend, shards in
 * workers, or a sequence of chunks, whose statistics are added up. It may be asynchronous.
 */
export interface PassEngine {
  emPass(p: KernelParams, out: Stats): void | Promise<void>;
}

/** The pass over one data set loaded into a backend. */
export class LocalEngine implements PassEngine {
  constructor(
    readonly backend: Backend,
    readonly handle: DataHandle,
  ) {}

  emPass(p: KernelParams, out: Stats): void {
    this.backend.emPass(this.handle, p, out);
  }
}

export interface EmSettings {
  type: CovarianceType;
  regCovar: number;
  tol: number;
  relTol: number;
  maxIter: number;
  /** Restart index reported to onIteration. */
  init: number;
  /** Number of the first iteration, as reported to onIteration (a continued run counts on). Default 1. */
  firstIter?: number;
  /** Candidate start reported to onIteration (init 'auto'), or undefined. */
  candidate?: number;
  /**
   * Also stop when Aitken's extrapolation of the log-likelihood sequence (Böhning et al. 1994) puts
   * the gain still to come below this many units of total log-likelihood (sum_i w_i log p(x_i)):
   * a stopping rule on the distance to the limit rather than on the last step, which matters when
   * EM crawls (model selection compares totals, so a per-sample step threshold either stops far
   * from the limit on large n or iterates for nothing on small n).
   */
  gainTol?: number;
  /**
   * selectModel's race: the total log-likelihood this run must exceed for its candidate to beat the
   * best one it is raced against. The run stops (EmRun.outraced) once it is more than RACE_MARGIN short and
   * cannot get there even if its next maxIter - t increments all were RACE_SAFETY times the largest of
   * its last RACE_WINDOW ones: EM's increments shrink in its linear regime. While the rivals that
   * set it still run (selectModel in workers), a Settling value that only rises until final: the run
   * keeps every iteration's parameters, stops iterating once an iteration already past would have
   * stopped under the current value, and at its end waits for the final value and goes back to the
   * first iteration that stops under it, so that it ends as it would have against the final value.
   */
  mustExceed?: number | Settling;
  /**
   * Model selection's short runs (init 'auto'): after iteration `iteration` of this call, a run whose
   * parameters `keep` rejects (a collapsed component) stops there, EmRun.held, so that a candidate
   * whose every short run collapsed early is abandoned without running them on (fit.ts autoRun).
   */
  holdAt?: { iteration: number; keep: (m: Mixture) => boolean };
  onIteration?: (info: IterationInfo) => boolean | void;
  signal?: AbortSignal;
}

/** A value that may still change (see EmSettings.mustExceed) until `final`. */
export interface Settling {
  readonly value: number;
  readonly final: boolean;
  /** Resolves once `final`. */
  settled(): Promise<void>;
}

export interface EmRun<P extends Mixture = Mixture> {
  mixture: P;
  converged: boolean;
  nIter: number;
  /** The estimator's last bound (scikit-learn's lower_bound_): maximum likelihood, the mean log-likelihood before the last M-step. */
  lowerBound: number;
  /**
   * The bound per iteration. Maximum likelihood: at the start parameters and after each update but
   * the last (the last comes from the final E-step); variational: after each update.
   */
  history: number[];
  /** onIteration returned false: the caller runs no further restarts. */
  stopped: boolean;
  /** Stopped by EmSettings.mustExceed: this run cannot reach it (not converged). */
  outraced?: boolean;
  /** Stopped by EmSettings.holdAt (not converged); runEm can continue it as if it had not stopped. */
  held?: boolean;
}

/** How long the loop may run without letting the event loop deliver an abort. */
const YIELD_EVERY_MS = 25;
/** ... or the news of a Settling bar (EmSettings.mustExceed): a late one only costs iterations the run then discards. */
const BAR_NEWS_EVERY_MS = 100;
/**
 * The race (EmSettings.mustExceed) bounds the gain still to come by RACE_SAFETY times the largest of
 * the last RACE_WINDOW increments per remaining iteration, and acts only once a segment has that many
 * and the run is more than RACE_MARGIN units of total log-likelihood short. The bound fails when EM
 * leaves a plateau (a component that splits slowly, then faster: its increments grow again): on three
 * blobs a crawling K = 5 fit 3.7 units short of the AIC bar gained 4 times the bound after it, and
 * won by 0.2 at maxIter (test/select-race.test.ts). Such near ties run to the end; the candidates the
 * race is for are hundreds to thousands of units short.
 */
const RACE_WINDOW = 10;
const RACE_SAFETY = 2;
const RACE_MARGIN = 10;

/**
 * One EM run from `start` with scikit-learn's semantics: iteration t runs the E-step at the current
 * parameters, then the estimator's update, which gives the bound L_t; it stops when
 * |L_t - L_{t-1}| < tol (or the relative change < relTol), after maxIter iterations, when
 * onIteration returns false, when it cannot reach `mustExceed`, or throws when aborted.
 */
export async function runEm<P extends Mixture>(
  engine: PassEngine,
  estimator: Estimator<P>,
  start: P,
  s: EmSettings,
  previousLowerBound = -Infinity,
  /** The bound before previousLowerBound, when this call continues a held run: Aitken's test spans the join. */
  beforePreviousLowerBound = -Infinity,
): Promise<EmRun<P>> {
  const stats = createStats(start.k, start.d, kernelFamily(s.type));
  const history: number[] = [];
  let mixture = start;
  // Two parameter sets alternate (the update reads the current means while writing the next), so an
  // iteration allocates nothing; `start` belongs to the caller and is never written.
  let spare: P | null = null;
  let lowerBound = previousLowerBound;
  let beforePrevious = beforePreviousLowerBound;
  let converged = false;
  let nIter = 0;
  let stopped = false;
  let segmentStart = false;
  let outraced = false;
  // The last RACE_WINDOW increments of the total log-likelihood, a ring, and how many of them count.
  const increments = new Float64Array(s.mustExceed === undefined ? 0 : RACE_WINDOW);
  let counted = 0;
  const bar = s.mustExceed;
  const rising = typeof bar === 'object' && !bar.final ? bar : null;
  const fixedBar = typeof bar === 'object' ? bar.value : bar;
  // With a rising bar: every race check's inputs and the parameters and bound after that iteration.
  const checks: { total: number; reach: number; iter: number; mixture: P; lowerBound: number }[] = [];
  let checkedAt = -Infinity;
  let lastYield = Date.now();

  for (let iter = 1; iter <= s.maxIter; iter++) {
    if (s.signal?.aborted) throw abortError(s.signal);
    await engine.emPass(mixture.kernel, stats);
    const meanLogLik = stats.logLik / stats.weightSum;
    if (!Number.isFinite(meanLogLik)) {
      throw new GaussianMixtureError(
        'NUMERICAL_FAILURE',
        `The mean log-likelihood became ${meanLogLik} at iteration ${iter}: every component density underflowed or overflowed. ` +
          `Scale the data (columns with standard deviation near 1) or increase regCovar (now ${s.regCovar}).`,
      );
    }
    const { next, bound: L, reseeded = false } = estimator.update(stats, mixture, spare, iter);
    history.push(L);
    // A rising bar may send the run back to any earlier iteration's parameters: none is reused.
    spare = mixture === start || rising ? null : mixture;
    mixture = next;
    // After a re-seed a new segment of the history starts: the next change is not a convergence step.
    const previous = segmentStart ? -Infinity : lowerBound;
    segmentStart = reseeded;
    const change = L - previous;
    lowerBound = L;
    nIter = iter;
    let proceed: boolean | void = undefined;
    if (s.onIteration) {
      const info: IterationInfo = { init: s.init, iter: iter + (s.firstIter ?? 1) - 1, meanLogLikelihood: meanLogLik, change };
      if (estimator.boundAfterUpdate) {
        info.lowerBound = L;
        info.weights = Array.from(mixture.weights);
      }
      if (s.candidate !== undefined) info.candidate = s.candidate;
      proceed = s.onIteration(info);
    }
    stopped = proceed === false;
    // A re-seeded iteration is not a converged update, whatever its change.
    const small = Math.abs(change) < s.tol || (s.relTol > 0 && Math.abs(change / previous) < s.relTol) || aitkenDone(beforePrevious, previous, L, stats.weightSum, s.gainTol);
    if (small && !reseeded) {
      converged = true;
      break;
    }
    beforePrevious = previous;
    if (stopped) break;
    if (s.holdAt && iter === s.holdAt.iteration && iter < s.maxIter && !s.holdAt.keep(mixture)) {
      return { mixture, converged: false, nIter, lowerBound, history, stopped: false, held: true };
    }
    if (s.mustExceed !== undefined) {
      counted = reseeded || !Number.isFinite(change) ? 0 : counted + 1;
      increments[iter % RACE_WINDOW] = change * stats.weightSum;
      if (counted >= RACE_WINDOW) {
        const total = L * stats.weightSum;
        // The returned parameters come from the last update, so the final log-likelihood is maxIter - iter + 1 increments on.
        const reach = (): number => RACE_SAFETY * Math.max(...increments) * (s.maxIter - iter + 1);
        if (rising) {
          checks.push({ total, reach: reach(), iter, mixture, lowerBound: L });
          // A risen bar can stop an iteration already past: then the run has gone far enough.
          const value = rising.value;
          const from = value === checkedAt ? checks.length - 1 : 0;
          checkedAt = value;
          if (checks.slice(from).some((c) => outracedAt(c.total, () => c.reach, value))) break;
        } else if (outracedAt(total, reach, fixedBar!)) {
          outraced = true;
          break;
        }
      }
    }
    if (s.signal && Date.now() - lastYield > YIELD_EVERY_MS) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      lastYield = Date.now();
    } else if (rising && Date.now() - lastYield > BAR_NEWS_EVERY_MS) {
      // Lets the bar's news arrive; setTimeout would wait 1 to 4 ms each time.
      await new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
      lastYield = Date.now();
    }
  }
  if (s.signal?.aborted) throw abortError(s.signal);
  if (rising) {
    await rising.settled();
    const first = checks.find((c) => outracedAt(c.total, () => c.reach, rising.value));
    // The run against the final bar stops there, and is the same up to there.
    if (first) return { mixture: first.mixture, converged: false, nIter: first.iter, lowerBound: first.lowerBound, history: history.slice(0, first.iter), stopped: false, outraced: true };
  }
  return { mixture, converged, nIter, lowerBound, history, stopped, outraced };
}

/** The race's test at one iteration, from the run's total log-likelihood and the most it may still gain (asked only when short). */
function outracedAt(total: number, reach: () => number, mustExceed: number): boolean {
  return total < mustExceed - RACE_MARGIN && total + reach() < mustExceed;
}

/**
 * Aitken's test on the last three mean log-likelihoods: with increments shrinking at the rate
 * a = (L2 - L1) / (L1 - L0) < 1, what is still to come is at most (L2 - L1) / (1 - a) per unit weight.
 */
function aitkenDone(L0: number, L1: number, L2: number, weightSum: number, gainTol: number | undefined): boolean {
  if (gainTol === undefined || !Number.isFinite(L0)) return false;
  const step = L2 - L1;
  const rate = step / (L1 - L0);
  return step >= 0 && rate >= 0 && rate < 1 && (step / (1 - rate)) * weightSum < gainTol;
}
