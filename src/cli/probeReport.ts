import pc from 'picocolors';
import type { AcquiredDevice } from '../gpu/acquire.js';
import type { TimerInfo } from '../gpu/timer.js';
import { describeDevice, describeTimer } from '../reporters/console.js';
import { formatBytes } from '../reporters/format.js';
import type { RunPeaks } from '../results/schema.js';
import { renderPeaks } from './calibrate.js';

export interface ProbeReport {
  device: AcquiredDevice['info'];
  timer: TimerInfo;
  tried: string[];
  calibrationKey: string;
  peaks: RunPeaks;
}

const KEY_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
];

export function renderProbe(report: ProbeReport, color: boolean): string {
  const p = pc.createColors(color);
  const d = report.device;
  const lines = [
    p.bold('Adapter'),
    `  ${describeDevice(d)}`,
    `  vendor ${d.vendor || '?'}, architecture ${d.architecture || '?'}, device ${d.device || '?'}`,
    `  fallback adapter: ${d.isFallbackAdapter ? 'yes' : 'no'}; subgroup size ` +
      `${d.subgroupMinSize ?? '?'}–${d.subgroupMaxSize ?? '?'}`,
    `  toggles: enabled [${d.toggles.enabled.join(', ')}], disabled [${d.toggles.disabled.join(', ')}]`,
    p.bold('Timer'),
    `  ${describeTimer(report.timer)}`,
    `  ${report.timer.method}`,
    ...(report.timer.kind === 'cpu-submit-to-done'
      ? [p.yellow('  fallback: no timestamp-query, samples include submission latency')]
      : []),
    p.bold('Features (device)'),
    `  ${d.deviceFeatures.join(', ') || 'none'}`,
    p.bold('Features (adapter)'),
    `  ${d.adapterFeatures.join(', ')}`,
    p.bold('Limits'),
    ...KEY_LIMITS.map((k) => {
      const v = d.limits[k];
      return `  ${k}: ${v === undefined ? '?' : k.endsWith('Size') && v >= 1024 ? `${v} (${formatBytes(v)})` : v}`;
    }),
    p.bold('Subgroup matrix configs'),
    ...(d.subgroupMatrixConfigs.length === 0
      ? ['  none']
      : d.subgroupMatrixConfigs.map((c) => `  ${JSON.stringify(c)}`)),
    p.bold('Adapters tried'),
    ...report.tried.map((t) => `  ${t}`),
    p.bold(`Peaks (calibration key ${report.calibrationKey})`),
    ...(report.peaks.datasheet === null && report.peaks.calibrated === null
      ? [p.yellow('  unknown device and not calibrated: run `wgbench calibrate` to measure its peaks')]
      : []),
    renderPeaks(report.peaks, color),
  ];
  return lines.join('\n');
}
