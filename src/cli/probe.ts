import pc from 'picocolors';
import type { AcquiredDevice } from '../gpu/acquire.js';
import { createPassTimer, type TimerInfo } from '../gpu/timer.js';
import { describeDevice, describeTimer } from '../reporters/console.js';
import { formatBytes } from '../reporters/format.js';
import type { RunPeaks } from '../results/schema.js';
import { renderPeaks } from './calibrate.js';

const TIMER_PROBE_PASSES = 8;

/** Times a few empty-ish passes so the probe can report the timer's kind, resolution and quantization. */
export async function probeTimer(device: GPUDevice): Promise<TimerInfo> {
  const timer = createPassTimer(device);
  try {
    const module = device.createShaderModule({ code: '@group(0) @binding(0) var<storage, read_write> b: array<u32>;\n@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) { b[g.x] = b[g.x] * 3u + g.x; }' });
    const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const buffer = device.createBuffer({ size: 64 * 1024 * 4, usage: GPUBufferUsage.STORAGE });
    const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer } }] });
    for (let i = 0; i < TIMER_PROBE_PASSES; i++) {
      await timer.timePass((pass) => {
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup);
        pass.dispatchWorkgroups(1024);
      });
    }
    buffer.destroy();
    return timer.info();
  } finally {
    timer.destroy();
  }
}

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
    `  fallback adapter: ${d.isFallbackAdapter ? 'yes' : 'no'}; subgroup size ${d.subgroupMinSize ?? '?'}–${d.subgroupMaxSize ?? '?'}`,
    `  toggles: enabled [${d.toggles.enabled.join(', ')}], disabled [${d.toggles.disabled.join(', ')}]`,
    p.bold('Timer'),
    `  ${describeTimer(report.timer)}`,
    `  ${report.timer.method}`,
    ...(report.timer.kind === 'cpu-submit-to-done' ? [p.yellow('  fallback: no timestamp-query, samples include submission latency')] : []),
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
    ...(d.subgroupMatrixConfigs.length === 0 ? ['  none'] : d.subgroupMatrixConfigs.map((c) => `  ${JSON.stringify(c)}`)),
    p.bold('Adapters tried'),
    ...report.tried.map((t) => `  ${t}`),
    p.bold(`Peaks (calibration key ${report.calibrationKey})`),
    ...(report.peaks.datasheet === null && report.peaks.calibrated === null ? [p.yellow('  unknown device and not calibrated: run `wgbench calibrate` to measure its peaks')] : []),
    renderPeaks(report.peaks, color),
  ];
  return lines.join('\n');
}
