import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcquiredDevice } from '../../src/gpu/acquire.js';
import type { KVCacheResult } from '../../src/metrics/kvCache.js';
import { nodeRunEnvironment } from '../../src/platform/node.js';
import { createNodeScratchStorage } from '../../src/platform/scratchStorage.js';
import { parseRunResult } from '../../src/results/schema.js';
import { runSuites } from '../../src/runner/run.js';
import { createKvTierSuite, KV_PATHS } from '../../src/suites/kvtier.js';
import type { ScratchStorage } from '../../src/suites/types.js';
import { realDevice } from '../helpers/gpu.js';
import { runCli } from '../helpers/cli.js';

let acquired: AcquiredDevice;
beforeAll(async () => {
  acquired = await realDevice();
});
afterAll(() => {
  acquired?.device.destroy();
});

const KiB = 1024;

describe('kvtier on a real adapter and a real disk', () => {
  it('times and verifies every path in both directions, runs the simulation, and leaves no scratch file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgbench-kv-'));
    const env = nodeRunEnvironment(acquired, createNodeScratchStorage(dir));
    const run = await runSuites(env, {
      suites: [createKvTierSuite({ model: 'tiny', sizesBytes: [64 * KiB, 1024 * KiB] })],
      quick: true,
    });
    const transfers = run.cases.filter((c) => !c.id.includes('simulation'));
    expect(new Set(transfers.map((c) => c.params['path']))).toEqual(new Set(KV_PATHS));
    for (const c of run.cases) {
      expect(c.status, `${c.id}: ${c.message ?? ''}`).toBe('ok');
      expect(c.check?.passed).toBe(true);
      expect(c.bandwidth?.medianGBps).toBeGreaterThan(0);
      expect(c.summary?.p99).toBeGreaterThanOrEqual(c.summary?.p50 ?? Infinity);
      expect(c.params['queueDepth'] ?? 1).toBeGreaterThanOrEqual(1);
    }
    const hostTimed = transfers.filter((c) => c.params['path'] !== 'hbm-gather');
    for (const c of hostTimed) {
      expect(c.timer?.kind).toBe('host-wall');
      expect(c.timingCheck?.passed).toBe(true);
      expect(c.timingCheck?.compared).toBeGreaterThanOrEqual(2);
    }
    expect(run.cases.find((c) => c.params['path'] === 'ddr-to-hbm-ring')?.params['queueDepth']).toBe(4);
    expect(run.cases.find((c) => c.params['path'] === 'nvme-to-ddr')?.extras?.['pageCache']).toMatch(/warm|dropped/);
    const sim = run.cases.find((c) => c.id.includes('simulation'));
    const kv = sim?.extras?.['kvCache'] as KVCacheResult;
    expect(kv.hitRate).toBeGreaterThan(0);
    expect(kv.prefixHitRate).toBeGreaterThan(0);
    expect(kv.migrationBytes).toBe(kv.migrationCount * (sim?.params['blockBytes'] as number));
    expect(kv.migrations.map((m) => `${m.from}->${m.to}`)).toContain('HBM->DDR');
    expect(kv.tiers.HBM.capacityBytes).toBeGreaterThan(0);
    expect(sim?.extras?.['migrationMsPerRequest']).toBeGreaterThan(0);
    expect(parseRunResult(JSON.parse(JSON.stringify(run)))).toEqual(run);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a transfer that corrupts data fails its check, and the scratch file is still removed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgbench-kv-'));
    const real = createNodeScratchStorage(dir);
    // A disk that flips one byte on every read: the checksum must catch it.
    const flaky: ScratchStorage = {
      location: dir,
      durability: real.durability,
      refuse: real.refuse,
      create: async (bytes) => {
        const f = await real.create(bytes);
        return {
          ...f,
          read: async (into, position) => {
            await f.read(into, position);
            into[7] = (into[7] ?? 0) ^ 0xff;
          },
        };
      },
    };
    const run = await runSuites(nodeRunEnvironment(acquired, flaky), {
      suites: [
        createKvTierSuite({
          model: 'tiny',
          sizesBytes: [64 * KiB],
          paths: ['nvme-to-ddr', 'ddr-to-nvme'],
          simulation: false,
        }),
      ],
      quick: true,
    });
    expect(run.cases.map((c) => c.status)).toEqual(['failed', 'failed']);
    expect(run.cases[0]?.message).toMatch(/checksum/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a scratch directory that cannot take the run, up front, naming the fix', async () => {
    const missing = join(tmpdir(), 'wgbench-no-such-dir', 'x');
    const r = await runCli(['run', '--suite', 'kvtier', '--quick', '--scratch-dir', missing]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/does not exist; create it or pass --scratch-dir DIR/);
    const storage = createNodeScratchStorage(tmpdir());
    expect(await storage.refuse(2 ** 60)).toMatch(/MiB free, the run needs .* pass --scratch-dir DIR on a larger disk/);
    expect(await createNodeScratchStorage('/etc/hostname').refuse(1)).toMatch(/is not a directory/);
    const badModel = await runCli(['run', '--suite', 'kvtier', '--model', 'gpt-9']);
    expect(badModel.code).toBe(2);
    expect(badModel.err).toMatch(/unknown model "gpt-9"; presets: llama-2-7b, llama-3-8b, tiny/);
  });
});
