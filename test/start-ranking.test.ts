/**
 * selectModel's ranked starts (src/start-ranking.ts): an iterative model (VEI, VEE, EVE, VVE, VEV)
 * runs its short runs from the hierarchical start and the RANKED_STARTS partitions whose VVV short
 * runs end highest. The reference for the ranking is independent of it: public GaussianMixture fits
 * (full covariances, init { labels } from each partition, exactly GRID_SHORT_RUN iterations, the grid's short runs).
 */
import { describe, expect, it } from 'vitest';
import { GaussianMixture, selectModel } from '../src/index.js';
import { GRID_SHORT_RUN, StartSet } from '../src/starts.js';
import { RANKED_STARTS, rankedStarts } from '../src/start-ranking.js';
import { createBackend } from '../src/backend/create.js';
import { toMatrix } from '../src/input.js';
import { LocalEngine } from '../src/em.js';
import type { CovarianceType } from '../src/types.js';
import { blobs } from './helpers.js';

// Four overlapping blobs: the partitions' short runs end at clearly different log-likelihoods.
const { X } = blobs(11, 300, 3, 4, 2.5);
const K = 4;
const REG = 1e-6;

describe('rankedStarts', () => {
  it('keeps the hierarchical start and the partitions whose short VVV fits (GRID_SHORT_RUN iterations) end highest', async () => {
    const data = toMatrix(X);
    const starts = new StartSet(data, null, 5);
    const partitions = starts.partitions(K, 0);
    expect(starts.hasHierarchical(K)).toBe(true);
    expect(partitions.length).toBeGreaterThan(1 + RANKED_STARTS);

    const bounds: number[] = [];
    for (const labels of partitions) {
      const gm = new GaussianMixture({ nComponents: K, covarianceType: 'full', init: { labels }, maxIter: GRID_SHORT_RUN, tol: 0, regCovar: REG });
      await gm.fit(X);
      bounds.push(gm.lowerBound);
    }
    const expected = [0, ...bounds.map((_, i) => i).slice(1).sort((a, b) => bounds[b] - bounds[a]).slice(0, RANKED_STARTS)].sort((a, b) => a - b);

    const backend = await createBackend('auto');
    try {
      const handle = backend.load(data, null);
      const settings = { type: 'full' as const, regCovar: REG, tol: 0, relTol: 0, maxIter: GRID_SHORT_RUN, init: 0 };
      const ctx = { backend, handle, regCovar: REG, settings, usable: () => true };
      expect(await rankedStarts(starts, K, 0, ctx)).toEqual(expected);
      // Usable runs rank first: with only the worst one usable, it is among those tried.
      const worst = bounds.map((_, i) => i).slice(1).sort((a, b) => bounds[a] - bounds[b])[0];
      const fresh = new StartSet(data, null, 5);
      let calls = 0;
      const onlyWorst = { ...ctx, usable: () => calls++ === worst };
      expect(await rankedStarts(fresh, K, 0, onlyWorst)).toContain(worst);
    } finally {
      backend.dispose();
    }
  });

  it('the VVV model of the grid takes the ranking runs as its short runs: the same table, fewer passes', async () => {
    let passes = 0;
    const emPass = LocalEngine.prototype.emPass;
    LocalEngine.prototype.emPass = function (this: LocalEngine, ...a) {
      passes++;
      return emPass.apply(this, a);
    };
    try {
      const run = async (covarianceTypes: CovarianceType[], onIteration?: () => void) => {
        passes = 0;
        // No race: each model's passes then do not depend on the others in the grid.
        const { table } = await selectModel(X, { nComponents: [2, K], covarianceTypes, seed: 5, onIteration, race: false });
        return { rows: table.filter((r) => r.covarianceType === 'VVV').map((r) => [r.nComponents, r.bic, r.logLikelihood, r.converged]), passes };
      };
      const alone = await run(['VVV']);
      const iterative = await run(['EVE']);
      const shared = await run(['EVE', 'VVV']);
      // With onIteration VVV reports its own short runs, so it runs them again.
      const own = await run(['EVE', 'VVV'], () => {});
      expect(shared.rows).toEqual(alone.rows);
      expect(own.rows).toEqual(alone.rows);
      expect(shared.passes).toBeLessThan(iterative.passes + alone.passes);
      expect(own.passes).toBeGreaterThan(shared.passes);
    } finally {
      LocalEngine.prototype.emPass = emPass;
    }
  });

  it('selectModel runs an iterative model from 1 + RANKED_STARTS starts per K, and every other model from all', async () => {
    const tried = new Map<string, Set<number>>();
    const seen = (type: string) => (info: { candidate?: number }) => {
      if (info.candidate !== undefined) tried.set(type, (tried.get(type) ?? new Set()).add(info.candidate));
    };
    await selectModel(X, { nComponents: [K], covarianceTypes: ['EVE'], seed: 5, onIteration: seen('EVE') });
    await selectModel(X, { nComponents: [K], covarianceTypes: ['EEV'], seed: 5, onIteration: seen('EEV') });
    expect(tried.get('EVE')!.size).toBe(1 + RANKED_STARTS);
    expect(tried.get('EEV')!.size).toBe(new StartSet(toMatrix(X), null, 5).partitions(K, 0).length);
  });
});
