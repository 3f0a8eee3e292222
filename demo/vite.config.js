// Vite config of the demo page: `npm run demo` (dev server) and `npm run build:demo` (static files in
// ../demo-dist). The page imports the package by name; the alias points it at the built ../dist, so
// the demo exercises exactly what users install (run `npm run build` first).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: './',
  resolve: { alias: { 'gmm-wasm': here('../dist/index.js') } },
  worker: { format: 'es' },
  server: { fs: { allow: [here('..')] } },
  build: { outDir: here('../demo-dist'), emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1000 },
});
