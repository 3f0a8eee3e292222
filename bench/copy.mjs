#!/usr/bin/env node
// What a fit pays before its first iteration, against one iteration: validating X (the finiteness
// scan every fit does), copying X into WebAssembly memory (cold: fresh backend, memory grows; warm:
// memory already sized), versus allocateData (no copy) and one EM pass. CPU ms, best of 5.
//   node bench/copy.mjs [NxD ...]  (after npm run build)
import { WasmBackend } from '../dist/backend/wasm.js';
import { compileModuleSync } from '../dist/wasm/loader.js';
import { createStats } from '../dist/backend/types.js';
import { toMatrix } from '../dist/input.js';
import { number, readArgs, usageError } from './args.mjs';

const USAGE = 'node bench/copy.mjs [NxD ...]   (default 100000x8 1000000x8 1000000x32 4000000x16)';
const { positionals } = readArgs({}, USAGE, { positionals: Infinity });
const size = (s) => {
  const parts = s.split('x');
  if (parts.length !== 2) usageError(`size '${s}': expected ROWSxCOLS, e.g. 1000000x8`, USAGE);
  return parts.map((p) => number(`size '${s}'`, p, USAGE, { integer: true, min: 1 }));
};

const cpu = (f, reps = 5) => {
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = process.cpuUsage();
    f();
    const t = process.cpuUsage(t0);
    best = Math.min(best, (t.user + t.system) / 1000);
  }
  return best;
};
const sizes = (positionals.length ? positionals : ['100000x8', '1000000x8', '1000000x32', '4000000x16']).map(size);
const k = 3;
console.log('| n x d | MB | validate ms | copy cold ms | copy warm ms | allocateData ms | one emPass (full, k=3) ms | one emPass (diag, k=3) ms |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const [n, d] of sizes) {
  const data = new Float64Array(n * d);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i) * 3;
  const X = { data, rows: n, cols: d };
  const module = compileModuleSync('simd');
  const validate = cpu(() => toMatrix(X));
  const cold = cpu(() => {
    const b = new WasmBackend(module, 'wasm');
    b.load(X, null);
    b.dispose();
  }, 3);
  const b = new WasmBackend(module, 'wasm');
  b.release(b.load(X, null)); // sizes the memory
  const warm = cpu(() => b.release(b.load(X, null)));
  const alloc = cpu(() => {
    const a = new WasmBackend(module, 'wasm');
    a.allocateData(n, d, a.workBytes(k, d, true));
    a.dispose();
  }, 3);
  const handle = b.load(X, null);
  const pass = (family) => {
    // Identity precision factors, in the kernels' layout (packed triangles for 'tri', see KernelParams).
    const tri = family === 'tri';
    const block = tri ? (d * (d + 1)) / 2 : d;
    const precChol = new Float64Array(k * block);
    for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) precChol[c * block + (tri ? (j * (j + 1)) / 2 + j : j)] = 1;
    const params = { k, d, family, logWeights: new Float64Array(k).fill(-Math.log(k)), means: new Float64Array(k * d), precChol, logDet: new Float64Array(k) };
    const st = createStats(k, d, family);
    return cpu(() => b.emPass(handle, params, st), 3);
  };
  const tri = pass('tri');
  const diag = pass('diag');
  b.dispose();
  const f = (x) => x.toFixed(x < 10 ? 2 : 1);
  console.log(`| ${n} x ${d} | ${((n * d * 8) / 1e6).toFixed(0)} | ${f(validate)} | ${f(cold)} | ${f(warm)} | ${f(alloc)} | ${f(tri)} | ${f(diag)} |`);
}
