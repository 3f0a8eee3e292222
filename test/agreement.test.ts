/**
 * The WASM backends (SIMD and scalar) agree with the pure-TypeScript baseline to 1e-10 relative on
 * random problems of every covariance type and d from 1 to 40, through the public API. The reference
 * values are the JS backend's results.
 */
import { describe, expect, it } from 'vitest';
import { GaussianMixture } from '../src/index.js';
import type { CovarianceType } from '../src/types.js';
import { TYPES, blobs, expectRel, relErr } from './helpers.js';

const DIMS = [1, 2, 3, 7, 16, 40];
const K = 3;

async function fitWith(backend: 'js' | 'wasm' | 'wasm-scalar', X: number[][], type: CovarianceType, seed: number, extra = {}) {
  const gmm = new GaussianMixture({ nComponents: K, covarianceType: type, seed, backend, ...extra });
  await gmm.fit(X);
  expect(gmm.backendName).toBe(backend);
  return gmm;
}

for (const type of TYPES) {
  describe(`${type}`, () => {
    for (const d of DIMS) {
      it(`d = ${d}: wasm and wasm-scalar match js (1e-10)`, async () => {
        const n = d >= 16 ? 360 : 150;
        // Overlapping blobs (sep 1.5) so responsibilities are genuinely soft.
        const { X } = blobs(1000 + d, n, d, K, 1.5);
        const Xtest = blobs(2000 + d, 30, d, K, 1.5).X;
        const options = { tol: 0, maxIter: 15, init: 'kmeans' as const };
        const ref = await fitWith('js', X, type, 7, options); // reference: JS backend
        for (const backend of ['wasm', 'wasm-scalar'] as const) {
          const gmm = await fitWith(backend, X, type, 7, options);
          expect(gmm.nIter).toBe(ref.nIter);
          expectRel(gmm.weights, ref.weights, 1e-10, `${backend} weights`);
          expectRel(gmm.means, ref.means, 1e-10, `${backend} means`);
          expectRel(gmm.covariances, ref.covariances, 1e-10, `${backend} covariances`);
          expectRel(gmm.precisionsCholesky, ref.precisionsCholesky, 1e-10, `${backend} precisionsCholesky`);
          expectRel(gmm.history, ref.history, 1e-10, `${backend} history`);
          expect(Math.abs(gmm.lowerBound - ref.lowerBound) / Math.abs(ref.lowerBound)).toBeLessThanOrEqual(1e-10);
          expectRel(gmm.predictProba(X).data, ref.predictProba(X).data, 1e-10, `${backend} predictProba(X)`);
          expectRel(gmm.predictProba(Xtest).data, ref.predictProba(Xtest).data, 1e-10, `${backend} predictProba(Xtest)`);
          expectRel(gmm.scoreSamples(Xtest), ref.scoreSamples(Xtest), 1e-10, `${backend} scoreSamples`);
          expect(Array.from(gmm.predict(X))).toEqual(Array.from(ref.predict(X)));
          gmm.dispose();
        }
      });
    }

    it('default tol, sample weights, nInit 2: same nIter, converged and parameters', async () => {
      const d = 5;
      const { X } = blobs(77, 200, d, K, 2);
      const sampleWeight = X.map((_, i) => 0.5 + (i % 7) / 3);
      const results = [];
      for (const backend of ['js', 'wasm', 'wasm-scalar'] as const) {
        const gmm = new GaussianMixture({ nComponents: K, covarianceType: type, seed: 3, nInit: 2, backend });
        await gmm.fit(X, { sampleWeight });
        results.push(gmm);
      }
      const [ref, ...others] = results; // reference: JS backend
      for (const gmm of others) {
        expect(gmm.nIter).toBe(ref.nIter);
        expect(gmm.converged).toBe(ref.converged);
        expectRel(gmm.weights, ref.weights, 1e-10, 'weights');
        expectRel(gmm.means, ref.means, 1e-10, 'means');
        expectRel(gmm.covariances, ref.covariances, 1e-10, 'covariances');
        expectRel(gmm.history, ref.history, 1e-10, 'history');
        expect(relErr(gmm.bic(X), ref.bic(X))).toBeLessThanOrEqual(1e-10);
      }
    });
  });
}
