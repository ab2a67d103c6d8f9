import { describe, expect, it } from 'vitest';
import { blockMask, packOperands } from '../../src/suites/matmul/operands.js';
import { MATMUL_LAUNCHES } from '../../src/suites/matmul/launches.js';
import { DEFAULT_TILE } from '../../src/suites/matmul/shapes.js';
import { MATMUL_VARIANT_TRAITS, SPARSE_ZERO_FRACTION, type MatmulVariant } from '../../src/suites/matmul/variants.js';
import { f32ToF16Bits, roundToF16 } from '../../src/suites/numeric.js';

const s = { M: 256, N: 128, K: 64, label: 'test' };
const tile = { ...DEFAULT_TILE, M: 64, N: 64, K: 8 };

describe('the matmul operands each variant reads', () => {
  it('every variant has a launch and its inputs, and the bytes are what its kernel reads', () => {
    for (const variant of Object.keys(MATMUL_VARIANT_TRAITS) as MatmulVariant[]) {
      expect(typeof MATMUL_LAUNCHES[variant], variant).toBe('function');
      const p = packOperands(variant, s, 7, tile);
      const input = MATMUL_VARIANT_TRAITS[variant].input;
      // A GEMV's activations stay f32 whatever its weights are.
      const aBytes = variant.startsWith('gemv') || input === 'f32' ? 4 : input === 'f16' ? 2 : 1;
      const bBytes = input === 'f32' ? 4 : input === 'f16' ? 2 : 1;
      expect(p.a.data.byteLength, variant).toBe(s.M * s.K * aBytes);
      expect(p.b.data.byteLength, variant).toBe(s.K * s.N * bBytes);
      expect(p.ops.a32).toHaveLength(s.M * s.K);
    }
  });

  it('f16 inputs: the reference sees the rounded values the buffer holds', () => {
    const p = packOperands('tiled-f16', s, 3, tile);
    const bits = new Uint16Array(p.a.data.buffer, p.a.data.byteOffset, s.M * s.K);
    for (let i = 0; i < 50; i++) {
      expect(p.ops.a[i]).toBe(roundToF16(p.ops.a32[i] as number));
      expect(bits[i]).toBe(f32ToF16Bits(p.ops.a32[i] as number));
    }
  });

  it(
    'int8: B is packed along K (transposed) for dot4 and row-major for the matrix units; the scale undoes ' +
      'the quantization',
    () => {
      const dot4 = packOperands('dot4-int8', s, 5, tile);
      const sgmat = packOperands('subgroup-matrix-int8', s, 5, tile);
      const dot4B = new Int8Array(dot4.b.data.buffer, dot4.b.data.byteOffset, s.K * s.N);
      const rowB = new Int8Array(sgmat.b.data.buffer, sgmat.b.data.byteOffset, s.K * s.N);
      for (const [k, n] of [
        [0, 1],
        [3, 7],
        [63, 127],
      ] as const) {
        expect(rowB[k * s.N + n]).toBe(sgmat.ops.b[k * s.N + n]);
        expect(dot4B[n * s.K + k]).toBe(dot4.ops.b[k * s.N + n]);
      }
      const scaleA = sgmat.ops.a32.reduce((m, v) => Math.max(m, Math.abs(v)), 0) / 127;
      const scaleB = sgmat.ops.b32.reduce((m, v) => Math.max(m, Math.abs(v)), 0) / 127;
      expect(sgmat.ops.outScale).toBeCloseTo(scaleA * scaleB, 12);
      for (const i of [0, 10, 999]) expect(sgmat.ops.a[i]).toBe(Math.round((sgmat.ops.a32[i] as number) / scaleA));
    },
  );

  it("block-sparse: exactly the zero fraction of A's blocks is zero, and the mask says which", () => {
    const p = packOperands('block-sparse-f32', s, 11, tile);
    const mask = blockMask(s.M, s.K, 11, tile);
    const kBlocks = s.K / tile.K;
    expect(mask.filter((m) => m === 0).length).toBe(Math.round(mask.length * SPARSE_ZERO_FRACTION));
    for (let r = 0; r < s.M; r += 17) {
      for (let kb = 0; kb < kBlocks; kb++) {
        const block = p.ops.a32.subarray(r * s.K + kb * tile.K, r * s.K + (kb + 1) * tile.K);
        const kept = mask[Math.floor(r / tile.M) * kBlocks + kb] === 1;
        expect(
          block.every((v) => v === 0),
          `row ${r} block ${kb}`,
        ).toBe(!kept);
      }
    }
  });
});
