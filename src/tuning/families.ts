import type { DeviceInfo } from '../gpu/adapterInfo.js';
import {
  defaultGemvShape,
  GEMV_COLUMNS4,
  GEMV_DEFAULT_COLUMNS4,
  gemvColumnsUnsupported,
  gemvUnsupported,
  planGemv,
} from '../gpu/gemvPlan.js';
import {
  createMatmulSuite,
  DEFAULT_STAGED,
  DEFAULT_TILE,
  defaultStagedFor,
  STAGED_INPUT,
  MATMUL_VARIANT_TRAITS,
  MATMUL_VARIANTS,
  planMatmulShapes,
  shapeKey,
  STAGED_MAX_TILES_PER_SUBGROUP,
  stagedKey,
  stagedLabel,
  stagedOnMatrix,
  stagedShapeUnsupported,
  tileLabel,
  tileUnsupported,
  type GemvShape,
  type MatmulShape,
  type MatmulTile,
  type StagedShape,
} from '../suites/matmul.js';
import { hasMatrixConfig, matrixShapesFor, variableSubgroupSize } from '../gpu/subgroupMatrix.js';
import { dtypeValues, fillWgslTemplate } from '../gpu/wgslTemplate.js';
import { stagedSubgroupMatrixSource, tileSource } from '../suites/matmul/shapes.js';
import { createMemcopySuite, defaultMemcopyLaunch, maxBindableBytes, type MemcopyKernel } from '../suites/memcopy.js';
import type { Suite } from '../suites/types.js';
import { unmetRequirement, type DeclaredSuite, type ParamRow } from '../suites/declare.js';
import { formatBytes } from '../reporters/format.js';
import {
  attentionSource,
  createAttentionSuite,
  DEFAULT_FLASH_TILE,
  defaultFlashTile,
  DEFAULT_SGMAT_STAGED,
  flashTileKey,
  flashTileLabel,
  flashTileUnsupported,
  planAttentionShapes,
  sgmatAttentionSource,
  sgmatStagedLabel,
  sgmatStagedUnsupported,
  type AttentionDtype,
  type AttentionShape,
  type FlashTile,
  type SgmatStagedShape,
} from '../suites/attention.js';

export type TuneValue = number | boolean;
export type TuneConfig = Readonly<Record<string, TuneValue>>;
export type FamilyName =
  'memcopy' | 'matmul-tiled' | 'gemv' | 'matmul-subgroup-matrix' | 'attention' | 'attention-subgroup-matrix';

/** A parameter of a family's space: the values the search may take and what limits them. */
export interface TuneParameter {
  name: string;
  values: readonly TuneValue[];
  limitedBy: string;
}

/** One problem a family is tuned for on this device, with the default it must beat. */
export interface TuneTarget {
  family: FamilyName;
  /** What the tuned shape is stored under and applied to (a kernel, a problem size). */
  shapeClass: string;
  description: string;
  /** The problem it is tuned on: memcopy's bytes, a matmul's M, N, K. */
  problem: Readonly<Record<string, number>>;
  defaultConfig: TuneConfig;
}

export interface TuneDevice {
  info: DeviceInfo;
  limits: GPUSupportedLimits;
  quick: boolean;
}

/**
 * A tunable kernel family: its parameter space and limits, the problems it is tuned on here, the
 * coarse grid and the one-step neighbours the search walks, and the suite that checks and times
 * one configuration. Suites, not bespoke timing: a candidate passes the same reference check as
 * any case before it is timed.
 */
export interface TunableFamily {
  name: FamilyName;
  description: string;
  /**
   * The family's kernels as the device compiles them (templates filled) at its default
   * configuration: a stored tuning made for other compiled source is stale (tuning/search.ts
   * familyKernelHash). A change to the template filler counts; one to an unrelated kernel does not.
   */
  sources: (load: (name: string) => Promise<string>) => Promise<readonly string[]>;
  /** What a device must have for the family to have targets, where not every device does (said when it has none). */
  needs?: string;
  parameters: readonly TuneParameter[];
  targets: (d: TuneDevice) => TuneTarget[];
  coarse: (t: TuneTarget, d: TuneDevice) => TuneConfig[];
  neighbours: (c: TuneConfig, t: TuneTarget, d: TuneDevice) => TuneConfig[];
  /** Why the device or the problem rules this configuration out (not tried); null when it can run. */
  unsupported: (c: TuneConfig, t: TuneTarget, d: TuneDevice) => string | null;
  /** Two configurations with one label are one launch: the search times it once. */
  label: (c: TuneConfig, t: TuneTarget) => string;
  suite: (c: TuneConfig, t: TuneTarget) => Suite;
}

const num = (c: TuneConfig, k: string): number => Number(c[k]);
/** Configurations that differ from `c` in one parameter by one step of its value list. */
function oneStep(c: TuneConfig, parameters: readonly TuneParameter[]): TuneConfig[] {
  const out: TuneConfig[] = [];
  for (const p of parameters) {
    const i = p.values.indexOf(c[p.name] as TuneValue);
    for (const j of [i - 1, i + 1]) {
      const v = p.values[j];
      if (i >= 0 && v !== undefined) out.push({ ...c, [p.name]: v });
    }
  }
  return out;
}

// ---- memcopy: workgroup size × elements per thread, per kernel, at a DRAM-sized buffer ----
const MEMCOPY_KERNELS: readonly MemcopyKernel[] = ['copy', 'read', 'write'];
const MiB = 1024 * 1024;

/** Buffer size memcopy is tuned at: past the caches (256 MiB), or 64 MiB on a CPU adapter, within the binding limit. */
export function memcopyTuneBytes(info: DeviceInfo): number {
  return Math.min(maxBindableBytes(info.limits), info.adapterClass === 'cpu' ? 64 * MiB : 256 * MiB);
}

/**
 * Why a declared suite would not run this candidate here: its requirements, planned as a run would
 * plan them with this device's limits. The declaration is the one place a launch's limits live.
 */
export function declaredUnsupported<P extends ParamRow>(suite: DeclaredSuite<P>, d: TuneDevice): string | null {
  const limits: Record<string, number> = { ...d.info.limits };
  const given = d.limits as unknown as Record<string, unknown>;
  for (const k of new Set([...Object.keys(limits), ...Object.keys(given)])) {
    const v = given[k];
    if (typeof v === 'number') limits[k] = v;
  }
  const ctx = { info: { ...d.info, limits }, quick: d.quick };
  return suite.declaration.params
    .rows(ctx)
    .reduce<string | null>(
      (why, row) => why ?? unmetRequirement(suite.declaration.requires?.(row, ctx) ?? [], ctx.info),
      null,
    );
}

/** One memcopy candidate: the target's kernel and size at this launch. */
function memcopySuiteFor(c: TuneConfig, t: TuneTarget): ReturnType<typeof createMemcopySuite> {
  return createMemcopySuite({
    sizesBytes: [t.problem['bytes'] ?? 0],
    kernels: [t.shapeClass as MemcopyKernel],
    workgroupSize: num(c, 'workgroupSize'),
    elementsPerThread: num(c, 'elementsPerThread'),
  });
}

/** memcopy's parameters, read from its declaration. */
const memcopyParameters: readonly TuneParameter[] = createMemcopySuite().declaration.tunables ?? [];

export const memcopyFamily: TunableFamily = {
  name: 'memcopy',
  description: 'memcopy copy/read/write: workgroup size × vec4 elements per thread',
  sources: async (load) => [await load('memcopy')],
  parameters: memcopyParameters,
  targets: (d) =>
    MEMCOPY_KERNELS.map((kernel) => {
      const launch = defaultMemcopyLaunch(kernel, d.info.limits, d.info.adapterClass === 'cpu');
      const bytes = memcopyTuneBytes(d.info);
      return {
        family: 'memcopy',
        shapeClass: kernel,
        description: `${kernel} ${formatBytes(bytes)}`,
        problem: { bytes },
        defaultConfig: { workgroupSize: launch.workgroupSize, elementsPerThread: launch.elementsPerThread },
      };
    }),
  coarse: (t) => [
    t.defaultConfig,
    ...[64, 256, 1024].flatMap((workgroupSize) =>
      [1, 4, 16, 64].map((elementsPerThread) => ({ workgroupSize, elementsPerThread })),
    ),
  ],
  neighbours: (c) => oneStep(c, memcopyParameters),
  unsupported: (c, t, d) => declaredUnsupported(memcopySuiteFor(c, t), d),
  label: (c) => `wg ${num(c, 'workgroupSize')} × ${num(c, 'elementsPerThread')}/thread`,
  suite: (c, t) => memcopySuiteFor(c, t),
};

// ---- tiled matmul: tile M/N/K, per-thread block, prefetch, at the run's square shape ----
const TILE_MN = [32, 64, 128, 256];
const TILE_K = [4, 8, 16, 32];
const VEC = [1, 2];
const tileParameters: TuneParameter[] = [
  { name: 'M', values: TILE_MN, limitedBy: 'maxComputeWorkgroupSizeY, maxComputeInvocationsPerWorkgroup, divides M' },
  { name: 'N', values: TILE_MN, limitedBy: 'maxComputeWorkgroupSizeX, maxComputeInvocationsPerWorkgroup, divides N' },
  { name: 'K', values: TILE_K, limitedBy: 'maxComputeWorkgroupStorageSize, divides K' },
  { name: 'vecM', values: VEC, limitedBy: 'registers: each thread keeps (4·vecM)×(4·vecN) outputs' },
  { name: 'vecN', values: VEC, limitedBy: 'registers' },
  { name: 'prefetch', values: [false, true], limitedBy: 'tile vec4 counts must divide among the threads' },
];
export const tileFromConfig = (c: TuneConfig): MatmulTile => ({
  M: num(c, 'M'),
  N: num(c, 'N'),
  K: num(c, 'K'),
  vecM: num(c, 'vecM'),
  vecN: num(c, 'vecN'),
  ...(c['prefetch'] === true ? { prefetch: true } : {}),
});
export const configFromTile = (t: MatmulTile): TuneConfig => ({
  M: t.M,
  N: t.N,
  K: t.K,
  vecM: t.vecM,
  vecN: t.vecN,
  prefetch: t.prefetch === true,
});

function squareShape(d: TuneDevice): MatmulShape {
  return planMatmulShapes(d.info.adapterClass === 'cpu', d.quick)[0] as MatmulShape;
}
function gemvShape(d: TuneDevice): MatmulShape {
  return planMatmulShapes(d.info.adapterClass === 'cpu', d.quick)[1] as MatmulShape;
}
const shapeOf = (t: TuneTarget): MatmulShape => ({
  M: t.problem['M'] ?? 0,
  N: t.problem['N'] ?? 0,
  K: t.problem['K'] ?? 0,
  label: t.description,
});

export const matmulTiledFamily: TunableFamily = {
  name: 'matmul-tiled',
  description:
    `tiled matmul, timed as tiled-f32; the tile serves ` +
    `${MATMUL_VARIANTS.filter((v) => MATMUL_VARIANT_TRAITS[v].tunedBy === 'matmul-tiled').join(', ')}: tile ` +
    `M/N/K, per-thread block, prefetch`,
  sources: async (load) => {
    const code = await load('matmul');
    return [tileSource(code, DEFAULT_TILE, 'f32'), tileSource(code, DEFAULT_TILE, 'f16')];
  },
  parameters: tileParameters,
  targets: (d) => {
    const s = squareShape(d);
    return [
      {
        family: 'matmul-tiled',
        shapeClass: shapeKey(s),
        description: `tiled-f32 ${s.label}`,
        problem: { M: s.M, N: s.N, K: s.K },
        defaultConfig: configFromTile(DEFAULT_TILE),
      },
    ];
  },
  coarse: (t) => {
    const out: TuneConfig[] = [t.defaultConfig];
    for (const [M, N] of [
      [32, 32],
      [64, 64],
      [128, 128],
      [64, 128],
      [128, 64],
    ] as const) {
      for (const K of [8, 16, 32])
        for (const v of VEC) for (const prefetch of [false, true]) out.push({ M, N, K, vecM: v, vecN: v, prefetch });
    }
    return out;
  },
  neighbours: (c) => oneStep(c, tileParameters),
  unsupported: (c, t, d) => {
    const tile = tileFromConfig(c);
    const s = shapeOf(t);
    const reason = tileUnsupported(tile, d.limits);
    if (reason !== null) return reason;
    if (s.M % tile.M !== 0 || s.N % tile.N !== 0 || s.K % tile.K !== 0)
      return `tile ${tileLabel(tile)} does not divide ${t.shapeClass}`;
    return null;
  },
  label: (c) => tileLabel(tileFromConfig(c)),
  suite: (c, t) => createMatmulSuite({ shapes: [shapeOf(t)], variants: ['tiled-f32'], tile: tileFromConfig(c) }),
};

// ---- GEMV: how many workgroups the split-K launch aims for × columns per workgroup, at the decode-step shape ----
const GEMV_TARGETS = [1, 4, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192];
const gemvParameters: TuneParameter[] = [
  {
    name: 'targetWorkgroups',
    values: GEMV_TARGETS,
    limitedBy: 'K / (threads along K · unroll) splits at most; partial sums in memory',
  },
  {
    name: 'columns4',
    values: GEMV_COLUMNS4,
    limitedBy: 'a workgroup of 256: vec4 columns × threads along K (256 / columns4, at least 4)',
  },
];
export const gemvFromConfig = (c: TuneConfig): GemvShape => ({
  targetWorkgroups: num(c, 'targetWorkgroups'),
  columns4: c['columns4'] === undefined ? GEMV_DEFAULT_COLUMNS4 : num(c, 'columns4'),
});

export const gemvFamily: TunableFamily = {
  name: 'gemv',
  description:
    `split-K GEMV at the decode-step shape, timed as gemv-f32; the launch serves ` +
    `${MATMUL_VARIANTS.filter((v) => MATMUL_VARIANT_TRAITS[v].tunedBy === 'gemv').join(', ')}: workgroups ` +
    `aimed for × vec4 columns of W per workgroup`,
  sources: async (load) => {
    const code = await load('gemv');
    return (['f32', 'f16'] as const).map((dtype) => fillWgslTemplate('gemv.wgsl', code, dtypeValues('W', dtype)));
  },
  parameters: gemvParameters,
  targets: (d) => {
    const s = gemvShape(d);
    return [
      {
        family: 'gemv',
        shapeClass: shapeKey(s),
        description: `gemv-f32 ${s.label}`,
        problem: { M: s.M, N: s.N, K: s.K },
        defaultConfig: { ...defaultGemvShape(d.info) },
      },
    ];
  },
  coarse: (t) => [
    t.defaultConfig,
    ...GEMV_TARGETS.filter((_, i) => i % 2 === 0).flatMap((targetWorkgroups) =>
      [4, 8, 32].map((columns4) => ({ targetWorkgroups, columns4 })),
    ),
  ],
  neighbours: (c) => oneStep(c, gemvParameters),
  unsupported: (c, t) => {
    const s = shapeOf(t);
    return gemvUnsupported(s.M, s.K, s.N) ?? gemvColumnsUnsupported(num(c, 'columns4'));
  },
  // Targets that give the same split count are the same launch: the label is the launch, so they merge.
  label: (c, t) => `${gemvSplits(c, t)}-way split-K, ${4 * gemvFromConfig(c).columns4} columns per workgroup`,
  suite: (c, t) =>
    createMatmulSuite({
      shapes: [shapeOf(t)],
      variants: ['gemv-f32'],
      gemvTargetWorkgroups: num(c, 'targetWorkgroups'),
      gemvColumns4: gemvFromConfig(c).columns4,
    }),
};

/**
 * The launch a GEMV configuration gives for the target's shape (two configurations with one launch are one candidate).
 */
function gemvSplits(c: TuneConfig, t: TuneTarget): number {
  const s = shapeOf(t);
  const g = gemvFromConfig(c);
  return planGemv(s.M, s.K, s.N, g.targetWorkgroups, false, g.columns4).splits;
}

// ---- staged subgroup-matrix GEMM: matrix config, subgroup layout, matrices per subgroup, K step, padding, pipelining;
// per input, at the run's square shape ----
const STAGED_K_STEPS = [16, 32, 64, 128];
const STAGED_PADS = [0, 8, 16, 32];
const STAGED_GRID = [1, 2, 4, 8];
const MATRIX_SIDES = [8, 16, 32];
const stagedParameters: TuneParameter[] = [
  {
    name: 'matrixM',
    values: MATRIX_SIDES,
    limitedBy: 'the configs the adapter lists (subgroupMatrixConfigs) for the input and accumulator types',
  },
  { name: 'matrixN', values: MATRIX_SIDES, limitedBy: 'the configs the adapter lists' },
  { name: 'matrixK', values: [8, 16, 32, 64], limitedBy: 'the configs the adapter lists' },
  {
    name: 'sgRows',
    values: STAGED_GRID,
    limitedBy:
      'maxComputeInvocationsPerWorkgroup (subgroups × subgroup size); the tile (matrixM·sgRows·mTiles) divides M',
  },
  {
    name: 'sgCols',
    values: STAGED_GRID,
    limitedBy: 'maxComputeInvocationsPerWorkgroup; the tile (matrixN·sgCols·nTiles) divides N',
  },
  {
    name: 'mTiles',
    values: STAGED_GRID,
    limitedBy:
      `registers: at most ${STAGED_MAX_TILES_PER_SUBGROUP} result matrices per subgroup; ` +
      `maxComputeWorkgroupStorageSize`,
  },
  { name: 'nTiles', values: STAGED_GRID, limitedBy: 'registers; maxComputeWorkgroupStorageSize' },
  {
    name: 'kStep',
    values: STAGED_K_STEPS,
    limitedBy: 'a multiple of the matrix step matrixK, divides K, maxComputeWorkgroupStorageSize',
  },
  {
    name: 'pad',
    values: STAGED_PADS,
    limitedBy: '16-byte row alignment (8 f16 or 16 int8 elements), maxComputeWorkgroupStorageSize',
  },
  {
    name: 'prefetch',
    values: [false, true],
    limitedBy: 'registers: each thread holds its share of the next A and B tiles',
  },
  {
    name: 'doubleBuffer',
    values: [false, true],
    limitedBy: 'twice the workgroup memory (maxComputeWorkgroupStorageSize)',
  },
];
const stagedInput = (t: TuneTarget): 'f16' | 'int8' => (t.shapeClass.startsWith('f16') ? 'f16' : 'int8');
/** A stored or searched configuration as a staged shape; what it leaves out is the default's. */
export const stagedFromConfig = (c: TuneConfig, input: 'f16' | 'int8' = 'f16'): StagedShape => {
  const d = DEFAULT_STAGED[input];
  const n = (k: keyof StagedShape, fallback: number): number => (c[k] === undefined ? fallback : num(c, k));
  const b = (k: keyof StagedShape, fallback: boolean): boolean => (c[k] === undefined ? fallback : c[k] === true);
  return {
    matrixM: n('matrixM', d.matrixM),
    matrixN: n('matrixN', d.matrixN),
    matrixK: n('matrixK', d.matrixK),
    kStep: n('kStep', d.kStep),
    pad: n('pad', d.pad),
    sgRows: n('sgRows', d.sgRows),
    sgCols: n('sgCols', d.sgCols),
    mTiles: n('mTiles', d.mTiles),
    nTiles: n('nTiles', d.nTiles),
    prefetch: b('prefetch', d.prefetch),
    doubleBuffer: b('doubleBuffer', d.doubleBuffer),
  };
};
/** Layouts the coarse pass tries: subgroups (rows × columns) × matrices per subgroup, 64 to 256 wide. */
const STAGED_LAYOUTS: readonly (readonly [number, number, number, number])[] = [
  [2, 4, 4, 2], // 128×128, 8 subgroups (the default)
  [4, 2, 2, 4], // 128×128, 8 subgroups, the reference's 4×2
  [2, 2, 4, 4], // 128×128, 4 subgroups
  [2, 2, 2, 2], // 64×64, 4 subgroups
  [4, 2, 4, 4], // 256×128
  [2, 4, 4, 4], // 128×256
  [4, 4, 4, 4], // 256×256, 16 subgroups
];

export const matmulSubgroupMatrixFamily: TunableFamily = {
  name: 'matmul-subgroup-matrix',
  description:
    `staged subgroup-matrix GEMM ` +
    `(${MATMUL_VARIANTS.filter((v) => MATMUL_VARIANT_TRAITS[v].tunedBy === 'matmul-subgroup-matrix').join(', ')}): ` +
    `the matrix config (of those the adapter lists) × subgroups per workgroup and their layout × result ` +
    `matrices per subgroup (tiles to 256) × K step × row padding × register prefetch × double buffering, per ` +
    `input; only where the adapter lists subgroup matrices`,
  sources: async (load) => {
    const code = await load('matmul_subgroup_tiled');
    return [stagedSubgroupMatrixSource(code, 'f16', 32), stagedSubgroupMatrixSource(code, 'int8', 32)];
  },
  needs:
    'an adapter that lists subgroup-matrix configs (f16→f32 with shader-f16, or i8→i32) and one fixed subgroup size',
  parameters: stagedParameters,
  targets: (d) => {
    if (
      !d.info.deviceFeatures.includes('chromium-experimental-subgroup-matrix') ||
      variableSubgroupSize(d.info) !== null
    )
      return [];
    const s = squareShape(d);
    const out: TuneTarget[] = [];
    for (const input of ['f16', 'int8'] as const) {
      // The default is the adapter's built-in shape (its 16×16 config where listed); it must run here.
      const builtIn = defaultStagedFor(input, d.info);
      if (
        builtIn === null ||
        (input === 'f16' && !d.info.deviceFeatures.includes('shader-f16')) ||
        stagedShapeUnsupported(input, builtIn, s, d.info, d.limits) !== null
      )
        continue;
      out.push({
        family: 'matmul-subgroup-matrix',
        shapeClass: stagedKey(input, s),
        description: `subgroup-matrix-${input}-tiled ${s.label}`,
        problem: { M: s.M, N: s.N, K: s.K },
        defaultConfig: { ...builtIn },
      });
    }
    return out;
  },
  coarse: (t, d) => {
    const input = stagedInput(t);
    const builtIn = stagedFromConfig(t.defaultConfig, input);
    const out: TuneConfig[] = [t.defaultConfig];
    for (const [sgRows, sgCols, mTiles, nTiles] of STAGED_LAYOUTS) {
      for (const kStep of [builtIn.kStep, 2 * builtIn.kStep]) {
        for (const pipelined of [false, true])
          out.push({ ...builtIn, sgRows, sgCols, mTiles, nTiles, kStep, prefetch: pipelined, doubleBuffer: pipelined });
      }
    }
    // Every other config the adapter lists for these types, in the default layout (its K step a multiple of the
    // config's).
    const types = STAGED_INPUT[input];
    for (const m of matrixShapesFor(d.info, types.component, types.result)) {
      if (m.M === builtIn.matrixM && m.N === builtIn.matrixN && m.K === builtIn.matrixK) continue;
      out.push({ ...stagedOnMatrix(builtIn, m) });
    }
    return out;
  },
  neighbours: (c) => oneStep(c, stagedParameters),
  unsupported: (c, t, d) => {
    const input = stagedInput(t);
    return stagedShapeUnsupported(input, stagedFromConfig(c, input), shapeOf(t), d.info, d.limits);
  },
  label: (c, t) => stagedLabel(stagedFromConfig(c, stagedInput(t))),
  suite: (c, t) =>
    createMatmulSuite({
      shapes: [shapeOf(t)],
      variants: [stagedInput(t) === 'f16' ? 'subgroup-matrix-f16-tiled' : 'subgroup-matrix-int8-tiled'],
      staged: { [stagedInput(t)]: stagedFromConfig(c, stagedInput(t)) },
    }),
};

// ---- flash attention (register-blocked): threads per side × rows and keys per thread, per dtype and head dim ----
const FLASH_THREADS_X = [8, 16, 32];
const FLASH_THREADS_Y = [4, 8, 16, 32];
const FLASH_PER_THREAD = [1, 2, 4, 8];
const flashParameters: TuneParameter[] = [
  {
    name: 'threadsX',
    values: FLASH_THREADS_X,
    limitedBy:
      'maxComputeWorkgroupSizeX, maxComputeInvocationsPerWorkgroup, divides the head dim (each thread owns ' +
      'head dim ÷ threadsX output dims)',
  },
  {
    name: 'threadsY',
    values: FLASH_THREADS_Y,
    limitedBy: 'maxComputeWorkgroupSizeY, maxComputeInvocationsPerWorkgroup',
  },
  {
    name: 'rowsPerThread',
    values: FLASH_PER_THREAD,
    limitedBy:
      'registers (scores rows × keys and output rows × dims per thread); the query block is threadsY·rowsPerThread',
  },
  {
    name: 'keysPerThread',
    values: FLASH_PER_THREAD,
    limitedBy:
      'registers; the key block threadsX·keysPerThread is a multiple of 16 and sets the P block in ' +
      'maxComputeWorkgroupStorageSize',
  },
];
export const flashTileFromConfig = (c: TuneConfig): FlashTile => ({
  threadsX: num(c, 'threadsX'),
  threadsY: num(c, 'threadsY'),
  rowsPerThread: num(c, 'rowsPerThread'),
  keysPerThread: num(c, 'keysPerThread'),
});
const flashConfig = (t: FlashTile): TuneConfig => ({ ...t });
const flashDtype = (t: TuneTarget): AttentionDtype => (t.problem['f16'] === 1 ? 'f16' : 'f32');

type PrefillShape = ReturnType<typeof planAttentionShapes>['prefill'][number];
const prefillLabel = (s: PrefillShape): string => `B${s.B} H${s.H}/${s.Hkv} T${s.T} d${s.headDim} causal`;
const prefillProblem = (s: PrefillShape): Record<string, number> => ({
  B: s.B,
  H: s.H,
  Hkv: s.Hkv,
  T: s.T,
  S: s.S,
  headDim: s.headDim,
});
/** One target per head dim of the run's prefill shapes (the first shape of each). */
function prefillTargets(d: TuneDevice, target: (s: PrefillShape) => TuneTarget): TuneTarget[] {
  const out: TuneTarget[] = [];
  for (const s of planAttentionShapes(d.info.adapterClass === 'cpu', d.quick).prefill) {
    if (!out.some((t) => t.shapeClass === flashTileKey(s.headDim))) out.push(target(s));
  }
  return out;
}
/** The prefill shape a target was made from. */
const prefillShapeOf = (t: TuneTarget): Omit<AttentionShape, 'causal'> => {
  const p = t.problem;
  return {
    B: p['B'] ?? 0,
    H: p['H'] ?? 0,
    Hkv: p['Hkv'] ?? 0,
    T: p['T'] ?? 0,
    S: p['S'] ?? 0,
    headDim: (p['headDim'] ?? 64) as 64 | 128,
  };
};

export const attentionFamily: TunableFamily = {
  name: 'attention',
  description:
    'register-blocked flash attention prefill (flash-tiled, causal; f16 inputs where the adapter has them, ' +
    'the block serves f32 too), per head dim: threads across keys × across query rows, query rows and keys ' +
    'per thread (query block × key block)',
  sources: (load) =>
    Promise.all(
      (['f32', 'f16'] as const).map((dtype) => attentionSource(load, 'flash-tiled', dtype, 128, DEFAULT_FLASH_TILE)),
    ),
  parameters: flashParameters,
  targets: (d) => {
    // Tuned on f16 inputs where the adapter has them (what LLM prefill runs), else f32; the block serves both.
    const dtype: AttentionDtype = d.info.deviceFeatures.includes('shader-f16') ? 'f16' : 'f32';
    return prefillTargets(d, (s) => ({
      family: 'attention',
      shapeClass: flashTileKey(s.headDim),
      description: `flash-tiled ${dtype} ${prefillLabel(s)}`,
      problem: { ...prefillProblem(s), f16: dtype === 'f16' ? 1 : 0 },
      defaultConfig: flashConfig(defaultFlashTile(d.info)),
    }));
  },
  coarse: (t) => {
    const out: TuneConfig[] = [t.defaultConfig];
    for (const [threadsX, threadsY] of [
      [16, 16],
      [16, 8],
      [8, 16],
      [32, 8],
    ] as const) {
      for (const rowsPerThread of [2, 4, 8])
        for (const keysPerThread of [2, 4]) out.push({ threadsX, threadsY, rowsPerThread, keysPerThread });
    }
    return out;
  },
  neighbours: (c) => oneStep(c, flashParameters),
  unsupported: (c, t, d) => flashTileUnsupported(flashTileFromConfig(c), t.problem['headDim'] ?? 0, d.limits),
  label: (c) => flashTileLabel(flashTileFromConfig(c)),
  suite: (c, t) =>
    createAttentionSuite({
      prefill: [prefillShapeOf(t)],
      kinds: ['flash-tiled'],
      dtypes: [flashDtype(t)],
      causal: [true],
      flashTile: flashTileFromConfig(c),
    }),
};

// ---- flash attention on subgroup matrices (staged): subgroups per workgroup, K/V row padding, prefetch; per head dim
// ----
const SGMAT_SUBGROUPS = [1, 2, 4, 8, 16];
const sgmatAttentionParameters: TuneParameter[] = [
  {
    name: 'subgroups',
    values: SGMAT_SUBGROUPS,
    limitedBy:
      'maxComputeInvocationsPerWorkgroup (subgroups × subgroup size), maxComputeWorkgroupStorageSize ' +
      '(scores and probabilities per subgroup), divides T in blocks of 16 rows',
  },
  { name: 'kvPad', values: [0, 8, 16], limitedBy: '16-byte row alignment (8 f16), maxComputeWorkgroupStorageSize' },
  {
    name: 'prefetch',
    values: [false, true],
    limitedBy: 'registers: each thread holds its words of the next K and V block',
  },
];
export const sgmatStagedFromConfig = (c: TuneConfig): SgmatStagedShape => ({
  subgroups: c['subgroups'] === undefined ? DEFAULT_SGMAT_STAGED.subgroups : num(c, 'subgroups'),
  kvPad: c['kvPad'] === undefined ? DEFAULT_SGMAT_STAGED.kvPad : num(c, 'kvPad'),
  prefetch: c['prefetch'] === undefined ? DEFAULT_SGMAT_STAGED.prefetch : c['prefetch'] === true,
});

export const attentionSubgroupMatrixFamily: TunableFamily = {
  name: 'attention-subgroup-matrix',
  description:
    'flash attention prefill on subgroup matrices, staged (flash-subgroup-matrix-staged, f16, causal), per ' +
    'head dim: subgroups per workgroup (16 query rows each, sharing every K and V block) × K/V row padding ' +
    '× prefetch of the next block; only where the adapter lists subgroup matrices',
  sources: async (load) => [sgmatAttentionSource(await load('attention_subgroup_f16'), 128, DEFAULT_SGMAT_STAGED)],
  needs: 'an adapter that lists the f16→f32 16×16×16 subgroup-matrix config, shader-f16 and one fixed subgroup size',
  parameters: sgmatAttentionParameters,
  targets: (d) => {
    if (
      !d.info.deviceFeatures.includes('chromium-experimental-subgroup-matrix') ||
      !d.info.deviceFeatures.includes('shader-f16') ||
      variableSubgroupSize(d.info) !== null ||
      !hasMatrixConfig(d.info, 'f16', 'f32', 16)
    )
      return [];
    return prefillTargets(d, (s) => ({
      family: 'attention-subgroup-matrix',
      shapeClass: flashTileKey(s.headDim),
      description: `flash-subgroup-matrix-staged f16 ${prefillLabel(s)}`,
      problem: prefillProblem(s),
      defaultConfig: { ...DEFAULT_SGMAT_STAGED },
    }));
  },
  // A small space (30 points): the coarse pass is most of it.
  coarse: (t) => [
    t.defaultConfig,
    ...SGMAT_SUBGROUPS.flatMap((subgroups) =>
      [0, 8].flatMap((kvPad) => [false, true].map((prefetch) => ({ subgroups, kvPad, prefetch }))),
    ),
  ],
  neighbours: (c) => oneStep(c, sgmatAttentionParameters),
  unsupported: (c, t, d) =>
    sgmatStagedUnsupported(sgmatStagedFromConfig(c), prefillShapeOf(t), d.info.subgroupMaxSize ?? 0, d.limits),
  label: (c) => sgmatStagedLabel(sgmatStagedFromConfig(c)),
  suite: (c, t) =>
    createAttentionSuite({
      prefill: [prefillShapeOf(t)],
      kinds: ['flash-subgroup-matrix-staged'],
      dtypes: ['f16'],
      causal: [true],
      sgmatStaged: sgmatStagedFromConfig(c),
    }),
};

export const TUNABLE_FAMILIES: readonly TunableFamily[] = [
  memcopyFamily,
  matmulTiledFamily,
  gemvFamily,
  matmulSubgroupMatrixFamily,
  attentionFamily,
  attentionSubgroupMatrixFamily,
];

export class UnknownFamilyError extends Error {}

/** Parses "a,b" into families; an unknown name is an error listing the known ones. */
export function familyByName(list: string): TunableFamily[] {
  const names = [
    ...new Set(
      list
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ];
  if (names.length === 0)
    throw new UnknownFamilyError(`no family named; tunable: ${TUNABLE_FAMILIES.map((f) => f.name).join(', ')}`);
  return names.map((n) => {
    const f = TUNABLE_FAMILIES.find((x) => x.name === n);
    if (f === undefined)
      throw new UnknownFamilyError(`unknown family "${n}"; tunable: ${TUNABLE_FAMILIES.map((x) => x.name).join(', ')}`);
    return f;
  });
}
