/**
 * Properties of the fitted model that hold whatever the reference implementation: EM monotonicity,
 * invariances, closed forms, determinism, round-trips and the behaviour of every option.
 */
import { describe, expect, it } from 'vitest';
import { GaussianMixture } from '../src/index.js';
import type { GaussianMixtureOptions } from '../src/index.js';
import type { CovarianceType } from '../src/types.js';
import {
  TYPES,
  adjustedRandIndex,
  blobs,
  cholesky,
  covarianceBlocks,
  explicitInit,
  expectAbs,
  expectRel,
  precisionConsistency,
  referenceScores,
  relScalar,
  rng,
  snapshot,
} from './helpers.js';

const K = 3;

function model(type: CovarianceType, extra: GaussianMixtureOptions = {}): GaussianMixture {
  return new GaussianMixture({ nComponents: K, covarianceType: type, backend: 'wasm', ...extra });
}

/** Means rough enough that EM has work to do, one near each blob centre. */
function roughMeans(centres: number[][], seed: number): number[][] {
  const r = rng(seed);
  return centres.map((c) => c.map((v) => v + (r() - 0.5) * 2));
}

describe('EM monotonicity', () => {
  for (const type of TYPES) {
    for (const backend of ['js', 'wasm'] as const) {
      it(`${type} [${backend}]: history never decreases with regCovar 0`, async () => {
        // Overlapping blobs (sep 2) so EM takes many small steps; 300 rows in 3-D: well conditioned.
        const { X, centres } = blobs(11, 300, 3, K, 2);
        const gmm = model(type, { regCovar: 0, tol: 0, maxIter: 60, init: explicitInit(roughMeans(centres, 1), type, 2), backend });
        await gmm.fit(X);
        const h = gmm.history;
        expect(h.length).toBe(61);
        for (let t = 1; t < h.length; t++) {
          expect(h[t], `history[${t}] < history[${t - 1}]`).toBeGreaterThanOrEqual(h[t - 1] - 1e-12 * Math.max(1, Math.abs(h[t - 1])));
        }
        // EM made real progress (so the check above is not vacuous).
        expect(h[h.length - 1] - h[0]).toBeGreaterThan(0.01);
      });
    }
  }
});

describe('invariances', () => {
  for (const type of TYPES) {
    it(`${type}: permuting the rows does not change the fit`, async () => {
      const { X, centres } = blobs(21, 240, 4, K, 2.5);
      const init = explicitInit(roughMeans(centres, 2), type, 3);
      const perm = X.map((_, i) => i);
      const r = rng(5);
      for (let i = perm.length - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        [perm[i], perm[j]] = [perm[j], perm[i]];
      }
      const Xp = perm.map((i) => X[i]);
      const a = model(type, { init, tol: 0, maxIter: 30 });
      const b = model(type, { init, tol: 0, maxIter: 30 });
      await a.fit(X);
      await b.fit(Xp);
      // Reference: the fit on the unpermuted rows.
      expectRel(b.weights, a.weights, 1e-9, 'weights');
      expectRel(b.means, a.means, 1e-9, 'means');
      expectRel(b.covariances, a.covariances, 1e-9, 'covariances');
      expectRel(b.history, a.history, 1e-9, 'history');
      const la = a.predict(X);
      const lb = b.predict(Xp);
      expect(perm.map((i) => la[i])).toEqual(Array.from(lb));
    });

    it(`${type}: data shifted by 1e8 fits as well as unshifted data`, async () => {
      const SHIFT = 1e8;
      const { X, centres } = blobs(31, 300, 3, K, 2.5);
      const init = explicitInit(roughMeans(centres, 3), type, 2);
      const Xs = X.map((row) => row.map((v) => v + SHIFT));
      const initS = { ...init, means: init.means.map((m) => m.map((v) => v + SHIFT)) };
      const a = model(type, { init, tol: 0, maxIter: 25 });
      const b = model(type, { init: initS, tol: 0, maxIter: 25 });
      await a.fit(X);
      await b.fit(Xs);
      // Reference: the unshifted fit. X + 1e8 is itself rounded at ~1e-8, so ~1e-6 is the fair bar.
      expectAbs(
        b.means.map((m) => m.map((v) => v - SHIFT)),
        a.means,
        1e-6,
        'means - 1e8',
      );
      expectRel(b.covariances, a.covariances, 1e-6, 'covariances');
      expectRel(b.weights, a.weights, 1e-6, 'weights');
      expect(relScalar(b.score(Xs), a.score(X))).toBeLessThan(1e-6);
      expectRel(b.history, a.history, 1e-6, 'history');
      for (const c of covarianceBlocks(b.covariances, type, K, 3)) expect(cholesky(c)).not.toBeNull();
    });
  }
});

describe('structure of the fitted parameters', () => {
  for (const type of TYPES) {
    it(`${type}: weights sum to 1, covariances symmetric positive definite, precisions consistent`, async () => {
      for (const [seed, d] of [
        [41, 1],
        [42, 2],
        [43, 6],
      ] as const) {
        const { X } = blobs(seed, 200, d, K, 1.5);
        const gmm = model(type, { seed });
        await gmm.fit(X);
        const w = gmm.weights;
        expect(w.length).toBe(K);
        expect(Math.abs(w.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-12);
        for (const v of w) expect(v).toBeGreaterThan(0);
        const blocks = covarianceBlocks(gmm.covariances, type, K, d);
        expect(blocks.length).toBe(type === 'tied' ? 1 : K);
        for (const C of blocks) {
          for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) expect(C[i][j]).toBe(C[j][i]);
          expect(cholesky(C), 'Cholesky of a fitted covariance').not.toBeNull();
        }
        expect(precisionConsistency(gmm.covariances, gmm.precisionsCholesky, type, K, d)).toBeLessThan(1e-9);
        // Shapes (scikit-learn): full k x d x d, tied d x d, diag k x d, spherical k.
        const shape = { full: [K, d, d], tied: [d, d], diag: [K, d], spherical: [K] }[type];
        let node: unknown = gmm.covariances;
        for (const len of shape) {
          expect(Array.isArray(node)).toBe(true);
          expect((node as unknown[]).length).toBe(len);
          node = (node as unknown[])[0];
        }
        expect(typeof node).toBe('number');
        expect(gmm.means.length).toBe(K);
        expect(gmm.means[0].length).toBe(d);
      }
    });
  }

  it('predictProba rows sum to 1 and predict is their argmax', async () => {
    const { X } = blobs(44, 150, 2, K, 1.2);
    const gmm = model('full', { seed: 1 });
    await gmm.fit(X);
    const p = gmm.predictProba(X);
    const labels = gmm.predict(X);
    for (let i = 0; i < p.rows; i++) {
      const row = Array.from(p.data.subarray(i * K, (i + 1) * K));
      expect(Math.abs(row.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-12);
      expect(row[labels[i]]).toBe(Math.max(...row));
    }
    // Reference: the total log-likelihood from an independent scorer (helpers.referenceScores, textbook
    // formulas) and the closed-form parameter count, not the package's own score().
    const { logProb } = referenceScores(X, gmm.weights, gmm.means, covarianceBlocks(gmm.covariances, 'full', K, 2));
    const total = logProb.reduce((s, v) => s + v, 0);
    expect(relScalar(gmm.score(X), total / X.length)).toBeLessThan(1e-12);
    const p0 = K * 2 + K - 1 + (K * 2 * 3) / 2; // k d + (k - 1) + k d (d + 1) / 2
    expect(gmm.nParameters()).toBe(p0);
    expect(relScalar(gmm.bic(X), -2 * total + p0 * Math.log(X.length))).toBeLessThan(1e-12);
    expect(relScalar(gmm.aic(X), -2 * total + 2 * p0)).toBeLessThan(1e-12);
  });

  it('nParameters follows the closed form for every covariance type', async () => {
    const d = 4;
    const { X } = blobs(45, 120, d, K, 3);
    // Closed forms (DESIGN.md): k d + (k - 1) + {full k d(d+1)/2, tied d(d+1)/2, diag k d, spherical k}.
    const expected = { full: 12 + 2 + 30, tied: 12 + 2 + 10, diag: 12 + 2 + 12, spherical: 12 + 2 + 3 };
    for (const type of TYPES) {
      const gmm = model(type, { seed: 1 });
      await gmm.fit(X);
      expect(gmm.nParameters()).toBe(expected[type]);
    }
  });
});

describe('fitPredict', () => {
  for (const nInit of [1, 3]) {
    for (const type of TYPES) {
      it(`${type}, nInit ${nInit}: the labels are the argmax of the returned parameters' posteriors, computed independently`, async () => {
        const { X } = blobs(51, 180, 3, K, 1.2);
        const a = model(type, { seed: 9, nInit });
        const labels = await a.fitPredict(X);
        // Reference: helpers.referenceScores at the returned parameters (textbook formulas).
        const { logJoint, logProb } = referenceScores(X, a.weights, a.means, covarianceBlocks(a.covariances, type, K, 3));
        for (let i = 0; i < X.length; i++) {
          const row = logJoint[i];
          const best = row.indexOf(Math.max(...row));
          // Rows whose top two components tie to rounding may go either way.
          const margin = row[best] - Math.max(...row.filter((_, c) => c !== best));
          if (margin > 1e-9) expect(labels[i], `row ${i}`).toBe(best);
        }
        // The final E-step: the history closes with the mean log-likelihood at the returned parameters.
        const mean = logProb.reduce((s, v) => s + v, 0) / X.length;
        expect(relScalar(a.history[a.history.length - 1], mean)).toBeLessThan(1e-12);
      });
    }
  }

  it('nInit keeps the parameters of the run with the highest final lower bound', async () => {
    const { X } = blobs(52, 150, 2, 4, 1.0);
    // Per restart, every mean log-likelihood onIteration reports (the run's history).
    const runs = new Map<number, number[]>();
    const gmm = new GaussianMixture({
      nComponents: 4,
      seed: 4,
      nInit: 5,
      init: 'random',
      tol: 0,
      maxIter: 6,
      backend: 'js',
      onIteration: (info) => void (runs.get(info.init) ?? runs.set(info.init, []).get(info.init)!).push(info.meanLogLikelihood),
    });
    await gmm.fit(X);
    expect([...runs.keys()].sort()).toEqual([0, 1, 2, 3, 4]);
    const finals = [...runs.entries()].map(([r, h]) => [r, h[h.length - 1]] as const).sort((p, q) => q[1] - p[1]);
    // Not vacuous: the restarts end clearly apart, so keeping the wrong one would show.
    expect(finals[0][1] - finals[1][1]).toBeGreaterThan(1e-6);
    const winner = runs.get(finals[0][0])!;
    expect(gmm.lowerBound).toBe(winner[winner.length - 1]);
    // The kept history is the winner's, and its last entry (the final E-step at the kept parameters,
    // scored independently here) continues the winner's run: EM does not decrease it.
    const h = gmm.history;
    expect(h.slice(0, -1)).toEqual(winner);
    const { logProb } = referenceScores(X, gmm.weights, gmm.means, covarianceBlocks(gmm.covariances, 'full', 4, 2));
    const last = logProb.reduce((s, v) => s + v, 0) / X.length;
    expect(relScalar(h[h.length - 1], last)).toBeLessThan(1e-12);
    expect(last).toBeGreaterThanOrEqual(winner[winner.length - 1] - 1e-12);
    expect(last - finals[1][1]).toBeGreaterThan(0);
  });
});

describe('sample', () => {
  for (const type of TYPES) {
    it(`${type}: reproduces weights and means within sampling error`, async () => {
      const d = 3;
      const { X } = blobs(61, 300, d, K, 3);
      const gmm = model(type, { seed: 2 });
      await gmm.fit(X);
      const n = 20000;
      const { X: S, labels } = gmm.sample(n, 123);
      expect(S.rows).toBe(n);
      expect(S.cols).toBe(d);
      expect(S.data.length).toBe(n * d);
      expect(labels.length).toBe(n);
      const w = gmm.weights;
      const mu = gmm.means;
      const blocks = covarianceBlocks(gmm.covariances, type, K, d);
      for (let c = 0; c < K; c++) {
        const rowsC: number[] = [];
        for (let i = 0; i < n; i++) if (labels[i] === c) rowsC.push(i);
        const frac = rowsC.length / n;
        const se = Math.sqrt((w[c] * (1 - w[c])) / n);
        expect(Math.abs(frac - w[c]), `weight ${c}`).toBeLessThan(4 * se);
        const C = blocks[type === 'tied' ? 0 : c];
        for (let j = 0; j < d; j++) {
          let m = 0;
          for (const i of rowsC) m += S.data[i * d + j];
          m /= rowsC.length;
          const seMean = Math.sqrt(C[j][j] / rowsC.length);
          expect(Math.abs(m - mu[c][j]), `mean ${c},${j}`).toBeLessThan(4.5 * seMean);
          let v = 0;
          for (const i of rowsC) v += (S.data[i * d + j] - mu[c][j]) ** 2;
          v /= rowsC.length;
          // Var of a sample variance of normals = 2 sigma^4 / n.
          expect(Math.abs(v - C[j][j]), `variance ${c},${j}`).toBeLessThan(4.5 * C[j][j] * Math.sqrt(2 / rowsC.length));
        }
      }
      // Same seed, same sample; another seed, another sample.
      const again = gmm.sample(n, 123);
      expect(again.X.data).toEqual(S.data);
      expect(again.labels).toEqual(labels);
      expect(gmm.sample(n, 124).X.data).not.toEqual(S.data);
    });
  }

  it('full: sample covariance matches the fitted correlation', async () => {
    const d = 2;
    const { X } = blobs(62, 400, d, 1, 0, { anisotropic: true });
    const gmm = new GaussianMixture({ nComponents: 1, seed: 1, backend: 'js' });
    await gmm.fit(X);
    const n = 20000;
    const { X: S } = gmm.sample(n, 5);
    const C = (gmm.covariances as number[][][])[0];
    const mu = gmm.means[0];
    let cxy = 0;
    for (let i = 0; i < n; i++) cxy += (S.data[2 * i] - mu[0]) * (S.data[2 * i + 1] - mu[1]);
    cxy /= n;
    // Var of a sample covariance = (s_xx s_yy + s_xy^2) / n.
    const se = Math.sqrt((C[0][0] * C[1][1] + C[0][1] ** 2) / n);
    expect(Math.abs(cxy - C[0][1])).toBeLessThan(4.5 * se);
  });
});

describe('toJSON / fromJSON', () => {
  for (const type of TYPES) {
    for (const backend of ['js', 'wasm'] as const) {
      it(`${type} [${backend}]: round-trips through JSON text and predicts identically`, async () => {
        const { X } = blobs(71, 200, 3, K, 1.5);
        const gmm = model(type, { seed: 3, backend });
        await gmm.fit(X);
        const text = JSON.stringify(gmm.toJSON());
        const back = GaussianMixture.fromJSON(JSON.parse(text));
        const fromText = GaussianMixture.fromJSON(text);
        for (const restored of [back, fromText]) {
          expect(Array.from(restored.predict(X))).toEqual(Array.from(gmm.predict(X)));
          expectAbs(restored.predictProba(X).data, gmm.predictProba(X).data, 1e-15, 'predictProba');
          expect(restored.scoreSamples(X)).toEqual(gmm.scoreSamples(X));
          expect(restored.weights).toEqual(gmm.weights);
          expect(restored.means).toEqual(gmm.means);
          expect(restored.covariances).toEqual(gmm.covariances);
          expect(restored.precisionsCholesky).toEqual(gmm.precisionsCholesky);
          expect(restored.converged).toBe(gmm.converged);
          expect(restored.nIter).toBe(gmm.nIter);
          expect(restored.lowerBound).toBe(gmm.lowerBound);
          expect(restored.history).toEqual(gmm.history);
          expect(restored.bic(X)).toBe(gmm.bic(X));
          expect(restored.nParameters()).toBe(gmm.nParameters());
          expect(restored.options.covarianceType).toBe(type);
          // The restored model samples exactly as the original.
          expect(restored.sample(50, 8).X.data).toEqual(gmm.sample(50, 8).X.data);
        }
      });
    }
  }
});

describe('determinism', () => {
  for (const backend of ['js', 'wasm'] as const) {
    it(`[${backend}] same seed and options give bit-identical results; other seeds differ`, async () => {
      const { X } = blobs(81, 200, 3, K, 1.0);
      const fit = async (seed: number, init: GaussianMixtureOptions['init']) => {
        const gmm = model('full', { seed, backend, init, nInit: 2 });
        await gmm.fit(X);
        return gmm;
      };
      for (const init of ['kmeans', 'kmeans++', 'random', 'random_from_data'] as const) {
        const a = await fit(17, init);
        const b = await fit(17, init);
        expect(b.weights, init).toEqual(a.weights);
        expect(b.means, init).toEqual(a.means);
        expect(b.covariances, init).toEqual(a.covariances);
        expect(b.history, init).toEqual(a.history);
        expect(b.predictProba(X).data, init).toEqual(a.predictProba(X).data);
        const others = [await fit(18, init), await fit(19, init), await fit(20, init)];
        // At least one other seed starts elsewhere, so the history differs.
        expect(
          others.some((o) => JSON.stringify(o.history) !== JSON.stringify(a.history)),
          `${init}: different seeds all gave the same history`,
        ).toBe(true);
      }
    });
  }
});

describe('initialisation strategies', () => {
  const { X, labels: truth, centres } = blobs(91, 300, 2, K, 10);
  const strategies: [string, GaussianMixtureOptions['init']][] = [
    ['kmeans', 'kmeans'],
    ['kmeans++', 'kmeans++'],
    ['random', 'random'],
    ['random_from_data', 'random_from_data'],
    ['labels', { labels: truth }],
    ['partial means', { means: roughMeans(centres, 4) }],
    ['partial means + weights', { means: roughMeans(centres, 5), weights: [0.2, 0.3, 0.5] }],
    ['partial covariances', { covariances: [[[1, 0], [0, 1]], [[2, 0], [0, 2]], [[1, 0.5], [0.5, 1]]] }],
  ];
  for (const [name, init] of strategies) {
    for (const type of ['full', 'diag'] as const) {
      it(`${name} (${type}): valid fit that recovers well-separated blobs`, async () => {
        // 'random' (scikit-learn's: uniform random responsibilities) starts with every component near
        // the global mean, so L barely moves at first and the default tol 1e-3 stops after 2 iterations
        // (scikit-learn does the same); a small tol lets EM leave that plateau.
        const tol = name === 'random' ? 1e-8 : 1e-3;
        const gmm = model(type, { seed: 6, tol, init: type === 'diag' && name === 'partial covariances' ? { covariances: [[1, 1], [2, 2], [1, 3]] } : init });
        const labels = await gmm.fitPredict(X);
        expect(adjustedRandIndex(labels, truth)).toBeGreaterThan(0.95);
        expect(gmm.converged).toBe(true);
        expect(Math.abs(gmm.weights.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-12);
        // Each fitted mean is close to one true centre (blobs have unit-ish spread, centres ~10 apart).
        for (const m of gmm.means) {
          const dist = Math.min(...centres.map((c) => Math.hypot(...c.map((v, j) => v - m[j]))));
          expect(dist).toBeLessThan(0.5);
        }
      });
    }
  }

  it("'kmeans' on more rows than the k-means subsample labels every row and recovers the blobs", async () => {
    // 120 000 rows > KMEANS_SUBSAMPLE (100 000): Lloyd runs on a seeded subsample, then every row is
    // labelled by its nearest centre. Reference: the generating labels.
    const big = blobs(92, 120_000, 2, K, 10);
    const a = model('full', { seed: 3, maxIter: 0 });
    const b = model('full', { seed: 3, maxIter: 0 });
    await a.fit(big.X);
    await b.fit(big.X);
    expect(adjustedRandIndex(a.predict(big.X), big.labels)).toBeGreaterThan(0.95);
    expect(a.means).toEqual(b.means); // same seed, same subsample, same result
  });

  it('{ labels } with maxIter 0 gives group fractions, group means and group ML covariances (closed form)', async () => {
    const d = 3;
    const { X } = blobs(92, 90, d, K, 2);
    // Unbalanced groups: 15, 30, 45 rows.
    const labels = X.map((_, i) => (i < 15 ? 0 : i < 45 ? 1 : 2));
    const regCovar = 1e-6;
    for (const type of TYPES) {
      const gmm = model(type, { init: { labels }, maxIter: 0, regCovar });
      await gmm.fit(X);
      expect(gmm.nIter).toBe(0);
      expect(gmm.converged).toBe(false);
      const sizes = [15, 30, 45];
      // Closed form: weights = n_c / n.
      expectRel(gmm.weights, sizes.map((s) => s / 90), 1e-14, 'weights');
      // Closed form: means = group means.
      const means = sizes.map((_, c) => {
        const rowsC = X.filter((_, i) => labels[i] === c);
        return Array.from({ length: d }, (_, j) => rowsC.reduce((s, r) => s + r[j], 0) / rowsC.length);
      });
      expectRel(gmm.means, means, 1e-13, 'means');
      // Closed form: ML covariances (divide by n_c) + regCovar on the diagonal.
      const covs = sizes.map((_, c) => {
        const rowsC = X.filter((_, i) => labels[i] === c);
        return Array.from({ length: d }, (_, a) =>
          Array.from({ length: d }, (_, b) => rowsC.reduce((s, r) => s + (r[a] - means[c][a]) * (r[b] - means[c][b]), 0) / rowsC.length + (a === b ? regCovar : 0)),
        );
      });
      const expected =
        type === 'full'
          ? covs
          : type === 'tied'
            ? Array.from({ length: d }, (_, a) =>
                Array.from({ length: d }, (_, b) => sizes.reduce((s, nc, c) => s + nc * (covs[c][a][b] - (a === b ? regCovar : 0)), 0) / 90 + (a === b ? regCovar : 0)),
              )
            : type === 'diag'
              ? covs.map((C) => C.map((r, a) => r[a]))
              : covs.map((C) => C.reduce((s, r, a) => s + r[a], 0) / d);
      expectRel(gmm.covariances, expected, 1e-12, `${type} covariances`);
      expect(gmm.history.length).toBe(1);
      expect(relScalar(gmm.history[0], gmm.score(X))).toBeLessThan(1e-13);
    }
  });

  it('{ labels } leaving a component empty still gives finite parameters (the 10-epsilon guard on N_k)', async () => {
    const { X } = blobs(94, 60, 2, 2, 4);
    for (const type of TYPES) {
      for (const backend of ['js', 'wasm'] as const) {
        const gmm = model(type, { init: { labels: X.map((_, i) => i % 2) }, backend }); // component 2 gets no rows
        await gmm.fit(X);
        const all = [gmm.weights, gmm.means, gmm.covariances, gmm.history].flat(3) as number[];
        expect(all.every(Number.isFinite), `${type} [${backend}]: non-finite parameters`).toBe(true);
        expect(Math.abs(gmm.weights.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-12);
        expect(gmm.weights[2]).toBeLessThan(1e-10);
        const labels = gmm.predict(X);
        expect(labels.every((l) => l === 0 || l === 1)).toBe(true);
      }
    }
  });

  it('full explicit parameters with maxIter 0: the model is exactly the given parameters', async () => {
    const init = {
      weights: [0.25, 0.25, 0.5],
      means: [[0, 0], [5, 5], [-5, 3]],
      covariances: [[[1, 0.2], [0.2, 2]], [[1, 0], [0, 1]], [[3, -1], [-1, 2]]],
    };
    const { X } = blobs(93, 60, 2, K, 3);
    const gmm = model('full', { init, maxIter: 0 });
    await gmm.fit(X);
    expect(gmm.weights).toEqual(init.weights);
    expect(gmm.means).toEqual(init.means);
    expect(gmm.covariances).toEqual(init.covariances);
    expect(gmm.nIter).toBe(0);
    expect(gmm.converged).toBe(false);
    expect(gmm.history.length).toBe(1);
  });
});

describe('sample weights', () => {
  for (const type of TYPES) {
    for (const backend of ['js', 'wasm'] as const) {
      it(`${type} [${backend}]: integer weights equal repeated rows; zero weight equals a dropped row`, async () => {
        const { X, centres } = blobs(101, 120, 3, K, 2);
        const r = rng(7);
        const sampleWeight = X.map(() => Math.floor(r() * 4)); // 0..3
        const repeated: number[][] = [];
        X.forEach((row, i) => {
          for (let t = 0; t < sampleWeight[i]; t++) repeated.push(row);
        });
        const init = explicitInit(roughMeans(centres, 8), type, 2);
        const a = model(type, { init, tol: 0, maxIter: 20, backend });
        const b = model(type, { init, tol: 0, maxIter: 20, backend });
        await a.fit(X, { sampleWeight });
        await b.fit(repeated);
        // Reference: the fit on explicitly repeated rows.
        expectRel(a.weights, b.weights, 1e-10, 'weights');
        expectRel(a.means, b.means, 1e-10, 'means');
        expectRel(a.covariances, b.covariances, 1e-10, 'covariances');
        expectRel(a.history, b.history, 1e-10, 'history');
        expect(a.nIter).toBe(b.nIter);
      });
    }
  }

  it("'random_from_data' and 'kmeans++' never seed a component on a zero-weight row", async () => {
    // 120 weighted rows in 3 blobs plus 400 far-away rows of weight 0: a seed on one of those would
    // leave its component with no weight at all (weight ~1e-16 after initialisation).
    const { X } = blobs(11, 120, 2, K, 8);
    const far = Array.from({ length: 400 }, (_, i) => [1000 + i, -1000 - i]);
    const sampleWeight = [...X.map(() => 1), ...far.map(() => 0)];
    for (const init of ['random_from_data', 'kmeans++'] as const) {
      for (let seed = 0; seed < 10; seed++) {
        const gmm = model('full', { init, seed, maxIter: 0 });
        await gmm.fit([...X, ...far], { sampleWeight });
        for (const w of gmm.weights) expect(w, `${init} seed ${seed}`).toBeGreaterThan(0.05);
      }
    }
  });

  it('uniform weights of 2.5 give the same fit as no weights', async () => {
    const { X, centres } = blobs(102, 150, 2, K, 2);
    const init = explicitInit(roughMeans(centres, 9), 'full', 2);
    const a = model('full', { init, tol: 0, maxIter: 15 });
    const b = model('full', { init, tol: 0, maxIter: 15 });
    await a.fit(X, { sampleWeight: new Array(X.length).fill(2.5) });
    await b.fit(X);
    expectRel(a.means, b.means, 1e-12, 'means');
    expectRel(a.covariances, b.covariances, 1e-12, 'covariances');
    expectRel(a.history, b.history, 1e-12, 'history');
  });
});

describe('maxIter, onIteration, abort, warmStart', () => {
  const { X, centres } = blobs(111, 200, 2, K, 1.5);

  it('maxIter 0 only initialises', async () => {
    for (const init of ['kmeans', 'random'] as const) {
      let calls = 0;
      const gmm = model('full', { seed: 1, maxIter: 0, init, onIteration: () => void calls++ });
      await gmm.fit(X);
      expect(gmm.nIter).toBe(0);
      expect(gmm.converged).toBe(false);
      expect(calls).toBe(0);
      expect(gmm.history.length).toBe(1);
      expect(relScalar(gmm.history[0], gmm.score(X))).toBeLessThan(1e-13);
      expect(gmm.predict(X).length).toBe(X.length);
    }
  });

  it('onIteration is called once per iteration with { init, iter, meanLogLikelihood, change }', async () => {
    const infos: { init: number; iter: number; meanLogLikelihood: number; change: number }[] = [];
    // One start (k-means): the iterations of the run reported are those of the result.
    const gmm = model('full', { seed: 2, init: 'kmeans', onIteration: (info) => void infos.push({ ...info }) });
    await gmm.fit(X);
    expect(infos.length).toBe(gmm.nIter);
    const h = gmm.history;
    infos.forEach((info, t) => {
      expect(Object.keys(info).sort()).toEqual(['change', 'init', 'iter', 'meanLogLikelihood']);
      expect(info.init).toBe(0);
      expect(info.iter).toBe(t + 1);
      // L of iteration t + 1 is evaluated before its M-step: the mean log-likelihood after t updates.
      expect(info.meanLogLikelihood).toBe(h[t]);
      expect(info.change).toBe(t === 0 ? Infinity : h[t] - h[t - 1]);
    });
    expect(gmm.converged).toBe(true);
    expect(Math.abs(infos[infos.length - 1].change)).toBeLessThan(1e-3);
  });

  it('onIteration reports every restart with its index', async () => {
    const perInit = new Map<number, number[]>();
    const gmm = model('full', {
      seed: 2,
      nInit: 3,
      init: 'kmeans',
      onIteration: (info) => {
        if (!perInit.has(info.init)) perInit.set(info.init, []);
        perInit.get(info.init)!.push(info.iter);
      },
    });
    await gmm.fit(X);
    expect([...perInit.keys()]).toEqual([0, 1, 2]);
    for (const iters of perInit.values()) expect(iters).toEqual(iters.map((_, i) => i + 1));
  });

  it('returning false from onIteration stops the fit', async () => {
    let calls = 0;
    const gmm = model('full', {
      seed: 3,
      tol: 0,
      maxIter: 50,
      init: 'kmeans',
      onIteration: (info) => {
        calls++;
        return info.iter < 3;
      },
    });
    await gmm.fit(X);
    expect(calls).toBe(3);
    expect(gmm.nIter).toBe(3);
    expect(gmm.converged).toBe(false);
    expect(gmm.history.length).toBe(4);
  });

  it('returning false from onIteration stops the whole fit, also with nInit > 1', async () => {
    const seen: number[] = [];
    const gmm = model('full', {
      seed: 3,
      tol: 0,
      maxIter: 50,
      nInit: 3,
      init: 'kmeans',
      onIteration: (info) => {
        seen.push(info.init);
        return info.iter < 2;
      },
    });
    await gmm.fit(X);
    // DESIGN.md / options.ts: "returning false stops the fit" — no further restarts run.
    expect(seen).toEqual([0, 0]);
    expect(gmm.nIter).toBe(2);
    expect(gmm.converged).toBe(false);
  });

  it('relTol stops at the first iteration whose relative change is below it', async () => {
    const init = explicitInit(roughMeans(centres, 14), 'full', 2);
    const ref = model('full', { init, tol: 0, maxIter: 40 });
    await ref.fit(X);
    const h = ref.history; // reference: the same run without a stopping rule
    const relTol = 1e-3;
    // Iteration t (1-based) evaluates h[t - 1]; its change is h[t - 1] - h[t - 2].
    let expected = 0;
    for (let t = 2; t <= 40; t++) {
      if (Math.abs((h[t - 1] - h[t - 2]) / h[t - 2]) < relTol) {
        expected = t;
        break;
      }
    }
    expect(expected).toBeGreaterThan(2);
    const gmm = model('full', { init, tol: 0, relTol, maxIter: 40 });
    await gmm.fit(X);
    expect(gmm.nIter).toBe(expected);
    expect(gmm.converged).toBe(true);
    // Entries 0..expected-1 come from the same EM passes; the last from the final E-step (score
    // kernel), which may round differently from the fused pass.
    expect(gmm.history.slice(0, expected)).toEqual(h.slice(0, expected));
    expectRel(gmm.history, h.slice(0, expected + 1), 1e-13, 'history');
  });

  it('tol: stops at the first iteration whose absolute change is below it (scikit-learn semantics)', async () => {
    const init = explicitInit(roughMeans(centres, 15), 'diag', 2);
    const ref = model('diag', { init, tol: 0, maxIter: 40 });
    await ref.fit(X);
    const h = ref.history;
    const tol = 1e-4;
    let expected = 0;
    for (let t = 2; t <= 40; t++) {
      if (Math.abs(h[t - 1] - h[t - 2]) < tol) {
        expected = t;
        break;
      }
    }
    expect(expected).toBeGreaterThan(2);
    const gmm = model('diag', { init, tol, maxIter: 40 });
    await gmm.fit(X);
    expect(gmm.nIter).toBe(expected);
    expect(gmm.converged).toBe(true);
    expect(gmm.lowerBound).toBe(h[expected - 1]);
  });

  it('an already-aborted signal rejects with an AbortError', async () => {
    const controller = new AbortController();
    controller.abort();
    const gmm = model('full', { seed: 1, signal: controller.signal });
    await expect(gmm.fit(X)).rejects.toMatchObject({ name: 'AbortError' });
    expect(() => gmm.predict(X)).toThrow(expect.objectContaining({ code: 'NOT_FITTED' }));
  });

  it('aborting during onIteration rejects with an AbortError and stops iterating', async () => {
    for (const backend of ['js', 'wasm'] as const) {
      const controller = new AbortController();
      let calls = 0;
      const gmm = model('full', {
        seed: 1,
        tol: 0,
        maxIter: 50,
        backend,
        signal: controller.signal,
        onIteration: (info) => {
          calls++;
          if (info.iter === 2) controller.abort();
        },
      });
      await expect(gmm.fit(X)).rejects.toMatchObject({ name: 'AbortError' });
      expect(calls).toBe(2);
    }
  });

  it('warmStart continues from the previous parameters', async () => {
    const init = explicitInit(roughMeans(centres, 10), 'full', 2);
    // Reference: one cold fit of 5 iterations from init.
    const cold = model('full', { init, tol: 0, maxIter: 5 });
    await cold.fit(X);
    const warm = model('full', { init, tol: 0, maxIter: 1, warmStart: true });
    await warm.fit(X);
    let previousFinal = warm.history[warm.history.length - 1];
    const firstMeans = warm.means;
    for (let t = 2; t <= 5; t++) {
      await warm.fit(X);
      expect(warm.nIter).toBe(1);
      // The second fit starts at the first fit's final parameters: its history[0] is their L.
      // (history[0] comes from the fused EM pass, previousFinal from the final E-step: equal to rounding.)
      expect(relScalar(warm.history[0], previousFinal)).toBeLessThan(1e-13);
      previousFinal = warm.history[warm.history.length - 1];
    }
    expect(warm.means).not.toEqual(firstMeans);
    expectRel(warm.means, cold.means, 1e-12, 'means');
    expectRel(warm.covariances, cold.covariances, 1e-12, 'covariances');
    expectRel(warm.weights, cold.weights, 1e-12, 'weights');
    expect(relScalar(warm.score(X), cold.score(X))).toBeLessThan(1e-12);
  });

  it('without warmStart a second fit starts again from init', async () => {
    const init = explicitInit(roughMeans(centres, 10), 'full', 2);
    const gmm = model('full', { init, tol: 0, maxIter: 2 });
    await gmm.fit(X);
    const first = { means: gmm.means, history: gmm.history };
    await gmm.fit(X);
    expect(gmm.means).toEqual(first.means);
    expect(gmm.history).toEqual(first.history);
  });
});

describe('input forms', () => {
  const { X, centres } = blobs(121, 200, 3, K, 2);
  const n = X.length;
  const d = 3;

  for (const backend of ['js', 'wasm'] as const) {
    it(`[${backend}] Float32Array input fits like the widened Float64 values and nearly like the original`, async () => {
      const init = explicitInit(roughMeans(centres, 11), 'full', 2);
      const f32 = new Float32Array(n * d);
      X.forEach((row, i) => f32.set(row, i * d));
      const widened = Float64Array.from(f32);
      const a = model('full', { init, tol: 0, maxIter: 20, backend });
      const b = model('full', { init, tol: 0, maxIter: 20, backend });
      const c = model('full', { init, tol: 0, maxIter: 20, backend });
      await a.fit({ data: f32, rows: n, cols: d });
      await b.fit({ data: widened, rows: n, cols: d });
      await c.fit(X);
      // Same values in f64: identical.
      expect(a.means).toEqual(b.means);
      expect(a.covariances).toEqual(b.covariances);
      expect(a.history).toEqual(b.history);
      // Rounded to f32 (relative 6e-8): nearly the float64 fit.
      expectRel(a.means, c.means, 1e-5, 'means vs float64');
      expectRel(a.covariances, c.covariances, 1e-5, 'covariances vs float64');
      expect(Array.from(a.predict({ data: f32, rows: n, cols: d }))).toEqual(Array.from(c.predict(X)));
    });
  }

  it('nested arrays, arrays of typed rows and flat typed input give identical fits', async () => {
    const flatData = new Float64Array(n * d);
    X.forEach((row, i) => flatData.set(row, i * d));
    const typedRows = X.map((r) => Float64Array.from(r));
    const fits = [];
    for (const input of [X, typedRows, { data: flatData, rows: n, cols: d }]) {
      const gmm = model('full', { seed: 4 });
      await gmm.fit(input);
      fits.push(gmm);
    }
    expect(fits[1].means).toEqual(fits[0].means);
    expect(fits[2].means).toEqual(fits[0].means);
    expect(fits[2].history).toEqual(fits[0].history);
  });

  it('inputs are never mutated (X, sampleWeight, init arrays, predict inputs)', async () => {
    const flatData = new Float64Array(n * d);
    X.forEach((row, i) => flatData.set(row, i * d));
    const f32 = Float32Array.from(flatData);
    const sampleWeight = X.map((_, i) => 1 + (i % 3));
    const swTyped = Float64Array.from(sampleWeight);
    const labels = X.map((_, i) => i % K);
    const inits: GaussianMixtureOptions['init'][] = [
      explicitInit(roughMeans(centres, 12), 'full', 2),
      { labels },
      { labels: Int32Array.from(labels) },
      { means: roughMeans(centres, 13) },
    ];
    for (const init of inits) {
      for (const [input, sw] of [
        [X, sampleWeight],
        [{ data: flatData, rows: n, cols: d }, swTyped],
        [{ data: f32, rows: n, cols: d }, undefined],
      ] as const) {
        const before = snapshot({ input, sw, init });
        for (const backend of ['js', 'wasm'] as const) {
          const gmm = model('full', { init, backend, seed: 1 });
          await gmm.fit(input, sw === undefined ? {} : { sampleWeight: sw });
          gmm.predict(input);
          gmm.predictProba(input);
          gmm.scoreSamples(input);
          gmm.bic(input);
          await gmm.fitPredict(input);
          // Mutating what the getters return does not touch the model either.
          const m = gmm.means;
          m[0][0] = 1e9;
          expect(gmm.means[0][0]).not.toBe(1e9);
          const h = gmm.history;
          h[0] = 1e9;
          expect(gmm.history[0]).not.toBe(1e9);
        }
        expect({ input, sw, init }).toEqual(before);
      }
    }
  });

  it('results do not alias WebAssembly memory (they survive dispose and later calls)', async () => {
    const gmm = model('full', { seed: 1 });
    await gmm.fit(X);
    const p = gmm.predictProba(X);
    const copy = Float64Array.from(p.data);
    const s = gmm.scoreSamples(X);
    const sCopy = Float64Array.from(s);
    gmm.predictProba(X.slice(0, 10).map((r) => r.map((v) => v + 5)));
    gmm.dispose();
    expect(p.data).toEqual(copy);
    expect(s).toEqual(sCopy);
    // A disposed model keeps its parameters and predicts again (re-creating a backend).
    expect(gmm.predictProba(X).data).toEqual(copy);
  });
});
