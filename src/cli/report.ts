/**
 * What `gmm-wasm fit` prints: the text report (selection table, chosen model) and the `--json`
 * object, and the adjusted Rand index against known classes.
 */
import type { GaussianMixture } from '../model.js';
import type { Criterion, SelectionRow } from '../select.js';
import type { Table } from './csv.js';

/**
 * Hubert and Arabie's adjusted Rand index of two partitions of the same rows: 1 for identical
 * partitions (up to renaming), about 0 for independent ones. NaN only when both have a single group.
 */
export function adjustedRandIndex(a: ArrayLike<number>, b: readonly string[]): number {
  const n = a.length;
  const pairs = new Map<string, number>();
  const rowSums = new Map<number, number>();
  const colSums = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const key = `${a[i]}\u0000${b[i]}`;
    pairs.set(key, (pairs.get(key) ?? 0) + 1);
    rowSums.set(a[i], (rowSums.get(a[i]) ?? 0) + 1);
    colSums.set(b[i], (colSums.get(b[i]) ?? 0) + 1);
  }
  const c2 = (m: number): number => (m * (m - 1)) / 2;
  const sum = (values: Iterable<number>): number => {
    let s = 0;
    for (const v of values) s += c2(v);
    return s;
  };
  const index = sum(pairs.values());
  const sa = sum(rowSums.values());
  const sb = sum(colSums.values());
  const expected = (sa * sb) / c2(n);
  return (index - expected) / ((sa + sb) / 2 - expected);
}

export interface FitResult {
  file: string;
  table: Table;
  model: GaussianMixture;
  criterion: Criterion;
  selection: SelectionRow[];
  /** Against the label column, when there is one. */
  adjustedRandIndex: number | null;
}

const fmt = (x: number, digits = 4): string =>
  !Number.isFinite(x) ? String(x) : Math.abs(x) >= 1e5 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(digits - 1) : x.toFixed(digits);

/** The chosen model's summary numbers, shared by the text and JSON outputs. */
function chosen(r: FitResult): SelectionRow {
  const o = r.model.options;
  return r.selection.find((s) => s.nComponents === o.nComponents && s.covarianceType === o.covarianceType)!;
}

/** The `--json` object. NaN criteria of candidates that were not fitted become null in JSON. */
export function fitJson(r: FitResult): Record<string, unknown> {
  const row = chosen(r);
  const m = r.model;
  return {
    file: r.file,
    rows: r.table.rows,
    columns: r.table.columns,
    nComponents: m.options.nComponents,
    covarianceType: m.options.covarianceType,
    criterion: r.criterion,
    bic: row.bic,
    icl: row.icl,
    aic: row.aic,
    logLikelihood: row.logLikelihood,
    converged: m.converged,
    nIter: m.nIter,
    weights: m.weights,
    means: m.means,
    covariances: m.covariances,
    selection: r.selection,
    ...(r.table.labelColumn === null ? {} : { labelColumn: r.table.labelColumn, adjustedRandIndex: r.adjustedRandIndex }),
  };
}

/** The text report: the criterion by K and covariance type, then the chosen model. */
export function fitText(r: FitResult): string {
  const { table, selection, criterion } = r;
  const name = criterion.toUpperCase();
  const types = [...new Set(selection.map((c) => c.covarianceType))];
  const ks = [...new Set(selection.map((c) => c.nComponents))];
  const width = Math.max(11, ...types.map((t) => t.length + 2));
  const lines = [
    `${r.file}: ${table.rows} rows x ${table.columns.length} columns (${table.columns.join(', ')})`,
    '',
    `${name} by K (rows) and covariance type (columns); lower is better, '-' = degenerate or not fitted` +
      (selection.some((c) => c.outraced) ? ",\n'*' = stopped early, unable to win (the value where it stopped):" : ':'),
    // Every cell ends in a mark column ('*' or blank).
    `${'K'.padStart(4)}${types.map((t) => `${t} `.padStart(width + 1)).join('')}`,
  ];
  for (const k of ks) {
    const cells = types.map((t) => {
      const c = selection.find((s) => s.nComponents === k && s.covarianceType === t);
      const value = c && c.degenerate === undefined ? c[criterion].toFixed(1) : '-';
      return `${value}${c?.outraced ? '*' : ' '}`.padStart(width + 1);
    });
    lines.push(`${String(k).padStart(4)}${cells.join('')}`);
  }
  const row = chosen(r);
  const m = r.model;
  lines.push(
    '',
    `Chosen: K = ${m.options.nComponents}, covariance '${m.options.covarianceType}' (lowest ${name} ${fmt(row[criterion], 2)})`,
    `  log-likelihood ${fmt(row.logLikelihood, 4)}, BIC ${fmt(row.bic, 2)}, AIC ${fmt(row.aic, 2)}, ` +
      `${m.nIter} iterations, ${m.converged ? 'converged' : 'NOT converged'}`,
  );
  const means = m.means;
  m.weights.forEach((w, c) => lines.push(`  component ${c}: weight ${w.toFixed(3)}  mean [${means[c].map((x) => fmt(x, 3)).join(', ')}]`));
  if (r.adjustedRandIndex !== null) {
    lines.push(`  adjusted Rand index against column '${table.labelColumn}': ${r.adjustedRandIndex.toFixed(3)}`);
  }
  return lines.join('\n');
}
