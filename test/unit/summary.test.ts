import { describe, expect, it } from 'vitest';
import { MetricError } from '../../src/metrics/errors.js';
import { MetricSummary, MIN_SAMPLES_P90, MIN_SAMPLES_P99, percentile } from '../../src/metrics/summary.js';

const TENS = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];

describe('MetricSummary.fromValues', () => {
  it('ports the original test: mean, min, max and count of 10..100', () => {
    const s = MetricSummary.fromValues('test', TENS, 'ms');
    expect(s.mean).toBe(55);
    expect(s.min).toBe(10);
    expect(s.max).toBe(100);
    expect(s.count).toBe(10);
    expect(s.unit).toBe('ms');
    expect(s.name).toBe('test');
  });

  it('uses type-7 percentiles: p50 55, p90 91, p99 99.1 for 10..100', () => {
    const s = MetricSummary.fromValues('test', [...TENS].reverse(), 'ms');
    expect(s.p50).toBe(55);
    expect(s.p90).toBeCloseTo(91, 12);
    // The p95 the docs quote: 95.5 for 10, 20, …, 100, as numpy and vLLM's benchmarks give it.
    expect(s.p95).toBeCloseTo(95.5, 12);
    expect(s.p99).toBeCloseTo(99.1, 12);
    expect(s.p25).toBeCloseTo(32.5, 12);
    expect(s.p75).toBeCloseTo(77.5, 12);
    expect(s.iqr).toBeCloseTo(45, 12);
    expect(percentile(TENS, 95)).toBeCloseTo(95.5, 12);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])
      expect(() => percentile([...TENS, bad], 50)).toThrow(/percentile of samples with (NaN|-?Infinity) in them/);
    expect(s.percentileMethod).toBe('type7-linear');
  });

  it('reports the sample standard deviation (n − 1) and the coefficient of variation', () => {
    const s = MetricSummary.fromValues('x', [2, 4, 4, 4, 5, 5, 7, 9], 'ns');
    expect(s.std).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(s.cv).toBeCloseTo(Math.sqrt(32 / 7) / 5, 12);
    expect(s.stdMethod).toBe('sample-n-1');
  });

  it('gives a null std and cv for one sample instead of a made-up 0', () => {
    const s = MetricSummary.fromValues('x', [3], 'ns');
    expect(s.std).toBeNull();
    expect(s.cv).toBeNull();
    expect(s.p99).toBe(3);
  });

  it('flags percentiles from too few samples as low-confidence', () => {
    expect(MetricSummary.fromValues('x', TENS, 'ms').lowConfidence).toEqual({ p90: true, p95: true, p99: true });
    const many = Array.from({ length: MIN_SAMPLES_P90 }, (_, i) => i);
    expect(MetricSummary.fromValues('x', many, 'ms').lowConfidence).toEqual({ p90: false, p95: true, p99: true });
    const lots = Array.from({ length: MIN_SAMPLES_P99 }, (_, i) => i);
    expect(MetricSummary.fromValues('x', lots, 'ms').lowConfidence).toEqual({ p90: false, p95: false, p99: false });
  });

  it('refuses an empty sample set with a typed error, and fromValuesOrNull returns null', () => {
    expect(() => MetricSummary.fromValues('lat', [], 'ms')).toThrow(MetricError);
    try {
      MetricSummary.fromValues('lat', [], 'ms');
    } catch (e) {
      expect((e as MetricError).code).toBe('EMPTY_SAMPLES');
      expect((e as MetricError).message).toContain('lat');
    }
    expect(MetricSummary.fromValuesOrNull('lat', [], 'ms')).toBeNull();
    expect(MetricSummary.fromValuesOrNull('lat', [1, 2], 'ms')?.mean).toBe(1.5);
  });

  it('refuses NaN and infinite samples', () => {
    expect(() => MetricSummary.fromValues('x', [1, Number.NaN], 'ms')).toThrow(/not finite/);
    expect(() => MetricSummary.fromValues('x', [Infinity], 'ms')).toThrow(MetricError);
  });

  it('percentile() checks its arguments', () => {
    expect(() => percentile([], 50)).toThrow(/empty/);
    expect(() => percentile([1], 101)).toThrow(/\[0, 100\]/);
    expect(percentile([5, 1, 3], 50)).toBe(3);
  });
});
