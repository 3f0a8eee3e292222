// Copies d3-dsv's self-contained ESM build (no imports of its own) to dist/vendor/d3-dsv.js with its
// ISC licence, so the CLI parses CSV with a maintained parser while the package keeps zero runtime
// dependencies. Types: src/vendor/d3-dsv.d.ts.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const root = new URL('../', import.meta.url);
const require = createRequire(import.meta.url);
// d3-dsv's exports map hides package.json, so locate the package from its resolved entry.
const entry = require.resolve('d3-dsv');
const pkgDir = join(dirname(entry), '..');
const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const source = readFileSync(join(pkgDir, 'dist', 'd3-dsv.mjs'), 'utf8');
const licence = readFileSync(join(pkgDir, 'LICENSE'), 'utf8').trim();
const target = new URL('dist/vendor/d3-dsv.js', root);
mkdirSync(new URL('.', target), { recursive: true });
writeFileSync(target, `/*! d3-dsv ${version}, vendored by gmm-wasm (scripts/vendor.mjs).\n${licence}\n*/\n${source}`);
