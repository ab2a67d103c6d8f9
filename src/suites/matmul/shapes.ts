import { fillWgslTemplate } from '../../gpu/wgslTemplate.js';
import type { MatmulShape } from './variants.js';

/**
 * The tiled kernel's shape: a TILE_M×TILE_N tile of C per workgroup over TILE_K steps of K, each
 * thread (4·vecM)×(4·vecN) outputs. The default is the best measured so far on the H100.
 */
export interface MatmulTile {
  M: number;
  N: number;
  K: number;
  vecM: number;
  vecN: number;
  /** Load the next K step into registers while multiplying the current one (dense kernels). */
  prefetch?: boolean;
}

export const DEFAULT_TILE: MatmulTile = { M: 128, N: 128, K: 8, vecM: 2, vecN: 2 };

export function tileLabel(t: MatmulTile): string {
  return `${t.M}x${t.N}x${t.K}/${4 * t.vecM}x${4 * t.vecN}${t.prefetch === true ? '+prefetch' : ''}`;
}

/** The tiled kernel's source for a tile shape (the lines marked `// tile`). */
export function tileSource(code: string, t: MatmulTile): string {
  const values: Record<string, number> = { TILE_M: t.M, TILE_N: t.N, TILE_K: t.K, VEC_M: t.vecM, VEC_N: t.vecN };
  return code.replace(/^const (TILE_M|TILE_N|TILE_K|VEC_M|VEC_N) = \d+u; \/\/ tile$/gm, (_line, name: string) => `const ${name} = ${String(values[name])}u; // tile`);
}

/** Why the device cannot run this tile shape; null when it can. */
export function tileUnsupported(t: MatmulTile, limits: GPUSupportedLimits): string | null {
  const label = tileLabel(t);
  if (![t.M, t.N, t.K, t.vecM, t.vecN].every((v) => Number.isInteger(v) && v > 0)) return `tile ${label}: sizes must be positive integers`;
  if (t.M % (4 * t.vecM) !== 0 || t.N % (4 * t.vecN) !== 0 || t.K % 4 !== 0) return `tile ${label}: M must be a multiple of 4·vecM, N of 4·vecN and K of 4`;
  const x = t.N / (4 * t.vecN);
  const y = t.M / (4 * t.vecM);
  if (x * y > limits.maxComputeInvocationsPerWorkgroup || x > limits.maxComputeWorkgroupSizeX || y > limits.maxComputeWorkgroupSizeY) return `tile ${label} needs a ${x}×${y} workgroup; the device allows ${limits.maxComputeInvocationsPerWorkgroup} invocations`;
  const threads = x * y;
  if (t.prefetch === true && (((t.M * t.K) / 4) % threads !== 0 || ((t.K * t.N) / 4) % threads !== 0)) return `tile ${label}: prefetching needs the A and B tiles' vec4 counts to be multiples of the ${threads} threads`;
  const shared = t.K * (t.M + t.N) * 4 + 4;
  if (shared > limits.maxComputeWorkgroupStorageSize) return `tile ${label} needs ${shared} bytes of workgroup memory; the device allows ${limits.maxComputeWorkgroupStorageSize}`;
  return null;
}
/** The direct subgroup-matrix kernels' block of C per workgroup (32×32). */
export const SUBGROUP_BLOCK = 32;

/** The key a tuned shape is stored under: the problem's M×N×K. */
export function shapeKey(s: Pick<MatmulShape, 'M' | 'N' | 'K'>): string {
  return `${s.M}x${s.N}x${s.K}`;
}

/**
 * The staged subgroup-matrix kernel's shape (kernels/matmul_subgroup_tiled.wgsl, one template for
 * both inputs): the K step staged per barrier pair and the row padding, in elements.
 */
export interface StagedShape {
  kStep: number;
  pad: number;
}

/** Per input: the matrix step's K, elements per 16-byte load, and the padding that keeps rows 16-byte aligned. */
const STAGED_INPUT = {
  f16: { matrixK: 16, perLoad: 8 / 2, elementBytes: 2, padStep: 8 },
  int8: { matrixK: 32, perLoad: 16, elementBytes: 1, padStep: 16 },
} as const;

export const DEFAULT_STAGED: Readonly<Record<'f16' | 'int8', StagedShape>> = { f16: { kStep: 32, pad: 8 }, int8: { kStep: 64, pad: 16 } };

/** The key a tuned staged shape is stored under: the input and the problem's M×N×K. */
export function stagedKey(input: 'f16' | 'int8', s: Pick<MatmulShape, 'M' | 'N' | 'K'>): string {
  return `${input} ${shapeKey(s)}`;
}

export function stagedLabel(t: StagedShape): string {
  return `K step ${t.kStep}, pad ${t.pad}`;
}

/** Workgroup memory of the staged kernel's padded 128×kStep A and kStep×128 B tiles. */
export function stagedWorkgroupBytes(input: 'f16' | 'int8', t: StagedShape): number {
  return (128 * (t.kStep + t.pad) + t.kStep * (128 + t.pad)) * STAGED_INPUT[input].elementBytes;
}

/** Why the staged kernel cannot run this shape here (null when it can). */
export function stagedUnsupported(input: 'f16' | 'int8', t: StagedShape, limits: Pick<GPUSupportedLimits, 'maxComputeWorkgroupStorageSize'>): string | null {
  const k = STAGED_INPUT[input];
  if (t.kStep < k.matrixK || t.kStep % k.matrixK !== 0 || t.kStep % k.perLoad !== 0) return `the staged ${input} kernel's K step must be a multiple of ${k.matrixK} (got ${t.kStep})`;
  if (t.pad < 0 || t.pad % k.padStep !== 0) return `the staged ${input} kernel's row padding must be a multiple of ${k.padStep} elements (16 bytes; got ${t.pad})`;
  const need = stagedWorkgroupBytes(input, t);
  if (need > limits.maxComputeWorkgroupStorageSize) return `the staged kernel at ${stagedLabel(t)} needs ${need} bytes of workgroup memory; the device allows ${limits.maxComputeWorkgroupStorageSize}`;
  return null;
}

/** The staged kernel's source for one input and shape: the template's types and tile filled in. */
export function stagedSubgroupMatrixSource(template: string, input: 'f16' | 'int8', t: StagedShape = DEFAULT_STAGED[input]): string {
  const f16 = input === 'f16';
  const k = STAGED_INPUT[input];
  return fillWgslTemplate('matmul_subgroup_tiled.wgsl', template, {
    ENABLES: f16 ? 'enable f16;' : '',
    ENTRY: f16 ? 'sgmat_f16_tiled_kernel' : 'sgmat_i8_tiled_kernel',
    CT: f16 ? 'f16' : 'i8',
    ACC: f16 ? 'f32' : 'i32',
    WORD: f16 ? 'f16' : 'i32',
    EPV: k.perLoad,
    EPW: f16 ? 1 : 4,
    MK: k.matrixK,
    TK: t.kStep,
    PAD: t.pad,
  });
}


/** The launch shape a case runs: the tiled kernels' tile, the staged kernel's K step and padding, the GEMV's target. */
export interface ResolvedShape {
  tile: MatmulTile;
  staged: Readonly<Record<'f16' | 'int8', StagedShape>>;
  gemvTargetWorkgroups: number | undefined;
  transformSource: ((kernel: string, code: string) => string) | undefined;
}
