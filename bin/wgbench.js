#!/usr/bin/env node
// The wgbench command: runs the compiled CLI from dist/ (built by `npm run build`, which npm install runs).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('wgbench: dist/ is missing; run `npm run build` in the wgbench folder first\n');
  process.exit(2);
}
await import(entry.href);
