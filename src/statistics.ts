import type { KernelFamily } from './types.js';
import { describe } from './errors.js';

/** What `SufficientStatistics.toJSON` writes and `fromJSON` reads. */
export interface SufficientStatisticsJSON {
  format: 'gmm-wasm/statistics';
  version: 1;
  k: number;
  d: number;
  family: KernelFamily;
  N: number[];
  S1: number[];
  S2: number[];
  shift: number[];
  logLik: number;
  weightSum: number;
}

/**
 * The sufficient statistics of a mixture over a set of rows, taken about a shift c_k per component:
 *   N[k]     = sum_i w_i r_ik
 *   S1[k]    = sum_i w_i r_ik (x_i - c_k)                        (k x d)
 *   S2[k]    = sum_i w_i r_ik (x_i - c_k)(x_i - c_k)^T          ('tri': k x d x d with the upper
 *              triangle a <= b filled; 'diag': k x d, the diagonal)
 *   logLik   = sum_i w_i log p(x_i),  weightSum = sum_i w_i.
 * They are sums over rows, so the statistics of shards add up to those of all rows: workers, chunked
 * passes, online EM and any external map-reduce combine them with `add` (after `recentre` when the
 * shifts differ). The M-step needs only these numbers (`GaussianMixture.updateFromStatistics`).
 * Centred sums about a shift near the means keep the covariances exact far from the origin, where
 * raw sums of x x^T would cancel catastrophically.
 */
export class SufficientStatistics {
  readonly N: Float64Array;
  readonly S1: Float64Array;
  readonly S2: Float64Array;
  /** The c_k the sums are taken about (k x d). */
  readonly shift: Float64Array;
  logLik: number;
  weightSum: number;

  /**
   * Zero statistics for k components of d features (family 'tri': full S2 blocks, 'diag': their
   * diagonals), or statistics over given arrays without a copy (`parts`: what a worker sends back).
   */
  constructor(
    readonly k: number,
    readonly d: number,
    readonly family: KernelFamily,
    parts?: { N: Float64Array; S1: Float64Array; S2: Float64Array; shift: Float64Array; logLik: number; weightSum: number },
  ) {
    this.N = parts?.N ?? new Float64Array(k);
    this.S1 = parts?.S1 ?? new Float64Array(k * d);
    this.S2 = parts?.S2 ?? new Float64Array(family === 'tri' ? k * d * d : k * d);
    this.shift = parts?.shift ?? new Float64Array(k * d);
    this.logLik = parts?.logLik ?? 0;
    this.weightSum = parts?.weightSum ?? 0;
  }

  /** Zeroes the sums (the shift stays). */
  clear(): this {
    this.N.fill(0);
    this.S1.fill(0);
    this.S2.fill(0);
    this.logLik = 0;
    this.weightSum = 0;
    return this;
  }

  /**
   * Adds `other`'s sums to these. Both must have the same k, d and family; when their shifts differ,
   * `other` is taken to this shift first (a recentred copy; `other` is not changed).
   */
  add(other: SufficientStatistics): this {
    this.check(other, 'add');
    const o = sameValues(other.shift, this.shift) ? other : other.clone().recentre(this.shift);
    addInto(this.N, o.N);
    addInto(this.S1, o.S1);
    addInto(this.S2, o.S2);
    this.logLik += o.logLik;
    this.weightSum += o.weightSum;
    return this;
  }

  /** Multiplies every sum by `factor` (a finite number >= 0), as a weight on these rows would. */
  scale(factor: number): this {
    if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 0) {
      throw new RangeError(`scale: factor must be a finite number >= 0, got ${describe(factor)}.`);
    }
    for (const a of [this.N, this.S1, this.S2]) for (let i = 0; i < a.length; i++) a[i] *= factor;
    this.logLik *= factor;
    this.weightSum *= factor;
    return this;
  }

  /**
   * Takes the sums about `newShift` (k x d) instead, by the parallel-axis formula: with
   * delta_k = c_k - c'_k, S1' = S1 + N delta and S2' = S2 + delta S1^T + S1 delta^T + N delta delta^T.
   */
  recentre(newShift: ArrayLike<number>): this {
    const { k, d, N, S1, S2, shift } = this;
    if (newShift === null || typeof newShift !== 'object' || newShift.length !== k * d) {
      throw new RangeError(`recentre: newShift must have k * d = ${k * d} numbers, got ${describe(newShift)}.`);
    }
    const delta = new Float64Array(d);
    for (let c = 0; c < k; c++) {
      const n = N[c];
      for (let a = 0; a < d; a++) delta[a] = shift[c * d + a] - newShift[c * d + a];
      if (this.family === 'tri') {
        for (let a = 0; a < d; a++) {
          for (let b = a; b < d; b++) {
            const i = c * d * d + a * d + b;
            S2[i] += delta[a] * S1[c * d + b] + S1[c * d + a] * delta[b] + n * delta[a] * delta[b];
          }
        }
      } else {
        for (let a = 0; a < d; a++) S2[c * d + a] += 2 * delta[a] * S1[c * d + a] + n * delta[a] * delta[a];
      }
      for (let a = 0; a < d; a++) {
        S1[c * d + a] += n * delta[a];
        shift[c * d + a] = newShift[c * d + a];
      }
    }
    return this;
  }

  clone(): SufficientStatistics {
    const s = new SufficientStatistics(this.k, this.d, this.family);
    s.N.set(this.N);
    s.S1.set(this.S1);
    s.S2.set(this.S2);
    s.shift.set(this.shift);
    s.logLik = this.logLik;
    s.weightSum = this.weightSum;
    return s;
  }

  /** A plain object that JSON.stringify writes exactly (every float64 round-trips through JSON text). */
  toJSON(): SufficientStatisticsJSON {
    return {
      format: 'gmm-wasm/statistics',
      version: 1,
      k: this.k,
      d: this.d,
      family: this.family,
      N: Array.from(this.N),
      S1: Array.from(this.S1),
      S2: Array.from(this.S2),
      shift: Array.from(this.shift),
      logLik: this.logLik,
      weightSum: this.weightSum,
    };
  }

  /** Reads what `toJSON` wrote (the object or its JSON text), checking every field. */
  static fromJSON(json: SufficientStatisticsJSON | string): SufficientStatistics {
    const j = (typeof json === 'string' ? JSON.parse(json) : json) as Partial<SufficientStatisticsJSON> | null;
    if (j === null || typeof j !== 'object' || j.format !== 'gmm-wasm/statistics' || j.version !== 1) {
      throw new TypeError(`SufficientStatistics.fromJSON expects the output of toJSON() (format 'gmm-wasm/statistics', version 1), got ${describe(j)}.`);
    }
    const { k, d, family } = j;
    if (!Number.isInteger(k) || k! < 1 || !Number.isInteger(d) || d! < 1 || (family !== 'tri' && family !== 'diag')) {
      throw new RangeError(`SufficientStatistics.fromJSON: k and d must be integers >= 1 and family 'tri' or 'diag', got k = ${describe(k)}, d = ${describe(d)}, family = ${describe(family)}.`);
    }
    const s = new SufficientStatistics(k!, d!, family);
    for (const name of ['N', 'S1', 'S2', 'shift'] as const) {
      const src = j[name];
      const dst = s[name];
      if (!Array.isArray(src) || src.length !== dst.length || !src.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw new RangeError(`SufficientStatistics.fromJSON: ${name} must be ${dst.length} finite numbers, got ${describe(src)}.`);
      }
      dst.set(src);
    }
    for (const name of ['logLik', 'weightSum'] as const) {
      if (typeof j[name] !== 'number' || !Number.isFinite(j[name])) {
        throw new RangeError(`SufficientStatistics.fromJSON: ${name} must be a finite number, got ${describe(j[name])}.`);
      }
    }
    s.logLik = j.logLik!;
    s.weightSum = j.weightSum!;
    return s;
  }

  private check(other: SufficientStatistics, what: string): void {
    if (!(other instanceof SufficientStatistics) || other.k !== this.k || other.d !== this.d || other.family !== this.family) {
      throw new RangeError(
        `${what}: statistics of k = ${other?.k}, d = ${other?.d}, family '${other?.family}' do not match k = ${this.k}, d = ${this.d}, family '${this.family}'.`,
      );
    }
  }
}

function addInto(into: Float64Array, from: Float64Array): void {
  for (let i = 0; i < into.length; i++) into[i] += from[i];
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
