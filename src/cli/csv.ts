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

/** A column reference (header name, else 1-based position) as an index, -1 when there is no such column. */
function findColumn(ref: string, names: string[]): number {
  const byName = names.indexOf(ref);
  if (byName >= 0) return byName;
  const position = Number(ref);
  return Number.isInteger(position) && position >= 1 && position <= names.length ? position - 1 : -1;
}

/** Resolves a column reference to an index, or throws naming `flag` and the columns. */
function columnIndex(ref: string, names: string[], flag: string): number {
  const j = findColumn(ref, names);
  if (j >= 0) return j;
  throw new UsageError(`${flag}: no column '${ref}'; the columns are ${names.map((n) => `'${n}'`).join(', ')} (or positions 1..${names.length}).`);
}

/**
 * One column's cells as they stream past: the numbers (NaN where a cell is not one), whether every
 * present cell so far is a number, the first cell that is missing or not a number and the first
 * decimal comma (for messages), and the cell texts once they are needed (a text column: the label).
 */
class ColumnCells {
  values = new Float64Array(1024);
  numeric = true;
  /** Data row and raw cell of the first missing or non-numeric cell, of the first decimal comma. */
  problem: { row: number; cell: string } | null = null;
  comma: { row: number; cell: string } | null = null;
  /** The raw cells from data row `textsFrom` on (kept from the first non-numeric cell, or from the start when asked). */
  texts: string[] | null = null;
  textsFrom = 0;

  constructor(keepTexts: boolean) {
    if (keepTexts) this.texts = [];
  }

  add(row: number, cell: string, decimalComma: boolean): void {
    if (row === this.values.length) {
      const grown = new Float64Array(2 * row);
      grown.set(this.values);
      this.values = grown;
    }
    const t = cell.trim();
    let x = NaN;
    if (NUMBER.test(t)) x = Number(t);
    else if (decimalComma && DECIMAL_COMMA.test(t)) {
      x = Number(t.replace(',', '.'));
      this.comma ??= { row, cell: t };
    } else {
      this.problem ??= { row, cell };
      if (this.numeric && !isMissing(cell)) {
        this.numeric = false;
        if (this.texts === null) {
          this.texts = [];
          this.textsFrom = row;
        }
      }
    }
    this.values[row] = x;
    this.texts?.push(cell);
  }
}

/**
 * Parses `text` (the contents of `file`, named in messages). Throws UsageError for an empty file,
 * ragged rows, unknown columns, and a missing or non-numeric cell in a feature column (naming its row,
 * counted from 1 with the header as row 1 as a spreadsheet shows it, and its column).
 *
 * One pass: d3-dsv hands over each record and forgets it, its cells go straight into per-column
 * numbers (ColumnCells), so no table of strings is kept (7.6 MB, 200 000 x 5: BENCHMARKS.md, the
 * race). Only the first SAMPLE_ROWS records (header detection) and trailing blank records (dropped at
 * the end of the file) wait. The one text column read again is a label column whose first cells were
 * numbers (its texts were not kept).
 */
export function readTable(text: string, file: string, options: ReadOptions = {}): Table {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const separator = detectSeparator(head(body));
  const decimalComma = separator !== ',';
  const rowNumber = (i: number): number => i + 1; // the record's 1-based position in the file, as a spreadsheet numbers rows

  let leading: string[][] | null = []; // the first SAMPLE_ROWS records, until the header is decided
  let blanks: string[][] = []; // blank records not yet followed by a non-blank one
  let hasHeader = false;
  let names: string[] = [];
  let width = 0;
  let first = 0;
  let columns: ColumnCells[] = [];
  let keepTexts = -1; // --label-column's index: its texts are kept from the start
  let n = 0; // data rows so far
  let ragged: { record: number; fields: number } | null = null;

  const dataRow = (r: string[]): void => {
    if (r.length !== width) {
      ragged ??= { record: n + first, fields: r.length };
    } else if (ragged === null) {
      for (let j = 0; j < width; j++) columns[j].add(n, r[j], decimalComma);
    }
    n++;
  };
  const decideHeader = (): void => {
    const rows = leading!;
    leading = null;
    hasHeader = detectHeader(rows, decimalComma);
    width = rows[0].length;
    names = hasHeader ? rows[0].map((h, j) => h.trim() || `column ${j + 1}`) : rows[0].map((_, j) => `column ${j + 1}`);
    first = hasHeader ? 1 : 0;
    if (options.labelColumn !== undefined) keepTexts = findColumn(options.labelColumn, names);
    columns = names.map((_, j) => new ColumnCells(j === keepTexts));
    for (let i = first; i < rows.length; i++) dataRow(rows[i]);
  };
  const record = (r: string[]): void => {
    if (leading === null) dataRow(r);
    else {
      leading.push(r);
      if (leading.length === SAMPLE_ROWS) decideHeader();
    }
  };
  dsvFormat(separator).parseRows(body, (r) => {
    if (r.every((c) => c.trim() === '')) blanks.push(r);
    else {
      for (const b of blanks) record(b);
      blanks = [];
      record(r);
    }
    return null;
  });
  if (leading !== null) {
    if ((leading as string[][]).length === 0) throw new UsageError(`${file}: the file is empty.`);
    decideHeader();
  }
  if (n === 0) throw new UsageError(`${file}: the file has a header but no data rows.`);
  const badRow = ragged as { record: number; fields: number } | null;
  if (badRow !== null) {
    throw new UsageError(
      `${file}: row ${rowNumber(badRow.record)} has ${badRow.fields} fields but the first row has ${width} ` +
        `(separator detected: ${SEPARATOR_NAME[separator]}; quote fields that contain it).`,
    );
  }

  // A column is numeric when every present cell is a number.
  const numeric = columns.map((c) => c.numeric);
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

  // The first bad cell in row order, then in the order of the feature columns, as a row-by-row read meets it.
  const firstOf = (pick: (c: ColumnCells) => { row: number; cell: string } | null): { row: number; cell: string; j: number } | null => {
    let found: { row: number; cell: string; j: number } | null = null;
    for (const j of features) {
      const at = pick(columns[j]);
      if (at !== null && (found === null || at.row < found.row)) found = { ...at, j };
    }
    return found;
  };
  const problem = firstOf((c) => c.problem);
  if (problem !== null) {
    const where = `row ${rowNumber(problem.row + first)}, column '${names[problem.j]}'`;
    if (isMissing(problem.cell)) {
      throw new UsageError(`${file}: missing value in ${where} (${JSON.stringify(problem.cell)}); remove or impute missing values, or leave the column out with --columns.`);
    }
    throw new UsageError(`${file}: ${where}: ${JSON.stringify(problem.cell)} is not a number.`);
  }
  const d = features.length;
  const data = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    const values = columns[features[j]].values;
    for (let i = 0; i < n; i++) data[i * d + j] = values[i];
  }
  const comma = firstOf((c) => c.comma);
  if (comma !== null) notes.push(`decimal commas read as decimal points (first: '${comma.cell}' in row ${rowNumber(comma.row + first)}, column '${names[comma.j]}'); check that this is what the file means`);
  return {
    columns: features.map((j) => names[j]),
    data,
    rows: n,
    labels: label === null ? null : labelTexts(body, separator, columns[label], label, first),
    labelColumn: label === null ? null : names[label],
    separator,
    hasHeader,
    notes,
  };
}

/**
 * The label column's n cells: those kept, after the ones read again when its first cells were numbers
 * (no blank records come before the last data row here: they would have been ragged rows).
 */
function labelTexts(body: string, separator: ',' | ';' | '\t', cells: ColumnCells, j: number, first: number): string[] {
  if (cells.textsFrom === 0) return cells.texts!;
  const before: string[] = [];
  let record = 0;
  dsvFormat(separator).parseRows(body, (r) => {
    if (record >= first && before.length < cells.textsFrom) before.push(r[j]);
    record++;
    return null;
  });
  return [...before, ...cells.texts!];
}
