import { readChunked, type BufferPool } from '../gpu/buffers.js';
import { computePipeline } from '../gpu/pipelines.js';
import { submitPoisoned } from '../gpu/dispatch.js';
import { doublingCheck } from '../runner/doubling.js';
import type { CheckResult, PreparedCase, SuiteContext } from './types.js';

/** Independent dot4I8Packed chains per thread (kernels/peak_dot4.wgsl). */
export const DOT4_CHAINS = 8;
/** Threads replayed on the CPU: every thread on a CPU adapter, an even sample on a GPU. */
const CHECKED_THREADS = 4096;
const POISON = 0xdeadbeef;

/** dot4I8Packed: the four signed bytes of a and b multiplied pairwise and summed. */
export function dot4I8(a: number, b: number): number {
  let sum = 0;
  for (let k = 0; k < 4; k++) sum += ((a << (24 - 8 * k)) >> 24) * ((b << (24 - 8 * k)) >> 24);
  return sum;
}

/** What one thread of peak_dot4_kernel writes, replayed exactly in integers. */
export function dot4ChainResult(thread: number, b: number, seed: number, iterations: number): number {
  const x = Array.from(
    { length: DOT4_CHAINS },
    (_, chain) => (Math.imul(thread, 2654435761) ^ Math.imul(chain, 2246822519) ^ seed) >>> 0,
  );
  for (let i = 0; i < iterations; i++) {
    for (let c = 0; c < DOT4_CHAINS; c++) x[c] = ((x[c] as number) + dot4I8(x[c] as number, b)) >>> 0;
  }
  const [x0, x1, x2, x3, x4, x5, x6, x7] = x as [number, number, number, number, number, number, number, number];
  return ((((x0 ^ x1) + (x2 ^ x3)) >>> 0) ^ (((x4 ^ x5) + (x6 ^ x7)) >>> 0)) >>> 0;
}

export interface Dot4Shape {
  workgroups: number;
  iterations: number;
}

/** The int8 packed-dot chains at one shape, checked thread by thread against the CPU's replay. */
export async function prepareDot4(
  shape: Dot4Shape,
  workgroupSize: number,
  ctx: SuiteContext,
  pool: BufferPool,
): Promise<PreparedCase> {
  const { device } = ctx;
  const source = await ctx.loadKernel('peak_dot4');
  const threads = shape.workgroups * workgroupSize;
  const make = (iterations: number): Promise<GPUComputePipeline> =>
    computePipeline(device, 'peak_dot4', source, 'peak_dot4_kernel', {
      WORKGROUP_SIZE: workgroupSize,
      ITERATIONS: iterations,
    });
  const [pipeline, doubled] = [await make(shape.iterations), await make(shape.iterations * 2)];
  // A fresh packed operand each run, no byte zero, so every lane of the dot product counts.
  const b = (Math.imul(ctx.seed | 1, 0x9e3779b1) | 0x01010101) >>> 0;
  const seed = ctx.seed >>> 0;
  const params = pool.create({
    size: 16,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    label: 'dot4-params',
  });
  device.queue.writeBuffer(params, 0, new Uint32Array([b, seed, 0, 0]));
  const out = pool.create({
    size: threads * 4,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    label: 'dot4-out',
  });
  const encodeWith = (p: GPUComputePipeline) => {
    const group = device.createBindGroup({
      layout: p.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: params } },
        { binding: 1, resource: { buffer: out } },
      ],
    });
    return (pass: GPUComputePassEncoder, repeats: number): void => {
      pass.setPipeline(p);
      pass.setBindGroup(0, group);
      for (let r = 0; r < repeats; r++) pass.dispatchWorkgroups(shape.workgroups);
    };
  };
  const encode = encodeWith(pipeline);
  const check = async (): Promise<CheckResult> => {
    submitPoisoned(device, out, threads * 4, POISON, encode);
    const got = new Uint32Array(threads);
    await readChunked(device, out, threads * 4, (offset, chunk) => {
      got.set(chunk, offset / 4);
    });
    const step = Math.max(1, Math.floor(threads / CHECKED_THREADS));
    let compared = 0;
    let mismatches = 0;
    let first = '';
    for (let t = 0; t < threads; t += step) {
      compared++;
      const want = dot4ChainResult(t, b, seed, shape.iterations);
      if (got[t] !== want && mismatches++ === 0)
        first = `thread ${t}: got 0x${(got[t] ?? 0).toString(16)}, want 0x${want.toString(16)}`;
    }
    return {
      passed: mismatches === 0,
      method: 'exact-u32: each chain replayed in integers on the CPU',
      compared,
      mismatches,
      maxRelError: null,
      detail:
        mismatches === 0
          ? `${compared} of ${threads} threads (every ${step === 1 ? '' : `${step}th `}thread) match the ` +
            `CPU's replay of ${DOT4_CHAINS} chains × ${shape.iterations} steps`
          : `${mismatches} of ${compared} threads differ; first: ${first}`,
    };
  };
  return { encode, check, validateTiming: doublingCheck(shape.iterations, encode, encodeWith(doubled)) };
}

/** Threads and chain length sized for the adapter: millions of threads on a GPU, a few thousand on a CPU. */
export function dot4Shape(cpuAdapter: boolean, quick: boolean): Dot4Shape {
  return cpuAdapter
    ? { workgroups: quick ? 8 : 32, iterations: 256 }
    : { workgroups: quick ? 2048 : 8192, iterations: 1024 };
}
