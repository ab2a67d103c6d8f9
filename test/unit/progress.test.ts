import { describe, expect, it } from 'vitest';
import { createProgress } from '../../src/cli/progress.js';
import type { CaseResult } from '../../src/results/schema.js';
import { sampleRun } from '../helpers/sampleRun.js';

function lines(results: CaseResult[]): string {
  let out = '';
  const stream = {
    write: (s: string) => {
      out += s;
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  const progress = createProgress(stream, true);
  results.forEach((result, index) => {
    progress.onEvent({ type: 'case-done', index, total: results.length, result });
  });
  return out;
}

describe('progress lines (CI logs)', () => {
  it(
    'print what each case achieved in the unit of the table: FLOP/s for compute, OP/s for int8, GB/s for ' +
      'bandwidth',
    () => {
      const base = sampleRun().cases[0] as CaseResult;
      const compute = {
        ...base,
        id: 'peak/fma-f32',
        bandwidth: null,
        compute: {
          flopsPerDispatch: 1e9,
          flopsFormula: 'x',
          unit: 'fp32' as const,
          achievedTflops: 0.0128,
          arithmeticIntensity: 4096,
        },
      };
      const int8 = { ...compute, id: 'matmul/int8', compute: { ...compute.compute, unit: 'int8Dot4' as const } };
      const copy = {
        ...base,
        id: 'memcopy/copy',
        compute: null,
        bandwidth: {
          ...(base.bandwidth ?? { bytesPerDispatch: 1, bytesCounted: 'read+write' as const, minGBps: 5, maxGBps: 6 }),
          medianGBps: 5.5,
        },
      };
      const out = lines([compute, int8, copy]);
      expect(out).toContain('[1/3] peak/fma-f32: ok 12.8 GFLOP/s');
      expect(out).toContain('[2/3] matmul/int8: ok 12.8 GOP/s');
      expect(out).toContain('[3/3] memcopy/copy: ok 5.5 GB/s');
      expect(out).not.toMatch(/0\.0 GB\/s/);
    },
  );

  it('print no figure for a case that did not run', () => {
    const base = sampleRun().cases[0] as CaseResult;
    expect(lines([{ ...base, id: 'matmul/x', status: 'skipped', compute: null, bandwidth: null }])).toBe(
      '[1/1] matmul/x: skipped\n',
    );
  });
});
