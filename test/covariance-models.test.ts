/**
 * The covariance M-steps of mclust's 14 models (src/covariance-models.ts) and the Jacobi eigen / SVD
 * kernels under them (src/eigen.ts).
 *
 * Reference values: test/fixtures/mclust/mclust-<data>-<MODEL>.json, copied unchanged from
 * ../shared/conformance/mclust (R mclust 6.0.0; see that folder's README). trajectory[t-1] holds
 * mclust's parameters after t M-steps (mclust::mstep then mclust::estep) from the one-hot
 * responsibilities of initLabels, and its total log-likelihood; fit is mclust::me from the same start
 * (fit.iterations, fit.covariances, fit.logLik) and fit.nParameters mclust::nMclustParams of the model.
 * Everything else below is a property that needs no reference.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  MCLUST_MODELS,
  constrainedCovariances,
  isDiagonalModel,
  isIterativeModel,
  mclustParameterCount,
  type CovarianceModelState,
  type MclustModel,
} from '../src/covariance-models.js';
import { jacobiSVD, polarFactor, symmetricEigen, symmetricEigenvalues } from '../src/eigen.js';
import { cholesky, loadMclustFixtures, rng } from './helpers.js';

/* ------------------------------------------------------------------------------ fixtures */

const fixtures = loadMclustFixtures();

/* ------------------------------------------------------------------------------ small dense helpers */

type Mat = number[][];

const logDet = (A: Mat): number => {
  const L = cholesky(A);
  if (!L) return NaN;
  return 2 * L.reduce((s, row, j) => s + Math.log(row[j]), 0);
};
function inverse(A: Mat): Mat {
  const d = A.length;
  const L = cholesky(A)!;
  const inv: Mat = A.map(() => new Array<number>(d).fill(0));
  for (let c = 0; c < d; c++) {
    const y = new Array<number>(d).fill(0);
    for (let i = 0; i < d; i++) {
      let t = i === c ? 1 : 0;
      for (let m = 0; m < i; m++) t -= L[i][m] * y[m];
      y[i] = t / L[i][i];
    }
    for (let i = d - 1; i >= 0; i--) {
      let t = y[i];
      for (let m = i + 1; m < d; m++) t -= L[m][i] * inv[m][c];
      inv[i][c] = t / L[i][i];
    }
  }
  return inv;
}
const matmul = (A: Mat, B: Mat): Mat => A.map((r) => B[0].map((_, j) => r.reduce((s, a, m) => s + a * B[m][j], 0)));
const transpose = (A: Mat): Mat => A[0].map((_, j) => A.map((r) => r[j]));
const identity = (d: number): Mat => Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0)));
const trace = (A: Mat): number => A.reduce((s, r, i) => s + r[i], 0);
const maxAbs = (a: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
};
/** Relative error max |a - b| / max |b| over flat arrays. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let num = 0;
  for (let i = 0; i < a.length; i++) num = Math.max(num, Math.abs(a[i] - b[i]));
  return num / Math.max(maxAbs(b), 1e-300);
}
const flat = (a: unknown): number[] => (Array.isArray(a) ? a.flatMap((x) => flat(x)) : [a as number]);

/** The result of constrainedCovariances as k full d x d matrices. */
function toMatrices(m: MclustModel, S: Float64Array, k: number, d: number): Mat[] {
  return Array.from({ length: k }, (_, c) =>
    Array.from({ length: d }, (_, i) =>
      Array.from({ length: d }, (_, j) => (isDiagonalModel(m) ? (i === j ? S[c * d + i] : 0) : S[c * d * d + i * d + j])),
    ),
  );
}
/** Symmetric eigen (decreasing) through the module under test, as Mat. */
function eig(A: Mat): { values: number[]; vectors: Mat } {
  const d = A.length;
  const vals = new Float64Array(d);
  const vecs = new Float64Array(d * d);
  symmetricEigen(Float64Array.from(A.flat()), 0, d, vals, vecs);
  return { values: Array.from(vals), vectors: Array.from({ length: d }, (_, i) => Array.from(vecs.subarray(i * d, (i + 1) * d))) };
}

/* ------------------------------------------------------------------------------ reference E-step and statistics */

/** Responsibilities (n x k) and the total log-likelihood: Gaussian log-densities via Cholesky, log-sum-exp. */
function estep(X: Mat, weights: number[], means: Mat, covs: Mat[]): { R: Mat; logLik: number } {
  const k = weights.length;
  const d = X[0].length;
  const Ls = covs.map((S) => {
    const L = cholesky(S);
    if (!L) throw new Error('estep: covariance not positive definite');
    return L;
  });
  let logLik = 0;
  const R: Mat = [];
  for (const x of X) {
    const lp = new Array<number>(k);
    for (let c = 0; c < k; c++) {
      const L = Ls[c];
      const y = new Array<number>(d);
      let q = 0;
      let ld = 0;
      for (let i = 0; i < d; i++) {
        let t = x[i] - means[c][i];
        for (let m = 0; m < i; m++) t -= L[i][m] * y[m];
        y[i] = t / L[i][i];
        q += y[i] * y[i];
        ld += Math.log(L[i][i]);
      }
      lp[c] = Math.log(weights[c]) - 0.5 * d * Math.log(2 * Math.PI) - ld - 0.5 * q;
    }
    const mx = Math.max(...lp);
    const lse = mx + Math.log(lp.reduce((s, v) => s + Math.exp(v - mx), 0));
    logLik += lse;
    R.push(lp.map((v) => Math.exp(v - lse)));
  }
  return { R, logLik };
}

/** nk, means and the full scatter W (k*d*d) about the means; two passes. */
function statistics(X: Mat, R: Mat, k: number): { nk: Float64Array; means: Mat; W: Float64Array } {
  const d = X[0].length;
  const nk = new Float64Array(k);
  const means: Mat = Array.from({ length: k }, () => new Array<number>(d).fill(0));
  X.forEach((x, i) => {
    for (let c = 0; c < k; c++) {
      nk[c] += R[i][c];
      for (let j = 0; j < d; j++) means[c][j] += R[i][c] * x[j];
    }
  });
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) means[c][j] /= nk[c];
  const W = new Float64Array(k * d * d);
  X.forEach((x, i) => {
    for (let c = 0; c < k; c++) {
      const r = R[i][c];
      for (let a = 0; a < d; a++) {
        const da = x[a] - means[c][a];
        for (let b = 0; b < d; b++) W[c * d * d + a * d + b] += r * da * (x[b] - means[c][b]);
      }
    }
  });
  return { nk, means, W };
}

function diagonals(W: Float64Array, k: number, d: number): Float64Array {
  const out = new Float64Array(k * d);
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) out[c * d + j] = W[c * d * d + j * d + j];
  return out;
}

const inputFor = (m: MclustModel, W: Float64Array, k: number, d: number): Float64Array => (isDiagonalModel(m) ? diagonals(W, k, d) : W);

/** The M-step objective sum_k [n_k log|Sigma_k| + tr(W_k Sigma_k^-1)] (= -2 E log-lik up to constants). */
function objective(nk: ArrayLike<number>, Wm: Mat[], S: Mat[]): number {
  let f = 0;
  for (let c = 0; c < S.length; c++) f += nk[c] * logDet(S[c]) + trace(matmul(Wm[c], inverse(S[c])));
  return f;
}
const scatterMatrices = (W: Float64Array, k: number, d: number): Mat[] =>
  Array.from({ length: k }, (_, c) => Array.from({ length: d }, (_, i) => Array.from(W.subarray(c * d * d + i * d, c * d * d + (i + 1) * d))));

/* ------------------------------------------------------------------------------ seeded random problems */

function normal(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** k random SPD scatter matrices (m = nk points' worth, random scales and orientations) and their nk. */
function randomScatter(seed: number, k: number, d: number, rank = d): { nk: Float64Array; W: Float64Array } {
  const rand = rng(seed);
  const z = normal(rand);
  const nk = new Float64Array(k);
  const W = new Float64Array(k * d * d);
  for (let c = 0; c < k; c++) {
    nk[c] = 5 + 60 * rand();
    const scale = Math.exp(2 * (rand() - 0.5));
    const A: Mat = Array.from({ length: d }, () => Array.from({ length: d }, () => z()));
    const pts = Math.max(rank, Math.ceil(nk[c]));
    for (let p = 0; p < pts; p++) {
      // rank-limited: points live in the span of the first `rank` columns of A
      const g = Array.from({ length: d }, (_, j) => (j < rank ? z() : 0));
      const v = A.map((row) => row.reduce((s, a, j) => s + a * g[j], 0) * scale);
      const wgt = p < rank ? 1 : nk[c] / pts;
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) W[c * d * d + a * d + b] += wgt * v[a] * v[b];
    }
  }
  return { nk, W };
}

/* ------------------------------------------------------------------------------ conformance with mclust 6.0.0 */

const ITERATIVE: ReadonlySet<string> = new Set(['VEI', 'VEE', 'EVE', 'VVE', 'VEV']);
const worst = new Map<string, { cov: number; logLik: number }>();

it('has the 42 data set x model fixtures, 14 models each for iris, faithful, blobs3d', () => {
  expect(fixtures.length).toBe(42);
  for (const m of MCLUST_MODELS) expect(fixtures.filter((f) => f.modelName === m).length).toBe(3);
});

describe('constrainedCovariances reproduces mclust::mstep along the fixture trajectories', () => {
  for (const fx of fixtures) {
    it(`${fx.name}: covariances after every M-step, and the log-likelihood there`, () => {
      const m = fx.modelName;
      const k = fx.nComponents;
      const d = fx.X[0].length;
      const n = fx.X.length;
      const tolCov = ITERATIVE.has(m) ? 1e-6 : 1e-8;
      const stats = worst.get(m) ?? { cov: 0, logLik: 0 };
      for (let t = 1; t <= fx.trajectory.length; t++) {
        // Responsibilities: t = 1 one-hot of initLabels; t > 1 the E-step at mclust's parameters after t-1 M-steps.
        const R =
          t === 1
            ? fx.initLabels.map((l) => Array.from({ length: k }, (_, c) => (c === l ? 1 : 0)))
            : estep(fx.X, fx.trajectory[t - 2].weights, fx.trajectory[t - 2].means, fx.trajectory[t - 2].covariances).R;
        const { nk, means, W } = statistics(fx.X, R, k);
        // VVE: mclust's own (non-maximising) orientation update, which the fixtures record.
        const S = constrainedCovariances(m, nk, inputFor(m, W, k, d), k, d, { vve: 'mclust' });
        expect(S, `${fx.name} t=${t}: null`).not.toBeNull();
        const mats = toMatrices(m, S!, k, d);
        const ref = fx.trajectory[t - 1]; // mclust 6.0.0, ../shared/conformance/mclust/<file>: trajectory[t-1].covariances
        const e = relErr(flat(mats), flat(ref.covariances));
        expect(e, `${fx.name} t=${t}: covariance relative error`).toBeLessThanOrEqual(tolCov);
        // Total log-likelihood at (nk / n, means, our covariances) vs mclust's trajectory[t-1].logLik.
        const ll = estep(fx.X, Array.from(nk, (v) => v / n), means, mats).logLik;
        const el = Math.abs(ll - ref.logLik) / Math.abs(ref.logLik);
        expect(el, `${fx.name} t=${t}: log-likelihood ${ll} vs mclust ${ref.logLik}`).toBeLessThanOrEqual(1e-8);
        // mclust's mixing weights and means come from the same responsibilities (sanity of the test E-step).
        expect(relErr(Array.from(nk, (v) => v / n), ref.weights)).toBeLessThanOrEqual(1e-12);
        expect(relErr(flat(means), flat(ref.means))).toBeLessThanOrEqual(1e-12);
        stats.cov = Math.max(stats.cov, e);
        stats.logLik = Math.max(stats.logLik, el);
      }
      worst.set(m, stats);
    });
  }
  afterAll(() => {
    const rows = MCLUST_MODELS.filter((m) => worst.has(m)).map(
      (m) => `${m}: covariances ${worst.get(m)!.cov.toExponential(2)}, logLik ${worst.get(m)!.logLik.toExponential(2)}`,
    );
    console.log(`max relative errors against the mclust fixtures (all 8 steps x 3 data sets):\n  ${rows.join('\n  ')}`);
  });
});

describe('with one warm state per fit, constrainedCovariances reproduces mclust::me', () => {
  // mclust::me carries the inner state (EVE/VVE: orientation and shapes; VEI/VEV: shape and scale)
  // from one M-step to the next; the trajectory fixtures above are independent mclust::mstep calls.
  for (const fx of fixtures) {
    it(`${fx.name}: fit.covariances and fit.logLik after mclust's ${fx.fit.iterations} EM iterations`, () => {
      const m = fx.modelName;
      const k = fx.nComponents;
      const d = fx.X[0].length;
      const n = fx.X.length;
      const state: CovarianceModelState = {};
      let R: Mat = fx.initLabels.map((l) => Array.from({ length: k }, (_, c) => (c === l ? 1 : 0)));
      let mats: Mat[] = [];
      let logLik = NaN;
      for (let t = 1; t <= fx.fit.iterations; t++) {
        const { nk, means, W } = statistics(fx.X, R, k);
        const S = constrainedCovariances(m, nk, inputFor(m, W, k, d), k, d, { state, vve: 'mclust' });
        expect(S, `${fx.name} t=${t}`).not.toBeNull();
        mats = toMatrices(m, S!, k, d);
        ({ R, logLik } = estep(fx.X, Array.from(nk, (v) => v / n), means, mats));
      }
      // mclust 6.0.0 fit.covariances and fit.logLik (mclust::me to its convergence, outer tol 1e-5).
      expect(relErr(flat(mats), flat(fx.fit.covariances)), 'covariances').toBeLessThanOrEqual(ITERATIVE.has(m) ? 1e-6 : 1e-8);
      expect(Math.abs(logLik - fx.fit.logLik) / Math.abs(fx.fit.logLik), 'logLik').toBeLessThanOrEqual(1e-8);
    });
  }
});

describe('mclustParameterCount', () => {
  for (const fx of fixtures) {
    it(`${fx.name}: equals mclust's nParameters`, () => {
      // mclust 6.0.0 fit.nParameters (nMclustParams) from the fixture.
      expect(mclustParameterCount(fx.modelName, fx.nComponents, fx.X[0].length)).toBe(fx.fit.nParameters);
    });
  }
  it('d = 1 reduces to mclust E (1 variance) and V (G variances)', () => {
    for (const m of MCLUST_MODELS) {
      const G = 4;
      const variances = m[0] === 'E' ? 1 : G;
      expect(mclustParameterCount(m, G, 1), m).toBe(variances + G + (G - 1));
    }
  });
});

/* ------------------------------------------------------------------------------ eigen / SVD kernels */

describe('symmetricEigen', () => {
  it('reconstructs random symmetric matrices with orthonormal vectors and decreasing values (d = 1 .. 50)', () => {
    const rand = rng(11);
    const z = normal(rand);
    for (const d of [1, 2, 3, 5, 8, 20, 50]) {
      const B: Mat = Array.from({ length: d }, () => Array.from({ length: d }, () => z()));
      const A = B.map((r, i) => r.map((v, j) => 0.5 * (v + B[j][i])));
      const { values, vectors } = eig(A);
      for (let j = 1; j < d; j++) expect(values[j]).toBeLessThanOrEqual(values[j - 1]);
      const VtV = matmul(transpose(vectors), vectors);
      expect(relErr(flat(VtV), flat(identity(d)))).toBeLessThan(1e-13);
      const rec = matmul(matmul(vectors, values.map((v, i) => values.map((_, j) => (i === j ? v : 0)))), transpose(vectors));
      expect(relErr(flat(rec), flat(A)), `d=${d}`).toBeLessThan(1e-13);
    }
  });
  it('finds known spectra, repeated eigenvalues, and the tiny eigenvalues of graded PSD matrices to high relative accuracy', () => {
    const rand = rng(12);
    const z = normal(rand);
    for (const spectrum of [
      [5, 3, 3, 1],
      [2, 2, 2],
      [1e6, 1, 1e-6, 1e-12],
      [4, 0, 0],
    ]) {
      const d = spectrum.length;
      // random orthogonal Q from the eigenvectors of a random symmetric matrix
      const B: Mat = Array.from({ length: d }, () => Array.from({ length: d }, () => z()));
      const Q = eig(B.map((r, i) => r.map((v, j) => v + B[j][i]))).vectors;
      const A = matmul(matmul(Q, spectrum.map((v, i) => spectrum.map((_, j) => (i === j ? v : 0)))), transpose(Q));
      const { values } = eig(A);
      spectrum.forEach((v, j) => expect(Math.abs(values[j] - v)).toBeLessThanOrEqual(1e-13 * spectrum[0] + 1e-9 * v));
    }
  });
});

describe('symmetricEigenvalues', () => {
  it("agrees with symmetricEigen's values to a few eps times the largest (d = 1 .. 50: random, graded, rank-deficient, repeated)", () => {
    const rand = rng(13);
    const z = normal(rand);
    for (const d of [1, 2, 3, 4, 5, 8, 13, 20, 50]) {
      for (const kind of ['random', 'graded', 'rank d-1', 'repeated']) {
        // A = G G^T with G d x r: graded columns span eight orders of magnitude; 'repeated' is 3 I + a rank-one term.
        const r = kind === 'rank d-1' ? Math.max(d - 1, 1) : kind === 'repeated' ? 1 : d;
        const G: Mat = Array.from({ length: d }, () => Array.from({ length: r }, (_, j) => z() * (kind === 'graded' ? Math.exp((8 * j) / d) : 1)));
        const A = matmul(G, transpose(G)).map((row, i) => row.map((v, j) => v + (kind === 'repeated' && i === j ? 3 : 0)));
        const flatA = Float64Array.from(A.flat());
        const ref = new Float64Array(d);
        const got = new Float64Array(d);
        symmetricEigen(flatA, 0, d, ref, null);
        expect(symmetricEigenvalues(flatA, 0, d, got), `${kind} d=${d}`).toBe(true);
        for (let j = 1; j < d; j++) expect(got[j]).toBeLessThanOrEqual(got[j - 1]);
        for (let j = 0; j < d; j++) expect(Math.abs(got[j] - ref[j]), `${kind} d=${d} j=${j}`).toBeLessThanOrEqual(4 * d * 2.220446049250313e-16 * ref[0]);
      }
    }
  });
});

describe('jacobiSVD and polarFactor', () => {
  const svd = (F: Mat) => {
    const d = F.length;
    const U = new Float64Array(d * d);
    const s = new Float64Array(d);
    const V = new Float64Array(d * d);
    jacobiSVD(Float64Array.from(F.flat()), 0, d, U, s, V);
    const M = (a: Float64Array): Mat => Array.from({ length: d }, (_, i) => Array.from(a.subarray(i * d, (i + 1) * d)));
    return { U: M(U), s: Array.from(s), V: M(V) };
  };
  it('F = U diag(s) V^T with orthogonal U, V and decreasing s, also for singular F', () => {
    const rand = rng(21);
    const z = normal(rand);
    for (const d of [1, 2, 3, 6, 30]) {
      for (const rank of [d, Math.max(d - 1, 0), 1]) {
        const G: Mat = Array.from({ length: d }, () => Array.from({ length: rank }, () => z()));
        const H: Mat = Array.from({ length: rank }, () => Array.from({ length: d }, () => z()));
        const F = rank === 0 ? identity(d).map((r) => r.map(() => 0)) : matmul(G, H);
        const { U, s, V } = svd(F);
        for (let j = 1; j < d; j++) expect(s[j]).toBeLessThanOrEqual(s[j - 1]);
        expect(relErr(flat(matmul(transpose(U), U)), flat(identity(d))), `U d=${d} rank=${rank}`).toBeLessThan(1e-12);
        expect(relErr(flat(matmul(transpose(V), V)), flat(identity(d)))).toBeLessThan(1e-12);
        const rec = matmul(matmul(U, s.map((v, i) => s.map((_, j) => (i === j ? v : 0)))), transpose(V));
        expect(relErr(flat(rec), flat(F)), `d=${d} rank=${rank}`).toBeLessThan(1e-12);
      }
    }
  });
  it('polar factor: orthogonal, maximises tr(Q^T F) against random rotations, fixes orthogonal input, leaves Q alone for F = 0', () => {
    const rand = rng(22);
    const z = normal(rand);
    const d = 5;
    const F: Mat = Array.from({ length: d }, () => Array.from({ length: d }, () => z()));
    const Q = new Float64Array(d * d);
    expect(polarFactor(Float64Array.from(F.flat()), 0, d, Q, 0)).toBe(true);
    const Qm: Mat = Array.from({ length: d }, (_, i) => Array.from(Q.subarray(i * d, (i + 1) * d)));
    expect(relErr(flat(matmul(transpose(Qm), Qm)), flat(identity(d)))).toBeLessThan(1e-13);
    const score = (M: Mat) => trace(matmul(transpose(M), F));
    for (let trial = 0; trial < 50; trial++) {
      const B: Mat = Array.from({ length: d }, () => Array.from({ length: d }, () => z()));
      const R = eig(B.map((r, i) => r.map((v, j) => v + B[j][i]))).vectors;
      expect(score(R)).toBeLessThanOrEqual(score(Qm) + 1e-12);
    }
    // The polar factor of an orthogonal matrix is itself.
    const Q2 = new Float64Array(d * d);
    polarFactor(Float64Array.from(Qm.flat()), 0, d, Q2, 0);
    expect(relErr(Q2, Float64Array.from(Qm.flat()))).toBeLessThan(1e-13);
    const keep = Float64Array.from({ length: d * d }, (_, i) => i);
    expect(polarFactor(new Float64Array(d * d), 0, d, keep, 0)).toBe(false);
    expect(keep[7]).toBe(7);
  });
});

/* ------------------------------------------------------------------------------ properties on random SPD scatter */

/** Checks that the k covariances obey model m's equalities (relative tolerance `tol`). */
function expectStructure(m: MclustModel, S: Mat[], tol: number): void {
  const k = S.length;
  const d = S[0].length;
  const dets = S.map((A) => Math.exp(logDet(A) / d));
  const close = (a: number[], b: number[], what: string) => expect(relErr(a, b), `${m}: ${what}`).toBeLessThanOrEqual(tol);
  if (isDiagonalModel(m)) {
    for (const A of S) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) if (i !== j) expect(A[i][j]).toBe(0);
  }
  const vol = m[0];
  const shp = m[1];
  const ori = m[2];
  if (vol === 'E') close(dets, dets.map(() => dets[0]), 'equal volumes');
  const normalised = S.map((A, c) => A.map((r) => r.map((v) => v / dets[c])));
  if (shp === 'I') for (const A of normalised) close(flat(A), flat(identity(d)), 'spherical');
  // Shape: the normalised eigenvalues (decreasing) are equal across components.
  const shapes = normalised.map((A) => eig(A).values);
  if (shp === 'E') for (const s of shapes) close(s, shapes[0], 'equal shapes');
  // Orientation: E = one set of axes for all (the covariances commute); with equal shape too, proportional.
  if (ori === 'E') {
    for (let a = 0; a < k; a++) {
      for (let b = a + 1; b < k; b++) {
        close(flat(matmul(S[a], S[b])), flat(matmul(S[b], S[a])), 'common orientation (commuting)');
      }
    }
    if (shp === 'E') for (const A of normalised) close(flat(A), flat(normalised[0]), 'proportional');
  }
}

/** A random perturbation that stays inside model m's constraints (eps: size). */
function perturbWithin(m: MclustModel, S: Mat[], eps: number, rand: () => number): Mat[] {
  const d = S[0].length;
  const z = normal(rand);
  const vol = m[0];
  const shp = m[1];
  const ori = m[2];
  const diagScale = (A: Mat, v: number[]) => A.map((r, i) => r.map((x, j) => x * Math.exp(0.5 * (v[i] + v[j]))));
  const zeroMean = (v: number[]) => {
    const mu = v.reduce((s, x) => s + x, 0) / v.length;
    return v.map((x) => x - mu);
  };
  const randomVec = () => Array.from({ length: d }, () => eps * z());
  const givens = (): Mat => {
    const Q = identity(d);
    if (d < 2) return Q;
    const i = Math.floor(rand() * d);
    let j = Math.floor(rand() * (d - 1));
    if (j >= i) j++;
    const th = eps * z();
    Q[i][i] = Math.cos(th);
    Q[j][j] = Math.cos(th);
    Q[i][j] = -Math.sin(th);
    Q[j][i] = Math.sin(th);
    return Q;
  };
  const congruence = (A: Mat, M: Mat) => matmul(matmul(M, A), transpose(M));
  let out = S.map((A) => A.map((r) => r.slice()));
  // volume
  const common = eps * z();
  out = out.map((A) => {
    const u = vol === 'E' ? common : eps * z();
    return A.map((r) => r.map((x) => x * Math.exp(u)));
  });
  if (shp === 'I') return out;
  if (ori === 'I') {
    // diagonal shapes: common (E) or per-component (V) det-1 diagonal rescaling
    const v0 = zeroMean(randomVec());
    return out.map((A) => diagScale(A, shp === 'E' ? v0 : zeroMean(randomVec())));
  }
  if (ori === 'E') {
    const Q = givens();
    out = out.map((A) => congruence(A, Q));
    if (shp === 'E') {
      // common det-1 congruence keeps Sigma_k proportional
      const M = identity(d).map((r) => r.map((x) => x + eps * z()));
      const det = Math.exp(logDet(matmul(M, transpose(M))) / (2 * d));
      return out.map((A) => congruence(A, M.map((r) => r.map((x) => x / det))));
    }
    // variable shapes in the common eigenbasis
    const D = eig(out[0]).vectors;
    return out.map((A) => {
      const v = zeroMean(randomVec());
      const M = matmul(matmul(D, v.map((x, i) => v.map((_, j) => (i === j ? Math.exp(0.5 * x) : 0)))), transpose(D));
      return congruence(A, M);
    });
  }
  // ori === 'V': per-component rotations, shapes in each component's own (decreasing) eigenbasis
  const v0 = zeroMean(randomVec());
  return out.map((A) => {
    const { values, vectors } = eig(A);
    const v = shp === 'E' ? v0 : zeroMean(randomVec());
    const B = matmul(matmul(vectors, values.map((x, i) => values.map((_, j) => (i === j ? x * Math.exp(v[i]) : 0)))), transpose(vectors));
    return congruence(B, givens());
  });
}

/** Pairs [less constrained, more constrained] of the model lattice. */
const NESTED: [MclustModel, MclustModel][] = [
  ['VII', 'EII'],
  ['EEI', 'EII'],
  ['VEI', 'VII'],
  ['VEI', 'EEI'],
  ['EVI', 'EEI'],
  ['EEE', 'EEI'],
  ['VVI', 'VEI'],
  ['VVI', 'EVI'],
  ['VEE', 'VEI'],
  ['VEE', 'EEE'],
  ['EVE', 'EVI'],
  ['EVE', 'EEE'],
  ['VVE', 'VVI'],
  ['VVE', 'VEE'],
  ['VVE', 'EVE'],
  ['EEV', 'EEE'],
  ['VEV', 'VEE'],
  ['VEV', 'EEV'],
  ['EVV', 'EVE'],
  ['EVV', 'EEV'],
  ['VVV', 'VVE'],
  ['VVV', 'VEV'],
  ['VVV', 'EVV'],
];
/** Models whose M-step returns the global optimum (closed form, or a convex problem solved by alternation). */
const GLOBAL: ReadonlySet<string> = new Set(MCLUST_MODELS.filter((m) => m !== 'EVE' && m !== 'VVE'));

describe('properties on random SPD scatter', () => {
  const cases: { seed: number; k: number; d: number }[] = [];
  let seed = 100;
  for (const k of [1, 2, 3]) for (const d of [1, 2, 3, 5]) cases.push({ seed: seed++, k, d });
  cases.push({ seed: seed++, k: 4, d: 8 });

  for (const { seed: sd, k, d } of cases) {
    it(`k=${k} d=${d}: symmetric positive definite, structure, nesting, optimality within the model`, () => {
      const { nk, W } = randomScatter(sd, k, d);
      const Wm = scatterMatrices(W, k, d);
      const rand = rng(sd + 1000);
      const f = new Map<string, number>();
      const sol = new Map<string, Mat[]>();
      for (const m of [...MCLUST_MODELS, 'VVE-exact' as const]) {
        const model = (m === 'VVE-exact' ? 'VVE' : m) as MclustModel;
        const S = constrainedCovariances(model, nk, inputFor(model, W, k, d), k, d, m === 'VVE' ? { vve: 'mclust' } : undefined);
        expect(S, m).not.toBeNull();
        for (const v of S!) expect(Number.isFinite(v)).toBe(true);
        const mats = toMatrices(model, S!, k, d);
        for (const A of mats) {
          expect(cholesky(A), `${m}: positive definite`).not.toBeNull();
          for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) expect(A[i][j]).toBe(A[j][i]);
        }
        expectStructure(model, mats, ITERATIVE.has(model) ? 1e-8 : 1e-10);
        f.set(m, objective(nk, Wm, mats));
        sol.set(m, mats);
      }
      const scale = Array.from(nk).reduce((s, v) => s + v, 0) * d;
      const slack = 1e-9 * scale;
      // Nesting: a globally optimal model does at least as well as any more constrained model's optimum.
      for (const [big, small] of NESTED) {
        if (GLOBAL.has(big)) expect(f.get(big)!, `${big} <= ${small}`).toBeLessThanOrEqual(f.get(small)! + slack);
      }
      // EVE and VVE iterate from D = I: after the first iteration they sit at EVI / VVI and then only improve.
      expect(f.get('EVE')!).toBeLessThanOrEqual(f.get('EVI')! + slack);
      expect(f.get('VVE-exact')!).toBeLessThanOrEqual(f.get('VVI')! + slack);
      // No perturbation inside the model's constraints lowers the objective (mclust's VVE excepted, see below).
      for (const m of [...MCLUST_MODELS.filter((x) => x !== 'VVE'), 'VVE-exact' as const]) {
        const model = (m === 'VVE-exact' ? 'VVE' : m) as MclustModel;
        const S = sol.get(m)!;
        const f0 = f.get(m)!;
        for (let trial = 0; trial < 12; trial++) {
          const r0 = rand();
          const plus = perturbWithin(model, S, 1e-4, rng(Math.floor(r0 * 2 ** 31)));
          const minus = perturbWithin(model, S, -1e-4, rng(Math.floor(r0 * 2 ** 31)));
          expect(objective(nk, Wm, plus), `${m} +`).toBeGreaterThanOrEqual(f0 - 1e-11 * scale);
          expect(objective(nk, Wm, minus), `${m} -`).toBeGreaterThanOrEqual(f0 - 1e-11 * scale);
          expectStructure(model, plus, 1e-7); // the perturbation really stays inside the model
        }
      }
    });
  }

  it("mclust's VVE (vve: 'mclust') is a fixed point of its unweighted MM, not the exact maximiser; the default ('exact') is", () => {
    // iris, the first M-step (one-hot responsibilities of the fixture's initLabels).
    const fx = fixtures.find((x) => x.name.includes('iris') && x.modelName === 'VVE')!;
    const k = fx.nComponents;
    const d = fx.X[0].length;
    const R = fx.initLabels.map((l) => Array.from({ length: k }, (_, c) => (c === l ? 1 : 0)));
    const { nk, W } = statistics(fx.X, R, k);
    const Wm = scatterMatrices(W, k, d);
    const mc = toMatrices('VVE', constrainedCovariances('VVE', nk, W, k, d, { vve: 'mclust' })!, k, d);
    const ex = toMatrices('VVE', constrainedCovariances('VVE', nk, W, k, d)!, k, d);
    const fm = objective(nk, Wm, mc);
    const fe = objective(nk, Wm, ex);
    expect(fe).toBeLessThan(fm - 0.1); // about 0.6 lower here (0.3 in log-likelihood)
    // Some direction inside VVE lowers the objective at mclust's answer.
    let best = Infinity;
    const rand = rng(5);
    for (let trial = 0; trial < 40; trial++) best = Math.min(best, objective(nk, Wm, perturbWithin('VVE', mc, 1e-3, rng(Math.floor(rand() * 2 ** 31)))));
    expect(best).toBeLessThan(fm - 1e-6);
    expectStructure('VVE', ex, 1e-8);
  });

  it('iterative models do not end worse than their inner starting point', () => {
    for (const [k, d] of [
      [2, 3],
      [3, 4],
    ]) {
      const { nk, W } = randomScatter(900 + k + d, k, d);
      const Wm = scatterMatrices(W, k, d);
      const fOf = (m: MclustModel, S: Float64Array) => objective(nk, Wm, toMatrices(m, S, k, d));
      for (const m of ['VEI', 'VEE', 'VEV', 'EVE', 'VVE'] as MclustModel[]) {
        const one = constrainedCovariances(m, nk, inputFor(m, W, k, d), k, d, { maxIter: 1 })!;
        const all = constrainedCovariances(m, nk, inputFor(m, W, k, d), k, d)!;
        let prev = fOf(m, one);
        for (const it of [2, 5, 20]) {
          const S = constrainedCovariances(m, nk, inputFor(m, W, k, d), k, d, { maxIter: it })!;
          const fi = fOf(m, S);
          expect(fi, `${m} after ${it}`).toBeLessThanOrEqual(prev + 1e-9 * Math.abs(prev));
          prev = fi;
        }
        expect(fOf(m, all), m).toBeLessThanOrEqual(fOf(m, one) + 1e-9 * Math.abs(fOf(m, one)));
      }
    }
  });
});

/* ------------------------------------------------------------------------------ undefined scatter, d = 1, k = 1, warm starts */

describe('undefined scatter gives null (never NaN), degenerate sizes stay finite', () => {
  const k = 2;
  const d = 3;
  const singular = randomScatter(31, k, d, 2); // every W_k of rank 2
  const good = randomScatter(32, k, d);
  /** W_1 from `good`, W_2 singular. */
  const mixed = Float64Array.from(good.W);
  mixed.set(singular.W.subarray(d * d, 2 * d * d), d * d);

  it('EVV, EVE, VVE: null when some W_k is rank deficient', () => {
    for (const m of ['EVV', 'EVE', 'VVE'] as MclustModel[]) {
      expect(constrainedCovariances(m, good.nk, mixed, k, d), m).toBeNull();
      expect(constrainedCovariances(m, good.nk, good.W, k, d), m).not.toBeNull();
    }
  });
  it('VEE, VEV: null only when the W_k are singular together; closed forms without a normalisation return the singular answer', () => {
    expect(constrainedCovariances('VEE', good.nk, mixed, k, d)).not.toBeNull();
    expect(constrainedCovariances('VEV', good.nk, mixed, k, d)).not.toBeNull();
    // a common null direction (the points of both components in one plane)
    const plane = randomScatter(33, k, d, 2);
    const P = new Float64Array(k * d * d);
    for (let c = 0; c < k; c++) for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) P[c * d * d + a * d + b] = plane.W[c * d * d + a * d + b];
    expect(constrainedCovariances('VEE', plane.nk, P, k, d)).toBeNull();
    expect(constrainedCovariances('VEV', plane.nk, P, k, d)).toBeNull(); // every W_k singular: a zero common-shape entry
    expect(constrainedCovariances('VEV', singular.nk, singular.W, k, d)).toBeNull();
    for (const m of ['VVV', 'EEE', 'EEV'] as MclustModel[]) {
      const S = constrainedCovariances(m, plane.nk, P, k, d)!;
      expect(S, m).not.toBeNull();
      expect(S.every(Number.isFinite)).toBe(true);
    }
  });
  it('diagonal models: EVI null for a zero variance; VEI null for a coordinate without scatter or an empty scatter', () => {
    const Wd = Float64Array.from([1, 2, 3, 4, 0, 6]);
    const nk = Float64Array.from([10, 20]);
    expect(constrainedCovariances('EVI', nk, Wd, k, d)).toBeNull();
    expect(constrainedCovariances('VEI', nk, Wd, k, d)).not.toBeNull();
    expect(constrainedCovariances('VEI', nk, Float64Array.from([1, 0, 3, 4, 0, 6]), k, d)).toBeNull();
    expect(constrainedCovariances('VEI', nk, Float64Array.from([0, 0, 0, 4, 5, 6]), k, d)).toBeNull();
    for (const m of ['EII', 'VII', 'EEI', 'VVI'] as MclustModel[]) expect(constrainedCovariances(m, nk, Wd, k, d)!.every(Number.isFinite)).toBe(true);
  });
  it('non-positive n_k or non-finite scatter: null; bad sizes: RangeError', () => {
    for (const m of MCLUST_MODELS) {
      const W = inputFor(m, good.W, k, d);
      expect(constrainedCovariances(m, Float64Array.from([0, 3]), W, k, d), m).toBeNull();
      const bad = Float64Array.from(W);
      bad[1] = NaN;
      expect(constrainedCovariances(m, good.nk, bad, k, d), m).toBeNull();
      expect(() => constrainedCovariances(m, good.nk, W.subarray(1), k, d)).toThrow(RangeError);
    }
    expect(() => constrainedCovariances('VVV', good.nk, good.W, 0, d)).toThrow(RangeError);
    expect(() => constrainedCovariances('XXX' as MclustModel, good.nk, good.W, k, d)).toThrow(RangeError);
  });
  it('random scatter with zeros and rank deficiency: always null or finite, never NaN', () => {
    const rand = rng(77);
    for (let trial = 0; trial < 60; trial++) {
      const kk = 1 + Math.floor(rand() * 3);
      const dd = 1 + Math.floor(rand() * 4);
      const rank = Math.floor(rand() * (dd + 1));
      const { nk, W } = randomScatter(5000 + trial, kk, dd, rank);
      if (rand() < 0.3) W.fill(0, 0, dd * dd); // an empty component
      for (const m of MCLUST_MODELS) {
        const S = constrainedCovariances(m, nk, inputFor(m, W, kk, dd), kk, dd);
        if (S) expect(S.every(Number.isFinite), `${m} k=${kk} d=${dd} rank=${rank}`).toBe(true);
      }
    }
  });
  it('d = 1: every model is E (sum W / n) or V (W_k / n_k); k = 1: the unconstrained counterpart', () => {
    const nk = Float64Array.from([4, 6, 10]);
    const W = Float64Array.from([2, 9, 5]);
    for (const m of MCLUST_MODELS) {
      const S = constrainedCovariances(m, nk, W, 3, 1)!;
      expect(Array.from(S), m).toEqual(m[0] === 'E' ? [0.8, 0.8, 0.8] : [0.5, 1.5, 0.5]);
    }
    const one = randomScatter(41, 1, 4);
    const n = one.nk[0];
    for (const m of MCLUST_MODELS) {
      const S = constrainedCovariances(m, one.nk, inputFor(m, one.W, 1, 4), 1, 4)!;
      const want = toMatrices('VVV', one.W.map((v) => v / n), 1, 4)[0];
      const got = toMatrices(m, S, 1, 4)[0];
      const expected =
        m === 'EII' || m === 'VII'
          ? identity(4).map((r) => r.map((x) => (x * trace(want)) / 4))
          : isDiagonalModel(m)
            ? want.map((r, i) => r.map((x, j) => (i === j ? x : 0)))
            : want;
      expect(relErr(flat(got), flat(expected)), m).toBeLessThan(1e-14);
    }
  });
});

describe('EVE / VVE orientation', () => {
  it("mclust's VVE is EVE's orientation and shapes with per-component volumes", () => {
    for (const [k, d, sd] of [
      [2, 3, 301],
      [3, 4, 302],
      [4, 6, 303],
    ]) {
      const { nk, W } = randomScatter(sd, k, d);
      const eve = toMatrices('EVE', constrainedCovariances('EVE', nk, W, k, d)!, k, d);
      const vve = toMatrices('VVE', constrainedCovariances('VVE', nk, W, k, d, { vve: 'mclust' })!, k, d);
      for (let c = 0; c < k; c++) {
        const ratio = vve[c][0][0] / eve[c][0][0];
        expect(relErr(flat(vve[c]), flat(eve[c]).map((x) => x * ratio)), `k=${k} d=${d} c=${c}`).toBeLessThan(1e-12);
      }
    }
  });
  it('a problem on which the MM stalls is finished by pairwise rotations: a constrained optimum, close to a tighter run', () => {
    // Gaussian random factors give widely spread eigenvalues; the MM needs thousands of iterations here.
    const k = 3;
    const d = 10;
    const rand = rng(404);
    const z = normal(rand);
    const nk = Float64Array.from([200, 300, 400]);
    const W = new Float64Array(k * d * d);
    for (let c = 0; c < k; c++) {
      const A: Mat = Array.from({ length: d }, () => Array.from({ length: d }, () => z()));
      for (let p = 0; p < nk[c]; p++) {
        const g = Array.from({ length: d }, () => z());
        const v = A.map((row) => row.reduce((s, a, j) => s + a * g[j], 0));
        for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) W[c * d * d + a * d + b] += v[a] * v[b];
      }
    }
    const Wm = scatterMatrices(W, k, d);
    for (const [m, vve] of [
      ['EVE', undefined],
      ['VVE', 'exact'],
    ] as [MclustModel, 'exact' | undefined][]) {
      const state: CovarianceModelState = {};
      const S = constrainedCovariances(m, nk, W, k, d, { state, vve })!;
      expect(state.method, m).toBe('rotations');
      expect(state.converged, m).toBe(true);
      const mats = toMatrices(m, S, k, d);
      expectStructure(m, mats, 1e-8);
      const f0 = objective(nk, Wm, mats);
      const lower = toMatrices(m === 'EVE' ? 'EVI' : 'VVI', constrainedCovariances(m === 'EVE' ? 'EVI' : 'VVI', nk, diagonals(W, k, d), k, d)!, k, d);
      expect(f0).toBeLessThan(objective(nk, Wm, lower));
      for (let trial = 0; trial < 16; trial++) {
        const seed = Math.floor(rand() * 2 ** 31);
        for (const eps of [1e-4, -1e-4]) {
          expect(objective(nk, Wm, perturbWithin(m, mats, eps, rng(seed))), m).toBeGreaterThanOrEqual(f0 - 1e-11 * 900 * d);
        }
      }
      const tight = constrainedCovariances(m, nk, W, k, d, { tol: 1e-20, vve })!;
      expect(relErr(S, tight), m).toBeLessThan(1e-6);
    }
  });
});

describe('EVE / VVE: the descent over rotations', () => {
  const k = 3;
  const d = 8;
  const P = (d * (d - 1)) / 2;
  it('above d = 4 a warm start takes the descent: a constrained optimum in a few Newton steps, the factor kept in the state', () => {
    const { nk, W } = randomScatter(71, k, d);
    const Wm = scatterMatrices(W, k, d);
    for (const m of ['EVE', 'VVE'] as MclustModel[]) {
      const state: CovarianceModelState = {};
      // Cold: EVE by mclust's MM (which stops ~1e-6 short of the optimum, or hands over), VVE by the descent.
      const cold = constrainedCovariances(m, nk, W, k, d, { state })!;
      const S = constrainedCovariances(m, nk, W, k, d, { state })!;
      expect(state.method, m).toBe('rotations');
      expect(state.converged, m).toBe(true);
      expect(state.iterations!, m).toBeLessThanOrEqual(3);
      expect(state.hessian?.length, m).toBe(P * P);
      expect(relErr(S, cold), m).toBeLessThan(m === 'EVE' ? 1e-5 : 1e-6);
      const mats = toMatrices(m, S, k, d);
      expectStructure(m, mats, 1e-8);
      const f0 = objective(nk, Wm, mats);
      const rand = rng(72);
      for (let trial = 0; trial < 16; trial++) {
        const seed = Math.floor(rand() * 2 ** 31);
        for (const eps of [1e-4, -1e-4]) expect(objective(nk, Wm, perturbWithin(m, mats, eps, rng(seed))), m).toBeGreaterThanOrEqual(f0 - 1e-11 * Math.abs(f0));
      }
      // A nearby problem (the next EM iteration): quadratic convergence from the previous answer.
      const Xs = nearbyScatter(W, k, d, 0.02, 73);
      const warm = constrainedCovariances(m, nk, Xs, k, d, { state })!;
      expect(state.converged, m).toBe(true);
      expect(state.iterations!, m).toBeLessThanOrEqual(8);
      const Wn = scatterMatrices(Xs, k, d);
      const ref = constrainedCovariances(m, nk, Xs, k, d)!;
      // VVE's objective has several local optima (see the warm-start test below): the warm answer is no worse.
      if (m === 'EVE') expect(relErr(warm, ref), m).toBeLessThan(1e-5);
      else expect(objective(nk, Wn, toMatrices(m, warm, k, d)), m).toBeLessThanOrEqual(objective(nk, Wn, toMatrices(m, ref, k, d)) + 1e-9 * Math.abs(f0));
    }
  });
  it('EM with one warm state per fit never decreases the log-likelihood (d = 10, no regularisation)', () => {
    const rand = rng(81);
    const z = normal(rand);
    const dim = 10;
    const kk = 3;
    // Three groups sharing no orientation: EVE and VVE are misspecified, so their M-steps work.
    const X: Mat = [];
    for (let c = 0; c < kk; c++) {
      const A: Mat = Array.from({ length: dim }, () => Array.from({ length: dim }, () => z()));
      for (let i = 0; i < 120; i++) {
        const g = Array.from({ length: dim }, () => z());
        X.push(A.map((row, a) => row.reduce((sum, v, j) => sum + v * g[j], 0) + 3 * c * (a === 0 ? 1 : 0)));
      }
    }
    for (const m of ['EVE', 'VVE'] as MclustModel[]) {
      let R: Mat = X.map((_, i) => Array.from({ length: kk }, (_, c) => (c === i % kk ? 1 : 0)));
      const state: CovarianceModelState = {};
      let prev = -Infinity;
      for (let t = 1; t <= 30; t++) {
        const { nk, means, W } = statistics(X, R, kk);
        const S = constrainedCovariances(m, nk, W, kk, dim, { state });
        expect(S, `${m} t=${t}`).not.toBeNull();
        expect(state.converged, `${m} t=${t}`).toBe(true);
        const step = estep(X, Array.from(nk, (v) => v / X.length), means, toMatrices(m, S!, kk, dim));
        expect(step.logLik, `${m} t=${t}`).toBeGreaterThanOrEqual(prev - 1e-10 * Math.abs(prev));
        prev = step.logLik;
        R = step.R;
      }
    }
  });
});

describe('VEE: the extrapolated alternation', () => {
  it("ends at the fixed point of mclust's plain alternation (msvee), in fewer inner iterations", () => {
    // Widely spread volumes and orientations make the plain alternation slow (linear convergence).
    const k = 4;
    const d = 6;
    const { nk, W } = randomScatter(91, k, d);
    const Wm = scatterMatrices(W, k, d);
    // Reference: the plain alternation from lambda = 1 (written here from the definition) to a change below 1e-15.
    let lam = new Array<number>(k).fill(1);
    let C: Mat = identity(d);
    let plain = 0; // alternations until the change is below the default inner tolerance, 1e-13
    for (let err = Infinity, t = 1; err > 1e-15 && t < 100000; t++) {
      const S: Mat = identity(d).map((row, i) => row.map((_, j) => Wm.reduce((s, Wc, c) => s + Wc[i][j] / lam[c], 0)));
      const g = Math.exp(logDet(S) / d);
      C = S.map((row) => row.map((v) => v / g));
      const Ci = inverse(C);
      const next = Wm.map((Wc, c) => trace(matmul(Ci, Wc)) / (d * nk[c]));
      err = Math.max(...next.map((v, c) => Math.abs(v - lam[c]) / v));
      lam = next;
      if (plain === 0 && err <= 1e-13) plain = t;
    }
    const ref = flat(lam.map((l) => C.map((row) => row.map((v) => l * v))));
    const state: CovarianceModelState = {};
    const S = constrainedCovariances('VEE', nk, W, k, d, { state })!;
    expect(relErr(S, ref)).toBeLessThan(1e-11);
    expect(state.converged).toBe(true);
    // Here the plain alternation needs 28 alternations and the extrapolated one 16.
    expect(plain).toBeGreaterThan(20);
    expect(state.iterations!).toBeLessThan(0.65 * plain);
  });
});

describe('warm start (opts.state) and inner-iteration reporting', () => {
  it('a converged state restarts in a few iterations at the same answer; an empty state reports the cold run', () => {
    const k = 3;
    const d = 4;
    const { nk, W } = randomScatter(61, k, d);
    for (const m of ['VEI', 'VEE', 'VEV', 'EVE', 'VVE'] as MclustModel[]) {
      const X = inputFor(m, W, k, d);
      const cold = constrainedCovariances(m, nk, X, k, d)!;
      const state: CovarianceModelState = {};
      const a = constrainedCovariances(m, nk, X, k, d, { state })!;
      expect(Array.from(a), m).toEqual(Array.from(cold)); // an empty state is a cold start
      expect(state.converged, m).toBe(true);
      const coldIters = state.iterations!;
      expect(coldIters).toBeGreaterThan(1);
      const b = constrainedCovariances(m, nk, X, k, d, { state })!;
      expect(state.iterations!, m).toBeLessThanOrEqual(Math.min(3, coldIters));
      // EVE/VVE's MM still moves Sigma by ~1e-7 per iteration when its target has converged to 1e-13.
      expect(relErr(b, cold), m).toBeLessThan(m === 'EVE' || m === 'VVE' ? 1e-6 : 1e-10);
      // a nearby problem (the next EM iteration) from the previous state: close to its own cold answer
      const Xs = nearbyScatter(W, k, d, 0.02, 62);
      const Xm = inputFor(m, Xs, k, d);
      const warm = constrainedCovariances(m, nk, Xm, k, d, { state })!;
      if (m === 'VVE') {
        // The exact VVE objective has several local optima: a warm start descends from the previous
        // answer (what keeps EM monotone) and may settle elsewhere than the cold start from D = I.
        const Wn = scatterMatrices(Xs, k, d);
        expect(objective(nk, Wn, toMatrices(m, warm, k, d)), m).toBeLessThanOrEqual(objective(nk, Wn, toMatrices(m, b, k, d)) + 1e-9);
      } else {
        expect(relErr(warm, constrainedCovariances(m, nk, Xm, k, d)!), m).toBeLessThan(1e-5);
      }
    }
  });
  it('maxIter caps the inner loop and is reported as not converged; closed forms report 0 iterations', () => {
    const { nk, W } = randomScatter(62, 3, 4);
    const state: CovarianceModelState = {};
    expect(constrainedCovariances('EVE', nk, W, 3, 4, { maxIter: 2, state })).not.toBeNull();
    expect(state.iterations).toBe(2);
    expect(state.converged).toBe(false);
    constrainedCovariances('EEV', nk, W, 3, 4, { state });
    expect(state.iterations).toBe(0);
    expect(state.converged).toBe(true);
    expect(isIterativeModel('VEV') && !isIterativeModel('EEV')).toBe(true);
  });
  it('handles d = 50 with several components', () => {
    const { nk, W } = randomScatter(63, 3, 50);
    for (const m of MCLUST_MODELS) {
      const S = constrainedCovariances(m, nk, inputFor(m, W, 3, 50), 3, 50, { maxIter: 200 });
      expect(S, m).not.toBeNull();
      expect(S!.every(Number.isFinite), m).toBe(true);
    }
  });
});

/** W_k + eps * tr(W_k) / d * u_k u_k^T for random unit u_k: a nearby positive definite scatter. */
function nearbyScatter(W: Float64Array, k: number, d: number, eps: number, seed: number): Float64Array {
  const z = normal(rng(seed));
  const out = Float64Array.from(W);
  for (let c = 0; c < k; c++) {
    const u = Array.from({ length: d }, () => z());
    const nu = Math.hypot(...u);
    let tr = 0;
    for (let j = 0; j < d; j++) tr += W[c * d * d + j * d + j];
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) out[c * d * d + a * d + b] += ((eps * tr) / d) * (u[a] / nu) * (u[b] / nu);
  }
  return out;
}
