/**
 * BayesianGaussianMixture beyond the scikit-learn trajectories (those are in bayesian.test.ts): what
 * the estimator adds on top of the shared driver (automatic K, JSON, sampling, the shared options)
 * and the errors for bad priors. Reference values: the iris fixture (scikit-learn 1.2.1), closed
 * forms, or the model's own fit on equivalent input, as noted at each.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BayesianGaussianMixture, GaussianMixtureError } from '../src/index.js';
import { blobs, expectRel, relErr, relScalar } from './helpers.js';

const iris = JSON.parse(readFileSync(new URL('./fixtures/bayesian/bgm-iris-full-dp.json', import.meta.url), 'utf8')) as {
  X: number[][];
  initLabels: number[];
  nComponents: number;
  trajectory: { lowerBound: number; means: number[][]; weightConcentration: number[][]; weights: number[] }[];
};
const base = { nComponents: iris.nComponents, init: { labels: iris.initLabels }, backend: 'js' as const };

describe('automatic K', () => {
  for (const type of ['full', 'tied', 'diag', 'spherical'] as const) {
    it(`${type}: K = 10 on 3 well-separated clusters, the Dirichlet process (default priors) keeps 3 components above 0.01`, async () => {
      const { X } = blobs(7, 600, 2, 3, 12); // 3 blobs 12 units apart, unit-scale spread
      const m = new BayesianGaussianMixture({ nComponents: 10, covarianceType: type, seed: 1, maxIter: 500 });
      await m.fit(X);
      expect(m.converged).toBe(true);
      expect(m.effectiveComponents()).toBe(3);
      expect(m.effectiveComponents(0)).toBe(10);
      const w = m.weights;
      expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      // The 3 kept components hold the 3 equal-sized clusters.
      for (const v of w.filter((x) => x > 0.01)) expect(Math.abs(v - 1 / 3)).toBeLessThan(0.01);
    });
  }

  it('the lower bound never decreases (history of a long run)', async () => {
    const { X } = blobs(3, 500, 3, 4, 3);
    for (const weightConcentrationPriorType of ['dirichlet_process', 'dirichlet_distribution'] as const) {
      const m = new BayesianGaussianMixture({ nComponents: 8, seed: 5, tol: 0, maxIter: 60, weightConcentrationPriorType });
      await m.fit(X);
      const h = m.history;
      expect(h.length).toBe(60);
      for (let s = 1; s < h.length; s++) expect(h[s] - h[s - 1], `step ${s}`).toBeGreaterThanOrEqual(-1e-9 * Math.abs(h[s]));
    }
  });
});

describe('shared options', () => {
  it('warmStart continues a fit: 3 + 3 updates equal 6 (scikit-learn trajectory)', async () => {
    const m = new BayesianGaussianMixture({ ...base, maxIter: 3, tol: 0, warmStart: true });
    await m.fit(iris.X);
    await m.fit(iris.X);
    expect(m.nIter).toBe(3);
    expectRel(m.means, iris.trajectory[5].means, 1e-8, 'means');
    expect(relScalar(m.lowerBound, iris.trajectory[5].lowerBound)).toBeLessThanOrEqual(1e-8);
  });

  it('integer sampleWeight fits like repeated rows (priors included)', async () => {
    const X = iris.X.slice(0, 120);
    const w = X.map((_, i) => 1 + (i % 3));
    const repeated: number[][] = [];
    X.forEach((row, i) => { for (let r = 0; r < w[i]; r++) repeated.push(row); });
    const labels = Array.from({ length: X.length }, (_, i) => i % 4);
    const rep = labels.flatMap((l, i) => Array(w[i]).fill(l) as number[]);
    const weighted = new BayesianGaussianMixture({ nComponents: 4, init: { labels }, backend: 'js', maxIter: 20, tol: 0 });
    await weighted.fit(X, { sampleWeight: w });
    const plain = new BayesianGaussianMixture({ nComponents: 4, init: { labels: rep }, backend: 'js', maxIter: 20, tol: 0 });
    await plain.fit(repeated);
    expectRel(weighted.resolvedPriors.covariancePrior, plain.resolvedPriors.covariancePrior, 1e-12, 'covariancePrior');
    expectRel(weighted.means, plain.means, 1e-9, 'means');
    expectRel(weighted.weightConcentration, plain.weightConcentration, 1e-9, 'weightConcentration');
    expect(relScalar(weighted.lowerBound, plain.lowerBound)).toBeLessThanOrEqual(1e-9);
  });

  it('onIteration reports the lower bound and its change, and returning false stops', async () => {
    const seen: { iter: number; lowerBound?: number; change: number; weights?: number[] }[] = [];
    const m = new BayesianGaussianMixture({ ...base, tol: 0, maxIter: 50, onIteration: (i) => { seen.push(i); return i.iter < 4; } });
    await m.fit(iris.X);
    expect(seen.map((i) => i.iter)).toEqual([1, 2, 3, 4]);
    expect(m.nIter).toBe(4);
    for (let t = 0; t < 4; t++) expect(relScalar(seen[t].lowerBound!, iris.trajectory[t].lowerBound)).toBeLessThanOrEqual(1e-8);
    expect(seen[0].change).toBe(Infinity);
    expect(seen[1].change).toBeCloseTo(seen[1].lowerBound! - seen[0].lowerBound!, 9);
    // The weights after each update (the fixture's trajectory[t]: after t + 1 updates); the last equal the model's.
    for (let t = 0; t < 4; t++) expect(relErr(seen[t].weights!, iris.trajectory[t].weights)).toBeLessThanOrEqual(1e-8);
    expect(seen[3].weights).toEqual(m.weights);
  });

  it('an aborted signal rejects with its reason', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop here'));
    const m = new BayesianGaussianMixture({ ...base, signal: controller.signal });
    await expect(m.fit(iris.X)).rejects.toThrow('stop here');
  });

  it('nInit keeps the run with the highest lower bound', async () => {
    const { X } = blobs(11, 300, 2, 4, 4);
    const runs: number[] = [];
    const m = new BayesianGaussianMixture({ nComponents: 6, init: 'random', nInit: 3, seed: 9, onIteration: (i) => { runs[i.init] = i.lowerBound!; } });
    await m.fit(X);
    expect(runs.length).toBe(3);
    expect(m.lowerBound).toBe(Math.max(...runs));
  });
});

describe('model', () => {
  it('JSON round trip: the restored model predicts and scores exactly as the original', async () => {
    for (const covarianceType of ['full', 'tied', 'diag', 'spherical'] as const) {
      for (const weightConcentrationPriorType of ['dirichlet_process', 'dirichlet_distribution'] as const) {
        const m = new BayesianGaussianMixture({ ...base, covarianceType, weightConcentrationPriorType, maxIter: 5 });
        await m.fit(iris.X);
        const r = BayesianGaussianMixture.fromJSON(JSON.stringify(m));
        expect(Array.from(r.scoreSamples(iris.X))).toEqual(Array.from(m.scoreSamples(iris.X)));
        expect(Array.from(r.predictProba(iris.X).data)).toEqual(Array.from(m.predictProba(iris.X).data));
        expect(r.weightConcentration).toEqual(m.weightConcentration);
        expect(r.degreesOfFreedom).toEqual(m.degreesOfFreedom);
        expect(r.meanPrecision).toEqual(m.meanPrecision);
        expect(r.history).toEqual(m.history);
        expect(r.resolvedPriors).toEqual(m.resolvedPriors);
        expect(r.options.weightConcentrationPriorType).toBe(weightConcentrationPriorType);
      }
    }
  });

  it('sample draws from the expected weights, means and covariances', async () => {
    const m = new BayesianGaussianMixture({ ...base, maxIter: 100 });
    await m.fit(iris.X);
    const n = 20000;
    const { X, labels } = m.sample(n, 4);
    expect(X.rows).toBe(n);
    expect(X.cols).toBe(4);
    const counts = new Array(iris.nComponents).fill(0);
    for (const l of labels) counts[l]++;
    // Binomial standard error sqrt(w (1 - w) / n) <= 0.0036: 5 of them.
    m.weights.forEach((w, c) => expect(Math.abs(counts[c] / n - w)).toBeLessThan(0.018));
    const big = m.weights.findIndex((w) => w > 0.3);
    const mean = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) if (labels[i] === big) for (let a = 0; a < 4; a++) mean[a] += X.data[i * 4 + a] / counts[big];
    expectRel(mean, m.means[big], 0.02, 'sample mean of the largest component');
  });

  it('before fit: NOT_FITTED', () => {
    const m = new BayesianGaussianMixture();
    for (const f of [() => m.weights, () => m.weightConcentration, () => m.predict([[1]]), () => m.toJSON(), () => m.resolvedPriors]) {
      expect(f).toThrow(GaussianMixtureError);
    }
  });
});

describe('bad options and priors', () => {
  const X = iris.X;
  const fitWith = (o: object) => new BayesianGaussianMixture({ ...base, ...o }).fit(X);
  it('rejects bad options at construction, naming them', () => {
    const cases: [object, RegExp][] = [
      [{ weightConcentrationPrior: -1 }, /weightConcentrationPrior must be a finite number > 0, got -1/],
      [{ weightConcentrationPrior: 0 }, /weightConcentrationPrior must be a finite number > 0, got 0/],
      [{ meanPrecisionPrior: Number.NaN }, /meanPrecisionPrior must be a finite number > 0, got NaN/],
      [{ meanPrecisionPrior: '1' }, /meanPrecisionPrior must be a finite number > 0, got "1"/],
      [{ degreesOfFreedomPrior: Infinity }, /degreesOfFreedomPrior must be a finite number/],
      [{ weightConcentrationPriorType: 'dirichlet' }, /weightConcentrationPriorType must be "dirichlet_process" or "dirichlet_distribution", got "dirichlet"/],
      [{ covarianceType: 'VVV' }, /covarianceType must be one of "full", "tied", "diag", "spherical" for BayesianGaussianMixture, got "VVV"/],
      [{ init: 'auto' }, /init must be "kmeans", .* got "auto"/],
      [{ init: { means: [[0]] } }, /init must be/],
      [{ tol: -1 }, /tol must be a finite number >= 0, got -1/],
      [{ prior: 1 }, /Unknown option "prior"/],
      [{ learningDecay: 0.7 }, /Unknown option "learningDecay": it sets partialFit's step sizes/],
    ];
    for (const [o, message] of cases) expect(() => new BayesianGaussianMixture(o as never), JSON.stringify(o)).toThrow(message);
  });

  it('rejects priors that do not fit the data, naming them, and leaves X untouched', async () => {
    const copy = JSON.parse(JSON.stringify(X));
    await expect(fitWith({ degreesOfFreedomPrior: 3 })).rejects.toThrow(/degreesOfFreedomPrior must be greater than nFeatures - 1 = 3, got 3/);
    await expect(fitWith({ meanPrior: [0, 0] })).rejects.toThrow(/meanPrior must be 4 finite numbers/);
    await expect(fitWith({ covariancePrior: [[1, 0], [0, 1]] })).rejects.toThrow(/covariancePrior must be a 4 x 4 matrix/);
    const notSpd = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, -1]];
    await expect(fitWith({ covariancePrior: notSpd })).rejects.toThrow(/covariancePrior must be positive definite/);
    const asym = [[1, 0.5, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
    await expect(fitWith({ covariancePrior: asym })).rejects.toThrow(/covariancePrior must be symmetric, but entry \[0\]\[1\] = 0.5/);
    await expect(fitWith({ covarianceType: 'diag', covariancePrior: [1, 1, 0, 1] })).rejects.toThrow(/covariancePrior must be positive for covarianceType 'diag', but entry 2 is 0/);
    await expect(fitWith({ covarianceType: 'spherical', covariancePrior: -2 })).rejects.toThrow(/covariancePrior must be a finite number > 0 for covarianceType 'spherical', got -2/);
    await expect(fitWith({ covarianceType: 'spherical', covariancePrior: [1] })).rejects.toThrow(TypeError);
    expect(X).toEqual(copy);
  });

  it('given priors are used as given (closed form of the first update of meanPrecision and dof)', async () => {
    const m = new BayesianGaussianMixture({ ...base, maxIter: 0, meanPrecisionPrior: 2.5, degreesOfFreedomPrior: 7 });
    await m.fit(X);
    // _initialize from the one-hot labels: meanPrecision = beta_0 + N_k, dof = nu_0 + N_k (+ 10 eps).
    const N = new Array(iris.nComponents).fill(0);
    for (const l of iris.initLabels) N[l]++;
    expectRel(m.meanPrecision, N.map((n) => 2.5 + n), 1e-15, 'meanPrecision');
    expectRel(m.degreesOfFreedom, N.map((n) => 7 + n), 1e-15, 'degreesOfFreedom');
    expect(m.resolvedPriors.degreesOfFreedomPrior).toBe(7);
  });
});

describe('workers (built package: the worker script is dist/worker.js)', () => {
  it('workers: 2 equals workers: 1 to the order of floating-point sums', async () => {
    // @ts-ignore -- the built package (npm run build); typed through the source it was built from.
    const built = (await import('../dist/index.js')) as typeof import('../src/index.js');
    const { X } = blobs(21, 3000, 3, 3, 6);
    for (const covarianceType of ['full', 'diag'] as const) {
      const fit = async (workers: number) => {
        const m = new built.BayesianGaussianMixture({ nComponents: 6, covarianceType, seed: 2, workers, tol: 0, maxIter: 15 });
        await m.fit(X);
        return m;
      };
      const one = await fit(1);
      const two = await fit(2);
      expect(two.fitWorkers).toBe(2);
      expect(one.fitWorkers).toBe(1);
      expectRel(two.means, one.means, 1e-10, 'means');
      expectRel(two.weightConcentration, one.weightConcentration, 1e-10, 'weightConcentration');
      expect(relScalar(two.lowerBound, one.lowerBound)).toBeLessThanOrEqual(1e-10);
      one.dispose();
      two.dispose();
    }
  });
});

describe('chunk sources', () => {
  it('a source of at most 100 000 rows fits as the same rows in memory (scikit-learn trajectory)', async () => {
    const source = {
      cols: 4,
      chunks: function* () {
        for (let i = 0; i < iris.X.length; i += 7) yield iris.X.slice(i, i + 7);
      },
    };
    const m = new BayesianGaussianMixture({ ...base, maxIter: 6, tol: 0 });
    await m.fit(source);
    expectRel(m.means, iris.trajectory[5].means, 1e-8, 'means');
    expectRel(m.weightConcentration, iris.trajectory[5].weightConcentration, 1e-8, 'weightConcentration');
    expect(relScalar(m.lowerBound, iris.trajectory[5].lowerBound)).toBeLessThanOrEqual(1e-8);
  });
});
