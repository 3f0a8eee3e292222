/**
 * selectModel (src/select.ts): mclust's Mclust() over K and covariance models. References: the
 * Mclust(X, G = 1:9) choices of test/fixtures/mclust/mclust-select-*.json (R mclust 6.0.0, all 14 models)
 * and the public data sets of test/fixtures/realdata (copied from ../shared).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { selectModel } from '../src/index.js';
import type { SelectionRow } from '../src/index.js';
import { createBackend } from '../src/backend/create.js';
import { LocalEngine, MaximumLikelihood, runEm } from '../src/em.js';
import { factorize } from '../src/params.js';
import { initialEstimate } from '../src/init.js';
import { Random } from '../src/random.js';
import { toMatrix } from '../src/input.js';
import { blobs } from './helpers.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const csv = (name: string): number[][] =>
  readFileSync(join(FIXTURES, 'realdata', `${name}.csv`), 'utf8').trim().split('\n').map((l) => l.split(',').map(Number));
interface MclustSelect {
  X: number[][];
  best: { modelName: string; G: number; bic: number };
}
const mclustSelect = (name: string): MclustSelect => JSON.parse(readFileSync(join(FIXTURES, 'mclust', `mclust-select-${name}.json`), 'utf8'));
const usable = (table: SelectionRow[]) => table.filter((r) => r.degenerate === undefined);

describe('against Mclust(X, G = 1:9) over the 14 models', () => {
  for (const name of ['iris', 'faithful', 'blobs3d']) {
    it(`${name}: the chosen model's BIC is at least as good as Mclust's choice`, async () => {
      const ref = mclustSelect(name);
      const sel = await selectModel(ref.X, { covarianceTypes: 'mclust', seed: 1 });
      expect(sel.table.length).toBe(14 * 9);
      const ours = sel.best.bic(ref.X);
      // mclust's BIC is 2 logLik - p log n (higher is better); gmm-wasm's is its negative.
      expect(-ours).toBeGreaterThanOrEqual(ref.best.bic - 1e-6 * Math.abs(ref.best.bic));
      // The candidate Mclust chose is fitted at least as well here.
      const same = sel.table.find((r) => r.covarianceType === ref.best.modelName && r.nComponents === ref.best.G)!;
      expect(-same.bic).toBeGreaterThanOrEqual(ref.best.bic - 1e-6 * Math.abs(ref.best.bic));
      expect(sel.summary()).toContain(`${sel.best.options.covarianceType},${sel.best.options.nComponents}`);
    });
  }
});

describe('degenerate candidates are recorded and never chosen', () => {
  it('50 rows in 8 dimensions (state.x77), K up to 9, full: too many parameters or collapsed components are never the answer', async () => {
    const X = csv('states');
    const sel = await selectModel(X, { covarianceTypes: ['full', 'tied', 'diag', 'spherical'], seed: 1 });
    const full9 = sel.table.find((r) => r.covarianceType === 'full' && r.nComponents === 9)!;
    expect(full9.degenerate).toMatch(/free parameters for 50 rows/); // 9 * 8 + 8 + 9 * 36 = 404 > 50
    expect(Number.isNaN(full9.bic)).toBe(true);
    const chosen = sel.table.find((r) => r.covarianceType === sel.best.options.covarianceType && r.nComponents === sel.best.options.nComponents)!;
    expect(chosen.degenerate).toBeUndefined();
    expect(chosen.nParameters).toBeLessThanOrEqual(X.length);
    expect(chosen.bic).toBe(Math.min(...usable(sel.table).map((r) => r.bic)));
  });

  it("boston: a candidate collapsed in every start's short run stops there, and Mclust reports each such model NA", async () => {
    const X = csv('boston');
    // Mclust(X, G = 1:9, modelNames = c("VVV","EEE","VVI","VII")): null BIC = NA, a singular covariance (../shared/realdata).
    const ref = readFileSync(join(FIXTURES, 'realdata', 'mclust-reference.jsonl'), 'utf8').trim().split('\n')
      .map((l) => JSON.parse(l) as { data: string; models: string; table: { G: number; model: string; bic: number | null }[] })
      .find((r) => r.data === 'boston' && r.models === 'four')!;
    const sel = await selectModel(X, { seed: 1 });
    const abandoned = sel.table.filter((r) => /in every start's short run/.test(r.degenerate ?? ''));
    expect(abandoned.length).toBeGreaterThan(0);
    const mclustName = { full: 'VVV', tied: 'EEE', diag: 'VVI', spherical: 'VII' } as Record<string, string>;
    for (const r of abandoned) {
      expect(r.converged).toBe(false);
      expect(Number.isFinite(r.bic)).toBe(true); // where it stopped
      expect(ref.table.find((t) => t.G === r.nComponents && t.model === mclustName[r.covarianceType])!.bic, `${r.covarianceType} ${r.nComponents}`).toBeNull();
    }
    // The choice is the same as with every candidate finished: EEE, G = 9 (81b0d47; Mclust: EEE, 9 too).
    expect([sel.best.options.covarianceType, sel.best.options.nComponents]).toEqual(['tied', 9]);
    expect(-sel.best.bic(X)).toBeGreaterThanOrEqual(ref.table.find((t) => t.G === 9 && t.model === 'EEE')!.bic!);
  });

  it('a short run held at an iteration (EmSettings.holdAt) goes on to the numbers of a run that was not held', async () => {
    const { X } = blobs(3, 300, 2, 3, 2);
    const backend = await createBackend('js');
    const handle = backend.load({ rows: X.length, cols: 2, data: Float64Array.from(X.flat()) }, null);
    const engine = new LocalEngine(backend, handle);
    const estimator = new MaximumLikelihood('full', 1e-6, backend);
    const start = factorize(initialEstimate('random', { X: toMatrix(X), weights: null, k: 3, type: 'full', regCovar: 1e-6, rng: new Random(7), backend, handle }), backend, 1e-6, 'in the test');
    // Stopped by Aitken's test alone (tol 0), so that the join must carry the bound before the last.
    const settings = { type: 'full' as const, regCovar: 1e-6, tol: 0, relTol: 0, maxIter: 500, init: 0, gainTol: 0.01 };
    const whole = await runEm(engine, estimator, start, settings);
    expect(whole.converged).toBe(true);
    expect(whole.nIter).toBeGreaterThan(3);
    // Held one iteration before Aitken's test stops the whole run: the continuation must stop at once.
    const iteration = whole.nIter - 1;
    const held = await runEm(engine, estimator, start, { ...settings, holdAt: { iteration, keep: () => false } });
    expect([held.held, held.converged, held.nIter]).toEqual([true, false, iteration]);
    const rest = await runEm(engine, estimator, held.mixture, { ...settings, maxIter: settings.maxIter - iteration }, held.lowerBound, held.history[held.history.length - 2]);
    expect([rest.converged, rest.nIter]).toEqual([true, 1]);
    expect([...held.history, ...rest.history]).toEqual(whole.history);
    expect(Array.from(rest.mixture.means)).toEqual(Array.from(whole.mixture.means));
    // A run its test keeps is not held.
    const kept = await runEm(engine, estimator, start, { ...settings, holdAt: { iteration, keep: () => true } });
    expect([kept.held, kept.history]).toEqual([undefined, whole.history]);
    backend.dispose();
  });

  it('data with many repeated values (geyser: durations rounded to whole minutes): collapsed fits are flagged, the choice is not one', async () => {
    const X = csv('geyser');
    const sel = await selectModel(X, { covarianceTypes: 'mclust', seed: 2 });
    const chosen = sel.table.find((r) => r.covarianceType === sel.best.options.covarianceType && r.nComponents === sel.best.options.nComponents)!;
    expect(chosen.degenerate).toBeUndefined();
    // Mclust's choice here (../shared/realdata/mclust-reference.jsonl): VVI, G = 4, BIC -2768.568 (mclust's sign).
    expect(-sel.best.bic(X)).toBeGreaterThanOrEqual(-2768.568);
    // The chosen model's covariances are well away from the ridge.
    for (const S of sel.best.covariances as number[][][]) for (let j = 0; j < S.length; j++) expect(S[j][j]).toBeGreaterThan(1e-5);
  });

  it('a table row says why a failed fit failed (regCovar 0 on a constant column)', async () => {
    const X = Array.from({ length: 60 }, (_, i) => [Math.sin(i), Math.cos(3 * i), 2]);
    const sel = await selectModel(X, { nComponents: [1, 2], covarianceTypes: ['full', 'spherical'], regCovar: 0, seed: 1 });
    const full = sel.table.filter((r) => r.covarianceType === 'full');
    expect(full.every((r) => /ill-defined|collapsed/.test(r.degenerate ?? ''))).toBe(true);
    expect(sel.best.options.covarianceType).toBe('spherical');
  });
});

describe('options and output', () => {
  const ref = mclustSelect('faithful');

  it("criterion 'icl' and 'aic' choose the lowest of their column among usable candidates", async () => {
    for (const criterion of ['bic', 'icl', 'aic'] as const) {
      const sel = await selectModel(ref.X, { criterion, seed: 1, nComponents: [1, 2, 3, 4, 5] });
      expect(sel.criterion).toBe(criterion);
      const min = Math.min(...usable(sel.table).map((r) => r[criterion]));
      const chosen = sel.table.find((r) => r.covarianceType === sel.best.options.covarianceType && r.nComponents === sel.best.options.nComponents)!;
      expect(chosen[criterion]).toBe(min);
      expect(chosen.icl).toBeGreaterThanOrEqual(chosen.bic);
      expect(sel.best.icl(ref.X)).toBeCloseTo(chosen.icl, 6);
    }
  });

  it('the defaults give the answer strict settings give', async () => {
    for (const name of ['faithful', 'iris']) {
      const X = mclustSelect(name).X;
      const loose = await selectModel(X, { seed: 1 });
      const strict = await selectModel(X, { seed: 1, tol: 1e-10, maxIter: 5000, nInit: 3 });
      expect(loose.best.options.covarianceType).toBe(strict.best.options.covarianceType);
      expect(loose.best.options.nComponents).toBe(strict.best.options.nComponents);
      expect(Math.abs(loose.best.bic(X) - strict.best.bic(X))).toBeLessThan(0.05);
    }
  });

  it('in one dimension the models with one volume letter are one model, fitted once', async () => {
    const X = csv('galaxies');
    const sel = await selectModel(X, { seed: 1, nComponents: [2, 3] });
    for (const k of [2, 3]) {
      const rows = sel.table.filter((r) => r.nComponents === k);
      const v = rows.filter((r) => r.covarianceType !== 'tied');
      expect(new Set(v.map((r) => r.bic)).size).toBe(1); // full, diag, spherical: mclust's V
    }
  });

  it('bad arguments name the parameter', async () => {
    await expect(selectModel(ref.X, { covarianceTypes: ['full', 'XYZ' as never] })).rejects.toThrow(/covarianceTypes.*"XYZ"/);
    await expect(selectModel(ref.X, { criterion: 'bayes' as never })).rejects.toThrow(RangeError);
    await expect(selectModel(ref.X, { nComponents: [] })).rejects.toThrow(TypeError);
    await expect(selectModel(ref.X, { nComponents: [0, 1] })).rejects.toThrow(/nComponents/);
    await expect(selectModel(ref.X, { tol: -1 })).rejects.toThrow(/tol/);
  });
});
