import type { BufferPool } from '../gpu/buffers.js';
import { defaultGemvShape, gemvColumnsUnsupported, gemvUnsupported, planGemv } from '../gpu/gemvPlan.js';
import { hasMatrixConfig } from '../gpu/subgroupMatrix.js';
import type { CaseResult } from '../results/schema.js';
import { checkMatmul, type QuantizationError } from './matmul/check.js';
import { MATMUL_LAUNCHES } from './matmul/launches.js';
import { packOperands } from './matmul/operands.js';
import {
  DEFAULT_STAGED,
  DEFAULT_TILE,
  defaultStagedFor,
  shapeKey,
  stagedKey,
  stagedLabel,
  stagedShapeUnsupported,
  stagedTile,
  SUBGROUP_BLOCK,
  tileLabel,
  tileUnsupported,
  type GemvShape,
  type MatmulTile,
  type ResolvedShape,
  type StagedShape,
} from './matmul/shapes.js';
import {
  MATMUL_VARIANT_TRAITS,
  SPARSE_ZERO_FRACTION,
  type MatmulShape,
  type MatmulVariant,
} from './matmul/variants.js';
import type { CheckResult, PreparedCase, Suite, SuiteContext } from './types.js';
import {
  defineSuite,
  needsFeature,
  needsRule,
  params,
  resolveSetting,
  limitsOf,
  type DeclaredSuite,
  type PlanContext,
  type Requirement,
  type SettingSource,
} from './declare.js';
import { matmulKey, matmulShapeClass } from '../results/caseKey.js';

// The suite's parts live beside it, one job per module: variants.ts (what each variant is),
// shapes.ts (its launch shapes), operands.ts (its inputs), launches.ts (its kernel and grid),
// check.ts (the reference check). This module plans the cases and puts them together.
export {
  DEFAULT_STAGED,
  DEFAULT_TILE,
  defaultStagedFor,
  shapeKey,
  STAGED_INPUT,
  STAGED_MAX_TILES_PER_SUBGROUP,
  stagedOnMatrix,
  stagedShapeUnsupported,
  stagedKey,
  stagedLabel,
  stagedSubgroupMatrixSource,
  stagedTile,
  stagedUnsupported,
  stagedWorkgroupBytes,
  tileLabel,
  tileSource,
  tileUnsupported,
  type GemvShape,
  type MatmulTile,
  type StagedShape,
} from './matmul/shapes.js';
export {
  MATMUL_TOLERANCE,
  MATMUL_VARIANT_TRAITS,
  SPARSE_ZERO_FRACTION,
  type MatmulShape,
  type MatmulVariant,
  type MatmulVariantTraits,
} from './matmul/variants.js';

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

/** What a staged case records of the shape it ran. */
function stagedParams(t: StagedShape, source: ShapeSource): Record<string, string | number | boolean> {
  const tile = stagedTile(t);
  return {
    staged: stagedLabel(t),
    matrixM: t.matrixM,
    matrixN: t.matrixN,
    matrixK: t.matrixK,
    tileM: tile.M,
    tileN: tile.N,
    kStep: t.kStep,
    pad: t.pad,
    subgroups: t.sgRows * t.sgCols,
    sgRows: t.sgRows,
    sgCols: t.sgCols,
    mTiles: t.mTiles,
    nTiles: t.nTiles,
    prefetch: t.prefetch,
    doubleBuffer: t.doubleBuffer,
    source,
  };
}

/** Why a variant cannot run on this device or shape; null when it can. */
/**
 * Why no device could run this variant at this shape (a GEMV kernel on a square matrix, a tile on a
 * GEMV's single row, a subgroup-matrix block on rows it does not divide); null when some device can.
 * Such a pair is not planned at all, so a run's skipped rows are only what its adapter lacks.
 */
export function matmulShapeRule(variant: MatmulVariant, s: MatmulShape): string | null {
  const traits = VARIANTS[variant];
  if (isGemv(variant)) return gemvUnsupported(s.M, s.K, s.N);
  if (usesTile(variant) && matmulShapeClass(s.M, s.N, s.K) === 'gemv')
    return `a ${s.M}-row GEMV fills no tile: the split-K GEMV kernels are its case`;
  if (
    traits.matrixConfig !== null &&
    !traits.staged &&
    (s.M % SUBGROUP_BLOCK !== 0 || s.N % SUBGROUP_BLOCK !== 0 || s.K % 32 !== 0)
  ) {
    return `needs M and N multiples of ${SUBGROUP_BLOCK} and K of 32 (got ${s.M}×${s.N}×${s.K})`;
  }
  return null;
}

/**
 * What a variant at a shape and launch needs from this adapter: its features (shader-f16, subgroup
 * matrices) and the rules of its launch (a matrix config it names, a tile within the limits that
 * divides the shape, operands that fit a binding). Unmet, the case is skipped with the reason.
 */
export function matmulRequirements(
  variant: MatmulVariant,
  s: MatmulShape,
  launch: { tile: MatmulTile; staged: StagedShape | null; gemvColumns4: number },
): Requirement[] {
  const traits = VARIANTS[variant];
  const { tile, staged, gemvColumns4 } = launch;
  const out: Requirement[] = [
    // Planned only when named explicitly: then the shape rule is the reason it cannot run.
    needsRule(() => matmulShapeRule(variant, s) ?? (isGemv(variant) ? gemvColumnsUnsupported(gemvColumns4) : null)),
  ];
  if (traits.features.includes('shader-f16')) out.push(needsFeature('shader-f16'));
  const config = traits.matrixConfig;
  if (config !== null) {
    out.push(needsFeature('chromium-experimental-subgroup-matrix'));
    if (traits.staged) {
      // The staged kernel takes whichever config its shape names (checked there).
      const input = config.component === 'f16' ? 'f16' : 'int8';
      out.push(
        needsRule((i) =>
          stagedShapeUnsupported(
            input,
            staged ?? defaultStagedFor(input, i) ?? DEFAULT_STAGED[input],
            s,
            i,
            limitsOf(i),
          ),
        ),
      );
    } else
      out.push(
        needsRule((i) =>
          hasMatrixConfig(i, config.component, config.result, config.K)
            ? null
            : `the adapter lists no ${config.component}→${config.result} 16×16×${config.K} subgroup-matrix config`,
        ),
      );
  }
  if (usesTile(variant))
    out.push(
      needsRule((i) => tileUnsupported(tile, limitsOf(i))),
      needsRule(() =>
        s.M % tile.M !== 0 || s.N % tile.N !== 0 || s.K % tile.K !== 0
          ? `the ${tile.M}×${tile.N} tile needs M, N multiples of ${tile.M}, ${tile.N} and K of ${tile.K} (got ` +
            `${s.M}×${s.N}×${s.K})`
          : null,
      ),
    );
  if (variant === 'dot4-int8')
    out.push(needsRule(() => (s.K % 4 !== 0 ? 'K must be a multiple of 4 for packed int8' : null)));
  out.push(
    needsRule((i) => {
      const inBytes = VARIANTS[variant].input === 'f32' ? 4 : VARIANTS[variant].input === 'f16' ? 2 : 1;
      const largest = Math.max(s.M * s.K * inBytes, s.K * s.N * inBytes, s.M * s.N * 4);
      const limit = Math.min(i.limits['maxStorageBufferBindingSize'] ?? 0, i.limits['maxBufferSize'] ?? 0);
      return largest > limit
        ? `a ${largest}-byte operand exceeds the device's largest storage binding (${limit})`
        : null;
    }),
  );
  return out;
}

async function prepareMatmul(
  variant: MatmulVariant,
  s: MatmulShape,
  ctx: SuiteContext,
  pool: BufferPool,
  shape: ResolvedShape,
): Promise<PreparedCase> {
  const { device } = ctx;
  const { M, N, K } = s;
  const upload = (data: ArrayBufferView, label: string): GPUBuffer => {
    const buffer = pool.create({
      size: Math.ceil(data.byteLength / 4) * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
      label,
    });
    device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  };
  const packed = packOperands(variant, s, ctx.seed, shape.tile);
  const bufA = upload(packed.a.data, packed.a.label);
  const bufB = upload(packed.b.data, packed.b.label);
  const bufC = pool.create({
    size: M * N * 4,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    label: 'C',
  });
  const dims = pool.create({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'dims' });
  device.queue.writeBuffer(dims, 0, new Uint32Array([M, N, K, usesTile(variant) ? K / shape.tile.K : 0]));
  const { pipeline, entries, groups, followUp } = await MATMUL_LAUNCHES[variant]({
    variant,
    s,
    ctx,
    pool,
    shape,
    bufA,
    bufB,
    bufC,
    dims,
    upload,
  });
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
  let quantError: QuantizationError | null = null;
  const check = async (): Promise<CheckResult> => {
    const { result, quantizationError } = await checkMatmul(device, bufC, variant, s, packed.ops, ctx.seed, (pass) => {
      encode(pass, 1);
    });
    quantError = quantizationError;
    return result;
  };
  return { encode, check, quantizationError: () => quantError };
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
  /** vec4 columns of W per GEMV workgroup (the kernel's COLS4; default GEMV_DEFAULT_COLUMNS4). */
  gemvColumns4?: number;
  /** The tiled kernels' tile shape (default DEFAULT_TILE). */
  tile?: MatmulTile;
  /** Tiles found by `wgbench tune`, by shape key (shapeKey): used for that shape, recorded as tuned. */
  tunedTiles?: Readonly<Record<string, MatmulTile>>;
  /** GEMV launches (workgroup target and columns per workgroup) found by `wgbench tune`, by shape key. */
  tunedGemv?: Readonly<Record<string, GemvShape>>;
  /** The staged subgroup-matrix kernel's shape per input; what is left out is DEFAULT_STAGED's. */
  staged?: Partial<Readonly<Record<'f16' | 'int8', Partial<StagedShape>>>>;
  /** Staged shapes found by `wgbench tune`, by stagedKey (input and problem): used there, recorded as tuned. */
  tunedStaged?: Readonly<Record<string, StagedShape>>;
  /**
   * Rewrites a kernel's source (a template once filled) before it is compiled (tests plant a wrong kernel, or emulate
   * matrix units, through it).
   */
  transformSource?: (kernel: string, code: string) => string;
}

/** Where a case's launch shape came from: `wgbench tune`, the built-in default, or an explicit option. */
export type ShapeSource = SettingSource;

type MatmulRow = { M: number; N: number; K: number; label: string; variant: MatmulVariant };

/** A case's launch: tile, GEMV launch and staged shapes, each tuned, else explicit, else the adapter's default. */
interface MatmulLaunch {
  tile: { value: MatmulTile; source: ShapeSource };
  gemv: { value: GemvShape; source: ShapeSource };
  staged: Record<'f16' | 'int8', { value: StagedShape; source: ShapeSource }>;
}

function resolveMatmulLaunch(row: MatmulRow, ctx: PlanContext, options: MatmulOptions): MatmulLaunch {
  const key = shapeKey(row);
  const gemvBuiltIn = defaultGemvShape(ctx.info);
  const gemvExplicit =
    options.gemvTargetWorkgroups === undefined && options.gemvColumns4 === undefined
      ? undefined
      : {
          targetWorkgroups: options.gemvTargetWorkgroups ?? gemvBuiltIn.targetWorkgroups,
          columns4: options.gemvColumns4 ?? gemvBuiltIn.columns4,
        };
  // The built-in staged shape is the adapter's (its 16×16 config where listed, else its first).
  const stagedFor = (input: 'f16' | 'int8'): { value: StagedShape; source: ShapeSource } => {
    const builtIn = defaultStagedFor(input, ctx.info) ?? DEFAULT_STAGED[input];
    const explicit = options.staged?.[input];
    return resolveSetting(
      options.tunedStaged?.[stagedKey(input, row)] ?? ctx.tuned?.staged[stagedKey(input, row)],
      explicit === undefined ? undefined : { ...builtIn, ...explicit },
      () => builtIn,
    );
  };
  return {
    tile: resolveSetting(options.tunedTiles?.[key] ?? ctx.tuned?.tiles[key], options.tile, () => DEFAULT_TILE),
    gemv: resolveSetting(options.tunedGemv?.[key] ?? ctx.tuned?.gemv[key], gemvExplicit, () => gemvBuiltIn),
    staged: { f16: stagedFor('f16'), int8: stagedFor('int8') },
  };
}

const stagedInput = (variant: MatmulVariant): 'f16' | 'int8' => (VARIANTS[variant].input === 'f16' ? 'f16' : 'int8');

export function createMatmulSuite(options: MatmulOptions = {}): DeclaredSuite<MatmulRow> {
  const launchOf = (row: MatmulRow, ctx: PlanContext): MatmulLaunch => resolveMatmulLaunch(row, ctx, options);
  return defineSuite({
    name: 'matmul',
    selectedByDefault: true,
    description:
      'C = A·B: naive, tiled (128×128, 8×8 per thread), f16 and int8 inputs, subgroup matrices, ' +
      'block-sparse, split-K GEMV',
    params: params()
      .expandWith((_row, ctx) =>
        (options.shapes ?? planMatmulShapes(ctx.info.adapterClass === 'cpu', ctx.quick)).map((s) => ({
          M: s.M,
          N: s.N,
          K: s.K,
          label: s.label,
        })),
      )
      // Variants named explicitly are planned whatever the shape, so asking for one says why it cannot run;
      // otherwise a variant no device could run at this shape is not planned.
      .combine('variant', (row) => options.variants ?? MATMUL_VARIANTS.filter((v) => matmulShapeRule(v, row) === null)),
    requires: (row, ctx) => {
      const launch = launchOf(row, ctx);
      return matmulRequirements(row.variant, row, {
        tile: launch.tile.value,
        staged: VARIANTS[row.variant].staged ? launch.staged[stagedInput(row.variant)].value : null,
        gemvColumns4: launch.gemv.value.columns4,
      });
    },
    id: (row) => `matmul/${row.variant}/${row.M}x${row.N}x${row.K}`,
    key: (row) => matmulKey(row.variant, row.M, row.N, row.K),
    title: (row) => `${row.variant} ${row.label}`,
    record: (row, ctx) => {
      const { variant } = row;
      const traits = VARIANTS[variant];
      const launch = launchOf(row, ctx);
      const tile = launch.tile.value;
      const gemv = launch.gemv.value;
      const sparse = variant === 'block-sparse-f32';
      return {
        variant,
        M: row.M,
        N: row.N,
        K: row.K,
        input: traits.input,
        accumulate: traits.input === 'int8' ? 'i32' : 'f32',
        ...(sparse ? { zeroBlockFraction: SPARSE_ZERO_FRACTION } : {}),
        ...(usesTile(variant)
          ? { tile: tileLabel(tile), tileM: tile.M, tileN: tile.N, tileK: tile.K, source: launch.tile.source }
          : {}),
        ...(traits.staged
          ? stagedParams(launch.staged[stagedInput(variant)].value, launch.staged[stagedInput(variant)].source)
          : {}),
        ...(isGemv(variant) &&
        gemvUnsupported(row.M, row.K, row.N) === null &&
        gemvColumnsUnsupported(gemv.columns4) === null
          ? {
              gemvTargetWorkgroups: gemv.targetWorkgroups,
              gemvSplits: planGemv(row.M, row.K, row.N, gemv.targetWorkgroups, false, gemv.columns4).splits,
              gemvColumns: 4 * gemv.columns4,
              source: launch.gemv.source,
            }
          : {}),
      };
    },
    work: (row) => {
      const { variant } = row;
      const sparse = variant === 'block-sparse-f32';
      const kept = sparse ? 1 - SPARSE_ZERO_FRACTION : 1;
      return {
        // A GEMV's activations stay f32 whatever the weights are.
        bytesPerDispatch:
          row.M * row.K * (isGemv(variant) ? 4 : inputBytes(variant)) +
          row.K * row.N * inputBytes(variant) +
          row.M * row.N * 4,
        bytesCounted: 'min-dram',
        compute: {
          flopsPerDispatch: 2 * row.M * row.N * row.K * kept,
          unit: VARIANTS[variant].unit,
          formula: sparse ? `2·M·N·K·${kept} (zero blocks skipped)` : '2·M·N·K',
        },
      };
    },
    timing: 'gpu-pass',
    prepare: (row, c, pool) => {
      const launch = launchOf(row, c);
      const resolved: ResolvedShape = {
        tile: launch.tile.value,
        staged: { f16: launch.staged.f16.value, int8: launch.staged.int8.value },
        gemvTargetWorkgroups: launch.gemv.value.targetWorkgroups,
        gemvColumns4: launch.gemv.value.columns4,
        transformSource: options.transformSource,
      };
      return prepareMatmul(row.variant, row, c, pool, resolved);
    },
    finalize: relateMatmulCases,
  });
}

/** Fills speed-ups over the f32 baseline (quantized variants) and over the dense kernel (sparse). */
export function relateMatmulCases(cases: CaseResult[]): void {
  const find = (variant: MatmulVariant, c: CaseResult): CaseResult | undefined =>
    cases.find(
      (x) =>
        x.params['variant'] === variant &&
        x.params['M'] === c.params['M'] &&
        x.params['N'] === c.params['N'] &&
        x.params['K'] === c.params['K'] &&
        x.status === 'ok',
    );
  for (const c of cases) {
    const variant = c.params['variant'] as MatmulVariant;
    const baselineVariant = VARIANTS[variant].baseline;
    if (baselineVariant === null || c.summary === null) continue;
    const base = find(baselineVariant, c);
    const speedup = base?.summary ? base.summary.p50 / c.summary.p50 : null;
    if (variant === 'block-sparse-f32') {
      c.sparsity = {
        zeroBlockFraction: SPARSE_ZERO_FRACTION,
        blockSize: Number(c.params['tileM']) * Number(c.params['tileK']),
        speedupVsDense: speedup,
        denseCaseId: base?.id ?? null,
      };
    } else if (c.quantization) {
      c.quantization = { ...c.quantization, speedupVsF32: speedup, f32CaseId: base?.id ?? null };
    }
  }
}

export const matmulSuite: Suite = createMatmulSuite();
