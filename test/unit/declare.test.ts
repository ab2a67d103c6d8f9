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
import { createMemcopySuite } from '../../src/suites/memcopy.js';
import { H100_INFO, LAVAPIPE_INFO } from '../helpers/tuneDevices.js';

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
});
