import type { BufferPool } from '../gpu/buffers.js';
import { groups1d } from '../gpu/dispatch.js';
import { computePipeline } from '../gpu/pipelines.js';
import type { ModelConfig } from '../models/presets.js';
import { isNorm, weightSpecs, type WeightName } from './weights.js';

/** A row of a forward pass: a token of a sequence at a position. */
export interface Row {
  seq: number;
  pos: number;
  token: number;
}

const ENTRY_POINTS = ['fill_random', 'fill_random_w', 'embed', 'rmsnorm', 'linear', 'rope', 'silu_mul', 'add_inplace', 'kv_append', 'attend', 'argmax'] as const;
type Entry = (typeof ENTRY_POINTS)[number];

interface Params {
  rows?: number;
  inDim?: number;
  outDim?: number;
  seed?: number;
  count?: number;
  layerOffset?: number;
  scale?: number;
  bias?: number;
}

/**
 * The model on the device: weights filled on the GPU, a paged KV cache, and a forward pass over
 * any set of rows (a prefill's tokens, or one token of each sequence in a decode step) that
 * returns the greedy next token of each sequence's last row.
 */
export class GpuModel {
  readonly blockTokens = 16;
  private readonly pipelines = new Map<Entry, GPUComputePipeline>();
  private readonly weights = new Map<string, GPUBuffer>();
  private kPool!: GPUBuffer;
  private vPool!: GPUBuffer;
  private table!: GPUBuffer;
  /** Blocks per layer in the pool. */
  private blocksPerLayer = 0;
  readonly maxBlocks: number;

  private constructor(
    private readonly device: GPUDevice,
    readonly config: ModelConfig,
    readonly maxSeqs: number,
    readonly maxTokens: number,
  ) {
    this.maxBlocks = Math.ceil(maxTokens / this.blockTokens);
  }

  /** Element type of the matrices (norm weights, activations and the KV cache are f32). */
  weightDtype: 'f32' | 'f16' = 'f32';

  static async create(device: GPUDevice, config: ModelConfig, seed: number, maxSeqs: number, maxTokens: number, loadKernel: (n: string) => Promise<string>, pool: BufferPool, weightDtype: 'f32' | 'f16' = 'f32'): Promise<GpuModel> {
    const model = new GpuModel(device, config, maxSeqs, maxTokens);
    model.weightDtype = weightDtype;
    const template = await loadKernel('llm');
    const code = weightDtype === 'f16' ? template.replace('alias W = f32; // dtype', 'enable f16;\nalias W = f16; // dtype') : template;
    for (const e of ENTRY_POINTS) model.pipelines.set(e, await computePipeline(device, 'llm', code, e));
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    for (const spec of weightSpecs(config, seed)) {
      const count = spec.rows * spec.cols;
      const norm = isNorm(spec.name);
      const bytes = norm || weightDtype === 'f32' ? 4 : 2;
      const buffer = pool.create({ size: Math.ceil((count * bytes) / 4) * 4, usage: storage, label: `${spec.name}.${spec.layer}` });
      model.weights.set(`${spec.name}.${spec.layer}`, buffer);
      if (norm) model.dispatch(pass, 'fill_random', { count, seed: spec.seed, scale: spec.scale, bias: 1 }, { 1: buffer }, groups1d(count));
      else model.dispatch(pass, 'fill_random_w', { count, seed: spec.seed, scale: spec.scale, bias: 0 }, { 10: buffer }, groups1d(count));
    }
    pass.end();
    device.queue.submit([encoder.finish()]);
    model.blocksPerLayer = maxSeqs * model.maxBlocks;
    const poolFloats = config.layers * model.blocksPerLayer * config.kvHeads * model.blockTokens * config.headDim;
    model.kPool = pool.create({ size: poolFloats * 4, usage: storage, label: 'k-pool' });
    model.vPool = pool.create({ size: poolFloats * 4, usage: storage, label: 'v-pool' });
    // Sequence s owns blocks [s·maxBlocks, (s+1)·maxBlocks) of each layer's slice, in a shuffled order.
    const table = new Uint32Array(maxSeqs * model.maxBlocks);
    for (let s = 0; s < maxSeqs; s++) for (let j = 0; j < model.maxBlocks; j++) table[s * model.maxBlocks + j] = GpuModel.slotOf(s, j, model.maxBlocks);
    model.table = pool.create({ size: table.byteLength, usage: storage, label: 'block-table' });
    device.queue.writeBuffer(model.table, 0, table);
    await device.queue.onSubmittedWorkDone();
    return model;
  }

  /** Pool block (within a layer) of sequence slot `seq`'s j-th block: shuffled, as a paged cache is. */
  static slotOf(seq: number, j: number, maxBlocks: number): number {
    return seq * maxBlocks + ((j * 7 + seq) % maxBlocks);
  }

  /** KV-cache bytes one token takes in the pool (all layers, K and V). */
  kvBytesPerToken(): number {
    return 2 * this.config.layers * this.config.kvHeads * this.config.headDim * 4;
  }

  weightBytes(): number {
    let n = 0;
    for (const b of this.weights.values()) n += b.size;
    return n;
  }

  private weight(name: WeightName, layer = -1): GPUBuffer {
    const w = this.weights.get(`${name}.${layer}`);
    if (w === undefined) throw new Error(`no weight ${name}.${layer}`);
    return w;
  }

  private paramsBuffer(p: Params): GPUBuffer {
    const m = this.config;
    const data = new ArrayBuffer(64);
    const u = new Uint32Array(data);
    const f = new Float32Array(data);
    u.set([p.rows ?? 0, p.inDim ?? 0, p.outDim ?? 0, p.seed ?? 0, p.count ?? 0, m.heads, m.kvHeads, m.headDim, this.blockTokens, this.maxBlocks, p.layerOffset ?? 0]);
    f[11] = p.scale ?? 1 / Math.sqrt(m.headDim);
    f[12] = p.bias ?? 0;
    const buffer = this.device.createBuffer({ size: 64, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
    new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data));
    buffer.unmap();
    this.transient.push(buffer);
    return buffer;
  }

  private transient: GPUBuffer[] = [];

  private dispatch(pass: GPUComputePassEncoder, entry: Entry, p: Params, buffers: Partial<Record<number, GPUBuffer>>, groups: [number, number, number]): void {
    const pipeline = this.pipelines.get(entry) as GPUComputePipeline;
    const layout = pipeline.getBindGroupLayout(0);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.paramsBuffer(p) } }];
    for (const [binding, buffer] of Object.entries(buffers)) if (buffer !== undefined) entries.push({ binding: Number(binding), resource: { buffer } });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, this.device.createBindGroup({ layout, entries }));
    pass.dispatchWorkgroups(...groups);
  }

  /**
   * Runs the model over `rows`, appending their K/V to the cache, and returns for each listed
   * output row (index into rows) the greedy next token.
   */
  async forward(rows: readonly Row[], outputRows: readonly number[]): Promise<number[]> {
    const m = this.config;
    const n = rows.length;
    const h = m.hiddenSize;
    const q = m.heads * m.headDim;
    const kv = m.kvHeads * m.headDim;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const scratch = (floats: number, label: string): GPUBuffer => {
      const b = this.device.createBuffer({ size: Math.max(16, floats * 4), usage, label });
      this.transient.push(b);
      return b;
    };
    const ids = (values: number[]): GPUBuffer => {
      const b = this.device.createBuffer({ size: Math.max(16, values.length * 4), usage, mappedAtCreation: true });
      new Uint32Array(b.getMappedRange()).set(values);
      b.unmap();
      this.transient.push(b);
      return b;
    };
    const tokens = ids(rows.map((r) => r.token));
    const rowSeq = ids(rows.map((r) => r.seq));
    const rowPos = ids(rows.map((r) => r.pos));
    const x = scratch(n * h, 'x');
    const hn = scratch(n * h, 'h');
    const qb = scratch(n * q, 'q');
    const kb = scratch(n * kv, 'k');
    const vb = scratch(n * kv, 'v');
    const att = scratch(n * q, 'att');
    const o = scratch(n * h, 'o');
    const g = scratch(n * m.mlpSize, 'g');
    const u = scratch(n * m.mlpSize, 'u');
    const gu = scratch(n * m.mlpSize, 'gu');
    const outRows = outputRows.length;
    const last = scratch(outRows * h, 'last');
    const logits = scratch(outRows * m.vocabSize, 'logits');
    const next = ids(new Array<number>(outRows).fill(0));
    const encoder = this.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    const lin = (input: GPUBuffer, weight: GPUBuffer, out: GPUBuffer, inDim: number, outDim: number, r = n): void => {
      this.dispatch(pass, 'linear', { rows: r, inDim, outDim }, { 1: input, 10: weight, 3: out }, [Math.ceil(outDim / 64), r, 1]);
    };
    this.dispatch(pass, 'embed', { rows: n, inDim: h }, { 10: this.weight('embed'), 3: x, 9: tokens }, [Math.ceil((n * h) / 256), 1, 1]);
    for (let l = 0; l < m.layers; l++) {
      const layerOffset = l * this.blocksPerLayer;
      this.dispatch(pass, 'rmsnorm', { rows: n, inDim: h }, { 1: x, 2: this.weight('norm1', l), 3: hn }, [n, 1, 1]);
      lin(hn, this.weight('wq', l), qb, h, q);
      lin(hn, this.weight('wk', l), kb, h, kv);
      lin(hn, this.weight('wv', l), vb, h, kv);
      this.dispatch(pass, 'rope', { rows: n, count: m.heads }, { 1: qb, 5: rowPos }, [Math.ceil((n * m.heads * (m.headDim / 2)) / 256), 1, 1]);
      this.dispatch(pass, 'rope', { rows: n, count: m.kvHeads }, { 1: kb, 5: rowPos }, [Math.ceil((n * m.kvHeads * (m.headDim / 2)) / 256), 1, 1]);
      this.dispatch(pass, 'kv_append', { rows: n, layerOffset }, { 1: kb, 2: vb, 4: rowSeq, 5: rowPos, 6: this.table, 7: this.kPool, 8: this.vPool }, [Math.ceil((n * kv) / 256), 1, 1]);
      this.dispatch(pass, 'attend', { rows: n, layerOffset }, { 1: qb, 3: att, 4: rowSeq, 5: rowPos, 6: this.table, 7: this.kPool, 8: this.vPool }, [Math.ceil((n * m.heads) / 64), 1, 1]);
      lin(att, this.weight('wo', l), o, q, h);
      this.dispatch(pass, 'add_inplace', { count: n * h }, { 1: x, 2: o }, [Math.ceil((n * h) / 256), 1, 1]);
      this.dispatch(pass, 'rmsnorm', { rows: n, inDim: h }, { 1: x, 2: this.weight('norm2', l), 3: hn }, [n, 1, 1]);
      lin(hn, this.weight('wg', l), g, h, m.mlpSize);
      lin(hn, this.weight('wu', l), u, h, m.mlpSize);
      this.dispatch(pass, 'silu_mul', { count: n * m.mlpSize }, { 1: g, 2: u, 3: gu }, [Math.ceil((n * m.mlpSize) / 256), 1, 1]);
      lin(gu, this.weight('wd', l), o, m.mlpSize, h);
      this.dispatch(pass, 'add_inplace', { count: n * h }, { 1: x, 2: o }, [Math.ceil((n * h) / 256), 1, 1]);
    }
    pass.end();
    // Gather the output rows, then the final norm, LM head and argmax on those alone.
    for (const [i, r] of outputRows.entries()) encoder.copyBufferToBuffer(x, r * h * 4, last, i * h * 4, h * 4);
    const tail = encoder.beginComputePass();
    this.dispatch(tail, 'rmsnorm', { rows: outRows, inDim: h }, { 1: last, 2: this.weight('normFinal'), 3: hn }, [outRows, 1, 1]);
    this.dispatch(tail, 'linear', { rows: outRows, inDim: h, outDim: m.vocabSize }, { 1: hn, 10: this.weight('lmHead'), 3: logits }, [Math.ceil(m.vocabSize / 64), outRows, 1]);
    this.dispatch(tail, 'argmax', { rows: outRows, outDim: m.vocabSize }, { 1: logits, 9: next }, [outRows, 1, 1]);
    tail.end();
    const readback = this.device.createBuffer({ size: Math.max(16, outRows * 4), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    encoder.copyBufferToBuffer(next, 0, readback, 0, Math.max(16, outRows * 4));
    this.lastLogits = logits;
    this.device.queue.submit([encoder.finish()]);
    await readback.mapAsync(GPUMapMode.READ);
    const result = [...new Uint32Array(readback.getMappedRange()).slice(0, outRows)];
    readback.unmap();
    readback.destroy();
    return result;
  }

  /** Floats of one block of one layer in a pool. */
  private blockFloats(): number {
    return this.config.kvHeads * this.blockTokens * this.config.headDim;
  }

  /** The pool blocks holding the first `tokens` positions of sequence slot `seq`, every layer. */
  private blocksOf(seq: number, tokens: number): number[] {
    const out: number[] = [];
    const used = Math.ceil(tokens / this.blockTokens);
    for (let l = 0; l < this.config.layers; l++) {
      for (let j = 0; j < used; j++) out.push(l * this.blocksPerLayer + GpuModel.slotOf(seq, j, this.maxBlocks));
    }
    return out;
  }

  /** Reads a sequence's K and V blocks (all layers) back to the host: the prefill side of a handover. */
  async exportKv(seq: number, tokens: number): Promise<{ k: Float32Array<ArrayBuffer>; v: Float32Array<ArrayBuffer>; bytes: number }> {
    const blocks = this.blocksOf(seq, tokens);
    const per = this.blockFloats() * 4;
    const size = blocks.length * per;
    const staging = this.device.createBuffer({ size: 2 * size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = this.device.createCommandEncoder();
    for (const [i, b] of blocks.entries()) {
      encoder.copyBufferToBuffer(this.kPool, b * per, staging, i * per, per);
      encoder.copyBufferToBuffer(this.vPool, b * per, staging, size + i * per, per);
    }
    this.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const all = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    return { k: all.subarray(0, size / 4), v: all.subarray(size / 4), bytes: 2 * size };
  }

  /** Writes blocks exported by another model with the same layout into this one's pool. */
  async importKv(seq: number, tokens: number, data: { k: Float32Array<ArrayBuffer>; v: Float32Array<ArrayBuffer> }): Promise<void> {
    const blocks = this.blocksOf(seq, tokens);
    const floats = this.blockFloats();
    for (const [i, b] of blocks.entries()) {
      this.device.queue.writeBuffer(this.kPool, b * floats * 4, data.k, i * floats, floats);
      this.device.queue.writeBuffer(this.vPool, b * floats * 4, data.v, i * floats, floats);
    }
    await this.device.queue.onSubmittedWorkDone();
  }

  /** Logits of the last forward's output rows (for the reference check). */
  lastLogits: GPUBuffer | null = null;

  /** Frees the per-forward buffers (call after reading what is needed). */
  releaseTransient(): void {
    for (const b of this.transient.splice(0)) b.destroy();
    this.lastLogits = null;
  }
}
