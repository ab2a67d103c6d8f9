import { describe, expect, it } from 'vitest';
import { defaultGemvShape, gemvColumnsUnsupported, gemvUnsupported, planGemv } from '../../src/gpu/gemvPlan.js';
import { attentionSplits } from '../../src/llm/engine.js';

describe('GEMV launch plan', () => {
  it('splits K until about the target number of workgroups run, one reduce buffer per split', () => {
    // 4096 columns → 128 column groups; 512 wanted → 4 splits of K.
    expect(planGemv(1, 4096, 4096)).toEqual({ groups: [128, 4], splits: 4, partialBytes: 4 * 1 * 4096 * 4 });
    // Wide enough on its own: no split, sums straight to the output.
    expect(planGemv(2, 4096, 32000)).toEqual({ groups: [1000, 1], splits: 1, partialBytes: 0 });
    // A narrow layer is split further, but never below one unrolled sweep (128) of K per split.
    expect(planGemv(1, 512, 128).splits).toBe(4);
    expect(planGemv(1, 4096, 1024, 2048).splits).toBe(32);
  });

  it('follows the columns per workgroup: wider rows of W mean fewer column groups and fewer threads along K', () => {
    // 32 vec4 columns (128 wide) → 32 column groups; 8 threads along K · unroll 4 = 32 per sweep.
    expect(planGemv(1, 4096, 4096, 512, false, 32)).toEqual({
      groups: [32, 16],
      splits: 16,
      partialBytes: 16 * 4096 * 4,
    });
    // 4 vec4 columns → 64 threads along K: a 512-long K splits at most twice.
    expect(planGemv(1, 512, 128, 512, false, 4)).toMatchObject({ groups: [8, 2], splits: 2 });
    expect(gemvColumnsUnsupported(12)).toMatch(/takes 4, 8, 16, 32, 64 vec4 columns per workgroup \(got 12\)/);
    expect(() => planGemv(1, 64, 64, 512, false, 128)).toThrow(/vec4 columns per workgroup/);
  });

  it('refuses shapes the kernel cannot take, naming the limit', () => {
    expect(gemvUnsupported(9, 64, 64)).toMatch(/1 to 8 rows \(got 9\)/);
    expect(gemvUnsupported(1, 64, 66)).toMatch(/multiple of 4 \(got 66\)/);
    expect(gemvUnsupported(1, 64, 64)).toBeNull();
    expect(() => planGemv(0, 64, 64)).toThrow(/1 to 8 rows/);
  });
});

describe('attention splits of the LLM engine', () => {
  it('splits a decode step of few rows until ~512 workgroups run, never below 64 keys of context per split', () => {
    // Llama-2-7B, one sequence: 32 (row, head) pairs → 16 splits at a 1,025-token context.
    expect(attentionSplits(1, 32, 1025)).toBe(16);
    // A prefill of 64 rows already has 2,048 pairs.
    expect(attentionSplits(64, 32, 1025)).toBe(1);
    // Short contexts are not split below 64 keys per split; at most 32 splits.
    expect(attentionSplits(1, 4, 100)).toBe(1);
    expect(attentionSplits(1, 1, 1 << 20)).toBe(32);
  });
});

describe('the built-in GEMV launch comes from the adapter', () => {
  it('a GPU splits K toward 512 workgroups of 32 columns; a CPU adapter runs one split of 256 columns', () => {
    expect(defaultGemvShape({ adapterClass: 'gpu' })).toEqual({ targetWorkgroups: 512, columns4: 8 });
    const cpu = defaultGemvShape({ adapterClass: 'cpu' });
    expect(cpu).toEqual({ targetWorkgroups: 1, columns4: 64 });
    // The decode-step GEMV of the quick run on a CPU adapter: one split, no partial sums, no reduce pass.
    expect(planGemv(1, 4096, 4096, cpu.targetWorkgroups, false, cpu.columns4)).toEqual({
      groups: [16, 1],
      splits: 1,
      partialBytes: 0,
    });
  });
});
