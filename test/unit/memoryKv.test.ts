import { describe, expect, it } from 'vitest';
import { KVCacheMetric } from '../../src/metrics/kvCache.js';
import { MemoryMetric } from '../../src/metrics/memory.js';

describe('MemoryMetric', () => {
  it('tracks current and peak bytes of live allocations and reads host RSS', () => {
    const m = new MemoryMetric(() => 123);
    m.trackAllocation('a', 100);
    m.trackAllocation('b', 50);
    m.trackFree('a');
    m.trackAllocation('c', 20);
    expect(m.compute()).toEqual({
      currentGpuBytes: 70,
      peakGpuBytes: 150,
      liveAllocations: 2,
      totalAllocations: 3,
      hostRssBytes: 123,
    });
  });

  it('says null when the platform cannot read RSS, and refuses double allocation or unknown frees', () => {
    const m = new MemoryMetric();
    expect(m.compute().hostRssBytes).toBeNull();
    m.trackAllocation('a', 1);
    expect(() => {
      m.trackAllocation('a', 1);
    }).toThrow(/already live/);
    expect(() => {
      m.trackFree('zzz');
    }).toThrow(/not live/);
    expect(() => {
      m.trackAllocation('b', -4);
    }).toThrow(/>= 0/);
  });
});

describe('KVCacheMetric', () => {
  it('computes hit rate over looked-up tokens, prefix hit rate, reuse and per-tier usage', () => {
    const kv = new KVCacheMetric({ blockTokens: 16 });
    kv.recordHit(48, 'HBM');
    kv.recordHit(16, 'DDR');
    kv.recordMiss(64);
    kv.recordPrefixLookup(true);
    kv.recordPrefixLookup(false);
    kv.recordPrefixLookup(true);
    kv.recordReuse(64, 128);
    kv.updateTierUsage('HBM', 2e9, 80e9);
    kv.updateTierUsage('DDR', 5e8);
    kv.recordMigration(4096, 'HBM', 'DDR');
    kv.recordMigration(4096, 'HBM', 'DDR');
    kv.recordMigration(1000, 'DDR', 'NVMe');
    const r = kv.compute();
    expect(r.hitRate).toBe(0.5);
    expect(r.prefixHitRate).toBeCloseTo(2 / 3, 12);
    expect(r.reuseRatio).toBe(0.5);
    expect([r.hbmUsedGB, r.ddrUsedGB, r.nvmeUsedGB, r.totalUsedGB]).toEqual([2, 0.5, 0, 2.5]);
    expect(r.tiers.HBM).toEqual({ usedBytes: 2e9, capacityBytes: 80e9, hitTokens: 48 });
    expect(r.tiers.DDR.hitTokens).toBe(16);
    expect(r.migrationCount).toBe(3);
    expect(r.migrationBytes).toBe(9192);
    expect(r.migrations).toEqual([
      { from: 'HBM', to: 'DDR', count: 2, bytes: 8192 },
      { from: 'DDR', to: 'NVMe', count: 1, bytes: 1000 },
    ]);
    expect(r.blockTokens).toBe(16);
  });

  it('reports null rates when nothing was looked up (the original reported 0)', () => {
    const r = new KVCacheMetric().compute();
    expect([r.hitRate, r.prefixHitRate, r.reuseRatio, r.blockTokens]).toEqual([null, null, null, null]);
    expect(r.migrationCount).toBe(0);
  });

  it('refuses impossible input', () => {
    const kv = new KVCacheMetric();
    expect(() => {
      kv.recordReuse(5, 4);
    }).toThrow(/exceeds/);
    expect(() => {
      kv.recordMigration(10, 'HBM', 'HBM');
    }).toThrow(/two tiers/);
    expect(() => {
      kv.setBlockTokens(0);
    }).toThrow(/>= 1/);
    expect(() => {
      kv.recordHit(-1);
    }).toThrow(/>= 0/);
  });
});
