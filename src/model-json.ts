/**
 * Validation of saved models (`GaussianMixture.fromJSON`, `BayesianGaussianMixture.fromJSON`). A model file is untrusted input: every
 * field is checked for type, shape, finiteness and consistency before anything is built from it, and
 * every failure is a GaussianMixtureError with code INVALID_MODEL whose message names the field, the
 * offending value and what is allowed.
 *
 * Prototype pollution: `JSON.parse` defines every key, `__proto__` included, as an own data property
 * (it never calls the `__proto__` setter), and nothing here copies an untrusted object with assignment
 * semantics (`Object.assign`, `obj[key] = ...` over its keys): fields are read one by one by name, as
 * own properties only, into fresh objects, and any key that is not a known field (`__proto__`,
 * `constructor`, `prototype`, a misspelt option ...) is rejected with INVALID_MODEL. Inherited
 * properties are never read, so an object whose prototype was replaced cannot smuggle fields in either.
 */
import type { CovarianceType, SklearnCovarianceType } from './types.js';
import type { WeightConcentrationPriorType } from './variational.js';
import { isMclustName, storageType } from './types.js';
import type { GaussianMixtureOptions } from './options.js';
import { DEFAULTS, resolveOptions } from './options.js';
import { compressFromFull, covarianceSize, expandToFull } from './params.js';
import { choleskyLower } from './linalg.js';
import { GaussianMixtureError, describe } from './errors.js';

export const MODEL_FORMAT = 'gmm-wasm/model' as const;
export const MODEL_VERSION = 1 as const;

/** |sum of weights - 1| allowed: weights are N_k / sum N (one rounding each), far inside this. */
export const WEIGHT_SUM_TOLERANCE = 1e-9;

/**
 * Tolerance of the check that a precision factor U belongs to its covariance Sigma (U U^T = Sigma^-1),
 * made as |(U^T Sigma U)_ij - delta_ij| <= tau t_i t_j with s_a = sqrt(Sigma_aa) and t = |U|^T s.
 *
 * Why this form: U = (L^-1)^T with Sigma = L L^T computed in floating point satisfies
 * L L^T = Sigma + E with |E| <= c d eps |L||L^T|, and X = L^-1 satisfies |X L - I| <= c d eps |X||L|;
 * forming U^T Sigma U adds at most c d eps |U|^T |Sigma| |U|. Every one of these terms is bounded by
 * c d eps t_i t_j, because |Sigma_ab| <= s_a s_b, (|L||L^T|)_ab <= s_a s_b (rows of L have norm s_a),
 * |L_bj| <= s_b, and t_i >= U_ii s_i = s_i / L_ii >= 1. So a factor computed from this covariance passes
 * however ill-conditioned the covariance is (a collapsed component with regCovar 1e-6 next to
 * variances of 1e10 has a condition number of 1e16, where a plain |U U^T Sigma - I| test fails), and a
 * factor that belongs to another matrix fails. tau = 1e-10 is ~ 1e5 times the rounding bound for
 * d up to ~100 (c d eps ~ 1e-15 .. 1e-14) and still far below any inconsistency that changes a
 * prediction: a relative error of 1e-10 in the precision changes a log-density by ~1e-10 times the
 * squared Mahalanobis distance.
 */
export const PRECISION_CONSISTENCY_TOLERANCE = 1e-10;

/** Relative asymmetry allowed in a covariance: |S_ab - S_ba| <= this * sqrt(S_aa S_bb). */
export const SYMMETRY_TOLERANCE = 1e-12;

/** The fields of a saved model, validated: what `GaussianMixture.fromJSON` builds the model from. */
export interface ValidatedModel {
  /** Options to construct the model with (already validated by resolveOptions). */
  options: GaussianMixtureOptions;
  covarianceType: CovarianceType;
  nComponents: number;
  nFeatures: number;
  /** k, non-negative, summing to 1 within WEIGHT_SUM_TOLERANCE. */
  weights: Float64Array;
  /** k * d, row-major. */
  means: Float64Array;
  /** In the model's internal storage form for the covariance type (covarianceSize(type, k, d) entries). */
  covariances: Float64Array;
  /** Same storage form as `covariances`: upper-triangular factors with a positive diagonal. */
  precisionsCholesky: Float64Array;
  converged: boolean;
  nIter: number;
  /** -Infinity when the file has null (JSON.stringify writes -Infinity as null). */
  lowerBound: number;
  history: number[];
}

const TOP_LEVEL = [
  'format', 'version', 'options', 'nFeatures', 'weights', 'means', 'covariances', 'precisionsCholesky',
  'converged', 'nIter', 'lowerBound', 'history',
] as const;

/**
 * The options a saved model may carry: what toJSON writes (every resolved option but the callbacks,
 * the signal and init, which a fitted model no longer needs). Derived from DEFAULTS so that an
 * option added there is accepted (and validated by resolveOptions) without editing this file.
 */
export function storedOptionNames(): string[] {
  return [...Object.keys(DEFAULTS).filter((key) => key !== 'init'), 'seed'];
}

function invalid(message: string): GaussianMixtureError {
  return new GaussianMixtureError('INVALID_MODEL', `fromJSON: invalid model: ${message}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/** The own property `key` of `o`, or undefined: inherited properties are never read. */
function own(o: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

function rejectUnknownKeys(o: Record<string, unknown>, allowed: readonly string[], where: string): void {
  // Reflect.ownKeys also sees non-enumerable and symbol keys of objects passed directly.
  for (const key of Reflect.ownKeys(o)) {
    if (typeof key !== 'string' || !allowed.includes(key)) {
      const name = typeof key === 'string' ? JSON.stringify(key) : String(key);
      throw invalid(`${where} has an unknown field ${name}; allowed: ${allowed.join(', ')}.`);
    }
  }
}

function array(path: string, v: unknown, length: number, what: string): unknown[] {
  if (!Array.isArray(v)) throw invalid(`${path} must be an array of ${length} ${what}, got ${describe(v)}.`);
  if (v.length !== length) throw invalid(`${path} must be an array of ${length} ${what}, got ${describe(v)}.`);
  return v;
}

function finite(path: string, v: unknown): number {
  if (typeof v !== 'number') throw invalid(`${path} must be a finite number, got ${describe(v)}.`);
  if (!Number.isFinite(v)) throw invalid(`${path} must be a finite number, got ${v}.`);
  return v;
}

function integer(path: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw invalid(`${path} must be an integer >= ${min}, got ${describe(v)}.`);
  }
  return v;
}

/** `v` as a k x r x c (or r x c, or r) nested array of finite numbers, flattened row-major into out[o..]. */
function numbers(path: string, v: unknown, shape: readonly number[], out: Float64Array, o: number, what: string): void {
  const [len, ...rest] = shape;
  const a = array(path, v, len, rest.length === 0 ? what : `arrays (${shape.join(' x ')} ${what})`);
  const stride = rest.reduce((p, x) => p * x, 1);
  for (let i = 0; i < len; i++) {
    if (rest.length === 0) out[o + i] = finite(`${path}[${i}]`, a[i]);
    else numbers(`${path}[${i}]`, a[i], rest, out, o + i * stride, what);
  }
}

/** The public (toJSON) shape of covariances / precision factors for a type: mclust names are k x d x d. */
function publicShape(type: CovarianceType, k: number, d: number): number[] {
  if (isMclustName(type)) return [k, d, d];
  switch (storageType(type)) {
    case 'full':
      return [k, d, d];
    case 'tied':
      return [d, d];
    case 'diag':
      return [k, d];
    case 'spherical':
      return [k];
  }
}

/** Human path of block `c` of a public-shaped array (tied sklearn: the one d x d matrix has no index). */
function blockPath(name: string, type: CovarianceType, c: number): string {
  return !isMclustName(type) && storageType(type) === 'tied' ? name : `${name}[${c}]`;
}

/** Path of entry [a][b] of block c in the public shape. */
function entryPath(name: string, type: CovarianceType, c: number, a: number, b: number): string {
  if (isMclustName(type)) return `${name}[${c}][${a}][${b}]`;
  switch (storageType(type)) {
    case 'full':
      return `${name}[${c}][${a}][${b}]`;
    case 'tied':
      return `${name}[${a}][${b}]`;
    case 'diag':
      return `${name}[${c}][${a}]`;
    case 'spherical':
      return `${name}[${c}]`;
  }
}

/**
 * The object behind a saved model (the object itself, or its JSON text) once its format and version
 * are the expected ones and it has no field outside `fields`.
 */
function readModelObject(json: unknown, format: string, className: string, fields: readonly string[]): Record<string, unknown> {
  let j: unknown = json;
  if (typeof json === 'string') {
    try {
      j = JSON.parse(json);
    } catch (e) {
      throw invalid(`the text is not valid JSON (${(e as Error).message}); pass the output of JSON.stringify(model) or model.toJSON().`);
    }
  }
  if (!isPlainObject(j)) {
    throw invalid(`expected the output of ${className}.toJSON() (an object with format '${format}', version ${MODEL_VERSION}) or its JSON text, got ${describe(j)}.`);
  }
  const actual = own(j, 'format');
  if (actual !== format) throw invalid(`format must be '${format}', got ${describe(actual)}.`);
  const version = own(j, 'version');
  if (version !== MODEL_VERSION) {
    throw invalid(`version ${describe(version)} is not supported; this version of gmm-wasm reads version ${MODEL_VERSION}.`);
  }
  rejectUnknownKeys(j, fields, 'the model');
  return j;
}

/** The stored options: only `names`, copied by name into a fresh object; the `required` ones present. */
function readOptions(j: Record<string, unknown>, names: readonly string[], required: readonly string[]): Record<string, unknown> {
  const raw = own(j, 'options');
  if (!isPlainObject(raw)) throw invalid(`options must be an object, got ${describe(raw)}.`);
  rejectUnknownKeys(raw, names, 'options');
  const options: Record<string, unknown> = {};
  for (const name of names) {
    const v = own(raw, name);
    if (v !== undefined) options[name] = v;
  }
  for (const name of required) {
    if (options[name] === undefined) throw invalid(`options.${name} is missing; it fixes the shapes of the parameters.`);
  }
  return options;
}

/** What both models store the same way (ValidatedModel's parameters and fit record). */
type Parameters = Omit<ValidatedModel, 'options' | 'covarianceType' | 'nComponents' | 'nFeatures'>;

/**
 * weights, means, covariances and precision factors (checked against each other), converged, nIter,
 * lowerBound and history of a model with k components of covariance type `type` in d dimensions.
 */
function readParameters(j: Record<string, unknown>, type: CovarianceType, k: number, d: number): Parameters {
  // Weights: k non-negative finite numbers summing to 1.
  const weights = new Float64Array(k);
  numbers('weights', own(j, 'weights'), [k], weights, 0, `non-negative numbers (options.nComponents = ${k})`);
  let sum = 0;
  for (let c = 0; c < k; c++) {
    if (weights[c] < 0) throw invalid(`weights[${c}] must be >= 0, got ${weights[c]}.`);
    sum += weights[c];
  }
  if (!(Math.abs(sum - 1) <= WEIGHT_SUM_TOLERANCE)) {
    throw invalid(`weights must sum to 1 (within ${WEIGHT_SUM_TOLERANCE}), got a sum of ${sum}.`);
  }

  const means = new Float64Array(k * d);
  numbers('means', own(j, 'means'), [k, d], means, 0, `numbers (nComponents = ${k}, nFeatures = ${d})`);

  // Covariances and precision factors: the public shape, then the internal storage form.
  const shape = publicShape(type, k, d);
  const stored = (name: string): { full: Float64Array; storage: Float64Array } => {
    const size = isMclustName(type) ? k * d * d : covarianceSize(type, k, d);
    const flat = new Float64Array(size);
    numbers(name, own(j, name), shape, flat, 0, `numbers (covarianceType '${type}', nComponents = ${k}, nFeatures = ${d})`);
    if (isMclustName(type)) {
      const storage = compressFromFull(flat, type, k, d);
      if (typeof storage === 'string') throw invalid(`${name}: ${storage}.`);
      return { full: flat, storage };
    }
    return { full: expandToFull(flat, type, k, d), storage: flat };
  };
  const cov = stored('covariances');
  const prec = stored('precisionsCholesky');
  checkFactors(cov.full, prec.full, type, k, d);

  const converged = own(j, 'converged');
  if (typeof converged !== 'boolean') throw invalid(`converged must be a boolean, got ${describe(converged)}.`);
  const nIter = integer('nIter', own(j, 'nIter'), 0);
  const lb = own(j, 'lowerBound');
  let lowerBound: number;
  if (lb === null || lb === -Infinity) lowerBound = -Infinity;
  else if (typeof lb === 'number' && Number.isFinite(lb)) lowerBound = lb;
  else throw invalid(`lowerBound must be a finite number, or null (-Infinity: no EM iteration ran), got ${describe(lb)}.`);
  const rawHistory = own(j, 'history');
  if (!Array.isArray(rawHistory) || rawHistory.length === 0) {
    throw invalid(`history must be a non-empty array of finite numbers, got ${describe(rawHistory)}.`);
  }
  const history = new Float64Array(rawHistory.length);
  numbers('history', rawHistory, [rawHistory.length], history, 0, 'finite numbers');
  return { weights, means, covariances: cov.storage, precisionsCholesky: prec.storage, converged, nIter, lowerBound, history: Array.from(history) };
}

/**
 * Reads a saved model (the object `toJSON` returns, or its JSON text) and validates every field;
 * throws GaussianMixtureError INVALID_MODEL naming the first bad field.
 */
export function parseModelJSON(json: unknown): ValidatedModel {
  const j = readModelObject(json, MODEL_FORMAT, 'GaussianMixture', TOP_LEVEL);
  const options = readOptions(j, storedOptionNames(), ['nComponents', 'covarianceType']);
  try {
    resolveOptions(options as GaussianMixtureOptions);
  } catch (e) {
    throw invalid(`options.${(e as Error).message}`);
  }
  const k = options.nComponents as number;
  const type = options.covarianceType as CovarianceType;
  const d = integer('nFeatures', own(j, 'nFeatures'), 1);
  return { options: options as GaussianMixtureOptions, covarianceType: type, nComponents: k, nFeatures: d, ...readParameters(j, type, k, d) };
}

export const BAYESIAN_MODEL_FORMAT = 'gmm-wasm/bayesian-model' as const;

const BAYESIAN_TOP_LEVEL = [...TOP_LEVEL, 'priors', 'weightConcentration', 'meanPrecision', 'degreesOfFreedom'] as const;
const PRIOR_FIELDS = ['weightConcentrationPrior', 'meanPrecisionPrior', 'meanPrior', 'degreesOfFreedomPrior', 'covariancePrior'] as const;

/** What a saved BayesianGaussianMixture is built from, validated. */
export interface ValidatedBayesianModel extends Omit<ValidatedModel, 'options' | 'covarianceType'> {
  covarianceType: SklearnCovarianceType;
  weightConcentrationPriorType: WeightConcentrationPriorType;
  /** dirichlet_process: alpha (k) then beta (k); dirichlet_distribution: the k concentrations. All > 0. */
  weightConcentration: Float64Array;
  /** k, > 0. */
  meanPrecision: Float64Array;
  /** k numbers > nFeatures - 1 (tied: the one stored value, repeated). */
  degreesOfFreedom: Float64Array;
  priors: { weightConcentrationPrior: number; meanPrecisionPrior: number; meanPrior: Float64Array; degreesOfFreedomPrior: number; covariancePrior: Float64Array };
}

/** The shape the Bayesian model's options give the parameters, as its constructor resolved them. */
export interface BayesianShape {
  covarianceType: SklearnCovarianceType;
  nComponents: number;
  weightConcentrationPriorType: WeightConcentrationPriorType;
}

/** `v` as `shape` numbers, each above `min` (the path names the first that is not). */
function above(path: string, v: unknown, shape: readonly number[], min: number, what: string): Float64Array {
  const out = new Float64Array(shape.reduce((p, x) => p * x, 1));
  numbers(path, v, shape, out, 0, what);
  const width = shape[shape.length - 1];
  out.forEach((x, i) => {
    if (!(x > min)) {
      const index = shape.length === 1 ? `[${i}]` : `[${Math.floor(i / width)}][${i % width}]`;
      throw invalid(`${path}${index} must be > ${min}, got ${x}.`);
    }
  });
  return out;
}

/** A finite number above `min`. */
function scalarAbove(path: string, v: unknown, min: number): number {
  const x = finite(path, v);
  if (!(x > min)) throw invalid(`${path} must be > ${min}, got ${x}.`);
  return x;
}

/**
 * Reads a saved BayesianGaussianMixture (toJSON's object or its JSON text) with the checks of
 * parseModelJSON plus those of the posterior and the priors; throws INVALID_MODEL naming the first bad
 * field. The options may only hold `optionNames`; `construct` builds the model from them (its
 * TypeError or RangeError becomes INVALID_MODEL) and says the shape they give the parameters.
 */
export function parseBayesianModelJSON(json: unknown, optionNames: readonly string[], construct: (options: Record<string, unknown>) => BayesianShape): ValidatedBayesianModel {
  const j = readModelObject(json, BAYESIAN_MODEL_FORMAT, 'BayesianGaussianMixture', BAYESIAN_TOP_LEVEL);
  const options = readOptions(j, optionNames, ['nComponents', 'covarianceType', 'weightConcentrationPriorType']);
  let shape: BayesianShape;
  try {
    shape = construct(options);
  } catch (e) {
    if (!(e instanceof TypeError || e instanceof RangeError)) throw e;
    throw invalid(`options: ${(e as Error).message}`);
  }
  const { covarianceType: type, nComponents: k, weightConcentrationPriorType: priorType } = shape;
  const d = integer('nFeatures', own(j, 'nFeatures'), 1);
  const parameters = readParameters(j, type, k, d);
  const sizes = `nComponents = ${k}, nFeatures = ${d}`;

  const dp = priorType === 'dirichlet_process';
  const weightConcentration = above('weightConcentration', own(j, 'weightConcentration'), dp ? [2, k] : [k], 0,
    `positive numbers (${dp ? "[alpha, beta] of the stick-breaking Betas, weightConcentrationPriorType 'dirichlet_process'" : 'the Dirichlet parameters'}, ${sizes})`);
  const meanPrecision = above('meanPrecision', own(j, 'meanPrecision'), [k], 0, `positive numbers (${sizes})`);
  const dofMin = d - 1;
  const degreesOfFreedom =
    type === 'tied'
      ? new Float64Array(k).fill(scalarAbove('degreesOfFreedom', own(j, 'degreesOfFreedom'), dofMin))
      : above('degreesOfFreedom', own(j, 'degreesOfFreedom'), [k], dofMin, `numbers > nFeatures - 1 (${sizes})`);

  const raw = own(j, 'priors');
  if (!isPlainObject(raw)) throw invalid(`priors must be an object, got ${describe(raw)}.`);
  rejectUnknownKeys(raw, PRIOR_FIELDS, 'priors');
  const meanPrior = new Float64Array(d);
  numbers('priors.meanPrior', own(raw, 'meanPrior'), [d], meanPrior, 0, `numbers (nFeatures = ${d})`);
  const covarianceSizeOfPrior = type === 'spherical' ? 1 : type === 'diag' ? d : d * d;
  const covariancePrior = above('priors.covariancePrior', own(raw, 'covariancePrior'), [covarianceSizeOfPrior], type === 'full' || type === 'tied' ? -Infinity : 0,
    `numbers (covarianceType '${type}': ${type === 'spherical' ? 'one variance' : type === 'diag' ? 'd variances' : 'a d x d matrix, row-major'}, nFeatures = ${d})`);
  if (type === 'full' || type === 'tied') checkCovariance(covariancePrior, 0, d, new Float64Array(d), new Float64Array(d * d), 'priors.covariancePrior', (a, b) => `priors.covariancePrior[${a * d + b}]`);
  const priors = {
    weightConcentrationPrior: scalarAbove('priors.weightConcentrationPrior', own(raw, 'weightConcentrationPrior'), 0),
    meanPrecisionPrior: scalarAbove('priors.meanPrecisionPrior', own(raw, 'meanPrecisionPrior'), 0),
    meanPrior,
    degreesOfFreedomPrior: scalarAbove('priors.degreesOfFreedomPrior', own(raw, 'degreesOfFreedomPrior'), dofMin),
    covariancePrior,
  };
  return { covarianceType: type, weightConcentrationPriorType: priorType, nComponents: k, nFeatures: d, ...parameters, weightConcentration, meanPrecision, degreesOfFreedom, priors };
}

/**
 * Block cov[o .. o + d*d) symmetric (SYMMETRY_TOLERANCE) with a positive diagonal, and positive
 * definite; `s` receives the square roots of the diagonal, `L` is scratch. Errors name `block`, or
 * `entry(a, b)` for one entry.
 */
function checkCovariance(cov: Float64Array, o: number, d: number, s: Float64Array, L: Float64Array, block: string, entry: (a: number, b: number) => string): void {
  for (let a = 0; a < d; a++) {
    const v = cov[o + a * d + a];
    if (!(v > 0)) throw invalid(`${entry(a, a)} is a variance and must be > 0, got ${v}; a covariance must be positive definite.`);
    s[a] = Math.sqrt(v);
  }
  for (let a = 0; a < d; a++) {
    for (let b = a + 1; b < d; b++) {
      const x = cov[o + a * d + b];
      const y = cov[o + b * d + a];
      if (!(Math.abs(x - y) <= SYMMETRY_TOLERANCE * s[a] * s[b])) {
        throw invalid(`${block} is not symmetric: [${a}][${b}] = ${x} but [${b}][${a}] = ${y}; a covariance must be symmetric positive definite.`);
      }
    }
  }
  if (!choleskyLower(cov, o, d, L)) {
    throw invalid(`${block} is not positive definite (its Cholesky factorisation fails); a covariance must be symmetric positive definite.`);
  }
}

/**
 * Every covariance block symmetric positive definite; every precision block upper-triangular with a
 * positive diagonal and consistent with its covariance (PRECISION_CONSISTENCY_TOLERANCE). `cov` and
 * `prec` are k x d x d (a tied model's blocks are k copies; only the first is checked).
 */
function checkFactors(cov: Float64Array, prec: Float64Array, type: CovarianceType, k: number, d: number): void {
  const blocks = !isMclustName(type) && storageType(type) === 'tied' ? 1 : k;
  const L = new Float64Array(d * d);
  const s = new Float64Array(d);
  const t = new Float64Array(d);
  const SU = new Float64Array(d * d);
  for (let c = 0; c < blocks; c++) {
    const o = c * d * d;
    const cp = blockPath('covariances', type, c);
    const pp = blockPath('precisionsCholesky', type, c);
    checkCovariance(cov, o, d, s, L, cp, (a, b) => entryPath('covariances', type, c, a, b));
    // Precision factor: upper-triangular, positive finite diagonal.
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < a; b++) {
        const v = prec[o + a * d + b];
        if (v !== 0) throw invalid(`${entryPath('precisionsCholesky', type, c, a, b)} must be 0 (the factor is upper-triangular), got ${v}.`);
      }
      const u = prec[o + a * d + a];
      if (!(u > 0)) throw invalid(`${entryPath('precisionsCholesky', type, c, a, a)} must be > 0 (the factor's diagonal is positive), got ${u}.`);
    }
    // Consistency: U^T Sigma U = I within tau t_i t_j, t = |U|^T s.
    for (let j2 = 0; j2 < d; j2++) {
      let tj = 0;
      for (let a = 0; a <= j2; a++) tj += Math.abs(prec[o + a * d + j2]) * s[a];
      t[j2] = tj;
    }
    // SU = Sigma U (U upper: column j has rows 0..j).
    for (let a = 0; a < d; a++) {
      for (let j2 = 0; j2 < d; j2++) {
        let v = 0;
        for (let b = 0; b <= j2; b++) v += cov[o + a * d + b] * prec[o + b * d + j2];
        SU[a * d + j2] = v;
      }
    }
    for (let i = 0; i < d; i++) {
      for (let j2 = 0; j2 < d; j2++) {
        let w = 0;
        for (let a = 0; a <= i; a++) w += prec[o + a * d + i] * SU[a * d + j2];
        const residual = Math.abs(w - (i === j2 ? 1 : 0));
        const bound = PRECISION_CONSISTENCY_TOLERANCE * t[i] * t[j2];
        if (!(residual <= bound) || !Number.isFinite(bound)) {
          throw invalid(
            `${pp} is not the precision factor of ${cp}: (U^T Sigma U)[${i}][${j2}] = ${w}, but U U^T must be the inverse of the covariance ` +
              `(U^T Sigma U = I within ${PRECISION_CONSISTENCY_TOLERANCE} of the rounding scale); save the model with toJSON() instead of editing it.`,
          );
        }
      }
    }
  }
}
