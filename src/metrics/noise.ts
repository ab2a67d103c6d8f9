/**
 * The noise of a median: the half-width of its distribution-free 95% confidence interval, over the
 * median. Order statistics, not a normal approximation, because timing samples are skewed (a few
 * slow passes) and the run reports their median.
 */

/** Confidence of the interval the noise is read from. */
export const NOISE_CONFIDENCE = 0.95;

/** Below this many samples no order-statistic interval reaches 95% (n = 5 covers only 93.8%). */
export const MIN_SAMPLES_FOR_NOISE = 6;

export interface MedianInterval {
  /** 1-based ranks of the interval's ends in the sorted samples. */
  lowerRank: number;
  upperRank: number;
  /** What the interval covers: 1 − 2·P(Binomial(n, ½) < lowerRank). */
  coverage: number;
}

/**
 * The narrowest symmetric pair of ranks whose interval covers the median with at least 95%:
 * P(X(k) ≤ median ≤ X(n−k+1)) = 1 − 2·P(Binomial(n, ½) ≤ k − 1). Null below six samples.
 */
export function medianInterval(n: number): MedianInterval | null {
  if (!Number.isInteger(n) || n < MIN_SAMPLES_FOR_NOISE) return null;
  const alphaHalf = (1 - NOISE_CONFIDENCE) / 2;
  // Cumulative binomial(n, ½) in log space: n reaches thousands for host-timed operations.
  let logPmf = -n * Math.LN2;
  let cdf = 0;
  let k = 0;
  for (let i = 0; i <= n; i++) {
    const next = cdf + Math.exp(logPmf);
    if (next > alphaHalf) break;
    cdf = next;
    k = i + 1;
    logPmf += Math.log((n - i) / (i + 1));
  }
  // k ranks lie wholly below the interval; its lower end is rank k (1-based), at least 1.
  const lowerRank = Math.max(1, k);
  return { lowerRank, upperRank: n - lowerRank + 1, coverage: 1 - 2 * cdfBelow(n, lowerRank) };
}

function cdfBelow(n: number, rank: number): number {
  let logPmf = -n * Math.LN2;
  let cdf = 0;
  for (let i = 0; i < rank; i++) {
    cdf += Math.exp(logPmf);
    logPmf += Math.log((n - i) / (i + 1));
  }
  return cdf;
}

/**
 * Relative noise of the samples' median: (X(upper) − X(lower)) / 2 / median, from the 95% interval
 * above. Null when there are too few samples, or they are not finite and positive.
 */
export function relativeNoise(samples: readonly number[]): number | null {
  const interval = medianInterval(samples.length);
  if (interval === null) return null;
  if (!samples.every((s) => Number.isFinite(s) && s > 0)) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const at = (rank: number): number => sorted[rank - 1] ?? Number.NaN;
  const median = n % 2 === 1 ? at((n + 1) / 2) : (at(n / 2) + at(n / 2 + 1)) / 2;
  const lower = at(interval.lowerRank);
  const upper = at(interval.upperRank);
  return (upper - lower) / 2 / median;
}
