import {
  MetricError,
  requireFinite,
  requireNonNegative,
  requireNonNegativeInteger,
  requirePositiveDuration,
} from './errors.js';
import { FLOPS_FORMULA, attentionFlops } from './flops.js';
import { BaseMetric, MetricType } from './types.js';

export interface MFUResult {
  /** Achieved ÷ peak, as a fraction; above 1 is flagged by exceedsPeak, never clipped. */
  mfu: number;
  achievedTflops: number;
  peakTflops: number;
  modelFlops: number;
  durationS: number;
  exceedsPeak: boolean;
  flopsFormula: string;
  causal: boolean;
}

export interface MFUInput {
  modelParams: number;
  tokensProcessed: number;
  durationS: number;
  peakTflops: number;
  layers?: number;
  heads?: number;
  headDim?: number;
  /** Length of each sequence in the pass; tokensProcessed must be a whole number of sequences. */
  seqLen?: number;
  causal?: boolean;
  includeAttention?: boolean;
  /** The LM head's parameters (d_model · vocab), inside modelParams; counted per row with logits. */
  lmHeadParams?: number;
  /** Rows whose logits the pass takes; default one per sequence (the last row of each prompt). */
  rowsWithLogits?: number;
}

/**
 * Model FLOPs utilisation of a forward pass over tokensProcessed tokens: 2·N per token, plus
 * 4·L·H·d per attended position when the attention shape is given (the original module's
 * attention term double-counted projections and mixed per-token and per-sequence terms).
 */
export class MFUMetric extends BaseMetric<MFUResult> {
  readonly name = 'mfu';
  readonly unit = '%';
  readonly metricType = MetricType.COMPUTE;

  compute(input: MFUInput): MFUResult {
    requireNonNegativeInteger('modelParams', input.modelParams);
    requireNonNegativeInteger('tokensProcessed', input.tokensProcessed);
    const durationS = requirePositiveDuration('durationS', input.durationS);
    const peakTflops = requirePositiveDuration('peakTflops', input.peakTflops);
    const causal = input.causal ?? true;
    const head = requireNonNegativeInteger('lmHeadParams', input.lmHeadParams ?? 0);
    if (head > input.modelParams)
      throw new MetricError(
        'INVALID_ARGUMENT',
        `lmHeadParams (${head}) cannot exceed modelParams (${input.modelParams})`,
      );
    const sequences =
      input.seqLen !== undefined && input.seqLen > 0 && input.tokensProcessed % input.seqLen === 0
        ? input.tokensProcessed / input.seqLen
        : Math.min(1, input.tokensProcessed);
    const rows = requireNonNegativeInteger('rowsWithLogits', input.rowsWithLogits ?? sequences);
    if (rows > input.tokensProcessed)
      throw new MetricError(
        'INVALID_ARGUMENT',
        `rowsWithLogits (${rows}) cannot exceed tokensProcessed (${input.tokensProcessed})`,
      );
    // The LM head runs only for the rows whose logits are taken: once per sequence by default.
    let modelFlops = 2 * (input.modelParams - head) * input.tokensProcessed + 2 * head * rows;
    let formula: string = FLOPS_FORMULA.linear;
    const { layers, heads, headDim, seqLen } = input;
    if (
      (input.includeAttention ?? true) &&
      layers !== undefined &&
      heads !== undefined &&
      headDim !== undefined &&
      seqLen !== undefined
    ) {
      requireNonNegativeInteger('seqLen', seqLen);
      if (seqLen === 0 || input.tokensProcessed % seqLen !== 0) {
        throw new MetricError(
          'INVALID_ARGUMENT',
          `tokensProcessed (${input.tokensProcessed}) must be a whole number of sequences of seqLen (${seqLen})`,
        );
      }
      const sequences = input.tokensProcessed / seqLen;
      const attendedPerSequence = causal ? (seqLen * (seqLen + 1)) / 2 : seqLen * seqLen;
      modelFlops += attentionFlops({ layers, heads, headDim }, sequences * attendedPerSequence);
      formula = causal ? FLOPS_FORMULA.causalPrefill : FLOPS_FORMULA.nonCausalPrefill;
    }
    const achievedTflops = modelFlops / durationS / 1e12;
    const mfu = achievedTflops / peakTflops;
    return {
      mfu,
      achievedTflops,
      peakTflops,
      modelFlops,
      durationS,
      exceedsPeak: mfu > 1,
      flopsFormula: formula,
      causal,
    };
  }
}

export interface MBUResult {
  mbu: number;
  achievedGBps: number;
  peakGBps: number;
  bytesAccessed: number;
  durationS: number;
  exceedsPeak: boolean;
}

/** Memory bandwidth utilisation: bytes moved ÷ time ÷ peak bandwidth. */
export class MBUMetric extends BaseMetric<MBUResult> {
  readonly name = 'mbu';
  readonly unit = '%';
  readonly metricType = MetricType.MEMORY;

  compute(bytesAccessed: number, durationS: number, peakBandwidthGBps: number): MBUResult {
    requireNonNegative('bytesAccessed', requireFinite('bytesAccessed', bytesAccessed));
    requirePositiveDuration('durationS', durationS);
    requirePositiveDuration('peakBandwidthGBps', peakBandwidthGBps);
    const achievedGBps = bytesAccessed / durationS / 1e9;
    const mbu = achievedGBps / peakBandwidthGBps;
    return { mbu, achievedGBps, peakGBps: peakBandwidthGBps, bytesAccessed, durationS, exceedsPeak: mbu > 1 };
  }
}
