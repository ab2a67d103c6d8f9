import { describe, expect, it } from 'vitest';
import { MODEL_PRESETS } from '../../src/models/presets.js';
import {
  decodeStepBytes,
  decodeStepFlops,
  kvBytesPerToken,
  prefillFlops,
  type TransformerShape,
} from '../../src/metrics/flops.js';
import { MBUMetric, MFUMetric } from '../../src/metrics/mfu.js';
import { rooflinePoint } from '../../src/metrics/roofline.js';

// Llama-2-7B: 32 layers, 32 heads of 128, d_model 4096, MLP 11008, vocab 32000.
// N = 32·(4·4096² + 3·4096·11008 + 2·4096) + 4096 + 4096·32000 (LM head inside N, embedding outside).
const LLAMA2_7B: TransformerShape = {
  nonEmbeddingParams: 6_607_343_616,
  layers: 32,
  heads: 32,
  kvHeads: 32,
  headDim: 128,
};

describe('transformer FLOP counts (docs/metrics.md)', () => {
  it('causal prefill: 2·N·T + 4·L·H·d·T(T+1)/2', () => {
    expect(prefillFlops(LLAMA2_7B, 2048)).toBe(27_063_679_451_136 + 1_100_048_498_688);
  });

  it('non-causal prefill counts T² attended positions', () => {
    expect(prefillFlops(LLAMA2_7B, 2048, { causal: false })).toBe(27_063_679_451_136 + 2_199_023_255_552);
  });

  it('prefill on top of a cached prefix attends the prefix too', () => {
    const s = { ...LLAMA2_7B, nonEmbeddingParams: 0 };
    // 3 new tokens after 5 cached: positions attend 6, 7, 8.
    expect(prefillFlops(s, 3, { cachedTokens: 5 })).toBe(4 * 32 * 32 * 128 * (6 + 7 + 8));
  });

  it('counts the LM head only for the rows whose logits the pass takes (Llama-2-7B, T = 512)', () => {
    const llama = MODEL_PRESETS['llama-2-7b'];
    if (llama === undefined) throw new Error('preset');
    expect(llama.lmHeadParams).toBe(4096 * 32000);
    // By default the last row only (serving, as the serving loop counts it); every row (scoring a prompt) on request.
    expect(prefillFlops(llama, 512)).toBe(6_700_817_973_248);
    expect(prefillFlops(llama, 512, { rowsWithLogits: 512 })).toBe(6_834_773_557_248);
    expect(prefillFlops(llama, 512, { rowsWithLogits: 512 }) - prefillFlops(llama, 512)).toBe(2 * 4096 * 32000 * 511);
    expect(() => prefillFlops(llama, 4, { rowsWithLogits: 5 })).toThrow(/cannot exceed/);
  });

  it('MFUMetric counts the LM head once per sequence by default, as prefillFlops does', () => {
    const llama = MODEL_PRESETS['llama-2-7b'];
    if (llama === undefined) throw new Error('preset');
    const base = {
      modelParams: llama.nonEmbeddingParams,
      lmHeadParams: llama.lmHeadParams ?? 0,
      tokensProcessed: 4 * 512,
      durationS: 1,
      peakTflops: 989,
      layers: llama.layers,
      heads: llama.heads,
      headDim: llama.headDim,
      seqLen: 512,
    };
    const perSequence = new MFUMetric().compute(base).modelFlops;
    expect(perSequence).toBe(4 * prefillFlops(llama, 512));
    const everyRow = new MFUMetric().compute({ ...base, rowsWithLogits: 4 * 512 }).modelFlops;
    expect(everyRow - perSequence).toBe(2 * 4096 * 32000 * 4 * 511);
    expect(() => new MFUMetric().compute({ ...base, lmHeadParams: base.modelParams + 1 })).toThrow(/cannot exceed/);
  });

  it('decode step at context c: 2·N + 4·L·H·d·c', () => {
    expect(decodeStepFlops(LLAMA2_7B, 4096)).toBe(15_362_170_880);
  });

  it('GQA changes KV bytes, not attention FLOPs', () => {
    const gqa = { ...LLAMA2_7B, kvHeads: 8 };
    expect(decodeStepFlops(gqa, 4096)).toBe(decodeStepFlops(LLAMA2_7B, 4096));
    expect(kvBytesPerToken(gqa, 2)).toBe(131_072);
    expect(kvBytesPerToken(LLAMA2_7B, 2)).toBe(4 * 131_072);
  });

  it('decode-step bytes are the weights plus every sequence’s KV cache', () => {
    const gqa = { ...LLAMA2_7B, kvHeads: 8 };
    expect(decodeStepBytes(gqa, { weightBytesPerParam: 2, kvBytesPerElement: 2, contexts: [100, 300] })).toBe(
      6_607_343_616 * 2 + 400 * 131_072,
    );
  });

  it('refuses shapes where heads are not a multiple of KV heads', () => {
    expect(() => prefillFlops({ ...LLAMA2_7B, kvHeads: 5 }, 1)).toThrow(/multiple of kvHeads/);
    expect(() => decodeStepFlops(LLAMA2_7B, -1)).toThrow(/>= 0/);
  });
});

describe('MFUMetric', () => {
  it('ports the original test (7B, 1024 tokens, 1 s, A100 312 TFLOP/s) with the exact value', () => {
    const r = new MFUMetric().compute({
      modelParams: 7_000_000_000,
      tokensProcessed: 1024,
      durationS: 1,
      peakTflops: 312,
    });
    expect(r.mfu).toBeGreaterThan(0);
    expect(r.mfu).toBeLessThanOrEqual(1);
    expect(r.achievedTflops).toBeCloseTo(14.336, 12);
    expect(r.mfu).toBeCloseTo(14.336 / 312, 12);
    expect(r.modelFlops).toBe(14_336_000_000_000);
  });

  it('adds causal attention per sequence on a known configuration (Llama-2-7B, 4×2048 tokens on an H100)', () => {
    const r = new MFUMetric().compute({
      modelParams: LLAMA2_7B.nonEmbeddingParams,
      tokensProcessed: 4 * 2048,
      durationS: 0.25,
      peakTflops: 989,
      layers: 32,
      heads: 32,
      headDim: 128,
      seqLen: 2048,
    });
    const flops = 4 * (27_063_679_451_136 + 1_100_048_498_688);
    expect(r.modelFlops).toBe(flops);
    expect(r.achievedTflops).toBeCloseTo(flops / 0.25 / 1e12, 9);
    expect(r.mfu).toBeCloseTo(flops / 0.25 / 1e12 / 989, 12);
    expect(r.causal).toBe(true);
    expect(r.flopsFormula).toContain('T(T+1)/2');
  });

  it('the original attention formula over-counts; ours does not match it', () => {
    const L = 32,
      H = 32,
      d = 128,
      T = 2048;
    const original = L * (12 * H * d * T + 2 * H * T * T * d + 4 * H * d * T);
    const r = new MFUMetric().compute({
      modelParams: 0,
      tokensProcessed: T,
      durationS: 1,
      peakTflops: 1,
      layers: L,
      heads: H,
      headDim: d,
      seqLen: T,
    });
    expect(r.modelFlops).toBe(1_100_048_498_688);
    expect(r.modelFlops).not.toBe(original);
  });

  it('flags MFU above 100% instead of clipping it', () => {
    const r = new MFUMetric().compute({ modelParams: 1e12, tokensProcessed: 1000, durationS: 1, peakTflops: 1000 });
    expect(r.mfu).toBe(2);
    expect(r.exceedsPeak).toBe(true);
  });

  it('refuses zero duration, zero peak, and token counts that are not whole sequences', () => {
    const m = new MFUMetric();
    expect(() => m.compute({ modelParams: 1, tokensProcessed: 1, durationS: 0, peakTflops: 1 })).toThrow(
      expect.objectContaining({ code: 'NON_POSITIVE_DURATION' }) as Error,
    );
    expect(() => m.compute({ modelParams: 1, tokensProcessed: 1, durationS: 1, peakTflops: 0 })).toThrow(/peakTflops/);
    expect(() =>
      m.compute({
        modelParams: 1,
        tokensProcessed: 10,
        durationS: 1,
        peakTflops: 1,
        layers: 1,
        heads: 1,
        headDim: 1,
        seqLen: 3,
      }),
    ).toThrow(/whole number of sequences/);
  });

  it('skips attention when includeAttention is false', () => {
    const r = new MFUMetric().compute({
      modelParams: 10,
      tokensProcessed: 4,
      durationS: 1,
      peakTflops: 1,
      layers: 1,
      heads: 1,
      headDim: 1,
      seqLen: 2,
      includeAttention: false,
    });
    expect(r.modelFlops).toBe(80);
  });
});

describe('MBUMetric', () => {
  it('divides achieved bandwidth by the peak', () => {
    const r = new MBUMetric().compute(3.35e12, 1, 3350);
    expect(r.achievedGBps).toBeCloseTo(3350, 9);
    expect(r.mbu).toBeCloseTo(1, 12);
    expect(r.exceedsPeak).toBe(false);
    expect(new MBUMetric().compute(4e9, 1, 2).exceedsPeak).toBe(true);
  });

  it('refuses a zero duration or peak (the original returned 0)', () => {
    expect(() => new MBUMetric().compute(1, 0, 1)).toThrow(/durationS/);
    expect(() => new MBUMetric().compute(1, 1, 0)).toThrow(/peakBandwidthGBps/);
    expect(() => new MBUMetric().compute(-1, 1, 1)).toThrow(/>= 0/);
  });
});

describe('rooflinePoint', () => {
  it('places a case below the ridge as memory-bound and computes its efficiency', () => {
    // H100: 66.9 TFLOP/s FP32, 3350 GB/s → ridge ≈ 19.97 FLOP/byte.
    const p = rooflinePoint({ flops: 2e9, bytes: 1e9, timeS: 1e-3, peakTflops: 66.9, peakGBps: 3350 });
    expect(p.arithmeticIntensity).toBe(2);
    expect(p.ridgePoint).toBeCloseTo(66.9e12 / 3350e9, 12);
    expect(p.bound).toBe('memory');
    expect(p.attainableTflops).toBeCloseTo(6.7, 12);
    expect(p.achievedTflops).toBeCloseTo(2, 12);
    expect(p.efficiency).toBeCloseTo(2 / 6.7, 12);
  });

  it('is compute-bound above the ridge and flags efficiency above 1', () => {
    const p = rooflinePoint({ flops: 1e12, bytes: 1e9, timeS: 0.001, peakTflops: 100, peakGBps: 1000 });
    expect(p.bound).toBe('compute');
    expect(p.attainableTflops).toBe(100);
    expect(p.efficiency).toBe(10);
    expect(p.exceedsRoof).toBe(true);
  });

  it('gives work with no FLOPs no efficiency (its roof is zero), not NaN', () => {
    const p = rooflinePoint({ flops: 0, bytes: 1e9, timeS: 1e-3, peakTflops: 100, peakGBps: 1000 });
    expect(p.arithmeticIntensity).toBe(0);
    expect(p.attainableTflops).toBe(0);
    expect(p.efficiency).toBeNull();
    expect(p.exceedsRoof).toBe(false);
  });
});
