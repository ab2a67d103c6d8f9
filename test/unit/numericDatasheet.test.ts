import { describe, expect, it } from 'vitest';
import { calibrationKey } from '../../src/probe/calibration.js';
import { DATASHEET, matchDatasheet } from '../../src/probe/datasheet.js';
import { f16BitsToNumber, f32ToF16Bits, quantizeInt8, roundToF16 } from '../../src/suites/numeric.js';
import { fillRandomU32 } from '../../src/gpu/buffers.js';

describe('f16 rounding', () => {
  it('encodes exact values and the extremes', () => {
    expect(f32ToF16Bits(1)).toBe(0x3c00);
    expect(f32ToF16Bits(-2)).toBe(0xc000);
    expect(f32ToF16Bits(65504)).toBe(0x7bff);
    expect(f32ToF16Bits(1e6)).toBe(0x7c00);
    expect(f32ToF16Bits(2 ** -24)).toBe(0x0001);
    expect(f32ToF16Bits(0)).toBe(0);
    expect(Number.isNaN(f16BitsToNumber(f32ToF16Bits(Number.NaN)))).toBe(true);
  });

  it('rounds to nearest, ties to even', () => {
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1).
    expect(roundToF16(1 + 2 ** -11)).toBe(1);
    expect(roundToF16(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9);
    expect(roundToF16(1 / 3)).toBeCloseTo(0.333251953125, 12);
    expect(Math.abs(roundToF16(0.7) - 0.7)).toBeLessThan(2 ** -11);
    // The fast path for normal values agrees with the bit-exact conversion everywhere.
    const bits = new Uint32Array(200_000);
    fillRandomU32(7, 0, bits);
    for (const v of new Float32Array(bits.buffer)) {
      if (!Number.isNaN(v)) expect(roundToF16(v)).toBe(f16BitsToNumber(f32ToF16Bits(v)));
    }
    for (const v of [2 ** -14, -(2 ** -14), 65503.99, 65504, 65519, 65520, 1 + 2 ** -11, 2049, 2051])
      expect(roundToF16(v)).toBe(f16BitsToNumber(f32ToF16Bits(v)));
  });

  it('round-trips every f16 value in [-1, 1]', () => {
    for (let h = 0; h <= 0x3c00; h += 7) expect(f32ToF16Bits(f16BitsToNumber(h))).toBe(h);
  });
});

describe('int8 quantization', () => {
  it('maps the largest magnitude to ±127 with one per-tensor scale', () => {
    const { q, scale } = quantizeInt8(new Float32Array([0.5, -1, 0.25, 0]));
    expect(scale).toBeCloseTo(1 / 127, 12);
    expect([...q]).toEqual([64, -127, 32, 0]);
  });
});

describe('datasheet', () => {
  const id = (
    device: string,
    description = '',
    vendor = 'nvidia',
  ): { vendor: string; architecture: string; device: string; description: string } => ({
    vendor,
    architecture: '',
    device,
    description,
  });

  it('matches the H100 that Dawn reports (device nvidia-h100-80gb-hbm3) to the SXM entry', () => {
    const e = matchDatasheet(id('nvidia-h100-80gb-hbm3', 'NVIDIA: 580.159.04 580.159.4.0'));
    expect(e?.id).toBe('nvidia-h100-sxm');
    expect(e?.peaks.compute.fp32?.tflops).toBe(66.9);
    expect(e?.peaks.compute.matrixF16?.tflops).toBe(989.4);
    expect(e?.peaks.bandwidth?.gbps).toBe(3350);
    expect(e?.peaks.compute.fp32?.source).toMatch(/whitepaper/);
  });

  it('tells apart PCIe and SXM, A100 memory sizes, consumer and Apple parts', () => {
    expect(matchDatasheet(id('nvidia-h100-pcie'))?.id).toBe('nvidia-h100-pcie');
    expect(matchDatasheet(id('nvidia-a100-sxm4-80gb'))?.id).toBe('nvidia-a100-80gb');
    expect(matchDatasheet(id('nvidia-a100-pcie-40gb'))?.id).toBe('nvidia-a100-40gb');
    expect(matchDatasheet(id('', 'NVIDIA GeForce RTX 4090'))?.id).toBe('nvidia-rtx-4090');
    expect(matchDatasheet(id('', 'NVIDIA GeForce RTX 5090'))?.peaks.compute.fp32?.tflops).toBe(104.8);
    expect(matchDatasheet(id('nvidia-b200'))?.peaks.bandwidth?.gbps).toBe(8000);
    // A unit without a figure we can cite is absent, not guessed: the B200 then runs on calibration there.
    expect(matchDatasheet(id('nvidia-b200'))?.peaks.compute.fp32).toBeUndefined();
    expect(matchDatasheet(id('', 'Apple M1 Max', 'apple'))?.id).toBe('apple-m1-max');
    expect(matchDatasheet(id('', 'Apple M1', 'apple'))?.id).toBe('apple-m1');
    expect(matchDatasheet(id('', 'AMD Instinct MI300X', 'amd'))?.id).toBe('amd-mi300x');
    expect(matchDatasheet(id('', 'Intel(R) Arc(TM) A770 Graphics', 'intel'))?.id).toBe('intel-arc-a770');
  });

  it('has no entry for a CPU adapter: calibration alone supplies its peaks', () => {
    expect(
      matchDatasheet({
        vendor: 'mesa',
        architecture: 'software',
        device: 'llvmpipe-llvm-15-0-6-256-bits-',
        description: 'llvmpipe: Mesa 25.0.7',
      }),
    ).toBeNull();
  });

  it('every entry names a source for every number', () => {
    for (const e of DATASHEET) {
      for (const p of Object.values(e.peaks.compute)) expect(p.source.length).toBeGreaterThan(10);
      expect(e.peaks.bandwidth?.source.length ?? 11).toBeGreaterThan(10);
    }
  });
});

describe('calibration key', () => {
  it('survives a driver update (the version lives in the description) and differs per backend', () => {
    const before = {
      vendor: 'nvidia',
      architecture: '',
      device: 'nvidia-h100-80gb-hbm3',
      description: 'NVIDIA: 580.159.04',
      backend: 'vulkan' as const,
    };
    const after = { ...before, description: 'NVIDIA: 590.10.02' };
    expect(calibrationKey(before)).toBe('nvidia_nvidia-h100-80gb-hbm3_vulkan');
    expect(calibrationKey(after)).toBe(calibrationKey(before));
    expect(calibrationKey({ ...before, backend: 'opengles' })).not.toBe(calibrationKey(before));
  });

  it('falls back to the description without version numbers when the device is empty', () => {
    expect(
      calibrationKey({
        vendor: 'apple',
        architecture: 'metal-3',
        device: '',
        description: 'Apple M2 Max 15.1.2',
        backend: 'browser',
      }),
    ).toBe('apple_metal-3_apple-m2-max_browser');
  });
});
