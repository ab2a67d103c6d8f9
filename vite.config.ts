import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The browser page: `npm run web` serves it; `npm run build:web` writes a static site to dist-web/
// that any static server can host. Kernels and shared modules come from ../kernels and ../src.
const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  define: { __WGBENCH_VERSION__: JSON.stringify(pkg.version) },
  root: fileURLToPath(new URL('./browser', import.meta.url)),
  base: './',
  server: { host: '127.0.0.1', fs: { allow: [fileURLToPath(new URL('.', import.meta.url))] } },
  preview: { host: '127.0.0.1' },
  build: { outDir: fileURLToPath(new URL('./dist-web', import.meta.url)), emptyOutDir: true, target: 'es2022' },
});
