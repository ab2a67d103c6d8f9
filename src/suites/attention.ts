import { fillRandomU32, randomUniform, readChunked, writeChunked, type BufferPool } from '../gpu/buffers.js';
import { groups1d } from '../gpu/dispatch.js';
import { computePipeline } from '../gpu/pipelines.js';
import { hasMatrixConfig } from '../gpu/subgroupMatrix.js';
import { dtypeValues, fillWgslTemplate } from '../gpu/wgslTemplate.js';
import { f32ToF16Bits, roundToF16 } from './numeric.js';
import type { DeviceInfo } from '../gpu/adapterInfo.js';
import type { PeakUnit } from '../probe/peaks.js';
import type { CheckResult, PreparedCase, Suite, SuiteContext } from './types.js';
import { attentionKey } from '../results/caseKey.js';
import {
  defineSuite,
  needsFeature,
  needsFixedSubgroupSize,
  needsRule,
  params,
  resolveSetting,
  limitsOf,
  type DeclaredSuite,
  type PlanContext,
  type Requirement,
} from './declare.js';

export type AttentionKind =
  | 'flash'
  | 'flash-tiled'
  | 'flash-subgroup-matrix'
  | 'flash-subgroup-matrix-staged'
  | 'naive'
  | 'decode-paged'
  | 'decode-paged-thread';
export type AttentionDtype = 'f32' | 'f16';

/**
 * The unit whose peak each kernel's FLOPs are divided by (docs/metrics.md): the subgroup-matrix
 * kernels run Q·Kᵀ and P·V on the matrix units (f16 in, f32 accumulate); every other kernel, f16
 * inputs included, multiplies in f32 on the vector ALUs.
 */
export const ATTENTION_PEAK_UNIT: Readonly<Record<AttentionKind, PeakUnit>> = {
  flash: 'fp32',
  'flash-tiled': 'fp32',
  'flash-subgroup-matrix': 'matrixF16',
  'flash-subgroup-matrix-staged': 'matrixF16',
  naive: 'fp32',
  'decode-paged': 'fp32',
  'decode-paged-thread': 'fp32',
};

export interface AttentionShape {
  B: number;
  H: number;
  Hkv: number;
  /** Query tokens (prefill) or 1 (decode). */
  T: number;
  /** Keys attended: the sequence (prefill) or the context (decode). */
  S: number;
  headDim: 64 | 128;
  causal: boolean;
}

export const ATTENTION_TOLERANCE: Record<AttentionDtype, number> = { f32: 1e-4, f16: 1e-2 };
const POISON_F32 = Number.NaN;
const BLOCK_TOKENS = 16;
const SAMPLE_ROWS = 48;
/** The naive kernel's score matrix above this many bytes is not allocated; the case is skipped. */
const NAIVE_MAX_SCORE_BYTES = 256 * 1024 * 1024;

/** Attended positions summed over query tokens: T(T+1)/2-style when causal, T·S otherwise. */
export function attendedPositions(s: Pick<AttentionShape, 'T' | 'S' | 'causal'>): number {
  if (!s.causal) return s.T * s.S;
  const offset = s.S - s.T;
  // Query t attends keys 0 … t + offset.
  return s.T * (offset + 1) + (s.T * (s.T - 1)) / 2;
}

/** docs/metrics.md: QKᵀ and AV each cost 2·d per attended position per head. */
export function attentionFlops(s: AttentionShape): number {
  return 4 * s.B * s.H * s.headDim * attendedPositions(s);
}

/** Minimum traffic: Q, K, V read once, O (f32) written once. */
export function attentionBytes(s: AttentionShape, inBytes: number): number {
  return (s.B * s.H * s.T * s.headDim + 2 * s.B * s.Hkv * s.S * s.headDim) * inBytes + s.B * s.H * s.T * s.headDim * 4;
}

/**
 * The register-blocked flash kernel's block: FT_TX × FT_TY threads, each holding FT_RPT query rows
 * × FT_KPT keys of scores, so a workgroup owns threadsY·rowsPerThread rows and streams
 * threadsX·keysPerThread-key blocks (the `attention` tuner family searches it).
 */
export interface FlashTile {
  threadsX: number;
  threadsY: number;
  rowsPerThread: number;
  keysPerThread: number;
}

export const DEFAULT_FLASH_TILE: FlashTile = { threadsX: 16, threadsY: 16, rowsPerThread: 4, keysPerThread: 4 };

/**
 * The block a CPU adapter's Vulkan compilers start from: 64 threads of 2×2. Measured at B1 H4/2 T128
 * d64 causal f32 on 2 cores (BENCHMARKS.md): lavapipe 9.3 ms vs 11.7 ms with DEFAULT_FLASH_TILE and
 * 1.4 s vs 4.2 s to compile cold; SwiftShader 80 vs 86 ms, 1.7 vs 4.9 s. On the GL ES backend the
 * 16×16 block stays faster (5.7 vs 9.6 ms on Mesa 22's llvmpipe), so it keeps the default.
 */
export const CPU_VULKAN_FLASH_TILE: FlashTile = { threadsX: 8, threadsY: 8, rowsPerThread: 2, keysPerThread: 2 };

/** The block to use before any tuning, from the adapter in hand. */
export function defaultFlashTile(info: Pick<DeviceInfo, 'adapterClass' | 'backend'>): FlashTile {
  return info.adapterClass === 'cpu' && info.backend !== 'opengles' ? CPU_VULKAN_FLASH_TILE : DEFAULT_FLASH_TILE;
}

export const flashRows = (t: FlashTile): number => t.threadsY * t.rowsPerThread;
export const flashKeys = (t: FlashTile): number => t.threadsX * t.keysPerThread;

export function flashTileLabel(t: FlashTile): string {
  return (
    `${flashRows(t)}×${flashKeys(t)} block, ${t.threadsX}×${t.threadsY} threads, ` +
    `${t.rowsPerThread}×${t.keysPerThread}/thread`
  );
}

/**
 * The key a tuned flash block is stored under: the head dim, which sets the output dims per thread.
 * One block serves f32 and f16 inputs alike (the block computes in f32 registers either way), as
 * tiled-f32's tile serves tiled-f16.
 */
export function flashTileKey(headDim: number): string {
  return `d${headDim}`;
}

/**
 * The staged subgroup-matrix flash kernel's launch shape: subgroups per workgroup (16 query rows
 * each, sharing every K and V block), the K/V blocks' row padding in f16 elements, and whether
 * the next block is prefetched into registers while the current one multiplies.
 */
export interface SgmatStagedShape {
  subgroups: number;
  kvPad: number;
  prefetch: boolean;
}

/** Before tuning: 4 subgroups (64 rows), rows padded by 16 bytes, prefetch on (the reference GEMM's design). */
export const DEFAULT_SGMAT_STAGED: SgmatStagedShape = { subgroups: 4, kvPad: 8, prefetch: true };

export function sgmatStagedLabel(t: SgmatStagedShape): string {
  return `${t.subgroups} subgroups (${16 * t.subgroups} query rows), pad ${t.kvPad}${t.prefetch ? ', prefetch' : ''}`;
}

/**
 * Workgroup memory of the staged subgroup-matrix flash kernel: scores (f32) and probabilities (f16) per subgroup, one
 * padded K and one V block.
 */
export function sgmatAttentionWorkgroupBytes(t: SgmatStagedShape, headDim: number): number {
  return 256 * t.subgroups * (4 + 2) + 2 * 16 * (headDim + t.kvPad) * 2;
}

/** kernels/attention_subgroup_f16.wgsl at a head dim and the staged kernel's shape (its template values). */
export function sgmatAttentionSource(code: string, headDim: number, t: SgmatStagedShape): string {
  return fillWgslTemplate('attention_subgroup_f16.wgsl', code, {
    HEAD_DIM: headDim,
    SGS: t.subgroups,
    KV_PAD: t.kvPad,
    PREFETCH: String(t.prefetch),
  });
}

/** The size part of a case id, as saved results and the history know it. */
const attentionSize = (s: AttentionShape): string => `b${s.B}h${s.H}kv${s.Hkv}t${s.T}s${s.S}d${s.headDim}`;

/** Workgroup memory of the flash-tiled kernel (kernels/attention_flash_tiled.wgsl: ftStage, ftRed, ftP). */
export function flashTileWorkgroupBytes(t: FlashTile, headDim: number): number {
  const stage = Math.max(16 * (flashRows(t) + flashKeys(t)), 16 * headDim);
  return 4 * (stage + flashRows(t) * t.threadsX + flashRows(t) * flashKeys(t));
}

/** Why the device or the head dim rules this block out; null when it can run. */
export function flashTileUnsupported(
  t: FlashTile,
  headDim: number,
  limits: Pick<
    GPUSupportedLimits,
    | 'maxComputeInvocationsPerWorkgroup'
    | 'maxComputeWorkgroupSizeX'
    | 'maxComputeWorkgroupSizeY'
    | 'maxComputeWorkgroupStorageSize'
  >,
): string | null {
  const threads = t.threadsX * t.threadsY;
  if (threads > limits.maxComputeInvocationsPerWorkgroup)
    return (
      `${t.threadsX}×${t.threadsY} threads exceed the device's ${limits.maxComputeInvocationsPerWorkgroup} ` +
      `per workgroup`
    );
  if (t.threadsX > limits.maxComputeWorkgroupSizeX || t.threadsY > limits.maxComputeWorkgroupSizeY)
    return (
      `a ${t.threadsX}×${t.threadsY} workgroup exceeds the device's ` +
      `${limits.maxComputeWorkgroupSizeX}×${limits.maxComputeWorkgroupSizeY}`
    );
  if (headDim % t.threadsX !== 0) return `${t.threadsX} threads across the head dim do not divide ${headDim}`;
  if (flashKeys(t) % 16 !== 0) return `the key block (${flashKeys(t)}) must be a multiple of the 16-key V slice`;
  const bytes = flashTileWorkgroupBytes(t, headDim);
  if (bytes > limits.maxComputeWorkgroupStorageSize)
    return (
      `the block needs ${bytes} bytes of workgroup memory; the device has ` + `${limits.maxComputeWorkgroupStorageSize}`
    );
  return null;
}

type SharedSourceKind = Exclude<AttentionKind, 'flash-subgroup-matrix' | 'flash-subgroup-matrix-staged'>;

/** The kernel file holding each kind's entry points; each is compiled after kernels/attention_common.wgsl. */
export const ATTENTION_KERNEL: Readonly<Record<SharedSourceKind, string>> = {
  flash: 'attention_flash',
  'flash-tiled': 'attention_flash_tiled',
  naive: 'attention_naive',
  'decode-paged': 'attention_decode',
  'decode-paged-thread': 'attention_decode',
};

/**
 * The source a kind compiles: the shared declarations and its own kernel file, at a dtype and head
 * dim, and for flash-tiled its block. One kernel per module, so editing one leaves the others' source
 * (and their tuning's hash) unchanged.
 */
export async function attentionSource(
  load: (name: string) => Promise<string>,
  kind: SharedSourceKind,
  dtype: AttentionDtype,
  headDim: number,
  tile: FlashTile,
): Promise<string> {
  const name = ATTENTION_KERNEL[kind];
  const [common, own] = await Promise.all([load('attention_common'), load(name)]);
  const block =
    kind === 'flash-tiled'
      ? { FT_TX: tile.threadsX, FT_TY: tile.threadsY, FT_RPT: tile.rowsPerThread, FT_KPT: tile.keysPerThread }
      : {};
  return fillWgslTemplate(`attention_common.wgsl + ${name}.wgsl`, `${common}\n${own}`, {
    ...dtypeValues('IN', dtype),
    HEAD_DIM: headDim,
    ...block,
  });
}

function randomValues(
  seed: number,
  n: number,
  dtype: AttentionDtype,
): { values: Float64Array; upload: Uint32Array<ArrayBuffer> | Uint16Array<ArrayBuffer> } {
  const values = Float64Array.from(randomUniform(seed, n));
  if (dtype === 'f16') {
    const half = new Uint16Array(n + (n % 2));
    for (let i = 0; i < n; i++) {
      half[i] = f32ToF16Bits(values[i] as number);
      values[i] = roundToF16(values[i] as number);
    }
    return { values, upload: half };
  }
  return { values, upload: new Uint32Array(Float32Array.from(values).buffer) };
}

/** One output row in f64: softmax(q·Kᵀ·scale, masked) · V. */
function referenceRow(
  q: Float64Array,
  k: (s: number, i: number) => number,
  v: (s: number, i: number) => number,
  keys: number,
  d: number,
  scale: number,
): Float64Array {
  const scores = new Float64Array(keys);
  let m = -Infinity;
  for (let s = 0; s < keys; s++) {
    let dot = 0;
    for (let i = 0; i < d; i++) dot += (q[i] as number) * k(s, i);
    scores[s] = dot * scale;
    m = Math.max(m, scores[s] as number);
  }
  let sum = 0;
  for (let s = 0; s < keys; s++) {
    scores[s] = Math.exp((scores[s] as number) - m);
    sum += scores[s] as number;
  }
  const out = new Float64Array(d);
  for (let s = 0; s < keys; s++)
    for (let i = 0; i < d; i++) out[i] = (out[i] as number) + ((scores[s] as number) / sum) * v(s, i);
  return out;
}

async function prepareAttention(
  kind: AttentionKind,
  dtype: AttentionDtype,
  s: AttentionShape,
  ctx: SuiteContext,
  pool: BufferPool,
  tile: FlashTile,
  sgmat: SgmatStagedShape,
): Promise<PreparedCase> {
  const { device } = ctx;
  const d = s.headDim;
  const scale = 1 / Math.sqrt(d);
  const decode = kind === 'decode-paged' || kind === 'decode-paged-thread';
  const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const upload = (data: ArrayBufferView<ArrayBuffer>, label: string): GPUBuffer => {
    const buffer = pool.create({ size: Math.max(16, Math.ceil(data.byteLength / 16) * 16), usage: storage, label });
    device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  };
  const q = randomValues(ctx.seed, s.B * s.H * s.T * d, dtype);
  const k = randomValues(ctx.seed + 1, s.B * s.Hkv * s.S * d, dtype);
  const v = randomValues(ctx.seed + 2, s.B * s.Hkv * s.S * d, dtype);
  const group = s.H / s.Hkv;
  // Logical K/V index [b][hk][key][i]; decode scatters the same values into a paged block pool.
  const kvIndex = (b: number, hk: number, key: number, i: number): number => ((b * s.Hkv + hk) * s.S + key) * d + i;
  const blocksPerSeq = Math.ceil(s.S / BLOCK_TOKENS);
  let kBuf: GPUBuffer;
  let vBuf: GPUBuffer;
  let table: Uint32Array<ArrayBuffer> | null = null;
  if (decode) {
    const poolBlocks = s.B * blocksPerSeq;
    // A shuffled block table: sequence b's j-th block lives anywhere in the pool.
    const order = new Uint32Array(poolBlocks);
    fillRandomU32(ctx.seed + 5, 0, order);
    const slots = [...Array(poolBlocks).keys()].sort((x, y) => (order[x] as number) - (order[y] as number));
    table = Uint32Array.from(slots);
    const paged = (
      src: Uint32Array<ArrayBuffer> | Uint16Array<ArrayBuffer>,
    ): Uint32Array<ArrayBuffer> | Uint16Array<ArrayBuffer> => {
      const out =
        src instanceof Uint16Array
          ? new Uint16Array(poolBlocks * s.Hkv * BLOCK_TOKENS * d + 2)
          : new Uint32Array(poolBlocks * s.Hkv * BLOCK_TOKENS * d);
      for (let b = 0; b < s.B; b++) {
        for (let hk = 0; hk < s.Hkv; hk++) {
          for (let key = 0; key < s.S; key++) {
            const block = table?.[b * blocksPerSeq + Math.floor(key / BLOCK_TOKENS)] as number;
            const dst = ((block * s.Hkv + hk) * BLOCK_TOKENS + (key % BLOCK_TOKENS)) * d;
            out.set(src.subarray(kvIndex(b, hk, key, 0), kvIndex(b, hk, key, 0) + d), dst);
          }
        }
      }
      return out;
    };
    kBuf = upload(paged(k.upload), 'K-pool');
    vBuf = upload(paged(v.upload), 'V-pool');
  } else {
    kBuf = upload(k.upload, 'K');
    vBuf = upload(v.upload, 'V');
  }
  const qBuf = upload(q.upload, 'Q');
  const outCount = s.B * s.H * s.T * d;
  const oBuf = pool.create({ size: outCount * 4, usage: storage, label: 'O' });
  const splits = decode ? Math.max(1, Math.min(32, Math.floor(s.S / 64))) : 1;
  const params = pool.create({ size: 48, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'params' });
  const pv = new DataView(new ArrayBuffer(48));
  [s.B, s.H, s.Hkv, s.T, s.S, s.causal ? 1 : 0, s.S - s.T].forEach((x, i) => {
    pv.setUint32(i * 4, x, true);
  });
  pv.setFloat32(28, scale, true);
  [BLOCK_TOKENS, blocksPerSeq, splits, 0].forEach((x, i) => {
    pv.setUint32(32 + i * 4, x, true);
  });
  device.queue.writeBuffer(params, 0, pv.buffer);
  // The subgroup-matrix kinds compile their own kernel (below); every other kind its file of attention_*.wgsl.
  const own = kind === 'flash-subgroup-matrix' || kind === 'flash-subgroup-matrix-staged' ? null : kind;
  const code = own === null ? '' : await attentionSource(ctx.loadKernel, own, dtype, d, tile);
  const key = own === null ? '' : `${ATTENTION_KERNEL[own]}-${dtype}-${d}`;
  const entry = (binding: number, buffer: GPUBuffer): GPUBindGroupEntry => ({ binding, resource: { buffer } });
  const base = [entry(0, qBuf), entry(1, kBuf), entry(2, vBuf), entry(3, oBuf), entry(4, params)];
  const steps: { pipeline: GPUComputePipeline; bindGroup: GPUBindGroup; groups: [number, number, number] }[] = [];
  const add = async (name: string, entries: GPUBindGroupEntry[], groups: [number, number, number]): Promise<void> => {
    const pipeline = await computePipeline(device, key, code, name);
    steps.push({
      pipeline,
      bindGroup: device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }),
      groups,
    });
  };
  if (kind === 'flash') {
    await add('flash_kernel', base, [Math.ceil(s.T / 64), s.H, s.B]);
  } else if (kind === 'flash-tiled') {
    await add('flash_tiled_kernel', base, [Math.ceil(s.T / flashRows(tile)), s.H, s.B]);
  } else if (kind === 'flash-subgroup-matrix' || kind === 'flash-subgroup-matrix-staged') {
    const staged = kind === 'flash-subgroup-matrix-staged';
    const sgCode = sgmatAttentionSource(await ctx.loadKernel('attention_subgroup_f16'), d, sgmat);
    const pipeline = await computePipeline(
      device,
      `attention-sgmat-${d}`,
      sgCode,
      staged ? 'flash_sgmat_staged_kernel' : 'flash_sgmat_kernel',
      { SUBGROUP_SIZE: ctx.info.subgroupMaxSize ?? 32 },
    );
    // The staged kernel reads K and V as 16-byte words (bindings 5 and 6), not as f16 (1 and 2).
    const entries = staged ? [entry(0, qBuf), entry(3, oBuf), entry(4, params), entry(5, kBuf), entry(6, vBuf)] : base;
    steps.push({
      pipeline,
      bindGroup: device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }),
      groups: [s.T / (staged ? 16 * sgmat.subgroups : 16), s.H, s.B],
    });
  } else if (kind === 'naive') {
    const scores = pool.create({ size: s.B * s.H * s.T * s.S * 4, usage: GPUBufferUsage.STORAGE, label: 'scores' });
    await add(
      'scores_kernel',
      [entry(0, qBuf), entry(1, kBuf), entry(4, params), entry(5, scores)],
      groups1d(s.B * s.H * s.T * s.S),
    );
    await add('softmax_kernel', [entry(4, params), entry(5, scores)], groups1d(s.B * s.H * s.T));
    await add('pv_kernel', [entry(2, vBuf), entry(3, oBuf), entry(4, params), entry(5, scores)], groups1d(outCount));
  } else {
    const tableBuf = upload(table ?? new Uint32Array(1), 'block-table');
    const ctxBuf = upload(new Uint32Array(s.B).fill(s.S), 'context');
    const partials = pool.create({
      size: s.B * s.H * splits * (d + 2) * 4,
      usage: GPUBufferUsage.STORAGE,
      label: 'partials',
    });
    const splitEntries = [
      entry(0, qBuf),
      entry(1, kBuf),
      entry(2, vBuf),
      entry(4, params),
      entry(6, tableBuf),
      entry(7, ctxBuf),
      entry(8, partials),
    ];
    if (kind === 'decode-paged') await add('decode_split_kernel', splitEntries, groups1d(s.B * s.H * splits * 256));
    else await add('decode_split_thread_kernel', splitEntries, [Math.ceil((s.B * s.H * splits) / 64), 1, 1]);
    await add(
      'decode_reduce_kernel',
      [entry(3, oBuf), entry(4, params), entry(8, partials)],
      [Math.ceil((s.B * s.H) / 64), 1, 1],
    );
  }
  const encode = (pass: GPUComputePassEncoder, repeats: number): void => {
    for (let r = 0; r < repeats; r++) {
      for (const step of steps) {
        pass.setPipeline(step.pipeline);
        pass.setBindGroup(0, step.bindGroup);
        pass.dispatchWorkgroups(...step.groups);
      }
    }
  };
  const check = async (): Promise<CheckResult> => {
    writeChunked(device, oBuf, outCount * 4, (_o, c) =>
      new Float32Array(c.buffer, c.byteOffset, c.length).fill(POISON_F32),
    );
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    encode(pass, 1);
    pass.end();
    device.queue.submit([encoder.finish()]);
    const got = new Float32Array(outCount);
    await readChunked(device, oBuf, outCount * 4, (offset, c) => {
      got.set(new Float32Array(c.buffer, c.byteOffset, c.length), offset / 4);
    });
    let unwritten = 0;
    for (const x of got) if (!Number.isFinite(x)) unwritten++;
    const rows = s.B * s.H * s.T;
    const picks = new Uint32Array(Math.min(SAMPLE_ROWS, rows));
    fillRandomU32(ctx.seed + 9, 0, picks);
    const sample =
      rows <= SAMPLE_ROWS ? [...Array(rows).keys()] : [...new Set([0, rows - 1, ...[...picks].map((x) => x % rows)])];
    const tolerance = ATTENTION_TOLERANCE[dtype];
    let bad = unwritten > 0 ? 1 : 0;
    let first = unwritten > 0 ? `${unwritten} outputs never written` : '';
    let maxRel = 0;
    for (const row of sample) {
      const t = row % s.T;
      const h = Math.floor(row / s.T) % s.H;
      const b = Math.floor(row / (s.T * s.H));
      const hk = Math.floor(h / group);
      const keys = s.causal ? t + (s.S - s.T) + 1 : s.S;
      const want = referenceRow(
        q.values.subarray(row * d, (row + 1) * d),
        (key, i) => k.values[kvIndex(b, hk, key, i)] as number,
        (key, i) => v.values[kvIndex(b, hk, key, i)] as number,
        keys,
        d,
        scale,
      );
      let err = 0;
      let mag = 0;
      for (let i = 0; i < d; i++) {
        err = Math.max(err, Math.abs((got[row * d + i] as number) - (want[i] as number)));
        mag = Math.max(mag, Math.abs(want[i] as number));
      }
      const rel = err / Math.max(mag, 1e-12);
      if (!(rel <= tolerance) && bad++ === 0)
        first =
          `row (b ${b}, h ${h}, t ${t}): max error ${err.toExponential(2)} against max |o| ` + mag.toExponential(2);
      if (Number.isFinite(rel)) maxRel = Math.max(maxRel, rel);
    }
    return {
      passed: bad === 0,
      method:
        `${sample.length} output rows against f64 softmax(QKᵀ/√d)V on the ${dtype} inputs, max error ÷ max ` +
        `|o| ≤ ${tolerance}; all outputs scanned for unwritten values`,
      compared: sample.length,
      mismatches: bad,
      maxRelError: maxRel,
      detail:
        bad === 0
          ? `${sample.length} rows match (max relative error ${maxRel.toExponential(2)})`
          : `${bad} rows differ; first: ${first}`,
    };
  };
  return {
    encode,
    check,
    extras: () => ({ splits: decode ? splits : null, blockTokens: decode ? BLOCK_TOKENS : null }),
  };
}

export interface AttentionOptions {
  prefill?: readonly Omit<AttentionShape, 'causal'>[];
  decode?: readonly Omit<AttentionShape, 'causal' | 'T'>[];
  kinds?: readonly AttentionKind[];
  dtypes?: readonly AttentionDtype[];
  /** Masks of the prefill cases (default both: causal and not). */
  causal?: readonly boolean[];
  /** The flash-tiled kernel's block (default: defaultFlashTile of the adapter). */
  flashTile?: FlashTile;
  /** Blocks found by `wgbench tune`, by flashTileKey (head dim): used there for both dtypes, recorded as tuned. */
  tunedFlashTiles?: Readonly<Record<string, FlashTile>>;
  /** The staged subgroup-matrix kernel's shape; what is left out is DEFAULT_SGMAT_STAGED's. */
  sgmatStaged?: Partial<SgmatStagedShape>;
  /** Staged subgroup-matrix shapes found by `wgbench tune`, by flashTileKey (head dim). */
  tunedSgmatStaged?: Readonly<Record<string, SgmatStagedShape>>;
}

/**
 * What the subgroup-matrix flash kernels need here: the matrix units, an f16→f32 16×16×16 config,
 * 16-row blocks, one fixed subgroup size of at least 16 lanes, and (staged) a shape within the limits.
 */
export function subgroupMatrixAttentionRequirements(
  shape: Pick<AttentionShape, 'T' | 'S' | 'headDim'>,
  staged = false,
  sgmat: SgmatStagedShape = DEFAULT_SGMAT_STAGED,
): Requirement[] {
  return [
    needsFeature('chromium-experimental-subgroup-matrix'),
    needsRule((info) =>
      hasMatrixConfig(info, 'f16', 'f32', 16) ? null : 'the adapter lists no f16→f32 16×16×16 subgroup-matrix config',
    ),
    needsRule(() =>
      shape.T % 16 !== 0 || shape.S % 16 !== 0
        ? `the kernel takes 16-row query and key blocks: T and S must be multiples of 16 (got ${shape.T}, ${shape.S})`
        : null,
    ),
    needsFixedSubgroupSize(),
    // Lane r of the subgroup owns row r's softmax: 16 rows need 16 lanes.
    needsRule((info) => {
      const size = info.subgroupMaxSize ?? 0;
      return size < 16
        ? `the kernel gives each of 16 query rows a lane and needs subgroups of at least 16 (the adapter's are ` +
            `${String(size)})`
        : null;
    }),
    ...(staged
      ? [needsRule((info) => sgmatStagedUnsupported(sgmat, shape, info.subgroupMaxSize ?? 0, limitsOf(info)))]
      : []),
  ];
}

/** Why the staged kernel cannot run at this shape here (null when it can). */
export function sgmatStagedUnsupported(
  t: SgmatStagedShape,
  shape: Pick<AttentionShape, 'T' | 'headDim'>,
  subgroupSize: number,
  limits: Pick<
    GPUSupportedLimits,
    'maxComputeInvocationsPerWorkgroup' | 'maxComputeWorkgroupSizeX' | 'maxComputeWorkgroupStorageSize'
  >,
): string | null {
  const { subgroups } = t;
  if (!Number.isInteger(subgroups) || subgroups < 1)
    return `the staged kernel's subgroups per workgroup must be a positive integer (got ${subgroups})`;
  if (!Number.isInteger(t.kvPad) || t.kvPad < 0 || t.kvPad % 8 !== 0)
    return `the staged kernel's K/V row padding must be a multiple of 8 f16 (16 bytes; got ${t.kvPad})`;
  const rows = 16 * subgroups;
  if (shape.T % rows !== 0)
    return (
      `the staged kernel takes ${rows} query rows per workgroup (${subgroups} subgroups): T must be a ` +
      `multiple of ${rows} (got ${shape.T})`
    );
  const threads = subgroups * subgroupSize;
  if (threads > limits.maxComputeInvocationsPerWorkgroup || threads > limits.maxComputeWorkgroupSizeX)
    return (
      `the staged kernel runs ${subgroups} subgroups of ${subgroupSize} per workgroup; the device allows ` +
      `${Math.min(limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX)} invocations`
    );
  const bytes = sgmatAttentionWorkgroupBytes(t, shape.headDim);
  if (bytes > limits.maxComputeWorkgroupStorageSize)
    return (
      `the staged kernel at ${sgmatStagedLabel(t)} and head dim ${shape.headDim} needs ${bytes} bytes of ` +
      `workgroup memory; the device allows ${limits.maxComputeWorkgroupStorageSize}`
    );
  return null;
}

/**
 * Shapes per adapter: the SDPA comparison shape (4 × 32 heads × 4096 × 128) on a GPU. A quick run on
 * a CPU adapter takes head dim 64 only: each head dim is its own set of kernels, and compiling the
 * register-blocked ones at d128 cost 9–13 s each cold on 2 cores (the quick run must fit a minute).
 */
export function planAttentionShapes(
  cpu: boolean,
  quick: boolean,
): { prefill: Omit<AttentionShape, 'causal'>[]; decode: Omit<AttentionShape, 'causal' | 'T'>[] } {
  if (cpu) {
    const T = quick ? 128 : 256;
    const headDims: (64 | 128)[] = quick ? [64] : [64, 128];
    return {
      prefill: headDims.map((headDim) => ({ B: 1, H: 4, Hkv: 2, T, S: T, headDim })),
      decode: headDims.map((headDim) => ({ B: 2, H: 4, Hkv: 2, S: quick ? 384 : 1024, headDim })),
    };
  }
  const T = quick ? 1024 : 4096;
  return {
    prefill: [
      { B: 4, H: 32, Hkv: 32, T, S: T, headDim: 128 },
      { B: 4, H: 32, Hkv: 8, T, S: T, headDim: 64 },
    ],
    decode: [{ B: 8, H: 32, Hkv: 8, S: quick ? 1024 : 4096, headDim: 128 }],
  };
}

type AttentionRow = {
  kind: AttentionKind;
  dtype: AttentionDtype;
  B: number;
  H: number;
  Hkv: number;
  T: number;
  S: number;
  headDim: AttentionShape['headDim'];
  causal: boolean;
};

const ALL_KINDS: readonly AttentionKind[] = [
  'flash',
  'flash-tiled',
  'flash-subgroup-matrix',
  'flash-subgroup-matrix-staged',
  'naive',
  'decode-paged',
  'decode-paged-thread',
];
const isDecodeKind = (k: AttentionKind): boolean => k === 'decode-paged' || k === 'decode-paged-thread';
const shapeOf = (r: AttentionRow): AttentionShape => ({
  B: r.B,
  H: r.H,
  Hkv: r.Hkv,
  T: r.T,
  S: r.S,
  headDim: r.headDim,
  causal: r.causal,
});

export function createAttentionSuite(options: AttentionOptions = {}): DeclaredSuite<AttentionRow> {
  const kinds = options.kinds ?? ALL_KINDS;
  const dtypes = options.dtypes ?? (['f32', 'f16'] as const);
  const planned = (ctx: PlanContext): ReturnType<typeof planAttentionShapes> =>
    planAttentionShapes(ctx.info.adapterClass === 'cpu', ctx.quick);
  // The flash-tiled block and the staged kernel's shape: tuned (per head dim), else explicit, else default.
  const launchOf = (row: AttentionRow, ctx: PlanContext) => {
    const headKey = flashTileKey(row.headDim);
    return {
      tile: resolveSetting(
        options.tunedFlashTiles?.[headKey] ?? ctx.tuned?.flashTiles[headKey],
        options.flashTile,
        () => defaultFlashTile(ctx.info),
      ),
      sgmat: resolveSetting(
        options.tunedSgmatStaged?.[headKey] ?? ctx.tuned?.sgmatStaged[headKey],
        options.sgmatStaged === undefined ? undefined : { ...DEFAULT_SGMAT_STAGED, ...options.sgmatStaged },
        () => DEFAULT_SGMAT_STAGED,
      ),
    };
  };
  const prefill = params()
    .expandWith((_row, ctx) => (options.prefill ?? planned(ctx).prefill).map((s) => ({ ...s })))
    .combine('causal', options.causal ?? [true, false])
    .combine('dtype', dtypes)
    .combine(
      'kind',
      kinds.filter((k) => !isDecodeKind(k)),
    )
    // The matrix units take f16 here: no f32 case of the subgroup-matrix kernel to plan.
    .unless((row) => row.kind.startsWith('flash-subgroup-matrix') && row.dtype === 'f32');
  const decode = params()
    .combine('kind', kinds.filter(isDecodeKind))
    .expandWith((_row, ctx) => (options.decode ?? planned(ctx).decode).map((s) => ({ ...s, T: 1, causal: false })))
    .combine('dtype', dtypes);
  return defineSuite({
    name: 'attention',
    description:
      'flash-style prefill (causal and not, GQA, head dim 64/128, f32/f16, f16 on subgroup matrices) with ' +
      'a naive reference, and paged decode with split-K (a workgroup or a thread per split)',
    params: prefill.concat(decode),
    requires: (row, ctx) => {
      const shape = shapeOf(row);
      const { tile, sgmat } = launchOf(row, ctx);
      const staged = row.kind === 'flash-subgroup-matrix-staged';
      return [
        ...(row.dtype === 'f16' ? [needsFeature('shader-f16')] : []),
        ...(row.kind.startsWith('flash-subgroup-matrix')
          ? subgroupMatrixAttentionRequirements(shape, staged, sgmat.value)
          : []),
        needsRule((info) =>
          row.kind === 'naive' &&
          shape.B * shape.H * shape.T * shape.S * 4 >
            Math.min(NAIVE_MAX_SCORE_BYTES, info.limits['maxStorageBufferBindingSize'] ?? 0)
            ? 'the naive kernel’s score matrix would not fit; it is the small-shape reference'
            : null,
        ),
        needsRule(() => (shape.H % shape.Hkv !== 0 ? 'H must be a multiple of Hkv' : null)),
        needsRule((info) => {
          if (row.kind !== 'flash-tiled') return null;
          const reason = flashTileUnsupported(tile.value, shape.headDim, limitsOf(info));
          return reason === null ? null : `flash block ${flashTileLabel(tile.value)}: ${reason}`;
        }),
      ];
    },
    id: (row) => `attention/${row.kind}-${row.dtype}/${attentionSize(shapeOf(row))}${row.causal ? '-causal' : ''}`,
    key: (row) => attentionKey(row.kind, row.dtype, isDecodeKind(row.kind), row.headDim, row.causal),
    title: (row) => {
      const label = isDecodeKind(row.kind)
        ? `B${row.B} H${row.H}/${row.Hkv} ctx ${row.S} d${row.headDim}`
        : `B${row.B} H${row.H}/${row.Hkv} T${row.T} d${row.headDim}${row.causal ? ' causal' : ''}`;
      return `${row.kind} ${row.dtype} ${label}`;
    },
    record: (row, ctx) => {
      const { tile, sgmat } = launchOf(row, ctx);
      return {
        kind: row.kind,
        dtype: row.dtype,
        B: row.B,
        H: row.H,
        Hkv: row.Hkv,
        T: row.T,
        S: row.S,
        headDim: row.headDim,
        causal: row.causal,
        ...(isDecodeKind(row.kind) ? { blockTokens: BLOCK_TOKENS } : {}),
        ...(row.kind === 'flash-tiled'
          ? {
              tile: flashTileLabel(tile.value),
              queryBlock: flashRows(tile.value),
              keyBlock: flashKeys(tile.value),
              threadsX: tile.value.threadsX,
              threadsY: tile.value.threadsY,
              rowsPerThread: tile.value.rowsPerThread,
              keysPerThread: tile.value.keysPerThread,
              source: tile.source,
            }
          : {}),
        ...(row.kind === 'flash-subgroup-matrix-staged'
          ? {
              staged: sgmatStagedLabel(sgmat.value),
              subgroups: sgmat.value.subgroups,
              queryBlock: 16 * sgmat.value.subgroups,
              keyBlock: 16,
              kvPad: sgmat.value.kvPad,
              prefetch: sgmat.value.prefetch,
              source: sgmat.source,
            }
          : {}),
      };
    },
    work: (row) => {
      const shape = shapeOf(row);
      return {
        bytesPerDispatch: attentionBytes(shape, row.dtype === 'f32' ? 4 : 2),
        bytesCounted: 'min-dram',
        compute: {
          flopsPerDispatch: attentionFlops(shape),
          unit: ATTENTION_PEAK_UNIT[row.kind],
          formula: shape.causal ? '4·B·H·d·Σ attended (causal: T(T+1)/2 per sequence)' : '4·B·H·d·T·S',
        },
      };
    },
    timing: 'gpu-pass',
    prepare: (row, c, pool) => {
      const { tile, sgmat } = launchOf(row, c);
      return prepareAttention(
        row.kind,
        row.dtype,
        shapeOf(row),
        c,
        pool,
        tile.value,
        row.kind === 'flash-subgroup-matrix-staged' ? sgmat.value : DEFAULT_SGMAT_STAGED,
      );
    },
  });
}

export const attentionSuite: Suite = createAttentionSuite();
