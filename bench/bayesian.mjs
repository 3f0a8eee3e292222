#!/usr/bin/env node
// Seconds per iteration of BayesianGaussianMixture against GaussianMixture (same backend, same data)
// and, with --sklearn, scikit-learn's BayesianGaussianMixture, on anchor cases:
//   node bench/bayesian.mjs --data DIR --cases A,B [--backends wasm,js] [--sklearn /usr/bin/python3]
// DIR holds `node ../shared/anchors/gen.mjs CASE DIR` output. Both models start from the partition of
// the rows by nearest initial mean of CASE.init.json (GaussianMixture: init { labels }; the Bayesian
// model: scikit-learn's _initialize from those one-hot responsibilities), regCovar 1e-6, tol 0.
// Seconds per iteration = median over max(repeats, 5) pairs of (time(t2) - time(t1)) / (t2 - t1), as
// bench/anchors.mjs, so the start-up costs cancel. scikit-learn runs single-threaded BLAS
// (OMP/OPENBLAS/MKL_NUM_THREADS=1) through bench/bayesian_sklearn.py with the same partition.
// Needs `npm run build` (imports dist/).
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BayesianGaussianMixture, GaussianMixture } from '../dist/index.js';
import { list, readArgs } from './args.mjs';

const USAGE = 'node bench/bayesian.mjs [--data DIR] [--cases A,B] [--backends wasm,js] [--sklearn /usr/bin/python3]';
const here = fileURLToPath(new URL('.', import.meta.url));
const { values: opts } = readArgs(
  {
    data: { type: 'string', default: '/tmp/gmm_anchor_data' },
    cases: { type: 'string', default: 'n1e4_d2_k3_full,n1e5_d2_k16_full,n1e5_d8_k16_full,n1e5_d32_k16_diag' },
    backends: { type: 'string', default: 'wasm' },
    sklearn: { type: 'string' },
  },
  USAGE,
);
const casesFile = [`${here}../../shared/anchors/cases.json`, '/work/shared/anchors/cases.json'].find(existsSync);
const allCases = JSON.parse(readFileSync(casesFile, 'utf8')).cases;
const dataDir = opts.data;
const caseNames = list('--cases', opts.cases, USAGE);
const backends = list('--backends', opts.backends, USAGE);
const python = opts.sklearn ?? null;

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function nearestLabels(X, means, k) {
  const { data, rows, cols: d } = X;
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = Infinity;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let a = 0; a < d; a++) s += (data[i * d + a] - means[c][a]) ** 2;
      if (s < best) { best = s; labels[i] = c; }
    }
  }
  return labels;
}

/** Models for t1 and t2 iterations made once and refitted (each keeps its backend), as bench/anchors.mjs. */
async function secPerIter(make, c, X) {
  const m1 = make(c.t1);
  const m2 = make(c.t2);
  const time = async (m, iters) => {
    const t0 = performance.now();
    await m.fit(X);
    const t = (performance.now() - t0) / 1000;
    if (m.nIter !== iters) throw new Error(`${c.name}: ran ${m.nIter} iterations, expected ${iters}`);
    return t;
  };
  await time(m1, c.t1); // warm-up (compiles, tiers up, sizes the arena)
  await time(m2, c.t2);
  const samples = [];
  for (let r = 0; r < Math.max(c.repeats, 5); r++) {
    const a = await time(m1, c.t1);
    const b = await time(m2, c.t2);
    samples.push((b - a) / (c.t2 - c.t1));
  }
  m1.dispose();
  m2.dispose();
  return median(samples);
}

const rows = [];
for (const name of caseNames) {
  const c = allCases.find((x) => x.name === name);
  if (!c) throw new Error(`unknown case ${name}`);
  const init = JSON.parse(readFileSync(`${dataDir}/${c.name}.init.json`, 'utf8'));
  const buf = readFileSync(`${dataDir}/${c.name}.x.f64`);
  const X = { data: new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length)), rows: c.n, cols: c.d };
  const labels = nearestLabels(X, init.means, c.k);
  const common = { nComponents: c.k, covarianceType: c.covariance, regCovar: 1e-6, tol: 0, init: { labels } };
  const row = { case: c.name };
  for (const backend of backends) {
    row[`gm_${backend}`] = await secPerIter((maxIter) => new GaussianMixture({ ...common, maxIter, backend }), c, X);
    row[`bgm_${backend}`] = await secPerIter((maxIter) => new BayesianGaussianMixture({ ...common, maxIter, backend }), c, X);
    console.error(`${c.name} ${backend}: GaussianMixture ${(row[`gm_${backend}`] * 1e3).toFixed(2)} ms/iter, BayesianGaussianMixture ${(row[`bgm_${backend}`] * 1e3).toFixed(2)} ms/iter`);
  }
  if (python) {
    const labelFile = `${dataDir}/${c.name}.labels.i32`;
    writeFileSync(labelFile, Buffer.from(labels.buffer));
    const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
    const out = execFileSync(python, [`${here}bayesian_sklearn.py`, `${dataDir}/${c.name}.x.f64`, labelFile, String(c.n), String(c.d), String(c.k), c.covariance, String(c.t1), String(c.t2), String(c.repeats)], { env, encoding: 'utf8' });
    row.sklearn = JSON.parse(out).secPerIter;
    console.error(`${c.name} scikit-learn BayesianGaussianMixture: ${(row.sklearn * 1e3).toFixed(2)} ms/iter`);
  }
  rows.push(row);
}
const cols = backends.flatMap((b) => [`gm_${b}`, `bgm_${b}`]).concat(python ? ['sklearn'] : []);
console.log(`| case | ${cols.map((c) => `${c} ms/iter`).join(' | ')} | bgm/gm${python ? ' | sklearn/bgm' : ''} |`);
console.log(`|---|${cols.map(() => '---:').join('|')}|---:|${python ? '---:|' : ''}`);
for (const r of rows) {
  const b = backends[0];
  const cells = cols.map((c) => (r[c] * 1e3).toFixed(2));
  console.log(`| ${r.case} | ${cells.join(' | ')} | ${(r[`bgm_${b}`] / r[`gm_${b}`]).toFixed(2)} |${python ? ` ${(r.sklearn / r[`bgm_${b}`]).toFixed(1)} |` : ''}`);
}
