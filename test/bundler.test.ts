/**
 * The package as a dependency of someone else's app: a tiny app that depends on gmm-wasm by path
 * (node_modules/gmm-wasm -> this repository, as `npm install ../gmm-wasm` links it) is built by Vite
 * with no configuration at all, and the built app runs in headless Chromium. The worker script must
 * come along through `new Worker(new URL('./worker.js', import.meta.url))`, so `workers: 2` really
 * runs on two workers and equals the one-thread fit (1e-10). Needs dist/ (`npm test` builds it).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { launchChromium, ROOT, startServer, type ChromiumSession, type StaticServer } from './browser/harness.js';

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

let dir: string;
let server: StaticServer;
let chrome: ChromiumSession;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gmm-vite-consumer-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { 'gmm-wasm': `file:${ROOT}` } }));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'gmm-wasm'), 'dir');
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>consumer</title><script type="module" src="./main.js"></script>');
  writeFileSync(join(dir, 'main.js'), APP);
  await build({ root: dir, logLevel: 'error', configFile: false, build: { outDir: 'out', target: 'es2022' } });
  server = await startServer(join(dir, 'out'), null);
  chrome = await launchChromium();
});

afterAll(async () => {
  await chrome?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('Vite bundles the worker script of a dependency without configuration', () => {
  const assets = readdirSync(join(dir, 'out', 'assets'));
  // The entry chunk plus a separately emitted worker chunk.
  expect(assets.filter((f) => f.endsWith('.js')).length).toBeGreaterThanOrEqual(2);
  expect(assets.some((f) => /worker/i.test(f))).toBe(true);
});

it('the built app fits with workers: 2 in Chromium, equal to workers: 1', async () => {
  const page = await chrome.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${server.url}/index.html`);
  await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result !== undefined, null, { timeout: 60_000 });
  const r = await page.evaluate(() => (window as unknown as { __result: any }).__result);
  await page.close();
  expect(errors).toEqual([]);
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
