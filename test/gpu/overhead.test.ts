import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcquiredDevice } from '../../src/gpu/acquire.js';
import { loadKernelFromDisk, nodeRunEnvironment } from '../../src/platform/node.js';
import { checkRunConsistency } from '../../src/results/consistency.js';
import { parseRunResult, type CaseResult } from '../../src/results/schema.js';
import { runSuites } from '../../src/runner/run.js';
import { createOverheadSuite, type PlantedCost } from '../../src/suites/overhead.js';
import { attachOverheadShare, createLlmSuite } from '../../src/suites/llm.js';
import { renderRunMarkdown } from '../../src/reporters/markdown.js';
import { renderHtml } from '../../src/reporters/html.js';
import { expectedTimerKind, realDevice } from '../helpers/gpu.js';

let acquired: AcquiredDevice;

beforeAll(async () => {
  acquired = await realDevice();
});

afterAll(() => {
  acquired?.device.destroy();
});

interface Fit {
  slopeNs: number;
  interceptNs: number;
  r2: number;
  points: number;
}
const fitOf = (c: CaseResult | undefined): Fit => c?.extras?.['fit'] as Fit;

interface Planted {
  spunPerSampleNs: number | null;
  spunPerSubmitNs: number | null;
}
async function submitFit(plant: PlantedCost): Promise<Fit & Partial<Planted>> {
  const run = await runSuites(nodeRunEnvironment(acquired), {
    suites: [createOverheadSuite({ kinds: ['submit'], plant })],
    quick: true,
    passes: 8,
  });
  const c = run.cases[0];
  expect(c?.status, c?.message).toBe('ok');
  return { ...fitOf(c), ...(c?.extras?.['planted'] as Planted | undefined) };
}

describe('overhead on a real adapter', () => {
  it(
    'checks and times every kind of cost, each with its timer, fit and counts, as schema-valid consistent ' + 'data',
    async () => {
      const run = await runSuites(nodeRunEnvironment(acquired), { suites: [createOverheadSuite()], quick: true });
      expect(run.status).toBe('complete');
      const ids = run.cases.map((c) => c.id);
      for (const id of [
        'overhead/dispatch',
        'overhead/dispatch-pipeline-switch',
        'overhead/dispatch-bindgroup-switch',
        'overhead/dispatch-indirect',
        'overhead/pass',
        'overhead/submit',
        'overhead/roundtrip/empty',
        'overhead/roundtrip/dispatch',
        'overhead/readback/bytes=4',
        'overhead/readback/bytes=1048576',
        'overhead/upload/bytes=4',
        'overhead/compile/memcopy/pipeline-async/cold',
        'overhead/buffer/bytes=256',
      ]) {
        expect(ids).toContain(id);
      }
      for (const c of run.cases) {
        expect(c.status, `${c.id}: ${c.message ?? ''}`).toBe('ok');
        expect(c.check?.passed).toBe(true);
        expect(c.summary?.p50).toBeGreaterThan(0);
        expect(c.summary?.p99).toBeGreaterThanOrEqual(c.summary?.p50 ?? 0);
        expect(c.timer?.method.length).toBeGreaterThan(20);
      }
      const dispatch = run.cases.find((c) => c.id === 'overhead/dispatch');
      expect(dispatch?.timer?.kind).toBe(expectedTimerKind(acquired));
      expect(dispatch?.check?.method).toBe('exact-counter');
      const fit = fitOf(dispatch);
      expect(fit.slopeNs).toBeGreaterThan(0);
      expect(fit.r2).toBeLessThanOrEqual(1);
      expect(fit.points).toBe(6 * 5);
      expect(dispatch?.timingCheck?.method).toBe('linear-fit');
      expect(dispatch?.timingCheck?.detail).toMatch(/time = -?\d+ ns \+ [\d.]+ ns × dispatchs? over 30 points, R² /);
      // The samples are the rounds' own slopes, so the median is a cost per dispatch, not a total.
      expect(dispatch?.samplesNs).toHaveLength(6 - (dispatch?.extras?.['nonPositiveRounds'] as number));
      expect(run.cases.find((c) => c.id === 'overhead/dispatch-indirect')?.extras?.['vsPlainDispatch']).toBeGreaterThan(
        0,
      );
      expect(run.cases.find((c) => c.id === 'overhead/submit')?.timer?.kind).toBe('host-wall');
      const readback = run.cases.find((c) => c.id === 'overhead/readback/bytes=1048576');
      expect(readback?.check?.compared).toBe(1048576 / 4);
      expect((readback?.extras?.['overSizes'] as { sizes: number[] }).sizes).toEqual([4, 65536, 1048576]);
      const text = JSON.parse(JSON.stringify(run)) as unknown;
      expect(() => {
        checkRunConsistency(parseRunResult(text), 'overhead.json');
      }).not.toThrow();
    },
  );

  it('a dispatch that does no work fails its check and is never timed', async () => {
    const idle = async (name: string): Promise<string> =>
      (await loadKernelFromDisk(name)).replace('counter[0] = counter[0] + STEP;', 'counter[0] = counter[0];');
    const run = await runSuites(
      { ...nodeRunEnvironment(acquired), loadKernel: idle },
      { suites: [createOverheadSuite({ kinds: ['dispatch', 'pass', 'submit'] })], quick: true },
    );
    for (const c of run.cases) {
      expect(c.status, c.id).toBe('failed');
      expect(c.message).toMatch(/dispatches were dropped or repeated/);
      expect(c.samplesNs).toEqual([]);
    }
  });

  // Host-clock fits on a shared 2-core runner: a busy neighbour can drown one attempt, so it gets
  // two more; a fit that cannot separate the planted costs fails all three.
  it(
    'finds a planted cost per submit in the slope, and a planted cost per sample in the intercept only',
    { retry: 2 },
    async () => {
      const perSubmitNs = 300_000;
      const perSampleNs = 2_000_000;
      const base = await submitFit({});
      const perItem = await submitFit({ perSubmitNs });
      const fixed = await submitFit({ perSampleNs });
      // Compared with what the spins really took (a preempted spin runs long), within 30%: the
      // host's own noise on a busy 2-core machine.
      const plantedPerSubmit = perItem.spunPerSubmitNs ?? 0;
      expect(plantedPerSubmit).toBeGreaterThanOrEqual(perSubmitNs);
      expect(perItem.slopeNs - base.slopeNs).toBeGreaterThan(0.7 * plantedPerSubmit);
      expect(perItem.slopeNs - base.slopeNs).toBeLessThan(1.3 * plantedPerSubmit);
      // 2 ms once per sample lands in the intercept; divided over 16 submits it would read as +125 µs each.
      const plantedPerSample = fixed.spunPerSampleNs ?? 0;
      expect(fixed.interceptNs - base.interceptNs).toBeGreaterThan(0.6 * plantedPerSample);
      expect(fixed.interceptNs - base.interceptNs).toBeLessThan(1.4 * plantedPerSample);
      // Its slope moves by under a quarter of that naive +125 µs (noise of a busy host, seen up to ~20%).
      expect(Math.abs(fixed.slopeNs - base.slopeNs)).toBeLessThan(0.25 * (plantedPerSample / 16));
    },
  );

  it('without timestamp-query, the GPU-side costs fall back to host timing and say so per case', async () => {
    const own = await realDevice({ withoutFeatures: ['timestamp-query'] });
    try {
      const run = await runSuites(nodeRunEnvironment(own), {
        suites: [createOverheadSuite({ kinds: ['dispatch', 'pass'] })],
        quick: true,
      });
      expect(run.cases).toHaveLength(5);
      for (const c of run.cases) {
        expect(c.status, `${c.id}: ${c.message ?? ''}`).toBe('ok');
        expect(c.timer?.kind).toBe('cpu-submit-to-done');
        expect(c.extras?.['timerNote']).toMatch(/no timestamp-query on this device: timed on the host/);
        expect(fitOf(c).slopeNs).toBeGreaterThan(0);
      }
    } finally {
      own.device.destroy();
    }
  });

  it(
    'the llm decode step weighs its dispatch count with the measured cost of a dispatch, and the reports say ' + 'so',
    async () => {
      const run = await runSuites(nodeRunEnvironment(acquired), {
        suites: [
          createOverheadSuite({ kinds: ['dispatch'] }),
          createLlmSuite({ serve: false, decodeStep: { batch: 1, context: 16 } }),
        ],
        quick: true,
      });
      const step = run.cases.find((c) => c.id.startsWith('llm/decode-step/'));
      expect(step?.status, step?.message).toBe('ok');
      const o = step?.extras?.['overhead'] as {
        dispatches: number;
        perDispatchNs: number;
        estimatedNs: number;
        shareOfStep: number;
        bound: string;
      };
      const pass = step?.extras?.['pass'] as { dispatches: number };
      expect(o.dispatches).toBe(pass.dispatches);
      expect(o.perDispatchNs).toBeGreaterThan(0);
      expect(o.estimatedNs).toBeCloseTo(o.dispatches * o.perDispatchNs, 6);
      expect(o.shareOfStep).toBeCloseTo(o.estimatedNs / (step?.summary?.p50 ?? 1), 9);
      expect(['dispatch-overhead', 'work']).toContain(o.bound);
      const md = renderRunMarkdown(run);
      expect(md).toMatch(/\| per dispatch \| ok \| per dispatch \(fitted\) \|/);
      expect(md).toMatch(new RegExp(`${o.dispatches} dispatches × .* of the step — bound by`));
      const html = renderHtml(run, { chartJs: '', css: '' });
      expect(html).toContain('<table class="overhead">');
      expect(html).toMatch(/<th scope="row">per dispatch, both switched<\/th><td>ok<\/td>/);
    },
  );
});

describe('the decode step overhead share', () => {
  it('is dispatches × cost ÷ the step median, overhead-bound from half the step', () => {
    const step = (p50: number, cost: number | null): CaseResult => ({
      id: 'llm/decode-step/x',
      suite: 'llm',
      name: 'x',
      params: {},
      status: 'ok',
      check: null,
      dispatchesPerPass: 1,
      warmupPasses: 0,
      invalidSamples: 0,
      samplesNs: [p50],
      summary: {
        name: 't',
        unit: 'ns',
        count: 1,
        mean: p50,
        std: null,
        min: p50,
        max: p50,
        p25: p50,
        p50,
        p75: p50,
        p90: p50,
        p99: p50,
        iqr: 0,
        cv: null,
        percentileMethod: 'type7-linear',
        stdMethod: 'sample-n-1',
        lowConfidence: { p90: true, p99: true },
      },
      timer: null,
      bandwidth: null,
      startedAt: '',
      durationMs: 0,
      extras: {
        pass: { dispatches: 100 },
        dispatchCost:
          cost === null
            ? null
            : { perDispatchNs: cost, interceptNs: 0, r2: 1, timer: 'timestamp-query', method: 'test' },
      },
    });
    const cases = [step(1_000_000, 6_000), step(1_000_000, 2_000), step(1_000_000, null)];
    attachOverheadShare(cases);
    const share = cases.map((c) => c.extras?.['overhead'] as { shareOfStep: number | null; bound: string | null });
    expect(share[0]).toMatchObject({ shareOfStep: 0.6, bound: 'dispatch-overhead' });
    expect(share[1]).toMatchObject({ shareOfStep: 0.2, bound: 'work' });
    expect(share[2]).toMatchObject({ shareOfStep: null, bound: null });
  });
});
