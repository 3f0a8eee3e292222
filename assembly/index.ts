// The module's exports. Kernels take byte pointers into the arena JS lays out (see
// src/backend/wasm.ts); they allocate nothing.

export { heapBase, scratchBytes } from './memory';
export { emPass, score } from './fused';
export { accumulate } from './accumulate';
export { precisionCholesky } from './cholesky';
export { expArray, logArray } from './math';
