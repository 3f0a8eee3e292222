/**
 * The command line: which command, its flags (node:util parseArgs, strict), each value checked and
 * converted. Anything unknown or malformed is a UsageError naming the flag and the value.
 */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { COVARIANCE_TYPES } from '../types.js';
import type { CovarianceType } from '../types.js';
import type { Criterion } from '../select.js';
import { UsageError } from './errors.js';

export const HELP = `gmm-wasm: Gaussian mixture models fitted by EM (WebAssembly kernels)

Usage:
  gmm-wasm fit FILE [options]              choose K and the covariance model, print the fit
  gmm-wasm predict --model M.json FILE     label the rows of FILE with a saved model
  gmm-wasm demo [--bench]                  fit the embedded Old Faithful and iris data
  gmm-wasm --help | --version

FILE is a CSV (separator , ; or tab detected; quoted fields; header row detected).
Non-numeric columns are left out; the last one is taken as known classes unless
--columns or --label-column say otherwise.

fit options:
  --k N | LO:HI | A,B,...  numbers of components to try (default 1:9)
  --type LIST              covariance types, comma-separated: full, tied, diag, spherical,
                           mclust's EII ... VVV, or 'mclust' for all 14 (default full,tied,diag,spherical)
  --criterion bic|icl|aic  model choice, lower is better (default bic)
  --seed N                 seed of every random choice, 0..4294967295 (default 1)
  --init auto|hc           starts: auto (default: mclust's hierarchical start, k-means and random
                           partitions, the best kept) or hc (the hierarchical start alone, as Mclust)
  --n-init N               EM restarts per candidate (default 1; 1 with --init hc)
  --tol X                  stop EM when the mean log-likelihood per row changes by less than X
                           (default: selectModel's rule, a remaining gain below 0.01 in total)
  --max-iter N             EM iterations per candidate at most (default 1000)
  --no-race                fit every candidate to the end (default: a candidate stops once it
                           cannot beat one with fewer components, marked '*' in the table)
  --columns A,B,...        feature columns by name or 1-based position (default all numeric)
  --label-column NAME      known classes: report the adjusted Rand index against them
  --workers N|auto         fit candidates in N worker threads (default auto)
  --save FILE.json         write the chosen model (GaussianMixture.fromJSON reads it)
  --json                   print one JSON object instead of the text report
  --plot FILE.svg          scatter of the first two columns (or principal components), with ellipses
  --bench                  also time the chosen model on the WebAssembly and JS backends

predict options:
  --model FILE.json        a model written by fit --save (required)
  --proba                  also write each component's probability
  --columns A,B,...        feature columns (default: the model's, by name)
  --out FILE               write the CSV there instead of stdout

Progress goes to stderr; results to stdout. Exit status 2 for a bad command line or input file.`;

const DEFAULT_K = [1, 2, 3, 4, 5, 6, 7, 8, 9];
const DEFAULT_TYPES: CovarianceType[] = ['full', 'tied', 'diag', 'spherical'];
/** Largest K a range may ask for: more is a typo, not a model. */
const MAX_K = 1000;

export interface FitArgs {
  command: 'fit';
  file: string;
  k: number[];
  types: CovarianceType[] | 'mclust';
  criterion: Criterion;
  seed: number;
  /** 'auto' or 'hc' (SelectionOptions.init). */
  init: 'auto' | 'hc';
  nInit: number;
  tol?: number;
  maxIter?: number;
  /** false: --no-race (SelectionOptions.race). */
  race: boolean;
  columns?: string[];
  labelColumn?: string;
  workers: number | 'auto';
  save?: string;
  json: boolean;
  plot?: string;
  bench: boolean;
}

export interface PredictArgs {
  command: 'predict';
  file: string;
  model: string;
  proba: boolean;
  columns?: string[];
  out?: string;
}

export interface DemoArgs {
  command: 'demo';
  bench: boolean;
}

export type Command = FitArgs | PredictArgs | DemoArgs | { command: 'help' } | { command: 'version' };

type Options = NonNullable<ParseArgsConfig['options']>;

const FIT_OPTIONS: Options = {
  k: { type: 'string' },
  type: { type: 'string' },
  criterion: { type: 'string' },
  seed: { type: 'string' },
  'n-init': { type: 'string' },
  init: { type: 'string' },
  tol: { type: 'string' },
  'max-iter': { type: 'string' },
  'no-race': { type: 'boolean' },
  columns: { type: 'string' },
  'label-column': { type: 'string' },
  workers: { type: 'string' },
  save: { type: 'string' },
  json: { type: 'boolean' },
  plot: { type: 'string' },
  bench: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};
const PREDICT_OPTIONS: Options = {
  model: { type: 'string' },
  proba: { type: 'boolean' },
  columns: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};
const DEMO_OPTIONS: Options = { bench: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } };

function integer(flag: string, value: string, min: number, max: number): number {
  const x = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(x) || x < min || x > max) throw new UsageError(`--${flag}: expected an integer from ${min} to ${max}, got '${value}'.`);
  return x;
}

/** `3`, `1:9` or `2,4,6`. */
export function parseK(value: string): number[] {
  const range = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(value);
  if (range) {
    const lo = integer('k', range[1], 1, MAX_K);
    const hi = integer('k', range[2], 1, MAX_K);
    if (hi < lo) throw new UsageError(`--k: the range '${value}' is empty (write LO:HI with LO <= HI).`);
    return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  }
  const ks = value.split(',').map((s) => {
    const x = /^\s*\d+\s*$/.test(s) ? Number(s) : NaN;
    if (!Number.isInteger(x) || x < 1 || x > MAX_K) {
      throw new UsageError(`--k: expected an integer from 1 to ${MAX_K}, a range such as 1:9, or a list such as 2,4,6; got '${value}'.`);
    }
    return x;
  });
  return [...new Set(ks)].sort((a, b) => a - b);
}

export function parseTypes(value: string): CovarianceType[] | 'mclust' {
  if (value.trim().toLowerCase() === 'mclust') return 'mclust';
  const types = value.split(',').map((s) => s.trim());
  for (const t of types) {
    if (!(COVARIANCE_TYPES as readonly string[]).includes(t)) {
      throw new UsageError(`--type: unknown covariance type '${t}'; allowed: 'mclust' or a comma-separated list of ${COVARIANCE_TYPES.join(', ')}.`);
    }
  }
  return [...new Set(types)] as CovarianceType[];
}

function positiveNumber(flag: string, value: string): number {
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || x <= 0) throw new UsageError(`--${flag}: expected a number > 0, got '${value}'.`);
  return x;
}

function list(flag: string, value: string): string[] {
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new UsageError(`--${flag}: expected a comma-separated list of column names, got '${value}'.`);
  return items;
}

function parse(argv: string[], options: Options, command: string): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (err) {
    // parseArgs' messages name the flag ("Unknown option '--K'"); add where to look.
    // Only the first sentence: the rest of Node's text is about positionals, not the likely typo.
    const message = (err instanceof Error ? err.message : String(err)).split(/(?<=\.) /)[0];
    throw new UsageError(`${command}: ${message} (gmm-wasm ${command} --help lists the options).`);
  }
}

function oneFile(positionals: string[], command: string): string {
  if (positionals.length === 0) throw new UsageError(`${command}: give the CSV file to read, e.g. gmm-wasm ${command} data.csv.`);
  if (positionals.length > 1) throw new UsageError(`${command}: expected one file, got ${positionals.map((p) => `'${p}'`).join(', ')}.`);
  return positionals[0];
}

/** The command `argv` (process.argv.slice(2)) asks for; no arguments is help. */
export function parseCommand(argv: string[]): Command {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') return { command: 'help' };
  if (first === '--version' || first === '-v') return { command: 'version' };
  if (first === 'fit') {
    const { values: v, positionals } = parse(rest, FIT_OPTIONS, 'fit');
    if (v.help) return { command: 'help' };
    const criterion = (v.criterion as string | undefined) ?? 'bic';
    if (criterion !== 'bic' && criterion !== 'icl' && criterion !== 'aic') {
      throw new UsageError(`--criterion: expected bic, icl or aic, got '${criterion}'.`);
    }
    const workers = v.workers as string | undefined;
    const init = (v.init as string | undefined) ?? 'auto';
    if (init !== 'auto' && init !== 'hc') throw new UsageError(`--init: expected auto or hc, got '${init}'.`);
    const nInit = v['n-init'] === undefined ? 1 : integer('n-init', v['n-init'] as string, 1, 1000);
    if (init === 'hc' && nInit !== 1) throw new UsageError(`--n-init: --init hc is one start per candidate, so --n-init must be 1, got ${nInit}.`);
    return {
      command: 'fit',
      file: oneFile(positionals, 'fit'),
      k: v.k === undefined ? DEFAULT_K : parseK(v.k as string),
      types: v.type === undefined ? DEFAULT_TYPES : parseTypes(v.type as string),
      criterion,
      seed: v.seed === undefined ? 1 : integer('seed', v.seed as string, 0, 0xffffffff),
      init,
      nInit,
      tol: v.tol === undefined ? undefined : positiveNumber('tol', v.tol as string),
      maxIter: v['max-iter'] === undefined ? undefined : integer('max-iter', v['max-iter'] as string, 1, 1_000_000),
      race: v['no-race'] !== true,
      columns: v.columns === undefined ? undefined : list('columns', v.columns as string),
      labelColumn: v['label-column'] as string | undefined,
      workers: workers === undefined || workers === 'auto' ? 'auto' : integer('workers', workers, 1, 256),
      save: v.save as string | undefined,
      json: v.json === true,
      plot: v.plot as string | undefined,
      bench: v.bench === true,
    };
  }
  if (first === 'predict') {
    const { values: v, positionals } = parse(rest, PREDICT_OPTIONS, 'predict');
    if (v.help) return { command: 'help' };
    if (v.model === undefined) throw new UsageError('predict: --model FILE.json is required (a model written by gmm-wasm fit --save).');
    return {
      command: 'predict',
      file: oneFile(positionals, 'predict'),
      model: v.model as string,
      proba: v.proba === true,
      columns: v.columns === undefined ? undefined : list('columns', v.columns as string),
      out: v.out as string | undefined,
    };
  }
  if (first === 'demo') {
    const { values: v, positionals } = parse(rest, DEMO_OPTIONS, 'demo');
    if (v.help) return { command: 'help' };
    if (positionals.length > 0) throw new UsageError(`demo: takes no file, got '${positionals[0]}' (use gmm-wasm fit FILE).`);
    return { command: 'demo', bench: v.bench === true };
  }
  if (first.startsWith('-')) throw new UsageError(`unknown option '${first}' before the command; run gmm-wasm --help.`);
  throw new UsageError(`unknown command '${first}'; the commands are fit, predict and demo (to fit a file: gmm-wasm fit ${first}).`);
}
