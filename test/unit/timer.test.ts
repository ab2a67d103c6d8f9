import { describe, expect, it } from 'vitest';
import { gcd, measureClockStepNs, timestampResolution } from '../../src/gpu/timer.js';

describe('timestamp quantization detection', () => {
  it('finds Dawn’s 65,536 ns step from raw timestamps (as seen on an H100)', () => {
    const raw = [1234n, 1239n, 1301n, 1420n].map((k) => k * 65_536n);
    const step = raw.reduce((g, t) => gcd(g, t), 0n);
    expect(timestampResolution(step, raw.length)).toEqual({ resolutionNs: 65_536, quantized: true });
  });

  it('reads unrounded nanosecond clocks as not quantized', () => {
    const raw = [1_000_000_007n, 1_000_327_691n, 1_000_400_003n, 1_000_999_999n];
    const step = raw.reduce((g, t) => gcd(g, t), 0n);
    expect(timestampResolution(step, raw.length).quantized).toBe(false);
  });

  it('does not call a handful of timestamps quantized by chance', () => {
    expect(timestampResolution(65_536n, 2).quantized).toBe(false);
    expect(timestampResolution(0n, 0)).toEqual({ resolutionNs: 1, quantized: false });
  });

  it('gcd handles zero and order', () => {
    expect(gcd(0n, 12n)).toBe(12n);
    expect(gcd(18n, 12n)).toBe(6n);
    expect(gcd(-18n, 12n)).toBe(6n);
  });

  it('measures a positive step of performance.now()', () => {
    const step = measureClockStepNs();
    expect(step).toBeGreaterThanOrEqual(1);
    expect(step).toBeLessThan(1e6);
  });
});
