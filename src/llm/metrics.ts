import { computeRequestLatency, type LatencyResult } from '../metrics/latency.js';
import { MetricSummary } from '../metrics/summary.js';

/** What the serving loop recorded for one request, on one host clock (ms). */
export interface RequestRecord {
  id: number;
  promptTokens: number;
  outputTokens: number;
  arrivalMs: number;
  scheduledMs: number;
  prefillDoneMs: number;
  tokenTimesMs: number[];
}

/** One forward pass the loop ran: a prefill of one request, or a decode step over the batch. */
export interface StepRecord {
  kind: 'prefill' | 'decode';
  startMs: number;
  endMs: number;
  rows: number;
  /** Model FLOPs of the step (docs/metrics.md: 2·N per token + 4·L·H·d per attended position). */
  flops: number;
  /** Bytes the step must read: weights once plus the KV cache attended (decode). */
  bytes: number;
}

export interface Slo {
  ttftMs?: number;
  tpotMs?: number;
  e2eMs?: number;
}

export interface LlmRunMetrics {
  requests: number;
  completed: number;
  windowMs: number;
  /** Null when no request completed or the window has no length: a rate over nothing is not a number. */
  tokensPerSecond: number | null;
  requestsPerSecond: number | null;
  /** Σ(n_out − 1) over the decode window (first first-token to last token). */
  decodeTokensPerSecond: number | null;
  /**
   * Requests meeting every SLO per second of the window (docs/metrics.md); null when no SLO was
   * given, since "good" then means nothing. Never above requestsPerSecond.
   */
  goodputRequestsPerSecond: number | null;
  /** Requests meeting every SLO; null with no SLO. */
  sloMet: number | null;
  slo: Slo;
  ttftMs: MetricSummary | null;
  tpotMs: MetricSummary | null;
  e2eMs: MetricSummary | null;
  /** Token-weighted: every gap between consecutive tokens of every request. */
  itlMs: MetricSummary | null;
  prefillTflops: number | null;
  decodeGBps: number | null;
  perRequest: (LatencyResult & { id: number })[];
}

function hasSlo(slo: Slo): boolean {
  return slo.ttftMs !== undefined || slo.tpotMs !== undefined || slo.e2eMs !== undefined;
}

/** A request that produced no token meets no SLO; one token has no TPOT, so a TPOT bound is moot there. */
function meetsSlo(l: LatencyResult, tokens: number, slo: Slo): boolean {
  if (tokens === 0) return false;
  if (slo.ttftMs !== undefined && (l.ttftMs === null || l.ttftMs > slo.ttftMs)) return false;
  if (slo.tpotMs !== undefined && l.tpotMs !== null && l.tpotMs > slo.tpotMs) return false;
  if (slo.e2eMs !== undefined && (l.e2eMs === null || l.e2eMs > slo.e2eMs)) return false;
  return true;
}

/** Every serving metric of docs/metrics.md, recomputed from the recorded timestamps alone. */
export function llmMetrics(
  records: readonly RequestRecord[],
  steps: readonly StepRecord[],
  slo: Slo = {},
): LlmRunMetrics {
  const perRequest = records.map((r) => ({
    id: r.id,
    ...computeRequestLatency({
      submitMs: r.arrivalMs,
      scheduledMs: r.scheduledMs,
      prefillDoneMs: r.prefillDoneMs,
      tokenTimesMs: r.tokenTimesMs,
    }),
  }));
  const done = records.filter((r) => r.tokenTimesMs.length > 0);
  const start = Math.min(...records.map((r) => r.arrivalMs));
  const end = Math.max(...done.map((r) => r.tokenTimesMs[r.tokenTimesMs.length - 1] as number));
  // With no completed request there is no window (end would be −∞); a zero-length one gives no rate.
  const windowS = done.length === 0 ? 0 : (end - start) / 1000;
  const perSecond = (count: number): number | null => (windowS > 0 ? count / windowS : null);
  const tokens = done.reduce((s, r) => s + r.tokenTimesMs.length, 0);
  const firstTokens = done.map((r) => r.tokenTimesMs[0] as number);
  const decodeWindowS = (end - Math.min(...firstTokens)) / 1000;
  const decodeTokens = done.reduce((s, r) => s + r.tokenTimesMs.length - 1, 0);
  const sloMet = hasSlo(slo)
    ? perRequest.filter((l, i) => meetsSlo(l, (records[i] as RequestRecord).tokenTimesMs.length, slo)).length
    : null;
  const values = (pick: (l: LatencyResult) => number | null): number[] =>
    perRequest.map(pick).filter((v): v is number => v !== null);
  const prefill = steps.filter((s) => s.kind === 'prefill');
  const decode = steps.filter((s) => s.kind === 'decode');
  const time = (list: readonly StepRecord[]): number => list.reduce((s, x) => s + (x.endMs - x.startMs), 0) / 1000;
  return {
    requests: records.length,
    completed: done.length,
    windowMs: windowS * 1000,
    tokensPerSecond: perSecond(tokens),
    requestsPerSecond: perSecond(done.length),
    decodeTokensPerSecond: decodeWindowS > 0 ? decodeTokens / decodeWindowS : null,
    goodputRequestsPerSecond: sloMet === null ? null : perSecond(sloMet),
    sloMet,
    slo,
    ttftMs: MetricSummary.fromValuesOrNull(
      'ttft',
      values((l) => l.ttftMs),
      'ms',
    ),
    tpotMs: MetricSummary.fromValuesOrNull(
      'tpot',
      values((l) => l.tpotMs),
      'ms',
    ),
    e2eMs: MetricSummary.fromValuesOrNull(
      'e2e',
      values((l) => l.e2eMs),
      'ms',
    ),
    itlMs: MetricSummary.fromValuesOrNull(
      'itl',
      perRequest.flatMap((l) => l.itlMs),
      'ms',
    ),
    prefillTflops:
      prefill.length > 0 && time(prefill) > 0 ? prefill.reduce((s, x) => s + x.flops, 0) / time(prefill) / 1e12 : null,
    decodeGBps:
      decode.length > 0 && time(decode) > 0 ? decode.reduce((s, x) => s + x.bytes, 0) / time(decode) / 1e9 : null,
    perRequest,
  };
}
