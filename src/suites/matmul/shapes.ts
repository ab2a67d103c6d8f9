import type { DeviceInfo } from '../../gpu/adapterInfo.js';
import { listsMatrixShape, matrixShapesFor, variableSubgroupSize, type MatrixShape } from '../../gpu/subgroupMatrix.js';
import { dtypeValues, fillWgslTemplate, type KernelDtype } from '../../gpu/wgslTemplate.js';
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

/** kernels/matmul.wgsl for a tile shape and input type (f16 for the f16 variants). */
export function tileSource(code: string, t: MatmulTile, input: KernelDtype = 'f32'): string {
  return fillWgslTemplate('matmul.wgsl', code, {
    ...dtypeValues('IN', input),
    TILE_M: t.M,
    TILE_N: t.N,
    TILE_K: t.K,
    VEC_M: t.vecM,
    VEC_N: t.vecN,
  });
}

/** Why the device cannot run this tile shape; null when it can. */
export function tileUnsupported(t: MatmulTile, limits: GPUSupportedLimits): string | null {
  const label = tileLabel(t);
  if (![t.M, t.N, t.K, t.vecM, t.vecN].every((v) => Number.isInteger(v) && v > 0))
    return `tile ${label}: sizes must be positive integers`;
  if (t.M % (4 * t.vecM) !== 0 || t.N % (4 * t.vecN) !== 0 || t.K % 4 !== 0)
    return `tile ${label}: M must be a multiple of 4·vecM, N of 4·vecN and K of 4`;
  const x = t.N / (4 * t.vecN);
  const y = t.M / (4 * t.vecM);
  if (
    x * y > limits.maxComputeInvocationsPerWorkgroup ||
    x > limits.maxComputeWorkgroupSizeX ||
    y > limits.maxComputeWorkgroupSizeY
  )
    return (
      `tile ${label} needs a ${x}×${y} workgroup; the device allows ` +
      `${limits.maxComputeInvocationsPerWorkgroup} invocations`
    );
  const threads = x * y;
  if (t.prefetch === true && (((t.M * t.K) / 4) % threads !== 0 || ((t.K * t.N) / 4) % threads !== 0))
    return `tile ${label}: prefetching needs the A and B tiles' vec4 counts to be multiples of the ${threads} threads`;
  const shared = t.K * (t.M + t.N) * 4 + 4;
  if (shared > limits.maxComputeWorkgroupStorageSize)
    return (
      `tile ${label} needs ${shared} bytes of workgroup memory; the device allows ` +
      `${limits.maxComputeWorkgroupStorageSize}`
    );
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
 * both inputs): the matrix config, sgRows × sgCols subgroups per workgroup, each owning mTiles ×
 * nTiles result matrices (the workgroup's tile of C is (matrixM·sgRows·mTiles) ×
 * (matrixN·sgCols·nTiles)); the K step
 * staged per barrier and the row padding, in elements; whether the next K step is prefetched
 * into registers while the current one multiplies, and whether each tile has a second workgroup
 * buffer (double buffering: one barrier per K step).
 */
export interface StagedShape {
  /** The subgroup-matrix config: MM×MN result matrices over MK steps of K (one the adapter lists). */
  matrixM: number;
  matrixN: number;
  matrixK: number;
  kStep: number;
  pad: number;
  sgRows: number;
  sgCols: number;
  mTiles: number;
  nTiles: number;
  prefetch: boolean;
  doubleBuffer: boolean;
}

/**
 * Per input: the matrix types, elements per vec4 load, bytes per element, and the padding that keeps rows 16-byte
 * aligned.
 */
export const STAGED_INPUT = {
  f16: { component: 'f16', result: 'f32', perLoad: 8, elementBytes: 2, padStep: 8 },
  int8: { component: 'i8', result: 'i32', perLoad: 16, elementBytes: 1, padStep: 16 },
} as const;

/**
 * The staged kernel's `unpack`: one 16-byte load as workgroup words. f16 loads eight halves as
 * four u32 and splits each; int8 keeps its four packed i32 words.
 */
const STAGED_UNPACK = {
  f16: `fn unpack(w: vec4<u32>) -> array<f16, 8> {
  let a = bitcast<vec2<f16>>(w.x);
  let b = bitcast<vec2<f16>>(w.y);
  let c = bitcast<vec2<f16>>(w.z);
  let d = bitcast<vec2<f16>>(w.w);
  return array<f16, 8>(a.x, a.y, b.x, b.y, c.x, c.y, d.x, d.y);
}`,
  int8: `fn unpack(w: vec4<i32>) -> array<i32, 4> {
  return array<i32, 4>(w.x, w.y, w.z, w.w);
}`,
} as const;

/**
 * Result matrices one subgroup may hold: past this the accumulators alone (16 × 16×16 elements over 32 lanes = 128
 * registers) spill.
 */
export const STAGED_MAX_TILES_PER_SUBGROUP = 16;

/** 8 subgroups (2×4), 4×2 matrices each: a 128×128 tile, the layout the kernel had before it was tunable. */
const STAGED_LAYOUT = { sgRows: 2, sgCols: 4, mTiles: 4, nTiles: 2, prefetch: false, doubleBuffer: false } as const;
export const DEFAULT_STAGED: Readonly<Record<'f16' | 'int8', StagedShape>> = {
  f16: { matrixM: 16, matrixN: 16, matrixK: 16, kStep: 32, pad: 8, ...STAGED_LAYOUT },
  int8: { matrixM: 16, matrixN: 16, matrixK: 32, kStep: 64, pad: 16, ...STAGED_LAYOUT },
};

/**
 * The built-in staged shape on this adapter: DEFAULT_STAGED where it lists the 16×16 config, else
 * the same layout on the first config of the input's types it lists (the K step a multiple of its
 * K), or null when it lists none.
 */
export function defaultStagedFor(
  input: 'f16' | 'int8',
  info: Pick<DeviceInfo, 'subgroupMatrixConfigs'>,
): StagedShape | null {
  const d = DEFAULT_STAGED[input];
  const k = STAGED_INPUT[input];
  if (listsMatrixShape(info, k.component, k.result, { M: d.matrixM, N: d.matrixN, K: d.matrixK })) return d;
  const first = matrixShapesFor(info, k.component, k.result)[0];
  return first === undefined ? null : stagedOnMatrix(d, first);
}

/** A staged shape moved onto another matrix config, its K step rounded up to a multiple of the config's K. */
export function stagedOnMatrix(t: StagedShape, m: MatrixShape): StagedShape {
  return { ...t, matrixM: m.M, matrixN: m.N, matrixK: m.K, kStep: Math.max(m.K, Math.ceil(t.kStep / m.K) * m.K) };
}

/**
 * Why the staged kernel cannot run this shape on this adapter and problem (null when it can): the
 * matrix config must be one the adapter lists, the tile must divide the problem, the subgroup size
 * must be fixed, and the launch within the device's limits. The suite's skip reason and the
 * tuner's ruling-out are this one check.
 */
export function stagedShapeUnsupported(
  input: 'f16' | 'int8',
  t: StagedShape,
  s: Pick<MatmulShape, 'M' | 'N' | 'K'>,
  info: Pick<DeviceInfo, 'subgroupMatrixConfigs' | 'subgroupMinSize' | 'subgroupMaxSize'>,
  limits: Pick<
    GPUSupportedLimits,
    'maxComputeWorkgroupStorageSize' | 'maxComputeInvocationsPerWorkgroup' | 'maxComputeWorkgroupSizeX'
  >,
): string | null {
  const types = STAGED_INPUT[input];
  if (!listsMatrixShape(info, types.component, types.result, { M: t.matrixM, N: t.matrixN, K: t.matrixK }))
    return (
      `the adapter lists no ${types.component}→${types.result} ${t.matrixM}×${t.matrixN}×${t.matrixK} ` +
      `subgroup-matrix config`
    );
  const tile = stagedTile(t);
  if (s.M % tile.M !== 0 || s.N % tile.N !== 0 || s.K % t.kStep !== 0)
    return (
      `the staged kernel's ${tile.M}×${tile.N} tile needs M a multiple of ${tile.M}, N of ${tile.N} and K of ` +
      `${t.kStep} (got ${s.M}×${s.N}×${s.K})`
    );
  return variableSubgroupSize(info) ?? stagedUnsupported(input, t, info.subgroupMaxSize ?? 0, limits);
}

/** The workgroup's tile of C. */
export function stagedTile(t: StagedShape): { M: number; N: number } {
  return { M: t.matrixM * t.sgRows * t.mTiles, N: t.matrixN * t.sgCols * t.nTiles };
}

/** The key a tuned staged shape is stored under: the input and the problem's M×N×K. */
export function stagedKey(input: 'f16' | 'int8', s: Pick<MatmulShape, 'M' | 'N' | 'K'>): string {
  return `${input} ${shapeKey(s)}`;
}

export function stagedLabel(t: StagedShape): string {
  const tile = stagedTile(t);
  const pipeline = [t.prefetch ? 'prefetch' : '', t.doubleBuffer ? '2 buffers' : ''].filter((x) => x !== '').join(', ');
  return (
    `${tile.M}x${tile.N} (${t.sgRows}x${t.sgCols} subgroups of ${t.mTiles}x${t.nTiles} ` +
    `${t.matrixM}x${t.matrixN}x${t.matrixK} matrices), K step ${t.kStep}, pad ` +
    `${t.pad}${pipeline === '' ? '' : `, ${pipeline}`}`
  );
}

/** Workgroup memory of the staged kernel's padded TM×kStep A and kStep×TN B tiles, times two with double buffering. */
export function stagedWorkgroupBytes(input: 'f16' | 'int8', t: StagedShape): number {
  const tile = stagedTile(t);
  return (
    (t.doubleBuffer ? 2 : 1) *
    (tile.M * (t.kStep + t.pad) + t.kStep * (tile.N + t.pad)) *
    STAGED_INPUT[input].elementBytes
  );
}

/** Why the staged kernel cannot run this shape here (null when it can). */
export function stagedUnsupported(
  input: 'f16' | 'int8',
  t: StagedShape,
  subgroupSize: number,
  limits: Pick<
    GPUSupportedLimits,
    'maxComputeWorkgroupStorageSize' | 'maxComputeInvocationsPerWorkgroup' | 'maxComputeWorkgroupSizeX'
  >,
): string | null {
  const k = STAGED_INPUT[input];
  if (
    ![t.matrixM, t.matrixN, t.matrixK, t.kStep, t.sgRows, t.sgCols, t.mTiles, t.nTiles].every(
      (v) => Number.isInteger(v) && v > 0,
    ) ||
    !Number.isInteger(t.pad)
  )
    return `the staged ${input} kernel's shape must be positive integers (got ${stagedLabel(t)})`;
  if (t.kStep % t.matrixK !== 0 || t.kStep % k.perLoad !== 0)
    return (
      `the staged ${input} kernel's K step must be a multiple of the matrix step ` +
      `${t.matrixK}${k.perLoad > t.matrixK ? ` and of ${k.perLoad}` : ''} (got ${t.kStep})`
    );
  if (t.pad < 0 || t.pad % k.padStep !== 0)
    return (
      `the staged ${input} kernel's row padding must be a multiple of ${k.padStep} elements (16 bytes; got ` +
      `${t.pad})`
    );
  if (t.mTiles * t.nTiles > STAGED_MAX_TILES_PER_SUBGROUP)
    return (
      `${t.mTiles}x${t.nTiles} result matrices per subgroup exceed ${STAGED_MAX_TILES_PER_SUBGROUP} (the ` +
      `accumulators would not fit in registers)`
    );
  const tile = stagedTile(t);
  if (tile.N % k.perLoad !== 0)
    return `the staged ${input} kernel's tile width ${tile.N} is not a whole number of vec4 loads`;
  const threads = t.sgRows * t.sgCols * subgroupSize;
  if (threads > limits.maxComputeInvocationsPerWorkgroup || threads > limits.maxComputeWorkgroupSizeX)
    return (
      `the staged kernel at ${stagedLabel(t)} runs ${t.sgRows * t.sgCols} subgroups of ${subgroupSize} ` +
      `(${threads} invocations); the device allows ` +
      `${Math.min(limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX)}`
    );
  const need = stagedWorkgroupBytes(input, t);
  if (need > limits.maxComputeWorkgroupStorageSize)
    return (
      `the staged kernel at ${stagedLabel(t)} needs ${need} bytes of workgroup memory; the device allows ` +
      `${limits.maxComputeWorkgroupStorageSize}`
    );
  return null;
}

/**
 * The staged kernel's source for one input, shape and subgroup size: the template's types and launch shape filled in.
 */
export function stagedSubgroupMatrixSource(
  template: string,
  input: 'f16' | 'int8',
  subgroupSize: number,
  t: StagedShape = DEFAULT_STAGED[input],
): string {
  const f16 = input === 'f16';
  const k = STAGED_INPUT[input];
  return fillWgslTemplate('matmul_subgroup_tiled.wgsl', template, {
    ENABLES: f16 ? 'enable f16;' : '',
    ENTRY: f16 ? 'sgmat_f16_tiled_kernel' : 'sgmat_i8_tiled_kernel',
    CT: f16 ? 'f16' : 'i8',
    ACC: f16 ? 'f32' : 'i32',
    WORD: f16 ? 'f16' : 'i32',
    LOADW: f16 ? 'u32' : 'i32',
    UNPACK: STAGED_UNPACK[input],
    EPV: k.perLoad,
    EPW: f16 ? 1 : 4,
    MM: t.matrixM,
    MN: t.matrixN,
    MK: t.matrixK,
    SUBGROUP_SIZE: subgroupSize,
    TK: t.kStep,
    PAD: t.pad,
    SG_ROWS: t.sgRows,
    SG_COLS: t.sgCols,
    MT: t.mTiles,
    NT: t.nTiles,
    PREFETCH: t.prefetch ? 'true' : 'false',
    STAGES: t.doubleBuffer ? 2 : 1,
  });
}

/**
 * The split-K GEMV's launch: the workgroups it aims for and the vec4 columns of W per workgroup (kernels/gemv.wgsl's
 * COLS4).
 */
export interface GemvShape {
  targetWorkgroups: number;
  columns4: number;
}

/** The launch shape a case runs: the tiled kernels' tile, the staged kernel's K step and padding, the GEMV's target. */
export interface ResolvedShape {
  tile: MatmulTile;
  staged: Readonly<Record<'f16' | 'int8', StagedShape>>;
  gemvTargetWorkgroups: number | undefined;
  gemvColumns4: number;
  transformSource: ((kernel: string, code: string) => string) | undefined;
}
