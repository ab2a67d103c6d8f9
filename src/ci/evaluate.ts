import { mannWhitneyU } from '../metrics/significance.js';
import { percentile } from '../metrics/summary.js';
import type { CaseResult, RunResult } from '../results/schema.js';
import { matchCases, perDispatchSamples } from './compare.js';
import { CASE_METRICS, matchesCase, type CaseMetric, type GateConfig } from './gateConfig.js';
import { GateStatus, PerformanceGate, type GateResult, type GateSummary } from './gates.js';

/** What a regression is measured against: another run's samples, or past runs' medians. */
export interface Baseline {
  label: string;
  /** Per case: per-dispatch time samples (a file) or the medians of the last k runs (history). */
  samplesNs: Map<string, number[]>;
  /** Every case the baseline measured (ok): a new run lacking one of them is reported. */
  ids: string[];
}

/** What a gate may let through, each only when asked for explicitly. */
export interface GateAllowances {
  /** Judge an interrupted, device-lost or still-running run on what it has. */
  allowIncomplete?: boolean;
  /** Let baseline cases the new run lacks pass as skipped. */
  allowMissing?: boolean;
}

export function caseMetricValue(c: CaseResult, metric: CaseMetric): number | null {
  switch (metric) {
    case 'timeNs':
      return c.summary?.p50 ?? null;
    case 'bandwidthGBps':
      return c.bandwidth?.medianGBps ?? null;
    case 'tflops':
      return c.compute?.achievedTflops ?? null;
    case 'mfu':
      return c.utilization?.[0]?.mfu ?? null;
    case 'mbu':
      return c.utilization?.[0]?.mbu ?? null;
  }
}

const RUN_LEVEL_GATES: { key: keyof GateConfig; name: string; label: string }[] = [
  { key: 'minThroughputTps', name: 'throughput', label: 'throughput (tokens/s)' },
  { key: 'maxTtftMs', name: 'ttft', label: 'TTFT' },
  { key: 'maxTpotMs', name: 'tpot', label: 'TPOT' },
  { key: 'maxP99LatencyMs', name: 'p99_latency', label: 'P99 latency' },
  { key: 'minKvHitRate', name: 'kv_hit_rate', label: 'KV hit rate' },
  { key: 'minMfu', name: 'mfu', label: 'model MFU' },
];

export interface GateEvaluation {
  results: GateResult[];
  summary: GateSummary;
}

/**
 * Runs every configured gate over a run: the original absolute thresholds, per-case thresholds,
 * and significance-aware regression checks against a baseline. A regression fails only when it
 * exceeds the threshold and the Mann–Whitney test says it is real; otherwise it is NOISY.
 */
export function evaluateGates(
  run: RunResult,
  config: GateConfig,
  baseline: Baseline | null,
  allow: GateAllowances = {},
): GateEvaluation {
  const gate = new PerformanceGate({
    maxRegressionPct: config.maxRegressionPct,
    ...(config.maxMemoryGb === undefined ? {} : { maxMemoryGb: config.maxMemoryGb }),
  });
  // A crashed, killed or lost run must not pass because the cases it did finish were fine.
  if (run.status !== 'complete') {
    gate.record({
      name: 'run_complete',
      status: allow.allowIncomplete === true ? GateStatus.SKIPPED : GateStatus.FAILED,
      expected: null,
      actual: null,
      threshold: null,
      message:
        `the run is ` +
        `${run.status}${run.message === undefined || run.message === null ? '' : ` (${run.message})`}: ` +
        (allow.allowIncomplete === true
          ? 'judged on what it has (--allow-incomplete)'
          : 'a gate passes only a complete run; --allow-incomplete judges what it has'),
    });
  }
  // Run-level LLM metrics arrive with the llm suite; until a run has them, such gates say so.
  for (const g of RUN_LEVEL_GATES) {
    if (config[g.key] === undefined) continue;
    gate.record({
      name: g.name,
      status: GateStatus.SKIPPED,
      expected: config[g.key] as number,
      actual: null,
      threshold: config[g.key] as number,
      message: `${g.label}: this run reports no such metric (the llm suite does)`,
    });
  }
  if (config.maxMemoryGb !== undefined) gate.checkMemory(run.memory.peakGpuBytes / 1e9);

  const ok = run.cases.filter((c) => c.status === 'ok');
  for (const c of run.cases.filter((x) => x.status === 'failed' || x.status === 'error')) {
    gate.record({
      name: `case_${c.id}`,
      status: GateStatus.FAILED,
      expected: null,
      actual: null,
      threshold: null,
      message: `${c.id} ${c.status}: ${c.message ?? ''}`,
    });
  }
  for (const t of config.thresholds) {
    const matched = ok.filter((c) => matchesCase(t.case, c.id));
    if (matched.length === 0) {
      gate.record({
        name: `threshold_${t.metric}_${t.case}`,
        status: GateStatus.FAILED,
        expected: t.min ?? t.max ?? null,
        actual: null,
        threshold: t.min ?? t.max ?? null,
        message: `threshold on "${t.case}" matches no successful case in this run`,
      });
      continue;
    }
    for (const c of matched) {
      const v = caseMetricValue(c, t.metric);
      const name = `threshold_${t.metric}_${c.id}`;
      if (v === null) {
        gate.record({
          name,
          status: GateStatus.FAILED,
          expected: t.min ?? t.max ?? null,
          actual: null,
          threshold: t.min ?? t.max ?? null,
          message: `${c.id}: ${t.metric} was not measured (no peaks for MFU/MBU? run wgbench calibrate)`,
        });
        continue;
      }
      const low = t.min !== undefined && v < t.min;
      const high = t.max !== undefined && v > t.max;
      const bound = [t.min !== undefined ? `≥ ${t.min}` : '', t.max !== undefined ? `≤ ${t.max}` : '']
        .filter((x) => x !== '')
        .join(' and ');
      gate.record({
        name,
        status: low || high ? GateStatus.FAILED : GateStatus.PASSED,
        expected: t.min ?? t.max ?? null,
        actual: v,
        threshold: t.min ?? t.max ?? null,
        message: `${c.id}: ${t.metric} ${v.toPrecision(4)} ${low || high ? 'not ' : ''}${bound}`,
      });
    }
  }

  if (baseline !== null) {
    const measured = new Set(ok.map((c) => c.id));
    const failed = new Set(run.cases.filter((c) => c.status === 'failed' || c.status === 'error').map((c) => c.id));
    for (const id of baseline.ids) {
      if (measured.has(id) || failed.has(id)) continue;
      const why = run.cases.some((c) => c.id === id) ? 'not measured in this run (skipped)' : 'missing from this run';
      gate.record({
        name: `missing_${id}`,
        status: allow.allowMissing === true ? GateStatus.SKIPPED : GateStatus.FAILED,
        expected: null,
        actual: null,
        threshold: null,
        message:
          `${id}: in the baseline (${baseline.label}) but ` +
          `${why}${allow.allowMissing === true ? ' (--allow-missing)' : '; --allow-missing lets it pass'}`,
      });
    }
    for (const c of ok) {
      const base = baseline.samplesNs.get(c.id);
      if (base === undefined || base.length === 0) {
        gate.record({
          name: `regression_${c.id}`,
          status: GateStatus.SKIPPED,
          expected: null,
          actual: null,
          threshold: config.maxRegressionPct,
          message: `${c.id}: not in the baseline (${baseline.label})`,
        });
        continue;
      }
      const samples = perDispatchSamples(c);
      const tBase = percentile(base, 50);
      const tNew = percentile(samples, 50);
      const test = mannWhitneyU(base, samples);
      const enough = base.length >= config.minSamples && samples.length >= config.minSamples;
      const significant = enough && test.pValue < config.alpha;
      for (const metric of config.regressionMetrics) {
        // Every metric here is time or inversely proportional to it, so one test serves them all.
        const regressionPct =
          CASE_METRICS[metric] === 'lower' ? ((tNew - tBase) / tBase) * 100 : (1 - tBase / tNew) * 100;
        const over = regressionPct > config.maxRegressionPct;
        const status = !over ? GateStatus.PASSED : significant ? GateStatus.FAILED : GateStatus.NOISY;
        const why = !over
          ? `${regressionPct.toFixed(1)}% ≤ ${config.maxRegressionPct}%`
          : significant
            ? `${regressionPct.toFixed(1)}% > ${config.maxRegressionPct}%, p = ${test.pValue.toPrecision(2)} ` +
              `< ${config.alpha} (${samples.length} vs ${base.length} samples)`
            : enough
              ? `${regressionPct.toFixed(1)}% > ${config.maxRegressionPct}% but p = ` +
                `${test.pValue.toPrecision(2)} ≥ ${config.alpha}: samples overlap, not called a regression`
              : `${regressionPct.toFixed(1)}% > ${config.maxRegressionPct}% but only ` +
                `${Math.min(base.length, samples.length)} samples on one side (need ${config.minSamples})`;
        const scale = (t: number): number | null =>
          metric === 'timeNs' ? t : (caseMetricValue(c, metric) ?? 0) * (tNew / t);
        gate.record({
          name: `regression_${metric}_${c.id}`,
          status,
          expected: scale(tBase),
          actual: scale(tNew),
          threshold: config.maxRegressionPct,
          message: `${c.id} ${metric} regression ${why} against ${baseline.label}`,
        });
      }
    }
  }
  const checked = gate
    .getResults()
    .some((r) => r.status === GateStatus.PASSED || r.status === GateStatus.FAILED || r.status === GateStatus.NOISY);
  if (!checked) {
    gate.record({
      name: 'checked_something',
      status: GateStatus.FAILED,
      expected: null,
      actual: null,
      threshold: null,
      message:
        `the gate checked ` +
        `nothing${baseline === null ? '' : ` (no case of this run is in ${baseline.label})`}: a gate that ` +
        `compares nothing cannot pass`,
    });
  }
  return { results: gate.getResults(), summary: gate.getSummary() };
}

/**
 * A baseline from one earlier results file, for the cases of `next`, paired as `compare` pairs them
 * (by key, src/ci/compare.ts). One id with the same work keeps its per-dispatch times; another size
 * or another device's case is put on this run's work through its throughput: the time the base
 * would take at its own FLOP/s (or B/s) for the new case's work. A pair with no rate to scale by
 * compares only when the id is the same (a latency).
 */
export function baselineFromRun(run: RunResult, label: string, next: RunResult): Baseline {
  const samplesNs = new Map<string, number[]>();
  const ids: string[] = [];
  for (const [b, n] of matchCases(run.cases, next.cases)) {
    if (b?.status !== 'ok') continue;
    if (n === null) {
      ids.push(b.id);
      continue;
    }
    const scale = workScale(b, n) ?? (b.id === n.id ? 1 : null);
    if (scale === null) continue;
    samplesNs.set(
      n.id,
      perDispatchSamples(b).map((t) => t * scale),
    );
    ids.push(n.id);
  }
  return { label, samplesNs, ids };
}

/** The new case's work over the base case's, in the unit both count (FLOPs of one peak unit, or bytes). */
function workScale(b: CaseResult, n: CaseResult): number | null {
  if (b.compute && n.compute && b.compute.unit === n.compute.unit) {
    return n.compute.flopsPerDispatch / b.compute.flopsPerDispatch;
  }
  if (!b.compute && !n.compute && b.bandwidth && n.bandwidth)
    return n.bandwidth.bytesPerDispatch / b.bandwidth.bytesPerDispatch;
  return null;
}
