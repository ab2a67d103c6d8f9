// Prints one line per backend of the matrix from vitest's JSON reports: passed, failed and
// not-applicable (skipped) counts, and the adapter; exits 1 if a backend failed or is missing.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, ...legs] = process.argv.slice(2);
let failed = false;
for (const leg of legs) {
  const file = join(dir, `${leg}.json`);
  if (!existsSync(file)) {
    console.log(`backend ${leg}: no report (the run did not finish)`);
    failed = true;
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`backend ${leg}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} not applicable (of ${r.numTotalTests} tests)`);
  if (r.numFailedTests > 0 || r.numTotalTests === 0) failed = true;
}
process.exit(failed ? 1 : 0);
