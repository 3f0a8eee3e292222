import type { CovarianceType } from './types.js';
import { COVARIANCE_TYPES } from './types.js';
import { describe } from './errors.js';

/** Progress report passed to `onIteration` once per EM iteration. */
export interface IterationInfo {
  /** Restart index, 0 .. nInit - 1. */
  init: number;
  /** Iteration within this restart, from 1. */
  iter: number;
  /**
   * Mean log-likelihood per sample at the parameters before this iteration's M-step
   * (BayesianGaussianMixture: the mean log of the E-step's normaliser, scikit-learn's log_prob_norm).
   */
  meanLogLikelihood: number;
  /** BayesianGaussianMixture only: the lower bound (ELBO of the whole data set) after this iteration's update. */
  lowerBound?: number;
  /** BayesianGaussianMixture only: the weights after this iteration's update (components switching off as the bound rises). */
  weights?: number[];
  /** Change of the monitored value (GaussianMixture: meanLogLikelihood; BayesianGaussianMixture: lowerBound) from the previous iteration (Infinity on the first). */
  change: number;
  /**
   * init 'auto' only: which candidate start this run belongs to (0 = the hierarchical partition, then
   * the k-means and random-row partitions, then the split-and-merge moves from the best run, numbered
   * on). Its short runs are reported one after the other, then the winner's run
   * continues with `candidate` set to the winner and `iter` counting on.
   */
  candidate?: number;
}

/** Initial parameters: any part given overrides the estimate of 'kmeans' (or of the partition by nearest given mean). */
export interface InitParameters {
  weights?: ArrayLike<number>;
  means?: ArrayLike<ArrayLike<number>>;
  /** full: k x d x d, tied: d x d, diag: k x d, spherical: k. */
  covariances?: unknown;
}

export type InitStrategy = 'auto' | 'hc' | 'kmeans' | 'kmeans++' | 'random' | 'random_from_data';
export type InitOption = InitStrategy | { labels: ArrayLike<number> } | InitParameters;
export type BackendOption = 'auto' | 'wasm' | 'wasm-scalar' | 'js';

export interface GaussianMixtureOptions {
  /** Number of mixture components K (>= 1). Default 1. */
  nComponents?: number;
  /**
   * 'full' (default) | 'tied' | 'diag' | 'spherical', or one of mclust's fourteen models EII, VII, EEI,
   * VEI, EVI, VVI, EEE, VEE, EVE, VVE, EEV, VEV, EVV, VVV (VVV = full, EEE = tied, VVI = diag, VII = spherical).
   */
  covarianceType?: CovarianceType;
  /** Stop when |L_t - L_{t-1}| < tol, L the mean log-likelihood per sample. Default 1e-3. */
  tol?: number;
  /** Also stop when |(L_t - L_{t-1}) / L_{t-1}| < relTol. Default 0 (off). */
  relTol?: number;
  /** Maximum EM iterations per restart; 0 only initialises. Default 100. */
  maxIter?: number;
  /** Added to every covariance diagonal after each M-step. Default 1e-6. */
  regCovar?: number;
  /** Restarts; the run with the highest final lower bound is kept. Default 1. */
  nInit?: number;
  /**
   * Initialisation. Default 'auto': short EM runs from mclust's hierarchical start and from several
   * k-means starts, the best continued to convergence (emEM). Also 'hc' (mclust's own default: EM
   * from the hierarchical partition alone, one start, so nInit must be 1), 'kmeans', 'kmeans++',
   * 'random', 'random_from_data', `{ labels }` or `{ weights?, means?, covariances? }`.
   */
  init?: InitOption;
  /** Seed of every random choice (uint32). Default: a random seed (scikit-learn's random_state=None). */
  seed?: number;
  /** Start the next fit from the current parameters (one run). Default false. */
  warmStart?: boolean;
  /** 'auto' (default: WASM, JS where WebAssembly is missing) | 'wasm' | 'wasm-scalar' | 'js'. */
  backend?: BackendOption;
  /** Called once per iteration; returning false stops the whole fit (no further restarts). `converged` is true only if the run met tol/relTol. */
  onIteration?: (info: IterationInfo) => boolean | void;
  /** Aborts the fit with an AbortError. */
  signal?: AbortSignal;
  /**
   * Threads for the EM passes of `fit`: n >= 2 splits the rows into n contiguous shards, each in its own
   * Web Worker (browsers) or worker_threads Worker (Node) with its own backend; the statistics are
   * added on the calling thread. 'auto' = navigator.hardwareConcurrency or os.availableParallelism().
   * Results equal the one-thread fit up to the order of floating-point sums (~1e-12 relative). Where
   * workers cannot be started the fit runs on one thread and says so in `fitWarnings`. Capped at the
   * number of cores and at one worker per MIN_ROWS_PER_WORKER (64) rows; a capped number is
   * reported in `fitWarnings`. Default 1.
   */
  workers?: number | 'auto';
  /**
   * partialFit's step sizes eta_t = (t + learningOffset)^-learningDecay for the t-th chunk after the
   * first (stepwise EM, Cappé and Moulines 2009): decay in (0.5, 1] makes the steps sum to infinity
   * while their squares converge, so the online estimate settles. Smaller decays forget faster.
   * Default 0.6.
   */
  learningDecay?: number;
  /** partialFit: the offset of the step-size schedule (>= 1; larger damps the early chunks). Default 2. */
  learningOffset?: number;
  /**
   * 'error' (default): a NaN in X is a RangeError naming its row and column. 'em': NaN (or null in
   * nested arrays) marks a missing entry; fit runs exact EM on the observed values (E-step on each
   * row's observed coordinates, M-step with the conditional means and covariances of the missing
   * ones) and `history` is the observed-data log-likelihood; predict, predictProba, scoreSamples,
   * score, bic and aic use each row's observed coordinates. A row with every value missing is a RangeError.
   */
  missingValues?: 'error' | 'em';
  /**
   * What happens when a component empties or collapses in an M-step (its covariance not positive
   * definite even with regCovar): 'error' (default, scikit-learn's behaviour) throws
   * ILL_DEFINED_COVARIANCE naming the component; 'reseed' moves the component to the row with the
   * lowest log-likelihood (with the mean covariance of the others and weight 1/k), continues, and
   * says so in `fitWarnings`. Not for one component, 'tied', or mclust models with cross-component
   * constraints (EEI, VEI, EVI, VEE, EVE, VVE, EEV, VEV, EVV, EII), where the error is thrown.
   */
  onDegenerate?: 'error' | 'reseed';
}

export type ResolvedOptions = Required<Omit<GaussianMixtureOptions, 'seed' | 'onIteration' | 'signal'>> &
  Pick<GaussianMixtureOptions, 'seed' | 'onIteration' | 'signal'>;

export const DEFAULTS = {
  nComponents: 1,
  covarianceType: 'full',
  tol: 1e-3,
  relTol: 0,
  maxIter: 100,
  regCovar: 1e-6,
  nInit: 1,
  init: 'auto',
  warmStart: false,
  backend: 'auto',
  workers: 1,
  learningDecay: 0.6,
  learningOffset: 2,
  missingValues: 'error',
  onDegenerate: 'error',
} as const satisfies Partial<GaussianMixtureOptions>;

const KNOWN = new Set([...Object.keys(DEFAULTS), 'seed', 'onIteration', 'signal']);
const INIT_STRATEGIES: readonly string[] = ['auto', 'hc', 'kmeans', 'kmeans++', 'random', 'random_from_data'];
const BACKENDS: readonly string[] = ['auto', 'wasm', 'wasm-scalar', 'js'];
const MISSING_VALUES: readonly string[] = ['error', 'em'];

/** Merges options with the defaults and validates every one; throws TypeError/RangeError naming it. */
export function resolveOptions(options: GaussianMixtureOptions = {}): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`options must be an object, got ${describe(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) {
      throw new TypeError(`Unknown option ${JSON.stringify(key)}; the options are ${[...KNOWN].join(', ')}.`);
    }
  }
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o = { ...DEFAULTS, ...defined } as ResolvedOptions;

  integer('nComponents', o.nComponents, 1);
  oneOf('covarianceType', o.covarianceType, COVARIANCE_TYPES);
  nonNegative('tol', o.tol);
  nonNegative('relTol', o.relTol);
  integer('maxIter', o.maxIter, 0);
  nonNegative('regCovar', o.regCovar);
  integer('nInit', o.nInit, 1);
  oneOf('backend', o.backend, BACKENDS);
  oneOf('missingValues', o.missingValues, MISSING_VALUES);
  if (o.workers !== 'auto') {
    if (typeof o.workers !== 'number' || !Number.isInteger(o.workers)) {
      throw new TypeError(`workers must be an integer >= 1 or 'auto', got ${describe(o.workers)}.`);
    }
    if (o.workers < 1) throw new RangeError(`workers must be an integer >= 1 or 'auto', got ${o.workers}.`);
  }
  if (typeof o.learningDecay !== 'number') throw new TypeError(`learningDecay must be a number in (0.5, 1], got ${describe(o.learningDecay)}.`);
  if (!(o.learningDecay > 0.5 && o.learningDecay <= 1)) throw new RangeError(`learningDecay must be a number in (0.5, 1], got ${o.learningDecay}.`);
  if (typeof o.learningOffset !== 'number') throw new TypeError(`learningOffset must be a finite number >= 1, got ${describe(o.learningOffset)}.`);
  if (!(Number.isFinite(o.learningOffset) && o.learningOffset >= 1)) throw new RangeError(`learningOffset must be a finite number >= 1, got ${o.learningOffset}.`);
  oneOf('onDegenerate', o.onDegenerate, ['error', 'reseed']);
  if (typeof o.warmStart !== 'boolean') throw new TypeError(`warmStart must be a boolean, got ${describe(o.warmStart)}.`);
  if (o.seed !== undefined && !(Number.isInteger(o.seed) && o.seed >= 0 && o.seed <= 0xffffffff)) {
    throw new RangeError(`seed must be an integer from 0 to 4294967295, got ${describe(o.seed)}.`);
  }
  if (o.onIteration !== undefined && typeof o.onIteration !== 'function') {
    throw new TypeError(`onIteration must be a function, got ${describe(o.onIteration)}.`);
  }
  if (o.signal !== undefined && (o.signal === null || typeof o.signal !== 'object' || typeof o.signal.aborted !== 'boolean')) {
    throw new TypeError(`signal must be an AbortSignal, got ${describe(o.signal)}.`);
  }
  validateInitShape(o.init);
  if (o.init === 'hc' && o.nInit !== 1) {
    // The tree, and so the start, is the same in every restart: restarts would repeat one fit.
    throw new RangeError(`nInit must be 1 with init 'hc' (mclust's hierarchical partition is one start per nComponents), got ${o.nInit}; for several starts use init 'auto'.`);
  }
  return o;
}

function validateInitShape(init: unknown): void {
  if (typeof init === 'string') {
    oneOf('init', init, INIT_STRATEGIES);
    return;
  }
  if (init === null || typeof init !== 'object') {
    throw new TypeError(
      `init must be one of ${INIT_STRATEGIES.map((s) => JSON.stringify(s)).join(', ')}, { labels } or { weights?, means?, covariances? }, got ${describe(init)}.`,
    );
  }
  const keys = Object.keys(init);
  const allowed = 'labels' in init ? ['labels'] : ['weights', 'means', 'covariances'];
  for (const key of keys) {
    if (!allowed.includes(key)) {
      throw new TypeError(`init has an unknown field ${JSON.stringify(key)}; allowed: ${allowed.join(', ')}.`);
    }
  }
}

function integer(name: string, v: unknown, min: number): void {
  if (typeof v !== 'number') throw new TypeError(`${name} must be an integer >= ${min}, got ${describe(v)}.`);
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${v}.`);
}

function nonNegative(name: string, v: unknown): void {
  if (typeof v !== 'number') throw new TypeError(`${name} must be a finite number >= 0, got ${describe(v)}.`);
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name} must be a finite number >= 0, got ${v}.`);
}

function oneOf(name: string, v: unknown, allowed: readonly string[]): void {
  if (!allowed.includes(v as string)) {
    const list = allowed.map((s) => JSON.stringify(s)).join(', ');
    if (typeof v !== 'string') throw new TypeError(`${name} must be one of ${list}, got ${describe(v)}.`);
    throw new RangeError(`${name} must be one of ${list}, got ${describe(v)}.`);
  }
}
