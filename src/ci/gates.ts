/** Outcome of one gate check; string values keep gate results plain JSON. */
/** NOISY: a change beyond the threshold that the samples cannot show to be real; reported, not failed. */
/**
 * UNTESTABLE: a check the data cannot decide (too few samples a side): it fails the gate unless the
 * config says `untestable: "warn"`, and the summary counts it apart from failures.
 */
export const GateStatus = {
  PASSED: 'PASSED',
  FAILED: 'FAILED',
  SKIPPED: 'SKIPPED',
  NOISY: 'NOISY',
  UNTESTABLE: 'UNTESTABLE',
} as const;
export type GateStatus = (typeof GateStatus)[keyof typeof GateStatus];

export interface GateResult {
  name: string;
  status: GateStatus;
  passed: boolean;
  expected: number | null;
  actual: number | null;
  threshold: number | null;
  message: string;
}

export interface PerformanceGateConfig {
  minThroughputTps?: number;
  maxTtftMs?: number;
  maxTpotMs?: number;
  maxP99LatencyMs?: number;
  maxMemoryGb?: number;
  /** Fraction in [0, 1]. */
  minKvHitRate?: number;
  /** Fraction in [0, 1]. */
  minMfu?: number;
  /** Largest allowed regression against a baseline, in %; the original's default is 5. */
  maxRegressionPct?: number;
  baselineCommit?: string;
  tags?: string[];
  /** What an UNTESTABLE check does to the gate: fail it (the default) or only warn. */
  untestable?: 'fail' | 'warn';
}

export const DEFAULT_MAX_REGRESSION_PCT = 5;

export interface GateSummary {
  totalChecks: number;
  passed: number;
  failed: number;
  skipped: number;
  noisy: number;
  /** Checks the data could not decide; they fail the gate unless the config says `untestable: "warn"`. */
  untestable: number;
  allPassed: boolean;
  results: { name: string; status: GateStatus; message: string }[];
}

export class GateFailedError extends Error {
  readonly failures: string[];

  constructor(failures: string[]) {
    super(`Performance gate failed:\n${failures.join('\n')}`);
    this.name = 'GateFailedError';
    this.failures = failures;
  }
}

const fmt = (v: number): string => v.toFixed(1);

/** Absolute thresholds and baseline regression checks for CI, after the original ci/gates.py. */
export class PerformanceGate {
  readonly config: Readonly<PerformanceGateConfig>;
  private readonly results: GateResult[] = [];

  constructor(config: PerformanceGateConfig = {}) {
    this.config = { ...config };
  }

  checkThroughput(actualTps: number): GateResult {
    return this.bound('throughput', actualTps, this.config.minThroughputTps, 'min', 'Throughput', 'TPS');
  }

  checkLatency(values: { ttftMs?: number; tpotMs?: number; p99Ms?: number }): GateResult[] {
    const out: GateResult[] = [];
    if (values.ttftMs !== undefined)
      out.push(this.bound('ttft', values.ttftMs, this.config.maxTtftMs, 'max', 'TTFT', 'ms'));
    if (values.tpotMs !== undefined)
      out.push(this.bound('tpot', values.tpotMs, this.config.maxTpotMs, 'max', 'TPOT', 'ms'));
    if (values.p99Ms !== undefined)
      out.push(this.bound('p99_latency', values.p99Ms, this.config.maxP99LatencyMs, 'max', 'P99', 'ms'));
    return out;
  }

  checkMemory(usedGb: number): GateResult {
    return this.bound('memory', usedGb, this.config.maxMemoryGb, 'max', 'Memory', 'GB');
  }

  checkKvHitRate(hitRate: number): GateResult {
    return this.bound('kv_hit_rate', hitRate, this.config.minKvHitRate, 'min', 'KV hit rate', '', 3);
  }

  checkMfu(mfu: number): GateResult {
    return this.bound('mfu', mfu, this.config.minMfu, 'min', 'MFU', '', 3);
  }

  /** Regression in % of the baseline, signed so that positive is always worse. */
  checkRegression(metricName: string, baseline: number, current: number, higherIsBetter = true): GateResult {
    const name = `regression_${metricName}`;
    const threshold = this.config.maxRegressionPct ?? DEFAULT_MAX_REGRESSION_PCT;
    if (!Number.isFinite(current) || !Number.isFinite(baseline)) {
      return this.push({
        name,
        status: GateStatus.FAILED,
        expected: finiteOrNull(baseline),
        actual: finiteOrNull(current),
        threshold,
        message: `${metricName}: baseline ${baseline} or current ${current} is not a finite number`,
      });
    }
    if (baseline === 0) {
      return this.push({
        name,
        status: GateStatus.SKIPPED,
        expected: baseline,
        actual: current,
        threshold,
        message: `${metricName}: no baseline available (baseline is 0)`,
      });
    }
    const change = ((current - baseline) / Math.abs(baseline)) * 100;
    const regressionPct = higherIsBetter ? -change : change;
    const passed = regressionPct <= threshold;
    return this.push({
      name,
      status: passed ? GateStatus.PASSED : GateStatus.FAILED,
      expected: baseline,
      actual: current,
      threshold,
      message: `${metricName} regression ${fmt(regressionPct)}% ${passed ? '<=' : '>'} ${fmt(threshold)}%`,
    });
  }

  /** Records a result computed elsewhere (a significance-aware regression check, a per-case threshold). */
  record(result: Omit<GateResult, 'passed'>): GateResult {
    return this.push(result);
  }

  getResults(): GateResult[] {
    return this.results.map((r) => ({ ...r }));
  }

  getSummary(): GateSummary {
    const count = (s: GateStatus): number => this.results.filter((r) => r.status === s).length;
    const failed = count(GateStatus.FAILED);
    const untestable = count(GateStatus.UNTESTABLE);
    return {
      totalChecks: this.results.length,
      passed: count(GateStatus.PASSED),
      failed,
      skipped: count(GateStatus.SKIPPED),
      noisy: count(GateStatus.NOISY),
      untestable,
      allPassed: failed === 0 && (untestable === 0 || this.config.untestable === 'warn'),
      results: this.results.map((r) => ({ name: r.name, status: r.status, message: r.message })),
    };
  }

  assertAllPassed(): void {
    const failures = this.results.filter((r) => this.fails(r.status)).map((r) => r.message);
    if (failures.length > 0) throw new GateFailedError(failures);
  }

  private bound(
    name: string,
    actual: number,
    limit: number | undefined,
    kind: 'min' | 'max',
    label: string,
    unit: string,
    digits = 1,
  ): GateResult {
    const u = unit === '' ? '' : ` ${unit}`;
    if (limit === undefined) {
      return this.push({
        name,
        status: GateStatus.SKIPPED,
        expected: null,
        actual: finiteOrNull(actual),
        threshold: null,
        message: `No ${label} gate configured`,
      });
    }
    if (!Number.isFinite(actual)) {
      return this.push({
        name,
        status: GateStatus.FAILED,
        expected: limit,
        actual: null,
        threshold: limit,
        message: `${label} is ${String(actual)}, not a measured number`,
      });
    }
    const passed = kind === 'min' ? actual >= limit : actual <= limit;
    const op = kind === 'min' ? (passed ? '>=' : '<') : passed ? '<=' : '>';
    return this.push({
      name,
      status: passed ? GateStatus.PASSED : GateStatus.FAILED,
      expected: limit,
      actual,
      threshold: limit,
      message: `${label} ${actual.toFixed(digits)}${u} ${op} ${limit.toFixed(digits)}${u}`,
    });
  }

  /** Whether a result of this status fails the gate. */
  fails(status: GateStatus): boolean {
    return status === GateStatus.FAILED || (status === GateStatus.UNTESTABLE && this.config.untestable !== 'warn');
  }

  private push(r: Omit<GateResult, 'passed'>): GateResult {
    const result: GateResult = { ...r, passed: r.status === GateStatus.PASSED };
    this.results.push(result);
    return { ...result };
  }
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
