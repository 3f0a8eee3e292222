/**
 * The CLI's commands: fit (model selection on a CSV), predict (a saved model on a CSV) and demo
 * (fit on the embedded example data). Results go to stdout or the named files, progress and notes
 * to stderr.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { GaussianMixture } from '../model.js';
import { selectModel } from '../select.js';
import { coreCount, prestartWorkers, releaseSpareWorkers, resolveWorkerCount } from '../parallel.js';
import type { GaussianMixtureOptions } from '../options.js';
import { expandToFull } from '../params.js';
import { isMclustName } from '../types.js';
import type { DemoArgs, FitArgs, PredictArgs } from './args.js';
import { readTable } from './csv.js';
import type { ReadOptions, Table } from './csv.js';
import { UsageError } from './errors.js';
import { scatterSvg } from './plot.js';
import { Progress } from './progress.js';
import { adjustedRandIndex, fitJson, fitText } from './report.js';
import type { FitResult } from './report.js';

/** Where the commands write; tests and the entry point pass process streams. */
export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`${what} '${file}' cannot be read${code === 'ENOENT' ? ': no such file' : `: ${(err as Error).message}`}.`);
  }
}

function writeText(file: string, text: string, what: string): void {
  try {
    writeFileSync(file, text);
  } catch (err) {
    throw new UsageError(`${what} '${file}' cannot be written: ${(err as Error).message}.`);
  }
}

/**
 * Parsing cannot report progress while it runs (it is one synchronous call), so a file that will take
 * more than about a second (~2 MB here) is announced before and timed after.
 */
const ANNOUNCE_BYTES = 2_000_000;

function load(file: string, options: ReadOptions, io: Output): Table {
  const text = readText(file, 'file');
  const announce = text.length > ANNOUNCE_BYTES;
  const t0 = performance.now();
  if (announce) io.err(`reading ${file} (${(text.length / 1e6).toFixed(1)} MB)...\n`);
  const table = readTable(text, file, options);
  if (announce) io.err(`read ${table.rows} rows x ${table.columns.length} columns in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  return table;
}

/**
 * The saved model: GaussianMixture.toJSON() plus the feature column names, so predict can find them
 * (drop `columns` to restore it with GaussianMixture.fromJSON).
 */
interface SavedModel extends ReturnType<GaussianMixture['toJSON']> {
  columns?: string[];
}

/** The model's covariances as full k x d x d matrices, whatever its covariance type. */
function fullCovariances(model: GaussianMixture, d: number): Float64Array {
  const type = model.options.covarianceType;
  const flat = Float64Array.from((model.covariances as unknown[]).flat(2) as number[]);
  return isMclustName(type) ? flat : expandToFull(flat, type, model.options.nComponents, d);
}

/** Model selection on `table`; the progress line counts candidates. */
type SelectArgs = Pick<FitArgs, 'k' | 'types' | 'criterion' | 'seed' | 'init' | 'nInit' | 'workers' | 'tol' | 'maxIter' | 'race'>;

async function select(table: Table, file: string, a: SelectArgs, io: Output): Promise<FitResult> {
  for (const note of table.notes) io.err(`${file}: ${note}\n`);
  const X = { data: table.data, rows: table.rows, cols: table.columns.length };
  const progress = new Progress('fitting candidate models');
  const selection = await selectModel(X, {
    nComponents: a.k,
    covarianceTypes: a.types,
    criterion: a.criterion,
    seed: a.seed,
    init: a.init,
    nInit: a.nInit,
    workers: a.workers,
    race: a.race,
    ...(a.tol === undefined ? {} : { tol: a.tol }),
    ...(a.maxIter === undefined ? {} : { maxIter: a.maxIter }),
    onCandidate: ({ done, total, nComponents, covarianceType }) => progress.update(done, total, `last: K = ${nComponents} ${covarianceType}`),
    // On one thread the event loop is busy between candidates: redraw from the EM loop itself.
    onIteration: () => progress.tick(),
  }).finally(() => progress.done());
  const model = selection.best;
  return {
    file,
    table,
    model,
    criterion: a.criterion,
    selection: selection.table,
    adjustedRandIndex: table.labels === null ? null : adjustedRandIndex(model.predict(X), table.labels),
  };
}

/** Median wall time of `repeats` fits of the chosen model on one backend. */
async function timeFit(X: { data: Float64Array; rows: number; cols: number }, options: GaussianMixtureOptions, repeats: number): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const model = new GaussianMixture(options);
    const t0 = performance.now();
    await model.fit(X);
    times.push(performance.now() - t0);
    model.dispose();
  }
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)];
}

/** `--bench`: the chosen model refitted on the WebAssembly and the JS backend, median of 5 after a warm-up. */
async function bench(r: FitResult, seed: number, io: Output): Promise<string> {
  const X = { data: r.table.data, rows: r.table.rows, cols: r.table.columns.length };
  const o = r.model.options;
  const options: GaussianMixtureOptions = { nComponents: o.nComponents, covarianceType: o.covarianceType, seed };
  io.err('timing the chosen model on the wasm and js backends (--bench)...\n');
  await timeFit(X, { ...options, backend: 'wasm' }, 1);
  await timeFit(X, { ...options, backend: 'js' }, 1);
  const wasm = await timeFit(X, { ...options, backend: 'wasm' }, 5);
  const js = await timeFit(X, { ...options, backend: 'js' }, 5);
  return `  fit time (median of 5): wasm ${wasm.toFixed(2)} ms | js ${js.toFixed(2)} ms | js/wasm ${(js / wasm).toFixed(2)}x`;
}

export async function fitCommand(a: FitArgs, io: Output): Promise<void> {
  // selectModel's workers start while the file is read (it caps them at the cores too).
  const workers = Math.min(await resolveWorkerCount(a.workers), await coreCount());
  if (workers >= 2) await prestartWorkers(workers);
  try {
    await fit(a, io);
  } finally {
    await releaseSpareWorkers();
  }
}

async function fit(a: FitArgs, io: Output): Promise<void> {
  const table = load(a.file, { columns: a.columns, labelColumn: a.labelColumn }, io);
  const r = await select(table, a.file, a, io);
  const d = table.columns.length;
  if (a.save !== undefined) {
    const saved: SavedModel = { ...r.model.toJSON(), columns: table.columns };
    writeText(a.save, `${JSON.stringify(saved)}\n`, '--save');
  }
  if (a.plot !== undefined) {
    const o = r.model.options;
    const svg = scatterSvg({
      data: table.data, rows: table.rows, cols: d, columns: table.columns, labels: r.model.predict({ data: table.data, rows: table.rows, cols: d }),
      means: r.model.means, covariances: fullCovariances(r.model, d), title: `${a.file}: K = ${o.nComponents}, ${o.covarianceType}`,
    });
    writeText(a.plot, svg, '--plot');
  }
  if (a.json) io.out(`${JSON.stringify(fitJson(r), null, 2)}\n`);
  else io.out(`${fitText(r)}\n`);
  if (a.bench) io.out(`${await bench(r, a.seed, io)}\n`);
  if (!a.json && a.save !== undefined) io.out(`model written to ${a.save}\n`);
  if (!a.json && a.plot !== undefined) io.out(`plot written to ${a.plot}\n`);
  r.model.dispose();
}

export async function predictCommand(a: PredictArgs, io: Output): Promise<void> {
  let saved: SavedModel;
  let model: GaussianMixture;
  try {
    saved = JSON.parse(readText(a.model, '--model')) as SavedModel;
    // The column names are the CLI's addition; the library's fromJSON rejects fields it does not know.
    const { columns: _columns, ...json } = saved;
    model = GaussianMixture.fromJSON(json);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--model '${a.model}' is not a model written by gmm-wasm fit --save: ${(err as Error).message}`);
  }
  const columns = a.columns ?? saved.columns;
  const table = load(a.file, { columns, noLabels: true }, io);
  for (const note of table.notes) io.err(`${a.file}: ${note}\n`);
  const d = table.columns.length;
  if (d !== saved.nFeatures) {
    throw new UsageError(
      `${a.file}: the model was fitted on ${saved.nFeatures} columns, the file gives ${d} (${table.columns.join(', ')}); choose them with --columns.`,
    );
  }
  const X = { data: table.data, rows: table.rows, cols: d };
  const labels = model.predict(X);
  const k = model.options.nComponents;
  const lines: string[] = [a.proba ? ['label', ...Array.from({ length: k }, (_, c) => `proba_${c}`)].join(',') : 'label'];
  if (a.proba) {
    const p = model.predictProba(X).data;
    for (let i = 0; i < table.rows; i++) {
      let line = String(labels[i]);
      for (let c = 0; c < k; c++) line += `,${p[i * k + c]}`;
      lines.push(line);
    }
  } else {
    for (let i = 0; i < table.rows; i++) lines.push(String(labels[i]));
  }
  const text = `${lines.join('\n')}\n`;
  if (a.out !== undefined) writeText(a.out, text, '--out');
  else io.out(text);
  model.dispose();
}

const DEMO_SETTINGS: SelectArgs = {
  k: [1, 2, 3, 4, 5, 6], types: ['full', 'tied', 'diag', 'spherical'], criterion: 'bic', seed: 1, init: 'auto', nInit: 1, workers: 1, race: true,
};

/** The embedded Old Faithful and iris data (package root data/), as `gmm-wasm fit` with K = 1..6 shows them. */
export async function demoCommand(a: DemoArgs, io: Output): Promise<void> {
  io.out('gmm-wasm: Gaussian mixtures by EM (WebAssembly kernels, TypeScript baseline)\n');
  for (const [name, file] of [['Old Faithful', 'faithful.csv'], ['iris', 'iris.csv']]) {
    const path = new URL(`../../data/${file}`, import.meta.url);
    const table = readTable(readFileSync(path, 'utf8'), file);
    const r = await select(table, `${name} (data/${file})`, DEMO_SETTINGS, io);
    io.out(`\n=== ${fitText(r)}\n`);
    if (a.bench) io.out(`${await bench(r, 1, io)}\n`);
    r.model.dispose();
  }
}
