import { MetricError, requireNonNegativeInteger } from './errors.js';
import { BaseMetric, MetricType } from './types.js';

export interface MemoryResult {
  currentGpuBytes: number;
  peakGpuBytes: number;
  liveAllocations: number;
  totalAllocations: number;
  /** Resident set size of the host process; null where the platform cannot tell (a browser tab). */
  hostRssBytes: number | null;
}

/**
 * Bytes of GPU buffers the runner allocated (WebGPU does not report device memory, so this counts
 * what we asked for), plus the host process's RSS from an injected reader.
 */
export class MemoryMetric extends BaseMetric<MemoryResult> {
  readonly name = 'memory';
  readonly unit = 'bytes';
  readonly metricType = MetricType.MEMORY;

  private readonly live = new Map<string, number>();
  private current = 0;
  private peak = 0;
  private total = 0;
  private readonly readHostRss: () => number | null;

  constructor(readHostRss: () => number | null = () => null) {
    super();
    this.readHostRss = readHostRss;
  }

  trackAllocation(id: string, bytes: number): void {
    requireNonNegativeInteger('bytes', bytes);
    if (this.live.has(id)) throw new MetricError('INVALID_ARGUMENT', `memory: allocation "${id}" is already live`);
    this.live.set(id, bytes);
    this.current += bytes;
    this.total += 1;
    this.peak = Math.max(this.peak, this.current);
  }

  trackFree(id: string): void {
    const bytes = this.live.get(id);
    if (bytes === undefined) throw new MetricError('INVALID_ARGUMENT', `memory: allocation "${id}" is not live`);
    this.live.delete(id);
    this.current -= bytes;
  }

  compute(): MemoryResult {
    return {
      currentGpuBytes: this.current,
      peakGpuBytes: this.peak,
      liveAllocations: this.live.size,
      totalAllocations: this.total,
      hostRssBytes: this.readHostRss(),
    };
  }
}
