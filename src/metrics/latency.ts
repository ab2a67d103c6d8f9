import { MetricError, requireFinite } from './errors.js';
import { MetricSummary } from './summary.js';
import { BaseMetric, MetricType, performanceClock, type Clock } from './types.js';

/** Timestamps of one request, in ms on one monotonic clock. */
export interface RequestTimeline {
  submitMs: number;
  /** When the engine started work on the request; defaults to submitMs (no queueing). */
  scheduledMs?: number;
  /** When the prefill pass finished; defaults to the first token's time. */
  prefillDoneMs?: number;
  /** Time of every output token, the first one included, in order. */
  tokenTimesMs: readonly number[];
}

/**
 * Latency of one request per docs/metrics.md. Fields that need tokens are null when there are
 * none, and TPOT is null for a single output token, since it is undefined there.
 */
export interface LatencyResult {
  ttftMs: number | null;
  /** (E2E − TTFT) / (n_out − 1); never E2E / n_out. */
  tpotMs: number | null;
  e2eMs: number | null;
  /** First token (or prefillDone) − scheduled start. */
  prefillMs: number | null;
  /** Last token − first token. */
  decodeMs: number | null;
  queueMs: number;
  outputTokens: number;
  /** Gaps between consecutive tokens (n_out − 1 of them). */
  itlMs: number[];
}

export function computeRequestLatency(t: RequestTimeline): LatencyResult {
  requireFinite('submitMs', t.submitMs);
  const scheduledMs = t.scheduledMs ?? t.submitMs;
  requireFinite('scheduledMs', scheduledMs);
  if (scheduledMs < t.submitMs) {
    throw new MetricError('INVALID_ARGUMENT', `scheduledMs (${scheduledMs}) is before submitMs (${t.submitMs})`);
  }
  let previous = scheduledMs;
  for (const [i, time] of t.tokenTimesMs.entries()) {
    requireFinite(`tokenTimesMs[${i}]`, time);
    if (time < previous) {
      throw new MetricError(
        'INVALID_ARGUMENT',
        `tokenTimesMs[${i}] = ${time} is earlier than the event before it (${previous}); token times must ` +
          `be non-decreasing and after submit`,
      );
    }
    previous = time;
  }
  const n = t.tokenTimesMs.length;
  const queueMs = scheduledMs - t.submitMs;
  const first = t.tokenTimesMs[0];
  const last = t.tokenTimesMs[n - 1];
  if (first === undefined || last === undefined) {
    return {
      ttftMs: null,
      tpotMs: null,
      e2eMs: null,
      prefillMs: t.prefillDoneMs === undefined ? null : t.prefillDoneMs - scheduledMs,
      decodeMs: null,
      queueMs,
      outputTokens: 0,
      itlMs: [],
    };
  }
  const ttftMs = first - t.submitMs;
  const e2eMs = last - t.submitMs;
  const itlMs: number[] = [];
  for (let i = 1; i < n; i++) itlMs.push((t.tokenTimesMs[i] as number) - (t.tokenTimesMs[i - 1] as number));
  return {
    ttftMs,
    tpotMs: n > 1 ? (e2eMs - ttftMs) / (n - 1) : null,
    e2eMs,
    prefillMs: (t.prefillDoneMs ?? first) - scheduledMs,
    decodeMs: last - first,
    queueMs,
    outputTokens: n,
    itlMs,
  };
}

/**
 * Records one request's events as they happen. firstToken() marks output token 1;
 * tokenGenerated() marks each later token (or the first, if firstToken() was not called).
 * Every mark takes an optional explicit time so recorded timelines can be replayed.
 */
export class LatencyMetric extends BaseMetric<LatencyResult> {
  readonly name = 'latency';
  readonly unit = 'ms';
  readonly metricType = MetricType.LATENCY;

  private submitMs: number | null = null;
  private scheduledMs: number | undefined;
  private prefillDoneMs: number | undefined;
  private tokenTimesMs: number[] = [];
  private readonly clock: Clock;

  constructor(clock: Clock = performanceClock) {
    super();
    this.clock = clock;
  }

  requestStart(atMs: number = this.clock.now()): void {
    this.submitMs = atMs;
    this.scheduledMs = undefined;
    this.prefillDoneMs = undefined;
    this.tokenTimesMs = [];
  }

  scheduled(atMs: number = this.clock.now()): void {
    this.requireStarted('scheduled');
    this.scheduledMs = atMs;
  }

  prefillDone(atMs: number = this.clock.now()): void {
    this.requireStarted('prefillDone');
    this.prefillDoneMs = atMs;
  }

  firstToken(atMs: number = this.clock.now()): void {
    this.requireStarted('firstToken');
    if (this.tokenTimesMs.length === 0) this.tokenTimesMs.push(atMs);
  }

  tokenGenerated(atMs: number = this.clock.now()): void {
    this.requireStarted('tokenGenerated');
    this.tokenTimesMs.push(atMs);
  }

  compute(): LatencyResult {
    const submitMs = this.requireStarted('compute');
    return computeRequestLatency({
      submitMs,
      ...(this.scheduledMs === undefined ? {} : { scheduledMs: this.scheduledMs }),
      ...(this.prefillDoneMs === undefined ? {} : { prefillDoneMs: this.prefillDoneMs }),
      tokenTimesMs: this.tokenTimesMs,
    });
  }

  private requireStarted(step: string): number {
    if (this.submitMs === null) throw new MetricError('NOT_STARTED', `latency: call requestStart() before ${step}()`);
    return this.submitMs;
  }
}

/** P50/P90/P99 over many recorded latencies, with the sample count and confidence flags. */
export class LatencyPercentilesMetric extends BaseMetric<MetricSummary> {
  readonly name = 'latency_percentiles';
  readonly unit = 'ms';
  readonly metricType = MetricType.LATENCY;
  private values: number[] = [];

  record(latencyMs: number): void {
    this.values.push(requireFinite('latencyMs', latencyMs));
  }

  reset(): void {
    this.values = [];
  }

  compute(): MetricSummary {
    return MetricSummary.fromValues(this.name, this.values, this.unit);
  }
}
