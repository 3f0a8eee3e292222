#!/usr/bin/env node
// Every row of selectModel's table, this build against another build of gmm-wasm: a change meant to
// save time without changing the answers must leave all of them equal, not only the chosen model
// (BENCHMARKS.md "The small sets: where selectModel's time goes").
//   node bench/select-table-diff.mjs --base /work/base [--data galaxies,geyser] [--grid four,mclust] [--seeds 1,2] [--realdata DIR]
// Prints, per (data, grid, seed), the chosen model of each build, how many rows differ in any of
// bic, logLikelihood, converged, outraced or degenerate, and the largest relative BIC difference;
// exits with status 1 when any row differs. Needs `npm run build` in both (imports dist/).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { list, number, readArgs, usageError } from './args.mjs';

const USAGE = 'node bench/select-table-diff.mjs --base DIR [--data a,b] [--grid four,mclust] [--seeds 1,2] [--realdata DIR]';
const SETS = ['galaxies', 'acidity', 'geyser', 'crabs', 'boston', 'gvhd', 'states', 'swiss'];
const { values } = readArgs(
  {
    base: { type: 'string' },
    data: { type: 'string', default: 'galaxies,acidity,geyser,crabs,states,swiss' },
    grid: { type: 'string', default: 'four,mclust' },
    seeds: { type: 'string', default: '1' },
    realdata: { type: 'string', default: '/work/shared/realdata' },
  },
  USAGE,
);
if (!values.base) usageError('--base is required', USAGE);
const sets = list('--data', values.data, USAGE, (s) => (SETS.includes(s) ? s : usageError(`--data: unknown set '${s}'`, USAGE)));
const grids = list('--grid', values.grid, USAGE, (g) => (g === 'four' || g === 'mclust' ? g : usageError(`--grid: expected four or mclust, got '${g}'`, USAGE)));
const seeds = list('--seeds', values.seeds, USAGE, (s) => number('--seeds', s, USAGE, { integer: true, min: 0 }));

const base = await import(pathToFileURL(resolve(values.base, 'dist/index.js')).href);
const mine = await import(pathToFileURL(fileURLToPath(new URL('../dist/index.js', import.meta.url))).href);
const same = (a, b) => a === b || (Number.isNaN(a) && Number.isNaN(b));
let differing = 0;
for (const name of sets) {
  const X = readFileSync(`${values.realdata}/${name}.csv`, 'utf8').trim().split('\n').map((l) => l.split(',').map(Number));
  for (const grid of grids) {
    for (const seed of seeds) {
      const options = { nComponents: [1, 2, 3, 4, 5, 6, 7, 8, 9], seed, ...(grid === 'mclust' ? { covarianceTypes: 'mclust' } : {}) };
      const [a, b] = [await base.selectModel(X, options), await mine.selectModel(X, options)];
      let rows = 0;
      let worst = 0;
      a.table.forEach((r, i) => {
        const s = b.table[i];
        const fields = ['bic', 'logLikelihood', 'converged', 'outraced', 'degenerate'];
        if (!fields.every((f) => same(r[f], s[f]))) rows++;
        if (Number.isFinite(r.bic) && Number.isFinite(s.bic)) worst = Math.max(worst, Math.abs(r.bic - s.bic) / Math.abs(r.bic));
      });
      differing += rows;
      const chosen = (sel) => `${sel.best.covarianceType},${sel.best.nComponents}`;
      console.log(`${name} ${grid} seed ${seed}: chosen ${chosen(a)} -> ${chosen(b)}; rows differing ${rows}/${a.table.length}; largest relative BIC difference ${worst.toExponential(1)}`);
    }
  }
}
process.exit(differing > 0 ? 1 : 0);
