#!/usr/bin/env node
// The command line end to end on a large file (issue 12's target: a 200 000 x 5 fit over K = 1..6
// in under 6 s on a 2-core machine). Writes a seeded file, then times
//   node dist/cli.js fit FILE --k K --workers W --json
// as a new process R times (wall and user CPU from /usr/bin/time when it exists, else wall only)
// and prints a markdown table with the medians and the chosen model; every run's JSON must be
// byte-identical (the fit is deterministic for a seed), or the script says so and exits 1.
//   npm run bench:cli -- [--rows 200000] [--k 1:6] [--workers 2] [--repeats 5] [--hard] [--file FILE]
// --hard: five overlapping clusters (centres 1.5-2.5 sd apart, correlated covariances of different
// sizes) instead of four well-separated spherical ones. --file: time an existing CSV instead.
// Needs `npm run build` (runs dist/cli.js). Progress on stderr.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { number, readArgs } from './args.mjs';

const USAGE = 'npm run bench:cli -- [--rows 200000] [--k 1:6] [--workers 2] [--repeats 5] [--hard] [--file FILE]';
const { values: opts } = readArgs(
  {
    rows: { type: 'string', default: '200000' },
    k: { type: 'string', default: '1:6' },
    workers: { type: 'string', default: '2' },
    repeats: { type: 'string', default: '5' },
    hard: { type: 'boolean', default: false },
    file: { type: 'string' },
  },
  USAGE,
);
const rows = number('--rows', opts.rows, USAGE, { integer: true, min: 10 });
const repeats = number('--repeats', opts.repeats, USAGE, { integer: true, min: 1 });
const workers = number('--workers', opts.workers, USAGE, { integer: true, min: 1 });
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** A seeded uniform on (0, 1) (an LCG: the file must be the same on every machine). */
function uniforms(seed) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 2 ** 32;
  };
}

/** rows x 5 CSV text with a header; row i from cluster i % clusters. */
function generate(n, hard) {
  const u = uniforms(hard ? 77 : 42);
  const normal = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const d = 5;
  const clusters = hard ? 5 : 4;
  // Well separated: centres 8 sd apart along the axes, spreads 1 to 1.75. Hard: centres on a line
  // 1.5-2.5 sd apart, each with its own lower-triangular factor (correlated, sizes 0.7 to 1.3).
  const centres = Array.from({ length: clusters }, (_, c) =>
    Array.from({ length: d }, (_, j) => (hard ? (j === 0 ? [0, 1.5, 3.5, 5.5, 8][c] : 0.5 * c * (j % 2 ? 1 : -1)) : j === c % d ? 8 * (c + 1) : 0)),
  );
  const factors = Array.from({ length: clusters }, (_, c) =>
    Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (j > i ? 0 : j === i ? (hard ? 0.7 + 0.15 * c : 1 + 0.25 * c) : hard ? 0.3 * (u() - 0.5) : 0))),
  );
  const lines = ['x1,x2,x3,x4,x5'];
  const z = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const c = i % clusters;
    for (let j = 0; j < d; j++) z[j] = normal();
    const row = centres[c].map((m, a) => m + factors[c][a].reduce((s, f, b) => s + f * z[b], 0));
    lines.push(row.map((v) => v.toFixed(5)).join(','));
  }
  return `${lines.join('\n')}\n`;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const dir = mkdtempSync(join(tmpdir(), 'gmm-bench-cli-'));
try {
  const file = opts.file ?? join(dir, opts.hard ? 'hard.csv' : 'separated.csv');
  if (!opts.file) {
    process.stderr.write(`writing ${rows} x 5 rows to ${file} ...\n`);
    writeFileSync(file, generate(rows, opts.hard));
  }
  const args = [cli, 'fit', file, '--k', opts.k, '--workers', String(workers), '--json'];
  const timer = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  const runs = [];
  for (let r = 0; r < repeats; r++) {
    const timeFile = join(dir, 'time.txt');
    const t0 = performance.now();
    const p = timer
      ? spawnSync(timer, ['-o', timeFile, '-f', '%e %U', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 })
      : spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
    const wall = (performance.now() - t0) / 1000;
    if (p.status !== 0) {
      process.stderr.write(p.stderr);
      throw new Error(`run ${r + 1}: node dist/cli.js exited with status ${p.status}`);
    }
    const user = timer ? Number(readFileSync(timeFile, 'utf8').trim().split(/\s+/).at(-1)) : NaN;
    runs.push({ wall, user, json: p.stdout });
    process.stderr.write(`run ${r + 1}/${repeats}: ${wall.toFixed(2)} s wall${timer ? `, ${user.toFixed(2)} s user` : ''}\n`);
  }
  const out = JSON.parse(runs[0].json);
  const same = runs.every((r) => r.json === runs[0].json);
  const cmd = ['node bench/cli.mjs', ...process.argv.slice(2)].join(' ');
  console.log(`Generated by \`${cmd}\` on ${new Date().toISOString().slice(0, 16)}Z, Node ${process.version}.\n`);
  console.log('| file | command | runs: wall (user) | median wall | median user | chosen | identical output |');
  console.log('|---|---|---|---:|---:|---|---|');
  console.log(
    `| ${opts.file ?? `${rows} x 5, ${opts.hard ? 'hard' : 'separated'}`} | \`fit --k ${opts.k} --workers ${workers} --json\` | ` +
      `${runs.map((r) => `${r.wall.toFixed(2)}${timer ? ` (${r.user.toFixed(2)})` : ''}`).join(', ')} | ${median(runs.map((r) => r.wall)).toFixed(2)} s | ` +
      `${timer ? `${median(runs.map((r) => r.user)).toFixed(2)} s` : '–'} | ${out.covarianceType}, K = ${out.nComponents} | ${same ? 'yes' : '**no**'} |`,
  );
  if (!same) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
