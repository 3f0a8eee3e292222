/**
 * WASM memory: fitting again (on a fresh model or the same one) never grows a backend's linear memory
 * beyond the first fit's high-water mark; nothing is allocated inside the EM loop or per call.
 * The size is read from the backend's `memoryBytes` through the model's private `backend` field.
 */
import { describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { GaussianMixture } from '../src/index.js';
import type { CovarianceType } from '../src/types.js';
import { blobs, wasmMemoryBytes } from './helpers.js';

const CYCLES = 200;

// A real collection between cycles (vitest does not start Node with --expose-gc).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** process.memoryUsage().arrayBuffers after forced collections (finalisers get a turn in between). */
async function collectedArrayBuffers(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 0));
  }
  return process.memoryUsage().arrayBuffers;
}
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
    it(`${type}: ${CYCLES} cycles of new model -> fit -> predict -> dispose free every instance`, async () => {
      // Each cycle makes a fresh backend, so its own memory size says nothing; what can leak is the
      // backends themselves (a module-level cache, a listener, a pending promise holding one). Every
      // backend is watched through a WeakRef; after a forced collection at most the last may live,
      // and the process's ArrayBuffer memory (where WebAssembly memories count) is back where it was.
      const refs: WeakRef<object>[] = [];
      let baseline = 0;
      for (let c = 0; c < CYCLES; c++) {
        const gmm = new GaussianMixture(options(type, c));
        await gmm.fit(X);
        gmm.predictProba(Xtest);
        gmm.scoreSamples(X);
        expect(wasmMemoryBytes(gmm)).toBeGreaterThan(0);
        refs.push(new WeakRef((gmm as unknown as { backend: object }).backend));
        gmm.dispose();
        expect(wasmMemoryBytes(gmm)).toBe(0);
        if (c === 9) baseline = await collectedArrayBuffers();
      }
      const after = await collectedArrayBuffers();
      const alive = refs.filter((r) => r.deref() !== undefined).length;
      expect(alive, `${alive} of ${CYCLES} backends still reachable`).toBeLessThanOrEqual(1);
      expect(after, `ArrayBuffer bytes ${baseline} after 10 cycles, ${after} after ${CYCLES}`).toBeLessThanOrEqual(baseline * 1.1 + 1e6);
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
