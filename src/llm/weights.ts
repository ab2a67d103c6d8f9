import type { ModelConfig } from '../models/presets.js';

/** The same hash as fill_random in kernels/llm.wgsl, so the CPU reference sees the GPU's weights. */
export function hashU32(x: number): number {
  let h = (Math.imul(x >>> 0, 747796405) + 2891336453) >>> 0;
  h = Math.imul(((h >>> ((h >>> 28) + 4)) ^ h) >>> 0, 277803737) >>> 0;
  return ((h >>> 22) ^ h) >>> 0;
}

export function randomWeight(seed: number, index: number, scale: number): number {
  const h = hashU32((index ^ Math.imul(seed, 2654435761)) >>> 0);
  return Math.fround((Math.fround((h >>> 8) / 16777216) * 2 - 1) * scale);
}

export type WeightName =
  'embed' | 'norm1' | 'wq' | 'wk' | 'wv' | 'wo' | 'norm2' | 'wg' | 'wu' | 'wd' | 'normFinal' | 'lmHead';

export interface WeightSpec {
  name: WeightName;
  layer: number;
  rows: number;
  cols: number;
  /** Seed of this tensor's values. */
  seed: number;
  /** Values are uniform in [-scale, scale); norms are 1 + that. */
  scale: number;
}

/** Every tensor of the model, with shapes [in, out] for linear layers and the seed of its values. */
export function weightSpecs(m: ModelConfig, seed: number): WeightSpec[] {
  const h = m.hiddenSize;
  const q = m.heads * m.headDim;
  const kv = m.kvHeads * m.headDim;
  const specs: WeightSpec[] = [];
  let n = 0;
  const add = (name: WeightName, layer: number, rows: number, cols: number, scale: number): void => {
    specs.push({ name, layer, rows, cols, seed: (seed + 7919 * n++) >>> 0, scale });
  };
  add('embed', -1, m.vocabSize, h, 1);
  for (let l = 0; l < m.layers; l++) {
    add('norm1', l, 1, h, 0.1);
    add('wq', l, h, q, 1 / Math.sqrt(h));
    add('wk', l, h, kv, 1 / Math.sqrt(h));
    add('wv', l, h, kv, 1 / Math.sqrt(h));
    add('wo', l, q, h, 1 / Math.sqrt(q));
    add('norm2', l, 1, h, 0.1);
    add('wg', l, h, m.mlpSize, 1 / Math.sqrt(h));
    add('wu', l, h, m.mlpSize, 1 / Math.sqrt(h));
    add('wd', l, m.mlpSize, h, 1 / Math.sqrt(m.mlpSize));
  }
  add('normFinal', -1, 1, h, 0.1);
  add('lmHead', -1, h, m.vocabSize, 1 / Math.sqrt(h));
  return specs;
}

export function isNorm(name: WeightName): boolean {
  return name === 'norm1' || name === 'norm2' || name === 'normFinal';
}
