#!/usr/bin/env node
// selectModel of this build against another build of gmm-wasm, alternating in one process, so that
// the ratio does not depend on the machine's load (BENCHMARKS.md "Ranked starts for the iterative models").
//   node bench/select-side-by-side.mjs --base /work/base --data crabs [--grid mclust|four] [--rounds 5] [--realdata DIR]
// One warm-up call of each build, then `rounds` rounds of (base, this) with seeds 1, 2, 3, 1, ...;
// prints the median wall time of each and their ratio. Needs `npm run build` in both (imports dist/).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { number, readArgs, usageError } from './args.mjs';

const USAGE = 'node bench/select-side-by-side.mjs --base DIR --data NAME [--grid mclust|four] [--rounds N] [--realdata DIR]';
const { values } = readArgs(
  { base: { type: 'string' }, data: { type: 'string' }, grid: { type: 'string', default: 'mclust' }, rounds: { type: 'string', default: '5' }, realdata: { type: 'string', default: '/work/shared/realdata' } },
  USAGE,
);
if (!values.base || !values.data) usageError('--base and --data are required', USAGE);
if (values.grid !== 'mclust' && values.grid !== 'four') usageError(`--grid: expected mclust or four, got '${values.grid}'`, USAGE);
const rounds = number('--rounds', values.rounds, USAGE, { integer: true, min: 1 });

const here = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const builds = [
  ['base', await import(pathToFileURL(resolve(values.base, 'dist/index.js')).href)],
  ['this', await import(pathToFileURL(here).href)],
];
const X = readFileSync(`${values.realdata}/${values.data}.csv`, 'utf8').trim().split('\n').map((l) => l.split(',').map(Number));
const options = (seed) => ({ nComponents: [1, 2, 3, 4, 5, 6, 7, 8, 9], seed, ...(values.grid === 'mclust' ? { covarianceTypes: 'mclust' } : {}) });
const median = (a) => [...a].sort((x, y) => x - y)[(a.length - 1) >> 1];

for (const [, lib] of builds) await lib.selectModel(X, options(1));
const times = { base: [], this: [] };
for (let r = 0; r < rounds; r++) {
  for (const [name, lib] of builds) {
    const t0 = performance.now();
    await lib.selectModel(X, options(1 + (r % 3)));
    times[name].push(performance.now() - t0);
  }
}
const [b, t] = [median(times.base), median(times.this)];
console.log(`${values.data} ${values.grid}: base ${b.toFixed(0)} ms, this ${t.toFixed(0)} ms, ratio ${(t / b).toFixed(2)} ` +
  `(rounds ${rounds}; base ${times.base.map(Math.round).join(' ')}; this ${times.this.map(Math.round).join(' ')})`);
