import { fillWgslTemplate } from '../gpu/wgslTemplate.js';
import { fillRandomU32, randomUniform, readChunked, type BufferPool } from '../gpu/buffers.js';
import { GEMV_TARGET_WORKGROUPS, gemvUnsupported, planGemv } from '../gpu/gemvPlan.js';
import { computePipeline } from '../gpu/pipelines.js';
import { hasMatrixConfig, variableSubgroupSize } from '../gpu/subgroupMatrix.js';
import type { PeakUnit } from '../probe/peaks.js';
import type { CaseResult } from '../results/schema.js';
import { f32ToF16Bits, quantizeInt8, roundToF16 } from './numeric.js';
import type { CasePlan, CheckResult, PreparedCase, Suite, SuiteContext } from './types.js';

export type MatmulVariant = 'naive-f32' | 'tiled-f32' | 'tiled-f16' | 'dot4-int8' | 'subgroup-matrix-f16' | 'subgroup-matrix-int8' | 'block-sparse-f32' | 'gemv-f32' | 'gemv-f16' | 'subgroup-matrix-f16-tiled' | 'subgroup-matrix-int8-tiled';

export interface MatmulShape {
  M: number;
  N: number;
  K: number;
  label: string;
}

/** Relative error bounds of the check per input type; int8 must be exact. */
export const MATMUL_TOLERANCE = { f32: 1e-4, f16: 1e-2, int8: 0 } as const;
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
const SUBGROUP_BLOCK = 32;
const POISON = 0xdeadbeef;
const CHECK_SAMPLES = 1024;
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
  /** The launch shape it takes: the tiled kernels' tile, the split-K GEMV's target, the staged kernel's K step and padding, or a fixed one. */
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
const plain = { launch: 'fixed', tunedBy: null, features: [], matrixConfig: null, staged: false, calibrates: false } as const;

export const MATMUL_VARIANT_TRAITS: Readonly<Record<MatmulVariant, MatmulVariantTraits>> = {
  'naive-f32': { ...plain, input: 'f32', unit: 'fp32', baseline: null },
  'tiled-f32': { ...plain, input: 'f32', unit: 'fp32', baseline: null, launch: 'tile', tunedBy: 'matmul-tiled', calibrates: true },
  'tiled-f16': { ...plain, input: 'f16', unit: 'fp32', baseline: 'tiled-f32', launch: 'tile', tunedBy: 'matmul-tiled', features: f16Features },
  'dot4-int8': { ...plain, input: 'int8', unit: 'int8Dot4', baseline: 'naive-f32', calibrates: true },
  'subgroup-matrix-f16': { ...plain, input: 'f16', unit: 'matrixF16', baseline: 'tiled-f32', features: ['shader-f16', 'chromium-experimental-subgroup-matrix'], matrixConfig: SGMAT_F16, calibrates: true },
  'subgroup-matrix-int8': { ...plain, input: 'int8', unit: 'matrixInt8', baseline: 'tiled-f32', features: ['chromium-experimental-subgroup-matrix'], matrixConfig: SGMAT_I8, calibrates: true },
  'subgroup-matrix-f16-tiled': { ...plain, input: 'f16', unit: 'matrixF16', baseline: 'tiled-f32', launch: 'staged', tunedBy: 'matmul-subgroup-matrix', features: ['shader-f16', 'chromium-experimental-subgroup-matrix'], matrixConfig: SGMAT_F16, staged: true, calibrates: true },
  'subgroup-matrix-int8-tiled': { ...plain, input: 'int8', unit: 'matrixInt8', baseline: 'tiled-f32', launch: 'staged', tunedBy: 'matmul-subgroup-matrix', features: ['chromium-experimental-subgroup-matrix'], matrixConfig: SGMAT_I8, staged: true, calibrates: true },
  'block-sparse-f32': { ...plain, input: 'f32', unit: 'fp32', baseline: 'tiled-f32', launch: 'tile', tunedBy: 'matmul-tiled' },
  // Decode-step GEMVs (M ≤ 8): f32 activations against f32 or f16 weights (weight-only f16).
  'gemv-f32': { ...plain, input: 'f32', unit: 'fp32', baseline: null, launch: 'gemv', tunedBy: 'gemv' },
  'gemv-f16': { ...plain, input: 'f16', unit: 'fp32', baseline: 'gemv-f32', launch: 'gemv', tunedBy: 'gemv', features: f16Features },
};
const VARIANTS = MATMUL_VARIANT_TRAITS;

const isGemv = (v: MatmulVariant): boolean => VARIANTS[v].launch === 'gemv';
const usesTile = (v: MatmulVariant): boolean => VARIANTS[v].launch === 'tile';

export const MATMUL_VARIANTS = Object.keys(VARIANTS) as MatmulVariant[];
/** The variants `wgbench calibrate` runs, in declaration order. */
export const CALIBRATION_MATMUL_VARIANTS = MATMUL_VARIANTS.filter((v) => VARIANTS[v].calibrates);

/** Square sizes plus the GEMV of one decode step (M = 1), scaled to the adapter. */
export function planMatmulShapes(cpuAdapter: boolean, quick: boolean): MatmulShape[] {
  const square = cpuAdapter ? (quick ? 256 : 512) : quick ? 2048 : 4096;
  const gemv = cpuAdapter ? (quick ? 1024 : 4096) : 4096;
  return [
    { M: square, N: square, K: square, label: `${square}³` },
    { M: 1, N: gemv, K: gemv, label: `GEMV 1×${gemv}×${gemv}` },
  ];
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

function stagedSubgroupMatrixSkipReason(input: 'f16' | 'int8', t: StagedShape, s: MatmulShape, ctx: SuiteContext): string | null {
  if (s.M % 128 !== 0 || s.N % 128 !== 0 || s.K % t.kStep !== 0) return `the staged kernel's 128×128 tile needs M and N multiples of 128 and K of ${t.kStep} (got ${s.M}×${s.N}×${s.K})`;
  const variable = variableSubgroupSize(ctx.info);
  if (variable !== null) return variable;
  const max = ctx.info.subgroupMaxSize ?? 0;
  const reason = stagedUnsupported(input, t, ctx.device.limits);
  if (reason !== null) return reason;
  if (ctx.device.limits.maxComputeInvocationsPerWorkgroup < 8 * max) return `the staged kernel runs 8 subgroups of ${max} per workgroup; the device allows ${ctx.device.limits.maxComputeInvocationsPerWorkgroup} invocations`;
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

/** Why a variant cannot run on this device or shape; null when it can. */
export function matmulSkipReason(variant: MatmulVariant, s: MatmulShape, ctx: SuiteContext, tile: MatmulTile = DEFAULT_TILE, staged: StagedShape | null = null): string | null {
  const traits = VARIANTS[variant];
  if (isGemv(variant)) {
    const reason = gemvUnsupported(s.M, s.K, s.N);
    if (reason !== null) return reason;
  }
  if (traits.features.includes('shader-f16') && !ctx.device.features.has('shader-f16')) return 'the device has no shader-f16 feature';
  const config = traits.matrixConfig;
  if (config !== null) {
    if (!ctx.device.features.has('chromium-experimental-subgroup-matrix')) return 'the adapter lists no subgroup-matrix feature (matrix units not reachable from WGSL here)';
    if (!hasMatrixConfig(ctx.info, config.component, config.result, config.K)) return `the adapter lists no ${config.component}→${config.result} 16×16×${config.K} subgroup-matrix config`;
    if (traits.staged) {
      const input = config.component === 'f16' ? 'f16' : 'int8';
      const reason = stagedSubgroupMatrixSkipReason(input, staged ?? DEFAULT_STAGED[input], s, ctx);
      if (reason !== null) return reason;
    } else if (s.M % SUBGROUP_BLOCK !== 0 || s.N % SUBGROUP_BLOCK !== 0 || s.K % 32 !== 0) return `needs M and N multiples of ${SUBGROUP_BLOCK} and K of 32 (got ${s.M}×${s.N}×${s.K})`;
  }
  if (usesTile(variant)) {
    const reason = tileUnsupported(tile, ctx.device.limits);
    if (reason !== null) return reason;
    if (s.M % tile.M !== 0 || s.N % tile.N !== 0 || s.K % tile.K !== 0) return `the ${tile.M}×${tile.N} tile needs M, N multiples of ${tile.M}, ${tile.N} and K of ${tile.K} (got ${s.M}×${s.N}×${s.K})`;
  }
  if (variant === 'dot4-int8' && s.K % 4 !== 0) return 'K must be a multiple of 4 for packed int8';
  const inBytes = VARIANTS[variant].input === 'f32' ? 4 : VARIANTS[variant].input === 'f16' ? 2 : 1;
  const largest = Math.max(s.M * s.K * inBytes, s.K * s.N * inBytes, s.M * s.N * 4);
  const limit = Math.min(ctx.info.limits['maxStorageBufferBindingSize'] ?? 0, ctx.info.limits['maxBufferSize'] ?? 0);
  if (largest > limit) return `a ${largest}-byte operand exceeds the device's largest storage binding (${limit})`;
  return null;
}


function packInt8(q: Int8Array): Uint32Array {
  return new Uint32Array(q.buffer.slice(q.byteOffset, q.byteOffset + q.byteLength));
}

function transpose(q: Int8Array, rows: number, cols: number): Int8Array {
  const out = new Int8Array(q.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = q[r * cols + c] as number;
  return out;
}

/** Positions to compare: the corners and a seeded random sample (all of C when it is small). */
function samplePositions(M: number, N: number, seed: number): number[] {
  if (M * N <= CHECK_SAMPLES) return Array.from({ length: M * N }, (_, i) => i);
  const bits = new Uint32Array(CHECK_SAMPLES);
  fillRandomU32(seed ^ 0x5bd1e995, 0, bits);
  const picks = new Set<number>([0, N - 1, (M - 1) * N, M * N - 1]);
  for (const b of bits) picks.add(b % (M * N));
  return [...picks];
}

interface Operands {
  /** Values the kernel sees (rounded to its input type), row-major M×K and K×N. */
  a: ArrayLike<number>;
  b: ArrayLike<number>;
  /** The unrounded f32 inputs, for the quantization error. */
  a32: Float32Array;
  b32: Float32Array;
  /** Multiply the kernel's output by this to get back to the f32 scale (int8 scales). */
  outScale: number;
}

/** The launch shape a case runs: the tile of the tiled kernels and the GEMV's workgroup target. */
interface ResolvedShape {
  tile: MatmulTile;
  staged: Readonly<Record<'f16' | 'int8', StagedShape>>;
  gemvTargetWorkgroups: number | undefined;
  transformSource: ((kernel: string, code: string) => string) | undefined;
}

async function prepareMatmul(variant: MatmulVariant, s: MatmulShape, ctx: SuiteContext, pool: BufferPool, shape: ResolvedShape): Promise<PreparedCase> {
  const { device } = ctx;
  const info = VARIANTS[variant];
  const { M, N, K } = s;
  const a32 = randomUniform(ctx.seed, M * K);
  const b32 = randomUniform(ctx.seed + 1, K * N);
  const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const upload = (data: ArrayBufferView, label: string): GPUBuffer => {
    const buffer = pool.create({ size: Math.ceil(data.byteLength / 4) * 4, usage: storage, label });
    device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  };

  let ops: Operands;
  let bufA: GPUBuffer;
  let bufB: GPUBuffer;
  if (info.input === 'f32') {
    if (variant === 'block-sparse-f32') zeroBlocks(a32, M, K, ctx.seed, shape.tile);
    ops = { a: a32, b: b32, a32, b32, outScale: 1 };
    bufA = upload(a32, 'A');
    bufB = upload(b32, 'B');
  } else if (variant === 'gemv-f16') {
    ops = { a: a32, b: Float64Array.from(b32, roundToF16), a32, b32, outScale: 1 };
    bufA = upload(a32, 'x');
    bufB = upload(Uint16Array.from(b32, (v) => f32ToF16Bits(v)), 'W');
  } else if (info.input === 'f16') {
    const toHalf = (x: Float32Array): Uint16Array => Uint16Array.from(x, (v) => f32ToF16Bits(v));
    ops = { a: Float64Array.from(a32, roundToF16), b: Float64Array.from(b32, roundToF16), a32, b32, outScale: 1 };
    bufA = upload(toHalf(a32), 'A');
    bufB = upload(toHalf(b32), 'B');
  } else {
    const qa = quantizeInt8(a32);
    const qb = quantizeInt8(b32);
    ops = { a: qa.q, b: qb.q, a32, b32, outScale: qa.scale * qb.scale };
    bufA = upload(packInt8(qa.q), 'A');
    // dot4 wants B transposed (packed along K); the matrix units take B row-major.
    bufB = upload(packInt8(variant === 'dot4-int8' ? transpose(qb.q, K, N) : qb.q), 'B');
  }
  const bufC = pool.create({ size: M * N * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, label: 'C' });
  const dims = pool.create({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'dims' });
  const tile = shape.tile;
  const load = async (kernel: string): Promise<string> => {
    const code = await ctx.loadKernel(kernel);
    return shape.transformSource === undefined ? code : shape.transformSource(kernel, code);
  };
  device.queue.writeBuffer(dims, 0, new Uint32Array([M, N, K, usesTile(variant) ? K / tile.K : 0]));

  const gemv = M === 1;
  const naiveWg = gemv ? { WG_X: 256, WG_Y: 1 } : { WG_X: 16, WG_Y: 16 };
  let pipeline: GPUComputePipeline;
  let entries: GPUBindGroupEntry[];
  let groups: [number, number];
  // A second dispatch after each main one (the GEMV's split-K reduce).
  let followUp: { pipeline: GPUComputePipeline; bindGroup: GPUBindGroup; groups: [number, number] } | null = null;
  const dimsEntry: GPUBindGroupEntry = { binding: 3, resource: { buffer: dims } };
  const matmulSource = async (): Promise<string> => {
    const code = tileSource(await load('matmul'), tile);
    return info.input === 'f16' ? code.replace('alias IN = f32; // dtype', 'enable f16;\nalias IN = f16; // dtype') : code;
  };
  switch (variant) {
    case 'naive-f32': {
      pipeline = await computePipeline(device, 'matmul', await matmulSource(), 'naive_kernel', naiveWg);
      entries = [dimsEntry, { binding: 0, resource: { buffer: bufA } }, { binding: 1, resource: { buffer: bufB } }, { binding: 2, resource: { buffer: bufC } }];
      groups = [Math.ceil(N / naiveWg.WG_X), Math.ceil(M / naiveWg.WG_Y)];
      break;
    }
    case 'tiled-f32':
    case 'tiled-f16':
    case 'block-sparse-f32': {
      const sparse = variant === 'block-sparse-f32';
      pipeline = await computePipeline(device, 'matmul', await matmulSource(), sparse ? 'block_sparse_kernel' : tile.prefetch === true ? 'tiled_prefetch_kernel' : 'tiled_kernel');
      entries = [dimsEntry, { binding: 4, resource: { buffer: bufA } }, { binding: 5, resource: { buffer: bufB } }, { binding: 6, resource: { buffer: bufC } }];
      // The dense kernel shares the body and so the binding (the pipelined one has none).
      if (sparse || tile.prefetch !== true) {
        const mask = sparse ? blockMask(M, K, ctx.seed, tile) : new Uint32Array((M / tile.M) * (K / tile.K)).fill(1);
        entries.push({ binding: 7, resource: { buffer: upload(mask, 'mask') } });
      }
      groups = [N / tile.N, M / tile.M];
      break;
    }
    case 'dot4-int8': {
      pipeline = await computePipeline(device, 'matmul_int8', await ctx.loadKernel('matmul_int8'), 'dot4_kernel', naiveWg);
      entries = [dimsEntry, { binding: 0, resource: { buffer: bufA } }, { binding: 1, resource: { buffer: bufB } }, { binding: 2, resource: { buffer: bufC } }];
      groups = [Math.ceil(N / naiveWg.WG_X), Math.ceil(M / naiveWg.WG_Y)];
      break;
    }
    case 'gemv-f32':
    case 'gemv-f16': {
      const launch = planGemv(M, K, N, shape.gemvTargetWorkgroups);
      const code = await load('gemv');
      const source = variant === 'gemv-f16' ? code.replace('alias W = f32; // dtype', 'enable f16;\nalias W = f16; // dtype') : code;
      const params = pool.create({ size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'gemv-params' });
      device.queue.writeBuffer(params, 0, new Uint32Array([M, K, N, 0, launch.splits, 0, 0, 0]));
      const partials = pool.create({ size: Math.max(16, launch.partialBytes), usage: GPUBufferUsage.STORAGE, label: 'gemv-partials' });
      pipeline = await computePipeline(device, 'gemv', source, 'gemv_kernel');
      // Binding 5 (RMSNorm weights) is unused with flags 0; any buffer fills it.
      entries = [{ binding: 0, resource: { buffer: params } }, { binding: 1, resource: { buffer: bufA } }, { binding: 2, resource: { buffer: bufB } }, { binding: 3, resource: { buffer: bufC } }, { binding: 4, resource: { buffer: partials } }, { binding: 5, resource: { buffer: bufA } }];
      groups = launch.groups;
      if (launch.splits > 1) {
        const reduce = await computePipeline(device, 'gemv', source, 'gemv_reduce');
        const reduceGroup = device.createBindGroup({ layout: reduce.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: params } }, { binding: 3, resource: { buffer: bufC } }, { binding: 4, resource: { buffer: partials } }] });
        followUp = { pipeline: reduce, bindGroup: reduceGroup, groups: [Math.ceil((M * N) / 4 / 256), 1] };
      }
      break;
    }
    case 'subgroup-matrix-f16-tiled':
    case 'subgroup-matrix-int8-tiled': {
      const input = variant === 'subgroup-matrix-f16-tiled' ? 'f16' : 'int8';
      const staged = shape.staged[input];
      const template = await ctx.loadKernel('matmul_subgroup_tiled');
      const filled = stagedSubgroupMatrixSource(template, input, staged);
      const source = shape.transformSource === undefined ? filled : shape.transformSource('matmul_subgroup_tiled', filled);
      pipeline = await computePipeline(device, `matmul_subgroup_tiled_${input}`, source, input === 'f16' ? 'sgmat_f16_tiled_kernel' : 'sgmat_i8_tiled_kernel', { SUBGROUP_SIZE: ctx.info.subgroupMaxSize ?? 32 });
      entries = [dimsEntry, { binding: 2, resource: { buffer: bufC } }, { binding: 4, resource: { buffer: bufA } }, { binding: 5, resource: { buffer: bufB } }];
      groups = [N / 128, M / 128];
      break;
    }
    case 'subgroup-matrix-f16':
    case 'subgroup-matrix-int8': {
      const f16 = variant === 'subgroup-matrix-f16';
      const subgroup = ctx.info.subgroupMaxSize ?? 32;
      pipeline = await computePipeline(device, f16 ? 'matmul_subgroup_f16' : 'matmul_subgroup_i8', await ctx.loadKernel(f16 ? 'matmul_subgroup_f16' : 'matmul_subgroup_i8'), f16 ? 'sgmat_f16_kernel' : 'sgmat_i8_kernel', { SUBGROUP_SIZE: subgroup });
      entries = [dimsEntry, { binding: 0, resource: { buffer: bufA } }, { binding: 1, resource: { buffer: bufB } }, { binding: 2, resource: { buffer: bufC } }];
      groups = [N / SUBGROUP_BLOCK, M / SUBGROUP_BLOCK];
      break;
    }
  }
  const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
  const encode = (pass: GPUComputePassEncoder, repeats: number): void => {
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    for (let r = 0; r < repeats; r++) {
      if (followUp !== null) {
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup);
      }
      pass.dispatchWorkgroups(groups[0], groups[1]);
      if (followUp !== null) {
        pass.setPipeline(followUp.pipeline);
        pass.setBindGroup(0, followUp.bindGroup);
        pass.dispatchWorkgroups(followUp.groups[0], followUp.groups[1]);
      }
    }
  };

  let quantError: { reference: string; relL2: number; maxRel: number } | null = null;
  const check = async (): Promise<CheckResult> => {
    device.queue.writeBuffer(bufC, 0, new Uint32Array(M * N).fill(POISON));
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    encode(pass, 1);
    pass.end();
    device.queue.submit([encoder.finish()]);
    const out = new Float64Array(M * N);
    let poisoned = 0;
    await readChunked(device, bufC, M * N * 4, (offset, chunk) => {
      const ints = new Int32Array(chunk.buffer, chunk.byteOffset, chunk.length);
      const floats = new Float32Array(chunk.buffer, chunk.byteOffset, chunk.length);
      for (let i = 0; i < chunk.length; i++) {
        if (chunk[i] === POISON) poisoned++;
        out[offset / 4 + i] = info.input === 'int8' ? (ints[i] as number) : (floats[i] as number);
      }
    });
    const tolerance = MATMUL_TOLERANCE[info.input];
    let mismatches = poisoned;
    let maxRel = 0;
    let first = poisoned > 0 ? `${poisoned} elements of C were never written` : '';
    let errSq = 0;
    let refSq = 0;
    let maxQuantErr = 0;
    let maxRef = 0;
    const positions = samplePositions(M, N, ctx.seed);
    for (const p of positions) {
      const row = Math.floor(p / N);
      const col = p % N;
      let want = 0;
      let scale = 0;
      let ref32 = 0;
      for (let k = 0; k < K; k++) {
        const prod = (ops.a[row * K + k] as number) * (ops.b[k * N + col] as number);
        want += prod;
        scale += Math.abs(prod);
        ref32 += (ops.a32[row * K + k] as number) * (ops.b32[k * N + col] as number);
      }
      const got = out[p] as number;
      const rel = scale === 0 ? Math.abs(got - want) : Math.abs(got - want) / scale;
      if (!(rel <= tolerance)) {
        if (mismatches++ === 0) first = `C[${row}][${col}]: got ${got}, want ${want}`;
      }
      if (Number.isFinite(rel)) maxRel = Math.max(maxRel, rel);
      const deq = got * ops.outScale;
      errSq += (deq - ref32) ** 2;
      refSq += ref32 ** 2;
      maxQuantErr = Math.max(maxQuantErr, Math.abs(deq - ref32));
      maxRef = Math.max(maxRef, Math.abs(ref32));
    }
    if (info.input !== 'f32') {
      quantError = { reference: 'f64 product of the unrounded f32 inputs, sampled positions', relL2: Math.sqrt(errSq / refSq), maxRel: maxQuantErr / maxRef };
    }
    const inputs = variant === 'gemv-f16' ? 'f16 weights and f32 activations' : `${info.input} inputs`;
    const method = info.input === 'int8' ? 'exact int32 against the CPU' : `|got − want| / Σ|a·b| ≤ ${tolerance} against f64 on the ${inputs}`;
    return {
      passed: mismatches === 0,
      method: `${method}; ${positions.length} sampled elements, all ${M * N} scanned for unwritten values`,
      compared: positions.length,
      mismatches,
      maxRelError: maxRel,
      detail: mismatches === 0 ? `${positions.length} sampled elements match (max relative error ${maxRel.toExponential(2)}); no unwritten elements` : `${mismatches} mismatches; first: ${first}`,
    };
  };
  return { encode, check, quantizationError: () => quantError };
}

/** Which (tile row, k block) blocks of A are kept; seeded, exactly SPARSE_ZERO_FRACTION zero. */
function blockMask(M: number, K: number, seed: number, tile: MatmulTile): Uint32Array {
  const rows = M / tile.M;
  const kBlocks = K / tile.K;
  const mask = new Uint32Array(rows * kBlocks).fill(1);
  const bits = new Uint32Array(mask.length);
  fillRandomU32(seed ^ 0x2545f491, 0, bits);
  const order = [...mask.keys()].sort((x, y) => (bits[x] as number) - (bits[y] as number));
  for (const i of order.slice(0, Math.round(mask.length * SPARSE_ZERO_FRACTION))) mask[i] = 0;
  return mask;
}

/** Zeroes A's blocks that the mask drops, so the dense reference equals the sparse product. */
function zeroBlocks(a: Float32Array, M: number, K: number, seed: number, tile: MatmulTile): void {
  const mask = blockMask(M, K, seed, tile);
  const kBlocks = K / tile.K;
  for (let r = 0; r < M; r++) {
    for (let kb = 0; kb < kBlocks; kb++) {
      if (mask[Math.floor(r / tile.M) * kBlocks + kb] === 0) a.fill(0, r * K + kb * tile.K, r * K + (kb + 1) * tile.K);
    }
  }
}

function inputBytes(variant: MatmulVariant): number {
  const input = VARIANTS[variant].input;
  return input === 'f32' ? 4 : input === 'f16' ? 2 : 1;
}

export interface MatmulOptions {
  shapes?: readonly MatmulShape[];
  variants?: readonly MatmulVariant[];
  /** Workgroups the GEMV aims for (tuning; see gpu/gemvPlan). */
  gemvTargetWorkgroups?: number;
  /** The tiled kernels' tile shape (default DEFAULT_TILE). */
  tile?: MatmulTile;
  /** Tiles found by `wgbench tune`, by shape key (shapeKey): used for that shape, recorded as tuned. */
  tunedTiles?: Readonly<Record<string, MatmulTile>>;
  /** GEMV workgroup targets found by `wgbench tune`, by shape key. */
  tunedGemvTargets?: Readonly<Record<string, number>>;
  /** The staged subgroup-matrix kernel's K step and padding per input (default DEFAULT_STAGED). */
  staged?: Partial<Readonly<Record<'f16' | 'int8', StagedShape>>>;
  /** Staged shapes found by `wgbench tune`, by stagedKey (input and problem): used there, recorded as tuned. */
  tunedStaged?: Readonly<Record<string, StagedShape>>;
  /** Rewrites a kernel's source (a template once filled) before it is compiled (tests plant a wrong kernel, or emulate matrix units, through it). */
  transformSource?: (kernel: string, code: string) => string;
}

/** The key a tuned shape is stored under: the problem's M×N×K. */
export function shapeKey(s: Pick<MatmulShape, 'M' | 'N' | 'K'>): string {
  return `${s.M}x${s.N}x${s.K}`;
}

/** Where a case's launch shape came from: `wgbench tune`, the built-in default, or an explicit option. */
export type ShapeSource = 'tuned' | 'default' | 'explicit';

export function createMatmulSuite(options: MatmulOptions = {}): Suite {
  return {
    name: 'matmul',
    description: 'C = A·B: naive, tiled (128×128, 8×8 per thread), f16 and int8 inputs, subgroup matrices, block-sparse, split-K GEMV',
    plan(ctx) {
      const shapes = options.shapes ?? planMatmulShapes(ctx.info.adapterClass === 'cpu', ctx.quick);
      const cases: CasePlan[] = [];
      for (const s of shapes) {
        const tunedTile = options.tunedTiles?.[shapeKey(s)];
        const tile = tunedTile ?? options.tile ?? DEFAULT_TILE;
        const tileFrom: ShapeSource = tunedTile !== undefined ? 'tuned' : options.tile !== undefined ? 'explicit' : 'default';
        const tunedGemv = options.tunedGemvTargets?.[shapeKey(s)];
        const gemvTarget = tunedGemv ?? options.gemvTargetWorkgroups;
        const gemvSource: ShapeSource = tunedGemv !== undefined ? 'tuned' : options.gemvTargetWorkgroups !== undefined ? 'explicit' : 'default';
        const tunedF16 = options.tunedStaged?.[stagedKey('f16', s)];
        const tunedI8 = options.tunedStaged?.[stagedKey('int8', s)];
        const staged = { ...DEFAULT_STAGED, ...options.staged, ...(tunedF16 === undefined ? {} : { f16: tunedF16 }), ...(tunedI8 === undefined ? {} : { int8: tunedI8 }) };
        const stagedFrom = (input: 'f16' | 'int8'): ShapeSource => (options.tunedStaged?.[stagedKey(input, s)] !== undefined ? 'tuned' : options.staged?.[input] !== undefined ? 'explicit' : 'default');
        const resolved: ResolvedShape = { tile, staged, gemvTargetWorkgroups: gemvTarget, transformSource: options.transformSource };
        for (const variant of options.variants ?? MATMUL_VARIANTS) {
          const info = VARIANTS[variant];
          const sparse = variant === 'block-sparse-f32';
          const kept = sparse ? 1 - SPARSE_ZERO_FRACTION : 1;
          const flops = 2 * s.M * s.N * s.K * kept;
          const plan: CasePlan = {
            id: `matmul/${variant}/${s.M}x${s.N}x${s.K}`,
            name: `${variant} ${s.label}`,
            params: {
              variant,
              M: s.M,
              N: s.N,
              K: s.K,
              input: info.input,
              accumulate: info.input === 'int8' ? 'i32' : 'f32',
              ...(sparse ? { zeroBlockFraction: SPARSE_ZERO_FRACTION } : {}),
              ...(usesTile(variant) ? { tile: tileLabel(tile), tileM: tile.M, tileN: tile.N, tileK: tile.K, source: tileFrom } : {}),
              ...(info.staged ? { kStep: staged[info.input === 'f16' ? 'f16' : 'int8'].kStep, pad: staged[info.input === 'f16' ? 'f16' : 'int8'].pad, source: stagedFrom(info.input === 'f16' ? 'f16' : 'int8') } : {}),
              ...(isGemv(variant) && gemvUnsupported(s.M, s.K, s.N) === null ? { gemvTargetWorkgroups: gemvTarget ?? GEMV_TARGET_WORKGROUPS, gemvSplits: planGemv(s.M, s.K, s.N, gemvTarget).splits, source: gemvSource } : {}),
            },
            // A GEMV's activations stay f32 whatever the weights are.
            bytesPerDispatch: s.M * s.K * (isGemv(variant) ? 4 : inputBytes(variant)) + s.K * s.N * inputBytes(variant) + s.M * s.N * 4,
            bytesCounted: 'min-dram',
            work: { flopsPerDispatch: flops, unit: info.unit, formula: sparse ? `2·M·N·K·${kept} (zero blocks skipped)` : '2·M·N·K' },
            prepare: (c, pool) => prepareMatmul(variant, s, c, pool, resolved),
          };
          const skip = matmulSkipReason(variant, s, ctx, tile, info.staged ? staged[info.input === 'f16' ? 'f16' : 'int8'] : null);
          if (skip !== null) plan.skipReason = skip;
          cases.push(plan);
        }
      }
      return cases;
    },
    finalize: relateMatmulCases,
  };
}

/** Fills speed-ups over the f32 baseline (quantized variants) and over the dense kernel (sparse). */
export function relateMatmulCases(cases: CaseResult[]): void {
  const find = (variant: MatmulVariant, c: CaseResult): CaseResult | undefined =>
    cases.find((x) => x.params['variant'] === variant && x.params['M'] === c.params['M'] && x.params['N'] === c.params['N'] && x.params['K'] === c.params['K'] && x.status === 'ok');
  for (const c of cases) {
    const variant = c.params['variant'] as MatmulVariant;
    const baselineVariant = VARIANTS[variant].baseline;
    if (baselineVariant === null || c.summary === null) continue;
    const base = find(baselineVariant, c);
    const speedup = base?.summary ? base.summary.p50 / c.summary.p50 : null;
    if (variant === 'block-sparse-f32') {
      c.sparsity = { zeroBlockFraction: SPARSE_ZERO_FRACTION, blockSize: Number(c.params['tileM']) * Number(c.params['tileK']), speedupVsDense: speedup, denseCaseId: base?.id ?? null };
    } else if (c.quantization) {
      c.quantization = { ...c.quantization, speedupVsF32: speedup, f32CaseId: base?.id ?? null };
    }
  }
}

export const matmulSuite: Suite = createMatmulSuite();
