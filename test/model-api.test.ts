/**
 * Inputs and conveniences people have (issue 12, scope 3): one column as number[] or a typed array,
 * matrix objects with to2DArray(), the nComponents / covarianceType / nFeaturesIn attributes,
 * mahalanobis(X) and explicit resource management. References: the same data as nested rows, and
 * the Gaussian log-density's closed form.
 */
import { describe, expect, it } from 'vitest';
import { GaussianMixture } from '../src/index.js';
import { blobs, expectRel } from './helpers.js';

const { X } = blobs(3, 300, 2, 2, 6);
const column = X.map((r) => r[0]);

describe('inputs: one column and matrix objects', () => {
  it('number[] and a Float64Array / Float32Array are one column, as [[x], ...]', async () => {
    const options = { nComponents: 2, seed: 1, init: 'kmeans' as const };
    const nested = await new GaussianMixture(options).fit(column.map((v) => [v]));
    for (const input of [column, Float64Array.from(column)]) {
      const flat = await new GaussianMixture(options).fit(input);
      expectRel(flat.means, nested.means, 1e-12, 'means');
      expect(Array.from(flat.predict(input))).toEqual(Array.from(nested.predict(column.map((v) => [v]))));
      expect(flat.nFeaturesIn).toBe(1);
    }
    const f32 = Float32Array.from(column);
    const nested32 = await new GaussianMixture(options).fit({ data: f32, rows: f32.length, cols: 1 });
    expectRel((await new GaussianMixture(options).fit(f32)).means, nested32.means, 1e-12, 'float32 means');
    await expect(new GaussianMixture(options).fit([1, 2, 'x' as unknown as number])).rejects.toThrow(/X\[2\] must be a number.*one column/);
    await expect(new GaussianMixture(options).fit([1, null as unknown as number, 3])).rejects.toThrow(/null marks a missing entry only with missingValues/);
  });

  it('an object with to2DArray() (ml-matrix) fits as its rows', async () => {
    const matrixLike = { rows: 300, columns: 2, to2DArray: () => X.map((r) => [...r]) };
    const options = { nComponents: 2, seed: 1, init: 'kmeans' as const };
    const a = await new GaussianMixture(options).fit(X);
    const b = await new GaussianMixture(options).fit(matrixLike);
    expect(b.means).toEqual(a.means);
    expect(Array.from(b.predict(matrixLike))).toEqual(Array.from(a.predict(X)));
  });
});

describe('model attributes and methods', () => {
  it('nComponents, covarianceType before fitting; nFeaturesIn after', async () => {
    const gmm = new GaussianMixture({ nComponents: 3, covarianceType: 'VEV' });
    expect(gmm.nComponents).toBe(3);
    expect(gmm.covarianceType).toBe('VEV');
    expect(() => gmm.nFeaturesIn).toThrow(/needs a fitted model/);
    await gmm.fit(X);
    expect(gmm.nFeaturesIn).toBe(2);
  });

  for (const type of ['full', 'tied', 'diag', 'spherical', 'EVE'] as const) {
    it(`${type}: mahalanobis agrees with the log-density's closed form`, async () => {
      const gmm = await new GaussianMixture({ nComponents: 2, covarianceType: type, seed: 2, init: 'kmeans' }).fit(X);
      const M = gmm.mahalanobis(X.slice(0, 40));
      expect(M.rows).toBe(40);
      expect(M.cols).toBe(2);
      // Closed form per component from the full covariance: (x - mu)^T Sigma^-1 (x - mu) by a 2 x 2 inverse.
      const full = (gmm.covariances as unknown) as number[][][] | number[][] | number[];
      const cov = (c: number): number[][] => {
        if (type === 'full' || type === 'EVE') return (full as number[][][])[c];
        if (type === 'tied') return full as number[][];
        if (type === 'diag') return [[(full as number[][])[c][0], 0], [0, (full as number[][])[c][1]]];
        return [[(full as number[])[c], 0], [0, (full as number[])[c]]];
      };
      for (let i = 0; i < 40; i++) {
        for (let c = 0; c < 2; c++) {
          const S = cov(c);
          const det = S[0][0] * S[1][1] - S[0][1] * S[1][0];
          const dx = X[i][0] - gmm.means[c][0];
          const dy = X[i][1] - gmm.means[c][1];
          const expected = (S[1][1] * dx * dx - 2 * S[0][1] * dx * dy + S[0][0] * dy * dy) / det;
          expect(M.data[i * 2 + c]).toBeCloseTo(expected, 8);
        }
      }
      expect(() => gmm.mahalanobis([[1, 2, 3]])).toThrow(/3 columns, but the model was fitted with 2/);
    });
  }

  it('one component: scoreSamples = -(maha + d ln 2 pi + ln det Sigma) / 2', async () => {
    const gmm = await new GaussianMixture({ nComponents: 1, seed: 0 }).fit(X);
    const S = gmm.covariances as number[][][];
    const logDet = Math.log(S[0][0][0] * S[0][1][1] - S[0][0][1] * S[0][1][0]);
    const m = gmm.mahalanobis(X);
    const s = gmm.scoreSamples(X);
    for (let i = 0; i < X.length; i++) expect(s[i]).toBeCloseTo(-0.5 * (m.data[i] + 2 * Math.log(2 * Math.PI) + logDet), 10);
  });

  it('[Symbol.dispose] frees the backend like dispose()', async () => {
    const gmm = await new GaussianMixture({ nComponents: 2, seed: 0 }).fit(X);
    expect(gmm.backendName).not.toBeNull();
    gmm[Symbol.dispose]();
    expect(gmm.backendName).toBeNull();
    expect(gmm.predict(X).length).toBe(X.length); // the parameters stay; a backend is made again
  });
});
