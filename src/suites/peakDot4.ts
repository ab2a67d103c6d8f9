import { readChunked, type BufferPool } from '../gpu/buffers.js';
import { computePipeline } from '../gpu/pipelines.js';
import { submitPoisoned } from '../gpu/dispatch.js';
import { doublingCheck } from '../runner/doubling.js';
import type { CheckResult, PreparedCase, SuiteContext } from './types.js';
import { fillWgslTemplate } from '../gpu/wgslTemplate.js';

/** Independent dot4I8Packed chains per thread by default (kernels/peak_dot4.wgsl). */
export const DOT4_CHAINS = 8;
/**
 * The shapes `calibrate` tries: fewer chains spill less on a CPU compiler, more hide the latency of
 * a GPU's packed-dot unit; the best is the device's ceiling.
 */
export const CALIBRATION_DOT4_CHAINS: readonly number[] = [2, 4, 8, 16];
/** Threads replayed on the CPU: every thread on a CPU adapter, an even sample on a GPU. */
const CHECKED_THREADS = 4096;
const POISON = 0xdeadbeef;

/** dot4I8Packed: the four signed bytes of a and b multiplied pairwise and summed. */
export function dot4I8(a: number, b: number): number {
  let sum = 0;
  for (let k = 0; k < 4; k++) sum += ((a << (24 - 8 * k)) >> 24) * ((b << (24 - 8 * k)) >> 24);
  return sum;
}

/**
 * How a thread's chains become its one output: neighbours XORed in pairs, those summed in pairs
 * (wrapping), the sums XORed — for 8 chains ((x0 ^ x1) + (x2 ^ x3)) ^ ((x4 ^ x5) + (x6 ^ x7)), the
 * expression the fixed 8-chain kernel always had. Every chain reaches the output.
 */
function combineTerms(chains: number): string[][] {
  const xs = Array.from({ length: chains }, (_, i) => `x${i}`);
  const pairs: string[] = [];
  for (let i = 0; i < xs.length; i += 2) pairs.push(i + 1 < xs.length ? `(${xs[i]} ^ ${xs[i + 1]})` : `${xs[i]}`);
  const sums: string[][] = [];
  for (let i = 0; i < pairs.length; i += 2) sums.push(pairs.slice(i, i + 2));
  return sums;
}

/** kernels/peak_dot4.wgsl at a number of chains per thread (1 to 32). */
export function dot4Source(template: string, chains = DOT4_CHAINS): string {
  if (!Number.isInteger(chains) || chains < 1 || chains > 32)
    throw new Error(`peak: ${chains} dot4I8Packed chains per thread; the probe takes 1 to 32`);
  const ids = Array.from({ length: chains }, (_, i) => i);
  const sums = combineTerms(chains).map((terms) => (terms.length === 1 ? terms[0] : `(${terms.join(' + ')})`));
  return fillWgslTemplate('peak_dot4.wgsl', template, {
    CHAINS_START: ids.map((i) => `  var x${i} = start(gid.x, ${i}u, seed);`).join('\n'),
    CHAINS_STEP: ids.map((i) => `    x${i} = x${i} + bitcast<u32>(dot4I8Packed(x${i}, b));`).join('\n'),
    CHAINS_COMBINE: sums.join(' ^ '),
  });
}

/** What one thread of peak_dot4_kernel writes, replayed exactly in integers. */
export function dot4ChainResult(
  thread: number,
  b: number,
  seed: number,
  iterations: number,
  chains = DOT4_CHAINS,
): number {
  const x = Array.from(
    { length: chains },
    (_, chain) => (Math.imul(thread, 2654435761) ^ Math.imul(chain, 2246822519) ^ seed) >>> 0,
  );
  for (let i = 0; i < iterations; i++) {
    for (let c = 0; c < chains; c++) x[c] = ((x[c] as number) + dot4I8(x[c] as number, b)) >>> 0;
  }
  const at = (i: number): number => x[i] ?? 0;
  let out = 0;
  for (let pair = 0, sum = 0; pair * 2 < chains; pair++) {
    const p = pair * 2 + 1 < chains ? (at(pair * 2) ^ at(pair * 2 + 1)) >>> 0 : at(pair * 2);
    sum = pair % 2 === 0 ? p : (sum + p) >>> 0;
    // A sum closes after its second pair, or at the last pair.
    if (pair % 2 === 1 || (pair + 1) * 2 >= chains) out = (out ^ sum) >>> 0;
  }
  return out;
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
  chains = DOT4_CHAINS,
): Promise<PreparedCase> {
  const { device } = ctx;
  const source = dot4Source(await ctx.loadKernel('peak_dot4'), chains);
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
      const want = dot4ChainResult(t, b, seed, shape.iterations, chains);
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
            `CPU's replay of ${chains} chains × ${shape.iterations} steps`
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
