/**
 * The package as a dependency of someone else's app: a tiny app that depends on gmm-wasm by path
 * (node_modules/gmm-wasm -> this repository, as `npm install ../gmm-wasm` links it) is built by each
 * bundler exactly as README.md's "Parallel fitting in workers" section says (Vite and webpack with no
 * configuration, esbuild and Rollup with the worker as a second entry point), and each built app runs
 * in headless Chromium. The worker script must come along, so `workers: 2` really runs on two
 * workers; the reference is the one-thread fit of the same app in the same page (1e-10). Needs dist/
 * (`npm test` builds it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build as viteBuild } from 'vite';
import webpack from 'webpack';
import { rollup } from 'rollup';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { launchChromium, ROOT, startServer, type ChromiumSession } from './browser/harness.js';

const APP = `
import { GaussianMixture, activeWorkerCount } from 'gmm-wasm';

// Seeded 2-D data from three blobs.
let s = 99;
const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
const z = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
const n = 6000;
const data = new Float64Array(n * 2);
for (let i = 0; i < n; i++) {
  const c = i % 3;
  data[2 * i] = [0, 5, -4][c] + z();
  data[2 * i + 1] = [0, 3, 4][c] + 0.6 * z();
}
const fit = async (workers) => {
  const gmm = new GaussianMixture({ nComponents: 3, covarianceType: 'full', seed: 5, workers, tol: 0, maxIter: 25 });
  await gmm.fit({ data, rows: n, cols: 2 });
  return { workers: gmm.fitWorkers, warnings: gmm.fitWarnings, backend: gmm.backendName, weights: gmm.weights,
           means: gmm.means, covariances: gmm.covariances, history: gmm.history };
};
try {
  const one = await fit(1);
  const two = await fit(2);
  window.__result = { one, two, live: activeWorkerCount() };
} catch (err) {
  window.__result = { error: String(err && err.stack || err) };
}
`;

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The recipes as README.md gives them; each test first checks that the README still says this. */
const ESBUILD_COMMAND = 'esbuild app.js gmm-wasm/worker --bundle --format=esm --outdir=dist --entry-names=[name]';
const ROLLUP_CONFIG = {
  input: { app: 'src/app.js', worker: 'gmm-wasm/worker' },
  output: { dir: 'dist', format: 'es', entryFileNames: '[name].js' },
} as const;
const ROLLUP_README = [
  "import { nodeResolve } from '@rollup/plugin-node-resolve';",
  "input: { app: 'src/app.js', worker: 'gmm-wasm/worker' },",
  "output: { dir: 'dist', format: 'es', entryFileNames: '[name].js' },",
  'plugins: [nodeResolve()],',
];

const page = (script: string): string => `<!doctype html><title>consumer</title><script type="module" src="./${script}"></script>`;

/** A fresh consumer project (its own folder per bundler, so no output can serve another). */
function consumer(name: string, appPath: string): string {
  const dir = mkdtempSync(join(tmpdir(), `gmm-${name}-consumer-`));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { 'gmm-wasm': `file:${ROOT}` } }));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'gmm-wasm'), 'dir');
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, appPath), APP);
  return dir;
}

interface Built {
  /** Folder to serve, holding index.html. */
  out: string;
  /** Warnings the bundler printed. */
  warnings: string[];
}

const BUNDLERS: Record<string, (dir: string) => Promise<Built>> = {
  async vite(dir) {
    writeFileSync(join(dir, 'index.html'), page('src/main.js'));
    await viteBuild({ root: dir, logLevel: 'error', configFile: false, build: { outDir: 'out', target: 'es2022' } });
    return { out: join(dir, 'out'), warnings: [] };
  },
  async esbuild(dir) {
    const [bin, ...args] = ESBUILD_COMMAND.split(' ');
    const r = spawnSync(join(ROOT, 'node_modules', '.bin', bin), args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`esbuild failed (${r.status}): ${r.stderr}`);
    writeFileSync(join(dir, 'dist', 'index.html'), page('app.js'));
    // esbuild prints its warnings to stderr as "▲ [WARNING] ...".
    return { out: join(dir, 'dist'), warnings: r.stderr.split('\n').filter((l) => l.includes('[WARNING]')) };
  },
  async webpack(dir) {
    // No configuration: webpack's defaults are src/index.js -> dist/main.js in the working directory
    // (the project folder, which the API has to be told), and `mode` is what the CLI defaults to.
    const stats = await new Promise<webpack.Stats>((resolve, reject) =>
      webpack({ mode: 'production', context: dir, output: { path: join(dir, 'dist') } }, (err, s) => (err || !s ? reject(err) : resolve(s))),
    );
    const info = stats.toJson({ all: false, errors: true, warnings: true });
    if (stats.hasErrors()) throw new Error(`webpack failed: ${info.errors!.map((e) => e.message).join('\n')}`);
    writeFileSync(join(dir, 'dist', 'index.html'), page('main.js'));
    return { out: join(dir, 'dist'), warnings: info.warnings!.map((w) => w.message) };
  },
  async rollup(dir) {
    const warnings: string[] = [];
    const bundle = await rollup({
      ...ROLLUP_CONFIG,
      plugins: [nodeResolve({ rootDir: dir })],
      onwarn: (w) => void warnings.push(`${w.code}: ${w.message}`),
      // A relative input is relative to the working directory for the rollup CLI.
      input: Object.fromEntries(Object.entries(ROLLUP_CONFIG.input).map(([k, v]) => [k, v.startsWith('src/') ? join(dir, v) : v])),
    });
    await bundle.write({ ...ROLLUP_CONFIG.output, dir: join(dir, ROLLUP_CONFIG.output.dir) });
    await bundle.close();
    writeFileSync(join(dir, 'dist', 'index.html'), page('app.js'));
    return { out: join(dir, 'dist'), warnings };
  },
};

/** Where each recipe expects the app's source. */
const APP_PATH: Record<string, string> = { vite: 'src/main.js', esbuild: 'app.js', webpack: 'src/index.js', rollup: 'src/app.js' };

let chrome: ChromiumSession;
const dirs: string[] = [];

beforeAll(async () => {
  chrome = await launchChromium();
});

afterAll(async () => {
  await chrome?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Loads the built app and returns what it left in window.__result. */
async function run(out: string): Promise<any> {
  const server = await startServer(out, null);
  const tab = await chrome.context.newPage();
  try {
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(String(e)));
    await tab.goto(`${server.url}/index.html`);
    await tab.waitForFunction(() => (window as unknown as { __result?: unknown }).__result !== undefined, null, { timeout: 60_000 });
    const r = await tab.evaluate(() => (window as unknown as { __result: any }).__result);
    expect(errors).toEqual([]);
    return r;
  } finally {
    await tab.close();
    await server.close();
  }
}

describe.each(Object.keys(BUNDLERS))('%s', (name) => {
  let built: Built;

  beforeAll(async () => {
    const dir = consumer(name, APP_PATH[name]);
    dirs.push(dir);
    built = await BUNDLERS[name](dir);
  });

  it('follows the README recipe and warns about nothing in the package', () => {
    if (name === 'esbuild') expect(README).toContain(ESBUILD_COMMAND);
    if (name === 'rollup') for (const line of ROLLUP_README) expect(README).toContain(line);
    // webpack's "Critical dependency" is the Node-only worker URL or import() it could not analyse.
    expect(built.warnings.filter((w) => /critical dependency/i.test(w))).toEqual([]);
    expect(built.warnings).toEqual([]);
  });

  it('emits the worker script as a file of its own', () => {
    const files = readdirSync(built.out, { recursive: true }).map(String).filter((f) => f.endsWith('.js'));
    // The app plus at least one more script that the worker starts from.
    expect(files.length, files.join(', ')).toBeGreaterThanOrEqual(2);
  });

  it('the built app fits with workers: 2 in Chromium, equal to workers: 1', async () => {
    const r = await run(built.out);
    expect(r.error).toBeUndefined();
    expect(r.two.workers).toBe(2);
    // No worker warning (tol 0 also adds the non-convergence one).
    expect((r.two.warnings as string[]).filter((w) => w.startsWith('workers'))).toEqual([]);
    expect(r.two.backend).toBe('wasm');
    expect(r.live).toBe(0);
    // Reference: the one-thread fit of the same app.
    const flat = (x: unknown): number[] => (Array.isArray(x) ? x.flat(3) : [x]) as number[];
    for (const key of ['weights', 'means', 'covariances', 'history'] as const) {
      const a = flat(r.one[key]);
      const b = flat(r.two[key]);
      expect(b.length).toBe(a.length);
      const scale = Math.max(...a.map(Math.abs));
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i]) / scale, `${key}[${i}]`).toBeLessThan(1e-10);
    }
  });
});
