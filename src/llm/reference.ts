import type { ModelConfig } from '../models/presets.js';
import { roundToF16 } from '../suites/numeric.js';
import { isNorm, randomWeight, weightSpecs, type WeightName, type WeightSpec } from './weights.js';

/**
 * The model's forward pass on the CPU in f64, from the same weights: the check for the GPU.
 * Weights are stored as f32 (every value is an f32, or an f16 held in one), so a 7B-shaped layer
 * fits; sequences are independent, each with its own KV cache and position.
 */
export class ReferenceModel {
  private readonly w = new Map<string, Float32Array>();
  private readonly sequences = new Map<number, { position: number; k: Float64Array[][]; v: Float64Array[][] }>();
  private readonly embedSpec: WeightSpec;
  private readonly round: (v: number) => number;

  constructor(
    readonly m: ModelConfig,
    seed: number,
    weightDtype: 'f32' | 'f16' = 'f32',
  ) {
    // Matrices in f16 are the f32 value rounded to f16, as the kernel's W(...) conversion does.
    this.round = weightDtype === 'f16' ? roundToF16 : (v: number): number => v;
    const specs = weightSpecs(m, seed);
    this.embedSpec = specs.find((s) => s.name === 'embed') as WeightSpec;
    for (const spec of specs) {
      // Embedding rows are made when a token needs one: the table is as large as the LM head.
      if (spec.name === 'embed') continue;
      const count = spec.rows * spec.cols;
      const values = new Float32Array(count);
      const round = isNorm(spec.name) ? (v: number): number => Math.fround(v + 1) : this.round;
      for (let i = 0; i < count; i++) values[i] = round(randomWeight(spec.seed, i, spec.scale));
      this.w.set(`${spec.name}.${spec.layer}`, values);
    }
  }

  private weight(name: WeightName, layer = -1): Float32Array {
    return this.w.get(`${name}.${layer}`) as Float32Array;
  }

  private embedding(token: number): Float64Array {
    const h = this.m.hiddenSize;
    const { seed, scale } = this.embedSpec;
    return Float64Array.from({ length: h }, (_, i) => this.round(randomWeight(seed, token * h + i, scale)));
  }

  private static matvec(x: Float64Array, w: Float32Array, inDim: number, outDim: number): Float64Array {
    const out = new Float64Array(outDim);
    for (let k = 0; k < inDim; k++) {
      const xk = x[k] as number;
      for (let n = 0; n < outDim; n++) out[n] = (out[n] as number) + xk * (w[k * outDim + n] as number);
    }
    return out;
  }

  private static rmsnorm(x: Float64Array, w: Float32Array): Float64Array {
    let s = 0;
    for (const v of x) s += v * v;
    const inv = 1 / Math.sqrt(s / x.length + 1e-5);
    return x.map((v, i) => v * inv * (w[i] as number));
  }

  /** Rotary position embedding in place: pairs (2i, 2i+1) of each head turned by pos·10000^(−2i/d). */
  private static rope(x: Float64Array, heads: number, d: number, pos: number): void {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < d / 2; i++) {
        // The kernel computes the angle in f32; so does this, so the two agree to rounding.
        const theta = Math.fround(pos * Math.fround(10000 ** Math.fround((-2 * i) / d)));
        const a = x[h * d + 2 * i] as number;
        const b = x[h * d + 2 * i + 1] as number;
        x[h * d + 2 * i] = a * Math.cos(theta) - b * Math.sin(theta);
        x[h * d + 2 * i + 1] = a * Math.sin(theta) + b * Math.cos(theta);
      }
    }
  }

  /** Forgets every sequence (the weights stay): a fresh model for the next check. */
  reset(): void {
    this.sequences.clear();
  }

  /** One token at the next position of sequence `seq`; returns the logits. */
  step(token: number, seq = 0): Float64Array {
    const m = this.m;
    let state = this.sequences.get(seq);
    if (state === undefined) {
      state = {
        position: 0,
        k: Array.from({ length: m.layers }, () => []),
        v: Array.from({ length: m.layers }, () => []),
      };
      this.sequences.set(seq, state);
    }
    const pos = state.position++;
    const d = m.headDim;
    const h = m.hiddenSize;
    let x = this.embedding(token);
    for (let l = 0; l < m.layers; l++) {
      const hn = ReferenceModel.rmsnorm(x, this.weight('norm1', l));
      const q = ReferenceModel.matvec(hn, this.weight('wq', l), h, m.heads * d);
      ReferenceModel.rope(q, m.heads, d, pos);
      const k = ReferenceModel.matvec(hn, this.weight('wk', l), h, m.kvHeads * d);
      ReferenceModel.rope(k, m.kvHeads, d, pos);
      const keys = state.k[l] as Float64Array[];
      const values = state.v[l] as Float64Array[];
      keys.push(k);
      values.push(ReferenceModel.matvec(hn, this.weight('wv', l), h, m.kvHeads * d));
      const att = new Float64Array(m.heads * d);
      for (let head = 0; head < m.heads; head++) {
        const hk = Math.floor(head / (m.heads / m.kvHeads));
        const scores = keys.map((k) => {
          let s = 0;
          for (let i = 0; i < d; i++) s += (q[head * d + i] as number) * (k[hk * d + i] as number);
          return s / Math.sqrt(d);
        });
        const mx = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - mx));
        const sum = e.reduce((a, b) => a + b, 0);
        for (const [j, v] of values.entries())
          for (let i = 0; i < d; i++)
            att[head * d + i] = (att[head * d + i] as number) + ((e[j] as number) / sum) * (v[hk * d + i] as number);
      }
      const o = ReferenceModel.matvec(att, this.weight('wo', l), m.heads * d, h);
      x = x.map((v, i) => v + (o[i] as number));
      const hn2 = ReferenceModel.rmsnorm(x, this.weight('norm2', l));
      const g = ReferenceModel.matvec(hn2, this.weight('wg', l), h, m.mlpSize);
      const u = ReferenceModel.matvec(hn2, this.weight('wu', l), h, m.mlpSize);
      const gu = g.map((v, i) => (v / (1 + Math.exp(-v))) * (u[i] as number));
      const down = ReferenceModel.matvec(gu, this.weight('wd', l), m.mlpSize, h);
      x = x.map((v, i) => v + (down[i] as number));
    }
    return ReferenceModel.matvec(
      ReferenceModel.rmsnorm(x, this.weight('normFinal')),
      this.weight('lmHead'),
      h,
      m.vocabSize,
    );
  }
}

export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if ((v[i] as number) > (v[best] as number)) best = i;
  return best;
}
