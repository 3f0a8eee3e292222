/**
 * Parallel fitting (`workers` option, src/parallel.ts + src/worker.ts). Runs against the BUILT package
 * (dist/), because the worker script is dist/worker.js next to dist/parallel.js: `npm test` builds
 * first. The fallback test imports src/, where no worker.js exists, to exercise the one-thread path.
 * No timing assertions here: the speed-up is measured by bench/anchors.mjs --workers N.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-ignore -- the built package (npm run build); typed through the source it was built from.
import * as built from '../dist/index.js';
// @ts-ignore -- as above.
import * as builtParallel from '../dist/parallel.js';
import type * as Src from '../src/index.js';
import * as src from '../src/index.js';
import { expectSameFit, rng } from './helpers.js';

const { GaussianMixture, activeWorkerCount } = built as typeof Src;
const parallel = builtParallel as typeof import('../src/parallel.js');
type CovType = 'full' | 'tied' | 'diag' | 'spherical';
const TYPES: CovType[] = ['full', 'tied', 'diag', 'spherical'];
const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../dist');

/** Deterministic overlapping clusters (so EM runs many iterations), optionally far from the origin. */
function blobs(n: number, d: number, k: number, seed: number, offset = 0): { data: Float64Array; rows: number; cols: number } {
  const u = rng(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const centres = Array.from({ length: k }, () => Array.from({ length: d }, () => 2.5 * normal()));
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = centres[Math.floor(u() * k)];
    for (let j = 0; j < d; j++) data[i * d + j] = offset + c[j] + (0.6 + 0.4 * (j % 2)) * normal() + 0.3 * (j > 0 ? data[i * d + j - 1] - offset : 0);
  }
  return { data, rows: n, cols: d };
}


describe('workers: the built package', () => {
  it('dist/index.js and everything it imports have no top-level await and no static Node imports', () => {
    expect(existsSync(join(DIST, 'worker.js'))).toBe(true);
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      const statics = [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/gm), ...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)];
      for (const [, spec] of statics) {
        expect(spec.startsWith('node:'), `${file} statically imports ${spec}`).toBe(false);
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      }
      // Top-level await: tsc keeps indentation, so top-level statements are the unindented lines.
      const topLevel = text.split('\n').filter((line) => /^[^\s/]/.test(line));
      expect(topLevel.filter((line) => /\bawait\b/.test(line)), `${file} has top-level await`).toEqual([]);
    };
    visit(join(DIST, 'index.js'));
    expect(seen.has(join(DIST, 'parallel.js'))).toBe(true);
    // The bundler-recognised pattern, verbatim.
    expect(readFileSync(join(DIST, 'parallel.js'), 'utf8')).toContain("new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })");
  });
});

describe('workers: 2 equals workers: 1', () => {
  const X = blobs(6000, 4, 4, 7);
  for (const backend of ['wasm', 'js'] as const) {
    for (const type of TYPES) {
      it(`${backend} / ${type}`, async () => {
        const opts = { nComponents: 4, covarianceType: type, seed: 3, backend, tol: 0, maxIter: 40 } as const;
        const one = await new GaussianMixture(opts).fit(X);
        const two = await new GaussianMixture({ ...opts, workers: 2 }).fit(X);
        expect(two.fitWorkers).toBe(2);
        // No worker warning (tol 0 makes both warn of non-convergence).
        expect(two.fitWarnings.filter((w) => w.startsWith('workers'))).toEqual([]);
        expect(one.fitWorkers).toBe(1);
        expect(one.nIter).toBe(40);
        expectSameFit(one, two);
        expect(Array.from(two.predict(X))).toEqual(Array.from(one.predict(X)));
        expect(activeWorkerCount()).toBe(0);
      });
    }
  }

  it("mclust's fourteen models", async () => {
    const Xs = blobs(3000, 3, 3, 17);
    for (const type of built.MCLUST_MODELS as readonly string[]) {
      const opts = { nComponents: 3, covarianceType: type as Src.CovarianceType, seed: 3, tol: 0, maxIter: 15 };
      const one = await new GaussianMixture(opts).fit(Xs);
      const two = await new GaussianMixture({ ...opts, workers: 2 }).fit(Xs);
      expect(two.fitWorkers, type).toBe(2);
      expectSameFit(one, two);
    }
    expect(activeWorkerCount()).toBe(0);
  });

  it('selectModel with workers: 2 fits the candidates in parallel and gives the one-thread table exactly', async () => {
    const Xs = blobs(800, 2, 3, 21);
    const opts = { nComponents: [1, 2, 3, 4], covarianceTypes: ['full', 'VEV', 'EII', 'spherical'] as Src.CovarianceType[], seed: 4 };
    const one = await built.selectModel(Xs, opts);
    const two = await built.selectModel(Xs, { ...opts, workers: 2 });
    expect(two.table).toEqual(one.table);
    expect(two.best.means).toEqual(one.best.means);
    expect(two.best.options.covarianceType).toBe(one.best.options.covarianceType);
    expect(activeWorkerCount()).toBe(0);
  });

  it('selectModel with workers: 2 gives the one-thread table without K = 1, with K beyond the tree\'s nine levels, and with K = 1 alone', async () => {
    // No K = 1: every worker waits for the tree; K = 10 needs a tree of ten levels; K = 1 alone needs none.
    const Xs = blobs(800, 2, 3, 23);
    for (const nComponents of [[2, 3], [3, 10], [1]]) {
      const opts = { nComponents, covarianceTypes: ['full', 'EII', 'VEV'] as Src.CovarianceType[], seed: 5 };
      const one = await built.selectModel(Xs, opts);
      const two = await built.selectModel(Xs, { ...opts, workers: 2 });
      expect(two.table, String(nComponents)).toEqual(one.table);
    }
    expect(activeWorkerCount()).toBe(0);
  });

  it("selectModel with init 'hc' and workers: 2 gives the one-thread table (the workers get the tree's partitions only)", async () => {
    const Xs = blobs(800, 2, 3, 25);
    const opts = { nComponents: [1, 2, 3, 4], covarianceTypes: ['full', 'EVE', 'EII'] as Src.CovarianceType[], init: 'hc' as const, seed: 6 };
    const one = await built.selectModel(Xs, opts);
    const two = await built.selectModel(Xs, { ...opts, workers: 2 });
    expect(two.table).toEqual(one.table);
    expect(two.best.means).toEqual(one.best.means);
    expect(activeWorkerCount()).toBe(0);
  });

  it('prestarted workers are taken by the next pool (same table); releaseSpareWorkers ends the ones left', async () => {
    const Xs = blobs(800, 2, 3, 21);
    const opts = { nComponents: [1, 2, 3], covarianceTypes: ['full', 'spherical'] as Src.CovarianceType[], seed: 4 };
    const one = await built.selectModel(Xs, opts);
    await parallel.prestartWorkers(2);
    expect(activeWorkerCount()).toBe(2);
    const two = await built.selectModel(Xs, { ...opts, workers: 2 });
    expect(two.table).toEqual(one.table);
    expect(activeWorkerCount()).toBe(0);
    await parallel.prestartWorkers(3);
    const fit = await new GaussianMixture({ nComponents: 3, seed: 1, workers: 2 }).fit(Xs);
    expect(fit.fitWorkers).toBe(2);
    expect(activeWorkerCount()).toBe(1);
    await parallel.releaseSpareWorkers();
    expect(activeWorkerCount()).toBe(0);
  });

  it('3 workers, Float32 data, sample weights, nInit 2, far from the origin', async () => {
    const X64 = blobs(5001, 3, 3, 11, 1e4);
    const X = { data: Float32Array.from(X64.data), rows: X64.rows, cols: X64.cols };
    const sampleWeight = Array.from({ length: X.rows }, (_, i) => 0.5 + (i % 5) * 0.25);
    // Random restarts stopped early (tol 0, 8 iterations) end at clearly different lower bounds; restarts
    // converged to label-permuted copies of one optimum would tie, and rounding would pick the winner.
    const opts = { nComponents: 3, covarianceType: 'full', seed: 5, nInit: 3, init: 'random', tol: 0, maxIter: 8 } as const;
    const one = await new GaussianMixture(opts).fit(X, { sampleWeight });
    const three = await new GaussianMixture({ ...opts, workers: 3 }).fit(X, { sampleWeight });
    // workers are capped at the cores (issue 11): 3 shards on a machine with 3 or more.
    expect(three.fitWorkers).toBe(Math.min(3, availableParallelism()));
    expectSameFit(one, three);
  });

  it('warmStart reuses the model and still equals one thread', async () => {
    const X = blobs(3000, 2, 3, 13);
    const opts = { nComponents: 3, seed: 1, maxIter: 5, warmStart: true } as const;
    const one = new GaussianMixture(opts);
    const two = new GaussianMixture({ ...opts, workers: 2 });
    for (let i = 0; i < 3; i++) {
      await one.fit(X);
      await two.fit(X);
    }
    expectSameFit(one, two);
  });

  it("workers: 'auto' fits (one worker per core, or one thread on a single core)", async () => {
    const X = blobs(4000, 3, 3, 17);
    const one = await new GaussianMixture({ nComponents: 3, seed: 2 }).fit(X);
    const auto = await new GaussianMixture({ nComponents: 3, seed: 2, workers: 'auto' }).fit(X);
    expect(auto.options.workers).toBe('auto');
    const cores = availableParallelism();
    expect(auto.fitWorkers).toBe(cores >= 2 ? cores : 1);
    expect(auto.fitWarnings).toEqual([]);
    expectSameFit(one, auto);
    expect(activeWorkerCount()).toBe(0);
  });

  it('workers are capped at the cores and at MIN_ROWS_PER_WORKER (64) rows each, with a warning (fault 6)', async () => {
    const cores = availableParallelism();
    const tiny = blobs(40, 2, 2, 3);
    const before = activeWorkerCount();
    const m = await new GaussianMixture({ nComponents: 2, seed: 1, workers: 1000 }).fit(tiny);
    expect(m.fitWorkers).toBe(1);
    expect(m.fitWarnings).toEqual([
      `workers: 1000 was requested, but this machine has ${cores} core${cores === 1 ? '' : 's'} and X has 40 rows and a worker needs at least 64, so the fit used one thread.`,
    ]);
    expect(activeWorkerCount()).toBe(before);
    expectSameFit(await new GaussianMixture({ nComponents: 2, seed: 1 }).fit(tiny), m);
    // Enough rows for 78 workers: the cores decide.
    const X = blobs(5000, 2, 2, 3);
    const capped = await new GaussianMixture({ nComponents: 2, seed: 1, workers: 8 }).fit(X);
    const expected = Math.min(cores, 8);
    expect(capped.fitWorkers).toBe(expected >= 2 ? expected : 1);
    expect(capped.fitWarnings).toHaveLength(1);
    expect(capped.fitWarnings[0]).toContain(`this machine has ${cores} core`);
    // Exactly the useful number: no warning.
    const exact = await new GaussianMixture({ nComponents: 2, seed: 1, workers: Math.min(cores, 8) }).fit(X);
    expect(exact.fitWarnings).toEqual([]);
  });
});

describe('workers: termination', () => {
  it('abort from onIteration mid-fit rejects, terminates the workers, and the next fit works', async () => {
    const X = blobs(20000, 4, 4, 19);
    const controller = new AbortController();
    let peak = 0;
    const model = new GaussianMixture({
      nComponents: 4,
      seed: 1,
      tol: 0,
      maxIter: 200,
      workers: 2,
      signal: controller.signal,
      onIteration: ({ iter }) => {
        peak = Math.max(peak, activeWorkerCount());
        if (iter === 3) controller.abort();
      },
    });
    await expect(model.fit(X)).rejects.toMatchObject({ name: 'AbortError' });
    expect(peak).toBe(2);
    expect(activeWorkerCount()).toBe(0);
    const again = await new GaussianMixture({ nComponents: 4, seed: 1, tol: 0, maxIter: 5, workers: 2 }).fit(X);
    expect(again.nIter).toBe(5);
    expect(activeWorkerCount()).toBe(0);
  });

  it('abort while a pass is running in the workers (timer) rejects with the reason', async () => {
    const X = blobs(200000, 8, 8, 23);
    const controller = new AbortController();
    const reason = new Error('stop now');
    let iterations = 0;
    const fit = new GaussianMixture({
      nComponents: 8,
      seed: 1,
      tol: 0,
      maxIter: 1000,
      workers: 2,
      init: 'random',
      signal: controller.signal,
      onIteration: () => void iterations++,
    }).fit(X);
    // Abort once the workers are up and iterating.
    while (iterations < 2) await new Promise((r) => setTimeout(r, 5));
    controller.abort(reason);
    await expect(fit).rejects.toBe(reason);
    expect(iterations).toBeLessThan(1000);
    expect(activeWorkerCount()).toBe(0);
  });

  it('aborting right after starting (at once, after await null, after a timer) rejects and leaves no unhandled rejection', async () => {
    // Before the fix, the start-up requests of the pool were left unobserved when the abort arrived
    // while the workers were loading, and two "worker pool is closed" rejections ended Node.
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const X = blobs(4000, 3, 3, 31);
      for (const when of ['sync', 'microtask', 'timer'] as const) {
        for (let repeat = 0; repeat < 3; repeat++) {
          const controller = new AbortController();
          const fit = new GaussianMixture({ nComponents: 3, seed: 1, workers: 2, signal: controller.signal }).fit(X);
          if (when === 'microtask') await null;
          if (when === 'timer') await new Promise((r) => setTimeout(r, 0));
          controller.abort();
          await expect(fit, when).rejects.toMatchObject({ name: 'AbortError' });
        }
      }
      await new Promise((r) => setTimeout(r, 200)); // let any stray rejection surface
      expect(unhandled.map(String)).toEqual([]);
      expect(activeWorkerCount()).toBe(0);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('an already-aborted signal rejects before any worker starts', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(new GaussianMixture({ nComponents: 2, workers: 2, signal: controller.signal }).fit(blobs(100, 2, 2, 1))).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(activeWorkerCount()).toBe(0);
  });

  it('a failing fit (ILL_DEFINED_COVARIANCE) still terminates the workers', async () => {
    // A constant column and regCovar 0: the covariance is singular.
    const X = blobs(2000, 3, 2, 29);
    for (let i = 0; i < X.rows; i++) X.data[i * 3 + 2] = 1;
    for (const type of ['full', 'diag'] as const) {
      const model = new GaussianMixture({ nComponents: 2, covarianceType: type, seed: 1, regCovar: 0, workers: 2 });
      await expect(model.fit(X)).rejects.toMatchObject({ name: 'GaussianMixtureError', code: 'ILL_DEFINED_COVARIANCE' });
      expect(activeWorkerCount()).toBe(0);
    }
  });

  it('a fit stopped by onIteration returning false terminates the workers', async () => {
    const m = await new GaussianMixture({ nComponents: 3, seed: 1, tol: 0, workers: 2, onIteration: ({ iter }) => iter < 4 }).fit(blobs(3000, 2, 3, 31));
    expect(m.nIter).toBe(4);
    expect(activeWorkerCount()).toBe(0);
  });

  it('100 sequential fits with workers: 2 leak no workers and no memory', async () => {
    const X = blobs(2000, 3, 3, 37);
    const ref = await new GaussianMixture({ nComponents: 3, seed: 9, maxIter: 10 }).fit(X);
    const gc = (globalThis as { gc?: () => void }).gc;
    let rssAfter10 = 0;
    for (let i = 0; i < 100; i++) {
      const m = new GaussianMixture({ nComponents: 3, seed: 9, maxIter: 10, workers: 2 });
      await m.fit(X);
      expect(activeWorkerCount()).toBe(0);
      expect(m.fitWorkers).toBe(2);
      if (i % 25 === 0) expectSameFit(ref, m);
      m.dispose();
      if (i === 9) {
        gc?.();
        rssAfter10 = process.memoryUsage().rss;
      }
    }
    gc?.();
    const growth = process.memoryUsage().rss - rssAfter10;
    // A leaked worker costs ~10+ MB (its own isolate and WebAssembly memory); 90 of them would be ~1 GB.
    expect(growth).toBeLessThan(150e6);
  });
});

describe('workers: fallback to one thread', () => {
  it('where the worker script cannot be started, workers: 2 runs on one thread with a warning', async () => {
    // Under vitest, src/parallel.ts looks for src/worker.js, which does not exist: the workers fail to
    // start, exactly like a missing or blocked worker script in a browser.
    const X = blobs(3000, 2, 3, 41);
    const one = await new src.GaussianMixture({ nComponents: 3, seed: 4 }).fit(X);
    const two = await new src.GaussianMixture({ nComponents: 3, seed: 4, workers: 2 }).fit(X);
    expect(two.fitWorkers).toBe(1);
    expect(two.fitWarnings).toHaveLength(1);
    expect(two.fitWarnings[0]).toMatch(/workers: 2 was requested, but workers are unavailable .*one thread/);
    expectSameFit(one, two, 0);
    expect(src.activeWorkerCount()).toBe(0);
  });

  it('rejects bad workers values', () => {
    expect(() => new GaussianMixture({ workers: 0 })).toThrow(RangeError);
    expect(() => new GaussianMixture({ workers: 1.5 })).toThrow(TypeError);
    expect(() => new GaussianMixture({ workers: 'many' as never })).toThrow(/workers must be an integer >= 1 or 'auto'/);
  });
});
