import type { KernelFamily, Matrix } from '../types.js';
import type { Backend, KernelParams, Stats } from './types.js';
import { instantiate, type GmmKernels } from '../wasm/loader.js';

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

/** Byte offsets of the arena regions, every one 16-byte aligned; `w` is 0 without weights. */
interface Layout {
  n: number;
  d: number;
  k: number;
  tri: number;
  /** 1 when X is stored as float32 (read and widened by the kernels 8 rows at a time). */
  f32: number;
  /** Length of S2: k * d * d ('tri') or k * d ('diag'). */
  paramSize: number;
  /** Length of the kernels' precision factors: k * d(d+1)/2 (packed U^T, 'tri') or k * d ('diag'). */
  precSize: number;
  X: number;
  w: number;
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
  /** Start of the precision-Cholesky region, which is always last so it can grow alone. */
  end: number;
  /** `end` plus the Cholesky region for this k and d, reserved up front for the 'tri' family. */
  reserved: number;
}

function planLayout(
  base: number, n: number, d: number, k: number, family: KernelFamily, weighted: boolean, scratchBytes: number, f32: boolean,
): Layout {
  let at = base;
  const take = (f64s: number): number => {
    const off = at;
    at += align16(f64s * 8);
    return off;
  };
  const tri = family === 'tri';
  const paramSize = tri ? k * d * d : k * d;
  const precSize = tri ? (k * d * (d + 1)) / 2 : k * d;
  const ioRows = Math.max(1, Math.min(n, Math.floor(IO_BYTES / ((k + 1) * 8))));
  const layout: Layout = {
    n,
    d,
    k,
    tri: tri ? 1 : 0,
    f32: f32 ? 1 : 0,
    paramSize,
    precSize,
    X: take(f32 ? (n * d) / 2 : n * d),
    w: weighted ? take(n) : 0,
    logWeights: take(k),
    means: take(k * d),
    precChol: take(precSize),
    logDet: take(k),
    N: take(k),
    S1: take(k * d),
    S2: take(paramSize),
    sums: take(2),
    shift: take(k * d),
    scratch: take(scratchBytes / 8),
    ioRows,
    ioLogProb: take(ioRows),
    ioResp: take(ioRows * k),
    end: 0,
    reserved: 0,
  };
  layout.end = at;
  layout.reserved = tri ? choleskyLayout(at, k, d).end : at;
  return layout;
}

/** Covariances are factored in place (the kernel allows precChol === cov). */
function choleskyLayout(at: number, k: number, d: number) {
  const cov = at;
  const logDet = cov + align16(k * d * d * 8);
  const L = logDet + align16(k * 8);
  return { cov, logDet, L, end: L + align16(d * d * 8) };
}

function formatBytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * The WebAssembly backend: one instance, hence one linear memory, per backend. JS lays out the
 * arena after the module's static data; memory grows only when a data set or a Cholesky batch needs
 * more room, never inside emPass/score/accumulate. Results are copied out into the caller's arrays.
 * Float32 data stay float32 in the arena (the kernels widen 8 rows at a time). `allocateData` hands
 * out a Float64Array inside the arena that setData then uses without a copy.
 */
export class WasmBackend implements Backend {
  private kernels: GmmKernels | null;
  private memory: WebAssembly.Memory | null;
  private f64: Float64Array;
  private readonly base: number;
  private layout: Layout | null = null;
  private hasParams = false;
  /** The region handed out by allocateData: [base, pinnedEnd); other data sets are laid out after it. */
  private pinned: { data: Float64Array; rows: number; cols: number; end: number } | null = null;

  constructor(
    module: WebAssembly.Module,
    readonly name: 'wasm' | 'wasm-scalar',
  ) {
    this.kernels = instantiate(module);
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
   * fill; `setData` of exactly this matrix copies nothing. Memory for fitting it with k components
   * (with or without sample weights) is reserved now, so the view stays valid through those fits;
   * loading a larger different data set later may grow the memory, which detaches the view.
   * A second call replaces the first region.
   */
  allocateData(rows: number, cols: number, k: number, family: KernelFamily): Matrix<Float64Array> {
    const kernels = this.live();
    if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`rows must be an integer >= 1, got ${rows}.`);
    if (!Number.isInteger(cols) || cols < 1) throw new RangeError(`cols must be an integer >= 1, got ${cols}.`);
    const layout = planLayout(this.base, rows, cols, k, family, true, kernels.scratchBytes(cols, k, family === 'tri') >>> 0, false);
    this.pinned = null;
    this.layout = null;
    this.hasParams = false;
    this.ensureBytes(layout.reserved, `X of ${rows} x ${cols}`);
    const data = new Float64Array(this.memory!.buffer, this.base, rows * cols);
    this.pinned = { data, rows, cols, end: this.base + align16(rows * cols * 8) };
    return { data, rows, cols };
  }

  setData(X: Matrix<Float64Array> | Matrix<Float32Array>, weights: Float64Array | null, k: number, family: KernelFamily): void {
    const kernels = this.live();
    const { rows: n, cols: d } = X;
    const f32 = X.data instanceof Float32Array;
    const pin = this.pinned;
    const inPlace =
      pin !== null && X.data === pin.data && pin.data.buffer === this.memory!.buffer && n === pin.rows && d === pin.cols;
    const base = inPlace || pin === null ? this.base : pin.end;
    const layout = planLayout(base, n, d, k, family, weights !== null, kernels.scratchBytes(d, k, family === 'tri') >>> 0, f32);
    this.ensureBytes(layout.reserved, `X of ${n} x ${d}`);
    if (!inPlace) {
      if (f32) new Float32Array(this.memory!.buffer, layout.X, n * d).set(X.data.subarray(0, n * d));
      else this.f64.set(X.data.subarray(0, n * d), layout.X / 8);
    }
    if (weights) this.f64.set(weights.subarray(0, n), layout.w / 8);
    this.layout = layout;
    this.hasParams = false;
  }

  setParams(p: KernelParams): void {
    const L = this.data();
    if (p.k !== L.k || p.d !== L.d || (p.family === 'tri' ? 1 : 0) !== L.tri) {
      throw new Error(`WasmBackend: parameters for k=${p.k}, d=${p.d}, family '${p.family}' do not match the loaded data (k=${L.k}, d=${L.d})`);
    }
    const { k, d } = L;
    this.put(p.logWeights, L.logWeights, k);
    this.put(p.means, L.means, k * d);
    if (L.tri) {
      // The kernels read U^T as packed lower rows: row j = column j of U (entries i <= j).
      const f = this.f64;
      const U = p.precChol;
      let o = L.precChol / 8;
      for (let c = 0; c < k; c++) {
        const u = c * d * d;
        for (let j = 0; j < d; j++) for (let i = 0; i <= j; i++) f[o++] = U[u + i * d + j];
      }
    } else {
      this.put(p.precChol, L.precChol, L.precSize);
    }
    this.put(p.logDet, L.logDet, k);
    this.hasParams = true;
  }

  emPass(out: Stats): void {
    const L = this.params();
    const { n } = L;
    const rowBytes = L.f32 ? L.d * 4 : L.d * 8;
    // In chunks: V8 runs a fresh instance's first long call on baseline code and tiers up only
    // between calls, which matters most in workers (a new instance per fit).
    for (let start = 0; start < n; start += PASS_CHUNK_ROWS) {
      const rows = Math.min(PASS_CHUNK_ROWS, n - start);
      this.kernels!.emPass(
        L.tri, L.f32, L.X + start * rowBytes, L.w && L.w + start * 8, rows, L.d, L.k,
        L.logWeights, L.means, L.precChol, L.logDet,
        L.N, L.S1, L.S2, L.sums, L.scratch, start === 0 ? 1 : 0, start + rows >= n ? 1 : 0,
      );
    }
    this.copyStats(L, out);
  }

  accumulate(resp: Float64Array, shift: Float64Array, out: Stats): void {
    const L = this.data();
    const { n, d, k } = L;
    const rowBytes = L.f32 ? d * 4 : d * 8;
    this.put(shift, L.shift, k * d);
    this.clearStats(L);
    for (let start = 0; start < n; start += L.ioRows) {
      const rows = Math.min(L.ioRows, n - start);
      this.put(resp.subarray(start * k), L.ioResp, rows * k);
      this.kernels!.accumulate(
        L.tri, L.f32, L.X + start * rowBytes, L.w && L.w + start * 8, rows, d, k, L.ioResp, L.shift,
        L.N, L.S1, L.S2, L.sums, L.scratch,
      );
    }
    this.copyStats(L, out);
  }

  score(logProb: Float64Array, resp: Float64Array | null): number {
    const L = this.params();
    const { n, d, k } = L;
    const rowBytes = L.f32 ? d * 4 : d * 8;
    let total = 0;
    for (let start = 0; start < n; start += L.ioRows) {
      const rows = Math.min(L.ioRows, n - start);
      total = this.kernels!.score(
        L.tri, L.f32, L.X + start * rowBytes, L.w && L.w + start * 8, rows, d, k,
        L.logWeights, L.means, L.precChol, L.logDet,
        L.ioLogProb, resp ? L.ioResp : 0, L.scratch, total,
      );
      logProb.set(this.view(L.ioLogProb, rows), start);
      if (resp) resp.set(this.view(L.ioResp, rows * k), start * k);
    }
    return total;
  }

  precisionCholesky(cov: Float64Array, k: number, d: number, precChol: Float64Array, logDet: Float64Array): number {
    const kernels = this.live();
    const C = choleskyLayout(this.layout ? this.layout.end : this.pinned ? this.pinned.end : this.base, k, d);
    this.ensureBytes(C.end, `${k} covariance matrices of ${d} x ${d}`);
    this.put(cov, C.cov, k * d * d);
    const failed = kernels.precisionCholesky(C.cov, k, d, C.cov, C.logDet, C.L);
    if (failed < 0) {
      this.take(precChol, C.cov, k * d * d);
      this.take(logDet, C.logDet, k);
    }
    return failed;
  }

  dispose(): void {
    this.kernels = null;
    this.memory = null;
    this.f64 = new Float64Array(0);
    this.layout = null;
    this.pinned = null;
    this.hasParams = false;
  }

  private live(): GmmKernels {
    if (!this.kernels) throw new Error('WasmBackend: used after dispose()');
    return this.kernels;
  }

  private data(): Layout {
    this.live();
    if (!this.layout) throw new Error('WasmBackend: setData was not called');
    return this.layout;
  }

  private params(): Layout {
    const L = this.data();
    if (!this.hasParams) throw new Error('WasmBackend: setParams was not called');
    return L;
  }

  /** Grows memory to at least `bytes`, or throws a RangeError naming what did not fit. */
  private ensureBytes(bytes: number, what: string): void {
    const memory = this.memory!;
    const have = memory.buffer.byteLength;
    if (bytes <= have) return;
    const need = `${what} needs ${formatBytes(bytes)} (${bytes} bytes) of WebAssembly memory`;
    if (bytes > MAX_BYTES) {
      throw new RangeError(`${need}; the limit is 4 GiB: fit a subsample or fewer columns, or use backend: 'js'`);
    }
    try {
      memory.grow(Math.ceil((bytes - have) / PAGE_BYTES));
    } catch (cause) {
      throw new RangeError(`${need}, and the JavaScript engine refused to grow it: fit a subsample or fewer columns, or use backend: 'js'`, { cause });
    }
    // Growing detaches the old buffer (and any view handed out by allocateData).
    this.f64 = new Float64Array(memory.buffer);
    if (this.pinned) this.pinned = null;
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

  private put(src: Float64Array, byteOffset: number, length: number): void {
    this.f64.set(src.length === length ? src : src.subarray(0, length), byteOffset / 8);
  }

  private clearStats(L: Layout): void {
    // N, S1, S2 and sums are adjacent in the layout.
    this.f64.fill(0, L.N / 8, L.sums / 8 + 2);
  }

  private copyStats(L: Layout, out: Stats): void {
    this.take(out.N, L.N, L.k);
    this.take(out.S1, L.S1, L.k * L.d);
    this.take(out.S2, L.S2, L.paramSize);
    out.logLik = this.f64[L.sums / 8];
    out.weightSum = this.f64[L.sums / 8 + 1];
  }
}
