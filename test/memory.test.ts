/**
 * WASM memory: fitting again (on a fresh model or the same one) never grows a backend's linear memory
 * beyond the first fit's high-water mark; nothing is allocated inside the EM loop or per call.
 * The size is read from the backend's `memoryBytes` through the model's private `backend` field.
 */
import { describe, expect, it } from 'vitest';
import { GaussianMixture } from '../src/index.js';
import type { CovarianceType } from '../src/types.js';
import { blobs, wasmMemoryBytes } from './helpers.js';

const CYCLES = 200;
const { X } = blobs(3, 400, 4, 3, 3);
const Xtest = blobs(4, 50, 4, 3, 3).X;

function options(type: CovarianceType, seed: number) {
  return { nComponents: 3, covarianceType: type, backend: 'wasm' as const, seed, maxIter: 15, nInit: 2 };
}

describe('WASM memory', () => {
  it('the accessor measures something: memory grows for a larger data set', async () => {
    const gmm = new GaussianMixture(options('full', 1));
    await gmm.fit(X);
    const first = wasmMemoryBytes(gmm);
    expect(first).toBeGreaterThan(0);
    await gmm.fit(blobs(5, 40000, 4, 3, 3).X); // 1.3 MB of X alone
    expect(wasmMemoryBytes(gmm)).toBeGreaterThan(first);
    gmm.dispose();
    expect(wasmMemoryBytes(gmm)).toBe(0);
  });

  for (const type of ['full', 'diag'] as const) {
    it(`${type}: ${CYCLES} cycles of new model -> fit -> predict -> dispose stay within the first high-water mark`, async () => {
      let highWater = -1;
      for (let c = 0; c < CYCLES; c++) {
        const gmm = new GaussianMixture(options(type, c));
        await gmm.fit(X);
        gmm.predictProba(Xtest);
        gmm.scoreSamples(X);
        const bytes = wasmMemoryBytes(gmm);
        expect(bytes).toBeGreaterThan(0);
        if (highWater < 0) highWater = bytes;
        expect(bytes, `cycle ${c}`).toBeLessThanOrEqual(highWater);
        gmm.dispose();
        expect(wasmMemoryBytes(gmm)).toBe(0);
      }
    });

    it(`${type}: one model fitted ${CYCLES} times (with predictions in between) stays within the first high-water mark`, async () => {
      const gmm = new GaussianMixture(options(type, 1));
      await gmm.fit(X);
      gmm.predict(X);
      const highWater = wasmMemoryBytes(gmm);
      expect(highWater).toBeGreaterThan(0);
      for (let c = 1; c < CYCLES; c++) {
        await gmm.fit(c % 2 ? X : X.slice(0, 300));
        gmm.predict(Xtest);
        gmm.score(X);
        expect(wasmMemoryBytes(gmm), `fit ${c}`).toBeLessThanOrEqual(highWater);
      }
      gmm.dispose();
    });
  }

  it('warmStart refits and sample weights do not grow memory either', async () => {
    const gmm = new GaussianMixture({ ...options('tied', 2), warmStart: true, nInit: 1 });
    const sampleWeight = X.map((_, i) => 1 + (i % 3));
    await gmm.fit(X, { sampleWeight });
    const highWater = wasmMemoryBytes(gmm);
    for (let c = 0; c < 50; c++) {
      await gmm.fit(X, { sampleWeight });
      expect(wasmMemoryBytes(gmm)).toBeLessThanOrEqual(highWater);
    }
    gmm.dispose();
  });
});
