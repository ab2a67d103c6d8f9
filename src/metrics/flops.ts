import { MetricError, requireNonNegativeInteger } from './errors.js';

/** The shape that FLOP and byte counts of a decoder-only transformer need. */
export interface TransformerShape {
  /** Non-embedding parameters N (QKV, output projection, MLP and LM head all inside it). */
  nonEmbeddingParams: number;
  layers: number;
  /** Query heads H; attention FLOPs scale with H, not with the KV heads. */
  heads: number;
  /** Key/value heads H_kv (< H under grouped-query attention); only bytes depend on it. */
  kvHeads: number;
  headDim: number;
  /**
   * Parameters of the LM head (d_model · vocab), inside N. A pass that takes logits for only some
   * rows computes the head for those rows alone; without it every row is counted as computing it.
   */
  lmHeadParams?: number;
}

export const FLOPS_FORMULA = {
  linear: '2·N per token',
  attention: '4·L·H·d per attended position per token',
  causalPrefill: '2·(N − N_head)·T + 2·N_head·rows_with_logits + 4·L·H·d·(T·c0 + T(T+1)/2)',
  nonCausalPrefill: '2·(N − N_head)·T + 2·N_head·rows_with_logits + 4·L·H·d·T·(c0 + T)',
  decodeStep: '2·N + 4·L·H·d·c',
} as const;

function checkShape(s: TransformerShape): void {
  for (const k of ['nonEmbeddingParams', 'layers', 'heads', 'kvHeads', 'headDim'] as const) {
    requireNonNegativeInteger(k, s[k]);
  }
  if (s.kvHeads === 0 || s.heads % s.kvHeads !== 0) {
    throw new MetricError(
      'INVALID_ARGUMENT',
      `heads (${s.heads}) must be a positive multiple of kvHeads (${s.kvHeads})`,
    );
  }
}

/** Attention FLOPs (QKᵀ and AV) for `attendedPositions` summed over all query tokens. */
export function attentionFlops(
  s: Pick<TransformerShape, 'layers' | 'heads' | 'headDim'>,
  attendedPositions: number,
): number {
  return 4 * s.layers * s.heads * s.headDim * attendedPositions;
}

/**
 * Forward FLOPs of a prefill of `tokens` new tokens on top of `cachedTokens` already in the KV
 * cache. Causal: token i attends c0 + i positions; non-causal: every token attends c0 + T.
 * `rowsWithLogits` counts the LM head only for the rows whose logits the pass takes: by default
 * the last row of the prompt, as a serving engine (and wgbench's serving loop) does; every row when
 * a pass takes them all (scoring a prompt): docs/metrics.md.
 */
export function prefillFlops(
  s: TransformerShape,
  tokens: number,
  options: { causal?: boolean; cachedTokens?: number; rowsWithLogits?: number } = {},
): number {
  checkShape(s);
  requireNonNegativeInteger('tokens', tokens);
  const c0 = requireNonNegativeInteger('cachedTokens', options.cachedTokens ?? 0);
  const rows = requireNonNegativeInteger('rowsWithLogits', options.rowsWithLogits ?? Math.min(1, tokens));
  if (rows > tokens)
    throw new MetricError(
      'INVALID_ARGUMENT',
      `rowsWithLogits (${rows}) cannot exceed the tokens of the pass (${tokens})`,
    );
  const head = requireNonNegativeInteger('lmHeadParams', s.lmHeadParams ?? 0);
  if (head > s.nonEmbeddingParams)
    throw new MetricError(
      'INVALID_ARGUMENT',
      `lmHeadParams (${head}) cannot exceed nonEmbeddingParams (${s.nonEmbeddingParams})`,
    );
  const causal = options.causal ?? true;
  const attended = causal ? tokens * c0 + (tokens * (tokens + 1)) / 2 : tokens * (c0 + tokens);
  return 2 * (s.nonEmbeddingParams - head) * tokens + 2 * head * rows + attentionFlops(s, attended);
}

/** Forward FLOPs of one decode step (one new token) at context length c, per sequence. */
export function decodeStepFlops(s: TransformerShape, context: number): number {
  checkShape(s);
  requireNonNegativeInteger('context', context);
  return 2 * s.nonEmbeddingParams + attentionFlops(s, context);
}

/** KV bytes per token: 2 (K and V) · L · H_kv · d · bytes per element. */
export function kvBytesPerToken(
  s: Pick<TransformerShape, 'layers' | 'kvHeads' | 'headDim'>,
  bytesPerElement: number,
): number {
  return 2 * s.layers * s.kvHeads * s.headDim * bytesPerElement;
}

/** Bytes a decode step must read: the weights once plus each sequence's KV cache. */
export function decodeStepBytes(
  s: TransformerShape,
  options: { weightBytesPerParam: number; kvBytesPerElement: number; contexts: readonly number[] },
): number {
  checkShape(s);
  const perToken = kvBytesPerToken(s, options.kvBytesPerElement);
  const kv = options.contexts.reduce((sum, c) => sum + requireNonNegativeInteger('context', c) * perToken, 0);
  return s.nonEmbeddingParams * options.weightBytesPerParam + kv;
}
