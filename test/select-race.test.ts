/**
 * selectModel's race (SelectionOptions.race, EmSettings.mustExceed): candidates that cannot beat the
 * best one so far stop early. The reference is the same selection with the race off: the choice and
 * every candidate that ran to the end must be the same, only the stopped ones differ.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { selectModel } from '../src/index.js';
import type { Criterion, Selection, SelectionRow } from '../src/index.js';
import { SELECT_GAIN_TOL, SELECT_MAX_ITER, SELECT_TOL, fitCandidate } from '../src/select.js';
import type { CandidateResult } from '../src/select.js';
import type { Settling } from '../src/em.js';
import { resolveOptions } from '../src/options.js';
import { createBackend } from '../src/backend/create.js';
import { StartSet } from '../src/starts.js';
import { meanColumnVariance } from '../src/kmeans.js';
import { toMatrix } from '../src/input.js';
import { blobs } from './helpers.js';

// Three separated blobs: candidates with more components than three crawl (EM's slow linear
// convergence splitting a blob), and their BIC is far behind K = 3's.
const { X } = blobs(1, 3000, 2, 3, 6);
const GRID = { nComponents: [1, 2, 3, 4, 5], covarianceTypes: ['full', 'spherical'] as const, seed: 1 };
const label = (r: SelectionRow): string => `${r.covarianceType},${r.nComponents}`;
const chosen = (s: Selection): string => `${s.best.options.covarianceType},${s.best.options.nComponents}`;

async function both(criterion: Criterion): Promise<{ raced: Selection; strict: Selection }> {
  const options = { ...GRID, covarianceTypes: [...GRID.covarianceTypes], criterion };
  return { raced: await selectModel(X, options), strict: await selectModel(X, { ...options, race: false }) };
}

function expectSameChoice({ raced, strict }: { raced: Selection; strict: Selection }, criterion: Criterion): void {
  expect(chosen(raced)).toBe(chosen(strict));
  expect(raced.best.bic(X)).toBe(strict.best.bic(X));
  raced.table.forEach((r, i) => {
    const s = strict.table[i];
    expect(label(r)).toBe(label(s));
    if (r.outraced) {
      // Stopped before its end: a lower log-likelihood than the full run, and still behind the choice.
      expect(r.converged, label(r)).toBe(false);
      expect(r.logLikelihood, label(r)).toBeLessThanOrEqual(s.logLikelihood);
      expect(s[criterion], label(r)).toBeGreaterThan(strict.table.find((t) => label(t) === chosen(strict))![criterion]);
    } else {
      // Ran to the end: the race never touched it.
      expect(r[criterion], label(r)).toBe(s[criterion]);
      expect(r.converged, label(r)).toBe(s.converged);
    }
  });
}

describe('the race stops candidates that cannot win, never the choice', () => {
  for (const criterion of ['bic', 'icl', 'aic'] as const) {
    it(`${criterion}: the same choice and the same finished rows as with race: false; overfit candidates stop early`, async () => {
      const runs = await both(criterion);
      expectSameChoice(runs, criterion);
      expect(runs.raced.table.some((r) => r.outraced), 'no candidate was stopped: the test would not see the race').toBe(true);
      expect(runs.strict.table.some((r) => r.outraced)).toBe(false);
      expect(runs.raced.summary()).toMatch(/stopped early, unable to win/);
    });
  }

  it('on more rows than init auto samples (its starts run on 5000 rows): the race acts only on the run over all rows', async () => {
    const big = blobs(2, 12000, 2, 3, 6).X;
    const options = { nComponents: [2, 3, 4, 5], covarianceTypes: ['full' as const], seed: 1 };
    const raced = await selectModel(big, options);
    const strict = await selectModel(big, { ...options, race: false });
    expect(chosen(raced)).toBe(chosen(strict));
    expect(raced.best.bic(big)).toBe(strict.best.bic(big));
    expect(raced.table.some((r) => r.outraced)).toBe(true);
  });

  it('crabs, 14 models: EEV with 4 components, which crawls for 20 iterations and then gains 90 units, runs to the end and wins', async () => {
    // A tighter bound (the rest of a geometric series over increments that fell ten times running)
    // stopped its run from the hierarchical start near iteration 30, at -1348 (it ends at -1241), and
    // chose VEV,3: a bound on the gain must allow for EM leaving a plateau.
    // The reference is the same selection with the race off; data: test/fixtures/realdata (mclust's crabs).
    const crabs = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'realdata', 'crabs.csv'), 'utf8')
      .trim().split('\n').map((l) => l.split(',').map(Number));
    const options = { nComponents: [1, 2, 3, 4], covarianceTypes: 'mclust' as const, seed: 1 };
    const raced = await selectModel(crabs, options);
    const strict = await selectModel(crabs, { ...options, race: false });
    expect(chosen(strict)).toBe('EEV,4');
    expect(chosen(raced)).toBe(chosen(strict));
    expect(raced.best.bic(crabs)).toBe(strict.best.bic(crabs));
  });

  it('workers and one thread give the same table, stopped rows included (the bar comes from fewer components only)', async () => {
    const options = { ...GRID, covarianceTypes: [...GRID.covarianceTypes] };
    const here = await selectModel(X, options);
    const pooled = await selectModel(X, { ...options, workers: 2 });
    expect(here.table.some((r) => r.outraced)).toBe(true);
    expect(pooled.table).toEqual(here.table);
    expect(chosen(pooled)).toBe(chosen(here));
  });

  it('is off under an explicit tol (the race belongs to the default stopping rule) and with onDegenerate reseed', async () => {
    const options = { ...GRID, covarianceTypes: [...GRID.covarianceTypes] };
    expect((await selectModel(X, { ...options, tol: 1e-6 })).table.some((r) => r.outraced)).toBe(false);
    expect((await selectModel(X, { ...options, onDegenerate: 'reseed' })).table.some((r) => r.outraced)).toBe(false);
  });

  it('rejects a race option that is not a boolean, naming it', async () => {
    await expect(selectModel(X, { race: 'yes' as unknown as boolean })).rejects.toThrow(/race must be true or false, got .*yes/);
  });
});

describe('a bar that falls while the candidate runs (selectModel in workers) ends the candidate as the final bar would', () => {
  const data = toMatrix(X);
  const rule = { gainTol: SELECT_GAIN_TOL, race: 'bic' as const };

  /** K = 5 full (it crawls) against `best`, with `onIteration` seeing each iteration. */
  async function candidate(best: number | Settling, onIteration?: (iter: number) => void): Promise<CandidateResult> {
    const backend = await createBackend('auto');
    try {
      const options = resolveOptions({
        tol: SELECT_TOL, maxIter: SELECT_MAX_ITER, seed: 1, nComponents: 5, covarianceType: 'full',
        ...(onIteration ? { onIteration: ({ iter }: { iter: number }) => onIteration(iter) } : {}),
      });
      return await fitCandidate(data, meanColumnVariance(data), options, backend, backend.load(data, null), new StartSet(data, null, 1), rule, best);
    } finally {
      backend.dispose();
    }
  }

  /** A bar at `start` until iteration `at` of the run over all rows (or later), then `middle`, and `end` once the run waits for it. */
  function falling(start: number, middle: number, end: number): { bar: Settling; onIteration: (iter: number) => void } {
    const state = { value: start, final: false };
    return {
      bar: {
        get value() { return state.value; },
        get final() { return state.final; },
        settled: async () => Object.assign(state, { value: end, final: true }) && undefined,
      },
      onIteration: (iter) => {
        if (iter >= 30 && !state.final) state.value = middle;
      },
    };
  }

  const same = (a: CandidateResult, b: CandidateResult): void => {
    expect(a.row).toEqual(b.row);
    expect(a.state!.nIter).toBe(b.state!.nIter);
    expect(a.state!.history).toEqual(b.state!.history);
    expect(Array.from(a.state!.mixture.means)).toEqual(Array.from(b.state!.mixture.means));
  };

  it('stopped by the final bar: the same row, iterations and parameters as raced against it from the start', async () => {
    const bic3 = (await candidate(Infinity)).row.bic - 200; // within reach of nothing: K = 5 is stopped
    const fixed = await candidate(bic3);
    expect(fixed.row.outraced).toBe(true);
    // Unknown at first, then a weaker bar that does not stop the run, then the final one once the run ends.
    const late = falling(Infinity, bic3 + 1e6, bic3);
    same(await candidate(late.bar, late.onIteration), fixed);
    // A bar already final-valued midway stops the run there; the final value sends it back to where it would have stopped.
    const early = falling(Infinity, bic3, bic3);
    same(await candidate(early.bar, early.onIteration), fixed);
  });

  it('a final bar that stops nothing: the run to the end, as with no bar', async () => {
    const free = await candidate(Infinity);
    expect(free.row.outraced).toBeUndefined();
    const never = falling(Infinity, Infinity, Infinity);
    same(await candidate(never.bar, never.onIteration), free);
  });
});

