import { describe, expect, it } from 'vitest';
import {
  defineSuite,
  needsFeature,
  needsLimit,
  params,
  resolveSetting,
  unmetRequirement,
  type PlanContext,
} from '../../src/suites/declare.js';
import { createMatmulSuite } from '../../src/suites/matmul.js';
import { createMemcopySuite, MEMCOPY_TUNABLES } from '../../src/suites/memcopy.js';
import { memcopyFamily } from '../../src/tuning/families.js';
import { H100_INFO, LAVAPIPE_INFO, tuneLimits } from '../helpers/tuneDevices.js';

const on = (info: PlanContext['info'], quick = false): PlanContext => ({ info, quick });

describe('a suite declared by its axes', () => {
  it('combines axes in order, lets an axis depend on the row and the adapter, and filters what can never run', () => {
    const axes = params()
      .combine('dtype', ['f32', 'f16'] as const)
      .combine('size', (row, ctx) => (ctx.quick ? [64] : row.dtype === 'f16' ? [64, 128] : [64, 128, 256]))
      .expandWith(() => [
        { layout: 'row', vec: 4 },
        { layout: 'col', vec: 1 },
      ])
      .filter((row) => !(row.layout === 'col' && row.size === 256));
    expect(axes.rows(on(LAVAPIPE_INFO, true))).toEqual([
      { dtype: 'f32', size: 64, layout: 'row', vec: 4 },
      { dtype: 'f32', size: 64, layout: 'col', vec: 1 },
      { dtype: 'f16', size: 64, layout: 'row', vec: 4 },
      { dtype: 'f16', size: 64, layout: 'col', vec: 1 },
    ]);
    const full = axes.rows(on(LAVAPIPE_INFO));
    expect(full).toHaveLength(2 * 3 - 1 + 2 * 2);
    expect(full.some((r) => r.layout === 'col' && r.size === 256)).toBe(false);
  });

  it('words an unmet requirement the same way for every suite, and plans the case skipped with it', () => {
    const noF16 = { ...LAVAPIPE_INFO, adapterFeatures: [], deviceFeatures: [] };
    expect(unmetRequirement([needsFeature('shader-f16')], noF16)).toBe('needs shader-f16, which this adapter lacks');
    expect(unmetRequirement([needsFeature('shader-f16')], { ...noF16, adapterFeatures: ['shader-f16'] })).toBe(
      'needs shader-f16, which the adapter has but the device was created without',
    );
    expect(
      unmetRequirement([needsLimit('maxComputeWorkgroupStorageSize', 1 << 20, 'a 1 MiB tile')], H100_INFO),
    ).toMatch(/^a 1 MiB tile needs maxComputeWorkgroupStorageSize ≥ 1048576; this device has \d+$/);
    const matrix = {
      kind: 'subgroup-matrix',
      component: 'f16',
      result: 'f32',
      M: 16,
      N: 16,
      K: 16,
    } as const;
    expect(unmetRequirement([matrix], LAVAPIPE_INFO)).toMatch(/needs subgroup matrices .* which this adapter lacks/);
    expect(unmetRequirement([matrix], H100_INFO)).toBeNull();

    const suite = defineSuite({
      name: 'fixture',
      description: 'axes and requirements only',
      params: params().combine('dtype', ['f32', 'f16'] as const),
      requires: (row) => (row.dtype === 'f16' ? [needsFeature('shader-f16')] : []),
      id: (row) => `fixture/${row.dtype}`,
      key: (row) => `fixture/${row.dtype}`,
      title: (row) => row.dtype,
      work: () => ({ bytesPerDispatch: 16, bytesCounted: 'read+write' }),
      timing: 'gpu-pass',
      prepare: () => Promise.reject(new Error('not run here')),
    });
    const planned = suite.plan({
      ...on(noF16),
      device: {} as GPUDevice,
      seed: 1,
      loadKernel: () => Promise.reject(new Error('planning only')),
    });
    expect(planned.map((p) => [p.id, p.skipReason])).toEqual([
      ['fixture/f32', undefined],
      ['fixture/f16', 'needs shader-f16, which this adapter lacks'],
    ]);
  });

  it('concat joins two families of rows with axes of their own, in order', () => {
    const prefill = params()
      .combine('kind', ['flash', 'naive'] as const)
      .combine('T', [64]);
    const decode = params()
      .combine('kind', ['decode'] as const)
      .combine('T', [1]);
    expect(prefill.concat(decode).rows(on(LAVAPIPE_INFO))).toEqual([
      { kind: 'flash', T: 64 },
      { kind: 'naive', T: 64 },
      { kind: 'decode', T: 1 },
    ]);
  });

  it('resolves a tunable as tuned, else explicit, else default, and says which', () => {
    expect(resolveSetting(8, 4, () => 2)).toEqual({ value: 8, source: 'tuned' });
    expect(resolveSetting(undefined, 4, () => 2)).toEqual({ value: 4, source: 'explicit' });
    expect(resolveSetting(undefined, undefined, () => 2)).toEqual({ value: 2, source: 'default' });
    // memcopy takes its launch through it: a tuned launch keeps the case's id, an explicit one is named in it.
    const ctx = {
      ...on(LAVAPIPE_INFO, true),
      device: {} as GPUDevice,
      seed: 1,
      loadKernel: () => Promise.reject(new Error('planning only')),
    };
    const plan = (o: Parameters<typeof createMemcopySuite>[0]): [string, unknown][] =>
      createMemcopySuite({ sizesBytes: [1 << 20], kernels: ['copy'], ...o })
        .plan(ctx)
        .map((p) => [p.id, p.params['source']]);
    expect(plan({})).toEqual([['memcopy/copy/bytes=1048576', 'default']]);
    expect(plan({ workgroupSize: 64 })).toEqual([['memcopy/copy/bytes=1048576/wg=64/ept=4', 'explicit']]);
    expect(plan({ workgroupSize: 64, tuned: { copy: { workgroupSize: 128, elementsPerThread: 8 } } })).toEqual([
      ['memcopy/copy/bytes=1048576', 'tuned'],
    ]);
  });

  it("takes this device's tuning from the run's context, so no caller re-creates a suite to apply it", () => {
    const tile = { M: 64, N: 64, K: 8, vecM: 2, vecN: 2 };
    const tuned = {
      memcopy: { copy: { workgroupSize: 128, elementsPerThread: 8 } },
      tiles: { '256x256x256': tile },
      gemv: {},
      staged: {},
      flashTiles: {},
      sgmatStaged: {},
    };
    const ctx = (withTuning: boolean): Parameters<ReturnType<typeof createMemcopySuite>['plan']>[0] => ({
      ...on(LAVAPIPE_INFO, true),
      ...(withTuning ? { tuned } : {}),
      device: { features: new Set<string>(), limits: LAVAPIPE_INFO.limits } as unknown as GPUDevice,
      seed: 1,
      loadKernel: () => Promise.reject(new Error('planning only')),
    });
    const memcopy = createMemcopySuite({ sizesBytes: [1 << 20], kernels: ['copy', 'read'] });
    const launch = (withTuning: boolean): unknown[] =>
      memcopy
        .plan(ctx(withTuning))
        .map((p) => [p.params['source'], p.params['workgroupSize'], p.params['elementsPerThread']]);
    expect(launch(true)).toEqual([
      ['tuned', 128, 8],
      ['default', 256, 64],
    ]);
    expect(launch(false).map((l) => (l as unknown[])[0])).toEqual(['default', 'default']);
    const matmul = createMatmulSuite({ shapes: [{ M: 256, N: 256, K: 256, label: '256³' }], variants: ['tiled-f32'] });
    const tiled = (withTuning: boolean): unknown[] =>
      matmul.plan(ctx(withTuning)).map((p) => [p.params['source'], p.params['tile']]);
    expect(tiled(true)).toEqual([['tuned', '64x64x8/8x8']]);
    expect(tiled(false)).toEqual([['default', '128x128x8/8x8']]);
  });

  it("the tuner reads memcopy's tunables and their limits from the suite's declaration", () => {
    expect(memcopyFamily.parameters).toBe(MEMCOPY_TUNABLES);
    expect(createMemcopySuite().declaration.tunables).toBe(MEMCOPY_TUNABLES);
    // A device of 256 invocations per workgroup: the tuner rules out 512 with the reason a run would skip it for.
    const device = { info: LAVAPIPE_INFO, limits: tuneLimits(32768, 256), quick: true };
    const [copy] = memcopyFamily.targets(device);
    if (copy === undefined) throw new Error('no memcopy target');
    const why = (workgroupSize: number): string | null =>
      memcopyFamily.unsupported({ workgroupSize, elementsPerThread: 4 }, copy, device);
    expect(why(256)).toBeNull();
    expect(why(512)).toMatch(/workgroup size 512 must be a power of two within this device's 256/);
    expect(why(96)).toMatch(/workgroup size 96 must be a power of two/);
    const run = createMemcopySuite({ sizesBytes: [copy.problem['bytes'] ?? 0], kernels: ['copy'], workgroupSize: 512 });
    const planned = run.plan({
      info: { ...LAVAPIPE_INFO, limits: { ...LAVAPIPE_INFO.limits, maxComputeInvocationsPerWorkgroup: 256 } },
      quick: true,
      device: {} as GPUDevice,
      seed: 1,
      loadKernel: () => Promise.reject(new Error('planning only')),
    });
    expect(planned.map((p) => p.skipReason)).toEqual([why(512)]);
  });
});
