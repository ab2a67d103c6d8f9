import { linearRegression, rSquared } from 'simple-statistics';
import { MetricError } from './errors.js';

/**
 * time = intercept + slope · count, by ordinary least squares. A cost per item is the slope of
 * such a fit, never a total divided by the count: that way a fixed cost (a submit, a readback)
 * lands in the intercept and cannot pass for a cost per dispatch.
 */
export interface LinearFit {
  /** Cost per item (ns per dispatch, pass, submit or byte). */
  slope: number;
  /** Fixed cost of the measurement around the items (ns). */
  intercept: number;
  /** Coefficient of determination of the fit over every point; 1 is a perfect line. */
  r2: number;
  points: number;
  method: 'ols';
}

export interface FitPoint {
  x: number;
  y: number;
}

/** Least-squares line through the points; needs at least two distinct x values. */
export function fitLine(points: readonly FitPoint[]): LinearFit {
  const xs = new Set(points.map((p) => p.x));
  if (xs.size < 2)
    throw new MetricError('EMPTY_SAMPLES', `a linear fit needs points at two or more counts; got ${xs.size}`);
  for (const p of points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y))
      throw new MetricError('NON_FINITE', `a linear fit point (${p.x}, ${p.y}) is not finite`);
  }
  const pairs = points.map((p) => [p.x, p.y]);
  const { m, b } = linearRegression(pairs);
  const line = (x: number): number => b + m * x;
  // rSquared is 1 − SSres/SStot; NaN when every y is the same, which is a perfect (flat) line.
  const r2 = rSquared(pairs, line);
  return { slope: m, intercept: b, r2: Number.isFinite(r2) ? r2 : 1, points: points.length, method: 'ols' };
}

/** R² below this means the count explains too little of the time to call the slope a cost. */
export const LINEAR_FIT_MIN_R2 = 0.9;
