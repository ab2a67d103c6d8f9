import type { PeakSet, PeakUnit } from '../probe/peaks.js';
import { rooflinePoint } from './roofline.js';

export type PeakOrigin = 'calibrated' | 'datasheet';

/** One case's achieved rates divided by one set of peaks, with the peaks named. */
export interface Utilization {
  against: PeakOrigin;
  peakTflops: number | null;
  peakSource: string | null;
  peakGBps: number | null;
  bandwidthSource: string | null;
  /** Achieved ÷ peak FLOP/s of the unit that did the work; null when unknown or not a FLOP kernel. */
  mfu: number | null;
  /** Achieved ÷ peak bytes/s. */
  mbu: number | null;
  ridgePoint: number | null;
  attainableTflops: number | null;
  bound: 'memory' | 'compute' | null;
  /** Achieved ÷ attainable on the roofline; for a kernel without FLOPs, the MBU. */
  rooflineEfficiency: number | null;
  /**
   * Noise both sides carry: the case's relative noise plus the peak's (a calibrated peak records
   * its own). A share above 100% within it is not flagged; past it, it is. Null when unknown.
   */
  mfuNoise?: number | null;
  mbuNoise?: number | null;
  /** Values above 100% past the noise are flagged here, never clipped. */
  flags: string[];
}

/** Whether a share of a peak is above 100% by more than the noise it carries. */
export function overPeak(share: number | null | undefined, noise: number | null | undefined): boolean {
  return share !== null && share !== undefined && share > 1 + (noise ?? 0);
}

export interface AchievedWork {
  /** FLOPs (or integer ops) per dispatch; 0 for a pure data-movement kernel. */
  flops: number;
  unit: PeakUnit | null;
  /** Minimum DRAM bytes per dispatch (each input read once, each output written once). */
  bytes: number;
  timeS: number;
}

export function utilizationAgainst(
  against: PeakOrigin,
  peaks: PeakSet,
  work: AchievedWork,
  caseNoise: number | null = null,
): Utilization {
  const compute = work.unit === null ? undefined : peaks.compute[work.unit];
  const peakTflops = compute?.tflops ?? null;
  const peakGBps = peaks.bandwidth?.gbps ?? null;
  const achievedTflops = work.flops / work.timeS / 1e12;
  const achievedGBps = work.bytes / work.timeS / 1e9;
  const mfu = peakTflops === null || work.flops === 0 ? null : achievedTflops / peakTflops;
  // A case that reports no bytes (a serving prefill) has no MBU, but keeps its MFU.
  const mbu = peakGBps === null || work.bytes === 0 ? null : achievedGBps / peakGBps;
  const flags: string[] = [];
  const noiseOf = (peakNoise: number | null | undefined): number | null =>
    caseNoise === null && (peakNoise ?? null) === null ? null : (caseNoise ?? 0) + (peakNoise ?? 0);
  const computeNoise = noiseOf(compute?.noise);
  const bandwidthNoise = noiseOf(peaks.bandwidth?.noise);
  const past = (noise: number | null): string =>
    noise === null ? '100%' : `100% by more than the noise (±${(noise * 100).toFixed(1)}%)`;
  if (overPeak(mfu, computeNoise))
    flags.push(
      `MFU ${((mfu ?? 0) * 100).toFixed(1)}% exceeds ${past(computeNoise)}: FLOPs over-counted or the ` +
        `${against} peak is too low`,
    );
  if (overPeak(mbu, bandwidthNoise))
    flags.push(
      `MBU ${((mbu ?? 0) * 100).toFixed(1)}% exceeds ${past(bandwidthNoise)}: the data sat in a cache, or the ` +
        `${against} bandwidth is too low`,
    );
  let ridgePoint: number | null = null;
  let attainableTflops: number | null = null;
  let bound: Utilization['bound'] = work.flops === 0 ? 'memory' : null;
  let rooflineEfficiency: number | null = work.flops === 0 ? mbu : null;
  if (work.flops > 0 && work.bytes > 0 && peakTflops !== null && peakGBps !== null) {
    const p = rooflinePoint({ flops: work.flops, bytes: work.bytes, timeS: work.timeS, peakTflops, peakGBps });
    ridgePoint = p.ridgePoint;
    attainableTflops = p.attainableTflops;
    bound = p.bound;
    rooflineEfficiency = p.efficiency;
    if (
      p.exceedsRoof &&
      p.efficiency !== null &&
      overPeak(p.efficiency, bound === 'memory' ? bandwidthNoise : computeNoise)
    )
      flags.push(`roofline efficiency ${(p.efficiency * 100).toFixed(1)}% exceeds 100% of the ${against} roof`);
  }
  return {
    against,
    peakTflops,
    peakSource: compute?.source ?? null,
    peakGBps,
    bandwidthSource: peaks.bandwidth?.source ?? null,
    mfu,
    mbu,
    ridgePoint,
    attainableTflops,
    bound,
    rooflineEfficiency,
    mfuNoise: computeNoise,
    mbuNoise: bandwidthNoise,
    flags,
  };
}
