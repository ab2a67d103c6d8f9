import type { GateResult } from '../ci/gates.js';
import type { RunResult } from '../results/schema.js';

// XML 1.0 forbids these control characters even escaped; messages from drivers can carry them.
// eslint-disable-next-line no-control-regex -- matching control characters is the point here
const CONTROL_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;
const xml = (s: string): string =>
  s
    .replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c)
    .replace(CONTROL_CHARS, '');

interface TestCase {
  name: string;
  classname: string;
  outcome: 'pass' | 'fail' | 'skip';
  message: string;
}

function render(suite: string, cases: TestCase[]): string {
  const failures = cases.filter((c) => c.outcome === 'fail').length;
  const skipped = cases.filter((c) => c.outcome === 'skip').length;
  const body = cases.map((c) => {
    const inner =
      c.outcome === 'fail'
        ? `<failure message="${xml(c.message)}"/>`
        : c.outcome === 'skip'
          ? `<skipped message="${xml(c.message)}"/>`
          : `<system-out>${xml(c.message)}</system-out>`;
    return `    <testcase classname="${xml(c.classname)}" name="${xml(c.name)}">${inner}</testcase>`;
  });
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="wgbench" tests="${cases.length}" ` +
    `failures="${failures}" skipped="${skipped}">\n  <testsuite name="${xml(suite)}" tests="${cases.length}" ` +
    `failures="${failures}" skipped="${skipped}" errors="0">\n${body.join('\n')}\n  ` +
    `</testsuite>\n</testsuites>\n`
  );
}

/** Gate results as JUnit XML: FAILED is a failure, SKIPPED is skipped, NOISY passes with its note. */
export function renderGateJUnit(results: readonly GateResult[], untestable: 'fail' | 'warn' = 'fail'): string {
  const failing = (status: GateResult['status']): boolean =>
    status === 'FAILED' || (status === 'UNTESTABLE' && untestable === 'fail');
  return render(
    'wgbench gate',
    results.map((r) => ({
      name: r.name,
      classname: 'wgbench.gate',
      outcome: failing(r.status) ? 'fail' : r.status === 'SKIPPED' ? 'skip' : 'pass',
      message: `${r.status}: ${r.message}`,
    })),
  );
}

/** A run's cases as JUnit XML: a failed check or an error is a failure. */
export function renderRunJUnit(run: RunResult): string {
  return render(
    'wgbench run',
    run.cases.map((c) => ({
      name: c.id,
      classname: `wgbench.${c.suite}`,
      outcome: c.status === 'ok' ? 'pass' : c.status === 'skipped' ? 'skip' : 'fail',
      message: c.message ?? (c.bandwidth ? `${c.bandwidth.medianGBps.toFixed(1)} GB/s` : c.status),
    })),
  );
}
