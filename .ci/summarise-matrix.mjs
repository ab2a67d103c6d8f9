// Prints one line per backend of the matrix from vitest's JSON reports: passed, failed and
// not-applicable (skipped) counts; then every failed test, and every test that passed only on its
// retry, with the first line of its first failure. Exits 1 if a backend failed or is missing.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, ...legs] = process.argv.slice(2);
let failed = false;
const firstLine = (messages) =>
  String(messages?.[0] ?? '')
    .split('\n')
    .find((l) => l.trim() !== '')
    ?.trim()
    .slice(0, 300) ?? '';
for (const leg of legs) {
  const file = join(dir, `${leg}.json`);
  if (!existsSync(file)) {
    console.log(`backend ${leg}: no report (the run did not finish)`);
    failed = true;
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  const tests = (r.testResults ?? []).flatMap((f) => (f.assertionResults ?? []).map((t) => ({ ...t, file: f.name })));
  const flaky = tests.filter((t) => t.status === 'passed' && (t.failureMessages?.length ?? 0) > 0);
  console.log(
    `backend ${leg}: ${r.numPassedTests} ` +
      `passed${flaky.length > 0 ? ` (${flaky.length} only on retry)` : ''}, ${r.numFailedTests} failed, ` +
      `${skipped} not applicable (of ${r.numTotalTests} tests)`,
  );
  for (const t of tests.filter((x) => x.status === 'failed'))
    console.log(`  FAILED ${t.fullName}: ${firstLine(t.failureMessages)}`);
  for (const t of flaky) console.log(`  passed on retry ${t.fullName}: first attempt ${firstLine(t.failureMessages)}`);
  // A file that failed outside any test (an import error) has no assertion results to name.
  for (const f of r.testResults ?? [])
    if (f.status === 'failed' && (f.assertionResults ?? []).every((t) => t.status !== 'failed'))
      console.log(`  FAILED ${f.name}: ${String(f.message ?? '').split('\n')[0]}`);
  if (r.numFailedTests > 0 || r.numTotalTests === 0 || (r.numFailedTestSuites ?? 0) > 0) failed = true;
}
process.exit(failed ? 1 : 0);
