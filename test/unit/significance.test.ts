import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mannWhitneyU } from '../../src/metrics/significance.js';

/**
 * erfc(x) for x ≥ 3 by its continued fraction (Lentz), an independent reference for the normal
 * tail: erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))).
 */
function erfcContinuedFraction(x: number): number {
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = x + a * d;
    d = 1 / d;
    c = x + a / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

function normalP(nA: number, nB: number, u: number): number {
  const mean = (nA * nB) / 2;
  const sd = Math.sqrt(((nA * nB) / 12) * (nA + nB + 1));
  const z = (Math.abs(u - mean) - 0.5) / sd;
  return erfcContinuedFraction(z / Math.SQRT2);
}

const range = (n: number, from: number): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('Mann–Whitney U', () => {
  it('exact for small samples without ties (scipy: p = 0.1 for [1,2,3] against [4,5,6])', () => {
    const r = mannWhitneyU([1, 2, 3], [4, 5, 6]);
    expect(r.method).toBe('exact');
    expect(r.uA).toBe(0);
    expect(r.pValue).toBeCloseTo(0.1, 15);
  });

  it('two fully separated 200-sample sets: p = 4.83e-67 (U = 0, z = 17.3), not 0', () => {
    const r = mannWhitneyU(range(200, 0), range(200, 1000));
    expect(r.method).toBe('normal-tie-corrected');
    expect(r.uA).toBe(0);
    expect(r.pValue).toBeGreaterThan(4.8e-67);
    expect(r.pValue).toBeLessThan(4.86e-67);
    expect(Math.abs(r.pValue / normalP(200, 200, 0) - 1)).toBeLessThan(1e-9);
  });

  it('the normal tail is accurate to 1e-9 relative from moderate p down to 1e-300', () => {
    // Overlaps chosen so that z/√2 ≥ 3, where the continued fraction converges fast.
    for (const [n, overlap] of [
      [60, 5.5],
      [200, 0.5],
      [500, 0.5],
      [930, 0.5],
    ] as const) {
      const r = mannWhitneyU(range(n, 0), range(n + 10, n - overlap));
      const want = normalP(n, n + 10, Math.min(r.uA, r.uB));
      expect(want, `n=${n}`).toBeLessThan(1e-4);
      expect(Math.abs(r.pValue / want - 1), `n=${n}`).toBeLessThan(1e-9);
    }
    const tiny = mannWhitneyU(range(930, 0), range(940, 5000)).pValue;
    expect(tiny).toBeLessThan(1e-290);
    expect(tiny).toBeGreaterThan(1e-310);
  });

  it('30 against 40 samples: the p-value of the normal approximation with continuity correction', () => {
    // Interleaved so the samples overlap: a moderate p, where an erf approximation was 6e-4 off.
    const a = range(30, 0).map((i) => 2 * i);
    const b = range(40, 0).map((i) => 2 * i + 5);
    const r = mannWhitneyU(a, b);
    const mean = (30 * 40) / 2;
    const sd = Math.sqrt(((30 * 40) / 12) * 71);
    const z = (Math.abs(Math.min(r.uA, r.uB) - mean) - 0.5) / sd;
    // erfc by the series of erf (full precision for |x| < 2): an independent reference.
    expect(z / Math.SQRT2).toBeLessThan(2);
    const x = z / Math.SQRT2;
    let term = x;
    let sum = x;
    for (let k = 1; k < 200; k++) {
      term *= (-x * x) / k;
      sum += term / (2 * k + 1);
    }
    const want = 1 - (2 / Math.sqrt(Math.PI)) * sum;
    expect(Math.abs(r.pValue / want - 1)).toBeLessThan(1e-9);
  });

  it('refuses empty or non-finite samples', () => {
    expect(() => mannWhitneyU([], [1])).toThrow(/at least one sample/);
    expect(() => mannWhitneyU([Number.NaN], [1])).toThrow(/not finite/);
  });

  it('matches scipy.stats.mannwhitneyu to 1e-9 relative, exact when one side has ≤ 8 tie-free samples', () => {
    // test/fixtures/mannwhitney-scipy.py wrote these with scipy (method 'auto', two-sided).
    const data = JSON.parse(readFileSync('test/fixtures/mannwhitney-scipy.json', 'utf8')) as {
      cases: { note: string; a: number[]; b: number[]; u: number; p: number; scipyMethod: string }[];
    };
    expect(data.cases.length).toBeGreaterThan(100);
    for (const c of data.cases) {
      const r = mannWhitneyU(c.a, c.b);
      expect(r.uA, c.note).toBe(c.u);
      expect(r.method, c.note).toBe(c.scipyMethod === 'exact' ? 'exact' : 'normal-tie-corrected');
      expect(Math.abs(r.pValue / c.p - 1), `${c.note}: p ${r.pValue} vs scipy ${c.p}`).toBeLessThan(1e-9);
    }
    // The gate's shape from the issue: a +7.5% shift, 5 new samples against 40 stored, is significant.
    const history = data.cases.find((c) => c.note === 'gate --history shape');
    expect(history?.p).toBeLessThan(0.05);
  });

  it('is exact for 3 tie-free samples against 2,000 in well under a second (p as scipy gives it)', () => {
    const started = performance.now();
    const b = range(2000, 4000);
    const cases: [number[], number][] = [
      [[5000.5, 5001.5, 5002.5], 0.9958791336844198],
      [[3990.5, 4010.5, 4100.5], 6.398985441665799e-5],
      [[0.5, 1.5, 2.5], 1.4955093581531735e-9],
    ];
    for (const [a, p] of cases) {
      const r = mannWhitneyU(a, b);
      expect(r.method).toBe('exact');
      expect(Math.abs(r.pValue / p - 1)).toBeLessThan(1e-9);
    }
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
