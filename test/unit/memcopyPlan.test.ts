import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fillRandomU32 } from '../../src/gpu/buffers.js';
import { hostLastLevelCacheBytes } from '../../src/platform/node.js';
import {
  calibrationMemcopyLaunches,
  createMemcopySuite,
  dramThreshold,
  maxBindableBytes,
  planSizes,
  writePattern,
} from '../../src/suites/memcopy.js';
import type { SuiteContext } from '../../src/suites/types.js';

const MiB = 1024 * 1024;
const H100_LIMITS = {
  maxStorageBufferBindingSize: 2 ** 31 - 4,
  maxBufferSize: 2 ** 40,
  maxComputeInvocationsPerWorkgroup: 1024,
  maxComputeWorkgroupSizeX: 1024,
  maxComputeWorkgroupsPerDimension: 65535,
};
const LAVAPIPE_LIMITS = { ...H100_LIMITS, maxStorageBufferBindingSize: 128 * MiB, maxBufferSize: 2 ** 32 - 1 };

function ctx(limits: Record<string, number>, quick: boolean, adapterClass: 'gpu' | 'cpu'): SuiteContext {
  return {
    quick,
    seed: 1,
    loadKernel: () => Promise.reject(new Error('not in a plan')),
    device: {} as GPUDevice,
    info: { limits, adapterClass } as SuiteContext['info'],
  };
}

describe('memcopy planning', () => {
  it('plans a size sweep up to 1 GiB on an H100 and a single large size in quick mode', () => {
    expect(maxBindableBytes(H100_LIMITS)).toBe(2 ** 31 - 16);
    expect(planSizes(H100_LIMITS, false, false)).toEqual([1, 4, 16, 64, 256, 1024].map((m) => m * MiB));
    expect(planSizes(H100_LIMITS, true, false)).toEqual([1024 * MiB]);
  });

  it('stays inside a small binding limit and adds the largest bindable size', () => {
    expect(planSizes(LAVAPIPE_LIMITS, false, true)).toEqual([1, 4, 16, 64, 128].map((m) => m * MiB));
    expect(planSizes(LAVAPIPE_LIMITS, true, true)).toEqual([128 * MiB]);
  });

  it('plans copy, read and write per size with bytes counted per metrics.md', () => {
    const cases = createMemcopySuite({ sizesBytes: [64 * MiB, 512 * MiB] }).plan(ctx(H100_LIMITS, false, 'gpu'));
    expect(cases.map((c) => c.id)).toEqual([
      `memcopy/copy/bytes=${64 * MiB}`,
      `memcopy/read/bytes=${64 * MiB}`,
      `memcopy/write/bytes=${64 * MiB}`,
      `memcopy/copy/bytes=${512 * MiB}`,
      `memcopy/read/bytes=${512 * MiB}`,
      `memcopy/write/bytes=${512 * MiB}`,
    ]);
    const copy = cases[0];
    expect(copy?.bytesCounted).toBe('read+write');
    expect(copy?.bytesPerDispatch).toBe(128 * MiB);
    expect(cases[1]?.bytesPerDispatch).toBe(64 * MiB);
    expect(copy?.params['region']).toBe('cache-sweep');
    expect(cases[3]?.params['region']).toBe('dram');
    expect(copy?.params['workgroups']).toBe(4096);
  });

  it('skips sizes the device cannot bind, with the reason', () => {
    const cases = createMemcopySuite({ sizesBytes: [256 * MiB, 100], kernels: ['copy'] }).plan(
      ctx(LAVAPIPE_LIMITS, false, 'cpu'),
    );
    expect(cases[0]?.skipReason).toMatch(/exceeds this device's largest storage binding \(128 MiB\)/);
    expect(cases[1]?.skipReason).toMatch(/multiple of 16/);
  });

  it('uses more elements per thread for the read kernel on CPU adapters only', () => {
    const cpu = createMemcopySuite({ sizesBytes: [64 * MiB], kernels: ['read'] }).plan(
      ctx(LAVAPIPE_LIMITS, false, 'cpu'),
    );
    const gpu = createMemcopySuite({ sizesBytes: [64 * MiB], kernels: ['read'] }).plan(ctx(H100_LIMITS, false, 'gpu'));
    expect(cpu[0]?.params['elementsPerThread']).toBe(64);
    expect(gpu[0]?.params['elementsPerThread']).toBe(4);
  });

  it("calibrate's launch shapes: the copy kernel at each beside its own launch, none repeated or past limits", () => {
    const planned = (limits: Record<string, number>, tuned?: { workgroupSize: number; elementsPerThread: number }) =>
      createMemcopySuite({
        sizesBytes: [64 * MiB],
        probeLaunches: calibrationMemcopyLaunches(false),
        ...(tuned === undefined ? {} : { tuned: { copy: tuned } }),
      }).plan(ctx(limits, false, 'gpu'));
    const plans = planned(H100_LIMITS);
    const copies = plans.filter((p) => p.params['kernel'] === 'copy');
    // The device's own launch (256 × 4) keeps its id; the five other shapes get theirs, distinct keys too.
    expect(copies.map((p) => p.id)).toEqual([
      `memcopy/copy/bytes=${64 * MiB}`,
      ...['64/ept=1', '64/ept=4', '64/ept=16', '256/ept=1', '256/ept=16'].map(
        (s) => `memcopy/copy/bytes=${64 * MiB}/wg=${s}`,
      ),
    ]);
    expect(new Set(copies.map((p) => p.key)).size).toBe(copies.length);
    expect(copies.every((p) => p.skipReason === undefined)).toBe(true);
    // read and write are not probed.
    expect(plans.filter((p) => p.params['kernel'] !== 'copy')).toHaveLength(2);
    // A device limited to 64 invocations plans no 256-wide shape; a tuned launch stays the case's own.
    const small = planned({ ...H100_LIMITS, maxComputeInvocationsPerWorkgroup: 64, maxComputeWorkgroupSizeX: 64 });
    expect(small.filter((p) => p.params['kernel'] === 'copy').map((p) => p.params['workgroupSize'])).toEqual([
      64, 64, 64,
    ]);
    const tuned = planned(H100_LIMITS, { workgroupSize: 64, elementsPerThread: 16 });
    const tunedCopies = tuned.filter((p) => p.params['kernel'] === 'copy');
    expect(tunedCopies[0]?.params['source']).toBe('tuned');
    expect(tunedCopies.map((p) => p.id)).not.toContain(`memcopy/copy/bytes=${64 * MiB}/wg=64/ept=16`);
    expect(tunedCopies.map((p) => p.id)).toContain(`memcopy/copy/bytes=${64 * MiB}/wg=256/ept=4`);
    expect(calibrationMemcopyLaunches(true)).toHaveLength(3);
  });
});

describe('reference data', () => {
  it('random chunks are reproducible from the seed and offset, and differ between them', () => {
    const a = new Uint32Array(1024);
    const b = new Uint32Array(1024);
    fillRandomU32(7, 0, a);
    fillRandomU32(7, 0, b);
    expect(a).toEqual(b);
    fillRandomU32(8, 0, b);
    expect(a).not.toEqual(b);
    fillRandomU32(7, 4096, b);
    expect(a).not.toEqual(b);
    expect(new Set(a).size).toBeGreaterThan(1000);
  });

  it('the write pattern mirrors the WGSL: (((i·4) ^ seed) + lane) · 2654435761 mod 2³²', () => {
    expect(writePattern(0, 0, 0)).toBe(0);
    expect(writePattern(0, 1, 0)).toBe(2654435761);
    expect(writePattern(1, 0, 0)).toBe(Number((4n * 2654435761n) % 2n ** 32n));
    expect(writePattern(3, 2, 5)).toBe(Number((BigInt((12 ^ 5) + 2) * 2654435761n) % 2n ** 32n));
  });
});

describe('where a working set leaves the cache is decided from the device', () => {
  it(
    'a GPU: above the largest known LLC; a CPU adapter: twice the host LLC read from sysfs, else a stated ' + 'guess',
    () => {
      expect(dramThreshold({ adapterClass: 'gpu', hostCacheBytes: 32 * 2 ** 20 })).toMatchObject({
        bytes: 256 * 2 ** 20,
      });
      const cpu = dramThreshold({ adapterClass: 'cpu', hostCacheBytes: 32 * 2 ** 20 });
      expect(cpu.bytes).toBe(64 * 2 ** 20);
      expect(cpu.basis).toMatch(/twice the host CPU's last-level cache \(32/);
      expect(dramThreshold({ adapterClass: 'cpu', hostCacheBytes: null }).basis).toMatch(/a guess/);
    },
  );

  it('reads the highest-level cache from a sysfs layout', () => {
    const root = mkdtempSync(join(tmpdir(), 'wgbench-sysfs-'));
    for (const [i, level, size] of [
      [0, 1, '48K'],
      [2, 2, '2048K'],
      [3, 3, '32768K'],
    ] as const) {
      mkdirSync(join(root, `index${i}`));
      writeFileSync(join(root, `index${i}`, 'level'), `${level}\n`);
      writeFileSync(join(root, `index${i}`, 'size'), `${size}\n`);
    }
    expect(hostLastLevelCacheBytes(root)).toBe(32 * 2 ** 20);
    expect(hostLastLevelCacheBytes(join(root, 'missing'))).toBeNull();
  });
});
