import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcquiredDevice } from '../../src/gpu/acquire.js';
import { llmMetrics, type LlmRunMetrics, type RequestRecord, type StepRecord } from '../../src/llm/metrics.js';
import { computeRequestLatency } from '../../src/metrics/latency.js';
import { loadKernelFromDisk, nodeRunEnvironment } from '../../src/platform/node.js';
import { runSuites } from '../../src/runner/run.js';
import { createLlmSuite } from '../../src/suites/llm.js';
import { realDevice } from '../helpers/gpu.js';
import { BufferPool } from '../../src/gpu/buffers.js';
import { GpuModel, type Row } from '../../src/llm/engine.js';
import { MemoryMetric } from '../../src/metrics/memory.js';
import { modelPreset } from '../../src/models/presets.js';

let acquired: AcquiredDevice;
beforeAll(async () => {
  acquired = await realDevice();
});
afterAll(() => {
  acquired?.device.destroy();
});

const workload = {
  requests: 3,
  arrival: 'all-at-once' as const,
  promptTokens: [6, 10] as [number, number],
  outputTokens: [3, 4] as [number, number],
};

describe('llm suite on a real adapter', () => {
  it(
    'checks the forward pass against f64, serves requests, and its metrics follow from the recorded ' + 'timestamps',
    async () => {
      const run = await runSuites(nodeRunEnvironment(acquired), {
        suites: [createLlmSuite({ model: 'tiny', workload, batch: 2, decodeStep: false })],
        quick: true,
        passes: 2,
        targetPassMs: 1,
      });
      expect(run.cases.map((x) => x.params['layout'])).toEqual(['colocated', 'disaggregated']);
      const split = run.cases[1];
      expect(split?.status, split?.message).toBe('ok');
      // Two prompts prefilled one by one, then three decode steps of both: five passes per device.
      expect(split?.check?.detail).toMatch(
        /prefill device: 5 forward passes match .*; decode device: 5 forward passes match/,
      );
      const handover = split?.extras?.['handover'] as { count: number; bytes: number; msTotal: number };
      expect(handover.count).toBe(3);
      expect(handover.bytes).toBeGreaterThan(0);
      expect(handover.msTotal).toBeGreaterThan(0);
      const layouts = split?.extras?.['layouts'] as Record<string, Record<string, number | null>>;
      expect(layouts['colocated']?.['ttftP50Ms']).toBeGreaterThan(0);
      expect(layouts['disaggregated']?.['tpotP50Ms']).toBeGreaterThan(0);
      const c = run.cases[0];
      expect(c?.status, c?.message).toBe('ok');
      expect(c?.check?.passed).toBe(true);
      const extras = c?.extras as {
        metrics: LlmRunMetrics;
        records: RequestRecord[];
        steps: StepRecord[];
        kv: { peakTokens: number };
      };
      expect(extras.records).toHaveLength(3);
      for (const r of extras.records) expect(r.tokenTimesMs).toHaveLength(r.outputTokens);
      // Recompute TTFT, TPOT and ITL from the token timestamps in the result, independently.
      for (const [i, r] of extras.records.entries()) {
        const again = computeRequestLatency({
          submitMs: r.arrivalMs,
          scheduledMs: r.scheduledMs,
          prefillDoneMs: r.prefillDoneMs,
          tokenTimesMs: r.tokenTimesMs,
        });
        const first = r.tokenTimesMs[0] as number;
        const last = r.tokenTimesMs[r.tokenTimesMs.length - 1] as number;
        expect(again.ttftMs).toBeCloseTo(first - r.arrivalMs, 9);
        expect(again.tpotMs).toBeCloseTo((last - first) / (r.tokenTimesMs.length - 1), 9);
        expect(extras.metrics.perRequest[i]?.ttftMs).toBeCloseTo(again.ttftMs ?? Number.NaN, 9);
        expect(extras.metrics.perRequest[i]?.tpotMs).toBeCloseTo(again.tpotMs ?? Number.NaN, 9);
      }
      expect(extras.metrics.tokensPerSecond).toBeGreaterThan(0);
      expect(llmMetrics(extras.records, extras.steps).tokensPerSecond).toBeCloseTo(
        extras.metrics.tokensPerSecond ?? Number.NaN,
        9,
      );
      expect(extras.metrics.itlMs?.count).toBe(extras.records.reduce((s, r) => s + r.tokenTimesMs.length - 1, 0));
      expect(extras.steps.some((s) => s.kind === 'decode' && s.rows === 2)).toBe(true);
      expect(extras.metrics.prefillTflops).toBeGreaterThan(0);
      expect(extras.metrics.decodeGBps).toBeGreaterThan(0);
      expect(extras.kv.peakTokens).toBeGreaterThan(0);
    },
  );

  it('serves with f32 or f16 weight matrices, each checked against a reference with the same weights', async () => {
    const run = await runSuites(nodeRunEnvironment(acquired), {
      suites: [
        createLlmSuite({
          model: 'tiny',
          workload,
          batch: 2,
          disaggregated: false,
          decodeStep: false,
          weightDtype: 'f32',
        }),
      ],
      quick: true,
      passes: 2,
      targetPassMs: 1,
    });
    expect(run.cases[0]?.status, run.cases[0]?.message).toBe('ok');
    expect(run.cases[0]?.params['weightDtype']).toBe('f32');
    expect(run.cases[0]?.check?.method).toMatch(/same \(f32\) weights/);
    if (acquired.info.deviceFeatures.includes('shader-f16')) {
      const half = await runSuites(nodeRunEnvironment(acquired), {
        suites: [
          createLlmSuite({
            model: 'tiny',
            workload,
            batch: 2,
            disaggregated: false,
            decodeStep: false,
            weightDtype: 'f16',
          }),
        ],
        quick: true,
        passes: 2,
        targetPassMs: 1,
      });
      expect(half.cases[0]?.status, half.cases[0]?.message).toBe('ok');
      expect(half.cases[0]?.check?.method).toMatch(/same \(f16\) weights/);
    }
  });

  it(
    'a forward pass with a broken kernel (SiLU, or positions lost in RoPE) fails the check and is ' + 'not served',
    async () => {
      const mutations: [string, string][] = [
        ['c[i] = x / (1.0 + exp(-x)) * a[', 'c[i] = x * a['],
        ['return f32(pos) * pow(', 'return 0.0 * f32(pos) * pow('],
      ];
      for (const [from, to] of mutations) {
        const wrong = async (name: string): Promise<string> => (await loadKernelFromDisk(name)).replace(from, to);
        const run = await runSuites(
          { ...nodeRunEnvironment(acquired), loadKernel: wrong },
          {
            suites: [createLlmSuite({ model: 'tiny', workload, batch: 2, disaggregated: false, decodeStep: false })],
            quick: true,
            passes: 2,
          },
        );
        expect(run.cases[0]?.status, to).toBe('failed');
        expect(run.cases[0]?.message).toMatch(/logits off by/);
        expect(run.cases[0]?.samplesNs).toEqual([]);
      }
    },
  );

  it(
    'the GPU kernels (split-K GEMV, tiled linear, chunked attention) pass the same check, and a broken one ' +
      'fails it',
    async () => {
      // Three attention splits: every pass, prefills included, goes through the split-K reduce.
      // The GPU's GEMV launch (K split toward 512 workgroups), not a CPU adapter's one split, so the
      // split-K partials and their reduce pass are what is checked.
      const gpuKernels = {
        model: 'tiny',
        workload,
        batch: 2,
        disaggregated: false,
        linearKernels: 'gpu' as const,
        decodeStep: { batch: 2, context: 40 },
        attentionSplits: 3,
        gemvTargetWorkgroups: 512,
        gemvColumns4: 8,
      };
      // A 4-key attention chunk makes every check cross chunks, so the running-max rescale is tested.
      const smallChunks = async (name: string): Promise<string> =>
        (await loadKernelFromDisk(name)).replace('const ATT_CHUNK = 1024u;', 'const ATT_CHUNK = 4u;');
      const run = await runSuites(
        { ...nodeRunEnvironment(acquired), loadKernel: smallChunks },
        { suites: [createLlmSuite(gpuKernels)], quick: true, passes: 2, targetPassMs: 1 },
      );
      for (const c of run.cases) {
        expect(c.status, `${c.id}: ${c.message ?? ''}`).toBe('ok');
        expect(c.params['linearKernels']).toBe('gpu');
      }
      // With one split the GEMVs write (or add onto the residual) directly, with no reduce pass;
      // here the RMSNorms also run as their own dispatches instead of inside the GEMVs, and the
      // GEMVs (gated too) take 16 columns per workgroup with 64 threads along K instead of 32 × 32.
      const unsplit = await runSuites(nodeRunEnvironment(acquired), {
        suites: [
          createLlmSuite({
            ...gpuKernels,
            serve: true,
            disaggregated: false,
            decodeStep: false,
            gemvTargetWorkgroups: 1,
            gemvColumns4: 4,
            foldNorms: false,
          }),
        ],
        quick: true,
        passes: 1,
        targetPassMs: 1,
      });
      expect(unsplit.cases[0]?.status, unsplit.cases[0]?.message).toBe('ok');
      const step = run.cases.find((c) => c.params['kind'] === 'decode-step');
      expect(step?.check?.method).toMatch(/2 prompts \(7 and 12 tokens\)/);
      expect(step?.summary?.p50).toBeGreaterThan(0);
      expect(step?.bandwidth?.medianGBps).toBeGreaterThan(0);
      // tiny: 4 layers of QKV (+reduce), RoPE+append, attention (+reduce), output (+reduce), gated MLP (+reduce), down
      // (+reduce).
      const layout = step?.extras?.['pass'] as {
        dispatches: number;
        byEntry: Record<string, number>;
        attentionSplits: number;
        normsFolded: boolean;
      };
      expect(layout.attentionSplits).toBe(3);
      expect(layout.normsFolded).toBe(true);
      expect(layout.byEntry['rmsnorm']).toBeUndefined();
      expect(layout.byEntry['rope_qkv_append']).toBe(4);
      expect(layout.byEntry['attend_reduce']).toBe(4);
      expect(layout.dispatches).toBe(Object.values(layout.byEntry).reduce((a, b) => a + b, 0));
      const mutations: [string, string, string][] = [
        ['gemv', 's += partials[split * p.rows * n4 + i];', 's += partials[i];'],
        ['gemv', 'for (; k < kEnd; k += KTHREADS) {', 'for (; k < kEnd && false; k += KTHREADS) {'],
        ['gemv', 'y[i] = silu(gate) * up;', 'y[i] = gate * up;'],
        ['gemv', 'return v * invRms[r] * nw[k];', 'return v * nw[k];'],
        ['llm', 'kPool[dst + 1u] = r.y;', 'kPool[dst + 1u] = r.x;'],
        ['llm', 'let w = exp(attParts[part] - m);', 'let w = 1.0;'],
        ['llm', 'acc = fma(acc, correction, part);', 'acc = acc + part;'],
        ['llm', 'weights[(k0 + kb) * p.outDim + col0 + cc]', 'weights[(k0 + kb) * p.outDim + cc]'],
      ];
      for (const [kernel, from, to] of mutations) {
        const wrong = async (name: string): Promise<string> => {
          const code = await smallChunks(name);
          if (name !== kernel) return code;
          expect(code).toContain(from);
          return code.replace(from, to);
        };
        const broken = await runSuites(
          { ...nodeRunEnvironment(acquired), loadKernel: wrong },
          { suites: [createLlmSuite({ ...gpuKernels, decodeStep: false })], quick: true, passes: 2 },
        );
        expect(broken.cases[0]?.status, to).toBe('failed');
        expect(broken.cases[0]?.samplesNs).toEqual([]);
      }
    },
  );

  it('keeps at most 8 recorded pass shapes, freeing the rest, and a rebuilt one gives the same tokens', async () => {
    const memory = new MemoryMetric();
    const pool = new BufferPool(acquired.device, memory);
    const model = await GpuModel.create(
      acquired.device,
      modelPreset('tiny'),
      11,
      1,
      32,
      loadKernelFromDisk,
      pool,
      'f32',
    );
    const live = (): number => memory.compute().liveAllocations;
    const base = live();
    const prompt = (n: number): Row[] =>
      Array.from({ length: n }, (_, pos) => ({ seq: 0, pos, token: (pos * 37 + 5) % 1000 }));
    const first = await model.forward(prompt(3), [2]);
    const perPlan = live() - base;
    expect(perPlan).toBeGreaterThan(0);
    for (let n = 4; n <= 14; n++) await model.forward(prompt(n), [n - 1]);
    expect(live() - base).toBe(8 * perPlan);
    // Shape 3 was evicted; building it again evicts another and computes the same thing.
    expect(await model.forward(prompt(3), [2])).toEqual(first);
    expect(live() - base).toBe(8 * perPlan);
    pool.destroyAll();
    expect(live()).toBe(0);
  });
});
