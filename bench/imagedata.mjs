// Memory and time of fitting RGBA pixels as given (ImageData: strided Uint8ClampedArray, gathered
// into float32 in the backend's copy) against converting them to a dense Float64Array RGB matrix
// in JavaScript first. A synthetic 1920 x 1080 image, 3 components, 10 EM iterations (tol 0), then
// predict, WebAssembly backend. Prints the wall time and the peak RSS above the process's RSS after
// the image was made (sampled every 5 ms).
//
//   npm run build && node bench/imagedata.mjs imagedata   (or: ... float64)
import { GaussianMixture } from '../dist/index.js';
import { readArgs, usageError } from './args.mjs';

const USAGE = 'node bench/imagedata.mjs [imagedata|float64]';
const { positionals } = readArgs({}, USAGE, { positionals: 1 });
const mode = positionals[0] ?? 'imagedata';
if (mode !== 'imagedata' && mode !== 'float64') usageError(`mode: expected imagedata or float64, got '${mode}'`, USAGE);
const width = 1920;
const height = 1080;
const n = width * height;
const px = new Uint8ClampedArray(n * 4);
let s = 1;
const u = () => (s = (s * 1103515245 + 12345) >>> 0) / 4294967296;
for (let i = 0; i < n; i++) {
  const c = Math.floor(u() * 3);
  for (let j = 0; j < 3; j++) px[i * 4 + j] = Math.round(60 + 60 * c + 40 * (u() - 0.5));
  px[i * 4 + 3] = 255;
}

const rss0 = process.memoryUsage().rss;
let peak = rss0;
const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
const t0 = performance.now();
let X;
if (mode === 'imagedata') {
  X = { data: px, width, height };
} else {
  const data = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) for (let j = 0; j < 3; j++) data[i * 3 + j] = px[i * 4 + j];
  X = { data, rows: n, cols: 3 };
}
const gmm = new GaussianMixture({ nComponents: 3, seed: 1, maxIter: 10, tol: 0, backend: 'wasm' });
await gmm.fit(X);
gmm.predict(X);
clearInterval(timer);
peak = Math.max(peak, process.memoryUsage().rss);
console.log(`${mode}: fit + predict ${((performance.now() - t0) / 1000).toFixed(2)} s, peak RSS +${((peak - rss0) / 1e6).toFixed(0)} MB`);
