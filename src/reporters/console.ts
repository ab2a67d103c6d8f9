import Table from 'cli-table3';
import pc from 'picocolors';
import type { DeviceInfo } from '../gpu/adapterInfo.js';
import type { TimerInfo } from '../gpu/timer.js';
import type { CaseResult, RunResult } from '../results/schema.js';
import { formatBytes, formatNs, formatNumber } from './format.js';

export interface ConsoleStyle {
  color: boolean;
}

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function shouldUseColor(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  return stream.isTTY === true && (env['NO_COLOR'] ?? '') === '';
}

function painter(style: ConsoleStyle): ReturnType<typeof pc.createColors> {
  return pc.createColors(style.color);
}

export function describeDevice(info: DeviceInfo): string {
  const name = info.description || info.device || 'unknown device';
  return `${name} [${info.vendor || '?'} / ${info.architecture || '?'}] via ${info.backend} (${info.adapterClass === 'cpu' ? 'CPU adapter' : 'GPU'}, ${info.featureLevel})`;
}

export function describeTimer(t: TimerInfo): string {
  const q = t.quantized ? `, QUANTIZED to ${formatNs(t.resolutionNs)}` : '';
  return `${t.kind} (resolution ${formatNs(t.resolutionNs)}${q})`;
}

function statusCell(c: CaseResult, p: ReturnType<typeof pc.createColors>): string {
  switch (c.status) {
    case 'ok':
      return p.green('ok');
    case 'failed':
      return p.red('FAILED');
    case 'error':
      return p.red('ERROR');
    case 'skipped':
      return p.yellow('skipped');
  }
}

/** One table per suite, with the device and timer on top. */
export function renderRunTable(run: RunResult, style: ConsoleStyle): string {
  const p = painter(style);
  const lines = [
    p.bold(`wgbench ${run.tool.version} — ${run.status}`),
    `device: ${describeDevice(run.device)}`,
    `timer:  ${describeTimer(run.timer)}`,
  ];
  const suites = [...new Set(run.cases.map((c) => c.suite))];
  for (const suite of suites) {
    const table = new Table({
      head: ['case', 'status', 'check', 'median/dispatch', 'spread (IQR)', 'GB/s median', 'GB/s min–max', 'passes', 'bytes counted'],
      style: { head: style.color ? ['cyan'] : [], border: style.color ? ['grey'] : [] },
    });
    for (const c of run.cases.filter((x) => x.suite === suite)) {
      const s = c.summary;
      const b = c.bandwidth;
      table.push([
        c.name,
        statusCell(c, p),
        c.check === null ? '—' : c.check.passed ? 'pass' : 'FAIL',
        s === null ? '—' : formatNs(s.p50),
        s === null ? '—' : `${formatNs(s.iqr)} (${s.cv === null ? '—' : `cv ${(s.cv * 100).toFixed(1)}%`})`,
        b === null ? '—' : formatNumber(b.medianGBps),
        b === null ? '—' : `${formatNumber(b.minGBps)}–${formatNumber(b.maxGBps)}`,
        c.summary === null ? '—' : `${c.samplesNs.length}×${c.dispatchesPerPass ?? 1}`,
        b === null ? '—' : `${b.bytesCounted} ${formatBytes(b.bytesPerDispatch)}`,
      ]);
    }
    lines.push('', p.bold(suite), table.toString());
    for (const c of run.cases.filter((x) => x.suite === suite && x.message !== undefined)) {
      lines.push(`${c.status === 'skipped' ? p.yellow('skipped') : p.red(c.status)} ${c.id}: ${c.message ?? ''}`);
    }
  }
  if (run.message !== undefined) lines.push('', p.yellow(run.message));
  return lines.join('\n');
}
