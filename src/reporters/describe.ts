import type { DeviceInfo } from '../gpu/adapterInfo.js';
import type { TimerInfo } from '../gpu/timer.js';
import type { CaseResult } from '../results/schema.js';
import { formatNs, formatNumber } from './format.js';

export function describeDevice(info: Pick<DeviceInfo, 'description' | 'device' | 'vendor' | 'architecture' | 'backend' | 'adapterClass' | 'featureLevel'>): string {
  const name = info.description || info.device || [info.vendor, info.architecture].filter((x) => x !== '').join(' ') || 'unknown device';
  return `${name} [${info.vendor || '?'} / ${info.architecture || '?'}] via ${info.backend} (${info.adapterClass === 'cpu' ? 'CPU adapter' : 'GPU'}, ${info.featureLevel})`;
}

export function describeTimer(t: TimerInfo): string {
  const q = t.quantized ? `, QUANTIZED to ${formatNs(t.resolutionNs)}` : '';
  return `${t.kind} (resolution ${formatNs(t.resolutionNs)}${q})`;
}

/** FLOP/s with a unit that keeps three significant figures readable, from GFLOP/s to TFLOP/s. */
export function formatFlops(tflops: number, integer = false): string {
  const unit = integer ? 'OP/s' : 'FLOP/s';
  return tflops >= 1 ? `${tflops.toFixed(1)} T${unit}` : `${(tflops * 1000).toPrecision(3)} G${unit}`;
}


/**
 * What a case achieved, in the unit of its work: FLOP/s, OP/s for integer work, GB/s for
 * bandwidth-only cases; null when it measured neither. The table and the progress line share it.
 */
export function describeAchieved(c: Pick<CaseResult, 'compute' | 'bandwidth'>): string | null {
  if (c.compute) return formatFlops(c.compute.achievedTflops, c.compute.unit === 'matrixInt8' || c.compute.unit === 'int8Dot4');
  if (c.bandwidth) return `${formatNumber(c.bandwidth.medianGBps)} GB/s`;
  return null;
}
