/**
 * setWorkerUrl: the worker script from another place. Imports src/, where no worker.js stands next to
 * parallel.ts, so without it workers cannot start (one thread and a warning, see workers.test.ts);
 * pointed at the built dist/worker.js, the same fit runs on two workers and equals the one-thread fit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GaussianMixture, activeWorkerCount, setWorkerUrl } from '../src/index.js';
import { blobs, expectSameFit } from './helpers.js';

const { X } = blobs(5, 2000, 3, 3, 5);
const options = { nComponents: 3, seed: 1, init: 'kmeans' as const, tol: 1e-8 };

describe('setWorkerUrl', () => {
  afterEach(() => setWorkerUrl(null));

  it('runs the workers from the given script; null restores the default', async () => {
    const one = await new GaussianMixture(options).fit(X);
    const fallback = await new GaussianMixture({ ...options, workers: 2 }).fit(X);
    expect(fallback.fitWorkers).toBe(1);
    expect(fallback.fitWarnings.join(' ')).toMatch(/workers are unavailable/);
    setWorkerUrl(new URL('../dist/worker.js', import.meta.url));
    const two = await new GaussianMixture({ ...options, workers: 2 }).fit(X);
    expect(two.fitWorkers).toBe(2);
    expectSameFit(one, two, 1e-10);
    expect(activeWorkerCount()).toBe(0);
    setWorkerUrl(null);
    expect((await new GaussianMixture({ ...options, workers: 2 }).fit(X)).fitWorkers).toBe(1);
  });

  it('rejects what is not a URL', () => {
    expect(() => setWorkerUrl(5 as unknown as string)).toThrow(/setWorkerUrl expects a URL, a string or null, got 5/);
  });
});
