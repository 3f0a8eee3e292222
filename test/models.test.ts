/**
 * mclust's fourteen covariance models through the public API, beyond the conformance fixtures: EM
 * never decreases the log-likelihood, the fitted parameters are valid, `sample` draws from them, JSON
 * round trips, the backends agree, and the four mclust names that are scikit-learn's compute exactly
 * what scikit-learn's names compute.
 */
import { describe, expect, it } from 'vitest';
import { GaussianMixture, MCLUST_MODELS } from '../src/index.js';
import type { CovarianceType, MclustModel } from '../src/index.js';
import { blobs, expectRel, precisionConsistency, relErr, cholesky } from './helpers.js';

const K = 3;
const D = 3;
const { X } = blobs(41, 240, D, K, 4);
const labels = X.map((_, i) => i % K);
// A partition close to the truth (blobs assigns row i to cluster i % K) with some rows swapped, so EM moves.
for (let i = 0; i < labels.length; i += 7) labels[i] = (labels[i] + 1) % K;

const fitted = async (type: CovarianceType, extra: Record<string, unknown> = {}) =>
  new GaussianMixture({ nComponents: K, covarianceType: type, init: { labels }, tol: 0, maxIter: 40, seed: 3, ...extra }).fit(X);

describe.each(MCLUST_MODELS.map((m) => [m]))('%s', (model: MclustModel) => {
  it('history never decreases (regCovar 0); parameters valid; covariances k x d x d', async () => {
    const gmm = await fitted(model, { regCovar: 0 });
    const h = gmm.history;
    expect(h.length).toBe(41);
    for (let t = 1; t < h.length; t++) expect(h[t], `history[${t}]`).toBeGreaterThanOrEqual(h[t - 1] - 1e-12 * Math.abs(h[t - 1]));
    const cov = gmm.covariances as number[][][];
    expect(cov.length).toBe(K);
    for (const S of cov) {
      expect(S.length).toBe(D);
      expect(cholesky(S), 'positive definite').not.toBeNull();
      for (let a = 0; a < D; a++) for (let b = 0; b < D; b++) expect(S[a][b]).toBe(S[b][a]);
    }
    expect(precisionConsistency(cov, gmm.precisionsCholesky, model, K, D), 'U U^T Sigma - I').toBeLessThan(1e-9);
    expect(gmm.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('sample draws from the fitted parameters (means and covariances within sampling error)', async () => {
    const gmm = await fitted(model);
    const n = 60000;
    const { X: S, labels: from } = gmm.sample(n, 11);
    const means = gmm.means;
    const cov = gmm.covariances as number[][][];
    for (let c = 0; c < K; c++) {
      const rows: number[][] = [];
      for (let i = 0; i < n; i++) if (from[i] === c) rows.push(Array.from(S.data.subarray(i * D, (i + 1) * D)));
      // The counts follow the weights (binomial, 6 standard deviations).
      const w = gmm.weights[c];
      expect(Math.abs(rows.length - n * w)).toBeLessThan(6 * Math.sqrt(n * w * (1 - w)));
      const m = Array.from({ length: D }, (_, a) => rows.reduce((s, r) => s + r[a], 0) / rows.length);
      for (let a = 0; a < D; a++) expect(Math.abs(m[a] - means[c][a])).toBeLessThan(6 * Math.sqrt(cov[c][a][a] / rows.length));
      const C = Array.from({ length: D }, (_, a) => Array.from({ length: D }, (_, b) => rows.reduce((s, r) => s + (r[a] - m[a]) * (r[b] - m[b]), 0) / rows.length));
      expect(relErr(C, cov[c]), `component ${c} covariance`).toBeLessThan(0.05);
    }
  });

  it('toJSON / fromJSON round trip predicts identically; WASM equals JS', async () => {
    const gmm = await fitted(model);
    const back = GaussianMixture.fromJSON(JSON.stringify(gmm));
    expect(back.covariances).toEqual(gmm.covariances);
    expect(back.precisionsCholesky).toEqual(gmm.precisionsCholesky);
    expect(Array.from(back.predictProba(X).data)).toEqual(Array.from(gmm.predictProba(X).data));
    expect(back.nParameters()).toBe(gmm.nParameters());
    const js = await fitted(model, { backend: 'js' });
    const wasm = await fitted(model, { backend: 'wasm' });
    expectRel(js.covariances, wasm.covariances, 1e-9, 'covariances js vs wasm');
    expectRel(js.means, wasm.means, 1e-10, 'means js vs wasm');
    expectRel(js.history, wasm.history, 1e-12, 'history js vs wasm');
  });
});

describe('the four mclust names that are scikit-learn\'s compute exactly the same fit', () => {
  const pairs: [CovarianceType, MclustModel][] = [['full', 'VVV'], ['tied', 'EEE'], ['diag', 'VVI'], ['spherical', 'VII']];
  for (const [sk, mc] of pairs) {
    it(`${sk} = ${mc} (default initialisation, same seed)`, async () => {
      const a = await new GaussianMixture({ nComponents: K, covarianceType: sk, seed: 9 }).fit(X);
      const b = await new GaussianMixture({ nComponents: K, covarianceType: mc, seed: 9 }).fit(X);
      expect(b.weights).toEqual(a.weights);
      expect(b.means).toEqual(a.means);
      expect(b.history).toEqual(a.history);
      expect(b.nIter).toBe(a.nIter);
      expect(b.nParameters()).toBe(a.nParameters());
      expect(b.bic(X)).toBe(a.bic(X));
      // Same numbers, in mclust's k x d x d shape.
      const full = a.covariances as unknown;
      const asBlocks =
        sk === 'full' ? full : sk === 'tied' ? Array.from({ length: K }, () => full)
          : sk === 'diag' ? (full as number[][]).map((v) => v.map((x, i) => v.map((_, j) => (i === j ? x : 0))))
            : (full as number[]).map((v) => Array.from({ length: D }, (_, i) => Array.from({ length: D }, (_, j) => (i === j ? v : 0))));
      expect(b.covariances).toEqual(asBlocks);
    });
  }
});

describe('icl', () => {
  it('equals bic - 2 sum_i log max_k r_ik, and is at least bic', async () => {
    for (const type of ['full', 'VEV', 'EII'] as CovarianceType[]) {
      const gmm = await fitted(type);
      const proba = gmm.predictProba(X);
      let entropy = 0;
      for (let i = 0; i < proba.rows; i++) entropy += Math.log(Math.max(...proba.data.subarray(i * K, (i + 1) * K)));
      expect(gmm.icl(X)).toBeCloseTo(gmm.bic(X) - 2 * entropy, 8);
      expect(gmm.icl(X)).toBeGreaterThanOrEqual(gmm.bic(X));
    }
  });
});
