import type { Matrix } from '../types.js';
import type { Backend, DataHandle, KernelParams, Stats } from './types.js';
import { instantiate, type GmmKernels } from '../wasm/loader.js';
import type { MatrixSource } from '../input.js';
import { copyRows } from '../input.js';

type Rows = Matrix<Float64Array> | Matrix<Float32Array>;

const PAGE_BYTES = 65536;
/** wasm32 addresses 65536 pages. */
const MAX_BYTES = 65536 * PAGE_BYTES;
/** Rows per emPass kernel call: a multiple of the kernels' 8-row block, so chunking changes no sum. */
const PASS_CHUNK_ROWS = 8192;
/**
 * score() and accumulate() move n x k responsibilities across the boundary in chunks of rows
 * through a buffer of about this size, so the arena never holds an n x k matrix.
 */
const IO_BYTES = 1 << 20;

const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

function formatBytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/** A data set in the arena: byte offsets of X (float64 or float32 rows) and of the weights (0: none). */
interface WasmHandle extends DataHandle {
  readonly owner: WasmBackend;
  readonly X: number;
  readonly w: number;
  readonly f32: boolean;
  /** The arena block holding X and w, or -1 for the matrix of allocateData (not freed by release). */
  readonly block: number;
}

/**
 * The per-call working set for k components of d features: parameters, statistics and kernel
 * scratch at byte offsets inside one arena block, laid out for the largest (k, d, family) seen.
 */
interface Work {
  k: number;
  d: number;
  tri: boolean;
  logWeights: number;
  means: number;
  precChol: number;
  logDet: number;
  N: number;
  S1: number;
  S2: number;
  sums: number; // [logLik, weightSum]
  shift: number;
  scratch: number;
  ioRows: number;
  ioLogProb: number;
  ioResp: number;
}

/** A disposed backend's instance with at most this much memory is kept for the next backend (below). */
export const SPARE_MAX_BYTES = 8 << 20;
/** Per module, the instance the last disposed backend left (if its memory was small) and the end of what it used. */
const spares = new WeakMap<WebAssembly.Module, { kernels: GmmKernels; used: number }>();

/**
 * A new instance's first thousand passes are 1-5 ms slower than later ones (V8 calls a fresh
 * instance's exports through its generic JS-to-WASM wrapper until they tier up), and selectModel on a
 * small data set makes one backend per call for a few thousand passes. So the next backend takes
 * the instance a disposed one left, with what it used zeroed, as the memory of a new instance is.
 */
function takeSpare(module: WebAssembly.Module): GmmKernels | null {
  const spare = spares.get(module);
  if (!spare) return null;
  spares.delete(module);
  const { kernels, used } = spare;
  new Uint8Array(kernels.memory.buffer).fill(0, kernels.heapBase(), used);
  return kernels;
}

/**
 * The WebAssembly backend: one instance, hence one linear memory, per backend, managed as an arena
 * of blocks after the module's static data: one per loaded data set, one working set for the
 * parameters, statistics and scratch of a call, one for Cholesky batches. Memory grows only when a
 * block needs more room, never inside a kernel loop; every typed-array view is re-created after it
 * grows. Results are copied out into the caller's arrays. Float32 data stay float32 (the kernels
 * widen 8 rows at a time); integer, strided and Arrow inputs are gathered and widened in `load`.
 */
export class WasmBackend implements Backend {
  private kernels: GmmKernels | null;
  private memory: WebAssembly.Memory | null;
  private f64: Float64Array;
  private readonly base: number;
  /** Allocated blocks [start, end), sorted by start. */
  private blocks: { start: number; end: number }[] = [];
  /** The end of the highest block ever allocated: nothing past it was written. */
  private highWater = 0;
  private work: (Work & { block: number; bytes: number }) | null = null;
  private chol: { block: number; bytes: number } | null = null;
  /** The matrix handed out by allocateData, and its block. */
  private pinned: { data: Float64Array; rows: number; cols: number; block: number } | null = null;

  constructor(
    private readonly module: WebAssembly.Module,
    readonly name: 'wasm' | 'wasm-scalar',
  ) {
    this.kernels = takeSpare(module) ?? instantiate(module);
    this.memory = this.kernels.memory;
    this.f64 = new Float64Array(this.memory.buffer);
    this.base = align16(this.kernels.heapBase());
  }

  /** Current size of this backend's WebAssembly memory in bytes (0 once disposed). */
  get memoryBytes(): number {
    return this.memory ? this.memory.buffer.byteLength : 0;
  }

  /**
   * A rows x cols Float64Array that lives in this backend's WebAssembly memory, for the caller to
   * fill; `load` of exactly this matrix copies nothing. `room` bytes more are reserved now (the
   * caller's estimate of what fitting it allocates), so the view stays valid through those fits; it
   * is emptied when the memory grows beyond that, by another allocateData, and by dispose().
   */
  allocateData(rows: number, cols: number, room: number): Matrix<Float64Array> {
    this.live();
    if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`rows must be an integer >= 1, got ${rows}.`);
    if (!Number.isInteger(cols) || cols < 1) throw new RangeError(`cols must be an integer >= 1, got ${cols}.`);
    if (this.pinned) this.free(this.pinned.block);
    this.pinned = null;
    const block = this.allocate(rows * cols * 8, `X of ${rows} x ${cols}`);
    // Grow now for what fitting these rows will allocate, so that the view outlives the fit.
    const end = this.blocks.reduce((e, b) => Math.max(e, b.end), this.base);
    this.ensureBytes(end + align16(room), `X of ${rows} x ${cols} and room to fit it`);
    const data = new Float64Array(this.memory!.buffer, block, rows * cols);
    this.pinned = { data, rows, cols, block };
    return { data, rows, cols };
  }

  /** Bytes of the per-call working set and the Cholesky batch for k components of d features (allocateData's room). */
  workBytes(k: number, d: number, tri: boolean): number {
    const kernels = this.live();
    const scratch = kernels.scratchBytes(d, k, tri) >>> 0;
    const ioRows = Math.max(1, Math.floor(IO_BYTES / ((k + 1) * 8)));
    const sizes = [k, k * d, tri ? (k * d * (d + 1)) / 2 : k * d, k, k, k * d, tri ? k * d * d : k * d, 2, k * d, scratch / 8, ioRows, ioRows * k, k * d * d, k, d * d];
    return sizes.reduce((sum, n) => sum + align16(n * 8), 0);
  }

  load(X: Rows | MatrixSource, weights: Float64Array | null): DataHandle {
    this.live();
    const { rows, cols } = X;
    const source = 'blocks' in X ? X : null;
    const dense = source ? source.dense : (X as Rows);
    const f32 = source ? source.float32 : dense!.data instanceof Float32Array;
    const pin = this.pinned;
    const inPlace = pin !== null && dense !== null && dense.data === pin.data && pin.data.buffer === this.memory!.buffer && rows === pin.rows && cols === pin.cols;
    const xBytes = align16(rows * cols * (f32 ? 4 : 8));
    const wBytes = weights ? rows * 8 : 0;
    let block = -1;
    let xAt: number;
    let wAt = 0;
    if (inPlace) {
      xAt = pin.block;
      if (weights) wAt = block = this.allocate(wBytes, `weights of ${rows} rows`);
    } else {
      xAt = block = this.allocate(xBytes + wBytes, `X of ${rows} x ${cols}`);
      if (weights) wAt = xAt + xBytes;
      // Strided, integer and Arrow rows are gathered and widened in this copy, which happens anyway.
      const into = f32 ? new Float32Array(this.memory!.buffer, xAt, rows * cols) : this.f64.subarray(xAt / 8, xAt / 8 + rows * cols);
      if (source) copyRows(source, 0, rows, into, 0);
      else into.set(dense!.data.subarray(0, rows * cols));
    }
    if (weights) this.f64.set(weights.subarray(0, rows), wAt / 8);
    const h: WasmHandle = { owner: this, rows, cols, weighted: weights !== null, X: xAt, w: wAt, f32, block };
    return h;
  }

  release(h: DataHandle): void {
    const wh = this.handle(h);
    if (wh.block >= 0) this.free(wh.block);
  }

  emPass(h: DataHandle, p: KernelParams, out: Stats): void {
    const H = this.handle(h);
    const W = this.setParams(H, p);
    const rowBytes = H.f32 ? H.cols * 4 : H.cols * 8;
    const n = H.rows;
    // In chunks: V8 runs a fresh instance's first long call on baseline code and tiers up only
    // between calls, which matters most in workers (a new instance per fit).
    for (let start = 0; start < n; start += PASS_CHUNK_ROWS) {
      const rows = Math.min(PASS_CHUNK_ROWS, n - start);
      this.kernels!.emPass(
        W.tri ? 1 : 0, H.f32 ? 1 : 0, H.X + start * rowBytes, H.w && H.w + start * 8, rows, W.d, W.k,
        W.logWeights, W.means, W.precChol, W.logDet,
        W.N, W.S1, W.S2, W.sums, W.scratch, start === 0 ? 1 : 0, start + rows >= n ? 1 : 0,
      );
    }
    this.copyStats(W, out);
    out.shift.set(p.means);
  }

  accumulate(h: DataHandle, resp: Float64Array, shift: Float64Array, out: Stats): void {
    const H = this.handle(h);
    const W = this.workFor(out.k, H.cols, out.family === 'tri');
    const { d, k } = W;
    const rowBytes = H.f32 ? d * 4 : d * 8;
    this.put(shift, W.shift, k * d);
    // N, S1, S2 and sums are adjacent in the working set.
    this.f64.fill(0, W.N / 8, W.sums / 8 + 2);
    for (let start = 0; start < H.rows; start += W.ioRows) {
      const rows = Math.min(W.ioRows, H.rows - start);
      this.put(resp.subarray(start * k), W.ioResp, rows * k);
      this.kernels!.accumulate(
        W.tri ? 1 : 0, H.f32 ? 1 : 0, H.X + start * rowBytes, H.w && H.w + start * 8, rows, d, k, W.ioResp, W.shift,
        W.N, W.S1, W.S2, W.sums, W.scratch,
      );
    }
    this.copyStats(W, out);
    out.shift.set(shift.subarray(0, k * d));
  }

  score(h: DataHandle, p: KernelParams, logProb: Float64Array, resp: Float64Array | null): number {
    const H = this.handle(h);
    const W = this.setParams(H, p);
    const { d, k } = W;
    const rowBytes = H.f32 ? d * 4 : d * 8;
    let total = 0;
    for (let start = 0; start < H.rows; start += W.ioRows) {
      const rows = Math.min(W.ioRows, H.rows - start);
      total = this.kernels!.score(
        W.tri ? 1 : 0, H.f32 ? 1 : 0, H.X + start * rowBytes, H.w && H.w + start * 8, rows, d, k,
        W.logWeights, W.means, W.precChol, W.logDet,
        W.ioLogProb, resp ? W.ioResp : 0, W.scratch, total,
      );
      logProb.set(this.view(W.ioLogProb, rows), start);
      if (resp) resp.set(this.view(W.ioResp, rows * k), start * k);
    }
    return total;
  }

  precisionCholesky(cov: Float64Array, k: number, d: number, precChol: Float64Array, logDet: Float64Array): number {
    const kernels = this.live();
    // Covariances are factored in place (the kernel allows precChol === cov).
    const bytes = align16(k * d * d * 8) + align16(k * 8) + align16(d * d * 8);
    if (this.chol === null || this.chol.bytes < bytes) {
      if (this.chol) this.free(this.chol.block);
      this.chol = null;
      this.chol = { block: this.allocate(bytes, `${k} covariance matrices of ${d} x ${d}`), bytes };
    }
    const covAt = this.chol.block;
    const logDetAt = covAt + align16(k * d * d * 8);
    const L = logDetAt + align16(k * 8);
    this.put(cov, covAt, k * d * d);
    const failed = kernels.precisionCholesky(covAt, k, d, covAt, logDetAt, L);
    if (failed < 0) {
      this.take(precChol, covAt, k * d * d);
      this.take(logDet, logDetAt, k);
    }
    return failed;
  }

  /**
   * Frees the memory, or keeps the instance for the next backend when its memory is at most
   * SPARE_MAX_BYTES (takeSpare); either way a view from allocateData becomes empty (the buffer is detached).
   */
  dispose(): void {
    const kernels = this.kernels;
    if (kernels && kernels.memory.buffer.byteLength <= SPARE_MAX_BYTES) {
      spares.set(this.module, { kernels, used: this.highWater });
    }
    this.memory?.grow(0);
    this.kernels = null;
    this.memory = null;
    this.f64 = new Float64Array(0);
    this.blocks = [];
    this.work = null;
    this.chol = null;
    this.pinned = null;
  }

  private live(): GmmKernels {
    if (!this.kernels) throw new Error('WasmBackend: used after dispose()');
    return this.kernels;
  }

  private handle(h: DataHandle): WasmHandle {
    this.live();
    const wh = h as WasmHandle;
    if (wh.owner !== this) throw new Error('WasmBackend: a data handle of another backend');
    return wh;
  }

  /** Copies p into the working set for h's d, after checking it fits. */
  private setParams(H: WasmHandle, p: KernelParams): Work {
    if (p.d !== H.cols) throw new Error(`WasmBackend: parameters for d=${p.d} do not match the data (d=${H.cols})`);
    const W = this.workFor(p.k, p.d, p.family === 'tri');
    const { k, d } = W;
    this.put(p.logWeights, W.logWeights, k);
    this.put(p.means, W.means, k * d);
    this.put(p.precChol, W.precChol, W.tri ? (k * d * (d + 1)) / 2 : k * d);
    this.put(p.logDet, W.logDet, k);
    return W;
  }

  /** The working set laid out for k, d and the family, in a block replaced when it is too small. */
  private workFor(k: number, d: number, tri: boolean): Work {
    const w = this.work;
    if (w && w.k === k && w.d === d && w.tri === tri) return w;
    const scratchBytes = this.kernels!.scratchBytes(d, k, tri) >>> 0;
    const ioRows = Math.max(1, Math.floor(IO_BYTES / ((k + 1) * 8)));
    const packed = tri ? (k * d * (d + 1)) / 2 : k * d;
    const s2 = tri ? k * d * d : k * d;
    const sizes = [k, k * d, packed, k, k, k * d, s2, 2, k * d, scratchBytes / 8, ioRows, ioRows * k];
    const bytes = sizes.reduce((sum, n) => sum + align16(n * 8), 0);
    let capacity = w ? w.bytes : 0;
    let block = w ? w.block : 0;
    if (capacity < bytes) {
      if (w) this.free(w.block);
      this.work = null;
      block = this.allocate(bytes, `the working set for ${k} components of ${d} features`);
      capacity = bytes;
    }
    let at = block;
    const take = (f64s: number): number => {
      const off = at;
      at += align16(f64s * 8);
      return off;
    };
    // In the order of `sizes`; N, S1, S2 and sums stay adjacent (accumulate clears them in one fill).
    this.work = {
      k, d, tri,
      logWeights: take(k), means: take(k * d), precChol: take(packed), logDet: take(k),
      N: take(k), S1: take(k * d), S2: take(s2), sums: take(2),
      shift: take(k * d), scratch: take(scratchBytes / 8), ioRows, ioLogProb: take(ioRows), ioResp: take(ioRows * k),
      block, bytes: capacity,
    };
    return this.work;
  }

  /** First fit among the gaps between blocks, else at the end (growing the memory); 16-byte aligned. */
  private allocate(bytes: number, what: string): number {
    const size = align16(Math.max(16, bytes));
    let at = this.base;
    let index = 0;
    for (; index < this.blocks.length; index++) {
      if (this.blocks[index].start - at >= size) break;
      at = this.blocks[index].end;
    }
    this.ensureBytes(at + size, what);
    this.blocks.splice(index, 0, { start: at, end: at + size });
    this.highWater = Math.max(this.highWater, at + size);
    return at;
  }

  private free(start: number): void {
    const i = this.blocks.findIndex((b) => b.start === start);
    if (i >= 0) this.blocks.splice(i, 1);
  }

  /** Grows memory to at least `bytes`, or throws a RangeError naming what did not fit. */
  private ensureBytes(bytes: number, what: string): void {
    const memory = this.memory!;
    const have = memory.buffer.byteLength;
    if (bytes <= have) return;
    const need = `${what} needs ${formatBytes(bytes)} (${bytes} bytes) of WebAssembly memory`;
    if (bytes > MAX_BYTES) {
      throw new RangeError(`${need}; the limit is 4 GiB: fit a subsample, fewer columns, or the rows in chunks ({ cols, chunks }), or use backend: 'js'`);
    }
    try {
      memory.grow(Math.ceil((bytes - have) / PAGE_BYTES));
    } catch (cause) {
      throw new RangeError(`${need}, and the JavaScript engine refused to grow it: fit a subsample or the rows in chunks, or use backend: 'js'`, { cause });
    }
    // Growing detaches the old buffer (and the view handed out by allocateData).
    this.f64 = new Float64Array(memory.buffer);
    if (this.pinned) this.pinned = { ...this.pinned, data: new Float64Array(0) };
  }

  private view(byteOffset: number, length: number): Float64Array {
    return this.f64.subarray(byteOffset / 8, byteOffset / 8 + length);
  }

  /**
   * Copies `length` float64 from the arena into dst[0 ..). Small copies (every iteration's statistics
   * and factors) loop instead of making a subarray view, which would be garbage each iteration.
   */
  private take(dst: Float64Array, byteOffset: number, length: number): void {
    const f = this.f64;
    const o = byteOffset / 8;
    if (length > 256) dst.set(f.subarray(o, o + length));
    else for (let i = 0; i < length; i++) dst[i] = f[o + i];
  }

  /** Copies src[0 .. length) into the arena; small copies loop, as in take(). */
  private put(src: Float64Array, byteOffset: number, length: number): void {
    const f = this.f64;
    const o = byteOffset / 8;
    if (length > 256) f.set(src.length === length ? src : src.subarray(0, length), o);
    else for (let i = 0; i < length; i++) f[o + i] = src[i];
  }

  private copyStats(W: Work, out: Stats): void {
    const { k, d } = W;
    this.take(out.N, W.N, k);
    this.take(out.S1, W.S1, k * d);
    this.take(out.S2, W.S2, W.tri ? k * d * d : k * d);
    out.logLik = this.f64[W.sums / 8];
    out.weightSum = this.f64[W.sums / 8 + 1];
  }
}
