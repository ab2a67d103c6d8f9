import { PEAK_UNITS, PEAK_UNIT_LABEL, type PeakSet, type PeakUnit } from '../probe/peaks.js';
import type { CaseResult, RunResult } from '../results/schema.js';
import { formatBytes, formatNs } from '../reporters/format.js';
import {
  byteTicks,
  decadeCeil,
  decadeFloor,
  formatScaled,
  linearTicks,
  logTicks,
  scaleFor,
  tidyNumber,
  type Tick,
  type UnitScale,
} from './units.js';

/**
 * What a chart shows, as plain data: axes with their titles, ranges and every tick already
 * labelled, series whose points carry their own tooltip text, annotation lines and labels, and the
 * same data as a table. The page and the HTML report draw these with one runtime (chartRuntime.ts),
 * so neither can label an axis differently from the other.
 */
export interface AxisSpec {
  title: string;
  type: 'linear' | 'logarithmic' | 'category';
  min: number;
  max: number;
  ticks: Tick[];
  /** Category axes: one label per index. */
  labels?: string[];
  reverse?: boolean;
}

export interface PointSpec {
  x: number;
  y: number;
  /** Tooltip text: the case's name, its value and unit. */
  label: string;
}

export interface SeriesSpec {
  label: string;
  kind: 'points' | 'line' | 'bar';
  color: string;
  dashed: boolean;
  points: PointSpec[];
}

export type AnnotationSpec =
  | { kind: 'hline'; y: number; text: string; color: string }
  | { kind: 'point'; x: number; y: number; text: string; color: string };

export interface ChartTable {
  caption: string;
  head: string[];
  rows: string[][];
}

export interface ChartSpec {
  id: string;
  title: string;
  /** The chart in one or two sentences: the canvas's text alternative. */
  summary: string;
  /** Shown instead of the chart when there is nothing to draw: what to do to get one. */
  empty: string | null;
  /** A hint shown under the chart (what is missing from it, and how to get it). */
  note: string | null;
  x: AxisSpec;
  y: AxisSpec;
  series: SeriesSpec[];
  annotations: AnnotationSpec[];
  heightPx: number;
  table: ChartTable;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#e36c0a', '#8c564b', '#c2378f', '#0f8a9d'];
const color = (i: number): string => COLORS[i % COLORS.length] ?? '#1f77b4';
/** A unit's roof and its cases share a colour, so a point reads against its own roof. */
const unitColor = (unit: PeakUnit): string => color(PEAK_UNITS.indexOf(unit));

const isInteger = (unit: PeakUnit): boolean => unit === 'int8Dot4' || unit === 'matrixInt8';
const opUnit = (unit: PeakUnit): string => (isInteger(unit) ? 'OP/s' : 'FLOP/s');

const EMPTY_AXIS: AxisSpec = { title: '', type: 'linear', min: 0, max: 1, ticks: [] };

function emptyChart(id: string, title: string, empty: string, caption: string): ChartSpec {
  return {
    id,
    title,
    summary: empty,
    empty,
    note: null,
    x: EMPTY_AXIS,
    y: EMPTY_AXIS,
    series: [],
    annotations: [],
    heightPx: 0,
    table: { caption, head: [], rows: [] },
  };
}

/** The peaks a run's roofline is drawn against: calibrated first, else the datasheet's. */
export function primaryPeaks(
  run: Pick<RunResult, 'peaks'>,
): { against: 'calibrated' | 'datasheet'; peaks: PeakSet } | null {
  if (run.peaks?.calibrated) return { against: 'calibrated', peaks: run.peaks.calibrated };
  if (run.peaks?.datasheet) return { against: 'datasheet', peaks: run.peaks.datasheet };
  return null;
}

type ComputeCase = CaseResult & { compute: NonNullable<CaseResult['compute']> };
const computeCases = (run: RunResult): ComputeCase[] =>
  run.cases.filter((c): c is ComputeCase => c.status === 'ok' && c.compute !== null && c.compute !== undefined);

const CALIBRATE_HINT = 'calibrate this device (the Calibrate button on the page, or `wgbench calibrate`)';

export function rooflineChart(run: RunResult): ChartSpec {
  const cases = computeCases(run);
  const title = 'Roofline';
  if (cases.length === 0) {
    return emptyChart(
      'roofline',
      title,
      'No compute cases in this run, so no roofline: run the peak, matmul or attention suite to place ' +
        'kernels against the roofs.',
      'Roofline data',
    );
  }
  const primary = primaryPeaks(run);
  const bandwidthGBps = primary?.peaks.bandwidth?.gbps;
  const roofs = PEAK_UNITS.flatMap((unit) => {
    const peak = primary?.peaks.compute[unit]?.tflops;
    if (peak === undefined || bandwidthGBps === undefined) return [];
    return [{ unit, peakBase: peak * 1e12, ridge: (peak * 1e12) / (bandwidthGBps * 1e9) }];
  });
  const xs = [...cases.map((c) => c.compute.arithmeticIntensity), ...roofs.map((r) => r.ridge)];
  const xMin = decadeFloor(Math.min(...xs) / 2);
  const xMax = decadeCeil(Math.max(...xs) * 2);
  const bwBase = (bandwidthGBps ?? 0) * 1e9;
  const roofAt = (peakBase: number, x: number): number => Math.min(peakBase, x * bwBase);
  const yBase = [
    ...cases.map((c) => c.compute.achievedTflops * 1e12),
    ...roofs.flatMap((r) => [r.peakBase, roofAt(r.peakBase, xMin)]),
  ];
  const scale = scaleFor(Math.max(...yBase));
  const yMin = decadeFloor(Math.min(...yBase) / scale.factor);
  const yMax = decadeCeil(Math.max(...yBase) / scale.factor);
  const units = [...new Set(cases.map((c) => c.compute.unit))];
  const anyInt = units.some(isInteger) || roofs.some((r) => isInteger(r.unit));
  const anyFloat = units.some((u) => !isInteger(u)) || roofs.some((r) => !isInteger(r.unit));
  const yUnit =
    anyInt && anyFloat
      ? `${scale.prefix}FLOP/s (${scale.prefix}OP/s for int8)`
      : `${scale.prefix}${anyInt ? 'OP/s' : 'FLOP/s'}`;
  const pointLabel = (c: ComputeCase): string => {
    const u = c.utilization?.find((x) => x.against === primary?.against);
    const eff = u?.rooflineEfficiency;
    return (
      `${c.name}: ${formatScaled(c.compute.achievedTflops * 1e12, opUnit(c.compute.unit))} at ` +
      `${tidyNumber(c.compute.arithmeticIntensity)} ` +
      `FLOP/B${u?.bound ? `, ${u.bound}-bound` : ''}${
        eff === null || eff === undefined ? '' : `, ` + `${(eff * 100).toFixed(1)}% of its roof`
      }`
    );
  };
  const series: SeriesSpec[] = [
    ...roofs.map((r) => ({
      label: `${PEAK_UNIT_LABEL[r.unit]} roof · ${formatScaled(r.peakBase, opUnit(r.unit))}`,
      kind: 'line' as const,
      color: unitColor(r.unit),
      dashed: true,
      points: [xMin, r.ridge, xMax].map((x) => ({
        x,
        y: roofAt(r.peakBase, x) / scale.factor,
        label:
          `${PEAK_UNIT_LABEL[r.unit]} roof: ${formatScaled(roofAt(r.peakBase, x), opUnit(r.unit))} at ` +
          `${tidyNumber(x)} FLOP/B`,
      })),
    })),
    ...units.map((u) => ({
      label: `cases on ${PEAK_UNIT_LABEL[u]}`,
      kind: 'points' as const,
      color: unitColor(u),
      dashed: false,
      points: cases
        .filter((c) => c.compute.unit === u)
        .map((c) => ({
          x: c.compute.arithmeticIntensity,
          y: (c.compute.achievedTflops * 1e12) / scale.factor,
          label: pointLabel(c),
        })),
    })),
  ];
  const annotations: AnnotationSpec[] = roofs.map((r) => ({
    kind: 'point',
    x: r.ridge,
    y: r.peakBase / scale.factor,
    text: `ridge ${tidyNumber(r.ridge)} FLOP/B`,
    color: unitColor(r.unit),
  }));
  const against =
    primary === null
      ? null
      : primary.against === 'calibrated'
        ? 'calibrated peaks'
        : `datasheet peaks (${run.peaks?.datasheet?.name ?? ''})`;
  const note =
    roofs.length > 0
      ? `Roofs from the ${against}; the ridge point is where a kernel stops being memory-bound.`
      : primary === null
        ? `No roofs: this device has no calibrated peaks and no datasheet entry — ${CALIBRATE_HINT} to draw them.`
        : `No roofs: the ${against} lack a memory bandwidth — ${CALIBRATE_HINT}.`;
  return {
    id: 'roofline',
    title,
    summary:
      `Roofline: ${cases.length} compute case${cases.length === 1 ? '' : 's'} by arithmetic intensity (FLOP ` +
      `per byte) against achieved ` +
      `${yUnit}${
        roofs.length > 0
          ? `, under ${roofs.length} roof${roofs.length === 1 ? '' : 's'} from the ` + `${against}`
          : ', with no roofs (no ' + 'peaks)'
      }.`,
    empty: null,
    note,
    x: {
      title: 'arithmetic intensity (FLOP/byte)',
      type: 'logarithmic',
      min: xMin,
      max: xMax,
      ticks: logTicks(xMin, xMax),
    },
    y: { title: `achieved ${yUnit}`, type: 'logarithmic', min: yMin, max: yMax, ticks: logTicks(yMin, yMax) },
    series,
    annotations,
    heightPx: 440,
    table: {
      caption: `Every compute case on the roofline${against === null ? '' : ` (utilisation against the ${against})`}`,
      head: ['case', 'unit', 'FLOP/B', 'achieved', 'bound', 'of its roof'],
      rows: cases.map((c) => {
        const u = c.utilization?.find((x) => x.against === primary?.against);
        return [
          c.name,
          PEAK_UNIT_LABEL[c.compute.unit],
          tidyNumber(c.compute.arithmeticIntensity),
          formatScaled(c.compute.achievedTflops * 1e12, opUnit(c.compute.unit)),
          u?.bound ?? '—',
          u?.rooflineEfficiency === null || u?.rooflineEfficiency === undefined
            ? '—'
            : `${(u.rooflineEfficiency * 100).toFixed(1)}%`,
        ];
      }),
    },
  };
}

/** The memory bandwidth peaks a bandwidth chart draws as lines: calibrated and datasheet, each named. */
function bandwidthPeaks(run: RunResult): { label: string; gbps: number }[] {
  const out: { label: string; gbps: number }[] = [];
  if (run.peaks?.calibrated?.bandwidth)
    out.push({ label: 'calibrated peak', gbps: run.peaks.calibrated.bandwidth.gbps });
  if (run.peaks?.datasheet?.bandwidth)
    out.push({ label: `datasheet (${run.peaks.datasheet.name})`, gbps: run.peaks.datasheet.bandwidth.gbps });
  return out;
}

export function bandwidthChart(run: RunResult): ChartSpec {
  const title = 'Memory bandwidth against buffer size';
  const cases = run.cases.filter((c) => c.suite === 'memcopy' && c.status === 'ok' && c.bandwidth);
  if (cases.length === 0)
    return emptyChart(
      'bandwidth',
      title,
      'No memory-copy cases in this run: run the memcopy suite to measure bandwidth.',
      'Bandwidth data',
    );
  const byKernel = new Map<string, CaseResult[]>();
  for (const c of cases)
    byKernel.set(String(c.params['kernel']), [...(byKernel.get(String(c.params['kernel'])) ?? []), c]);
  const peaks = bandwidthPeaks(run);
  const maxBase = Math.max(
    ...cases.map((c) => (c.bandwidth?.medianGBps ?? 0) * 1e9),
    ...peaks.map((p) => p.gbps * 1e9),
  );
  const scale: UnitScale = scaleFor(maxBase);
  const yTicks = linearTicks(0, (maxBase / scale.factor) * 1.08);
  const y: AxisSpec = {
    title: `median bandwidth (${scale.prefix}B/s)`,
    type: 'linear',
    min: 0,
    max: yTicks[yTicks.length - 1]?.value ?? 1,
    ticks: yTicks,
  };
  const value = (c: CaseResult): number => ((c.bandwidth?.medianGBps ?? 0) * 1e9) / scale.factor;
  const label = (c: CaseResult): string =>
    `${c.name}: ${formatScaled((c.bandwidth?.medianGBps ?? 0) * 1e9, 'B/s')} ` +
    `(${c.bandwidth?.bytesCounted ?? ''} ` +
    `bytes)${c.params['region'] === 'cache-sweep' ? ', fits in cache' : ''}`;
  const annotations: AnnotationSpec[] = peaks.map((p, i) => ({
    kind: 'hline',
    y: (p.gbps * 1e9) / scale.factor,
    text: `${p.label} ${formatScaled(p.gbps * 1e9, 'B/s')}`,
    color: i === 0 ? '#b3261e' : '#5f6368',
  }));
  const sweep = [...byKernel.values()].some((list) => new Set(list.map((c) => c.params['bufferBytes'])).size > 1);
  const table: ChartTable = {
    caption: 'Median bandwidth of every memory-copy case',
    head: ['case', 'kernel', 'buffer', 'median', 'bytes counted'],
    rows: cases.map((c) => [
      c.name,
      String(c.params['kernel']),
      formatBytes(Number(c.params['bufferBytes'])),
      formatScaled((c.bandwidth?.medianGBps ?? 0) * 1e9, 'B/s'),
      c.bandwidth?.bytesCounted ?? '',
    ]),
  };
  const peakNote = peaks.length === 0 ? ` No peak line: ${CALIBRATE_HINT}.` : '';
  if (!sweep) {
    const labels = cases.map((c) => c.name);
    return {
      id: 'bandwidth',
      title: 'Memory bandwidth',
      summary:
        `Memory bandwidth at one buffer size per kernel: ` +
        `${cases.map((c) => `${c.name} ${formatScaled((c.bandwidth?.medianGBps ?? 0) * 1e9, 'B/s')}`).join(', ')}.`,
      empty: null,
      note:
        `One buffer size per kernel (quick mode): run without quick for bandwidth against size, from 1 MiB ` +
        `up to the largest buffer.${peakNote}`,
      x: {
        title: 'kernel and buffer size',
        type: 'category',
        min: -0.5,
        max: labels.length - 0.5,
        ticks: labels.map((l, i) => ({ value: i, label: l })),
        labels,
      },
      y,
      series: [
        {
          label: 'median bandwidth',
          kind: 'bar',
          color: color(0),
          dashed: false,
          points: cases.map((c, i) => ({ x: i, y: value(c), label: label(c) })),
        },
      ],
      annotations,
      heightPx: 300,
      table,
    };
  }
  const sizes = cases.map((c) => Number(c.params['bufferBytes']));
  return {
    id: 'bandwidth',
    title,
    summary:
      `Memory bandwidth against buffer size for ${[...byKernel.keys()].join(', ')}, ` +
      `${formatBytes(Math.min(...sizes))} to ${formatBytes(Math.max(...sizes))}; the best is ` +
      `${formatScaled(maxBase, 'B/s')}.`,
    empty: null,
    note: `Buffers whose working set fits in cache show the caches, not memory.${peakNote}`,
    x: {
      title: 'buffer size',
      type: 'logarithmic',
      min: Math.min(...sizes) / 1.5,
      max: Math.max(...sizes) * 1.5,
      ticks: byteTicks(sizes),
    },
    y,
    series: [...byKernel].map(([kernel, list], i) => ({
      label: kernel,
      kind: 'line',
      color: color(i),
      dashed: false,
      points: list
        .sort((a, b) => Number(a.params['bufferBytes']) - Number(b.params['bufferBytes']))
        .map((c) => ({ x: Number(c.params['bufferBytes']), y: value(c), label: label(c) })),
    })),
    annotations,
    heightPx: 360,
    table,
  };
}

/** Every timed pass of every case as % of that case's median: the shape of each distribution. */
export function distributionChart(run: RunResult): ChartSpec {
  const ok = run.cases.filter((c) => c.status === 'ok' && c.summary !== null && c.samplesNs.length > 0);
  const title = 'Timing distributions';
  if (ok.length === 0)
    return emptyChart('distribution', title, 'No timed cases in this run.', 'Timing distribution data');
  const points = ok.flatMap((c, i) => {
    const perDispatch = c.samplesNs.map((s) => s / (c.dispatchesPerPass ?? 1));
    const median = c.summary?.p50 ?? 1;
    return perDispatch.map((s, pass) => ({
      x: (s / median) * 100,
      y: i,
      label:
        `${c.name}, pass ${pass + 1}: ${formatNs(s)} per dispatch, ${((s / median) * 100).toFixed(1)}% of ` +
        `its median ${formatNs(median)}`,
    }));
  });
  const xs = points.map((p) => p.x);
  const xTicks = linearTicks(Math.min(95, ...xs), Math.max(105, ...xs));
  const names = ok.map((c) => c.name);
  return {
    id: 'distribution',
    title,
    summary:
      `Every timed pass of ${ok.length} cases as a percentage of its case's median; the widest spread is ` +
      `${(Math.max(...xs) - Math.min(...xs)).toFixed(1)} percentage points.`,
    empty: null,
    note:
      'Each dot is one timed pass, divided by the dispatches it held; a tight column at 100% is a steady ' +
      'measurement.',
    x: {
      title: '% of the case’s median time per dispatch',
      type: 'linear',
      min: xTicks[0]?.value ?? 0,
      max: xTicks[xTicks.length - 1]?.value ?? 200,
      ticks: xTicks,
    },
    y: {
      title: 'case',
      type: 'linear',
      min: -0.5,
      max: ok.length - 0.5,
      ticks: names.map((label, value) => ({ value, label })),
      reverse: true,
    },
    series: [{ label: 'timed passes', kind: 'points', color: 'rgba(31,119,180,0.65)', dashed: false, points }],
    annotations: [],
    heightPx: Math.max(180, 26 * ok.length + 90),
    table: {
      caption: 'Spread of the timed passes per case (per dispatch)',
      head: ['case', 'passes', 'min', 'median', 'max', 'cv'],
      rows: ok.map((c) => [
        c.name,
        String(c.samplesNs.length),
        formatNs(c.summary?.min ?? 0),
        formatNs(c.summary?.p50 ?? 0),
        formatNs(c.summary?.max ?? 0),
        c.summary?.cv === null || c.summary?.cv === undefined ? '—' : `${(c.summary.cv * 100).toFixed(1)}%`,
      ]),
    },
  };
}

export function runCharts(run: RunResult): ChartSpec[] {
  return [rooflineChart(run), bandwidthChart(run), distributionChart(run)];
}
