/**
 * Real-browser test harness: a static file server on 127.0.0.1 (random port) over the repository, and
 * headless Debian Chromium driven by playwright-core. No network beyond localhost.
 *
 * Files are served as they are, with no import rewriting: dist/ must load in a browser without a
 * bundler (it has no bare import specifiers).
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The launch flags this machine (and CI) needs. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.csv': 'text/csv; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** Served top-level folders; anything else is 404. */
const ALLOWED = ['dist', 'build', 'data', 'demo-dist', 'test'];

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `root` (default: the repository, limited to the folders in ALLOWED; `allowed: null` serves
 * everything below `root`).
 */
export async function startServer(root = ROOT, allowed: string[] | null = ALLOWED): Promise<StaticServer> {
  const server: Server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
      const file = normalize(join(root, path === '/' ? '/index.html' : path));
      const top = relative(root, file).split(sep)[0];
      if (!file.startsWith(root) || (allowed && !allowed.includes(top)) || !existsSync(file) || !statSync(file).isFile()) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
        return;
      }
      const type = TYPES[extname(file)] ?? 'application/octet-stream';
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ChromiumSession {
  browser: Browser;
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches Debian Chromium headless with a fresh profile; fails loudly when it is not installed. */
export async function launchChromium(): Promise<ChromiumSession> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}; the browser tests need it. Install it with \`apt-get install -y chromium\` ` +
        '(CI does this in .ci/run), or set CHROMIUM_PATH to another Chromium binary.',
    );
  }
  const profile = mkdtempSync(join(tmpdir(), 'gmm-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  return {
    browser: context.browser() as Browser,
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export const OUTPUT = join(ROOT, 'test-output');
