// One fit of the built package from a plain-data spec, returning everything the tests compare. Shared
// by fit.html (the page), fit-worker.js (a module Web Worker) and the Node side of browser.test.ts;
// each passes the GaussianMixture class it imported from the built package.
export async function runFit(GaussianMixture, { data, rows, cols, options }) {
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
