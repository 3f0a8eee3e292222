// Types for the part of d3-dsv the CLI uses. scripts/vendor.mjs copies d3-dsv's self-contained ESM
// build next to the compiled CLI (dist/vendor/d3-dsv.js), so the package has no runtime dependency.
export interface DSV {
  /** Rows of fields; quoted fields may hold the delimiter, quotes ("") and newlines. */
  parseRows(text: string): string[][];
  /** Each row passed to `row` (with its index) as it is read; kept in the result unless `row` returns null or undefined. */
  parseRows<T>(text: string, row: (fields: string[], index: number) => T | null | undefined): T[];
}
export function dsvFormat(delimiter: string): DSV;
