import { readChunked, type BufferPool } from '../gpu/buffers.js';
import { computePipeline } from '../gpu/pipelines.js';
import { submitPoisoned } from '../gpu/dispatch.js';
import { dtypeValues, fillWgslTemplate } from '../gpu/wgslTemplate.js';
import { doublingCheck } from '../runner/doubling.js';
import { DOT4_CHAINS, dot4Shape, prepareDot4 } from './peakDot4.js';
import {
  MATRIX_CHAINS,
  matrixConfigs,
  matrixIterations,
  matrixPeakUnit,
  matrixWorkgroups,
  prepareMatrixPeak,
  resultBytes,
  type MatrixConfig,
  type MatrixSourceTransform,
} from './peakSubgroupMatrix.js';
import {
  defineSuite,
  needsFeature,
  needsFixedSubgroupSize,
  needsSubgroupMatrices,
  params,
  type PlanContext,
} from './declare.js';
import type { CheckResult, PreparedCase, Suite, SuiteContext } from './types.js';

/** vec4 FMA chains per thread by default: 8 (32 scalar lanes). */
export const DEFAULT_FMA_CHAINS = 8;
/** The chain counts `calibrate` tries: the probe's ceiling, not its own (8 spill on lavapipe). */
export const CALIBRATION_FMA_CHAINS: readonly number[] = [1, 2, 4, 8];
const POISON = 0xdeadbeef;

export type PeakDtype = 'f32' | 'f16';

/** Relative error bounds of the check, per dtype. */
export const PEAK_TOLERANCE: Record<PeakDtype, number> = { f32: 1e-4, f16: 1e-2 };

/** kernels/peak.wgsl at a dtype and a number of vec4 chains: f16 enables the extension. */
export function peakSource(template: string, dtype: PeakDtype, chains = DEFAULT_FMA_CHAINS): string {
  if (!Number.isInteger(chains) || chains < 1 || chains > 16)
    throw new Error(`peak: ${chains} FMA chains per thread; the probe takes 1 to 16`);
  const ids = Array.from({ length: chains }, (_, i) => i);
  const start = ids.slice(1).map((i) => `  var x${i} = x0 + vec4<T>(T(${(0.04 * i).toFixed(2)}));`);
  const step = ids.map((i) => `    x${i} = fma(x${i}, a, b);`);
  // Pairs first, as the 8-chain kernel always summed them: (x0 + x1) + (x2 + x3) + …
  const pairs = ids.filter((i) => i % 2 === 0).map((i) => (i + 1 < chains ? `(x${i} + x${i + 1})` : `x${i}`));
  return fillWgslTemplate('peak.wgsl', template, {
    ...dtypeValues('T', dtype),
    CHAINS_START: start.join('\n'),
    CHAINS_STEP: step.join('\n'),
    CHAINS_SUM: pairs.join(' + '),
  });
}

interface PeakShape {
  workgroups: number;
  iterations: number;
}

/** Work sized for the adapter: millions of threads on a GPU, a few thousand on a CPU adapter. */
export function planPeakShape(cpuAdapter: boolean, quick: boolean): PeakShape {
  if (cpuAdapter) return { workgroups: quick ? 32 : 128, iterations: 256 };
  return { workgroups: quick ? 2048 : 8192, iterations: 1024 };
}

/** Fixed point of x ← x·a + b, where every chain ends after enough iterations. */
function fixedPoint(a: number, b: number): number {
  return b / (1 - a);
}

async function preparePeak(
  dtype: PeakDtype,
  chains: number,
  shape: PeakShape,
  workgroupSize: number,
  ctx: SuiteContext,
  pool: BufferPool,
): Promise<PreparedCase> {
  const { device } = ctx;
  const source = peakSource(await ctx.loadKernel('peak'), dtype, chains);
  const threads = shape.workgroups * workgroupSize;
  const pipeline = await computePipeline(device, `peak-${dtype}`, source, 'peak_kernel', {
    WORKGROUP_SIZE: workgroupSize,
    ITERATIONS: shape.iterations,
  });
  const doubled = await computePipeline(device, `peak-${dtype}`, source, 'peak_kernel', {
    WORKGROUP_SIZE: workgroupSize,
    ITERATIONS: shape.iterations * 2,
  });
  // Fresh coefficients each run: a in [0.5, 0.75), b in [0.05, 0.1); exact in f16 after rounding below.
  const rng = mulberry32(ctx.seed);
  const a = Math.round((0.5 + rng() * 0.25) * 256) / 256;
  const b = Math.round((0.05 + rng() * 0.05) * 1024) / 1024;
  const coeffs = pool.create({ size: 32, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, label: 'coeffs' });
  device.queue.writeBuffer(coeffs, 0, new Float32Array([a, a, a, a, b, b, b, b]));
  const out = pool.create({
    size: threads * 4,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    label: 'out',
  });
  const bindGroupFor = (p: GPUComputePipeline): GPUBindGroup =>
    device.createBindGroup({
      layout: p.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: coeffs } },
        { binding: 1, resource: { buffer: out } },
      ],
    });
  const bindGroup = bindGroupFor(pipeline);
  const doubledBindGroup = bindGroupFor(doubled);
  const encodeWith =
    (p: GPUComputePipeline, g: GPUBindGroup) =>
    (pass: GPUComputePassEncoder, repeats: number): void => {
      pass.setPipeline(p);
      pass.setBindGroup(0, g);
      for (let r = 0; r < repeats; r++) pass.dispatchWorkgroups(shape.workgroups);
    };
  const encode = encodeWith(pipeline, bindGroup);

  const check = async (): Promise<CheckResult> => {
    submitPoisoned(device, out, threads * 4, POISON, encode);
    const want = 4 * chains * fixedPoint(a, b);
    let mismatches = 0;
    let maxRel = 0;
    let first = '';
    await readChunked(device, out, threads * 4, (offset, chunk) => {
      const values = new Float32Array(chunk.buffer, chunk.byteOffset, chunk.length);
      for (let i = 0; i < values.length; i++) {
        const got = values[i] as number;
        const rel = Math.abs(got - want) / Math.abs(want);
        if (!(rel <= PEAK_TOLERANCE[dtype])) {
          if (mismatches++ === 0) first = `thread ${offset / 4 + i}: got ${got}, want ${want}`;
        }
        if (Number.isFinite(rel)) maxRel = Math.max(maxRel, rel);
      }
    });
    return {
      passed: mismatches === 0,
      method: `fixed point of x·a+b, relative error ≤ ${PEAK_TOLERANCE[dtype]}`,
      compared: threads,
      mismatches,
      maxRelError: maxRel,
      detail:
        mismatches === 0
          ? `all ${threads} threads within ${PEAK_TOLERANCE[dtype]} (max ${maxRel.toExponential(2)})`
          : `${mismatches} of ${threads} threads off; first: ${first}`,
    };
  };

  return {
    encode,
    check,
    validateTiming: doublingCheck(shape.iterations, encode, encodeWith(doubled, doubledBindGroup)),
  };
}

/** Small seeded PRNG for the coefficients. */
function mulberry32(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PeakOptions {
  /** Rewrites each filled-in matrix-peak kernel before it compiles (tests: the emulation). */
  transformMatrixSource?: MatrixSourceTransform;
  /**
   * The FMA probe's shapes, in vec4 chains per thread (default: the one DEFAULT_FMA_CHAINS).
   * `calibrate` runs CALIBRATION_FMA_CHAINS and keeps the best; other shapes than the default get
   * `/chains=N` in their id and key.
   */
  fmaChains?: readonly number[];
  /**
   * The dot4I8Packed probe's shapes, in chains per thread (default DOT4_CHAINS; `calibrate` runs
   * CALIBRATION_DOT4_CHAINS); other shapes than the default get `/chains=N` in their id and key.
   */
  dot4Chains?: readonly number[];
}

type FmaRow = { probe: 'fma'; dtype: PeakDtype; chains: number };
type Dot4Row = { probe: 'dot4'; dtype: 'i8x4'; chains: number };
/** One matrix config the adapter lists; `probe: 'matrix-units'` stands for all of them where it lists none. */
type MatrixRow = {
  probe: 'matrix';
  componentType: MatrixConfig['componentType'];
  resultComponentType: MatrixConfig['resultComponentType'];
  M: number;
  N: number;
  K: number;
};
type NoMatrixRow = { probe: 'matrix-units' };
type PeakRow = FmaRow | Dot4Row | MatrixRow | NoMatrixRow;

const workgroupSizeOf = (ctx: PlanContext): number =>
  Math.min(256, ctx.info.limits['maxComputeInvocationsPerWorkgroup'] ?? 256);
const cpuOf = (ctx: PlanContext): boolean => ctx.info.adapterClass === 'cpu';
const hasMatrixUnits = (ctx: PlanContext): boolean =>
  ctx.info.deviceFeatures.includes('chromium-experimental-subgroup-matrix') &&
  matrixConfigs(ctx.info.subgroupMatrixConfigs).length > 0;

/** The probes: FMA per dtype and shape, dot4, one matrix probe per listed config (or one row saying none). */
function peakRows(ctx: PlanContext, fmaChains: readonly number[], dot4Chains: readonly number[]): PeakRow[] {
  const matrix: PeakRow[] = hasMatrixUnits(ctx)
    ? matrixConfigs(ctx.info.subgroupMatrixConfigs).map((c) => ({ probe: 'matrix', ...c }))
    : [{ probe: 'matrix-units' }];
  const fma = (['f32', 'f16'] as const).flatMap((dtype) =>
    fmaChains.map((chains): PeakRow => ({ probe: 'fma', dtype, chains })),
  );
  const dot4 = dot4Chains.map((chains): PeakRow => ({ probe: 'dot4', dtype: 'i8x4', chains }));
  return [...fma, ...dot4, ...matrix];
}

function peakId(row: PeakRow): string {
  switch (row.probe) {
    case 'fma':
      return `peak/fma-${row.dtype}${row.chains === DEFAULT_FMA_CHAINS ? '' : `/chains=${row.chains}`}`;
    case 'dot4':
      return `peak/dot4-i8${row.chains === DOT4_CHAINS ? '' : `/chains=${row.chains}`}`;
    case 'matrix-units':
      return 'peak/matrix';
    case 'matrix':
      return `peak/matrix-${row.componentType}-${row.resultComponentType}-${row.M}x${row.N}x${row.K}`;
  }
}

const configOf = (row: MatrixRow): MatrixConfig => ({
  componentType: row.componentType,
  resultComponentType: row.resultComponentType,
  M: row.M,
  N: row.N,
  K: row.K,
});

const matrixLabel = (c: MatrixConfig): string => `${c.componentType}→${c.resultComponentType} ${c.M}×${c.N}×${c.K}`;

export function createPeakSuite(options: PeakOptions = {}): Suite {
  const transform = options.transformMatrixSource ?? ((source: string) => source);
  return defineSuite({
    name: 'peak',
    selectedByDefault: true,
    description:
      'ALU peak: register-only chains of FMA in f32 and f16 (when shader-f16 is there) of dot4I8Packed, ' +
      'and of subgroupMatrixMultiplyAccumulate for every matrix config the adapter lists',
    params: params().expandWith((_row, ctx) =>
      peakRows(ctx, options.fmaChains ?? [DEFAULT_FMA_CHAINS], options.dot4Chains ?? [DOT4_CHAINS]),
    ),
    requires: (row) => {
      switch (row.probe) {
        case 'fma':
          return row.dtype === 'f16' ? [needsFeature('shader-f16')] : [];
        case 'dot4':
          return [];
        case 'matrix-units':
          return [needsSubgroupMatrices()];
        case 'matrix': {
          const f16 = row.componentType === 'f16' || row.resultComponentType === 'f16';
          return [...(f16 ? [needsFeature('shader-f16')] : []), needsFixedSubgroupSize()];
        }
      }
    },
    id: (row) => peakId(row),
    // A peak probe's key is its id: the work per thread is fixed, only the thread count follows the device.
    key: (row) => peakId(row),
    title: (row) => {
      switch (row.probe) {
        case 'fma':
          return `FMA ${row.dtype}${row.chains === DEFAULT_FMA_CHAINS ? '' : ` ×${row.chains} chains`}`;
        case 'dot4':
          return `dot4I8Packed chains${row.chains === DOT4_CHAINS ? '' : ` ×${row.chains}`}`;
        case 'matrix-units':
          return 'subgroup-matrix chains';
        case 'matrix':
          return `matrix chains ${matrixLabel(row)}`;
      }
    },
    record: (row, ctx) => {
      const workgroupSize = workgroupSizeOf(ctx);
      switch (row.probe) {
        case 'fma': {
          const shape = planPeakShape(cpuOf(ctx), ctx.quick);
          return {
            dtype: row.dtype,
            workgroups: shape.workgroups,
            workgroupSize,
            iterations: shape.iterations,
            chainsPerThread: 4 * row.chains,
            vec4Chains: row.chains,
          };
        }
        case 'dot4': {
          const shape = dot4Shape(cpuOf(ctx), ctx.quick);
          return {
            dtype: 'i8x4',
            workgroups: shape.workgroups,
            workgroupSize,
            iterations: shape.iterations,
            chainsPerThread: row.chains,
            dot4Chains: row.chains,
          };
        }
        case 'matrix-units':
          return { dtype: 'matrix' };
        case 'matrix': {
          const c = configOf(row);
          return {
            dtype: `matrix-${c.componentType}`,
            ...c,
            workgroups: matrixWorkgroups(cpuOf(ctx), ctx.quick),
            iterations: matrixIterations(c, cpuOf(ctx)),
            chainsPerSubgroup: MATRIX_CHAINS,
          };
        }
      }
    },
    work: (row, ctx) => {
      const workgroupSize = workgroupSizeOf(ctx);
      // Only the per-thread results leave the chip: every probe is compute-bound by construction.
      switch (row.probe) {
        case 'fma': {
          const shape = planPeakShape(cpuOf(ctx), ctx.quick);
          const threads = shape.workgroups * workgroupSize;
          return {
            bytesPerDispatch: threads * 4 + 32,
            bytesCounted: 'min-dram',
            compute: {
              flopsPerDispatch: 2 * 4 * row.chains * shape.iterations * threads,
              unit: row.dtype === 'f32' ? 'fp32' : 'fp16',
              formula: `2 · ${4 * row.chains} lanes · iterations · threads`,
            },
          };
        }
        case 'dot4': {
          const shape = dot4Shape(cpuOf(ctx), ctx.quick);
          const threads = shape.workgroups * workgroupSize;
          return {
            bytesPerDispatch: threads * 4 + 16,
            bytesCounted: 'min-dram',
            compute: {
              flopsPerDispatch: 8 * row.chains * shape.iterations * threads,
              unit: 'int8Dot4',
              formula: `8 ops per dot4I8Packed · ${row.chains} chains · iterations · threads`,
            },
          };
        }
        case 'matrix-units':
          return { bytesPerDispatch: 0, bytesCounted: 'min-dram' };
        case 'matrix': {
          const workgroups = matrixWorkgroups(cpuOf(ctx), ctx.quick);
          const iterations = matrixIterations(row, cpuOf(ctx));
          return {
            bytesPerDispatch: workgroups * MATRIX_CHAINS * row.M * row.N * resultBytes(row),
            bytesCounted: 'min-dram',
            compute: {
              flopsPerDispatch: 2 * row.M * row.N * row.K * MATRIX_CHAINS * iterations * workgroups,
              unit: matrixPeakUnit(row),
              formula: '2·M·N·K per multiply-accumulate · 4 chains · iterations · subgroups',
            },
          };
        }
      }
    },
    timing: 'gpu-pass',
    prepare: (row, c, pool) => {
      const cpu = cpuOf(c);
      switch (row.probe) {
        case 'fma':
          return preparePeak(row.dtype, row.chains, planPeakShape(cpu, c.quick), workgroupSizeOf(c), c, pool);
        case 'dot4':
          return prepareDot4(dot4Shape(cpu, c.quick), workgroupSizeOf(c), c, pool, row.chains);
        case 'matrix-units':
          return Promise.reject(new Error('no subgroup matrices here: this case is never run'));
        case 'matrix': {
          const config = configOf(row);
          return prepareMatrixPeak(
            config,
            matrixWorkgroups(cpu, c.quick),
            matrixIterations(config, cpu),
            transform,
            c,
            pool,
          );
        }
      }
    },
  });
}

export const peakSuite: Suite = createPeakSuite();
