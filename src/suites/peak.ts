import { readChunked, type BufferPool } from '../gpu/buffers.js';
import { computePipeline } from '../gpu/pipelines.js';
import { submitPoisoned } from '../gpu/dispatch.js';
import { dtypeValues, fillWgslTemplate } from '../gpu/wgslTemplate.js';
import { doublingCheck } from '../runner/doubling.js';
import { dot4PeakPlan } from './peakDot4.js';
import { matrixPeakPlans, type MatrixSourceTransform } from './peakSubgroupMatrix.js';
import type { PeakUnit } from '../probe/peaks.js';
import type { CasePlan, CheckResult, PreparedCase, Suite, SuiteContext } from './types.js';

/** FMA chains per thread: 8 vec4 accumulators. */
const LANES_PER_THREAD = 32;
const POISON = 0xdeadbeef;

export type PeakDtype = 'f32' | 'f16';

/** Relative error bounds of the check, per dtype. */
export const PEAK_TOLERANCE: Record<PeakDtype, number> = { f32: 1e-4, f16: 1e-2 };

/** kernels/peak.wgsl at a dtype: f16 enables the extension. */
export function peakSource(template: string, dtype: PeakDtype): string {
  return fillWgslTemplate('peak.wgsl', template, dtypeValues('T', dtype));
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
  shape: PeakShape,
  workgroupSize: number,
  ctx: SuiteContext,
  pool: BufferPool,
): Promise<PreparedCase> {
  const { device } = ctx;
  const source = peakSource(await ctx.loadKernel('peak'), dtype);
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
    const want = LANES_PER_THREAD * fixedPoint(a, b);
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
}

export function createPeakSuite(options: PeakOptions = {}): Suite {
  return {
    name: 'peak',
    selectedByDefault: true,
    description:
      'ALU peak: register-only chains of FMA in f32 and f16 (when shader-f16 is there) of dot4I8Packed, ' +
      'and of subgroupMatrixMultiplyAccumulate for every matrix config the adapter lists',
    plan(ctx) {
      const cpu = ctx.info.adapterClass === 'cpu';
      const shape = planPeakShape(cpu, ctx.quick);
      const workgroupSize = Math.min(256, ctx.info.limits['maxComputeInvocationsPerWorkgroup'] ?? 256);
      const threads = shape.workgroups * workgroupSize;
      const dtypes: PeakDtype[] = ['f32', 'f16'];
      const fma = dtypes.map((dtype): CasePlan => {
        const unit: PeakUnit = dtype === 'f32' ? 'fp32' : 'fp16';
        const flops = 2 * LANES_PER_THREAD * shape.iterations * threads;
        const plan: CasePlan = {
          id: `peak/fma-${dtype}`,
          name: `FMA ${dtype}`,
          params: {
            dtype,
            workgroups: shape.workgroups,
            workgroupSize,
            iterations: shape.iterations,
            chainsPerThread: LANES_PER_THREAD,
          },
          // Only the per-thread result leaves the chip: the kernel is compute-bound by construction.
          bytesPerDispatch: threads * 4 + 32,
          bytesCounted: 'min-dram',
          work: { flopsPerDispatch: flops, unit, formula: '2 · 32 lanes · iterations · threads' },
          prepare: (c, pool) => preparePeak(dtype, shape, workgroupSize, c, pool),
        };
        if (dtype === 'f16' && !ctx.device.features.has('shader-f16'))
          plan.skipReason = 'the device has no shader-f16 feature';
        return plan;
      });
      return [
        ...fma,
        dot4PeakPlan(cpu, ctx.quick, workgroupSize),
        ...matrixPeakPlans(ctx, options.transformMatrixSource),
      ];
    },
  };
}

export const peakSuite: Suite = createPeakSuite();
