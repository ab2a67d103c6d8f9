#!/usr/bin/env node
// The wgbench command: runs the compiled CLI from dist/ (built by `npm run build`, which npm install
// runs) in a child process whose stderr folds Dawn's native warnings (src/cli/launcher.ts).
// WGBENCH_IN_PROCESS=1 runs it in this process instead, with Dawn's stderr untouched.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('wgbench: dist/ is missing; run `npm run build` in the wgbench folder first\n');
  process.exit(2);
}
if (process.env.WGBENCH_IN_PROCESS === '1') {
  await import(entry.href);
} else {
  const { launch } = await import(new URL('../dist/cli/launcher.js', import.meta.url).href);
  launch(fileURLToPath(entry), process.argv.slice(2));
}
