import { describe, expect, it } from 'vitest';
import { fitLine } from '../../src/metrics/linearFit.js';
import { costMeasurement, fitCost } from '../../src/runner/costFit.js';
import type { TimerInfo } from '../../src/gpu/timer.js';

const timer: TimerInfo = {
  kind: 'timestamp-query',
  method: 'test',
  resolutionNs: 1,
  quantized: false,
  rawTimestampsSeen: 0,
};

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('the linear fit behind every per-item cost', () => {
  it('recovers slope and intercept of a known line through noise, with R² near 1', () => {
    const rnd = lcg(7);
    const points = [1, 16, 64, 256, 1024, 4096].flatMap((x) =>
      [0, 1, 2].map(() => ({ x, y: 40_000 + 2_500 * x + (rnd() - 0.5) * 2_000 })),
    );
    const fit = fitLine(points);
    expect(fit.slope).toBeCloseTo(2_500, 0);
    expect(Math.abs(fit.intercept - 40_000)).toBeLessThan(1_000);
    expect(fit.r2).toBeGreaterThan(0.9999);
    expect(fit.points).toBe(18);
  });

  it('a fixed cost alone gives a flat line: the intercept holds it, the slope is zero', () => {
    const fit = fitLine([1, 4, 16, 64].map((x) => ({ x, y: 5_000_000 })));
    expect(fit.slope).toBe(0);
    expect(fit.intercept).toBe(5_000_000);
    expect(fit.r2).toBe(1);
  });

  it('refuses points at one count, and non-finite points', () => {
    expect(() =>
      fitLine([
        { x: 4, y: 1 },
        { x: 4, y: 2 },
      ]),
    ).toThrow(/two or more counts/);
    expect(() =>
      fitLine([
        { x: 1, y: 1 },
        { x: 2, y: Number.NaN },
      ]),
    ).toThrow(/not finite/);
  });

  it('fits round by round: each round one slope sample, the pooled line over all, per-count medians', async () => {
    const counts: number[] = [];
    const cost = await fitCost({
      counts: [64, 1, 16],
      rounds: 4,
      warmupRounds: 1,
      stopped: () => false,
      sample: (n) => {
        counts.push(n);
        return Promise.resolve(1_000 + 10 * n);
      },
    });
    // Ascending, then descending, each count three times per round; the warm-up round is not kept.
    expect(counts.slice(0, 9)).toEqual([1, 1, 1, 16, 16, 16, 64, 64, 64]);
    expect(counts.slice(9, 18)).toEqual([64, 64, 64, 16, 16, 16, 1, 1, 1]);
    expect(cost.roundSlopesNs).toHaveLength(4);
    for (const s of cost.roundSlopesNs) expect(s).toBeCloseTo(10, 9);
    expect(cost.fit.intercept).toBeCloseTo(1_000, 6);
    expect(cost.perCount.map((p) => [p.count, p.medianNs, p.samples])).toEqual([
      [1, 1_010, 4],
      [16, 1_160, 4],
      [64, 1_640, 4],
    ]);
    const m = costMeasurement(cost, timer, 'dispatch');
    expect(m.timingCheck?.passed).toBe(true);
    expect(m.timingCheck?.verdict).toBe('linear');
    expect(m.samplesNs).toEqual(cost.roundSlopesNs);
  });

  it('no positive slope fails the case with the reason, never a zero cost', async () => {
    const cost = await fitCost({
      counts: [1, 2],
      rounds: 3,
      warmupRounds: 0,
      stopped: () => false,
      sample: () => Promise.resolve(7_000),
    });
    const m = costMeasurement(cost, timer, 'dispatch');
    expect(m.timingCheck?.passed).toBe(false);
    expect(m.timingCheck?.detail).toMatch(
      /no positive cost per dispatch — it is below what the timestamp-query timer resolves/,
    );
    expect(m.samplesNs).toEqual([]);
    expect(m.invalid).toBe(3);
  });

  it('a fit the count explains poorly is kept but called noisy', async () => {
    const rnd = lcg(3);
    const cost = await fitCost({
      counts: [1, 2, 3],
      rounds: 5,
      warmupRounds: 0,
      stopped: () => false,
      sample: (n) => Promise.resolve(10_000 + n + rnd() * 5_000),
    });
    const m = costMeasurement(cost, timer, 'pass');
    expect(m.timingCheck?.verdict).toBe('noisy');
    expect(m.timingCheck?.detail).toMatch(/read the cost as noisy/);
  });
});
