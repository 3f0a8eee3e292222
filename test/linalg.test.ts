/**
 * The blocked products of src/linalg.ts: they must give the bits of one sum at a time in the stated
 * order (the orientation M-step's answers depend on it), for every d (the 2 x 4 blocks and their
 * remainders), offsets, and zeros in A (whose terms mulSquare leaves out).
 */
import { describe, expect, it } from 'vitest';
import { mulSquare, mulTransposeSymmetric } from '../src/linalg.js';
import { rng } from './helpers.js';

function randomBlock(len: number, next: () => number, zeros: number): Float64Array {
  return Float64Array.from({ length: len }, () => (next() < zeros ? 0 : next() - 0.5));
}

function sameBits(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

describe('mulSquare', () => {
  it('equals the row-by-column sums in ascending order, zero terms of A left out', () => {
    const next = rng(11);
    for (let d = 1; d <= 14; d++) {
      const dd = d * d;
      const a0 = 3 * dd;
      const p0 = dd + 2;
      const A = randomBlock(a0 + dd, next, 0.2);
      const B = randomBlock(dd, next, 0);
      const P = new Float64Array(p0 + dd).fill(NaN);
      mulSquare(A, a0, B, d, P, p0);
      const ref = new Float64Array(p0 + dd).fill(NaN);
      for (let i = 0; i < d; i++) {
        for (let j = 0; j < d; j++) {
          let t = 0;
          for (let m = 0; m < d; m++) if (A[a0 + i * d + m] !== 0) t += A[a0 + i * d + m] * B[m * d + j];
          ref[p0 + i * d + j] = t;
        }
      }
      expect(sameBits(P, ref), `d = ${d}`).toBe(true);
    }
  });
});

describe('mulTransposeSymmetric', () => {
  it('equals the column-by-column sums in ascending order on the upper triangle, mirrored', () => {
    const next = rng(12);
    for (let d = 1; d <= 14; d++) {
      const dd = d * d;
      const p0 = 2 * dd + 1;
      const A = randomBlock(dd, next, 0.1);
      const B = randomBlock(dd, next, 0);
      const P = new Float64Array(p0 + dd).fill(NaN);
      mulTransposeSymmetric(A, B, d, P, p0);
      const ref = new Float64Array(p0 + dd).fill(NaN);
      for (let i = 0; i < d; i++) {
        for (let j = i; j < d; j++) {
          let t = 0;
          for (let r = 0; r < d; r++) t += A[r * d + i] * B[r * d + j];
          ref[p0 + i * d + j] = ref[p0 + j * d + i] = t;
        }
      }
      expect(sameBits(P, ref), `d = ${d}`).toBe(true);
    }
  });
});
