import { relativeNoise } from '../metrics/noise.js';
import { percentile } from '../metrics/summary.js';
import type { RunResult } from '../results/schema.js';
import { canaryCaveat, compareSamples, perDispatchSamples } from './compare.js';
import { baselineFromRun, evaluateGates } from './evaluate.js';
import { gateConfigSchema, type GateConfig } from './gateConfig.js';
import { GateStatus } from './gates.js';

/** One case of one pair of runs of the same build: what the gate and compare said of it. */
export interface AaCheck {
  id: string;
  pair: number;
  changePct: number;
  pValue: number | null;
  noiseBase: number | null;
  noiseNew: number | null;
  /** The gate's regression status for this case: anything but PASSED/NOISY is a false alarm here. */
  gate: GateStatus;
  /** compare's verdict: faster or slower between identical builds is a false positive. */
  compare: string;
}

export interface AaSummary {
  runs: number;
  pairs: number;
  checks: number;
  /** The gate failed a case between identical builds (slower, significantly, past the threshold). */
  gateFailed: number;
  /** The gate could not decide (too few samples, noise above the threshold): fails unless "warn". */
  untestable: number;
  passed: number;
  /** compare called a case faster or slower (either direction) between identical builds. */
  compareChanged: number;
  /** compare would have called a change, but the canary moved beside the case (src/runner/canary.ts). */
  compareAmbiguous: number;
  /** Rate at which the gate, as configured, would have failed an unchanged build's case. */
  falseFailureRate: number;
  largestChangePct: number | null;
  medianChangePct: number | null;
  /** Median noise the cases reached, over every run. */
  medianNoise: number | null;
}

export interface AaReport {
  settings: { maxRegressionPct: number; alpha: number; minSamples: number; untestable: GateConfig['untestable'] };
  checks: AaCheck[];
  summary: AaSummary;
}

/** The regression part of a gate config: A/A measures that rule, not absolute thresholds. */
export function regressionOnly(config: GateConfig): GateConfig {
  return gateConfigSchema.parse({
    maxRegressionPct: config.maxRegressionPct,
    alpha: config.alpha,
    minSamples: config.minSamples,
    untestable: config.untestable,
  });
}

/**
 * Runs of one build, compared pair by pair (each with the next) under the gate's regression rule:
 * every failure is a false alarm, so their share is the rate a team would see from noise alone.
 */
export function aaReport(runs: readonly RunResult[], config: GateConfig): AaReport {
  const rule = regressionOnly(config);
  const options = { thresholdPct: rule.maxRegressionPct, alpha: rule.alpha, minSamples: rule.minSamples };
  const checks: AaCheck[] = [];
  for (let pair = 0; pair + 1 < runs.length; pair++) {
    const base = runs[pair] as RunResult;
    const next = runs[pair + 1] as RunResult;
    const evaluation = evaluateGates(next, rule, baselineFromRun(base, `run ${pair + 1}`, next), {
      allowIncomplete: true,
    });
    const byName = new Map(evaluation.results.map((r) => [r.name, r.status]));
    for (const c of next.cases.filter((x) => x.status === 'ok')) {
      const b = base.cases.find((x) => x.id === c.id && x.status === 'ok');
      if (b === undefined) continue;
      const baseSamples = perDispatchSamples(b);
      const newSamples = perDispatchSamples(c);
      const cmp = canaryCaveat(compareSamples(c.id, baseSamples, newSamples, options), b, c, options.thresholdPct);
      checks.push({
        id: c.id,
        pair,
        changePct: cmp.changePct ?? 0,
        pValue: cmp.pValue,
        noiseBase: relativeNoise(baseSamples),
        noiseNew: relativeNoise(newSamples),
        gate: byName.get(`regression_timeNs_${c.id}`) ?? GateStatus.SKIPPED,
        compare: cmp.verdict,
      });
    }
  }
  const count = (status: GateStatus): number => checks.filter((c) => c.gate === status).length;
  const changes = checks.map((c) => Math.abs(c.changePct)).sort((a, b) => a - b);
  const noises = runs
    .flatMap((r) => r.cases.map((c) => c.noise?.reached))
    .filter((x): x is number => typeof x === 'number')
    .sort((a, b) => a - b);
  const mid = (xs: number[]): number | null => (xs.length === 0 ? null : percentile(xs, 50));
  const gateFailed = count(GateStatus.FAILED);
  const untestable = count(GateStatus.UNTESTABLE);
  const falseAlarms = gateFailed + (rule.untestable === 'fail' ? untestable : 0);
  return {
    settings: {
      maxRegressionPct: rule.maxRegressionPct,
      alpha: rule.alpha,
      minSamples: rule.minSamples,
      untestable: rule.untestable,
    },
    checks,
    summary: {
      runs: runs.length,
      pairs: Math.max(0, runs.length - 1),
      checks: checks.length,
      gateFailed,
      untestable,
      passed: count(GateStatus.PASSED) + count(GateStatus.NOISY),
      compareChanged: checks.filter((c) => c.compare === 'faster' || c.compare === 'slower').length,
      compareAmbiguous: checks.filter((c) => c.compare === 'ambiguous').length,
      falseFailureRate: checks.length === 0 ? 0 : falseAlarms / checks.length,
      largestChangePct: changes.at(-1) ?? null,
      medianChangePct: mid(changes),
      medianNoise: mid(noises),
    },
  };
}

/** The verdict in words: the rate, and the threshold that would have passed every identical build here. */
export function describeAa(report: AaReport): string[] {
  const s = report.summary;
  const t = report.settings;
  const pct = (x: number | null, digits = 1): string => (x === null ? '—' : `${x.toFixed(digits)}%`);
  const lines = [
    `gate settings: threshold ${t.maxRegressionPct}%, α ${t.alpha}, at least ${t.minSamples} samples a side, ` +
      `untestable: ${t.untestable}`,
    `identical builds, ${s.runs} runs (${s.pairs} pair${s.pairs === 1 ? '' : 's'}), ${s.checks} case checks: ` +
      `${s.gateFailed} failed as regressions, ${s.untestable} untestable, ${s.passed} passed`,
    `false-failure rate of these settings on this machine: ${pct(s.falseFailureRate * 100)}` +
      (t.untestable === 'fail' && s.untestable > 0 ? ' (untestable counts: it fails the gate)' : '') +
      `; compare called ${s.compareChanged} faster or slower` +
      (s.compareAmbiguous === 0 ? '' : ` and ${s.compareAmbiguous} ambiguous (beside a moved canary)`),
    `change between identical builds: median ${pct(s.medianChangePct)}, largest ${pct(s.largestChangePct)}; ` +
      `median noise reached ±${pct(s.medianNoise === null ? null : s.medianNoise * 100)}`,
  ];
  if (s.largestChangePct !== null)
    lines.push(
      `a threshold above ${pct(s.largestChangePct)} would have called none of these; below the noise, checks ` +
        `are untestable — lower the noise (--noise, --max-case-ms) before the threshold`,
    );
  return lines;
}
