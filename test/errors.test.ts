/**
 * Every class of bad input and misuse (issue 2, point 8) gets an error of the documented type, with the
 * documented `code`, whose message names the parameter, the offending value and what is allowed.
 */
import { describe, expect, it } from 'vitest';
import { GaussianMixture, GaussianMixtureError } from '../src/index.js';
import type { GaussianMixtureOptions } from '../src/index.js';
import { blobs, snapshot } from './helpers.js';

type Ctor = new (...args: never[]) => Error;

/** Runs fn, asserts it throws an instance of `type` whose message matches every pattern; returns the error. */
function expectThrow(fn: () => unknown, type: Ctor, ...patterns: (RegExp | string)[]): Error {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a throw').toBeInstanceOf(type);
  const err = caught as Error;
  for (const p of patterns) {
    if (typeof p === 'string') expect(err.message).toContain(p);
    else expect(err.message).toMatch(p);
  }
  return err;
}

async function expectReject(p: Promise<unknown>, type: Ctor, ...patterns: (RegExp | string)[]): Promise<Error> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  return expectThrow(() => {
    if (caught !== undefined) throw caught;
  }, type, ...patterns);
}

const { X } = blobs(1, 60, 2, 3, 6);

describe('X validation', () => {
  it('non-finite values name the first offending row and column (nested, typed, predict)', async () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const Xb = X.map((r) => [...r]);
      Xb[7][1] = bad;
      Xb[9][0] = bad; // a later one: the message must name the first
      const before = snapshot(Xb);
      const err = await expectReject(new GaussianMixture({ nComponents: 2 }).fit(Xb), RangeError, /non-finite/, /row 7\b/, /column 1\b/, String(bad));
      expect(err.message).not.toMatch(/row 9/);
      expect(Xb).toEqual(before);

      const data = new Float64Array(60 * 2);
      X.forEach((r, i) => data.set(r, 2 * i));
      data[2 * 12 + 0] = bad;
      await expectReject(new GaussianMixture({ nComponents: 2 }).fit({ data, rows: 60, cols: 2 }), RangeError, /row 12\b/, /column 0\b/);
      const f32 = Float32Array.from(data);
      await expectReject(new GaussianMixture({ nComponents: 2 }).fit({ data: f32, rows: 60, cols: 2 }), RangeError, /row 12\b/, /column 0\b/);
    }
    const gmm = new GaussianMixture({ nComponents: 2, seed: 1 });
    await gmm.fit(X);
    const Xp = [[0, 0], [1, NaN]];
    expectThrow(() => gmm.predict(Xp), RangeError, /row 1\b/, /column 1\b/);
    expectThrow(() => gmm.predictProba(Xp), RangeError, /row 1\b/, /column 1\b/);
    expectThrow(() => gmm.scoreSamples(Xp), RangeError, /row 1\b/);
    expectThrow(() => gmm.score(Xp), RangeError, /row 1\b/);
  });

  it('ragged rows name the row and both lengths', async () => {
    const Xr = X.map((r) => [...r]);
    Xr[5] = [1, 2, 3];
    await expectReject(new GaussianMixture({ nComponents: 2 }).fit(Xr), RangeError, /ragged/, /row 5\b/, /3 columns/, /2/);
  });

  it('wrong shapes and element types', async () => {
    const fit = (x: unknown) => new GaussianMixture({ nComponents: 1 }).fit(x as number[][]);
    await expectReject(fit([]), RangeError, /at least one row/);
    await expectReject(fit(null), TypeError, /X must be/);
    await expectReject(fit(42), TypeError, /X must be/);
    await expectReject(fit([[1, 2], 'ab']), TypeError, /X\[1\]/);
    await expectReject(fit([[1, 2], [3, '4']]), TypeError, /X\[1\]\[1\]/, /number/);
    await expectReject(fit([[]]), RangeError, /at least one column/);
    await expectReject(fit({ data: [1, 2, 3, 4], rows: 2, cols: 2 }), TypeError, /X\.data/, /Float64Array or Float32Array/);
    await expectReject(fit({ data: new Float64Array(5), rows: 2, cols: 2 }), RangeError, /length 5/, /2 \* 2/);
    await expectReject(fit({ data: new Float64Array(4), rows: 0, cols: 2 }), RangeError, /X\.rows/);
    await expectReject(fit({ data: new Float64Array(4), rows: 2, cols: 2.5 }), RangeError, /X\.cols/);
  });

  it('n < nComponents', async () => {
    await expectReject(new GaussianMixture({ nComponents: 5 }).fit(X.slice(0, 4)), RangeError, /4 rows/, /nComponents is 5/);
  });

  it('d mismatch between fit and predict (every scoring method)', async () => {
    const gmm = new GaussianMixture({ nComponents: 2, seed: 1 });
    await gmm.fit(X);
    const X3 = [[1, 2, 3], [4, 5, 6]];
    for (const call of [
      () => gmm.predict(X3),
      () => gmm.predictProba(X3),
      () => gmm.scoreSamples(X3),
      () => gmm.score(X3),
      () => gmm.bic(X3),
      () => gmm.aic(X3),
    ]) {
      expectThrow(call, RangeError, /3 columns/, /fitted with 2 features/);
    }
  });

  it('d mismatch with warmStart', async () => {
    const gmm = new GaussianMixture({ nComponents: 2, seed: 1, warmStart: true });
    await gmm.fit(X);
    await expectReject(gmm.fit([[1, 2, 3], [4, 5, 6], [7, 8, 9]]), RangeError, /3 columns/, /2/, /warmStart/);
  });
});

describe('options', () => {
  const cases: [string, GaussianMixtureOptions | unknown, Ctor, RegExp[]][] = [
    ['nComponents 0', { nComponents: 0 }, RangeError, [/nComponents/, /integer >= 1/, /got 0/]],
    ['nComponents -2', { nComponents: -2 }, RangeError, [/nComponents/, /got -2/]],
    // A number of the wrong value is a RangeError; a value of the wrong type ('3') is a TypeError.
    ['nComponents 1.5', { nComponents: 1.5 }, RangeError, [/nComponents/, /integer/, /1\.5/]],
    ['nComponents "3"', { nComponents: '3' }, TypeError, [/nComponents/, /integer/, /"3"/]],
    ['covarianceType foo', { covarianceType: 'foo' }, RangeError, [/covarianceType/, /"full"/, /"spherical"/, /"foo"/]],
    ['covarianceType 1', { covarianceType: 1 }, TypeError, [/covarianceType/, /got 1/]],
    ['tol -1', { tol: -1 }, RangeError, [/tol/, />= 0/, /-1/]],
    ['tol NaN', { tol: NaN }, RangeError, [/tol/, /NaN/]],
    ['tol "1"', { tol: '1' }, TypeError, [/tol/]],
    ['relTol -1', { relTol: -1 }, RangeError, [/relTol/, /-1/]],
    ['maxIter -1', { maxIter: -1 }, RangeError, [/maxIter/, /integer >= 0/, /-1/]],
    ['maxIter 2.5', { maxIter: 2.5 }, RangeError, [/maxIter/, /2\.5/]],
    ['regCovar NaN', { regCovar: NaN }, RangeError, [/regCovar/, /finite/, /NaN/]],
    ['regCovar -1e-6', { regCovar: -1e-6 }, RangeError, [/regCovar/, />= 0/]],
    ['regCovar Infinity', { regCovar: Infinity }, RangeError, [/regCovar/, /Infinity/]],
    ['nInit 0', { nInit: 0 }, RangeError, [/nInit/, /integer >= 1/, /got 0/]],
    ['init bogus', { init: 'bogus' }, RangeError, [/init/, /"kmeans"/, /"random_from_data"/, /"bogus"/]],
    ['init 7', { init: 7 }, TypeError, [/init/, /labels/, /got 7/]],
    ['init null', { init: null }, TypeError, [/init/, /got null/]],
    ['init unknown field', { init: { mean: [[0, 0]] } }, TypeError, [/init/, /"mean"/, /weights, means, covariances/]],
    ['init labels + means', { init: { labels: [0], means: [[0, 0]] } }, TypeError, [/init/, /"means"/, /labels/]],
    ['backend gpu', { backend: 'gpu' }, RangeError, [/backend/, /"wasm"/, /"js"/, /"gpu"/]],
    ['seed -1', { seed: -1 }, RangeError, [/seed/, /4294967295/, /-1/]],
    ['seed 1.5', { seed: 1.5 }, RangeError, [/seed/, /1\.5/]],
    ['seed 2^32', { seed: 2 ** 32 }, RangeError, [/seed/, /4294967296/]],
    ['warmStart "yes"', { warmStart: 'yes' }, TypeError, [/warmStart/, /boolean/, /"yes"/]],
    ['onIteration 5', { onIteration: 5 }, TypeError, [/onIteration/, /function/, /got 5/]],
    ['signal {}', { signal: {} }, TypeError, [/signal/, /AbortSignal/]],
    ['unknown key', { nComponent: 3 }, TypeError, [/Unknown option/, /"nComponent"/, /nComponents/]],
    ['options null', null, TypeError, [/options/, /object/, /null/]],
    ['options 3', 3, TypeError, [/options/, /object/]],
  ];
  for (const [name, options, type, patterns] of cases) {
    it(name, () => {
      expectThrow(() => new GaussianMixture(options as GaussianMixtureOptions), type, ...patterns);
    });
  }

  it('good options are accepted and resolved with defaults', () => {
    const o = new GaussianMixture({ nComponents: 2, tol: 0, regCovar: 0, maxIter: 0, seed: 0, onIteration: undefined }).options;
    expect(o).toMatchObject({ nComponents: 2, tol: 0, regCovar: 0, maxIter: 0, seed: 0, covarianceType: 'full', nInit: 1, init: 'auto' });
  });
});

describe('initial parameters', () => {
  const k = 3;
  const means = [[0, 0], [5, 5], [-5, 5]];
  const eye = [[1, 0], [0, 1]];
  const fitWith = (init: unknown, covarianceType: 'full' | 'tied' | 'diag' | 'spherical' = 'full') =>
    new GaussianMixture({ nComponents: k, covarianceType, init: init as GaussianMixtureOptions['init'] }).fit(X);

  it('weights not summing to 1, negative, wrong length', async () => {
    await expectReject(fitWith({ weights: [0.5, 0.5, 0.5], means }), RangeError, /init\.weights/, /sum to 1/, /1\.5/);
    await expectReject(fitWith({ weights: [1.5, -0.5, 0], means }), RangeError, /init\.weights\[1\]/, />= 0/, /-0\.5/);
    await expectReject(fitWith({ weights: [0.5, 0.5], means }), RangeError, /init\.weights/, /3 numbers/);
    await expectReject(fitWith({ weights: [0.5, NaN, 0.5], means }), RangeError, /init\.weights\[1\]/, /finite/);
  });

  it('means of the wrong shape or non-finite', async () => {
    await expectReject(fitWith({ means: [[0, 0], [1, 1]] }), RangeError, /init\.means/, /3 rows/);
    await expectReject(fitWith({ means: [[0, 0], [1, 1], [2, 2, 2]] }), RangeError, /init\.means\[2\]/, /2 numbers/);
    await expectReject(fitWith({ means: [[0, 0], [1, Infinity], [2, 2]] }), RangeError, /init\.means\[1\]\[1\]/, /finite/);
  });

  it('covariances not positive definite', async () => {
    const notPd = [[1, 2], [2, 1]]; // eigenvalues 3, -1
    await expectReject(fitWith({ means, covariances: [eye, notPd, eye] }), RangeError, /init\.covariances\[1\]/, /positive definite/);
    await expectReject(fitWith({ means, covariances: notPd }, 'tied'), RangeError, /init\.covariances/, /positive definite/);
    await expectReject(fitWith({ means, covariances: [[1, 1], [1, 0], [1, 1]] }, 'diag'), RangeError, /init\.covariances/, /positive/, /diag/);
    await expectReject(fitWith({ means, covariances: [1, -2, 1] }, 'spherical'), RangeError, /init\.covariances/, /positive/, /-2/);
  });

  it('covariances not symmetric', async () => {
    const asym = [[2, 0.5], [0.4, 2]];
    await expectReject(fitWith({ means, covariances: [eye, eye, asym] }), RangeError, /init\.covariances\[2\]/, /not symmetric/, /0\.4/, /0\.5/);
    await expectReject(fitWith({ means, covariances: asym }, 'tied'), RangeError, /symmetric/);
  });

  it('covariances of the wrong shape', async () => {
    await expectReject(fitWith({ means, covariances: [eye, eye] }), RangeError, /init\.covariances/, /3 matrices of 2 x 2/, /'full'/);
    await expectReject(fitWith({ means, covariances: [eye, eye, [[1, 0, 0], [0, 1, 0], [0, 0, 1]]] }), RangeError, /init\.covariances\[2\]/, /2 x 2/);
    await expectReject(fitWith({ means, covariances: [eye, eye, eye] }, 'tied'), RangeError, /init\.covariances/, /2 x 2/);
    await expectReject(fitWith({ means, covariances: [1, 1, 1] }, 'diag'), RangeError, /init\.covariances\[0\]/, /2 numbers/);
    await expectReject(fitWith({ means, covariances: [1, 1] }, 'spherical'), RangeError, /init\.covariances/, /3 numbers/);
    await expectReject(fitWith({ means, covariances: 2 }, 'spherical'), TypeError, /init\.covariances/, /3 variances/, /'spherical'/);
  });

  it('labels out of range, non-integer, wrong length', async () => {
    const labels = X.map((_, i) => i % k);
    await expectReject(fitWith({ labels: labels.map((v, i) => (i === 4 ? 3 : v)) }), RangeError, /init\.labels\[4\]/, /\[0, 2\]/, /got 3/);
    await expectReject(fitWith({ labels: labels.map((v, i) => (i === 6 ? -1 : v)) }), RangeError, /init\.labels\[6\]/, /-1/);
    await expectReject(fitWith({ labels: labels.map((v, i) => (i === 2 ? 0.5 : v)) }), RangeError, /init\.labels\[2\]/, /integer/);
    await expectReject(fitWith({ labels: labels.slice(1) }), RangeError, /init\.labels/, /length 59/, /60 rows/);
    await expectReject(fitWith({ labels: 'abc' }), TypeError, /init\.labels/);
  });
});

describe('sampleWeight', () => {
  const fit = (sampleWeight: unknown) => new GaussianMixture({ nComponents: 2 }).fit(X, { sampleWeight: sampleWeight as number[] });
  it('negative, non-finite, wrong length, all zero, not an array', async () => {
    const w = X.map(() => 1);
    await expectReject(fit(w.map((v, i) => (i === 3 ? -2 : v))), RangeError, /sampleWeight\[3\]/, />= 0/, /-2/);
    await expectReject(fit(w.map((v, i) => (i === 8 ? NaN : v))), RangeError, /sampleWeight\[8\]/, /NaN/);
    await expectReject(fit(w.slice(2)), RangeError, /sampleWeight/, /length 58/, /60 rows/);
    await expectReject(fit(w.map(() => 0)), RangeError, /sampleWeight/, /positive sum/);
    await expectReject(fit(w.map((v, i) => (i === 5 ? 1 : 0))), RangeError, /sampleWeight/, /only 1 rows/, /nComponents is 2/);
    await expectReject(fit(5), TypeError, /sampleWeight/, /60/);
  });
});

describe('NOT_FITTED', () => {
  it('every method and attribute before fit throws GaussianMixtureError NOT_FITTED naming it', () => {
    const gmm = new GaussianMixture({ nComponents: 2 });
    const calls: [string, () => unknown][] = [
      ['predict', () => gmm.predict(X)],
      ['predictProba', () => gmm.predictProba(X)],
      ['scoreSamples', () => gmm.scoreSamples(X)],
      ['score', () => gmm.score(X)],
      ['bic', () => gmm.bic(X)],
      ['aic', () => gmm.aic(X)],
      ['sample', () => gmm.sample(10)],
      ['nParameters', () => gmm.nParameters()],
      ['weights', () => gmm.weights],
      ['means', () => gmm.means],
      ['covariances', () => gmm.covariances],
      ['precisionsCholesky', () => gmm.precisionsCholesky],
      ['converged', () => gmm.converged],
      ['nIter', () => gmm.nIter],
      ['lowerBound', () => gmm.lowerBound],
      ['history', () => gmm.history],
      ['toJSON', () => gmm.toJSON()],
    ];
    for (const [name, call] of calls) {
      const err = expectThrow(call, GaussianMixtureError, name, /fit/);
      expect((err as GaussianMixtureError).code, name).toBe('NOT_FITTED');
      expect(err.name).toBe('GaussianMixtureError');
      expect(err).toBeInstanceOf(Error);
    }
    // JSON.stringify of an unfitted model goes through toJSON and fails the same way.
    expect(() => JSON.stringify(gmm)).toThrow(GaussianMixtureError);
  });

  it('a fit that fails leaves an unfitted model unfitted', async () => {
    const gmm = new GaussianMixture({ nComponents: 2, init: { weights: [0.3, 0.3], means: [[0, 0], [1, 1]] } });
    await expectReject(gmm.fit(X), RangeError, /sum to 1/);
    expect((expectThrow(() => gmm.predict(X), GaussianMixtureError) as GaussianMixtureError).code).toBe('NOT_FITTED');
  });
});

describe('other argument errors', () => {
  it('sample(n, seed) validates n and seed', async () => {
    const gmm = new GaussianMixture({ nComponents: 2, seed: 1 });
    await gmm.fit(X);
    expectThrow(() => gmm.sample(0), RangeError, /n must be an integer >= 1/, /got 0/);
    expectThrow(() => gmm.sample(2.5), RangeError, /2\.5/);
    expectThrow(() => gmm.sample(10, -1), RangeError, /seed/, /-1/);
  });

  it('fromJSON rejects what toJSON did not write with INVALID_MODEL (every field class: model-json.test.ts)', async () => {
    const invalid = (fn: () => unknown, ...patterns: RegExp[]): void => {
      const err = expectThrow(fn, GaussianMixtureError, /fromJSON/, ...patterns) as GaussianMixtureError;
      expect(err.code).toBe('INVALID_MODEL');
    };
    invalid(() => GaussianMixture.fromJSON({ format: 'other' } as never), /gmm-wasm\/model/);
    invalid(() => GaussianMixture.fromJSON('null'), /got null/);
    const gmm = new GaussianMixture({ nComponents: 2, seed: 1 });
    await gmm.fit(X);
    const j = gmm.toJSON();
    invalid(() => GaussianMixture.fromJSON({ ...j, weights: [1] }), /weights must be an array of 2/);
    invalid(() => GaussianMixture.fromJSON({ ...j, means: [[0, 0]] }), /means must be an array of 2/);
  });
});

describe('NUMERICAL_FAILURE', () => {
  it('data too large for float64 squares: the covariance overflows and the error says to scale the data', async () => {
    // Values ~1e200: (x - mean)^2 ~ 1e400 overflows to Infinity (closed form), for every backend.
    const huge = X.map((row) => row.map((v) => v * 1e200));
    for (const backend of ['js', 'wasm'] as const) {
      const err = await expectReject(
        new GaussianMixture({ nComponents: 2, backend, seed: 1 }).fit(huge),
        GaussianMixtureError,
        /overflowed/,
        /Scale the data/,
      );
      expect((err as GaussianMixtureError).code).toBe('NUMERICAL_FAILURE');
    }
  });
});

describe('ILL_DEFINED_COVARIANCE', () => {
  it('the advice only suggests a regCovar that works (fault 8: one outlier at (1e10, -1e10))', async () => {
    // 200 rows of spread ~5 and one outlier: the one component's covariance has entries ~5e17 along
    // (1, -1) and ~25 across, a ratio below float64 resolution, so 1e-6, 1e-4 and 1 all fail.
    // Whether it fails at all depends on the rounding of the statistics: it does on WASM (the default
    // backend); the JS backend's sums happen to stay positive definite here.
    const rows = [...blobs(3, 200, 2, 1, 0).X, [1e10, -1e10]];
    for (const backend of ['wasm', 'wasm-scalar'] as const) {
      for (const regCovar of [1e-6, 1]) {
        const err = (await expectReject(new GaussianMixture({ nComponents: 1, regCovar, backend }).fit(rows), GaussianMixtureError, /component 0 of 1/)) as GaussianMixtureError;
        expect(err.code).toBe('ILL_DEFINED_COVARIANCE');
        expect(err.message).not.toMatch(/fewer components/); // one component already
        const suggested = Number(/regCovar = ([\d.e+-]+) makes this covariance positive definite/.exec(err.message)?.[1]);
        expect(suggested, err.message).toBeGreaterThan(regCovar);
        // The suggested value fits; a tenth of it does not (it is the smallest power of ten that works).
        const ok = await new GaussianMixture({ nComponents: 1, regCovar: suggested, backend }).fit(rows);
        expect(ok.converged).toBe(true);
        if (suggested / 10 > regCovar) {
          await expectReject(new GaussianMixture({ nComponents: 1, regCovar: suggested / 10, backend }).fit(rows), GaussianMixtureError, /ill-defined/);
        }
      }
    }
  });

  it('tied: collinear data with regCovar 0 name the shared covariance, and the suggested regCovar works', async () => {
    const line = Array.from({ length: 40 }, (_, i) => [i % 7, 2 * (i % 7) + 1]);
    const err = (await expectReject(new GaussianMixture({ nComponents: 2, covarianceType: 'tied', regCovar: 0, seed: 1, init: 'kmeans' }).fit(line), GaussianMixtureError, /the tied \(shared\) covariance/)) as GaussianMixtureError;
    expect(err.code).toBe('ILL_DEFINED_COVARIANCE');
    const suggested = Number(/regCovar = ([\d.e+-]+) makes/.exec(err.message)?.[1]);
    expect(suggested).toBe(1e-6);
    await new GaussianMixture({ nComponents: 2, covarianceType: 'tied', regCovar: suggested, seed: 1 }).fit(line);
  });

  // 8 identical rows at (3, -2) and 30 spread rows: a component that owns only the duplicates has a
  // zero covariance, which regCovar 0 cannot rescue.
  const spread = blobs(5, 30, 2, 1, 0).X;
  const dup = Array.from({ length: 8 }, () => [3, -2]);
  const Xd = [...spread, ...dup];
  const labels = Xd.map((_, i) => (i < 30 ? 0 : 1));

  for (const type of ['full', 'diag', 'spherical'] as const) {
    it(`${type}: a component on duplicate points at initialisation ({ labels }, regCovar 0)`, async () => {
      const before = snapshot({ Xd, labels });
      const gmm = new GaussianMixture({ nComponents: 2, covarianceType: type, regCovar: 0, init: { labels } });
      const err = (await expectReject(gmm.fit(Xd), GaussianMixtureError, /component 1\b/, /regCovar/, /initialisation/)) as GaussianMixtureError;
      expect(err.code).toBe('ILL_DEFINED_COVARIANCE');
      expect(err.message).toMatch(/set regCovar > 0|increase regCovar/);
      expect({ Xd, labels }).toEqual(before);
      // The documented remedy works: with the default regCovar the same problem fits.
      const ok = new GaussianMixture({ nComponents: 2, covarianceType: type, init: { labels } });
      await ok.fit(Xd);
      expect(ok.weights[1]).toBeCloseTo(8 / 38, 6);
    });

    it(`${type}: a component collapsing onto duplicate points in the M-step (regCovar 0)`, async () => {
      // Explicit start: component 1 sits on the duplicates with a tiny variance, so after the first
      // E-step it owns exactly those 8 identical rows and its M-step covariance is exactly 0.
      const tiny = 1e-4;
      const covariances =
        type === 'full'
          ? [[[4, 0], [0, 4]], [[tiny, 0], [0, tiny]]]
          : type === 'diag'
            ? [[4, 4], [tiny, tiny]]
            : [4, tiny];
      const init = { weights: [0.8, 0.2], means: [[0, 0], [3, -2]], covariances };
      const before = snapshot({ Xd, init });
      for (const backend of ['js', 'wasm'] as const) {
        const gmm = new GaussianMixture({ nComponents: 2, covarianceType: type, regCovar: 0, init, backend });
        const err = (await expectReject(gmm.fit(Xd), GaussianMixtureError, /component 1\b/, /iteration 1\b/, /regCovar/)) as GaussianMixtureError;
        expect(err.code).toBe('ILL_DEFINED_COVARIANCE');
      }
      expect({ Xd, init }).toEqual(before);
      // With regCovar > 0 the same start fits (the component keeps a regCovar-sized covariance).
      const ok = new GaussianMixture({ nComponents: 2, covarianceType: type, regCovar: 1e-6, init });
      await ok.fit(Xd);
      expect(ok.means[1][0]).toBeCloseTo(3, 8);
    });
  }

  it('a failed refit keeps the previous fitted parameters', async () => {
    const init = { weights: [0.8, 0.2], means: [[0, 0], [3, -2]], covariances: [[[4, 0], [0, 4]], [[0.01, 0], [0, 0.01]]] };
    const gmm = new GaussianMixture({ nComponents: 2, regCovar: 0, init, backend: 'wasm' });
    // First fit: the 8 points near (3, -2) are jittered, so every covariance stays positive definite.
    const r = blobs(6, 8, 2, 1, 0).X;
    const Xj = [...spread, ...dup.map((p, i) => [p[0] + 0.05 * r[i][0], p[1] + 0.05 * r[i][1]])];
    await gmm.fit(Xj);
    const fitted = { weights: gmm.weights, means: gmm.means, covariances: gmm.covariances, history: gmm.history };
    // Second fit on the exact duplicates fails in the M-step ...
    await expectReject(gmm.fit(Xd), GaussianMixtureError, /component 1/);
    // ... and the model still holds (and predicts with) the first fit.
    expect({ weights: gmm.weights, means: gmm.means, covariances: gmm.covariances, history: gmm.history }).toEqual(fitted);
    expect(gmm.predict(Xj).length).toBe(Xj.length);
    // score() sums log p(x_i) in another order than the final E-step (which works on shifted data),
    // so the two agree to rounding, not bit for bit.
    expect(gmm.score(Xj)).toBeCloseTo(fitted.history[fitted.history.length - 1], 13);
  });

  it('a fit that fails numerically on a fresh model leaves it unfitted', async () => {
    const gmm = new GaussianMixture({ nComponents: 2, regCovar: 0, init: { labels } });
    await expectReject(gmm.fit(Xd), GaussianMixtureError, /component 1/);
    expect((expectThrow(() => gmm.weights, GaussianMixtureError) as GaussianMixtureError).code).toBe('NOT_FITTED');
  });
});

describe('AbortError', () => {
  it('an already-aborted signal rejects fit with name AbortError and leaves X untouched', async () => {
    const controller = new AbortController();
    controller.abort();
    const before = snapshot(X);
    const gmm = new GaussianMixture({ nComponents: 2, signal: controller.signal });
    const err = await gmm.fit(X).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err).not.toBeNull();
    expect(err!.name).toBe('AbortError');
    expect(X).toEqual(before);
  });
});
