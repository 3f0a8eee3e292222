/**
 * Chunk sources with workers: 2 — each chunk split across two workers — equal the one-thread
 * in-memory fit. Against the BUILT package (dist/), where the worker script exists (see workers.test.ts).
 */
import { describe, expect, it } from 'vitest';
// @ts-ignore -- the built package (npm run build); typed through the source it was built from.
import * as built from '../dist/index.js';
import type * as Src from '../src/index.js';
import { blobs, expectRel } from './helpers.js';

const { GaussianMixture, activeWorkerCount } = built as typeof Src;
const { X } = blobs(17, 900, 3, 3, 5);

function source(size: number, async: boolean): Src.ChunkSource {
  return {
    cols: 3,
    chunks: async
      ? async function* () {
          for (let i = 0; i < X.length; i += size) yield X.slice(i, i + size);
        }
      : function* () {
          for (let i = 0; i < X.length; i += size) yield X.slice(i, i + size);
        },
  };
}

describe('chunk sources with workers: 2', () => {
  for (const type of ['full', 'tied', 'diag', 'spherical', 'VEV'] as const) {
    for (const backend of ['wasm', 'js'] as const) {
      it(`${type}, ${backend}: equals the in-memory fit on one thread`, async () => {
        const options = { nComponents: 3, covarianceType: type, backend, seed: 4, init: 'kmeans' as const, tol: 1e-8 };
        const memory = await new GaussianMixture(options).fit(X);
        const chunked = await new GaussianMixture({ ...options, workers: 2 }).fit(source(97, type === 'full'));
        expect(chunked.fitWorkers).toBe(2);
        expect(chunked.nIter).toBe(memory.nIter);
        expectRel(chunked.means, memory.means, 1e-10, 'means');
        expectRel(chunked.covariances, memory.covariances, 1e-10, 'covariances');
        expectRel(chunked.history, memory.history, 1e-10, 'history');
        expect(activeWorkerCount()).toBe(0);
      });
    }
  }

  it('a chunk with one row goes to one worker; an abort leaves no worker', async () => {
    const one = await new GaussianMixture({ nComponents: 2, seed: 1, init: 'kmeans', workers: 2 }).fit(source(1, false));
    const memory = await new GaussianMixture({ nComponents: 2, seed: 1, init: 'kmeans' }).fit(X);
    expectRel(one.means, memory.means, 1e-10, 'means');
    const ac = new AbortController();
    const fit = new GaussianMixture({ nComponents: 3, seed: 1, workers: 2, signal: ac.signal }).fit(source(10, true));
    setTimeout(() => ac.abort(), 5);
    await expect(fit).rejects.toThrow(/abort/i);
    expect(activeWorkerCount()).toBe(0);
  });
});
