import { fillRandomU32, readChunked, writeChunked, type BufferPool } from '../gpu/buffers.js';
import { computePipeline } from '../gpu/pipelines.js';
import { TieredKVCache, type BlockMover } from '../kv/tieredCache.js';
import { conversationTrace } from '../kv/trace.js';
import type { KVTier } from '../metrics/kvCache.js';
import { kvBlockBytes, modelPreset } from '../models/presets.js';
import { formatBytes } from '../reporters/format.js';
import { checksumWords } from './numeric.js';
import type { CheckResult, PreparedCase, ScratchFile, Suite, SuiteContext } from './types.js';
import { defineSuite, needsRule, params, type DeclaredSuite, type PlanContext } from './declare.js';
import { kvTierKey } from '../results/caseKey.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const POISON = 0xdeadbeef;

export const KV_PATHS = [
  'hbm-copy',
  'hbm-gather',
  'ddr-to-hbm-write',
  'ddr-to-hbm-staging',
  'ddr-to-hbm-ring',
  'hbm-to-ddr',
  'ddr-to-nvme',
  'nvme-to-ddr',
  'nvme-to-hbm',
  'hbm-to-nvme',
] as const;
export type KvPath = (typeof KV_PATHS)[number];

const PATH_INFO: Record<KvPath, { from: KVTier; to: KVTier; how: string; disk: boolean }> = {
  'hbm-copy': { from: 'HBM', to: 'HBM', how: 'copyBufferToBuffer', disk: false },
  'hbm-gather': { from: 'HBM', to: 'HBM', how: 'gather kernel packing scattered blocks by a block table', disk: false },
  'ddr-to-hbm-write': { from: 'DDR', to: 'HBM', how: 'queue.writeBuffer', disk: false },
  'ddr-to-hbm-staging': { from: 'DDR', to: 'HBM', how: 'mapped staging buffer, then copyBufferToBuffer', disk: false },
  'ddr-to-hbm-ring': { from: 'DDR', to: 'HBM', how: 'ring of mapped staging buffers kept in flight', disk: false },
  'hbm-to-ddr': { from: 'HBM', to: 'DDR', how: 'copy to a mappable buffer, mapAsync, read out', disk: false },
  'ddr-to-nvme': { from: 'DDR', to: 'NVMe', how: 'positional write, fsync before the clock stops', disk: true },
  'nvme-to-ddr': { from: 'NVMe', to: 'DDR', how: 'positional read', disk: true },
  'nvme-to-hbm': { from: 'NVMe', to: 'HBM', how: 'read, then queue.writeBuffer (swap-in)', disk: true },
  'hbm-to-nvme': { from: 'HBM', to: 'NVMe', how: 'map-read, then write and fsync (swap-out)', disk: true },
};

export interface KvTierOptions {
  model?: string;
  blockTokens?: number;
  sizesBytes?: readonly number[];
  paths?: readonly KvPath[];
  ringDepth?: number;
  simulation?: boolean;
}

/** The model's KV block plus a sweep of raw sizes, within what one binding holds. */
export function planKvSizes(blockBytes: number, quick: boolean, maxBytes: number): number[] {
  const sweep = quick ? [64 * KiB, 4 * MiB] : [16 * KiB, 256 * KiB, 4 * MiB, 16 * MiB, 64 * MiB, 256 * MiB];
  return [...new Set([blockBytes, ...sweep])].filter((s) => s <= maxBytes).sort((a, b) => a - b);
}

function randomWords(seed: number, bytes: number): Uint32Array<ArrayBuffer> {
  const words = new Uint32Array(bytes / 4);
  fillRandomU32(seed, 0, words);
  return words;
}

const now = (): number => performance.now();
const elapsedNs = (t0: number): number => (performance.now() - t0) * 1e6;

/** Counts round trips whose checksum matched what was sent; reported after timing. */
class Verification {
  checked = 0;
  failed = 0;
  first = '';

  compare(got: number, want: number, what: string): void {
    this.checked++;
    if (got !== want && this.failed++ === 0)
      this.first = `${what}: checksum 0x${got.toString(16)} ≠ 0x${want.toString(16)}`;
  }

  result(method: string): CheckResult {
    return {
      passed: this.failed === 0 && this.checked > 0,
      method,
      compared: this.checked,
      mismatches: this.failed,
      maxRelError: null,
      detail:
        this.failed === 0
          ? `checksums of all ${this.checked} timed round trips matched what was sent`
          : `${this.failed} of ${this.checked} round trips arrived different; first: ${this.first}`,
    };
  }
}

async function readBack(device: GPUDevice, buffer: GPUBuffer, bytes: number): Promise<Uint32Array> {
  const out = new Uint32Array(bytes / 4);
  await readChunked(device, buffer, bytes, (offset, chunk) => {
    out.set(chunk, offset / 4);
  });
  return out;
}

async function prepareTransfer(
  path: KvPath,
  bytes: number,
  blockBytes: number,
  ringDepth: number,
  ctx: SuiteContext,
  pool: BufferPool,
): Promise<PreparedCase> {
  const { device } = ctx;
  const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const sent = [randomWords(ctx.seed, bytes), randomWords(ctx.seed + 7, bytes)];
  const sums = sent.map((w) => checksumWords(w));
  const data = (i: number): Uint32Array<ArrayBuffer> => sent[i % 2] as Uint32Array<ArrayBuffer>;
  const sum = (i: number): number => sums[i % 2] as number;
  let iteration = 0;
  const verification = new Verification();
  const done = (): Promise<undefined> => device.queue.onSubmittedWorkDone();
  const info = PATH_INFO[path];
  let file: ScratchFile | null = null;
  let pageCache = 'not applicable';
  if (info.disk) {
    if (ctx.storage === undefined) throw new Error('this platform gives wgbench no file storage for the disk tier');
    const refusal = await ctx.storage.refuse(bytes);
    if (refusal !== null) throw new Error(refusal);
    file = await ctx.storage.create(bytes);
  }
  const disk = (): ScratchFile => {
    if (file === null) throw new Error('no scratch file');
    return file;
  };
  const bytesOf = (w: Uint32Array): Uint8Array => new Uint8Array(w.buffer, w.byteOffset, w.byteLength);
  const gpuSide = path !== 'ddr-to-nvme' && path !== 'nvme-to-ddr';
  const dst = gpuSide ? pool.create({ size: bytes, usage: storage, label: 'dst' }) : null;
  const src =
    path === 'hbm-copy' || path === 'hbm-to-ddr' || path === 'hbm-to-nvme'
      ? pool.create({ size: bytes, usage: storage, label: 'src' })
      : null;
  if (src !== null) device.queue.writeBuffer(src, 0, data(0));
  const readback =
    path === 'hbm-to-ddr' || path === 'hbm-to-nvme'
      ? pool.create({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'readback' })
      : null;
  const host = new Uint32Array(bytes / 4);
  if (path === 'nvme-to-ddr' || path === 'nvme-to-hbm') {
    await disk().write(bytesOf(data(0)), 0);
    await disk().sync();
  }

  // DDR→HBM through staging buffers: one for `staging`, `ringDepth` chunks in flight for `ring`.
  const chunk =
    path === 'ddr-to-hbm-ring' ? Math.max(64 * KiB, Math.min(8 * MiB, Math.ceil(bytes / ringDepth / 4) * 4)) : bytes;
  const slots = path === 'ddr-to-hbm-staging' ? 1 : path === 'ddr-to-hbm-ring' ? ringDepth : 0;
  const ring: { buffer: GPUBuffer; ready: Promise<unknown> }[] = Array.from({ length: slots }, () => ({
    buffer: pool.create({
      size: Math.min(chunk, bytes),
      usage: GPUBufferUsage.MAP_WRITE | GPUBufferUsage.COPY_SRC,
      label: 'staging',
      mappedAtCreation: true,
    }),
    ready: Promise.resolve(),
  }));

  const copyOut = async (from: GPUBuffer): Promise<Uint32Array> => {
    if (readback === null) throw new Error('no readback buffer');
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(from, 0, readback, 0, bytes);
    device.queue.submit([encoder.finish()]);
    await readback.mapAsync(GPUMapMode.READ);
    host.set(new Uint32Array(readback.getMappedRange()));
    readback.unmap();
    return host;
  };

  const operation = async (): Promise<number | null> => {
    const i = iteration++;
    switch (path) {
      case 'hbm-copy': {
        const t0 = now();
        const encoder = device.createCommandEncoder();
        encoder.copyBufferToBuffer(src as GPUBuffer, 0, dst as GPUBuffer, 0, bytes);
        device.queue.submit([encoder.finish()]);
        await done();
        return elapsedNs(t0);
      }
      case 'ddr-to-hbm-write': {
        const t0 = now();
        device.queue.writeBuffer(dst as GPUBuffer, 0, data(i));
        await done();
        return elapsedNs(t0);
      }
      case 'ddr-to-hbm-staging':
      case 'ddr-to-hbm-ring': {
        const words = data(i);
        const t0 = now();
        for (let offset = 0, n = 0; offset < bytes; offset += chunk, n++) {
          const slot = ring[n % ring.length] as { buffer: GPUBuffer; ready: Promise<unknown> };
          await slot.ready;
          const size = Math.min(chunk, bytes - offset);
          new Uint32Array(slot.buffer.getMappedRange(0, size)).set(words.subarray(offset / 4, (offset + size) / 4));
          slot.buffer.unmap();
          const encoder = device.createCommandEncoder();
          encoder.copyBufferToBuffer(slot.buffer, 0, dst as GPUBuffer, offset, size);
          device.queue.submit([encoder.finish()]);
          // Mapping for the next use resolves once the GPU has read this chunk.
          slot.ready = slot.buffer.mapAsync(GPUMapMode.WRITE);
        }
        await done();
        const ns = elapsedNs(t0);
        await Promise.all(ring.map((s) => s.ready));
        return ns;
      }
      case 'hbm-to-ddr': {
        const t0 = now();
        const got = await copyOut(src as GPUBuffer);
        const ns = elapsedNs(t0);
        verification.compare(checksumWords(got), sum(0), `round trip ${i}`);
        return ns;
      }
      case 'ddr-to-nvme': {
        const t0 = now();
        await disk().write(bytesOf(data(i)), 0);
        await disk().sync();
        return elapsedNs(t0);
      }
      case 'nvme-to-ddr': {
        pageCache =
          (await disk().evictCache()) ??
          'warm: reads may come from the OS page cache (run as root with --drop-caches for cold reads)';
        const t0 = now();
        await disk().read(bytesOf(host), 0);
        const ns = elapsedNs(t0);
        verification.compare(checksumWords(host), sum(0), `read ${i}`);
        return ns;
      }
      case 'nvme-to-hbm': {
        pageCache =
          (await disk().evictCache()) ??
          'warm: reads may come from the OS page cache (run as root with --drop-caches for cold reads)';
        const t0 = now();
        await disk().read(bytesOf(host), 0);
        device.queue.writeBuffer(dst as GPUBuffer, 0, host);
        await done();
        return elapsedNs(t0);
      }
      case 'hbm-to-nvme': {
        const t0 = now();
        const got = await copyOut(src as GPUBuffer);
        await disk().write(bytesOf(got), 0);
        await disk().sync();
        return elapsedNs(t0);
      }
      case 'hbm-gather':
        throw new Error('the gather path is timed as a compute pass');
    }
  };

  /** Where a path's data ends up, read back and checksummed against what the last transfer sent. */
  const verifyDestination = async (last: number, what: string): Promise<void> => {
    if (path === 'ddr-to-nvme' || path === 'hbm-to-nvme') {
      const back = new Uint32Array(bytes / 4);
      await disk().read(bytesOf(back), 0);
      verification.compare(checksumWords(back), path === 'hbm-to-nvme' ? sum(0) : sum(last), what);
    } else if (dst !== null && path !== 'hbm-to-ddr') {
      verification.compare(
        checksumWords(await readBack(device, dst, bytes)),
        path === 'hbm-copy' || path === 'nvme-to-hbm' ? sum(0) : sum(last),
        what,
      );
    }
  };

  const check = async (): Promise<CheckResult> => {
    if (dst !== null) writeChunked(device, dst, bytes, (_o, c) => c.fill(POISON));
    if (path === 'ddr-to-nvme' || path === 'hbm-to-nvme')
      await disk().write(bytesOf(new Uint32Array(bytes / 4).fill(POISON)), 0);
    const before = iteration;
    await operation();
    await verifyDestination(before, 'first round trip');
    return verification.result('FNV-1a checksum of what arrived against what was sent, on a poisoned destination');
  };

  return {
    encode: () => undefined,
    check,
    timeOperation: operation,
    operationTimerMethod:
      `host performance.now() around one ${info.how} of ${formatBytes(bytes)}, until the data is in ` +
      `place${info.to === 'NVMe' ? ` and ${ctx.storage?.durability ?? 'synced'}` : ''}`,
    validateTiming: async () => {
      await verifyDestination(iteration - 1, 'last timed round trip');
      return verification.result(
        'every timed transfer that lands in host memory, and the last one that lands on the GPU or disk, checksummed',
      );
    },
    extras: () => ({
      path,
      from: info.from,
      to: info.to,
      method: info.how,
      blockBytes,
      ...(info.disk ? { pageCache, scratchFile: file?.path ?? null } : {}),
    }),
    dispose: async () => {
      await file?.close();
    },
  };
}

async function prepareGather(
  blocks: number,
  blockBytes: number,
  ctx: SuiteContext,
  pool: BufferPool,
): Promise<PreparedCase> {
  const { device } = ctx;
  const poolSlots = blocks * 2;
  const words = blockBytes / 4;
  const poolData = randomWords(ctx.seed, poolSlots * blockBytes);
  const table = new Uint32Array(blocks);
  const order = randomWords(ctx.seed + 3, poolSlots * 4);
  const slots = [...Array(poolSlots).keys()].sort((a, b) => (order[a] as number) - (order[b] as number));
  for (let b = 0; b < blocks; b++) table[b] = slots[b] as number;
  const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const poolBuf = pool.create({ size: poolSlots * blockBytes, usage: storage, label: 'kv-pool' });
  writeChunked(device, poolBuf, poolSlots * blockBytes, (offset, chunk) => {
    chunk.set(poolData.subarray(offset / 4, offset / 4 + chunk.length));
  });
  const tableBuf = pool.create({ size: Math.max(16, blocks * 4), usage: storage, label: 'block-table' });
  device.queue.writeBuffer(tableBuf, 0, table);
  const packed = pool.create({ size: blocks * blockBytes, usage: storage, label: 'packed' });
  const params = pool.create({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'params' });
  device.queue.writeBuffer(params, 0, new Uint32Array([words / 4, blocks, 0, 0]));
  const pipeline = await computePipeline(device, 'kv_gather', await ctx.loadKernel('kv_gather'), 'gather_kernel');
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [poolBuf, tableBuf, packed, params].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const encode = (pass: GPUComputePassEncoder, repeats: number): void => {
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    for (let r = 0; r < repeats; r++) pass.dispatchWorkgroups(blocks);
  };
  const check = async (): Promise<CheckResult> => {
    writeChunked(device, packed, blocks * blockBytes, (_o, c) => c.fill(POISON));
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    encode(pass, 1);
    pass.end();
    device.queue.submit([encoder.finish()]);
    const got = await readBack(device, packed, blocks * blockBytes);
    let bad = 0;
    for (let b = 0; b < blocks; b++) {
      const from = (table[b] as number) * words;
      if (
        checksumWords(got.subarray(b * words, (b + 1) * words)) !== checksumWords(poolData.subarray(from, from + words))
      )
        bad++;
    }
    return {
      passed: bad === 0,
      method: 'per-block FNV-1a checksum against the block the table names',
      compared: blocks,
      mismatches: bad,
      maxRelError: null,
      detail:
        bad === 0 ? `all ${blocks} gathered blocks match their source slots` : `${bad} of ${blocks} blocks differ`,
    };
  };
  return {
    encode,
    check,
    extras: () => ({ path: 'hbm-gather', from: 'HBM', to: 'HBM', blocks, blockBytes, poolSlots }),
  };
}

/** Moves real bytes: HBM is a GPU buffer, DDR a host array, NVMe a scratch file, one slot per block. */
class DeviceBlockMover implements BlockMover {
  private readonly ddr: Uint32Array;
  private readonly staging: GPUBuffer;
  private readonly words: number;

  constructor(
    private readonly device: GPUDevice,
    private readonly hbm: GPUBuffer,
    ddrSlots: number,
    private readonly nvme: ScratchFile | null,
    private readonly blockBytes: number,
    private readonly seed: number,
    pool: BufferPool,
  ) {
    this.words = blockBytes / 4;
    this.ddr = new Uint32Array(ddrSlots * this.words);
    this.staging = pool.create({
      size: blockBytes,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      label: 'kv-staging',
    });
  }

  /** The bytes a block holds, derived from its key so any tier can be checked. */
  expected(key: string): Uint32Array<ArrayBuffer> {
    let h = this.seed >>> 0;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
    return randomWords(h, this.blockBytes);
  }

  async produce(key: string, tier: KVTier, slot: number): Promise<void> {
    if (tier !== 'HBM') throw new Error('blocks are produced on the device');
    this.device.queue.writeBuffer(this.hbm, slot * this.blockBytes, this.expected(key));
    await this.device.queue.onSubmittedWorkDone();
  }

  async read(tier: KVTier, slot: number): Promise<Uint32Array<ArrayBuffer>> {
    const out = new Uint32Array(this.words);
    if (tier === 'DDR') out.set(this.ddr.subarray(slot * this.words, (slot + 1) * this.words));
    else if (tier === 'NVMe') await this.file().read(new Uint8Array(out.buffer), slot * this.blockBytes);
    else {
      const encoder = this.device.createCommandEncoder();
      encoder.copyBufferToBuffer(this.hbm, slot * this.blockBytes, this.staging, 0, this.blockBytes);
      this.device.queue.submit([encoder.finish()]);
      await this.staging.mapAsync(GPUMapMode.READ);
      out.set(new Uint32Array(this.staging.getMappedRange()));
      this.staging.unmap();
    }
    return out;
  }

  async move(_key: string, from: KVTier, fromSlot: number, to: KVTier, toSlot: number): Promise<number> {
    const t0 = now();
    const block = await this.read(from, fromSlot);
    if (to === 'HBM') {
      this.device.queue.writeBuffer(this.hbm, toSlot * this.blockBytes, block);
      await this.device.queue.onSubmittedWorkDone();
    } else if (to === 'DDR') {
      this.ddr.set(block, toSlot * this.words);
    } else {
      await this.file().write(new Uint8Array(block.buffer), toSlot * this.blockBytes);
      await this.file().sync();
    }
    return elapsedNs(t0);
  }

  private file(): ScratchFile {
    if (this.nvme === null) throw new Error('no disk tier');
    return this.nvme;
  }
}

async function prepareSimulation(
  modelName: string,
  blockTokens: number,
  quick: boolean,
  ctx: SuiteContext,
  pool: BufferPool,
): Promise<PreparedCase> {
  const model = modelPreset(modelName);
  const blockBytes = kvBlockBytes(model, blockTokens);
  const traceOptions = quick
    ? {
        conversations: 6,
        turns: 3,
        systemPromptBlocks: 4,
        userBlocksPerTurn: 1,
        generatedBlocksPerTurn: 1,
        interleave: 3,
      }
    : {
        conversations: 16,
        turns: 4,
        systemPromptBlocks: 8,
        userBlocksPerTurn: 2,
        generatedBlocksPerTurn: 2,
        interleave: 8,
      };
  const trace = conversationTrace(traceOptions);
  const largest = Math.max(...trace.map((r) => r.blocks.length + r.generated.length));
  // Tiers sized so the working set spills: HBM holds a little more than one request.
  const capacities = { HBM: largest + 4, DDR: largest * 2, NVMe: largest * 8 };
  const hbm = pool.create({
    size: capacities.HBM * blockBytes,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    label: 'kv-hbm',
  });
  if (ctx.storage !== undefined) {
    const refusal = await ctx.storage.refuse(capacities.NVMe * blockBytes);
    if (refusal !== null) throw new Error(refusal);
  }
  const nvme = ctx.storage === undefined ? null : await ctx.storage.create(capacities.NVMe * blockBytes);
  const tiers = { ...capacities, NVMe: nvme === null ? 0 : capacities.NVMe };
  const mover = new DeviceBlockMover(ctx.device, hbm, tiers.DDR, nvme, blockBytes, ctx.seed, pool);
  let last: { cache: TieredKVCache; perRequestMigrationMs: number[] } | null = null;
  const replay = async (): Promise<TieredKVCache> => {
    const cache = new TieredKVCache(tiers, blockTokens, blockBytes, mover);
    const perRequestMigrationMs: number[] = [];
    for (const r of trace) perRequestMigrationMs.push((await cache.process(r)).migrationNs / 1e6);
    last = { cache, perRequestMigrationMs };
    return cache;
  };
  const check = async (): Promise<CheckResult> => {
    const cache = await replay();
    const keys = new Set(trace.flatMap((r) => [...r.blocks, ...r.generated]));
    let compared = 0;
    let bad = 0;
    for (const key of keys) {
      const loc = cache.locate(key);
      if (loc === null) continue;
      compared++;
      if (checksumWords(await mover.read(loc.tier, loc.slot)) !== checksumWords(mover.expected(key))) bad++;
    }
    return {
      passed: bad === 0 && compared > 0,
      method: 'every cached block read back from its tier and checksummed against its contents',
      compared,
      mismatches: bad,
      maxRelError: null,
      detail:
        bad === 0
          ? `all ${compared} cached blocks hold their bytes after the replay`
          : `${bad} of ${compared} blocks hold the wrong bytes`,
    };
  };
  return {
    encode: () => undefined,
    check,
    timeOperation: async () => {
      const t0 = now();
      await replay();
      return elapsedNs(t0);
    },
    operationTimerMethod:
      `host clock around one replay of a ${trace.length}-request conversation trace, real block moves ` + `included`,
    extras: () => {
      if (last === null) return null;
      const r = last.cache.result();
      const ms = last.perRequestMigrationMs;
      const total = ms.reduce((s, v) => s + v, 0);
      return {
        model: model.name,
        blockTokens,
        blockBytes,
        capacitiesBlocks: tiers,
        requests: trace.length,
        trace: traceOptions,
        kvCache: r,
        migrationMsTotal: total,
        migrationMsPerRequest: total / ms.length,
        migrationMsMaxRequest: Math.max(...ms),
      };
    },
    dispose: async () => {
      await nvme?.close();
    },
  };
}

type TransferRow = { probe: 'transfer'; path: KvPath; bytes: number };
/** One gather per block count: sizes that round to the same count of blocks are one case. */
type GatherRow = { probe: 'gather'; path: 'hbm-gather'; bytes: number; blocks: number };
type SimulationRow = { probe: 'simulation' };
type KvRow = TransferRow | GatherRow | SimulationRow;

export function createKvTierSuite(options: KvTierOptions = {}): DeclaredSuite<KvRow> {
  const modelOf = (ctx: PlanContext): ReturnType<typeof modelPreset> =>
    modelPreset(options.model ?? (ctx.info.adapterClass === 'cpu' || ctx.quick ? 'tiny' : 'llama-3-8b'));
  const blockTokens = options.blockTokens ?? 16;
  const blockBytesOf = (ctx: PlanContext): number => kvBlockBytes(modelOf(ctx), blockTokens);
  const maxBytesOf = (ctx: PlanContext): number =>
    Math.min(
      ctx.info.limits['maxStorageBufferBindingSize'] ?? 128 * MiB,
      ctx.info.limits['maxBufferSize'] ?? 256 * MiB,
    );
  const ringDepth = options.ringDepth ?? 4;
  const rowsFor = (path: KvPath, ctx: PlanContext): KvRow[] => {
    const blockBytes = blockBytesOf(ctx);
    const sizes = options.sizesBytes ?? planKvSizes(blockBytes, ctx.quick, maxBytesOf(ctx));
    // A size given twice is one case.
    if (path !== 'hbm-gather') return [...new Set(sizes)].map((bytes) => ({ probe: 'transfer', path, bytes }));
    const seen = new Set<number>();
    return sizes.flatMap((bytes): KvRow[] => {
      const blocks = Math.max(1, Math.floor(bytes / blockBytes));
      if (seen.has(blocks)) return [];
      seen.add(blocks);
      return [{ probe: 'gather', path, bytes, blocks }];
    });
  };
  const transfers = params().expandWith((_row, ctx) => (options.paths ?? KV_PATHS).flatMap((p) => rowsFor(p, ctx)));
  const simulation = params().expandWith((): KvRow[] =>
    (options.simulation ?? true) ? [{ probe: 'simulation' }] : [],
  );
  const idOf = (row: KvRow, ctx: PlanContext): string =>
    row.probe === 'gather'
      ? `kvtier/hbm-gather/blocks=${row.blocks}`
      : row.probe === 'transfer'
        ? `kvtier/${row.path}/bytes=${row.bytes}`
        : `kvtier/simulation/model=${modelOf(ctx).name}`;
  return defineSuite({
    name: 'kvtier',
    description:
      'KV-cache tiers: transfer costs between device memory, host memory and disk, and a tiered KV cache simulation',
    params: transfers.concat(simulation),
    requires: (row, ctx) => {
      if (row.probe === 'simulation') return [];
      const blockBytes = blockBytesOf(ctx);
      return [
        needsRule(() => (row.bytes % 16 !== 0 ? `size ${row.bytes} is not a multiple of 16 bytes` : null)),
        needsRule(() =>
          PATH_INFO[row.path].disk && ctx.storage === undefined
            ? 'no file storage on this platform for the disk tier'
            : null,
        ),
        needsRule(() =>
          row.probe === 'gather' && (blockBytes % 16 !== 0 || 2 * row.blocks * blockBytes > maxBytesOf(ctx))
            ? `the block pool (${formatBytes(2 * row.blocks * blockBytes)}) exceeds the largest binding`
            : null,
        ),
      ];
    },
    id: idOf,
    // A transfer path is the same work on every device (the size a parameter); a simulation is its model.
    key: (row, ctx) => (row.probe === 'simulation' ? idOf(row, ctx) : kvTierKey(row.path)),
    title: (row, ctx) => {
      const blockBytes = blockBytesOf(ctx);
      if (row.probe === 'gather') return `gather ${row.blocks} × ${formatBytes(blockBytes)}`;
      if (row.probe === 'transfer') return `${row.path} ${formatBytes(row.bytes)}`;
      return `tiered KV cache, ${modelOf(ctx).name}`;
    },
    record: (row, ctx) => {
      const model = modelOf(ctx);
      const blockBytes = blockBytesOf(ctx);
      if (row.probe === 'simulation')
        return { model: model.name, blockTokens, blockBytes, policy: 'LRU, promote on hit, evict one tier down' };
      const info = PATH_INFO[row.path];
      return {
        path: row.path,
        from: info.from,
        to: info.to,
        bytes: row.probe === 'gather' ? row.blocks * blockBytes : row.bytes,
        blockBytes,
        model: model.name,
        blockTokens,
        queueDepth: row.path === 'ddr-to-hbm-ring' ? ringDepth : 1,
        ...(row.probe === 'gather' ? { blocks: row.blocks } : {}),
      };
    },
    work: (row, ctx) => {
      if (row.probe === 'simulation') return { bytesPerDispatch: blockBytesOf(ctx), bytesCounted: 'transferred' };
      if (row.probe === 'gather') {
        const moved = row.blocks * blockBytesOf(ctx);
        return { bytesPerDispatch: 2 * moved, bytesCounted: 'read+write' };
      }
      return { bytesPerDispatch: row.bytes, bytesCounted: 'transferred' };
    },
    // Transfers are host-timed operations (the gather is a kernel, timed in passes); the simulation
    // times one replay of a trace.
    timing: 'host-operation',
    prepare: (row, c, pool) => {
      const blockBytes = blockBytesOf(c);
      if (row.probe === 'gather') return prepareGather(row.blocks, blockBytes, c, pool);
      if (row.probe === 'transfer') return prepareTransfer(row.path, row.bytes, blockBytes, ringDepth, c, pool);
      return prepareSimulation(modelOf(c).name, blockTokens, c.quick, c, pool);
    },
  });
}

export const kvTierSuite: Suite = createKvTierSuite();
