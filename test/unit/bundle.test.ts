import { mkdtempSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runInNewContext } from 'node:vm';
import { build, type Plugin } from 'vite';
import { describe, expect, it } from 'vitest';

// What a page must never pull in: Node itself, Dawn, the databases, the server and the terminal.
const NODE_ONLY = new Set([
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
  'webgpu',
  'better-sqlite3',
  'pg',
  'fastify',
  'commander',
  'cli-progress',
  'cli-table3',
  'picocolors',
  '@sparticuz/chromium',
]);
const isNodeOnly = (id: string): boolean => NODE_ONLY.has(id) || id.startsWith('@fastify/');

/** Fails the build on the first Node-only import, naming the module that asked for it. */
function refuseNodeModules(seen: string[]): Plugin {
  return {
    name: 'refuse-node-modules',
    enforce: 'pre',
    resolveId(id, importer) {
      if (isNodeOnly(id)) seen.push(`${id} (imported by ${importer ?? '?'})`);
      return null;
    },
  };
}

describe("import 'wgbench' in a browser bundle", () => {
  it('bundles with Vite without one Node module, and loads where there is no Node', async () => {
    const out = mkdtempSync(join(tmpdir(), 'wgbench-bundle-'));
    const seen: string[] = [];
    await build({
      configFile: false,
      logLevel: 'silent',
      plugins: [refuseNodeModules(seen)],
      build: {
        outDir: out,
        target: 'es2022',
        minify: false,
        lib: { entry: resolve('dist/index.js'), name: 'wgbench', formats: ['iife'], fileName: () => 'wgbench.js' },
      },
    });
    expect(seen, `Node-only modules reached from dist/index.js:\n${seen.join('\n')}`).toEqual([]);
    const code = readFileSync(join(out, 'wgbench.js'), 'utf8');
    expect(code).not.toContain('__vite-browser-external');
    // A context with no process, require or Buffer: loading must not reach for any of them.
    const context: Record<string, unknown> = { console, TextEncoder, TextDecoder, URL };
    runInNewContext(`${code}\nglobalThis.loaded = wgbench;`, context);
    const lib = context['loaded'] as Record<string, unknown>;
    expect(typeof lib['runSuites']).toBe('function');
    expect(typeof lib['compareRuns']).toBe('function');
    expect(typeof (lib['MetricSummary'] as { fromValues?: unknown }).fromValues).toBe('function');
    expect(lib['createNodeGpuProvider']).toBeUndefined();
    expect(lib['openHistory']).toBeUndefined();
  }, 120_000);
});
