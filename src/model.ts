import type { CovarianceType, Matrix, MatrixInput } from './types.js';
import { isMclustName, kernelFamily, mclustName, storageType } from './types.js';
import type { Backend, BackendName } from './backend/types.js';
import { createBackend, createBackendSync } from './backend/create.js';
import type { GaussianMixtureOptions, ResolvedOptions } from './options.js';
import { resolveOptions } from './options.js';
import { denseRows, normalizeWeights, readMatrix, toSampleWeight } from './input.js';
import type { MatrixSource } from './input.js';
import type { FitEstimator, FitJob, FitState } from './fit.js';
import { fitMixture } from './fit.js';
import { LocalEngine } from './em.js';
import { START_SAMPLE_ROWS } from './starts.js';
import type { ChunkSource } from './sources.js';
import { ChunkEngine, SOURCE_SAMPLE_ROWS, checkSource, isChunkSource, sampleSource } from './sources.js';
import { criteria } from './criteria.js';
import { expandToFull, fromPrecisions } from './params.js';
import { MODEL_FORMAT, MODEL_VERSION, parseModelJSON } from './model-json.js';
import { mclustParameterCount } from './covariance-models.js';
import { Random, randomSeed } from './random.js';
import { choleskyLower } from './linalg.js';
import { collapseReason, collapsedComponent } from './collapse.js';
import { meanColumnVariance } from './kmeans.js';
import { abortError, describe, notFitted } from './errors.js';
import { createChunkWorkers, createShardedEngine, usefulWorkerCount } from './parallel.js';
import { SufficientStatistics } from './statistics.js';
import { createStats } from './backend/types.js';
import { StepwiseStatistics, updateState } from './online.js';
import { MissingEngine, groupByPattern, hasMissing, imputeRows, meanImputed, scoreIncomplete } from './missing.js';

/** Covariances or precision factors in scikit-learn's shape for the covariance type. */
export type NestedArray = number[] | number[][] | number[][][];

/**
 * The shape of `covariances` (and `precisionsCholesky`) for a covariance type: full and every mclust
 * name k x d x d, tied d x d, diag k x d, spherical k; NestedArray when the type is not known statically.
 */
export type CovariancesOf<T extends CovarianceType> = CovarianceType extends T
  ? NestedArray
  : T extends 'tied' | 'diag'
    ? number[][]
    : T extends 'spherical'
      ? number[]
      : number[][][];

/** Options of `impute`. */
export interface ImputeOptions {
  /** Also return the conditional variances Var[x_j | x_o] (0 for observed entries). Default false. */
  variances?: boolean;
}

export interface FitOptions {
  /** Non-negative per-sample weights (length n); integer weights fit like repeated rows. */
  sampleWeight?: ArrayLike<number>;
}

/** The fitted state that GaussianMixtureJSON and BayesianGaussianMixtureJSON both carry. */
export interface FittedMixtureJSON {
  nFeatures: number;
  weights: number[];
  means: number[][];
  covariances: NestedArray;
  precisionsCholesky: NestedArray;
  converged: boolean;
  nIter: number;
  lowerBound: number;
  history: number[];
}

/** What `toJSON` writes and `fromJSON` reads. */
export interface GaussianMixtureJSON extends FittedMixtureJSON {
  format: typeof MODEL_FORMAT;
  version: typeof MODEL_VERSION;
  options: Omit<ResolvedOptions, 'onIteration' | 'signal' | 'init'>;
}


/**
 * A Gaussian mixture fitted by Expectation-Maximization (scikit-learn's GaussianMixture, camelCase).
 * One WebAssembly instance (or JS backend) per model, reused by every call; `dispose()` frees it.
 */
/**
 * T is the covariance type when it is known statically (`new GaussianMixture({ covarianceType: 'diag' })`
 * infers 'diag'), so that `covariances` has its shape; otherwise (no covarianceType, a model from
 * fromJSON or selectModel) it is any type, and `covariances` a NestedArray.
 */
export class GaussianMixture<T extends CovarianceType = CovarianceType> {
  private readonly opts: ResolvedOptions;
  private backend: Backend | null = null;
  protected state: FitState | null = null;
  private lastFit: { workers: number; warnings: string[] } = { workers: 1, warnings: [] };
  /** partialFit's running statistics; a fit() or fromJSON starts a new stream. */
  private online: StepwiseStatistics | null = null;

  constructor(options: GaussianMixtureOptions & { covarianceType?: T } = {}) {
    this.opts = resolveOptions(options);
  }

  /** @internal A model holding the result of a fit made elsewhere (model selection, a worker). */
  static fromFitState(options: GaussianMixtureOptions, state: FitState): GaussianMixture {
    const model = new GaussianMixture(options);
    model.state = state;
    return model;
  }

  /** The resolved options (defaults filled in). */
  get options(): Readonly<ResolvedOptions> {
    return { ...this.opts };
  }

  /** Number of mixture components K (the option; available before fitting). */
  get nComponents(): number {
    return this.opts.nComponents;
  }

  /** The covariance model (the option; available before fitting). */
  get covarianceType(): CovarianceType {
    return this.opts.covarianceType;
  }

  /** Number of features d the model was fitted with (scikit-learn's n_features_in_). */
  get nFeaturesIn(): number {
    return this.fitted('nFeaturesIn').mixture.d;
  }

  /**
   * Squared Mahalanobis distances (x_i - mu_k)^T Sigma_k^-1 (x_i - mu_k) of every row to every
   * component: rows x k, row-major. X: finite values, d columns as the model.
   */
  mahalanobis(X: MatrixInput): Matrix<Float64Array> {
    const { mixture } = this.fitted('mahalanobis');
    const { k, d, kernel } = mixture;
    const data = denseRows(readMatrix(X));
    if (data.cols !== d) throw new RangeError(`X has ${data.cols} columns, but the model was fitted with ${d} features.`);
    const out = new Float64Array(data.rows * k);
    const diff = new Float64Array(d);
    const tri = kernel.family === 'tri';
    const block = tri ? (d * (d + 1)) / 2 : d;
    for (let i = 0; i < data.rows; i++) {
      for (let c = 0; c < k; c++) {
        for (let a = 0; a < d; a++) diff[a] = data.data[i * d + a] - kernel.means[c * d + a];
        const P = c * block;
        let m = 0;
        for (let j = 0; j < d; j++) {
          // Column j of U_k (packed: entries i <= j at j(j+1)/2 + i); diag: 1 / sigma_kj.
          let y = 0;
          if (tri) for (let a = 0, o = P + (j * (j + 1)) / 2; a <= j; a++) y += diff[a] * kernel.precChol[o + a];
          else y = diff[j] * kernel.precChol[P + j];
          m += y * y;
        }
        out[i * k + c] = m;
      }
    }
    return { data: out, rows: data.rows, cols: k };
  }

  /**
   * Estimates the parameters by EM, keeping the best of `nInit` runs, then a final E-step.
   * X: n x d with n >= nComponents, finite values (with missingValues: 'em', NaN or null for missing
   * entries, every row and column with one observed value at least), in any form of MatrixInput (README, "Inputs":
   * its rows are copied only into the backend and workers, init 'auto' copies its sample); or a
   * chunk source `{ cols, chunks }` (see ChunkSource), streamed through the backend once per EM
   * pass, with initialisation on a seeded reservoir sample of at most SOURCE_SAMPLE_ROWS (100 000) rows drawn in a first pass; a source of
   * at most that many rows fits exactly as the same rows in memory. Never mutates X or sampleWeight.
   */
  async fit(X: MatrixInput | ChunkSource, fitOptions: FitOptions = {}): Promise<this> {
    if (isChunkSource(X)) return this.fitSource(X, fitOptions);
    const data = readMatrix(X, 'X', true, this.opts.missingValues === 'em');
    const weights = fitOptions.sampleWeight !== undefined ? toSampleWeight(fitOptions.sampleWeight, data.rows) : null;
    if (weights && this.weightsAreRelative()) normalizeWeights(weights);
    const k = this.opts.nComponents;
    const weighted = weights ? weights.reduce((m, v) => m + (v > 0 ? 1 : 0), 0) : data.rows;
    if (weighted < k && weighted === data.rows) {
      throw new RangeError(`X has ${data.rows} rows but nComponents is ${k}; a mixture needs at least as many rows as components.`);
    }
    if (weighted < k) {
      throw new RangeError(`sampleWeight is positive for only ${weighted} rows but nComponents is ${k}; a mixture needs at least as many weighted rows as components.`);
    }
    this.checkWarm(data.cols);
    // Missing entries: EM passes on the incomplete rows (missing.ts); initialisation sees them mean-imputed.
    const dense = this.opts.missingValues === 'em' ? denseRows(data) : null;
    const patterns = dense && hasMissing(dense) ? groupByPattern(dense) : null;
    const initData = patterns ? meanImputed(dense!, weights) : data;
    const backend = await this.ensureBackend();
    const handle = backend.load(initData, weights);
    // workers >= 2: the EM passes run on shards in workers (parallel.ts); everything else stays here.
    const warnings: string[] = [];
    this.lastFit = { workers: 1, warnings };
    const o = this.opts;
    const workers = await usefulWorkerCount(o.workers, data.rows, warnings);
    const family = kernelFamily(o.covarianceType);
    const sharded = await createShardedEngine({ workers, backend: backend.name, data: patterns ? dense! : data, weights, k, family, missing: patterns !== null, signal: o.signal, warnings });
    if (sharded) this.lastFit.workers = sharded.size;
    let local: MissingEngine | null = null;
    try {
      if (patterns && !sharded) local = new MissingEngine(backend, dense!, weights, k, family, patterns);
      await this.runFit({ data: initData, weights, handle, backend, engine: sharded ?? local ?? new LocalEngine(backend, handle) }, o.seed ?? randomSeed());
    } finally {
      await sharded?.close();
      // A dispose() during the fit took the backend (and this handle) with it.
      if (this.backend === backend) {
        backend.release(handle);
        local?.release();
      }
    }
    return this;
  }

  /** fit() on a chunk source: a sampling pass, then every EM pass streams the chunks (ChunkEngine). */
  private async fitSource(source: ChunkSource, fitOptions: FitOptions): Promise<this> {
    checkSource(source);
    if (fitOptions.sampleWeight !== undefined) {
      throw new TypeError('sampleWeight cannot be given with a chunk source (X = { cols, chunks }); fit the rows in memory to weight them.');
    }
    const o = this.opts;
    const k = o.nComponents;
    this.checkWarm(source.cols);
    const backend = await this.ensureBackend();
    const seed = o.seed ?? randomSeed();
    const missing = o.missingValues === 'em';
    const { sample, rows } = await sampleSource(source, SOURCE_SAMPLE_ROWS, new Random(seed).fork(), o.signal, missing);
    if (rows < k) {
      throw new RangeError(`X.chunks() yielded ${rows} rows but nComponents is ${k}; a mixture needs at least as many rows as components.`);
    }
    // Missing entries: initialisation sees the sample mean-imputed (as fit() does with its rows).
    const initData = missing && hasMissing(sample) ? meanImputed(sample, null) : sample;
    const warnings: string[] = [];
    this.lastFit = { workers: 1, warnings };
    const family = kernelFamily(o.covarianceType);
    // Capped at the cores only: each chunk is split across the workers, so no row count decides.
    let wanted = await usefulWorkerCount(o.workers, Infinity, warnings);
    if (missing && wanted > 1) {
      warnings.push(`workers: ${wanted} was requested, but a chunk source with missingValues: 'em' is fitted on one thread.`);
      wanted = 1;
    }
    const workers = await createChunkWorkers({ workers: wanted, backend: backend.name, k, d: source.cols, family, signal: o.signal, warnings });
    if (workers) this.lastFit.workers = workers.size;
    const handle = backend.load(initData, null);
    try {
      const engine = new ChunkEngine(backend, source, rows, k, family, o.signal, workers, missing);
      await this.runFit({ data: initData, weights: null, handle, backend, engine, complete: sample.rows === rows }, seed);
    } finally {
      await workers?.close();
      if (this.backend === backend) backend.release(handle);
    }
    return this;
  }

  private checkWarm(cols: number): void {
    const o = this.opts;
    if (o.warmStart && this.state !== null && cols !== this.state.mixture.d) {
      throw new RangeError(`X has ${cols} columns but the model (warmStart) was fitted with ${this.state.mixture.d}.`);
    }
    if (o.signal?.aborted) throw abortError(o.signal);
  }

  private async runFit(job: Pick<FitJob, 'data' | 'weights' | 'handle' | 'backend' | 'engine' | 'complete'>, seed: number): Promise<void> {
    const o = this.opts;
    const warm = o.warmStart && this.state !== null ? this.state : null;
    this.online = null;
    const warnings = this.lastFit.warnings;
    this.state = await fitMixture({ ...job, options: o, seed, warm, warnings, estimator: this.estimator(job.data, job.weights, job.backend) });
    const notConverged = convergenceWarning(this.state, o);
    if (notConverged) warnings.push(notConverged);
    // A collapsed component's density is a spike the ridge sets; its log-likelihood can beat every
    // clustering of the data (init 'auto' finds such optima where they exist), so the fit says so.
    const collapsed = collapsedComponent(this.state.mixture, o.regCovar, 'blocks' in job.data ? 0 : meanColumnVariance(job.data));
    if (collapsed !== null) {
      warnings.push(`${collapseReason(collapsed, o.regCovar)}. Its density is a spike, not a cluster: try fewer components, selectModel (which never chooses such a fit) or a larger regCovar.`);
    }
  }

  /**
   * Online EM: updates the model from one more chunk of a stream (stepwise EM, Cappé and Moulines
   * 2009). The chunk's statistics at the current parameters are averaged into running statistics
   * with step eta_t = (t + learningOffset)^-learningDecay, and one M-step follows: a pass over each
   * chunk once, memory bounded by the chunk. On an unfitted model the first chunk is fitted with
   * fit() (the configured init, nInit, tol) and starts the stream; on a model fitted by fit() or
   * restored by fromJSON the stream starts at its parameters, with this chunk's statistics as s_0.
   * Each call appends the chunk's mean log-likelihood before the update to `history`.
   * Prefer it to fit() when the rows arrive over time or one pass is all there is time for; a batch
   * fit over a chunk source converges to a better optimum when the data can be read repeatedly.
   * X: rows x d (d as the model) with at least nComponents rows for the first chunk.
   */
  async partialFit(X: MatrixInput, fitOptions: FitOptions = {}): Promise<this> {
    const o = this.opts;
    if (this.state === null) {
      await this.fit(X, fitOptions);
      this.online = new StepwiseStatistics(o.learningDecay, o.learningOffset);
      this.online.absorb(this.sufficientStatistics(X, fitOptions));
      return this;
    }
    const chunk = this.sufficientStatistics(X, fitOptions);
    const L = chunk.logLik / chunk.weightSum;
    this.online ??= new StepwiseStatistics(o.learningDecay, o.learningOffset);
    const running = this.online.absorb(chunk);
    this.state = updateState(this.state, running, await this.ensureBackend(), o.regCovar, o.tol, 'in partialFit', L);
    return this;
  }

  /**
   * The sufficient statistics of X at the current parameters (one E-step): per component N_k, the
   * sums S1, S2 about the current means, and sum_i w_i log p(x_i). Statistics of shards add up
   * (`a.add(b)`) and travel as JSON (`toJSON`, `SufficientStatistics.fromJSON`), so one EM iteration
   * over data held anywhere is: send the model, compute statistics per shard, add, updateFromStatistics.
   */
  sufficientStatistics(X: MatrixInput, fitOptions: FitOptions = {}): SufficientStatistics {
    const { mixture } = this.fitted('sufficientStatistics');
    const data = this.checkedInput(X, mixture.d, this.opts.missingValues === 'em');
    const weights = fitOptions.sampleWeight !== undefined ? toSampleWeight(fitOptions.sampleWeight, data.rows) : null;
    const backend = (this.backend ??= createBackendSync(this.opts.backend));
    const stats = createStats(mixture.k, mixture.d, mixture.kernel.family);
    const dense = this.opts.missingValues === 'em' ? denseRows(data) : null;
    if (dense && hasMissing(dense)) {
      const engine = new MissingEngine(backend, dense, weights, mixture.k, mixture.kernel.family);
      try {
        engine.emPass(mixture.kernel, stats);
      } finally {
        engine.release();
      }
      return stats;
    }
    const handle = backend.load(data, weights);
    try {
      backend.emPass(handle, mixture.kernel, stats);
      return stats;
    } finally {
      backend.release(handle);
    }
  }

  /**
   * The M-step from statistics computed at the current parameters (sufficientStatistics, summed
   * over shards): the model takes the updated parameters, `history` gains the mean log-likelihood
   * the statistics carry, `nIter` counts on, and `converged` says whether it changed by less than tol.
   */
  updateFromStatistics(total: SufficientStatistics): this {
    const state = this.fitted('updateFromStatistics');
    if (!(total instanceof SufficientStatistics)) {
      throw new TypeError(`updateFromStatistics expects a SufficientStatistics (gmm.sufficientStatistics(X) or SufficientStatistics.fromJSON), got ${describe(total)}.`);
    }
    const backend = (this.backend ??= createBackendSync(this.opts.backend));
    this.state = updateState(state, total, backend, this.opts.regCovar, this.opts.tol, 'in updateFromStatistics');
    return this;
  }

  /** fit(X) then the labels of X; equal to `fit(X)` followed by `predict(X)`. */
  async fitPredict(X: MatrixInput, fitOptions: FitOptions = {}): Promise<Int32Array> {
    await this.fit(X, fitOptions);
    return this.predict(X);
  }

  /**
   * X with each missing entry (NaN, or null in nested arrays) replaced by its conditional expectation
   * E[x_m | x_o] under the fitted mixture: the responsibility-weighted mean of each component's
   * Gaussian conditional mean given the row's observed values (the model-based alternative to mean
   * imputation). Observed entries are returned unchanged. With `{ variances: true }` also the
   * conditional variances Var[x_j | x_o] (0 where observed). Works whatever missingValues is.
   */
  impute(X: MatrixInput): Matrix<Float64Array>;
  impute(X: MatrixInput, options: ImputeOptions & { variances: true }): { X: Matrix<Float64Array>; variances: Matrix<Float64Array> };
  impute(X: MatrixInput, options?: ImputeOptions): Matrix<Float64Array> | { X: Matrix<Float64Array>; variances: Matrix<Float64Array> };
  impute(X: MatrixInput, options: ImputeOptions = {}): Matrix<Float64Array> | { X: Matrix<Float64Array>; variances: Matrix<Float64Array> } {
    const { mixture } = this.fitted('impute');
    if (options === null || typeof options !== 'object') throw new TypeError(`impute options must be an object, got ${describe(options)}.`);
    const { variances = false } = options;
    if (typeof variances !== 'boolean') throw new TypeError(`impute: variances must be a boolean, got ${describe(variances)}.`);
    const data = this.checkedInput(X, mixture.d, true);
    const out = imputeRows(this.syncBackend(), denseRows(data), mixture.kernel, variances);
    return variances ? { X: out.X, variances: out.variances! } : out.X;
  }

  /** Most probable component of every row (argmax of the responsibilities). */
  predict(X: MatrixInput): Int32Array {
    const { resp, rows, k } = this.evaluate(X, 'predict', true);
    const labels = new Int32Array(rows);
    for (let i = 0; i < rows; i++) {
      let arg = 0;
      for (let c = 1; c < k; c++) if (resp![i * k + c] > resp![i * k + arg]) arg = c;
      labels[i] = arg;
    }
    return labels;
  }

  /** Responsibilities p(component | x), n x k, rows summing to 1. */
  predictProba(X: MatrixInput): Matrix<Float64Array> {
    const { resp, rows, k } = this.evaluate(X, 'predictProba', true);
    return { data: resp!, rows, cols: k };
  }

  /** log p(x_i) of every row under the mixture. */
  scoreSamples(X: MatrixInput): Float64Array {
    return this.evaluate(X, 'scoreSamples', false).logProb;
  }

  /** Mean log-likelihood per row. */
  score(X: MatrixInput): number {
    const { total, rows } = this.evaluate(X, 'score', false);
    return total / rows;
  }

  /** Bayesian information criterion -2 n L + p ln n (lower is better). */
  bic(X: MatrixInput): number {
    const { total, rows } = this.evaluate(X, 'bic', false);
    return criteria(total, this.nParameters(), rows).bic;
  }

  /** Akaike information criterion -2 n L + 2 p (lower is better). */
  aic(X: MatrixInput): number {
    const { total, rows } = this.evaluate(X, 'aic', false);
    return criteria(total, this.nParameters(), rows).aic;
  }

  /**
   * mclust's integrated complete-data likelihood criterion in BIC's sign: bic(X) - 2 sum_i log max_k
   * r_ik, so lower is better and icl >= bic; it adds the entropy of the classification, penalising
   * overlapping components (criteria.ts).
   */
  icl(X: MatrixInput): number {
    const { total, rows, k, resp } = this.evaluate(X, 'icl', true);
    return criteria(total, this.nParameters(), rows, resp!, k).icl;
  }

  /** Free parameters: k d means + (k - 1) weights + the covariance parameters (mclust's nMclustParams). */
  nParameters(): number {
    const { k, d, type } = this.fitted('nParameters').mixture;
    return mclustParameterCount(mclustName(type), k, d);
  }

  /**
   * Draws n rows from the fitted mixture, grouped by component as scikit-learn does.
   * `seed` defaults to a random one.
   */
  sample(n: number, seed?: number): { X: Matrix<Float64Array>; labels: Int32Array } {
    const { mixture } = this.fitted('sample');
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be an integer >= 1, got ${describe(n)}.`);
    if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff)) {
      throw new RangeError(`seed must be an integer from 0 to 4294967295, got ${describe(seed)}.`);
    }
    const { k, d, weights, means, covariances } = mixture;
    const type = storageType(mixture.type);
    const rng = new Random(seed ?? randomSeed());
    const counts = new Int32Array(k);
    for (let i = 0; i < n; i++) {
      let u = rng.uniform();
      let c = 0;
      while (c < k - 1 && u >= weights[c]) u -= weights[c++];
      counts[c]++;
    }
    const data = new Float64Array(n * d);
    const labels = new Int32Array(n);
    const L = new Float64Array(d * d);
    const z = new Float64Array(d);
    let row = 0;
    for (let c = 0; c < k; c++) {
      if (type === 'full' || type === 'tied') choleskyLower(covariances, type === 'full' ? c * d * d : 0, d, L);
      for (let s = 0; s < counts[c]; s++, row++) {
        for (let j = 0; j < d; j++) z[j] = rng.normal();
        for (let a = 0; a < d; a++) {
          let v = means[c * d + a];
          if (type === 'full' || type === 'tied') {
            for (let b = 0; b <= a; b++) v += L[a * d + b] * z[b];
          } else {
            v += Math.sqrt(type === 'diag' ? covariances[c * d + a] : covariances[c]) * z[a];
          }
          data[row * d + a] = v;
        }
        labels[row] = c;
      }
    }
    return { X: { data, rows: n, cols: d }, labels };
  }

  get weights(): number[] {
    return Array.from(this.fitted('weights').mixture.weights);
  }

  get means(): number[][] {
    const { means, k, d } = this.fitted('means').mixture;
    return rows(means, k, d);
  }

  /** full: k x d x d, tied: d x d, diag: k x d, spherical: k; every mclust name (EII ... VVV): k x d x d. */
  get covariances(): CovariancesOf<T> {
    const m = this.fitted('covariances').mixture;
    return nest(m.covariances, m.type, m.k, m.d) as CovariancesOf<T>;
  }

  /** Cholesky factors of the precision matrices (scikit-learn's precisions_cholesky_), same shapes as covariances. */
  get precisionsCholesky(): CovariancesOf<T> {
    const m = this.fitted('precisionsCholesky').mixture;
    return nest(m.precChol, m.type, m.k, m.d) as CovariancesOf<T>;
  }

  get converged(): boolean {
    return this.fitted('converged').converged;
  }

  get nIter(): number {
    return this.fitted('nIter').nIter;
  }

  /** Mean log-likelihood at the parameters before the last M-step of the best run (scikit-learn's lower_bound_). */
  get lowerBound(): number {
    return this.fitted('lowerBound').lowerBound;
  }

  /** Mean log-likelihood at the initial parameters and after every update of the best run. */
  get history(): number[] {
    return [...this.fitted('history').history];
  }

  /**
   * Warnings of the last fit (empty when there were none): the kept run did not converge (and what to
   * change), `workers` was capped at the cores or the rows, or workers could not be started here so
   * the fit ran on one thread.
   */
  get fitWarnings(): string[] {
    return [...this.lastFit.warnings];
  }

  /** Number of workers the last fit's EM passes ran on: 1 when they ran on the calling thread. */
  get fitWorkers(): number {
    return this.lastFit.workers;
  }

  /** Which backend ran the last fit or prediction ('wasm', 'wasm-scalar' or 'js'), or null. */
  get backendName(): BackendName | null {
    return this.backend?.name ?? null;
  }

  toJSON(): GaussianMixtureJSON {
    const s = this.fitted('toJSON');
    const { onIteration: _i, signal: _s, init: _init, ...options } = this.opts;
    const m = s.mixture;
    return {
      format: MODEL_FORMAT,
      version: MODEL_VERSION,
      options,
      nFeatures: m.d,
      weights: Array.from(m.weights),
      means: rows(m.means, m.k, m.d),
      covariances: nest(m.covariances, m.type, m.k, m.d),
      precisionsCholesky: nest(m.precChol, m.type, m.k, m.d),
      converged: s.converged,
      nIter: s.nIter,
      lowerBound: s.lowerBound,
      history: [...s.history],
    };
  }

  /**
   * Restores a model written by `toJSON` (object or JSON text); it predicts exactly as the original.
   * The input is untrusted: every field is validated (model-json.ts) and anything else throws a
   * GaussianMixtureError with code INVALID_MODEL naming the field.
   */
  static fromJSON(json: GaussianMixtureJSON | string): GaussianMixture {
    const v = parseModelJSON(json);
    const model = new GaussianMixture(v.options);
    const { covarianceType: type, nComponents: k, nFeatures: d, weights, means, covariances } = v;
    model.state = {
      mixture: fromPrecisions({ type, k, d, weights, means, covariances }, v.precisionsCholesky),
      converged: v.converged,
      nIter: v.nIter,
      lowerBound: v.lowerBound,
      history: v.history,
    };
    return model;
  }

  /** Frees the model's WebAssembly memory. The fitted parameters stay; a later call re-creates a backend. */
  dispose(): void {
    this.backend?.dispose();
    this.backend = null;
  }

  /** `using gmm = new GaussianMixture(...)` (explicit resource management) disposes it at scope end. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /**
   * A rows x cols matrix whose Float64Array lives inside this model's WebAssembly memory: fill
   * `data` (row-major) and pass the object to `fit` (or predict/score), and the rows are used where
   * they are, without a copy. Memory for fitting it is reserved up front; the view stays valid until
   * `dispose()`, another `allocateData`, or until something larger (other data, more components)
   * makes the memory grow (then `data` becomes empty). With the JS backend it is an ordinary Float64Array.
   */
  async allocateData(rows: number, cols: number): Promise<Matrix<Float64Array>> {
    const backend = await this.ensureBackend();
    if (backend.allocateData && backend.workBytes) {
      // What a fit of these rows allocates besides them: weights, the working set, and init 'auto''s
      // sample of the rows.
      const { nComponents: k, covarianceType } = this.opts;
      const room = rows * 8 + backend.workBytes(k, cols, kernelFamily(covarianceType) === 'tri') + Math.min(rows, START_SAMPLE_ROWS) * cols * 8;
      return backend.allocateData(rows, cols, room);
    }
    if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`rows must be an integer >= 1, got ${describe(rows)}.`);
    if (!Number.isInteger(cols) || cols < 1) throw new RangeError(`cols must be an integer >= 1, got ${describe(cols)}.`);
    return { data: new Float64Array(rows * cols), rows, cols };
  }

  private async ensureBackend(): Promise<Backend> {
    if (this.backend === null) this.backend = await createBackend(this.opts.backend);
    return this.backend;
  }

  /** X validated and described in place (the backend's `load` makes the one copy), with d columns. */
  /** X checked to have d columns; with `allowMissing`, NaN / null mark missing entries. */
  private checkedInput(X: MatrixInput, d: number, allowMissing = false): MatrixSource {
    const data = readMatrix(X, 'X', true, allowMissing);
    if (data.cols !== d) {
      throw new RangeError(`X has ${data.cols} columns, but the model was fitted with ${d} features.`);
    }
    return data;
  }

  /**
   * Whether only the ratios of sample weights matter to this model's fit (maximum likelihood), so
   * fit() normalises them (input.ts normalizeWeights); a variational fit's priors weigh against their sum.
   */
  protected weightsAreRelative(): boolean {
    return true;
  }

  /**
   * @internal The estimator a fit runs (fit.ts), given the rows initialisation works on (all rows,
   * or a chunk source's sample); undefined: maximum likelihood. The variational model (bayesian.ts)
   * supplies its own, whose default priors come from these rows.
   */
  protected estimator(_data: Matrix<Float64Array> | Matrix<Float32Array> | MatrixSource, _weights: Float64Array | null, _backend: Backend): FitEstimator | undefined {
    return undefined;
  }

  private syncBackend(): Backend {
    if (this.backend === null) this.backend = createBackendSync(this.opts.backend);
    return this.backend;
  }

  protected fitted(method: string): FitState {
    if (this.state === null) throw notFitted(method);
    return this.state;
  }

  /**
   * Scores X at the fitted parameters on a data handle of its own, released at once: a fit in
   * progress on the same backend keeps its data and its parameters. Returns log p(x_i), their
   * weighted sum, and (when asked) the responsibilities.
   */
  private evaluate(X: MatrixInput, method: string, withResp: boolean): { logProb: Float64Array; total: number; resp: Float64Array | null; rows: number; k: number } {
    const { mixture } = this.fitted(method);
    const data = this.checkedInput(X, mixture.d, this.opts.missingValues === 'em');
    const backend = this.syncBackend();
    const dense = this.opts.missingValues === 'em' ? denseRows(data) : null;
    if (dense && hasMissing(dense)) {
      const logProb = new Float64Array(data.rows);
      const resp = withResp ? new Float64Array(data.rows * mixture.k) : null;
      const total = scoreIncomplete(backend, dense, mixture.kernel, logProb, resp);
      return { logProb, total, resp, rows: data.rows, k: mixture.k };
    }
    const handle = backend.load(data, null);
    try {
      const logProb = new Float64Array(data.rows);
      const resp = withResp ? new Float64Array(data.rows * mixture.k) : null;
      const total = backend.score(handle, mixture.kernel, logProb, resp);
      return { logProb, total, resp, rows: data.rows, k: mixture.k };
    } finally {
      backend.release(handle);
    }
  }
}

/**
 * The warning of a fit whose kept run did not meet tol / relTol (scikit-learn's ConvergenceWarning),
 * saying what to change; null when it converged or maxIter is 0 (initialisation only, as asked).
 */
function convergenceWarning(s: FitState, o: ResolvedOptions): string | null {
  if (s.converged || o.maxIter === 0) return null;
  const h = s.history;
  const change = h.length >= 2 ? Math.abs(h[h.length - 1] - h[h.length - 2]) : NaN;
  return (
    `The fit did not converge: after ${s.nIter} iteration${s.nIter === 1 ? '' : 's'} (maxIter = ${o.maxIter}) the mean log-likelihood ` +
    `still changed by ${Number(change.toPrecision(3))} per iteration (tol = ${o.tol}${o.relTol > 0 ? `, relTol = ${o.relTol}` : ''}). ` +
    `Increase maxIter, loosen tol, or try another init or more restarts (nInit); scaling the columns to comparable spread speeds EM up. ` +
    `(An onIteration callback that returned false also ends a fit unconverged.)`
  );
}

function rows(a: Float64Array, r: number, c: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < r; i++) out.push(Array.from(a.subarray(i * c, (i + 1) * c)));
  return out;
}

function nest(a: Float64Array, type: CovarianceType, k: number, d: number): NestedArray {
  if (isMclustName(type)) return nest(expandToFull(a, type, k, d), 'full', k, d);
  switch (storageType(type)) {
    case 'full': {
      const out: number[][][] = [];
      for (let c = 0; c < k; c++) out.push(rows(a.subarray(c * d * d, (c + 1) * d * d), d, d));
      return out;
    }
    case 'tied':
      return rows(a, d, d);
    case 'diag':
      return rows(a, k, d);
    case 'spherical':
      return Array.from(a);
  }
}

