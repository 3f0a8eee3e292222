#!/usr/bin/env node
// What a fit pays before its first iteration, against one iteration: validating X (the finiteness
// scan every fit does), copying X into WebAssembly memory (cold: fresh backend, memory grows; warm:
// memory already sized), versus allocateData (no copy) and one EM pass. CPU ms, best of 5.
//   node bench/copy.mjs  (after npm run build)
import { WasmBackend } from '../dist/backend/wasm.js';
import { compileModuleSync } from '../dist/wasm/loader.js';
import { createStats } from '../dist/backend/types.js';
import { toMatrix } from '../dist/input.js';

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
const sizes = (process.argv[2] ? process.argv.slice(2) : ['100000x8', '1000000x8', '1000000x32', '4000000x16']).map((s) => s.split('x').map(Number));
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
    b.setData(X, null, k, 'tri');
    b.dispose();
  }, 3);
  const b = new WasmBackend(module, 'wasm');
  b.setData(X, null, k, 'tri');
  const warm = cpu(() => b.setData(X, null, k, 'tri'));
  const alloc = cpu(() => {
    const a = new WasmBackend(module, 'wasm');
    a.allocateData(n, d, k, 'tri');
    a.dispose();
  }, 3);
  const pass = (family) => {
    b.setData(X, null, k, family);
    const means = new Float64Array(k * d);
    const precChol = new Float64Array(family === 'tri' ? k * d * d : k * d);
    for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) precChol[family === 'tri' ? c * d * d + j * d + j : c * d + j] = 1;
    b.setParams({ k, d, family, logWeights: new Float64Array(k).fill(-Math.log(k)), means, precChol, logDet: new Float64Array(k) });
    const st = createStats(k, d, family);
    return cpu(() => b.emPass(st), 3);
  };
  const tri = pass('tri');
  const diag = pass('diag');
  b.dispose();
  const f = (x) => x.toFixed(x < 10 ? 2 : 1);
  console.log(`| ${n} x ${d} | ${((n * d * 8) / 1e6).toFixed(0)} | ${f(validate)} | ${f(cold)} | ${f(warm)} | ${f(alloc)} | ${f(tri)} | ${f(diag)} |`);
}
