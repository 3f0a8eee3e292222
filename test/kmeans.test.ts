/**
 * k-means for initialisation (src/kmeans.ts). Reference: Lloyd's algorithm written out below as it
 * stood before the bounds (a scan of every centre for every row in every round), from the same
 * k-means++ seeds; the bounded version must give the same labels to the bit.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assignNearest, kmeans, kmeansPlusPlus, meanColumnVariance } from '../src/kmeans.js';
import { Random } from '../src/random.js';
import type { Matrix } from '../src/types.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'realdata');
const csv = (name: string): Matrix<Float64Array> => {
  const X = readFileSync(join(DIR, `${name}.csv`), 'utf8').trim().split('\n').map((l) => l.split(',').map(Number));
  return { data: Float64Array.from(X.flat()), rows: X.length, cols: X[0].length };
};

/** Lloyd's rounds with a scan of every centre, the empty-cluster rule and tolerance of src/kmeans.ts. */
function plainKmeans(X: Matrix<Float64Array>, w: Float64Array | null, k: number, rng: Random): Int32Array {
  const { rows: n, cols: d, data } = X;
  const centers = kmeansPlusPlus(X, w, k, rng);
  const labels = new Int32Array(n).fill(-1);
  const next = new Int32Array(n);
  const closest = new Float64Array(n);
  const tol = 1e-4 * meanColumnVariance(X);
  for (let iter = 0; iter < 300; iter++) {
    assignNearest(X, centers, k, next, closest);
    const changed = next.some((l, i) => l !== labels[i]);
    labels.set(next);
    if (!changed) break;
    const sums = new Float64Array(k * d);
    const counts = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      const wi = w ? w[i] : 1;
      counts[labels[i]] += wi;
      for (let j = 0; j < d; j++) sums[labels[i] * d + j] += wi * data[i * d + j];
    }
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
  }
  const out = new Int32Array(n);
  assignNearest(X, centers, k, out);
  return out;
}

describe('k-means with bounds', () => {
  let state = 11;
  const uniform = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296;
  const cases: [string, Matrix<Float64Array>, number][] = [
    ['boston (13-D)', csv('boston'), 6],
    ['crabs (5-D)', csv('crabs'), 4],
    ['geyser (2-D, rounded durations)', csv('geyser'), 7],
  ];
  // Few distinct values: many exact ties between centres, and more centres than distinct rows
  // (k-means++ then repeats rows, and Lloyd moves the empty clusters).
  for (const [rows, cols, k, values] of [[200, 4, 20, 2], [100, 2, 12, 3], [300, 3, 9, 3]]) {
    const data = Float64Array.from({ length: rows * cols }, () => Math.floor(uniform() * values));
    cases.push([`${rows} x ${cols} with ${values} values per column`, { data, rows, cols }, k]);
  }
  for (const [name, X, k] of cases) {
    it(`${name}, K = ${k}: the labels of a scan of every centre in every round, weighted or not`, () => {
      const weights = Float64Array.from({ length: X.rows }, (_, i) => (i % 7 === 0 ? 0 : 1 + (i % 3)));
      for (let seed = 1; seed <= 5; seed++) {
        for (const w of [null, weights]) {
          const ours = kmeans(X, w, k, new Random(seed));
          expect(Array.from(ours)).toEqual(Array.from(plainKmeans(X, w, k, new Random(seed))));
          expect(new Set(ours).size).toBeGreaterThan(1);
        }
      }
    });
  }
});
