/**
 * Conformance with scikit-learn 1.2.1: every fixture in test/fixtures (EM trajectories from explicit
 * initial parameters, see fixtures/README.md) reproduced by every backend. All reference values below
 * come from the fixture files.
 */
import { describe, expect, it } from 'vitest';
import { GaussianMixture } from '../src/index.js';
import { BACKENDS, expectAbs, expectRel, loadFixtures, precisionConsistency, relScalar } from './helpers.js';

const fixtures = loadFixtures();

describe('fixtures are present', () => {
  it('has all 12 dataset x covariance-type files', () => {
    // 3 data sets (iris, faithful, blobs3d) x 4 covariance types, copied from ../shared/conformance.
    expect(fixtures.length).toBe(12);
  });
});

for (const fx of fixtures) {
  const k = fx.nComponents;
  const d = fx.X[0].length;
  for (const backend of BACKENDS) {
    describe(`${fx.name} [${backend}]`, () => {
      for (const t of [1, 2, 10]) {
        it(`trajectory after ${t} update(s)`, async () => {
          const gmm = new GaussianMixture({
            nComponents: k,
            covarianceType: fx.covarianceType,
            init: fx.init,
            tol: 0,
            maxIter: t,
            regCovar: fx.regCovar,
            backend,
          });
          await gmm.fit(fx.X);
          expect(gmm.backendName).toBe(backend);
          const ref = fx.trajectory[t]; // scikit-learn GaussianMixture(tol=0, max_iter=t)
          expect(ref.iter).toBe(t);
          expect(gmm.nIter).toBe(t);
          expect(gmm.converged).toBe(false);
          expectRel(gmm.weights, ref.weights, 1e-8, 'weights');
          expectRel(gmm.means, ref.means, 1e-8, 'means');
          expectRel(gmm.covariances, ref.covariances, 1e-8, 'covariances');
          // precisionsCholesky: U U^T Sigma = I (the fixture has no factors; consistency with inv(cov)).
          const pcErr = precisionConsistency(gmm.covariances, gmm.precisionsCholesky, fx.covarianceType, k, d);
          expect(pcErr, 'U U^T Sigma - I').toBeLessThan(1e-8);
          // score(X) at the parameters after t updates = trajectory[t].meanLogLikelihood.
          expect(relScalar(gmm.score(fx.X), ref.meanLogLikelihood)).toBeLessThanOrEqual(1e-10);
          // lower_bound_ = mean log-likelihood before the t-th update.
          expect(relScalar(gmm.lowerBound, ref.lowerBound!)).toBeLessThanOrEqual(1e-10);
          // history[s] = mean log-likelihood after s updates = trajectory[s].meanLogLikelihood.
          const h = gmm.history;
          expect(h.length).toBe(t + 1);
          for (let s = 0; s <= t; s++) {
            expect(relScalar(h[s], fx.trajectory[s].meanLogLikelihood), `history[${s}]`).toBeLessThanOrEqual(1e-10);
          }
        });
      }

      it('fit to convergence (tol 1e-3, maxIter 100)', async () => {
        const ref = fx.fit; // scikit-learn GaussianMixture(tol=1e-3, max_iter=100) from fx.init
        const gmm = new GaussianMixture({
          nComponents: k,
          covarianceType: fx.covarianceType,
          init: fx.init,
          tol: ref.tol,
          maxIter: ref.maxIter,
          regCovar: fx.regCovar,
          backend,
        });
        await gmm.fit(fx.X);
        expect(gmm.nIter).toBe(ref.nIter);
        expect(gmm.converged).toBe(ref.converged);
        expect(relScalar(gmm.lowerBound, ref.lowerBound)).toBeLessThanOrEqual(1e-10);
        expectRel(gmm.weights, ref.weights, 1e-8, 'weights');
        expectRel(gmm.means, ref.means, 1e-8, 'means');
        expectRel(gmm.covariances, ref.covariances, 1e-8, 'covariances');
        expect(Array.from(gmm.predict(fx.X))).toEqual(ref.predict);
        const proba = gmm.predictProba(fx.X);
        expect(proba.rows).toBe(fx.X.length);
        expect(proba.cols).toBe(k);
        expectAbs(proba.data.subarray(0, 20 * k), ref.predictProba, 1e-6, 'predictProba');
        const ss = gmm.scoreSamples(fx.X);
        expect(ss.length).toBe(fx.X.length);
        for (let i = 0; i < 20; i++) {
          expect(relScalar(ss[i], ref.scoreSamples[i]), `scoreSamples[${i}]`).toBeLessThanOrEqual(1e-9);
        }
        expect(relScalar(gmm.score(fx.X), ref.score)).toBeLessThanOrEqual(1e-10);
        expect(relScalar(gmm.bic(fx.X), ref.bic)).toBeLessThanOrEqual(1e-10);
        expect(relScalar(gmm.aic(fx.X), ref.aic)).toBeLessThanOrEqual(1e-10);
        expect(gmm.nParameters()).toBe(ref.nParameters);
        // history: L after 0..nIter updates; its last entry is score(X) at the fitted parameters.
        const h = gmm.history;
        expect(h.length).toBe(ref.nIter + 1);
        for (let s = 0; s <= Math.min(10, ref.nIter); s++) {
          expect(relScalar(h[s], fx.trajectory[s].meanLogLikelihood), `history[${s}]`).toBeLessThanOrEqual(1e-10);
        }
        expect(relScalar(h[ref.nIter], ref.score)).toBeLessThanOrEqual(1e-10);
        expect(relScalar(h[ref.nIter - 1], ref.lowerBound)).toBeLessThanOrEqual(1e-10);
        gmm.dispose();
      });
    });
  }
}
