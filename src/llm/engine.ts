import type { BufferPool } from '../gpu/buffers.js';
import { groups1d } from '../gpu/dispatch.js';
import { GEMV_DEFAULT_COLUMNS4, gemvUnsupported, planGemv } from '../gpu/gemvPlan.js';
import { computePipeline } from '../gpu/pipelines.js';
import { dtypeValues, fillWgslTemplate } from '../gpu/wgslTemplate.js';
import type { ModelConfig } from '../models/presets.js';
import { isNorm, weightSpecs, type WeightName } from './weights.js';

/** A row of a forward pass: a token of a sequence at a position. */
export interface Row {
  seq: number;
  pos: number;
  token: number;
}

const LLM_ENTRIES = [
  'fill_random',
  'fill_random_cols',
  'embed',
  'rmsnorm',
  'linear',
  'linear_tiled',
  'rope_qkv_append',
  'silu_mul',
  'attend',
  'attend_reduce',
  'gather_rows',
  'argmax',
] as const;
const GEMV_ENTRIES = ['gemv_kernel', 'gemv_reduce', 'gemv_gated_kernel', 'gemv_gated_reduce'] as const;
type Entry = (typeof LLM_ENTRIES)[number] | (typeof GEMV_ENTRIES)[number];

/** kernels/llm.wgsl's attention runs one thread per head dimension in a 128-wide workgroup. */
const MAX_HEAD_DIM = 128;
const PARAMS_BYTES = 64;
/** Forward-pass shapes kept recorded; a serving run sees a few prompt lengths and batch sizes. */
const MAX_CACHED_PLANS = 8;

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

/** The kernel a linear layer runs: decode-sized GEMV, tiled, or naive (one thread per output). */
export type LinearKernel = 'gemv' | 'tiled' | 'naive';

/**
 * Which linear kernels a model uses: `gpu` picks the GEMV for decode-sized row counts and the
 * tiled kernel for prefills (a GPU needs their parallelism to keep its memory busy); `naive`
 * runs one thread per output everywhere, which a CPU adapter executes faster (no barriers, and
 * the whole weight matrix sits in its caches at the sizes it can run).
 */
export type LinearKernels = 'gpu' | 'naive';

export function linearKernelFor(
  rows: number,
  inDim: number,
  outDim: number,
  kernels: LinearKernels = 'gpu',
): LinearKernel {
  if (kernels === 'naive') return 'naive';
  if (gemvUnsupported(rows, inDim, outDim) === null) return 'gemv';
  if (outDim % 64 === 0 && inDim % 16 === 0) return 'tiled';
  return 'naive';
}

export interface ModelOptions {
  linearKernels?: LinearKernels;
  /** Workgroups the GEMV aims for (split-K below that); see gpu/gemvPlan. */
  gemvTargetWorkgroups?: number;
  /** vec4 columns of W per GEMV workgroup (kernels/gemv.wgsl's COLS4; default GEMV_DEFAULT_COLUMNS4). */
  gemvColumns4?: number;
  /** Splits of each row's keys in attention (default: attentionSplits()). */
  attentionSplits?: number;
  /**
   * Fold each RMSNorm into the GEMV that reads it (default true): two dispatches fewer per layer,
   * for a reduction over the input row in every GEMV workgroup.
   */
  foldNorms?: boolean;
}

/** Attention workgroups a pass aims for: a decode step of one sequence has only `heads` rows. */
const ATTENTION_TARGET_WORKGROUPS = 512;
/** Fewest keys worth a split of their own at the longest context the model holds. */
const ATTENTION_MIN_KEYS_PER_SPLIT = 64;

/** Splits of the keys for a pass of `rows` rows: enough (row, head) workgroups to fill a GPU. */
export function attentionSplits(rows: number, heads: number, maxTokens: number): number {
  const wanted = Math.ceil(ATTENTION_TARGET_WORKGROUPS / (rows * heads));
  return Math.max(1, Math.min(32, wanted, Math.floor(maxTokens / ATTENTION_MIN_KEYS_PER_SPLIT)));
}

type MatrixName = WeightName | 'wqkv' | 'wgu';

/** Matrices stored side by side in one buffer: its name, its width and this matrix's first column. */
const FUSED: Partial<
  Record<WeightName, { name: MatrixName; columns: (m: ModelConfig) => number; offset: (m: ModelConfig) => number }>
> = {
  wq: { name: 'wqkv', columns: (m) => (m.heads + 2 * m.kvHeads) * m.headDim, offset: () => 0 },
  wk: { name: 'wqkv', columns: (m) => (m.heads + 2 * m.kvHeads) * m.headDim, offset: (m) => m.heads * m.headDim },
  wv: {
    name: 'wqkv',
    columns: (m) => (m.heads + 2 * m.kvHeads) * m.headDim,
    offset: (m) => (m.heads + m.kvHeads) * m.headDim,
  },
  wg: { name: 'wgu', columns: (m) => 2 * m.mlpSize, offset: () => 0 },
  wu: { name: 'wgu', columns: (m) => 2 * m.mlpSize, offset: (m) => m.mlpSize },
};

interface Dispatch {
  entry: Entry;
  params: Params;
  buffers: Partial<Record<number, GPUBuffer>>;
  groups: [number, number, number];
}

/**
 * One shape of forward pass (rows in, output rows out) recorded once: its scratch buffers, one
 * uniform buffer holding every dispatch's parameters, and the bind groups. Replaying it costs only
 * the writes of the row ids, so a decode step's host work does not grow with the layer count.
 */
export interface ForwardPlan {
  readonly rows: number;
  readonly outputRows: number;
  /** Writes the rows' tokens, sequences and positions, and which rows are outputs. */
  write(rows: readonly Row[], outputRows: readonly number[]): void;
  /** Records the whole pass: every layer, then the output rows' norm, LM head and argmax. */
  encode(pass: GPUComputePassEncoder): void;
  /** Greedy next token per output row, after a submitted pass. */
  readonly next: GPUBuffer;
  readonly logits: GPUBuffer;
  readonly readback: GPUBuffer;
  readonly buffers: readonly GPUBuffer[];
  /** How the pass is laid out: dispatches per entry point and the split choices, for reports. */
  readonly layout: PlanLayout;
}

export interface PlanLayout {
  dispatches: number;
  byEntry: Record<string, number>;
  attentionSplits: number;
  normsFolded: boolean;
}

/**
 * The model on the device: weights filled on the GPU, a paged KV cache, and a forward pass over
 * any set of rows (a prefill's tokens, or one token of each sequence in a decode step) that
 * returns the greedy next token of each listed output row.
 */
export class GpuModel {
  readonly blockTokens = 16;
  private readonly pipelines = new Map<Entry, GPUComputePipeline>();
  private readonly weights = new Map<string, GPUBuffer>();
  private readonly plans = new Map<string, ForwardPlan>();
  private kPool!: GPUBuffer;
  private vPool!: GPUBuffer;
  private table!: GPUBuffer;
  /** Blocks per layer in the pool. */
  private blocksPerLayer = 0;
  readonly maxBlocks: number;
  private constructor(
    private readonly device: GPUDevice,
    private readonly pool: BufferPool,
    readonly config: ModelConfig,
    readonly maxSeqs: number,
    readonly maxTokens: number,
    readonly options: ModelOptions,
  ) {
    this.maxBlocks = Math.ceil(maxTokens / this.blockTokens);
  }

  get gemvColumns4(): number {
    return this.options.gemvColumns4 ?? GEMV_DEFAULT_COLUMNS4;
  }

  /** Element type of the matrices (norm weights, activations and the KV cache are f32). */
  weightDtype: 'f32' | 'f16' = 'f32';

  static async create(
    device: GPUDevice,
    config: ModelConfig,
    seed: number,
    maxSeqs: number,
    maxTokens: number,
    loadKernel: (n: string) => Promise<string>,
    pool: BufferPool,
    weightDtype: 'f32' | 'f16' = 'f32',
    options: ModelOptions = {},
  ): Promise<GpuModel> {
    if (config.headDim > MAX_HEAD_DIM || config.headDim % 2 !== 0)
      throw new Error(
        `head dim ${config.headDim} is not supported: the attention kernel takes even head dims up to ${MAX_HEAD_DIM}`,
      );
    const model = new GpuModel(device, pool, config, maxSeqs, maxTokens, options);
    model.weightDtype = weightDtype;
    model.blocksPerLayer = maxSeqs * model.maxBlocks;
    const poolBytes = config.layers * model.blocksPerLayer * config.kvHeads * model.blockTokens * config.headDim * 4;
    const binding = device.limits.maxStorageBufferBindingSize;
    if (poolBytes > binding)
      throw new Error(
        `the KV cache for ${maxSeqs} sequences of ${maxTokens} tokens needs ${poolBytes} bytes per pool, ` +
          `more than the device's largest binding (${binding}); use fewer sequences or a shorter context`,
      );
    const weights = dtypeValues('W', weightDtype);
    const llm = fillWgslTemplate('llm.wgsl', await loadKernel('llm'), weights);
    const gemv = fillWgslTemplate('gemv.wgsl', await loadKernel('gemv'), weights);
    for (const e of LLM_ENTRIES) model.pipelines.set(e, await computePipeline(device, 'llm', llm, e));
    // The reduce passes do not read COLS4; the kernels that do take the model's.
    for (const e of GEMV_ENTRIES)
      model.pipelines.set(
        e,
        await computePipeline(device, 'gemv', gemv, e, e.endsWith('_kernel') ? { COLS4: model.gemvColumns4 } : {}),
      );
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const fills: Dispatch[] = [];
    const matrixBytes = weightDtype === 'f32' ? 4 : 2;
    for (const spec of weightSpecs(config, seed)) {
      const count = spec.rows * spec.cols;
      if (isNorm(spec.name)) {
        const buffer = pool.create({
          size: Math.ceil((count * 4) / 16) * 16,
          usage: storage,
          label: `${spec.name}.${spec.layer}`,
        });
        model.weights.set(`${spec.name}.${spec.layer}`, buffer);
        fills.push({
          entry: 'fill_random',
          params: { count, seed: spec.seed, scale: spec.scale, bias: 1 },
          buffers: { 1: buffer },
          groups: groups1d(count),
        });
        continue;
      }
      // Q, K and V share one matrix (one pass over the input), as do the MLP's gate and up.
      const fused = FUSED[spec.name] ?? { name: spec.name, columns: () => spec.cols, offset: () => 0 };
      const key = `${fused.name}.${spec.layer}`;
      const width = fused.columns(config);
      let buffer = model.weights.get(key);
      if (buffer === undefined) {
        buffer = pool.create({
          size: Math.ceil((spec.rows * width * matrixBytes) / 16) * 16,
          usage: storage,
          label: key,
        });
        model.weights.set(key, buffer);
      }
      fills.push({
        entry: 'fill_random_cols',
        params: {
          count,
          seed: spec.seed,
          scale: spec.scale,
          bias: 0,
          outDim: spec.cols,
          inDim: width,
          layerOffset: fused.offset(config),
        },
        buffers: { 10: buffer },
        groups: groups1d(count),
      });
    }
    model.kPool = pool.create({ size: poolBytes, usage: storage, label: 'k-pool' });
    model.vPool = pool.create({ size: poolBytes, usage: storage, label: 'v-pool' });
    model.submitOnce(fills);
    // Sequence s owns blocks [s·maxBlocks, (s+1)·maxBlocks) of each layer's slice, in a shuffled order.
    const table = new Uint32Array(maxSeqs * model.maxBlocks);
    for (let s = 0; s < maxSeqs; s++)
      for (let j = 0; j < model.maxBlocks; j++) table[s * model.maxBlocks + j] = GpuModel.slotOf(s, j, model.maxBlocks);
    model.table = pool.create({ size: table.byteLength, usage: storage, label: 'block-table' });
    device.queue.writeBuffer(model.table, 0, table);
    await device.queue.onSubmittedWorkDone();
    return model;
  }

  /**
   * Fills every KV-cache slot with seeded values in [-1, 1): a decode step timed over a long
   * context then reads real numbers, not zeros.
   */
  async fillKvRandom(seed: number): Promise<void> {
    const count = this.kPool.size / 4;
    this.submitOnce([
      { entry: 'fill_random', params: { count, seed, scale: 1 }, buffers: { 1: this.kPool }, groups: groups1d(count) },
      {
        entry: 'fill_random',
        params: { count, seed: seed + 1, scale: 1 },
        buffers: { 1: this.vPool },
        groups: groups1d(count),
      },
    ]);
    await this.device.queue.onSubmittedWorkDone();
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

  private weight(name: MatrixName, layer = -1): GPUBuffer {
    const w = this.weights.get(`${name}.${layer}`);
    if (w === undefined) throw new Error(`no weight ${name}.${layer}`);
    return w;
  }

  private paramsBytes(p: Params): Uint8Array {
    const m = this.config;
    const data = new ArrayBuffer(PARAMS_BYTES);
    const u = new Uint32Array(data);
    const f = new Float32Array(data);
    u.set([
      p.rows ?? 0,
      p.inDim ?? 0,
      p.outDim ?? 0,
      p.seed ?? 0,
      p.count ?? 0,
      m.heads,
      m.kvHeads,
      m.headDim,
      this.blockTokens,
      this.maxBlocks,
      p.layerOffset ?? 0,
    ]);
    f[11] = p.scale ?? 1 / Math.sqrt(m.headDim);
    f[12] = p.bias ?? 0;
    return new Uint8Array(data);
  }

  /** Dispatches with their parameters in one uniform buffer (a slot each) and their bind groups. */
  private record(dispatches: readonly Dispatch[], owned: GPUBuffer[]): (pass: GPUComputePassEncoder) => void {
    const stride = Math.max(PARAMS_BYTES, this.device.limits.minUniformBufferOffsetAlignment);
    const uniform = this.pool.create({
      size: Math.max(1, dispatches.length) * stride,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      label: 'llm-params',
    });
    owned.push(uniform);
    const all = new Uint8Array(uniform.size);
    const recorded = dispatches.map((d, i) => {
      all.set(this.paramsBytes(d.params), i * stride);
      const pipeline = this.pipelines.get(d.entry) as GPUComputePipeline;
      const entries: GPUBindGroupEntry[] = [
        { binding: 0, resource: { buffer: uniform, offset: i * stride, size: PARAMS_BYTES } },
      ];
      for (const [binding, buffer] of Object.entries(d.buffers))
        if (buffer !== undefined) entries.push({ binding: Number(binding), resource: { buffer } });
      return {
        pipeline,
        bindGroup: this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }),
        groups: d.groups,
      };
    });
    this.device.queue.writeBuffer(uniform, 0, all);
    return (pass) => {
      for (const r of recorded) {
        pass.setPipeline(r.pipeline);
        pass.setBindGroup(0, r.bindGroup);
        pass.dispatchWorkgroups(...r.groups);
      }
    };
  }

  private submitOnce(dispatches: readonly Dispatch[]): void {
    const owned: GPUBuffer[] = [];
    const encode = this.record(dispatches, owned);
    const encoder = this.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    encode(pass);
    pass.end();
    this.device.queue.submit([encoder.finish()]);
    for (const b of owned) this.pool.destroy(b);
  }

  /**
   * The linear layer's dispatches for `rows` rows: GEMV (with its split-K reduce), tiled or naive.
   * `accumulate` adds the result to `out` (a residual connection) instead of overwriting it.
   */
  private linear(
    input: GPUBuffer,
    weight: GPUBuffer,
    out: GPUBuffer,
    inDim: number,
    outDim: number,
    rows: number,
    partials: GPUBuffer,
    accumulate = false,
    norm?: GPUBuffer,
  ): Dispatch[] {
    const kernel = linearKernelFor(rows, inDim, outDim, this.options.linearKernels);
    if (norm !== undefined && kernel !== 'gemv') throw new Error('only the GEMV folds an RMSNorm into its input');
    const flags = (accumulate ? 1 : 0) | (norm !== undefined ? 2 : 0);
    if (kernel === 'gemv') {
      const launch = planGemv(rows, inDim, outDim, this.options.gemvTargetWorkgroups, false, this.gemvColumns4);
      const params = { rows, inDim, outDim, seed: flags, count: launch.splits };
      const main: Dispatch = {
        entry: 'gemv_kernel',
        params,
        buffers: { 1: input, 2: weight, 3: out, 4: partials, 5: norm ?? input },
        groups: [launch.groups[0], launch.groups[1], 1],
      };
      if (launch.splits === 1) return [main];
      return [
        main,
        {
          entry: 'gemv_reduce',
          params,
          buffers: { 3: out, 4: partials },
          groups: [Math.ceil((rows * outDim) / 4 / 256), 1, 1],
        },
      ];
    }
    if (kernel === 'tiled')
      return [
        {
          entry: 'linear_tiled',
          params: { rows, inDim, outDim, seed: flags },
          buffers: { 1: input, 10: weight, 3: out },
          groups: [outDim / 64, Math.ceil(rows / 64), 1],
        },
      ];
    return [
      {
        entry: 'linear',
        params: { rows, inDim, outDim, seed: flags },
        buffers: { 1: input, 10: weight, 3: out },
        groups: [Math.ceil(outDim / 64), rows, 1],
      },
    ];
  }

  /**
   * The gated MLP's silu(x·Wg) · (x·Wu) into `out` from the side-by-side [Wg | Wu]: one gated GEMV
   * for decode-sized rows, else a linear layer into `both` and the elementwise product.
   */
  private gatedMlp(
    input: GPUBuffer,
    weight: GPUBuffer,
    both: GPUBuffer,
    out: GPUBuffer,
    rows: number,
    partials: GPUBuffer,
    norm?: GPUBuffer,
  ): Dispatch[] {
    const { hiddenSize: h, mlpSize: mlp } = this.config;
    if (linearKernelFor(rows, h, mlp, this.options.linearKernels) === 'gemv') {
      const launch = planGemv(rows, h, mlp, this.options.gemvTargetWorkgroups, true, this.gemvColumns4);
      const params = { rows, inDim: h, outDim: mlp, seed: norm !== undefined ? 2 : 0, count: launch.splits };
      const main: Dispatch = {
        entry: 'gemv_gated_kernel',
        params,
        buffers: { 1: input, 2: weight, 3: out, 4: partials, 5: norm ?? input },
        groups: [launch.groups[0], launch.groups[1], 1],
      };
      if (launch.splits === 1) return [main];
      return [
        main,
        {
          entry: 'gemv_gated_reduce',
          params,
          buffers: { 3: out, 4: partials },
          groups: [Math.ceil((rows * mlp) / 4 / 256), 1, 1],
        },
      ];
    }
    if (norm !== undefined) throw new Error('only the GEMV folds an RMSNorm into its input');
    return [
      ...this.linear(input, weight, both, h, 2 * mlp, rows, partials),
      {
        entry: 'silu_mul',
        params: { rows, outDim: mlp },
        buffers: { 1: both, 3: out },
        groups: [Math.ceil((rows * mlp) / 256), 1, 1],
      },
    ];
  }

  private gemv(rows: number, inDim: number, outDim: number): boolean {
    return linearKernelFor(rows, inDim, outDim, this.options.linearKernels) === 'gemv';
  }

  private rmsnorm(input: GPUBuffer, weight: GPUBuffer, out: GPUBuffer, rows: number): Dispatch {
    return {
      entry: 'rmsnorm',
      params: { rows, inDim: this.config.hiddenSize },
      buffers: { 1: input, 2: weight, 3: out },
      groups: [rows, 1, 1],
    };
  }

  /** Bytes of split-K partials the largest GEMV of an n-row pass needs (16 when none does). */
  private partialBytes(n: number, outRows: number): number {
    const m = this.config;
    const q = m.heads * m.headDim;
    const shapes: [number, number, number, boolean][] = [
      [n, m.hiddenSize, q + 2 * m.kvHeads * m.headDim, false],
      [n, q, m.hiddenSize, false],
      [n, m.hiddenSize, m.mlpSize, true],
      [n, m.mlpSize, m.hiddenSize, false],
      [outRows, m.hiddenSize, m.vocabSize, false],
    ];
    let bytes = 16;
    for (const [r, k, nOut, gated] of shapes)
      if (linearKernelFor(r, k, nOut, this.options.linearKernels) === 'gemv')
        bytes = Math.max(
          bytes,
          planGemv(r, k, nOut, this.options.gemvTargetWorkgroups, gated, this.gemvColumns4).partialBytes,
        );
    return bytes;
  }

  /** The recorded pass for n rows and outRows outputs, built on first use and kept (LRU). */
  planFor(n: number, outRows: number): ForwardPlan {
    const key = `${n}:${outRows}`;
    const cached = this.plans.get(key);
    if (cached !== undefined) {
      this.plans.delete(key);
      this.plans.set(key, cached);
      return cached;
    }
    const plan = this.buildPlan(n, outRows);
    this.plans.set(key, plan);
    if (this.plans.size > MAX_CACHED_PLANS) {
      const [oldest, evicted] = this.plans.entries().next().value as [string, ForwardPlan];
      this.plans.delete(oldest);
      for (const b of evicted.buffers) this.pool.destroy(b);
    }
    return plan;
  }

  private buildPlan(n: number, outRows: number): ForwardPlan {
    const m = this.config;
    const h = m.hiddenSize;
    const q = m.heads * m.headDim;
    const kv = m.kvHeads * m.headDim;
    const owned: GPUBuffer[] = [];
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const scratch = (floats: number, label: string): GPUBuffer => {
      const b = this.pool.create({ size: Math.max(16, Math.ceil((floats * 4) / 16) * 16), usage, label });
      owned.push(b);
      return b;
    };
    const tokens = scratch(n, 'tokens');
    const rowSeq = scratch(n, 'row-seq');
    const rowPos = scratch(n, 'row-pos');
    const outIndex = scratch(outRows, 'out-index');
    const x = scratch(n * h, 'x');
    const hn = scratch(n * h, 'h');
    const qkv = scratch(n * (q + 2 * kv), 'qkv');
    const qb = scratch(n * q, 'q');
    const att = scratch(n * q, 'att');
    const both = scratch(n * 2 * m.mlpSize, 'gate-up');
    const gu = scratch(n * m.mlpSize, 'mlp');
    const last = scratch(outRows * h, 'last');
    const logits = scratch(outRows * m.vocabSize, 'logits');
    const next = scratch(outRows, 'next');
    const partials = scratch(this.partialBytes(n, outRows) / 4, 'gemv-partials');
    const splits = this.options.attentionSplits ?? attentionSplits(n, m.heads, this.maxTokens);
    const attParts = scratch(splits > 1 ? n * m.heads * splits * (m.headDim + 2) : 4, 'attention-partials');
    const readback = this.pool.create({
      size: Math.max(16, outRows * 4),
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      label: 'next-readback',
    });
    owned.push(readback);

    const fold = this.options.foldNorms !== false;
    const foldQkvNorm = fold && this.gemv(n, h, q + 2 * kv);
    const foldMlpNorm = fold && this.gemv(n, h, m.mlpSize);
    const d: Dispatch[] = [];
    d.push({
      entry: 'embed',
      params: { rows: n, inDim: h },
      buffers: { 10: this.weight('embed'), 3: x, 9: tokens },
      groups: [Math.ceil((n * h) / 256), 1, 1],
    });
    for (let l = 0; l < m.layers; l++) {
      const layerOffset = l * this.blocksPerLayer;
      // Decode-sized passes fold each RMSNorm into the GEMV that reads its output.
      const norm1 = this.weight('norm1', l);
      if (foldQkvNorm) d.push(...this.linear(x, this.weight('wqkv', l), qkv, h, q + 2 * kv, n, partials, false, norm1));
      else
        d.push(
          this.rmsnorm(x, norm1, hn, n),
          ...this.linear(hn, this.weight('wqkv', l), qkv, h, q + 2 * kv, n, partials),
        );
      d.push({
        entry: 'rope_qkv_append',
        params: { rows: n, layerOffset },
        buffers: { 1: qkv, 3: qb, 4: rowSeq, 5: rowPos, 6: this.table, 7: this.kPool, 8: this.vPool },
        groups: groups1d(n * (q / 2 + kv / 2 + kv)),
      });
      d.push({
        entry: 'attend',
        params: { rows: n, layerOffset, count: splits },
        buffers: { 1: qb, 3: att, 4: rowSeq, 5: rowPos, 6: this.table, 7: this.kPool, 8: this.vPool, 11: attParts },
        groups: groups1d(n * m.heads * splits * 256),
      });
      if (splits > 1)
        d.push({
          entry: 'attend_reduce',
          params: { rows: n, count: splits },
          buffers: { 3: att, 11: attParts },
          groups: groups1d(n * q),
        });
      // Output projection and MLP down projection add onto the residual stream x in place.
      d.push(...this.linear(att, this.weight('wo', l), x, q, h, n, partials, true));
      const norm2 = this.weight('norm2', l);
      if (foldMlpNorm) d.push(...this.gatedMlp(x, this.weight('wgu', l), both, gu, n, partials, norm2));
      else d.push(this.rmsnorm(x, norm2, hn, n), ...this.gatedMlp(hn, this.weight('wgu', l), both, gu, n, partials));
      d.push(...this.linear(gu, this.weight('wd', l), x, m.mlpSize, h, n, partials, true));
    }
    // The output rows alone go through the final norm, the LM head and argmax.
    d.push({
      entry: 'gather_rows',
      params: { rows: outRows, inDim: h },
      buffers: { 1: x, 3: last, 9: outIndex },
      groups: [Math.ceil((outRows * h) / 256), 1, 1],
    });
    if (fold && this.gemv(outRows, h, m.vocabSize))
      d.push(
        ...this.linear(
          last,
          this.weight('lmHead'),
          logits,
          h,
          m.vocabSize,
          outRows,
          partials,
          false,
          this.weight('normFinal'),
        ),
      );
    else
      d.push(
        this.rmsnorm(last, this.weight('normFinal'), hn, outRows),
        ...this.linear(hn, this.weight('lmHead'), logits, h, m.vocabSize, outRows, partials),
      );
    d.push({
      entry: 'argmax',
      params: { rows: outRows, outDim: m.vocabSize },
      buffers: { 1: logits, 9: next },
      groups: [outRows, 1, 1],
    });
    const encode = this.record(d, owned);
    const queue = this.device.queue;
    const byEntry: Record<string, number> = {};
    for (const x of d) byEntry[x.entry] = (byEntry[x.entry] ?? 0) + 1;
    return {
      rows: n,
      outputRows: outRows,
      layout: { dispatches: d.length, byEntry, attentionSplits: splits, normsFolded: foldQkvNorm || foldMlpNorm },
      write(rows, outputRows) {
        if (rows.length !== n || outputRows.length !== outRows)
          throw new Error(
            `this plan takes ${n} rows and ${outRows} outputs (got ${rows.length} and ${outputRows.length})`,
          );
        queue.writeBuffer(tokens, 0, new Uint32Array(rows.map((r) => r.token)));
        queue.writeBuffer(rowSeq, 0, new Uint32Array(rows.map((r) => r.seq)));
        queue.writeBuffer(rowPos, 0, new Uint32Array(rows.map((r) => r.pos)));
        queue.writeBuffer(outIndex, 0, new Uint32Array(outputRows));
      },
      encode,
      next,
      logits,
      readback,
      buffers: owned,
    };
  }

  /**
   * Runs the model over `rows`, appending their K/V to the cache, and returns for each listed
   * output row (index into rows) the greedy next token.
   */
  async forward(rows: readonly Row[], outputRows: readonly number[]): Promise<number[]> {
    const plan = this.planFor(rows.length, outputRows.length);
    plan.write(rows, outputRows);
    const encoder = this.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    plan.encode(pass);
    pass.end();
    encoder.copyBufferToBuffer(plan.next, 0, plan.readback, 0, plan.readback.size);
    this.device.queue.submit([encoder.finish()]);
    await plan.readback.mapAsync(GPUMapMode.READ);
    const result = [...new Uint32Array(plan.readback.getMappedRange()).slice(0, outputRows.length)];
    plan.readback.unmap();
    this.lastLogits = plan.logits;
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
  async exportKv(
    seq: number,
    tokens: number,
  ): Promise<{ k: Float32Array<ArrayBuffer>; v: Float32Array<ArrayBuffer>; bytes: number }> {
    const blocks = this.blocksOf(seq, tokens);
    const per = this.blockFloats() * 4;
    const size = blocks.length * per;
    const staging = this.device.createBuffer({
      size: 2 * size,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
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
  async importKv(
    seq: number,
    tokens: number,
    data: { k: Float32Array<ArrayBuffer>; v: Float32Array<ArrayBuffer> },
  ): Promise<void> {
    const blocks = this.blocksOf(seq, tokens);
    const floats = this.blockFloats();
    for (const [i, b] of blocks.entries()) {
      this.device.queue.writeBuffer(this.kPool, b * floats * 4, data.k, i * floats, floats);
      this.device.queue.writeBuffer(this.vPool, b * floats * 4, data.v, i * floats, floats);
    }
    await this.device.queue.onSubmittedWorkDone();
  }

  /** Logits of the last forward's output rows (for the reference check), until the next forward. */
  lastLogits: GPUBuffer | null = null;

  /** Forgets the last logits; recorded passes stay for the next forward of the same shape. */
  releaseTransient(): void {
    this.lastLogits = null;
  }
}
