import { describe, expect, it } from 'vitest';
import { utilizationAgainst } from '../../src/metrics/utilization.js';
import { calibrationFromRun, parseCalibration } from '../../src/probe/calibration.js';
import { formatFlops } from '../../src/reporters/console.js';
import { parseRunResult, type CaseResult, type RunResult } from '../../src/results/schema.js';
import { relateMatmulCases } from '../../src/suites/matmul.js';
import { sampleRun } from '../helpers/sampleRun.js';

const H100 = {
  compute: { fp32: { tflops: 66.9, source: 'sheet' }, matrixF16: { tflops: 989.4, source: 'sheet' } },
  bandwidth: { gbps: 3350, source: 'sheet' },
};

describe('utilization against a set of peaks', () => {
  it('computes MFU, MBU and the roofline for a compute-bound GEMM', () => {
    // 4096³ f32 GEMM in 4 ms: 34.36 TFLOP/s; 192 MiB minimum traffic.
    const flops = 2 * 4096 ** 3;
    const bytes = 3 * 4096 * 4096 * 4;
    const u = utilizationAgainst('datasheet', H100, { flops, unit: 'fp32', bytes, timeS: 0.004 });
    expect(u.mfu).toBeCloseTo(flops / 0.004 / 1e12 / 66.9, 12);
    expect(u.mbu).toBeCloseTo(bytes / 0.004 / 1e9 / 3350, 12);
    expect(u.ridgePoint).toBeCloseTo(66.9e12 / 3350e9, 9);
    expect(u.bound).toBe('compute');
    expect(u.rooflineEfficiency).toBeCloseTo(u.mfu ?? 0, 12);
    expect(u.flags).toEqual([]);
    expect(u.peakSource).toBe('sheet');
  });

  it('flags values above 100% instead of clipping them', () => {
    const u = utilizationAgainst('calibrated', H100, { flops: 1e12, unit: 'fp32', bytes: 4e9, timeS: 0.001 });
    expect(u.mfu).toBeCloseTo(1e15 / 1e12 / 66.9, 9);
    expect(u.mfu).toBeGreaterThan(1);
    expect(u.flags.join(' ')).toMatch(/MFU .* exceeds 100%.*MBU .* exceeds 100%/);
  });

  it('a data-movement kernel is memory-bound with efficiency equal to its MBU', () => {
    const u = utilizationAgainst('datasheet', H100, { flops: 0, unit: null, bytes: 2 * 2 ** 30, timeS: 0.00072 });
    expect(u.mfu).toBeNull();
    expect(u.bound).toBe('memory');
    expect(u.rooflineEfficiency).toBe(u.mbu);
  });

  it('an unknown unit peak leaves MFU null rather than inventing one', () => {
    const u = utilizationAgainst('datasheet', H100, { flops: 1e9, unit: 'int8Dot4', bytes: 1e6, timeS: 1 });
    expect(u.mfu).toBeNull();
    expect(u.mbu).not.toBeNull();
  });
});

function computeCase(
  id: string,
  unit: 'fp32' | 'fp16' | 'matrixF16',
  tflops: number,
  params: CaseResult['params'] = {},
): CaseResult {
  const base = sampleRun().cases[0] as CaseResult;
  return {
    ...base,
    id,
    suite: id.split('/')[0] ?? 'x',
    params,
    compute: { flopsPerDispatch: 1e9, flopsFormula: '2·M·N·K', unit, achievedTflops: tflops, arithmeticIntensity: 100 },
  };
}

describe('calibration from a run', () => {
  it('takes the best achieved figure per unit and the best memcopy bandwidth', () => {
    const run: RunResult = {
      ...sampleRun(),
      cases: [
        computeCase('peak/fma-f32', 'fp32', 60),
        computeCase('matmul/tiled-f32/1', 'fp32', 30),
        computeCase('peak/fma-f16', 'fp16', 120),
        ...sampleRun().cases,
      ],
    };
    const profile = calibrationFromRun(run, 'k');
    expect(profile.peaks.compute.fp32?.tflops).toBe(60);
    expect(profile.peaks.compute.fp32?.source).toMatch(/peak\/fma-f32/);
    expect(profile.peaks.compute.fp16?.tflops).toBe(120);
    expect(profile.peaks.compute.matrixF16).toBeUndefined();
    // Beside each peak, the best of our own kernels on that unit (never a peak chain).
    expect(profile.bestKernels).toEqual([
      { unit: 'fp32', caseId: 'matmul/tiled-f32/1', value: 30, valueUnit: 'TFLOP/s' },
    ]);
    expect(profile.peaks.bandwidth?.gbps).toBeCloseTo(sampleRun().cases[0]?.bandwidth?.medianGBps ?? 0, 9);
    expect(parseCalibration(JSON.parse(JSON.stringify(profile)), 'x')).toEqual(profile);
    expect(() => parseCalibration({ key: 'k' }, 'cal.json')).toThrow(/cal.json: not a wgbench calibration profile/);
  });
});

describe('matmul relations', () => {
  it('fills speed-ups over the f32 baseline and over the dense kernel', () => {
    const shape = { M: 256, N: 256, K: 256 };
    const withTime = (c: CaseResult, ns: number): CaseResult => ({
      ...c,
      summary: { ...(c.summary as NonNullable<CaseResult['summary']>), p50: ns },
    });
    const tiled = withTime(computeCase('matmul/tiled-f32', 'fp32', 1, { variant: 'tiled-f32', ...shape }), 1000);
    const half = withTime(
      {
        ...computeCase('matmul/tiled-f16', 'fp32', 1, { variant: 'tiled-f16', ...shape }),
        quantization: { reference: 'f64', relL2: 1e-3, maxRel: 1e-3, speedupVsF32: null, f32CaseId: null },
      },
      500,
    );
    const sparse = withTime(
      computeCase('matmul/block-sparse-f32', 'fp32', 1, { variant: 'block-sparse-f32', ...shape }),
      600,
    );
    relateMatmulCases([tiled, half, sparse]);
    expect(half.quantization?.speedupVsF32).toBe(2);
    expect(half.quantization?.f32CaseId).toBe('matmul/tiled-f32');
    expect(sparse.sparsity?.speedupVsDense).toBeCloseTo(1000 / 600, 12);
  });
});

describe('results files', () => {
  it('older result files without peaks still validate', () => {
    const old = sampleRun() as Partial<RunResult>;
    delete old.peaks;
    expect(() => parseRunResult(old)).not.toThrow();
  });
});

describe('formatFlops', () => {
  it('switches between GFLOP/s and TFLOP/s, and says OP/s for integers', () => {
    expect(formatFlops(0.0123)).toBe('12.3 GFLOP/s');
    expect(formatFlops(28.24)).toBe('28.2 TFLOP/s');
    expect(formatFlops(77.4, true)).toBe('77.4 TOP/s');
  });
});

describe('one utilisation path for timed cases and serving', () => {
  it('a case that reports no bytes keeps its MFU and has no MBU or roofline', () => {
    const u = utilizationAgainst('datasheet', H100, { flops: 6.69e12, unit: 'fp32', bytes: 0, timeS: 1 });
    expect(u.mfu).toBeCloseTo(0.1, 12);
    expect(u.mbu).toBeNull();
    expect(u.bound).toBeNull();
  });

  it(
    'serving prefill MFU and decode MBU come from the same function, against each peak set, and say they are ' +
      'host-timed',
    async () => {
      const { servingUtilization } = await import('../../src/suites/llm.js');
      const steps = [
        { kind: 'prefill' as const, startMs: 0, endMs: 1000, rows: 8, flops: 6.69e12, bytes: 0 },
        { kind: 'decode' as const, startMs: 1000, endMs: 1500, rows: 2, flops: 1e9, bytes: 335e9 },
      ];
      const u = servingUtilization({ calibrated: null, datasheet: { ...H100, id: 'h100', name: 'H100' } }, steps);
      expect(u.servingPrefillMfu).toBeCloseTo(0.1, 12);
      expect(u.servingDecodeMbu).toBeCloseTo(0.2, 12);
      expect(u.peaksFrom).toBe('datasheet');
      expect(u.servingUtilization.method).toMatch(/host clock/);
      expect(u.servingUtilization.decode[0]?.against).toBe('datasheet');
      expect(servingUtilization(undefined, steps).servingDecodeMbu).toBeNull();
    },
  );
});
