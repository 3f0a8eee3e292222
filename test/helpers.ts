/** Shared helpers for the gmm-wasm test files (fixtures, data generators, comparisons). */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { CovarianceType } from '../src/types.js';
import type { MclustModel } from '../src/covariance-models.js';

export const TYPES: CovarianceType[] = ['full', 'tied', 'diag', 'spherical'];
export const BACKENDS = ['js', 'wasm', 'wasm-scalar'] as const;

/* ------------------------------------------------------------------ fixtures */

export interface TrajectoryStep {
  iter: number;
  weights: number[];
  means: number[][];
  covariances: unknown;
  meanLogLikelihood: number;
  lowerBound: number | null;
}

export interface Fixture {
  name: string;
  source: string;
  covarianceType: CovarianceType;
  nComponents: number;
  regCovar: number;
  X: number[][];
  init: { weights: number[]; means: number[][]; covariances: unknown };
  trajectory: TrajectoryStep[];
  fit: {
    tol: number;
    maxIter: number;
    nIter: number;
    converged: boolean;
    lowerBound: number;
    weights: number[];
    means: number[][];
    covariances: unknown;
    predict: number[];
    predictProba: number[][];
    scoreSamples: number[];
    score: number;
    bic: number;
    aic: number;
    nParameters: number;
  };
}

const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** Every `*.json` in test/fixtures (scikit-learn 1.2.1 trajectories, see fixtures/README.md). */
export function loadFixtures(): Fixture[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(FIXTURE_DIR, f), 'utf8')) as Fixture);
}

/** One step of an mclust trajectory (../shared/conformance/mclust/README.md). */
export interface MclustStep {
  weights: number[];
  means: number[][];
  covariances: number[][][];
  logLik: number;
}

/** An mclust 6.0.0 conformance fixture (test/fixtures/mclust/mclust-<data>-<MODEL>.json). */
export interface MclustFixture {
  name: string;
  modelName: MclustModel;
  nComponents: number;
  X: number[][];
  initLabels: number[];
  trajectory: MclustStep[];
  fit: MclustStep & { iterations: number; nParameters: number; bic: number; icl: number; predict: number[]; predictProba: number[][] };
}

/** The 42 mclust fixtures (3 data sets x 14 models), sorted by file name. */
export function loadMclustFixtures(): MclustFixture[] {
  const dir = join(FIXTURE_DIR, 'mclust');
  return readdirSync(dir)
    .filter((f) => /^mclust-[a-z0-9]+-[A-Z]{3}\.json$/.test(f))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as MclustFixture);
}

/* ------------------------------------------------------------------ comparisons */

/** Flattens nested number arrays / typed arrays into a plain number[]. */
export function flat(a: unknown): number[] {
  if (typeof a === 'number') return [a];
  if (ArrayBuffer.isView(a)) return Array.from(a as unknown as ArrayLike<number>);
  if (Array.isArray(a)) return a.flatMap((x) => flat(x));
  throw new TypeError(`flat: not numeric: ${String(a)}`);
}

/** max |a - b| / max |b| over the flattened arrays (relative to the reference's largest entry). */
export function relErr(actual: unknown, expected: unknown): number {
  const a = flat(actual);
  const b = flat(expected);
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    // Equal non-finite pairs (both Infinity, both -Infinity) agree; the rest of the arrays still counts.
    if (!Number.isFinite(a[i]) || !Number.isFinite(b[i])) {
      if (a[i] === b[i]) continue;
      return Infinity;
    }
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

/** max |a - b| over the flattened arrays. */
export function absErr(actual: unknown, expected: unknown): number {
  const a = flat(actual);
  const b = flat(expected);
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]);
    if (!(e <= diff)) diff = Number.isNaN(e) ? Infinity : Math.max(diff, e);
  }
  return diff;
}

/** Asserts relErr(actual, expected) <= tol with a readable label. */
export function expectRel(actual: unknown, expected: unknown, tol: number, label = ''): void {
  const e = relErr(actual, expected);
  expect(e, `${label}: relative error ${e} > ${tol}`).toBeLessThanOrEqual(tol);
}

/** The fitted attributes two fits share (GaussianMixture, BayesianGaussianMixture, either build). */
export interface FitLike {
  nIter: number;
  converged: boolean;
  lowerBound: number;
  weights: unknown;
  means: unknown;
  covariances: unknown;
  precisionsCholesky: unknown;
  history: unknown;
}

/** Asserts that b is the fit a (same iterations and convergence, every parameter to tol relative). */
export function expectSameFit(a: FitLike, b: FitLike, tol = 1e-10): void {
  expect(b.nIter).toBe(a.nIter);
  expect(b.converged).toBe(a.converged);
  for (const f of ['weights', 'means', 'covariances', 'precisionsCholesky', 'history'] as const) expectRel(b[f], a[f], tol, f);
  expect(Math.abs(a.lowerBound - b.lowerBound) / Math.abs(a.lowerBound)).toBeLessThanOrEqual(tol);
}

export function expectAbs(actual: unknown, expected: unknown, tol: number, label = ''): void {
  const e = absErr(actual, expected);
  expect(e, `${label}: absolute error ${e} > ${tol}`).toBeLessThanOrEqual(tol);
}

/** |a - b| / max(|b|, tiny) for scalars. */
export function relScalar(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}

/* ------------------------------------------------------------------ linear algebra */

/** Lower Cholesky factor of a d x d symmetric matrix (nested), or null when not positive definite. */
export function cholesky(A: number[][]): number[][] | null {
  const d = A.length;
  const L = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (let j = 0; j < d; j++) {
    let s = A[j][j];
    for (let m = 0; m < j; m++) s -= L[j][m] * L[j][m];
    if (!(s > 0)) return null;
    L[j][j] = Math.sqrt(s);
    for (let i = j + 1; i < d; i++) {
      let t = A[i][j];
      for (let m = 0; m < j; m++) t -= L[i][m] * L[j][m];
      L[i][j] = t / L[j][j];
    }
  }
  return L;
}

export function matmul(A: number[][], B: number[][]): number[][] {
  return A.map((row) => B[0].map((_, j) => row.reduce((s, v, m) => s + v * B[m][j], 0)));
}

export function transpose(A: number[][]): number[][] {
  return A[0].map((_, j) => A.map((r) => r[j]));
}

export function identity(d: number): number[][] {
  return Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0)));
}

/** The covariance matrices of a fitted model as a list of d x d blocks (tied: one; diag/spherical: diagonal; mclust names: k). */
export function covarianceBlocks(cov: unknown, type: CovarianceType, k: number, d: number): number[][][] {
  switch (type) {
    case 'full':
      return cov as number[][][];
    default: // the mclust names: always k x d x d
      return cov as number[][][];
    case 'tied':
      return [cov as number[][]];
    case 'diag':
      return (cov as number[][]).map((v) => v.map((x, i) => v.map((_, j) => (i === j ? x : 0))));
    case 'spherical':
      return (cov as number[]).map((v) => Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? v : 0))));
  }
  void k;
}

/** The precision-Cholesky factors as d x d upper-triangular blocks (same block layout as covarianceBlocks). */
export function precisionBlocks(pc: unknown, type: CovarianceType, k: number, d: number): number[][][] {
  return covarianceBlocks(pc, type, k, d);
}

/** max |U U^T Sigma - I| over all blocks: the precision factor U is consistent with inv(Sigma). */
export function precisionConsistency(cov: unknown, pc: unknown, type: CovarianceType, k: number, d: number): number {
  const C = covarianceBlocks(cov, type, k, d);
  const U = precisionBlocks(pc, type, k, d);
  let worst = 0;
  for (let b = 0; b < C.length; b++) {
    const P = matmul(U[b], transpose(U[b]));
    const I = matmul(P, C[b]);
    worst = Math.max(worst, absErr(I, identity(d)));
  }
  return worst;
}

/**
 * An independent scorer (textbook formulas, none of the package's code): for every row the
 * log-joint log w_c + log N(x | mu_c, Sigma_c) of each component (Sigma_c = L L^T by `cholesky`,
 * Mahalanobis distance by forward substitution) and log p(x) by log-sum-exp. `covariances` as
 * covarianceBlocks returns them (a tied model's one block serves every component).
 */
export function referenceScores(X: number[][], weights: number[], means: number[][], covariances: number[][][]): { logJoint: number[][]; logProb: number[] } {
  const d = X[0].length;
  const factors = covariances.map((S) => cholesky(S)!);
  const logJoint = X.map((x) =>
    weights.map((w, c) => {
      const L = factors[factors.length === 1 ? 0 : c];
      const z: number[] = [];
      let q = 0;
      let logDiag = 0;
      for (let i = 0; i < d; i++) {
        let t = x[i] - means[c][i];
        for (let j = 0; j < i; j++) t -= L[i][j] * z[j];
        z.push(t / L[i][i]);
        q += z[i] * z[i];
        logDiag += Math.log(L[i][i]);
      }
      return Math.log(w) - 0.5 * d * Math.log(2 * Math.PI) - logDiag - 0.5 * q;
    }),
  );
  const logProb = logJoint.map((row) => {
    const m = Math.max(...row);
    return m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
  });
  return { logJoint, logProb };
}

/* ------------------------------------------------------------------ random data */

/** Deterministic uniform [0, 1) generator (mulberry32). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function normalGen(rand: () => number): () => number {
  return () => {
    let u = 0;
    while (u === 0) u = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
}

/**
 * n rows from k Gaussian blobs in d dimensions: centres spread `sep` apart (random directions), each
 * with a random linear mixing (so full covariances are genuinely non-diagonal). Returns X and labels.
 */
export function blobs(
  seed: number,
  n: number,
  d: number,
  k: number,
  sep = 8,
  opts: { anisotropic?: boolean } = {},
): { X: number[][]; labels: number[]; centres: number[][] } {
  const rand = rng(seed);
  const normal = normalGen(rand);
  const centres = Array.from({ length: k }, () => Array.from({ length: d }, () => normal() * sep));
  const mix = Array.from({ length: k }, () =>
    Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : opts.anisotropic === false ? 0 : 0.4 * normal()))),
  );
  const X: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % k;
    const z = Array.from({ length: d }, () => normal());
    X.push(centres[c].map((m, a) => m + mix[c][a].reduce((s, v, b) => s + v * z[b], 0)));
    labels.push(c);
  }
  return { X, labels, centres };
}

/** Explicit initial parameters for `type` from rough centres: uniform weights, unit covariances. */
export function explicitInit(
  means: number[][],
  type: CovarianceType,
  scale = 1,
): { weights: number[]; means: number[][]; covariances: unknown } {
  const k = means.length;
  const d = means[0].length;
  const eye = (): number[][] => Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? scale : 0)));
  const covariances =
    type === 'full'
      ? Array.from({ length: k }, eye)
      : type === 'tied'
        ? eye()
        : type === 'diag'
          ? Array.from({ length: k }, () => new Array<number>(d).fill(scale))
          : new Array<number>(k).fill(scale);
  return { weights: new Array<number>(k).fill(1 / k), means: means.map((m) => [...m]), covariances };
}

/** Adjusted Rand index of two labelings. */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const table = new Map<string, number>();
  const ra = new Map<number, number>();
  const rb = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = `${a[i]},${b[i]}`;
    table.set(key, (table.get(key) ?? 0) + 1);
    ra.set(a[i], (ra.get(a[i]) ?? 0) + 1);
    rb.set(b[i], (rb.get(b[i]) ?? 0) + 1);
  }
  const c2 = (x: number): number => (x * (x - 1)) / 2;
  let index = 0;
  for (const v of table.values()) index += c2(v);
  let sa = 0;
  for (const v of ra.values()) sa += c2(v);
  let sb = 0;
  for (const v of rb.values()) sb += c2(v);
  const expected = (sa * sb) / c2(n);
  const max = (sa + sb) / 2;
  return max === expected ? 1 : (index - expected) / (max - expected);
}

/** Deep copy of nested arrays / typed arrays / plain objects, for before/after comparisons. */
export function snapshot<T>(v: T): T {
  return structuredClone(v);
}

/** Memory of a model's WASM backend (0 for JS or no backend), through the private `backend` field. */
export function wasmMemoryBytes(model: unknown): number {
  const backend = (model as { backend: { memoryBytes?: number } | null }).backend;
  return backend?.memoryBytes ?? 0;
}
