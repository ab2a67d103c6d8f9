import type { TransformerShape } from '../metrics/flops.js';

/** A decoder-only model's shape, enough to size its weights and KV cache. */
export interface ModelConfig extends TransformerShape {
  name: string;
  hiddenSize: number;
  mlpSize: number;
  vocabSize: number;
  /** Bytes per weight and per KV element (2 for f16). */
  bytesPerElement: number;
}

/** Non-embedding parameters with a gated MLP (three matrices) and an untied LM head. */
function nonEmbeddingParams(
  layers: number,
  hidden: number,
  heads: number,
  kvHeads: number,
  headDim: number,
  mlp: number,
  vocab: number,
): number {
  const attention = hidden * heads * headDim + 2 * hidden * kvHeads * headDim + heads * headDim * hidden;
  const perLayer = attention + 3 * hidden * mlp + 2 * hidden;
  return layers * perLayer + hidden + hidden * vocab;
}

function model(
  name: string,
  layers: number,
  hidden: number,
  heads: number,
  kvHeads: number,
  mlp: number,
  vocab: number,
): ModelConfig {
  const headDim = hidden / heads;
  return {
    name,
    layers,
    hiddenSize: hidden,
    heads,
    kvHeads,
    headDim,
    mlpSize: mlp,
    vocabSize: vocab,
    bytesPerElement: 2,
    nonEmbeddingParams: nonEmbeddingParams(layers, hidden, heads, kvHeads, headDim, mlp, vocab),
    lmHeadParams: hidden * vocab,
  };
}

/** Published shapes (config.json of each model); `tiny` fits the CPU adapters. */
export const MODEL_PRESETS: Record<string, ModelConfig> = {
  'llama-2-7b': model('llama-2-7b', 32, 4096, 32, 32, 11008, 32000),
  'llama-3-8b': model('llama-3-8b', 32, 4096, 32, 8, 14336, 128256),
  tiny: model('tiny', 4, 256, 4, 2, 704, 1024),
};

export function modelPreset(name: string): ModelConfig {
  const m = MODEL_PRESETS[name];
  if (m === undefined) throw new Error(`unknown model "${name}"; presets: ${Object.keys(MODEL_PRESETS).join(', ')}`);
  return m;
}

/** Bytes of one KV-cache block: 2 (K and V) · layers · KV heads · head dim · bytes · tokens per block. */
export function kvBlockBytes(m: ModelConfig, blockTokens: number): number {
  return 2 * m.layers * m.kvHeads * m.headDim * m.bytesPerElement * blockTokens;
}
