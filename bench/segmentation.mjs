// Image-segmentation timing: K = 8 full-covariance components, 30 EM iterations (tol 0), fitted to
// the RGB pixels of a synthetic 1-megapixel image (1e6 x 3 rows), with 1 and (when the build has the
// `workers` option) 2 workers. Prints the median wall time of 3 repeats for each setting.
//
//   npm run build && npm run bench:segmentation [-- --repeats 3 --size 1000 --k 8 --iterations 30 --workers 1,2 --float32]
//
// The fit time includes initialisation (k-means, as the demo page uses) and the final E-step; the
// time to draw the image is not included.
import { GaussianMixture } from '../dist/index.js';
import { list, number, readArgs } from './args.mjs';

const USAGE = 'npm run bench:segmentation -- [--repeats 3] [--size 1000] [--k 8] [--iterations 30] [--init kmeans] [--workers 1,2] [--float32]';
const { values: opts } = readArgs(
  {
    repeats: { type: 'string', default: '3' },
    size: { type: 'string', default: '1000' },
    k: { type: 'string', default: '8' },
    iterations: { type: 'string', default: '30' },
    init: { type: 'string', default: 'kmeans' },
    workers: { type: 'string', default: '1,2' },
    float32: { type: 'boolean', default: false },
  },
  USAGE,
);
const integer = (flag) => number(`--${flag}`, opts[flag], USAGE, { integer: true, min: 1 });
const repeats = integer('repeats');
const side = integer('size'); // side x side pixels
const K = integer('k');
const maxIter = integer('iterations');
const init = opts.init;
const float32 = opts.float32;
const requested = list('--workers', opts.workers, USAGE, (w) => number('--workers', w, USAGE, { integer: true, min: 1 }));

/** A procedurally drawn picture (sky, sun, hills, a house, a lake) with sensor-like noise, RGB in 0..255. */
function syntheticImage(w, h, seed = 7) {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const noise = () => (rand() + rand() + rand() - 1.5) * 6; // ~N(0, 3^2)
  const data = float32 ? new Float32Array(w * h * 3) : new Float64Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const v = y / h;
    for (let x = 0; x < w; x++) {
      const u = x / w;
      let r, g, b;
      const hill1 = 0.62 + 0.08 * Math.sin(u * 6.3 + 0.5);
      const hill2 = 0.72 + 0.05 * Math.sin(u * 11 + 2);
      if ((u - 0.78) ** 2 + (v - 0.18) ** 2 < 0.006) [r, g, b] = [250, 215, 90]; // sun
      else if (v < hill1) [r, g, b] = [90 + 80 * v, 150 + 60 * v, 235]; // sky gradient
      else if (v < hill2) [r, g, b] = [70, 130, 60]; // far hill
      else if (v > 0.86 && u < 0.45) [r, g, b] = [50, 90, 170]; // lake
      else [r, g, b] = [110, 170, 70]; // meadow
      if (u > 0.2 && u < 0.36 && v > 0.6 && v < 0.78) [r, g, b] = [200, 60, 50]; // house
      if (u > 0.26 && u < 0.3 && v > 0.7 && v < 0.78) [r, g, b] = [90, 55, 35]; // door
      const i = (y * w + x) * 3;
      data[i] = r + noise();
      data[i + 1] = g + noise();
      data[i + 2] = b + noise();
    }
  }
  return { data, rows: w * h, cols: 3 };
}

function workersSupported() {
  try {
    new GaussianMixture({ nComponents: 2, workers: 2 });
    return true;
  } catch {
    return false;
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const X = syntheticImage(side, side);
const hasWorkers = workersSupported();
console.log(
  `segmentation bench: ${X.rows.toLocaleString('en')} pixels x 3 (${float32 ? 'Float32Array' : 'Float64Array'}), K = ${K}, full, ` +
    `${maxIter} iterations (tol 0), init '${init}', ${repeats} repeats, node ${process.version}`,
);
if (!hasWorkers) console.log('note: this build has no `workers` option; timing one thread only.');

const results = [];
for (const w of requested) {
  if (w !== 1 && !hasWorkers) {
    console.log(`workers: ${w}  skipped (option not available)`);
    continue;
  }
  const times = [];
  const phases = [];
  let info = '';
  for (let r = 0; r < repeats; r++) {
    // onIteration marks when each E-step pass is done: the first comes after initialisation + one pass
    const marks = [];
    const options = { nComponents: K, covarianceType: 'full', maxIter, tol: 0, seed: 1, init, onIteration: () => void marks.push(performance.now()) };
    if (hasWorkers) options.workers = w;
    const gmm = new GaussianMixture(options);
    const t0 = performance.now();
    await gmm.fit(X);
    const t1 = performance.now();
    times.push((t1 - t0) / 1000);
    const perIter = marks.length > 1 ? (marks[marks.length - 1] - marks[0]) / (marks.length - 1) : NaN;
    const initS = marks.length ? (marks[0] - t0 - perIter) / 1000 : NaN;
    phases.push({ init: initS, perIter: perIter / 1000 });
    info = `nIter ${gmm.nIter}, backend ${gmm.backendName}, workers used ${gmm.fitWorkers ?? 1}, mean log-lik ${gmm.lowerBound.toFixed(4)}`;
    gmm.dispose?.();
  }
  const m = median(times);
  const initS = median(phases.map((p) => p.init));
  const perIter = median(phases.map((p) => p.perIter));
  results.push({ workers: w, median: m, times, initSeconds: initS, secondsPerIteration: perIter });
  console.log(
    `workers: ${w}  median ${m.toFixed(2)} s  (runs ${times.map((t) => t.toFixed(2)).join(', ')}; ` +
      `initialisation ~${initS.toFixed(2)} s, ${(perIter * 1000).toFixed(0)} ms per iteration)  ${info}`,
  );
}
if (results.length > 1) {
  const one = results.find((r) => r.workers === 1);
  for (const r of results) if (r !== one && one) console.log(`speed-up workers ${r.workers} vs 1: ${(one.median / r.median).toFixed(2)}x`);
}
console.log(JSON.stringify({ bench: 'segmentation', pixels: X.rows, k: K, maxIter, init, float32, results }));
