import type { KernelFamily, Matrix } from './types.js';
import { kernelFamily } from './types.js';
import type { Stats } from './backend/types.js';
import type { InitContext } from './init.js';
import { initialResponsibilities, responsibilityStatistics } from './init.js';
import { mStep } from './mstep.js';
import type { Estimate } from './params.js';
import { Random } from './random.js';
import { assignNearest, kmeans, sampleIndices, takeRows } from './kmeans.js';
import { hcPartitions } from './hc.js';
import type { MatrixSource } from './input.js';
import { asRows, denseSource, pickRows } from './input.js';

type Rows = Matrix<Float64Array> | Matrix<Float32Array>;

/**
 * Above this many rows, init 'auto' compares its candidate starts on a seeded subsample of this size
 * (short EM runs on all rows of a large data set would cost more than the fit), then runs EM on all
 * rows from the winner's parameters.
 */
export const START_SAMPLE_ROWS = 5000;

/**
 * How many candidates init 'auto' tries and finishes, scaled by the cost of one EM iteration, taken as
 * rows x K x d^2 (the E-step of full covariances) on the rows the candidates compete on: where an
 * iteration is cheap, many more starts cost little and find the rare optima a few starts miss.
 */
export interface StartBudget {
  /** EM iterations of each candidate's short run (stage 1 of init 'auto') on data not subsampled. */
  shortRun: number;
  /** Per kind (k-means, random-row): startWork / cost, between MIN_STARTS and maxStarts. */
  startWork: number;
  maxStarts: number;
  /** Short runs besides the hierarchical one that continue: finishWork / cost, between minSurvivors and maxSurvivors... */
  finishWork: number;
  minSurvivors: number;
  maxSurvivors: number;
  /** ... that end their short runs within this many units of total log-likelihood of the best. */
  margin: number;
  /** Above this many rows the candidates compete on a sample of this size. */
  sampleRows: number;
  /**
   * Split-and-merge moves tried from the best finished run, per round (split-merge.ts): moveWork /
   * cost, at most maxMoves; none when absent (a grid of fits).
   */
  moveWork?: number;
  maxMoves?: number;
  /** init 'hc': the hierarchical partition is the only candidate (no k-means or random-row draws). */
  hierarchicalOnly?: boolean;
}

/**
 * Rounds of split-and-merge moves: each round starts from the best run so far and the moves stop at
 * the first round that improves nothing. On the six small real data sets (800 fits) 209 fits improved
 * in a first round, 75 in a second, 59 in a third, 9 in a fourth and 1 in the fifth
 * (BENCHMARKS.md "Split and merge moves").
 */
export const MOVE_ROUNDS = 5;

/** EM iterations each candidate start of a single fit's init 'auto' gets in its first stage. */
export const SHORT_RUN_ITERATIONS = 20;

/**
 * The short runs in a grid (selectModel) on data of at most sampleRows rows. Half a single fit's:
 * the hierarchical start always finishes, so shorter runs that rank the other starts less well can
 * cost only the gains over Mclust's start; on the seven such real sets they cost none and took
 * 20-35 % of the EM passes off the grids (BENCHMARKS.md "Shorter short runs in a grid"). A
 * subsampled set keeps SHORT_RUN_ITERATIONS: its short runs are on the sample, a small part of the
 * time, and on gvhd the shorter ones chose worse models on two seeds of three.
 */
export const GRID_SHORT_RUN = 10;

/** The fewest k-means and the fewest random-row partitions among the candidates, per K and restart. */
export const MIN_STARTS = 5;

/**
 * A single fit: from 5 + 5 starts and 5 finishers where an iteration costs 2.4e6 or more up to 40 + 40
 * starts below 3e5 and 10 finishers below 1e5 (the small sets of bench/realdata.mjs, where a fit costs
 * milliseconds), all finishing regardless of their short-run log-likelihood (it ranks close starts
 * poorly). Chosen on the real data (BENCHMARKS.md "Real data"); startWork 1.2e7 rather than 6e6
 * (17 + 17 instead of 8 + 8 on boston at K = 8, 18 + 18 on gvhd's 5 000-row sample) takes boston K = 8
 * full from 6 to 10 seeds of 10 at the best-known optimum (it was 3.9 % short) for 1.2x the fit time
 * of boston and gvhd (BENCHMARKS.md "Twice the starts where an iteration is dear").
 * Split-and-merge moves: 15 (5 rows x MERGE_PAIRS) below a cost of 2e5, none from 3e6; at this size
 * they cost gvhd and boston 2-9 % of their fit time (BENCHMARKS.md "Split and merge moves").
 */
export const SINGLE_FIT_BUDGET: StartBudget = {
  shortRun: SHORT_RUN_ITERATIONS, startWork: 1.2e7, maxStarts: 40, finishWork: 1e6, minSurvivors: 5, maxSurvivors: 10, margin: Infinity, sampleRows: START_SAMPLE_ROWS,
  moveWork: 3e6, maxMoves: 15,
};

/**
 * A StartSet shared by a grid of fits (selectModel): the fixed 5 + 5 starts and at most 3 finishers
 * within 10 units, which keep the whole grid as fast as Mclust's single start per model. The
 * iterative models try fewer of them still (start-ranking.ts RANKED_STARTS).
 */
export const GRID_BUDGET: StartBudget = {
  shortRun: GRID_SHORT_RUN, startWork: 0, maxStarts: MIN_STARTS, finishWork: 0, minSurvivors: 3, maxSurvivors: 3, margin: 10, sampleRows: START_SAMPLE_ROWS,
};

/**
 * init 'hc' (a single fit, or every candidate of a grid): mclust's hierarchical partition of all rows,
 * nothing drawn and no subsample of the data (the tree itself is grown on at most HC_MAX_ROWS of them).
 */
export const HIERARCHICAL_BUDGET: StartBudget = { ...GRID_BUDGET, sampleRows: Infinity, hierarchicalOnly: true };

/** Everything a StartSet computed for a grid, in a form that can be posted to a worker. */
export interface StartTable {
  rows: Rows;
  weights: Float64Array | null;
  subsampled: boolean;
  shortRun: number;
  /** partitions(K, restart) by `${K}/${restart}`. */
  candidates: [string, Int32Array[]][];
  /** The K whose first candidate is the hierarchical partition. */
  hierarchical: number[];
  budget: StartBudget;
}

/**
 * One tree serves every K: it is grown with at least this many levels, so that later requests rarely
 * rebuild it. The partition for K is the same from a tree of any number of levels >= K (hc.ts cutTree).
 */
const TREE_LEVELS = 9;

/** The input of StartSet.growTree, which a worker can be posted. */
export interface TreeRequest {
  rows: Rows;
  levels: number;
  seed: number;
}

/**
 * The candidate starting partitions of init 'auto' for one data set, shared by every K and covariance
 * type fitted to it (selectModel builds one set for its whole grid: one hierarchical tree, one set of
 * k-means seeds). Partitions are computed on first use and cached; each depends only on the seed, K
 * and the restart index, never on the order of requests. When the data have more than the budget's
 * sampleRows rows, everything is computed on a seeded subsample (`rows`).
 */
export class StartSet {
  /** The rows the partitions label (all rows, or the subsample). */
  readonly rows: Rows;
  /** Sample weights of `rows`, or null. */
  readonly weights: Float64Array | null;
  /** Whether `rows` is a subsample of the data rather than the data. */
  readonly subsampled: boolean;
  /** EM iterations of each candidate's short run: the budget's, SHORT_RUN_ITERATIONS when subsampled. */
  readonly shortRun: number;
  private tree: Int32Array[] = [];
  private treeLevels = 0;
  private readonly candidates = new Map<string, Int32Array[]>();
  private readonly draws = new Map<string, Int32Array[]>();
  private precomputedHc: Set<number> | null = null;
  /** The statistics of each partition handed to initialEstimate, per kernel family. */
  private readonly statistics = new WeakMap<Int32Array, Partial<Record<KernelFamily, { stats: Stats; centres: Float64Array }>>>();

  /** X: the data, dense or as a MatrixSource (then only the sample is copied out of it). */
  constructor(
    X: Rows | MatrixSource,
    weights: Float64Array | null,
    private readonly seed: number,
    readonly budget: StartBudget = GRID_BUDGET,
  ) {
    this.subsampled = X.rows > budget.sampleRows;
    this.shortRun = this.subsampled ? Math.max(budget.shortRun, SHORT_RUN_ITERATIONS) : budget.shortRun;
    if (!this.subsampled) {
      this.rows = asRows(X);
      this.weights = weights;
      return;
    }
    const picked = sampleIndices(X.rows, budget.sampleRows, new Random(seed ^ 0x5bd1e995));
    this.rows = pickRows('blocks' in X ? X : denseSource(X), picked);
    this.weights = weights ? Float64Array.from(picked, (i) => weights[i]) : null;
  }

  /**
   * The distinct candidates for K components in restart `restart`: mclust's hierarchical partition
   * first (when the rows have at least K distinct values), then starts(K) k-means partitions and as
   * many partitions by the nearest of K random rows, with repeats (equal up to relabelling) removed.
   * K = 1 has the one partition.
   */
  partitions(K: number, restart: number): Int32Array[] {
    const key = `${K}/${restart}`;
    const cached = this.candidates.get(key);
    if (cached) return cached;
    const all: Int32Array[] = [];
    if (K === 1) {
      all.push(new Int32Array(this.rows.rows));
    } else {
      const hc = this.hierarchical(K);
      if (hc) all.push(hc);
      all.push(...this.drawn(K, restart));
    }
    const seen = new Set<string>();
    const out = all.filter((labels) => {
      const id = canonicalKey(labels);
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
    this.candidates.set(key, out);
    return out;
  }

  /** The k-means, then the random-row partitions for K > 1 components in restart `restart` (cached; none for init 'hc'). */
  private drawn(K: number, restart: number): Int32Array[] {
    if (this.budget.hierarchicalOnly) return [];
    const key = `${K}/${restart}`;
    let out = this.draws.get(key);
    if (out) return out;
    out = [];
    const count = this.starts(K);
    for (let s = 0; s < count; s++) {
      out.push(kmeans(this.rows, this.weights, K, new Random(mix(this.seed, K, restart * count + s))));
    }
    for (let s = 0; s < count; s++) {
      out.push(this.randomPartition(K, new Random(mix(this.seed ^ 0x632be5ab, K, restart * count + s))));
    }
    this.draws.set(key, out);
    return out;
  }

  /**
   * Every partition of `table` but the hierarchical ones, for these K and restarts 0 .. restarts - 1:
   * the work selectModel's thread does while a worker grows the tree (treeRequest).
   */
  draw(Ks: readonly number[], restarts: number): void {
    for (const K of Ks) for (let r = 0; r < restarts; r++) if (K > 1) this.drawn(K, r);
  }

  /**
   * What the hierarchical partitions of every K of Ks need: the tree's rows, levels and seed (for
   * growTree in a worker; useTree takes the result). null when no K has one (all K are 1).
   */
  treeRequest(Ks: readonly number[]): TreeRequest | null {
    const most = Math.max(...Ks);
    return most > 1 ? { rows: this.positiveRows(), levels: Math.max(most, TREE_LEVELS), seed: this.seed } : null;
  }

  static growTree(t: TreeRequest): Int32Array[] {
    return hcPartitions(t.rows, t.levels, new Random(t.seed));
  }

  /** The tree grown from `t` (growTree's partitions of the positive-weight rows). */
  useTree(t: TreeRequest, parts: Int32Array[]): void {
    this.treeLevels = t.levels;
    this.tree = this.weights ? parts.map((p) => this.spread(p)) : parts;
  }

  /**
   * init { labels } from `labels` (a partition of `rows`, which ctx.X and ctx.handle hold) for ctx.type:
   * the M-step of its statistics, which depend on the kernel family only, so they are accumulated once
   * and shared by every covariance type started from it (four or fourteen in a grid; the two passes
   * over the rows were most of the cost of a start on the small sets).
   */
  initialEstimate(labels: Int32Array, ctx: InitContext): Estimate {
    const family = kernelFamily(ctx.type);
    let byFamily = this.statistics.get(labels);
    if (!byFamily) this.statistics.set(labels, (byFamily = {}));
    const { stats, centres } = (byFamily[family] ??= responsibilityStatistics(initialResponsibilities({ labels }, ctx), ctx));
    return mStep(stats, centres, ctx.type, ctx.regCovar);
  }

  /** k-means (and random-row) partitions among the candidates for K components. */
  starts(K: number): number {
    const b = this.budget;
    return Math.max(MIN_STARTS, Math.min(b.maxStarts, Math.floor(b.startWork / this.iterationCost(K))));
  }

  /** How many short runs for K components continue besides the hierarchical one. */
  survivors(K: number): number {
    const b = this.budget;
    return Math.max(b.minSurvivors, Math.min(b.maxSurvivors, Math.floor(b.finishWork / this.iterationCost(K))));
  }

  /** How many split-and-merge moves for K components are tried per round. */
  moves(K: number): number {
    const b = this.budget;
    return Math.min(b.maxMoves ?? 0, Math.floor((b.moveWork ?? 0) / this.iterationCost(K)));
  }

  private iterationCost(K: number): number {
    return this.rows.rows * K * this.rows.cols * this.rows.cols;
  }

  /**
   * mclust's hierarchical partition of the rows into K groups (hclass(hc(X), K)); for K = 1 the one
   * group. null when the rows (with positive weight) have fewer than K distinct values.
   */
  hierarchicalStart(K: number): Int32Array | null {
    if (K === 1) return this.partitions(1, 0)[0];
    return this.hasHierarchical(K) ? this.partitions(K, 0)[0] : null;
  }

  /** Whether partitions(K, ...) starts with the hierarchical partition. */
  hasHierarchical(K: number): boolean {
    if (this.precomputedHc) return this.precomputedHc.has(K);
    return K > 1 && this.hierarchical(K) !== null;
  }

  /** Computes every candidate for these K and restarts 0 .. restarts - 1, for a worker (fromTable). */
  table(Ks: readonly number[], restarts: number): StartTable {
    const candidates: [string, Int32Array[]][] = [];
    for (const K of Ks) for (let r = 0; r < restarts; r++) candidates.push([`${K}/${r}`, this.partitions(K, r)]);
    return { rows: this.rows, weights: this.weights, subsampled: this.subsampled, shortRun: this.shortRun, candidates, hierarchical: Ks.filter((K) => this.hasHierarchical(K)), budget: this.budget };
  }

  /** A StartSet that serves exactly what `table` computed (in a worker of selectModel). */
  static fromTable(t: StartTable): StartSet {
    const set = new StartSet(t.rows, t.weights, 0, t.budget);
    Object.assign(set as { subsampled: boolean; shortRun: number }, { subsampled: t.subsampled, shortRun: t.shortRun });
    for (const [key, parts] of t.candidates) set.candidates.set(key, parts);
    set.precomputedHc = new Set(t.hierarchical);
    return set;
  }

  private hierarchical(K: number): Int32Array | null {
    if (this.treeLevels < K) {
      const t = this.treeRequest([K])!;
      this.useTree(t, StartSet.growTree(t));
    }
    return this.tree[K - 1] ?? null;
  }

  /** Every row labelled by the nearest of K distinct random rows (with positive weight). */
  private randomPartition(K: number, rng: Random): Int32Array {
    const { rows: n, cols: d, data } = this.rows;
    const w = this.weights;
    const eligible: number[] = [];
    for (let i = 0; i < n; i++) if (!w || w[i] > 0) eligible.push(i);
    const centres = new Float64Array(K * d);
    const chosen = new Set<number>();
    for (let c = 0; c < K && chosen.size < eligible.length; ) {
      const i = eligible[rng.int(eligible.length)];
      if (chosen.has(i)) continue;
      chosen.add(i);
      for (let j = 0; j < d; j++) centres[c * d + j] = data[i * d + j];
      c++;
    }
    const labels = new Int32Array(n);
    assignNearest(this.rows, centres, K, labels);
    return labels;
  }

  /** The rows with positive weight (all rows when unweighted): zero-weight rows must not form groups. */
  private positiveRows(): Rows {
    const w = this.weights;
    if (!w) return this.rows;
    const keep: number[] = [];
    for (let i = 0; i < this.rows.rows; i++) if (w[i] > 0) keep.push(i);
    return takeRows(this.rows, keep);
  }

  /** Labels of the positive-weight rows back onto all rows; zero-weight rows (which add nothing) get 0. */
  private spread(labels: Int32Array): Int32Array {
    const w = this.weights!;
    const out = new Int32Array(w.length);
    for (let i = 0, r = 0; i < w.length; i++) if (w[i] > 0) out[i] = labels[r++];
    return out;
  }
}

/** A seed for (seed, K, index) that does not depend on the order partitions are requested in. */
function mix(seed: number, K: number, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(K + 1, 0xc2b2ae35) ^ Math.imul(index + 1, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return (h ^ (h >>> 13)) >>> 0;
}

/** A key equal for partitions that are equal up to relabelling: labels renumbered by first appearance. */
function canonicalKey(labels: Int32Array): string {
  const renumber = new Map<number, number>();
  const out = new Array<number>(labels.length);
  for (let i = 0; i < labels.length; i++) {
    let r = renumber.get(labels[i]);
    if (r === undefined) renumber.set(labels[i], (r = renumber.size));
    out[i] = r;
  }
  return out.join(',');
}
