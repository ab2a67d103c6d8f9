import erfc from '@stdlib/math-base-special-erfc';
import { MetricError } from './errors.js';

export interface MannWhitneyResult {
  /** U of the first sample: pairs (a, b) with a > b, ties counting one half. */
  uA: number;
  uB: number;
  nA: number;
  nB: number;
  /** Two-sided p-value. */
  pValue: number;
  method: 'exact' | 'normal-tie-corrected';
}

/** The largest sample sizes for which the exact null distribution is computed. */
const EXACT_MAX_N = 25;

function ranks(values: readonly number[]): { ranks: number[]; tieTerm: number } {
  const order = values.map((v, i) => ({ v, i })).sort((x, y) => x.v - y.v);
  const out = new Array<number>(values.length);
  let tieTerm = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && (order[j + 1] as { v: number }).v === (order[i] as { v: number }).v) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[(order[k] as { i: number }).i] = rank;
    const t = j - i + 1;
    tieTerm += t ** 3 - t;
    i = j + 1;
  }
  return { ranks: out, tieTerm };
}

/** P(U ≤ u) under the null for sample sizes m and n, counting arrangements (no ties). */
function exactCdf(m: number, n: number, u: number): number {
  // counts[j][k]: arrangements of j values of A and some of B with U = k, built up one B at a time.
  let prev: number[][] = Array.from({ length: m + 1 }, (_, j) => (j === 0 ? [1] : [1]));
  for (let b = 1; b <= n; b++) {
    const next: number[][] = [];
    for (let a = 0; a <= m; a++) {
      const size = a * b + 1;
      const row = new Array<number>(size).fill(0);
      // The largest of a+b values is either a B (U unchanged) or an A (beats all b B's).
      const withB = prev[a] ?? [];
      for (let k = 0; k < withB.length; k++) row[k] = (row[k] ?? 0) + (withB[k] ?? 0);
      if (a > 0) {
        const withA = next[a - 1] ?? [];
        for (let k = 0; k < withA.length; k++) row[k + b] = (row[k + b] ?? 0) + (withA[k] ?? 0);
      }
      next.push(row);
    }
    prev = next;
  }
  const dist = prev[m] ?? [];
  const total = dist.reduce((s, c) => s + c, 0);
  let below = 0;
  for (let k = 0; k <= Math.floor(u) && k < dist.length; k++) below += dist[k] ?? 0;
  return below / total;
}

/**
 * Mann–Whitney U test (two-sided): do the two samples come from the same distribution? Exact for
 * small samples without ties, else the normal approximation with tie and continuity corrections.
 */
export function mannWhitneyU(a: readonly number[], b: readonly number[]): MannWhitneyResult {
  if (a.length === 0 || b.length === 0)
    throw new MetricError('EMPTY_SAMPLES', 'Mann–Whitney U needs at least one sample on each side');
  for (const v of [...a, ...b])
    if (!Number.isFinite(v)) throw new MetricError('NON_FINITE', `Mann–Whitney U: sample ${String(v)} is not finite`);
  const nA = a.length;
  const nB = b.length;
  const { ranks: r, tieTerm } = ranks([...a, ...b]);
  const rankSumA = r.slice(0, nA).reduce((s, x) => s + x, 0);
  const uA = rankSumA - (nA * (nA + 1)) / 2;
  const uB = nA * nB - uA;
  const uMin = Math.min(uA, uB);
  if (tieTerm === 0 && nA <= EXACT_MAX_N && nB <= EXACT_MAX_N) {
    return { uA, uB, nA, nB, pValue: Math.min(1, 2 * exactCdf(nA, nB, uMin)), method: 'exact' };
  }
  const n = nA + nB;
  const mean = (nA * nB) / 2;
  const variance = ((nA * nB) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { uA, uB, nA, nB, pValue: 1, method: 'normal-tie-corrected' };
  const z = Math.max(0, Math.abs(uMin - mean) - 0.5) / Math.sqrt(variance);
  // Two-sided normal tail 2·(1 − Φ(z)) = erfc(z/√2), taken from erfc directly: 1 − Φ cancels to 0
  // long before the tail does (fdlibm's erfc, ~1 ulp, down to the smallest doubles).
  const pValue = Math.min(1, erfc(z / Math.SQRT2));
  return { uA, uB, nA, nB, pValue, method: 'normal-tie-corrected' };
}
