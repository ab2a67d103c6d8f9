import type { BufferPool } from '../../gpu/buffers.js';
import { planGemv } from '../../gpu/gemvPlan.js';
import { computePipeline } from '../../gpu/pipelines.js';
import { dtypeValues, fillWgslTemplate } from '../../gpu/wgslTemplate.js';
import type { SuiteContext } from '../types.js';
import { blockMask } from './operands.js';
import { stagedSubgroupMatrixSource, stagedTile, SUBGROUP_BLOCK, tileSource, type ResolvedShape } from './shapes.js';
import { MATMUL_VARIANT_TRAITS, type MatmulShape, type MatmulVariant } from './variants.js';

/**
 * What one dispatch of a case needs, and the second dispatch some variants follow it with (the GEMV's split-K reduce).
 */
export interface MatmulLaunch {
  pipeline: GPUComputePipeline;
  entries: GPUBindGroupEntry[];
  groups: [number, number];
  followUp: { pipeline: GPUComputePipeline; bindGroup: GPUBindGroup; groups: [number, number] } | null;
}

/** What a variant's launch is built from: the case's buffers (A, B, C, the dims uniform) and its resolved shape. */
export interface LaunchInputs {
  variant: MatmulVariant;
  s: MatmulShape;
  ctx: SuiteContext;
  pool: BufferPool;
  shape: ResolvedShape;
  bufA: GPUBuffer;
  bufB: GPUBuffer;
  bufC: GPUBuffer;
  dims: GPUBuffer;
  upload: (data: ArrayBufferView, label: string) => GPUBuffer;
}

type LaunchBuilder = (x: LaunchInputs) => Promise<MatmulLaunch>;

/**
 * A kernel's source with the case's rewrite applied (tests plant a wrong kernel or emulate matrix units through it).
 */
async function loadSource(x: LaunchInputs, kernel: string, fill: (code: string) => string = (c) => c): Promise<string> {
  const code = fill(await x.ctx.loadKernel(kernel));
  return x.shape.transformSource === undefined ? code : x.shape.transformSource(kernel, code);
}

const dimsEntry = (x: LaunchInputs): GPUBindGroupEntry => ({ binding: 3, resource: { buffer: x.dims } });
const abcEntries = (x: LaunchInputs): GPUBindGroupEntry[] => [
  dimsEntry(x),
  { binding: 0, resource: { buffer: x.bufA } },
  { binding: 1, resource: { buffer: x.bufB } },
  { binding: 2, resource: { buffer: x.bufC } },
];
/** One thread per element of C: a 16×16 workgroup, or 256 wide for a single row. */
const naiveWorkgroup = (s: MatmulShape): { WG_X: number; WG_Y: number } =>
  s.M === 1 ? { WG_X: 256, WG_Y: 1 } : { WG_X: 16, WG_Y: 16 };

/** kernels/matmul.wgsl with the case's tile, and f16 inputs where the variant reads them. */
function matmulSource(x: LaunchInputs): Promise<string> {
  const f16 = MATMUL_VARIANT_TRAITS[x.variant].input === 'f16';
  return loadSource(x, 'matmul').then((code) => tileSource(code, x.shape.tile, f16 ? 'f16' : 'f32'));
}

const naive: LaunchBuilder = async (x) => {
  const wg = naiveWorkgroup(x.s);
  const pipeline = await computePipeline(x.ctx.device, 'matmul', await matmulSource(x), 'naive_kernel', wg);
  return {
    pipeline,
    entries: abcEntries(x),
    groups: [Math.ceil(x.s.N / wg.WG_X), Math.ceil(x.s.M / wg.WG_Y)],
    followUp: null,
  };
};

const tiled: LaunchBuilder = async (x) => {
  const { tile } = x.shape;
  const sparse = x.variant === 'block-sparse-f32';
  const pipeline = await computePipeline(
    x.ctx.device,
    'matmul',
    await matmulSource(x),
    sparse ? 'block_sparse_kernel' : tile.prefetch === true ? 'tiled_prefetch_kernel' : 'tiled_kernel',
  );
  const entries: GPUBindGroupEntry[] = [
    dimsEntry(x),
    { binding: 4, resource: { buffer: x.bufA } },
    { binding: 5, resource: { buffer: x.bufB } },
    { binding: 6, resource: { buffer: x.bufC } },
  ];
  // The dense kernel shares the body and so the binding (the pipelined one has none).
  if (sparse || tile.prefetch !== true) {
    const mask = sparse
      ? blockMask(x.s.M, x.s.K, x.ctx.seed, tile)
      : new Uint32Array((x.s.M / tile.M) * (x.s.K / tile.K)).fill(1);
    entries.push({ binding: 7, resource: { buffer: x.upload(mask, 'mask') } });
  }
  return { pipeline, entries, groups: [x.s.N / tile.N, x.s.M / tile.M], followUp: null };
};

const dot4: LaunchBuilder = async (x) => {
  const wg = naiveWorkgroup(x.s);
  const pipeline = await computePipeline(
    x.ctx.device,
    'matmul_int8',
    await x.ctx.loadKernel('matmul_int8'),
    'dot4_kernel',
    wg,
  );
  return {
    pipeline,
    entries: abcEntries(x),
    groups: [Math.ceil(x.s.N / wg.WG_X), Math.ceil(x.s.M / wg.WG_Y)],
    followUp: null,
  };
};

const gemv: LaunchBuilder = async (x) => {
  const { device } = x.ctx;
  const { M, N, K } = x.s;
  const launch = planGemv(M, K, N, x.shape.gemvTargetWorkgroups, false, x.shape.gemvColumns4);
  const source = await loadSource(x, 'gemv');
  const code = fillWgslTemplate('gemv.wgsl', source, dtypeValues('W', x.variant === 'gemv-f16' ? 'f16' : 'f32'));
  const params = x.pool.create({
    size: 32,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    label: 'gemv-params',
  });
  device.queue.writeBuffer(params, 0, new Uint32Array([M, K, N, 0, launch.splits, 0, 0, 0]));
  const partials = x.pool.create({
    size: Math.max(16, launch.partialBytes),
    usage: GPUBufferUsage.STORAGE,
    label: 'gemv-partials',
  });
  const pipeline = await computePipeline(device, 'gemv', code, 'gemv_kernel', { COLS4: x.shape.gemvColumns4 });
  // Binding 5 (RMSNorm weights) is unused with flags 0; any buffer fills it.
  const entries: GPUBindGroupEntry[] = [
    { binding: 0, resource: { buffer: params } },
    { binding: 1, resource: { buffer: x.bufA } },
    { binding: 2, resource: { buffer: x.bufB } },
    { binding: 3, resource: { buffer: x.bufC } },
    { binding: 4, resource: { buffer: partials } },
    { binding: 5, resource: { buffer: x.bufA } },
  ];
  if (launch.splits <= 1) return { pipeline, entries, groups: launch.groups, followUp: null };
  const reduce = await computePipeline(device, 'gemv', code, 'gemv_reduce');
  const bindGroup = device.createBindGroup({
    layout: reduce.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: params } },
      { binding: 3, resource: { buffer: x.bufC } },
      { binding: 4, resource: { buffer: partials } },
    ],
  });
  return {
    pipeline,
    entries,
    groups: launch.groups,
    followUp: { pipeline: reduce, bindGroup, groups: [Math.ceil((M * N) / 4 / 256), 1] },
  };
};

const staged =
  (input: 'f16' | 'int8'): LaunchBuilder =>
  async (x) => {
    const shape = x.shape.staged[input];
    const source = await loadSource(x, 'matmul_subgroup_tiled', (template) =>
      stagedSubgroupMatrixSource(template, input, x.ctx.info.subgroupMaxSize ?? 32, shape),
    );
    const pipeline = await computePipeline(
      x.ctx.device,
      `matmul_subgroup_tiled_${input}`,
      source,
      input === 'f16' ? 'sgmat_f16_tiled_kernel' : 'sgmat_i8_tiled_kernel',
    );
    const tile = stagedTile(shape);
    return {
      pipeline,
      entries: [
        dimsEntry(x),
        { binding: 2, resource: { buffer: x.bufC } },
        { binding: 4, resource: { buffer: x.bufA } },
        { binding: 5, resource: { buffer: x.bufB } },
      ],
      groups: [x.s.N / tile.N, x.s.M / tile.M],
      followUp: null,
    };
  };

const direct =
  (kernel: 'matmul_subgroup_f16' | 'matmul_subgroup_i8', entry: string): LaunchBuilder =>
  async (x) => {
    const pipeline = await computePipeline(x.ctx.device, kernel, await x.ctx.loadKernel(kernel), entry, {
      SUBGROUP_SIZE: x.ctx.info.subgroupMaxSize ?? 32,
    });
    return {
      pipeline,
      entries: abcEntries(x),
      groups: [x.s.N / SUBGROUP_BLOCK, x.s.M / SUBGROUP_BLOCK],
      followUp: null,
    };
  };

/** Each variant's launch: its kernel, entry point, bindings and grid. */
export const MATMUL_LAUNCHES: Readonly<Record<MatmulVariant, LaunchBuilder>> = {
  'naive-f32': naive,
  'tiled-f32': tiled,
  'tiled-f16': tiled,
  'block-sparse-f32': tiled,
  'dot4-int8': dot4,
  'gemv-f32': gemv,
  'gemv-f16': gemv,
  'subgroup-matrix-f16-tiled': staged('f16'),
  'subgroup-matrix-int8-tiled': staged('int8'),
  'subgroup-matrix-f16': direct('matmul_subgroup_f16', 'sgmat_f16_kernel'),
  'subgroup-matrix-int8': direct('matmul_subgroup_i8', 'sgmat_i8_kernel'),
};
