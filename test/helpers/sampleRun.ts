import { MetricSummary } from '../../src/metrics/summary.js';
import { RESULT_SCHEMA_VERSION, type RunResult } from '../../src/results/schema.js';

const MiB = 1024 * 1024;

/** A small recorded run (one ok case, one failed) for reporter and schema tests. */
export function sampleRun(): RunResult {
  const samples = [400_000, 410_000, 395_000, 420_000, 405_000];
  const summary = MetricSummary.fromValues('timePerDispatch', samples, 'ns');
  const timer = {
    kind: 'timestamp-query' as const,
    method: 'pass timestampWrites',
    resolutionNs: 1,
    quantized: false,
    rawTimestampsSeen: 24,
  };
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    tool: { name: 'wgbench', version: '0.1.0' },
    status: 'complete',
    startedAt: '2026-11-27T17:00:00.000Z',
    finishedAt: '2026-11-27T17:00:05.000Z',
    platform: { runtime: 'node v20', os: 'linux-x64' },
    device: {
      vendor: 'mesa',
      architecture: 'software',
      device: 'llvmpipe',
      description: 'llvmpipe: Mesa 25.0.7',
      backend: 'vulkan',
      featureLevel: 'core',
      adapterClass: 'cpu',
      isFallbackAdapter: true,
      subgroupMinSize: 8,
      subgroupMaxSize: 8,
      adapterFeatures: ['timestamp-query'],
      deviceFeatures: ['timestamp-query'],
      limits: { maxStorageBufferBindingSize: 128 * MiB },
      subgroupMatrixConfigs: [],
      toggles: { enabled: ['allow_unsafe_apis'], disabled: ['timestamp_quantization'] },
    },
    timer,
    options: { suites: ['memcopy'], quick: true, passes: 5, warmupPasses: 1, targetPassMs: 20, seed: 42 },
    memory: { peakGpuBytes: 2 * MiB, hostRssBytes: 100 * MiB },
    cases: [
      {
        id: 'memcopy/copy/bytes=1048576',
        suite: 'memcopy',
        name: 'copy 1 MiB',
        params: { kernel: 'copy', bufferBytes: MiB },
        status: 'ok',
        check: {
          passed: true,
          method: 'exact-u32',
          compared: MiB / 4,
          mismatches: 0,
          maxRelError: null,
          detail: 'all match',
        },
        dispatchesPerPass: 1,
        warmupPasses: 1,
        invalidSamples: 0,
        samplesNs: samples,
        summary,
        timer,
        bandwidth: {
          bytesPerDispatch: 2 * MiB,
          bytesCounted: 'read+write',
          medianGBps: (2 * MiB) / summary.p50,
          minGBps: (2 * MiB) / summary.max,
          maxGBps: (2 * MiB) / summary.min,
        },
        startedAt: '2026-11-27T17:00:01.000Z',
        durationMs: 900,
      },
      {
        id: 'memcopy/read/bytes=1048576',
        suite: 'memcopy',
        name: 'read 1 MiB',
        params: { kernel: 'read', bufferBytes: MiB },
        status: 'failed',
        message: 'output does not match the reference: 4 of 4 u32 words differ',
        check: {
          passed: false,
          method: 'exact-u32-wrapping-sum',
          compared: 4,
          mismatches: 4,
          maxRelError: null,
          detail: '4 of 4 u32 words differ',
        },
        dispatchesPerPass: null,
        warmupPasses: 0,
        invalidSamples: 0,
        samplesNs: [],
        summary: null,
        timer: null,
        bandwidth: null,
        startedAt: '2026-11-27T17:00:02.000Z',
        durationMs: 300,
      },
    ],
  };
}

/**
 * A case given other timed samples, as a real run would record them: its summary and bandwidth
 * recomputed from the samples (results files whose summary disagrees with the samples are refused).
 */
export function withSamples<C extends RunResult['cases'][number]>(c: C, samplesNs: number[]): C {
  const summary = MetricSummary.fromValues(
    'timePerDispatch',
    samplesNs.map((s) => s / (c.dispatchesPerPass ?? 1)),
    'ns',
  );
  const bandwidth = c.bandwidth
    ? {
        ...c.bandwidth,
        medianGBps: c.bandwidth.bytesPerDispatch / summary.p50,
        minGBps: c.bandwidth.bytesPerDispatch / summary.max,
        maxGBps: c.bandwidth.bytesPerDispatch / summary.min,
      }
    : c.bandwidth;
  return { ...c, samplesNs, summary, bandwidth };
}
