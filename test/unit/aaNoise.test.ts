import { describe, expect, it } from 'vitest';
import { aaReport, describeAa } from '../../src/ci/aaNoise.js';
import { gateConfigSchema } from '../../src/ci/gateConfig.js';
import { GateStatus } from '../../src/ci/gates.js';
import { MetricSummary } from '../../src/metrics/summary.js';
import type { RunResult } from '../../src/results/schema.js';
import { sampleRun } from '../helpers/sampleRun.js';

/** A run of the one ok case of sampleRun, with these samples (per dispatch). */
function runWith(samples: number[]): RunResult {
  const run = sampleRun();
  const [c] = run.cases;
  if (c === undefined) throw new Error('sampleRun has a case');
  return {
    ...run,
    cases: [{ ...c, samplesNs: samples, summary: MetricSummary.fromValues('timePerDispatch', samples, 'ns') }],
  };
}

const around = (centre: number, spread: number, n = 12): number[] =>
  Array.from({ length: n }, (_, i) => centre * (1 + spread * (((i * 7) % n) / n - 0.5)));

describe('A/A: the same build against itself', () => {
  const config = gateConfigSchema.parse({ maxRegressionPct: 5 });

  it('quiet runs: every check passes, no false failure', () => {
    const report = aaReport(
      [runWith(around(1e6, 0.01)), runWith(around(1e6, 0.01)), runWith(around(1e6, 0.01))],
      config,
    );
    expect(report.summary).toMatchObject({ runs: 3, pairs: 2, checks: 2, gateFailed: 0, untestable: 0, passed: 2 });
    expect(report.summary.falseFailureRate).toBe(0);
  });

  it('a drift between identical builds is a false failure, and the rate counts it', () => {
    // The machine got 10% slower between runs: the gate calls it a regression, which A/A shows is noise here.
    const report = aaReport([runWith(around(1e6, 0.01)), runWith(around(1.1e6, 0.01))], config);
    expect(report.checks[0]?.gate).toBe(GateStatus.FAILED);
    expect(report.summary.falseFailureRate).toBe(1);
    expect(report.summary.largestChangePct).toBeCloseTo(10, 0);
    expect(describeAa(report).join('\n')).toMatch(/a threshold above 10\.\d% would have called none/);
  });

  it('noise above the threshold is untestable, and counts as a false failure unless "warn"', () => {
    const noisy = [runWith(around(1e6, 0.6)), runWith(around(1e6, 0.6))];
    const strict = aaReport(noisy, config);
    expect(strict.checks[0]?.gate).toBe(GateStatus.UNTESTABLE);
    expect(strict.summary.falseFailureRate).toBe(1);
    const warn = aaReport(noisy, gateConfigSchema.parse({ maxRegressionPct: 5, untestable: 'warn' }));
    expect(warn.summary.untestable).toBe(1);
    expect(warn.summary.falseFailureRate).toBe(0);
  });

  it('noise does not hide a decided regression: 2× slower past ±30% noise still fails', () => {
    const report = aaReport([runWith(around(1e6, 0.6)), runWith(around(2e6, 0.6))], config);
    expect(report.checks[0]?.noiseNew).toBeGreaterThan(0.05);
    expect(report.checks[0]?.gate).toBe(GateStatus.FAILED);
  });
});
