import type { Matrix } from './types.js';
import { kernelFamily } from './types.js';
import type { Backend, DataHandle } from './backend/types.js';
import { createStats } from './backend/types.js';
import type { ResolvedOptions } from './options.js';
import type { EmRun, EmSettings, Estimator, PassEngine, Settling } from './em.js';
import { LocalEngine, MaximumLikelihood, runEm } from './em.js';
import type { EstimateInit, InitContext } from './init.js';
import { initialEstimate } from './init.js';
import type { Mixture } from './params.js';
import { factorize } from './params.js';
import { Random } from './random.js';
import { HIERARCHICAL_BUDGET, MOVE_ROUNDS, SINGLE_FIT_BUDGET, StartSet } from './starts.js';
import { splitMergePartitions } from './split-merge.js';
import { GaussianMixtureError, isNumericalFailure } from './errors.js';
import type { MatrixSource } from './input.js';
import { asRows } from './input.js';
import { Reseeder } from './degenerate.js';
import { collapsedComponent } from './collapse.js';
import { meanColumnVariance } from './kmeans.js';

type Rows = Matrix<Float64Array> | Matrix<Float32Array>;

/** What a fit leaves behind: the parameters of the kept run and its trace. */
export interface FitState<P extends Mixture = Mixture> {
  mixture: P;
  converged: boolean;
  nIter: number;
  lowerBound: number;
  history: number[];
  /**
   * A run of the fit (a restart, or a start init 'auto' finished) stopped because it could not reach
   * FitJob.mustExceed (selectModel's race): unless the kept run exceeds it, a fit without the race may
   * have kept another run.
   */
  outraced?: boolean;
  /**
   * Model selection (FitJob.usable): every short run of init 'auto' had a collapsed component, so the
   * fit stopped after them and `mixture` is the best of those runs, not a converged fit.
   */
  abandoned?: boolean;
}

/**
 * On a sample (a StartSet's subsample, or of a chunk source) the finishing runs only pick
 * the start of EM on all rows: they stop when the mean log-likelihood gains less than this per row...
 */
export const SAMPLE_TOL = 1e-5;
/** ... or after this many iterations in all. */
export const SAMPLE_MAX_ITER = 200;

export interface FitJob<P extends Mixture = Mixture> {
  /**
   * The rows initialisation works on, loaded in `backend` as `handle`: all rows of an in-memory fit,
   * or a sample of a chunk source (then `complete` is false). A MatrixSource (strided, integer,
   * Arrow) is copied into a dense matrix only by the initialisations that read every row; init
   * 'auto' copies only its sample (StartSet).
   */
  data: Rows | MatrixSource;
  weights: Float64Array | null;
  handle: DataHandle;
  /** Holds `handle`; computes initial statistics and factorises covariances. */
  backend: Backend;
  /** Where the EM passes over all rows run: the in-memory data, shards in workers, or chunks. */
  engine: PassEngine;
  /** Whether `data` is all the rows (default true). */
  complete?: boolean;
  options: ResolvedOptions;
  /** The seed of this fit's random choices (restarts fork from it). */
  seed: number;
  /** Parameters to continue from (warmStart), or null. */
  warm: FitState<P> | null;
  /**
   * The kind of model fitted (em.ts), with its initialisation from `options.init`; default maximum
   * likelihood (GaussianMixture). init 'auto' is maximum likelihood's alone: the options of other
   * estimators do not accept it.
   */
  estimator?: FitEstimator<P>;
  /** Shared candidate starts for init 'auto' (selectModel passes one set for its grid); made here when absent. */
  starts?: StartSet;
  /** init 'auto': whether a finished run is acceptable (selectModel: no collapsed component); preferred when any is. */
  usable?: (m: Mixture) => boolean;
  /** EmSettings.gainTol: Aitken's stopping rule in units of total log-likelihood (selectModel's default). */
  gainTol?: number;
  /**
   * EmSettings.mustExceed (selectModel's race), in units of total log-likelihood over all rows: only
   * runs over all rows take it (init 'auto' runs its short runs, and on large data both stages, on a sample).
   */
  mustExceed?: number | Settling;
  /** Where the fit's warnings go (onDegenerate 'reseed' reports each re-seed). */
  warnings?: string[];
  /**
   * init 'auto': the indices of starts.partitions(K, restart) whose short runs run (selectModel's
   * ranked starts for iterative models, start-ranking.ts); all of them when absent.
   */
  pickStarts?: (K: number, restart: number) => Promise<readonly number[]>;
  /**
   * init 'auto': stage 1 already run, the short run of every candidate of starts.partitions(K, restart)
   * (an Error where it failed) under this fit's settings: selectModel's reference runs, which rank the
   * starts of the iterative models and are the REFERENCE_TYPE model's own (start-ranking.ts).
   */
  shortRuns?: (K: number, restart: number) => Promise<readonly (EmRun | Error)[]>;
}

/** An estimator and its start from an initialisation strategy (`ctx.rng` is the restart's). */
export interface FitEstimator<P extends Mixture = Mixture> extends Estimator<P> {
  initialize(init: EstimateInit, ctx: InitContext): P;
}

/** GaussianMixture's estimator: maximum likelihood, started from the estimate of the initialisation. */
class MaximumLikelihoodFit extends MaximumLikelihood implements FitEstimator<Mixture> {
  initialize(init: EstimateInit, ctx: InitContext): Mixture {
    return factorize(initialEstimate(init, ctx), this.backend, this.regCovar, 'at initialisation');
  }
}

/**
 * The fit driver: `nInit` runs (one when warm) from the configured initialisation, the one with the
 * highest final lower bound kept; when the estimator's bound is that of the parameters before an
 * update, a final E-step closes the history with the bound of the returned parameters.
 */
export async function fitMixture<P extends Mixture = Mixture>(job: FitJob<P>): Promise<FitState<P>> {
  const { data, weights, handle, backend, engine, options: o, warm } = job;
  const k = o.nComponents;
  const reseeder = o.onDegenerate === 'reseed' ? new Reseeder({ backend, handle, data, weights, regCovar: o.regCovar, warnings: job.warnings ?? [] }) : undefined;
  const estimator = job.estimator ?? (new MaximumLikelihoodFit(o.covarianceType, o.regCovar, backend, reseeder) as unknown as FitEstimator<P>);
  const settings: EmSettings = { ...o, type: o.covarianceType, init: 0, gainTol: job.gainTol, mustExceed: job.mustExceed };
  const rng = new Random(job.seed);
  let best: AutoRun<P> | null = null;
  let dense: Rows | null = null;
  const runs = warm ? 1 : o.nInit;
  let outraced = false;
  for (let r = 0; r < runs; r++) {
    const runRng = new Random(rng.fork());
    let run: AutoRun<P>;
    if (warm) {
      run = await runEm(engine, estimator, warm.mixture, settings, warm.lowerBound);
    } else if (o.init === 'auto') {
      // Only maximum likelihood (P = Mixture) accepts init 'auto' (FitJob.estimator).
      run = (await autoRun(job as FitJob, r, { ...settings, init: r }, reseeder)) as AutoRun<P>;
    } else {
      const X = (dense ??= asRows(data));
      const init = o.init === 'hc' ? { labels: hierarchicalLabels(job, X) } : o.init;
      const start = estimator.initialize(init, { X, weights, k, type: o.covarianceType, regCovar: o.regCovar, rng: runRng, backend, handle });
      run = await runEm(engine, estimator, start, { ...settings, init: r });
    }
    if (best === null || run.lowerBound > best.lowerBound) best = run;
    outraced ||= run.outraced === true;
    if (run.stopped) break; // onIteration returned false: stop the whole fit, not just this restart
  }

  const history = [...best!.history];
  if (!estimator.boundAfterUpdate) {
    // Final E-step: the log-likelihood at the returned parameters closes the history.
    const stats = createStats(k, data.cols, kernelFamily(o.covarianceType));
    await engine.emPass(best!.mixture.kernel, stats);
    const final = stats.logLik / stats.weightSum;
    if (!Number.isFinite(final)) {
      // runEm checks every iteration's value; with maxIter 0 this is the first one computed.
      throw new GaussianMixtureError(
        'NUMERICAL_FAILURE',
        `The mean log-likelihood at the fitted parameters is ${final}: a row is too far (in Mahalanobis distance) from every component for float64. ` +
          `Scale the data (columns with standard deviation near 1) or increase regCovar (now ${o.regCovar}).`,
      );
    }
    history.push(final);
  }
  const state: FitState<P> = { mixture: best!.mixture, converged: best!.converged, nIter: best!.nIter, lowerBound: best!.lowerBound, history, outraced };
  if (best!.abandoned) state.abandoned = true;
  return state;
}

/**
 * init 'hc': mclust's hierarchical partition of `rows` (the job's data, dense) into nComponents groups,
 * from the job's StartSet (one tree for a whole selectModel grid) or one made here.
 */
function hierarchicalLabels(job: FitJob, rows: Rows): Int32Array {
  const k = job.options.nComponents;
  const labels = (job.starts ??= new StartSet(rows, job.weights, job.seed, HIERARCHICAL_BUDGET)).hierarchicalStart(k);
  if (labels === null) {
    throw new GaussianMixtureError(
      'ILL_DEFINED_COVARIANCE',
      `init 'hc' cannot split the rows into nComponents = ${k} groups: they have fewer than ${k} distinct values${job.weights ? ' among those with positive weight' : ''}. Use fewer components.`,
    );
  }
  return labels;
}

/**
 * init 'auto', a two-stage emEM (Biernacki, Celeux and Govaert 2003). Stage 1: a short EM run
 * (StartSet.shortRun iterations) from every distinct candidate start of the StartSet (mclust's
 * hierarchical partition, k-means and random-row partitions, more where an iteration is cheap:
 * StartBudget).
 * Stage 2: the hierarchical run and the best others (StartSet.survivors, within the budget's margin
 * of the best) continue to convergence, and the highest final log-likelihood wins. A short run ranks
 * starts poorly when they are close (a start that is behind after 20 iterations can end far ahead),
 * which is why several runs near the top finish.
 * Stage 3 (where StartSet.moves allows): split-and-merge moves from the best run (split-merge.ts),
 * each run to convergence like stage 2; a move that ends higher becomes the best run and the next
 * round starts from it (at most MOVE_ROUNDS). They find the optima with a component on one row that
 * only a few per cent of starts reach.
 * Candidates whose covariance becomes ill-defined drop out. `job.usable` (model selection) ranks
 * runs it rejects (collapsed components) below every run it accepts. On data larger than the
 * StartSet's sample all stages use the sample, stages 2 and 3 only to SAMPLE_TOL, and the winner's
 * parameters start EM on all rows.
 * onIteration sees every run, with `candidate` saying whose; when it stops the fit, the best run so
 * far is the result.
 */
async function autoRun(job: FitJob, restart: number, s: EmSettings, reseeder: Reseeder | undefined): Promise<AutoRun> {
  const { data, weights, backend, engine, options: o } = job;
  const estimator = new MaximumLikelihood(o.covarianceType, o.regCovar, backend, reseeder);
  const starts = (job.starts ??= new StartSet(data, weights, job.seed, SINGLE_FIT_BUDGET));
  const k = o.nComponents;
  // On a sample (of the data, or of a chunk source) the candidates compete there, and the winner's
  // parameters then start EM on all rows.
  const onSample = starts.subsampled || job.complete === false;
  const sample = starts.subsampled ? backend.load(starts.rows, starts.weights) : job.handle;
  try {
    const sampleEngine = onSample ? new LocalEngine(backend, sample) : engine;
    const weightSum = starts.weights ? starts.weights.reduce((a, b) => a + b, 0) : starts.rows.rows;
    let failure: unknown = null;
    let stopped = false;
    /**
     * Runs every entry on to `until` iterations in all (under `settings`); drops the ones whose covariance fails. Once
     * onIteration has stopped the fit, the remaining entries are passed through as they are.
     */
    const advance = async (entries: Entry[], until: number, settings: EmSettings): Promise<Entry[]> => {
      const out: Entry[] = [];
      for (const e of entries) {
        if (stopped || e.run.converged || e.run.nIter >= Math.min(until, settings.maxIter)) {
          out.push(e);
          continue;
        }
        try {
          const { run, candidate } = e;
          // The race's bound needs the run's real end and all rows: stage 2 when there is no sample.
          const mustExceed = !onSample && until === Infinity ? settings.mustExceed : undefined;
          const step = { ...settings, maxIter: Math.min(until, settings.maxIter) - run.nIter, firstIter: run.nIter + 1, candidate, mustExceed };
          // A held run goes on as if it had not stopped (Aitken's test spans the join).
          const rest = await runEm(sampleEngine, estimator, run.mixture, step, run.lowerBound, run.held ? run.history[run.history.length - 2] : undefined);
          const next = { run: { ...rest, nIter: run.nIter + rest.nIter, history: [...run.history, ...rest.history] }, candidate };
          out.push(next);
          stopped = rest.stopped;
        } catch (err) {
          if (!isNumericalFailure(err)) throw err;
          failure = err;
        }
      }
      return out;
    };

    /** Entries at 0 iterations from these (candidate number, partition) pairs; ill-defined ones drop out. */
    const startAt = (numbered: Iterable<[number, Int32Array]>): Entry[] => {
      const out: Entry[] = [];
      for (const [candidate, labels] of numbered) {
        try {
          const ctx = { X: starts.rows, weights: starts.weights, k, type: o.covarianceType, regCovar: o.regCovar, rng: new Random(0), backend, handle: sample };
          const start = factorize(starts.initialEstimate(labels, ctx), backend, o.regCovar, 'at initialisation');
          out.push({ run: { mixture: start, converged: false, nIter: 0, lowerBound: -Infinity, history: [], stopped: false }, candidate });
        } catch (err) {
          if (!isNumericalFailure(err)) throw err;
          failure = err;
        }
      }
      return out;
    };
    // Stage 1: every candidate tried (job.pickStarts; all by default) starts (0 iterations) and runs
    // StartSet.shortRun iterations, unless job.shortRuns has those runs.
    const partitions = starts.partitions(k, restart);
    // Whether a candidate collapsed in every short run stops after them (see below).
    const abandonable = job.usable !== undefined && !onSample && !reseeder;
    let entries: Entry[] = [];
    if (job.shortRuns) {
      (await job.shortRuns(k, restart)).forEach((run, candidate) => {
        if (run instanceof Error) failure = run;
        // Made under the reference's name (full = VVV): the same numbers, named as this fit's type.
        else entries.push({ run: { ...run, mixture: { ...run.mixture, type: o.covarianceType } }, candidate });
      });
    } else {
      const tried = job.pickStarts ? await job.pickStarts(k, restart) : partitions.keys();
      const begun = startAt(Array.from(tried, (c): [number, Int32Array] => [c, partitions[c]]));
      // A short run collapsed at iteration COLLAPSE_HOLD waits there: when every other run is
      // collapsed too, the candidate is abandoned below without the rest of its short runs; else the
      // held ones go on to the end of theirs, and stage 1 is what it would have been.
      const hold = abandonable && starts.shortRun > COLLAPSE_HOLD ? { ...s, holdAt: { iteration: COLLAPSE_HOLD, keep: job.usable! } } : s;
      entries = await advance(begun, starts.shortRun, hold);
      if (entries.some((e) => e.run.held) && entries.some((e) => job.usable!(e.run.mixture))) entries = await advance(entries, starts.shortRun, s);
    }
    // A model selection candidate whose every short run has a collapsed component is degenerate, and
    // so never chosen, whatever its finished fit: on the real data the finished fits of all such
    // candidates were collapsed too (boston's 14 models: 33-36 of 108 per seed; no other set had one),
    // and finishing them was 28 % of that grid's time (BENCHMARKS.md "Collapsed candidates stop
    // after the short runs"). mclust likewise drops a model once a covariance turns singular. Not on
    // a sample, whose fewer rows collapse more readily than the data, nor when re-seeding may move
    // the collapsed components.
    if (abandonable && !stopped && entries.length > 0 && !entries.some((e) => job.usable!(e.run.mixture))) {
      return { ...bestOf(entries).run, converged: false, abandoned: true };
    }
    // The hierarchical start (candidate 0 when K > 1) is never dropped: it is mclust's start, and the
    // one most often behind after a few iterations and ahead at the end.
    const hcIndex = starts.hasHierarchical(k) ? 0 : -1;
    const keep = (list: Entry[], margin: number, most: number): Entry[] => {
      const hc = list.find((e) => e.candidate === hcIndex);
      const ranked = list.filter((e) => e !== hc).sort((a, b) => b.run.lowerBound - a.run.lowerBound);
      const top = Math.max(hc?.run.lowerBound ?? -Infinity, ranked[0]?.run.lowerBound ?? -Infinity);
      const kept = hc ? [hc] : [];
      for (const e of ranked) {
        if (kept.length - (hc ? 1 : 0) >= most || e.run.lowerBound < top - margin / weightSum) break;
        // Runs at the same log-likelihood (to 1e-9) after the short runs are in one basin: finish one.
        if (kept.some((f) => Math.abs(f.run.lowerBound - e.run.lowerBound) <= SAME_OPTIMUM * Math.abs(e.run.lowerBound))) continue;
        kept.push(e);
      }
      return kept;
    };
    // Stage 2: the hierarchical run and the best others continue to convergence (on a sample, loosely).
    const finish = onSample ? { ...s, tol: Math.max(s.tol, SAMPLE_TOL), gainTol: undefined, maxIter: Math.min(s.maxIter, SAMPLE_MAX_ITER) } : s;
    if (!stopped) entries = await advance(keep(entries, starts.budget.margin, starts.survivors(k)), Infinity, finish);
    // Started entries only: a stop before any iteration leaves the 0-iteration ones, at -Infinity.
    if (entries.length === 0) throw failure;
    let best = bestOf(entries, job.usable);
    // Stage 3: split-and-merge moves from the best run, round after round while one improves it. A
    // move never turns a clean winner into a collapsed one: on three overlapping blobs (3 000 rows) a
    // one-row spike beat the clustering by 4 units (test/auto-init.test.ts), an answer no user wants.
    let next = partitions.length;
    const count = starts.moves(k);
    const variance = count > 0 ? meanColumnVariance(starts.rows) : 0;
    const clean = (m: Mixture): boolean => collapsedComponent(m, o.regCovar, variance) === null;
    for (let round = 0; round < MOVE_ROUNDS && count > 0 && !stopped; round++) {
      const moved = splitMergePartitions(best.run.mixture, backend, sample, starts.weights, count);
      const moves = startAt(moved.map((labels, i): [number, Int32Array] => [next + i, labels]));
      next += moved.length;
      let finished = await advance(moves, Infinity, finish);
      if (clean(best.run.mixture)) finished = finished.filter((e) => clean(e.run.mixture));
      const challenger = bestOf([best, ...finished], job.usable);
      if (challenger === best) break;
      best = challenger;
    }
    const { run: winner, candidate } = best;
    if (stopped) return { ...winner, stopped: true };
    if (!onSample) return { ...winner, outraced: entries.some((e) => e.run.outraced) };
    return await runEm(engine, estimator, winner.mixture, { ...s, candidate });
  } finally {
    if (sample !== job.handle) backend.release(sample);
  }
}

/**
 * The iteration of a model selection candidate's short runs (GRID_SHORT_RUN = 10) at which a run with
 * a collapsed component waits to see whether all of them collapse (autoRun). Of 12 692 short runs on
 * the seven real sets that are not subsampled (seeds 1-3, both grids), 1 867 were collapsed at some
 * iteration, all but 3 of them from then to the end of the run; those 3 were clean again from
 * iteration 5 (two VVV runs, which rank the starts and are never held) and 3 (a VVE run)
 * (BENCHMARKS.md "Collapsed short runs wait at iteration 5").
 */
const COLLAPSE_HOLD = 5;

/** A run of the fit driver; init 'auto' marks one it stopped after the short runs (FitState.abandoned). */
type AutoRun<P extends Mixture = Mixture> = EmRun<P> & { abandoned?: boolean };

/** A run of init 'auto' and the candidate start it came from. */
interface Entry {
  run: EmRun;
  candidate: number;
}

/**
 * The run with the highest lower bound, among those `usable` accepts when it accepts any. Runs within
 * SAME_OPTIMUM of each other (relative) count as equal and the first in candidate order wins, so that
 * the summation order of the passes (workers, chunks) cannot choose between them.
 */
function bestOf<T extends { run: EmRun }>(runs: T[], usable?: (m: Mixture) => boolean): T {
  const pool = usable ? runs.filter((r) => usable(r.run.mixture)) : runs;
  return (pool.length > 0 ? pool : runs).reduce((a, b) => (b.run.lowerBound - a.run.lowerBound > SAME_OPTIMUM * Math.abs(a.run.lowerBound) ? b : a));
}

/** Relative difference of lower bounds below which two runs of init 'auto' are one optimum. */
const SAME_OPTIMUM = 1e-9;
