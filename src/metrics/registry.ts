import { MetricError } from './errors.js';
import { KVCacheMetric } from './kvCache.js';
import { LatencyMetric, LatencyPercentilesMetric } from './latency.js';
import { MemoryMetric } from './memory.js';
import { MBUMetric, MFUMetric } from './mfu.js';
import { DecodeThroughputMetric, ThroughputMetric } from './throughput.js';
import type { Metric } from './types.js';

export type MetricFactory = () => Metric<unknown>;

/** Name → factory. A value you build and pass around; there is no global registry. */
export class MetricRegistry {
  private readonly factories = new Map<string, MetricFactory>();

  register(name: string, factory: MetricFactory): this {
    if (this.factories.has(name)) throw new MetricError('INVALID_ARGUMENT', `metric "${name}" is already registered`);
    this.factories.set(name, factory);
    return this;
  }

  /** A fresh instance each call, so metrics never share state between runs. */
  get(name: string): Metric<unknown> {
    const factory = this.factories.get(name);
    if (factory === undefined) {
      throw new MetricError('INVALID_ARGUMENT', `unknown metric "${name}"; known: ${this.listAll().join(', ')}`);
    }
    return factory();
  }

  has(name: string): boolean {
    return this.factories.has(name);
  }

  listAll(): string[] {
    return [...this.factories.keys()];
  }
}

export function createDefaultRegistry(): MetricRegistry {
  return new MetricRegistry()
    .register('throughput', () => new ThroughputMetric())
    .register('decode_throughput', () => new DecodeThroughputMetric())
    .register('latency', () => new LatencyMetric())
    .register('latency_percentiles', () => new LatencyPercentilesMetric())
    .register('memory', () => new MemoryMetric())
    .register('kv_cache', () => new KVCacheMetric())
    .register('mfu', () => new MFUMetric())
    .register('mbu', () => new MBUMetric());
}
