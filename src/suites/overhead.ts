import { readChunked, type BufferPool } from '../gpu/buffers.js';
import { hostWallTimer, type PassStamp, type PassTimer, type TimerInfo } from '../gpu/timer.js';
import { formatBytes } from '../reporters/format.js';
import { fitLine } from '../metrics/linearFit.js';
import { costMeasurement, fitCost } from '../runner/costFit.js';
import type { CasePlan, CheckResult, MeasureTools, Measurement, PreparedCase, Suite, SuiteContext } from './types.js';

/**
 * What WebGPU costs before and around a kernel: per dispatch, pass and submit (slopes of a linear
 * fit of time against count, so a fixed cost lands in the intercept), the queue round trip,
 * readback and upload latency per call, shader and pipeline creation, indirect dispatch and
 * buffer creation. Every dispatch runs `bump` (overhead.wgsl), and the checks count them.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

/** A cost planted on the host, for tests that the fit finds what it should and nothing else. */
export interface PlantedCost {
  /** Spun after every submit of the submit case: its slope must rise by this much. */
  perSubmitNs?: number;
  /** Spun once per sample of the submit case, after the wait: its intercept must rise by this, its slope not. */
  perSampleNs?: number;
}

export interface OverheadOptions {
  /** Only these case kinds (dispatch, pass, submit, roundtrip, readback, upload, compile, indirect, buffer). */
  kinds?: readonly OverheadKind[];
  plant?: PlantedCost;
  /** Counts to fit dispatch costs over (default 1 … 4,096). */
  dispatchCounts?: readonly number[];
}

export const OVERHEAD_KINDS = [
  'dispatch',
  'pass',
  'submit',
  'roundtrip',
  'readback',
  'upload',
  'compile',
  'indirect',
  'buffer',
] as const;
export type OverheadKind = (typeof OVERHEAD_KINDS)[number];

const DISPATCH_COUNTS = [1, 16, 64, 256, 1024, 4096];
const PASS_COUNTS = [1, 4, 16, 64, 256];
const SUBMIT_COUNTS = [1, 4, 16, 64];
const TRANSFER_SIZES = [4, 256, 4 * KiB, 64 * KiB, MiB];
const TRANSFER_SIZES_QUICK = [4, 64 * KiB, MiB];
/** The kernels whose compile cost a user pays: our own, by file and entry point. */
const COMPILED_KERNELS: readonly { name: string; entry: string }[] = [
  { name: 'memcopy', entry: 'copy_kernel' },
  { name: 'matmul', entry: 'tiled_kernel' },
  { name: 'attention', entry: 'flash_kernel' },
  { name: 'gemv', entry: 'gemv_kernel' },
];
const CHECK_COUNT = 16;

/** The counter pipelines: one layout shared by all, so bind groups can stay bound across a switch. */
interface Bumper {
  layout: GPUBindGroupLayout;
  /** STEP 1 and STEP 2: a pipeline switch alternates them. */
  pipelines: [GPUComputePipeline, GPUComputePipeline];
  /** Two counters: a bind-group switch alternates them. */
  counters: [GPUBuffer, GPUBuffer];
  groups: [GPUBindGroup, GPUBindGroup];
}

async function makeBumper(ctx: SuiteContext, pool: BufferPool): Promise<Bumper> {
  const { device } = ctx;
  const layout = device.createBindGroupLayout({
    entries: [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } }],
  });
  const module = device.createShaderModule({ code: await ctx.loadKernel('overhead'), label: 'overhead' });
  const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
  const make = (step: number): Promise<GPUComputePipeline> =>
    device.createComputePipelineAsync({
      layout: pipelineLayout,
      compute: { module, entryPoint: 'bump', constants: { STEP: step } },
    });
  const pipelines: [GPUComputePipeline, GPUComputePipeline] = [await make(1), await make(2)];
  const counter = (i: number): GPUBuffer =>
    pool.create({
      size: 16,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      label: `counter${i}`,
    });
  const counters: [GPUBuffer, GPUBuffer] = [counter(0), counter(1)];
  const group = (b: GPUBuffer): GPUBindGroup =>
    device.createBindGroup({ layout, entries: [{ binding: 0, resource: { buffer: b } }] });
  return { layout, pipelines, counters, groups: [group(counters[0]), group(counters[1])] };
}

async function readCounter(device: GPUDevice, buffer: GPUBuffer): Promise<number> {
  let value = 0;
  await readChunked(device, buffer, 4, (_o, chunk) => {
    value = chunk[0] as number;
  });
  return value;
}

function counterCheck(want: readonly number[], got: readonly number[], what: string): CheckResult {
  const mismatches = want.filter((w, i) => got[i] !== w).length;
  return {
    passed: mismatches === 0,
    method: 'exact-counter',
    compared: want.length,
    mismatches,
    maxRelError: null,
    detail:
      mismatches === 0
        ? `${what}: every counter reads what that many dispatches add (${want.join(', ')})`
        : `${what}: counters read ${got.join(', ')}, want ${want.join(', ')} — dispatches were dropped or repeated`,
  };
}

/** How a fitted case lays out `count` items in one command buffer. */
type Layout = 'dispatch' | 'pipeline-switch' | 'bindgroup-switch' | 'full-switch' | 'indirect' | 'pass';

/** Records `count` items of a layout; returns what each counter gains. */
function record(
  layout: Layout,
  b: Bumper,
  indirect: GPUBuffer | null,
  encoder: GPUCommandEncoder,
  stamp: PassStamp,
  count: number,
): [number, number] {
  const gains: [number, number] = [0, 0];
  if (layout === 'pass') {
    for (let i = 0; i < count; i++) {
      const writes = stamp(i, count);
      const pass = encoder.beginComputePass(writes === undefined ? {} : { timestampWrites: writes });
      pass.setPipeline(b.pipelines[0]);
      pass.setBindGroup(0, b.groups[0]);
      pass.dispatchWorkgroups(1);
      pass.end();
      gains[0] += 1;
    }
    return gains;
  }
  const writes = stamp(0, 1);
  const pass = encoder.beginComputePass(writes === undefined ? {} : { timestampWrites: writes });
  pass.setPipeline(b.pipelines[0]);
  pass.setBindGroup(0, b.groups[0]);
  for (let i = 0; i < count; i++) {
    const which = i & 1;
    const switchPipeline = layout === 'pipeline-switch' || layout === 'full-switch';
    const switchGroup = layout === 'bindgroup-switch' || layout === 'full-switch';
    if (switchPipeline) pass.setPipeline(which === 0 ? b.pipelines[0] : b.pipelines[1]);
    if (switchGroup) pass.setBindGroup(0, which === 0 ? b.groups[0] : b.groups[1]);
    if (layout === 'indirect' && indirect !== null) pass.dispatchWorkgroupsIndirect(indirect, 0);
    else pass.dispatchWorkgroups(1);
    const gain = switchPipeline ? which + 1 : 1;
    if (switchGroup && which === 1) gains[1] += gain;
    else gains[0] += gain;
  }
  pass.end();
  return gains;
}

async function checkLayout(
  ctx: SuiteContext,
  b: Bumper,
  run: (count: number) => Promise<[number, number]>,
  what: string,
): Promise<CheckResult> {
  const start = [ctx.seed >>> 8, (ctx.seed >>> 8) + 1000];
  ctx.device.queue.writeBuffer(b.counters[0], 0, new Uint32Array([start[0] as number]));
  ctx.device.queue.writeBuffer(b.counters[1], 0, new Uint32Array([start[1] as number]));
  const gains = await run(CHECK_COUNT);
  await ctx.device.queue.onSubmittedWorkDone();
  const got = [await readCounter(ctx.device, b.counters[0]), await readCounter(ctx.device, b.counters[1])];
  return counterCheck([(start[0] as number) + gains[0], (start[1] as number) + gains[1]], got, what);
}

function timerNote(timer: TimerInfo): Record<string, unknown> {
  return timer.kind === 'timestamp-query'
    ? {}
    : {
        timerNote:
          'no timestamp-query on this device: timed on the host from submit to onSubmittedWorkDone, so ' +
          'each point includes the submit and completion latency (the intercept holds it; the slope is ' +
          'still per item)',
      };
}

const LAYOUT_WORDS: Record<Layout, string> = {
  dispatch: 'dispatches of a one-invocation kernel in one compute pass, pipeline and bind group set once',
  'pipeline-switch': 'dispatches in one compute pass, setPipeline between every two (two pipelines, one layout)',
  'bindgroup-switch': 'dispatches in one compute pass, setBindGroup between every two (two bind groups)',
  'full-switch':
    'dispatches in one compute pass, setPipeline and setBindGroup before every one (as a recorded forward pass does)',
  indirect: 'dispatchWorkgroupsIndirect calls in one compute pass (arguments in a buffer)',
  pass: 'compute passes (begin, one dispatch, end) in one command encoder',
};

async function prepareFitted(
  layout: Layout,
  counts: readonly number[],
  ctx: SuiteContext,
  pool: BufferPool,
): Promise<PreparedCase> {
  const b = await makeBumper(ctx, pool);
  let indirect: GPUBuffer | null = null;
  if (layout === 'indirect') {
    indirect = pool.create({
      size: 12,
      usage: GPUBufferUsage.INDIRECT | GPUBufferUsage.COPY_DST,
      label: 'indirect-args',
    });
    ctx.device.queue.writeBuffer(indirect, 0, new Uint32Array([1, 1, 1]));
  }
  const item = layout === 'pass' ? 'pass' : 'dispatch';
  return {
    encode: () => undefined,
    check: () =>
      checkLayout(
        ctx,
        b,
        (count) => {
          const encoder = ctx.device.createCommandEncoder();
          const gains = record(layout, b, indirect, encoder, () => undefined, count);
          ctx.device.queue.submit([encoder.finish()]);
          return Promise.resolve(gains);
        },
        `${CHECK_COUNT} ${LAYOUT_WORDS[layout]}`,
      ),
    measure: async (tools: MeasureTools): Promise<Measurement> => {
      const cost = await fitCost({
        counts,
        rounds: tools.rounds,
        warmupRounds: Math.max(1, tools.warmupRounds),
        stopped: tools.stopped,
        sample: (count) =>
          tools.timer.timeEncoder((encoder, stamp) => {
            record(layout, b, indirect, encoder, stamp, count);
          }),
      });
      const timer = tools.timer.info();
      return costMeasurement(cost, timer, item, {
        ...timerNote(timer),
        layout: LAYOUT_WORDS[layout],
        counts: [...counts],
      });
    },
  };
}

/** Busy for at least `ns` ns, as a driver's work would be; returns how long it really took. */
/** A per-dispatch cost for other suites to weigh their own dispatch counts with. */
export interface DispatchCost {
  perDispatchNs: number;
  interceptNs: number;
  r2: number;
  timer: TimerInfo['kind'];
  method: string;
}

/**
 * A short fit of the cost of a dispatch that switches pipeline and bind group (what every
 * dispatch of a recorded forward pass does), on the run's kind of timer; null if no positive
 * cost showed.
 */
export async function measureDispatchCost(
  ctx: SuiteContext,
  pool: BufferPool,
  timer: PassTimer,
): Promise<DispatchCost | null> {
  const b = await makeBumper(ctx, pool);
  const cost = await fitCost({
    counts: [16, 64, 256],
    rounds: 3,
    warmupRounds: 1,
    stopped: () => false,
    sample: (count) =>
      timer.timeEncoder((encoder, stamp) => {
        record('full-switch', b, null, encoder, stamp, count);
      }),
  });
  if (!(cost.fit.slope > 0)) return null;
  return {
    perDispatchNs: cost.fit.slope,
    interceptNs: cost.fit.intercept,
    r2: cost.fit.r2,
    timer: timer.kind,
    method: `slope of time against 16/64/256 ${LAYOUT_WORDS['full-switch']} (the overhead suite's kernel)`,
  };
}

function spin(ns: number): number {
  if (ns <= 0) return 0;
  const start = performance.now();
  const until = start + ns / 1e6;
  let now = start;
  while (now < until) now = performance.now();
  return (now - start) * 1e6;
}

/** `count` submits of one one-dispatch command buffer each, then one wait; host clock around it all. */
async function prepareSubmit(
  counts: readonly number[],
  plant: PlantedCost,
  ctx: SuiteContext,
  pool: BufferPool,
): Promise<PreparedCase> {
  const b = await makeBumper(ctx, pool);
  const { device } = ctx;
  // What the planted spins really took: a preempted spin runs long, and the fit should find that.
  const spun = { perSample: [] as number[], perSubmit: [] as number[] };
  const buffers = (count: number): GPUCommandBuffer[] =>
    Array.from({ length: count }, () => {
      const encoder = device.createCommandEncoder();
      record('dispatch', b, null, encoder, () => undefined, 1);
      return encoder.finish();
    });
  const submitAll = async (commands: GPUCommandBuffer[]): Promise<number> => {
    await device.queue.onSubmittedWorkDone();
    const t0 = performance.now();
    for (const c of commands) {
      device.queue.submit([c]);
      if (plant.perSubmitNs !== undefined) spun.perSubmit.push(spin(plant.perSubmitNs));
    }
    await device.queue.onSubmittedWorkDone();
    // After the queue is idle, like a readback at the end: a cost with nothing to overlap.
    spun.perSample.push(spin(plant.perSampleNs ?? 0));
    return (performance.now() - t0) * 1e6;
  };
  const clock = hostWallTimer(
    'host performance.now() from the first queue.submit to onSubmittedWorkDone after the last (command ' +
      'buffers encoded beforehand)',
  );
  return {
    encode: () => undefined,
    check: () =>
      checkLayout(
        ctx,
        b,
        async (count) => {
          await submitAll(buffers(count));
          return [count, 0];
        },
        `${CHECK_COUNT} submits of one dispatch each`,
      ),
    measure: async (tools) => {
      const cost = await fitCost({
        counts,
        rounds: tools.rounds,
        warmupRounds: Math.max(1, tools.warmupRounds),
        stopped: tools.stopped,
        sample: (count) => submitAll(buffers(count)),
      });
      const mean = (xs: number[]): number | null =>
        xs.length === 0 ? null : xs.reduce((a, x) => a + x, 0) / xs.length;
      const planted =
        plant.perSampleNs !== undefined || plant.perSubmitNs !== undefined
          ? { planted: { ...plant, spunPerSampleNs: mean(spun.perSample), spunPerSubmitNs: mean(spun.perSubmit) } }
          : {};
      return costMeasurement(cost, clock, 'submit', {
        ...planted,
        layout: 'queue.submit calls of one command buffer (one dispatch) each, then one onSubmittedWorkDone',
        counts: [...counts],
      });
    },
  };
}

const ok = (method: string, detail: string, compared = 1): CheckResult => ({
  passed: true,
  method,
  compared,
  mismatches: 0,
  maxRelError: null,
  detail,
});
const bad = (method: string, detail: string, compared = 1): CheckResult => ({
  passed: false,
  method,
  compared,
  mismatches: 1,
  maxRelError: null,
  detail,
});

function timedCall(run: () => Promise<void> | void): () => Promise<number | null> {
  return async () => {
    const t0 = performance.now();
    await run();
    const ns = (performance.now() - t0) * 1e6;
    return ns > 0 ? ns : null;
  };
}

async function prepareRoundtrip(withDispatch: boolean, ctx: SuiteContext, pool: BufferPool): Promise<PreparedCase> {
  const { device } = ctx;
  const b = await makeBumper(ctx, pool);
  const commands = (): GPUCommandBuffer[] => {
    if (!withDispatch) return [];
    const encoder = device.createCommandEncoder();
    record('dispatch', b, null, encoder, () => undefined, 1);
    return [encoder.finish()];
  };
  let next = commands();
  return {
    encode: () => undefined,
    check: withDispatch
      ? () =>
          checkLayout(
            ctx,
            b,
            async (count) => {
              for (let i = 0; i < count; i++) {
                device.queue.submit(commands());
                await device.queue.onSubmittedWorkDone();
              }
              return [count, 0];
            },
            `${CHECK_COUNT} round trips of one dispatch`,
          )
      : async () => {
          device.queue.submit([]);
          await device.queue.onSubmittedWorkDone();
          return ok('resolves', 'onSubmittedWorkDone resolved after an empty submit');
        },
    timeOperation: async () => {
      const cmds = next;
      const t0 = performance.now();
      device.queue.submit(cmds);
      await device.queue.onSubmittedWorkDone();
      const ns = (performance.now() - t0) * 1e6;
      next = commands();
      return ns > 0 ? ns : null;
    },
    operationTimerMethod:
      `host performance.now() from queue.submit ` +
      `(${withDispatch ? 'one command buffer of one dispatch, encoded beforehand' : 'no command buffers'}) ` +
      `until onSubmittedWorkDone resolves`,
  };
}

function pattern(bytes: number, seed: number): Uint32Array<ArrayBuffer> {
  const words = new Uint32Array(bytes / 4);
  for (let i = 0; i < words.length; i++) words[i] = Math.imul((i ^ seed) >>> 0, 2654435761) >>> 0;
  return words;
}

function compareWords(got: Uint32Array, want: Uint32Array, method: string): CheckResult {
  let mismatches = 0;
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) mismatches++;
  return {
    passed: mismatches === 0 && got.length === want.length,
    method,
    compared: want.length,
    mismatches,
    maxRelError: null,
    detail:
      mismatches === 0 ? `all ${want.length} u32 words match` : `${mismatches} of ${want.length} u32 words differ`,
  };
}

/** copyBufferToBuffer into a MAP_READ buffer, submit, mapAsync, copy out, unmap: what reading a result costs. */
function prepareReadback(bytes: number, ctx: SuiteContext, pool: BufferPool): Promise<PreparedCase> {
  const { device } = ctx;
  const want = pattern(bytes, ctx.seed);
  const src = pool.create({
    size: Math.max(16, bytes),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    label: 'readback-src',
  });
  device.queue.writeBuffer(src, 0, want);
  const staging = pool.create({
    size: Math.max(16, bytes),
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    label: 'readback-staging',
  });
  let last: Uint32Array = new Uint32Array(0);
  const readOnce = async (): Promise<void> => {
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(src, 0, staging, 0, bytes);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ, 0, bytes);
    last = new Uint32Array(staging.getMappedRange(0, bytes).slice(0));
    staging.unmap();
  };
  return Promise.resolve({
    encode: () => undefined,
    check: async () => {
      await readOnce();
      return compareWords(last, want, 'exact-u32');
    },
    timeOperation: timedCall(readOnce),
    operationTimerMethod:
      `host performance.now() around copyBufferToBuffer of ${formatBytes(bytes)} into a MAP_READ buffer, ` +
      `submit, mapAsync, getMappedRange copied out, unmap`,
  });
}

/** writeBuffer, then onSubmittedWorkDone: the time until the data is on the device's side of the queue. */
function prepareUpload(bytes: number, ctx: SuiteContext, pool: BufferPool): Promise<PreparedCase> {
  const { device } = ctx;
  const data = pattern(bytes, ctx.seed ^ 0x5bd1e995);
  const dst = pool.create({
    size: Math.max(16, bytes),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    label: 'upload-dst',
  });
  const writeOnce = async (): Promise<void> => {
    device.queue.writeBuffer(dst, 0, data);
    await device.queue.onSubmittedWorkDone();
  };
  return Promise.resolve({
    encode: () => undefined,
    check: async () => {
      device.queue.writeBuffer(dst, 0, new Uint32Array(bytes / 4).fill(0xdeadbeef));
      await writeOnce();
      const got = new Uint32Array(bytes / 4);
      await readChunked(device, dst, bytes, (offset, chunk) => {
        got.set(chunk, offset / 4);
      });
      return compareWords(got, data, 'exact-u32');
    },
    timeOperation: timedCall(writeOnce),
    operationTimerMethod:
      `host performance.now() around queue.writeBuffer of ${formatBytes(bytes)} and the onSubmittedWorkDone ` +
      `after it`,
  });
}

export type CompileStep = 'shader-module' | 'pipeline' | 'pipeline-async';

/**
 * Shader-module and pipeline creation for one of our kernels. Cold: every call gets a source never
 * seen before (a unique comment), so Dawn's caches miss; a driver's own cache, keyed on the
 * compiled code, may still hit. Cached: the same module and descriptor again.
 */
async function prepareCompile(
  kernel: { name: string; entry: string },
  step: CompileStep,
  cached: boolean,
  ctx: SuiteContext,
): Promise<PreparedCase> {
  const { device } = ctx;
  const source = await ctx.loadKernel(kernel.name);
  let nonce = 0;
  const fresh = (): string => `${source}\n// wgbench overhead: cold compile ${ctx.seed}-${nonce++}\n`;
  const descriptor = (module: GPUShaderModule): GPUComputePipelineDescriptor => ({
    layout: 'auto',
    compute: { module, entryPoint: kernel.entry },
  });
  const cachedModule = device.createShaderModule({ code: source, label: kernel.name });
  const compile = async (module: GPUShaderModule): Promise<void> => {
    if (step === 'pipeline-async') await device.createComputePipelineAsync(descriptor(module));
    else device.createComputePipeline(descriptor(module));
  };
  const check = async (): Promise<CheckResult> => {
    const module = device.createShaderModule({ code: fresh() });
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0) return bad('compiles', `${kernel.name}: ${errors.map((e) => e.message).join('; ')}`);
    await device.createComputePipelineAsync(descriptor(module));
    if (cached) await compile(cachedModule);
    return ok('compiles', `${kernel.name}:${kernel.entry} compiles to a pipeline without an error`);
  };
  const operation = async (): Promise<number | null> => {
    if (step === 'shader-module') {
      const code = cached ? source : fresh();
      const t0 = performance.now();
      device.createShaderModule({ code });
      return (performance.now() - t0) * 1e6 || null;
    }
    const module = cached ? cachedModule : device.createShaderModule({ code: fresh() });
    const t0 = performance.now();
    await compile(module);
    return (performance.now() - t0) * 1e6 || null;
  };
  const api =
    step === 'shader-module'
      ? 'createShaderModule'
      : step === 'pipeline'
        ? 'createComputePipeline'
        : 'createComputePipelineAsync (until it resolves)';
  return {
    encode: () => undefined,
    check,
    timeOperation: operation,
    operationTimerMethod:
      `host performance.now() around ${api} for ${kernel.name}:${kernel.entry}, ` +
      (cached
        ? 'the same source and descriptor as before (cached)'
        : 'a source never compiled before (cold; the module is made outside the timing)'),
  };
}

/** createBuffer then destroy, unused: what allocating costs (Dawn clears lazily, on first use). */
function prepareBuffer(bytes: number, ctx: SuiteContext): Promise<PreparedCase> {
  const { device } = ctx;
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  return Promise.resolve({
    encode: () => undefined,
    check: () => {
      const buffer = device.createBuffer({ size: bytes, usage });
      const size = buffer.size;
      buffer.destroy();
      return Promise.resolve(
        size === bytes
          ? ok('buffer-size', `a ${formatBytes(bytes)} buffer was created with that size`)
          : bad('buffer-size', `asked for ${bytes} bytes, got ${size}`),
      );
    },
    timeOperation: async () => {
      const t0 = performance.now();
      device.createBuffer({ size: bytes, usage }).destroy();
      const ns = (performance.now() - t0) * 1e6;
      // Untimed: lets the implementation free the memory before the next one. Chromium's GPU
      // process lost the device after ~1,000 back-to-back 16 MiB buffers without this.
      await device.queue.onSubmittedWorkDone();
      return ns > 0 ? ns : null;
    },
    operationTimerMethod:
      `host performance.now() around createBuffer of ${formatBytes(bytes)} (STORAGE|COPY_SRC|COPY_DST) and ` +
      `destroy, never used (an untimed onSubmittedWorkDone between calls)`,
  });
}

function latencyCase(id: string, name: string, params: CasePlan['params'], prepare: CasePlan['prepare']): CasePlan {
  return { id: `overhead/${id}`, name, params, bytesPerDispatch: 0, bytesCounted: 'transferred', prepare };
}

export function createOverheadSuite(options: OverheadOptions = {}): Suite {
  const want = new Set<OverheadKind>(options.kinds ?? OVERHEAD_KINDS);
  return {
    name: 'overhead',
    description:
      'what WebGPU costs around a kernel: per dispatch, pass and submit (fitted), queue round trip, ' +
      'readback, upload, shader and pipeline creation, indirect dispatch, buffer creation',
    plan(ctx) {
      const limits = ctx.info.limits;
      const maxBinding = Math.min(
        limits['maxStorageBufferBindingSize'] ?? 128 * MiB,
        limits['maxBufferSize'] ?? 256 * MiB,
      );
      const dispatchCounts = options.dispatchCounts ?? (ctx.quick ? DISPATCH_COUNTS.slice(0, -1) : DISPATCH_COUNTS);
      const cases: CasePlan[] = [];
      const fitted = (layout: Layout, name: string, counts: readonly number[]): CasePlan =>
        latencyCase(
          layout === 'dispatch' ? 'dispatch' : layout === 'pass' ? 'pass' : `dispatch-${layout}`,
          name,
          { kind: layout, counts: counts.join(','), fit: 'time against count' },
          (c, pool) => prepareFitted(layout, counts, c, pool),
        );
      if (want.has('dispatch')) {
        cases.push(fitted('dispatch', 'per dispatch', dispatchCounts));
        cases.push(fitted('pipeline-switch', 'per dispatch, pipeline switch', dispatchCounts));
        cases.push(fitted('bindgroup-switch', 'per dispatch, bind-group switch', dispatchCounts));
        cases.push(fitted('full-switch', 'per dispatch, both switched', dispatchCounts));
      }
      if (want.has('indirect')) cases.push(fitted('indirect', 'per indirect dispatch', dispatchCounts));
      if (want.has('pass')) cases.push(fitted('pass', 'per compute pass', PASS_COUNTS));
      if (want.has('submit')) {
        const plant = options.plant ?? {};
        cases.push(
          latencyCase(
            'submit',
            'per submit',
            { kind: 'submit', counts: SUBMIT_COUNTS.join(','), fit: 'time against count' },
            (c, pool) => prepareSubmit(SUBMIT_COUNTS, plant, c, pool),
          ),
        );
      }
      if (want.has('roundtrip')) {
        cases.push(
          latencyCase('roundtrip/empty', 'submit → done, empty', { kind: 'roundtrip', dispatch: false }, (c, pool) =>
            prepareRoundtrip(false, c, pool),
          ),
        );
        cases.push(
          latencyCase(
            'roundtrip/dispatch',
            'submit → done, one dispatch',
            { kind: 'roundtrip', dispatch: true },
            (c, pool) => prepareRoundtrip(true, c, pool),
          ),
        );
      }
      const sizes = ctx.quick ? TRANSFER_SIZES_QUICK : TRANSFER_SIZES;
      for (const bytes of want.has('readback') ? sizes : [])
        cases.push(
          latencyCase(
            `readback/bytes=${bytes}`,
            `readback ${formatBytes(bytes)}`,
            { kind: 'readback', bytes },
            (c, pool) => prepareReadback(bytes, c, pool),
          ),
        );
      for (const bytes of want.has('upload') ? sizes : [])
        cases.push(
          latencyCase(`upload/bytes=${bytes}`, `upload ${formatBytes(bytes)}`, { kind: 'upload', bytes }, (c, pool) =>
            prepareUpload(bytes, c, pool),
          ),
        );
      if (want.has('compile')) {
        // Quick: the copy kernel only. A sync createComputePipeline in Chromium on SwiftShader took
        // ~3 s for it and far longer for the tiled matmul, six calls a case.
        for (const kernel of ctx.quick ? COMPILED_KERNELS.slice(0, 1) : COMPILED_KERNELS) {
          const steps: [CompileStep, boolean][] = [
            ['shader-module', false],
            ['pipeline', false],
            ['pipeline', true],
            ['pipeline-async', false],
            ['pipeline-async', true],
          ];
          for (const [step, cached] of steps) {
            const how = cached ? 'cached' : 'cold';
            cases.push(
              latencyCase(
                `compile/${kernel.name}/${step}/${how}`,
                `${step} ${kernel.name}, ${how}`,
                { kind: 'compile', kernel: kernel.name, entryPoint: kernel.entry, step, cache: how },
                (c) => prepareCompile(kernel, step, cached, c),
              ),
            );
          }
        }
      }
      if (want.has('buffer')) {
        for (const bytes of [256, ctx.quick ? 16 * MiB : 64 * MiB]) {
          const plan = latencyCase(
            `buffer/bytes=${bytes}`,
            `create+destroy ${formatBytes(bytes)}`,
            { kind: 'buffer', bytes },
            (c) => prepareBuffer(bytes, c),
          );
          if (bytes > maxBinding)
            plan.skipReason = `${formatBytes(bytes)} exceeds this device's largest buffer (${formatBytes(maxBinding)})`;
          cases.push(plan);
        }
      }
      return cases;
    },
    finalize: relateOverheads,
  };
}

/** Indirect and switching dispatches against the plain one, and readback/upload latency fitted over size. */
export function relateOverheads(cases: Parameters<NonNullable<Suite['finalize']>>[0]): void {
  const plain = cases.find((c) => c.id === 'overhead/dispatch' && c.status === 'ok');
  const slopeOf = (c: (typeof cases)[number]): number | null =>
    (c.extras?.['fit'] as { slopeNs?: number } | undefined)?.slopeNs ?? null;
  const base = plain === undefined ? null : slopeOf(plain);
  for (const c of cases) {
    if (c === plain || c.status !== 'ok' || !c.id.startsWith('overhead/dispatch-')) continue;
    const slope = slopeOf(c);
    if (base !== null && base > 0 && slope !== null) c.extras = { ...(c.extras ?? {}), vsPlainDispatch: slope / base };
  }
  for (const kind of ['readback', 'upload']) {
    const sized = cases.filter((c) => c.params['kind'] === kind && c.status === 'ok' && c.summary !== null);
    if (sized.length < 2) continue;
    const fit = fitLine(sized.map((c) => ({ x: Number(c.params['bytes']), y: c.summary?.p50 ?? 0 })));
    const overSizes = {
      fixedNs: fit.intercept,
      nsPerByte: fit.slope,
      gbps: fit.slope > 0 ? 1 / fit.slope : null,
      r2: fit.r2,
      sizes: sized.map((c) => Number(c.params['bytes'])),
      method: "least squares of median latency against bytes over this run's sizes",
    };
    for (const c of sized) c.extras = { ...(c.extras ?? {}), overSizes };
  }
}

export const overheadSuite: Suite = createOverheadSuite();
