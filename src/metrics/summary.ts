import { quantileSorted, sampleStandardDeviation } from 'simple-statistics';
import { MetricError } from './errors.js';

/**
 * Minimum sample counts for a percentile claim (MLPerf LoadGen early-stopping at 99% confidence);
 * below these the percentile is still reported but flagged as low-confidence.
 */
export const MIN_SAMPLES_P90 = 64;
export const MIN_SAMPLES_P99 = 662;
/**
 * LoadGen gives no p95 minimum; its two are about 6.5 / (1 − q) samples (64 at q = 0.9, 662 at
 * q = 0.99), and the same margin at q = 0.95 is 130.
 */
export const MIN_SAMPLES_P95 = 130;

export interface MetricSummary {
  name: string;
  unit: string;
  count: number;
  mean: number;
  /** Sample standard deviation (n − 1); null for a single sample, where it is undefined. */
  std: number | null;
  min: number;
  max: number;
  p25: number;
  p50: number;
  p75: number;
  p90: number;
  /** The p95 docs/metrics.md quotes (and vLLM's benchmarks report). */
  p95: number;
  p99: number;
  iqr: number;
  /** Coefficient of variation, std / mean; null when std is null or the mean is 0. */
  cv: number | null;
  percentileMethod: 'type7-linear';
  stdMethod: 'sample-n-1';
  lowConfidence: { p90: boolean; p95: boolean; p99: boolean };
}

function fromValues(name: string, values: readonly number[], unit: string): MetricSummary {
  if (values.length === 0) {
    throw new MetricError('EMPTY_SAMPLES', `cannot summarise "${name}": no samples were recorded`);
  }
  for (const v of values) {
    if (!Number.isFinite(v)) {
      throw new MetricError('NON_FINITE', `cannot summarise "${name}": sample ${String(v)} is not finite`);
    }
  }
  const sorted = [...values].sort((a, b) => a - b);
  const count = sorted.length;
  const mean = sorted.reduce((s, v) => s + v, 0) / count;
  const std = count > 1 ? sampleStandardDeviation(sorted) : null;
  const q = (p: number): number => quantileSorted(sorted, p);
  const p25 = q(0.25);
  const p75 = q(0.75);
  return {
    name,
    unit,
    count,
    mean,
    std,
    min: sorted[0] as number,
    max: sorted[count - 1] as number,
    p25,
    p50: q(0.5),
    p75,
    p90: q(0.9),
    p95: q(0.95),
    p99: q(0.99),
    iqr: p75 - p25,
    cv: std === null || mean === 0 ? null : std / mean,
    percentileMethod: 'type7-linear',
    stdMethod: 'sample-n-1',
    lowConfidence: { p90: count < MIN_SAMPLES_P90, p95: count < MIN_SAMPLES_P95, p99: count < MIN_SAMPLES_P99 },
  };
}

/** Returns null for an empty sample set instead of throwing, for places where "no data" is normal. */
function fromValuesOrNull(name: string, values: readonly number[], unit: string): MetricSummary | null {
  return values.length === 0 ? null : fromValues(name, values, unit);
}

export const MetricSummary = { fromValues, fromValuesOrNull };

/** One percentile (type 7) of an unsorted sample set; throws on an empty set. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new MetricError('EMPTY_SAMPLES', 'percentile of an empty sample set');
  if (!(p >= 0 && p <= 100)) throw new MetricError('INVALID_ARGUMENT', `percentile must be in [0, 100], got ${p}`);
  // As MetricSummary: NaN sorts nowhere and ±Infinity drags every interpolated percentile with it.
  const bad = values.find((v) => !Number.isFinite(v));
  if (bad !== undefined) throw new MetricError('NON_FINITE', `percentile of samples with ${String(bad)} in them`);
  return quantileSorted(
    [...values].sort((a, b) => a - b),
    p / 100,
  );
}
