/** The comparison helpers the other tests rely on must be able to report a difference. */
import { describe, expect, it } from 'vitest';
import { GaussianMixture } from '../src/index.js';
import { absErr, blobs, covarianceBlocks, relErr, referenceScores } from './helpers.js';

describe('relErr / absErr', () => {
  it('a pair of equal non-finite values does not hide later differences', () => {
    expect(relErr([-Infinity, 1], [-Infinity, 2])).toBe(0.5);
    expect(relErr([Infinity, 1, 5], [Infinity, 1, 5])).toBe(0);
    expect(relErr([NaN, 1], [NaN, 1])).toBe(Infinity);
    expect(relErr([Infinity, 1], [-Infinity, 1])).toBe(Infinity);
    expect(relErr([1, 2], [1, 2, 3])).toBe(Infinity);
    expect(absErr([NaN, 1], [1, 1])).toBe(Infinity);
  });
});

describe('referenceScores', () => {
  it('matches a closed form: one standard normal in 1-D, and the package on a fitted model', async () => {
    // log N(x | 0, 1) = -0.5 ln 2pi - x^2 / 2.
    const { logProb } = referenceScores([[0], [2]], [1], [[0]], [[[1]]]);
    expect(logProb[0]).toBeCloseTo(-0.5 * Math.log(2 * Math.PI), 14);
    expect(logProb[1]).toBeCloseTo(-0.5 * Math.log(2 * Math.PI) - 2, 14);
    const { X } = blobs(3, 100, 3, 2);
    const gmm = await new GaussianMixture({ nComponents: 2, seed: 1 }).fit(X);
    const ref = referenceScores(X, gmm.weights, gmm.means, covarianceBlocks(gmm.covariances, 'full', 2, 3)).logProb;
    expect(relErr(gmm.scoreSamples(X), ref)).toBeLessThan(1e-12);
  });
});
