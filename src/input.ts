import type { Matrix, MatrixInput } from './types.js';
import { describe } from './errors.js';

/**
 * Validates X and returns a row-major view of it. Typed `{ data, rows, cols }` input is returned
 * without a copy (nothing downstream writes to it); nested arrays are packed into a Float64Array.
 * Throws TypeError for a wrong shape or type, RangeError for non-finite values, naming the first
 * offending row and column.
 */
export function toMatrix(X: MatrixInput, name = 'X', checkFinite = true): Matrix<Float64Array> | Matrix<Float32Array> {
  if (X === null || typeof X !== 'object') {
    throw new TypeError(`${name} must be an array of rows or { data: Float64Array | Float32Array, rows, cols }, got ${describe(X)}.`);
  }
  let m: Matrix<Float64Array> | Matrix<Float32Array>;
  if (!Array.isArray(X) && 'data' in X) {
    const { data, rows, cols } = X;
    if (!(data instanceof Float64Array) && !(data instanceof Float32Array)) {
      throw new TypeError(`${name}.data must be a Float64Array or Float32Array, got ${describe(data)}.`);
    }
    if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`${name}.rows must be an integer >= 1, got ${describe(rows)}.`);
    if (!Number.isInteger(cols) || cols < 1) throw new RangeError(`${name}.cols must be an integer >= 1, got ${describe(cols)}.`);
    if (data.length !== rows * cols) {
      throw new RangeError(`${name}.data has length ${data.length}, but rows * cols = ${rows} * ${cols} = ${rows * cols}.`);
    }
    m = data instanceof Float64Array ? { data, rows, cols } : { data, rows, cols };
  } else {
    m = packRows(X as ArrayLike<ArrayLike<number>>, name);
  }
  if (checkFinite) assertFinite(m, name);
  if (m.rows < 1) throw new RangeError(`${name} must have at least one row.`);
  return m;
}

/** Throws a RangeError naming the first non-finite value's row and column. */
export function assertFinite(m: Matrix<Float64Array> | Matrix<Float32Array>, name: string): void {
  const { data, cols } = m;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      const r = Math.floor(i / cols);
      throw new RangeError(
        `${name} contains a non-finite value (${data[i]}) at row ${r}, column ${i - r * cols}; remove or impute missing values first.`,
      );
    }
  }
}

function packRows(X: ArrayLike<ArrayLike<number>>, name: string): Matrix<Float64Array> {
  const rows = X.length;
  if (rows === 0) throw new RangeError(`${name} must have at least one row, got an empty array.`);
  const first = X[0];
  if (first === null || typeof first !== 'object' || typeof first.length !== 'number') {
    throw new TypeError(`${name}[0] must be an array of numbers, got ${describe(first)}.`);
  }
  const cols = first.length;
  if (cols === 0) throw new RangeError(`${name} rows must have at least one column, got ${name}[0] with 0.`);
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const row = X[i];
    if (row === null || typeof row !== 'object' || typeof row.length !== 'number') {
      throw new TypeError(`${name}[${i}] must be an array of numbers, got ${describe(row)}.`);
    }
    if (row.length !== cols) {
      throw new RangeError(`${name} is ragged: row ${i} has ${row.length} columns, but row 0 has ${cols}.`);
    }
    for (let j = 0; j < cols; j++) {
      const v = row[j];
      if (typeof v !== 'number') {
        throw new TypeError(`${name}[${i}][${j}] must be a number, got ${describe(v)}.`);
      }
      data[i * cols + j] = v;
    }
  }
  return { data, rows, cols };
}

/** Validates per-sample weights (finite, >= 0, positive sum, one per row) into a fresh Float64Array. */
export function toSampleWeight(w: unknown, rows: number): Float64Array {
  if (w === null || typeof w !== 'object' || typeof (w as ArrayLike<number>).length !== 'number') {
    throw new TypeError(`sampleWeight must be an array of ${rows} non-negative numbers, got ${describe(w)}.`);
  }
  const a = w as ArrayLike<number>;
  if (a.length !== rows) {
    throw new RangeError(`sampleWeight has length ${a.length}, but X has ${rows} rows; give one weight per row.`);
  }
  const out = new Float64Array(rows);
  let sum = 0;
  for (let i = 0; i < rows; i++) {
    const v = a[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new RangeError(`sampleWeight[${i}] must be a finite number >= 0, got ${describe(v)}.`);
    }
    out[i] = v;
    sum += v;
  }
  if (!(sum > 0)) throw new RangeError('sampleWeight must have a positive sum, got all zeros.');
  return out;
}
