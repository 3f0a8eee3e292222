/**
 * Stress (issue 11, scope 10): many fits with workers: 2 aborted at random moments (before the call,
 * at once, after a microtask, after a timer, from onIteration), then no live worker, no unhandled
 * rejection, and memory back near where it started. Runs against the built package (dist/worker.js).
 * CI runs STRESS_FITS (default 24: starting workers costs ~0.1-1 s each on a loaded 2-core machine);
 * `STRESS_FITS=200 npx vitest run test/stress.test.ts` is the full run on demand.
 */
import { describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
// @ts-ignore -- the built package (npm run build); typed through the source it was built from.
import * as built from '../dist/index.js';
import type * as Src from '../src/index.js';

const { GaussianMixture, activeWorkerCount } = built as typeof Src;
const FITS = Number(process.env.STRESS_FITS ?? 24);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function settledMemory(): Promise<{ rss: number; heapUsed: number; arrayBuffers: number }> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
  const { rss, heapUsed, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, arrayBuffers };
}

describe('stress: aborted fits with workers', () => {
  it(`${FITS} fits with workers: 2 aborted at random moments leave no worker and no memory behind`, async () => {
    const n = 4000;
    const data = new Float64Array(n * 3);
    let s = 11;
    const rand = (): number => (s = (s * 16807) % 2147483647) / 2147483647;
    for (let i = 0; i < n * 3; i++) data[i] = rand() * 4 + (Math.floor(i / 3) % 3) * 6;
    const X = { data, rows: n, cols: 3 };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      // Warm-up fits (module compiled, the allocator's arenas for worker isolates in place) before the baseline.
      for (let w = 0; w < 5; w++) await new GaussianMixture({ nComponents: 3, seed: w, workers: 2, maxIter: 3 }).fit(X);
      const start = await settledMemory();
      const outcomes = { aborted: 0, finished: 0 };
      for (let f = 0; f < FITS; f++) {
        const controller = new AbortController();
        const when = f % 5;
        const at = 1 + Math.floor(rand() * 6);
        const fit = new GaussianMixture({
          nComponents: 3, seed: f, workers: 2, tol: 0, maxIter: 8, signal: controller.signal,
          onIteration: when === 4 ? ({ iter }) => void (iter >= at && controller.abort()) : undefined,
        });
        if (when === 0) controller.abort();
        const promise = fit.fit(X);
        if (when === 1) controller.abort();
        if (when === 2) await null;
        if (when === 3) await new Promise((r) => setTimeout(r, Math.floor(rand() * 20)));
        if (when === 2 || when === 3) controller.abort();
        try {
          await promise;
          outcomes.finished++;
        } catch (e) {
          expect((e as Error).name, String(e)).toBe('AbortError');
          outcomes.aborted++;
        }
        expect(activeWorkerCount(), `fit ${f}`).toBe(0);
      }
      const end = await settledMemory();
      expect(outcomes.aborted).toBeGreaterThan(FITS / 2);
      expect(activeWorkerCount()).toBe(0);
      expect(unhandled).toEqual([]);
      // The memory the fits own (JS heap, ArrayBuffers and WebAssembly memories) is back within 10 %
      // (plus 2 MB of slack) of where it started. The process RSS is not: the allocator keeps the
      // pages of terminated worker isolates for reuse, so it is only bounded far below what leaked
      // workers would cost (~10 MB each).
      const report = JSON.stringify({ start, end });
      expect(end.heapUsed, report).toBeLessThanOrEqual(start.heapUsed * 1.1 + 2e6);
      expect(end.arrayBuffers, report).toBeLessThanOrEqual(start.arrayBuffers * 1.1 + 2e6);
      expect(end.rss - start.rss, report).toBeLessThan(Math.max(80e6, FITS * 1e6));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
