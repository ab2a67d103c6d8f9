import { describe, expect, it } from 'vitest';
import { MetricError } from '../../src/metrics/errors.js';
import { DecodeThroughputMetric, ThroughputMetric } from '../../src/metrics/throughput.js';
import { FakeClock } from '../helpers/fakeClock.js';

describe('ThroughputMetric', () => {
  it('ports the original test: 1000 tokens and 10 requests over 100 ms', () => {
    const clock = new FakeClock();
    const metric = new ThroughputMetric(clock);
    metric.start();
    metric.record(1000, 10);
    clock.advance(100);
    const r = metric.compute();
    expect(r.totalTokens).toBe(1000);
    expect(r.totalRequests).toBe(10);
    expect(r.durationS).toBeCloseTo(0.1, 12);
    expect(r.tokensPerSecond).toBeCloseTo(10_000, 9);
    expect(r.requestsPerSecond).toBeCloseTo(100, 9);
  });

  it('works on the real clock too', async () => {
    const metric = new ThroughputMetric();
    metric.start();
    metric.record(50);
    await new Promise((r) => setTimeout(r, 20));
    const r = metric.compute();
    expect(r.durationS).toBeGreaterThanOrEqual(0.015);
    expect(r.tokensPerSecond).toBeCloseTo(50 / r.durationS, 6);
  });

  it('stop() freezes the window so idle time after it does not count', () => {
    const clock = new FakeClock();
    const metric = new ThroughputMetric(clock);
    metric.start();
    metric.record(300);
    clock.advance(1000);
    metric.stop();
    clock.advance(5000);
    expect(metric.compute().tokensPerSecond).toBeCloseTo(300, 9);
  });

  it('start() resets the counters', () => {
    const clock = new FakeClock();
    const metric = new ThroughputMetric(clock);
    metric.start();
    metric.record(5);
    metric.start();
    clock.advance(1000);
    expect(metric.compute().totalTokens).toBe(0);
  });

  it('refuses compute, record or stop before start, with NOT_STARTED', () => {
    const metric = new ThroughputMetric(new FakeClock());
    for (const call of [
      () => metric.compute(),
      () => {
        metric.record(1);
      },
      () => {
        metric.stop();
      },
    ]) {
      expect(call).toThrow(expect.objectContaining({ code: 'NOT_STARTED' }) as Error);
    }
  });

  it('refuses a zero-length window instead of reporting 0 tokens/s', () => {
    const metric = new ThroughputMetric(new FakeClock());
    metric.start();
    metric.record(10);
    expect(() => metric.compute()).toThrow(expect.objectContaining({ code: 'NON_POSITIVE_DURATION' }) as Error);
  });

  it('refuses negative, fractional and NaN token counts', () => {
    const metric = new ThroughputMetric(new FakeClock());
    metric.start();
    expect(() => {
      metric.record(-1);
    }).toThrow(MetricError);
    expect(() => {
      metric.record(1.5);
    }).toThrow(/integer/);
    expect(() => {
      metric.record(Number.NaN);
    }).toThrow(/finite/);
  });

  it('carries the original name, unit and type', () => {
    const m = new ThroughputMetric();
    expect([m.name, m.unit, m.metricType]).toEqual(['throughput', 'tokens/s', 'THROUGHPUT']);
    expect(m.toMetricValue(12.5)).toMatchObject({ name: 'throughput', value: 12.5, unit: 'tokens/s' });
  });
});

describe('DecodeThroughputMetric', () => {
  it('divides decode tokens by decode time', () => {
    expect(new DecodeThroughputMetric().compute(990, 2)).toBe(495);
  });

  it('refuses zero or negative decode time (the original returned 0)', () => {
    const m = new DecodeThroughputMetric();
    expect(() => m.compute(10, 0)).toThrow(expect.objectContaining({ code: 'NON_POSITIVE_DURATION' }) as Error);
    expect(() => m.compute(10, -1)).toThrow(MetricError);
    expect(() => m.compute(10, Number.NaN)).toThrow(expect.objectContaining({ code: 'NON_FINITE' }) as Error);
  });
});
