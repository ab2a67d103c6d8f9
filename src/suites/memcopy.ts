import { fillRandomU32, readChunked, writeChunked, type BufferPool } from '../gpu/buffers.js';
import { computePipeline } from '../gpu/pipelines.js';
import { formatBytes } from '../reporters/format.js';
import {
  defineSuite,
  needsRule,
  params,
  resolveSetting,
  type DeclaredSuite,
  type PlanContext,
  type SettingSource,
  type TunableParameter,
} from './declare.js';
import type { CheckResult, PreparedCase, Suite, SuiteContext } from './types.js';
import type { DeviceInfo } from '../gpu/adapterInfo.js';
import { memcopyKey } from '../results/caseKey.js';

const MiB = 1024 * 1024;
const POISON = 0xdeadbeef;
/** Above every GPU last-level cache we know of (MI300X's 256 MB Infinity Cache is the largest). */
export const DRAM_WORKING_SET_BYTES = 256 * MiB;
const SWEEP_SIZES = [1, 4, 16, 64, 256, 1024].map((m) => m * MiB);
/**
 * Elements each thread handles (grid-stride). Four keeps enough loads in flight on a GPU; the
 * read kernel on a CPU adapter uses more per thread, since its per-workgroup barrier reduction
 * costs far more there than the loads (0.7 → 3 GB/s on lavapipe).
 */
export function elementsPerThread(kernel: MemcopyKernel, cpuAdapter: boolean): number {
  return kernel === 'read' && cpuAdapter ? 64 : 4;
}

export type MemcopyKernel = 'copy' | 'read' | 'write';
/** probeWg/probeEpt: 0 for the launch this device resolves (tuned, explicit, default), else a probe's shape. */
type MemcopyRow = { bytes: number; kernel: MemcopyKernel; probeWg: number; probeEpt: number };
const KERNELS: readonly MemcopyKernel[] = ['copy', 'read', 'write'];

/** Largest buffer one binding can hold on this device, in whole 16-byte elements. */
export function maxBindableBytes(limits: Record<string, number>): number {
  const binding = limits['maxStorageBufferBindingSize'] ?? 128 * MiB;
  const buffer = limits['maxBufferSize'] ?? 256 * MiB;
  return Math.floor(Math.min(binding, buffer) / 16) * 16;
}

/**
 * Where a working set stops fitting in cache, and why we think so. A GPU: above the largest
 * last-level cache known. A CPU adapter: its data lives in the host's caches, so twice the host's
 * last-level cache where the platform read it, else a stated guess.
 */
export function dramThreshold(info: Pick<DeviceInfo, 'adapterClass' | 'hostCacheBytes'>): {
  bytes: number;
  basis: string;
} {
  if (info.adapterClass === 'gpu')
    return { bytes: DRAM_WORKING_SET_BYTES, basis: 'above the largest GPU last-level cache known (256 MiB)' };
  const llc = info.hostCacheBytes ?? null;
  if (llc !== null && llc > 0)
    return { bytes: 2 * llc, basis: `twice the host CPU's last-level cache (${formatBytes(llc)})` };
  return { bytes: 64 * MiB, basis: "a guess (64 MiB): the host CPU's cache size is not known here" };
}

/** Buffer sizes to run: one large size in quick mode, a sweep up to the largest the limits allow otherwise. */
export function planSizes(limits: Record<string, number>, quick: boolean, cpuAdapter: boolean): number[] {
  const max = maxBindableBytes(limits);
  if (quick) return [Math.min(max, cpuAdapter ? 128 * MiB : 1024 * MiB)];
  const sizes = SWEEP_SIZES.filter((s) => s <= max);
  const top = SWEEP_SIZES[SWEEP_SIZES.length - 1] as number;
  if (max < top && !sizes.includes(max)) sizes.push(max);
  return sizes;
}

/** The write kernel's value for element i, lane k (mirrors `pattern` in memcopy.wgsl). */
export function writePattern(index: number, lane: number, seed: number): number {
  const base = ((index * 4) ^ seed) >>> 0;
  return Math.imul((base + lane) >>> 0, 2654435761) >>> 0;
}

function exactCheck(compared: number, mismatches: number, first: string): CheckResult {
  return {
    passed: mismatches === 0 && compared > 0,
    method: 'exact-u32',
    compared,
    mismatches,
    maxRelError: null,
    detail:
      mismatches === 0
        ? `all ${compared} u32 words match`
        : `${mismatches} of ${compared} u32 words differ; first: ${first}`,
  };
}

async function prepare(
  kernel: MemcopyKernel,
  bytes: number,
  workgroupSize: number,
  workgroups: number,
  ctx: SuiteContext,
  pool: BufferPool,
): Promise<PreparedCase> {
  const { device, seed } = ctx;
  const count = bytes / 16;
  const code = await ctx.loadKernel('memcopy');
  const pipeline = await computePipeline(device, 'memcopy', code, `${kernel}_kernel`, {
    WORKGROUP_SIZE: workgroupSize,
  });
  const params = pool.create({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'params' });
  device.queue.writeBuffer(params, 0, new Uint32Array([count, seed >>> 0, 0, 0]));
  const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

  const entries: GPUBindGroupEntry[] = [{ binding: 2, resource: { buffer: params } }];
  let dst: GPUBuffer | null = null;
  let partials: GPUBuffer | null = null;
  const laneSums = new Uint32Array(4);
  if (kernel !== 'write') {
    const src = pool.create({ size: bytes, usage: storage, label: 'src' });
    writeChunked(device, src, bytes, (offset, chunk) => {
      fillRandomU32(seed, offset, chunk);
      if (kernel === 'read')
        for (let i = 0; i < chunk.length; i++)
          laneSums[i & 3] = ((laneSums[i & 3] as number) + (chunk[i] as number)) >>> 0;
    });
    entries.push({ binding: 0, resource: { buffer: src } });
  }
  if (kernel !== 'read') {
    dst = pool.create({ size: bytes, usage: storage, label: 'dst' });
    entries.push({ binding: 1, resource: { buffer: dst } });
  } else {
    partials = pool.create({ size: workgroups * 16, usage: storage, label: 'partials' });
    entries.push({ binding: 3, resource: { buffer: partials } });
  }
  const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });

  const encode = (pass: GPUComputePassEncoder, repeats: number): void => {
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    for (let r = 0; r < repeats; r++) pass.dispatchWorkgroups(workgroups);
  };
  const runOnce = async (): Promise<void> => {
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    encode(pass, 1);
    pass.end();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
  };
  const poison = (buffer: GPUBuffer, size: number): void => {
    writeChunked(device, buffer, size, (_o, chunk) => chunk.fill(POISON));
  };

  const check = async (): Promise<CheckResult> => {
    let mismatches = 0;
    let compared = 0;
    let first = '';
    const note = (where: number, got: number, want: number): void => {
      if (mismatches++ === 0) first = `word ${where}: got 0x${got.toString(16)}, want 0x${want.toString(16)}`;
    };
    if (kernel === 'read' && partials !== null) {
      poison(partials, workgroups * 16);
      await runOnce();
      const got = new Uint32Array(4);
      await readChunked(device, partials, workgroups * 16, (_o, chunk) => {
        for (let i = 0; i < chunk.length; i++) got[i & 3] = ((got[i & 3] as number) + (chunk[i] as number)) >>> 0;
      });
      for (let lane = 0; lane < 4; lane++) {
        compared++;
        if (got[lane] !== laneSums[lane]) note(lane, got[lane] as number, laneSums[lane] as number);
      }
      const result = exactCheck(compared, mismatches, first);
      return {
        ...result,
        method: 'exact-u32-wrapping-sum',
        detail: mismatches === 0 ? `per-lane wrapping sums of all ${count * 4} words match the CPU's` : result.detail,
      };
    }
    if (dst === null) throw new Error('memcopy: no output buffer');
    poison(dst, bytes);
    await runOnce();
    const expected = new Uint32Array(Math.min(bytes, 64 * MiB) / 4);
    await readChunked(device, dst, bytes, (offset, chunk) => {
      const want = expected.subarray(0, chunk.length);
      if (kernel === 'copy') fillRandomU32(seed, offset, want);
      else
        for (let i = 0; i < want.length; i++)
          want[i] = writePattern(Math.floor((offset / 4 + i) / 4), (offset / 4 + i) & 3, seed >>> 0);
      for (let i = 0; i < chunk.length; i++) {
        if (chunk[i] !== want[i]) note(offset / 4 + i, chunk[i] as number, want[i] as number);
      }
      compared += chunk.length;
    });
    return exactCheck(compared, mismatches, first);
  };
  return { encode, check };
}

export interface MemcopyOptions {
  /** Buffer sizes to run instead of the planned ones; sizes the device cannot bind are skipped with the reason. */
  sizesBytes?: readonly number[];
  kernels?: readonly MemcopyKernel[];
  /** Overrides the planned elements per thread (grid-stride), for tuning on a new device. */
  elementsPerThread?: number;
  /** Overrides the workgroup size (a power of two within the device's limits), for tuning. */
  workgroupSize?: number;
  /**
   * Launch shapes found by `wgbench tune`, per kernel: used for every size, recorded as tuned. A run
   * takes them from its context (SuiteContext.tuned); this is for callers that hold their own.
   */
  tuned?: Partial<Record<MemcopyKernel, MemcopyLaunch>>;
  /**
   * Launch shapes the copy kernel also runs at, each its own case (`/wg=…/ept=…` in id and key):
   * `calibrate` passes calibrationMemcopyLaunches(), so the bandwidth peak is the best shape's, not
   * the default's. Shapes past the device's workgroup limit, or equal to its launch, are not planned.
   */
  probeLaunches?: readonly MemcopyLaunch[];
}

/**
 * The copy kernel's shapes `calibrate` searches beside the device's own launch: workgroup size by
 * elements per thread; `--quick` only the elements per thread at the usual workgroup size (each
 * shape is a 128 MiB copy checked and timed every round).
 */
export function calibrationMemcopyLaunches(quick: boolean): readonly MemcopyLaunch[] {
  const sizes = quick ? [256] : [64, 256];
  return sizes.flatMap((workgroupSize) =>
    [1, 4, 16].map((elementsPerThread) => ({ workgroupSize, elementsPerThread })),
  );
}

export interface MemcopyLaunch {
  workgroupSize: number;
  elementsPerThread: number;
}

/** The built-in launch shape of a kernel on this device (what `tune` starts from). */
export function defaultMemcopyLaunch(
  kernel: MemcopyKernel,
  limits: Record<string, number>,
  cpuAdapter: boolean,
): MemcopyLaunch {
  return {
    workgroupSize: Math.min(
      256,
      limits['maxComputeInvocationsPerWorkgroup'] ?? 256,
      limits['maxComputeWorkgroupSizeX'] ?? 256,
    ),
    elementsPerThread: elementsPerThread(kernel, cpuAdapter),
  };
}

/** The launch a kernel runs with here: a stored tuning, else the caller's, else the built-in default. */
function memcopyLaunch(
  kernel: MemcopyKernel,
  ctx: PlanContext,
  options: MemcopyOptions,
): MemcopyLaunch & { source: SettingSource } {
  const builtIn = defaultMemcopyLaunch(kernel, ctx.info.limits, ctx.info.adapterClass === 'cpu');
  const explicit =
    options.workgroupSize === undefined && options.elementsPerThread === undefined
      ? undefined
      : {
          workgroupSize: options.workgroupSize ?? builtIn.workgroupSize,
          elementsPerThread: options.elementsPerThread ?? builtIn.elementsPerThread,
        };
  const tuned = options.tuned?.[kernel] ?? ctx.tuned?.memcopy[kernel];
  const { value, source } = resolveSetting(tuned, explicit, () => builtIn);
  return { ...value, source };
}

/** The launch `wgbench tune` searches per kernel; what limits it is the suite's requirements below. */
export const MEMCOPY_TUNABLES: readonly TunableParameter[] = [
  {
    name: 'workgroupSize',
    values: [32, 64, 128, 256, 512, 1024],
    limitedBy: 'maxComputeInvocationsPerWorkgroup, maxComputeWorkgroupSizeX',
  },
  {
    name: 'elementsPerThread',
    values: [1, 2, 4, 8, 16, 32, 64],
    limitedBy: 'maxComputeWorkgroupsPerDimension (grid-stride beyond it)',
  },
];

export function createMemcopySuite(options: MemcopyOptions = {}): DeclaredSuite<MemcopyRow> {
  const launchOf = (row: MemcopyRow, ctx: PlanContext): ReturnType<typeof memcopyLaunch> =>
    row.probeWg === 0
      ? memcopyLaunch(row.kernel, ctx, options)
      : { workgroupSize: row.probeWg, elementsPerThread: row.probeEpt, source: 'explicit' };
  const probesFor = (row: { kernel: MemcopyKernel }, ctx: PlanContext): { probeWg: number; probeEpt: number }[] => {
    const own = { probeWg: 0, probeEpt: 0 };
    if (row.kernel !== 'copy' || options.probeLaunches === undefined) return [own];
    const resolved = memcopyLaunch(row.kernel, ctx, options);
    const most = Math.min(
      ctx.info.limits['maxComputeInvocationsPerWorkgroup'] ?? 256,
      ctx.info.limits['maxComputeWorkgroupSizeX'] ?? 256,
    );
    const probes = options.probeLaunches.filter(
      (l) =>
        l.workgroupSize <= most &&
        !(l.workgroupSize === resolved.workgroupSize && l.elementsPerThread === resolved.elementsPerThread),
    );
    return [own, ...probes.map((l) => ({ probeWg: l.workgroupSize, probeEpt: l.elementsPerThread }))];
  };
  const workingSet = (row: { kernel: MemcopyKernel; bytes: number }): number =>
    row.kernel === 'copy' ? 2 * row.bytes : row.bytes;
  const region = (row: { kernel: MemcopyKernel; bytes: number }, info: DeviceInfo): 'dram' | 'cache-sweep' =>
    workingSet(row) >= dramThreshold(info).bytes ? 'dram' : 'cache-sweep';
  // Explicit overrides (sweeps) get their own ids; a tuned launch keeps the case's id, so gates and history still match
  // it.
  const suffix = (launch: ReturnType<typeof memcopyLaunch>): string =>
    launch.source === 'explicit' ? `/wg=${launch.workgroupSize}/ept=${launch.elementsPerThread}` : '';
  const workgroups = (row: { bytes: number }, launch: MemcopyLaunch, info: DeviceInfo): number =>
    Math.max(
      1,
      Math.min(
        info.limits['maxComputeWorkgroupsPerDimension'] ?? 65535,
        Math.ceil(row.bytes / 16 / (launch.workgroupSize * launch.elementsPerThread)),
      ),
    );
  return defineSuite({
    name: 'memcopy',
    description: 'Device-memory bandwidth: copy (read+write), read-only and write-only kernels at vec4 width',
    selectedByDefault: true,
    params: params()
      .combine(
        'bytes',
        (_row, ctx) => options.sizesBytes ?? planSizes(ctx.info.limits, ctx.quick, ctx.info.adapterClass === 'cpu'),
      )
      .combine('kernel', options.kernels ?? KERNELS)
      .expandWith(probesFor),
    requires: (row, ctx) => {
      const launch = launchOf(row, ctx);
      const maxBytes = maxBindableBytes(ctx.info.limits);
      return [
        needsRule(() =>
          row.bytes % 16 !== 0 || row.bytes <= 0
            ? `buffer size ${row.bytes} is not a positive multiple of 16 bytes (one vec4<u32>)`
            : null,
        ),
        needsRule((info) => {
          const most = Math.min(
            info.limits['maxComputeInvocationsPerWorkgroup'] ?? 256,
            info.limits['maxComputeWorkgroupSizeX'] ?? 256,
          );
          return !Number.isInteger(Math.log2(launch.workgroupSize)) || launch.workgroupSize > most
            ? `workgroup size ${launch.workgroupSize} must be a power of two within this device's ${most} ` +
                `(maxComputeInvocationsPerWorkgroup, maxComputeWorkgroupSizeX)`
            : null;
        }),
        needsRule(() =>
          row.bytes > maxBytes
            ? `${formatBytes(row.bytes)} exceeds this device's largest storage binding (${formatBytes(maxBytes)})`
            : null,
        ),
      ];
    },
    id: (row, ctx) => `memcopy/${row.kernel}/bytes=${row.bytes}${suffix(launchOf(row, ctx))}`,
    key: (row, ctx) => memcopyKey(row.kernel, region(row, ctx.info), suffix(launchOf(row, ctx))),
    title: (row) => `${row.kernel} ${formatBytes(row.bytes)}`,
    record: (row, ctx) => {
      const launch = launchOf(row, ctx);
      return {
        kernel: row.kernel,
        bufferBytes: row.bytes,
        workingSetBytes: workingSet(row),
        region: region(row, ctx.info),
        regionBasis: dramThreshold(ctx.info).basis,
        workgroupSize: launch.workgroupSize,
        workgroups: workgroups(row, launch, ctx.info),
        elementsPerThread: launch.elementsPerThread,
        source: launch.source,
        elementType: 'vec4<u32>',
      };
    },
    work: (row) => ({
      bytesPerDispatch: workingSet(row),
      bytesCounted: row.kernel === 'copy' ? 'read+write' : row.kernel,
    }),
    timing: 'gpu-pass',
    tunables: MEMCOPY_TUNABLES,
    prepare: (row, c, pool) => {
      const launch = launchOf(row, c);
      return prepare(row.kernel, row.bytes, launch.workgroupSize, workgroups(row, launch, c.info), c, pool);
    },
  });
}

export const memcopySuite: Suite = createMemcopySuite();
