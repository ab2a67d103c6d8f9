import { makeTable } from '../reporters/console.js';
import { PEAK_UNITS, PEAK_UNIT_LABEL } from '../probe/peaks.js';
import type { RunPeaks } from '../results/schema.js';
import type { CalibrationProfile } from '../probe/calibration.js';

/**
 * Calibrated and datasheet peaks side by side, with the ratio and where each number came from;
 * with a profile's best kernels, what wgbench's own best kernel per unit reached, and its share of
 * the calibrated (issued) peak.
 */
export function renderPeaks(peaks: RunPeaks, color: boolean, bestKernels?: CalibrationProfile['bestKernels']): string {
  const withKernels = bestKernels !== undefined && bestKernels.length > 0;
  const table = makeTable(
    [
      'peak',
      'calibrated',
      'datasheet',
      'calibrated ÷ datasheet',
      ...(withKernels ? ['best kernel', 'of calibrated'] : []),
    ],
    color,
  );
  const cell = (v: number | undefined, unit: string): string => (v === undefined ? '—' : `${v.toPrecision(4)} ${unit}`);
  const ratio = (a: number | undefined, b: number | undefined): string =>
    a === undefined || b === undefined ? '—' : `${((a / b) * 100).toFixed(1)}%`;
  for (const unit of PEAK_UNITS) {
    const c = peaks.calibrated?.compute[unit]?.tflops;
    const d = peaks.datasheet?.compute[unit]?.tflops;
    if (c === undefined && d === undefined) continue;
    const u = unit.includes('nt8') ? 'TOP/s' : 'TFLOP/s';
    const k = bestKernels?.find((b) => b.unit === unit);
    table.push([
      PEAK_UNIT_LABEL[unit],
      cell(c, u),
      cell(d, u),
      ratio(c, d),
      ...(withKernels ? [k === undefined ? '—' : `${cell(k.value, u)} (${k.caseId})`, ratio(k?.value, c)] : []),
    ]);
  }
  const cb = peaks.calibrated?.bandwidth?.gbps;
  const db = peaks.datasheet?.bandwidth?.gbps;
  table.push([
    'memory bandwidth',
    cell(cb, 'GB/s'),
    cell(db, 'GB/s'),
    ratio(cb, db),
    ...(withKernels ? ['—', '—'] : []),
  ]);
  const sources = [
    peaks.calibrated
      ? `calibrated: measured ` +
        `${peaks.calibrated.measuredAt}${peaks.calibrated.file ? ` (${peaks.calibrated.file})` : ''}`
      : 'calibrated: none yet — run `wgbench calibrate`',
    peaks.datasheet
      ? `datasheet: ${peaks.datasheet.name} — ` +
        [
          ...new Set([
            ...Object.values(peaks.datasheet.compute).map((p) => p.source),
            peaks.datasheet.bandwidth?.source ?? '',
          ]),
        ]
          .filter((s) => s !== '')
          .join('; ')
      : 'datasheet: this device is not in the table; calibration alone supplies its peaks',
  ];
  return `${table.toString()}\n${sources.join('\n')}`;
}
