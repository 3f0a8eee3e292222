/**
 * The one module that turns bytes into WebAssembly: decodes the embedded kernels, probes for SIMD,
 * compiles each variant once and instantiates.
 * Uses only `atob` and the WebAssembly JS API, so it runs unchanged in Node, bundlers and Web Workers.
 */
import { SCALAR_WASM_BASE64, SIMD_WASM_BASE64 } from './bytes.generated.js';

export type WasmVariant = 'simd' | 'scalar';

/** The kernel exports (assembly/index.ts). Pointers are byte offsets into `memory`. */
export interface GmmKernels {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  scratchBytes(d: number, k: number, tri: boolean): number;
  /** f32 = 1: X holds float32 rows. `precChol` for tri = packed U^T lower rows (see assembly/fused.ts). */
  emPass(
    tri: number, f32: number, X: number, w: number, n: number, d: number, k: number,
    logWeights: number, means: number, precChol: number, logDet: number,
    N: number, S1: number, S2: number, sums: number, scratch: number,
    first: number, last: number,
  ): void;
  score(
    tri: number, f32: number, X: number, w: number, n: number, d: number, k: number,
    logWeights: number, means: number, precChol: number, logDet: number,
    logProb: number, resp: number, scratch: number, total: number,
  ): number;
  accumulate(
    tri: number, f32: number, X: number, w: number, n: number, d: number, k: number, resp: number, shift: number,
    N: number, S1: number, S2: number, sums: number, scratch: number,
  ): void;
  precisionCholesky(cov: number, k: number, d: number, precChol: number, logDet: number, L: number): number;
  /** dst[i] = exp(src[i]) / log(src[i]) with the kernels' own exp/log (tests and benchmarks). */
  expArray(src: number, dst: number, n: number): void;
  logArray(src: number, dst: number, n: number): void;
}

// (func (result v128) i32.const 0 i8x16.splat): validates only where SIMD is supported.
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x0f, 0x0b, // code section
]);
const EMPTY_MODULE = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

let wasmAvailable: boolean | undefined;
let simdAvailable: boolean | undefined;
const modules = new Map<WasmVariant, WebAssembly.Module>();
const pending = new Map<WasmVariant, Promise<WebAssembly.Module>>();

export function isWasmAvailable(): boolean {
  if (wasmAvailable === undefined) {
    wasmAvailable =
      typeof WebAssembly === 'object' && typeof WebAssembly.validate === 'function' && WebAssembly.validate(EMPTY_MODULE);
  }
  return wasmAvailable;
}

export function isSimdSupported(): boolean {
  if (simdAvailable === undefined) simdAvailable = isWasmAvailable() && WebAssembly.validate(SIMD_PROBE);
  return simdAvailable;
}

export function pickVariant(): WasmVariant {
  return isSimdSupported() ? 'simd' : 'scalar';
}

/** A fresh copy of a variant's module bytes (the caller may transfer or keep it). */
export function wasmBytes(variant: WasmVariant): Uint8Array<ArrayBuffer> {
  const text = atob(variant === 'simd' ? SIMD_WASM_BASE64 : SCALAR_WASM_BASE64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Compiles a variant once; later calls (async or sync) share the module. */
export function compileModule(variant: WasmVariant): Promise<WebAssembly.Module> {
  const ready = modules.get(variant);
  if (ready) return Promise.resolve(ready);
  let p = pending.get(variant);
  if (!p) {
    p = WebAssembly.compile(wasmBytes(variant)).then(
      (m) => {
        modules.set(variant, m);
        return m;
      },
      (err: unknown) => {
        pending.delete(variant);
        throw err;
      },
    );
    pending.set(variant, p);
  }
  return p;
}

/**
 * Synchronous compile, for a model restored with fromJSON that must predict before anything was
 * awaited. The kernels are small enough for browsers' main-thread limit on synchronous compiles.
 */
export function compileModuleSync(variant: WasmVariant): WebAssembly.Module {
  let m = modules.get(variant);
  if (!m) {
    m = new WebAssembly.Module(wasmBytes(variant));
    modules.set(variant, m);
  }
  return m;
}

/** A new instance, with its own memory. The kernels import nothing (stub runtime, no asserts). */
export function instantiate(module: WebAssembly.Module): GmmKernels {
  return new WebAssembly.Instance(module, {}).exports as unknown as GmmKernels;
}
