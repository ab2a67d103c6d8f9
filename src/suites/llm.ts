import { GpuModel } from '../llm/engine.js';
import { llmMetrics, type Slo } from '../llm/metrics.js';
import { ReferenceModel, argmax } from '../llm/reference.js';
import { serve, type Workload } from '../llm/serve.js';
import { modelPreset } from '../models/presets.js';
import type { CasePlan, CheckResult, PreparedCase, Suite, SuiteContext } from './types.js';
import type { BufferPool } from '../gpu/buffers.js';

export interface LlmOptions {
  model?: string;
  workload?: Partial<Workload>;
  slo?: Slo;
  /** Sequences decoded together. */
  batch?: number;
}

const CHECK_PROMPT = [5, 17, 300, 2, 999, 64, 7];
const CHECK_STEPS = 3;
const LOGIT_TOLERANCE = 1e-3;

function defaultWorkload(quick: boolean, seed: number): Workload {
  return quick
    ? { requests: 4, arrival: 'all-at-once', promptTokens: [8, 16], outputTokens: [3, 6], seed }
    : { requests: 16, arrival: { poissonPerSecond: 20 }, promptTokens: [16, 64], outputTokens: [8, 32], seed };
}

async function prepareLlm(modelName: string, options: LlmOptions, ctx: SuiteContext, pool: BufferPool): Promise<PreparedCase> {
  const config = modelPreset(modelName);
  const workload: Workload = { ...defaultWorkload(ctx.quick, ctx.seed), ...options.workload };
  const maxTokens = Math.max(CHECK_PROMPT.length + CHECK_STEPS + 1, workload.promptTokens[1] + workload.outputTokens[1]);
  const model = await GpuModel.create(ctx.device, config, ctx.seed, options.batch ?? 4, maxTokens, ctx.loadKernel, pool);
  let last: Awaited<ReturnType<typeof serve>> | null = null;

  const readLogits = async (): Promise<Float32Array> => {
    const src = model.lastLogits;
    if (src === null) throw new Error('no logits');
    const bytes = config.vocabSize * 4;
    const staging = ctx.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = ctx.device.createCommandEncoder();
    encoder.copyBufferToBuffer(src, 0, staging, 0, bytes);
    ctx.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const out = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    return out;
  };

  // The GPU forward against the f64 reference: a prefill, then greedy decode steps.
  const check = async (): Promise<CheckResult> => {
    const reference = new ReferenceModel(config, ctx.seed);
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
      method: `logits of a ${CHECK_PROMPT.length}-token prefill and ${CHECK_STEPS} greedy decode steps against an f64 forward pass of the same weights (max error ÷ max |logit| ≤ ${LOGIT_TOLERANCE}, same tokens)`,
      compared: CHECK_STEPS + 1,
      mismatches,
      maxRelError: worst,
      detail: mismatches === 0 ? `${CHECK_STEPS + 1} forward passes match (max relative error ${worst.toExponential(2)})` : first,
    };
  };

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
      const peaks = ctx.peaks;
      const origin = peaks?.calibrated ? 'calibrated' : peaks?.datasheet ? 'datasheet' : null;
      const set = peaks?.calibrated ?? peaks?.datasheet ?? null;
      const fp32 = set?.compute.fp32?.tflops;
      const bw = set?.bandwidth?.gbps;
      return {
        model: config.name,
        dtype: 'f32',
        workload,
        batch: model.maxSeqs,
        weightBytes: model.weightBytes(),
        kv: { blockTokens: model.blockTokens, bytesPerToken: model.kvBytesPerToken(), peakTokens: last.peakKvTokens, capacityTokens: model.maxSeqs * model.maxBlocks * model.blockTokens },
        metrics,
        prefillMfu: metrics.prefillTflops !== null && fp32 !== undefined ? metrics.prefillTflops / fp32 : null,
        decodeMbu: metrics.decodeGBps !== null && bw !== undefined ? metrics.decodeGBps / bw : null,
        peaksFrom: origin,
        records: last.records,
        steps: last.steps,
      };
    },
  };
}

export function createLlmSuite(options: LlmOptions = {}): Suite {
  return {
    name: 'llm',
    description: 'a decoder-only model served on the GPU: prefill and decode over a paged KV cache, TTFT/TPOT/ITL, tokens/s, goodput, MFU and MBU',
    plan(ctx) {
      const name = options.model ?? (ctx.quick || ctx.info.adapterClass === 'cpu' ? 'tiny' : 'llama-3-8b');
      const config = modelPreset(name);
      const plan: CasePlan = {
        id: `llm/serve/model=${name}`,
        name: `serve ${name}`,
        params: { model: name, layers: config.layers, hidden: config.hiddenSize, heads: config.heads, kvHeads: config.kvHeads, dtype: 'f32' },
        // A session moves no fixed number of bytes; its MFU and MBU are per step, in the extras.
        bytesPerDispatch: 0,
        bytesCounted: 'transferred',
        prepare: (c, pool) => prepareLlm(name, options, c, pool),
      };
      const largest = Math.max(config.vocabSize * config.hiddenSize, config.hiddenSize * config.mlpSize) * 4;
      if (largest > (ctx.info.limits['maxStorageBufferBindingSize'] ?? 0)) plan.skipReason = `${name}'s largest f32 tensor (${largest} bytes) exceeds the device's largest binding`;
      return [plan];
    },
  };
}

export const llmSuite: Suite = createLlmSuite();
