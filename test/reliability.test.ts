/**
 * Reliability faults of issue 11 that are not about bad input: predictions during a refit, far
 * points, scaled sample weights, the workers cap, warnings. Each test failed before its fix.
 */
import { describe, expect, it } from 'vitest';
import { GaussianMixture } from '../src/index.js';
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
