/**
 * GaussianMixture.fromJSON and BayesianGaussianMixture.fromJSON on untrusted input (issue 11, fault 3
 * and scope 2; issue 12): every corrupt field class throws GaussianMixtureError INVALID_MODEL naming
 * the field; crafted keys pollute nothing; what toJSON writes, for every covariance type, restores a
 * model that predicts exactly as the original.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BayesianGaussianMixture, GaussianMixture, GaussianMixtureError } from '../src/index.js';
import type { GaussianMixtureJSON } from '../src/model.js';
import { COVARIANCE_TYPES } from '../src/types.js';
import { blobs } from './helpers.js';

/** A JSON-level copy of a saved model that a test may corrupt freely. */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function expectInvalid(input: unknown, ...patterns: (string | RegExp)[]): void {
  expectInvalidBy((j) => GaussianMixture.fromJSON(j as GaussianMixtureJSON), input, ...patterns);
}

function expectInvalidBy(load: (input: unknown) => unknown, input: unknown, ...patterns: (string | RegExp)[]): void {
  let caught: unknown;
  try {
    load(input);
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected INVALID_MODEL for ${patterns.join(' ')}`).toBeInstanceOf(GaussianMixtureError);
  expect((caught as GaussianMixtureError).code).toBe('INVALID_MODEL');
  for (const p of patterns) {
    if (typeof p === 'string') expect((caught as Error).message).toContain(p);
    else expect((caught as Error).message).toMatch(p);
  }
}

const X = blobs(11, 60, 3, 2).X;
let saved: Json;
const copy = (): Json => JSON.parse(JSON.stringify(saved)) as Json;

beforeAll(async () => {
  const gmm = new GaussianMixture({ nComponents: 2, seed: 3, backend: 'js' });
  await gmm.fit(X);
  saved = JSON.parse(JSON.stringify(gmm.toJSON())) as Json;
});

describe('fromJSON rejects corrupt models with INVALID_MODEL naming the field', () => {
  it('not a model: wrong text, type, format or version', () => {
    expectInvalid('{not json', 'not valid JSON');
    expectInvalid('null', 'got null');
    expectInvalid(42, 'got 42');
    expectInvalid([saved], 'an array');
    expectInvalid({ ...copy(), format: 'other' }, 'format', '"other"');
    expectInvalid({ ...copy(), version: 2 }, 'version 2 is not supported');
  });

  it('weights: null, negative, string, wrong length, sum not 1, non-finite', () => {
    const cases: [unknown, string][] = [
      [null, 'weights must be an array of 2'],
      [[-0.1, 1.1], 'weights[0] must be >= 0, got -0.1'],
      [['0.5', 0.5], 'weights[0] must be a finite number, got "0.5"'],
      [[1], 'weights must be an array of 2'],
      [[0.5, 0.6], 'weights must sum to 1'],
      [[Infinity, 0.5], 'weights[0] must be a finite number, got Infinity'],
      [[null, 1], 'weights[0] must be a finite number, got null'],
    ];
    for (const [weights, message] of cases) expectInvalid({ ...copy(), weights }, message);
  });

  it('means: short row, missing row, non-finite entry, not an array', () => {
    const j = copy();
    j.means[1] = j.means[1].slice(0, 2);
    expectInvalid(j, 'means[1] must be an array of 3');
    expectInvalid({ ...copy(), means: [copy().means[0]] }, 'means must be an array of 2');
    const nan = copy();
    nan.means[0][2] = NaN;
    expectInvalid(nan, 'means[0][2] must be a finite number, got NaN');
    expectInvalid({ ...copy(), means: 'x' }, 'means must be an array');
  });

  it('precision factors: non-finite, negated, not triangular, not the covariance\'s', () => {
    const inf = copy();
    inf.precisionsCholesky[0][1][1] = Infinity;
    expectInvalid(inf, 'precisionsCholesky[0][1][1] must be a finite number, got Infinity');
    // In JSON text a non-finite number can only appear as null (JSON.stringify writes NaN as null).
    const nan = copy();
    nan.precisionsCholesky[0][0][0] = NaN;
    expectInvalid(JSON.stringify(nan), 'precisionsCholesky[0][0][0] must be a finite number, got null');
    const negated = copy();
    negated.precisionsCholesky[1] = negated.precisionsCholesky[1].map((r: number[]) => r.map((v) => -v));
    expectInvalid(negated, 'precisionsCholesky[1][0][0] must be > 0');
    const lower = copy();
    lower.precisionsCholesky[0][2][0] = 0.5;
    expectInvalid(lower, 'precisionsCholesky[0][2][0] must be 0 (the factor is upper-triangular)');
    const scaled = copy();
    scaled.precisionsCholesky[0][0][0] *= 1.001;
    expectInvalid(scaled, 'precisionsCholesky[0] is not the precision factor of covariances[0]');
  });

  it('covariances: not symmetric, not positive definite, wrong shape', () => {
    const asym = copy();
    asym.covariances[0][0][1] += 0.5;
    expectInvalid(asym, 'covariances[0] is not symmetric');
    const indefinite = copy();
    indefinite.covariances[1][0][1] = indefinite.covariances[1][1][0] = 10 * indefinite.covariances[1][0][0];
    expectInvalid(indefinite, 'covariances[1] is not positive definite');
    const negative = copy();
    negative.covariances[0][2][2] = -1;
    expectInvalid(negative, 'covariances[0][2][2] is a variance and must be > 0');
    expectInvalid({ ...copy(), covariances: copy().covariances[0] }, 'covariances must be an array of 2');
  });

  it('scalars, options and unknown fields', () => {
    expectInvalid({ ...copy(), nFeatures: 2.5 }, 'nFeatures must be an integer >= 1, got 2.5');
    expectInvalid({ ...copy(), nFeatures: 2 }, 'means[0] must be an array of 2');
    expectInvalid({ ...copy(), converged: 'yes' }, 'converged must be a boolean');
    expectInvalid({ ...copy(), nIter: -1 }, 'nIter must be an integer >= 0');
    expectInvalid({ ...copy(), lowerBound: 'x' }, 'lowerBound must be a finite number, or null');
    expectInvalid({ ...copy(), history: [] }, 'history must be a non-empty array');
    expectInvalid({ ...copy(), history: [1, null] }, 'history[1] must be a finite number');
    expectInvalid({ ...copy(), options: null }, 'options must be an object');
    expectInvalid({ ...copy(), options: { ...copy().options, nComponents: 3 } }, 'weights must be an array of 3');
    expectInvalid({ ...copy(), options: { ...copy().options, covarianceType: 'bogus' } }, 'options.covarianceType');
    expectInvalid({ ...copy(), options: { ...copy().options, tol: -1 } }, 'options.tol');
    expectInvalid({ ...copy(), options: { ...copy().options, onIteration: 1 } }, 'options has an unknown field "onIteration"');
    const { nComponents: _n, ...noK } = copy().options;
    expectInvalid({ ...copy(), options: noK }, 'options.nComponents is missing');
    expectInvalid({ ...copy(), extra: 1 }, 'the model has an unknown field "extra"');
  });

  it('__proto__ / constructor / prototype keys are rejected and pollute nothing', () => {
    const text = JSON.stringify(saved);
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const top = text.replace('{"format"', `{"${key}":{"polluted":true},"format"`);
      expectInvalid(top, `the model has an unknown field "${key}"`);
      expectInvalid(JSON.parse(top), `the model has an unknown field "${key}"`);
      const inOptions = text.replace('"options":{', `"options":{"${key}":{"polluted":true},`);
      expectInvalid(inOptions, `options has an unknown field "${key}"`);
    }
    // An object whose prototype carries the fields is not a model: only own properties count.
    expectInvalid(Object.create(copy()), 'format');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('the input object is left untouched', () => {
    const j = copy();
    j.weights = [-1, 2];
    const before = JSON.stringify(j);
    expectInvalid(j, 'weights[0]');
    expect(JSON.stringify(j)).toBe(before);
  });
});

describe('valid models round-trip', () => {
  it.each(COVARIANCE_TYPES)('%s: toJSON -> JSON text -> fromJSON predicts exactly as the original', async (covarianceType) => {
    const gmm = new GaussianMixture({ nComponents: 2, covarianceType, seed: 5, backend: 'js' });
    await gmm.fit(X);
    const text = JSON.stringify(gmm);
    const back = GaussianMixture.fromJSON(text);
    // The reference is the original model's own output (same backend, same parameters).
    expect(Array.from(back.scoreSamples(X))).toEqual(Array.from(gmm.scoreSamples(X)));
    expect(Array.from(back.predictProba(X).data)).toEqual(Array.from(gmm.predictProba(X).data));
    expect(back.covariances).toEqual(gmm.covariances);
    expect(back.precisionsCholesky).toEqual(gmm.precisionsCholesky);
    expect(back.history).toEqual(gmm.history);
    expect(JSON.stringify(back)).toBe(text);
    expect(GaussianMixture.fromJSON(JSON.parse(text)).weights).toEqual(gmm.weights);
  });

  it('maxIter 0 (lowerBound -Infinity written as null) and an empty component (weight 0) are valid', async () => {
    const gmm = new GaussianMixture({ nComponents: 2, seed: 5, maxIter: 0, backend: 'js' });
    await gmm.fit(X);
    const j = JSON.parse(JSON.stringify(gmm)) as Json;
    expect(j.lowerBound).toBeNull();
    expect(GaussianMixture.fromJSON(j as never).lowerBound).toBe(-Infinity);
    const zero = copy();
    zero.weights = [0, 1];
    expect(GaussianMixture.fromJSON(zero as never).predict(X).every((c) => c === 1)).toBe(true);
  });

  it('a collapsed component with variances 1e10 elsewhere (condition number 1e16) still loads', async () => {
    // Two exact duplicates make a component collapse to the regCovar floor; the other component spans 1e5.
    const rows = [[0, 0], [0, 0], [1e5, -3e4], [-2e4, 7e4], [5e4, 5e4], [-8e4, 1e4], [3e4, -9e4]];
    const gmm = new GaussianMixture({ nComponents: 2, seed: 1, backend: 'js', init: { labels: [0, 0, 1, 1, 1, 1, 1] }, maxIter: 3 });
    await gmm.fit(rows);
    expect((gmm.covariances as number[][][])[0]).toEqual([[1e-6, 0], [0, 1e-6]]);
    expect((gmm.covariances as number[][][])[1][0][0]).toBeGreaterThan(1e9);
    const back = GaussianMixture.fromJSON(JSON.stringify(gmm));
    expect(Array.from(back.scoreSamples(rows))).toEqual(Array.from(gmm.scoreSamples(rows)));
  });
});

describe('BayesianGaussianMixture.fromJSON: the same checks, and those of the posterior and the priors', () => {
  const load = (j: unknown): unknown => BayesianGaussianMixture.fromJSON(j as never);
  const invalid = (input: unknown, ...patterns: (string | RegExp)[]): void => expectInvalidBy(load, input, ...patterns);
  // d = 3, k = 4: full with the stick-breaking prior, tied (one degrees-of-freedom value), diag.
  const models: Record<string, Json> = {};
  const bayes = (name: string): Json => JSON.parse(JSON.stringify(models[name])) as Json;

  beforeAll(async () => {
    for (const [name, options] of [
      ['full', { covarianceType: 'full' }],
      ['tied', { covarianceType: 'tied', weightConcentrationPriorType: 'dirichlet_distribution' }],
      ['diag', { covarianceType: 'diag' }],
    ] as const) {
      const m = new BayesianGaussianMixture({ nComponents: 4, seed: 3, backend: 'js', maxIter: 5, ...options });
      await m.fit(X);
      models[name] = JSON.parse(JSON.stringify(m.toJSON())) as Json;
    }
  });

  it('not a model: wrong text, type, format (a GaussianMixture file) or version', () => {
    invalid('{not json', 'not valid JSON');
    invalid(null, 'expected the output of BayesianGaussianMixture.toJSON()', 'got null');
    invalid(copy(), "format must be 'gmm-wasm/bayesian-model', got \"gmm-wasm/model\"");
    invalid({ ...bayes('full'), version: 2 }, 'version 2 is not supported');
    invalid({ ...bayes('full'), extra: 1 }, 'the model has an unknown field "extra"');
  });

  it('the parameters both models share: weights, means, covariances, precision factors, scalars', () => {
    invalid({ ...bayes('full'), weights: [0.5, 0.5, 0.5, 0.5] }, 'weights must sum to 1');
    invalid({ ...bayes('full'), means: [[1]] }, 'means must be an array of 4');
    const asym = bayes('full');
    asym.covariances[1][0][2] += 1;
    invalid(asym, 'covariances[1] is not symmetric');
    const prec = bayes('diag');
    prec.precisionsCholesky[2][1] *= 2;
    invalid(prec, 'precisionsCholesky[2] is not the precision factor of covariances[2]');
    invalid({ ...bayes('full'), nFeatures: 0 }, 'nFeatures must be an integer >= 1, got 0');
    invalid({ ...bayes('full'), nIter: -1 }, 'nIter must be an integer >= 0, got -1');
    invalid({ ...bayes('full'), converged: 1 }, 'converged must be a boolean');
    invalid({ ...bayes('full'), lowerBound: 'x' }, 'lowerBound must be a finite number, or null');
    invalid({ ...bayes('full'), history: [1, 'x'] }, 'history[1] must be a finite number, got "x"');
  });

  it('the posterior: weightConcentration, meanPrecision, degreesOfFreedom', () => {
    const wc = bayes('full');
    wc.weightConcentration[1][3] = -1;
    invalid(wc, 'weightConcentration[1][3] must be > 0, got -1');
    invalid({ ...bayes('full'), weightConcentration: [1, 2, 3, 4] }, 'weightConcentration must be an array of 2 arrays', "'dirichlet_process'");
    invalid({ ...bayes('tied'), weightConcentration: [[1, 2, 3, 4], [1, 2, 3, 4]] }, 'weightConcentration must be an array of 4 positive numbers (the Dirichlet parameters');
    invalid({ ...bayes('full'), meanPrecision: [1, 2] }, 'meanPrecision must be an array of 4');
    invalid({ ...bayes('full'), meanPrecision: [1, 2, 0, 4] }, 'meanPrecision[2] must be > 0, got 0');
    // Wishart degrees of freedom must exceed d - 1 = 2.
    invalid({ ...bayes('full'), degreesOfFreedom: [3, 3, 2, 3] }, 'degreesOfFreedom[2] must be > 2, got 2');
    invalid({ ...bayes('tied'), degreesOfFreedom: [5, 5, 5, 5] }, 'degreesOfFreedom must be a finite number');
    invalid({ ...bayes('tied'), degreesOfFreedom: 1.5 }, 'degreesOfFreedom must be > 2, got 1.5');
  });

  it('the priors: unknown, missing or out-of-range fields, a covariance prior that is not positive definite', () => {
    invalid({ ...bayes('full'), priors: null }, 'priors must be an object');
    invalid({ ...bayes('full'), priors: { ...bayes('full').priors, alpha: 1 } }, 'priors has an unknown field "alpha"');
    invalid({ ...bayes('full'), priors: { ...bayes('full').priors, meanPrior: [0, 0] } }, 'priors.meanPrior must be an array of 3');
    invalid({ ...bayes('full'), priors: { ...bayes('full').priors, meanPrecisionPrior: 0 } }, 'priors.meanPrecisionPrior must be > 0, got 0');
    invalid({ ...bayes('full'), priors: { ...bayes('full').priors, degreesOfFreedomPrior: 2 } }, 'priors.degreesOfFreedomPrior must be > 2, got 2');
    const { weightConcentrationPrior: _w, ...noPrior } = bayes('full').priors;
    invalid({ ...bayes('full'), priors: noPrior }, 'priors.weightConcentrationPrior must be a finite number, got undefined');
    invalid({ ...bayes('full'), priors: { ...bayes('full').priors, covariancePrior: [1, 2, 0, 2, 1, 0, 0, 0, 1] } }, 'priors.covariancePrior is not positive definite');
    invalid({ ...bayes('diag'), priors: { ...bayes('diag').priors, covariancePrior: [1, -1, 1] } }, 'priors.covariancePrior[1] must be > 0, got -1');
  });

  it('options: unknown fields, partialFit\'s step sizes, values the constructor rejects, missing shape fields', () => {
    invalid({ ...bayes('full'), options: { ...bayes('full').options, bogus: 1 } }, 'options has an unknown field "bogus"');
    invalid({ ...bayes('full'), options: { ...bayes('full').options, learningDecay: 0.6 } }, 'options has an unknown field "learningDecay"');
    invalid({ ...bayes('full'), options: { ...bayes('full').options, covarianceType: 'VVV' } }, 'options: covarianceType must be one of');
    invalid({ ...bayes('full'), options: { ...bayes('full').options, weightConcentrationPriorType: 'pitman_yor' } }, 'options: ', 'pitman_yor');
    const { weightConcentrationPriorType: _t, ...noType } = bayes('full').options;
    invalid({ ...bayes('full'), options: noType }, 'options.weightConcentrationPriorType is missing');
    const text = JSON.stringify(models.full).replace('"options":{', '"options":{"__proto__":{"polluted":true},');
    invalid(text, 'options has an unknown field "__proto__"');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each(['full', 'tied', 'diag'])('%s: a valid model still loads and predicts as the saved one', (name) => {
    const back = BayesianGaussianMixture.fromJSON(JSON.stringify(models[name]));
    // Reference: the file itself; the restored model writes it back unchanged.
    expect(JSON.parse(JSON.stringify(back.toJSON()))).toEqual(models[name]);
    expect(back.predict(X).length).toBe(X.length);
  });
});
