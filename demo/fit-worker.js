// The demo's Web Worker: every fit runs here, off the page's thread, and reports its progress with
// postMessage from `onIteration`. With `workers: n` the package itself spreads each EM pass over n more
// workers (nested workers), so the page stays responsive either way.
import { BayesianGaussianMixture, GaussianMixture } from 'gmm-wasm';
import { selectCandidates } from './selection.js';

/** Whether this build of the package has the `workers` option. */
function workersOption() {
  try {
    new GaussianMixture({ nComponents: 1, workers: 2 });
    return true;
  } catch {
    return false;
  }
}

function backendProbe() {
  const g = new GaussianMixture({ nComponents: 1, backend: 'auto' });
  return g.fit({ data: new Float64Array([0, 0, 1, 1, 2, 0]), rows: 3, cols: 2 }).then(() => g.backendName);
}

const capabilities = workersOption();
backendProbe().then(
  (autoBackend) => postMessage({ type: 'hello', workers: capabilities, autoBackend, cores: navigator.hardwareConcurrency ?? 1 }),
  (err) => postMessage({ type: 'hello', workers: capabilities, autoBackend: `unavailable: ${err.message}`, cores: 1 }),
);

/** Options for GaussianMixture from the page's choices (drops `workers` where the build lacks it). */
function modelOptions(o, extra = {}) {
  const { workers, ...rest } = o;
  const options = { ...rest, ...extra };
  if (capabilities && workers !== undefined) options.workers = workers;
  return options;
}

/** Covariance of component c as a full d x d nested array, whatever the covariance type. */
function fullCovariance(gmm, c, d) {
  const cov = gmm.covariances;
  switch (gmm.options.covarianceType) {
    case 'full':
      return cov[c];
    case 'tied':
      return cov;
    case 'diag':
      return cov[c].map((v, i) => Array.from({ length: d }, (_, j) => (i === j ? v : 0)));
    default:
      return Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? cov[c] : 0)));
  }
}

/** Weights above this count as active: effectiveComponents()'s default threshold. */
const ACTIVE_WEIGHT = 0.01;

/**
 * One fit of GaussianMixture, or of BayesianGaussianMixture when `bayesian` (then nComponents is the
 * upper bound on K, `history` is the lower bound per iteration and only the active components get
 * ellipses). Returns labels, confidences and the log density on `grid` for the scatter.
 */
async function fit({ X, rows, cols, options, grid, bayesian = false }, progress) {
  const data = { data: X, rows, cols };
  const Model = bayesian ? BayesianGaussianMixture : GaussianMixture;
  const gmm = new Model(modelOptions(options, { onIteration: (info) => progress({ ...info }) }));
  const t0 = performance.now();
  await gmm.fit(data);
  const seconds = (performance.now() - t0) / 1000;
  const k = gmm.options.nComponents;
  const proba = gmm.predictProba(data);
  const label = new Int32Array(rows);
  const confidence = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (proba.data[i * k + c] > proba.data[i * k + best]) best = c;
    label[i] = best;
    confidence[i] = proba.data[i * k + best];
  }
  // log density of the mixture on a grid of cell centres, row by row from y1 to y2
  const G = new Float64Array(grid.width * grid.height * 2);
  for (let r = 0; r < grid.height; r++) {
    for (let q = 0; q < grid.width; q++) {
      const i = r * grid.width + q;
      G[2 * i] = grid.x1 + ((q + 0.5) * (grid.x2 - grid.x1)) / grid.width;
      G[2 * i + 1] = grid.y1 + ((r + 0.5) * (grid.y2 - grid.y1)) / grid.height;
    }
  }
  const density = gmm.scoreSamples({ data: G, rows: grid.width * grid.height, cols: 2 });
  // with missing entries: every row at its conditional expectation given its observed value, and which rows lost one
  const missing = options.missingValues === 'em';
  const imputed = missing ? gmm.impute(data).data : null;
  const wasMissing = new Uint8Array(missing ? rows : 0);
  for (let i = 0; i < wasMissing.length; i++) wasMissing[i] = Number.isNaN(X[2 * i]) || Number.isNaN(X[2 * i + 1]) ? 1 : 0;
  const result = {
    seconds,
    backendName: gmm.backendName,
    fitWorkers: gmm.fitWorkers ?? 1,
    fitWarnings: gmm.fitWarnings ?? [],
    weights: gmm.weights,
    means: gmm.means,
    covariances: Array.from({ length: k }, (_, c) => fullCovariance(gmm, c, cols)),
    history: gmm.history,
    nIter: gmm.nIter,
    converged: gmm.converged,
    // BayesianGaussianMixture has no likelihood to penalise: its criterion is the lower bound itself
    bic: bayesian ? null : gmm.bic(data),
    aic: bayesian ? null : gmm.aic(data),
    active: gmm.weights.map((w) => !bayesian || w > ACTIVE_WEIGHT),
    effectiveComponents: bayesian ? gmm.effectiveComponents(ACTIVE_WEIGHT) : k,
    lowerBound: bayesian ? gmm.lowerBound : null,
    label,
    confidence,
    density,
    imputed,
    wasMissing,
  };
  gmm.dispose();
  const transfer = [label.buffer, confidence.buffer, density.buffer, wasMissing.buffer];
  if (imputed) transfer.push(imputed.buffer);
  return { result, transfer };
}

/** BIC and AIC for K = 1..kMax and the four covariance types, and the model BIC chooses (selection.js). */
async function select(payload, progress) {
  const result = await selectCandidates(payload, (point, done, total) => progress({ done, total, point }));
  return { result };
}

/** Wall time of the same fit on the WASM and JS backends (median of repeats for short fits). */
async function timing({ X, rows, cols, options }, progress) {
  const data = { data: X, rows, cols };
  const out = [];
  for (const backend of ['wasm', 'js']) {
    const times = [];
    let total = 0;
    let name = backend;
    while (times.length < 3 || (total < 0.4 && times.length < 25)) {
      const gmm = new GaussianMixture(modelOptions(options, { backend }));
      const t0 = performance.now();
      await gmm.fit(data);
      const s = (performance.now() - t0) / 1000;
      name = gmm.backendName;
      gmm.dispose();
      times.push(s);
      total += s;
      if (total > 20) break; // a long fit: one or two runs are enough
    }
    times.sort((a, b) => a - b);
    out.push({ backend: name, seconds: times[Math.floor(times.length / 2)], repeats: times.length });
    progress({ partial: out });
  }
  return { result: { timings: out } };
}

/** K colours fitted to RGB pixels; returns the label of each pixel and the mean colours. */
async function segment({ pixels, rows, options }, progress) {
  const data = { data: pixels, rows, cols: 3 };
  const gmm = new GaussianMixture(modelOptions(options, { onIteration: (info) => progress({ ...info }) }));
  const t0 = performance.now();
  await gmm.fit(data);
  const fitSeconds = (performance.now() - t0) / 1000;
  const labels = gmm.predict(data);
  const result = {
    fitSeconds,
    seconds: (performance.now() - t0) / 1000,
    labels,
    means: gmm.means,
    weights: gmm.weights,
    nIter: gmm.nIter,
    backendName: gmm.backendName,
    fitWorkers: gmm.fitWorkers ?? 1,
    fitWarnings: gmm.fitWarnings ?? [],
  };
  gmm.dispose();
  return { result, transfer: [labels.buffer] };
}

const tasks = { fit, select, timing, segment };

self.onmessage = async (event) => {
  const { id, task, payload } = event.data;
  const progress = (info) => postMessage({ id, type: 'progress', info });
  try {
    const { result, transfer = [] } = await tasks[task](payload, progress);
    postMessage({ id, type: 'result', result }, transfer);
  } catch (err) {
    postMessage({ id, type: 'error', message: err?.message ?? String(err), code: err?.code });
  }
};
