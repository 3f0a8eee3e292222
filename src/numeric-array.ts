import type { NumericArray } from './types.js';

/** Whether `a` is one of the typed arrays a matrix may hold (NumericArray). */
export function isNumericArray(a: unknown): a is NumericArray {
  return (
    a instanceof Float64Array || a instanceof Float32Array || a instanceof Int32Array || a instanceof Uint32Array ||
    a instanceof Int16Array || a instanceof Uint16Array || a instanceof Int8Array || a instanceof Uint8Array ||
    a instanceof Uint8ClampedArray
  );
}

/** Whether float32 holds every value of this element type exactly (float32 and 8/16-bit integers). */
export function fitsFloat32(a: NumericArray): boolean {
  return !(a instanceof Float64Array || a instanceof Int32Array || a instanceof Uint32Array);
}
