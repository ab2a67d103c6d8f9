import { describe, expect, it } from 'vitest';
import { computeRequestLatency, LatencyMetric, LatencyPercentilesMetric } from '../../src/metrics/latency.js';
import { FakeClock } from '../helpers/fakeClock.js';

describe('LatencyMetric', () => {
  it('ports the original TTFT test: 50 ms to the first token, then 10 tokens', () => {
    const clock = new FakeClock();
    const metric = new LatencyMetric(clock);
    metric.requestStart();
    clock.advance(50);
    metric.firstToken();
    metric.prefillDone();
    for (let i = 0; i < 10; i++) {
      clock.advance(1);
      metric.tokenGenerated();
    }
    const r = metric.compute();
    expect(r.ttftMs).toBe(50);
    expect(r.prefillMs).toBe(50);
    expect(r.outputTokens).toBe(11);
    expect(r.e2eMs).toBe(60);
    expect(r.decodeMs).toBe(10);
    // (E2E − TTFT) / (n − 1), not E2E / n.
    expect(r.tpotMs).toBe(1);
    expect(r.itlMs).toEqual(Array(10).fill(1));
  });

  it('E2E is the time of the last token, not the time compute() is called', () => {
    const clock = new FakeClock();
    const metric = new LatencyMetric(clock);
    metric.requestStart();
    clock.advance(10);
    metric.firstToken();
    clock.advance(5);
    metric.tokenGenerated();
    clock.advance(1000);
    expect(metric.compute().e2eMs).toBe(15);
  });

  it('TPOT is null for a single output token, where it is undefined', () => {
    const clock = new FakeClock();
    const metric = new LatencyMetric(clock);
    metric.requestStart();
    clock.advance(7);
    metric.tokenGenerated();
    const r = metric.compute();
    expect(r.ttftMs).toBe(7);
    expect(r.tpotMs).toBeNull();
    expect(r.itlMs).toEqual([]);
  });

  it('with no tokens, token-based fields are null rather than 0', () => {
    const metric = new LatencyMetric(new FakeClock());
    metric.requestStart();
    const r = metric.compute();
    expect(r).toMatchObject({
      ttftMs: null,
      tpotMs: null,
      e2eMs: null,
      decodeMs: null,
      prefillMs: null,
      outputTokens: 0,
    });
  });

  it('measures prefill from the scheduled start and reports queueing separately', () => {
    const r = computeRequestLatency({ submitMs: 0, scheduledMs: 30, prefillDoneMs: 70, tokenTimesMs: [80, 90, 130] });
    expect(r.queueMs).toBe(30);
    expect(r.prefillMs).toBe(40);
    expect(r.ttftMs).toBe(80);
    expect(r.tpotMs).toBe(25);
    expect(r.itlMs).toEqual([10, 40]);
  });

  it('refuses marks before requestStart() and out-of-order token times', () => {
    const metric = new LatencyMetric(new FakeClock());
    expect(() => {
      metric.firstToken();
    }).toThrow(expect.objectContaining({ code: 'NOT_STARTED' }) as Error);
    expect(() => metric.compute()).toThrow(/requestStart/);
    expect(() => computeRequestLatency({ submitMs: 10, tokenTimesMs: [20, 15] })).toThrow(/non-decreasing/);
    expect(() => computeRequestLatency({ submitMs: 10, tokenTimesMs: [5] })).toThrow(/earlier/);
    expect(() => computeRequestLatency({ submitMs: 10, scheduledMs: 5, tokenTimesMs: [] })).toThrow(/before submitMs/);
    expect(() => computeRequestLatency({ submitMs: Number.NaN, tokenTimesMs: [] })).toThrow(/finite/);
  });

  it('replays recorded timestamps through explicit times', () => {
    const metric = new LatencyMetric();
    metric.requestStart(100);
    metric.scheduled(110);
    metric.firstToken(160);
    metric.firstToken(170); // a second call does not move the first token
    metric.tokenGenerated(180);
    const r = metric.compute();
    expect(r.ttftMs).toBe(60);
    expect(r.prefillMs).toBe(50);
    expect(r.tpotMs).toBe(20);
  });
});

describe('LatencyPercentilesMetric', () => {
  it('summarises recorded latencies with type-7 percentiles and the count', () => {
    const m = new LatencyPercentilesMetric();
    for (const v of [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]) m.record(v);
    const s = m.compute();
    expect([s.p50, s.count, s.unit, s.name]).toEqual([55, 10, 'ms', 'latency_percentiles']);
    expect(s.p90).toBeCloseTo(91, 12);
    m.reset();
    expect(() => m.compute()).toThrow(expect.objectContaining({ code: 'EMPTY_SAMPLES' }) as Error);
    expect(() => {
      m.record(Number.NaN);
    }).toThrow(/finite/);
  });
});
