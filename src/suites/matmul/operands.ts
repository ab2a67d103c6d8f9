import { fillRandomU32, randomUniform } from '../../gpu/buffers.js';
import { f32ToF16Bits, quantizeInt8, roundToF16 } from '../numeric.js';
import type { MatmulTile } from './shapes.js';
import { MATMUL_VARIANT_TRAITS, SPARSE_ZERO_FRACTION, type MatmulShape, type MatmulVariant } from './variants.js';

/** What the check compares with: the values the kernel sees and the unrounded inputs. */
export interface Operands {
  /** Values the kernel sees (rounded to its input type), row-major M×K and K×N. */
  a: ArrayLike<number>;
  b: ArrayLike<number>;
  /** The unrounded f32 inputs, for the quantization error. */
  a32: Float32Array;
  b32: Float32Array;
  /** Multiply the kernel's output by this to get back to the f32 scale (int8 scales). */
  outScale: number;
}

/** A variant's inputs, fresh from the seed: the reference's view and the bytes each buffer gets. */
export interface PackedOperands {
  ops: Operands;
  a: { data: ArrayBufferView; label: string };
  b: { data: ArrayBufferView; label: string };
}

function packInt8(q: Int8Array): Uint32Array {
  return new Uint32Array(q.buffer.slice(q.byteOffset, q.byteOffset + q.byteLength));
}

function transpose(q: Int8Array, rows: number, cols: number): Int8Array {
  const out = new Int8Array(q.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = q[r * cols + c] as number;
  return out;
}

/** Which (tile row, k block) blocks of A are kept; seeded, exactly SPARSE_ZERO_FRACTION zero. */
export function blockMask(M: number, K: number, seed: number, tile: MatmulTile): Uint32Array {
  const rows = M / tile.M;
  const kBlocks = K / tile.K;
  const mask = new Uint32Array(rows * kBlocks).fill(1);
  const bits = new Uint32Array(mask.length);
  fillRandomU32(seed ^ 0x2545f491, 0, bits);
  const order = [...mask.keys()].sort((x, y) => (bits[x] as number) - (bits[y] as number));
  for (const i of order.slice(0, Math.round(mask.length * SPARSE_ZERO_FRACTION))) mask[i] = 0;
  return mask;
}

/** Zeroes A's blocks that the mask drops, so the dense reference equals the sparse product. */
function zeroBlocks(a: Float32Array, M: number, K: number, seed: number, tile: MatmulTile): void {
  const mask = blockMask(M, K, seed, tile);
  const kBlocks = K / tile.K;
  for (let r = 0; r < M; r++) {
    for (let kb = 0; kb < kBlocks; kb++) {
      if (mask[Math.floor(r / tile.M) * kBlocks + kb] === 0) a.fill(0, r * K + kb * tile.K, r * K + (kb + 1) * tile.K);
    }
  }
}

/** Random inputs for one case, rounded or quantized to the variant's input type and packed as its kernel reads them. */
export function packOperands(variant: MatmulVariant, s: MatmulShape, seed: number, tile: MatmulTile): PackedOperands {
  const { M, N, K } = s;
  const input = MATMUL_VARIANT_TRAITS[variant].input;
  const a32 = randomUniform(seed, M * K);
  const b32 = randomUniform(seed + 1, K * N);
  if (input === 'f32') {
    if (variant === 'block-sparse-f32') zeroBlocks(a32, M, K, seed, tile);
    return {
      ops: { a: a32, b: b32, a32, b32, outScale: 1 },
      a: { data: a32, label: 'A' },
      b: { data: b32, label: 'B' },
    };
  }
  if (variant === 'gemv-f16') {
    return {
      ops: { a: a32, b: Float64Array.from(b32, roundToF16), a32, b32, outScale: 1 },
      a: { data: a32, label: 'x' },
      b: { data: Uint16Array.from(b32, (v) => f32ToF16Bits(v)), label: 'W' },
    };
  }
  if (input === 'f16') {
    const toHalf = (x: Float32Array): Uint16Array => Uint16Array.from(x, (v) => f32ToF16Bits(v));
    return {
      ops: { a: Float64Array.from(a32, roundToF16), b: Float64Array.from(b32, roundToF16), a32, b32, outScale: 1 },
      a: { data: toHalf(a32), label: 'A' },
      b: { data: toHalf(b32), label: 'B' },
    };
  }
  const qa = quantizeInt8(a32);
  const qb = quantizeInt8(b32);
  // dot4 wants B transposed (packed along K); the matrix units take B row-major.
  return {
    ops: { a: qa.q, b: qb.q, a32, b32, outScale: qa.scale * qb.scale },
    a: { data: packInt8(qa.q), label: 'A' },
    b: { data: packInt8(variant === 'dot4-int8' ? transpose(qb.q, K, N) : qb.q), label: 'B' },
  };
}
