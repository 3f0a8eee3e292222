#!/usr/bin/env node
/**
 * `npm start`: fits the embedded example data (Old Faithful, iris), chooses K and the covariance type
 * by BIC, prints the chosen model, and times the WASM and JS backends side by side on that model.
 * `gmm-wasm FILE.csv [--k N] [--type full|tied|diag|spherical]` does the same for a numeric CSV.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { GaussianMixture, selectModel } from './index.js';
import type { CovarianceType, GaussianMixtureOptions } from './index.js';

interface Table {
  header: string[];
  rows: number[][];
  labels: string[] | null;
}

/** Numeric columns of a CSV with a header row; a last non-numeric column is kept as labels. */
function readCsv(text: string): Table {
  const lines = text.trim().split(/\r?\n/);
  const header = lines[0].split(',').map((s) => s.trim());
  const cells = lines.slice(1).map((l) => l.split(',').map((s) => s.trim()));
  const lastNumeric = cells.every((r) => r.length === header.length && Number.isFinite(Number(r[r.length - 1])));
  const width = lastNumeric ? header.length : header.length - 1;
  const rows = cells.map((r, i) =>
    r.slice(0, width).map((v, j) => {
      const x = Number(v);
      if (v === '' || !Number.isFinite(x)) throw new Error(`CSV row ${i + 2}, column ${header[j]}: ${JSON.stringify(v)} is not a number.`);
      return x;
    }),
  );
  return { header: header.slice(0, width), rows, labels: lastNumeric ? null : cells.map((r) => r[r.length - 1]) };
}

const fmt = (x: number, digits = 4): string => (Math.abs(x) >= 1e5 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(digits - 1) : x.toFixed(digits));
const pad = (s: string, n: number): string => s.padStart(n);

/** Median wall time of `repeats` fits with the given options. */
async function timeFit(X: number[][], options: GaussianMixtureOptions, repeats: number): Promise<{ ms: number; backend: string }> {
  const times: number[] = [];
  let backend = '';
  for (let r = 0; r < repeats; r++) {
    const model = new GaussianMixture(options);
    const t0 = performance.now();
    await model.fit(X);
    times.push(performance.now() - t0);
    backend = model.backendName ?? '';
    model.dispose();
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], backend };
}

/** Agreement of the clusters with known classes: the adjusted Rand index (1 = identical partitions). */
function adjustedRand(a: ArrayLike<number>, b: string[]): number {
  const n = a.length;
  const classes = [...new Set(b)];
  const table = new Map<string, number>();
  const rowSum = new Map<number, number>();
  const colSum = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const key = `${a[i]}|${b[i]}`;
    table.set(key, (table.get(key) ?? 0) + 1);
    rowSum.set(a[i], (rowSum.get(a[i]) ?? 0) + 1);
    colSum.set(b[i], (colSum.get(b[i]) ?? 0) + 1);
  }
  const c2 = (m: number): number => (m * (m - 1)) / 2;
  let index = 0;
  for (const v of table.values()) index += c2(v);
  let sa = 0;
  for (const v of rowSum.values()) sa += c2(v);
  let sb = 0;
  for (const c of classes) sb += c2(colSum.get(c) ?? 0);
  const expected = (sa * sb) / c2(n);
  return (index - expected) / ((sa + sb) / 2 - expected);
}

async function report(name: string, table: Table, fixed: { k?: number; type?: CovarianceType }): Promise<void> {
  const X = table.rows;
  const shared = { seed: 1, nInit: 3 };
  console.log(`\n=== ${name}: ${X.length} rows x ${table.header.length} columns (${table.header.join(', ')}) ===`);
  const { best, table: candidates } = await selectModel(X, {
    ...shared,
    nComponents: fixed.k ? [fixed.k] : [1, 2, 3, 4, 5, 6],
    covarianceTypes: fixed.type ? [fixed.type] : ['full', 'tied', 'diag', 'spherical'],
  });
  const types = [...new Set(candidates.map((c) => c.covarianceType))];
  const ks = [...new Set(candidates.map((c) => c.nComponents))];
  console.log(`BIC by K (rows) and covariance type (columns); lower is better:`);
  console.log(`  K ${types.map((t) => pad(t, 12)).join('')}`);
  for (const k of ks) {
    const cells = types.map((t) => {
      const c = candidates.find((r) => r.nComponents === k && r.covarianceType === t);
      return pad(c && Number.isFinite(c.bic) ? c.bic.toFixed(1) : 'failed', 12);
    });
    console.log(`${pad(String(k), 3)} ${cells.join('')}`);
  }
  const o = best.options;
  console.log(`\nChosen: K = ${o.nComponents}, covariance '${o.covarianceType}' (lowest BIC ${fmt(best.bic(X), 2)})`);
  console.log(`  iterations ${best.nIter}, converged ${best.converged}, mean log-likelihood ${fmt(best.score(X), 6)}, AIC ${fmt(best.aic(X), 2)}`);
  const means = best.means;
  best.weights.forEach((w, c) => {
    console.log(`  component ${c}: weight ${w.toFixed(3)}  mean [${means[c].map((m) => fmt(m, 3)).join(', ')}]`);
  });
  if (table.labels) {
    console.log(`  adjusted Rand index against the '${name}' classes: ${adjustedRand(best.predict(X), table.labels).toFixed(3)}`);
  }
  best.dispose();

  const options: GaussianMixtureOptions = { ...shared, nComponents: o.nComponents, covarianceType: o.covarianceType };
  await timeFit(X, { ...options, backend: 'wasm' }, 2); // compile and warm up before timing
  await timeFit(X, { ...options, backend: 'js' }, 2);
  const wasm = await timeFit(X, { ...options, backend: 'wasm' }, 7);
  const js = await timeFit(X, { ...options, backend: 'js' }, 7);
  console.log(
    `  fit time (median of 7, nInit ${shared.nInit}): ${wasm.backend} ${wasm.ms.toFixed(2)} ms | js ${js.ms.toFixed(2)} ms | js/wasm ${(js.ms / wasm.ms).toFixed(2)}x`,
  );
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const k = flag('--k') !== undefined ? Number(flag('--k')) : undefined;
  const type = flag('--type') as CovarianceType | undefined;
  const file = args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
  console.log('gmm-wasm: Gaussian mixtures by EM (WebAssembly kernels, TypeScript baseline)');
  if (file) {
    await report(file, readCsv(readFileSync(file, 'utf8')), { k, type });
    return;
  }
  const data = (f: string): string => readFileSync(new URL(`../data/${f}`, import.meta.url), 'utf8');
  await report('Old Faithful', readCsv(data('faithful.csv')), { k, type });
  await report('iris', readCsv(data('iris.csv')), { k, type });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? `${err.name}: ${err.message}` : err);
  process.exit(1);
});
