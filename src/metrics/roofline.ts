import { requireNonNegative, requirePositiveDuration } from './errors.js';

export interface RooflinePoint {
  /** FLOPs ÷ minimum DRAM bytes. */
  arithmeticIntensity: number;
  achievedTflops: number;
  /** min(peak FLOP/s, AI × peak bandwidth), in TFLOP/s. */
  attainableTflops: number;
  /** Peak FLOP/s ÷ peak bandwidth, in FLOP/byte. */
  ridgePoint: number;
  bound: 'memory' | 'compute';
  /**
   * Achieved ÷ attainable; above 1 is flagged, not clipped. Null for work with no FLOPs: its roof
   * is zero and a share of it means nothing (docs/metrics.md); bandwidth's share is MBU.
   */
  efficiency: number | null;
  exceedsRoof: boolean;
}

export function rooflinePoint(input: {
  flops: number;
  bytes: number;
  timeS: number;
  peakTflops: number;
  peakGBps: number;
}): RooflinePoint {
  requireNonNegative('flops', input.flops);
  requirePositiveDuration('bytes', input.bytes);
  requirePositiveDuration('timeS', input.timeS);
  requirePositiveDuration('peakTflops', input.peakTflops);
  requirePositiveDuration('peakGBps', input.peakGBps);
  const ai = input.flops / input.bytes;
  const peakFlops = input.peakTflops * 1e12;
  const peakBytes = input.peakGBps * 1e9;
  const attainable = Math.min(peakFlops, ai * peakBytes);
  const ridgePoint = peakFlops / peakBytes;
  const achieved = input.flops / input.timeS;
  const efficiency = input.flops === 0 ? null : achieved / attainable;
  return {
    arithmeticIntensity: ai,
    achievedTflops: achieved / 1e12,
    attainableTflops: attainable / 1e12,
    ridgePoint,
    bound: ai < ridgePoint ? 'memory' : 'compute',
    efficiency,
    exceedsRoof: efficiency !== null && efficiency > 1,
  };
}
