/** The original module's metric categories, kept as string values so results stay plain JSON. */
export const MetricType = {
  THROUGHPUT: 'THROUGHPUT',
  LATENCY: 'LATENCY',
  MEMORY: 'MEMORY',
  KV_CACHE: 'KV_CACHE',
  COMPUTE: 'COMPUTE',
  COMMUNICATION: 'COMMUNICATION',
} as const;
export type MetricType = (typeof MetricType)[keyof typeof MetricType];

export interface MetricValue {
  name: string;
  value: number;
  unit: string;
  /** Wall-clock time (ms since the Unix epoch) when the value was produced. */
  timestampMs: number;
  metadata: Record<string, string | number | boolean | null>;
}

export function formatMetricValue(v: MetricValue, precision = 4): string {
  return `${v.name}: ${v.value.toFixed(precision)} ${v.unit}`;
}

/** The contract every metric keeps: a name, a unit, a category, and a compute step. */
export interface Metric<T> {
  readonly name: string;
  readonly unit: string;
  readonly metricType: MetricType;
  compute(...args: never[]): T;
  toMetricValue(value: number): MetricValue;
}

/** Monotonic milliseconds; injected so tests and replays control time. */
export interface Clock {
  now(): number;
}

export const performanceClock: Clock = { now: () => performance.now() };

export abstract class BaseMetric<T> implements Metric<T> {
  abstract readonly name: string;
  abstract readonly unit: string;
  abstract readonly metricType: MetricType;
  abstract compute(...args: never[]): T;

  toMetricValue(value: number): MetricValue {
    return { name: this.name, value, unit: this.unit, timestampMs: Date.now(), metadata: {} };
  }
}
