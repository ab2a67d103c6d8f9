/** The execution units a kernel's FLOPs can be divided by, and memory bandwidth. */
export const PEAK_UNITS = ['fp32', 'fp16', 'int8Dot4', 'matrixF16', 'matrixInt8'] as const;
export type PeakUnit = (typeof PEAK_UNITS)[number];

export interface PeakValue {
  /** TFLOP/s (TOP/s for int8). */
  tflops: number;
  /** Where the number comes from: a document, or the calibration run that measured it. */
  source: string;
  /** A measured peak's relative noise (its median's 95% interval ÷ median); absent for a datasheet. */
  noise?: number | null | undefined;
}

export interface BandwidthPeak {
  gbps: number;
  source: string;
  noise?: number | null | undefined;
}

/** Peaks of one device from one origin (datasheet or calibration); absent units are unknown. */
export interface PeakSet {
  compute: Partial<Record<PeakUnit, PeakValue>>;
  bandwidth: BandwidthPeak | null;
}

export const PEAK_UNIT_LABEL: Record<PeakUnit, string> = {
  fp32: 'FP32 (scalar FMA)',
  fp16: 'FP16 (scalar FMA)',
  int8Dot4: 'INT8 packed dot product (dot4I8Packed, TOP/s)',
  matrixF16: 'FP16 matrix units (dense)',
  matrixInt8: 'INT8 matrix units (dense, TOP/s)',
};
