#!/usr/bin/env node
// Merges one sitting's measurements into the BENCHMARKS.md anchors table (markdown on stdout):
//   node bench/anchors-table.mjs --anchors /tmp/anchors/raw/anchors.jsonl --mine a.jsonl,b.jsonl \
//        [--results ../shared/anchors/results.md]
// --anchors: the raw JSON lines run_anchors.sh wrote in this sitting (sklearn, armadillo, 1 thread);
// --mine: `npm run bench:anchors -- --json` output; --results: the anchors' results.md, for the WASM
// lower bound per case and the reference (quiet-machine) native figures.
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { list, readArgs, usageError } from './args.mjs';

const USAGE = 'node bench/anchors-table.mjs [--anchors FILE.jsonl] [--mine A.jsonl,B.jsonl] [--results results.md]';
const here = fileURLToPath(new URL('.', import.meta.url));
const { values: opts } = readArgs(
  {
    anchors: { type: 'string', default: '/tmp/anchors/raw/anchors.jsonl' },
    mine: { type: 'string' },
    results: { type: 'string', default: [`${here}../../shared/anchors/results.md`, '/work/shared/anchors/results.md'].find(existsSync) },
  },
  USAGE,
);
if (opts.results === undefined) usageError('--results: no anchors results.md found next to the repository; name it', USAGE);
const resultsFile = opts.results;
const lines = (f) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l));
const anchors = lines(opts.anchors).filter((r) => r.threads === 1);
const mine = opts.mine === undefined ? [] : list('--mine', opts.mine, USAGE).flatMap(lines);

// results.md summary: | case | sklearn 1T | sklearn 2T | mclust 1T | mclust 2T | Armadillo 1T | Armadillo 2T | LB f64x2 | LB f32x4 | gap |
const toSec = (s) => {
  const m = /([\d.]+)\s*(s|ms|µs)/.exec(s);
  return m ? Number(m[1]) * { s: 1, ms: 1e-3, µs: 1e-6 }[m[2]] : NaN;
};
const reference = new Map();
const cross = new Map();
for (const l of readFileSync(resultsFile, 'utf8').split('\n')) {
  const c = l.split('|').map((x) => x.trim());
  if (c.length >= 11 && /^n\d/.test(c[1]) && /s$/.test(c[2])) {
    reference.set(c[1], { sklearn: toSec(c[2]), armadillo: toSec(c[6]), lb: toSec(c[8]) });
  }
  // cross-check table: | case | t2 | sklearn | mclust | ...
  if (c.length >= 6 && /^n\d/.test(c[1]) && /^\d+$/.test(c[2]) && !cross.has(c[1])) cross.set(c[1], Number(c[3]));
}

const ms = (s) => (s === undefined || Number.isNaN(s) ? '—' : s >= 1 ? `${s.toFixed(2)} s` : s >= 0.1 ? `${(s * 1e3).toFixed(0)} ms` : s >= 0.001 ? `${(s * 1e3).toFixed(1)} ms` : `${(s * 1e6).toFixed(0)} µs`);
const x = (a, b) => (a && b ? `${(a / b).toFixed(a / b >= 10 ? 0 : 1)}×` : '—');

const cases = [...reference.keys()];
const out = [];
out.push('| case | wasm | wasm-scalar | js | sklearn 1T | Armadillo 1T | LB f64x2 | best native ÷ wasm | js ÷ wasm | wasm ÷ LB | sklearn 1T (ref.) | Armadillo 1T (ref.) | \\|ΔmeanLogLik\\| vs sklearn |');
out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const c of cases) {
  const get = (b) => mine.find((r) => r.case === c && r.backend === b);
  const w = get('wasm');
  const s = get('wasm-scalar');
  const j = get('js');
  const sk = anchors.find((r) => r.case === c && r.impl === 'sklearn');
  const ar = anchors.find((r) => r.case === c && r.impl === 'armadillo');
  const ref = reference.get(c);
  const best = Math.min(sk?.sec_per_iter ?? Infinity, ar?.sec_per_iter ?? Infinity);
  const skLL = sk?.mean_loglik_final ?? cross.get(c);
  const dll = w && skLL !== undefined ? Math.max(...[w, s, j].filter(Boolean).map((r) => Math.abs(r.meanLogLik - skLL))) : undefined;
  out.push(
    `| ${c} | ${ms(w?.secPerIter)} | ${ms(s?.secPerIter)} | ${ms(j?.secPerIter)} | ${ms(sk?.sec_per_iter)} | ${ms(ar?.sec_per_iter)} | ${ms(ref.lb)} | ` +
      `${x(best, w?.secPerIter)} | ${x(j?.secPerIter, w?.secPerIter)} | ${w ? (w.secPerIter / ref.lb).toFixed(2) : '—'} | ${ms(ref.sklearn)} | ${ms(ref.armadillo)} | ${dll === undefined ? '—' : dll.toExponential(1)} |`,
  );
}
console.log(out.join('\n'));
