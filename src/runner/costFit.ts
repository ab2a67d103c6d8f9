import { quantileSorted } from 'simple-statistics';
import type { TimerInfo } from '../gpu/timer.js';
import { fitLine, LINEAR_FIT_MIN_R2, type FitPoint, type LinearFit } from '../metrics/linearFit.js';
import type { CheckResult, Measurement } from '../suites/types.js';

/**
 * Samples behind each point: their median, so one preempted sample (a busy host, a page fault)
 * cannot tilt a round's line.
 */
export const SAMPLES_PER_POINT = 3;

export interface CostFitPlan {
  /** Item counts to time at (two or more distinct values). */
  counts: readonly number[];
  /** Times `count` items once, in ns; null when the sample is invalid. */
  sample: (count: number) => Promise<number | null>;
  rounds: number;
  warmupRounds: number;
  stopped: () => boolean;
}

export interface CostFit {
  /** The slope of each round's own fit: the spread of the per-item cost. */
  roundSlopesNs: number[];
  /** Rounds whose own fit gave no positive slope (noise above the cost); kept out of the samples. */
  nonPositiveRounds: number;
  invalid: number;
  /** The fit over every point of every round. */
  fit: LinearFit;
  perCount: { count: number; medianNs: number; p99Ns: number; samples: number }[];
}

/**
 * Times every count once per round (the median of SAMPLES_PER_POINT samples) (ascending, then descending the next
 * round, so a drift in
 * clocks tilts neither end) and fits time against count: per round for the spread, over all
 * rounds for the reported line.
 */
export async function fitCost(plan: CostFitPlan): Promise<CostFit> {
  const counts = [...new Set(plan.counts)].sort((a, b) => a - b);
  if (counts.length < 2) throw new Error(`a cost fit needs two or more counts, got ${counts.join(', ')}`);
  let invalid = 0;
  const all: FitPoint[] = [];
  const roundSlopesNs: number[] = [];
  let nonPositiveRounds = 0;
  for (let round = 0; round < plan.warmupRounds + plan.rounds && !plan.stopped(); round++) {
    const order = round % 2 === 0 ? counts : [...counts].reverse();
    const points: FitPoint[] = [];
    for (const count of order) {
      const taken: number[] = [];
      for (let r = 0; r < SAMPLES_PER_POINT && !plan.stopped(); r++) {
        const ns = await plan.sample(count);
        if (ns === null) invalid++;
        else taken.push(ns);
      }
      if (taken.length > 0)
        points.push({
          x: count,
          y: quantileSorted(
            taken.sort((a, b) => a - b),
            0.5,
          ),
        });
    }
    if (round < plan.warmupRounds) continue;
    all.push(...points);
    if (new Set(points.map((p) => p.x)).size < 2) continue;
    const slope = fitLine(points).slope;
    if (slope > 0) roundSlopesNs.push(slope);
    else nonPositiveRounds++;
  }
  const perCount = counts.flatMap((count) => {
    const ys = all
      .filter((p) => p.x === count)
      .map((p) => p.y)
      .sort((a, b) => a - b);
    return ys.length === 0
      ? []
      : [{ count, medianNs: quantileSorted(ys, 0.5), p99Ns: quantileSorted(ys, 0.99), samples: ys.length }];
  });
  return { roundSlopesNs, nonPositiveRounds, invalid, fit: fitLine(all), perCount };
}

/** What a fitted cost reports: the rounds' slopes as samples, the line and its R² as its check. */
export function costMeasurement(
  cost: CostFit,
  timer: TimerInfo,
  item: string,
  extras: Record<string, unknown> = {},
): Measurement {
  const { fit } = cost;
  const linear = fit.r2 >= LINEAR_FIT_MIN_R2;
  const positive = fit.slope > 0;
  const line =
    `time = ${fit.intercept.toFixed(0)} ns + ${fit.slope.toFixed(1)} ns × ${item}s over ${fit.points} ` +
    `points, R² ${fit.r2.toFixed(3)}`;
  const timingCheck: CheckResult = {
    passed: positive,
    method: 'linear-fit',
    compared: fit.points,
    mismatches: positive ? 0 : 1,
    maxRelError: null,
    detail: positive
      ? `${line}${
          linear
            ? ''
            : `; below R² ${LINEAR_FIT_MIN_R2}: the ${item} count explains little of the time, read the cost as ` +
              `noisy`
        }`
      : `${line}: no positive cost per ${item} — it is below what the ${timer.kind} timer resolves here, so ` +
        `none is reported`,
    verdict: positive && linear ? 'linear' : 'noisy',
  };
  return {
    samplesNs: cost.roundSlopesNs,
    invalid: cost.invalid + cost.nonPositiveRounds,
    timer,
    timingCheck,
    extras: {
      ...extras,
      item,
      fit: {
        slopeNs: fit.slope,
        interceptNs: fit.intercept,
        r2: fit.r2,
        points: fit.points,
        method: 'ordinary least squares of time against count',
      },
      perCount: cost.perCount,
      nonPositiveRounds: cost.nonPositiveRounds,
    },
  };
}
