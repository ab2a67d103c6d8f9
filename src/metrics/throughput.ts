import { MetricError, requireNonNegativeInteger, requirePositiveDuration } from './errors.js';
import { BaseMetric, MetricType, performanceClock, type Clock } from './types.js';

export interface ThroughputResult {
  tokensPerSecond: number;
  requestsPerSecond: number;
  totalTokens: number;
  totalRequests: number;
  durationS: number;
}

/** Tokens/s and requests/s over the window from start() to compute() (or stop()). */
export class ThroughputMetric extends BaseMetric<ThroughputResult> {
  readonly name = 'throughput';
  readonly unit = 'tokens/s';
  readonly metricType = MetricType.THROUGHPUT;

  private startMs: number | null = null;
  private stopMs: number | null = null;
  private totalTokens = 0;
  private totalRequests = 0;
  private readonly clock: Clock;

  constructor(clock: Clock = performanceClock) {
    super();
    this.clock = clock;
  }

  start(): void {
    this.startMs = this.clock.now();
    this.stopMs = null;
    this.totalTokens = 0;
    this.totalRequests = 0;
  }

  record(tokens: number, requests = 1): void {
    if (this.startMs === null) throw new MetricError('NOT_STARTED', 'throughput: call start() before record()');
    this.totalTokens += requireNonNegativeInteger('tokens', tokens);
    this.totalRequests += requireNonNegativeInteger('requests', requests);
  }

  /** Freezes the window's end, so a later compute() does not count idle time. */
  stop(): void {
    if (this.startMs === null) throw new MetricError('NOT_STARTED', 'throughput: call start() before stop()');
    this.stopMs = this.clock.now();
  }

  compute(): ThroughputResult {
    if (this.startMs === null) throw new MetricError('NOT_STARTED', 'throughput: call start() before compute()');
    const endMs = this.stopMs ?? this.clock.now();
    const durationS = requirePositiveDuration('throughput window (s)', (endMs - this.startMs) / 1000);
    return {
      tokensPerSecond: this.totalTokens / durationS,
      requestsPerSecond: this.totalRequests / durationS,
      totalTokens: this.totalTokens,
      totalRequests: this.totalRequests,
      durationS,
    };
  }
}

/** Decode-phase tokens/s: Σ(n_out − 1) over the decode window, prefill excluded. */
export class DecodeThroughputMetric extends BaseMetric<number> {
  readonly name = 'decode_throughput';
  readonly unit = 'tokens/s';
  readonly metricType = MetricType.THROUGHPUT;

  compute(decodeTokens: number, decodeTimeS: number): number {
    requireNonNegativeInteger('decodeTokens', decodeTokens);
    requirePositiveDuration('decodeTimeS', decodeTimeS);
    return decodeTokens / decodeTimeS;
  }
}
