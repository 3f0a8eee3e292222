// The module's exports. Kernels take byte pointers into the arena JS lays out (see
// src/backend/wasm.ts); they allocate nothing.

export { heapBase, scratchBytes } from './memory';
export { score } from './estep';
export { accumulate } from './accumulate';
export { emPass } from './fused';
export { precisionCholesky } from './cholesky';
