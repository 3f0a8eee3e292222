import type { Matrix, MatrixInput, SklearnCovarianceType } from './types.js';
import { SKLEARN_TYPES } from './types.js';
import type { Backend, BackendName } from './backend/types.js';
import type { FitOptions, FittedMixtureJSON, NestedArray } from './model.js';
import { GaussianMixture } from './model.js';
import type { GaussianMixtureOptions, InitStrategy, ResolvedOptions } from './options.js';
import type { FitEstimator, FitState } from './fit.js';
import type { ChunkSource } from './sources.js';
import type { MatrixSource } from './input.js';
import { asRows } from './input.js';
import type { ResolvedPriors, Variational, WeightConcentrationPriorType } from './variational.js';
import { VariationalEstimator, allocateVariational, foldExpectations } from './variational.js';
import { fillKernel } from './params.js';
import { choleskyLower } from './linalg.js';
import { describe, notFitted } from './errors.js';
import { parseBayesianModelJSON, storedOptionNames } from './model-json.js';

export type { WeightConcentrationPriorType } from './variational.js';

/** The priors of BayesianGaussianMixture (scikit-learn's names in camelCase); absent ones take scikit-learn's defaults. */
export interface BayesianPriorOptions {
  /** 'dirichlet_process' (stick-breaking, default) | 'dirichlet_distribution'. */
  weightConcentrationPriorType?: WeightConcentrationPriorType;
  /** Dirichlet (or stick-breaking Beta) concentration gamma_0 > 0. Default 1 / nComponents. */
  weightConcentrationPrior?: number;
  /** Precision prior beta_0 > 0 of the means. Default 1. */
  meanPrecisionPrior?: number;
  /** Prior mean m_0 (d numbers). Default the column means of X. */
  meanPrior?: ArrayLike<number>;
  /** Wishart degrees of freedom nu_0 > d - 1. Default d. */
  degreesOfFreedomPrior?: number;
  /**
   * Wishart covariance prior: full / tied a d x d symmetric positive-definite matrix (default the sample
   * covariance of X), diag d positive numbers (default the column variances), spherical one positive
   * number (default their mean); variances with ddof 1, as scikit-learn.
   */
  covariancePrior?: number | ArrayLike<number> | ArrayLike<ArrayLike<number>>;
}

/** GaussianMixture's options but partialFit's step sizes (the variational model has no online update). */
export type BayesianGaussianMixtureOptions = Omit<GaussianMixtureOptions, 'covarianceType' | 'init' | 'learningDecay' | 'learningOffset'> &
  BayesianPriorOptions & {
    /** 'full' (default) | 'tied' | 'diag' | 'spherical'. */
    covarianceType?: SklearnCovarianceType;
    /** 'kmeans' (default, as scikit-learn), 'kmeans++', 'random', 'random_from_data', 'hc' (mclust's hierarchical partition) or `{ labels }`. */
    init?: Exclude<InitStrategy, 'auto'> | { labels: ArrayLike<number> };
  };

/** GaussianMixture's resolved options that this model shares. */
type SharedOptions = Omit<ResolvedOptions, (typeof ONLINE_KEYS)[number]>;

/** What `toJSON` writes and `fromJSON` reads. */
export interface BayesianGaussianMixtureJSON extends FittedMixtureJSON {
  format: 'gmm-wasm/bayesian-model';
  version: 1;
  options: Omit<SharedOptions, 'onIteration' | 'signal' | 'init' | 'covarianceType'> & { covarianceType: SklearnCovarianceType; weightConcentrationPriorType: WeightConcentrationPriorType };
  priors: { weightConcentrationPrior: number; meanPrecisionPrior: number; meanPrior: number[]; degreesOfFreedomPrior: number; covariancePrior: number[] };
  weightConcentration: number[] | number[][];
  meanPrecision: number[];
  degreesOfFreedom: number | number[];
}

/** GaussianMixture's options for partialFit, which this model does not have. */
const ONLINE_KEYS = ['learningDecay', 'learningOffset'] as const;
const PRIOR_KEYS = ['weightConcentrationPriorType', 'weightConcentrationPrior', 'meanPrecisionPrior', 'meanPrior', 'degreesOfFreedomPrior', 'covariancePrior'] as const;
/** The options a saved model may carry: GaussianMixture's but partialFit's, and the prior options. */
const STORED_OPTIONS = [...storedOptionNames().filter((key) => !(ONLINE_KEYS as readonly string[]).includes(key)), ...PRIOR_KEYS];

/** GaussianMixture's machinery (input checks, backends, workers, scoring, sampling) fitting the variational estimator. */
class VariationalMixture extends GaussianMixture {
  constructor(
    options: GaussianMixtureOptions,
    private readonly priorOptions: BayesianPriorOptions,
  ) {
    super(options);
  }

  /** The priors weigh against the sum of the sample weights: their scale is part of the model. */
  protected override weightsAreRelative(): boolean {
    return false;
  }

  protected override estimator(data: Matrix<Float64Array> | Matrix<Float32Array> | MatrixSource, weights: Float64Array | null, backend: Backend): FitEstimator {
    const o = this.options;
    const type = o.covarianceType as SklearnCovarianceType;
    // The default priors read every row: a dense copy of an integer, strided or Arrow input.
    const priors = resolvePriors(this.priorOptions, type, o.nComponents, asRows(data), weights);
    const priorType = this.priorOptions.weightConcentrationPriorType ?? 'dirichlet_process';
    this.pending = priors;
    return new VariationalEstimator(type, o.nComponents, data.cols, o.regCovar, priorType, priors, backend);
  }

  /** A fit that fails keeps the previous model's priors with its parameters. */
  override async fit(X: MatrixInput | ChunkSource, fitOptions: FitOptions = {}): Promise<this> {
    await super.fit(X, fitOptions);
    this.resolved = this.pending;
    return this;
  }

  get variationalState(): (FitState & { mixture: Variational }) | null {
    return this.state as (FitState & { mixture: Variational }) | null;
  }

  restore(state: FitState & { mixture: Variational }): void {
    this.state = state;
  }

  /** The priors of the fitted (or restored) parameters, or null. */
  resolved: ResolvedPriors | null = null;
  private pending: ResolvedPriors | null = null;
}

/**
 * Variational Bayesian Gaussian mixture (scikit-learn's BayesianGaussianMixture, camelCase): give an
 * upper bound on the number of components and the weight prior switches the unneeded ones off.
 * Fitted by the same driver, backends and workers as GaussianMixture; the E-step runs the same
 * kernels at the expected parameters. `dispose()` frees its WebAssembly memory.
 */
export class BayesianGaussianMixture {
  private readonly core: VariationalMixture;
  private readonly priorOptions: BayesianPriorOptions;

  constructor(options: BayesianGaussianMixtureOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError(`options must be an object, got ${describe(options)}.`);
    const shared: Record<string, unknown> = { init: 'kmeans' };
    const priorOptions: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(options)) {
      if (value === undefined) continue;
      if ((ONLINE_KEYS as readonly string[]).includes(key)) {
        throw new TypeError(`Unknown option ${JSON.stringify(key)}: it sets partialFit's step sizes, and BayesianGaussianMixture has no online update.`);
      }
      if (key === 'onDegenerate' && value !== 'error') {
        throw new TypeError(`onDegenerate ${JSON.stringify(value)} is not for BayesianGaussianMixture: it re-seeds GaussianMixture's maximum-likelihood components; BayesianGaussianMixture's weight prior switches unneeded components off instead.`);
      }
      // Prior arrays are copied: a later change to the caller's arrays does not reach the model.
      if ((PRIOR_KEYS as readonly string[]).includes(key)) priorOptions[key] = plainCopy(value);
      else shared[key] = value;
    }
    if (shared.missingValues === 'em') {
      // The variational E-step of a row with missing entries is not the marginal of a fixed Gaussian, which is all missing.ts computes.
      throw new RangeError("missingValues: 'em' is not supported by BayesianGaussianMixture; use GaussianMixture for data with missing entries.");
    }
    const type = shared.covarianceType ?? 'full';
    if (!(SKLEARN_TYPES as readonly unknown[]).includes(type)) {
      const err = typeof type === 'string' ? RangeError : TypeError;
      throw new err(`covarianceType must be one of "full", "tied", "diag", "spherical" for BayesianGaussianMixture, got ${describe(type)}.`);
    }
    const init = shared.init;
    if (init === 'auto' || (init !== null && typeof init === 'object' && !('labels' in init))) {
      throw new RangeError(
        `init must be "kmeans", "kmeans++", "random", "random_from_data", "hc" or { labels } for BayesianGaussianMixture (it starts from responsibilities, as scikit-learn), got ${describe(init)}.`,
      );
    }
    checkPriorOptions(priorOptions as BayesianPriorOptions);
    this.priorOptions = priorOptions as BayesianPriorOptions;
    this.core = new VariationalMixture(shared as GaussianMixtureOptions, this.priorOptions);
  }

  /** The resolved options: the shared ones with defaults filled in, and the prior options as given. */
  get options(): Readonly<SharedOptions & BayesianPriorOptions> {
    const { learningDecay: _d, learningOffset: _o, ...shared } = this.core.options;
    return { ...shared, weightConcentrationPriorType: 'dirichlet_process', ...this.priorOptions };
  }

  /**
   * Fits the variational posterior: `nInit` runs (one when warmStart continues a fit), the one with
   * the highest lower bound kept. X: n x d with n >= nComponents, finite values, or a chunk source
   * `{ cols, chunks }` as GaussianMixture.fit takes (then the default priors and the start come from
   * its reservoir sample of up to 100 000 rows, and every update from passes over all rows). Never mutates X.
   */
  async fit(X: MatrixInput | ChunkSource, fitOptions: FitOptions = {}): Promise<this> {
    await this.core.fit(X, fitOptions);
    return this;
  }

  /** fit(X) then the labels of X (in memory). */
  async fitPredict(X: MatrixInput, fitOptions: FitOptions = {}): Promise<Int32Array> {
    await this.fit(X, fitOptions);
    return this.predict(X);
  }

  /** Most probable component of every row under the expected parameters (scikit-learn's predict). */
  predict(X: MatrixInput): Int32Array {
    return this.core.predict(X);
  }

  /** Responsibilities, n x k, rows summing to 1. */
  predictProba(X: MatrixInput): Matrix<Float64Array> {
    return this.core.predictProba(X);
  }

  /** scikit-learn's score_samples: log-sum-exp over components of E[ln pi_k] + E[ln N(x_i | mu_k, Lambda_k)]. */
  scoreSamples(X: MatrixInput): Float64Array {
    return this.core.scoreSamples(X);
  }

  /** Mean of scoreSamples. */
  score(X: MatrixInput): number {
    return this.core.score(X);
  }

  /** n rows from the mixture with the expected weights, the means and covariances, grouped by component. */
  sample(n: number, seed?: number): { X: Matrix<Float64Array>; labels: Int32Array } {
    return this.core.sample(n, seed);
  }

  /** How many expected weights exceed `threshold` (default 0.01): the components the prior left on. */
  effectiveComponents(threshold = 0.01): number {
    if (typeof threshold !== 'number' || !(threshold >= 0 && threshold < 1)) {
      throw new RangeError(`threshold must be a number in [0, 1), got ${describe(threshold)}.`);
    }
    return this.core.weights.filter((w) => w > threshold).length;
  }

  get weights(): number[] {
    return this.core.weights;
  }
  get means(): number[][] {
    return this.core.means;
  }
  /** full: k x d x d, tied: d x d, diag: k x d, spherical: k (scikit-learn's covariances_). */
  get covariances(): NestedArray {
    return this.core.covariances;
  }
  get precisionsCholesky(): NestedArray {
    return this.core.precisionsCholesky;
  }
  get converged(): boolean {
    return this.core.converged;
  }
  get nIter(): number {
    return this.core.nIter;
  }
  /** scikit-learn's lower_bound_: the ELBO (up to a constant) of the whole data set after the last update of the best run. */
  get lowerBound(): number {
    return this.core.lowerBound;
  }
  /** The lower bound after every update of the best run; it never decreases. */
  get history(): number[] {
    return this.core.history;
  }

  /** dirichlet_process: [alpha (k), beta (k)] of the stick-breaking Betas; dirichlet_distribution: the k Dirichlet parameters. */
  get weightConcentration(): number[] | number[][] {
    const m = this.variational('weightConcentration');
    return m.priorType === 'dirichlet_process' ? [Array.from(m.alpha), Array.from(m.beta)] : Array.from(m.alpha);
  }
  get meanPrecision(): number[] {
    return Array.from(this.variational('meanPrecision').meanPrecision);
  }
  /** Wishart degrees of freedom: k numbers (tied: one). */
  get degreesOfFreedom(): number | number[] {
    const m = this.variational('degreesOfFreedom');
    return m.type === 'tied' ? m.dof[0] : Array.from(m.dof);
  }

  /** The priors as resolved for the data of the last fit (scikit-learn's `*_prior_`); covariancePrior flat. */
  get resolvedPriors(): { weightConcentrationPrior: number; meanPrecisionPrior: number; meanPrior: number[]; degreesOfFreedomPrior: number; covariancePrior: number[] } {
    const p = this.core.resolved;
    if (p === null) throw notFitted('resolvedPriors');
    return { ...p, meanPrior: Array.from(p.meanPrior), covariancePrior: Array.from(p.covariancePrior) };
  }

  get fitWarnings(): string[] {
    return this.core.fitWarnings;
  }
  get fitWorkers(): number {
    return this.core.fitWorkers;
  }
  get backendName(): BackendName | null {
    return this.core.backendName;
  }

  toJSON(): BayesianGaussianMixtureJSON {
    const base = this.core.toJSON();
    const { learningDecay: _d, learningOffset: _o, ...shared } = base.options;
    const m = this.variational('toJSON');
    const priors = this.resolvedPriors;
    return {
      format: 'gmm-wasm/bayesian-model',
      version: 1,
      options: { ...shared, covarianceType: m.type as SklearnCovarianceType, ...this.priorOptions, weightConcentrationPriorType: m.priorType } as BayesianGaussianMixtureJSON['options'],
      nFeatures: m.d,
      priors,
      weightConcentration: this.weightConcentration,
      meanPrecision: this.meanPrecision,
      degreesOfFreedom: this.degreesOfFreedom,
      weights: base.weights,
      means: base.means,
      covariances: base.covariances,
      precisionsCholesky: base.precisionsCholesky,
      converged: base.converged,
      nIter: base.nIter,
      lowerBound: base.lowerBound,
      history: base.history,
    };
  }

  /**
   * Restores a model written by `toJSON` (object or JSON text); it predicts exactly as the original.
   * The input is untrusted: every field is validated as GaussianMixture.fromJSON does (model-json.ts),
   * and anything else throws GaussianMixtureError INVALID_MODEL naming the field.
   */
  static fromJSON(json: BayesianGaussianMixtureJSON | string): BayesianGaussianMixture {
    let model: BayesianGaussianMixture | undefined;
    const v = parseBayesianModelJSON(json, STORED_OPTIONS, (options) => {
      model = new BayesianGaussianMixture(options as BayesianGaussianMixtureOptions);
      const o = model.options;
      return { covarianceType: o.covarianceType as SklearnCovarianceType, nComponents: o.nComponents, weightConcentrationPriorType: o.weightConcentrationPriorType! };
    });
    const restored = model!;
    const k = v.nComponents;
    const m = allocateVariational(v.covarianceType, k, v.nFeatures, v.weightConcentrationPriorType);
    m.alpha.set(v.weightConcentration.subarray(0, k));
    m.beta.set(v.weightConcentration.subarray(k));
    m.meanPrecision.set(v.meanPrecision);
    m.dof.set(v.degreesOfFreedom);
    m.weights.set(v.weights);
    m.means.set(v.means);
    m.covariances.set(v.covariances);
    m.precChol.set(v.precisionsCholesky);
    fillKernel(m);
    foldExpectations(m);
    restored.core.resolved = v.priors;
    restored.core.restore({ mixture: m, converged: v.converged, nIter: v.nIter, lowerBound: v.lowerBound, history: v.history });
    return restored;
  }

  /** Frees the model's WebAssembly memory; the fitted parameters stay. */
  dispose(): void {
    this.core.dispose();
  }

  private variational(method: string): Variational {
    const s = this.core.variationalState;
    if (s === null) throw notFitted(method);
    return s.mixture;
  }
}

/** Checks the prior options that do not depend on the data (their types and ranges). */
function checkPriorOptions(p: BayesianPriorOptions): void {
  const t = p.weightConcentrationPriorType;
  if (t !== undefined && t !== 'dirichlet_process' && t !== 'dirichlet_distribution') {
    const err = typeof t === 'string' ? RangeError : TypeError;
    throw new err(`weightConcentrationPriorType must be "dirichlet_process" or "dirichlet_distribution", got ${describe(t)}.`);
  }
  for (const name of ['weightConcentrationPrior', 'meanPrecisionPrior'] as const) {
    const v = p[name];
    if (v === undefined) continue;
    if (typeof v !== 'number') throw new TypeError(`${name} must be a finite number > 0, got ${describe(v)}.`);
    if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`${name} must be a finite number > 0, got ${v}.`);
  }
  const nu = p.degreesOfFreedomPrior;
  if (nu !== undefined && typeof nu !== 'number') throw new TypeError(`degreesOfFreedomPrior must be a finite number > nFeatures - 1, got ${describe(nu)}.`);
  if (nu !== undefined && !Number.isFinite(nu)) throw new RangeError(`degreesOfFreedomPrior must be a finite number > nFeatures - 1, got ${nu}.`);
}

/**
 * The priors for data X (weighted rows count as repeated ones), scikit-learn's `_check_parameters`:
 * defaults from the data, given ones checked against its shape.
 */
function resolvePriors(p: BayesianPriorOptions, type: SklearnCovarianceType, k: number, X: Matrix<Float64Array> | Matrix<Float32Array>, w: Float64Array | null): ResolvedPriors {
  const { rows: n, cols: d, data } = X;
  let total = 0;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const wi = w ? w[i] : 1;
    total += wi;
    for (let a = 0; a < d; a++) mean[a] += wi * data[i * d + a];
  }
  for (let a = 0; a < d; a++) mean[a] /= total;

  let meanPrior = mean;
  if (p.meanPrior !== undefined) {
    const f = flatNumbers(p.meanPrior);
    if (f === null || f.length !== d || !f.every(Number.isFinite)) {
      throw new RangeError(`meanPrior must be ${d} finite numbers (one per column of X), got ${describe(p.meanPrior)}.`);
    }
    meanPrior = Float64Array.from(f);
  }
  const nu0 = p.degreesOfFreedomPrior ?? d;
  if (!(nu0 > d - 1)) throw new RangeError(`degreesOfFreedomPrior must be greater than nFeatures - 1 = ${d - 1}, got ${nu0}.`);

  let covariancePrior: Float64Array;
  if (p.covariancePrior === undefined) {
    // Sample covariance with ddof 1 (np.cov / np.var(ddof=1)), centred at the column means.
    const cov = new Float64Array(d * d);
    for (let i = 0; i < n; i++) {
      const wi = w ? w[i] : 1;
      for (let a = 0; a < d; a++) {
        const da = data[i * d + a] - mean[a];
        for (let b = a; b < d; b++) cov[a * d + b] += wi * da * (data[i * d + b] - mean[b]);
      }
    }
    for (let a = 0; a < d; a++) {
      for (let b = a; b < d; b++) {
        cov[a * d + b] /= total - 1;
        cov[b * d + a] = cov[a * d + b];
      }
    }
    if (type === 'full' || type === 'tied') covariancePrior = cov;
    else {
      const variances = Float64Array.from({ length: d }, (_, a) => cov[a * d + a]);
      covariancePrior = type === 'diag' ? variances : Float64Array.of(variances.reduce((s, v) => s + v, 0) / d);
    }
  } else {
    covariancePrior = checkCovariancePrior(p.covariancePrior, type, d);
  }
  return {
    weightConcentrationPrior: p.weightConcentrationPrior ?? 1 / k,
    meanPrecisionPrior: p.meanPrecisionPrior ?? 1,
    meanPrior,
    degreesOfFreedomPrior: nu0,
    covariancePrior,
  };
}

function checkCovariancePrior(value: unknown, type: SklearnCovarianceType, d: number): Float64Array {
  if (type === 'spherical') {
    if (typeof value !== 'number') throw new TypeError(`covariancePrior must be a number > 0 for covarianceType 'spherical', got ${describe(value)}.`);
    if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`covariancePrior must be a finite number > 0 for covarianceType 'spherical', got ${value}.`);
    return Float64Array.of(value);
  }
  const f = flatNumbers(value);
  const size = type === 'diag' ? d : d * d;
  const shape = type === 'diag' ? `${d} numbers` : `a ${d} x ${d} matrix`;
  if (f === null || f.length !== size || !f.every(Number.isFinite)) {
    throw new RangeError(`covariancePrior must be ${shape} of finite numbers for covarianceType '${type}' (nFeatures = ${d}), got ${describe(value)}.`);
  }
  const a = Float64Array.from(f);
  if (type === 'diag') {
    const bad = a.findIndex((v) => !(v > 0));
    if (bad >= 0) throw new RangeError(`covariancePrior must be positive for covarianceType 'diag', but entry ${bad} is ${a[bad]}.`);
    return a;
  }
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) {
      if (Math.abs(a[i * d + j] - a[j * d + i]) > 1e-10 * Math.max(Math.abs(a[i * d + j]), Math.abs(a[j * d + i]), 1e-300)) {
        throw new RangeError(`covariancePrior must be symmetric, but entry [${i}][${j}] = ${a[i * d + j]} differs from [${j}][${i}] = ${a[j * d + i]}.`);
      }
    }
  }
  if (!choleskyLower(a, 0, d, new Float64Array(d * d))) throw new RangeError(`covariancePrior must be positive definite (for covarianceType '${type}'); the given matrix is not.`);
  return a;
}

/** Arrays and typed arrays (nested) as plain arrays, other values as they are. */
function plainCopy(value: unknown): unknown {
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return value.map(plainCopy);
  return value;
}

/** The numbers of a (possibly nested) array, or null when it is not one. */
function flatNumbers(value: unknown): number[] | null {
  if (typeof value === 'number') return [value];
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (!Array.isArray(value)) return null;
  const out: number[] = [];
  for (const v of value) {
    const f = flatNumbers(v);
    if (f === null) return null;
    out.push(...f);
  }
  return out;
}
