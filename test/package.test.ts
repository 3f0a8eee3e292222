// The package as npm publishes it (`npm run check:package` runs this file alone): the tarball's file
// list, the WebAssembly shipped once, a size budget, README links that resolve inside the tarball,
// publint --strict and attw clean for the JS entry points. Needs dist/ (`npm test` builds it).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const root = fileURLToPath(new URL('..', import.meta.url));
/**
 * Packed (gzip) size budget, about 5 % above the tarball as it is (source, maps, data and docs
 * included). A second copy of the kernels is caught by the base64 check below; this catches bulk
 * (fixtures, builds) slipping in. 381 KB at 4cb10ce became 504 KB at 8fd11b2 by what the package
 * does, not by stray files: src/ grew from 412 to 548 KB (the 14 models, selection, the race, the
 * workers' tree), and dist/, its maps and declarations with it; BENCHMARKS.md from 52 to 123 KB and
 * README.md from 43 to 60 KB (`npm pack --dry-run --json`, files gzipped one by one: src 181 KB,
 * dist 184 KB, maps 87 KB, declarations 68 KB, BENCHMARKS.md 41 KB, README.md 23 KB, WebAssembly 22 KB).
 */
const PACKED_BUDGET = 530_000;
/** A run of base64 this long is an embedded WebAssembly module (the kernels are ~45 KB). */
const BASE64_RUN = /[A-Za-z0-9+/]{20000,}/;

let dir: string;
let pack: { filename: string; size: number; files: { path: string; size: number }[] };
let files: string[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gmm-pack-'));
  // --ignore-scripts: dist/ is already built; the lifecycle build is checked below script by script.
  const r = spawnSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: root, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  [pack] = JSON.parse(r.stdout);
  files = pack.files.map((f) => f.path);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the tarball', () => {
  it('holds the entry points, the CLI with its vendored CSV parser, the licence, and no runtime dependencies', () => {
    for (const f of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts', 'dist/worker.js', 'dist/cli.js', 'dist/vendor/d3-dsv.js', 'data/iris.csv']) {
      expect(files).toContain(f);
    }
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.exports['./worker']).toEqual({ types: './dist/worker.d.ts', default: './dist/worker.js' });
    expect(pkg.keywords.length).toBeGreaterThan(0);
    expect(readFileSync(join(root, 'dist/vendor/d3-dsv.js'), 'utf8')).toMatch(/Permission to use, copy, modify/);
  });

  it('ships the WebAssembly once: the two .wasm files and one embedded base64 copy typed as string', () => {
    expect(files.filter((f) => f.endsWith('.wasm')).sort()).toEqual(['build/gmm.scalar.wasm', 'build/gmm.simd.wasm']);
    const embedded = files.filter((f) => /\.(js|ts|mjs|map)$/.test(f) && BASE64_RUN.test(readFileSync(join(root, f), 'utf8')));
    expect(embedded).toEqual(['dist/wasm/bytes.generated.js']);
    const types = readFileSync(join(root, 'dist/wasm/bytes.generated.d.ts'), 'utf8');
    expect(types).toContain('SIMD_WASM_BASE64: string;');
    expect(types.length).toBeLessThan(200);
  });

  it(`stays under the size budget (${PACKED_BUDGET} bytes packed)`, () => {
    expect(pack.size).toBeLessThan(PACKED_BUDGET);
  });

  it('README says how to install and links only files in the tarball', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toContain('npm install gmm-wasm');
    const targets = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((t) => !/^(https?:|#|mailto:)/.test(t));
    for (const t of targets) expect(files, `README links ${t}`).toContain(t.replace(/^\.\//, '').replace(/#.*$/, ''));
  });
});

describe('package linters', () => {
  it('publint --strict reports nothing', async () => {
    const { messages, pkg } = await publint({ pkgDir: root, strict: true, pack: 'npm' });
    expect(messages.map((m) => `${m.type}: ${formatMessage(m, pkg)}`)).toEqual([]);
  });

  it('attw reports no problem for the JS entry points (ESM-only profile)', () => {
    const attw = join(root, 'node_modules', '.bin', 'attw');
    const r = spawnSync(attw, [join(dir, pack.filename), '--profile', 'esm-only', '--entrypoints', '.', './worker', '--format', 'table', '--no-color'], {
      encoding: 'utf8',
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});
