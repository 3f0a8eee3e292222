/**
 * Conformance with R mclust 6.0.0's fourteen models through the public API: every fixture in
 * test/fixtures/mclust (copied from ../shared/conformance/mclust; see its README) reproduced by every
 * backend. All reference values below come from those files: trajectory[t-1] holds mclust's
 * parameters and total log-likelihood after t M-steps from the one-hot responsibilities of
 * initLabels (gmm-wasm's `init: { labels }` is that first M-step, so maxIter = t - 1), and `fit` is
 * mclust::me to convergence.
 */
import { describe, expect, it } from 'vitest';
import { GaussianMixture } from '../src/index.js';
import { BACKENDS, expectRel, loadMclustFixtures, relScalar } from './helpers.js';

const fixtures = loadMclustFixtures();

/** Models whose M-step iterates (mclust ran them with an inner tolerance of 1e-13): 1e-6; the rest: 1e-8. */
const ITERATIVE = new Set(['VEI', 'VEE', 'EVE', 'VVE', 'VEV']);
/**
 * mclust 6.0.0's VVE M-step is not the maximiser of its objective (it runs EVE's orientation update and
 * then frees the volumes; see covariance-models.ts and its test, which reproduces mclust's VVE numbers
 * with that update): gmm-wasm's exact M-step gives other covariances and a higher likelihood. For VVE
 * the trajectory is compared where the two must agree (the first M-step's weights and means) and the
 * fit must end at least at mclust's log-likelihood.
 */
const INEXACT_IN_MCLUST = new Set(['VVE']);

it('has the 42 data set x model fixtures', () => {
  // iris, Old Faithful, blobs3d x the 14 models of ../shared/conformance/mclust.
  expect(fixtures.length).toBe(42);
});

for (const fx of fixtures) {
  const k = fx.nComponents;
  const n = fx.X.length;
  // EVE: the trajectory fixtures are independent (cold) mclust::mstep calls, whose MM stops about 1e-6
  // short of its limit; EM carries the inner state from one M-step to the next as mclust::me does (the
  // `fit` check below matches me), so its later steps differ from the cold ones by up to ~2.5e-6.
  const tol = fx.modelName === 'EVE' ? 5e-6 : ITERATIVE.has(fx.modelName) ? 1e-6 : 1e-8;
  const model = (backend: (typeof BACKENDS)[number], maxIter: number) =>
    new GaussianMixture({ nComponents: k, covarianceType: fx.modelName, init: { labels: fx.initLabels }, tol: 0, maxIter, regCovar: 0, backend });

  for (const backend of BACKENDS) {
    describe(`${fx.name} [${backend}]`, () => {
      if (INEXACT_IN_MCLUST.has(fx.modelName)) {
        it('the first M-step has mclust\'s weights and means; EM never decreases the log-likelihood', async () => {
          const gmm = await model(backend, 0).fit(fx.X);
          expectRel(gmm.weights, fx.trajectory[0].weights, 1e-12, 'weights');
          expectRel(gmm.means, fx.trajectory[0].means, 1e-12, 'means');
          const long = await model(backend, 200).fit(fx.X);
          const h = long.history;
          for (let t = 1; t < h.length; t++) expect(h[t], `history[${t}]`).toBeGreaterThanOrEqual(h[t - 1] - 1e-12 * Math.abs(h[t - 1]));
        });
      }
      for (const t of INEXACT_IN_MCLUST.has(fx.modelName) ? [] : [1, 2, fx.trajectory.length]) {
        it(`parameters and log-likelihood after ${t} M-step(s)`, async () => {
          const gmm = await model(backend, t - 1).fit(fx.X);
          const ref = fx.trajectory[t - 1];
          expectRel(gmm.weights, ref.weights, tol, 'weights');
          expectRel(gmm.means, ref.means, tol, 'means');
          expectRel(gmm.covariances, ref.covariances, tol, 'covariances (k x d x d)');
          expect(relScalar(gmm.score(fx.X) * n, ref.logLik), 'total log-likelihood').toBeLessThanOrEqual(tol);
        });
      }

      it.skipIf(INEXACT_IN_MCLUST.has(fx.modelName))(`after mclust's ${fx.fit.iterations} iterations: log-likelihood, nParameters, BIC, ICL, predictions`, async () => {
        const gmm = await model(backend, fx.fit.iterations - 1).fit(fx.X);
        expect(relScalar(gmm.score(fx.X) * n, fx.fit.logLik), 'logLik').toBeLessThanOrEqual(tol);
        expect(gmm.nParameters()).toBe(fx.fit.nParameters);
        // mclust's BIC and ICL are 2 logLik - p log n (+ 2 sum log max z): gmm-wasm's are their negatives.
        expect(relScalar(-gmm.bic(fx.X), fx.fit.bic), 'BIC').toBeLessThanOrEqual(tol);
        expect(relScalar(-gmm.icl(fx.X), fx.fit.icl), 'ICL').toBeLessThanOrEqual(tol);
        expect(Array.from(gmm.predict(fx.X))).toEqual(fx.fit.predict);
        const proba = gmm.predictProba(fx.X);
        expectRel(Array.from(proba.data.subarray(0, 20 * k)), fx.fit.predictProba, 1e-6, 'predictProba (first 20 rows)');
      });

      it('EM to a tight tolerance ends at least at mclust\'s log-likelihood', async () => {
        const gmm = new GaussianMixture({
          nComponents: k, covarianceType: fx.modelName, init: { labels: fx.initLabels }, tol: 1e-12, maxIter: 5000, regCovar: 0, backend,
        });
        await gmm.fit(fx.X);
        expect(gmm.score(fx.X) * n).toBeGreaterThanOrEqual(fx.fit.logLik - 1e-9 * Math.abs(fx.fit.logLik));
        expect(gmm.nParameters()).toBe(fx.fit.nParameters);
      });
    });
  }
}
