/**
 * Chunk sources, the statistics API (sufficientStatistics / SufficientStatistics / updateFromStatistics)
 * and online EM (partialFit). References: the in-memory fit of the same rows (chunked passes add the
 * same per-row terms in another order, so they agree to rounding), sums over all rows computed by
 * the same class in one pass, and the known generating mixture.
 */
import { describe, expect, it } from 'vitest';
import { GaussianMixture, SufficientStatistics } from '../src/index.js';
import type { ChunkSource, CovarianceType, MatrixInput } from '../src/index.js';
import { MCLUST_MODELS } from '../src/covariance-models.js';
import { blobs, expectRel, expectSameFit, relErr } from './helpers.js';

const { X } = blobs(11, 600, 3, 3, 6);

function source(rows: number[][], size: number, async = false): ChunkSource {
  const cols = rows[0].length;
  if (async) {
    return {
      cols,
      chunks: async function* () {
        for (let i = 0; i < rows.length; i += size) {
          await null;
          yield rows.slice(i, i + size);
        }
      },
    };
  }
  return {
    cols,
    chunks: function* () {
      for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
    },
  };
}

/** Float32 chunks as { data, rows, cols } views into one buffer (no per-pass copies by the source). */
function float32Source(rows: number[][], size: number): ChunkSource {
  const cols = rows[0].length;
  const all = Float32Array.from(rows.flat());
  return {
    cols,
    chunks: function* () {
      for (let i = 0; i < rows.length; i += size) {
        const n = Math.min(size, rows.length - i);
        yield { data: all.subarray(i * cols, (i + n) * cols), rows: n, cols };
      }
    },
  };
}

function sameFit(a: GaussianMixture, b: GaussianMixture, tol: number): void {
  expectSameFit(a, b, tol);
  expect(Array.from(b.predict(X))).toEqual(Array.from(a.predict(X)));
}

describe('fit on a chunk source equals the in-memory fit', () => {
  const types: CovarianceType[] = ['full', 'tied', 'diag', 'spherical', ...MCLUST_MODELS];
  for (const backend of ['wasm', 'js'] as const) {
    for (const type of types) {
      it(`${type}, ${backend}: chunks of 7 (uneven last chunk), sync and async`, async () => {
        const options = { nComponents: 3, covarianceType: type, backend, seed: 3, init: 'kmeans' as const, tol: 1e-8 };
        const memory = await new GaussianMixture(options).fit(X);
        sameFit(memory, await new GaussianMixture(options).fit(source(X, 7)), 1e-10);
        sameFit(memory, await new GaussianMixture(options).fit(source(X, 7, true)), 1e-10);
      });
    }
    it(`${backend}: chunk sizes 1 and 4096, float32 chunks, init 'auto'`, async () => {
      const options = { nComponents: 3, backend, seed: 8, tol: 1e-8 };
      const memory = await new GaussianMixture(options).fit(X);
      sameFit(memory, await new GaussianMixture(options).fit(source(X, 1)), 1e-10);
      sameFit(memory, await new GaussianMixture(options).fit(source(X, 4096)), 1e-10);
      const X32 = Float32Array.from(X.flat());
      const memory32 = await new GaussianMixture(options).fit({ data: X32, rows: X.length, cols: 3 });
      sameFit(memory32, await new GaussianMixture(options).fit(float32Source(X, 64)), 1e-10);
    });
  }

  it('warmStart continues from the previous fit on a source', async () => {
    const options = { nComponents: 3, seed: 3, init: 'kmeans' as const, warmStart: true, maxIter: 3, tol: 0 };
    const memory = await new GaussianMixture(options).fit(X);
    await memory.fit(X);
    const chunked = await new GaussianMixture(options).fit(source(X, 50));
    await chunked.fit(source(X, 50));
    expectRel(chunked.means, memory.means, 1e-10, 'means');
    expectRel(chunked.history, memory.history, 1e-10, 'history');
  });

  it('a source larger than the sample initialises on a reservoir sample and still fits', async () => {
    // 120 000 rows > SOURCE_SAMPLE_ROWS (100 000): the start comes from the sample, EM runs on all rows.
    const big = blobs(5, 120_000, 2, 2, 8).X;
    const chunked = await new GaussianMixture({ nComponents: 2, seed: 1, init: 'kmeans' }).fit(source(big, 10_000));
    const memory = await new GaussianMixture({ nComponents: 2, seed: 1, init: 'kmeans' }).fit(big);
    // Same optimum (well-separated blobs): the final mean log-likelihoods agree closely.
    expect(Math.abs(chunked.history.at(-1)! - memory.history.at(-1)!)).toBeLessThan(1e-6);
    expect(chunked.converged).toBe(true);
  });

  it('rejects bad sources with errors that name the problem', async () => {
    const gmm = new GaussianMixture({ nComponents: 2 });
    await expect(gmm.fit({ cols: 0, chunks: () => [] })).rejects.toThrow(/cols must be an integer >= 1/);
    await expect(gmm.fit({ cols: 3, chunks: () => [] })).rejects.toThrow(/yielded no rows/);
    await expect(gmm.fit({ cols: 2, chunks: () => [X.slice(0, 10)] })).rejects.toThrow(/chunk 0 has 3 columns.*cols = 2/);
    await expect(gmm.fit({ cols: 3, chunks: () => 5 as unknown as Iterable<MatrixInput> })).rejects.toThrow(/iterable/);
    await expect(gmm.fit({ cols: 3, chunks: () => [[[1, 2, NaN]]] })).rejects.toThrow(/chunk 0.*non-finite/);
    await expect(gmm.fit(source(X, 10), { sampleWeight: [1] })).rejects.toThrow(/sampleWeight cannot be given with a chunk source/);
    // A source that changes between passes breaks EM: it is detected, not silently fitted.
    let pass = 0;
    const shrinking: ChunkSource = { cols: 3, chunks: () => [X.slice(0, pass++ === 0 ? 300 : 200)] };
    await expect(new GaussianMixture({ nComponents: 2, seed: 0 }).fit(shrinking)).rejects.toThrow(/yielded 200 rows in this pass but 300 in the first/);
    // Values checked in the sampling pass; a later pass reads them again only when a chunk's
    // log-likelihood is not finite, and still names the row and column.
    let passes = 0;
    const spoiled: ChunkSource = { cols: 3, chunks: () => [X.slice(0, 100), passes++ === 0 ? X.slice(100, 200) : [...X.slice(100, 150), [0, NaN, 0], ...X.slice(151, 200)]] };
    await expect(new GaussianMixture({ nComponents: 2, seed: 0, init: 'kmeans' }).fit(spoiled)).rejects.toThrow(/chunk 1 contains a non-finite value \(NaN\) at row 50, column 1/);
  });

  it('an abort between chunks rejects with an AbortError', async () => {
    const ac = new AbortController();
    let chunks = 0;
    const src: ChunkSource = {
      cols: 3,
      chunks: function* () {
        for (let i = 0; i < X.length; i += 10) {
          if (++chunks === 200) ac.abort();
          yield X.slice(i, i + 10);
        }
      },
    };
    await expect(new GaussianMixture({ nComponents: 3, seed: 0, signal: ac.signal }).fit(src)).rejects.toThrow(/abort/i);
  });
});

describe('calls made while a fit runs leave it untouched', () => {
  const other = blobs(99, 50, 3, 2, 20).X;
  // Overlapping clusters and a tight tol: enough iterations that the fit yields (signal) many times.
  const { X: Y } = blobs(12, 30_000, 3, 3, 1.5);
  for (const backend of ['wasm', 'js'] as const) {
    it(`${backend}: predict, scoreSamples and sufficientStatistics from onIteration and from a timer`, async () => {
      const options = { nComponents: 3, backend, seed: 2, init: 'kmeans' as const, tol: 1e-12, maxIter: 40 };
      const undisturbed = await new GaussianMixture(options).fit(Y);
      const ac = new AbortController();
      const calls = { onIteration: 0, timer: 0 };
      let armed = false;
      const poke = (who: 'onIteration' | 'timer'): void => {
        if (!armed) return;
        refit.predict(other);
        refit.scoreSamples(other);
        refit.sufficientStatistics(other);
        calls[who]++;
      };
      const refit = new GaussianMixture({ ...options, signal: ac.signal, onIteration: () => poke('onIteration') });
      await refit.fit(Y); // fitted, so the calls during the refit below have parameters to use
      armed = true;
      const timer = setInterval(() => poke('timer'), 0);
      try {
        await refit.fit(Y);
      } finally {
        clearInterval(timer);
      }
      expect(calls.onIteration).toBe(undisturbed.nIter);
      expect(calls.timer).toBeGreaterThan(0);
      expect(refit.means).toEqual(undisturbed.means);
      expect(refit.covariances).toEqual(undisturbed.covariances);
      expect(refit.history).toEqual(undisturbed.history);
    });
  }
});

describe('sufficient statistics', () => {
  const shards = [X.slice(0, 137), X.slice(137, 400), X.slice(400)];
  for (const type of ['full', 'diag'] as const) {
    it(`${type}: shards added (also through JSON) equal one pass over all rows`, async () => {
      const gmm = await new GaussianMixture({ nComponents: 3, covarianceType: type, seed: 1, init: 'kmeans', maxIter: 5 }).fit(X);
      const all = gmm.sufficientStatistics(X);
      const parts = shards.map((s) => SufficientStatistics.fromJSON(JSON.stringify(gmm.sufficientStatistics(s))));
      const total = parts[0].clone().add(parts[1]).add(parts[2]);
      // S1 and S2 are centred sums (they nearly cancel): compare on the scale of the raw sums, n max|x| and n max|x|^2.
      const big = Math.max(...X.flat().map(Math.abs));
      const scale = { N: X.length, S1: X.length * big, S2: X.length * big * big };
      for (const f of ['N', 'S1', 'S2'] as const) {
        total[f].forEach((v, i) => expect(Math.abs(v - all[f][i])).toBeLessThan(1e-13 * scale[f]));
      }
      expect(total.logLik).toBeCloseTo(all.logLik, 9);
      expect(total.weightSum).toBe(X.length);
      // JSON round trip is exact.
      const back = SufficientStatistics.fromJSON(all.toJSON());
      expect(Array.from(back.S2)).toEqual(Array.from(all.S2));
      expect(back.logLik).toBe(all.logLik);
    });
  }

  it('recentre then add equals add then recentre; scale multiplies every sum', async () => {
    const gmm = await new GaussianMixture({ nComponents: 2, seed: 4, init: 'kmeans', maxIter: 3 }).fit(X);
    const a = gmm.sufficientStatistics(shards[0]);
    const b = gmm.sufficientStatistics(shards[1]);
    const target = Float64Array.from({ length: 6 }, (_, i) => i - 2.5);
    const one = a.clone().recentre(target).add(b.clone().recentre(target));
    const two = a.clone().add(b).recentre(target);
    for (const f of ['N', 'S1', 'S2'] as const) expect(relErr(Array.from(one[f]), Array.from(two[f]))).toBeLessThan(1e-12);
    // Taken about another shift, then back, the sums return to themselves.
    const round = a.clone().recentre(target).recentre(a.shift);
    expect(relErr(Array.from(round.S2), Array.from(a.S2))).toBeLessThan(1e-12);
    // Closed form of the parallel-axis formula on one component, one feature: S2' = S2 + 2 delta S1 + N delta^2.
    const delta = a.shift[0] - target[0];
    expect(one.S2[0]).toBeCloseTo(a.S2[0] + 2 * delta * a.S1[0] + a.N[0] * delta * delta + (b.S2[0] + 2 * (b.shift[0] - target[0]) * b.S1[0] + b.N[0] * (b.shift[0] - target[0]) ** 2), 8);
    const s = a.clone().scale(2.5);
    expect(s.N[1]).toBe(a.N[1] * 2.5);
    expect(s.weightSum).toBe(a.weightSum * 2.5);
    expect(() => a.scale(-1)).toThrow(/finite number >= 0/);
    expect(() => SufficientStatistics.fromJSON({ ...a.toJSON(), N: [1] })).toThrow(/N must be 2 finite numbers/);
  });

  it('updateFromStatistics over shards performs one EM iteration', async () => {
    const options = { nComponents: 3, seed: 6, init: 'kmeans' as const, maxIter: 4, tol: 0 };
    const base = await new GaussianMixture(options).fit(X);
    // Reference: one EM iteration on all rows started from base's parameters.
    const init = { weights: base.weights, means: base.means, covariances: base.covariances };
    const reference = await new GaussianMixture({ ...options, init, maxIter: 1 }).fit(X);
    // The distributed loop: ship the model as JSON, statistics per shard, add, update.
    const distributed = GaussianMixture.fromJSON(JSON.stringify(base.toJSON()));
    const total = shards.map((s) => distributed.sufficientStatistics(s)).reduce((t, s) => t.add(s));
    distributed.updateFromStatistics(total);
    expectRel(distributed.means, reference.means, 1e-12, 'means');
    expectRel(distributed.covariances, reference.covariances, 1e-12, 'covariances');
    expectRel(distributed.weights, reference.weights, 1e-12, 'weights');
    expect(distributed.nIter).toBe(base.nIter + 1);
    // The statistics were taken at base's parameters: their mean log-likelihood is base's last value.
    expect(distributed.history.at(-1)).toBeCloseTo(base.history.at(-1)!, 12);
    expect(() => distributed.updateFromStatistics({} as SufficientStatistics)).toThrow(/expects a SufficientStatistics/);
    const wrong = await new GaussianMixture({ nComponents: 2, seed: 0, maxIter: 2 }).fit(X);
    expect(() => distributed.updateFromStatistics(wrong.sufficientStatistics(X))).toThrow(/do not fit this model/);
  });
});

describe('partialFit (stepwise EM)', () => {
  it('a stream from a known mixture converges to the batch fit; held-out log-likelihood improves', async () => {
    const all = blobs(21, 42_000, 2, 3, 5).X;
    const stream = { X: all.slice(0, 40_000) };
    const heldOut = all.slice(40_000);
    const batch = await new GaussianMixture({ nComponents: 3, seed: 1, init: 'kmeans' }).fit(stream.X);
    const online = new GaussianMixture({ nComponents: 3, seed: 1, init: 'kmeans' });
    const scores: number[] = [];
    for (let i = 0; i < stream.X.length; i += 1000) {
      await online.partialFit(stream.X.slice(i, i + 1000));
      scores.push(online.score(heldOut));
    }
    // Within sampling error of the batch fit: means (centres ~5 apart) to 0.05, log-likelihood to 0.01.
    const order = online.means.map((m) => batch.means.reduce((best, b, j) => (Math.hypot(b[0] - m[0], b[1] - m[1]) < Math.hypot(batch.means[best][0] - m[0], batch.means[best][1] - m[1]) ? j : best), 0));
    expect(new Set(order).size).toBe(3);
    online.means.forEach((m, c) => m.forEach((v, a) => expect(Math.abs(v - batch.means[order[c]][a])).toBeLessThan(0.05)));
    expect(Math.abs(online.score(heldOut) - batch.score(heldOut))).toBeLessThan(0.01);
    expect(scores.at(-1)!).toBeGreaterThanOrEqual(scores[0] - 1e-9);
    // The first chunk's fit() history, then one entry per further chunk.
    expect(online.nIter).toBeGreaterThan(39);
  });

  for (const type of ['tied', 'diag', 'spherical', 'VEI', 'EEV'] as const) {
    for (const backend of ['wasm', 'js'] as const) {
      it(`${type}, ${backend}: runs and gives finite parameters and a rising held-out score`, async () => {
        const { X: S } = blobs(31, 6000, 3, 2, 6);
        const gmm = new GaussianMixture({ nComponents: 2, covarianceType: type, backend, seed: 2, init: 'kmeans' });
        await gmm.partialFit(S.slice(0, 100));
        const first = gmm.score(S.slice(5000));
        for (let i = 100; i < 5000; i += 700) await gmm.partialFit(S.slice(i, i + 700));
        expect(gmm.score(S.slice(5000))).toBeGreaterThan(first - 1e-9);
        expect(gmm.weights.every(Number.isFinite)).toBe(true);
        expect(gmm.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      });
    }
  }

  it('validates its options and its input', async () => {
    expect(() => new GaussianMixture({ learningDecay: 0.5 })).toThrow(/learningDecay must be a number in \(0.5, 1\], got 0.5/);
    expect(() => new GaussianMixture({ learningOffset: 0 })).toThrow(/learningOffset must be a finite number >= 1/);
    const gmm = new GaussianMixture({ nComponents: 2, seed: 0 });
    await gmm.partialFit(X.slice(0, 50));
    await expect(gmm.partialFit([[1, 2]])).rejects.toThrow(/X has 2 columns, but the model was fitted with 3 features/);
  });
});
