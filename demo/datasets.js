// The demo's data: the two example CSVs shipped in ../data (embedded in the bundle), a seeded synthetic
// set, CSV parsing for pasted/uploaded files, and a PCA (ml-pca) to show data with more than two columns.
import faithfulCsv from '../data/faithful.csv?raw';
import irisCsv from '../data/iris.csv?raw';
import { dsvFormat } from 'd3-dsv';
import { PCA } from 'ml-pca';

/**
 * A 2-D data set ready to fit and plot.
 * `file`: the package's CSV it comes from, as it is (not projected), for the command line.
 * @typedef {{ name: string, X: Float64Array, rows: number, cols: 2, xLabel: string, yLabel: string, note?: string, file?: string }} Dataset
 */

/**
 * Parses CSV text (comma, semicolon or tab separated, quoted fields allowed, optional header; or
 * whitespace separated) into numeric columns. Lines starting with # are comments.
 */
export function parseCsv(text) {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() && !l.trimStart().startsWith('#'));
  if (lines.length === 0) throw new Error('The CSV is empty.');
  // the separator is the one of , ; tab that the first line holds most of (outside quotes)
  const first = lines[0].replace(/"[^"]*"/g, '');
  const counts = [',', ';', '\t'].map((sep) => [sep, first.split(sep).length - 1]);
  const [sep, seen] = counts.reduce((a, b) => (b[1] > a[1] ? b : a));
  // a whitespace-separated file is not delimiter-separated (runs of spaces), so d3-dsv cannot read it
  const rowsOf = seen > 0 ? dsvFormat(sep).parseRows(lines.join('\n')) : lines.map((l) => l.trim().split(/\s+/));
  const cells = rowsOf.map((r) => r.map((c) => c.trim()));
  const isNum = (c) => c !== '' && Number.isFinite(Number(c));
  const header = cells[0].some((c) => !isNum(c)) ? cells.shift() : null;
  const width = cells[0]?.length ?? 0;
  // Numeric columns are those whose every cell parses; the others (labels, species) are dropped.
  const numeric = [];
  for (let j = 0; j < width; j++) if (cells.every((r) => isNum(r[j]))) numeric.push(j);
  if (cells.length < 2 || numeric.length < 2) {
    throw new Error('The CSV needs at least two rows and two numeric columns.');
  }
  const names = numeric.map((j) => header?.[j] ?? `column ${j + 1}`);
  const rows = cells.length;
  const cols = numeric.length;
  const X = new Float64Array(rows * cols);
  cells.forEach((r, i) => numeric.forEach((j, c) => (X[i * cols + c] = Number(r[j]))));
  const labelColumn = header ? header.findIndex((_, j) => !numeric.includes(j)) : -1;
  const labels = labelColumn >= 0 ? cells.map((r) => r[labelColumn]) : null;
  return { X, rows, cols, names, labels };
}

/** Projects n x d data onto its first two principal components (centred, unscaled), by ml-pca. */
export function pca2(X, rows, cols) {
  const table = Array.from({ length: rows }, (_, i) => Array.from(X.subarray(i * cols, (i + 1) * cols)));
  const pca = new PCA(table, { center: true, scale: false });
  const scores = pca.predict(table, { nComponents: 2 });
  const out = new Float64Array(rows * 2);
  for (let i = 0; i < rows; i++) for (let c = 0; c < 2; c++) out[i * 2 + c] = scores.get(i, c);
  const explained = pca.getExplainedVariance();
  return { X: out, explained: [explained[0], explained[1]] };
}

/** A parsed CSV as a 2-D data set: two columns as they are, more projected on two principal components. */
export function csvDataset(text, name = 'CSV') {
  const { X, rows, cols, names, labels } = parseCsv(text);
  if (cols === 2) return { name, X, rows, cols: 2, xLabel: names[0], yLabel: names[1], labels };
  const p = pca2(X, rows, cols);
  const pct = (f) => `${(100 * f).toFixed(0)}%`;
  return {
    name,
    X: p.X,
    rows,
    cols: 2,
    xLabel: `PC1 (${pct(p.explained[0])} of variance)`,
    yLabel: `PC2 (${pct(p.explained[1])})`,
    labels,
    note: `${cols} numeric columns (${names.join(', ')}) projected onto their first two principal components.`,
  };
}

/** Seeded Gaussian blobs of different shapes (n points in 2-D). */
export function synthetic(n = 2000, seed = 3) {
  let s = seed >>> 0;
  const uniform = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  // weight, mean, and a 2x2 factor L (Sigma = L L^T)
  const blobs = [
    [0.35, [0, 0], [1.2, 0, 0.9, 0.5]],
    [0.25, [5, 3], [0.6, 0, -0.5, 0.4]],
    [0.2, [-3, 5], [0.4, 0, 0, 1.4]],
    [0.2, [4, -3], [1.0, 0, 0.2, 0.3]],
  ];
  const X = new Float64Array(n * 2);
  const labels = [];
  for (let i = 0; i < n; i++) {
    let u = uniform();
    let c = 0;
    while (c < blobs.length - 1 && u >= blobs[c][0]) u -= blobs[c++][0];
    const [, m, L] = blobs[c];
    const z0 = normal();
    const z1 = normal();
    X[2 * i] = m[0] + L[0] * z0;
    X[2 * i + 1] = m[1] + L[2] * z0 + L[3] * z1;
    labels.push(`blob ${c + 1}`);
  }
  return { name: `Synthetic (${n.toLocaleString('en')} points, 4 blobs)`, X, rows: n, cols: 2, xLabel: 'x', yLabel: 'y', labels };
}

/**
 * A copy of X (rows x 2) with round(fraction * 2 * rows) entries set to NaN, drawn uniformly at random
 * (seeded) but at most one per row: a row with both values missing has nothing to fit, and the
 * package rejects it. fraction in [0, 0.5]. Returns the copy and the number of entries removed.
 */
export function removeValues(X, rows, fraction, seed = 0) {
  if (!(fraction >= 0 && fraction <= 0.5)) throw new RangeError(`The share of values to remove must be between 0 and 50 %, got ${fraction * 100} %.`);
  let s = (seed ^ 0x9e3779b9) >>> 0;
  const uniform = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const holed = X.slice(0, rows * 2);
  const want = Math.round(fraction * 2 * rows);
  const order = Array.from({ length: 2 * rows }, (_, i) => i);
  const hit = new Uint8Array(rows);
  let removed = 0;
  // partial Fisher-Yates over the entries: each step draws one not yet drawn, uniformly
  for (let i = 0; i < order.length && removed < want; i++) {
    const j = i + Math.floor(uniform() * (order.length - i));
    [order[i], order[j]] = [order[j], order[i]];
    const row = order[i] >> 1;
    if (hit[row]) continue;
    hit[row] = 1;
    holed[order[i]] = NaN;
    removed++;
  }
  return { X: holed, removed };
}

/** The embedded data sets by key. */
export function builtin(key) {
  switch (key) {
    case 'faithful':
      return { ...csvDataset(faithfulCsv, 'Old Faithful'), xLabel: 'eruption (min)', yLabel: 'waiting (min)', file: 'data/faithful.csv' };
    case 'iris':
      return { ...csvDataset(irisCsv, 'Iris (PCA to 2-D)'), name: 'Iris (PCA to 2-D)' };
    case 'synthetic-2k':
      return synthetic(2000);
    case 'synthetic-50k':
      return synthetic(50000);
    case 'synthetic-200k':
      return synthetic(200000);
    default:
      throw new Error(`unknown data set ${key}`);
  }
}

/** CSV text of a built-in data set, to prefill the paste box. */
export const FAITHFUL_CSV = faithfulCsv;
