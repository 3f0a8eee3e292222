#!/usr/bin/env node
// The anchors' contract (../shared/anchors/README.md), for gmm-wasm:
//   npm run bench:anchors -- --data DIR --cases A,B --backends wasm,js [--workers N] [--json]
// DIR holds the files `node ../shared/anchors/gen.mjs CASE DIR` writes (CASE.x.f64, CASE.init.json).
// For every case and backend: EM from CASE.init.json with regCovar 1e-6 and convergence off (tol 0),
// timed end to end for t1 and t2 iterations (alternating, `repeats` pairs, after one untimed warm-up
// fit); seconds per iteration = median over pairs of (time(t2) - time(t1)) / (t2 - t1), so the
// one-off costs (copying X in, initial Cholesky, final scoring) cancel. meanLogLik = mean
// log-likelihood at the parameters after the t2-th update (the fit's final E-step).
// --json prints one JSON object per line: {"case","backend","workers","secPerIter","meanLogLik"}
// (--samples adds every (t1, t2) pair's figure); otherwise progress on stderr and a table.
// --zero-copy loads X through allocateData. --repeats N overrides the case's number of (t1, t2)
// pairs (with workers the per-fit start-up varies by tens of ms, so short cases want more pairs).
// Needs `npm run build` (imports dist/).
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GaussianMixture } from '../dist/index.js';
import { list, number, readArgs, usageError } from './args.mjs';

const USAGE = 'npm run bench:anchors -- --data DIR [--cases A,B] [--backends wasm,js] [--workers N] [--repeats N] [--zero-copy] [--json [--samples]] [--cases-file cases.json]';
const here = fileURLToPath(new URL('.', import.meta.url));
const { values: opts } = readArgs(
  {
    'cases-file': { type: 'string', default: [`${here}../../shared/anchors/cases.json`, '/work/shared/anchors/cases.json'].find(existsSync) },
    data: { type: 'string', default: '/tmp/gmm_anchor_data' },
    cases: { type: 'string' },
    backends: { type: 'string', default: 'wasm,wasm-scalar,js' },
    workers: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
    'zero-copy': { type: 'boolean', default: false },
    samples: { type: 'boolean', default: false },
    repeats: { type: 'string' },
  },
  USAGE,
);
if (opts['cases-file'] === undefined) usageError('--cases-file: no anchors cases.json found next to the repository; name it', USAGE);
const allCases = JSON.parse(readFileSync(opts['cases-file'], 'utf8')).cases;
const dataDir = opts.data;
const caseNames = opts.cases === undefined ? allCases.map((c) => c.name) : list('--cases', opts.cases, USAGE);
const backends = list('--backends', opts.backends, USAGE);
const workers = number('--workers', opts.workers, USAGE, { integer: true, min: 1 });
const json = opts.json;
const zeroCopy = opts['zero-copy'];
const withSamples = opts.samples;
const repeatsOverride = opts.repeats === undefined ? null : number('--repeats', opts.repeats, USAGE, { integer: true, min: 1 });

/** Whether this build of GaussianMixture takes a `workers` option (another part of the package adds it). */
function supportsWorkers() {
  try {
    new GaussianMixture({ workers: 2 });
    return true;
  } catch {
    return false;
  }
}
const workersOption = workers !== 1 && supportsWorkers() ? { workers } : {};

function loadCase(c) {
  const init = JSON.parse(readFileSync(`${dataDir}/${c.name}.init.json`, 'utf8'));
  const buf = readFileSync(`${dataDir}/${c.name}.x.f64`);
  if (buf.length !== c.n * c.d * 8) throw new Error(`${c.name}.x.f64 has ${buf.length} bytes, expected ${c.n * c.d * 8}`);
  const data = buf.byteOffset % 8 === 0 ? new Float64Array(buf.buffer, buf.byteOffset, c.n * c.d) : new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
  return { X: { data, rows: c.n, cols: c.d }, init };
}

async function makeModel(c, init, backend, iters, X) {
  const model = new GaussianMixture({
    nComponents: c.k,
    covarianceType: c.covariance,
    regCovar: 1e-6,
    tol: 0,
    maxIter: iters,
    init: { weights: init.weights, means: init.means, covariances: init.covariances },
    backend,
    ...workersOption,
  });
  let input = X;
  if (zeroCopy && backend !== 'js') {
    input = await model.allocateData(X.rows, X.cols);
    input.data.set(X.data);
  }
  return { model, input };
}

async function timeFit({ model, input }) {
  const t0 = performance.now();
  await model.fit(input);
  return (performance.now() - t0) / 1000;
}

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const rows = [];
for (const name of caseNames) {
  const c = allCases.find((x) => x.name === name);
  if (!c) throw new Error(`unknown case ${name} (cases: ${allCases.map((x) => x.name).join(', ')})`);
  const { X, init } = loadCase(c);
  for (const backend of backends) {
    const m1 = await makeModel(c, init, backend, c.t1, X);
    const m2 = await makeModel(c, init, backend, c.t2, X);
    await timeFit(m1); // warm-up (compiles, tiers up, sizes the arena)
    await timeFit(m2);
    const samples = [];
    for (let r = 0; r < (repeatsOverride ?? c.repeats); r++) {
      const a = await timeFit(m1);
      const b = await timeFit(m2);
      samples.push((b - a) / (c.t2 - c.t1));
    }
    const history = m2.model.history;
    const row = {
      case: c.name,
      backend,
      workers: typeof m2.model.fitWorkers === "number" ? m2.model.fitWorkers : workers,
      secPerIter: median(samples),
      meanLogLik: history[history.length - 1],
      samples,
    };
    if (m2.model.nIter !== c.t2) throw new Error(`${c.name}/${backend}: ran ${m2.model.nIter} iterations, expected ${c.t2}`);
    m1.model.dispose();
    m2.model.dispose();
    rows.push(row);
    if (json) {
      const { samples: all, ...line } = row;
      console.log(JSON.stringify(withSamples ? { ...line, samples: all } : line));
    }
    else console.error(`${c.name} ${backend}: ${(row.secPerIter * 1e3).toFixed(2)} ms/iter, meanLogLik ${row.meanLogLik.toFixed(8)}`);
  }
}
if (!json) {
  console.log('| case | backend | workers | ms/iter | meanLogLik |');
  console.log('|---|---|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.case} | ${r.backend} | ${r.workers} | ${(r.secPerIter * 1e3).toFixed(2)} | ${r.meanLogLik.toFixed(8)} |`);
}
