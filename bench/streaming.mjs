#!/usr/bin/env node
// Streaming: memory and speed of fitting a chunk source, and partialFit's throughput.
//   npm run bench:streaming -- [--rows 1e8] [--chunk 1e6] [--iters 2] [--compare 1e7] [--repeats 5]
//                              [--online 2e6] [--markdown FILE]
// 1. Memory: a source of --rows x 8 float32 rows (two uniform blobs, regenerated deterministically on
//    every pass, as a file would be re-read) fitted with k = 4, diag, init 'kmeans', maxIter --iters,
//    tol 0. Peak RSS is sampled at every chunk; the time per EM iteration is the median gap between
//    onIteration calls (a pass over all chunks, generation included, plus the M-step).
// 2. Overhead of chunking: the same --compare rows held in one Float32Array, fitted in memory and as
//    a source of subarray views (no generation cost), full, k = 8, from the same explicit start,
//    --repeats iterations each; the median seconds per iteration side by side, and their ratio.
// 3. partialFit: --online rows in chunks of 10 000, rows per second (median of the chunk times).
// Needs `npm run build` (imports dist/).
import { writeFileSync } from 'node:fs';
import { GaussianMixture } from '../dist/index.js';
import { number, readArgs } from './args.mjs';

const USAGE = 'npm run bench:streaming -- [--rows 1e8] [--chunk 1e6] [--iters 2] [--compare 1e7] [--repeats 5] [--online 2e6] [--markdown FILE]';
const { values: opts } = readArgs(
  {
    rows: { type: 'string', default: '1e8' },
    chunk: { type: 'string', default: '1e6' },
    iters: { type: 'string', default: '2' },
    compare: { type: 'string', default: '1e7' },
    repeats: { type: 'string', default: '5' },
    online: { type: 'string', default: '2e6' },
    markdown: { type: 'string' },
  },
  USAGE,
);
const count = (flag) => number(`--${flag}`, opts[flag], USAGE, { integer: true, min: 1 });
const ROWS = count('rows');
const CHUNK = count('chunk');
const ITERS = count('iters');
const COMPARE = count('compare');
const REPEATS = count('repeats');
const ONLINE = count('online');
const D = 8;
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const mb = (b) => (b / 2 ** 20).toFixed(0);
const log = (s) => process.stderr.write(s + '\n');

/** Fills rows [start, start + n) of the two-blob data set into buf (deterministic per row block). */
function fill(buf, start, n) {
  let s = ((start / 4096 + 1) * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    const offset = (start + i) % 2 === 0 ? 0 : 6;
    for (let j = 0; j < D; j++) {
      s ^= s << 13; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
      buf[i * D + j] = offset + s / 4294967296;
    }
  }
}

function generated(rows, chunk, peak) {
  const buffer = new Float32Array(chunk * D);
  return {
    cols: D,
    chunks: function* () {
      for (let start = 0; start < rows; start += chunk) {
        const n = Math.min(chunk, rows - start);
        fill(buffer, start, n);
        peak.rss = Math.max(peak.rss, process.memoryUsage().rss);
        yield { data: buffer.subarray(0, n * D), rows: n, cols: D };
      }
    },
  };
}

function iterationTimer() {
  const gaps = [];
  let last = performance.now();
  return {
    gaps,
    onIteration: () => {
      const now = performance.now();
      gaps.push((now - last) / 1000);
      last = now;
    },
  };
}

const lines = [];
const out = (s) => {
  lines.push(s);
  console.log(s);
};

// 1. Memory.
out(`## Streaming (\`npm run bench:streaming -- --rows ${ROWS} --chunk ${CHUNK} --iters ${ITERS}\`)`);
out('');
out('| rows x 8 float32 | as one array | chunk | peak RSS | s / EM iteration | total s |');
out('|---|---|---|---|---|---|');
{
  const peak = { rss: process.memoryUsage().rss };
  const timer = iterationTimer();
  const t0 = performance.now();
  log(`memory: ${ROWS} rows in chunks of ${CHUNK} ...`);
  const gmm = new GaussianMixture({ nComponents: 4, covarianceType: 'diag', seed: 1, init: 'kmeans', maxIter: ITERS, tol: 0, onIteration: () => {
    peak.rss = Math.max(peak.rss, process.memoryUsage().rss);
    timer.onIteration();
  } });
  await gmm.fit(generated(ROWS, CHUNK, peak));
  const total = (performance.now() - t0) / 1000;
  // The first gap includes the sampling pass and initialisation; the others are one pass each.
  const perIter = timer.gaps.length > 1 ? median(timer.gaps.slice(1)) : timer.gaps[0];
  out(`| ${ROWS.toExponential(0)} | ${mb(ROWS * D * 4)} MB | ${CHUNK.toExponential(0)} rows | ${mb(peak.rss)} MB | ${perIter.toFixed(2)} | ${total.toFixed(1)} |`);
}

// 2. Overhead of chunking.
out('');
out(`Chunked vs in-memory pass, ${COMPARE.toExponential(0)} x 8 float32 rows, full, k = 8, median of ${REPEATS} iterations (same process, side by side):`);
out('');
out('| chunk rows | in memory s / iter | chunked s / iter | ratio |');
out('|---|---|---|---|');
{
  const data = new Float32Array(COMPARE * D);
  for (let start = 0; start < COMPARE; start += 4096) fill(data.subarray(start * D), start, Math.min(4096, COMPARE - start));
  const means = Array.from({ length: 8 }, (_, c) => Array.from({ length: D }, (_, j) => (c % 2) * 6 + 0.2 + 0.08 * ((c + j) % 8)));
  const init = { weights: Array(8).fill(1 / 8), means, covariances: Array.from({ length: 8 }, () => Array.from({ length: D }, (_, a) => Array.from({ length: D }, (_, b) => (a === b ? 0.1 : 0)))) };
  const options = { nComponents: 8, init, maxIter: REPEATS + 1, tol: 0 };
  const memTimer = iterationTimer();
  log('compare: in memory ...');
  await new GaussianMixture({ ...options, onIteration: memTimer.onIteration }).fit({ data, rows: COMPARE, cols: D });
  const mem = median(memTimer.gaps.slice(1));
  for (const chunk of [65_536, 1_000_000]) {
    const source = {
      cols: D,
      chunks: function* () {
        for (let start = 0; start < COMPARE; start += chunk) {
          const n = Math.min(chunk, COMPARE - start);
          yield { data: data.subarray(start * D, (start + n) * D), rows: n, cols: D };
        }
      },
    };
    const timer = iterationTimer();
    log(`compare: chunks of ${chunk} ...`);
    await new GaussianMixture({ ...options, onIteration: timer.onIteration }).fit(source);
    const chunked = median(timer.gaps.slice(1));
    out(`| ${chunk} | ${mem.toFixed(3)} | ${chunked.toFixed(3)} | ${(chunked / mem).toFixed(2)} |`);
  }
}

// 3. partialFit throughput.
out('');
{
  const chunk = 10_000;
  const buf = new Float32Array(chunk * D);
  const gmm = new GaussianMixture({ nComponents: 4, covarianceType: 'full', seed: 1, init: 'kmeans' });
  const times = [];
  log('partialFit ...');
  for (let start = 0; start < ONLINE; start += chunk) {
    fill(buf, start, chunk);
    const t = performance.now();
    await gmm.partialFit({ data: buf, rows: chunk, cols: D });
    if (start > 0) times.push((performance.now() - t) / 1000);
  }
  out(`partialFit (k = 4, full, d = 8, chunks of ${chunk} rows, ${ONLINE.toExponential(0)} rows): ${(chunk / median(times) / 1e6).toFixed(2)} million rows / s (median chunk ${(median(times) * 1000).toFixed(1)} ms; data generation excluded).`);
}

const file = opts.markdown ?? null;
if (typeof file === 'string') writeFileSync(file, lines.join('\n') + '\n');
