// Quick per-pass timing of the backends' fused emPass (development aid; not the benchmark suite).
// node bench/pass.mjs [N D K] [--only js,wasm,wasm-scalar] [--reps 7] — after `npm run build`.
import { JsBackend } from '../dist/backend/js.js';
import { WasmBackend } from '../dist/backend/wasm.js';
import { compileModuleSync } from '../dist/wasm/loader.js';
import { createStats } from '../dist/backend/types.js';
import { packUpper } from '../dist/params.js';
import { list, number, readArgs, usageError } from './args.mjs';

const USAGE = 'node bench/pass.mjs [N D K] [--only js,wasm,wasm-scalar] [--reps 7]';
const { values: opts, positionals } = readArgs({ only: { type: 'string' }, reps: { type: 'string', default: '7' } }, USAGE, { positionals: 3 });
if (positionals.length !== 0 && positionals.length !== 3) usageError(`expected N D K (three numbers) or none, got ${positionals.join(' ')}`, USAGE);
const [n, d, k] = (positionals.length ? positionals : ['50000', '10', '5']).map((v, i) => number(['N', 'D', 'K'][i], v, USAGE, { integer: true, min: 1 }));
const BACKENDS = ['js', 'wasm', 'wasm-scalar'];
const only = opts.only === undefined ? null : list('--only', opts.only, USAGE, (b) => (BACKENDS.includes(b) ? b : usageError(`--only: expected some of ${BACKENDS.join(', ')}, got '${b}'`, USAGE)));
const reps = number('--reps', opts.reps, USAGE, { integer: true, min: 1 });
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
    const U = new Float64Array(k * d * d);
    new JsBackend().precisionCholesky(cov, k, d, U, logDet);
    // The kernels read packed triangles (KernelParams).
    precChol = new Float64Array((k * d * (d + 1)) / 2);
    for (let c = 0; c < k; c++) packUpper(U, c * d * d, d, precChol, (c * d * (d + 1)) / 2);
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
    const h = b.load({ data: X, rows: n, cols: d }, null);
    const st = createStats(k, d, family);
    for (let i = 0; i < 3; i++) b.emPass(h, p, st);
    const times = [];
    for (let r = 0; r < reps; r++) {
      // CPU time of this thread's process (robust to other load on a shared machine).
      const t0 = process.cpuUsage();
      b.emPass(h, p, st);
      const t = process.cpuUsage(t0);
      times.push((t.user + t.system) / 1000);
    }
    times.sort((a, b) => a - b);
    line.push(`${name} ${times[0].toFixed(2)}`);
    b.dispose();
  }
  console.log(`n=${n} d=${d} k=${k} ${family}: ms/pass (min) ${line.join(' / ')}`);
}
