/**
 * Small dense symmetric eigendecomposition and SVD by Jacobi rotations, for the d x d blocks of the
 * covariance M-steps (d up to ~50). Row-major storage throughout; no allocation when the caller
 * passes the scratch arrays.
 */
import { GaussianMixtureError } from './errors.js';

const EPS = 2.220446049250313e-16;

/**
 * Eigenvalues and eigenvectors of the symmetric d x d block A[a0 .. a0 + d*d) (only its upper triangle
 * is read) by the cyclic Jacobi method with Rutishauser's threshold strategy. On return `values`
 * holds the eigenvalues in DEcreasing order and, when `vectors` is given, column j of `vectors`
 * (row-major: vectors[i*d + j]) is the unit eigenvector of values[j]. Off-diagonal entries are dropped
 * only once they are negligible against both diagonal entries they couple, so for (semi-)definite
 * input the small eigenvalues keep a high relative accuracy.
 *
 * `work` (length >= d*d + 3*d) is optional scratch. Returns the number of sweeps, or -1 when 64
 * sweeps did not annihilate the off-diagonal part (never observed for finite input).
 */
export function symmetricEigen(
  A: ArrayLike<number>,
  a0: number,
  d: number,
  values: Float64Array,
  vectors: Float64Array | null,
  work?: Float64Array,
): number {
  const w = work && work.length >= d * d + 3 * d ? work : new Float64Array(d * d + 3 * d);
  // w[0 .. d*d): working copy of A (upper triangle used); then b, z, and the diagonal dd.
  const bo = d * d;
  const zo = bo + d;
  const eo = zo + d;
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) w[i * d + j] = A[a0 + i * d + j];
  }
  if (vectors) {
    for (let i = 0; i < d * d; i++) vectors[i] = 0;
    for (let i = 0; i < d; i++) vectors[i * d + i] = 1;
  }
  for (let i = 0; i < d; i++) {
    const aii = w[i * d + i];
    w[bo + i] = aii;
    w[eo + i] = aii;
    w[zo + i] = 0;
  }
  let sweeps = -1;
  for (let sweep = 1; sweep <= 64; sweep++) {
    let sm = 0;
    for (let p = 0; p < d - 1; p++) for (let q = p + 1; q < d; q++) sm += Math.abs(w[p * d + q]);
    if (sm === 0) {
      sweeps = sweep - 1;
      break;
    }
    const tresh = sweep < 4 ? (0.2 * sm) / (d * d) : 0;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = w[p * d + q];
        const g = 100 * Math.abs(apq);
        const ep = w[eo + p];
        const eq = w[eo + q];
        if (sweep > 4 && Math.abs(ep) + g === Math.abs(ep) && Math.abs(eq) + g === Math.abs(eq)) {
          w[p * d + q] = 0;
        } else if (Math.abs(apq) > tresh) {
          let h = eq - ep;
          let t: number;
          if (Math.abs(h) + g === Math.abs(h)) {
            t = apq / h;
          } else {
            const theta = (0.5 * h) / apq;
            t = 1 / (Math.abs(theta) + Math.sqrt(1 + theta * theta));
            if (theta < 0) t = -t;
          }
          const c = 1 / Math.sqrt(1 + t * t);
          const s = t * c;
          const tau = s / (1 + c);
          h = t * apq;
          w[zo + p] -= h;
          w[zo + q] += h;
          w[eo + p] = ep - h;
          w[eo + q] = eq + h;
          w[p * d + q] = 0;
          // Rotate the rest of the upper triangle.
          for (let j = 0; j < p; j++) {
            const x = w[j * d + p];
            const y = w[j * d + q];
            w[j * d + p] = x - s * (y + x * tau);
            w[j * d + q] = y + s * (x - y * tau);
          }
          for (let j = p + 1; j < q; j++) {
            const x = w[p * d + j];
            const y = w[j * d + q];
            w[p * d + j] = x - s * (y + x * tau);
            w[j * d + q] = y + s * (x - y * tau);
          }
          for (let j = q + 1; j < d; j++) {
            const x = w[p * d + j];
            const y = w[q * d + j];
            w[p * d + j] = x - s * (y + x * tau);
            w[q * d + j] = y + s * (x - y * tau);
          }
          if (vectors) {
            for (let j = 0; j < d; j++) {
              const x = vectors[j * d + p];
              const y = vectors[j * d + q];
              vectors[j * d + p] = x - s * (y + x * tau);
              vectors[j * d + q] = y + s * (x - y * tau);
            }
          }
        }
      }
    }
    for (let p = 0; p < d; p++) {
      w[bo + p] += w[zo + p];
      w[eo + p] = w[bo + p];
      w[zo + p] = 0;
    }
  }
  for (let i = 0; i < d; i++) values[i] = w[eo + i];
  // Selection sort into decreasing order (d is small), permuting the eigenvector columns alike.
  for (let i = 0; i < d - 1; i++) {
    let m = i;
    for (let j = i + 1; j < d; j++) if (values[j] > values[m]) m = j;
    if (m !== i) {
      const tv = values[i];
      values[i] = values[m];
      values[m] = tv;
      if (vectors) {
        for (let r = 0; r < d; r++) {
          const x = vectors[r * d + i];
          vectors[r * d + i] = vectors[r * d + m];
          vectors[r * d + m] = x;
        }
      }
    }
  }
  return sweeps;
}

/**
 * Singular value decomposition F = U diag(s) V^T of the square d x d block F[f0 ..) by one-sided
 * (Hestenes) Jacobi: plane rotations from the right make the columns of F V mutually orthogonal.
 * On return s holds the singular values in DEcreasing order, and U, V (row-major; column j is the
 * j-th singular vector) are orthogonal; left vectors of zero singular values are completed to an
 * orthonormal basis. `work` (length >= 2*d*d) is optional scratch. With `warm`, V must hold an
 * orthogonal matrix on entry that is used as the starting right rotation (the previous V of a slowly
 * changing F makes the columns of F V nearly orthogonal, so few sweeps remain). Returns the number
 * of sweeps (-1 if 80 sweeps did not converge).
 */
export function jacobiSVD(
  F: ArrayLike<number>,
  f0: number,
  d: number,
  U: Float64Array,
  s: Float64Array,
  V: Float64Array,
  work?: Float64Array,
  warm = false,
): number {
  const w = work && work.length >= 2 * d * d ? work : new Float64Array(2 * d * d);
  // Rows of R (= w[0..d*d)) are the columns of F V0; rows of T (= w[d*d..)) the columns of V.
  // Rotating pairs of rows keeps the inner loops contiguous.
  const T0 = d * d;
  if (warm) {
    for (let j = 0; j < d; j++) {
      for (let i = 0; i < d; i++) {
        let t = 0;
        for (let m = 0; m < d; m++) t += F[f0 + i * d + m] * V[m * d + j];
        w[j * d + i] = t;
        w[T0 + j * d + i] = V[i * d + j];
      }
    }
  } else {
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        w[j * d + i] = F[f0 + i * d + j];
        w[T0 + i * d + j] = i === j ? 1 : 0;
      }
    }
  }
  let sweeps = -1;
  for (let sweep = 1; sweep <= 80; sweep++) {
    let rotated = false;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let r = 0; r < d; r++) {
          const x = w[p * d + r];
          const y = w[q * d + r];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= EPS * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const sn = c * t;
        for (let r = 0; r < d; r++) {
          const x = w[p * d + r];
          const y = w[q * d + r];
          w[p * d + r] = c * x - sn * y;
          w[q * d + r] = sn * x + c * y;
          const u = w[T0 + p * d + r];
          const v = w[T0 + q * d + r];
          w[T0 + p * d + r] = c * u - sn * v;
          w[T0 + q * d + r] = sn * u + c * v;
        }
      }
    }
    if (!rotated) {
      sweeps = sweep;
      break;
    }
  }
  // Singular values = row norms; order them decreasingly (selection over an index permutation).
  for (let i = 0; i < d; i++) {
    let ss = 0;
    for (let r = 0; r < d; r++) ss += w[i * d + r] * w[i * d + r];
    s[i] = Math.sqrt(ss);
  }
  for (let i = 0; i < d - 1; i++) {
    let m = i;
    for (let j = i + 1; j < d; j++) if (s[j] > s[m]) m = j;
    if (m !== i) {
      const ts = s[i];
      s[i] = s[m];
      s[m] = ts;
      for (let r = 0; r < d; r++) {
        let x = w[i * d + r];
        w[i * d + r] = w[m * d + r];
        w[m * d + r] = x;
        x = w[T0 + i * d + r];
        w[T0 + i * d + r] = w[T0 + m * d + r];
        w[T0 + m * d + r] = x;
      }
    }
  }
  const smax = s[0];
  const tiny = smax * d * EPS;
  for (let j = 0; j < d; j++) {
    for (let r = 0; r < d; r++) V[r * d + j] = w[T0 + j * d + r];
    if (s[j] > tiny && s[j] > 0) {
      const inv = 1 / s[j];
      for (let r = 0; r < d; r++) U[r * d + j] = w[j * d + r] * inv;
    } else {
      completeColumn(U, d, j);
    }
  }
  return sweeps;
}

/**
 * Column j of U := a unit vector orthogonal to columns 0..j-1 (Gram-Schmidt on the unit vectors).
 * The unit vector with the largest residual is used: for j < d orthonormal columns some e_i keeps a
 * squared residual of at least (d - j) / d, so one always exists (a fixed threshold such as 1/4 can
 * miss it at j = d - 1, d >= 4, by rounding).
 */
function completeColumn(U: Float64Array, d: number, j: number): void {
  const residual = (e: number): number => {
    for (let r = 0; r < d; r++) U[r * d + j] = r === e ? 1 : 0;
    for (let pass = 0; pass < 2; pass++) {
      for (let c = 0; c < j; c++) {
        let dot = 0;
        for (let r = 0; r < d; r++) dot += U[r * d + c] * U[r * d + j];
        for (let r = 0; r < d; r++) U[r * d + j] -= dot * U[r * d + c];
      }
    }
    let nn = 0;
    for (let r = 0; r < d; r++) nn += U[r * d + j] * U[r * d + j];
    return nn;
  };
  let best = -1;
  let bestNorm = 0;
  for (let e = 0; e < d; e++) {
    const nn = residual(e);
    if (nn > bestNorm) {
      best = e;
      bestNorm = nn;
    }
  }
  if (best < 0) {
    throw new GaussianMixtureError(
      'NUMERICAL_FAILURE',
      'An eigen-decomposition of a scatter matrix failed (its eigenvectors are not finite): the data are too large or too small in magnitude. Scale the data (columns with standard deviation near 1).',
    );
  }
  residual(best);
  const inv = 1 / Math.sqrt(bestNorm);
  for (let r = 0; r < d; r++) U[r * d + j] *= inv;
}

/**
 * The orthogonal polar factor Q = U V^T of the square matrix F = U S V^T (row-major d x d at f0): the
 * orthogonal matrix maximising tr(Q^T F). Written to Q[q0 ..). Returns false, leaving Q untouched,
 * when F is exactly zero (every orthogonal Q is then a maximiser). When F is singular the factor is
 * not unique and one maximiser is returned. `work` (length >= 4*d*d + d) is optional scratch.
 * `Vcache` (d*d), when given, carries the right singular vectors from one call to the next as the
 * warm start of the SVD (pass an identity or any orthogonal matrix the first time).
 */
export function polarFactor(
  F: ArrayLike<number>,
  f0: number,
  d: number,
  Q: Float64Array,
  q0: number,
  work?: Float64Array,
  Vcache?: Float64Array,
): boolean {
  let nonzero = false;
  for (let i = 0; i < d * d; i++) {
    if (F[f0 + i] !== 0) {
      nonzero = true;
      break;
    }
  }
  if (!nonzero) return false;
  const w = work && work.length >= 4 * d * d + d ? work : new Float64Array(4 * d * d + d);
  const U = w.subarray(0, d * d);
  const V = Vcache && Vcache.length === d * d ? Vcache : w.subarray(d * d, 2 * d * d);
  const S = w.subarray(2 * d * d, 2 * d * d + d);
  const scratch = w.subarray(2 * d * d + d, 4 * d * d + d);
  jacobiSVD(F, f0, d, U, S, V, scratch, V === Vcache);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let t = 0;
      for (let c = 0; c < d; c++) t += U[i * d + c] * V[j * d + c];
      Q[q0 + i * d + j] = t;
    }
  }
  return true;
}

/**
 * The eigenvalues alone of the symmetric d x d block A[a0 .. a0 + d*d) (its lower triangle is read),
 * in DEcreasing order, by Householder tridiagonalisation and the implicit QL method: about 4d^3/3
 * operations against the ~10d^3 of the Jacobi sweeps in symmetricEigen, for callers that need only
 * the extreme eigenvalues to a tolerance of a few eps times the largest (their absolute accuracy;
 * symmetricEigen keeps the small ones to high relative accuracy). `work` (length >= d*d + d) is
 * optional scratch. Returns false when 60 QL iterations did not split off an eigenvalue (never
 * observed for finite input).
 */
export function symmetricEigenvalues(A: ArrayLike<number>, a0: number, d: number, values: Float64Array, work?: Float64Array): boolean {
  const w = work && work.length >= d * d + d ? work : new Float64Array(d * d + d);
  const eo = d * d; // off-diagonal of the tridiagonal form
  for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) w[i * d + j] = A[a0 + i * d + j];
  // Householder reduction (the lower triangle of w), as tred2 without the transformations.
  for (let i = d - 1; i > 0; i--) {
    const l = i - 1;
    const ri = i * d;
    let h = 0;
    let scale = 0;
    for (let m = 0; m <= l; m++) scale += Math.abs(w[ri + m]);
    if (l === 0 || scale === 0) {
      w[eo + i] = w[ri + l];
      continue;
    }
    for (let m = 0; m <= l; m++) {
      w[ri + m] /= scale;
      h += w[ri + m] * w[ri + m];
    }
    let f = w[ri + l];
    let g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
    w[eo + i] = scale * g;
    h -= f * g;
    w[ri + l] = f - g;
    f = 0;
    for (let j = 0; j <= l; j++) {
      g = 0;
      for (let m = 0; m <= j; m++) g += w[j * d + m] * w[ri + m];
      for (let m = j + 1; m <= l; m++) g += w[m * d + j] * w[ri + m];
      w[eo + j] = g / h;
      f += w[eo + j] * w[ri + j];
    }
    const hh = f / (h + h);
    for (let j = 0; j <= l; j++) {
      f = w[ri + j];
      g = w[eo + j] - hh * f;
      w[eo + j] = g;
      for (let m = 0; m <= j; m++) w[j * d + m] -= f * w[eo + m] + g * w[ri + m];
    }
  }
  for (let i = 0; i < d; i++) values[i] = w[i * d + i];
  // e[i] := the coupling of i and i + 1
  for (let i = 1; i < d; i++) w[eo + i - 1] = w[eo + i];
  w[eo + d - 1] = 0;
  // Implicit QL with Wilkinson-type shifts (tqli).
  for (let l = 0; l < d; l++) {
    let iter = 0;
    for (;;) {
      let m = l;
      for (; m < d - 1; m++) {
        const s = Math.abs(values[m]) + Math.abs(values[m + 1]);
        if (Math.abs(w[eo + m]) <= EPS * s) break;
      }
      if (m === l) break;
      if (++iter > 60) return false;
      let g = (values[l + 1] - values[l]) / (2 * w[eo + l]);
      let r = Math.sqrt(g * g + 1);
      g = values[m] - values[l] + w[eo + l] / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = m - 1;
      for (; i >= l; i--) {
        const f = s * w[eo + i];
        const b = c * w[eo + i];
        r = Math.sqrt(f * f + g * g);
        w[eo + i + 1] = r;
        if (r === 0) {
          values[i + 1] -= p;
          w[eo + m] = 0;
          break;
        }
        s = f / r;
        c = g / r;
        g = values[i + 1] - p;
        r = (values[i] - g) * s + 2 * c * b;
        p = s * r;
        values[i + 1] = g + p;
        g = c * r - b;
      }
      if (r === 0 && i >= l) continue;
      values[l] -= p;
      w[eo + l] = g;
      w[eo + m] = 0;
    }
  }
  values.subarray(0, d).sort().reverse();
  return true;
}
