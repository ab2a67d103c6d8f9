import { describe, expect, it } from 'vitest';
import { medianInterval, relativeNoise } from '../../src/metrics/noise.js';
import { overPeak, utilizationAgainst } from '../../src/metrics/utilization.js';
import { passSize } from '../../src/runner/run.js';
import { caseNoise, shouldStop, stoppingCriterion } from '../../src/runner/stopping.js';

describe('the noise of a median', () => {
  // Ranks and coverage from scipy.stats.binom: the smallest k with cdf(k) > 0.025, coverage 1 − 2·cdf(k − 1).
  it.each([
    [6, 1, 0.96875],
    [7, 1, 0.984375],
    [10, 2, 0.978515625],
    [20, 6, 0.9586105346679688],
    [100, 40, 0.9647997997822951],
  ])('n=%i: ranks %i..n−%i+1 cover %f', (n, lower, coverage) => {
    const interval = medianInterval(n);
    expect(interval?.lowerRank).toBe(lower);
    expect(interval?.upperRank).toBe(n - lower + 1);
    expect(interval?.coverage).toBeCloseTo(coverage, 12);
  });

  it('has no 95% interval below six samples, nor for thousands without underflow', () => {
    expect(medianInterval(5)).toBeNull();
    expect(relativeNoise([1, 2, 3, 4, 5])).toBeNull();
    const big = medianInterval(5000);
    expect(big?.coverage).toBeGreaterThanOrEqual(0.95);
    expect(big?.lowerRank).toBeGreaterThan(2400);
  });

  it('is the interval half-width over the median, and robust to one slow pass once n ≥ 10', () => {
    expect(relativeNoise([10, 10, 10, 10, 10, 12])).toBeCloseTo(0.1, 12);
    // Ten samples: the interval spans ranks 2..9, so a single outlier does not widen it.
    expect(relativeNoise([100, 100, 100, 100, 100, 101, 101, 101, 101, 900])).toBeCloseTo(0.5 / 100.5, 12);
    expect(relativeNoise([1, 2, Number.NaN, 4, 5, 6])).toBeNull();
  });
});

describe('stopping on noise', () => {
  const cpu = stoppingCriterion('cpu', false);
  const tight = Array.from({ length: 12 }, (_, i) => 30e6 + (i % 3) * 1e4);

  it('goes on below the minimum samples or time, stops once the noise is under target', () => {
    expect(cpu.rule).toBe('noise');
    expect(shouldStop(cpu, tight.slice(0, 5), 10, 5)).toBeNull();
    // 12 × 30 ms = 360 ms of timed work ≥ 250 ms, noise ~0.03% ≤ 1%.
    expect(shouldStop(cpu, tight, 400, 12)).toBe('noise');
    expect(shouldStop({ ...cpu, minTimeMs: 1000 }, tight, 400, 12)).toBeNull();
  });

  it('stops at the time limit with the noise it reached, and says it timed out', () => {
    const noisy = [10, 14, 9, 17, 11, 20, 8, 13, 15, 12].map((x) => x * 1e6);
    expect(shouldStop(cpu, noisy, 100, 10)).toBeNull();
    expect(shouldStop(cpu, noisy, cpu.maxTimeMs, 10)).toBe('max-time');
    const record = caseNoise(cpu, noisy, cpu.maxTimeMs, 'max-time', 1);
    expect(record.timedOut).toBe(true);
    expect(record.reached).toBeGreaterThan(cpu.noiseTarget);
    expect(record.target).toBe(0.01);
  });

  it('under --passes stops at the count and records the noise without a target', () => {
    const fixed = stoppingCriterion('gpu', false, { passes: 3 });
    expect(shouldStop(fixed, tight.slice(0, 2), 0, 2)).toBeNull();
    expect(shouldStop(fixed, tight.slice(0, 3), 0, 3)).toBe('passes');
    expect(caseNoise(fixed, tight, 0, 'passes', null).target).toBeNull();
  });

  it('takes the adapter class and quick from the arguments, overrides from the command line', () => {
    expect(stoppingCriterion('gpu', false)).toMatchObject({ noiseTarget: 0.005, minSamples: 10, minTimeMs: 500 });
    expect(stoppingCriterion('cpu', true).maxTimeMs).toBeLessThan(stoppingCriterion('cpu', false).maxTimeMs);
    const over = stoppingCriterion('cpu', false, { noiseTarget: 0.02, maxTimeMs: 900 });
    expect(over).toMatchObject({ noiseTarget: 0.02, maxTimeMs: 900 });
    expect(over.basis).toMatch(/command line/);
  });
});

describe('sizing a pass against the timer', () => {
  const exact = { kind: 'timestamp-query' as const, resolutionNs: 1, rawTimestampsSeen: 100 };
  it('fills the target pass length with an exact clock', () => {
    expect(passSize(1e6, 1, 20, exact)).toBe(20);
  });
  it('keeps a quantized step under 0.1% of a sample', () => {
    // A 65,536 ns step asks for 65.5 ms passes: 66 dispatches of 1 ms, not the 20 the target gives.
    expect(passSize(1e6, 1, 20, { ...exact, resolutionNs: 65_536 })).toBe(66);
  });
  it('does not trust a step from two timestamps', () => {
    expect(passSize(1e6, 1, 20, { ...exact, resolutionNs: 65_536, rawTimestampsSeen: 2 })).toBe(20);
  });
});

describe('above 100% is flagged only past the noise', () => {
  const peaks = { compute: { fp32: { tflops: 1, source: 'calibrated', noise: 0.01 } }, bandwidth: null };
  const work = (tflops: number) => ({ flops: tflops * 1e12, unit: 'fp32' as const, bytes: 0, timeS: 1 });

  it('within the case and peak noise: no flag', () => {
    const u = utilizationAgainst('calibrated', peaks, work(1.012), 0.005);
    expect(u.mfu).toBeCloseTo(1.012, 12);
    expect(u.mfuNoise).toBeCloseTo(0.015, 12);
    expect(u.flags).toEqual([]);
    expect(overPeak(u.mfu, u.mfuNoise)).toBe(false);
  });

  it('past it: flagged, the noise named', () => {
    const u = utilizationAgainst('calibrated', peaks, work(1.03), 0.005);
    expect(u.flags.join()).toMatch(/MFU 103\.0% exceeds 100% by more than the noise \(±1\.5%\)/);
  });

  it('with no noise known, anything above 100% is flagged as before', () => {
    const u = utilizationAgainst(
      'datasheet',
      { ...peaks, compute: { fp32: { tflops: 1, source: 'sheet' } } },
      work(1.001),
    );
    expect(u.flags).toHaveLength(1);
  });
});
