import { relativeNoise } from '../metrics/noise.js';
import { mannWhitneyU } from '../metrics/significance.js';
import { percentile } from '../metrics/summary.js';
import type { CaseCanary, CaseResult, RunResult } from '../results/schema.js';
import type { CaseExtras } from '../results/extras.js';
import { canaryMoves, matchCases, perDispatchSamples } from './compare.js';
import { CASE_METRICS, matchesCase, type CaseMetric, type GateConfig } from './gateConfig.js';
import { GateStatus, PerformanceGate, type GateResult, type GateSummary } from './gates.js';

/** What a regression is measured against: another run's samples, or past runs' medians. */
export interface Baseline {
  label: string;
  /** Per case: per-dispatch time samples (a file) or the medians of the last k runs (history). */
  samplesNs: Map<string, number[]>;
  /** Every case the baseline measured (ok): a new run lacking one of them is reported. */
  ids: string[];
  /** Per case of the new run: the canary beside its baseline case, where the baseline is one run. */
  canary?: Map<string, CaseCanary>;
}

/** What a gate may let through, each only when asked for explicitly. */
export interface GateAllowances {
  /** Judge an interrupted, device-lost or still-running run on what it has. */
  allowIncomplete?: boolean;
  /** Let baseline cases the new run lacks pass as skipped. */
  allowMissing?: boolean;
}

/**
 * A case's figure for a gate, recomputed from its samples and its declared work (bytes and FLOPs
 * per dispatch), never read from the stored summary: an edited `medianGBps` or `achievedTflops`
 * cannot pass a threshold its samples do not back. MFU and MBU divide by the peaks the run used.
 */
export function caseMetricValue(c: CaseResult, metric: CaseMetric): number | null {
  const samples = perDispatchSamples(c).filter((x) => Number.isFinite(x) && x > 0);
  if (samples.length === 0) return null;
  const medianNs = percentile(samples, 50);
  const gbps = c.bandwidth ? c.bandwidth.bytesPerDispatch / medianNs : null;
  const tflops = c.compute ? c.compute.flopsPerDispatch / medianNs / 1e3 : null;
  const peaks = c.utilization?.[0];
  switch (metric) {
    case 'timeNs':
      return medianNs;
    case 'bandwidthGBps':
      return gbps;
    case 'tflops':
      return tflops;
    case 'mfu':
      return tflops === null || !peaks?.peakTflops ? null : tflops / peaks.peakTflops;
    case 'mbu':
      return gbps === null || !peaks?.peakGBps ? null : gbps / peaks.peakGBps;
  }
}

/** The seed module's run-level gates, each read from the cases that measured its metric. */
const RUN_LEVEL_GATES: {
  key: 'minThroughputTps' | 'maxTtftMs' | 'maxTpotMs' | 'maxP99LatencyMs' | 'minKvHitRate' | 'minMfu';
  name: string;
  label: string;
  kind: 'min' | 'max';
  unit: string;
  /** The suite whose cases carry it, for the message when none did. */
  from: string;
  value: (c: CaseResult) => number | null | undefined;
}[] = [
  {
    key: 'minThroughputTps',
    name: 'throughput',
    label: 'throughput',
    kind: 'min',
    unit: ' tokens/s',
    from: 'llm',
    value: (c) => llmMetrics(c)?.tokensPerSecond,
  },
  {
    key: 'maxTtftMs',
    name: 'ttft',
    label: 'median TTFT',
    kind: 'max',
    unit: ' ms',
    from: 'llm',
    value: (c) => latencyOf(c, 'ttftMs', 'p50'),
  },
  {
    key: 'maxTpotMs',
    name: 'tpot',
    label: 'median TPOT',
    kind: 'max',
    unit: ' ms',
    from: 'llm',
    value: (c) => latencyOf(c, 'tpotMs', 'p50'),
  },
  {
    key: 'maxP99LatencyMs',
    name: 'p99_latency',
    label: 'p99 request latency',
    kind: 'max',
    unit: ' ms',
    from: 'llm',
    value: (c) => latencyOf(c, 'e2eMs', 'p99'),
  },
  {
    key: 'minKvHitRate',
    name: 'kv_hit_rate',
    label: 'KV hit rate',
    kind: 'min',
    unit: '',
    from: 'kvtier',
    value: (c) => caseExtras(c)?.kvCache?.hitRate,
  },
  {
    key: 'minMfu',
    name: 'mfu',
    label: 'model MFU (serving prefill)',
    kind: 'min',
    unit: '',
    from: 'llm',
    value: (c) => {
      const mfu = caseExtras(c)?.servingPrefillMfu;
      return typeof mfu === 'number' ? mfu : llmMetrics(c) === undefined ? undefined : null;
    },
  },
];

const caseExtras = (c: CaseResult): CaseExtras | undefined => c.extras as CaseExtras | undefined;
const llmMetrics = (c: CaseResult): CaseExtras['metrics'] => caseExtras(c)?.metrics;
/** A serving latency of an llm case: undefined for a case that is not one, null when none completed. */
const latencyOf = (
  c: CaseResult,
  which: 'ttftMs' | 'tpotMs' | 'e2eMs',
  at: 'p50' | 'p99',
): number | null | undefined => {
  const metrics = llmMetrics(c);
  return metrics === undefined ? undefined : (metrics[which]?.[at] ?? null);
};

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
    untestable: config.untestable,
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
  // Run-level gates read the cases that measured their metric (the llm suite's serving sessions,
  // the kvtier suite's cache); configured but measured by no case of this run, they fail.
  for (const g of RUN_LEVEL_GATES) {
    const limit = config[g.key];
    if (limit === undefined) continue;
    const carriers = run.cases.filter((c) => c.status === 'ok' && g.value(c) !== undefined);
    if (carriers.length === 0) {
      gate.record({
        name: g.name,
        status: GateStatus.FAILED,
        expected: limit,
        actual: null,
        threshold: limit,
        message: `${g.label}: configured, but no case of this run measured it (run the ${g.from} suite)`,
      });
      continue;
    }
    for (const c of carriers) {
      const v = g.value(c);
      const name = `${g.name}_${c.id}`;
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        gate.record({
          name,
          status: GateStatus.FAILED,
          expected: limit,
          actual: null,
          threshold: limit,
          message:
            `${c.id}: ${g.label} not measured` +
            (g.key === 'minMfu' ? ' (no peaks: run wgbench calibrate)' : ' (no request completed)'),
        });
        continue;
      }
      // At the limit passes: a gate fails a figure that exceeds its limit.
      const passed = g.kind === 'min' ? v >= limit : v <= limit;
      gate.record({
        name,
        status: passed ? GateStatus.PASSED : GateStatus.FAILED,
        expected: limit,
        actual: v,
        threshold: limit,
        message:
          `${c.id}: ${g.label} ${v.toPrecision(4)}${g.unit} ${passed ? '' : 'not '}` +
          `${g.kind === 'min' ? '≥' : '≤'} ${limit}${g.unit}`,
      });
    }
  }
  if (config.maxMemoryGb !== undefined) gate.checkMemory(run.memory.peakGpuBytes / 1e9);

  const ok = run.cases.filter((c) => c.status === 'ok');
  // A case reported ok whose reference check failed measured something other than the kernel's job.
  for (const c of ok.filter((x) => x.check !== null && x.check !== undefined && !x.check.passed)) {
    gate.record({
      name: `check_${c.id}`,
      status: GateStatus.FAILED,
      expected: null,
      actual: null,
      threshold: null,
      message: `${c.id}: status ok but its check failed (${c.check?.detail ?? ''}): its figures time wrong work`,
    });
  }
  if (ok.length === 0) {
    gate.record({
      name: 'measured_something',
      status: GateStatus.FAILED,
      expected: null,
      actual: null,
      threshold: null,
      message:
        run.cases.length === 0
          ? 'the run has no cases: nothing to judge'
          : `no case of this run was measured (${run.cases.length} skipped or failed): nothing to judge`,
    });
  }
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
      const noises = [relativeNoise(base), relativeNoise(samples)].filter((x): x is number => x !== null);
      const noisiest = noises.length === 0 ? null : Math.max(...noises);
      for (const metric of config.regressionMetrics) {
        // Every metric here is time or inversely proportional to it, so one test serves them all.
        const regressionPct =
          CASE_METRICS[metric] === 'lower' ? ((tNew - tBase) / tBase) * 100 : (1 - tBase / tNew) * 100;
        // Exactly the threshold is not a regression: the gate fails what exceeds it (compare agrees).
        const over = regressionPct > config.maxRegressionPct;
        const fewest = Math.min(base.length, samples.length);
        // A median less certain than the threshold cannot be called unchanged: a decided regression still
        // fails, anything else is untestable (nvbench-compare's noise rule, with our median interval).
        const tooNoisy =
          enough && !(over && significant) && noisiest !== null && noisiest * 100 > config.maxRegressionPct;
        // A regression the test would call, beside a canary that moved, cannot be told from the clock
        // or a neighbour: ambiguous, which the gate counts with the untestable (compare agrees).
        const moved =
          over && significant
            ? canaryMoves({ canary: baseline.canary?.get(c.id) }, c, tNew / tBase, config.maxRegressionPct)
            : null;
        // Too few samples to decide anything is untestable whatever the change looks like.
        const status =
          !enough || tooNoisy || moved !== null
            ? GateStatus.UNTESTABLE
            : !over
              ? GateStatus.PASSED
              : significant
                ? GateStatus.FAILED
                : GateStatus.NOISY;
        const why = !enough
          ? `untestable: ${fewest} samples on one side, fewer than the ${config.minSamples} needed to decide ` +
            `(change ${regressionPct.toFixed(1)}%; more passes, or "untestable": "warn" in the config)`
          : moved !== null
            ? `ambiguous: ${regressionPct.toFixed(1)}% > ${config.maxRegressionPct}%, p = ` +
              `${test.pValue.toPrecision(2)}, but ${moved} (rerun on a quiet device, or "untestable": "warn")`
            : tooNoisy
              ? `untestable: the medians' noise (±${((noisiest ?? 0) * 100).toFixed(1)}%, 95% interval) is above the ` +
                `${config.maxRegressionPct}% threshold, so a change that size cannot be told from noise (change ` +
                `${regressionPct.toFixed(1)}%; a longer run: --noise, --max-case-ms; or "untestable": "warn")`
              : !over
                ? `${regressionPct.toFixed(1)}% ≤ ${config.maxRegressionPct}%`
                : significant
                  ? `${regressionPct.toFixed(1)}% > ${config.maxRegressionPct}%, p = ${test.pValue.toPrecision(2)} ` +
                    `< ${config.alpha} (${samples.length} vs ${base.length} samples)`
                  : `${regressionPct.toFixed(1)}% > ${config.maxRegressionPct}% but p = ` +
                    `${test.pValue.toPrecision(2)} ≥ ${config.alpha}: samples overlap, not called a regression`;
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
  const checked = gate.getResults().some((r) => r.status !== GateStatus.SKIPPED);
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
  const canary = new Map<string, CaseCanary>();
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
    if (b.canary !== undefined) canary.set(n.id, b.canary);
    ids.push(n.id);
  }
  return { label, samplesNs, ids, canary };
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
