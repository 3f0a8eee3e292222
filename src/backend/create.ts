import type { BackendOption } from '../options.js';
import type { Backend, BackendName } from './types.js';
import { JsBackend } from './js.js';
import { WasmBackend } from './wasm.js';
import { compileModule, compileModuleSync, isWasmAvailable, pickVariant } from '../wasm/loader.js';
import { GaussianMixtureError } from '../errors.js';

function variantFor(option: BackendOption): 'simd' | 'scalar' | null {
  if (option === 'js') return null;
  if (!isWasmAvailable()) {
    if (option === 'auto') return null;
    throw new GaussianMixtureError(
      'BACKEND_UNAVAILABLE',
      `backend '${option}' needs WebAssembly, which this environment does not provide; use backend: 'auto' or 'js'.`,
    );
  }
  return option === 'wasm-scalar' ? 'scalar' : pickVariant();
}

function wasmName(variant: 'simd' | 'scalar'): 'wasm' | 'wasm-scalar' {
  return variant === 'simd' ? 'wasm' : 'wasm-scalar';
}

/** The backend `option` resolves to here, without creating it. */
export function backendNameFor(option: BackendOption): BackendName {
  const variant = variantFor(option);
  return variant === null ? 'js' : wasmName(variant);
}

/** A fresh backend for `option`; compiles the WebAssembly module once per build and reuses it. */
export async function createBackend(option: BackendOption): Promise<Backend> {
  const variant = variantFor(option);
  if (variant === null) return new JsBackend();
  return new WasmBackend(await compileModule(variant), wasmName(variant));
}

/**
 * Synchronous twin of createBackend, for a model restored by fromJSON that predicts before any fit.
 * Where synchronous compilation is refused (a browser main thread with a large module) it uses JS.
 */
export function createBackendSync(option: BackendOption): Backend {
  const variant = variantFor(option);
  if (variant === null) return new JsBackend();
  try {
    return new WasmBackend(compileModuleSync(variant), wasmName(variant));
  } catch (err) {
    if (option === 'auto') return new JsBackend();
    throw err;
  }
}
