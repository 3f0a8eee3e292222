/**
 * Reliability faults of issue 11 that are not about bad input: predictions during a refit, far
 * points, scaled sample weights, the workers cap, warnings. Each test failed before its fix.
 */
import { describe, expect, it } from 'vitest';
import { BayesianGaussianMixture, GaussianMixture } from '../src/index.js';
import type { GaussianMixtureOptions } from '../src/index.js';
import { blobs } from './helpers.js';

const backends = ['wasm', 'js'] as const;

describe('predict / scoreSamples during a refit leave the refit bit-identical (fault 2)', () => {
  const { X } = blobs(21, 6000, 3, 3);
  const X2 = X.map((r) => r.map((v) => v * 1.5 + 1));
  // Far from every component: a prediction that leaked into the fit's data would move a mean there.
  const probe = [[40, -40, 40], [-40, 40, -40]];
  const options = (backend: (typeof backends)[number]): GaussianMixtureOptions => ({ nComponents: 3, seed: 4, backend, init: 'kmeans', tol: 0, maxIter: 200 });
  const params = (gmm: GaussianMixture): string => JSON.stringify({ w: gmm.weights, m: gmm.means, c: gmm.covariances, h: gmm.history });

  /** Fits X, then refits X2 (a fitted model predicting while its refit runs); the refit's parameters. */
  async function refit(gmm: GaussianMixture, during?: () => void): Promise<string> {
    await gmm.fit(X);
    const timer = during ? setInterval(during, 0) : null;
    try {
      await gmm.fit(X2);
    } finally {
      if (timer) clearInterval(timer);
    }
    return params(gmm);
  }

  it.each(backends)('%s: from onIteration', async (backend) => {
    // Reference: the same two fits, undisturbed.
    const reference = await refit(new GaussianMixture(options(backend)));
    let calls = 0;
    const gmm: GaussianMixture = new GaussianMixture({
      ...options(backend),
      onIteration: () => {
        if (calls++ < 200) return; // the first fit's iterations; from here on the model is fitted
        gmm.predict(probe);
        gmm.scoreSamples(probe);
        gmm.predictProba(probe);
      },
    });
    expect(await refit(gmm)).toBe(reference);
    expect(calls).toBe(400);
  });

  it.each(backends)('%s: from a timer while the fit yields (signal given)', async (backend) => {
    const signal = new AbortController().signal;
    const reference = await refit(new GaussianMixture({ ...options(backend), signal }));
    const gmm = new GaussianMixture({ ...options(backend), signal });
    let calls = 0;
    const disturbed = await refit(gmm, () => {
      calls++;
      gmm.predict(probe);
      gmm.scoreSamples(probe);
    });
    expect(disturbed).toBe(reference);
    // The timer must have fired while the refit was running, or the test proves nothing.
    expect(calls).toBeGreaterThan(0);
  });
});

describe('a finite point far away (fault 4)', () => {
  const { X } = blobs(5, 300, 2, 2);
  const far = [[1e155, 1e155], [-1e155, 3e154], [1.7e308, -1.7e308], [1e200, 0]];
  const types = ['full', 'tied', 'diag', 'spherical', 'VEV', 'EEI'] as const;

  it.each(types)('%s: finite probabilities summing to 1, a label, scoreSamples -Infinity on every backend', async (covarianceType) => {
    const fitted = new GaussianMixture({ nComponents: 2, covarianceType, seed: 2, backend: 'js' });
    await fitted.fit(X);
    const text = JSON.stringify(fitted);
    const results = (['js', 'wasm', 'wasm-scalar'] as const).map((backend) => {
      const gmm = GaussianMixture.fromJSON(text.replace('"backend":"js"', `"backend":"${backend}"`));
      expect(gmm.options.backend).toBe(backend);
      const proba = gmm.predictProba([...far, ...X.slice(0, 3)]);
      for (let i = 0; i < proba.rows; i++) {
        const row = Array.from(proba.data.subarray(i * 2, i * 2 + 2));
        expect(row.every(Number.isFinite), `row ${i}: ${row}`).toBe(true);
        expect(Math.abs(row[0] + row[1] - 1)).toBeLessThanOrEqual(1e-15);
      }
      const scores = gmm.scoreSamples(far);
      // log p(x) = -q/2 + O(1) with q > 1e308: below -Number.MAX_VALUE, so -Infinity is its float64 value.
      expect(Array.from(scores)).toEqual(far.map(() => -Infinity));
      return { labels: Array.from(gmm.predict(far)), proba: Array.from(gmm.predictProba(far).data), near: Array.from(gmm.scoreSamples(X.slice(0, 3))) };
    });
    // The same answer on every backend: far rows exactly (one-hot), near rows to rounding.
    expect(results[1].labels).toEqual(results[0].labels);
    expect(results[2].labels).toEqual(results[0].labels);
    expect(results[1].proba).toEqual(results[0].proba);
    expect(results[2].proba).toEqual(results[0].proba);
    for (const r of results) for (let i = 0; i < 3; i++) expect(Math.abs(r.near[i] - results[0].near[i])).toBeLessThan(1e-12 * Math.abs(results[0].near[i]));
  });

  it('the far row goes to the component with the smallest Mahalanobis distance (closed form)', () => {
    // Spherical variances 1 and 4 (means 0 and (10, 10)): at x = (1e155, 1e155), q_0 = 2e310 and
    // q_1 = 2 (1e155 - 10)^2 / 4 = q_0 / 4, so component 1 wins; along -x too. A weightless broad
    // component (variance 100, weight 0) must not win.
    const model = (backend: string): GaussianMixture =>
      GaussianMixture.fromJSON({
        format: 'gmm-wasm/model', version: 1,
        options: { nComponents: 3, covarianceType: 'spherical', tol: 1e-3, relTol: 0, maxIter: 100, regCovar: 1e-6, nInit: 1, warmStart: false, backend, workers: 1 },
        nFeatures: 2, weights: [0.5, 0.5, 0], means: [[0, 0], [10, 10], [0, 0]], covariances: [1, 4, 100], precisionsCholesky: [1, 0.5, 0.1],
        converged: true, nIter: 1, lowerBound: -1, history: [-1],
      } as never);
    for (const backend of ['js', 'wasm', 'wasm-scalar']) {
      const gmm = model(backend);
      expect(Array.from(gmm.predict([[1e155, 1e155], [-1e155, -1e155], [1e300, 1e300]]))).toEqual([1, 1, 1]);
      expect(Array.from(gmm.predictProba([[1e155, 1e155]]).data)).toEqual([0, 1, 0]);
      // A point that does not overflow is scored normally (finite, the ordinary formula).
      expect(Number.isFinite(gmm.scoreSamples([[1e150, 1e150]])[0])).toBe(true);
    }
  });
});

describe('sample weights are normalised internally (fault 5)', () => {
  const { X } = blobs(31, 400, 2, 3, 5);
  const base = X.map((_, i) => 0.5 + ((i * 7) % 11) / 10);
  const fitted = async (factor: number, options: GaussianMixtureOptions): Promise<GaussianMixture> => {
    const gmm = new GaussianMixture({ nComponents: 3, seed: 9, ...options });
    return gmm.fit(X, { sampleWeight: base.map((w) => w * factor) });
  };
  const close = (a: unknown, b: unknown, label: string): void => {
    const x = JSON.stringify(a, null, 0).match(/-?[\d.e+-]+/g)!.map(Number);
    const y = JSON.stringify(b, null, 0).match(/-?[\d.e+-]+/g)!.map(Number);
    expect(x.length, label).toBe(y.length);
    for (let i = 0; i < x.length; i++) expect(Math.abs(x[i] - y[i]), `${label}[${i}]: ${x[i]} vs ${y[i]}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(y[i])));
  };

  for (const backend of backends) {
    for (const init of ['kmeans', 'auto'] as const) {
      it(`${backend}, init ${init}: weights times 1e-20, 1e-300, 3.7, 1e308 give the fit of the weights themselves (within 1e-12)`, async () => {
        const options: GaussianMixtureOptions = { backend, init, tol: 1e-10, maxIter: 200 };
        const reference = await fitted(1, options);
        expect(reference.converged).toBe(true);
        for (const factor of [1e-20, 1e-300, 3.7, 1e308]) {
          const g = await fitted(factor, options);
          expect(g.converged, `factor ${factor}`).toBe(true);
          expect(g.nIter, `factor ${factor}`).toBe(reference.nIter);
          close(g.weights, reference.weights, `weights x${factor}`);
          close(g.means, reference.means, `means x${factor}`);
          close(g.covariances, reference.covariances, `covariances x${factor}`);
          close(g.history, reference.history, `history x${factor}`);
        }
      });
    }
  }

  it('the caller\'s weights are not modified', async () => {
    const w = base.map((v) => v * 1e-20);
    const before = [...w];
    await new GaussianMixture({ nComponents: 3, seed: 9, backend: 'js', init: 'kmeans' }).fit(X, { sampleWeight: w });
    expect(w).toEqual(before);
  });
});

describe('a collapsed component is reported in fitWarnings', () => {
  // Two 100-row blobs and one far row. A component given that row alone stays on it: its M-step
  // covariance is regCovar x I exactly (one point, zero scatter), the floor the warning looks for.
  const { X: blob } = blobs(43, 200, 2, 2, 4);
  const X = [...blob, [60, -60]];
  const alone = Int32Array.from(X, (_, i) => (i === X.length - 1 ? 2 : i % 2));

  it.each(backends)('%s: a one-row component gives one warning naming it and regCovar; two blobs at K = 2 give none', async (backend) => {
    const spike = await new GaussianMixture({ nComponents: 3, covarianceType: 'spherical', backend, init: { labels: alone } }).fit(X);
    const c = spike.predict([[60, -60]])[0];
    expect(spike.covariances[c]).toBeCloseTo(1e-6, 12);
    expect(spike.fitWarnings).toHaveLength(1);
    expect(spike.fitWarnings[0]).toMatch(new RegExp(`^component ${c} collapsed: a covariance eigenvalue is below 10 x regCovar \\(0\\.000001\\)`));
    expect(spike.fitWarnings[0]).toMatch(/try fewer components, selectModel/);
    const clean = await new GaussianMixture({ nComponents: 2, backend, seed: 1 }).fit(blob);
    expect(clean.fitWarnings).toEqual([]);
  });
});

describe('non-convergence is reported in fitWarnings (scope 7)', () => {
  const { X } = blobs(41, 500, 2, 3, 3);

  it.each(backends)('%s: converged false adds one warning naming maxIter and tol; a converged fit has none', async (backend) => {
    const short = await new GaussianMixture({ nComponents: 3, seed: 1, backend, maxIter: 2, tol: 1e-12, init: 'kmeans' }).fit(X);
    expect(short.converged).toBe(false);
    expect(short.fitWarnings).toHaveLength(1);
    expect(short.fitWarnings[0]).toMatch(/did not converge: after 2 iterations \(maxIter = 2\)/);
    expect(short.fitWarnings[0]).toMatch(/tol = 1e-12/);
    expect(short.fitWarnings[0]).toMatch(/Increase maxIter/);
    const done = await new GaussianMixture({ nComponents: 3, seed: 1, backend, init: 'kmeans' }).fit(X);
    expect(done.converged).toBe(true);
    expect(done.fitWarnings).toEqual([]);
    // maxIter 0 asks for initialisation only: nothing to warn about.
    expect((await new GaussianMixture({ nComponents: 3, seed: 1, backend, maxIter: 0 }).fit(X)).fitWarnings).toEqual([]);
  });
});

describe('dispose() empties the allocateData view (fault 7)', () => {
  it('wasm: the view becomes empty, the model still predicts', async () => {
    const gmm = new GaussianMixture({ nComponents: 2, seed: 1, backend: 'wasm' });
    const view = await gmm.allocateData(100, 2);
    const { X } = blobs(6, 100, 2, 2);
    X.forEach((row, i) => view.data.set(row, i * 2));
    await gmm.fit(view);
    expect(view.data.length).toBe(200);
    const labels = gmm.predict(X);
    gmm.dispose();
    // The README's promise: after dispose() the view is empty (its buffer detached), not a window on freed memory.
    expect(view.data.length).toBe(0);
    expect(view.data.buffer.byteLength).toBe(0);
    expect(gmm.predict(X)).toEqual(labels);
  });
});

describe("onDegenerate: 'reseed' recovers collapsed and emptied components (scope 6)", () => {
  // 30 spread rows and 8 duplicates; component 1 starts on the duplicates with a tiny variance, so
  // after one E-step it owns exactly them and, with regCovar 0, its covariance is exactly 0.
  const collapse = {
    X: [...blobs(5, 30, 2, 1, 0).X, ...Array.from({ length: 8 }, () => [3, -2])],
    options: { nComponents: 2, regCovar: 0, init: { weights: [0.8, 0.2], means: [[0, 0], [3, -2]], covariances: [[[4, 0], [0, 4]], [[1e-4, 0], [0, 1e-4]]] } },
    what: /Component 1 collapsed .* in the M-step of iteration 1; onDegenerate 'reseed' moved it to row \d+/,
  };
  // Component 2 starts 1000 away from every row: its responsibilities underflow to 0 (an empty component).
  const empty = {
    X: blobs(7, 300, 2, 3, 6).X,
    options: { nComponents: 3, init: { weights: [0.4, 0.4, 0.2], means: [[0, 0], [5, 5], [1e3, 1e3]], covariances: [[[4, 0], [0, 4]], [[4, 0], [0, 4]], [[1, 0], [0, 1]]] } },
    what: /Component 2 emptied \(its weight fell to 0\) in the M-step of iteration 1; onDegenerate 'reseed' moved it to row \d+/,
  };

  for (const backend of backends) {
    for (const [name, c] of [['collapsed', collapse], ['emptied', empty]] as const) {
      it(`${backend}, ${name}: re-seeded, reported, finite, history monotone after the re-seed`, async () => {
        const gmm = await new GaussianMixture({ ...c.options, backend, onDegenerate: 'reseed' } as GaussianMixtureOptions).fit(c.X);
        expect(gmm.fitWarnings).toHaveLength(1);
        expect(gmm.fitWarnings[0]).toMatch(c.what);
        // The row named is the one the initial mixture scores lowest (an independent score of it).
        const row = Number(/moved it to row (\d+)/.exec(gmm.fitWarnings[0])![1]);
        const start = new GaussianMixture({ ...c.options, backend, maxIter: 0 } as GaussianMixtureOptions);
        await start.fit(c.X);
        const scores = start.scoreSamples(c.X);
        expect(scores[row]).toBe(Math.min(...scores));
        expect(gmm.converged).toBe(true);
        const w = gmm.weights;
        expect(Math.abs(w.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
        for (const v of [...w, ...gmm.means.flat(), ...(gmm.covariances as number[][][]).flat(2)]) expect(Number.isFinite(v)).toBe(true);
        for (const p of gmm.predictProba(c.X).data) expect(Number.isFinite(p)).toBe(true);
        // Segment 1 = history[0] (the start); segment 2 from the re-seeded parameters on.
        const h = gmm.history;
        for (let i = 2; i < h.length; i++) expect(h[i], `history[${i}]`).toBeGreaterThanOrEqual(h[i - 1] - 1e-12 * Math.abs(h[i - 1]));
      });
    }

    it(`${backend}: the default, onDegenerate 'error', throws ILL_DEFINED_COVARIANCE naming the component and suggesting 'reseed'`, async () => {
      const gmm = new GaussianMixture({ ...collapse.options, backend } as GaussianMixtureOptions);
      expect(gmm.options.onDegenerate).toBe('error');
      await expect(gmm.fit(collapse.X)).rejects.toMatchObject({ code: 'ILL_DEFINED_COVARIANCE', component: 1, message: expect.stringMatching(/onDegenerate: 'reseed'/) });
    });
  }

  it('onDegenerate is validated and saved with the model', async () => {
    expect(() => new GaussianMixture({ onDegenerate: 'retry' as never })).toThrow(/onDegenerate must be one of "error", "reseed", got "retry"/);
    // Not silently ignored where it does nothing.
    expect(() => new BayesianGaussianMixture({ onDegenerate: 'reseed' } as never)).toThrow(/onDegenerate "reseed" is not for BayesianGaussianMixture/);
    const gmm = await new GaussianMixture({ ...empty.options, backend: 'js', onDegenerate: 'reseed' } as GaussianMixtureOptions).fit(empty.X);
    expect(GaussianMixture.fromJSON(JSON.stringify(gmm)).options.onDegenerate).toBe('reseed');
  });
});

describe("init 'kmeans' on more than KMEANS_SUBSAMPLE rows respects sample weights", () => {
  it('6 weighted rows in 3 clusters among 600 000 rows of weight 0: the means are the clusters', async () => {
    const n = 600_000;
    const data = new Float64Array(n * 2);
    const sampleWeight = new Float64Array(n);
    const centres = [[0, 0], [10, 0], [0, 10]];
    const rand = ((s: number) => () => ((s = (s * 16807) % 2147483647) / 2147483647))(3);
    for (let i = 0; i < n; i++) {
      data[i * 2] = 100 + 50 * rand();
      data[i * 2 + 1] = 100 + 50 * rand();
    }
    // Spread through the rows, so a uniform subsample of 100 000 keeps only ~1 of them.
    for (let j = 0; j < 6; j++) {
      const i = j * 100_000 + 7;
      const c = centres[j % 3];
      data[i * 2] = c[0] + 0.1 * (rand() - 0.5);
      data[i * 2 + 1] = c[1] + 0.1 * (rand() - 0.5);
      sampleWeight[i] = 1;
    }
    const gmm = new GaussianMixture({ nComponents: 3, init: 'kmeans', maxIter: 0, seed: 1, backend: 'wasm' });
    await gmm.fit({ data, rows: n, cols: 2 }, { sampleWeight });
    const means = [...gmm.means].sort((a, b) => Math.round(a[0]) - Math.round(b[0]) || Math.round(a[1]) - Math.round(b[1]));
    const expected = [[0, 0], [0, 10], [10, 0]];
    for (let c = 0; c < 3; c++) for (let j = 0; j < 2; j++) expect(Math.abs(means[c][j] - expected[c][j]), JSON.stringify(means)).toBeLessThan(0.1);
  });
});
