import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aaReport, describeAa } from '../../src/ci/aaNoise.js';
import { compareRuns } from '../../src/ci/compare.js';
import { baselineFromRun, evaluateGates } from '../../src/ci/evaluate.js';
import { parseGateConfig } from '../../src/ci/gateConfig.js';
import { renderRunTable } from '../../src/reporters/console.js';
import { describeCanary } from '../../src/reporters/describe.js';
import { renderRunMarkdown } from '../../src/reporters/markdown.js';
import { headlineOfRun } from '../../src/view/headline.js';
import { parseRunResult, type CaseCanary, type CaseResult, type RunResult } from '../../src/results/schema.js';
import { withSamples } from '../helpers/sampleRun.js';

// A real quick run on lavapipe (memcopy and peak), recorded on 2026-11-27, before the canary.
const RECORDED = join('test', 'fixtures', 'lavapipe-memcopy-peak.json');
const COPY = 'memcopy/copy/bytes=134217728';
const recorded = (): RunResult => parseRunResult(JSON.parse(readFileSync(RECORDED, 'utf8')), RECORDED);

const still: CaseCanary = { beforeNs: 1_000_000, afterNs: 1_004_000, driftPct: 0.4, touched: false };
const moved: CaseCanary = { beforeNs: 1_000_000, afterNs: 2_200_000, driftPct: 120, touched: true };

/** The recorded run with the copy case slowed `factor` times, the canary beside it as given. */
function slowedCopy(factor: number, canary: CaseCanary | undefined): RunResult {
  const run = recorded();
  const i = run.cases.findIndex((c) => c.id === COPY);
  const copy = run.cases[i] as CaseResult;
  const slowed = withSamples(
    copy,
    copy.samplesNs.map((s) => s * factor),
  );
  run.cases[i] = canary === undefined ? slowed : { ...slowed, canary };
  return run;
}

/** The recorded run with a canary summary that moved beside the copy case. */
function withRunCanary(run: RunResult, touchedCases: number, referenceNoise = 0.01): RunResult {
  const reference = { atMs: 0, medianNs: 1_000_000, noise: referenceNoise };
  return {
    ...run,
    canary: {
      method: 'FMA f32, 4 vec4 chains per thread',
      flopsPerDispatch: 8_388_608,
      dispatchesPerPass: 3,
      passesPerReading: 6,
      reference,
      readings: [reference, { atMs: 900, medianNs: 1_900_000, noise: 0.02 }],
      maxDriftPct: touchedCases === 0 ? 0.4 : 120,
      touchedCases,
    },
  };
}

describe('the canary in compare and the gate', () => {
  it('a 2× slowdown is "slower" beside a still canary and "ambiguous" beside a moved one', () => {
    const verdict = (canary: CaseCanary | undefined): { verdict: string; reason: string } => {
      const c = compareRuns(recorded(), slowedCopy(2, canary)).cases.find((x) => x.id === COPY);
      return { verdict: c?.verdict ?? '', reason: c?.reason ?? '' };
    };
    expect(verdict(undefined).verdict).toBe('slower');
    expect(verdict(still).verdict).toBe('slower');
    const ambiguous = verdict(moved);
    expect(ambiguous.verdict).toBe('ambiguous');
    expect(ambiguous.reason).toMatch(/canary moved \+120\.0% beside the new run's case/);
    // The base side's canary counts as much as the new side's.
    const base = slowedCopy(1, moved);
    const c = compareRuns(base, slowedCopy(2, still)).cases.find((x) => x.id === COPY);
    expect(c?.verdict).toBe('ambiguous');
    expect(c?.reason).toMatch(/beside the base run's case/);
  });

  it('a moved canary does not turn "unchanged" into "ambiguous": only a change it could have made', () => {
    const c = compareRuns(recorded(), slowedCopy(1, moved)).cases.find((x) => x.id === COPY);
    expect(c?.verdict).toBe('unchanged');
    // 500× slower beside a canary that moved 2.2×: no clock or neighbour makes that; it stays called.
    const far = compareRuns(recorded(), slowedCopy(500, moved)).cases.find((x) => x.id === COPY);
    expect(far?.verdict).toBe('slower');
    // 2.3× is within 2.2× and the 5% threshold: ambiguous; 2.4× is past it.
    expect(compareRuns(recorded(), slowedCopy(2.3, moved)).cases.find((x) => x.id === COPY)?.verdict).toBe('ambiguous');
    expect(compareRuns(recorded(), slowedCopy(2.4, moved)).cases.find((x) => x.id === COPY)?.verdict).toBe('slower');
  });

  it('the gate calls a regression beside a moved canary ambiguous and fails it unless told to warn', () => {
    const gate = (canary: CaseCanary | undefined, cfg: object = {}) => {
      const run = slowedCopy(2, canary);
      const evaluation = evaluateGates(
        run,
        parseGateConfig({ maxRegressionPct: 5, ...cfg }, 'gates.json'),
        baselineFromRun(recorded(), 'base', run),
      );
      return {
        check: evaluation.results.find((r) => r.name === `regression_timeNs_${COPY}`),
        summary: evaluation.summary,
      };
    };
    expect(gate(still).check?.status).toBe('FAILED');
    const ambiguous = gate(moved);
    expect(ambiguous.check?.status).toBe('UNTESTABLE');
    expect(ambiguous.check?.message).toMatch(/^memcopy\/copy\S* timeNs regression ambiguous: .*canary moved \+120\.0%/);
    expect(ambiguous.summary.allPassed).toBe(false);
    expect(ambiguous.summary.untestable).toBeGreaterThanOrEqual(1);
    expect(gate(moved, { untestable: 'warn' }).summary.allPassed).toBe(true);
  });

  it("the gate reads the baseline's canary too", () => {
    const run = slowedCopy(2, still);
    const base = slowedCopy(1, moved);
    const check = evaluateGates(
      run,
      parseGateConfig({ maxRegressionPct: 5 }, 'gates.json'),
      baselineFromRun(base, 'base', run),
    ).results.find((r) => r.name === `regression_timeNs_${COPY}`);
    expect(check?.status).toBe('UNTESTABLE');
    expect(check?.message).toMatch(/beside the base run's case/);
  });
});

describe('the canary in the A/A report', () => {
  it('a change beside a moved canary is counted ambiguous, not faster or slower', () => {
    const config = parseGateConfig({ maxRegressionPct: 5 }, 'gates.json');
    const moving = aaReport([recorded(), slowedCopy(2, moved)], config);
    expect(moving.checks.find((c) => c.id === COPY)?.compare).toBe('ambiguous');
    expect(moving.summary.compareAmbiguous).toBe(1);
    expect(describeAa(moving).join('\n')).toMatch(/and 1 ambiguous \(beside a moved canary\)/);
    const still_ = aaReport([recorded(), slowedCopy(2, still)], config);
    expect(still_.checks.find((c) => c.id === COPY)?.compare).toBe('slower');
    expect(still_.summary.compareAmbiguous).toBe(0);
  });
});

describe('the canary in reports', () => {
  it('a run whose canary moved says so in the headline, the console, Markdown, and marks the cases ≈', () => {
    const run = withRunCanary(slowedCopy(1, moved), 1);
    expect(parseRunResult(JSON.parse(JSON.stringify(run)))).toBeTruthy();
    const line = describeCanary(run);
    expect(line).toMatch(/^canary: MOVED \+120\.0% above its fastest reading .* 1 of 1 cases ran beside a move/);
    expect(headlineOfRun(run).canary).toBe(line);
    expect(headlineOfRun(run).canaryMoved).toBe(true);
    const table = renderRunTable(run, { color: false });
    expect(table).toContain(line);
    expect(table).toMatch(/copy 128 MiB .*(±|cv )[\d.]+%†? ≈/);
    expect(renderRunMarkdown(run)).toMatch(/- \*\*canary\*\*: MOVED \+120\.0%/);
  });

  it('a still canary says it held; an unsteady one says moves under its noise go unseen; none says why', () => {
    expect(describeCanary(withRunCanary(recorded(), 0))).toMatch(/^canary: held still — at most \+0\.4% .* ±1\.0%$/);
    expect(describeCanary(withRunCanary(recorded(), 0, 0.4))).toMatch(/^canary: unsteady \(.*±40%\)/);
    expect(describeCanary({ ...recorded(), canary: null, canaryUnavailable: 'no timer' })).toBe(
      'canary: not read (no timer)',
    );
    // Files from before the canary say nothing about it.
    expect(describeCanary(recorded())).toBeNull();
    expect(headlineOfRun(recorded()).canary).toBeNull();
  });
});
