import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyRatio, judgeDoubling, roundRatio } from '../../src/runner/doubling.js';

/** A round whose doubled passes take `ratios[i]` times the base, one ratio per round. */
function rounds(...ratios: number[]): {
  measure: () => Promise<{ base: number[]; doubled: number[] }>;
  calls: () => number;
} {
  let i = 0;
  return {
    measure: () => {
      const r = ratios[Math.min(i++, ratios.length - 1)] as number;
      return Promise.resolve({ base: [10, 11, 9, 10, 10], doubled: [10 * r, 11 * r, 9 * r, 10 * r, 10 * r] });
    },
    calls: () => i,
  };
}

describe('doubling check', () => {
  it('classifies a ratio: folded well below 2, noisy above the band', () => {
    expect(classifyRatio(1.02)).toBe('folded');
    expect(classifyRatio(1.98)).toBe('linear');
    expect(classifyRatio(3.06)).toBe('noisy');
  });

  it('takes the median of alternated pair ratios, skipping passes that gave no time', () => {
    expect(roundRatio([10, null, 10, 10], [20, 20, 40, 21])).toBeCloseTo(2.1, 10);
    expect(roundRatio([null], [20])).toBeNull();
  });

  it('a linear first round is judged at once', async () => {
    const r = rounds(2.01);
    const check = await judgeDoubling(256, r.measure);
    expect(r.calls()).toBe(1);
    expect(check).toMatchObject({ passed: true, verdict: 'linear' });
    expect(check.ratio).toBeCloseTo(2.01, 10);
  });

  it('a ratio of 3.06× (a busy 2-core machine) is re-measured and never fails the case', async () => {
    const stays = rounds(3.06, 2.9, 3.1);
    const noisy = await judgeDoubling(256, stays.measure);
    expect(stays.calls()).toBe(3);
    expect(noisy).toMatchObject({ passed: true, verdict: 'noisy', mismatches: 0 });
    expect(noisy.rounds).toHaveLength(3);
    expect(noisy.detail).toMatch(/noise/);
    const settles = rounds(3.06, 2.05);
    const linear = await judgeDoubling(256, settles.measure);
    expect(linear).toMatchObject({ passed: true, verdict: 'linear' });
    expect(linear.ratio).toBeCloseTo(2.05, 10);
  });

  it('a folded loop (ratio near 1 in every round) fails, after re-measuring', async () => {
    const r = rounds(1.02, 1.05, 0.99);
    const check = await judgeDoubling(256, r.measure);
    expect(r.calls()).toBe(3);
    expect(check).toMatchObject({ passed: false, verdict: 'folded', mismatches: 1 });
    expect(check.detail).toMatch(/did not scale/);
  });

  it('one low round followed by a linear one is not a fold', async () => {
    const check = await judgeDoubling(256, rounds(1.2, 1.95).measure);
    expect(check).toMatchObject({ passed: true, verdict: 'linear' });
  });
});

describe('the dot4I8Packed replay the int8 peak is checked against', () => {
  it('multiplies the four signed bytes pairwise and sums them', async () => {
    const { dot4I8, dot4ChainResult } = await import('../../src/suites/peakDot4.js');
    // a = [1, -1, 127, -128] (low byte first), b = [2, 3, -4, 5]
    const a = (1 | (0xff << 8) | (0x7f << 16) | (0x80 << 24)) >>> 0;
    const b = (2 | (3 << 8) | (0xfc << 16) | (5 << 24)) >>> 0;
    expect(dot4I8(a, b)).toBe(1 * 2 + -1 * 3 + 127 * -4 + -128 * 5);
    // Zero steps leave the XOR/sum of the starting values; every step changes the result.
    expect(dot4ChainResult(5, b, 9, 1)).not.toBe(dot4ChainResult(5, b, 9, 2));
  });

  it('at any chain count, the kernel combines what the replay combines; 8 chains as the fixed kernel did', async () => {
    const { dot4Source, dot4ChainResult } = await import('../../src/suites/peakDot4.js');
    const template = readFileSync(join('kernels', 'peak_dot4.wgsl'), 'utf8');
    const combine = (chains: number): string => /out\[gid\.x\] = (.*);/.exec(dot4Source(template, chains))?.[1] ?? '';
    expect(combine(8)).toBe('((x0 ^ x1) + (x2 ^ x3)) ^ ((x4 ^ x5) + (x6 ^ x7))');
    expect(combine(1)).toBe('x0');
    expect(combine(6)).toBe('((x0 ^ x1) + (x2 ^ x3)) ^ (x4 ^ x5)');
    for (const chains of [1, 2, 3, 6, 8, 16]) {
      expect(dot4Source(template, chains).match(/dot4I8Packed\(x\d+, b\)/g)).toHaveLength(chains);
      // With no steps each chain keeps its start: the kernel's expression, evaluated on those, is the replay's.
      const expression = combine(chains).replace(/x(\d+)/g, (_m, c: string) => String(startOf(3, Number(c), 7)));
      const kernel = evaluateU32(expression);
      expect(dot4ChainResult(3, 0x01020304, 7, 0, chains), `${chains} chains`).toBe(kernel);
    }
    expect(() => dot4Source(template, 0)).toThrow(/takes 1 to 32/);
  });
});

/** The kernel's start(thread, chain, seed), for a zero-step replay. */
function startOf(thread: number, chain: number, seed: number): number {
  return (Math.imul(thread, 2654435761) ^ Math.imul(chain, 2246822519) ^ seed) >>> 0;
}

/** Evaluates a WGSL u32 expression of numbers, `+` (wrapping), `^` and parentheses, as the GPU would. */
function evaluateU32(expression: string): number {
  const tokens = expression.match(/\d+|[()+^]/g) ?? [];
  let at = 0;
  const primary = (): number => {
    const t = tokens[at++];
    if (t === '(') {
      const v = xor();
      at++; // ')'
      return v;
    }
    return Number(t) >>> 0;
  };
  const sum = (): number => {
    let v = primary();
    while (tokens[at] === '+') {
      at++;
      v = (v + primary()) >>> 0;
    }
    return v;
  };
  const xor = (): number => {
    let v = sum();
    while (tokens[at] === '^') {
      at++;
      v = (v ^ sum()) >>> 0;
    }
    return v;
  };
  return xor();
}
