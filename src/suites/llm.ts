import { GpuModel, type LinearKernels, type ModelOptions, type Row } from '../llm/engine.js';
import { llmMetrics, type LlmRunMetrics, type Slo, type StepRecord } from '../llm/metrics.js';
import { utilizationAgainst, type AchievedWork, type PeakOrigin, type Utilization } from '../metrics/utilization.js';
import { MemoryMetric } from '../metrics/memory.js';
import { ReferenceModel, argmax } from '../llm/reference.js';
import { serve, serveDisaggregated, type Workload } from '../llm/serve.js';
import { modelPreset, type ModelConfig } from '../models/presets.js';
import type { CaseResult } from '../results/schema.js';
import type { CasePlan, CheckResult, ParamValue, PreparedCase, Suite, SuiteContext } from './types.js';
import { decodeStepBytes, decodeStepFlops } from '../metrics/flops.js';
import { BufferPool } from '../gpu/buffers.js';
import { createPassTimer } from '../gpu/timer.js';
import { measureDispatchCost, type DispatchCost } from './overhead.js';
import { defaultGemvShape } from '../gpu/gemvPlan.js';
import { llmKey } from '../results/caseKey.js';

export interface LlmOptions {
  model?: string;
  workload?: Partial<Workload>;
  slo?: Slo;
  /** Sequences decoded together. */
  batch?: number;
  /** Also serve with prefill and decode on two devices (default: yes, where a second opens). */
  disaggregated?: boolean;
  /** Element type of the weight matrices: f16 where the device has shader-f16, else f32. */
  weightDtype?: 'f32' | 'f16';
  /** Linear-layer kernels (default: `naive` on a CPU adapter, `gpu` elsewhere; see llm/engine). */
  linearKernels?: LinearKernels;
  /** Workgroups the decode GEMV aims for (tuning; see gpu/gemvPlan). */
  gemvTargetWorkgroups?: number;
  /** vec4 columns of W per GEMV workgroup (tuning; kernels/gemv.wgsl's COLS4). */
  gemvColumns4?: number;
  /** Splits of each row's keys in attention (default: enough workgroups to fill a GPU). */
  attentionSplits?: number;
  /** Fold each RMSNorm into the GEMV that reads it (default true; see llm/engine). */
  foldNorms?: boolean;
  /** A decode step timed on its own (GPU timestamps): sequences and context; false for none. */
  decodeStep?: DecodeStepShape | false;
  /** The serving cases (colocated, and disaggregated unless turned off); default true. */
  serve?: boolean;
}

export interface DecodeStepShape {
  batch: number;
  context: number;
}

/** Prompts of the check: one short enough for the GEMV path, one long enough for the tiled one. */
const CHECK_PROMPTS = [
  [5, 17, 300, 2, 999, 64, 7],
  [12, 1, 88, 450, 3, 77, 901, 15, 260, 33, 8, 640],
];
const CHECK_STEPS = 3;
const CHECK_TOKENS = Math.max(...CHECK_PROMPTS.map((p) => p.length)) + CHECK_STEPS + 1;
const LOGIT_TOLERANCE = 1e-3;

function defaultWorkload(quick: boolean, seed: number): Workload {
  return quick
    ? { requests: 4, arrival: 'all-at-once', promptTokens: [8, 16], outputTokens: [3, 6], seed }
    : { requests: 16, arrival: { poissonPerSecond: 20 }, promptTokens: [16, 64], outputTokens: [8, 32], seed };
}

let lastReference: { key: string; model: ReferenceModel } | null = null;

/**
 * The reference for a model, reset to no sequences. The last one is kept: building a 7B layer's
 * weights on the CPU takes half a minute, and a run checks the same model in several cases.
 */
function referenceFor(config: ModelConfig, seed: number, dtype: 'f32' | 'f16'): ReferenceModel {
  const key = JSON.stringify([config, seed, dtype]);
  if (lastReference?.key !== key) lastReference = { key, model: new ReferenceModel(config, seed, dtype) };
  lastReference.model.reset();
  return lastReference.model;
}

/**
 * The GPU forward against the f64 reference: each sequence's prompt prefilled on its own, then
 * greedy decode steps of all sequences batched (as serving batches them), every output row's
 * logits compared with its sequence's reference.
 */
async function checkModel(model: GpuModel, device: GPUDevice, seed: number): Promise<CheckResult> {
  const dtype = model.weightDtype;
  const config = model.config;
  const readLogits = async (rows: number): Promise<Float32Array> => {
    const src = model.lastLogits;
    if (src === null) throw new Error('no logits');
    const bytes = rows * config.vocabSize * 4;
    const staging = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(src, 0, staging, 0, bytes);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const out = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    return out;
  };
  const prompts = CHECK_PROMPTS.slice(0, Math.min(CHECK_PROMPTS.length, model.maxSeqs));
  const reference = referenceFor(config, seed, dtype);
  let worst = 0;
  let mismatches = 0;
  let passes = 0;
  let first = '';
  const compare = (got: Float32Array, offset: number, want: Float64Array, token: number, where: string): void => {
    let err = 0;
    let mag = 0;
    for (let i = 0; i < config.vocabSize; i++) {
      err = Math.max(err, Math.abs((got[offset + i] as number) - (want[i] as number)));
      mag = Math.max(mag, Math.abs(want[i] as number));
    }
    const rel = err / mag;
    worst = Math.max(worst, rel);
    if ((!(rel <= LOGIT_TOLERANCE) || token !== argmax(want)) && mismatches++ === 0)
      first =
        `${where}: logits off by ${rel.toExponential(2)} of their range, token ${String(token)} against ` +
        `${argmax(want)}`;
  };
  const next: number[] = [];
  for (const [seq, prompt] of prompts.entries()) {
    let want: Float64Array = new Float64Array(0);
    for (const t of prompt) want = reference.step(t, seq);
    const [token] = await model.forward(
      prompt.map((t, pos) => ({ seq, pos, token: t })),
      [prompt.length - 1],
    );
    passes++;
    compare(await readLogits(1), 0, want, token as number, `prefill of sequence ${seq}`);
    model.releaseTransient();
    next.push(token as number);
  }
  for (let step = 0; step < CHECK_STEPS; step++) {
    const wants = prompts.map((_, seq) => reference.step(next[seq] as number, seq));
    const tokens = await model.forward(
      prompts.map((p, seq) => ({ seq, pos: p.length + step, token: next[seq] as number })),
      prompts.map((_, i) => i),
    );
    passes++;
    const got = await readLogits(prompts.length);
    for (const [seq, want] of wants.entries())
      compare(got, seq * config.vocabSize, want, tokens[seq] as number, `decode step ${step}, sequence ${seq}`);
    model.releaseTransient();
    next.splice(0, next.length, ...tokens);
  }
  return {
    passed: mismatches === 0,
    method:
      `logits of ${prompts.length} prompts (${prompts.map((p) => p.length).join(' and ')} tokens) prefilled, ` +
      `then ${CHECK_STEPS} greedy decode steps of them batched, against an f64 forward pass of the same ` +
      `(${dtype}) weights (max error ÷ max |logit| ≤ ${LOGIT_TOLERANCE}, same tokens)`,
    compared: passes,
    mismatches,
    maxRelError: worst,
    detail: mismatches === 0 ? `${passes} forward passes match (max relative error ${worst.toExponential(2)})` : first,
  };
}

function weightDtypeFor(options: LlmOptions, ctx: SuiteContext): 'f32' | 'f16' {
  return options.weightDtype ?? (ctx.device.features.has('shader-f16') ? 'f16' : 'f32');
}

function modelOptions(options: LlmOptions, ctx: SuiteContext): ModelOptions {
  return {
    linearKernels: options.linearKernels ?? (ctx.info.adapterClass === 'cpu' ? 'naive' : 'gpu'),
    // The adapter's built-in GEMV launch unless tuned or given (src/gpu/gemvPlan.ts).
    gemvTargetWorkgroups: options.gemvTargetWorkgroups ?? defaultGemvShape(ctx.info).targetWorkgroups,
    gemvColumns4: options.gemvColumns4 ?? defaultGemvShape(ctx.info).columns4,
    ...(options.attentionSplits !== undefined ? { attentionSplits: options.attentionSplits } : {}),
    ...(options.foldNorms !== undefined ? { foldNorms: options.foldNorms } : {}),
  };
}

/**
 * Utilisation of a serving session, through the same function as every timed case: prefill MFU
 * (its FLOPs over the host-timed prefill passes, against the FP32 peak: the linear layers run
 * on the f32 ALUs) and decode MBU (weights and KV read over the host-timed decode steps). Both are
 * host-timed, submission and readback included, so they read lower than the decode-step case's
 * GPU-timed MBU; the names say so.
 */
export function servingUtilization(
  peaks: SuiteContext['peaks'],
  steps: readonly StepRecord[],
): {
  servingPrefillMfu: number | null;
  servingDecodeMbu: number | null;
  peaksFrom: PeakOrigin | null;
  servingUtilization: { method: string; prefill: Utilization[]; decode: Utilization[] };
} {
  const total = (kind: StepRecord['kind']): AchievedWork | null => {
    const list = steps.filter((x) => x.kind === kind);
    const timeS = list.reduce((sum, x) => sum + (x.endMs - x.startMs), 0) / 1000;
    if (list.length === 0 || !(timeS > 0)) return null;
    return {
      flops: list.reduce((sum, x) => sum + x.flops, 0),
      unit: 'fp32',
      bytes: list.reduce((sum, x) => sum + x.bytes, 0),
      timeS,
    };
  };
  const sets = (['calibrated', 'datasheet'] as const).flatMap((origin) => {
    const set = peaks?.[origin];
    return set ? [{ origin, set }] : [];
  });
  const against = (work: AchievedWork | null): Utilization[] =>
    work === null ? [] : sets.map(({ origin, set }) => utilizationAgainst(origin, set, work));
  const prefill = against(total('prefill'));
  const decode = against(total('decode'));
  return {
    servingPrefillMfu: prefill[0]?.mfu ?? null,
    servingDecodeMbu: decode[0]?.mbu ?? null,
    peaksFrom: sets[0]?.origin ?? null,
    servingUtilization: {
      method: 'host clock around each forward pass of the serving loop (submission and readback included)',
      prefill,
      decode,
    },
  };
}

async function prepareLlm(
  modelName: string,
  options: LlmOptions,
  ctx: SuiteContext,
  pool: BufferPool,
): Promise<PreparedCase> {
  const config = modelPreset(modelName);
  const workload: Workload = { ...defaultWorkload(ctx.quick, ctx.seed), ...options.workload };
  const maxTokens = Math.max(CHECK_TOKENS, workload.promptTokens[1] + workload.outputTokens[1]);
  const model = await GpuModel.create(
    ctx.device,
    config,
    ctx.seed,
    options.batch ?? 4,
    maxTokens,
    ctx.loadKernel,
    pool,
    weightDtypeFor(options, ctx),
    modelOptions(options, ctx),
  );
  let last: Awaited<ReturnType<typeof serve>> | null = null;

  const check = (): Promise<CheckResult> =>
    checkShapes(
      ctx.device,
      config,
      ctx.seed,
      model.weightDtype,
      modelOptions(options, ctx),
      ctx.loadKernel,
      model,
      model.maxSeqs,
    );

  return {
    encode: () => undefined,
    check,
    timeOperation: async () => {
      const t0 = performance.now();
      last = await serve(model, workload);
      return (performance.now() - t0) * 1e6;
    },
    operationTimerMethod:
      `host clock around one serving session of ${workload.requests} requests (every token stamped when its ` +
      `forward pass completed)`,
    extras: () => {
      if (last === null) return null;
      const metrics = llmMetrics(last.records, last.steps, options.slo ?? {});
      return {
        model: config.name,
        weightDtype: model.weightDtype,
        layout: 'colocated',
        workload,
        batch: model.maxSeqs,
        weightBytes: model.weightBytes(),
        kv: {
          blockTokens: model.blockTokens,
          bytesPerToken: model.kvBytesPerToken(),
          peakTokens: last.peakKvTokens,
          capacityTokens: model.maxSeqs * model.maxBlocks * model.blockTokens,
        },
        metrics,
        ...servingUtilization(ctx.peaks, last.steps),
        records: last.records,
        steps: last.steps,
      };
    },
  };
}

async function prepareDisaggregated(
  modelName: string,
  options: LlmOptions,
  ctx: SuiteContext,
  pool: BufferPool,
): Promise<PreparedCase> {
  if (ctx.openDevice === undefined) throw new Error('this platform cannot open a second device for the decode pool');
  const config = modelPreset(modelName);
  const workload: Workload = { ...defaultWorkload(ctx.quick, ctx.seed), ...options.workload };
  const maxTokens = Math.max(CHECK_TOKENS, workload.promptTokens[1] + workload.outputTokens[1]);
  const batch = options.batch ?? 4;
  const second = await ctx.openDevice();
  const decodePool = new BufferPool(second.device, new MemoryMetric());
  const dtype = weightDtypeFor(options, ctx);
  const prefillModel = await GpuModel.create(
    ctx.device,
    config,
    ctx.seed,
    batch,
    maxTokens,
    ctx.loadKernel,
    pool,
    dtype,
    modelOptions(options, ctx),
  );
  const decodeModel = await GpuModel.create(
    second.device,
    config,
    ctx.seed,
    batch,
    maxTokens,
    ctx.loadKernel,
    decodePool,
    second.device.features.has('shader-f16') ? dtype : 'f32',
    modelOptions(options, ctx),
  );
  let last: Awaited<ReturnType<typeof serveDisaggregated>> | null = null;
  return {
    encode: () => undefined,
    // Both pools must compute the same model: each is checked against the reference.
    check: async () => {
      const a = await checkShapes(
        ctx.device,
        config,
        ctx.seed,
        prefillModel.weightDtype,
        modelOptions(options, ctx),
        ctx.loadKernel,
        prefillModel,
        batch,
      );
      const b = await checkShapes(
        second.device,
        config,
        ctx.seed,
        decodeModel.weightDtype,
        modelOptions(options, ctx),
        ctx.loadKernel,
        decodeModel,
        batch,
      );
      return {
        ...a,
        passed: a.passed && b.passed,
        compared: a.compared + b.compared,
        mismatches: a.mismatches + b.mismatches,
        maxRelError: Math.max(a.maxRelError ?? 0, b.maxRelError ?? 0),
        detail: `prefill device: ${a.detail}; decode device: ${b.detail}`,
      };
    },
    timeOperation: async () => {
      const t0 = performance.now();
      last = await serveDisaggregated(prefillModel, decodeModel, workload);
      return (performance.now() - t0) * 1e6;
    },
    operationTimerMethod:
      `host clock around one disaggregated serving session of ${workload.requests} requests (prefill and ` +
      `decode on two devices, KV handed over through host memory)`,
    extras: () => {
      if (last === null) return null;
      const metrics = llmMetrics(last.records, last.steps, options.slo ?? {});
      const handoverMs = last.handovers.map((h) => h.ms);
      return {
        model: config.name,
        weightDtype: prefillModel.weightDtype,
        layout: 'disaggregated',
        devices: { prefill: "the run's device", decode: second.description },
        workload,
        batch,
        metrics,
        ...servingUtilization(ctx.peaks, last.steps),
        handover: {
          count: last.handovers.length,
          bytes: last.handovers.reduce((s, h) => s + h.bytes, 0),
          msTotal: handoverMs.reduce((s, v) => s + v, 0),
          msMax: Math.max(0, ...handoverMs),
          path: 'prefill device → host (map-read) → decode device (writeBuffer)',
        },
        records: last.records,
        steps: last.steps,
      };
    },
    dispose: () => {
      decodePool.destroyAll();
      second.device.destroy();
      return Promise.resolve();
    },
  };
}

/** Above this many parameters a check runs one layer: an f64 forward of all takes minutes. */
const FULL_CHECK_MAX_PARAMS = 5e7;

/**
 * Checks a model against the f64 reference: `served` itself when the reference of the whole model
 * is cheap, else a one-layer twin with the same tensor shapes and kernels, made and freed here.
 */
async function checkShapes(
  device: GPUDevice,
  config: ModelConfig,
  seed: number,
  dtype: 'f32' | 'f16',
  kernels: ModelOptions,
  loadKernel: (n: string) => Promise<string>,
  served: GpuModel | null,
  batch: number,
): Promise<CheckResult> {
  if (config.nonEmbeddingParams <= FULL_CHECK_MAX_PARAMS && served !== null) return checkModel(served, device, seed);
  const layers = config.nonEmbeddingParams <= FULL_CHECK_MAX_PARAMS ? config.layers : 1;
  const checkPool = new BufferPool(device, new MemoryMetric());
  try {
    const twin = await GpuModel.create(
      device,
      { ...config, layers },
      seed,
      Math.min(batch, CHECK_PROMPTS.length),
      CHECK_TOKENS,
      loadKernel,
      checkPool,
      dtype,
      kernels,
    );
    const result = await checkModel(twin, device, seed);
    return layers === config.layers
      ? result
      : {
          ...result,
          method:
            `${result.method}; the model checked has ${layers} of the ${config.layers} layers (same tensor ` +
            `shapes and kernels)`,
        };
  } finally {
    checkPool.destroyAll();
  }
}

function decodeRows(shape: DecodeStepShape, vocab: number): Row[] {
  return Array.from({ length: shape.batch }, (_, seq) => ({
    seq,
    pos: shape.context,
    token: (seq * 7919 + 13) % vocab,
  }));
}

/**
 * One decode step (every sequence's next token over a context of `context` tokens), recorded once
 * and timed with GPU timestamps like any kernel: what the weights and KV reads cost on the device,
 * without the host's part of serving. The KV cache holds seeded random values, not zeros.
 */
async function prepareDecodeStep(
  name: string,
  shape: DecodeStepShape,
  options: LlmOptions,
  ctx: SuiteContext,
  pool: BufferPool,
): Promise<PreparedCase> {
  const config = modelPreset(name);
  const dtype = weightDtypeFor(options, ctx);
  const kernels = modelOptions(options, ctx);
  const model = await GpuModel.create(
    ctx.device,
    config,
    ctx.seed,
    shape.batch,
    shape.context + 1,
    ctx.loadKernel,
    pool,
    dtype,
    kernels,
  );
  await model.fillKvRandom((ctx.seed ^ 0x9e3779b9) >>> 0);
  const rows = decodeRows(shape, config.vocabSize);
  const plan = model.planFor(rows.length, rows.length);
  plan.write(
    rows,
    rows.map((_, i) => i),
  );
  const costTimer = createPassTimer(ctx.device);
  const dispatchCost = await measureDispatchCost(ctx, pool, costTimer).finally(() => {
    costTimer.destroy();
  });
  return {
    encode: (pass, repeats) => {
      for (let r = 0; r < repeats; r++) plan.encode(pass);
    },
    // The timed model's KV cache holds random context, so the check runs on a twin.
    check: () => checkShapes(ctx.device, config, ctx.seed, dtype, kernels, ctx.loadKernel, null, shape.batch),
    extras: () => ({
      model: config.name,
      weightDtype: dtype,
      weightBytes: model.weightBytes(),
      linearKernels: kernels.linearKernels ?? 'gpu',
      pass: plan.layout,
      dispatchCost,
    }),
  };
}

/** Above this share of its time in per-dispatch cost, a decode step is called overhead-bound. */
export const OVERHEAD_BOUND_SHARE = 0.5;

/**
 * What the decode step's dispatches cost by themselves: its dispatch count × the measured cost of
 * one dispatch, as a share of the step's median time. Near 1, the step is bound by WebGPU's
 * per-dispatch cost, not by bandwidth: fewer, larger dispatches would help, not faster memory.
 */
export function attachOverheadShare(cases: CaseResult[]): void {
  for (const c of cases) {
    const cost = c.extras?.['dispatchCost'] as DispatchCost | null | undefined;
    const pass = c.extras?.['pass'] as { dispatches: number } | undefined;
    if (c.status !== 'ok' || c.summary === null || cost === undefined || pass === undefined) continue;
    if (cost === null) {
      c.extras = {
        ...(c.extras ?? {}),
        overhead: {
          dispatches: pass.dispatches,
          perDispatchNs: null,
          estimatedNs: null,
          shareOfStep: null,
          bound: null,
          note: 'no positive per-dispatch cost was measured; no share is claimed',
        },
      };
      continue;
    }
    const estimatedNs = pass.dispatches * cost.perDispatchNs;
    const shareOfStep = estimatedNs / c.summary.p50;
    c.extras = {
      ...(c.extras ?? {}),
      overhead: {
        dispatches: pass.dispatches,
        perDispatchNs: cost.perDispatchNs,
        estimatedNs,
        shareOfStep,
        bound: shareOfStep >= OVERHEAD_BOUND_SHARE ? 'dispatch-overhead' : 'work',
        method:
          `${pass.dispatches} dispatches × ${cost.perDispatchNs.toFixed(0)} ns (${cost.method}, ` +
          `${cost.timer}) ÷ the step's median`,
      },
    };
  }
}

/** Puts the colocated and disaggregated layouts' TTFT, TPOT and goodput side by side. */
export function compareLayouts(cases: CaseResult[]): void {
  const colocated = cases.find((c) => c.params['layout'] === 'colocated' && c.status === 'ok');
  const split = cases.find((c) => c.params['layout'] === 'disaggregated' && c.status === 'ok');
  const m = (c: CaseResult | undefined): LlmRunMetrics | undefined =>
    c?.extras?.['metrics'] as LlmRunMetrics | undefined;
  const a = m(colocated);
  const b = m(split);
  if (split === undefined || a === undefined || b === undefined) return;
  const side = (x: LlmRunMetrics): Record<string, number | null> => ({
    ttftP50Ms: x.ttftMs?.p50 ?? null,
    ttftP99Ms: x.ttftMs?.p99 ?? null,
    tpotP50Ms: x.tpotMs?.p50 ?? null,
    goodputPerSecond: x.goodputRequestsPerSecond,
    tokensPerSecond: x.tokensPerSecond,
  });
  split.extras = { ...(split.extras ?? {}), layouts: { colocated: side(a), disaggregated: side(b) } };
}

function decodeStepPlan(
  name: string,
  shape: DecodeStepShape,
  params: Record<string, ParamValue>,
  options: LlmOptions,
  ctx: SuiteContext,
  skipReason: string | undefined,
): CasePlan {
  const config = modelPreset(name);
  const contexts = new Array<number>(shape.batch).fill(shape.context + 1);
  const weightBytes = weightDtypeFor(options, ctx) === 'f16' ? 2 : 4;
  const plan: CasePlan = {
    id: `llm/decode-step/model=${name}/batch=${shape.batch}/context=${shape.context}`,
    key: llmKey('decode-step', name),
    name: `decode step ${name}, batch ${shape.batch}, context ${shape.context}`,
    params: { ...params, kind: 'decode-step', batch: shape.batch, context: shape.context },
    bytesPerDispatch: decodeStepBytes(config, { weightBytesPerParam: weightBytes, kvBytesPerElement: 4, contexts }),
    bytesCounted: 'min-dram',
    work: {
      flopsPerDispatch: contexts.reduce((s, c) => s + decodeStepFlops(config, c), 0),
      unit: 'fp32',
      formula: 'per sequence 2·non-embedding params + attention over its context (metrics.md)',
    },
    prepare: (c, pool) => prepareDecodeStep(name, shape, options, c, pool),
  };
  const poolBytes =
    config.layers * shape.batch * Math.ceil((shape.context + 1) / 16) * 16 * config.kvHeads * config.headDim * 4;
  const binding = ctx.info.limits['maxStorageBufferBindingSize'] ?? 0;
  if (skipReason !== undefined) plan.skipReason = skipReason;
  else if (poolBytes > binding)
    plan.skipReason =
      `the f32 KV cache of ${shape.batch} × ${shape.context} tokens (${poolBytes} bytes per pool) exceeds ` +
      `the device's largest binding (${binding}); use a smaller batch or context`;
  return plan;
}

export function createLlmSuite(options: LlmOptions = {}): Suite {
  return {
    name: 'llm',
    description:
      'a decoder-only model served on the GPU: prefill and decode over a paged KV cache, TTFT/TPOT/ITL, ' +
      'tokens/s, goodput, MFU and MBU',
    plan(ctx) {
      const name = options.model ?? (ctx.quick || ctx.info.adapterClass === 'cpu' ? 'tiny' : 'llama-3-8b');
      const config = modelPreset(name);
      const weightDtype = options.weightDtype ?? (ctx.device.features.has('shader-f16') ? 'f16' : 'f32');
      const params = {
        model: name,
        layers: config.layers,
        hidden: config.hiddenSize,
        heads: config.heads,
        kvHeads: config.kvHeads,
        weightDtype,
        activations: 'f32',
        linearKernels: modelOptions(options, ctx).linearKernels ?? 'gpu',
      };
      const plan: CasePlan = {
        id: `llm/serve/model=${name}`,
        key: llmKey('serve', name),
        name: `serve ${name}`,
        params: { ...params, layout: 'colocated' },
        // A session moves no fixed number of bytes; its MFU and MBU are per step, in the extras.
        bytesPerDispatch: 0,
        bytesCounted: 'transferred',
        prepare: (c, pool) => prepareLlm(name, options, c, pool),
      };
      const largest =
        Math.max(config.vocabSize * config.hiddenSize, config.hiddenSize * config.mlpSize) *
        (weightDtype === 'f16' ? 2 : 4);
      if (largest > (ctx.info.limits['maxStorageBufferBindingSize'] ?? 0))
        plan.skipReason =
          `${name}'s largest ${weightDtype} tensor (${largest} bytes) exceeds the device's largest ` + `binding`;
      const split: CasePlan = {
        ...plan,
        id: `llm/serve-disaggregated/model=${name}`,
        key: llmKey('serve-disaggregated', name),
        name: `serve ${name}, prefill/decode split`,
        params: { ...params, layout: 'disaggregated' },
        prepare: (c, pool) => prepareDisaggregated(name, options, c, pool),
      };
      if (ctx.openDevice === undefined)
        split.skipReason = 'this platform cannot open a second device for the decode pool';
      const cases = options.serve === false ? [] : options.disaggregated === false ? [plan] : [plan, split];
      const shape =
        options.decodeStep ??
        (ctx.quick || ctx.info.adapterClass === 'cpu' ? { batch: 1, context: 64 } : { batch: 1, context: 1024 });
      if (shape !== false) cases.push(decodeStepPlan(name, shape, params, options, ctx, plan.skipReason));
      return cases;
    },
    finalize: (cases) => {
      compareLayouts(cases);
      attachOverheadShare(cases);
    },
  };
}

export const llmSuite: Suite = createLlmSuite();
