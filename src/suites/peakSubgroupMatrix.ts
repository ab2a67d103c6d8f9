import { fillWgslTemplate } from '../gpu/wgslTemplate.js';
import { readChunked, type BufferPool } from '../gpu/buffers.js';
import { submitPoisoned } from '../gpu/dispatch.js';
import { computePipeline } from '../gpu/pipelines.js';
import type { PeakUnit } from '../probe/peaks.js';
import { doublingCheck } from '../runner/doubling.js';
import { f16BitsToNumber, f32ToF16Bits } from './numeric.js';
import type { CheckResult, PreparedCase, SuiteContext } from './types.js';

/** One config the adapter lists: component and result types, and M×N×K. */
export interface MatrixConfig {
  componentType: 'f16' | 'f32' | 'i8' | 'u8';
  resultComponentType: 'f16' | 'f32' | 'i32' | 'u32';
  M: number;
  N: number;
  K: number;
}

/** Accumulator chains per subgroup (kernels/peak_subgroup_matrix.wgsl). */
export const MATRIX_CHAINS = 4;
const POISON = 0x7fc00bad;

const COMPONENTS = new Set(['f16', 'f32', 'i8', 'u8']);
const RESULTS = new Set(['f16', 'f32', 'i32', 'u32']);

/** The adapter's configs that the peak kernel can be written for; unknown types are left out. */
export function matrixConfigs(list: readonly Record<string, string | number>[]): MatrixConfig[] {
  return list.flatMap((c) => {
    const [ct, rt, M, N, K] = [c['componentType'], c['resultComponentType'], c['M'], c['N'], c['K']];
    if (typeof ct !== 'string' || typeof rt !== 'string' || !COMPONENTS.has(ct) || !RESULTS.has(rt)) return [];
    if (typeof M !== 'number' || typeof N !== 'number' || typeof K !== 'number') return [];
    return [
      {
        componentType: ct as MatrixConfig['componentType'],
        resultComponentType: rt as MatrixConfig['resultComponentType'],
        M,
        N,
        K,
      },
    ];
  });
}

const storage = (t: string): string => (t === 'i8' ? 'i32' : t === 'u8' ? 'u32' : t);

/** The kernel for one config: the template's placeholders filled in. */
export function matrixPeakSource(template: string, c: MatrixConfig): string {
  const f16 = c.componentType === 'f16' || c.resultComponentType === 'f16';
  return fillWgslTemplate('peak_subgroup_matrix.wgsl', template, {
    ENABLES: f16 ? 'enable f16;' : '',
    CT: c.componentType,
    RT: c.resultComponentType,
    AS: storage(c.componentType),
    RS: storage(c.resultComponentType),
    M: c.M,
    N: c.N,
    K: c.K,
    MN: c.M * c.N,
  });
}

/**
 * Iterations for a config: an f16 result holds integers exactly only up to 2048, so its chain is
 * kept short enough that Cin + iterations·(A·B) stays exact (A and B hold 0s and 1s there).
 */
export function matrixIterations(c: MatrixConfig, cpuAdapter: boolean): number {
  // A CPU adapter reaches this only through the tests' emulation, where each step is a triple loop.
  const wanted = cpuAdapter ? 4 : 512;
  if (c.resultComponentType !== 'f16') return wanted;
  const exact = Math.floor((2048 - MATRIX_CHAINS) / c.K);
  return Math.min(wanted, 2 ** Math.floor(Math.log2(exact)));
}

/** Seeded small integers: 0/1 for float components, −3…3 for i8, 0…3 for u8. */
function operand(count: number, c: MatrixConfig, seed: number): number[] {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  };
  return Array.from({ length: count }, () =>
    c.componentType === 'i8' ? (next() % 7) - 3 : c.componentType === 'u8' ? next() % 4 : next() % 2,
  );
}

function packComponents(values: number[], c: MatrixConfig): ArrayBuffer {
  if (c.componentType === 'f16') return new Uint16Array(values.map(f32ToF16Bits)).buffer;
  if (c.componentType === 'f32') return new Float32Array(values).buffer;
  const words = new Uint32Array(Math.ceil(values.length / 4));
  values.forEach((v, i) => {
    words[i >> 2] = ((words[i >> 2] as number) | ((v & 0xff) << (8 * (i & 3)))) >>> 0;
  });
  return words.buffer;
}

function resultArray(values: number[], c: MatrixConfig): ArrayBuffer {
  switch (c.resultComponentType) {
    case 'f16':
      return new Uint16Array(values.map(f32ToF16Bits)).buffer;
    case 'f32':
      return new Float32Array(values).buffer;
    case 'i32':
      return new Int32Array(values).buffer;
    case 'u32':
      return new Uint32Array(values).buffer;
  }
}

function readResults(bytes: ArrayBuffer, c: MatrixConfig): ArrayLike<number> {
  switch (c.resultComponentType) {
    case 'f16':
      return Array.from(new Uint16Array(bytes), f16BitsToNumber);
    case 'f32':
      return new Float32Array(bytes);
    case 'i32':
      return new Int32Array(bytes);
    case 'u32':
      return new Uint32Array(bytes);
  }
}

export const resultBytes = (c: MatrixConfig): number => (c.resultComponentType === 'f16' ? 2 : 4);
const padded = (bytes: number): number => Math.max(16, Math.ceil(bytes / 16) * 16);

/** Rewrites a filled-in kernel before it is compiled (tests: the subgroup-matrix emulation). */
export type MatrixSourceTransform = (source: string) => string;

/** One config's multiply-accumulate chains, checked against the CPU's replay in the config's types. */
export async function prepareMatrixPeak(
  c: MatrixConfig,
  workgroups: number,
  iterations: number,
  transform: MatrixSourceTransform,
  ctx: SuiteContext,
  pool: BufferPool,
): Promise<PreparedCase> {
  const { device } = ctx;
  const source = transform(matrixPeakSource(await ctx.loadKernel('peak_subgroup_matrix'), c));
  const subgroup = ctx.info.subgroupMaxSize ?? 32;
  const make = (n: number): Promise<GPUComputePipeline> =>
    computePipeline(
      device,
      `peak_subgroup_matrix_${c.componentType}_${c.resultComponentType}`,
      source,
      'sgmat_peak_kernel',
      { SUBGROUP_SIZE: subgroup, ITERATIONS: n },
    );
  const [pipeline, doubled] = [await make(iterations), await make(iterations * 2)];
  const a = operand(c.M * c.K, c, ctx.seed);
  const b = operand(c.K * c.N, c, ctx.seed ^ 0x5bd1e995);
  const mn = c.M * c.N;
  const start = Array.from({ length: MATRIX_CHAINS * mn }, (_, i) => Math.floor(i / mn));
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const upload = (data: ArrayBuffer, label: string): GPUBuffer => {
    const buffer = pool.create({ size: padded(data.byteLength), usage, label });
    device.queue.writeBuffer(buffer, 0, data);
    return buffer;
  };
  const bufA = upload(packComponents(a, c), 'matrix-peak-A');
  const bufB = upload(packComponents(b, c), 'matrix-peak-B');
  const bufCin = upload(resultArray(start, c), 'matrix-peak-Cin');
  const outBytes = workgroups * MATRIX_CHAINS * mn * resultBytes(c);
  const out = pool.create({ size: padded(outBytes), usage: usage | GPUBufferUsage.COPY_SRC, label: 'matrix-peak-C' });
  const encodeWith = (p: GPUComputePipeline) => {
    const group = device.createBindGroup({
      layout: p.getBindGroupLayout(0),
      entries: [bufA, bufB, bufCin, out].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    return (pass: GPUComputePassEncoder, repeats: number): void => {
      pass.setPipeline(p);
      pass.setBindGroup(0, group);
      for (let r = 0; r < repeats; r++) pass.dispatchWorkgroups(workgroups);
    };
  };
  const encode = encodeWith(pipeline);
  // Cin_j + iterations·(A·B), exact: every value is a small integer.
  const product = Array.from({ length: mn }, (_, i) => {
    const row = Math.floor(i / c.N);
    const col = i % c.N;
    let s = 0;
    for (let k = 0; k < c.K; k++) s += (a[row * c.K + k] as number) * (b[k * c.N + col] as number);
    return s;
  });
  const check = async (): Promise<CheckResult> => {
    submitPoisoned(device, out, padded(outBytes), POISON, encode);
    const bytes = new Uint8Array(outBytes);
    await readChunked(device, out, padded(outBytes), (offset, chunk) => {
      const part = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      bytes.set(part.subarray(0, Math.max(0, Math.min(part.length, outBytes - offset))), offset);
    });
    const got = readResults(bytes.buffer, c);
    let mismatches = 0;
    let first = '';
    for (let i = 0; i < got.length; i++) {
      const chain = Math.floor(i / mn) % MATRIX_CHAINS;
      const want = chain + iterations * (product[i % mn] as number);
      if (got[i] !== want && mismatches++ === 0)
        first =
          `workgroup ${Math.floor(i / (MATRIX_CHAINS * mn))}, chain ${chain}, element ${i % mn}: got ` +
          `${String(got[i])}, want ${want}`;
    }
    return {
      passed: mismatches === 0 && got.length > 0,
      method: 'exact: Cin + iterations·(A·B) in integers',
      compared: got.length,
      mismatches,
      maxRelError: null,
      detail:
        mismatches === 0
          ? `all ${got.length} result elements of ${workgroups} subgroups × ${MATRIX_CHAINS} chains equal ` +
            `Cin + ${iterations}·(A·B)`
          : `${mismatches} of ${got.length} elements differ; first: ${first}`,
    };
  };
  return { encode, check, validateTiming: doublingCheck(iterations, encode, encodeWith(doubled)) };
}

/** One register-only peak case per config the adapter lists, or one not-applicable row saying why none. */
/** Subgroups launched: a few on a CPU adapter (each runs the whole chain in software), thousands on a GPU. */
export function matrixWorkgroups(cpuAdapter: boolean, quick: boolean): number {
  return cpuAdapter ? 2 : quick ? 2048 : 8192;
}

/** The unit a config's operations count against: the int8 or the f16 matrix peak. */
export function matrixPeakUnit(c: MatrixConfig): PeakUnit {
  return c.componentType === 'i8' || c.componentType === 'u8' ? 'matrixInt8' : 'matrixF16';
}
