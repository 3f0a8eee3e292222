/**
 * The covariance M-steps of mclust's fourteen parsimonious Gaussian mixture models,
 * Sigma_k = lambda_k D_k A_k D_k^T (volume lambda, orientation D, shape A with det A = 1; the three
 * letters say Equal / Variable / Identity for volume, shape and orientation), as pure functions of the
 * component weights n_k and the scatter matrices W_k about the component means.
 *
 * Closed form (Celeux and Govaert 1995, "Gaussian parsimonious clustering models", Pattern
 * Recognition 28): EII, VII, EEI, VVI, EVI, EEE, EEV, EVV, VVV. Iterative: VEI, VEE and VEV
 * (alternating updates of the volumes and the common shape/matrix, Celeux and Govaert), EVE and VVE
 * (for the common orientation D: at small d the two MM steps of Browne and McNicholas 2014,
 * "Estimating common principal components in high dimensions", ADAC, alternated with the
 * closed-form shapes, as mclust; otherwise, and where the MM stalls, a Newton descent over rotations
 * with pairwise-rotation sweeps far from the optimum). Starts,
 * update orders and eigenvalue ordering follow R mclust 6.0.0 (src/mclust.f msvei/msvev,
 * src/mclustaddson.f msvee/mseve/msvve, R/mclustaddson.R mstepVEE/mstepEVE/mstepVVE), so that a call
 * reproduces `mclust::mstep`; see the notes at each model for where this code deliberately differs.
 */
import { polarFactor, symmetricEigen, symmetricEigenvalues } from './eigen.js';
import { mulSquare, mulTransposeSymmetric } from './linalg.js';

export const MCLUST_MODELS = [
  'EII',
  'VII',
  'EEI',
  'VEI',
  'EVI',
  'VVI',
  'EEE',
  'VEE',
  'EVE',
  'VVE',
  'EEV',
  'VEV',
  'EVV',
  'VVV',
] as const;

export type MclustModel = (typeof MCLUST_MODELS)[number];

const DIAGONAL_MODELS: ReadonlySet<string> = new Set(['EII', 'VII', 'EEI', 'VEI', 'EVI', 'VVI']);
const MODEL_SET: ReadonlySet<string> = new Set(MCLUST_MODELS);

/** The six models whose covariances are diagonal (EII, VII, EEI, VEI, EVI, VVI): they need only the diagonal of the scatter. */
export function isDiagonalModel(m: MclustModel): boolean {
  return DIAGONAL_MODELS.has(m);
}

/** True for the five models whose M-step iterates (VEI, VEE, EVE, VVE, VEV). */
export function isIterativeModel(m: MclustModel): boolean {
  return m === 'VEI' || m === 'VEE' || m === 'EVE' || m === 'VVE' || m === 'VEV';
}

/**
 * Warm-start state of the iterative models, read and written by `constrainedCovariances` when passed
 * as `opts.state`. Create one empty object per fit (`{}`) and pass the same object to every M-step of
 * that fit; arrays of the wrong length (another model, k or d) are ignored, i.e. a cold start.
 *
 * - EVE, VVE: `orientation` D (d*d row-major, column j = axis j) and `shape` A_k (k*d, det A_k = 1)
 *   are read; `scale` (EVE: lambda, 1 number; VVE: lambda_k, k) and `method` are written. D and A_k
 *   are what mclust::me (meEVE/meVVE) carries from one M-step to the next; the stateless call starts
 *   as mclust::mstep does, from D = I and A_k = I. `method` records whether the orientation was
 *   finished by mclust's MM ('mm') or by the descent over rotations ('rotations'); a warm start
 *   from 'rotations' goes straight to the descent, and `hessian` (written by the descent) spares it
 *   a factorisation.
 * - VEI, VEV: `shape` (d, the common A) and `scale` (k); VEE: `scale` (k).
 * After every call `iterations` is the number of inner iterations (for EVE/VVE MM iterations plus
 * the descent's Newton steps and sweeps; 0 for closed-form models) and `converged` whether the inner
 * tolerance was met before `maxIter`.
 */
export interface CovarianceModelState {
  orientation?: Float64Array;
  shape?: Float64Array;
  scale?: Float64Array;
  iterations?: number;
  converged?: boolean;
  /** EVE/VVE: the orientation update the last call ended with (see the notes at the model). */
  method?: 'mm' | 'rotations';
  /**
   * EVE/VVE after 'rotations' (d <= 32): the Cholesky factor of the descent's last Newton matrix
   * (P x P for the P = d(d-1)/2 planes of rotation), the first matrix of the next call's descent.
   */
  hessian?: Float64Array;
}

export interface CovarianceModelOptions {
  /** Inner tolerance of the iterative models (default 1e-13, as the reference fixtures were made). */
  tol?: number;
  /** Inner iteration limit (default 10000). */
  maxIter?: number;
  /** Warm start in / final inner state out (see CovarianceModelState). */
  state?: CovarianceModelState;
  /**
   * VVE only. 'exact' (default) minimises the VVE objective sum_k n_k log det(B_k), B_k =
   * diag(D^T W_k D) (a local optimum reached by monotone descent from D = I, i.e. from the VVI
   * solution), so EM never decreases the log-likelihood. 'mclust' reproduces mclust 6.0.0's msvve,
   * which runs EVE's orientation iteration (its MM steps weight every component alike, as is right
   * for a common volume) and then gives each component its own volume: that orientation minimises
   * sum_k det(B_k)^(1/d) instead, which is not the maximiser when the volumes differ (on iris' first
   * M-step it is 0.3 log-likelihood units short, and EM with it can decrease the log-likelihood).
   * 'mclust' exists to show that the difference from mclust's VVE trajectories is this and only this.
   */
  vve?: 'mclust' | 'exact';
}

const EPS = 2.220446049250313e-16;
const DEFAULT_TOL = 1e-13;
const DEFAULT_MAX_ITER = 10000;

/** Eigenvalues (or diagonal entries) below rankTol(d) * the largest count as zero. */
function rankTol(d: number): number {
  return 16 * d * EPS;
}

/**
 * The covariances maximising the expected complete-data log-likelihood under model m, from
 *   nk: Float64Array(k)  sum of responsibilities of each component (> 0),
 *   W:  scatter about the component means, W_k = sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T (NOT divided by nk):
 *       diagonal models: k*d numbers (the diagonals; a full k*d*d array is also accepted and its
 *       diagonals are read), other models: k*d*d (full symmetric, row-major).
 * Returns Sigma: diagonal models k*d (the diagonal of each Sigma_k), other models k*d*d (full symmetric).
 * Returns null when the model is undefined for this scatter: an n_k or W entry that is not finite, an
 * n_k <= 0, or a normalisation by a (numerically) zero determinant, trace or variance (EVI: a zero
 * variance in some component; VEI: a coordinate with zero variance in every component, or a component
 * with zero scatter; VEV: a direction of zero variance in every component; VEE: a singular sum of the
 * W_k; EVV, EVE, VVE: a singular W_k). Numerically zero means below 16 d eps times the largest
 * eigenvalue (or diagonal entry) of the matrix concerned. The other models (EII, VII, EEI, VVI, EEE,
 * VVV, EEV) never divide by the scatter and return their (possibly singular) closed form.
 * Never returns NaN/Infinity. d = 1: every model is mclust's E (sum W / n) or V (W_k / n_k);
 * k = 1: every model is its unconstrained spherical, diagonal or full counterpart (closed form).
 * Iterative models run their inner loop until the relative change is below opts.tol (default 1e-13)
 * or opts.maxIter (default 10000) iterations.
 */
export function constrainedCovariances(
  m: MclustModel,
  nk: Float64Array,
  W: Float64Array,
  k: number,
  d: number,
  opts?: CovarianceModelOptions,
): Float64Array | null {
  if (!MODEL_SET.has(m)) throw new RangeError(`constrainedCovariances: unknown model ${JSON.stringify(m)}; expected one of ${MCLUST_MODELS.join(', ')}`);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`constrainedCovariances: k must be a positive integer, got ${k}`);
  if (!Number.isInteger(d) || d < 1) throw new RangeError(`constrainedCovariances: d must be a positive integer, got ${d}`);
  if (nk.length < k) throw new RangeError(`constrainedCovariances: nk has length ${nk.length}, expected ${k}`);
  const diagonal = DIAGONAL_MODELS.has(m);
  const full = k * d * d;
  if (diagonal ? W.length !== k * d && W.length !== full : W.length !== full) {
    throw new RangeError(
      `constrainedCovariances: W has length ${W.length}, expected ${diagonal ? `k*d = ${k * d} (or k*d*d = ${full})` : `k*d*d = ${full}`} for ${m}`,
    );
  }
  const tol = opts?.tol ?? DEFAULT_TOL;
  const maxIter = opts?.maxIter ?? DEFAULT_MAX_ITER;
  if (!(tol >= 0)) throw new RangeError(`constrainedCovariances: opts.tol must be >= 0, got ${tol}`);
  if (!(maxIter >= 1)) throw new RangeError(`constrainedCovariances: opts.maxIter must be >= 1, got ${maxIter}`);
  const state = opts?.state;
  if (state) {
    state.iterations = 0;
    state.converged = true;
  }

  let n = 0;
  for (let c = 0; c < k; c++) {
    const v = nk[c];
    if (!(v > 0) || !Number.isFinite(v)) return null;
    n += v;
  }
  for (let i = 0; i < W.length; i++) if (!Number.isFinite(W[i])) return null;

  // Diagonal models read only the diagonals; normalise the input to k*d.
  let Wd: Float64Array = W;
  if (diagonal && W.length !== k * d) {
    Wd = new Float64Array(k * d);
    for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) Wd[c * d + j] = W[c * d * d + j * d + j];
  }

  // d = 1: all models are mclust's E or V.
  if (d === 1) {
    const out = new Float64Array(k);
    if (m[0] === 'E') {
      let s = 0;
      for (let c = 0; c < k; c++) s += Wd[c];
      out.fill(s / n);
    } else {
      for (let c = 0; c < k; c++) out[c] = Wd[c] / nk[c];
    }
    return finiteOrNull(out);
  }
  // k = 1: equal = variable; the spherical, diagonal or full closed form.
  if (k === 1) {
    if (m === 'EII' || m === 'VII') return sphericalVolumes(Wd, nk, 1, d, false, n);
    if (diagonal) return diagonalClosed(Wd, nk, 1, d, true, n);
    const out = new Float64Array(d * d);
    for (let i = 0; i < d * d; i++) out[i] = W[i] / n;
    return finiteOrNull(symmetrise(out, 1, d));
  }

  let out: Float64Array | null;
  switch (m) {
    case 'EII':
      out = sphericalVolumes(Wd, nk, k, d, true, n);
      break;
    case 'VII':
      out = sphericalVolumes(Wd, nk, k, d, false, n);
      break;
    case 'EEI':
      out = diagonalClosed(Wd, nk, k, d, false, n);
      break;
    case 'VVI':
      out = diagonalClosed(Wd, nk, k, d, true, n);
      break;
    case 'EVI':
      out = mstepEVI(Wd, k, d, n);
      break;
    case 'VEI':
      out = mstepVEI(Wd, nk, k, d, tol, maxIter, state);
      break;
    case 'EEE':
      out = mstepEEE(W, k, d, n);
      break;
    case 'VVV':
      out = new Float64Array(full);
      for (let c = 0; c < k; c++) for (let i = 0; i < d * d; i++) out[c * d * d + i] = W[c * d * d + i] / nk[c];
      symmetrise(out, k, d);
      break;
    case 'EEV':
      out = mstepEEVorVEV(W, nk, k, d, n, false, tol, maxIter, state);
      break;
    case 'VEV':
      out = mstepEEVorVEV(W, nk, k, d, n, true, tol, maxIter, state);
      break;
    case 'EVV':
      out = mstepEVV(W, k, d, n);
      break;
    case 'VEE':
      out = mstepVEE(W, nk, k, d, tol, maxIter, state);
      break;
    case 'EVE':
      out = mstepCommonOrientation(W, nk, k, d, n, 'EVE', tol, maxIter, state);
      break;
    case 'VVE':
      out = mstepCommonOrientation(W, nk, k, d, n, opts?.vve === 'mclust' ? 'VVE' : 'VVE-exact', tol, maxIter, state);
      break;
    default:
      throw new RangeError(`constrainedCovariances: unknown model ${String(m)}`);
  }
  return out && finiteOrNull(out);
}

/** mclust's nMclustParams(m, d, G): free parameters including the k*d means and k-1 mixing weights. */
export function mclustParameterCount(m: MclustModel, k: number, d: number): number {
  const G = k;
  let v: number;
  switch (m) {
    case 'EII':
      v = 1;
      break;
    case 'VII':
      v = G;
      break;
    case 'EEI':
      v = d;
      break;
    case 'VEI':
      v = G + (d - 1);
      break;
    case 'EVI':
      v = 1 + G * (d - 1);
      break;
    case 'VVI':
      v = G * d;
      break;
    case 'EEE':
      v = (d * (d + 1)) / 2;
      break;
    case 'VEE':
      v = G + (d - 1) + (d * (d - 1)) / 2;
      break;
    case 'EVE':
      v = 1 + G * (d - 1) + (d * (d - 1)) / 2;
      break;
    case 'VVE':
      v = G + G * (d - 1) + (d * (d - 1)) / 2;
      break;
    case 'EEV':
      v = 1 + (d - 1) + (G * d * (d - 1)) / 2;
      break;
    case 'VEV':
      v = G + (d - 1) + (G * d * (d - 1)) / 2;
      break;
    case 'EVV':
      v = 1 - G + (G * d * (d + 1)) / 2;
      break;
    case 'VVV':
      v = (G * d * (d + 1)) / 2;
      break;
    default:
      throw new RangeError(`mclustParameterCount: unknown model ${JSON.stringify(m)}`);
  }
  return v + G * d + (G - 1);
}

/* ------------------------------------------------------------------------------------------------ */
/* helpers */

function finiteOrNull(a: Float64Array): Float64Array | null {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return null;
  return a;
}

/** Make every d x d block exactly symmetric (average of the two triangles). */
function symmetrise(S: Float64Array, k: number, d: number): Float64Array {
  for (let c = 0; c < k; c++) {
    const o = c * d * d;
    for (let i = 0; i < d; i++) {
      for (let j = i + 1; j < d; j++) {
        const v = 0.5 * (S[o + i * d + j] + S[o + j * d + i]);
        S[o + i * d + j] = v;
        S[o + j * d + i] = v;
      }
    }
  }
  return S;
}

/** log of the geometric mean of v[o .. o+d). */
function logGeoMean(v: ArrayLike<number>, o: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) s += Math.log(v[o + j]);
  return s / d;
}

/** Relative change |a - b| / |a| (0 when equal; Infinity from a NaN start). */
function relChange(now: number, before: number): number {
  if (now === before) return 0;
  const r = Math.abs(now - before) / Math.abs(now);
  return Number.isNaN(r) ? Infinity : r;
}

function validArray(a: Float64Array | undefined, len: number): a is Float64Array {
  if (!a || a.length !== len) return false;
  for (let i = 0; i < len; i++) if (!(a[i] > 0) || !Number.isFinite(a[i])) return false;
  return true;
}

function finishState(state: CovarianceModelState | undefined, iterations: number, converged: boolean): void {
  if (!state) return;
  state.iterations = iterations;
  state.converged = converged;
}

/* ------------------------------------------------------------------------------------------------ */
/* diagonal models (Wd: k*d diagonals) */

/** EII (equal = true): lambda = sum_k tr W_k / (n d); VII: lambda_k = tr W_k / (d n_k). */
function sphericalVolumes(Wd: Float64Array, nk: Float64Array, k: number, d: number, equal: boolean, n: number): Float64Array {
  const out = new Float64Array(k * d);
  let total = 0;
  for (let c = 0; c < k; c++) {
    let t = 0;
    for (let j = 0; j < d; j++) t += Wd[c * d + j];
    total += t;
    if (!equal) out.fill(t / (d * nk[c]), c * d, (c + 1) * d);
  }
  if (equal) out.fill(total / (n * d));
  return out;
}

/** EEI (variable = false): diag(sum_k W_k) / n; VVI: diag(W_k) / n_k. */
function diagonalClosed(Wd: Float64Array, nk: Float64Array, k: number, d: number, variable: boolean, n: number): Float64Array {
  const out = new Float64Array(k * d);
  if (variable) {
    for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) out[c * d + j] = Wd[c * d + j] / nk[c];
  } else {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += Wd[c * d + j];
      const v = s / n;
      for (let c = 0; c < k; c++) out[c * d + j] = v;
    }
  }
  return out;
}

/**
 * EVI: Sigma_k = lambda A_k, A_k = diag(W_k) / g_k with g_k = det(diag W_k)^(1/d), lambda = sum_k g_k / n
 * (mclust msevi). Undefined when some diag(W_k) has a (numerically) zero entry.
 */
function mstepEVI(Wd: Float64Array, k: number, d: number, n: number): Float64Array | null {
  const out = new Float64Array(k * d);
  const logg = new Float64Array(k);
  let lambda = 0;
  for (let c = 0; c < k; c++) {
    let mx = 0;
    let mn = Infinity;
    for (let j = 0; j < d; j++) {
      const v = Wd[c * d + j];
      if (v > mx) mx = v;
      if (v < mn) mn = v;
    }
    if (!(mx > 0) || !(mn > rankTol(d) * mx)) return null;
    logg[c] = logGeoMean(Wd, c * d, d);
    lambda += Math.exp(logg[c]);
  }
  lambda /= n;
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < d; j++) out[c * d + j] = lambda * Math.exp(Math.log(Wd[c * d + j]) - logg[c]);
  }
  return out;
}

/**
 * The alternation VEI and VEV share (mclust msvei / msvev), on k x d values w_kj (VEI: the diagonals
 * of W_k; VEV: their eigenvalues, decreasing): lambda_k = sum_j w_kj / a_j / (d n_k), then
 * a_j = sum_k w_kj / lambda_k normalised to det A = 1, until the largest relative change of the
 * lambda_k and a_j is at most tol. `shape` (a) and `scale` (lambda) are the start and are updated in
 * place; a NaN scale marks a cold start, whose first iteration is never taken as converged. Null when
 * a volume or the shape is not positive and finite.
 */
function alternateVolumesAndShape(
  values: Float64Array, nk: Float64Array, k: number, d: number, shape: Float64Array, scale: Float64Array, tol: number, maxIter: number,
): { it: number; converged: boolean } | null {
  const next = new Float64Array(d);
  let it = 0;
  while (it < maxIter) {
    it++;
    let err = 0;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += values[c * d + j] / shape[j];
      const v = s / (d * nk[c]);
      if (!(v > 0) || !Number.isFinite(v)) return null;
      err = Math.max(err, relChange(v, scale[c]));
      scale[c] = v;
    }
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += values[c * d + j] / scale[c];
      next[j] = s;
    }
    const lg = logGeoMean(next, 0, d);
    if (!Number.isFinite(lg)) return null;
    for (let j = 0; j < d; j++) {
      const v = Math.exp(Math.log(next[j]) - lg);
      err = Math.max(err, relChange(v, shape[j]));
      shape[j] = v;
    }
    if (err <= tol) return { it, converged: true };
  }
  return { it, converged: false };
}

/**
 * VEI: Sigma_k = lambda_k A (A diagonal, det A = 1). mclust msvei: start from A = I and lambda_k = 1
 * (or the warm state), then repeat: lambda_k = sum_j w_kj / a_j / (d n_k); a_j = sum_k w_kj / lambda_k;
 * A /= det(A)^(1/d); until the largest relative change of the lambda_k and a_j is below tol. (mclust
 * divides the changes by 1 + value rather than by the value; the relative form here does not depend
 * on the units of the data.)
 */
function mstepVEI(
  Wd: Float64Array,
  nk: Float64Array,
  k: number,
  d: number,
  tol: number,
  maxIter: number,
  state: CovarianceModelState | undefined,
): Float64Array | null {
  // Defined iff every component has some scatter and every coordinate has scatter in some component.
  const col = new Float64Array(d);
  for (let c = 0; c < k; c++) {
    let t = 0;
    for (let j = 0; j < d; j++) t += Wd[c * d + j];
    if (!(t > 0)) return null;
    for (let j = 0; j < d; j++) col[j] += Wd[c * d + j] / t;
  }
  let cmax = 0;
  let cmin = Infinity;
  for (let j = 0; j < d; j++) {
    cmax = Math.max(cmax, col[j]);
    cmin = Math.min(cmin, col[j]);
  }
  if (!(cmin > rankTol(d) * cmax)) return null;

  const warm = validArray(state?.shape, d) && validArray(state?.scale, k);
  const shape = warm ? Float64Array.from(state!.shape!) : new Float64Array(d).fill(1);
  const scale = warm ? Float64Array.from(state!.scale!) : new Float64Array(k).fill(NaN);
  const run = alternateVolumesAndShape(Wd, nk, k, d, shape, scale, tol, maxIter);
  if (run === null) return null;
  const { it, converged } = run;
  if (state) {
    state.shape = shape;
    state.scale = scale;
  }
  finishState(state, it, converged);
  const out = new Float64Array(k * d);
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) out[c * d + j] = scale[c] * shape[j];
  return out;
}

/* ------------------------------------------------------------------------------------------------ */
/* full models (W: k*d*d) */

function mstepEEE(W: Float64Array, k: number, d: number, n: number): Float64Array {
  const S = new Float64Array(d * d);
  for (let c = 0; c < k; c++) for (let i = 0; i < d * d; i++) S[i] += W[c * d * d + i];
  const out = new Float64Array(k * d * d);
  for (let i = 0; i < d * d; i++) S[i] /= n;
  symmetrise(S, 1, d);
  for (let c = 0; c < k; c++) out.set(S, c * d * d);
  return out;
}

/** Eigen-decompose every W_k: values k*d (decreasing, clamped at 0), vectors k*d*d (columns). */
function eigenAll(W: Float64Array, k: number, d: number): { values: Float64Array; vectors: Float64Array } {
  const values = new Float64Array(k * d);
  const vectors = new Float64Array(k * d * d);
  const work = new Float64Array(d * d + 3 * d);
  const vals = new Float64Array(d);
  for (let c = 0; c < k; c++) {
    symmetricEigen(W, c * d * d, d, vals, vectors.subarray(c * d * d, (c + 1) * d * d), work);
    for (let j = 0; j < d; j++) values[c * d + j] = Math.max(vals[j], 0);
  }
  return { values, vectors };
}

/** out_k = D_k diag(e) D_k^T for e = the d numbers at e[eo ..). */
function reconstruct(D: Float64Array, d0: number, e: ArrayLike<number>, eo: number, d: number, out: Float64Array, o0: number): void {
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      let t = 0;
      for (let c = 0; c < d; c++) t += D[d0 + i * d + c] * e[eo + c] * D[d0 + j * d + c];
      out[o0 + i * d + j] = t;
      out[o0 + j * d + i] = t;
    }
  }
}

/**
 * EEV (volumeVaries = false): W_k = D_k Omega_k D_k^T with decreasing eigenvalues (mclust mseev takes
 * them from the SVD of the Cholesky-like factor, also decreasing); Sigma_k = lambda D_k A D_k^T with
 * lambda A = sum_k Omega_k / n, i.e. Sigma_k = D_k diag(sum_k Omega_k / n) D_k^T.
 *
 * VEV: Sigma_k = lambda_k D_k A D_k^T (mclust msvev): start A = sum_k Omega_k normalised to det 1 (or
 * the warm state); repeat lambda_k = sum_j omega_kj / a_j / (d n_k); a_j = sum_k omega_kj / lambda_k;
 * A /= det(A)^(1/d); until the largest relative change of lambda and A is below tol. Undefined when
 * sum_k Omega_k has a (numerically) zero entry, i.e. all W_k share a null direction in the ordering.
 */
function mstepEEVorVEV(
  W: Float64Array,
  nk: Float64Array,
  k: number,
  d: number,
  n: number,
  volumeVaries: boolean,
  tol: number,
  maxIter: number,
  state: CovarianceModelState | undefined,
): Float64Array | null {
  const { values, vectors } = eigenAll(W, k, d);
  const sum = new Float64Array(d);
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) sum[j] += values[c * d + j];
  const out = new Float64Array(k * d * d);
  if (!volumeVaries) {
    for (let j = 0; j < d; j++) sum[j] /= n;
    for (let c = 0; c < k; c++) reconstruct(vectors, c * d * d, sum, 0, d, out, c * d * d);
    return out;
  }
  for (let c = 0; c < k; c++) if (!(values[c * d] > 0)) return null; // W_k = 0: lambda_k = 0
  if (!(sum[d - 1] > rankTol(d) * sum[0])) return null;
  let shape: Float64Array;
  if (validArray(state?.shape, d)) {
    shape = Float64Array.from(state!.shape!);
  } else {
    shape = new Float64Array(d);
    const lg = logGeoMean(sum, 0, d);
    for (let j = 0; j < d; j++) shape[j] = Math.exp(Math.log(sum[j]) - lg);
  }
  const scale = validArray(state?.scale, k) ? Float64Array.from(state!.scale!) : new Float64Array(k).fill(NaN);
  const run = alternateVolumesAndShape(values, nk, k, d, shape, scale, tol, maxIter);
  if (run === null) return null;
  const { it, converged } = run;
  if (state) {
    state.shape = shape;
    state.scale = scale;
  }
  finishState(state, it, converged);
  const e = new Float64Array(d);
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < d; j++) e[j] = scale[c] * shape[j];
    reconstruct(vectors, c * d * d, e, 0, d, out, c * d * d);
  }
  return out;
}

/**
 * EVV: Sigma_k = lambda C_k with C_k = W_k / det(W_k)^(1/d) and lambda = sum_k det(W_k)^(1/d) / n
 * (mclust msevv). Undefined when some W_k is (numerically) singular.
 */
function mstepEVV(W: Float64Array, k: number, d: number, n: number): Float64Array | null {
  const vals = new Float64Array(d);
  const work = new Float64Array(d * d + 3 * d);
  const logg = new Float64Array(k);
  let lambda = 0;
  for (let c = 0; c < k; c++) {
    symmetricEigen(W, c * d * d, d, vals, null, work);
    if (!(vals[0] > 0) || !(vals[d - 1] > rankTol(d) * vals[0])) return null;
    logg[c] = logGeoMean(vals, 0, d);
    lambda += Math.exp(logg[c]);
  }
  lambda /= n;
  const out = new Float64Array(k * d * d);
  for (let c = 0; c < k; c++) {
    const f = lambda * Math.exp(-logg[c]);
    for (let i = 0; i < d * d; i++) out[c * d * d + i] = f * W[c * d * d + i];
  }
  return symmetrise(out, k, d);
}

/** In-place lower Cholesky of the d x d block A (row-major, full); false if not positive definite. */
function cholesky(A: Float64Array, d: number, L: Float64Array): boolean {
  for (let j = 0; j < d; j++) {
    let s = A[j * d + j];
    for (let m = 0; m < j; m++) s -= L[j * d + m] * L[j * d + m];
    if (!(s > 0)) return false;
    const ljj = Math.sqrt(s);
    L[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = A[i * d + j];
      for (let m = 0; m < j; m++) t -= L[i * d + m] * L[j * d + m];
      L[i * d + j] = t / ljj;
    }
    for (let i = 0; i < j; i++) L[i * d + j] = 0;
  }
  return true;
}

/** A^-1 (full symmetric) from its lower Cholesky factor L; tmp: d*d scratch. */
function inverseFromCholesky(L: Float64Array, d: number, inv: Float64Array, tmp: Float64Array): void {
  // tmp = L^-1 (lower), then inv = L^-T L^-1.
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < d; i++) tmp[i * d + j] = 0;
    tmp[j * d + j] = 1 / L[j * d + j];
    for (let i = j + 1; i < d; i++) {
      let t = 0;
      for (let m = j; m < i; m++) t -= L[i * d + m] * tmp[m * d + j];
      tmp[i * d + j] = t / L[i * d + i];
    }
  }
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      let t = 0;
      for (let m = j; m < d; m++) t += tmp[m * d + i] * tmp[m * d + j];
      inv[i * d + j] = t;
      inv[j * d + i] = t;
    }
  }
}

/**
 * VEE: Sigma_k = lambda_k C with det C = 1 (mclust msvee, Celeux and Govaert p. 785): start lambda_k = 1
 * (mclust's mstepVEE; or the warm state); an alternation is C = sum_k W_k / lambda_k normalised to
 * det 1, then lambda_k = tr(C^-1 W_k) / (d n_k); until the largest relative change of the lambda_k in
 * an alternation is below tol. (mclust monitors d sum n_k + d sum_k n_k log lambda_k instead, and
 * requires every W_k to be positive definite; only the sum has to be for this model to be defined.)
 *
 * The alternation converges linearly (about 40 alternations per warm M-step at tol 1e-13 on boston,
 * d = 13), so pairs of alternations are extrapolated (SQUAREM, Varadhan and Roland 2008, scheme S3,
 * on log lambda): an extrapolated point is kept only when the profile objective
 * f(lambda) = d sum_k n_k log lambda_k + d det(sum_k W_k / lambda_k)^(1/d) there is no higher than at
 * the last alternation's start, so f never increases and the answer is the alternation's fixed point.
 */
function mstepVEE(
  W: Float64Array,
  nk: Float64Array,
  k: number,
  d: number,
  tol: number,
  maxIter: number,
  state: CovarianceModelState | undefined,
): Float64Array | null {
  const dd = d * d;
  const C = new Float64Array(dd);
  const L = new Float64Array(dd);
  const inv = new Float64Array(dd);
  const tmp = new Float64Array(dd);
  // Defined iff every W_k != 0 and sum_k W_k (any positive weights) is nonsingular.
  for (let c = 0; c < k; c++) {
    let t = 0;
    for (let j = 0; j < d; j++) t += W[c * dd + j * d + j];
    if (!(t > 0)) return null;
    for (let i = 0; i < dd; i++) C[i] += W[c * dd + i] / t;
  }
  const vals = new Float64Array(d);
  if (!symmetricEigenvalues(C, 0, d, vals, new Float64Array(dd + d))) return null;
  if (!(vals[d - 1] > rankTol(d) * vals[0])) return null;

  const warm = validArray(state?.scale, k);
  // lam: the start of the next alternation; a1, a2: the results of the last two; x: the extrapolation.
  let lam = warm ? Float64Array.from(state!.scale!) : new Float64Array(k).fill(1);
  const a1 = new Float64Array(k);
  const a2 = new Float64Array(k);
  const back = new Float64Array(k); // where to resume when an extrapolation is rejected
  let g = 1;
  /** One alternation from `from` into `to` (C and g then belong to `from`); returns f(from), NaN when undefined. */
  const alternate = (from: Float64Array, to: Float64Array): number => {
    C.fill(0);
    let f = 0;
    for (let c = 0; c < k; c++) {
      const w = 1 / from[c];
      for (let i = 0; i < dd; i++) C[i] += w * W[c * dd + i];
      f += d * nk[c] * Math.log(from[c]);
    }
    if (!cholesky(C, d, L)) return NaN;
    let logdet = 0;
    for (let j = 0; j < d; j++) logdet += Math.log(L[j * d + j]);
    g = Math.exp((2 * logdet) / d);
    if (!(g > 0) || !Number.isFinite(g)) return NaN;
    inverseFromCholesky(L, d, inv, tmp);
    for (let c = 0; c < k; c++) {
      let t = 0;
      for (let i = 0; i < dd; i++) t += inv[i] * W[c * dd + i];
      const v = (g * t) / (d * nk[c]);
      if (!(v > 0) || !Number.isFinite(v)) return NaN;
      to[c] = v;
    }
    return f + d * g;
  };
  const change = (now: Float64Array, before: Float64Array): number => {
    let err = 0;
    for (let c = 0; c < k; c++) err = Math.max(err, relChange(now[c], before[c]));
    return err;
  };

  let it = 0;
  let converged = false;
  let bound = Infinity; // f at the start of the last alternation of an accepted pair
  let extrapolated = false;
  for (;;) {
    const f0 = alternate(lam, a1);
    it++;
    if (Number.isNaN(f0)) return null;
    if (extrapolated && !(f0 <= bound)) {
      // The extrapolation went uphill: resume from the last alternation instead.
      extrapolated = false;
      lam.set(back);
      continue;
    }
    extrapolated = false;
    if (!(it === 1 && !warm) && change(a1, lam) <= tol) {
      converged = true;
      lam = a1;
      break;
    }
    if (it >= maxIter) {
      lam = a1;
      break;
    }
    const f1 = alternate(a1, a2);
    it++;
    if (Number.isNaN(f1)) return null;
    if (change(a2, a1) <= tol) {
      converged = true;
      lam = a2;
      break;
    }
    if (it >= maxIter) {
      lam = a2;
      break;
    }
    // S3 step on theta = log lambda: r = theta1 - theta0, v = theta2 - 2 theta1 + theta0,
    // alpha = -|r| / |v| (at most -1; -1 gives theta2), x = theta0 - 2 alpha r + alpha^2 v.
    let rr = 0;
    let vv = 0;
    for (let c = 0; c < k; c++) {
      const t0 = Math.log(lam[c]);
      const t1 = Math.log(a1[c]);
      const r = t1 - t0;
      const v = Math.log(a2[c]) - 2 * t1 + t0;
      rr += r * r;
      vv += v * v;
    }
    const alpha = vv > 0 ? Math.min(-Math.sqrt(rr / vv), -1) : -1;
    back.set(a2);
    for (let c = 0; c < k; c++) {
      const t0 = Math.log(lam[c]);
      const t1 = Math.log(a1[c]);
      const x = t0 - 2 * alpha * (t1 - t0) + alpha * alpha * (Math.log(a2[c]) - 2 * t1 + t0);
      lam[c] = Math.exp(x);
    }
    // Room is left for the alternation that tests the extrapolation and the one that may replace it.
    extrapolated = alpha < -1 && it + 2 <= maxIter && lam.every((v) => v > 0 && Number.isFinite(v));
    if (!extrapolated) lam.set(back);
    bound = f1;
  }
  // The last alternation started at the lambda before `lam`: C and g are its, `lam` its result.
  if (state) state.scale = Float64Array.from(lam);
  finishState(state, it, converged);
  const out = new Float64Array(k * dd);
  for (let c = 0; c < k; c++) {
    const f = lam[c] / g;
    for (let i = 0; i < dd; i++) out[c * dd + i] = f * C[i];
  }
  return symmetrise(out, k, d);
}

/** MM iterations of EVE / VVE (mclust's algorithm) before the orientation descent takes over. */
const MM_BUDGET = 300;
/**
 * A warm start continues mclust's MM (as mclust::me does) only up to this d, where it reproduces
 * mclust::me (its MM stops ~1e-6 short of the optimum, so the exact one would differ from mclust's
 * fixtures by about that). Beyond, the descent from the previous answer reaches the same optimum in a
 * few Newton steps where the MM needs ~200 iterations (crabs, d = 5: 7x faster M-steps).
 */
const MM_MAX_D = 4;
/** Largest d for which the descent takes Newton steps: beyond, the (d(d-1)/2)^3 / 6 solve costs more sweeps than it saves. */
const NEWTON_MAX_D = 32;
/** Largest rotation (in each plane, radians) a Newton step may make. */
const MAX_NEWTON_ANGLE = Math.PI / 8;
/** Newton steps are tried only once a sweep rotates no plane by more than this (radians). */
const NEWTON_REGION = 0.05;
/** Sweeps in a row over an indefinite Hessian before a shifted (Levenberg-Marquardt) step is tried. */
const SWEEPS_BEFORE_SHIFT = 4;
/** Levenberg-Marquardt shift: first mu (times the largest |H_ii|); below MU_STOP it is dropped; divided by MU_DOWN after a good step. */
const MU_START = 1e-3;
const MU_STOP = 1e-6;
const MU_DOWN = 8;
/** Chord steps (an earlier factor) go on while each gains at most this fraction of the one before. */
const CHORD_RATIO = 0.1;
/** A damped step that went well is repeated up to this many times while the objective keeps falling. */
const MAX_EXTEND = 8;
/** Over-relaxation factor of the pairwise rotations (about 4x fewer sweeps than 1 on hard problems). */
const OVER_RELAX = 1.6;

/**
 * EVE: Sigma_k = lambda D A_k D^T; VVE: Sigma_k = lambda_k D A_k D^T (common orientation D).
 *
 * Given D, the optimal shapes and volumes are closed form from B_k = diag(D^T W_k D): EVE
 * A_k = B_k / det(B_k)^(1/d), lambda = T / (n d) with T = sum_k d det(B_k)^(1/d); VVE
 * lambda_k A_k = B_k / n_k. What remains is the orientation: EVE minimises T(D), VVE minimises
 * sum_k n_k log det(B_k).
 *
 * MM, mclust mseve (Browne and McNicholas 2014, algorithms MM1 and MM2), from D = I and A_k = I
 * (mstepEVE; or the warm state). Each iteration:
 *   MM1: F = sum_k (W_k - omega_k I) D A_k^-1, omega_k = the largest eigenvalue of W_k; D = polar(F);
 *   MM2: F = sum_k W_k D (A_k^-1 - alpha_k I), alpha_k = max_j 1 / a_kj;             D = polar(F);
 *   A_k from B_k as above; stop when |T - T_prev| / (|T| + min(1, |T|)) <= tol.
 * (mclust divides by 1 + |T|; for T >= 1 the tests agree, below 1 this one stays relative so that
 * tiny-scale data still converge.) polar(F) = U V^T for F = U S V^T, the orthogonal maximiser of
 * tr(D^T F); MM1 and MM2 minimise a majoriser whose minimiser is -polar(F), and D and -D give the
 * same Sigma_k. A zero F (MM2 while every A_k = I) leaves D unchanged.
 * mclust's msvve runs exactly these steps for VVE too -- its shapes B_k / det(B_k)^(1/d) and its
 * target sum_k d n_k lambda_k = T are EVE's -- so mclust's VVE is EVE's orientation and shapes with
 * the volumes lambda_k = det(B_k)^(1/d) / n_k, which is what variant 'VVE' returns.
 *
 * The MM converges linearly and often slowly (hundreds of iterations at d = 5, thousands at d = 13,
 * and from a warm start still ~200 at d = 5). It makes every cold start, as mclust: besides
 * reproducing mclust::mstep, its path from D = I picks the local optimum mclust's does (at larger d
 * the descent from D = I often ends in another one, which changes which EM start wins: boston, K =
 * 9, EVE ended 114 log-likelihood units lower). It hands over to rotationDescent when it has not met
 * its test after MM_BUDGET = 300 iterations, or from iteration 50 on its observed linear rate
 * predicts more than 600. A warm start continues the MM when the last call ended in it and
 * d <= MM_MAX_D; every other warm start, and 'VVE-exact' always (from D = I, i.e. from the VVI
 * solution, which it only improves), is rotationDescent on the exact objective.
 * Undefined when some W_k is (numerically) singular (mclust: an eigenvalue below sqrt(eps)).
 */
function mstepCommonOrientation(
  W: Float64Array,
  nk: Float64Array,
  k: number,
  d: number,
  n: number,
  variant: 'EVE' | 'VVE' | 'VVE-exact',
  tol: number,
  maxIter: number,
  state: CovarianceModelState | undefined,
): Float64Array | null {
  const dd = d * d;
  const omega = new Float64Array(k);
  const vals = new Float64Array(d);
  const ework = new Float64Array(dd + d);
  for (let c = 0; c < k; c++) {
    if (!symmetricEigenvalues(W, c * dd, d, vals, ework)) return null;
    if (!(vals[0] > 0) || !(vals[d - 1] > rankTol(d) * vals[0])) return null;
    omega[c] = vals[0];
  }
  const exact = variant === 'VVE-exact';
  const D = new Float64Array(dd);
  const shape = new Float64Array(k * d);
  const warm = validArray(state?.shape, k * d) && state!.orientation?.length === dd && state!.orientation.every(Number.isFinite);
  if (warm) {
    D.set(state!.orientation!);
    shape.set(state!.shape!);
  } else {
    for (let i = 0; i < d; i++) D[i * d + i] = 1;
    shape.fill(1);
  }
  const WD = new Float64Array(k * dd); // W_k D for the current D
  const B = new Float64Array(k * d); // diag(D^T W_k D)
  const updateWD = () => {
    for (let c = 0; c < k; c++) mulSquare(W, c * dd, D, d, WD, c * dd);
  };
  const updateB = (): boolean => {
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < d; j++) {
        let t = 0;
        for (let i = 0; i < d; i++) t += D[i * d + j] * WD[c * dd + i * d + j];
        if (!(t > 0) || !Number.isFinite(t)) return false;
        B[c * d + j] = t;
      }
    }
    return true;
  };
  /** EVE shapes from B; returns T = sum_k d det(B_k)^(1/d). */
  const shapesFromB = (): number => {
    let T = 0;
    for (let c = 0; c < k; c++) {
      const lg = logGeoMean(B, c * d, d);
      for (let j = 0; j < d; j++) shape[c * d + j] = Math.exp(Math.log(B[c * d + j]) - lg);
      T += d * Math.exp(lg);
    }
    return T;
  };

  let it = 0;
  let converged = false;
  const mm = !exact && (!warm || (state!.method === 'mm' && d <= MM_MAX_D));
  let usedRotations = !mm;
  if (mm) {
    updateWD();
    const F = new Float64Array(dd);
    const pwork = new Float64Array(4 * dd + d);
    const V1 = new Float64Array(dd);
    const V2 = new Float64Array(dd);
    const coef = new Float64Array(d); // MM2: 1 / a_kj - alpha_k of one component
    for (let i = 0; i < d; i++) V1[i * d + i] = V2[i * d + i] = 1;
    const budget = Math.min(maxIter, MM_BUDGET);
    const errs = new Float64Array(budget + 1);
    let prev = NaN;
    while (it < budget) {
      it++;
      // MM1 (WD holds W_k D for the current D)
      F.fill(0);
      for (let c = 0; c < k; c++) {
        const om = omega[c];
        for (let i = 0; i < d; i++) {
          for (let j = 0; j < d; j++) F[i * d + j] += (WD[c * dd + i * d + j] - om * D[i * d + j]) / shape[c * d + j];
        }
      }
      if (polarFactor(F, 0, d, D, 0, pwork, V1)) updateWD();
      // MM2
      F.fill(0);
      for (let c = 0; c < k; c++) {
        let amax = 0;
        for (let j = 0; j < d; j++) amax = Math.max(amax, 1 / shape[c * d + j]);
        for (let j = 0; j < d; j++) coef[j] = 1 / shape[c * d + j] - amax;
        for (let i = 0; i < d; i++) {
          for (let j = 0; j < d; j++) F[i * d + j] += WD[c * dd + i * d + j] * coef[j];
        }
      }
      if (polarFactor(F, 0, d, D, 0, pwork, V2)) updateWD();
      if (!updateB()) return null;
      const T = shapesFromB();
      let err = Math.abs(T - prev) / (Math.abs(T) + Math.min(1, Math.abs(T)));
      if (Number.isNaN(err)) err = Infinity;
      prev = T;
      errs[it] = err;
      if (err <= tol) {
        converged = true;
        break;
      }
      // A stalled MM (rate near 1) would not meet its test within the budget: hand over early.
      if (it >= 50 && it % 10 === 0 && maxIter > budget) {
        const rate = Math.pow(err / errs[it - 10], 0.1);
        const more = rate < 1 ? Math.log(tol / err) / Math.log(rate) : Infinity;
        if (!(it + more <= 2 * MM_BUDGET)) break;
      }
    }
    if (!converged && it < maxIter) usedRotations = true;
  }
  if (usedRotations) {
    const r = rotationDescent(W, nk, k, d, D, B, exact, tol, maxIter - it, state, warm);
    if (r === -Infinity) return null;
    it += Math.abs(r);
    converged = r > 0;
  } else if (!updateB()) return null;
  const T = shapesFromB();

  const out = new Float64Array(k * dd);
  const e = new Float64Array(d);
  const lambdaE = T / (n * d);
  const scale = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    if (variant === 'EVE') {
      scale[c] = lambdaE;
      for (let j = 0; j < d; j++) e[j] = lambdaE * shape[c * d + j];
    } else {
      scale[c] = Math.exp(logGeoMean(B, c * d, d)) / nk[c];
      for (let j = 0; j < d; j++) e[j] = B[c * d + j] / nk[c];
    }
    reconstruct(D, 0, e, 0, d, out, c * dd);
  }
  if (state) {
    state.orientation = Float64Array.from(D);
    state.shape = Float64Array.from(shape);
    state.scale = variant === 'EVE' ? Float64Array.of(lambdaE) : scale;
    state.method = usedRotations ? 'rotations' : 'mm';
    if (!usedRotations) state.hessian = undefined;
  }
  finishState(state, it, converged);
  return out;
}

/** Scratch of rotationDescent, kept from call to call (grown when a call needs more). */
let descentScratch = new Float64Array(0);

/**
 * The orientation descent (D in place): EVE minimises T(D) = sum_k d det(B_k)^(1/d), exact VVE
 * minimises V(D) = sum_k n_k log det(B_k), B_k = diag(D^T W_k D). Every accepted step or sweep
 * lowers the objective, so any prefix of the descent is a generalised M-step.
 *
 * Newton steps over all P = d(d-1)/2 planes at once. With D' = D exp(X), X skew with X_pq = t_pq
 * (p < q), the full matrices B_k = D^T W_k D become exp(-X) B_k exp(X) = B_k + [B_k, X] +
 * [[B_k, X], X] / 2 + O(t^3), whose diagonals give the gradient and Hessian in t at t = 0 in closed
 * form. With phi_kj = gamma_k / b_kj the derivatives of the objective in b_kj = B_k,jj (VVE
 * gamma_k = n_k; EVE gamma_k = det(B_k)^(1/d), and then also the rank-one second derivative
 * gamma_k / d (1/b_k)(1/b_k)^T):
 *   g_pq = sum_k 2 B_k,pq (phi_kq - phi_kp),
 *   H[(j,x),(j,y)] += s_jx s_jy (B_k,xy (2 phi_kj - phi_kx - phi_ky) - 4 phi_kj / b_kj B_k,jx B_k,jy)
 * for every j and x, y != j (s_jx = +1 when j < x, else -1; planes sharing no index are coupled
 * only by EVE's rank-one terms), plus for EVE u_k u_k^T / (d gamma_k), u_k,pq = 2 B_k,pq
 * (phi_kq - phi_kp). A step solves (H + mu I) t = -g by Cholesky and moves to D cay(X),
 * cay(X) = (I - X/2)^-1 (I + X/2) (exp to second order, so the convergence stays quadratic), its
 * largest plane rotation capped at MAX_NEWTON_ANGLE. mu = 0 unless H is not positive definite or a
 * step did not lower the objective (Levenberg-Marquardt: mu grows 4x on a rejected or poorly
 * predicted step and shrinks after good ones; a damped step that went well is repeated while the
 * objective keeps falling, which crosses curved valleys faster). While each step gains at most
 * CHORD_RATIO of the one before, the next reuses the factor (a chord step: g and a P^2 solve
 * instead of the P^3/6 factorisation); the factor is kept in state.hessian as the first matrix of
 * the next call, whose problem differs from this one only by an EM iteration.
 *
 * Far from an optimum, where H is indefinite or the orientation still turns by more than
 * NEWTON_REGION per sweep, a cyclic sweep of pairwise (Givens) rotations is made instead: a rotation
 * by theta in the plane (p, q) changes only B_kp and B_kq, to m_k +- w_k(phi) with phi = 2 theta,
 * m = (P + Q) / 2 and w = (P - Q) / 2 cos phi + R sin phi (P, Q, R the entries of the 2 x 2 block
 * of D^T W_k D), so each plane is a one-dimensional problem, minimised by a safeguarded Newton
 * search (a coordinate descent on the orthogonal group in the manner of Flury and Gautschi's CPC
 * algorithm) and over-relaxed by OVER_RELAX when that still lowers the plane's objective. After
 * SWEEPS_BEFORE_SHIFT sweeps in a row the shifted Newton step is tried. For d > NEWTON_MAX_D the
 * descent is sweeps alone.
 *
 * Stops after a full Newton step (mu = 0) whose predicted decrease is at most sqrt(tol) times the
 * objective's scale (EVE: T, a relative change as in the MM; VVE: sum_k n_k d), since the next would
 * gain about the square of that; after a chord step when the geometric tail of the gains,
 * pred ratio / (1 - ratio), is at most tol times the scale; after a sweep whose largest rotation is
 * below sqrt(tol) / 32 radians; or when no step lowers the objective any more (rounding).
 * Returns the number of steps and sweeps when converged, minus that number when maxSteps ran out
 * first (0 when maxSteps <= 0), and -Infinity when some B_k,jj is not positive. Bdiag (k*d) receives
 * the diagonals B_k,jj at the final D (the same sums as updateB's from W_k D).
 */
function rotationDescent(
  W: Float64Array,
  nk: Float64Array,
  k: number,
  d: number,
  D: Float64Array,
  Bdiag: Float64Array,
  exact: boolean,
  tol: number,
  maxSteps: number,
  state: CovarianceModelState | undefined,
  warm: boolean,
): number {
  const dd = d * d;
  const P = (d * (d - 1)) / 2;
  const newton = d <= NEWTON_MAX_D;
  const np = newton ? P : 0;
  // The factor C of the Newton matrix lives in the state, so that the next call can reuse it.
  const reuse = newton && warm && state?.hessian?.length === np * np;
  const C = reuse ? state!.hessian! : state && newton ? new Float64Array(np * np) : null;
  const lenC = C ? 0 : np * np;
  const need = 2 * k * dd + 4 * dd + 8 * k + np * np + lenC + 3 * np + d + 4;
  if (descentScratch.length < need) descentScratch = new Float64Array(need);
  let off = 0;
  const take = (len: number): Float64Array => descentScratch.subarray(off, (off += len));
  let Bf = take(k * dd); // full D^T W_k D
  let Bt = take(k * dd); // the same at a trial orientation
  const WD = take(dd);
  let Lf = take(k); // sum_j log B_k,jj
  let Lt = take(k);
  const Dt = take(dd);
  const cayA = take(dd); // cayleyRotate's work
  const cayR = take(dd); // the rotation of the last step
  const H = take(np * np);
  const Cf = C ?? take(lenC);
  const g = take(np);
  const t = take(np);
  const u = take(np);
  const phi = take(d);
  const gam = take(k);
  const mm = take(k);
  const uu = take(k);
  const vv = take(k);
  const logP = take(k); // log B_k,pp and log B_k,qq of the plane a sweep is at
  const logQ = take(k);
  let factored = reuse; // Cf holds the factor of H + mu I at an earlier orientation
  // pair[p d + q] = pair[q d + p] = the index of the plane (p, q) among the P planes p < q.
  const pair = new Int32Array(dd);
  for (let p = 0, i = 0; p < d; p++) for (let q = p + 1; q < d; q++, i++) pair[p * d + q] = pair[q * d + p] = i;
  let ntot = 0;
  for (let c = 0; c < k; c++) ntot += nk[c];
  const a = 1 / d;
  const angleTol = Math.max(Math.sqrt(tol) / 32, 1e-15);
  const newtonTol = Math.sqrt(tol);

  /** Bo_k = Do^T W_k Do and Lo; returns the objective there (NaN when some B_k,jj is not positive). */
  const fullB = (Do: Float64Array, Bo: Float64Array, Lo: Float64Array): number => {
    let f = 0;
    for (let c = 0; c < k; c++) {
      mulSquare(W, c * dd, Do, d, WD, 0);
      const o = c * dd;
      mulTransposeSymmetric(Do, WD, d, Bo, o);
      let l = 0;
      for (let j = 0; j < d; j++) {
        const bjj = Bo[o + j * d + j];
        if (!(bjj > 0) || !Number.isFinite(bjj)) return NaN;
        l += Math.log(bjj);
      }
      Lo[c] = l;
      f += exact ? nk[c] * l : d * Math.exp(a * l);
    }
    return f;
  };

  /** g, and H when asked, at the current D (see above). */
  const derivatives = (hessian: boolean): void => {
    const Bc = Bf; // Bf and Lf are swapped by accept: read once per call
    const Lc = Lf;
    g.fill(0);
    if (hessian) H.fill(0);
    for (let c = 0; c < k; c++) {
      const o = c * dd;
      const G = exact ? 0 : Math.exp(a * Lc[c]);
      const gm = exact ? nk[c] : G;
      for (let j = 0; j < d; j++) phi[j] = gm / Bc[o + j * d + j];
      for (let p = 0, i = 0; p < d; p++) {
        for (let q = p + 1; q < d; q++, i++) {
          const gi = 2 * Bc[o + p * d + q] * (phi[q] - phi[p]);
          g[i] += gi;
          u[i] = gi;
        }
      }
      if (!hessian) continue;
      // Only the lower triangle of H is formed: the factorisation and t.H t read no more.
      if (!exact) {
        const cc = 1 / (d * G);
        for (let i = 0; i < P; i++) {
          const ui = cc * u[i];
          if (ui === 0) continue;
          const row = i * P;
          // Unrolled: the largest loop of H (each entry still gets one add), fewer loop tests.
          let j = 0;
          for (; j + 3 <= i; j += 4) {
            H[row + j] += ui * u[j];
            H[row + j + 1] += ui * u[j + 1];
            H[row + j + 2] += ui * u[j + 2];
            H[row + j + 3] += ui * u[j + 3];
          }
          for (; j <= i; j++) H[row + j] += ui * u[j];
        }
      }
      for (let j = 0; j < d; j++) {
        const pj = phi[j];
        const psi4 = (4 * pj) / Bc[o + j * d + j];
        const oj = o + j * d;
        for (let x = 0; x < d; x++) {
          if (x === j) continue;
          const ax = pair[j * d + x];
          const row = ax * P;
          const bjx = psi4 * Bc[oj + x];
          const ox = o + x * d;
          const px = 2 * pj - phi[x];
          const up = j < x; // s_jx = +1
          // The planes (j, y) are numbered in the order of y, so y <= x are those at or left of the diagonal.
          for (let y = 0; y <= x; y++) {
            if (y === j) continue;
            const h = Bc[ox + y] * (px - phi[y]) - bjx * Bc[oj + y];
            H[row + pair[j * d + y]] += up === j < y ? h : -h;
          }
        }
      }
    }
  };

  let f = fullB(D, Bf, Lf);
  if (Number.isNaN(f)) return -Infinity;
  const scaleOf = (): number => (exact ? ntot * d : f);

  /** Make the trial Dt (with Bt, Lt, objective fo) the current orientation. */
  const accept = (fo: number): void => {
    D.set(Dt);
    let sw = Bf;
    Bf = Bt;
    Bt = sw;
    sw = Lf;
    Lf = Lt;
    Lt = sw;
    f = fo;
  };
  /** D := D cay(s t) when that does not raise the objective. */
  const tryStep = (s: number): boolean => {
    cayleyRotate(D, t, s, d, Dt, cayA, cayR);
    const ft = fullB(Dt, Bt, Lt);
    if (!(ft <= f)) return false;
    accept(ft);
    return true;
  };
  /** Repeat the last step's rotation while it keeps lowering the objective. */
  const extend = (): void => {
    for (let m = 0; m < MAX_EXTEND; m++) {
      mulSquare(D, 0, cayR, d, Dt, 0);
      const ft = fullB(Dt, Bt, Lt);
      if (!(ft < f)) return;
      accept(ft);
    }
  };
  /** The scale that turns the step t into one of at most MAX_NEWTON_ANGLE in every plane. */
  const capOf = (): number => {
    let tmax = 0;
    for (let i = 0; i < P; i++) tmax = Math.max(tmax, Math.abs(t[i]));
    return tmax > MAX_NEWTON_ANGLE ? MAX_NEWTON_ANGLE / tmax : 1;
  };

  let prevPred = Infinity;
  /** A chord step t = -Cf^-1 g: 2 when taken and met the test, 1 when taken, 0 when it does not lower the objective. */
  const chordStep = (): number => {
    derivatives(false);
    for (let i = 0; i < P; i++) t[i] = -g[i];
    choleskySolve(Cf, P, t);
    let gt = 0;
    for (let i = 0; i < P; i++) gt += g[i] * t[i];
    const s = capOf();
    const pred = -gt * s * (1 - 0.5 * s); // the decrease the factored model predicts
    const ratio = pred / prevPred; // 0 at the first chord step of a call: unknown
    const sc = scaleOf();
    if (!(pred > 0)) return pred === 0 ? 2 : 0;
    if (!tryStep(s)) return 0;
    prevPred = pred;
    if (s === 1 && (pred <= tol * sc || (ratio > 0 && ratio < 0.5 && (pred * ratio) / (1 - ratio) <= tol * sc))) return 2;
    if (ratio > CHORD_RATIO) factored = false;
    return 1;
  };

  /**
   * A Newton step from a fresh H: 2 when taken and met the test (or nothing is left to gain), 1 when
   * taken, 0 when H is indefinite and `shift` is not set, or no shift gave a step that lowers the
   * objective (the caller sweeps instead).
   */
  let mu = 0;
  const newtonStep = (shift: boolean): number => {
    derivatives(true);
    let hmax = 0;
    for (let i = 0; i < P; i++) hmax = Math.max(hmax, Math.abs(H[i * P + i]));
    if (!(hmax > 0)) return 2;
    if (!shift && mu === 0) for (let i = 0; i < P; i++) if (!(H[i * P + i] > 0)) return 0;
    const muMin = MU_START * hmax;
    for (let attempt = 0; attempt < 8; attempt++) {
      Cf.set(H);
      if (mu > 0) for (let i = 0; i < P; i++) Cf[i * P + i] += mu;
      if (!choleskyInPlace(Cf, P)) {
        factored = false;
        if (!shift) return 0;
        mu = Math.max(4 * mu, muMin);
        continue;
      }
      factored = true;
      for (let i = 0; i < P; i++) t[i] = -g[i];
      choleskySolve(Cf, P, t);
      let gt = 0;
      let tHt = 0;
      for (let i = 0; i < P; i++) {
        gt += g[i] * t[i];
        let x = 0;
        const row = i * P;
        for (let j = 0; j < i; j++) x += H[row + j] * t[j];
        tHt += t[i] * (2 * x + H[row + i] * t[i]);
      }
      const s = capOf();
      const pred = -(s * gt + 0.5 * s * s * tHt); // the quadratic model's decrease
      const sc = scaleOf();
      if (!(pred > 0)) return 2;
      const f0 = f;
      if (tryStep(s)) {
        const done = mu === 0 && s === 1 && pred <= newtonTol * sc;
        const rho = (f0 - f) / pred;
        if (mu > 0 || s < 1) {
          factored = false;
          if (rho > 0.75) extend();
        }
        if (rho > 0.75) mu = mu < MU_STOP * hmax ? 0 : mu / MU_DOWN;
        else if (rho < 0.25) mu = Math.max(4 * mu, muMin);
        prevPred = pred;
        return done ? 2 : 1;
      }
      if (pred <= 64 * EPS * Math.abs(sc) || (mu === 0 && pred <= tol * sc)) return 2;
      mu = Math.max(4 * mu, muMin);
      shift = true;
    }
    factored = false;
    return 0;
  };

  // One plane of a sweep: ev = [h(phi), h'(phi), h''(phi), sum_k |t_k'| (the rounding scale of h')]. An
  // array rather than captured variables, which would box every double they are assigned.
  const ev = take(4);
  const evalPair = (ph: number, derivs: boolean): boolean => {
    const cs = Math.cos(ph);
    const sn = Math.sin(ph);
    let h = 0;
    let h1 = 0;
    let h2 = 0;
    let h1Abs = 0;
    for (let c = 0; c < k; c++) {
      const w = uu[c] * cs + vv[c] * sn;
      const bp = mm[c] + w;
      const bq = mm[c] - w;
      if (!(bp > 0) || !(bq > 0)) return false;
      const y = bp * bq;
      let ya = 0;
      if (exact) {
        h += nk[c] * Math.log(y);
      } else {
        ya = gam[c] * Math.exp(a * Math.log(y));
        h += ya;
      }
      if (!derivs) continue;
      const w1 = -uu[c] * sn + vv[c] * cs;
      const r1 = (-2 * w * w1) / y; // y' / y
      const r2 = (-2 * (w1 * w1 - w * w)) / y; // y'' / y
      let t1: number;
      let t2: number;
      if (exact) {
        t1 = nk[c] * r1;
        t2 = nk[c] * (r2 - r1 * r1);
      } else {
        t1 = a * ya * r1;
        t2 = a * ya * ((a - 1) * r1 * r1 + r2);
      }
      h1 += t1;
      h2 += t2;
      h1Abs += Math.abs(t1);
    }
    ev[0] = h;
    ev[1] = h1;
    ev[2] = h2;
    ev[3] = h1Abs;
    return true;
  };

  /** One cyclic sweep over the planes, updating D, Bf and Lf; returns the largest rotation angle. */
  const sweep = (): number => {
    const Bc = Bf; // Bf and Lf are swapped by accept: read once per call
    const Lc = Lf;
    let maxAngle = 0;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        for (let c = 0; c < k; c++) {
          const o = c * dd;
          const Pp = Bc[o + p * d + p];
          const Qq = Bc[o + q * d + q];
          mm[c] = 0.5 * (Pp + Qq);
          uu[c] = 0.5 * (Pp - Qq);
          vv[c] = Bc[o + p * d + q];
          logP[c] = Math.log(Pp);
          logQ[c] = Math.log(Qq);
          if (!exact) gam[c] = d * Math.exp(a * (Lc[c] - logP[c] - logQ[c]));
        }
        // Safeguarded Newton on h'(phi) = 0 from phi = 0.
        let ph = 0;
        let hAt0 = NaN;
        let fresh = false; // ev holds h and its derivatives at ph (from the trial that was accepted)
        for (let iter = 0; iter < 40; iter++) {
          if (!fresh && !evalPair(ph, true)) break;
          fresh = false;
          const h0 = ev[0];
          const h1 = ev[1];
          const curv = ev[2];
          if (iter === 0) hAt0 = h0;
          if (!(Math.abs(h1) > 8 * EPS * ev[3])) break;
          let step = curv > 0 ? -h1 / curv : h1 > 0 ? -Math.PI / 8 : Math.PI / 8;
          if (Math.abs(step) > Math.PI / 8) step = step > 0 ? Math.PI / 8 : -Math.PI / 8;
          let accepted = Math.abs(step) <= 1e-4 && curv > 0;
          while (!accepted) {
            if (evalPair(ph + step, true) && ev[0] <= h0) {
              accepted = fresh = true;
              break;
            }
            step *= 0.5;
            if (Math.abs(step) <= 1e-4) {
              accepted = curv > 0;
              break;
            }
          }
          if (!accepted) break;
          ph += step;
          if (Math.abs(step) <= 1e-15) break;
        }
        if (ph === 0) continue;
        // Over-relaxation (the pairs are coupled; plain cyclic descent converges slowly), kept only
        // when it still lowers this plane's objective.
        if (evalPair(OVER_RELAX * ph, false) && ev[0] < hAt0) ph *= OVER_RELAX;
        const theta = 0.5 * ph;
        maxAngle = Math.max(maxAngle, Math.abs(theta));
        const ct = Math.cos(theta);
        const st = Math.sin(theta);
        for (let r = 0; r < d; r++) {
          const x = D[r * d + p];
          const y = D[r * d + q];
          D[r * d + p] = ct * x + st * y;
          D[r * d + q] = -st * x + ct * y;
        }
        const cphi = Math.cos(ph);
        const sphi = Math.sin(ph);
        for (let c = 0; c < k; c++) {
          const o = c * dd;
          for (let r = 0; r < d; r++) {
            if (r === p || r === q) continue;
            const x = Bc[o + r * d + p];
            const y = Bc[o + r * d + q];
            const nx = ct * x + st * y;
            const ny = -st * x + ct * y;
            Bc[o + r * d + p] = nx;
            Bc[o + p * d + r] = nx;
            Bc[o + r * d + q] = ny;
            Bc[o + q * d + r] = ny;
          }
          const w = uu[c] * cphi + vv[c] * sphi;
          const P1 = mm[c] + w;
          const Q1 = mm[c] - w;
          const R1 = -uu[c] * sphi + vv[c] * cphi;
          Bc[o + p * d + p] = P1;
          Bc[o + q * d + q] = Q1;
          Bc[o + p * d + q] = R1;
          Bc[o + q * d + p] = R1;
          Lc[c] += Math.log(P1) + Math.log(Q1) - logP[c] - logQ[c];
        }
      }
    }
    return maxAngle;
  };

  let steps = 0;
  let sweeps = 0;
  let r = 0;
  let angle = 0; // the largest rotation of the last sweep
  while (steps < maxSteps) {
    steps++;
    if (newton && angle <= NEWTON_REGION) {
      r = factored ? chordStep() : 0;
      if (r === 0) r = newtonStep(sweeps >= SWEEPS_BEFORE_SHIFT);
      if (r === 2) break;
      if (r === 1) {
        sweeps = 0;
        continue;
      }
    }
    sweeps++;
    factored = false;
    prevPred = Infinity;
    angle = sweep();
    f = fullB(D, Bf, Lf);
    if (Number.isNaN(f)) return -Infinity;
    if (angle <= angleTol) {
      r = 2;
      break;
    }
  }
  if (state) state.hessian = factored && C ? C : undefined;
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) Bdiag[c * d + j] = Bf[c * dd + j * d + j];
  return r === 2 ? steps : -steps;
}

/** Lower Cholesky factor of the symmetric n x n matrix A in place (lower triangle); false if A is not positive definite. */
function choleskyInPlace(A: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let s = A[rj + j];
    for (let m = 0; m < j; m++) s -= A[rj + m] * A[rj + m];
    if (!(s > 0)) return false;
    const ljj = Math.sqrt(s);
    A[rj + j] = ljj;
    const inv = 1 / ljj;
    const j4 = j & ~3;
    // Four partial sums per entry: the dot products dominate a Newton step, and one sum waits on
    // each add. Two rows at a time share the loads of row j (the last row of an odd count twice).
    for (let i = j + 1; i < n; i += 2) {
      const ri = i * n;
      const rk = i + 1 < n ? ri + n : ri;
      let x0 = A[ri + j];
      let x1 = 0;
      let x2 = 0;
      let x3 = 0;
      let y0 = A[rk + j];
      let y1 = 0;
      let y2 = 0;
      let y3 = 0;
      let m = 0;
      for (; m < j4; m += 4) {
        const a0 = A[rj + m];
        const a1 = A[rj + m + 1];
        const a2 = A[rj + m + 2];
        const a3 = A[rj + m + 3];
        x0 -= A[ri + m] * a0;
        x1 -= A[ri + m + 1] * a1;
        x2 -= A[ri + m + 2] * a2;
        x3 -= A[ri + m + 3] * a3;
        y0 -= A[rk + m] * a0;
        y1 -= A[rk + m + 1] * a1;
        y2 -= A[rk + m + 2] * a2;
        y3 -= A[rk + m + 3] * a3;
      }
      for (; m < j; m++) {
        const am = A[rj + m];
        x0 -= A[ri + m] * am;
        y0 -= A[rk + m] * am;
      }
      A[ri + j] = (x0 + x1 + (x2 + x3)) * inv;
      A[rk + j] = (y0 + y1 + (y2 + y3)) * inv;
    }
  }
  return true;
}

/** x := (L L^T)^-1 x for the lower Cholesky factor L (choleskyInPlace). */
function choleskySolve(Lc: Float64Array, n: number, x: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = x[i];
    for (let m = 0; m < i; m++) s -= Lc[ri + m] * x[m];
    x[i] = s / Lc[ri + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i];
    for (let m = i + 1; m < n; m++) s -= Lc[m * n + i] * x[m];
    x[i] = s / Lc[i * n + i];
  }
}

/**
 * Dout = D cay(s X) for the skew X with X_pq = t_pq (p < q, in the order of the planes),
 * cay(Y) = (I - Y/2)^-1 (I + Y/2), an orthogonal matrix equal to exp(Y) to second order; cay(s X)
 * is left in R (d*d), A (d*d) is work. I - Y/2 has eigenvalues 1 - i mu / 2, so the elimination
 * never meets a zero pivot.
 */
function cayleyRotate(D: Float64Array, t: Float64Array, s: number, d: number, Dout: Float64Array, A: Float64Array, R: Float64Array): void {
  A.fill(0);
  R.fill(0);
  for (let i = 0; i < d; i++) A[i * d + i] = R[i * d + i] = 1;
  for (let p = 0, i = 0; p < d; p++) {
    for (let q = p + 1; q < d; q++, i++) {
      const y = 0.5 * s * t[i];
      A[p * d + q] = -y;
      A[q * d + p] = y;
      R[p * d + q] = y;
      R[q * d + p] = -y;
    }
  }
  // Solve A Q = R by Gaussian elimination with partial pivoting; Q overwrites R.
  for (let col = 0; col < d; col++) {
    let piv = col;
    for (let r = col + 1; r < d; r++) if (Math.abs(A[r * d + col]) > Math.abs(A[piv * d + col])) piv = r;
    if (piv !== col) {
      for (let j = 0; j < d; j++) {
        let x = A[col * d + j];
        A[col * d + j] = A[piv * d + j];
        A[piv * d + j] = x;
        x = R[col * d + j];
        R[col * d + j] = R[piv * d + j];
        R[piv * d + j] = x;
      }
    }
    const inv = 1 / A[col * d + col];
    for (let r = col + 1; r < d; r++) {
      const m = A[r * d + col] * inv;
      if (m === 0) continue;
      for (let j = col; j < d; j++) A[r * d + j] -= m * A[col * d + j];
      for (let j = 0; j < d; j++) R[r * d + j] -= m * R[col * d + j];
    }
  }
  for (let r = d - 1; r >= 0; r--) {
    const inv = 1 / A[r * d + r];
    for (let j = 0; j < d; j++) {
      let x = R[r * d + j];
      for (let m = r + 1; m < d; m++) x -= A[r * d + m] * R[m * d + j];
      R[r * d + j] = x * inv;
    }
  }
  mulSquare(D, 0, R, d, Dout, 0);
}
