import { GpuModel } from '../llm/engine.js';
import { llmMetrics, type LlmRunMetrics, type Slo } from '../llm/metrics.js';
import { MemoryMetric } from '../metrics/memory.js';
import { ReferenceModel, argmax } from '../llm/reference.js';
import { serve, serveDisaggregated, type Workload } from '../llm/serve.js';
import { modelPreset } from '../models/presets.js';
import type { CaseResult } from '../results/schema.js';
import type { CasePlan, CheckResult, PreparedCase, Suite, SuiteContext } from './types.js';
import { BufferPool } from '../gpu/buffers.js';

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
}

const CHECK_PROMPT = [5, 17, 300, 2, 999, 64, 7];
const CHECK_STEPS = 3;
const LOGIT_TOLERANCE = 1e-3;

function defaultWorkload(quick: boolean, seed: number): Workload {
  return quick
    ? { requests: 4, arrival: 'all-at-once', promptTokens: [8, 16], outputTokens: [3, 6], seed }
    : { requests: 16, arrival: { poissonPerSecond: 20 }, promptTokens: [16, 64], outputTokens: [8, 32], seed };
}

/** The GPU forward against the f64 reference: a prefill, then greedy decode steps. */
async function checkModel(model: GpuModel, device: GPUDevice, seed: number): Promise<CheckResult> {
  const dtype = model.weightDtype;
  const config = model.config;
  const readLogits = async (): Promise<Float32Array> => {
    const src = model.lastLogits;
    if (src === null) throw new Error('no logits');
    const bytes = config.vocabSize * 4;
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
  const reference = new ReferenceModel(config, seed, dtype);
  let refLogits: Float64Array = new Float64Array(0);
  for (const t of CHECK_PROMPT) refLogits = reference.step(t);
  let [token] = await model.forward(CHECK_PROMPT.map((t, pos) => ({ seq: 0, pos, token: t })), [CHECK_PROMPT.length - 1]);
  let worst = 0;
  let mismatches = 0;
  let first = '';
  for (let step = 0; ; step++) {
    const got = await readLogits();
    model.releaseTransient();
    let err = 0;
    let mag = 0;
    for (let i = 0; i < config.vocabSize; i++) {
      err = Math.max(err, Math.abs((got[i] as number) - (refLogits[i] as number)));
      mag = Math.max(mag, Math.abs(refLogits[i] as number));
    }
    const rel = err / mag;
    worst = Math.max(worst, rel);
    if ((!(rel <= LOGIT_TOLERANCE) || token !== argmax(refLogits)) && mismatches++ === 0) first = `step ${step}: logits off by ${rel.toExponential(2)} of their range, token ${String(token)} against ${argmax(refLogits)}`;
    if (step === CHECK_STEPS) break;
    refLogits = reference.step(token as number);
    [token] = await model.forward([{ seq: 0, pos: CHECK_PROMPT.length + step, token: token as number }], [0]);
  }
  return {
    passed: mismatches === 0,
    method: `logits of a ${CHECK_PROMPT.length}-token prefill and ${CHECK_STEPS} greedy decode steps against an f64 forward pass of the same (${dtype}) weights (max error ÷ max |logit| ≤ ${LOGIT_TOLERANCE}, same tokens)`,
    compared: CHECK_STEPS + 1,
    mismatches,
    maxRelError: worst,
    detail: mismatches === 0 ? `${CHECK_STEPS + 1} forward passes match (max relative error ${worst.toExponential(2)})` : first,
  };
}

function weightDtypeFor(options: LlmOptions, ctx: SuiteContext): 'f32' | 'f16' {
  return options.weightDtype ?? (ctx.device.features.has('shader-f16') ? 'f16' : 'f32');
}

function utilisation(ctx: SuiteContext, metrics: LlmRunMetrics): { prefillMfu: number | null; decodeMbu: number | null; peaksFrom: string | null } {
  const set = ctx.peaks?.calibrated ?? ctx.peaks?.datasheet ?? null;
  const fp32 = set?.compute.fp32?.tflops;
  const bw = set?.bandwidth?.gbps;
  return {
    prefillMfu: metrics.prefillTflops !== null && fp32 !== undefined ? metrics.prefillTflops / fp32 : null,
    decodeMbu: metrics.decodeGBps !== null && bw !== undefined ? metrics.decodeGBps / bw : null,
    peaksFrom: ctx.peaks?.calibrated ? 'calibrated' : ctx.peaks?.datasheet ? 'datasheet' : null,
  };
}

async function prepareLlm(modelName: string, options: LlmOptions, ctx: SuiteContext, pool: BufferPool): Promise<PreparedCase> {
  const config = modelPreset(modelName);
  const workload: Workload = { ...defaultWorkload(ctx.quick, ctx.seed), ...options.workload };
  const maxTokens = Math.max(CHECK_PROMPT.length + CHECK_STEPS + 1, workload.promptTokens[1] + workload.outputTokens[1]);
  const model = await GpuModel.create(ctx.device, config, ctx.seed, options.batch ?? 4, maxTokens, ctx.loadKernel, pool, weightDtypeFor(options, ctx));
  let last: Awaited<ReturnType<typeof serve>> | null = null;

  const check = (): Promise<CheckResult> => checkModel(model, ctx.device, ctx.seed);

  return {
    encode: () => undefined,
    check,
    timeOperation: async () => {
      const t0 = performance.now();
      last = await serve(model, workload);
      return (performance.now() - t0) * 1e6;
    },
    operationTimerMethod: `host clock around one serving session of ${workload.requests} requests (every token stamped when its forward pass completed)`,
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
        kv: { blockTokens: model.blockTokens, bytesPerToken: model.kvBytesPerToken(), peakTokens: last.peakKvTokens, capacityTokens: model.maxSeqs * model.maxBlocks * model.blockTokens },
        metrics,
        ...utilisation(ctx, metrics),
        records: last.records,
        steps: last.steps,
      };
    },
  };
}

async function prepareDisaggregated(modelName: string, options: LlmOptions, ctx: SuiteContext, pool: BufferPool): Promise<PreparedCase> {
  if (ctx.openDevice === undefined) throw new Error('this platform cannot open a second device for the decode pool');
  const config = modelPreset(modelName);
  const workload: Workload = { ...defaultWorkload(ctx.quick, ctx.seed), ...options.workload };
  const maxTokens = Math.max(CHECK_PROMPT.length + CHECK_STEPS + 1, workload.promptTokens[1] + workload.outputTokens[1]);
  const batch = options.batch ?? 4;
  const second = await ctx.openDevice();
  const decodePool = new BufferPool(second.device, new MemoryMetric());
  const dtype = weightDtypeFor(options, ctx);
  const prefillModel = await GpuModel.create(ctx.device, config, ctx.seed, batch, maxTokens, ctx.loadKernel, pool, dtype);
  const decodeModel = await GpuModel.create(second.device, config, ctx.seed, batch, maxTokens, ctx.loadKernel, decodePool, second.device.features.has('shader-f16') ? dtype : 'f32');
  let last: Awaited<ReturnType<typeof serveDisaggregated>> | null = null;
  return {
    encode: () => undefined,
    // Both pools must compute the same model: each is checked against the reference.
    check: async () => {
      const a = await checkModel(prefillModel, ctx.device, ctx.seed);
      const b = await checkModel(decodeModel, second.device, ctx.seed);
      return { ...a, passed: a.passed && b.passed, compared: a.compared + b.compared, mismatches: a.mismatches + b.mismatches, maxRelError: Math.max(a.maxRelError ?? 0, b.maxRelError ?? 0), detail: `prefill device: ${a.detail}; decode device: ${b.detail}` };
    },
    timeOperation: async () => {
      const t0 = performance.now();
      last = await serveDisaggregated(prefillModel, decodeModel, workload);
      return (performance.now() - t0) * 1e6;
    },
    operationTimerMethod: `host clock around one disaggregated serving session of ${workload.requests} requests (prefill and decode on two devices, KV handed over through host memory)`,
    extras: () => {
      if (last === null) return null;
      const metrics = llmMetrics(last.records, last.steps, options.slo ?? {});
      const handoverMs = last.handovers.map((h) => h.ms);
      return {
        model: config.name,
        weightDtype: prefillModel.weightDtype,
        layout: 'disaggregated',
        devices: { prefill: 'the run\'s device', decode: second.description },
        workload,
        batch,
        metrics,
        ...utilisation(ctx, metrics),
        handover: { count: last.handovers.length, bytes: last.handovers.reduce((s, h) => s + h.bytes, 0), msTotal: handoverMs.reduce((s, v) => s + v, 0), msMax: Math.max(0, ...handoverMs), path: 'prefill device → host (map-read) → decode device (writeBuffer)' },
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

/** Puts the colocated and disaggregated layouts' TTFT, TPOT and goodput side by side. */
export function compareLayouts(cases: CaseResult[]): void {
  const colocated = cases.find((c) => c.params['layout'] === 'colocated' && c.status === 'ok');
  const split = cases.find((c) => c.params['layout'] === 'disaggregated' && c.status === 'ok');
  const m = (c: CaseResult | undefined): LlmRunMetrics | undefined => c?.extras?.['metrics'] as LlmRunMetrics | undefined;
  const a = m(colocated);
  const b = m(split);
  if (split === undefined || a === undefined || b === undefined) return;
  const side = (x: LlmRunMetrics): Record<string, number | null> => ({ ttftP50Ms: x.ttftMs?.p50 ?? null, ttftP99Ms: x.ttftMs?.p99 ?? null, tpotP50Ms: x.tpotMs?.p50 ?? null, goodputPerSecond: x.goodputRequestsPerSecond, tokensPerSecond: x.tokensPerSecond });
  split.extras = { ...(split.extras ?? {}), layouts: { colocated: side(a), disaggregated: side(b) } };
}

export function createLlmSuite(options: LlmOptions = {}): Suite {
  return {
    name: 'llm',
    description: 'a decoder-only model served on the GPU: prefill and decode over a paged KV cache, TTFT/TPOT/ITL, tokens/s, goodput, MFU and MBU',
    plan(ctx) {
      const name = options.model ?? (ctx.quick || ctx.info.adapterClass === 'cpu' ? 'tiny' : 'llama-3-8b');
      const config = modelPreset(name);
      const weightDtype = options.weightDtype ?? (ctx.device.features.has('shader-f16') ? 'f16' : 'f32');
      const params = { model: name, layers: config.layers, hidden: config.hiddenSize, heads: config.heads, kvHeads: config.kvHeads, weightDtype, activations: 'f32' };
      const plan: CasePlan = {
        id: `llm/serve/model=${name}`,
        name: `serve ${name}`,
        params: { ...params, layout: 'colocated' },
        // A session moves no fixed number of bytes; its MFU and MBU are per step, in the extras.
        bytesPerDispatch: 0,
        bytesCounted: 'transferred',
        prepare: (c, pool) => prepareLlm(name, options, c, pool),
      };
      const largest = Math.max(config.vocabSize * config.hiddenSize, config.hiddenSize * config.mlpSize) * (weightDtype === 'f16' ? 2 : 4);
      if (largest > (ctx.info.limits['maxStorageBufferBindingSize'] ?? 0)) plan.skipReason = `${name}'s largest ${weightDtype} tensor (${largest} bytes) exceeds the device's largest binding`;
      const split: CasePlan = {
        ...plan,
        id: `llm/serve-disaggregated/model=${name}`,
        name: `serve ${name}, prefill/decode split`,
        params: { ...params, layout: 'disaggregated' },
        prepare: (c, pool) => prepareDisaggregated(name, options, c, pool),
      };
      if (ctx.openDevice === undefined) split.skipReason = 'this platform cannot open a second device for the decode pool';
      return options.disaggregated === false ? [plan] : [plan, split];
    },
    finalize: compareLayouts,
  };
}

export const llmSuite: Suite = createLlmSuite();
