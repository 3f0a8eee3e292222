// Cost of missing values (missingValues: 'em'): seconds per EM iteration on an anchor case with a
// fraction of the entries removed at random, against the same data complete.
//
//   npm run build && node bench/missing.mjs [--case n1e6_d8_k8_diag] [--rates 0,0.01,0.1]
//        [--covariance diag|full] [--backend wasm] [--repeats 2] [--anchors ../shared/anchors]
//
// The data and initial parameters come from the anchors' generator (gen.mjs); seconds per iteration
// are the median over `repeats` fits of 8 iterations (after one warm-up fit) of the process's CPU time
// from one iteration to the next.
// --covariance full fits the same data with full covariances (initial covariances diag(v) per component).
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GaussianMixture } from '../dist/index.js';
import { list, number, readArgs, usageError } from './args.mjs';

const USAGE = 'node bench/missing.mjs [--case NAME] [--rates 0,0.01,0.1] [--covariance diag|full] [--backend wasm] [--repeats 2] [--anchors DIR]';
const HERE = dirname(fileURLToPath(import.meta.url));
const { values: opts } = readArgs(
  {
    anchors: { type: 'string', default: resolve(HERE, '../../shared/anchors') },
    case: { type: 'string', default: 'n1e6_d8_k8_diag' },
    rates: { type: 'string', default: '0,0.01,0.1' },
    backend: { type: 'string', default: 'wasm' },
    repeats: { type: 'string', default: '2' },
    covariance: { type: 'string' },
  },
  USAGE,
);
const anchors = resolve(opts.anchors);
const { generate, loadCases } = await import(pathToFileURL(resolve(anchors, 'gen.mjs')).href);
const caseName = opts.case;
const rates = list('--rates', opts.rates, USAGE, (r) => number('--rates', r, USAGE, { min: 0 }));
const backend = opts.backend;
const repeats = number('--repeats', opts.repeats, USAGE, { integer: true, min: 1 });
const c = loadCases().find((x) => x.name === caseName);
if (!c) usageError(`--case: unknown case '${caseName}'; the anchors' cases are ${loadCases().map((x) => x.name).join(', ')}`, USAGE);
const covariance = opts.covariance ?? c.covariance;
// The one conversion of the initial parameters there is: a diag case's covariances as full matrices.
if (covariance !== c.covariance && !(c.covariance === 'diag' && covariance === 'full')) {
  usageError(`--covariance: case ${caseName} is ${c.covariance}, so it takes ${c.covariance}${c.covariance === 'diag' ? ' or full' : ''}, got '${covariance}'`, USAGE);
}

const { X, init } = generate(c);
const { n, d, k } = c;
const covariances =
  covariance === c.covariance
    ? init.covariances
    : init.covariances.map((v) => v.map((x, a) => v.map((_, b) => (a === b ? x : 0)))); // diag -> full

/** X with each entry missing with probability `rate` (no row left empty), by a fixed-seed generator. */
function holes(rate) {
  const out = Float64Array.from(X);
  let s = 0x9e3779b9;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  for (let i = 0; i < n; i++) {
    let missing = 0;
    for (let j = 0; j < d; j++) if (u() < rate) (out[i * d + j] = NaN), missing++;
    if (missing === d) out[i * d] = X[i * d]; // keep one observed value
  }
  return out;
}

const ITERS = 8;
const model = (iters, onIteration) =>
  new GaussianMixture({
    nComponents: k, covarianceType: covariance, regCovar: 1e-6, tol: 0, maxIter: iters, backend, missingValues: 'em', onIteration,
    init: { weights: init.weights, means: init.means, covariances },
  });
let lastModel = null;
const median = (a) => [...a].sort((x, y) => x - y)[(a.length - 1) >> 1];

const results = [];
for (const rate of rates) {
  const data = { data: rate === 0 ? X : holes(rate), rows: n, cols: d };
  let missing = 0;
  for (let i = 0; i < n * d; i++) if (data.data[i] !== data.data[i]) missing++;
  // CPU seconds of this process between consecutive onIteration calls: one E-step pass + M-step each,
  // nothing of loading or pattern grouping; CPU time, not wall time, so other jobs on a shared
  // machine do not count.
  const samples = [];
  let last = null;
  for (let r = 0; r <= repeats; r++) {
    const m = model(ITERS, () => {
      const t = process.cpuUsage();
      if (last !== null && r > 0) samples.push((t.user + t.system - last.user - last.system) / 1e6);
      last = t;
    });
    last = null;
    await m.fit(data); // r = 0: warm-up
    lastModel = m;
  }
  const sec = median(samples);
  const base = results[0]?.secPerIter;
  const row = { case: c.name, covariance, backend, missing: missing / (n * d), secPerIter: sec, ratio: base ? sec / base : 1, samples, lastMeanLogLik: lastModel.history.at(-1) };
  results.push(row);
  console.log(JSON.stringify(row));
}
