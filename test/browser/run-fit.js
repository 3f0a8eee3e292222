// Shared by fit.html (the page) and fit-worker.js (a module Web Worker): one fit of the built package
// from a plain-data spec, returning everything the Node side compares against.
import { GaussianMixture } from '/dist/index.js';

export async function runFit({ data, rows, cols, options }) {
  const X = { data: Float64Array.from(data), rows, cols };
  const gmm = new GaussianMixture(options);
  await gmm.fit(X);
  const out = {
    backendName: gmm.backendName,
    fitWorkers: gmm.fitWorkers ?? 1,
    fitWarnings: gmm.fitWarnings ?? [],
    weights: gmm.weights,
    means: gmm.means,
    covariances: gmm.covariances,
    history: gmm.history,
    nIter: gmm.nIter,
    converged: gmm.converged,
    labels: Array.from(gmm.predict(X)),
  };
  gmm.dispose();
  return out;
}
