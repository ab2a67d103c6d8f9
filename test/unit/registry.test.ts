import { describe, expect, it } from 'vitest';
import { createDefaultRegistry, MetricRegistry } from '../../src/metrics/registry.js';
import { ThroughputMetric } from '../../src/metrics/throughput.js';

describe('MetricRegistry', () => {
  it('the default registry holds the original module’s metrics under their names', () => {
    const reg = createDefaultRegistry();
    expect(reg.listAll()).toEqual([
      'throughput',
      'decode_throughput',
      'latency',
      'latency_percentiles',
      'memory',
      'kv_cache',
      'mfu',
      'mbu',
    ]);
    for (const name of reg.listAll()) expect(reg.get(name).name).toBe(name);
  });

  it('hands out a fresh instance each time, and registries do not share state', () => {
    const a = createDefaultRegistry();
    expect(a.get('throughput')).not.toBe(a.get('throughput'));
    const b = new MetricRegistry().register('custom', () => new ThroughputMetric());
    expect(b.has('custom')).toBe(true);
    expect(a.has('custom')).toBe(false);
  });

  it('names the known metrics when asked for an unknown one, and refuses duplicates', () => {
    expect(() => createDefaultRegistry().get('nope')).toThrow(/unknown metric "nope"; known: throughput/);
    expect(() => createDefaultRegistry().register('mfu', () => new ThroughputMetric())).toThrow(/already registered/);
  });
});
