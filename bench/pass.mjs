// Quick per-pass timing of the backends' fused emPass (development aid; not the benchmark suite).
// node bench/pass.mjs [n d k] — after `npm run build`.
import { JsBackend } from '../dist/backend/js.js';
import { WasmBackend } from '../dist/backend/wasm.js';
import { compileModuleSync } from '../dist/wasm/loader.js';
import { createStats } from '../dist/backend/types.js';

const [n, d, k] = (process.argv.slice(2).length ? process.argv.slice(2) : ['50000', '10', '5']).map(Number);
const only = process.env.ONLY ? process.env.ONLY.split(',') : null;
let s = 12345;
const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
const X = new Float64Array(n * d).map(() => rand() * 4 - 2);

function params(family) {
  const means = new Float64Array(k * d).map(() => rand() - 0.5);
  const logWeights = new Float64Array(k).fill(Math.log(1 / k));
  const logDet = new Float64Array(k);
  let precChol;
  if (family === 'tri') {
    const cov = new Float64Array(k * d * d);
    for (let c = 0; c < k; c++) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) cov[c * d * d + i * d + j] = i === j ? 1 + 0.1 * c : 0.3 / (1 + Math.abs(i - j));
    precChol = new Float64Array(k * d * d);
    new JsBackend().precisionCholesky(cov, k, d, precChol, logDet);
  } else {
    precChol = new Float64Array(k * d).map(() => 0.8 + 0.4 * rand());
    for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) logDet[c] += Math.log(precChol[c * d + j]);
  }
  return { k, d, family, logWeights, means, precChol, logDet };
}

for (const family of ['tri', 'diag']) {
  const p = params(family);
  const line = [];
  for (const [name, make] of [
    ['js', () => new JsBackend()],
    ['wasm', () => new WasmBackend(compileModuleSync('simd'), 'wasm')],
    ['wasm-scalar', () => new WasmBackend(compileModuleSync('scalar'), 'wasm-scalar')],
  ]) {
    if (only && !only.includes(name)) continue;
    const b = make();
    b.setData({ data: X, rows: n, cols: d }, null, k, family);
    b.setParams(p);
    const st = createStats(k, d, family);
    for (let i = 0; i < 3; i++) b.emPass(st);
    const times = [];
    for (let r = 0; r < (Number(process.env.REPS) || 7); r++) {
      // CPU time of this thread's process (robust to other load on a shared machine).
      const t0 = process.cpuUsage();
      b.emPass(st);
      const t = process.cpuUsage(t0);
      times.push((t.user + t.system) / 1000);
    }
    times.sort((a, b) => a - b);
    line.push(`${name} ${times[0].toFixed(2)}`);
    b.dispose();
  }
  console.log(`n=${n} d=${d} k=${k} ${family}: ms/pass (min) ${line.join(' / ')}`);
}
