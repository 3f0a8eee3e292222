/** Stable codes of `GaussianMixtureError`; the message says what failed and what to change. */
export type GaussianMixtureErrorCode =
  /** predict/score/sample/... called before `fit` (or after `dispose`). */
  | 'NOT_FITTED'
  /** A covariance is not positive definite even with `regCovar` added. */
  | 'ILL_DEFINED_COVARIANCE'
  /** The log-likelihood or a covariance became non-finite (data too large in magnitude, or all densities underflowed). */
  | 'NUMERICAL_FAILURE'
  /** The requested backend cannot run here (e.g. `backend: 'wasm'` without WebAssembly). */
  | 'BACKEND_UNAVAILABLE'
  /**
   * `GaussianMixture.fromJSON` was given something that is not a valid saved model: not JSON, another
   * format or version, an unknown field, or a field of the wrong type or shape, non-finite, weights
   * that are negative or do not sum to 1, a covariance that is not positive definite, or a precision
   * factor that is not upper-triangular with a positive diagonal or does not belong to its covariance.
   * The message names the field, the value and what is allowed.
   */
  | 'INVALID_MODEL';

/** Numerical failures and misuse. Argument problems throw `TypeError`/`RangeError` instead. */
export class GaussianMixtureError extends Error {
  readonly code: GaussianMixtureErrorCode;
  /** ILL_DEFINED_COVARIANCE: the index of the component whose covariance failed (0 for a tied one). */
  readonly component?: number;
  constructor(code: GaussianMixtureErrorCode, message: string, component?: number) {
    super(message);
    this.name = 'GaussianMixtureError';
    this.code = code;
    if (component !== undefined) this.component = component;
  }
}

/** Short, readable rendering of an offending value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as unknown as ArrayLike<number>).length}`;
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

export function notFitted(method: string): GaussianMixtureError {
  return new GaussianMixtureError(
    'NOT_FITTED',
    `${method}() needs a fitted model: call fit(X) first (or restore one with fromJSON).`,
  );
}

export function abortError(signal: AbortSignal): unknown {
  if (signal.reason !== undefined) return signal.reason;
  return new DOMException('The fit was aborted.', 'AbortError');
}

/** Whether `err` is a numerical failure of a fit (an ill-defined covariance, or NaN/Inf), which a candidate start or model may drop. */
export function isNumericalFailure(err: unknown): err is GaussianMixtureError {
  return err instanceof GaussianMixtureError && (err.code === 'ILL_DEFINED_COVARIANCE' || err.code === 'NUMERICAL_FAILURE');
}
