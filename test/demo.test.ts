/**
 * The demo's own code in Node (its data sets and its model selection, demo/datasets.js and
 * demo/selection.js, which the page's worker runs): with the page's default controls the demo chooses
 * the same model for Old Faithful as the command line it names, run here as a process on the same
 * CSV (dist/cli.js; `npm test` builds it). And the PCA that puts iris on the page is the one the
 * package's own eigensolver gives (an independent implementation: Jacobi rotations in src/eigen.ts).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { builtin, parseCsv, pca2 } from '../demo/datasets.js';
import { selectCandidates } from '../demo/selection.js';
import { symmetricEigen } from '../src/eigen.js';
import { ROOT } from './browser/harness.js';

/** The value of the page's control `name` as demo/index.html sets it. */
function pageDefault(name: string): number {
  const html = readFileSync(join(ROOT, 'demo', 'index.html'), 'utf8');
  const m = new RegExp(`<input name="${name}"[^>]*value="([^"]+)"`).exec(html);
  if (!m) throw new Error(`demo/index.html has no input ${name} with a value`);
  return Number(m[1]);
}

const relClose = (a: number[], b: number[], tol: number, what: string): void => {
  expect(b.length, what).toBe(a.length);
  const scale = Math.max(...a.map(Math.abs));
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i]) / scale, `${what}[${i}]`).toBeLessThan(tol);
};

describe('the demo and the command line', () => {
  it('choose the same model for Old Faithful from the same seed (BIC and means to 1e-9)', async () => {
    const data = builtin('faithful');
    const options = { seed: pageDefault('seed'), maxIter: pageDefault('maxIter'), backend: 'auto', workers: 1 };
    const demo = await selectCandidates({ X: data.X, rows: data.rows, cols: 2, options, kMax: 10, file: data.file });
    expect(demo.command).toBe('gmm-wasm fit data/faithful.csv --k 1:10 --type full,tied,diag,spherical --seed 0 --max-iter 100');

    const [, ...args] = demo.command!.split(' ');
    const run = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), ...args, '--json'], { cwd: ROOT, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const cli = JSON.parse(run.stdout);

    expect(demo.chosen.k).toBe(cli.nComponents);
    expect(demo.chosen.covarianceType).toBe(cli.covarianceType);
    expect(Math.abs(demo.chosen.bic - cli.bic) / Math.abs(cli.bic)).toBeLessThan(1e-9);
    relClose(cli.means.flat(), demo.chosen.means.flat(), 1e-9, 'means');
    // Every candidate the page plots, not only the chosen one.
    const key = (k: number, t: string): string => `${k}/${t}`;
    const cliBic = new Map<string, number | null>(cli.selection.map((r: { nComponents: number; covarianceType: string; bic: number | null; degenerate?: string }) =>
      [key(r.nComponents, r.covarianceType), r.degenerate === undefined ? r.bic : null]));
    expect(demo.points.length).toBe(40);
    for (const p of demo.points) {
      const ref = cliBic.get(key(p.k, p.covarianceType));
      if (ref === null || ref === undefined) expect(p.bic, key(p.k, p.covarianceType)).toBeNaN();
      else expect(Math.abs(p.bic - ref) / Math.abs(ref), key(p.k, p.covarianceType)).toBeLessThan(1e-9);
    }
  });
});

describe('the demo PCA (ml-pca)', () => {
  it('projects iris onto the leading eigenvectors of its covariance', () => {
    const iris = parseCsv(readFileSync(join(ROOT, 'data', 'iris.csv'), 'utf8'));
    const { X, rows, cols } = iris;
    const p = pca2(X, rows, cols);
    // Reference: the sample covariance and src/eigen.ts's Jacobi eigendecomposition.
    const mean = Array.from({ length: cols }, (_, j) => { let s = 0; for (let i = 0; i < rows; i++) s += X[i * cols + j]; return s / rows; });
    const C = new Float64Array(cols * cols);
    for (let i = 0; i < rows; i++) for (let a = 0; a < cols; a++) for (let b = 0; b < cols; b++) C[a * cols + b] += ((X[i * cols + a] - mean[a]) * (X[i * cols + b] - mean[b])) / (rows - 1);
    const values = new Float64Array(cols);
    const vectors = new Float64Array(cols * cols);
    symmetricEigen(C, 0, cols, values, vectors);
    const total = values.reduce((s, v) => s + v, 0);
    relClose([values[0] / total, values[1] / total], p.explained, 1e-10, 'explained');
    for (let c = 0; c < 2; c++) {
      // An eigenvector's sign is arbitrary: match it on the largest score.
      const ref = Array.from({ length: rows }, (_, i) => { let s = 0; for (let j = 0; j < cols; j++) s += (X[i * cols + j] - mean[j]) * vectors[j * cols + c]; return s; });
      const got = Array.from({ length: rows }, (_, i) => p.X[i * 2 + c]);
      const big = ref.reduce((b, v, i) => (Math.abs(v) > Math.abs(ref[b]) ? i : b), 0);
      const sign = Math.sign(got[big]) * Math.sign(ref[big]);
      relClose(ref, got.map((v) => sign * v), 1e-10, `PC${c + 1}`);
    }
    // scikit-learn's PCA on iris: explained_variance_ratio_ [0.92461872, 0.05306648].
    expect(p.explained[0]).toBeCloseTo(0.92461872, 7);
    expect(p.explained[1]).toBeCloseTo(0.05306648, 7);
  });
});
