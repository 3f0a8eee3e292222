export { GaussianMixture } from './model.js';
export type { FitOptions, GaussianMixtureJSON, NestedArray } from './model.js';
export type { GaussianMixtureOptions, IterationInfo, InitOption, InitParameters, InitStrategy, BackendOption } from './options.js';
export { GaussianMixtureError } from './errors.js';
export type { GaussianMixtureErrorCode } from './errors.js';
export type { CovarianceType, Matrix, MatrixInput } from './types.js';
export { selectModel } from './select.js';
export type { Selection, SelectionOptions, SelectionRow } from './select.js';
export { activeWorkerCount } from './parallel.js';
