import type { Matrix, MatrixInput } from './types.js';
import type { Backend, KernelParams, Stats } from './backend/types.js';
import { createStats } from './backend/types.js';
import type { PassEngine } from './em.js';
import type { ChunkWorkers } from './parallel.js';
import { MissingEngine, hasMissing } from './missing.js';
import type { MatrixSource } from './input.js';
import { assertFinite, denseRows, readMatrix } from './input.js';
import { Random } from './random.js';
import { abortError, describe } from './errors.js';

/**
 * Data given as a sequence of chunks instead of one matrix: a file read piece by piece, a database
 * cursor, rows generated on the fly. `chunks()` is called again for every pass over the data and
 * must yield the same rows in the same order each time (EM's monotone log-likelihood depends on it);
 * each item is any matrix input `fit` accepts, with `cols` columns (e.g. an Arrow table's record
 * batches: `chunks: () => table.batches`). Memory is bounded by the largest chunk, not by the
 * number of rows.
 */
export interface ChunkSource {
  /** Number of columns of every chunk. */
  cols: number;
  /** A fresh iteration over all rows, chunk by chunk (sync or async). */
  chunks: () => Iterable<MatrixInput> | AsyncIterable<MatrixInput>;
}

/** Rows of a chunk source that initialisation works on (a seeded reservoir sample). */
export const SOURCE_SAMPLE_ROWS = 100_000;

export function isChunkSource(x: unknown): x is ChunkSource {
  return x !== null && typeof x === 'object' && !Array.isArray(x) && typeof (x as ChunkSource).chunks === 'function';
}

/** Validates a chunk source's shape (not its chunks: those are checked as they arrive). */
export function checkSource(source: ChunkSource, name = 'X'): void {
  if (!Number.isInteger(source.cols) || source.cols < 1) {
    throw new RangeError(`${name}.cols must be an integer >= 1 (the number of columns of every chunk), got ${describe(source.cols)}.`);
  }
}

/**
 * Calls `each` with every chunk of `source` in order, checked (`cols` columns, and finite values
 * unless `checkFinite` is false) and described in place (readMatrix: the backend's load makes the
 * one copy); returns the number of rows. Stops with an AbortError between chunks when `signal` fires.
 */
export async function forEachChunk(
  source: ChunkSource,
  signal: AbortSignal | undefined,
  each: (m: MatrixSource, index: number) => void | Promise<void>,
  checkFinite = true,
  allowMissing = false,
): Promise<number> {
  const iterable = source.chunks();
  if (iterable === null || typeof iterable !== 'object' || !(Symbol.iterator in iterable || Symbol.asyncIterator in iterable)) {
    throw new TypeError(`X.chunks() must return an iterable or async iterable of matrices, got ${describe(iterable)}.`);
  }
  let rows = 0;
  let index = 0;
  for await (const item of iterable) {
    if (signal?.aborted) throw abortError(signal);
    // An empty chunk (e.g. the remainder of a reader) carries no rows: skip it.
    if (isEmpty(item)) continue;
    const m = readMatrix(item, `chunk ${index}`, checkFinite, allowMissing);
    if (m.cols !== source.cols) {
      throw new RangeError(`chunk ${index} has ${m.cols} columns, but the source declares cols = ${source.cols}.`);
    }
    await each(m, index);
    rows += m.rows;
    index++;
  }
  if (signal?.aborted) throw abortError(signal);
  return rows;
}

function isEmpty(item: unknown): boolean {
  if (Array.isArray(item)) return item.length === 0;
  if (item === null || typeof item !== 'object') return false;
  const { rows, numRows, table } = item as { rows?: unknown; numRows?: unknown; table?: { numRows?: unknown } };
  return rows === 0 || numRows === 0 || table?.numRows === 0;
}

/**
 * One pass over the source that counts its rows and draws a uniform sample of at most `size` of them
 * (Vitter's algorithm R, seeded). While the source has at most `size` rows the sample is all of
 * them, in order.
 */
export async function sampleSource(
  source: ChunkSource,
  size: number,
  seed: number,
  signal?: AbortSignal,
  allowMissing = false,
): Promise<{ sample: Matrix<Float64Array>; rows: number }> {
  const d = source.cols;
  let store = new Float64Array(Math.min(size, 1024) * d);
  const rng = new Random(seed);
  let seen = 0;
  const rows = await forEachChunk(source, signal, (chunk) => {
    const m = denseRows(chunk); // a copy only for integer, strided and Arrow chunks, in this first pass
    for (let i = 0; i < m.rows; i++, seen++) {
      let slot = seen;
      if (seen >= size) {
        slot = Math.floor(rng.uniform() * (seen + 1));
        if (slot >= size) continue;
      } else if ((seen + 1) * d > store.length) {
        const grown = new Float64Array(Math.min(size, 2 * (seen + 1)) * d);
        grown.set(store);
        store = grown;
      }
      for (let j = 0; j < d; j++) store[slot * d + j] = m.data[i * d + j];
    }
  }, true, allowMissing);
  if (rows === 0) throw new RangeError('X.chunks() yielded no rows.');
  const kept = Math.min(rows, size);
  return { sample: { data: store.slice(0, kept * d), rows: kept, cols: d }, rows };
}

/**
 * The EM pass over a chunk source: every chunk is loaded into the backend, run through the fused
 * E-step + accumulation, released, and its statistics added to the total (all about the same shift,
 * p.means, so the sums are exactly those of one pass over all rows, up to the order of additions).
 * With workers, each chunk is split across them, and the next chunk is read while they work on the
 * last. The source must yield the `rows` rows counted by the first pass.
 */
export class ChunkEngine implements PassEngine {
  private readonly part: Stats;

  constructor(
    readonly backend: Backend,
    readonly source: ChunkSource,
    readonly rows: number,
    k: number,
    family: Stats['family'],
    readonly signal?: AbortSignal,
    readonly workers: ChunkWorkers | null = null,
    /** missingValues 'em': NaN marks missing entries; a chunk with some goes through MissingEngine. */
    readonly missing = false,
  ) {
    this.part = createStats(k, source.cols, family);
  }

  /** The statistics of one chunk at p into this.part (overwritten). */
  private chunkPass(m: MatrixSource, p: KernelParams): void {
    if (this.missing) {
      const dense = denseRows(m);
      if (hasMissing(dense)) {
        const engine = new MissingEngine(this.backend, dense, null, this.part.k, this.part.family);
        try {
          engine.emPass(p, this.part);
        } finally {
          engine.release();
        }
        return;
      }
    }
    const h = this.backend.load(m, null);
    try {
      this.backend.emPass(h, p, this.part);
    } finally {
      this.backend.release(h);
    }
  }

  async emPass(p: KernelParams, out: Stats): Promise<void> {
    out.clear();
    out.shift.set(p.means);
    const workers = this.workers;
    let pending: Promise<void> = Promise.resolve();
    // The sampling pass checked every value; later passes read them only when a chunk's
    // log-likelihood is not finite (a source that changed, or a far point: then it is numerical).
    const rows = await forEachChunk(this.source, this.signal, async (m, index) => {
      if (workers) {
        // The statistics come back after the source may have reused m: check it now (the main
        // thread would wait for the workers meanwhile anyway).
        assertFinite(m, `chunk ${index}`);
        await pending;
        pending = workers.pass(m, p).then((parts) => {
          for (const s of parts) out.add(s);
        });
        pending.catch(() => undefined); // observed below; never an unhandled rejection meanwhile
        return;
      }
      this.chunkPass(m, p);
      if (!Number.isFinite(this.part.logLik)) assertFinite(m, `chunk ${index}`, this.missing);
      out.add(this.part);
    }, false, this.missing);
    await pending;
    if (rows !== this.rows) {
      throw new RangeError(
        `X.chunks() yielded ${rows} rows in this pass but ${this.rows} in the first; every pass must yield the same rows.`,
      );
    }
  }
}
