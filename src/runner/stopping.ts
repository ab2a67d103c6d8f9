import { relativeNoise, MIN_SAMPLES_FOR_NOISE } from '../metrics/noise.js';
import { percentile } from '../metrics/summary.js';
import type { z } from 'zod';
import type { caseNoiseSchema, stoppingSchema } from '../results/schema.js';

/**
 * When a case stops timing: once the noise of its median is below a target, after a minimum
 * number of samples and of measured time, or at a wall-clock limit (nvbench's rule, with its
 * defaults for GPUs). A fixed pass count (`--passes`) is the other rule; its noise is still recorded.
 * The shapes are the results file's (`stoppingSchema`, `caseNoiseSchema`), documented there.
 */
export type StoppingCriterion = z.infer<typeof stoppingSchema>;

/** What a case reached: recorded with every timed result. */
export type CaseNoise = z.infer<typeof caseNoiseSchema>;

export type StopReason = CaseNoise['stoppedBy'];

/** The timer's step may be at most this share of a sample. */
export const MAX_RESOLUTION_SHARE = 0.001;

export interface CriterionOverrides {
  passes?: number | undefined;
  noiseTarget?: number | undefined;
  minTimeMs?: number | undefined;
  maxTimeMs?: number | undefined;
}

/**
 * Defaults per adapter class. A GPU's timestamps are exact and its clock settles, so nvbench's
 * 0.5% after 0.5 s and 10 samples holds. A CPU adapter shares its cores with the OS and other
 * jobs (a 51% CV was seen on a busy 2-core machine) and runs each case 100–10,000× slower: 1%
 * after 0.25 s, within 2 s. A quick run keeps a short budget (0.2 s a case) and says the noise it reached.
 */
export function stoppingCriterion(
  adapterClass: 'gpu' | 'cpu',
  quick: boolean,
  overrides: CriterionOverrides = {},
): StoppingCriterion {
  const base = defaults(adapterClass, quick);
  const merged: StoppingCriterion = {
    ...base,
    ...(overrides.noiseTarget === undefined ? {} : { noiseTarget: overrides.noiseTarget }),
    ...(overrides.minTimeMs === undefined ? {} : { minTimeMs: overrides.minTimeMs }),
    ...(overrides.maxTimeMs === undefined ? {} : { maxTimeMs: overrides.maxTimeMs }),
  };
  if (overrides.noiseTarget !== undefined || overrides.minTimeMs !== undefined || overrides.maxTimeMs !== undefined)
    merged.basis = `${base.basis}; overridden on the command line`;
  if (overrides.passes !== undefined)
    return {
      ...merged,
      rule: 'fixed-passes',
      minSamples: overrides.passes,
      maxSamples: overrides.passes,
      basis: `${overrides.passes} passes, as asked (--passes); the noise reached is recorded, not a target`,
    };
  return merged;
}

function defaults(adapterClass: 'gpu' | 'cpu', quick: boolean): StoppingCriterion {
  const common = { rule: 'noise' as const, maxSamples: 10_000 };
  if (adapterClass === 'gpu')
    return quick
      ? {
          ...common,
          noiseTarget: 0.01,
          minSamples: MIN_SAMPLES_FOR_NOISE,
          minTimeMs: 50,
          maxTimeMs: 1000,
          basis: 'GPU, quick',
        }
      : {
          ...common,
          noiseTarget: 0.005,
          minSamples: 10,
          minTimeMs: 500,
          maxTimeMs: 10_000,
          basis: "GPU: nvbench's defaults",
        };
  return quick
    ? {
        ...common,
        noiseTarget: 0.03,
        minSamples: MIN_SAMPLES_FOR_NOISE,
        minTimeMs: 0,
        maxTimeMs: 200,
        basis: 'CPU adapter, quick',
      }
    : { ...common, noiseTarget: 0.01, minSamples: 10, minTimeMs: 250, maxTimeMs: 2000, basis: 'CPU adapter' };
}

/** Whether to stop now, and why; null to take another sample. */
export function shouldStop(
  criterion: StoppingCriterion,
  samplesNs: readonly number[],
  wallMs: number,
  attempts: number,
): StopReason | null {
  const n = samplesNs.length;
  if (criterion.rule === 'fixed-passes')
    return n >= criterion.minSamples || attempts >= criterion.minSamples * 2 ? 'passes' : null;
  // The target reached wins over a limit reached at the same sample: the case did not time out.
  if (n >= criterion.minSamples && sumMs(samplesNs) >= criterion.minTimeMs) {
    const noise = relativeNoise(samplesNs);
    if (noise !== null && noise <= criterion.noiseTarget) return 'noise';
  }
  if (n >= criterion.maxSamples || attempts >= criterion.maxSamples * 2) return 'max-samples';
  if (wallMs >= criterion.maxTimeMs && n >= Math.min(criterion.minSamples, MIN_SAMPLES_FOR_NOISE)) return 'max-time';
  return null;
}

/** The record a case carries: the rule, and what it reached when it stopped. */
export function caseNoise(
  criterion: StoppingCriterion,
  samplesNs: readonly number[],
  wallMs: number,
  stoppedBy: StopReason,
  resolutionNs: number | null,
): CaseNoise {
  const median = samplesNs.length === 0 ? null : percentile(samplesNs, 50);
  return {
    rule: criterion.rule,
    target: criterion.rule === 'noise' ? criterion.noiseTarget : null,
    reached: relativeNoise(samplesNs),
    samples: samplesNs.length,
    measuredMs: sumMs(samplesNs),
    wallMs,
    stoppedBy,
    timedOut: stoppedBy === 'max-time' || stoppedBy === 'max-samples',
    resolutionShare: resolutionNs === null || median === null || median <= 0 ? null : resolutionNs / median,
  };
}

function sumMs(samplesNs: readonly number[]): number {
  let total = 0;
  for (const s of samplesNs) total += s;
  return total / 1e6;
}
