import { z } from 'zod';
import type { DeviceInfo } from '../gpu/adapterInfo.js';
import { peakSetSchema, type CaseResult, type RunResult } from '../results/schema.js';
import { CALIBRATION_MATMUL_VARIANTS, createMatmulSuite, planMatmulShapes } from '../suites/matmul.js';
import { calibrationMemcopyLaunches, createMemcopySuite, planSizes } from '../suites/memcopy.js';
import { CALIBRATION_FMA_CHAINS, createPeakSuite } from '../suites/peak.js';
import { CALIBRATION_DOT4_CHAINS } from '../suites/peakDot4.js';
import type { Suite } from '../suites/types.js';
import { formatFlops } from '../reporters/describe.js';
import type { PeakSet, PeakUnit } from './peaks.js';

export const CALIBRATION_SCHEMA_VERSION = 1;

export const calibrationSchema = z.object({
  schemaVersion: z.literal(CALIBRATION_SCHEMA_VERSION),
  key: z.string(),
  device: z.object({
    vendor: z.string(),
    architecture: z.string(),
    device: z.string(),
    description: z.string(),
    backend: z.string(),
  }),
  measuredAt: z.string(),
  toolVersion: z.string(),
  quick: z.boolean(),
  peaks: peakSetSchema,
  /** The case behind each peak, so a reader can find its samples. */
  evidence: z.array(z.object({ unit: z.string(), caseId: z.string(), value: z.number(), valueUnit: z.string() })),
  /**
   * Per unit, the best of wgbench's own kernels (a GEMM, not a register-only peak chain): what a
   * real workload reached here, beside what the unit can issue. Absent in profiles before it.
   */
  bestKernels: z
    .array(z.object({ unit: z.string(), caseId: z.string(), value: z.number(), valueUnit: z.string() }))
    .optional(),
  /**
   * Per unit whose probe ran at several shapes: each shape's figure, the best, and whether the
   * figure moved with the shape more than the probe's own noise (then the shape matters here).
   * Absent in profiles before it.
   */
  probeShapes: z
    .array(
      z.object({
        unit: z.string(),
        best: z.string(),
        shapes: z.array(z.object({ caseId: z.string(), value: z.number(), cv: z.number().nullable() })),
        spread: z.number(),
        shapeSensitive: z.boolean(),
        note: z.string(),
      }),
    )
    .optional(),
});
export type CalibrationProfile = z.infer<typeof calibrationSchema>;

/**
 * The key a calibration is stored under: the adapter's identity without the driver version, so
 * a driver update finds (and re-measures over) the same profile instead of orphaning it.
 */
export function calibrationKey(info: {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  backend: string;
}): string {
  const name = info.device !== '' ? info.device : info.description.replace(/\d+(\.\d+)+/g, '').trim();
  const slug = (s: string): string =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '');
  return (
    [info.vendor, info.architecture, name, info.backend]
      .map(slug)
      .filter((s) => s !== '')
      .join('_') || 'unknown-device'
  );
}

/**
 * The suites a calibration runs: ALU peaks, the best matmul per unit, bandwidth at the largest size.
 * This device's tuning reaches them through the run's context (RunEnvironment.tuned).
 */
export function calibrationSuites(info: DeviceInfo, quick: boolean): Suite[] {
  const cpu = info.adapterClass === 'cpu';
  const square = planMatmulShapes(cpu, quick)[0];
  const largest = planSizes(info.limits, quick, cpu).at(-1);
  return [
    // The FMA and dot4 probes at every chain count: the best is the device's ceiling, not the probe's own.
    createPeakSuite({ fmaChains: CALIBRATION_FMA_CHAINS, dot4Chains: CALIBRATION_DOT4_CHAINS }),
    createMatmulSuite({
      ...(square ? { shapes: [square] } : {}),
      variants: CALIBRATION_MATMUL_VARIANTS,
    }),
    // The copy kernel at several launch shapes too: the bandwidth peak is the best shape's.
    createMemcopySuite({
      ...(largest === undefined ? {} : { sizesBytes: [largest] }),
      probeLaunches: calibrationMemcopyLaunches(quick),
    }),
  ];
}

/**
 * Rounds of a calibration: each case is timed in turn that many times over the calibration and its
 * samples pooled, so a peak's noise spans the drift of the device across minutes, not one moment's
 * (on a shared CPU adapter a later run read 12% above a one-round peak whose noise said ±9%).
 */
export function calibrationRounds(quick: boolean): number {
  return quick ? 2 : 3;
}

/**
 * A calibration case at its best round: the peak is the highest a device reached, so of the rounds
 * (pooled into one case by the runner) the fastest round's median sets the figure; the noise stays
 * the pooled samples', which spans the rounds. A case of one round is itself.
 */
export function atBestRound(c: CaseResult): CaseResult {
  const medians = c.noise?.roundMediansNs;
  if (medians === undefined || medians.length === 0 || c.summary === null) return c;
  const fastest = Math.min(...medians) / (c.dispatchesPerPass ?? 1);
  const timeS = fastest * 1e-9;
  return {
    ...c,
    compute: c.compute
      ? { ...c.compute, achievedTflops: c.compute.flopsPerDispatch / timeS / 1e12 }
      : (c.compute ?? null),
    bandwidth: c.bandwidth ? { ...c.bandwidth, medianGBps: c.bandwidth.bytesPerDispatch / fastest } : null,
  };
}

/** Highest achieved figure per unit, and the highest DRAM bandwidth, from a calibration run. */
export function calibrationFromRun(run: RunResult, key: string): CalibrationProfile {
  const ok = run.cases.filter((c) => c.status === 'ok').map(atBestRound);
  const compute: PeakSet['compute'] = {};
  const evidence: CalibrationProfile['evidence'] = [];
  const best = new Map<PeakUnit, CaseResult>();
  for (const c of ok) {
    if (!c.compute) continue;
    const prev = best.get(c.compute.unit);
    if (prev?.compute === undefined || prev.compute === null || c.compute.achievedTflops > prev.compute.achievedTflops)
      best.set(c.compute.unit, c);
  }
  for (const [unit, c] of best) {
    const tflops = c.compute?.achievedTflops ?? 0;
    compute[unit] = {
      tflops,
      source: `calibrated ${run.startedAt.slice(0, 10)}: ${c.id}`,
      noise: c.noise?.reached ?? null,
    };
    evidence.push({ unit, caseId: c.id, value: tflops, valueUnit: unit.includes('nt8') ? 'TOP/s' : 'TFLOP/s' });
  }
  const kernels = new Map<PeakUnit, CaseResult>();
  for (const c of ok) {
    if (!c.compute || c.suite === 'peak') continue;
    const prev = kernels.get(c.compute.unit);
    if (prev?.compute === undefined || prev.compute === null || c.compute.achievedTflops > prev.compute.achievedTflops)
      kernels.set(c.compute.unit, c);
  }
  const bestKernels = [...kernels].map(([unit, c]) => ({
    unit,
    caseId: c.id,
    value: c.compute?.achievedTflops ?? 0,
    valueUnit: unit.includes('nt8') ? 'TOP/s' : 'TFLOP/s',
  }));
  const probeShapes = shapeSensitivity(ok);
  let bandwidth: PeakSet['bandwidth'] = null;
  const copies = ok.filter((c) => c.suite === 'memcopy' && c.bandwidth);
  const top = copies.sort((x, y) => (y.bandwidth?.medianGBps ?? 0) - (x.bandwidth?.medianGBps ?? 0))[0];
  if (top?.bandwidth) {
    bandwidth = {
      gbps: top.bandwidth.medianGBps,
      source: `calibrated ${run.startedAt.slice(0, 10)}: ${top.id} (${top.bandwidth.bytesCounted})`,
      noise: top.noise?.reached ?? null,
    };
    evidence.push({ unit: 'bandwidth', caseId: top.id, value: top.bandwidth.medianGBps, valueUnit: 'GB/s' });
  }
  return {
    schemaVersion: CALIBRATION_SCHEMA_VERSION,
    key,
    device: {
      vendor: run.device.vendor,
      architecture: run.device.architecture,
      device: run.device.device,
      description: run.device.description,
      backend: run.device.backend,
    },
    measuredAt: run.startedAt,
    toolVersion: run.tool.version,
    quick: run.options.quick,
    peaks: { compute, bandwidth },
    evidence,
    bestKernels,
    ...(probeShapes.length === 0 ? {} : { probeShapes }),
  };
}

/**
 * How much each unit's peak probe moved with its shape: best over worst figure, against the noise
 * of the cases (their largest cv). A probe whose figure moves past that noise found a shape that
 * matters on this device, and says which.
 */
function shapeSensitivity(ok: readonly CaseResult[]): NonNullable<CalibrationProfile['probeShapes']> {
  const byUnit = new Map<PeakUnit | 'bandwidth', CaseResult[]>();
  const add = (unit: PeakUnit | 'bandwidth', c: CaseResult): void => {
    byUnit.set(unit, [...(byUnit.get(unit) ?? []), c]);
  };
  for (const c of ok) {
    // The copy kernel's launch shapes (calibrationSuites) probe the bandwidth peak.
    if (c.suite === 'memcopy' && c.params['kernel'] === 'copy' && c.bandwidth) add('bandwidth', c);
    if (c.suite !== 'peak' || !c.compute) continue;
    if (c.params['vec4Chains'] === undefined && c.params['dot4Chains'] === undefined) continue;
    add(c.compute.unit, c);
  }
  return [...byUnit].flatMap(([unit, cases]) => {
    if (cases.length < 2) return [];
    const shapes = cases
      // The noise each shape's median reached (its 95% interval), else the cv in files before it.
      .map((c) => ({
        caseId: c.id,
        value: unit === 'bandwidth' ? (c.bandwidth?.medianGBps ?? 0) : (c.compute?.achievedTflops ?? 0),
        cv: c.noise?.reached ?? c.summary?.cv ?? null,
      }))
      .sort((x, y) => y.value - x.value);
    const best = shapes[0];
    const worst = shapes[shapes.length - 1];
    if (best === undefined || worst === undefined || !(worst.value > 0)) return [];
    const spread = best.value / worst.value;
    const noise = Math.max(...shapes.map((x) => x.cv ?? 0));
    const shapeSensitive = spread - 1 > 2 * noise;
    const label = (x: { caseId: string; value: number }): string =>
      `${x.caseId} ${
        unit === 'bandwidth'
          ? `${x.value.toPrecision(3)} GB/s`
          : formatFlops(x.value, unit === 'int8Dot4' || unit === 'matrixInt8')
      }`;
    return [
      {
        unit,
        best: best.caseId,
        shapes,
        spread,
        shapeSensitive,
        note: shapeSensitive
          ? `the probe's shape moves it ${spread.toFixed(2)}× (beyond twice its noise, ` +
            `±${(noise * 100).toFixed(1)}%): ` +
            `best ${label(best)}, worst ${label(worst)}`
          : `the shape moves it ${spread.toFixed(2)}×, within its noise (±${(noise * 100).toFixed(1)}%)`,
      },
    ];
  });
}

export function parseCalibration(data: unknown, source: string): CalibrationProfile {
  const parsed = calibrationSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `${source}: not a wgbench calibration profile: "${issue?.path.map(String).join('.') ?? ''}": ` +
        (issue?.message ?? ''),
    );
  }
  return parsed.data;
}
