#!/usr/bin/env node
// npm run bench — benchmark.js suite over n, d, k and covariance type on seeded data generated here:
// one EM iteration (fused E-step/accumulation pass + M-step + precision Cholesky and kernel layout), the
// exact work of one iteration of the fit loop, for wasm (SIMD), wasm-scalar and js; and, timed
// separately, loading the data into the backend (the one copy per fit; zero with allocateData).
// Writes the table between the suite markers of BENCHMARKS.md (the rest of the file is kept).
//   node bench/suite.mjs [--quick] [--cases name,name] [--no-write]
import Benchmark from 'benchmark';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { JsBackend } from '../dist/backend/js.js';
import { WasmBackend } from '../dist/backend/wasm.js';
import { compileModuleSync } from '../dist/wasm/loader.js';
import { createStats } from '../dist/backend/types.js';
import { kernelFamily } from '../dist/types.js';
import { mStep } from '../dist/mstep.js';
import { factorize } from '../dist/params.js';
import { list, readArgs, usageError } from './args.mjs';

const USAGE = 'node bench/suite.mjs [--quick] [--cases name,name] [--no-write]';
const { values: flags } = readArgs(
  { quick: { type: 'boolean', default: false }, cases: { type: 'string' }, 'no-write': { type: 'boolean', default: false } },
  USAGE,
);
const quick = flags.quick;
const only = flags.cases === undefined ? null : list('--cases', flags.cases, USAGE);
const write = !flags['no-write'];
const REG = 1e-6;

const CASES = [
  { n: 100000, d: 2, k: 3, type: 'full' },
  { n: 100000, d: 2, k: 16, type: 'full' },
  { n: 100000, d: 8, k: 3, type: 'full' },
  { n: 50000, d: 8, k: 16, type: 'full' },
  { n: 20000, d: 32, k: 16, type: 'full' },
  { n: 5000, d: 64, k: 8, type: 'full' },
  { n: 100000, d: 8, k: 8, type: 'tied' },
  { n: 100000, d: 8, k: 8, type: 'diag' },
  { n: 50000, d: 32, k: 16, type: 'diag' },
  { n: 100000, d: 64, k: 3, type: 'diag' },
  { n: 100000, d: 8, k: 8, type: 'spherical' },
].map((c) => ({ ...c, name: `n${c.n}_d${c.d}_k${c.k}_${c.type}` }));
const unknown = (only ?? []).filter((name) => !CASES.some((c) => c.name === name));
if (unknown.length) usageError(`--cases: unknown ${unknown.join(', ')}; the cases are ${CASES.map((c) => c.name).join(', ')}`, USAGE);

// ---------------------------------------------------------------- seeded data
function mulberry32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function normal(rand) {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}
/** n rows from k overlapping Gaussian clusters with random linear mixing (seeded by the case). */
function generate({ n, d, k }, seed) {
  const rand = mulberry32(seed);
  const centres = Array.from({ length: k }, () => Array.from({ length: d }, () => 3 * normal(rand)));
  const mix = Array.from({ length: k }, () => Array.from({ length: d * d }, () => normal(rand) / Math.sqrt(d)));
  const X = new Float64Array(n * d);
  const z = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    for (let j = 0; j < d; j++) z[j] = normal(rand);
    for (let a = 0; a < d; a++) {
      let v = centres[c][a] + 0.3 * z[a];
      for (let b = 0; b < d; b++) v += mix[c][a * d + b] * z[b];
      X[i * d + a] = v;
    }
  }
  return X;
}

/** Starting parameters: k rows spread through the data as means, unit-ish covariances. */
function startEstimate(X, { n, d, k, type }) {
  const means = new Float64Array(k * d);
  for (let c = 0; c < k; c++) means.set(X.subarray(Math.floor(((c + 0.5) * n) / k) * d, Math.floor(((c + 0.5) * n) / k) * d + d), c * d);
  const variance = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    let s = 0;
    let q = 0;
    for (let i = 0; i < n; i++) {
      s += X[i * d + j];
      q += X[i * d + j] ** 2;
    }
    variance[j] = q / n - (s / n) ** 2;
  }
  const size = { full: k * d * d, tied: d * d, diag: k * d, spherical: k }[type];
  const covariances = new Float64Array(size);
  const blocks = type === 'full' ? k : type === 'tied' ? 1 : 0;
  for (let c = 0; c < blocks; c++) for (let j = 0; j < d; j++) covariances[c * d * d + j * d + j] = variance[j];
  if (type === 'diag') for (let c = 0; c < k; c++) covariances.set(variance, c * d);
  if (type === 'spherical') covariances.fill(variance.reduce((a, b) => a + b, 0) / d);
  return { type, k, d, weights: new Float64Array(k).fill(1 / k), means, covariances };
}

const BACKENDS = {
  wasm: () => new WasmBackend(compileModuleSync('simd'), 'wasm'),
  'wasm-scalar': () => new WasmBackend(compileModuleSync('scalar'), 'wasm-scalar'),
  js: () => new JsBackend(),
};

// ---------------------------------------------------------------- run
const results = [];
for (const c of CASES) {
  if (only && !only.includes(c.name)) continue;
  const X = generate(c, 1000 + c.n + 10 * c.d + c.k);
  const matrix = { data: X, rows: c.n, cols: c.d };
  const family = kernelFamily(c.type);
  // Two EM iterations from the start (on the JS backend) give realistic, not-yet-converged parameters.
  const prep = new JsBackend();
  const prepared = prep.load(matrix, null);
  let mixture = factorize(startEstimate(X, c), prep, REG, 'bench');
  const st = createStats(c.k, c.d, family);
  for (let it = 0; it < 2; it++) {
    prep.emPass(prepared, mixture.kernel, st);
    mixture = factorize(mStep(st, mixture.means, c.type, REG), prep, REG, 'bench');
  }
  prep.dispose();

  const suite = new Benchmark.Suite(c.name);
  const row = { case: c.name, ...c };
  const live = [];
  for (const [name, make] of Object.entries(BACKENDS)) {
    const b = make();
    live.push(b);
    const handle = b.load(matrix, null);
    const stats = createStats(c.k, c.d, family);
    const iteration = () => {
      b.emPass(handle, mixture.kernel, stats);
      factorize(mStep(stats, mixture.means, c.type, REG), b, REG, 'bench');
    };
    iteration();
    const opts = { minSamples: quick ? 3 : 8, maxTime: quick ? 0.5 : 2, initCount: 1 };
    suite.add(`${name} iteration`, iteration, opts);
    const copyTarget = make();
    live.push(copyTarget);
    // One load first sizes the memory; each timed load is released again, as a fit releases its data.
    copyTarget.release(copyTarget.load(matrix, null));
    suite.add(`${name} copy`, () => copyTarget.release(copyTarget.load(matrix, null)), opts);
  }
  suite.on('cycle', (ev) => {
    const t = ev.target;
    const [backend, what] = t.name.split(' ');
    row[`${backend} ${what}`] = { hz: t.hz, rme: t.stats.rme, mean: t.stats.mean, samples: t.stats.sample.length };
    console.error(`${c.name}: ${String(t)}`);
  });
  suite.run({ async: false });
  for (const b of live) b.dispose();
  results.push(row);
}

// ---------------------------------------------------------------- report
const fmtMs = (s) => (s * 1e3 >= 100 ? (s * 1e3).toFixed(0) : s * 1e3 >= 10 ? (s * 1e3).toFixed(1) : (s * 1e3).toFixed(2));
const fmtHz = (hz) => (hz >= 100 ? hz.toFixed(0) : hz >= 10 ? hz.toFixed(1) : hz.toFixed(2));
const cell = (r) => (r ? `${fmtHz(r.hz)} ±${r.rme.toFixed(1)}%` : '—');
const lines = [];
lines.push(`Generated by \`npm run bench\` (bench/suite.mjs) on ${new Date().toISOString().slice(0, 16)}Z, ${os.cpus()[0]?.model ?? 'unknown CPU'} (${os.cpus().length} vCPU), Node ${process.version}, benchmark.js; one op = one EM iteration (fused pass + M-step + precision Cholesky) on seeded data generated in the bench. "copy" = loading X into the backend (once per fit; 0 with \`allocateData\`).`);
lines.push('');
lines.push('| case | wasm it/s | wasm-scalar it/s | js it/s | wasm ms/it | js ms/it | wasm ÷ js | wasm ÷ wasm-scalar | copy wasm ms | copy js ms |');
lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  const w = r['wasm iteration'];
  const s = r['wasm-scalar iteration'];
  const j = r['js iteration'];
  lines.push(
    `| ${r.case} | ${cell(w)} | ${cell(s)} | ${cell(j)} | ${fmtMs(w.mean)} | ${fmtMs(j.mean)} | ${(w.hz / j.hz).toFixed(1)}× | ${(w.hz / s.hz).toFixed(1)}× | ${fmtMs(r['wasm copy'].mean)} | ${fmtMs(r['js copy'].mean)} |`,
  );
}
const table = lines.join('\n');
console.log(table);

if (write) {
  const file = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
  const START = '<!-- suite:start -->';
  const END = '<!-- suite:end -->';
  let text = existsSync(file) ? readFileSync(file, 'utf8') : `# Benchmarks\n\n## Suite (npm run bench)\n\n${START}\n${END}\n`;
  if (!text.includes(START)) text += `\n## Suite (npm run bench)\n\n${START}\n${END}\n`;
  text = text.slice(0, text.indexOf(START) + START.length) + '\n' + table + '\n' + text.slice(text.indexOf(END));
  writeFileSync(file, text);
  console.error(`wrote ${file}`);
}
