/**
 * Reads a delimited text file into a numeric matrix for the CLI: d3-dsv tokenises (quotes, escaped
 * quotes, newlines in fields); this module detects the separator and the header, picks the feature
 * and label columns, and turns cells into numbers, reporting the row and column of any bad cell.
 */
import { dsvFormat } from '../vendor/d3-dsv.js';
import { UsageError } from './errors.js';

export interface Table {
  /** Names of the feature columns, in the order of `data`'s columns. */
  columns: string[];
  /** Row-major rows x columns.length. */
  data: Float64Array;
  rows: number;
  /** The label column's values (one per row) and its name, when there is one. */
  labels: string[] | null;
  labelColumn: string | null;
  separator: ',' | ';' | '\t';
  hasHeader: boolean;
  /** Things the user should know (decimal commas read, text columns left out). */
  notes: string[];
}

export interface ReadOptions {
  /** Feature columns by header name or 1-based position; default every numeric column but the label column. */
  columns?: string[];
  /** Column with known classes; default the last non-numeric column, if any. */
  labelColumn?: string;
  /** When true, no label column is guessed (predict). */
  noLabels?: boolean;
}

const SEPARATORS = [',', ';', '\t'] as const;
const SEPARATOR_NAME = { ',': 'comma', ';': 'semicolon', '\t': 'tab' } as const;
/** Cells read as a missing value. */
const MISSING = new Set(['', 'na', 'nan', 'null', '?', 'n/a', '-']);
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DECIMAL_COMMA = /^[+-]?\d+,\d+([eE][+-]?\d+)?$/;
/** Separator and header detection look at this many leading rows. */
const SAMPLE_ROWS = 50;

const isMissing = (cell: string): boolean => MISSING.has(cell.trim().toLowerCase());
const isNumber = (cell: string, decimalComma: boolean): boolean => {
  const t = cell.trim();
  return NUMBER.test(t) || (decimalComma && DECIMAL_COMMA.test(t));
};

/** The first `SAMPLE_ROWS` records' worth of text, cut at a line end. */
function head(text: string): string {
  let end = 0;
  for (let i = 0; i < SAMPLE_ROWS && end < text.length; i++) {
    const next = text.indexOf('\n', end);
    end = next < 0 ? text.length : next + 1;
  }
  return text.slice(0, end);
}

function lexicographicallyGreater(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    if (b[i] === undefined || a[i] > b[i]) return true;
    if (a[i] < b[i]) return false;
  }
  return false;
}

/**
 * The separator among , ; tab that splits the leading rows into the same number (> 1) of fields
 * most often, then gives the most numeric cells, then the most fields. One-column files get ','.
 */
function detectSeparator(sample: string): ',' | ';' | '\t' {
  let best: { sep: ',' | ';' | '\t'; score: number[] } = { sep: ',', score: [-1] };
  for (const sep of SEPARATORS) {
    const rows = dsvFormat(sep).parseRows(sample).filter((r) => !(r.length === 1 && r[0].trim() === ''));
    if (rows.length === 0) continue;
    const width = rows[rows.length > 1 ? 1 : 0].length;
    const consistent = rows.filter((r) => r.length === width).length / rows.length;
    let numeric = 0;
    for (const r of rows) for (const c of r) if (isNumber(c, sep !== ',')) numeric++;
    const score = [width > 1 ? consistent : 0, numeric, width];
    if (lexicographicallyGreater(score, best.score)) best = { sep, score };
  }
  return best.sep;
}

/**
 * The first row is a header when some column is numeric below it but not in it, or when every
 * column is text in both (no way to tell; a header is the common case).
 */
function detectHeader(rows: string[][], decimalComma: boolean): boolean {
  if (rows.length < 2) return false;
  const body = rows.slice(1, SAMPLE_ROWS);
  let anyNumeric = false;
  for (let j = 0; j < rows[0].length; j++) {
    const values = body.map((r) => r[j] ?? '').filter((c) => !isMissing(c));
    const numeric = values.length > 0 && values.every((c) => isNumber(c, decimalComma));
    if (numeric) anyNumeric = true;
    if (numeric && !isNumber(rows[0][j], decimalComma) && !isMissing(rows[0][j])) return true;
  }
  return !anyNumeric;
}

/** Resolves a column reference (header name, else 1-based position) to an index. */
function columnIndex(ref: string, names: string[], flag: string): number {
  const byName = names.indexOf(ref);
  if (byName >= 0) return byName;
  const position = Number(ref);
  if (Number.isInteger(position) && position >= 1 && position <= names.length) return position - 1;
  throw new UsageError(`${flag}: no column '${ref}'; the columns are ${names.map((n) => `'${n}'`).join(', ')} (or positions 1..${names.length}).`);
}

/**
 * Parses `text` (the contents of `file`, named in messages). Throws UsageError for an empty file,
 * ragged rows, unknown columns, and a missing or non-numeric cell in a feature column (naming its row,
 * counted from 1 with the header as row 1 as a spreadsheet shows it, and its column).
 */
export function readTable(text: string, file: string, options: ReadOptions = {}): Table {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const separator = detectSeparator(head(body));
  const decimalComma = separator !== ',';
  const records = dsvFormat(separator).parseRows(body);
  while (records.length > 0 && records[records.length - 1].every((c) => c.trim() === '')) records.pop();
  if (records.length === 0) throw new UsageError(`${file}: the file is empty.`);
  const hasHeader = detectHeader(records, decimalComma);
  const width = records[0].length;
  const names = hasHeader ? records[0].map((h, j) => h.trim() || `column ${j + 1}`) : records[0].map((_, j) => `column ${j + 1}`);
  const first = hasHeader ? 1 : 0;
  const rowNumber = (i: number): number => i + 1; // the record's 1-based position in the file, as a spreadsheet numbers rows
  const n = records.length - first;
  if (n === 0) throw new UsageError(`${file}: the file has a header but no data rows.`);
  for (let i = first; i < records.length; i++) {
    if (records[i].length !== width) {
      throw new UsageError(
        `${file}: row ${rowNumber(i)} has ${records[i].length} fields but the first row has ${width} ` +
          `(separator detected: ${SEPARATOR_NAME[separator]}; quote fields that contain it).`,
      );
    }
  }

  // A column is numeric when every present cell is a number.
  const numeric = names.map((_, j) => {
    for (let i = first; i < records.length; i++) {
      const c = records[i][j];
      if (!isNumber(c, decimalComma) && !isMissing(c)) return false;
    }
    return true;
  });
  const notes: string[] = [];
  let label: number | null = null;
  if (options.labelColumn !== undefined) label = columnIndex(options.labelColumn, names, '--label-column');
  else if (!options.noLabels && options.columns === undefined) {
    const text = numeric.lastIndexOf(false);
    if (text >= 0) {
      label = text;
      notes.push(`column '${names[text]}' is not numeric: used as known classes (--label-column to choose another)`);
    }
  }
  let features: number[];
  if (options.columns !== undefined) {
    features = options.columns.map((c) => columnIndex(c, names, '--columns'));
  } else {
    features = names.map((_, j) => j).filter((j) => j !== label && numeric[j]);
    const skipped = names.filter((_, j) => j !== label && !numeric[j]);
    if (skipped.length > 0) notes.push(`non-numeric column${skipped.length > 1 ? 's' : ''} ${skipped.map((s) => `'${s}'`).join(', ')} left out`);
  }
  if (features.length === 0) throw new UsageError(`${file}: no numeric columns to fit (columns: ${names.map((s) => `'${s}'`).join(', ')}).`);
  if (label !== null && features.includes(label)) throw new UsageError(`--label-column '${names[label]}' is also a feature column in --columns.`);

  const d = features.length;
  const data = new Float64Array(n * d);
  let commaSeen: string | null = null;
  for (let i = 0; i < n; i++) {
    const r = records[i + first];
    for (let j = 0; j < d; j++) {
      const cell = r[features[j]].trim();
      let x: number;
      if (NUMBER.test(cell)) x = Number(cell);
      else if (decimalComma && DECIMAL_COMMA.test(cell)) {
        x = Number(cell.replace(',', '.'));
        commaSeen ??= `'${cell}' in row ${rowNumber(i + first)}, column '${names[features[j]]}'`;
      } else if (isMissing(cell)) {
        throw new UsageError(
          `${file}: missing value in row ${rowNumber(i + first)}, column '${names[features[j]]}' (${JSON.stringify(r[features[j]])}); ` +
            'remove or impute missing values, or leave the column out with --columns.',
        );
      } else {
        throw new UsageError(`${file}: row ${rowNumber(i + first)}, column '${names[features[j]]}': ${JSON.stringify(r[features[j]])} is not a number.`);
      }
      data[i * d + j] = x;
    }
  }
  if (commaSeen !== null) notes.push(`decimal commas read as decimal points (first: ${commaSeen}); check that this is what the file means`);
  return {
    columns: features.map((j) => names[j]),
    data,
    rows: n,
    labels: label === null ? null : records.slice(first).map((r) => r[label!]),
    labelColumn: label === null ? null : names[label],
    separator,
    hasHeader,
    notes,
  };
}
