import type { KernelFamily, Matrix } from '../types.js';
import type { Backend, KernelParams, Stats } from './types.js';
import { instantiate, type GmmKernels } from '../wasm/loader.js';

const PAGE_BYTES = 65536;
/** wasm32 addresses 65536 pages. */
const MAX_BYTES = 65536 * PAGE_BYTES;
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
  /** Length of precChol and S2: k * d * d ('tri') or k * d ('diag'). */
  paramSize: number;
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

function planLayout(base: number, n: number, d: number, k: number, family: KernelFamily, weighted: boolean, scratchBytes: number): Layout {
  let at = base;
  const take = (f64s: number): number => {
    const off = at;
    at += align16(f64s * 8);
    return off;
  };
  const tri = family === 'tri';
  const paramSize = tri ? k * d * d : k * d;
  const ioRows = Math.max(1, Math.min(n, Math.floor(IO_BYTES / ((k + 1) * 8))));
  const layout: Layout = {
    n,
    d,
    k,
    tri: tri ? 1 : 0,
    paramSize,
    X: take(n * d),
    w: weighted ? take(n) : 0,
    logWeights: take(k),
    means: take(k * d),
    precChol: take(paramSize),
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
 */
export class WasmBackend implements Backend {
  private kernels: GmmKernels | null;
  private memory: WebAssembly.Memory | null;
  private f64: Float64Array;
  private readonly base: number;
  private layout: Layout | null = null;
  private hasParams = false;

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

  setData(X: Matrix<Float64Array> | Matrix<Float32Array>, weights: Float64Array | null, k: number, family: KernelFamily): void {
    const kernels = this.live();
    const { rows: n, cols: d } = X;
    const layout = planLayout(this.base, n, d, k, family, weights !== null, kernels.scratchBytes(d, k) >>> 0);
    this.ensureBytes(layout.reserved, `X of ${n} x ${d}`);
    // Float32 data is widened here; the kernels read f64 only.
    this.f64.set(X.data.subarray(0, n * d), layout.X / 8);
    if (weights) this.f64.set(weights.subarray(0, n), layout.w / 8);
    this.layout = layout;
    this.hasParams = false;
  }

  setParams(p: KernelParams): void {
    const L = this.data();
    if (p.k !== L.k || p.d !== L.d || (p.family === 'tri' ? 1 : 0) !== L.tri) {
      throw new Error(`WasmBackend: parameters for k=${p.k}, d=${p.d}, family '${p.family}' do not match the loaded data (k=${L.k}, d=${L.d})`);
    }
    this.put(p.logWeights, L.logWeights, L.k);
    this.put(p.means, L.means, L.k * L.d);
    this.put(p.precChol, L.precChol, L.paramSize);
    this.put(p.logDet, L.logDet, L.k);
    this.hasParams = true;
  }

  emPass(out: Stats): void {
    const L = this.params();
    this.clearStats(L);
    this.kernels!.emPass(
      L.tri, L.X, L.w, L.n, L.d, L.k,
      L.logWeights, L.means, L.precChol, L.logDet,
      L.N, L.S1, L.S2, L.sums, L.scratch,
    );
    this.copyStats(L, out);
  }

  accumulate(resp: Float64Array, shift: Float64Array, out: Stats): void {
    const L = this.data();
    const { n, d, k } = L;
    this.put(shift, L.shift, k * d);
    this.clearStats(L);
    for (let start = 0; start < n; start += L.ioRows) {
      const rows = Math.min(L.ioRows, n - start);
      this.put(resp.subarray(start * k), L.ioResp, rows * k);
      this.kernels!.accumulate(
        L.tri, L.X + start * d * 8, L.w && L.w + start * 8, rows, d, k, L.ioResp, L.shift,
        L.N, L.S1, L.S2, L.sums, L.scratch,
      );
    }
    this.copyStats(L, out);
  }

  score(logProb: Float64Array, resp: Float64Array | null): number {
    const L = this.params();
    const { n, d, k } = L;
    let total = 0;
    for (let start = 0; start < n; start += L.ioRows) {
      const rows = Math.min(L.ioRows, n - start);
      total = this.kernels!.score(
        L.tri, L.X + start * d * 8, L.w && L.w + start * 8, rows, d, k,
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
    const C = choleskyLayout(this.layout ? this.layout.end : this.base, k, d);
    this.ensureBytes(C.end, `${k} covariance matrices of ${d} x ${d}`);
    this.put(cov, C.cov, k * d * d);
    const failed = kernels.precisionCholesky(C.cov, k, d, C.cov, C.logDet, C.L);
    if (failed < 0) {
      precChol.set(this.view(C.cov, k * d * d));
      logDet.set(this.view(C.logDet, k));
    }
    return failed;
  }

  dispose(): void {
    this.kernels = null;
    this.memory = null;
    this.f64 = new Float64Array(0);
    this.layout = null;
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
    // Growing detaches the old buffer.
    this.f64 = new Float64Array(memory.buffer);
  }

  private view(byteOffset: number, length: number): Float64Array {
    return this.f64.subarray(byteOffset / 8, byteOffset / 8 + length);
  }

  private put(src: Float64Array, byteOffset: number, length: number): void {
    this.f64.set(src.subarray(0, length), byteOffset / 8);
  }

  private clearStats(L: Layout): void {
    // N, S1, S2 and sums are adjacent in the layout.
    this.f64.fill(0, L.N / 8, L.sums / 8 + 2);
  }

  private copyStats(L: Layout, out: Stats): void {
    out.N.set(this.view(L.N, L.k));
    out.S1.set(this.view(L.S1, L.k * L.d));
    out.S2.set(this.view(L.S2, L.paramSize));
    out.logLik = this.f64[L.sums / 8];
    out.weightSum = this.f64[L.sums / 8 + 1];
  }
}
