// The demo's model selection (BIC and AIC over K for the four covariance types): the package's
// selectModel with the options `gmm-wasm fit` also takes, so the page and the command line choose the
// same model from the same seed (test/demo.test.ts). It runs in the fit worker, and in Node for that test.
import { GaussianMixture, selectModel } from 'gmm-wasm';

const COVARIANCE_TYPES = ['full', 'tied', 'diag', 'spherical'];

/**
 * The `gmm-wasm fit` command line that gives the same selection (the file is the data's CSV); the
 * page's initialisation and backend controls do not enter: selectModel starts every candidate from
 * init 'auto' (mclust's hierarchical clustering), and the backends agree.
 */
function cliCommand(file, { seed, maxIter }, kMax) {
  return `gmm-wasm fit ${file} --k 1:${kMax} --type ${COVARIANCE_TYPES.join(',')} --seed ${seed} --max-iter ${maxIter}`;
}

/**
 * BIC and AIC for K = 1..kMax and the four covariance types. `options` are the page's fit options
 * (seed, maxIter, backend, workers, missingValues; the rest is left out). Returns the points to plot
 * and the chosen candidate (lowest BIC) with its means. `onPoint(point, done, total)` reports each
 * candidate as it is fitted; `point` is null where only the count is known until the end. With the
 * data's CSV `file` (complete rows), `command` is the command line that chooses the same model.
 */
export async function selectCandidates({ X, rows, cols, options, kMax, file = null }, onPoint = () => {}) {
  const data = { data: X, rows, cols };
  const ks = Array.from({ length: Math.min(kMax, rows) }, (_, i) => i + 1);
  const total = ks.length * COVARIANCE_TYPES.length;
  const { seed, maxIter, backend, workers, missingValues } = options;
  const shared = { seed, maxIter, ...(backend === undefined ? {} : { backend }), ...(workers === undefined ? {} : { workers }) };
  if (missingValues === 'em') return selectIncomplete(data, ks, { ...shared, missingValues }, total, onPoint);

  const selection = await selectModel(data, {
    ...shared,
    nComponents: ks,
    covarianceTypes: COVARIANCE_TYPES,
    criterion: 'bic',
    // selectModel reports progress without the numbers; the plot fills in once the table is there.
    onCandidate: ({ done }) => onPoint(null, done, total),
  });
  // A degenerate candidate is never chosen, so it is not plotted either (mclust shows NA).
  const points = selection.table.map((row) =>
    row.degenerate === undefined
      ? { k: row.nComponents, covarianceType: row.covarianceType, bic: row.bic, aic: row.aic }
      : { k: row.nComponents, covarianceType: row.covarianceType, bic: NaN, aic: NaN, error: row.degenerate },
  );
  const best = selection.best;
  const row = selection.table.find((r) => r.nComponents === best.nComponents && r.covarianceType === best.covarianceType);
  const chosen = { k: best.nComponents, covarianceType: best.covarianceType, bic: row.bic, means: best.means };
  best.dispose();
  return { points, chosen, command: file === null ? null : cliCommand(file, shared, kMax) };
}

/**
 * selectModel takes complete rows only: with values removed, every candidate is a GaussianMixture fit
 * with missingValues 'em' on the same seed, compared by bic(X) as selectModel's error message says.
 */
async function selectIncomplete(data, ks, shared, total, onPoint) {
  const points = [];
  let chosen = null;
  for (const covarianceType of COVARIANCE_TYPES) {
    for (const k of ks) {
      const gmm = new GaussianMixture({ ...shared, nComponents: k, covarianceType });
      let point;
      try {
        await gmm.fit(data);
        point = { k, covarianceType, bic: gmm.bic(data), aic: gmm.aic(data) };
        if (chosen === null || point.bic < chosen.bic) chosen = { k, covarianceType, bic: point.bic, means: gmm.means };
      } catch (err) {
        point = { k, covarianceType, bic: NaN, aic: NaN, error: err.message };
      } finally {
        gmm.dispose();
      }
      points.push(point);
      onPoint(point, points.length, total);
    }
  }
  return { points, chosen, command: null };
}
