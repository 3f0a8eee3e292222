import type { Backend, DataHandle } from './backend/types.js';
import type { Mixture } from './params.js';

/**
 * Merge pairs tried per split row: the pairs of components whose responsibilities overlap most. On
 * the six small real data sets the improving moves used the first, second and third pair 80, 140
 * and 133 times (BENCHMARKS.md "Split and merge moves"): the overlap orders pairs only roughly.
 */
export const MERGE_PAIRS = 3;

/**
 * Starting partitions one split-and-merge step away from a converged mixture (SMEM, Ueda, Nakano,
 * Ghahramani and Hinton 2000): the mixture's hard partition with two components merged and the freed
 * label given to one row alone. The rows are those the mixture explains worst (lowest log p(x_i),
 * positive weight), the pairs those with the largest sum_i w_i r_ia r_ic (SMEM's merge criterion).
 * The optima a few per cent of random starts reach on small data are of this kind: a component on
 * one row (a singleton with regCovar's variance) that no k-means or hierarchical start isolates.
 * Returns at most `count` partitions, worst row first, for each row its `MERGE_PAIRS` pairs.
 */
export function splitMergePartitions(
  mixture: Mixture,
  backend: Backend,
  handle: DataHandle,
  weights: Float64Array | null,
  count: number,
): Int32Array[] {
  const { k } = mixture;
  const n = handle.rows;
  if (k < 2 || count <= 0) return [];
  const logProb = new Float64Array(n);
  const resp = new Float64Array(n * k);
  backend.score(handle, mixture.kernel, logProb, resp);

  const labels = new Int32Array(n);
  const overlap = new Float64Array(k * k);
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i] : 1;
    let best = 0;
    for (let a = 0; a < k; a++) {
      const ra = resp[i * k + a];
      if (ra > resp[i * k + best]) best = a;
      for (let c = a + 1; c < k; c++) overlap[a * k + c] += w * ra * resp[i * k + c];
    }
    labels[i] = best;
  }
  const pairs: [number, number][] = [];
  for (let a = 0; a < k; a++) for (let c = a + 1; c < k; c++) pairs.push([a, c]);
  pairs.sort((p, q) => overlap[q[0] * k + q[1]] - overlap[p[0] * k + p[1]] || p[0] - q[0] || p[1] - q[1]);
  const merges = pairs.slice(0, MERGE_PAIRS);

  const rows: number[] = [];
  for (let i = 0; i < n; i++) if (!weights || weights[i] > 0) rows.push(i);
  rows.sort((a, b) => logProb[a] - logProb[b] || a - b);

  const out: Int32Array[] = [];
  for (const row of rows) {
    for (const [a, c] of merges) {
      if (out.length >= count) return out;
      const moved = Int32Array.from(labels, (l) => (l === c ? a : l));
      moved[row] = c;
      out.push(moved);
    }
  }
  return out;
}
