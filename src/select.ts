import type { CovarianceType, Matrix, MatrixInput } from './types.js';
import { COVARIANCE_TYPES, mclustName } from './types.js';
import type { GaussianMixtureOptions, ResolvedOptions } from './options.js';
import { resolveOptions } from './options.js';
import { GaussianMixture } from './model.js';
import type { FitState } from './fit.js';
import { fitMixture } from './fit.js';
import { backendNameFor, createBackend } from './backend/create.js';
import type { Backend, DataHandle } from './backend/types.js';
import type { EmRun, Settling } from './em.js';
import { LocalEngine } from './em.js';
import { MCLUST_MODELS, isIterativeModel, mclustParameterCount } from './covariance-models.js';
import type { Mixture } from './params.js';
import { collapseReason, collapsedComponent } from './collapse.js';
import { GRID_BUDGET, HIERARCHICAL_BUDGET, StartSet } from './starts.js';
import type { RankingContext } from './start-ranking.js';
import { REFERENCE_TYPE, rankedStarts, referenceRuns } from './start-ranking.js';
import { meanColumnVariance } from './kmeans.js';
import { criteria } from './criteria.js';
import { randomSeed } from './random.js';
import { GaussianMixtureError, abortError, describe, isNumericalFailure } from './errors.js';
import { coreCount, resolveWorkerCount, startPool } from './parallel.js';
import { toMatrix } from './input.js';

type Rows = Matrix<Float64Array> | Matrix<Float32Array>;

export type Criterion = 'bic' | 'icl' | 'aic';

export interface SelectionOptions extends Omit<GaussianMixtureOptions, 'nComponents' | 'covarianceType'> {
  /** Candidate numbers of components. Default 1..9 (mclust's default range). */
  nComponents?: number[];
  /** Candidate covariance types: a list, or 'mclust' for all fourteen mclust models. Default full, tied, diag, spherical. */
  covarianceTypes?: CovarianceType[] | 'mclust';
  /** 'bic' (default), 'icl' or 'aic'; lower is better. */
  criterion?: Criterion;
  /**
   * Under the default stopping rule (no `tol`), a candidate stops as soon as it cannot beat the best
   * candidate with fewer components (SelectionRow.outraced). false fits every candidate to convergence.
   * Default true; off with onDegenerate 'reseed' (a re-seed can raise a fit's log-likelihood at any iteration).
   */
  race?: boolean;
  /** Progress: called after each distinct candidate is fitted (`done` of `total`, in completion order). */
  onCandidate?: (info: { done: number; total: number; nComponents: number; covarianceType: CovarianceType }) => void;
}

export interface SelectionRow {
  nComponents: number;
  covarianceType: CovarianceType;
  /** NaN when the candidate was not fitted or its fit failed (see `degenerate`). */
  bic: number;
  icl: number;
  aic: number;
  /** Total log-likelihood sum_i log p(x_i) at the fitted parameters. */
  logLikelihood: number;
  meanLogLikelihood: number;
  /** Free parameters (mclust's nMclustParams). */
  nParameters: number;
  /** EM met the stopping rule; false when it ran out of iterations or the candidate was `outraced`. */
  converged: boolean;
  /**
   * true when EM stopped early because the candidate could not win (the race, SelectionOptions.race):
   * it was more than 10 units of total log-likelihood short of the level where its criterion beats
   * that of the best usable candidate with fewer components (ICL >= BIC, so BIC's level serves ICL), and
   * would stay short even if each iteration left gained twice the largest of its last ten increments.
   * Its values are those where it stopped (its log-likelihood is underestimated), converged is
   * false, and it is never chosen. Absent for the candidates that ran to the end.
   */
  outraced?: boolean;
  /**
   * Why the candidate can never be chosen, as mclust reports NA: more free parameters than rows (not
   * fitted), the fit failed (an ill-defined covariance), or a component collapsed (a covariance
   * eigenvalue below 10 x regCovar: it sits on fewer than d + 1 distinct points, on a constant column
   * or on nearly collinear points). Absent for usable candidates.
   */
  degenerate?: string;
}

export interface Selection {
  /** The fitted candidate with the lowest criterion among those that are not degenerate. */
  best: GaussianMixture;
  criterion: Criterion;
  /** Every candidate, by covariance type then number of components. */
  table: SelectionRow[];
  /** mclust-style text: the top three candidates by the criterion and their differences from the best. */
  summary(): string;
}

/**
 * selectModel's stopping rule unless `tol` is given: EM stops when Aitken's extrapolation puts the
 * log-likelihood still to gain below SELECT_GAIN_TOL (total, not per row: BIC compares totals, and
 * 0.01 cannot reorder candidates), with the per-row change below SELECT_TOL as a backstop.
 */
export const SELECT_GAIN_TOL = 0.01;
export const SELECT_TOL = 1e-8;
/** Iteration cap of selectModel unless given: a tight tolerance needs room. */
export const SELECT_MAX_ITER = 1000;

/**
 * Fits every (nComponents, covarianceType) candidate and keeps the one with the lowest criterion, like
 * mclust's `Mclust()`. The candidates share their starts (init 'auto': one hierarchical tree and one set
 * of k-means seeds for the whole grid) and one backend. Degenerate candidates are recorded with the
 * reason and never chosen. Unless `tol` is given, EM stops by SELECT_GAIN_TOL (not the single-fit
 * default), and `maxIter` is SELECT_MAX_ITER, so that the defaults give the answer stricter settings give;
 * under that rule candidates race (SelectionOptions.race): fitted by number of components, fewest
 * first, each stops once it cannot beat the best with fewer components (if EM's increments shrink).
 */
export async function selectModel(X: MatrixInput, options: SelectionOptions = {}): Promise<Selection> {
  const {
    nComponents = [1, 2, 3, 4, 5, 6, 7, 8, 9],
    covarianceTypes = ['full', 'tied', 'diag', 'spherical'],
    criterion = 'bic',
    race = true,
    onCandidate,
    ...shared
  } = options;
  if (!Array.isArray(nComponents) || nComponents.length === 0 || !nComponents.every((k) => Number.isInteger(k) && k >= 1)) {
    throw new TypeError(`nComponents must be a non-empty array of integers >= 1, got ${describe(nComponents)}.`);
  }
  const types = covarianceTypes === 'mclust' ? [...MCLUST_MODELS] : covarianceTypes;
  if (!Array.isArray(types) || types.length === 0) {
    throw new TypeError(`covarianceTypes must be 'mclust' or a non-empty array of covariance types, got ${describe(covarianceTypes)}.`);
  }
  for (const t of types) {
    if (!COVARIANCE_TYPES.includes(t)) {
      throw new RangeError(`covarianceTypes contains ${describe(t)}; allowed: 'mclust' or a list of ${COVARIANCE_TYPES.join(', ')}.`);
    }
  }
  if (onCandidate !== undefined && typeof onCandidate !== 'function') {
    throw new TypeError(`onCandidate must be a function, got ${describe(onCandidate)}.`);
  }
  if (criterion !== 'bic' && criterion !== 'icl' && criterion !== 'aic') {
    throw new RangeError(`criterion must be 'bic', 'icl' or 'aic', got ${describe(criterion)}.`);
  }
  if (typeof race !== 'boolean') throw new TypeError(`race must be true or false, got ${describe(race)}.`);
  const base = { tol: SELECT_TOL, maxIter: SELECT_MAX_ITER, ...shared };
  const gainTol = shared.tol === undefined ? SELECT_GAIN_TOL : undefined;
  const resolved = resolveOptions(base); // every shared option is checked once, before any fit
  const rule: StoppingRule = { gainTol, race: race && gainTol !== undefined && resolved.onDegenerate !== 'reseed' ? criterion : null };
  if (base.missingValues === 'em') {
    // Its candidates fit on shared starts and in selection workers, which take complete rows only.
    throw new RangeError("selectModel does not support missingValues: 'em'; fit GaussianMixture models with it and compare their bic(X).");
  }
  const data = toMatrix(X);
  const seed = shared.seed ?? randomSeed();
  if (shared.signal?.aborted) throw abortError(shared.signal);

  // Names that compute the same model are fitted once: the aliases (full = VVV, ...), and in one
  // dimension every model with the same volume letter (all are mclust's E or V there).
  const plan: { covarianceType: CovarianceType; k: number; key: string }[] = [];
  const jobs = new Map<string, ResolvedOptions>();
  for (const covarianceType of types) {
    for (const k of nComponents) {
      if (k > data.rows) continue;
      const name = mclustName(covarianceType);
      const key = `${k}/${data.cols === 1 ? name[0] : name}`;
      plan.push({ covarianceType, k, key });
      if (!jobs.has(key)) jobs.set(key, resolveOptions({ ...base, seed, nComponents: k, covarianceType }));
    }
  }
  // init 'hc': one tree of all rows serves every candidate, and nothing else is drawn.
  const starts = new StartSet(data, null, seed, resolved.init === 'hc' ? HIERARCHICAL_BUDGET : GRID_BUDGET);
  const variance = meanColumnVariance(data);
  // Threads beyond the cores only share them.
  const workers = Math.min(await resolveWorkerCount(shared.workers ?? 1), jobs.size, await coreCount());
  let done = 0;
  const report = (o: ResolvedOptions): void =>
    onCandidate?.({ done: ++done, total: jobs.size, nComponents: o.nComponents, covarianceType: o.covarianceType });
  const list = [...jobs.values()];
  // Fewest components first: they converge in a few iterations, and they make the race's bar (`bar`).
  const order = list.map((_, i) => i).sort((a, b) => list[a].nComponents - list[b].nComponents || a - b);
  const results =
    (workers >= 2 ? await fitInWorkers(data, variance, list, order, starts, rule, workers, shared.signal, report) : null) ??
    (await fitHere(data, variance, list, order, starts, rule, report));

  const byKey = new Map([...jobs.keys()].map((key, i) => [key, results[i]]));
  const table: SelectionRow[] = [];
  let best: { value: number; options: ResolvedOptions; state: FitState } | null = null;
  for (const { covarianceType, k, key } of plan) {
    const { row, state } = byKey.get(key)!;
    table.push({ ...row, covarianceType, nComponents: k });
    const value = row[criterion];
    if (row.degenerate === undefined && !row.outraced && state && (best === null || value < best.value)) best = { value, options: jobs.get(key)!, state };
  }
  if (best === null) {
    throw new GaussianMixtureError(
      'ILL_DEFINED_COVARIANCE',
      `No candidate model could be used: every one is degenerate (${table[0]?.degenerate ?? 'none fitted'}). ` +
        'Use fewer components, increase regCovar, or scale the data.',
    );
  }
  const chosen = GaussianMixture.fromFitState(best.options, best.state);
  return { best: chosen, criterion, table, summary: () => summarize(table, criterion) };
}

export interface CandidateResult {
  row: SelectionRow;
  state: FitState | null;
}

/**
 * How EM stops in every candidate: Aitken's gainTol (undefined: the options' tol alone), and the race
 * on a criterion (null: off), whose bar each fit is given as `best` (see `bar`).
 */
export interface StoppingRule {
  gainTol: number | undefined;
  race: Criterion | null;
}

/**
 * The race's bar for a candidate with k components: the lowest criterion among the usable candidates
 * with fewer components that ran to the end (Infinity: none). Fewer components only, so that the bar,
 * and with it the table, does not depend on which of the candidates with k finished first in workers.
 */
function bar(jobs: ResolvedOptions[], out: (CandidateResult | undefined)[], k: number, criterion: Criterion | null): number {
  let value = Infinity;
  if (criterion === null) return value;
  jobs.forEach((o, i) => {
    const row = out[i]?.row;
    if (o.nComponents < k && row && row.degenerate === undefined && !row.outraced) value = Math.min(value, row[criterion]);
  });
  return value;
}

/** The candidates one after the other on one backend of this thread, in `order`. */
async function fitHere(
  data: Rows, variance: number, jobs: ResolvedOptions[], order: number[], starts: StartSet, rule: StoppingRule, report: (o: ResolvedOptions) => void,
): Promise<CandidateResult[]> {
  const backend = await createBackend(jobs[0].backend);
  try {
    const handle = backend.load(data, null);
    const out: CandidateResult[] = new Array(jobs.length);
    for (const i of order) {
      out[i] = await fitCandidate(data, variance, jobs[i], backend, handle, starts, rule, bar(jobs, out, jobs[i].nComponents, rule.race));
      report(jobs[i]);
    }
    return out;
  } finally {
    backend.dispose();
  }
}

/**
 * The candidates spread over a pool of workers, each holding the data and every starting partition
 * (computed once, so the results equal fitHere's), taking the next candidate in `order` when it is
 * free. The partitions for K > 1 are made while the K = 1 candidates (which need none) run: worker 0
 * grows the hierarchical tree (most of the table's time), this thread draws the k-means and
 * random-row ones, and the other workers fit K = 1. With the race on, a candidate starts before all
 * those with fewer components have finished: it is sent the bar so far and told each better one and
 * the final one as they finish (EmSettings.mustExceed, a Settling value), and ends as it would have
 * from the final bar. Returns null when workers cannot be started here (the caller fits on this thread).
 */
async function fitInWorkers(
  data: Rows, variance: number, jobs: ResolvedOptions[], order: number[], starts: StartSet, rule: StoppingRule, workers: number,
  signal: AbortSignal | undefined, report: (o: ResolvedOptions) => void,
): Promise<CandidateResult[] | null> {
  const o = jobs[0];
  const backendName = backendNameFor(o.backend);
  const Ks = [...new Set(jobs.map((j) => j.nComponents))];
  const single = starts.table(Ks.filter((k) => k === 1), o.nInit);
  const pool = await startPool({
    workers, backend: backendName, signal, warnings: [],
    init: (_, module) => ({ msg: { type: 'select-init', backend: backendName, module, X: data, variance, starts: single }, transfer: [] }),
  });
  if (pool === null) return null;
  try {
    const tree = starts.treeRequest(Ks);
    const grown = tree && pool.shards[0].request({ type: 'select-tree', tree }, []).then((reply) => {
      if (reply.type !== 'tree') throw new Error(`selectModel: unexpected reply '${reply.type}'`);
      starts.useTree(tree, reply.parts);
    });
    // Before the K = 1 fits are sent, so that no more than two threads compute at once (the tree,
    // the longest, being one of them) on two cores.
    starts.draw(Ks, o.nInit);
    const out: CandidateResult[] = new Array(jobs.length);
    const known = (k: number): { best: number; final: boolean } => ({
      best: bar(jobs, out, k, rule.race),
      final: rule.race === null || jobs.every((j, i) => j.nComponents >= k || out[i] !== undefined),
    });
    // The candidate each worker runs and the bar it was last sent.
    const running: ({ i: number; best: number; final: boolean } | null)[] = pool.shards.map(() => null);
    const queue = [...order];
    const sentAt: number[] = [];
    const took: number[] = [];
    await pool.race(
      pool.shards.map(async (shard, w) => {
        if (w === 0) await grown;
        let table = false;
        while (queue.length > 0) {
          // The queue is in `order`: once its first candidate has K > 1, every one left needs the tree.
          if (!table && jobs[queue[0]].nComponents > 1) {
            await grown;
            await shard.request({ type: 'select-starts', starts: starts.table(Ks, o.nInit) }, []);
            table = true;
            continue;
          }
          const i = queue.splice(longestFirst(jobs, queue, sentAt, took), 1)[0];
          const sent = { i, ...known(jobs[i].nComponents) };
          running[w] = sent;
          sentAt[i] = performance.now();
          const { onIteration: _i, signal: _s, ...options } = jobs[i];
          const reply = await shard.request({ type: 'select-fit', id: i, options, rule, best: sent.best, final: sent.final }, []);
          took[i] = performance.now() - sentAt[i];
          running[w] = null;
          if (reply.type !== 'candidate') throw new Error(`selectModel: unexpected reply '${reply.type}'`);
          out[i] = reply.result;
          report(jobs[i]);
          // The candidates running against a bar that was not final yet learn its new value, or that it is final.
          running.forEach((r, v) => {
            if (r === null || r.final) return;
            const now = known(jobs[r.i].nComponents);
            if (now.best === r.best && !now.final) return;
            Object.assign(r, now);
            pool.shards[v].notify({ type: 'select-bar', id: r.i, best: now.best, final: now.final });
          });
        }
      }),
    );
    return out;
  } finally {
    await pool.close();
  }
}

/**
 * Which of `queue` (candidates in `order`) a free worker takes: among those with the fewest
 * components (the bar needs them first), the one whose covariance type took longest with the next
 * fewer components (so far, when still running), the first on ties. Long fits first leave the short
 * ones to fill the workers' last seconds, where otherwise one long fit runs alone: a type that
 * crawls with K components crawls with K + 1.
 */
function longestFirst(jobs: ResolvedOptions[], queue: number[], sentAt: number[], took: number[]): number {
  const k = jobs[queue[0]].nComponents;
  const fewer = Math.max(0, ...jobs.map((o) => (o.nComponents < k ? o.nComponents : 0)));
  const now = performance.now();
  const before = (i: number): number => {
    const j = jobs.findIndex((o) => o.nComponents === fewer && o.covarianceType === jobs[i].covarianceType);
    return j < 0 || sentAt[j] === undefined ? 0 : (took[j] ?? now - sentAt[j]);
  };
  let pick = 0;
  for (let q = 1; q < queue.length && jobs[queue[q]].nComponents === k; q++) if (before(queue[q]) > before(queue[pick])) pick = q;
  return pick;
}

/**
 * Fits one candidate on the shared backend; a failed or degenerate fit becomes a row that says why.
 * `variance` is the data's mean column variance (the scale of the collapse test); `best` the race's
 * bar (rule.race's lowest value so far, Infinity: none yet), or one that may still fall until final
 * (candidates with fewer components still running).
 */
export async function fitCandidate(
  data: Rows,
  variance: number,
  o: ResolvedOptions,
  backend: Backend,
  handle: DataHandle,
  starts: StartSet,
  rule: StoppingRule,
  best: number | Settling,
): Promise<CandidateResult> {
  const { nComponents: k, covarianceType } = o;
  const n = data.rows;
  const d = data.cols;
  const p = mclustParameterCount(mclustName(covarianceType), k, d);
  const row: SelectionRow = {
    nComponents: k, covarianceType, bic: NaN, icl: NaN, aic: NaN, logLikelihood: NaN, meanLogLikelihood: NaN, nParameters: p, converged: false,
  };
  if (p > n) {
    row.degenerate = `${p} free parameters for ${n} rows (not fitted)`;
    return { row, state: null };
  }
  // The criterion is -2 L + penalty, and ICL >= BIC: below this total log-likelihood L it cannot beat `best`.
  const penalty = rule.race === 'aic' ? 2 * p : p * Math.log(n);
  const level = (b: number): number => (penalty - b) / 2;
  const mustExceed: number | Settling | undefined =
    rule.race === null ? undefined
    : typeof best === 'number' ? (Number.isFinite(best) ? level(best) : undefined)
    : { get value() { return level(best.value); }, get final() { return best.final; }, settled: () => best.settled() };
  const usable = (m: Mixture): boolean => collapsedComponent(m, o.regCovar, variance) === null;
  /** `use` with the reference runs' context (start-ranking.ts): the StartSet's rows and stage 1's settings. */
  const withReference = async <T>(restart: number, use: (ctx: RankingContext) => Promise<T>): Promise<T> => {
    const sample = starts.subsampled ? backend.load(starts.rows, starts.weights) : handle;
    try {
      const settings = { ...o, type: covarianceType, init: restart, gainTol: rule.gainTol, maxIter: Math.min(starts.shortRun, o.maxIter) };
      return await use({ backend, handle: sample, regCovar: o.regCovar, settings, usable });
    } finally {
      if (sample !== handle) backend.release(sample);
    }
  };
  const name = mclustName(covarianceType);
  // The iterative models' cold starts are most of a grid's time: they try the best-ranked few only.
  const pickStarts = isIterativeModel(name)
    ? (K: number, restart: number): Promise<number[]> => withReference(restart, (ctx) => rankedStarts(starts, K, restart, ctx))
    : undefined;
  // The reference model's stage 1 is the ranking's runs, made once (unless its runs report progress or re-seed).
  const shortRuns = name === mclustName(REFERENCE_TYPE) && o.onIteration === undefined && o.onDegenerate !== 'reseed'
    ? (K: number, restart: number): Promise<(EmRun | Error)[]> => withReference(restart, (ctx) => referenceRuns(starts, K, restart, ctx))
    : undefined;
  let state: FitState;
  try {
    state = await fitMixture({
      data, weights: null, handle, backend, engine: new LocalEngine(backend, handle), options: o, seed: o.seed!, warm: null, starts,
      usable, gainTol: rule.gainTol, mustExceed, pickStarts, shortRuns,
    });
  } catch (err) {
    if (isNumericalFailure(err)) {
      row.degenerate = `the fit failed: ${err.message}`;
      return { row, state: null };
    }
    throw err;
  }
  const resp = new Float64Array(n * k);
  const ll = backend.score(handle, state.mixture.kernel, new Float64Array(n), resp);
  row.logLikelihood = ll;
  row.meanLogLikelihood = ll / n;
  Object.assign(row, criteria(ll, p, n, resp, k));
  row.converged = state.converged;
  // A fit the race cut short is exact only if its kept run got past the bar anyway (fit.ts FitState.outraced).
  if (state.outraced && !(ll > (typeof mustExceed === 'object' ? mustExceed.value : mustExceed!))) {
    row.outraced = true;
    row.converged = false;
  }
  const collapsed = collapsedComponent(state.mixture, o.regCovar, variance);
  if (collapsed !== null) {
    row.degenerate = collapseReason(collapsed, o.regCovar) + (state.abandoned ? ", in every start's short run (not fitted further)" : '');
  }
  return { row, state };
}

/** The top three usable candidates by the criterion, mclust's layout in gmm-wasm's sign (lower is better). */
function summarize(table: SelectionRow[], criterion: Criterion): string {
  const usable = table.filter((r) => r.degenerate === undefined).sort((a, b) => a[criterion] - b[criterion]);
  const top = usable.slice(0, 3);
  const name = criterion.toUpperCase();
  const label = (r: SelectionRow): string => `${mclustName(r.covarianceType)},${r.nComponents}`;
  const width = Math.max(12, ...top.map((r) => label(r).length + 2));
  const cell = (s: string): string => s.padStart(width);
  const lines = [
    `Best ${name} values (lower is better; mclust's sign is the opposite):`,
    `${''.padEnd(10)}${top.map((r) => cell(label(r))).join('')}`,
    `${name.padEnd(10)}${top.map((r) => cell(r[criterion].toFixed(4))).join('')}`,
    `${`${name} diff`.padEnd(10)}${top.map((r) => cell((r[criterion] - top[0][criterion]).toFixed(4))).join('')}`,
  ];
  const skipped = table.length - usable.length;
  if (skipped > 0) lines.push(`(${skipped} of ${table.length} candidates degenerate or not fitted; see table[].degenerate)`);
  const outraced = usable.filter((r) => r.outraced).length;
  if (outraced > 0) lines.push(`(${outraced} of ${table.length} candidates stopped early, unable to win: their values are where they stopped; see table[].outraced)`);
  return lines.join('\n');
}
