/**
 * BayesianGaussianMixture against scikit-learn 1.2.1 (test/fixtures/bayesian, copied from
 * ../shared/conformance/bayesian): every reference value below comes from those files, except where
 * a comment names another source.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BayesianGaussianMixture } from '../src/index.js';
import type { BayesianGaussianMixtureOptions } from '../src/index.js';
import { expectRel, relScalar } from './helpers.js';

interface Step {
  iter: number;
  weightConcentration: number[] | number[][];
  meanPrecision: number[];
  means: number[][];
  degreesOfFreedom: number | number[];
  covariances: unknown;
  precisionsCholesky: unknown;
  weights: number[];
  lowerBound: number;
}
interface BayesFixture {
  name: string;
  covarianceType: 'full' | 'tied' | 'diag' | 'spherical';
  nComponents: number;
  weightConcentrationPriorType: 'dirichlet_process' | 'dirichlet_distribution';
  regCovar: number;
  options: Partial<BayesianGaussianMixtureOptions>;
  resolvedPriors: Record<string, unknown>;
  X: number[][];
  initLabels: number[];
  trajectory: Step[];
  fit: Step & { tol: number; maxIter: number; nIter: number; converged: boolean; predict: number[]; predictProba: number[][]; scoreSamples: number[]; score: number };
}

const dir = new URL('./fixtures/bayesian/', import.meta.url);
const fixtures: BayesFixture[] = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as BayesFixture);
const BACKENDS = ['js', 'wasm'] as const;

function options(fx: BayesFixture, extra: BayesianGaussianMixtureOptions): BayesianGaussianMixtureOptions {
  return {
    nComponents: fx.nComponents,
    covarianceType: fx.covarianceType,
    weightConcentrationPriorType: fx.weightConcentrationPriorType,
    regCovar: fx.regCovar,
    init: { labels: fx.initLabels },
    ...fx.options,
    ...extra,
  };
}

function expectParameters(m: BayesianGaussianMixture, ref: Step, tol: number): void {
  expectRel(m.weightConcentration, ref.weightConcentration, tol, 'weightConcentration');
  expectRel(m.meanPrecision, ref.meanPrecision, tol, 'meanPrecision');
  expectRel(m.means, ref.means, tol, 'means');
  expectRel(m.degreesOfFreedom, ref.degreesOfFreedom, tol, 'degreesOfFreedom');
  expectRel(m.covariances, ref.covariances, tol, 'covariances');
  expectRel(m.precisionsCholesky, ref.precisionsCholesky, tol, 'precisionsCholesky');
  expectRel(m.weights, ref.weights, tol, 'weights');
  expect(relScalar(m.lowerBound, ref.lowerBound), `lowerBound ${m.lowerBound} vs ${ref.lowerBound}`).toBeLessThanOrEqual(tol);
}

describe('fixtures', () => {
  it('has the 27 scikit-learn files (3 data sets x 4 types x 2 prior types + 3 with custom priors)', () => {
    expect(fixtures.length).toBe(27);
  });
});

for (const fx of fixtures) {
  for (const backend of BACKENDS) {
    describe(`${fx.name} [${backend}]`, () => {
      const T = fx.trajectory.length;
      for (const t of [1, 2, T]) {
        it(`every variational parameter and the lower bound after ${t} update(s)`, async () => {
          const m = new BayesianGaussianMixture(options(fx, { maxIter: t, tol: 0, backend }));
          await m.fit(fx.X);
          const ref = fx.trajectory[t - 1];
          expect(ref.iter).toBe(t);
          expect(m.nIter).toBe(t);
          expect(m.converged).toBe(false);
          expectParameters(m, ref, 1e-8);
          expect(m.history.length).toBe(t);
          for (let s = 0; s < t; s++) expect(relScalar(m.history[s], fx.trajectory[s].lowerBound), `history[${s}]`).toBeLessThanOrEqual(1e-8);
          m.dispose();
        });
      }

      it('resolves the priors as scikit-learn', async () => {
        const m = new BayesianGaussianMixture(options(fx, { maxIter: 1, backend }));
        await m.fit(fx.X);
        const p = m.resolvedPriors;
        const r = fx.resolvedPriors;
        expect(relScalar(p.weightConcentrationPrior, r.weightConcentrationPrior as number)).toBeLessThanOrEqual(1e-15);
        expect(p.meanPrecisionPrior).toBe(r.meanPrecisionPrior);
        expect(p.degreesOfFreedomPrior).toBe(r.degreesOfFreedomPrior);
        expectRel(p.meanPrior, r.meanPrior, 1e-13, 'meanPrior');
        expectRel(p.covariancePrior, r.covariancePrior, 1e-13, 'covariancePrior');
      });

      it(`fit to convergence (tol ${fx.fit.tol}, maxIter ${fx.fit.maxIter}): nIter, converged, parameters, predictions`, async () => {
        const m = new BayesianGaussianMixture(options(fx, { maxIter: fx.fit.maxIter, tol: fx.fit.tol, backend }));
        await m.fit(fx.X);
        expect(m.nIter).toBe(fx.fit.nIter);
        expect(m.converged).toBe(fx.fit.converged);
        expectParameters(m, fx.fit, 1e-8);
        expect(Array.from(m.predict(fx.X))).toEqual(fx.fit.predict);
        const rows = fx.fit.predictProba.length;
        const head = fx.X.slice(0, rows);
        expectRel(m.predictProba(head).data, fx.fit.predictProba, 1e-8, 'predictProba');
        expectRel(m.scoreSamples(head), fx.fit.scoreSamples, 1e-8, 'scoreSamples');
        expect(relScalar(m.score(fx.X), fx.fit.score)).toBeLessThanOrEqual(1e-8);
        for (let s = 1; s < m.history.length; s++) expect(m.history[s] - m.history[s - 1], `history step ${s}`).toBeGreaterThanOrEqual(-1e-9 * Math.abs(m.history[s]));
        m.dispose();
      });
    });
  }
}
