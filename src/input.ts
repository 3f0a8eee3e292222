import type { ImageDataInput, Matrix, MatrixInput, NumericArray, TypedMatrixInput } from './types.js';
import { describe } from './errors.js';
import { isArrowInput, readArrow } from './arrow.js';
import { fitsFloat32, isNumericArray } from './numeric-array.js';

type Rows = Matrix<Float64Array> | Matrix<Float32Array>;

/** Column j of a block: its element i is `data[offset + i * stride]`. */
export interface ColumnRef {
  readonly data: NumericArray;
  readonly offset: number;
  readonly stride: number;
}

/** Consecutive rows of a matrix source: `rows` of them, one ColumnRef per feature. */
export interface RowBlock {
  readonly rows: number;
  readonly columns: readonly ColumnRef[];
}

/**
 * A validated matrix input described where it lies, without a copy: its rows in blocks (one for a
 * typed matrix, one per Arrow record batch), every feature a strided column of a typed array. The
 * backends' `load` copies the rows into their own storage (WebAssembly linear memory, or the JS
 * backend's array) and does the gathering and widening in that copy.
 */
export interface MatrixSource {
  readonly rows: number;
  readonly cols: number;
  readonly blocks: readonly RowBlock[];
  /**
   * Storage the backends copy the rows into. Integers are widened there rather than in the kernels:
   * the copy happens anyway, float32 holds every 8- and 16-bit integer exactly (and float64 every
   * 32-bit one), and the kernels' float32 path widens to float64 before any arithmetic, so an integer
   * input computes bit for bit what the same values as a Float64Array compute, with no kernel per
   * element type. True when every column is float32 or an 8/16-bit integer.
   */
  readonly float32: boolean;
  /** The input itself when it already is a dense row-major Float64Array or Float32Array matrix. */
  readonly dense: Rows | null;
}

const ELEMENT_TYPES =
  'Float64Array or Float32Array, or an integer typed array (Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array)';
const FORMS =
  'an array of rows, one column as number[] or a typed array, { data: typed array, rows, cols, stride?, columns? }, an ImageData { data, width, height }, an object with to2DArray() (ml-matrix), or an Apache Arrow Table / RecordBatch (or { table, columns })';

/**
 * Validates X (any form of MatrixInput) and describes it without copying typed data; nested
 * arrays are packed into a Float64Array. Throws TypeError for a wrong type or shape and RangeError
 * for bad sizes, options or non-finite values (unless `finite` is false: the caller checks them
 * later with assertFinite), naming the parameter (`name`, `name.stride`, ...), the value and what
 * is allowed; Arrow nulls are a TypeError naming the column and first row. With `allowMissing`
 * (missingValues: 'em'), NaN and null in nested arrays mark missing entries (as NaN).
 */
export function readMatrix(X: MatrixInput, name = 'X', finite = true, allowMissing = false): MatrixSource {
  if (X === null || typeof X !== 'object') throw new TypeError(`${name} must be ${FORMS}, got ${describe(X)}.`);
  const s = describeInput(X, name, allowMissing);
  if (finite) assertFinite(s, name, allowMissing);
  return s;
}

function describeInput(X: object, name: string, allowMissing: boolean): MatrixSource {
  // One feature given as a flat list (number[] or a typed array): n rows of one column.
  if (Array.isArray(X) && X.length > 0 && (typeof X[0] === 'number' || X[0] === null)) return denseSource(packColumn(X, name, allowMissing));
  if (isNumericArray(X)) return readTyped({ data: X, rows: X.length, cols: 1 }, name);
  if (Array.isArray(X)) return denseSource(packRows(X as ArrayLike<ArrayLike<number>>, name, allowMissing));
  // Matrix objects of other libraries (ml-matrix and the like) that can give their rows.
  if (typeof (X as MatrixLike).to2DArray === 'function') return denseSource(packRows((X as MatrixLike).to2DArray(), `${name}.to2DArray()`, allowMissing));
  if (isArrowInput(X)) return readArrow(X, name);
  const o = X as Partial<TypedMatrixInput & ImageDataInput>;
  if (o.data !== undefined && o.rows === undefined && (o.width !== undefined || o.height !== undefined)) return readImageData(o, name);
  if (o.data !== undefined) return readTyped(o, name);
  throw new TypeError(`${name} must be ${FORMS}, got ${describe(X)}.`);
}

/**
 * X as a dense row-major Float64Array or Float32Array matrix: the input itself when it is one,
 * otherwise a copy (float32 for 8/16-bit integers and float32 columns, else float64). For the code
 * that reads rows in JavaScript (initialisation, model selection); fitting and scoring load a
 * MatrixSource into the backend without this copy.
 */
export function toMatrix(X: MatrixInput, name = 'X', finite = true, allowMissing = false): Rows {
  return denseRows(readMatrix(X, name, finite, allowMissing));
}

/** A source's rows as a dense matrix: `s.dense`, or a copy in the storage type `s.float32` says. */
export function denseRows(s: MatrixSource): Rows {
  if (s.dense) return s.dense;
  const data = s.float32 ? new Float32Array(s.rows * s.cols) : new Float64Array(s.rows * s.cols);
  copyRows(s, 0, s.rows, data, 0);
  return { data, rows: s.rows, cols: s.cols } as Rows;
}

/** X itself when dense, else its rows as a dense copy (denseRows). */
export function asRows(X: Rows | MatrixSource): Rows {
  return 'blocks' in X ? denseRows(X) : X;
}

/** The given rows of s (increasing indices), in that order, as a dense matrix in s's storage type. */
export function pickRows(s: MatrixSource, indices: ArrayLike<number>): Rows {
  const d = s.cols;
  const data = s.float32 ? new Float32Array(indices.length * d) : new Float64Array(indices.length * d);
  for (let r = 0; r < indices.length; r++) copyRows(s, indices[r], indices[r] + 1, data, r * d);
  return { data, rows: indices.length, cols: d } as Rows;
}

/** The source of a dense matrix (internal callers holding one). */
export function denseSource(m: Rows): MatrixSource {
  const columns: ColumnRef[] = [];
  for (let j = 0; j < m.cols; j++) columns.push({ data: m.data, offset: j, stride: m.cols });
  return { rows: m.rows, cols: m.cols, blocks: [{ rows: m.rows, columns }], float32: m.data instanceof Float32Array, dense: m };
}

/**
 * Writes rows [start, end) of s, row-major, into dst from element `at` on, converting to dst's
 * element type. Preconditions: 0 <= start <= end <= s.rows; dst has room for (end - start) * s.cols.
 */
export function copyRows(s: MatrixSource, start: number, end: number, dst: Float64Array | Float32Array, at: number): void {
  const d = s.cols;
  let first = 0; // index of the block's first row in s
  for (const block of s.blocks) {
    const lo = Math.max(start, first);
    const hi = Math.min(end, first + block.rows);
    if (lo < hi) {
      const out = at + (lo - start) * d;
      const base = rowMajorBase(block, d);
      if (base >= 0) {
        // Dense row-major rows (any element type): one native copy that also converts.
        const src = block.columns[0].data;
        dst.set(src.subarray(base + (lo - first) * d, base + (hi - first) * d), out);
      } else {
        for (let j = 0; j < d; j++) {
          const { data, offset, stride } = block.columns[j];
          for (let i = lo - first, o = out + j; i < hi - first; i++, o += d) dst[o] = data[offset + i * stride];
        }
      }
    }
    first += block.rows;
  }
}

/** The offset of the block's first element when its columns are dense row-major rows, else -1. */
function rowMajorBase(block: RowBlock, d: number): number {
  const c0 = block.columns[0];
  for (let j = 0; j < d; j++) {
    const c = block.columns[j];
    if (c.data !== c0.data || c.stride !== d || c.offset !== c0.offset + j) return -1;
  }
  return c0.offset;
}

/** `{ data, rows, cols, stride?, columns? }`. */
function readTyped(o: Partial<TypedMatrixInput>, name: string): MatrixSource {
  const { data, rows, cols } = o;
  if (!isNumericArray(data)) throw new TypeError(`${name}.data must be a ${ELEMENT_TYPES}, got ${describe(data)}.`);
  if (!Number.isInteger(rows) || rows! < 1) throw new RangeError(`${name}.rows must be an integer >= 1, got ${describe(rows)}.`);
  if (!Number.isInteger(cols) || cols! < 1) throw new RangeError(`${name}.cols must be an integer >= 1, got ${describe(cols)}.`);
  const n = rows!;
  const c = cols!;
  const stride = o.stride === undefined ? c : o.stride;
  if (!Number.isInteger(stride) || stride < c) {
    throw new RangeError(`${name}.stride must be an integer >= ${name}.cols (${c}), the elements from one row's start to the next; got ${describe(o.stride)}.`);
  }
  if (stride === c && data.length !== n * c) {
    throw new RangeError(`${name}.data has length ${data.length}, but rows * cols = ${n} * ${c} = ${n * c}.`);
  }
  const least = (n - 1) * stride + c;
  if (stride > c && (data.length < least || data.length > n * stride)) {
    throw new RangeError(`${name}.data has length ${data.length}, but ${n} rows of ${c} columns at stride ${stride} need from ${least} to ${n * stride} elements.`);
  }
  const picked = readColumns(o.columns, c, `${name}.columns`);
  return stridedSource(data, n, stride, picked);
}

/** ImageData `{ data, width, height }`: RGBA pixels, by default the R, G and B channels. */
function readImageData(o: Partial<ImageDataInput>, name: string): MatrixSource {
  const { data, width, height } = o;
  if (!(data instanceof Uint8ClampedArray) && !(data instanceof Uint8Array)) {
    throw new TypeError(`${name}.data of an ImageData must be a Uint8ClampedArray or Uint8Array of RGBA pixels, got ${describe(data)}.`);
  }
  if (!Number.isInteger(width) || width! < 1) throw new RangeError(`${name}.width must be an integer >= 1, got ${describe(width)}.`);
  if (!Number.isInteger(height) || height! < 1) throw new RangeError(`${name}.height must be an integer >= 1, got ${describe(height)}.`);
  const n = width! * height!;
  if (data.length !== n * 4) {
    throw new RangeError(`${name}.data has length ${data.length}, but width * height * 4 (RGBA) = ${width} * ${height} * 4 = ${n * 4}.`);
  }
  const picked = o.columns === undefined ? [0, 1, 2] : readColumns(o.columns, 4, `${name}.columns`);
  return stridedSource(data, n, 4, picked);
}

/** `columns` (default 0..cols-1): distinct integers in [0, cols), at least one. */
function readColumns(columns: ArrayLike<number> | undefined, cols: number, name: string): number[] {
  if (columns === undefined) return Array.from({ length: cols }, (_, j) => j);
  if (columns === null || typeof columns !== 'object' || typeof columns.length !== 'number' || columns.length < 1) {
    throw new TypeError(`${name} must be a non-empty array of column indices from 0 to ${cols - 1}, got ${describe(columns)}.`);
  }
  const seen = new Set<number>();
  const out: number[] = [];
  for (let j = 0; j < columns.length; j++) {
    const v = columns[j];
    if (!Number.isInteger(v) || v < 0 || v >= cols) {
      throw new RangeError(`${name}[${j}] must be a column index, an integer from 0 to ${cols - 1}, got ${describe(v)}.`);
    }
    if (seen.has(v)) throw new RangeError(`${name} lists column ${v} twice (at ${out.indexOf(v)} and ${j}); each column may be chosen once.`);
    seen.add(v);
    out.push(v);
  }
  return out;
}

/** Element (i, j) at data[i * stride + picked[j]]. */
function stridedSource(data: NumericArray, rows: number, stride: number, picked: number[]): MatrixSource {
  const d = picked.length;
  const block = { rows, columns: picked.map((offset) => ({ data, offset, stride })) };
  const isDense = stride === d && picked.every((p, j) => p === j) && (data instanceof Float64Array || data instanceof Float32Array);
  const dense = isDense ? ({ data, rows, cols: d } as Rows) : null;
  return { rows, cols: d, blocks: [block], float32: fitsFloat32(data), dense };
}

/**
 * Throws a RangeError naming the row and column of the first non-finite value of X (integer
 * columns are always finite); with `allowMissing` (missingValues: 'em'), NaN marks a missing entry
 * and only infinities are errors.
 */
export function assertFinite(X: Rows | MatrixSource, name: string, allowMissing = false): void {
  let first = 0;
  for (const block of ('blocks' in X ? X : denseSource(X)).blocks) {
    checkFinite(block, first, name, allowMissing);
    first += block.rows;
  }
}

/** assertFinite for one block whose first row is row `firstRow` of the input. */
function checkFinite(block: RowBlock, firstRow: number, name: string, allowMissing: boolean): void {
  const d = block.columns.length;
  let row = Infinity;
  let col = 0;
  const base = rowMajorBase(block, d);
  if (base >= 0) {
    const data = block.columns[0].data;
    if (!(data instanceof Float64Array || data instanceof Float32Array)) return;
    for (let i = base, end = base + block.rows * d; i < end; i++) {
      const v = data[i];
      if (v - v !== 0 && !(allowMissing && v !== v)) {
        row = Math.floor((i - base) / d);
        col = i - base - row * d;
        break;
      }
    }
  } else {
    // Column by column, keeping the earliest row (first in row-major order).
    for (let j = 0; j < d; j++) {
      const { data, offset, stride } = block.columns[j];
      if (!(data instanceof Float64Array || data instanceof Float32Array)) continue;
      for (let i = 0, at = offset; i < Math.min(row, block.rows); i++, at += stride) {
        const v = data[at];
        if (v - v !== 0 && !(allowMissing && v !== v)) {
          if (i < row) [row, col] = [i, j];
          break;
        }
      }
    }
  }
  if (row === Infinity) return;
  const c = block.columns[col];
  const v = c.data[c.offset + row * c.stride];
  const advice = v !== v ? "set missingValues: 'em' to fit with missing entries, or remove or impute them first" : 'remove or replace it first';
  throw new RangeError(`${name} contains a non-finite value (${v}) at row ${firstRow + row}, column ${col}; ${advice}.`);
}

/** Nested rows into a Float64Array; with `allowMissing`, null marks a missing entry (NaN). */
/** An object that can list its rows, as ml-matrix's Matrix does. */
interface MatrixLike {
  to2DArray(): ArrayLike<ArrayLike<number>>;
}

/** A flat list of numbers as an n x 1 matrix (null marks a missing entry with allowMissing). */
function packColumn(X: readonly unknown[], name: string, allowMissing: boolean): Matrix<Float64Array> {
  const data = new Float64Array(X.length);
  for (let i = 0; i < X.length; i++) {
    const v = X[i];
    if (v === null && allowMissing) {
      data[i] = NaN;
    } else if (typeof v === 'number') {
      data[i] = v;
    } else {
      const hint = v === null ? " (null marks a missing entry only with missingValues: 'em')" : '';
      throw new TypeError(`${name}[${i}] must be a number${hint} (X is read as one column of numbers), got ${describe(v)}.`);
    }
  }
  return { data, rows: X.length, cols: 1 };
}

function packRows(X: ArrayLike<ArrayLike<number>>, name: string, allowMissing: boolean): Matrix<Float64Array> {
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
      const v = row[j] as number | null;
      if (v === null && allowMissing) {
        data[i * cols + j] = NaN;
        continue;
      }
      if (typeof v !== 'number') {
        const hint = v === null ? " (null marks a missing entry only with missingValues: 'em')" : '';
        throw new TypeError(`${name}[${i}][${j}] must be a number${hint}, got ${describe(v)}.`);
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
  let max = 0;
  for (let i = 0; i < rows; i++) {
    const v = a[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new RangeError(`sampleWeight[${i}] must be a finite number >= 0, got ${describe(v)}.`);
    }
    out[i] = v;
    if (v > max) max = v;
  }
  if (!(max > 0)) throw new RangeError('sampleWeight must have a positive sum, got all zeros.');
  return out;
}

/**
 * Scales validated weights in place by a power of two that brings their mean near 1, for a fit in
 * which only their ratios mean anything (maximum likelihood). The absolute scale still reaches the
 * arithmetic: the M-step's 10 eps added to N_k outweighs weights of 1e-20, and sums of weights of
 * 1e308 overflow. Scaling by 2^e is exact (weights that average near 1 already are unchanged), so
 * multiplying all weights by any positive constant changes the fit only by the rounding of that
 * constant's ratio to a power of two. Not for statistics that are added across shards, nor for a
 * variational fit, whose priors weigh against the weights' sum.
 */
export function normalizeWeights(w: Float64Array): void {
  let max = 0;
  for (let i = 0; i < w.length; i++) if (w[i] > max) max = w[i];
  // First the largest weight into [1, 2) (so the sum cannot overflow), then the mean to ~1.
  scaleByPowerOfTwo(w, -Math.floor(Math.log2(max)));
  let sum = 0;
  for (let i = 0; i < w.length; i++) sum += w[i];
  scaleByPowerOfTwo(w, -Math.round(Math.log2(sum / w.length)));
}

/** a *= 2^e in place, in steps a float64 power of two can hold (|e| up to ~2100 for subnormal weights). */
function scaleByPowerOfTwo(a: Float64Array, e: number): void {
  while (e !== 0) {
    const step = Math.max(-1000, Math.min(1000, e));
    const f = 2 ** step;
    for (let i = 0; i < a.length; i++) a[i] *= f;
    e -= step;
  }
}
