import type { RunResult } from '../results/schema.js';
import { describeNoise, deviceTitle } from './describe.js';

/** One entry of github-action-benchmark's custom JSON format. */
export interface BenchmarkEntry {
  name: string;
  unit: string;
  value: number;
  range?: string;
  extra?: string;
}

/**
 * For github-action-benchmark: `bigger` gives rates (GB/s, TFLOP/s) for `customBiggerIsBetter`,
 * `smaller` gives the median time per dispatch for `customSmallerIsBetter`.
 */
export function renderGithubBenchmark(run: RunResult, kind: 'bigger' | 'smaller'): string {
  const entries: BenchmarkEntry[] = [];
  for (const c of run.cases) {
    if (c.status !== 'ok' || c.summary === null) continue;
    const noise = describeNoise(c);
    const noiseText = noise === null ? '' : `noise ${noise} (95% interval of the median), `;
    const extra =
      `median of ${c.summary.count} passes, ${noiseText}cv ` +
      `${c.summary.cv === null ? '—' : `${(c.summary.cv * 100).toFixed(1)}%`}, timer ${run.timer.kind}, ` +
      deviceTitle(run.device);
    if (kind === 'smaller') {
      entries.push({
        name: c.id,
        unit: 'ns',
        value: c.summary.p50,
        range: `${c.summary.min.toFixed(0)}–${c.summary.max.toFixed(0)}`,
        extra,
      });
    } else if (c.compute) {
      const int = c.compute.unit.includes('nt8');
      entries.push({
        name: c.id,
        unit: int ? 'TOP/s' : 'TFLOP/s',
        value: c.compute.achievedTflops,
        range: `± ${((c.compute.achievedTflops * (c.summary.iqr / c.summary.p50)) / 2).toPrecision(3)}`,
        extra,
      });
    } else if (c.bandwidth) {
      entries.push({
        name: c.id,
        unit: 'GB/s',
        value: c.bandwidth.medianGBps,
        range: `${c.bandwidth.minGBps.toFixed(1)}–${c.bandwidth.maxGBps.toFixed(1)}`,
        extra: `${extra}, bytes counted ${c.bandwidth.bytesCounted}`,
      });
    }
  }
  return `${JSON.stringify(entries, null, 2)}\n`;
}
