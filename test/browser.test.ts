/**
 * Real-browser tests: the built package (dist/) in headless Debian Chromium, driven by playwright-core
 * against a static server on 127.0.0.1 (see test/browser/harness.ts). Needs `npm run build` first
 * (`npm test` does it) and /usr/bin/chromium (`apt-get install -y chromium`); fails loudly without it.
 *
 * - a fit on the page and inside a module Web Worker equals the same fit in Node (1e-10 relative);
 * - `workers: 2` in the browser equals `workers: 1` (and really runs on 2 workers);
 * - backend 'auto' picks the SIMD build in Chromium;
 * - the demo page (built here with Vite) draws the scatter, ellipses, density and log-likelihood plots,
 *   and segments the embedded picture into at most K colours. Screenshots go to test-output/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, OUTPUT, ROOT, startServer, type ChromiumSession, type StaticServer } from './browser/harness.js';

interface FitSpec {
  data: number[];
  rows: number;
  cols: number;
  options: Record<string, unknown>;
}

interface FitResult {
  backendName: string;
  fitWorkers: number;
  fitWarnings: string[];
  weights: number[];
  means: number[][];
  covariances: unknown;
  history: number[];
  nIter: number;
  converged: boolean;
  labels: number[];
  scope?: string;
}

const TOL = 1e-10;

/** The first `cols` columns of a CSV in data/, row-major. */
function csv(name: string, cols: number): { data: number[]; rows: number } {
  const lines = readFileSync(join(ROOT, 'data', name), 'utf8').trim().split('\n').slice(1);
  return { data: lines.flatMap((l) => l.split(',').slice(0, cols).map(Number)), rows: lines.length };
}

/** Seeded 3-D data from three Gaussian blobs (n rows). */
function blobs(n: number): number[] {
  let s = 2024;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const z = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const centres = [[0, 0, 0], [6, 1, -2], [-3, 5, 4]];
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = centres[i % 3];
    out.push(c[0] + z(), c[1] + 0.5 * z(), c[2] + 2 * z());
  }
  return out;
}

const faithful = csv('faithful.csv', 2);
const iris = csv('iris.csv', 4);

const SPECS: Array<[string, FitSpec]> = [
  ['Old Faithful, full, K=2, k-means, wasm', { ...faithful, cols: 2, options: { nComponents: 2, covarianceType: 'full', seed: 0, backend: 'wasm' } }],
  ...(['full', 'tied', 'diag', 'spherical'] as const).map(
    (t): [string, FitSpec] => [`iris, ${t}, K=3, k-means++, wasm`, { ...iris, cols: 4, options: { nComponents: 3, covarianceType: t, init: 'kmeans++', seed: 3, backend: 'wasm' } }],
  ),
  ['iris, full, K=3, random, js', { ...iris, cols: 4, options: { nComponents: 3, covarianceType: 'full', init: 'random', seed: 1, backend: 'js', maxIter: 50 } }],
];

/** The same fit in Node, through the same function the page and the worker run. */
async function fitInNode(spec: FitSpec): Promise<FitResult> {
  const { GaussianMixture } = await import('../dist/index.js');
  // @ts-expect-error plain JavaScript module shared with the browser pages
  const { runFit } = await import('./browser/run-fit.js');
  return runFit(GaussianMixture, spec) as Promise<FitResult>;
}

/** Every number of `actual` within TOL of `expected`, relative to the larger of the two or the array's scale. */
function expectClose(actual: unknown, expected: unknown, what: string): void {
  const a = [actual].flat(3) as number[];
  const e = [expected].flat(3) as number[];
  expect(a.length, `${what}: length`).toBe(e.length);
  const scale = Math.max(...e.map(Math.abs));
  let worst = 0;
  for (let i = 0; i < e.length; i++) {
    const err = Math.abs(a[i] - e[i]) / Math.max(Math.abs(a[i]), Math.abs(e[i]), scale, 1e-300);
    worst = Math.max(worst, Number.isNaN(err) ? Infinity : err);
  }
  expect(worst, `${what}: largest relative difference`).toBeLessThanOrEqual(TOL);
}

function expectSameFit(browser: FitResult, node: FitResult, label: string): void {
  expect(browser.backendName, `${label}: backend`).toBe(node.backendName);
  expect(browser.nIter, `${label}: nIter`).toBe(node.nIter);
  expect(browser.converged, `${label}: converged`).toBe(node.converged);
  expectClose(browser.weights, node.weights, `${label}: weights`);
  expectClose(browser.means, node.means, `${label}: means`);
  expectClose(browser.covariances, node.covariances, `${label}: covariances`);
  expectClose(browser.history, node.history, `${label}: history`);
  expect(browser.labels, `${label}: labels`).toEqual(node.labels);
}

let server: StaticServer;
let chromium: ChromiumSession;
const pageErrors: string[] = [];

/** Fails fast, with the page's errors, instead of waiting for the test timeout when a fit hangs. */
function withTimeout<T>(promise: Promise<T>, what: string, ms = 60_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s; page errors: ${JSON.stringify(pageErrors)}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Waits until body[data-<name>] is 'done'; fails at once, with the status line, when it becomes 'error'. */
async function waitForState(page: Page, name: string, status: string, ms: number): Promise<void> {
  const attr = `data-${name}-state`;
  await page.waitForSelector(`body[${attr}="done"], body[${attr}="error"]`, { timeout: ms });
  const state = await page.getAttribute('body', attr);
  if (state !== 'done') throw new Error(`demo ${name}: ${state}: ${await page.textContent(status)}; page errors: ${JSON.stringify(pageErrors)}`);
}

async function openPage(path: string): Promise<Page> {
  const page = await chromium.context.newPage();
  page.on('pageerror', (err) => pageErrors.push(`${path}: ${err.message}`));
  page.on('console', (msg) => {
    // 404s are reported with their address below; the browser's own favicon request is not ours
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) pageErrors.push(`${path}: console.error: ${msg.text()}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && !res.url().endsWith('/favicon.ico')) pageErrors.push(`${path}: HTTP ${res.status()} ${res.url()}`);
  });
  await page.goto(`${server.url}${path}`);
  return page;
}

beforeAll(async () => {
  server = await startServer();
  chromium = await launchChromium();
});

afterAll(async () => {
  await chromium?.close();
  await server?.close();
});

describe('the built package in Chromium', () => {
  let page: Page;

  beforeAll(async () => {
    page = await openPage('/test/browser/fit.html');
    await page.waitForFunction(() => (window as unknown as { harnessReady?: boolean }).harnessReady === true, null, { timeout: 20_000 });
  });

  afterAll(async () => {
    await page?.close();
  });

  const onPage = (spec: FitSpec) =>
    withTimeout(page.evaluate((s) => (window as unknown as { runFit(s: FitSpec): Promise<FitResult> }).runFit(s), spec), 'a fit on the page');
  const inWorker = (spec: FitSpec) =>
    withTimeout(
      page.evaluate((s) => (window as unknown as { runFitInWorker(s: FitSpec): Promise<FitResult> }).runFitInWorker(s), spec),
      'a fit in a module Web Worker',
    );

  it.each(SPECS)('on the page equals Node: %s', async (_, spec) => {
    expectSameFit(await onPage(spec), await fitInNode(spec), 'page');
  });

  it.each(SPECS)('in a module Web Worker equals Node: %s', async (_, spec) => {
    const result = await inWorker(spec);
    expect(result.scope).toBe('DedicatedWorkerGlobalScope');
    expectSameFit(result, await fitInNode(spec), 'worker');
  });

  it("backend 'auto' picks the SIMD build ('wasm') on the page and in a worker", async () => {
    const spec: FitSpec = { ...faithful, cols: 2, options: { nComponents: 2, seed: 0 } };
    expect((await onPage(spec)).backendName).toBe('wasm');
    expect((await inWorker(spec)).backendName).toBe('wasm');
    expect(await page.evaluate(() => WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])))).toBe(true);
  });

  describe('workers: 2', () => {
    const n = 30_000;
    const data = blobs(n);
    const spec = (workers: number, extra: Record<string, unknown> = {}): FitSpec => ({
      data, rows: n, cols: 3, options: { nComponents: 3, covarianceType: 'full', seed: 5, maxIter: 40, tol: 0, workers, ...extra },
    });

    it('equals workers: 1 on the page, with the passes really on 2 workers', async () => {
      const one = await onPage(spec(1));
      const two = await onPage(spec(2));
      expect(two.fitWorkers).toBe(2);
      // No worker warning (tol 0 makes both warn of non-convergence).
      expect(two.fitWarnings.filter((w) => w.startsWith('workers'))).toEqual([]);
      expectSameFit(two, one, 'workers 2 vs 1');
      expectSameFit(one, await fitInNode(spec(1)), 'workers 1 vs Node');
    });

    it('equals workers: 1 inside a module Web Worker (nested workers) and with the JS backend', async () => {
      const two = await inWorker(spec(2));
      expect(two.fitWorkers).toBe(2);
      expectSameFit(two, await fitInNode(spec(1)), 'nested workers 2 vs Node');
      const js = { ...spec(2, { backend: 'js', maxIter: 10 }) };
      const jsTwo = await onPage(js);
      expect(jsTwo.fitWorkers).toBe(2);
      expectSameFit(jsTwo, await fitInNode({ ...js, options: { ...js.options, workers: 1 } }), 'js workers 2 vs Node');
    });
  });

  it('logged no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});

describe('the demo page (vite build)', () => {
  let page: Page;

  beforeAll(async () => {
    const { build } = await import('vite');
    await build({ configFile: join(ROOT, 'demo', 'vite.config.js'), logLevel: 'warn' });
    mkdirSync(OUTPUT, { recursive: true });
    page = await openPage('/demo-dist/index.html');
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  });

  afterAll(async () => {
    await page?.close();
  });

  it('shows a first fit of Old Faithful on load, without a click', async () => {
    await waitForState(page, 'fit', '#fit-status', 60_000);
    const drawn = await page.evaluate(() => ({
      points: document.querySelectorAll('#scatter svg g.points circle').length,
      ellipses: document.querySelectorAll('#scatter svg g.ellipses path').length,
      status: document.querySelector('#fit-status')?.textContent ?? '',
    }));
    expect(drawn.points).toBe(272);
    expect(drawn.ellipses).toBe(4); // the default K = 2, 1 and 2 sigma each
    expect(drawn.status).toMatch(/^Old Faithful: converged after \d+ iterations/);
  });

  it('fits Old Faithful and draws the scatter, ellipses, density contours and log-likelihood', async () => {
    await page.click('#fit-button');
    await waitForState(page, 'fit', '#fit-status', 60_000);
    const counts = await page.evaluate(() => {
      const n = (sel: string) => document.querySelectorAll(sel).length;
      return {
        points: n('#scatter svg g.points circle'),
        ellipses: n('#scatter svg g.ellipses path'),
        density: n('#scatter svg g.density path'),
        means: n('#scatter svg g.means path'),
        loglik: n('#loglik svg g.loglik path'),
        logLength: (document.querySelector('#loglik svg g.loglik path') as SVGPathElement | null)?.getTotalLength() ?? 0,
        status: document.querySelector('#fit-status')?.textContent ?? '',
      };
    });
    expect(counts.points).toBe(272);
    expect(counts.ellipses).toBe(4); // 2 components x (1 sigma, 2 sigma)
    expect(counts.density).toBeGreaterThan(0);
    expect(counts.means).toBe(2);
    expect(counts.loglik).toBe(1);
    expect(counts.logLength).toBeGreaterThan(10);
    expect(counts.status).toMatch(/converged after \d+ iterations/);
    expect(counts.status).toContain('wasm');

    // (c) and (d): the BIC/AIC curves and the WASM vs JS timing follow the fit
    await waitForState(page, 'select', '#fit-status', 100_000);
    const extra = await page.evaluate(() => ({
      bic: document.querySelectorAll('#bic svg g.bic path').length,
      aic: document.querySelectorAll('#aic svg g.aic path').length,
      timing: document.querySelectorAll('#timing svg g.timing rect').length,
    }));
    expect(extra.bic).toBe(4);
    expect(extra.aic).toBe(4);
    expect(extra.timing).toBe(2);
    await page.mouse.move(0, 0); // no tooltip in the screenshot
    await page.locator('#clusters').screenshot({ path: join(OUTPUT, 'demo-clusters.png') });
  });

  it('segments the embedded picture into at most K colours', async () => {
    const k = 6;
    await page.fill('#seg-form input[name="k"]', String(k));
    await page.click('#segment-button');
    await waitForState(page, 'seg', '#seg-status', 100_000);
    const result = await page.evaluate(() => {
      const canvas = document.querySelector('#segmented') as HTMLCanvasElement;
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      const colours = new Set<number>();
      for (let i = 0; i < data.length; i += 4) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      return {
        width: canvas.width,
        height: canvas.height,
        colours: colours.size,
        progress: (document.querySelector('#seg-progress') as HTMLProgressElement).value,
        status: document.querySelector('#seg-status')?.textContent ?? '',
      };
    });
    expect(result.width * result.height).toBeGreaterThan(100_000);
    expect(result.colours).toBeGreaterThanOrEqual(2);
    expect(result.colours).toBeLessThanOrEqual(k);
    expect(result.progress).toBe(30);
    expect(result.status).toContain('2 workers');
    await page.locator('#segmentation').screenshot({ path: join(OUTPUT, 'demo-segmentation.png') });
    await page.screenshot({ path: join(OUTPUT, 'demo-full.png'), fullPage: true });
  });

  /** One clustering fit on Old Faithful with the given controls, BIC/AIC and timing off (they have their own test). */
  async function fitFaithful(controls: { model: string; k: number; missing: number }): Promise<void> {
    await page.selectOption('#fit-form select[name="data"]', 'faithful');
    await page.selectOption('#fit-form select[name="model"]', controls.model);
    await page.fill('#fit-form input[name="k"]', String(controls.k));
    await page.fill('#fit-form input[name="missing"]', String(controls.missing));
    await page.setChecked('#fit-form input[name="select"]', false);
    await page.setChecked('#fit-form input[name="timing"]', false);
    await page.click('#fit-button');
    await waitForState(page, 'fit', '#fit-status', 60_000);
  }

  it('Bayesian (automatic K): K = 5 as the upper bound leaves 2 components active on Old Faithful, ellipses only for those', async () => {
    // Record the status line during the fit: it counts the active components live, from onIteration's weights.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { statusSeen: string[] }).statusSeen = seen;
      const el = document.querySelector('#fit-status')!;
      new MutationObserver(() => seen.push(el.textContent ?? '')).observe(el, { childList: true, characterData: true, subtree: true });
    });
    await fitFaithful({ model: 'bayesian', k: 5, missing: 0 });
    const progress = await page.evaluate(() => (window as unknown as { statusSeen: string[] }).statusSeen.filter((t) => t.startsWith('Fitting… iteration')));
    expect(progress.length).toBeGreaterThan(0);
    for (const t of progress) expect(t).toMatch(/, [1-5] of 5 components active$/);
    const out = await page.evaluate(() => {
      const n = (sel: string) => document.querySelectorAll(sel).length;
      return {
        active: document.body.dataset.activeComponents,
        bars: n('#weights svg g.weights rect'),
        ellipses: n('#scatter svg g.ellipses path'),
        means: n('#scatter svg g.means path'),
        elbo: n('#loglik svg g.loglik path'),
        params: n('#params tr') - 1,
        status: document.querySelector('#fit-status')?.textContent ?? '',
      };
    });
    // README, "Bayesian mixture (automatic K)": Old Faithful with K = 5 gives weights [0.359, 0.64, 0.001, 0, 0]
    expect(out.active).toBe('2');
    expect(out.bars).toBe(5);
    expect(out.ellipses).toBe(4); // 2 active components x (1 sigma, 2 sigma)
    expect(out.means).toBe(2);
    expect(out.elbo).toBe(1);
    expect(out.params).toBe(2);
    expect(out.status).toMatch(/2 of 5 components active \(weight > 0\.01\), lower bound -?\d/);
    await page.mouse.move(0, 0);
    await page.locator('#clusters').screenshot({ path: join(OUTPUT, 'demo-bayesian.png') });
  });

  it('remove 20 % of values: fits with missingValues em and draws the imputed rows apart', async () => {
    await fitFaithful({ model: 'em', k: 2, missing: 20 });
    const out = await page.evaluate(() => {
      const n = (sel: string) => document.querySelectorAll(sel).length;
      return {
        observed: n('#scatter svg g.points circle'),
        imputed: n('#scatter svg g.imputed path'),
        ellipses: n('#scatter svg g.ellipses path'),
        status: document.querySelector('#fit-status')?.textContent ?? '',
      };
    });
    // 20 % of the 544 values, at most one per row: 109 rows with an imputed value, 163 complete
    expect(out.imputed).toBe(109);
    expect(out.observed).toBe(272 - 109);
    expect(out.ellipses).toBe(4);
    expect(out.status).toMatch(/converged after \d+ iterations/);
    expect(out.status).toContain("109 of 544 values removed");
    await page.mouse.move(0, 0);
    await page.locator('#clusters').screenshot({ path: join(OUTPUT, 'demo-missing.png') });
    await page.fill('#fit-form input[name="missing"]', '0');
  });

  it('logged no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
