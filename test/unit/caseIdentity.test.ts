import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareRuns, perDispatchSamples } from '../../src/ci/compare.js';
import { baselineFromRun, evaluateGates } from '../../src/ci/evaluate.js';
import { gateConfigSchema } from '../../src/ci/gateConfig.js';
import { percentile } from '../../src/metrics/summary.js';
import { utilizationAgainst } from '../../src/metrics/utilization.js';
import { keyOfCase } from '../../src/results/caseKey.js';
import { parseRunResult, type CaseResult, type RunResult } from '../../src/results/schema.js';
import { ATTENTION_PEAK_UNIT, createAttentionSuite, type AttentionKind } from '../../src/suites/attention.js';
import { createMatmulSuite, matmulShapeRule } from '../../src/suites/matmul.js';
import type { MatmulVariant } from '../../src/suites/matmul/variants.js';
import type { SuiteContext } from '../../src/suites/types.js';
import { withHistory } from '../../src/history/open.js';
import { runCli } from '../helpers/cli.js';
import { H100_INFO, LAVAPIPE_INFO } from '../helpers/tuneDevices.js';

const load = (file: string): RunResult => parseRunResult(JSON.parse(readFileSync(file, 'utf8')), file);

/** Planning reads the device's features and limits only: the recorded device stands in for them. */
function planningContext(info: SuiteContext['info'], quick = false): SuiteContext {
  const device = { features: new Set(info.deviceFeatures), limits: info.limits } as unknown as GPUDevice;
  return { device, info, quick, seed: 1, loadKernel: () => Promise.reject(new Error('planning only')) };
}

describe('case identity: ids as saved, keys the same on every device', () => {
  it('loads every saved H100 run with its ids unchanged and gives each case a key without the size', () => {
    const root = 'bench/results';
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((f) => /(^|\/)(compute|memcopy|attention|kvtier)\.json$/.test(f))
      .map((f) => join(root, f));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const file of files) {
      const raw = JSON.parse(readFileSync(file, 'utf8')) as { cases: { id: string }[] };
      const run = load(file);
      expect(run.cases.map((c) => c.id)).toEqual(raw.cases.map((c) => c.id));
      for (const c of run.cases) expect(keyOfCase(c), c.id).not.toMatch(/\d+x\d+x\d+|bytes=\d|t\d+s\d+/);
    }
    const keys = load('bench/results/h100-2026-11-27-compute/compute.json').cases.map(keyOfCase);
    expect(keys).toEqual(
      expect.arrayContaining([
        'peak/fma-f32',
        'matmul/tiled-f32/square',
        'matmul/naive-f32/gemv',
        'matmul/dot4-int8/gemv',
      ]),
    );
    const memcopy = load('bench/results/h100-2026-11-27/memcopy.json').cases.map(keyOfCase);
    expect(new Set(memcopy)).toEqual(
      new Set([
        'memcopy/copy/cache-sweep',
        'memcopy/read/cache-sweep',
        'memcopy/write/cache-sweep',
        'memcopy/copy/dram',
        'memcopy/read/dram',
        'memcopy/write/dram',
      ]),
    );
  });

  it('compares two devices by key and throughput, and one device by id and time', () => {
    const h100 = load('test/fixtures/h100-compute.json');
    const cpu = load('test/fixtures/lavapipe-memcopy-peak.json');
    expect(() => compareRuns(h100, cpu)).toThrow(/different devices/);
    const across = compareRuns(h100, cpu, undefined, true);
    const fma = across.cases.find((c) => c.key === 'peak/fma-f32');
    expect(fma?.metric).toBe('throughput');
    expect(fma?.throughputUnit).toBe('FLOP/s');
    // What each side measured, divided: the H100 does thousands of times the CPU adapter's FMA f32.
    const rate = (r: RunResult): number =>
      r.cases.find((c) => c.id === 'peak/fma-f32')?.compute?.achievedTflops ?? Number.NaN;
    expect(fma?.ratio).toBeCloseTo(rate(cpu) / rate(h100), 1);
    expect(fma?.ratio ?? 1).toBeLessThan(1 / 1000);
    expect(fma?.changePct).toBeNull();
    expect(fma?.verdict).toBe('slower');
    const same = compareRuns(h100, h100);
    expect(
      same.cases
        .filter((c) => c.verdict !== 'skipped')
        .every((c) => c.metric === 'timeNs' && c.verdict === 'unchanged'),
    ).toBe(true);
    // Two sizes of one key on one device: their times say nothing together, their throughputs do.
    const resized: RunResult = {
      ...h100,
      cases: h100.cases.map((c) =>
        c.id === 'matmul/tiled-f32/4096x4096x4096' ? { ...c, id: 'matmul/tiled-f32/2048x2048x2048' } : c,
      ),
    };
    const tiled = compareRuns(h100, resized).cases.find((c) => c.key === 'matmul/tiled-f32/square');
    expect(tiled?.metric).toBe('throughput');
    expect([tiled?.baseId, tiled?.newId]).toEqual([
      'matmul/tiled-f32/4096x4096x4096',
      'matmul/tiled-f32/2048x2048x2048',
    ]);
    // Without FLOPs or bytes two sizes have no common scale: not compared, said so.
    const bare = (r: RunResult): RunResult => ({
      ...r,
      cases: r.cases.map((c) => ({ ...c, compute: null, bandwidth: null })),
    });
    const noRate = compareRuns(bare(h100), bare(resized)).cases.find((c) => c.key === 'matmul/tiled-f32/square');
    expect([noRate?.metric, noRate?.verdict, noRate?.changePct]).toEqual(['timeNs', 'incomparable', null]);
  });
});

describe('a history database made before keys existed', () => {
  // Written by main at 1b12a54 (`history add` of the two fixture runs), before cases carried a key.
  const MADE_BY_MAIN = join('test', 'fixtures', 'history-main-1b12a54.sqlite');

  it('opens with its runs and case ids unchanged, gates by id, and compares its two devices by key', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'wgbench-oldhist-')), 'history.sqlite');
    copyFileSync(MADE_BY_MAIN, db);
    const h100 = load(join('test', 'fixtures', 'h100-compute.json'));
    const documents = await withHistory(db, async (store) => {
      const runs = await store.listRuns();
      expect(runs.map((r) => r.cases).sort((x, y) => x - y)).toEqual([5, 16]);
      const h100Run = runs.find((r) => r.deviceKey.includes('h100'));
      const ids = (await store.runCases(h100Run?.id ?? -1)).map((c) => c.caseId).sort();
      expect(ids).toEqual(h100.cases.map((c) => c.id).sort());
      return Promise.all(runs.map(async (r) => JSON.parse((await store.runDocument(r.id)) ?? 'null') as unknown));
    });
    const [a, b] = documents.map((d, i) => parseRunResult(d, `run ${i}`));
    for (const run of [a, b]) for (const c of run?.cases ?? []) expect(keyOfCase(c)).not.toMatch(/\d{3,}/);
    // Both devices ran the FMA f32 peak: matched by key across them, compared by throughput.
    const rows = compareRuns(a as RunResult, b as RunResult, undefined, true).cases;
    expect(rows.find((r) => r.key === 'peak/fma-f32')?.metric).toBe('throughput');
    // The stored lavapipe run is the history baseline of the same run a minute later: matched by id, nothing regressed.
    const later = load(join('test', 'fixtures', 'lavapipe-memcopy-peak.json'));
    later.startedAt = new Date(Date.parse(later.startedAt) + 60_000).toISOString();
    const file = join(dirname(db), 'later.json');
    writeFileSync(file, JSON.stringify(later));
    const gate = await runCli(['gate', file, '--history', '--db', db]);
    expect(gate.code, gate.out).toBe(0);
    expect(gate.out).toMatch(/regression_timeNs_memcopy\/copy\/bytes=134217728 +│ PASSED/);
  });
});

describe('what a case declares', () => {
  it('attention on the matrix units reports MFU against the matrix-unit peak', () => {
    const h100 = load('test/fixtures/h100-compute.json');
    const plans = createAttentionSuite().plan(planningContext(H100_INFO));
    const matrix = plans.filter((p) => String(p.params['kind']).startsWith('flash-subgroup-matrix'));
    expect(matrix.length).toBeGreaterThan(0);
    for (const p of plans) expect(p.work?.unit, p.id).toBe(ATTENTION_PEAK_UNIT[p.params['kind'] as AttentionKind]);
    const peaks = h100.peaks?.datasheet ?? null;
    const [plan] = matrix;
    if (peaks === null || plan === undefined) throw new Error('the recorded H100 run has datasheet peaks');
    const work = {
      flops: plan.work?.flopsPerDispatch ?? 0,
      unit: plan.work?.unit ?? null,
      bytes: plan.bytesPerDispatch,
      timeS: 1e-3,
    };
    const u = utilizationAgainst('datasheet', peaks, work);
    const matrixPeak = peaks.compute.matrixF16?.tflops ?? Number.NaN;
    expect(plan.work?.unit).toBe('matrixF16');
    expect(u.mfu).toBeCloseTo(work.flops / 1e-3 / 1e12 / matrixPeak, 9);
    expect(u.peakTflops).not.toBe(peaks.compute.fp32?.tflops);
    // The vector kernels stay on the FP32 peak.
    expect(plans.filter((p) => p.params['kind'] === 'flash').every((p) => p.work?.unit === 'fp32')).toBe(true);
  });

  it('plans no matmul case that no device could run; what is skipped is what this adapter lacks', () => {
    for (const info of [H100_INFO, LAVAPIPE_INFO]) {
      for (const quick of [true, false]) {
        const plans = createMatmulSuite().plan(planningContext(info, quick));
        for (const p of plans) {
          const s = { M: Number(p.params['M']), N: Number(p.params['N']), K: Number(p.params['K']), label: '' };
          expect(matmulShapeRule(p.params['variant'] as MatmulVariant, s), p.id).toBeNull();
          expect(p.skipReason ?? '', p.id).not.toMatch(/GEMV kernel takes 1 to 8 rows|fills no tile/);
        }
        expect(plans.some((p) => p.params['variant'] === 'gemv-f32' && p.params['M'] !== 1)).toBe(false);
        expect(plans.some((p) => p.params['variant'] === 'tiled-f32' && p.params['M'] === 1)).toBe(false);
      }
    }
    // Named explicitly, an impossible pair is still planned, so the user reads why it cannot run.
    const asked = createMatmulSuite({
      shapes: [{ M: 256, N: 256, K: 256, label: '256³' }],
      variants: ['gemv-f32'],
    }).plan(planningContext(LAVAPIPE_INFO));
    expect(asked[0]?.skipReason).toMatch(/GEMV kernel takes 1 to 8 rows/);
  });
});

describe('the gate pairs cases as compare does', () => {
  it("across devices, the base's throughput is applied to this run's work, never its time for other work", () => {
    const h100 = load('test/fixtures/h100-compute.json');
    const cpu = load('test/fixtures/lavapipe-memcopy-peak.json');
    const config = gateConfigSchema.parse({});
    const baseline = baselineFromRun(h100, 'h100', cpu);
    const fma = (r: RunResult): CaseResult => r.cases.find((c) => c.id === 'peak/fma-f32') as CaseResult;
    const h100Rate = fma(h100).compute?.achievedTflops ?? Number.NaN;
    // The H100 doing the CPU case's FLOPs at its own rate: thousands of times less time.
    const expected = ((fma(cpu).compute?.flopsPerDispatch ?? 0) / (h100Rate * 1e12)) * 1e9;
    expect(percentile(baseline.samplesNs.get('peak/fma-f32') ?? [], 50)).toBeCloseTo(expected, -1);
    const result = evaluateGates(cpu, config, baseline).results.find(
      (r) => r.name === 'regression_timeNs_peak/fma-f32',
    );
    expect(result?.status).toBe('FAILED');
    expect(result?.expected ?? 0).toBeLessThan((fma(cpu).summary?.p50 ?? 0) / 1000);
    // The same run as its own baseline: every time kept as measured, nothing regresses.
    const self = baselineFromRun(cpu, 'self', cpu);
    expect(self.samplesNs.get('peak/fma-f32')).toEqual(perDispatchSamples(fma(cpu)));
    const own = evaluateGates(cpu, config, self).results.filter((r) => r.name.startsWith('regression_'));
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((r) => r.status === 'PASSED')).toBe(true);
  });
});
