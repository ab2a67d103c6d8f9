import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

// The browser page: `npm run web` serves it; `npm run build:web` writes a static site to dist-web/
// that any static server can host. Kernels and shared modules come from ../kernels and ../src.
const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

/**
 * Suites kept outside src/suites (a test's fixture, a lab's own kernels), built into the page:
 * WGBENCH_PAGE_SUITES is a comma-separated list of modules, each calling registerSuite(). The page
 * imports `virtual:wgbench-page-suites` before it reads the registry.
 */
function pageSuites(list = process.env['WGBENCH_PAGE_SUITES'] ?? ''): Plugin {
  const id = 'virtual:wgbench-page-suites';
  const modules = list
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '')
    .map((m) => resolve(m));
  return {
    name: 'wgbench-page-suites',
    resolveId: (source) => (source === id ? `\0${id}` : null),
    load: (loaded) =>
      loaded === `\0${id}` ? modules.map((m) => `import ${JSON.stringify(m)};`).join('\n') || 'export {};' : null,
  };
}

export default defineConfig({
  define: { __WGBENCH_VERSION__: JSON.stringify(pkg.version) },
  plugins: [pageSuites()],
  root: fileURLToPath(new URL('./browser', import.meta.url)),
  base: './',
  server: { host: '127.0.0.1', fs: { allow: [fileURLToPath(new URL('.', import.meta.url))] } },
  preview: { host: '127.0.0.1' },
  build: { outDir: fileURLToPath(new URL('./dist-web', import.meta.url)), emptyOutDir: true, target: 'es2022' },
});
