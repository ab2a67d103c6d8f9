import { z } from 'zod';
import { PEAK_UNITS } from '../probe/peaks.js';
import { caseExtrasSchema } from './extras.js';

/** Bumped when a field changes meaning or disappears; readers accept this version and below. */
export const RESULT_SCHEMA_VERSION = 1;

const paramValue = z.union([z.number(), z.string(), z.boolean()]);

export const metricSummarySchema = z.object({
  name: z.string(),
  unit: z.string(),
  count: z.number().int().positive(),
  mean: z.number(),
  std: z.number().nullable(),
  min: z.number(),
  max: z.number(),
  p25: z.number(),
  p50: z.number(),
  p75: z.number(),
  p90: z.number(),
  /** Since 2026-12-07; files written before carry no p95. */
  p95: z.number().optional(),
  p99: z.number(),
  iqr: z.number(),
  cv: z.number().nullable(),
  percentileMethod: z.literal('type7-linear'),
  stdMethod: z.literal('sample-n-1'),
  lowConfidence: z.object({ p90: z.boolean(), p95: z.boolean().optional(), p99: z.boolean() }),
});

export const timerInfoSchema = z.object({
  kind: z.enum(['timestamp-query', 'cpu-submit-to-done', 'host-wall']),
  method: z.string(),
  resolutionNs: z.number().positive(),
  quantized: z.boolean(),
  rawTimestampsSeen: z.number().int().nonnegative(),
});

export const checkResultSchema = z.object({
  passed: z.boolean(),
  method: z.string(),
  compared: z.number().int().nonnegative(),
  mismatches: z.number().int().nonnegative(),
  maxRelError: z.number().nullable(),
  detail: z.string(),
  /** The doubling check's time ratio and what it was judged to mean (timing checks only). */
  ratio: z.number().nullable().optional(),
  verdict: z.enum(['linear', 'folded', 'noisy']).optional(),
  rounds: z.array(z.number()).optional(),
});

export const bandwidthSchema = z.object({
  bytesPerDispatch: z.number().positive(),
  /** min-dram: each input read once and each output written once (the roofline's bytes). */
  bytesCounted: z.enum(['read+write', 'read', 'write', 'min-dram', 'transferred']),
  medianGBps: z.number().positive(),
  minGBps: z.number().positive(),
  maxGBps: z.number().positive(),
});

/** A measured peak's relative noise; absent for a datasheet's and in files before it. */
const peakNoise = z.number().nonnegative().nullable().optional();
const peakValueSchema = z.object({ tflops: z.number().positive(), source: z.string(), noise: peakNoise });
export const peakSetSchema = z.object({
  compute: z.partialRecord(z.enum(PEAK_UNITS), peakValueSchema),
  bandwidth: z.object({ gbps: z.number().positive(), source: z.string(), noise: peakNoise }).nullable(),
});

export const computeSchema = z.object({
  flopsPerDispatch: z.number().positive(),
  flopsFormula: z.string(),
  /** The unit whose peak the FLOPs are divided by. */
  unit: z.enum(PEAK_UNITS),
  achievedTflops: z.number().positive(),
  arithmeticIntensity: z.number().positive(),
});

export const utilizationSchema = z.object({
  against: z.enum(['calibrated', 'datasheet']),
  peakTflops: z.number().nullable(),
  peakSource: z.string().nullable(),
  peakGBps: z.number().nullable(),
  bandwidthSource: z.string().nullable(),
  mfu: z.number().nullable(),
  mbu: z.number().nullable(),
  ridgePoint: z.number().nullable(),
  attainableTflops: z.number().nullable(),
  bound: z.enum(['memory', 'compute']).nullable(),
  rooflineEfficiency: z.number().nullable(),
  /** The noise an MFU / MBU carries (the case's plus the peak's); above 100% within it is not flagged. */
  mfuNoise: z.number().nonnegative().nullable().optional(),
  mbuNoise: z.number().nonnegative().nullable().optional(),
  flags: z.array(z.string()),
});

/** A reduced-precision result compared with the f32 reference computed from the unrounded inputs. */
export const quantizationSchema = z.object({
  reference: z.string(),
  relL2: z.number().nonnegative(),
  maxRel: z.number().nonnegative(),
  speedupVsF32: z.number().positive().nullable(),
  f32CaseId: z.string().nullable(),
});

export const sparsitySchema = z.object({
  zeroBlockFraction: z.number().min(0).max(1),
  blockSize: z.number().int().positive(),
  speedupVsDense: z.number().positive().nullable(),
  denseCaseId: z.string().nullable(),
});

/** The rule a run's cases stopped timing by (src/runner/stopping.ts). */
export const stoppingSchema = z.object({
  rule: z.enum(['noise', 'fixed-passes']),
  /** Relative noise of the median to reach (src/metrics/noise.ts); 0.01 is 1%. */
  noiseTarget: z.number().positive(),
  minSamples: z.number().int().positive(),
  /** Timed work to gather at least (the sum of the samples), in ms. */
  minTimeMs: z.number().nonnegative(),
  /** Host wall-clock a case's timed passes may take at most, in ms: past it the case stops, timed out. */
  maxTimeMs: z.number().positive(),
  maxSamples: z.number().int().positive(),
  /** Why these values, in words. */
  basis: z.string(),
});

/** What one case reached when it stopped: the noise of its median and why it stopped. */
export const caseNoiseSchema = z.object({
  rule: z.enum(['noise', 'fixed-passes']),
  target: z.number().positive().nullable(),
  /** Half-width of the median's distribution-free 95% interval ÷ the median; null below six samples. */
  reached: z.number().nonnegative().nullable(),
  samples: z.number().int().nonnegative(),
  measuredMs: z.number().nonnegative(),
  wallMs: z.number().nonnegative(),
  stoppedBy: z.enum(['noise', 'max-time', 'max-samples', 'passes', 'rounds', 'interrupted']),
  /** True when the case hit its time or sample limit before its noise target. */
  timedOut: z.boolean(),
  /** The timer's step as a share of the median sample: passes are sized to keep it under 0.1%. */
  resolutionShare: z.number().nonnegative().nullable(),
  /** Rounds pooled into the samples, spread over the run (calibrate); absent for one. */
  rounds: z.number().int().min(2).optional(),
  /** Each round's median sample (ns per pass), in order. */
  roundMediansNs: z.array(z.number().positive()).optional(),
});

/** One reading of the canary: its per-dispatch median over a few passes, and that median's noise. */
export const canaryReadingSchema = z.object({
  /** Since the run's first reading, host clock, ms. */
  atMs: z.number().nonnegative(),
  medianNs: z.number().positive(),
  /** As a case's noise (src/metrics/noise.ts); null below six valid passes. */
  noise: z.number().nonnegative().nullable(),
});

/**
 * A run's canary (src/runner/canary.ts): a fixed register-only FMA kernel read before the first case
 * and after each timed one, standing in for the clock and the neighbours WebGPU does not show.
 */
export const runCanarySchema = z.object({
  /** The kernel and its shape, in words. */
  method: z.string(),
  flopsPerDispatch: z.number().positive(),
  dispatchesPerPass: z.number().int().positive(),
  passesPerReading: z.number().int().positive(),
  /** The run's fastest reading (the device unimpeded): every drift is measured from it. */
  reference: canaryReadingSchema,
  readings: z.array(canaryReadingSchema),
  /** The reading furthest from the reference, in % of it (positive = the canary ran slower). */
  maxDriftPct: z.number(),
  /** Cases whose canary moved past their noise plus the canary's own. */
  touchedCases: z.number().int().nonnegative(),
});

/** The canary beside one case: the readings before and after it, against the run's fastest. */
export const caseCanarySchema = z.object({
  beforeNs: z.number().positive(),
  afterNs: z.number().positive().nullable(),
  /** The larger move of the two readings from the reference, in % (positive = slower). */
  driftPct: z.number(),
  /**
   * The move is larger than the fastest reading's noise and than the case's noise: the
   * case's figure may carry it, so compare and the gate call its changes ambiguous.
   */
  touched: z.boolean(),
});

export const caseResultSchema = z.object({
  id: z.string(),
  /** The same on every device: suite, kernel, dtype, shape class (src/results/caseKey.ts); absent in older files. */
  key: z.string().min(1).max(512).optional(),
  /** An identifier: it becomes a heading in Markdown and a label on the console. */
  suite: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a suite name is letters, digits, ".", "_" or "-" (at most 64)'),
  name: z.string(),
  params: z.record(z.string(), paramValue),
  status: z.enum(['ok', 'failed', 'error', 'skipped']),
  message: z.string().optional(),
  check: checkResultSchema.nullable(),
  dispatchesPerPass: z.number().int().positive().nullable(),
  warmupPasses: z.number().int().nonnegative(),
  invalidSamples: z.number().int().nonnegative(),
  /** Duration of each timed pass in ns, every sample kept. */
  samplesNs: z.array(z.number().positive()),
  /** The noise the samples reached and why timing stopped; absent in files before it. */
  noise: caseNoiseSchema.optional(),
  /** The canary's move beside this case; absent without a canary (files before it, --no-canary). */
  canary: caseCanarySchema.optional(),
  /** Start of each timed pass relative to the first, on the timer's clock (for traces). */
  passStartsNs: z.array(z.number()).nullable().optional(),
  /** Wall-clock time when the timed passes began. */
  timingStartedAt: z.string().optional(),
  /** Per-dispatch time, summarised from samplesNs / dispatchesPerPass. */
  summary: metricSummarySchema.nullable(),
  timer: timerInfoSchema.nullable(),
  bandwidth: bandwidthSchema.nullable(),
  compute: computeSchema.nullable().optional(),
  /** Against the calibrated peaks first (when present), then the datasheet's. */
  utilization: z.array(utilizationSchema).optional(),
  /** A check of the timing itself, e.g. that twice the work takes twice the time. */
  timingCheck: checkResultSchema.nullable().optional(),
  quantization: quantizationSchema.nullable().optional(),
  sparsity: sparsitySchema.nullable().optional(),
  /** Suite-specific plain data (e.g. the KV-cache simulation's KVCacheMetric fields). */
  extras: z
    .record(z.string(), z.unknown())
    .superRefine((value, ctx) => {
      // Typed as plain data for the code; checked key by key for the readers (src/results/extras.ts).
      const known = caseExtrasSchema.safeParse(value);
      if (!known.success)
        for (const issue of known.error.issues)
          ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    })
    .nullable()
    .optional(),
  startedAt: z.string(),
  durationMs: z.number().nonnegative(),
});

export const deviceInfoSchema = z.object({
  vendor: z.string(),
  architecture: z.string(),
  device: z.string(),
  description: z.string(),
  backend: z.enum(['vulkan', 'vulkan-swiftshader', 'opengles', 'browser', 'default']),
  featureLevel: z.enum(['core', 'compatibility']),
  adapterClass: z.enum(['gpu', 'cpu']),
  isFallbackAdapter: z.boolean(),
  subgroupMinSize: z.number().nullable(),
  subgroupMaxSize: z.number().nullable(),
  adapterFeatures: z.array(z.string()),
  deviceFeatures: z.array(z.string()),
  limits: z.record(z.string(), z.number()),
  subgroupMatrixConfigs: z.array(z.record(z.string(), z.union([z.string(), z.number()]))),
  toggles: z.object({ enabled: z.array(z.string()), disabled: z.array(z.string()) }),
  hostCacheBytes: z.number().nonnegative().nullable().optional(),
});

export const runResultSchema = z.object({
  schemaVersion: z.literal(RESULT_SCHEMA_VERSION),
  tool: z.object({ name: z.literal('wgbench'), version: z.string() }),
  status: z.enum(['running', 'complete', 'device-lost', 'interrupted']),
  message: z.string().optional(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  platform: z.object({ runtime: z.string(), os: z.string() }),
  /**
   * The code the run measured: the git commit and branch of the working directory when run inside a
   * repository, and the --label given; so a CI gate can take its baseline from the merge-base's runs.
   */
  source: z
    .object({ commit: z.string().nullable(), branch: z.string().nullable(), label: z.string().nullable() })
    .optional(),
  device: deviceInfoSchema,
  timer: timerInfoSchema,
  options: z.object({
    suites: z.array(z.string()),
    quick: z.boolean(),
    passes: z.number().int().positive(),
    warmupPasses: z.number().int().nonnegative(),
    targetPassMs: z.number().positive(),
    seed: z.number().int(),
    /** How cases decided to stop timing; absent in files before it (then `passes` fixed passes). */
    stopping: stoppingSchema.optional(),
  }),
  memory: z.object({ peakGpuBytes: z.number().nonnegative(), hostRssBytes: z.number().nullable() }),
  peaks: z
    .object({
      calibrated: peakSetSchema.extend({ measuredAt: z.string(), file: z.string().nullable() }).nullable(),
      datasheet: peakSetSchema.extend({ id: z.string(), name: z.string() }).nullable(),
    })
    .optional(),
  /** The clock-and-neighbours proxy; absent in files before it, null where it could not run (--no-canary). */
  canary: runCanarySchema.nullable().optional(),
  /** Why the canary could not run, when it could not. */
  canaryUnavailable: z.string().optional(),
  cases: z.array(caseResultSchema),
});

export type CaseResult = z.infer<typeof caseResultSchema>;
export type RunResult = z.infer<typeof runResultSchema>;
export type BandwidthResult = z.infer<typeof bandwidthSchema>;
export type RunPeaks = NonNullable<RunResult['peaks']>;
export type CanaryReading = z.infer<typeof canaryReadingSchema>;
export type RunCanary = z.infer<typeof runCanarySchema>;
export type CaseCanary = z.infer<typeof caseCanarySchema>;

/** Validates a parsed results file; the error names the first bad field by its path. */
export function parseRunResult(data: unknown, source = 'results'): RunResult {
  const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof data !== 'object' || data === null || version === undefined) {
    throw new Error(`${source}: invalid at "schemaVersion": missing; this is not a wgbench results file`);
  }
  if (typeof version === 'number' && version < 1) {
    throw new Error(
      `${source}: invalid at "schemaVersion": ${version} predates the first released format (1); re-run the benchmark`,
    );
  }
  if (typeof version === 'number' && version > RESULT_SCHEMA_VERSION) {
    throw new Error(
      `${source}: schemaVersion ${version} is newer than this wgbench reads (${RESULT_SCHEMA_VERSION}); ` +
        `upgrade wgbench`,
    );
  }
  const parsed = runResultSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue === undefined ? '' : issue.path.map(String).join('.');
    throw new Error(`${source}: invalid at "${path}": ${issue?.message ?? 'unknown problem'}`);
  }
  return parsed.data;
}
