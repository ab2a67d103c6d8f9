import { z } from 'zod';
import { DEFAULT_MAX_REGRESSION_PCT } from './gates.js';

/** Per-case metrics a gate can check, with the direction that is better. */
export const CASE_METRICS = {
  timeNs: 'lower',
  bandwidthGBps: 'higher',
  tflops: 'higher',
  mfu: 'higher',
  mbu: 'higher',
} as const;
export type CaseMetric = keyof typeof CASE_METRICS;
const caseMetric = z.enum(Object.keys(CASE_METRICS) as [CaseMetric, ...CaseMetric[]]);

/**
 * gates.json: the original PerformanceGateConfig thresholds, per-case thresholds, and the
 * regression check. Unknown keys are refused so a typo cannot silently disable a gate.
 */
export const gateConfigSchema = z
  .object({
    minThroughputTps: z.number().positive().optional(),
    maxTtftMs: z.number().positive().optional(),
    maxTpotMs: z.number().positive().optional(),
    maxP99LatencyMs: z.number().positive().optional(),
    maxMemoryGb: z.number().positive().optional(),
    minKvHitRate: z.number().min(0).max(1).optional(),
    minMfu: z.number().min(0).optional(),
    maxRegressionPct: z.number().nonnegative().default(DEFAULT_MAX_REGRESSION_PCT),
    alpha: z.number().gt(0).lt(1).default(0.05),
    minSamples: z.number().int().min(2).default(5),
    regressionMetrics: z.array(caseMetric).default(['timeNs']),
    thresholds: z
      .array(
        z
          .object({
            /** A case id, or a pattern with * (e.g. "matmul/tiled-*"). */
            case: z.string().min(1),
            metric: caseMetric,
            min: z.number().optional(),
            max: z.number().optional(),
          })
          .strict()
          .refine((t) => t.min !== undefined || t.max !== undefined, { error: 'a threshold needs min or max' })
          .refine((t) => t.min === undefined || t.max === undefined || t.min <= t.max, {
            error: 'a threshold with min above max can never pass',
          }),
      )
      .default([]),
    /** How many earlier runs the --history baseline takes the median of. */
    historyRuns: z.number().int().positive().default(5),
    /** A check the data cannot decide (too few samples a side) fails the gate, or with "warn" only says so. */
    untestable: z.enum(['fail', 'warn']).default('fail'),
    baselineCommit: z.string().optional(),
    tags: z.array(z.string()).optional(),
  })
  .strict();

export type GateConfig = z.infer<typeof gateConfigSchema>;

export class InputError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    detail: string,
  ) {
    super(`${file}: ${field === '' ? '' : `"${field}": `}${detail}`);
    this.name = 'InputError';
  }
}

export function parseGateConfig(data: unknown, file: string): GateConfig {
  const parsed = gateConfigSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map(String).join('.') ?? '';
    const keys = issue !== undefined && 'keys' in issue ? ` (${issue.keys.join(', ')})` : '';
    throw new InputError(file, path, `${issue?.message ?? 'invalid'}${keys}; see README "Gates" for the fields`);
  }
  return parsed.data;
}

export function matchesCase(pattern: string, id: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(id);
}
