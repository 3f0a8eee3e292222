/**
 * Missing values (missingValues: 'em', src/missing.ts): conformance with the exact incomplete-data EM
 * trajectories of test/fixtures/missing (copied from ../shared/conformance/missing; see
 * fixtures/README.md), the pass's statistics against a direct per-row evaluation of the formulas,
 * monotonicity for every covariance type, a simulation against complete-case deletion and mean
 * imputation, impute(), and the errors.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GaussianMixture, MCLUST_MODELS } from '../src/index.js';
import type { CovarianceType } from '../src/index.js';
// @ts-ignore -- the built package (npm run build), for the worker path (dist/worker.js).
import * as built from '../dist/index.js';
import type * as Src from '../src/index.js';
import { createBackend } from '../src/backend/create.js';
import { factorize } from '../src/params.js';
import { SufficientStatistics } from '../src/statistics.js';
import { MissingEngine, smallPattern } from '../src/missing.js';
import { kernelFamily } from '../src/types.js';
import { blobs, expectAbs, expectRel, normalGen, relErr, relScalar, rng, snapshot } from './helpers.js';

interface MissingFixture {
  name: string;
  covarianceType: 'full' | 'tied' | 'diag' | 'spherical';
  nComponents: number;
  regCovar: number;
  X: (number | null)[][];
  init: { weights: number[]; means: number[][]; covariances: unknown };
  trajectory: { iter: number; weights: number[]; means: number[][]; covariances: unknown; meanLogLikelihood: number }[];
  final: { predictProba: number[][]; scoreSamples: number[] };
}

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'missing');
const fixtures: MissingFixture[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as MissingFixture);
const ALL_TYPES: CovarianceType[] = ['full', 'tied', 'diag', 'spherical', ...MCLUST_MODELS];

/** The fixture rows with NaN for null, as a typed matrix. */
function typed(X: (number | null)[][]): { data: Float64Array; rows: number; cols: number } {
  const d = X[0].length;
  const data = new Float64Array(X.length * d);
  X.forEach((r, i) => r.forEach((v, j) => (data[i * d + j] = v === null ? NaN : v)));
  return { data, rows: X.length, cols: d };
}

/** n x d rows of a mixture with 20 % (or `rate`) of entries missing completely at random; no row all missing. */
function withHoles(X: number[][], rate: number, seed: number): number[][] {
  const u = rng(seed);
  return X.map((row) => {
    for (;;) {
      const r = row.map((v) => (u() < rate ? NaN : v));
      if (r.some((v) => !Number.isNaN(v))) return r;
    }
  });
}

describe('fixtures are present', () => {
  it('has the 12 dataset x covariance-type files', () => {
    expect(fixtures.length).toBe(12);
    expect(fixtures.every((f) => f.X.some((r) => r.includes(null)))).toBe(true);
  });
});

for (const fx of fixtures) {
  const k = fx.nComponents;
  for (const backend of ['wasm', 'js'] as const) {
    describe(`${fx.name} [${backend}]`, () => {
      for (const t of [1, 2, 10]) {
        it(`parameters and history after ${t} update(s)`, async () => {
          const gmm = new GaussianMixture({ nComponents: k, covarianceType: fx.covarianceType, init: fx.init, tol: 0, maxIter: t, regCovar: fx.regCovar, backend, missingValues: 'em' });
          await gmm.fit(fx.X as number[][]);
          expect(gmm.backendName).toBe(backend);
          expect(gmm.nIter).toBe(t);
          const ref = fx.trajectory[t]; // exact incomplete-data EM after t updates (fixture)
          expect(ref.iter).toBe(t);
          expectRel(gmm.weights, ref.weights, 1e-8, 'weights');
          expectRel(gmm.means, ref.means, 1e-8, 'means');
          expectRel(gmm.covariances, ref.covariances, 1e-8, 'covariances');
          const h = gmm.history;
          expect(h.length).toBe(t + 1);
          for (let s = 0; s <= t; s++) {
            expect(relScalar(h[s], fx.trajectory[s].meanLogLikelihood), `history[${s}]`).toBeLessThanOrEqual(1e-10);
          }
          expect(relScalar(gmm.score(fx.X as number[][]), ref.meanLogLikelihood)).toBeLessThanOrEqual(1e-10);
          if (t === 10) {
            // fixture `final`: at the parameters after the last (10th) update, the first 20 rows.
            const proba = gmm.predictProba(fx.X.slice(0, 20) as number[][]);
            expectAbs(proba.data, fx.final.predictProba, 1e-8, 'predictProba');
            const ss = gmm.scoreSamples(typed(fx.X.slice(0, 20)));
            expectRel(ss, fx.final.scoreSamples, 1e-9, 'scoreSamples');
            const labels = gmm.predict(fx.X.slice(0, 20) as number[][]);
            fx.final.predictProba.forEach((r, i) => expect(r[labels[i]]).toBe(Math.max(...r)));
          }
          gmm.dispose();
        });
      }
    });
  }
}

describe('workers: 2 (built package, dist/worker.js)', () => {
  const { GaussianMixture: BuiltGM } = built as typeof Src;
  for (const fx of fixtures.filter((f) => f.name.startsWith('missing-iris') || f.name.startsWith('missing-blobs3d-full'))) {
    it(`${fx.name}: 10 updates on 2 workers match the fixture`, async () => {
      const gmm = new BuiltGM({ nComponents: fx.nComponents, covarianceType: fx.covarianceType, init: fx.init, tol: 0, maxIter: 10, regCovar: fx.regCovar, missingValues: 'em', workers: 2 });
      await gmm.fit(fx.X as number[][]);
      expect(gmm.fitWorkers).toBe(2);
      const ref = fx.trajectory[10];
      expectRel(gmm.means, ref.means, 1e-8, 'means');
      expectRel(gmm.covariances, ref.covariances, 1e-8, 'covariances');
      gmm.history.forEach((h, s) => expect(relScalar(h, fx.trajectory[s].meanLogLikelihood), `history[${s}]`).toBeLessThanOrEqual(1e-10));
    });
  }
});

describe('no missing values: missingValues "em" is the ordinary fit', () => {
  const iris = JSON.parse(readFileSync(join(DIR, '..', 'iris-full.json'), 'utf8')) as { X: number[][] };
  for (const type of ['full', 'tied', 'diag', 'spherical', 'VEV', 'EVI'] as CovarianceType[]) {
    it(`${type}: bit for bit`, async () => {
      const fit = async (missingValues: 'error' | 'em'): Promise<GaussianMixture> =>
        new GaussianMixture({ nComponents: 3, covarianceType: type, seed: 5, missingValues }).fit(iris.X);
      const [a, b] = [await fit('error'), await fit('em')];
      expect(b.means).toEqual(a.means);
      expect(b.covariances).toEqual(a.covariances);
      expect(b.weights).toEqual(a.weights);
      expect(b.history).toEqual(a.history);
      expect(Array.from(b.scoreSamples(iris.X))).toEqual(Array.from(a.scoreSamples(iris.X)));
    });
  }
});

/** Solves A x = b (Gaussian elimination with partial pivoting) and returns x and log |det A|. */
function solve(A: number[][], B: number[][]): { X: number[][]; logDet: number } {
  const n = A.length;
  const M = A.map((r, i) => [...r, ...B[i]]);
  let logDet = 0;
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
    [M[c], M[piv]] = [M[piv], M[c]];
    logDet += Math.log(Math.abs(M[c][c]));
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c] / M[c][c];
      for (let j = c; j < M[r].length; j++) M[r][j] -= f * M[c][j];
    }
  }
  return { X: M.map((r, i) => r.slice(n).map((v) => v / M[i][i])), logDet };
}

/** Per component c: E[x | x_o, c] (full vector) and Cov[x | x_o, c] (d x d, zero on observed rows/cols), log N(x_o). */
function conditional(x: number[], mu: number[], S: number[][]): { xhat: number[]; C: number[][]; logDens: number } {
  const d = x.length;
  const o = x.map((_, j) => j).filter((j) => !Number.isNaN(x[j]));
  const m = x.map((_, j) => j).filter((j) => Number.isNaN(x[j]));
  const Soo = o.map((i) => o.map((j) => S[i][j]));
  const dev = o.map((j) => [x[j] - mu[j]]);
  const Smo = m.map((a) => o.map((j) => S[a][j]));
  // z[:, 0] = Soo^-1 (x_o - mu_o), z[:, 1..] = Soo^-1 Som.
  const { X: z, logDet } = solve(Soo, o.map((j, i) => [dev[i][0], ...m.map((a) => S[j][a])]));
  const quad = o.reduce((s, _, i) => s + dev[i][0] * z[i][0], 0);
  const logDens = -0.5 * (o.length * Math.log(2 * Math.PI) + logDet + quad);
  const xhat = [...x];
  m.forEach((a, ai) => (xhat[a] = mu[a] + Smo[ai].reduce((s, v, i) => s + v * z[i][0], 0)));
  const C = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  m.forEach((a, ai) => m.forEach((b, bi) => (C[a][b] = S[a][b] - Smo[ai].reduce((s, v, i) => s + v * z[i][1 + bi], 0))));
  return { xhat, C, logDens };
}

describe('the incomplete-data pass = the formulas evaluated row by row', () => {
  // Each pattern through the kernels (a marginal factor per pattern), or row by row from the full precision.
  const paths = { kernels: () => false, rowwise: () => true } as const;
  for (const type of ['full', 'tied', 'diag', 'spherical', 'EVI'] as CovarianceType[]) {
    for (const [backendName, path] of [['wasm', 'kernels'], ['js', 'kernels'], ['wasm', 'rowwise']] as const) {
      it(`${type} [${backendName}, ${path}]: N, S1, S2 about the means, log-likelihood (weighted rows)`, async () => {
        const k = 3;
        const d = 4;
        const X = withHoles(blobs(3, 120, d, k, 4).X, 0.3, 9);
        const weights = Float64Array.from(X, (_, i) => 0.5 + (i % 3));
        const model = await new GaussianMixture({ nComponents: k, covarianceType: type, seed: 2, maxIter: 3, missingValues: 'em', backend: backendName }).fit(X);
        const fam = kernelFamily(type);
        const backend = await createBackend(backendName);
        const cov = model.covariances;
        const S = (c: number): number[][] => {
          if (type === 'full' || type === 'EVI') return (cov as number[][][])[c];
          if (type === 'tied') return cov as number[][];
          const diag = type === 'diag' ? (cov as number[][])[c] : new Array<number>(d).fill((cov as number[])[c]);
          return diag.map((v, i) => diag.map((_, j) => (i === j ? v : 0)));
        };
        const stored = (model as unknown as { state: { mixture: Parameters<typeof factorize>[0] } }).state.mixture;
        const mix = factorize(stored, backend, 0, 'test');
        const engine = new MissingEngine(backend, typed(X as number[][]), weights, k, fam, undefined, paths[path]);
        const got = new SufficientStatistics(k, d, fam);
        engine.emPass(mix.kernel, got);
        engine.release();

        const N = new Array<number>(k).fill(0);
        const S1 = Array.from({ length: k }, () => new Array<number>(d).fill(0));
        const S2 = Array.from({ length: k }, () => Array.from({ length: d }, () => new Array<number>(d).fill(0)));
        let logLik = 0;
        X.forEach((x, i) => {
          const parts = model.means.map((mu, c) => conditional(x, mu, S(c)));
          const lw = parts.map((p, c) => Math.log(model.weights[c]) + p.logDens);
          const top = Math.max(...lw);
          const lse = top + Math.log(lw.reduce((s, v) => s + Math.exp(v - top), 0));
          logLik += weights[i] * lse;
          parts.forEach((p, c) => {
            const r = weights[i] * Math.exp(lw[c] - lse);
            const mu = model.means[c];
            N[c] += r;
            for (let a = 0; a < d; a++) {
              S1[c][a] += r * (p.xhat[a] - mu[a]);
              for (let b = 0; b < d; b++) S2[c][a][b] += r * ((p.xhat[a] - mu[a]) * (p.xhat[b] - mu[b]) + p.C[a][b]);
            }
          });
        });
        expectRel(got.N, N, 1e-11, 'N');
        expectRel(got.S1, S1, 1e-10, 'S1');
        const S2got = fam === 'tri' ? S2.map((M, c) => M.map((r, a) => r.map((v, b) => (b >= a ? got.S2[c * d * d + a * d + b] : v)))) : null;
        if (S2got) expectRel(S2got, S2, 1e-10, 'S2');
        else expectRel(got.S2, S2.map((M) => M.map((r, a) => r[a])), 1e-10, 'S2 (diagonal)');
        expect(relScalar(got.logLik, logLik)).toBeLessThanOrEqual(1e-12);
        expect(got.weightSum).toBeCloseTo(weights.reduce((s, v) => s + v, 0), 10);
        backend.dispose();
      });
    }
  }
});

describe('the observed-data log-likelihood never decreases (regCovar 0)', () => {
  const X = withHoles(blobs(11, 300, 3, 3, 5).X, 0.2, 4);
  for (const type of ALL_TYPES) {
    it(type, async () => {
      const gmm = await new GaussianMixture({ nComponents: 3, covarianceType: type, init: 'kmeans', seed: 1, regCovar: 0, tol: 0, maxIter: 40, missingValues: 'em' }).fit(X);
      const h = gmm.history;
      expect(h.length).toBe(41);
      for (let t = 1; t < h.length; t++) expect(h[t] - h[t - 1], `history[${t}] < history[${t - 1}]`).toBeGreaterThanOrEqual(-1e-12 * Math.abs(h[t - 1]));
      expect(h[40]).toBeGreaterThan(h[0]);
      expect(relScalar(gmm.score(X), h[40])).toBeLessThanOrEqual(1e-12);
    });
  }
});

describe('20 % missing at random: closer to the truth than complete-case deletion and mean imputation', () => {
  it('means and covariances (full, k = 3, d = 4, n = 2000; mean error over 4 simulated data sets)', async () => {
    const d = 4;
    const k = 3;
    const n = 2000;
    // The truth: three well separated components with correlated, unequal covariances (L L^T).
    const trueMeans = [[0, 0, 0, 0], [4, 4, 0, -2], [-4, 3, 3, 2]];
    const trueChol = [0, 1, 2].map((c) => Array.from({ length: d }, (_, a) => Array.from({ length: d }, (_, b) => (a === b ? 1 + 0.3 * c : b < a ? 0.6 * Math.cos(a + b + c) : 0))));
    const trueCov = trueChol.map((L) => L.map((ra) => L.map((rb) => ra.reduce((s, v, j) => s + v * rb[j], 0))));
    const perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
    const sq = (a: number[], b: number[]): number => a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0);
    /** Distances to the truth after matching the components (the best of the k! permutations by mean error). */
    const errors = (g: GaussianMixture): [number, number] => {
      const cov = g.covariances as number[][][];
      const cost = (p: number[]): number => p.reduce((s, c, i) => s + sq(g.means[c], trueMeans[i]), 0);
      const best = perms.reduce((p, q) => (cost(q) < cost(p) ? q : p));
      return [Math.sqrt(cost(best)), Math.sqrt(best.reduce((s, c, i) => s + sq(cov[c].flat(), trueCov[i].flat()), 0))];
    };
    const fit = (X: number[][], missingValues: 'em' | 'error'): Promise<GaussianMixture> =>
      new GaussianMixture({ nComponents: k, covarianceType: 'full', seed: 3, missingValues }).fit(X);
    const sum = { em: [0, 0], completeCase: [0, 0], meanImputed: [0, 0] };
    const replicates = [77, 78, 79, 80];
    for (const seed of replicates) {
      const normal = normalGen(rng(seed));
      const full: number[][] = [];
      for (let i = 0; i < n; i++) {
        const c = i % k;
        const z = Array.from({ length: d }, normal);
        full.push(trueMeans[c].map((m, a) => m + trueChol[c][a].reduce((s, v, j) => s + v * z[j], 0)));
      }
      const holed = withHoles(full, 0.2, seed + 1000);
      const colMean = Array.from({ length: d }, (_, j) => {
        const v = holed.map((r) => r[j]).filter((x) => !Number.isNaN(x));
        return v.reduce((s, x) => s + x, 0) / v.length;
      });
      const runs = {
        em: await fit(holed, 'em'),
        completeCase: await fit(holed.filter((r) => !r.some(Number.isNaN)), 'error'),
        meanImputed: await fit(holed.map((r) => r.map((v, j) => (Number.isNaN(v) ? colMean[j] : v))), 'error'),
      };
      for (const key of ['em', 'completeCase', 'meanImputed'] as const) {
        const [m, c] = errors(runs[key]);
        sum[key][0] += m / replicates.length;
        sum[key][1] += c / replicates.length;
      }
    }
    const f = (v: number[]): string => `means ${v[0].toFixed(3)}, covariances ${v[1].toFixed(3)}`;
    console.log(`simulation, mean distance to the truth over ${replicates.length} data sets (Euclidean over the means, Frobenius over the covariances): ` +
      `EM on incomplete data: ${f(sum.em)}; complete-case deletion: ${f(sum.completeCase)}; mean imputation + EM: ${f(sum.meanImputed)}`);
    for (const i of [0, 1]) {
      expect(sum.em[i]).toBeLessThan(sum.completeCase[i]);
      expect(sum.em[i]).toBeLessThan(sum.meanImputed[i]);
    }
  }, 60_000);
});

describe('impute', () => {
  const X = withHoles(blobs(21, 200, 3, 2, 6).X, 0.2, 8);
  it('complete rows and observed entries are unchanged; the input is not mutated', async () => {
    const gmm = await new GaussianMixture({ nComponents: 2, seed: 4, missingValues: 'em' }).fit(X);
    const before = snapshot(X);
    const out = gmm.impute(X);
    expect(X).toEqual(before);
    expect(out.rows).toBe(200);
    X.forEach((r, i) => r.forEach((v, j) => {
      if (!Number.isNaN(v)) expect(out.data[i * 3 + j]).toBe(v);
      else expect(Number.isFinite(out.data[i * 3 + j])).toBe(true);
    }));
  });

  for (const type of ['full', 'diag', 'tied', 'VEV'] as CovarianceType[]) {
    it(`${type}: E[x_m | x_o] and Var[x_m | x_o] = the responsibility-weighted Gaussian conditionals`, async () => {
      for (const k of [1, 2]) {
        const gmm = await new GaussianMixture({ nComponents: k, covarianceType: type, seed: 4, missingValues: 'em' }).fit(X);
        const { X: out, variances } = gmm.impute(X, { variances: true });
        const blocks = gmm.covariances;
        const S = (c: number): number[][] => {
          if (type === 'tied') return blocks as number[][];
          if (type === 'diag') return (blocks as number[][])[c].map((v, i, a) => a.map((_, j) => (i === j ? v : 0)));
          return (blocks as number[][][])[c];
        };
        const proba = gmm.predictProba(X);
        X.forEach((x, i) => {
          if (!x.some(Number.isNaN)) return;
          // Closed form per component (Gaussian conditioning), mixed by the responsibilities.
          const parts = gmm.means.map((mu, c) => conditional(x, mu, S(c)));
          const r = Array.from(proba.data.subarray(i * k, (i + 1) * k));
          x.forEach((v, j) => {
            if (!Number.isNaN(v)) return;
            const mean = parts.reduce((s, p, c) => s + r[c] * p.xhat[j], 0);
            const variance = parts.reduce((s, p, c) => s + r[c] * (p.C[j][j] + (p.xhat[j] - mean) ** 2), 0);
            expect(relErr([out.data[i * 3 + j]], [mean]), `row ${i} col ${j} mean`).toBeLessThanOrEqual(1e-10);
            expect(relErr([variances.data[i * 3 + j]], [variance]), `row ${i} col ${j} variance`).toBeLessThanOrEqual(1e-9);
          });
          x.forEach((v, j) => !Number.isNaN(v) && expect(variances.data[i * 3 + j]).toBe(0));
        });
      }
    });
  }

  it('accepts null in nested arrays; before fit is a NOT_FITTED error; bad options are TypeErrors', async () => {
    expect(() => new GaussianMixture().impute([[1, null as unknown as number]])).toThrow(/impute/);
    const gmm = await new GaussianMixture({ nComponents: 1, missingValues: 'em' }).fit(X);
    const a = gmm.impute([[1, null as unknown as number, 2]]);
    const b = gmm.impute([[1, NaN, 2]]);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(() => gmm.impute(X, { variances: 'yes' as unknown as boolean })).toThrow(TypeError);
    expect(() => gmm.impute([[1, 2]])).toThrow(/2 columns.*3 features/);
    expect(() => gmm.impute([[NaN, NaN, NaN]])).toThrow(RangeError);
  });
});

describe('errors', () => {
  const { X } = blobs(1, 60, 2, 3, 6);
  it("missingValues 'error' (default): NaN is a RangeError naming row, column and the option; null a TypeError", async () => {
    const Xb = X.map((r) => [...r]);
    Xb[7][1] = NaN;
    const err = await new GaussianMixture({ nComponents: 2 }).fit(Xb).catch((e: Error) => e);
    expect(err).toBeInstanceOf(RangeError);
    expect((err as Error).message).toMatch(/row 7\b.*column 1\b.*missingValues: 'em'/);
    const Xn = X.map((r) => [...r]) as (number | null)[][];
    Xn[3][0] = null;
    await expect(new GaussianMixture({ nComponents: 2 }).fit(Xn as number[][])).rejects.toThrow(/X\[3\]\[0\].*missingValues: 'em'.*null/);
    await expect(new GaussianMixture({ nComponents: 2 }).fit(Xn as number[][])).rejects.toBeInstanceOf(TypeError);
  });

  it("missingValues 'em': a row with every value missing, a column with none observed, infinities", async () => {
    const gm = (): GaussianMixture => new GaussianMixture({ nComponents: 2, missingValues: 'em' });
    const allRow = X.map((r) => [...r]);
    allRow[4] = [NaN, NaN];
    await expect(gm().fit(allRow)).rejects.toThrow(/row 4 has every value missing/);
    await expect(gm().fit(allRow)).rejects.toBeInstanceOf(RangeError);
    const before = snapshot(allRow);
    await gm().fit(allRow).catch(() => undefined);
    expect(allRow).toEqual(before);
    await expect(gm().fit(X.map((r) => [r[0], NaN]))).rejects.toThrow(/column 1 has no observed value/);
    const inf = X.map((r) => [...r]);
    inf[2][0] = Infinity;
    await expect(gm().fit(inf)).rejects.toThrow(/row 2, column 0/);
    const fitted = await gm().fit(X);
    expect(() => fitted.predict([[1, 2], [NaN, NaN]])).toThrow(/row 1 has every value missing/);
    expect(() => new GaussianMixture({ missingValues: 'drop' as 'em' })).toThrow(/missingValues must be one of "error", "em"/);
  });

  it("predict / score of a model fitted without missingValues: 'em' reject NaN", async () => {
    const gmm = await new GaussianMixture({ nComponents: 2, seed: 1 }).fit(X);
    expect(() => gmm.predict([[0, NaN]])).toThrow(/missingValues/);
    expect(() => gmm.score([[0, NaN]])).toThrow(RangeError);
  });

  it('score, bic and aic with missing entries use the observed-data log-likelihood', async () => {
    const Xh = withHoles(X, 0.2, 3);
    const gmm = await new GaussianMixture({ nComponents: 2, seed: 1, missingValues: 'em' }).fit(Xh);
    const L = gmm.score(Xh);
    expect(relScalar(L, gmm.history[gmm.history.length - 1])).toBeLessThanOrEqual(1e-12);
    const ss = gmm.scoreSamples(Xh);
    expect(relScalar(L, ss.reduce((s, v) => s + v, 0) / ss.length)).toBeLessThanOrEqual(1e-12);
    const p = gmm.nParameters();
    expect(relScalar(gmm.bic(Xh), -2 * 60 * L + p * Math.log(60))).toBeLessThanOrEqual(1e-12);
    expect(relScalar(gmm.aic(Xh), -2 * 60 * L + 2 * p)).toBeLessThanOrEqual(1e-12);
  });
});

describe('selectModel', () => {
  it("rejects missingValues: 'em' with a RangeError saying what to do instead", async () => {
    const { selectModel } = await import('../src/index.js');
    await expect(selectModel([[1, 2], [3, 4], [5, 7]], { nComponents: [1], missingValues: 'em' })).rejects.toThrow(/selectModel does not support missingValues: 'em'.*bic/);
  });
});

describe('sample weights and float32 input with missing entries', () => {
  const X = withHoles(blobs(31, 150, 3, 2, 5).X, 0.2, 12);
  it('integer sampleWeight fits like repeated rows', async () => {
    const w = X.map((_, i) => 1 + (i % 3));
    const repeated = X.flatMap((r, i) => Array.from({ length: w[i] }, () => r));
    const opts = { nComponents: 2, init: { means: [X.find((r) => !r.some(Number.isNaN))!, [...X].reverse().find((r) => !r.some(Number.isNaN))!] }, tol: 0, maxIter: 15, missingValues: 'em' as const };
    const a = await new GaussianMixture(opts).fit(X, { sampleWeight: w });
    const b = await new GaussianMixture(opts).fit(repeated);
    expectRel(a.means, b.means, 1e-10, 'means');
    expectRel(a.covariances, b.covariances, 1e-10, 'covariances');
    a.history.forEach((h, t) => expect(relScalar(h, b.history[t]), `history[${t}]`).toBeLessThanOrEqual(1e-10));
  });

  it('Float32Array input with NaN fits as its float64 values do', async () => {
    const f32 = Float32Array.from(X.flat());
    const f64 = Float64Array.from(f32);
    const opts = { nComponents: 2, seed: 6, init: 'kmeans' as const, tol: 0, maxIter: 10, missingValues: 'em' as const };
    const a = await new GaussianMixture(opts).fit({ data: f32, rows: 150, cols: 3 });
    const b = await new GaussianMixture(opts).fit({ data: f64, rows: 150, cols: 3 });
    expectRel(a.means, b.means, 1e-12, 'means');
    expectRel(a.covariances, b.covariances, 1e-12, 'covariances');
  });
});

describe('statistics, partialFit and chunk sources with missing entries', () => {
  const fx = fixtures.find((f) => f.name === 'missing-iris-full')!;
  const X = fx.X as number[][];
  const opts = { nComponents: 3, covarianceType: fx.covarianceType, init: fx.init, tol: 0, regCovar: fx.regCovar, missingValues: 'em' as const };
  it('updateFromStatistics(sufficientStatistics(X)) is one more EM update (fixture trajectory[3])', async () => {
    const gmm = await new GaussianMixture({ ...opts, maxIter: 2 }).fit(X);
    const stats = gmm.sufficientStatistics(X);
    expect(relScalar(stats.logLik / stats.weightSum, fx.trajectory[2].meanLogLikelihood)).toBeLessThanOrEqual(1e-10);
    gmm.updateFromStatistics(stats);
    expectRel(gmm.means, fx.trajectory[3].means, 1e-8, 'means');
    expectRel(gmm.covariances, fx.trajectory[3].covariances, 1e-8, 'covariances');
  });

  it('partialFit accepts chunks with missing entries', async () => {
    const gmm = new GaussianMixture({ ...opts, maxIter: 5 });
    await gmm.partialFit(X.slice(0, 100));
    await gmm.partialFit(X.slice(100));
    expect(gmm.history.every(Number.isFinite)).toBe(true);
  });

  for (const backend of ['wasm', 'js'] as const) {
    it(`${backend}: a chunk source (chunks of 7, some complete, some not) follows the fixture trajectory`, async () => {
      const source = { cols: 4, async *chunks() { for (let i = 0; i < X.length; i += 7) yield X.slice(i, i + 7); } };
      const gmm = await new GaussianMixture({ ...opts, backend, maxIter: 10 }).fit(source);
      // The fixture's trajectory[10]: parameters after 10 updates (exact incomplete-data EM).
      expectRel(gmm.means, fx.trajectory[10].means, 1e-8, 'means');
      expectRel(gmm.covariances, fx.trajectory[10].covariances, 1e-8, 'covariances');
      for (let t = 0; t < 10; t++) expect(relScalar(gmm.history[t], fx.trajectory[t].meanLogLikelihood)).toBeLessThanOrEqual(1e-10);
      // Default init on a source equals the in-memory fit of the same rows (sample = all rows).
      const plain = { nComponents: 3, covarianceType: fx.covarianceType, seed: 3, missingValues: 'em' as const, backend };
      const memory = await new GaussianMixture(plain).fit(X);
      const chunked = await new GaussianMixture({ ...plain, workers: 2 }).fit(source);
      expectRel(chunked.means, memory.means, 1e-10, 'means');
      expect(chunked.fitWarnings.some((w) => /one thread/.test(w))).toBe(true);
    });
  }
});

describe('small patterns (row-wise pass) in a fit', () => {
  it('d = 12, 15 % missing (mostly single-row patterns): the kernels-only engine gives the same statistics; history never decreases', async () => {
    const d = 12;
    const X = withHoles(blobs(41, 400, d, 3, 4).X, 0.15, 2);
    const gmm = await new GaussianMixture({ nComponents: 3, seed: 2, regCovar: 0, tol: 0, maxIter: 25, init: 'kmeans', missingValues: 'em' }).fit(X);
    const h = gmm.history;
    for (let t = 1; t < h.length; t++) expect(h[t] - h[t - 1]).toBeGreaterThanOrEqual(-1e-12 * Math.abs(h[t - 1]));
    const backend = await createBackend('wasm');
    const mix = factorize((gmm as unknown as { state: { mixture: Parameters<typeof factorize>[0] } }).state.mixture, backend, 0, 'test');
    const stats = (small: () => boolean): SufficientStatistics => {
      const engine = new MissingEngine(backend, typed(X as number[][]), null, 3, 'tri', undefined, small);
      const out = new SufficientStatistics(3, d, 'tri');
      engine.emPass(mix.kernel, out);
      engine.release();
      return out;
    };
    const [a, b, def] = [stats(() => true), stats(() => false), stats(smallPattern)];
    for (const s of [b, def]) {
      expectRel(s.N, a.N, 1e-11, 'N');
      expectRel(s.S1, a.S1, 1e-10, 'S1');
      expectRel(s.S2, a.S2, 1e-10, 'S2');
      expect(relScalar(s.logLik, a.logLik)).toBeLessThanOrEqual(1e-12);
    }
    backend.dispose();
  });
});

describe('BayesianGaussianMixture', () => {
  it("rejects missingValues: 'em' with a RangeError naming the alternative", async () => {
    const { BayesianGaussianMixture } = await import('../src/index.js');
    expect(() => new BayesianGaussianMixture({ nComponents: 2, missingValues: 'em' })).toThrow(/missingValues: 'em' is not supported by BayesianGaussianMixture.*GaussianMixture/);
  });
});

describe('other input forms and saved models with missing entries', () => {
  const X = withHoles(blobs(51, 120, 3, 2, 5).X, 0.2, 14);
  const opts = { nComponents: 2, seed: 8, init: 'kmeans' as const, tol: 0, maxIter: 8, missingValues: 'em' as const };
  it('a strided Float64Array (a padding column) fits as the dense rows do', async () => {
    const padded = new Float64Array(120 * 4);
    X.forEach((r, i) => { padded.set(r, i * 4); padded[i * 4 + 3] = 1e9; });
    const a = await new GaussianMixture(opts).fit({ data: padded, rows: 120, cols: 3, stride: 4 });
    const b = await new GaussianMixture(opts).fit(X);
    expect(a.means).toEqual(b.means);
    expect(a.history).toEqual(b.history);
  });

  it('toJSON / fromJSON keeps missingValues: the restored model scores incomplete rows identically', async () => {
    const gmm = await new GaussianMixture(opts).fit(X);
    const back = GaussianMixture.fromJSON(JSON.stringify(gmm));
    expect(back.options.missingValues).toBe('em');
    expect(Array.from(back.scoreSamples(X))).toEqual(Array.from(gmm.scoreSamples(X)));
    expect(Array.from(back.impute(X).data)).toEqual(Array.from(gmm.impute(X).data));
  });
});
