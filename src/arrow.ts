import type { ArrowInput, ArrowTableLike } from './types.js';
import type { ColumnRef, MatrixSource, RowBlock } from './input.js';
import { fitsFloat32, isNumericArray } from './numeric-array.js';
import { describe } from './errors.js';

/**
 * Apache Arrow tables and record batches as matrix inputs. `apache-arrow` is an optional peer
 * dependency that is never imported: its objects are recognised by shape (a `schema` with `fields`,
 * `numRows`, `getChildAt`), so the package keeps zero runtime dependencies and works with any copy
 * of the library (DuckDB-Wasm and parquet-wasm results included). Each record batch becomes one
 * block of rows whose columns are the batches' value arrays, read in place.
 */

/** The part of an Arrow `Data` (one column of one batch) that is read. */
interface ArrowData {
  readonly values: unknown;
  readonly length: number;
  readonly nullCount: number;
  readonly type: { readonly typeId: number; readonly bitWidth?: number; readonly precision?: number; toString(): string };
}

interface ArrowVector {
  readonly data: readonly ArrowData[];
  isValid(index: number): boolean;
}

// apache-arrow's Type enum values (stable since Arrow 1.0) and Precision.HALF.
const TYPE_INT = 2;
const TYPE_FLOAT = 3;
const PRECISION_HALF = 0;

function isArrowLike(x: unknown): x is ArrowTableLike {
  if (x === null || typeof x !== 'object') return false;
  const t = x as Partial<ArrowTableLike>;
  return typeof t.getChildAt === 'function' && typeof t.numRows === 'number' && Array.isArray(t.schema?.fields);
}

/** Whether X is an Arrow Table / RecordBatch, or `{ table, columns? }` around one. */
export function isArrowInput(X: unknown): X is ArrowTableLike | ArrowInput {
  return isArrowLike(X) || (X !== null && typeof X === 'object' && 'table' in X && isArrowLike((X as ArrowInput).table));
}

/**
 * The selected numeric columns of an Arrow Table or RecordBatch, batch by batch, without a copy.
 * Columns must be Float64, Float32 or integers of at most 32 bits, without nulls (TypeError naming
 * the column, and for nulls the first row); `columns` (names) defaults to every column.
 */
export function readArrow(X: ArrowTableLike | ArrowInput, name: string): MatrixSource {
  const wrapped = !isArrowLike(X);
  const table = wrapped ? (X as ArrowInput).table : (X as ArrowTableLike);
  const names = table.schema.fields.map((f) => f.name);
  const selection = wrapped ? (X as ArrowInput).columns : undefined;
  const picked = selection === undefined ? names.map((_, i) => i) : pickColumns(selection, names, `${name}.columns`);
  if (picked.length === 0) throw new RangeError(`${name} has no columns; an Arrow input needs at least one numeric column.`);
  const batches = (table as { batches?: unknown }).batches;
  const parts = (Array.isArray(batches) ? batches : [table]) as ArrowTableLike[];
  const blocks: RowBlock[] = [];
  let rows = 0;
  let float32 = true;
  for (const batch of parts) {
    if (batch.numRows === 0) continue;
    const columns: ColumnRef[] = [];
    for (const index of picked) {
      const column = `${name} column '${names[index]}'`;
      const vector = batch.getChildAt(index) as ArrowVector | null;
      const chunks = vector?.data;
      if (!Array.isArray(chunks) || chunks.length !== 1) {
        throw new TypeError(`${column} is not an Arrow vector with one chunk per record batch; pass an apache-arrow Table or RecordBatch.`);
      }
      const data = chunks[0];
      const { typeId, bitWidth, precision } = data.type;
      const numeric = (typeId === TYPE_INT && (bitWidth ?? 64) <= 32) || (typeId === TYPE_FLOAT && precision !== PRECISION_HALF);
      if (!numeric || !isNumericArray(data.values) || data.values.length < data.length) {
        throw new TypeError(
          `${column} has Arrow type ${String(data.type)}; the accepted column types are Float64, Float32 and Int8 to Int32, Uint8 to Uint32 (cast 64-bit integers, Float16 or decimals first).`,
        );
      }
      if (data.nullCount > 0) {
        let first = 0;
        while (first < data.length && vector!.isValid(first)) first++;
        throw new TypeError(
          `${column} has ${data.nullCount} null value${data.nullCount > 1 ? 's' : ''}, the first at row ${rows + first}; missing values are not accepted here: drop or impute them first.`,
        );
      }
      // `values` starts at the batch's first row (arrow-js applies a slice's offset to it).
      columns.push({ data: data.values, offset: 0, stride: 1 });
      float32 &&= fitsFloat32(data.values);
    }
    blocks.push({ rows: batch.numRows, columns });
    rows += batch.numRows;
  }
  if (rows === 0) throw new RangeError(`${name} must have at least one row, got an Arrow ${wrapped ? 'table' : 'input'} with 0 rows.`);
  return { rows, cols: picked.length, blocks, float32, dense: null };
}

/** Column names -> their indices in the schema; unknown or repeated names are a RangeError listing what exists. */
function pickColumns(selection: unknown, names: string[], name: string): number[] {
  if (!Array.isArray(selection) || selection.length === 0) {
    throw new TypeError(`${name} must be a non-empty array of column names (${names.map((n) => JSON.stringify(n)).join(', ')}), got ${describe(selection)}.`);
  }
  const out: number[] = [];
  for (let j = 0; j < selection.length; j++) {
    const index = names.indexOf(selection[j]);
    if (typeof selection[j] !== 'string' || index < 0) {
      throw new RangeError(`${name}[${j}] is ${describe(selection[j])}, not a column of the table; its columns are ${names.map((n) => JSON.stringify(n)).join(', ')}.`);
    }
    if (out.includes(index)) throw new RangeError(`${name} lists column ${JSON.stringify(selection[j])} twice; each column may be chosen once.`);
    out.push(index);
  }
  return out;
}
