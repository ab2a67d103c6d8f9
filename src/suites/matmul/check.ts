import { fillRandomU32, readChunked } from '../../gpu/buffers.js';
import type { CheckResult } from '../types.js';
import type { Operands } from './operands.js';
import { MATMUL_TOLERANCE, MATMUL_VARIANT_TRAITS, type MatmulShape, type MatmulVariant } from './variants.js';

const POISON = 0xdeadbeef;
const CHECK_SAMPLES = 1024;

/** How far the reduced-precision result is from the f32 product (f16 and int8 inputs). */
export interface QuantizationError {
  reference: string;
  relL2: number;
  maxRel: number;
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

/**
 * Poisons C, runs the case once (`encodeOnce`), and compares sampled elements with the f64 product
 * of the inputs the kernel saw, within the variant's relative bound (exact for int8); every element
 * is scanned for the poison, so an unwritten one fails too.
 */
export async function checkMatmul(
  device: GPUDevice,
  bufC: GPUBuffer,
  variant: MatmulVariant,
  s: MatmulShape,
  ops: Operands,
  seed: number,
  encodeOnce: (pass: GPUComputePassEncoder) => void,
): Promise<{ result: CheckResult; quantizationError: QuantizationError | null }> {
  const { M, N, K } = s;
  const input = MATMUL_VARIANT_TRAITS[variant].input;
  device.queue.writeBuffer(bufC, 0, new Uint32Array(M * N).fill(POISON));
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  encodeOnce(pass);
  pass.end();
  device.queue.submit([encoder.finish()]);
  const out = new Float64Array(M * N);
  let poisoned = 0;
  await readChunked(device, bufC, M * N * 4, (offset, chunk) => {
    const ints = new Int32Array(chunk.buffer, chunk.byteOffset, chunk.length);
    const floats = new Float32Array(chunk.buffer, chunk.byteOffset, chunk.length);
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === POISON) poisoned++;
      out[offset / 4 + i] = input === 'int8' ? (ints[i] as number) : (floats[i] as number);
    }
  });
  const tolerance = MATMUL_TOLERANCE[input];
  let mismatches = poisoned;
  let maxRel = 0;
  let first = poisoned > 0 ? `${poisoned} elements of C were never written` : '';
  let errSq = 0;
  let refSq = 0;
  let maxQuantErr = 0;
  let maxRef = 0;
  const positions = samplePositions(M, N, seed);
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
  const quantizationError =
    input === 'f32'
      ? null
      : {
          reference: 'f64 product of the unrounded f32 inputs, sampled positions',
          relL2: Math.sqrt(errSq / refSq),
          maxRel: maxQuantErr / maxRef,
        };
  const inputs = variant === 'gemv-f16' ? 'f16 weights and f32 activations' : `${input} inputs`;
  const method =
    input === 'int8'
      ? 'exact int32 against the CPU'
      : `|got − want| / Σ|a·b| ≤ ${tolerance} against f64 on the ${inputs}`;
  return {
    result: {
      passed: mismatches === 0,
      method: `${method}; ${positions.length} sampled elements, all ${M * N} scanned for unwritten values`,
      compared: positions.length,
      mismatches,
      maxRelError: maxRel,
      detail:
        mismatches === 0
          ? `${positions.length} sampled elements match (max relative error ${maxRel.toExponential(2)}); no ` +
            `unwritten elements`
          : `${mismatches} mismatches; first: ${first}`,
    },
    quantizationError,
  };
}
