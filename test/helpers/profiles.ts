import { calibrationKey, type CalibrationProfile } from '../../src/probe/calibration.js';

/** The llvmpipe device the store tests file their profiles under. */
export const LLVMPIPE = {
  vendor: 'mesa',
  architecture: '',
  device: 'llvmpipe',
  description: 'llvmpipe',
  backend: 'vulkan',
};

/** A calibration profile of `LLVMPIPE` with these peaks (TFLOP/s for FP32, GB/s) and evidence rows. */
export function llvmpipeProfile(
  tflops: number,
  gbps: number,
  evidence: CalibrationProfile['evidence'] = [],
): CalibrationProfile {
  return {
    schemaVersion: 1,
    key: calibrationKey(LLVMPIPE),
    device: LLVMPIPE,
    measuredAt: '2026-12-07T00:00:00.000Z',
    toolVersion: '0.1.0',
    quick: true,
    peaks: { compute: { fp32: { tflops, source: 'calibrated' } }, bandwidth: { gbps, source: 'calibrated' } },
    evidence,
  };
}
