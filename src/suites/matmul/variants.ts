import type { PeakUnit } from '../../probe/peaks.js';

export type MatmulVariant =
  | 'naive-f32'
  | 'tiled-f32'
  | 'tiled-f16'
  | 'dot4-int8'
  | 'subgroup-matrix-f16'
  | 'subgroup-matrix-int8'
  | 'block-sparse-f32'
  | 'gemv-f32'
  | 'gemv-f16'
  | 'subgroup-matrix-f16-tiled'
  | 'subgroup-matrix-int8-tiled';

export interface MatmulShape {
  M: number;
  N: number;
  K: number;
  label: string;
}

/** Relative error bounds of the check per input type; int8 must be exact. */
export const MATMUL_TOLERANCE = { f32: 1e-4, f16: 1e-2, int8: 0 } as const;
/** Fraction of A's (tile-row, k-block) blocks that are zero in the block-sparse variant. */
export const SPARSE_ZERO_FRACTION = 0.5;

/**
 * Everything wgbench knows about a matmul variant, in one place: what it reads, which unit's peak
 * it is measured against and which case it is compared with, what launch shape it takes (and so
 * which tuner family searches it), what the device must offer, and whether calibration runs it.
 */
export interface MatmulVariantTraits {
  input: 'f32' | 'f16' | 'int8';
  unit: PeakUnit;
  /** Which f32 case a reduced-precision or sparse variant is compared with. */
  baseline: MatmulVariant | null;
  /**
   * The launch shape it takes: the tiled kernels' tile, the split-K GEMV's target, the staged kernel's K step and
   * padding, or a fixed one.
   */
  launch: 'tile' | 'gemv' | 'staged' | 'fixed';
  /** The `wgbench tune` family whose stored shape it runs on, if any. */
  tunedBy: 'matmul-tiled' | 'gemv' | 'matmul-subgroup-matrix' | null;
  features: readonly ('shader-f16' | 'chromium-experimental-subgroup-matrix')[];
  /** The subgroup-matrix config it needs (component → result, K of the 16×16×K step). */
  matrixConfig: { component: 'f16' | 'i8'; result: 'f32' | 'i32'; K: 16 | 32 } | null;
  /** 128×128 per workgroup of 8 subgroups, A and B staged through workgroup memory. */
  staged: boolean;
  /** `wgbench calibrate` runs it: the best kernel of its unit. */
  calibrates: boolean;
}

const SGMAT_F16 = { component: 'f16', result: 'f32', K: 16 } as const;
const SGMAT_I8 = { component: 'i8', result: 'i32', K: 32 } as const;
const f16Features = ['shader-f16'] as const;
const plain = {
  launch: 'fixed',
  tunedBy: null,
  features: [],
  matrixConfig: null,
  staged: false,
  calibrates: false,
} as const;

export const MATMUL_VARIANT_TRAITS: Readonly<Record<MatmulVariant, MatmulVariantTraits>> = {
  'naive-f32': { ...plain, input: 'f32', unit: 'fp32', baseline: null },
  'tiled-f32': {
    ...plain,
    input: 'f32',
    unit: 'fp32',
    baseline: null,
    launch: 'tile',
    tunedBy: 'matmul-tiled',
    calibrates: true,
  },
  'tiled-f16': {
    ...plain,
    input: 'f16',
    unit: 'fp32',
    baseline: 'tiled-f32',
    launch: 'tile',
    tunedBy: 'matmul-tiled',
    features: f16Features,
  },
  'dot4-int8': { ...plain, input: 'int8', unit: 'int8Dot4', baseline: 'naive-f32', calibrates: true },
  'subgroup-matrix-f16': {
    ...plain,
    input: 'f16',
    unit: 'matrixF16',
    baseline: 'tiled-f32',
    features: ['shader-f16', 'chromium-experimental-subgroup-matrix'],
    matrixConfig: SGMAT_F16,
    calibrates: true,
  },
  'subgroup-matrix-int8': {
    ...plain,
    input: 'int8',
    unit: 'matrixInt8',
    baseline: 'tiled-f32',
    features: ['chromium-experimental-subgroup-matrix'],
    matrixConfig: SGMAT_I8,
    calibrates: true,
  },
  'subgroup-matrix-f16-tiled': {
    ...plain,
    input: 'f16',
    unit: 'matrixF16',
    baseline: 'tiled-f32',
    launch: 'staged',
    tunedBy: 'matmul-subgroup-matrix',
    features: ['shader-f16', 'chromium-experimental-subgroup-matrix'],
    matrixConfig: SGMAT_F16,
    staged: true,
    calibrates: true,
  },
  'subgroup-matrix-int8-tiled': {
    ...plain,
    input: 'int8',
    unit: 'matrixInt8',
    baseline: 'tiled-f32',
    launch: 'staged',
    tunedBy: 'matmul-subgroup-matrix',
    features: ['chromium-experimental-subgroup-matrix'],
    matrixConfig: SGMAT_I8,
    staged: true,
    calibrates: true,
  },
  'block-sparse-f32': {
    ...plain,
    input: 'f32',
    unit: 'fp32',
    baseline: 'tiled-f32',
    launch: 'tile',
    tunedBy: 'matmul-tiled',
  },
  // Decode-step GEMVs (M ≤ 8): f32 activations against f32 or f16 weights (weight-only f16).
  'gemv-f32': { ...plain, input: 'f32', unit: 'fp32', baseline: null, launch: 'gemv', tunedBy: 'gemv' },
  'gemv-f16': {
    ...plain,
    input: 'f16',
    unit: 'fp32',
    baseline: 'gemv-f32',
    launch: 'gemv',
    tunedBy: 'gemv',
    features: f16Features,
  },
};
