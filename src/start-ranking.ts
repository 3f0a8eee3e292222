import type { Backend, DataHandle } from './backend/types.js';
import type { EmRun, EmSettings } from './em.js';
import { LocalEngine, MaximumLikelihood, runEm } from './em.js';
import type { Mixture } from './params.js';
import { factorize } from './params.js';
import { Random } from './random.js';
import type { StartSet } from './starts.js';
import { isNumericalFailure } from './errors.js';

/**
 * In a grid (selectModel), a model whose M-step iterates (VEI, VEE, EVE, VVE, VEV) runs its short runs
 * from the hierarchical start and from this many more of the StartSet's partitions only: the best by
 * the short runs of the REFERENCE_TYPE model. These models' cold starts and short runs were ~90 % of
 * boston's 14-model grid (EVE and VVE alone 68 %). With 1 (and with 2) the 48 selections of
 * bench/realdata.mjs are unchanged, model, K and BIC (BENCHMARKS.md "Ranked starts for the iterative
 * models"); ranking every model but VVV this way lowered boston's chosen BICs, so the others run all.
 */
export const RANKED_STARTS = 1;

/**
 * The model whose short runs rank the partitions: full covariances (VVV) contain every constrained
 * model, and their closed-form M-step makes the ranking cost a small part of one iterative model's runs.
 */
export const REFERENCE_TYPE = 'full';

/** What a ranking run needs: the short runs' stopping rule, and which fitted mixtures can be chosen. */
export interface RankingContext {
  backend: Backend;
  /** `starts.rows` loaded in `backend` (the data, or the StartSet's subsample). */
  handle: DataHandle;
  regCovar: number;
  /** EM settings of the short runs (tolerances and iteration count); their type is replaced by REFERENCE_TYPE. */
  settings: EmSettings;
  /** Whether a run's mixture could be chosen (no collapsed component): those rank above the others. */
  usable: (m: Mixture) => boolean;
}

/**
 * The REFERENCE_TYPE short run of every candidate of one (K, restart), or the numerical failure that
 * ended it, and the candidates ranked by them.
 */
interface Reference {
  runs: (EmRun | Error)[];
  order: number[];
}

/** Reference runs already made, per StartSet and `${K}/${restart}`: one set serves every model of the grid. */
const references = new WeakMap<StartSet, Map<string, Reference>>();

/**
 * The candidate indices of starts.partitions(K, restart) an iterative model tries: the hierarchical one
 * (when there is one) and the RANKED_STARTS others whose REFERENCE_TYPE short runs end highest (usable
 * runs first), in candidate order. It depends only on the StartSet, the data and the settings, never on
 * which candidates ran before, so a worker that computes it again gets the same indices.
 */
export async function rankedStarts(starts: StartSet, K: number, restart: number, ctx: RankingContext): Promise<number[]> {
  const count = starts.partitions(K, restart).length;
  const hc = starts.hasHierarchical(K) ? 1 : 0;
  if (count <= hc + RANKED_STARTS) return Array.from({ length: count }, (_, i) => i);
  const { order } = await reference(starts, K, restart, ctx);
  return [...(hc ? [0] : []), ...order.filter((i) => i >= hc).slice(0, RANKED_STARTS)].sort((a, b) => a - b);
}

/**
 * The REFERENCE_TYPE short runs themselves, per candidate (an Error where the run failed): they are
 * exactly stage 1 of init 'auto' for the REFERENCE_TYPE model (its own name or mclust's VVV) under the
 * same settings, so that model's candidate takes them instead of running them again.
 */
export async function referenceRuns(starts: StartSet, K: number, restart: number, ctx: RankingContext): Promise<(EmRun | Error)[]> {
  return (await reference(starts, K, restart, ctx)).runs;
}

async function reference(starts: StartSet, K: number, restart: number, ctx: RankingContext): Promise<Reference> {
  let cache = references.get(starts);
  if (!cache) references.set(starts, (cache = new Map()));
  const key = `${K}/${restart}`;
  let found = cache.get(key);
  if (!found) cache.set(key, (found = await runReference(starts, K, restart, ctx)));
  return found;
}

/** Every candidate's REFERENCE_TYPE short run, and the candidates best run first (failed runs last; ties by index). */
async function runReference(starts: StartSet, K: number, restart: number, ctx: RankingContext): Promise<Reference> {
  const { backend, handle, regCovar } = ctx;
  const estimator = new MaximumLikelihood(REFERENCE_TYPE, regCovar, backend);
  const engine = new LocalEngine(backend, handle);
  const settings: EmSettings = { ...ctx.settings, type: REFERENCE_TYPE, mustExceed: undefined, onIteration: undefined };
  const runs: (EmRun | Error)[] = [];
  const score: { usable: boolean; bound: number }[] = [];
  for (const labels of starts.partitions(K, restart)) {
    try {
      const init = { X: starts.rows, weights: starts.weights, k: K, type: REFERENCE_TYPE, regCovar, rng: new Random(0), backend, handle } as const;
      const start = factorize(starts.initialEstimate(labels, init), backend, regCovar, 'at initialisation');
      const run = await runEm(engine, estimator, start, settings);
      runs.push(run);
      score.push({ usable: ctx.usable(run.mixture), bound: run.lowerBound });
    } catch (err) {
      if (!isNumericalFailure(err)) throw err;
      runs.push(err);
      score.push({ usable: false, bound: -Infinity });
    }
  }
  const order = score
    .map((_, i) => i)
    .sort((a, b) => Number(score[b].usable) - Number(score[a].usable) || score[b].bound - score[a].bound || a - b);
  return { runs, order };
}
