import type { Matrix } from './types.js';
import type { Random } from './random.js';

type Rows = Matrix<Float64Array> | Matrix<Float32Array>;

/** Squared Euclidean distance between row i of X and centre c (differences first: exact far from 0). */
function dist2(X: Rows, i: number, centers: Float64Array, c: number): number {
  const { data, cols: d } = X;
  let s = 0;
  for (let j = 0; j < d; j++) {
    const t = data[i * d + j] - centers[c * d + j];
    s += t * t;
  }
  return s;
}

/** Index of the nearest centre of every row, into `labels`; each row's squared distance into `closest`. */
export function assignNearest(X: Rows, centers: Float64Array, k: number, labels: Int32Array, closest?: Float64Array): void {
  const { data, rows: n, cols: d } = X;
  for (let i = 0, row = 0; i < n; i++, row += d) {
    let best = Infinity;
    let arg = 0;
    for (let c = 0, o = 0; c < k; c++, o += d) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const t = data[row + j] - centers[o + j];
        s += t * t;
      }
      if (s < best) {
        best = s;
        arg = c;
      }
    }
    labels[i] = arg;
    if (closest) closest[i] = best;
  }
}

/**
 * Greedy k-means++ seeding (Arthur & Vassilvitskii 2007, with scikit-learn's 2 + ln k local trials):
 * returns k centres chosen among the rows, each drawn with probability proportional to
 * weight x squared distance to the nearest centre chosen so far.
 */
export function kmeansPlusPlus(X: Rows, w: Float64Array | null, k: number, rng: Random): Float64Array {
  const { rows: n, cols: d, data } = X;
  const centers = new Float64Array(k * d);
  const trials = 2 + Math.floor(Math.log(k));
  const closest = new Float64Array(n);
  const candidate = new Float64Array(n);
  const best = new Float64Array(n);
  const weight = (i: number): number => (w ? w[i] : 1);

  const setCenter = (c: number, i: number): void => {
    for (let j = 0; j < d; j++) centers[c * d + j] = data[i * d + j];
  };
  setCenter(0, drawIndex(n, (i) => weight(i), rng));
  let potential = 0;
  for (let i = 0; i < n; i++) {
    closest[i] = dist2(X, i, centers, 0);
    potential += weight(i) * closest[i];
  }
  for (let c = 1; c < k; c++) {
    let bestPotential = Infinity;
    let bestIndex = 0;
    for (let t = 0; t < trials; t++) {
      const idx = potential > 0 ? drawIndex(n, (i) => weight(i) * closest[i], rng, potential) : drawIndex(n, weight, rng);
      setCenter(c, idx);
      let pot = 0;
      for (let i = 0; i < n; i++) {
        candidate[i] = Math.min(closest[i], dist2(X, i, centers, c));
        pot += weight(i) * candidate[i];
      }
      if (pot < bestPotential) {
        bestPotential = pot;
        bestIndex = idx;
        best.set(candidate);
      }
    }
    setCenter(c, bestIndex);
    closest.set(best);
    potential = bestPotential;
  }
  return centers;
}

/** Draws an index with probability mass(i) / total (total computed when not given). */
function drawIndex(n: number, mass: (i: number) => number, rng: Random, total?: number): number {
  let sum = total;
  if (sum === undefined) {
    sum = 0;
    for (let i = 0; i < n; i++) sum += mass(i);
  }
  let r = rng.uniform() * sum;
  for (let i = 0; i < n; i++) {
    r -= mass(i);
    if (r < 0 && mass(i) > 0) return i;
  }
  for (let i = n - 1; i >= 0; i--) if (mass(i) > 0) return i;
  return n - 1;
}

/** Above this many rows, Lloyd's iterations run on a seeded subsample of this size (as mclust initialises on a subset). */
export const KMEANS_SUBSAMPLE = 100_000;

/**
 * k-means labels for initialisation: Lloyd's algorithm from k-means++ seeds (weighted when `w` is
 * given), run on all rows, or on a seeded subsample of KMEANS_SUBSAMPLE rows when there are more;
 * then every row gets the label of its nearest final centre. The subsample is drawn from the rows
 * with positive weight only (keeping their weights): a zero-weight row contributes nothing, and a
 * uniform draw over all rows can miss the few that carry the weight.
 */
export function kmeans(X: Rows, w: Float64Array | null, k: number, rng: Random, maxIter = 300): Int32Array {
  let fitOn: Rows = X;
  let fitWeights = w;
  if (X.rows > KMEANS_SUBSAMPLE) {
    const pool = w ? positiveRows(w) : null;
    const size = pool ? pool.length : X.rows;
    const drawn = size > KMEANS_SUBSAMPLE ? sampleIndices(size, KMEANS_SUBSAMPLE, rng) : null;
    const picked = pool ? (drawn ? drawn.map((j) => pool[j]) : pool) : drawn!;
    fitOn = takeRows(X, picked);
    fitWeights = w ? Float64Array.from(picked, (i) => w[i]) : null;
  }
  const labels = new Int32Array(X.rows);
  assignNearest(X, lloyd(fitOn, fitWeights, k, rng, maxIter), k, labels);
  return labels;
}

/** Indices of the rows with positive weight, in increasing order. */
function positiveRows(w: Float64Array): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < w.length; i++) if (w[i] > 0) out.push(i);
  return Int32Array.from(out);
}

/** The given rows of X, in that order, in X's element type. */
export function takeRows(X: Rows, indices: ArrayLike<number>): Rows {
  const d = X.cols;
  const m = indices.length;
  const data = X.data instanceof Float32Array ? new Float32Array(m * d) : new Float64Array(m * d);
  for (let r = 0; r < m; r++) data.set(X.data.subarray(indices[r] * d, (indices[r] + 1) * d), r * d);
  return { data, rows: m, cols: d } as Rows;
}

/** m distinct indices of 0..n-1, in increasing order (partial Fisher-Yates). */
export function sampleIndices(n: number, m: number, rng: Random): Int32Array {
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(n - i);
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  return perm.slice(0, m).sort();
}

/**
 * Relative margin of the bounds' test in `lloyd`: a row keeps its centre without a scan only when its
 * bounds separate the nearest centre from every other by more than this, far above the rounding of
 * the squared distances (about d x 1e-16 relative) and of the bounds' own updates, so that the
 * decision is the one a scan of every centre would make, ties included.
 */
const BOUND_MARGIN = 1e-9;

/**
 * `lloyd` keeps bounds only when a scan of every centre (k x d squared differences per row) costs
 * more than this: the bounds' test is about ten operations and a square root per row. On galaxies
 * (1-D, k <= 9) 40 k-means runs took 1.1 ms with scans alone and 1.7 ms with the bounds; on boston
 * (13-D) 60 ms and 44 ms.
 */
const BOUND_MIN_WORK = 10;

/**
 * Lloyd's iterations; returns the centres. Stops when the labels stop changing, when the total
 * squared centre shift falls below 1e-4 x the mean column variance (scikit-learn's tolerance), or
 * after `maxIter` rounds. An empty cluster is moved to the row farthest from its centre.
 * Each assignment is that of a scan of every centre (the nearest, the first on ties), but a row
 * is scanned only when Hamerly's bounds (2010) cannot show that its centre is still the nearest by
 * BOUND_MARGIN: an upper bound on the distance to its centre and a lower bound on the distance to
 * every other, moved by how far the centres moved, and half the distance from its centre to the
 * nearest other centre.
 */
function lloyd(X: Rows, w: Float64Array | null, k: number, rng: Random, maxIter: number): Float64Array {
  const { rows: n, cols: d, data } = X;
  const centers = kmeansPlusPlus(X, w, k, rng);
  const labels = new Int32Array(n).fill(-1);
  const next = new Int32Array(n);
  const closest = new Float64Array(n);
  const sums = new Float64Array(k * d);
  const counts = new Float64Array(k);
  const tol = 1e-4 * meanColumnVariance(X);
  // Bounds on distances (not squared): upper to the row's centre, lower to every other centre.
  const upper = new Float64Array(n);
  const lower = new Float64Array(n);
  const moved = new Float64Array(k); // how far each centre moved in the last update
  const half = new Float64Array(k); // half the distance from each centre to the nearest other
  const before = new Float64Array(k * d);
  /** Row i against every centre, in assignNearest's order: its label, and both bounds made exact. */
  const scan = (i: number): void => {
    let best = Infinity;
    let second = Infinity;
    let arg = 0;
    for (let c = 0; c < k; c++) {
      const s = dist2(X, i, centers, c);
      if (s < best) {
        second = best;
        best = s;
        arg = c;
      } else if (s < second) {
        second = s;
      }
    }
    next[i] = arg;
    closest[i] = best;
    upper[i] = Math.sqrt(best);
    lower[i] = Math.sqrt(second);
  };

  for (let iter = 0; iter < maxIter; iter++) {
    if (k * d <= BOUND_MIN_WORK) {
      assignNearest(X, centers, k, next, closest);
    } else if (iter === 0) {
      for (let i = 0; i < n; i++) scan(i);
    } else {
      let most = 0;
      let secondMost = 0;
      for (let c = 0; c < k; c++) {
        if (moved[c] > most) {
          secondMost = most;
          most = moved[c];
        } else if (moved[c] > secondMost) {
          secondMost = moved[c];
        }
        let nearest = Infinity;
        for (let e = 0; e < k; e++) {
          if (e === c) continue;
          let s = 0;
          for (let j = 0; j < d; j++) s += (centers[c * d + j] - centers[e * d + j]) ** 2;
          nearest = Math.min(nearest, s);
        }
        half[c] = 0.5 * Math.sqrt(nearest);
      }
      for (let i = 0; i < n; i++) {
        const a = labels[i];
        upper[i] += moved[a];
        lower[i] -= moved[a] === most ? secondMost : most;
        next[i] = a;
        let bound = Math.max(lower[i], half[a]) * (1 - BOUND_MARGIN);
        if (upper[i] * (1 + BOUND_MARGIN) < bound) continue;
        upper[i] = Math.sqrt(dist2(X, i, centers, a));
        bound = Math.max(lower[i], half[a]) * (1 - BOUND_MARGIN);
        if (upper[i] * (1 + BOUND_MARGIN) < bound) continue;
        scan(i);
      }
    }
    let changed = 0;
    for (let i = 0; i < n; i++) if (next[i] !== labels[i]) changed++;
    labels.set(next);
    if (changed === 0) break;

    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const c = labels[i];
      const wi = w ? w[i] : 1;
      counts[c] += wi;
      for (let j = 0; j < d; j++) sums[c * d + j] += wi * data[i * d + j];
    }
    before.set(centers);
    // An empty cluster takes the row farthest from its centre: every row's squared distance to its
    // (nearest) centre, as the scan computes it, is needed then.
    if (counts.some((m) => !(m > 0))) for (let i = 0; i < n; i++) closest[i] = dist2(X, i, centers, labels[i]);
    let shift = 0;
    for (let c = 0; c < k; c++) {
      if (counts[c] > 0) {
        for (let j = 0; j < d; j++) {
          const v = sums[c * d + j] / counts[c];
          shift += (v - centers[c * d + j]) ** 2;
          centers[c * d + j] = v;
        }
      } else {
        let far = 0;
        for (let i = 1; i < n; i++) if (closest[i] > closest[far]) far = i;
        for (let j = 0; j < d; j++) centers[c * d + j] = data[far * d + j];
        closest[far] = 0;
        shift = Infinity;
      }
    }
    if (shift <= tol) break;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (centers[c * d + j] - before[c * d + j]) ** 2;
      // Rounded up a little: the bounds must not shrink by the rounding of a square root.
      moved[c] = Math.sqrt(s) * (1 + BOUND_MARGIN);
    }
  }
  return centers;
}

/** Mean over the columns of the (population) column variances. */
export function meanColumnVariance(X: Rows): number {
  const { rows: n, cols: d, data } = X;
  let total = 0;
  for (let j = 0; j < d; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += data[i * d + j];
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (data[i * d + j] - mean) ** 2;
    total += v / n;
  }
  return total / d;
}
